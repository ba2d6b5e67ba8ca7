import { Card, Empty } from 'antd';
import { useT, type MessageKey } from '../i18n';
import { usePageTitle } from './usePageTitle';

/**
 * A menu entry whose page belongs to a later issue: it says plainly what will live here
 * rather than pretending with fake data.
 */
export function EmptyPage({ title, description }: { title: MessageKey; description: MessageKey }) {
  const t = useT();
  usePageTitle(t(title), 'waihu');
  return (
    <section aria-labelledby="page-title">
      <div className="waihu-page-header">
        <h1 id="page-title">{t(title)}</h1>
      </div>
      <Card>
        <Empty description={t(description)} />
      </Card>
    </section>
  );
}
