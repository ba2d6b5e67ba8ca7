import { Card, Descriptions, Empty, Skeleton } from 'antd';
import { useEffect, useState } from 'react';
import * as api from '../api/admin';
import type { DashboardCard } from '../api/types';
import { useT } from '../i18n';
import { ErrorAlert } from '../shared/errors';
import { PageHeader } from '../shared/PageHeader';
import { roleLabel } from '../shared/roles';
import { usePageTitle } from '../shared/usePageTitle';
import { useAdminSession } from './session';

export function DashboardPage() {
  const t = useT();
  const { session } = useAdminSession();
  const [cards, setCards] = useState<DashboardCard[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  usePageTitle(t('nav.admin.dashboard'), t('shell.admin_title'));

  useEffect(() => {
    const ctl = new AbortController();
    api.dashboard(ctl.signal).then(
      (d) => setCards(d.cards ?? []),
      (err: unknown) => {
        if (!ctl.signal.aborted) setError(err);
      },
    );
    return () => ctl.abort();
  }, []);

  if (!session) return null;
  const { staff } = session;
  return (
    <section aria-labelledby="page-title">
      <PageHeader title={t('nav.admin.dashboard')} />
      <Card style={{ marginBottom: 16 }}>
        <h2 style={{ marginTop: 0 }} data-testid="welcome">
          {t('dashboard.admin.welcome', { name: staff.name || staff.email })}
        </h2>
        <Descriptions column={{ xs: 1, sm: 2 }} size="small">
          <Descriptions.Item label={t('user.role')}>
            <span data-testid="welcome-role">{roleLabel(t, 'staff', staff.role)}</span>
          </Descriptions.Item>
          <Descriptions.Item label={t('field.email')}>{staff.email}</Descriptions.Item>
        </Descriptions>
      </Card>
      {error ? <ErrorAlert error={error} /> : null}
      {cards === null && !error ? <Skeleton active /> : null}
      {/* Platform statistics cards arrive with the back-office issue. */}
      {cards && cards.length === 0 ? (
        <Card>
          <Empty description={t('dashboard.admin.empty')} />
        </Card>
      ) : null}
    </section>
  );
}
