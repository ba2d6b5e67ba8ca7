import { useNavigate, useSearchParams } from 'react-router';
import * as api from '../api/admin';
import { safeNext } from '../api/client';
import { useT } from '../i18n';
import { AuthLayout } from '../shared/AuthLayout';
import { LoginForm } from '../shared/LoginForm';
import { usePageTitle } from '../shared/usePageTitle';
import { useAdminSession } from './session';

export function LoginPage() {
  const t = useT();
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const { setSession } = useAdminSession();
  usePageTitle(t('auth.login.admin_title'), 'waihu');

  return (
    <AuthLayout mark={t('shell.admin_title')} title={t('auth.login.admin_title')}>
      <LoginForm
        name="admin_login"
        onLogin={async (email, password) => {
          const s = await api.login(email, password);
          setSession(s);
          navigate(safeNext('admin', params.get('next')), { replace: true });
        }}
      />
    </AuthLayout>
  );
}
