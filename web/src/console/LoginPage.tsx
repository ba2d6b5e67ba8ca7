import { Link, useNavigate, useSearchParams } from 'react-router';
import { safeNext } from '../api/client';
import * as api from '../api/console';
import { useT } from '../i18n';
import { AuthLayout } from '../shared/AuthLayout';
import { LoginForm } from '../shared/LoginForm';
import { usePageTitle } from '../shared/usePageTitle';
import { useConsoleSession } from './session';

export function LoginPage() {
  const t = useT();
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const { setSession } = useConsoleSession();
  usePageTitle(t('auth.login.console_title'), 'waihu');

  return (
    <AuthLayout mark="waihu" title={t('auth.login.console_title')}>
      <LoginForm
        name="login"
        onLogin={async (email, password) => {
          const s = await api.login(email, password);
          setSession(s);
          navigate(safeNext('console', params.get('next')), { replace: true });
        }}
        footer={
          <span>
            {t('auth.login.no_account')} <Link to="/console/signup">{t('auth.signup.link')}</Link>
          </span>
        }
      />
    </AuthLayout>
  );
}
