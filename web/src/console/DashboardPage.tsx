import { Card, Descriptions, Empty, Skeleton, Tag } from 'antd';
import { useEffect, useState } from 'react';
import * as api from '../api/console';
import type { DashboardCard } from '../api/types';
import { formatDateTime, useI18n } from '../i18n';
import { ErrorAlert } from '../shared/errors';
import { PageHeader } from '../shared/PageHeader';
import { roleLabel, TENANT_STATUS_COLOR, tenantStatusLabel } from '../shared/roles';
import { usePageTitle } from '../shared/usePageTitle';
import { BalanceCard } from './billing/BalanceCard';
import { useConsoleSession } from './session';

export function DashboardPage() {
  const { t, locale } = useI18n();
  const { session } = useConsoleSession();
  const [cards, setCards] = useState<DashboardCard[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  usePageTitle(t('nav.console.dashboard'), 'waihu');

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
  const { user, tenant } = session;
  const tenantName = tenant.display_name || tenant.name;

  return (
    <section aria-labelledby="page-title">
      <PageHeader title={t('nav.console.dashboard')} />
      <Card style={{ marginBottom: 16 }}>
        <h2 style={{ marginTop: 0 }} data-testid="welcome">
          {t('dashboard.console.welcome', { name: user.name || user.email })}
        </h2>
        <Descriptions column={{ xs: 1, sm: 2, lg: 3 }} size="small">
          <Descriptions.Item label={t('dashboard.console.tenant')}>
            <span data-testid="welcome-tenant">{tenantName}</span>
          </Descriptions.Item>
          <Descriptions.Item label={t('field.status')}>
            <Tag color={TENANT_STATUS_COLOR[tenant.status]}>{tenantStatusLabel(t, tenant.status)}</Tag>
          </Descriptions.Item>
          <Descriptions.Item label={t('user.role')}>{roleLabel(t, 'user', user.role)}</Descriptions.Item>
          <Descriptions.Item label={t('field.line_quota')}>{tenant.line_quota}</Descriptions.Item>
          <Descriptions.Item label={t('field.created_at')}>{formatDateTime(locale, tenant.created_at)}</Descriptions.Item>
        </Descriptions>
      </Card>
      <div style={{ marginBottom: 16 }}>
        <BalanceCard />
      </div>
      {error ? <ErrorAlert error={error} /> : null}
      {cards === null && !error ? <Skeleton active /> : null}
      {/* The foundation's dashboard has no cards; later issues (balance, campaigns) add them. */}
      {cards && cards.length === 0 ? (
        <Card>
          <Empty description={t('dashboard.console.empty')} />
        </Card>
      ) : null}
    </section>
  );
}
