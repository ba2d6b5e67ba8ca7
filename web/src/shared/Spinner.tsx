import { Spin } from 'antd';
import { useT } from '../i18n';

export function PageSpinner() {
  const t = useT();
  return (
    <div className="waihu-center" role="status" aria-live="polite" aria-busy="true">
      <Spin size="large" />
      <span className="sr-only">{t('common.loading')}</span>
    </div>
  );
}
