import { Card, Col, Row, Segmented, Statistic, Table } from 'antd';
import { useEffect, useState } from 'react';
import * as api from '../../api/crm';
import { useT } from '../../i18n';
import { ErrorAlert } from '../../shared/errors';
import { PageHeader } from '../../shared/PageHeader';
import { usePageTitle } from '../../shared/usePageTitle';
import { BarChart } from './BarChart';

const pct = (v: number) => `${(v * 100).toFixed(1)}%`;

export default function StatsPage() {
  const t = useT();
  const [days, setDays] = useState(30);
  const [funnel, setFunnel] = useState<api.Funnel | null>(null);
  const [traffic, setTraffic] = useState<api.Traffic | null>(null);
  const [platform, setPlatform] = useState<api.PlatformStats | null>(null);
  const [error, setError] = useState<unknown>(null);
  usePageTitle(t('nav.admin.stats'), t('shell.admin_title'));

  useEffect(() => {
    const ctl = new AbortController();
    Promise.all([api.funnel(days, ctl.signal), api.traffic(days, ctl.signal), api.platform(days, ctl.signal)]).then(
      ([f, tr, p]) => {
        setFunnel(f);
        setTraffic(tr);
        setPlatform(p);
      },
      (err: unknown) => {
        if (!ctl.signal.aborted) setError(err);
      },
    );
    return () => ctl.abort();
  }, [days]);

  const steps: { key: keyof api.Funnel; label: string }[] = [
    { key: 'visitors', label: t('stats.funnel.visitors') },
    { key: 'leads', label: t('stats.funnel.leads') },
    { key: 'activated', label: t('stats.funnel.activated') },
    { key: 'first_recharge', label: t('stats.funnel.first_recharge') },
  ];
  const countCols = [
    { title: t('stats.key'), dataIndex: 'key', key: 'key' },
    { title: t('stats.count'), dataIndex: 'count', key: 'count', width: 90 },
  ];

  return (
    <section aria-labelledby="page-title">
      <PageHeader
        title={t('nav.admin.stats')}
        extra={
          <Segmented<number>
            aria-label={t('stats.range')}
            value={days}
            onChange={setDays}
            options={[7, 30, 90].map((d) => ({ value: d, label: t('stats.days', { n: d }) }))}
          />
        }
      />
      {error ? <ErrorAlert error={error} /> : null}
      <Card title={t('stats.funnel')} style={{ marginBottom: 16 }}>
        <Row gutter={16}>
          {steps.map((s) => (
            <Col xs={12} md={6} key={s.key}>
              <Statistic title={s.label} value={funnel ? funnel[s.key] : '—'} valueRender={(node) => <span data-testid={`funnel-${s.key}`}>{node}</span>} />
            </Col>
          ))}
        </Row>
        {funnel ? (
          <p style={{ color: '#595959', marginBottom: 0 }}>{t('stats.funnel.split', { contacts: funnel.contacts, signups: funnel.signups })}</p>
        ) : null}
      </Card>
      <Card title={t('stats.platform')} style={{ marginBottom: 16 }}>
        <Row gutter={16} style={{ marginBottom: 16 }}>
          <Col xs={12} md={4}>
            <Statistic title={t('stats.calls')} value={platform?.calls ?? '—'} />
          </Col>
          <Col xs={12} md={4}>
            <Statistic title={t('stats.minutes')} value={platform?.minutes ?? '—'} />
          </Col>
          <Col xs={12} md={4}>
            <Statistic title={t('stats.connect_rate')} value={platform ? pct(platform.connect_rate) : '—'} />
          </Col>
          <Col xs={12} md={4}>
            <Statistic
              title={t('stats.revenue')}
              value={platform ? (platform.revenue_available ? (platform.revenue_fen / 100).toFixed(2) : t('stats.not_available')) : '—'}
            />
          </Col>
          <Col xs={12} md={4}>
            <Statistic title={t('stats.active_tenants')} value={platform?.active_tenants ?? '—'} />
          </Col>
          <Col xs={12} md={4}>
            <Statistic title={t('stats.tenants')} value={platform?.tenants ?? '—'} />
          </Col>
        </Row>
        <Row gutter={16}>
          <Col xs={24} md={12}>
            <BarChart title={t('stats.calls_by_day')} bars={(platform?.days ?? []).map((d) => ({ label: d.day, value: d.calls }))} />
          </Col>
          <Col xs={24} md={12}>
            <BarChart title={t('stats.minutes_by_day')} color="#2e7d32" bars={(platform?.days ?? []).map((d) => ({ label: d.day, value: d.minutes }))} />
          </Col>
        </Row>
        <Table<api.PlatformDay>
          style={{ marginTop: 16 }}
          size="small"
          rowKey="day"
          pagination={false}
          dataSource={platform?.days ?? []}
          columns={[
            { title: t('stats.day'), dataIndex: 'day', key: 'day' },
            { title: t('stats.calls'), dataIndex: 'calls', key: 'calls' },
            { title: t('stats.minutes'), dataIndex: 'minutes', key: 'minutes' },
            { title: t('stats.connect_rate'), dataIndex: 'connect_rate', key: 'rate', render: (v: number) => pct(v) },
            { title: t('stats.active_tenants'), dataIndex: 'active_tenants', key: 'at' },
          ]}
        />
      </Card>
      <Card title={t('stats.traffic')}>
        <Row gutter={16} style={{ marginBottom: 16 }}>
          <Col xs={12} md={6}>
            <Statistic title={t('stats.views')} value={traffic?.views ?? '—'} />
          </Col>
          <Col xs={12} md={6}>
            <Statistic title={t('stats.funnel.visitors')} value={traffic?.visitors ?? '—'} />
          </Col>
          <Col xs={24} md={12}>
            <BarChart title={t('stats.views_by_day')} bars={(traffic?.by_day ?? []).map((d) => ({ label: d.day, value: d.views }))} />
          </Col>
        </Row>
        <Row gutter={16}>
          {(
            [
              ['pages', t('stats.pages')],
              ['landings', t('stats.landings')],
              ['referrers', t('stats.referrers')],
              ['campaigns', t('stats.campaigns')],
            ] as const
          ).map(([k, title]) => (
            <Col xs={24} md={12} lg={6} key={k}>
              <Table<api.Count> title={() => title} size="small" rowKey="key" pagination={false} dataSource={traffic?.[k] ?? []} columns={countCols} />
            </Col>
          ))}
        </Row>
      </Card>
    </section>
  );
}
