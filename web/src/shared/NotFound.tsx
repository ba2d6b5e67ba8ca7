import { Button, Result } from 'antd';
import { useNavigate } from 'react-router';
import { useT } from '../i18n';

export function NotFound({ home }: { home: string }) {
  const t = useT();
  const navigate = useNavigate();
  return (
    <Result
      status="404"
      title={t('notfound.title')}
      subTitle={t('notfound.text')}
      extra={
        <Button type="primary" onClick={() => navigate(home)}>
          {t('notfound.back')}
        </Button>
      }
    />
  );
}
