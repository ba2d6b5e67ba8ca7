import { Card, Col, Row, Skeleton, Statistic, Tag } from 'antd';
import { useEffect, useState } from 'react';
import * as api from '../../api/billing';
import { useT } from '../../i18n';
import { ErrorAlert } from '../../shared/errors';

/** The tenant's money at a glance: shown on the dashboard and atop the billing page. */
export function BalanceCard({ refresh = 0 }: { refresh?: number }) {
  const t = useT();
  const [b, setB] = useState<api.Balance | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    const ctl = new AbortController();
    api.balance(ctl.signal).then(setB, (err: unknown) => {
      if (!ctl.signal.aborted) setError(err);
    });
    return () => ctl.abort();
  }, [refresh]);
  if (error) return <ErrorAlert error={error} />;
  if (!b) return <Skeleton active />;
  const low = b.low_balance_fen > 0 && b.available_fen < b.low_balance_fen;
  return (
    <Card title={t('billing.balance.title')} data-testid="balance-card" extra={low ? <Tag color="red">{t('billing.balance.low')}</Tag> : null}>
      <Row gutter={16}>
        <Col xs={12} md={6}>
          <Statistic title={t('billing.balance.available')} prefix="¥" value={api.yuan(b.available_fen)} data-testid="balance-available" />
        </Col>
        <Col xs={12} md={6}>
          <Statistic title={t('billing.balance.balance')} prefix="¥" value={api.yuan(b.balance_fen)} data-testid="balance-balance" />
        </Col>
        <Col xs={12} md={6}>
          <Statistic title={t('billing.balance.held')} prefix="¥" value={api.yuan(b.held_fen)} />
        </Col>
        <Col xs={12} md={6}>
          <Statistic title={t('billing.balance.credit')} prefix="¥" value={api.yuan(b.credit_limit_fen)} />
        </Col>
      </Row>
      {b.arrears_fen > 0 ? <p style={{ color: '#cf1322' }}>{t('billing.balance.arrears', { amount: api.yuan(b.arrears_fen) })}</p> : null}
      {b.plan ? (
        <p style={{ color: '#666', marginBottom: 0 }}>
          {t('billing.balance.plan', { name: b.plan.name, price: api.yuan(b.plan.per_minute_fen), inc: b.plan.increment_sec })}
        </p>
      ) : null}
    </Card>
  );
}
