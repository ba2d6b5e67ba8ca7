import { App as AntApp, Button, Card, Descriptions, Empty, Form, Input, Select, Space, Table, Tabs, Tag } from 'antd';
import type { ColumnsType } from 'antd/es/table';
import { useEffect, useState } from 'react';
import * as api from '../../api/billing';
import { formatDateTime, useI18n, type MessageKey } from '../../i18n';
import { applyFieldErrors, ErrorAlert, errorDetail, errorTitle } from '../../shared/errors';
import { PageHeader } from '../../shared/PageHeader';
import { useCursorList } from '../../shared/useCursorList';
import { usePageTitle } from '../../shared/usePageTitle';
import { BalanceCard } from './BalanceCard';

const STATE_COLOR: Record<string, string> = { pending: 'gold', paid: 'green', canceled: 'default', rejected: 'red', requested: 'gold', issued: 'green' };
const KINDS = ['charge', 'correction', 'recharge', 'gift', 'adjustment', 'collect'] as const;

function today(offsetDays = 0): string {
  const d = new Date(Date.now() + offsetDays * 86400000 + 8 * 3600000); // China Standard Time calendar
  return d.toISOString().slice(0, 10);
}

function useStateLabel() {
  const { t } = useI18n();
  return (s: string) => t(`billing.state.${s}` as MessageKey);
}

function RechargeTab({ onChange }: { onChange: () => void }) {
  const { t, locale } = useI18n();
  const { message, modal } = AntApp.useApp();
  const stateLabel = useStateLabel();
  const [form] = Form.useForm<{ amount: string; method: string; payer_name: string; note: string }>();
  const [methods, setMethods] = useState<string[]>(['bank_transfer']);
  useEffect(() => {
    api.balance().then((b) => setMethods(b.payment_methods?.length ? b.payment_methods : ['bank_transfer']), () => undefined);
  }, []);
  const [error, setError] = useState<unknown>(null);
  const [created, setCreated] = useState<api.Recharge | null>(null);
  const list = useCursorList((p, s) => api.recharges(p, s), {});

  const submit = async (v: { amount: string; method?: string; payer_name?: string; note?: string }) => {
    setError(null);
    const fen = api.toFen(v.amount);
    if (fen === null) {
      form.setFields([{ name: 'amount', errors: [t('billing.recharge.amount_invalid')] }]);
      return;
    }
    try {
      const o = await api.createRecharge({ amount_fen: fen, method: v.method ?? 'bank_transfer', payer_name: v.payer_name ?? '', note: v.note ?? '' });
      if (o.pay_url) {
        // Online payment: the provider's page; its signed callback credits the order.
        window.location.assign(o.pay_url);
        return;
      }
      setCreated(o);
      form.resetFields();
      message.success(t('billing.recharge.created', { no: o.no }));
      list.reload();
    } catch (err) {
      if (!applyFieldErrors(form, err, ['payer_name', 'note'])) setError(err);
    }
  };

  const cancel = (o: api.Recharge) =>
    modal.confirm({
      title: t('billing.recharge.cancel_confirm', { no: o.no }),
      okText: t('billing.recharge.cancel'),
      cancelText: t('common.cancel'),
      onOk: async () => {
        try {
          await api.cancelRecharge(o.id);
          list.reload();
          onChange();
        } catch (err) {
          message.error(`${errorTitle(t, err)} ${errorDetail(t, err)}`.trim());
        }
      },
    });

  const columns: ColumnsType<api.Recharge> = [
    { title: t('billing.recharge.no'), dataIndex: 'no', key: 'no' },
    { title: t('billing.amount'), key: 'amount', render: (_, o) => `¥${api.yuan(o.amount_fen)}` },
    { title: t('field.status'), key: 'state', render: (_, o) => <Tag color={STATE_COLOR[o.state]}>{stateLabel(o.state)}</Tag> },
    { title: t('field.created_at'), key: 'created_at', render: (_, o) => formatDateTime(locale, o.created_at) },
    {
      title: t('common.actions'),
      key: 'actions',
      render: (_, o) =>
        o.state === 'pending' ? (
          <Button size="small" onClick={() => cancel(o)}>
            {t('billing.recharge.cancel')}
          </Button>
        ) : null,
    },
  ];

  return (
    <Space direction="vertical" style={{ width: '100%' }} size={16}>
      <Card title={t('billing.recharge.new')}>
        <p style={{ color: '#666' }}>{t('billing.recharge.bank_hint')}</p>
        <Form form={form} layout="inline" onFinish={submit} requiredMark={false} initialValues={{ method: 'bank_transfer' }}>
          {methods.length > 1 ? (
            <Form.Item name="method" label={t('billing.recharge.method')}>
              <Select style={{ minWidth: 140 }} options={methods.map((m) => ({ value: m, label: t(`billing.method.${m}` as MessageKey) }))} />
            </Form.Item>
          ) : null}
          <Form.Item name="amount" label={t('billing.recharge.amount_yuan')} rules={[{ required: true, message: t('billing.recharge.amount_invalid') }]}>
            <Input inputMode="decimal" style={{ width: 160 }} />
          </Form.Item>
          <Form.Item name="payer_name" label={t('billing.recharge.payer')}>
            <Input maxLength={128} />
          </Form.Item>
          <Form.Item name="note" label={t('billing.recharge.note')}>
            <Input maxLength={255} />
          </Form.Item>
          <Form.Item>
            <Button type="primary" htmlType="submit">
              {t('billing.recharge.submit')}
            </Button>
          </Form.Item>
        </Form>
        {created ? (
          <p data-testid="recharge-created" style={{ marginTop: 12 }}>
            {t('billing.recharge.quote', { no: created.no, amount: api.yuan(created.amount_fen) })}
          </p>
        ) : null}
        {error ? <ErrorAlert error={error} /> : null}
      </Card>
      <Card title={t('billing.recharge.list')}>
        {list.error ? <ErrorAlert error={list.error} /> : null}
        <Table rowKey="id" columns={columns} dataSource={list.items} loading={list.loading} pagination={false} data-testid="recharge-table" />
        {list.hasMore ? <Button onClick={list.loadMore}>{t('common.load_more')}</Button> : null}
      </Card>
    </Space>
  );
}

function LedgerTab() {
  const { t, locale } = useI18n();
  const [kind, setKind] = useState('');
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const list = useCursorList((p, s) => api.ledger(p, s), { kind, from, to });
  const columns: ColumnsType<api.LedgerRow> = [
    { title: t('billing.ledger.at'), key: 'at', render: (_, r) => formatDateTime(locale, r.at) },
    { title: t('billing.ledger.kind'), key: 'kind', render: (_, r) => t(`billing.kind.${r.kind}` as MessageKey) },
    { title: t('billing.amount'), key: 'amount', align: 'right', render: (_, r) => <span style={{ color: r.amount_fen < 0 ? '#cf1322' : '#389e0d' }}>{api.yuan(r.amount_fen)}</span> },
    { title: t('billing.ledger.after'), key: 'after', align: 'right', render: (_, r) => (r.account === 'balance' ? api.yuan(r.balance_after_fen) : t('billing.ledger.arrears_account')) },
    { title: t('billing.ledger.memo'), dataIndex: 'memo', key: 'memo' },
  ];
  return (
    <Card>
      <Space wrap style={{ marginBottom: 16 }}>
        <Select
          aria-label={t('billing.ledger.kind')}
          style={{ minWidth: 160 }}
          value={kind}
          onChange={setKind}
          options={[{ value: '', label: t('billing.ledger.all_kinds') }, ...KINDS.map((k) => ({ value: k, label: t(`billing.kind.${k}` as MessageKey) }))]}
        />
        <Input type="date" aria-label={t('billing.from')} value={from} onChange={(e) => setFrom(e.target.value)} />
        <Input type="date" aria-label={t('billing.to')} value={to} onChange={(e) => setTo(e.target.value)} />
      </Space>
      {list.error ? <ErrorAlert error={list.error} /> : null}
      <Table rowKey="id" columns={columns} dataSource={list.items} loading={list.loading} pagination={false} data-testid="ledger-table" />
      {list.hasMore ? <Button onClick={list.loadMore}>{t('common.load_more')}</Button> : null}
    </Card>
  );
}

function ConsumptionTab() {
  const { t } = useI18n();
  const [from, setFrom] = useState(today(-29));
  const [to, setTo] = useState(today());
  const [rows, setRows] = useState<api.ConsumptionRow[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    const ctl = new AbortController();
    setError(null);
    api.consumption('day', from, to, ctl.signal).then(
      (r) => setRows(r.items),
      (err: unknown) => {
        if (!ctl.signal.aborted) setError(err);
      },
    );
    return () => ctl.abort();
  }, [from, to]);
  const byDay = new Map<string, number>();
  for (const r of rows ?? []) byDay.set(r.period, (byDay.get(r.period) ?? 0) + r.amount_fen);
  const max = Math.max(1, ...byDay.values());
  return (
    <Card>
      <Space wrap style={{ marginBottom: 16 }}>
        <Input type="date" aria-label={t('billing.from')} value={from} onChange={(e) => setFrom(e.target.value)} />
        <Input type="date" aria-label={t('billing.to')} value={to} onChange={(e) => setTo(e.target.value)} />
        <Button href={api.callChargesXlsxURL(from, to)} download>
          {t('billing.consumption.export')}
        </Button>
      </Space>
      {error ? <ErrorAlert error={error} /> : null}
      {rows && rows.length === 0 ? <Empty description={t('billing.consumption.empty')} /> : null}
      {/* A plain bar chart: one bar per day, height by amount. */}
      <div role="img" aria-label={t('billing.consumption.chart')} style={{ display: 'flex', alignItems: 'flex-end', gap: 4, height: 160, marginBottom: 16 }}>
        {[...byDay.entries()].map(([day, fen]) => (
          <div key={day} title={`${day} ¥${api.yuan(fen)}`} style={{ flex: 1, minWidth: 6, background: '#1677ff', height: `${Math.max(2, (fen / max) * 100)}%` }} />
        ))}
      </div>
      <Table
        rowKey={(r) => `${r.period}/${r.campaign_id}`}
        dataSource={rows ?? []}
        pagination={{ pageSize: 20 }}
        columns={[
          { title: t('billing.day'), dataIndex: 'period', key: 'period' },
          { title: t('billing.campaign'), dataIndex: 'campaign_id', key: 'campaign' },
          { title: t('billing.calls'), dataIndex: 'calls', key: 'calls' },
          { title: t('billing.amount'), key: 'amount', render: (_, r) => `¥${api.yuan(r.amount_fen)}` },
        ]}
      />
    </Card>
  );
}

function StatementTab() {
  const { t } = useI18n();
  const [month, setMonth] = useState(today().slice(0, 7));
  const [st, setSt] = useState<api.Statement | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    const ctl = new AbortController();
    setError(null);
    api.statement(month, ctl.signal).then(setSt, (err: unknown) => {
      if (!ctl.signal.aborted) setError(err);
    });
    return () => ctl.abort();
  }, [month]);
  return (
    <Card
      extra={
        <Button href={api.statementXlsxURL(month)} download>
          {t('billing.statement.download')}
        </Button>
      }
    >
      <Input type="month" aria-label={t('billing.statement.month')} value={month} onChange={(e) => setMonth(e.target.value)} style={{ width: 200, marginBottom: 16 }} />
      {error ? <ErrorAlert error={error} /> : null}
      {st ? (
        <Descriptions bordered size="small" column={{ xs: 1, md: 2 }}>
          <Descriptions.Item label={t('billing.statement.opening')}>¥{api.yuan(st.opening_fen)}</Descriptions.Item>
          <Descriptions.Item label={t('billing.statement.closing')}>¥{api.yuan(st.closing_fen)}</Descriptions.Item>
          {KINDS.map((k) => (
            <Descriptions.Item key={k} label={t(`billing.kind.${k}` as MessageKey)}>
              ¥{api.yuan(st.movements_fen[k] ?? 0)}
            </Descriptions.Item>
          ))}
          <Descriptions.Item label={t('billing.statement.consumption')}>¥{api.yuan(st.consumption_fen)}</Descriptions.Item>
          <Descriptions.Item label={t('billing.calls')}>{st.calls}</Descriptions.Item>
        </Descriptions>
      ) : null}
    </Card>
  );
}

function InvoicesTab() {
  const { t, locale } = useI18n();
  const { message } = AntApp.useApp();
  const stateLabel = useStateLabel();
  const [titles, setTitles] = useState<api.InvoiceTitle[]>([]);
  const [gen, setGen] = useState(0);
  const [titleForm] = Form.useForm<api.TitleInput>();
  const [reqForm] = Form.useForm<{ title_id: number; amount: string; email: string }>();
  const [error, setError] = useState<unknown>(null);
  const list = useCursorList((p, s) => api.invoices(p, s), { gen });
  useEffect(() => {
    const ctl = new AbortController();
    api.titles(ctl.signal).then((r) => setTitles(r.items), () => undefined);
    return () => ctl.abort();
  }, [gen]);

  const saveTitle = async (v: api.TitleInput) => {
    setError(null);
    try {
      await api.saveTitle({ company: v.company, tax_id: v.tax_id, address: v.address ?? '', phone: v.phone ?? '', bank: v.bank ?? '', bank_account: v.bank_account ?? '' });
      titleForm.resetFields();
      setGen((g) => g + 1);
      message.success(t('billing.invoice.title_saved'));
    } catch (err) {
      if (!applyFieldErrors(titleForm, err, ['company', 'tax_id', 'address', 'phone', 'bank', 'bank_account'])) setError(err);
    }
  };
  const request = async (v: { title_id: number; amount: string; email?: string }) => {
    setError(null);
    const fen = api.toFen(v.amount);
    if (fen === null) {
      reqForm.setFields([{ name: 'amount', errors: [t('billing.recharge.amount_invalid')] }]);
      return;
    }
    try {
      await api.requestInvoice({ title_id: v.title_id, amount_fen: fen, email: v.email ?? '' });
      reqForm.resetFields();
      setGen((g) => g + 1);
      message.success(t('billing.invoice.requested'));
    } catch (err) {
      if (!applyFieldErrors(reqForm, err, ['amount_fen', 'email', 'title_id'])) setError(err);
    }
  };

  return (
    <Space direction="vertical" style={{ width: '100%' }} size={16}>
      {error ? <ErrorAlert error={error} /> : null}
      <Card title={t('billing.invoice.titles')}>
        <Table
          rowKey="id"
          size="small"
          pagination={false}
          dataSource={titles}
          columns={[
            { title: t('billing.invoice.company'), dataIndex: 'company', key: 'company' },
            { title: t('billing.invoice.tax_id'), dataIndex: 'tax_id', key: 'tax_id' },
            { title: t('billing.invoice.bank'), key: 'bank', render: (_, x) => `${x.bank} ${x.bank_account}` },
            {
              title: t('common.actions'),
              key: 'a',
              render: (_, x) => (
                <Button
                  size="small"
                  danger
                  onClick={async () => {
                    try {
                      await api.deleteTitle(x.id);
                      setGen((g) => g + 1);
                    } catch (err) {
                      setError(err);
                    }
                  }}
                >
                  {t('billing.invoice.delete_title')}
                </Button>
              ),
            },
          ]}
        />
        <Form form={titleForm} layout="inline" onFinish={saveTitle} style={{ marginTop: 16 }} requiredMark={false}>
          <Form.Item name="company" label={t('billing.invoice.company')} rules={[{ required: true }]}>
            <Input maxLength={128} />
          </Form.Item>
          <Form.Item name="tax_id" label={t('billing.invoice.tax_id')} rules={[{ required: true }]}>
            <Input maxLength={20} />
          </Form.Item>
          <Form.Item name="address" label={t('billing.invoice.address')}>
            <Input maxLength={255} />
          </Form.Item>
          <Form.Item name="phone" label={t('field.phone')}>
            <Input maxLength={32} />
          </Form.Item>
          <Form.Item name="bank" label={t('billing.invoice.bank')}>
            <Input maxLength={128} />
          </Form.Item>
          <Form.Item name="bank_account" label={t('billing.invoice.bank_account')}>
            <Input maxLength={64} />
          </Form.Item>
          <Button htmlType="submit">{t('billing.invoice.save_title')}</Button>
        </Form>
      </Card>
      <Card title={t('billing.invoice.request')}>
        <Form form={reqForm} layout="inline" onFinish={request} requiredMark={false}>
          <Form.Item name="title_id" label={t('billing.invoice.title')} rules={[{ required: true }]}>
            <Select style={{ minWidth: 220 }} options={titles.map((x) => ({ value: x.id, label: x.company }))} />
          </Form.Item>
          <Form.Item name="amount" label={t('billing.recharge.amount_yuan')} rules={[{ required: true }]}>
            <Input inputMode="decimal" style={{ width: 160 }} />
          </Form.Item>
          <Form.Item name="email" label={t('field.email')}>
            <Input maxLength={191} />
          </Form.Item>
          <Button type="primary" htmlType="submit">
            {t('billing.invoice.submit')}
          </Button>
        </Form>
      </Card>
      <Card title={t('billing.invoice.list')}>
        {list.error ? <ErrorAlert error={list.error} /> : null}
        <Table
          rowKey="id"
          pagination={false}
          loading={list.loading}
          dataSource={list.items}
          columns={[
            { title: t('billing.invoice.company'), dataIndex: 'company', key: 'company' },
            { title: t('billing.amount'), key: 'amount', render: (_, x) => `¥${api.yuan(x.amount_fen)}` },
            { title: t('field.status'), key: 'state', render: (_, x) => <Tag color={STATE_COLOR[x.state]}>{stateLabel(x.state)}</Tag> },
            { title: t('field.created_at'), key: 'created', render: (_, x) => formatDateTime(locale, x.created_at) },
            {
              title: t('common.actions'),
              key: 'actions',
              render: (_, x) =>
                x.state === 'issued' ? (
                  <a href={api.invoicePdfURL(x.id)} download>
                    {t('billing.invoice.download')}
                  </a>
                ) : x.state === 'rejected' ? (
                  <span>{x.reject_reason}</span>
                ) : null,
            },
          ]}
        />
        {list.hasMore ? <Button onClick={list.loadMore}>{t('common.load_more')}</Button> : null}
      </Card>
    </Space>
  );
}

export function BillingPage() {
  const { t } = useI18n();
  const [refresh, setRefresh] = useState(0);
  usePageTitle(t('nav.console.billing'), 'waihu');
  return (
    <section aria-labelledby="page-title">
      <PageHeader title={t('nav.console.billing')} />
      <div style={{ marginBottom: 16 }}>
        <BalanceCard refresh={refresh} />
      </div>
      <Tabs
        items={[
          { key: 'recharge', label: t('billing.tab.recharge'), children: <RechargeTab onChange={() => setRefresh((r) => r + 1)} /> },
          { key: 'ledger', label: t('billing.tab.ledger'), children: <LedgerTab /> },
          { key: 'consumption', label: t('billing.tab.consumption'), children: <ConsumptionTab /> },
          { key: 'statement', label: t('billing.tab.statement'), children: <StatementTab /> },
          { key: 'invoices', label: t('billing.tab.invoices'), children: <InvoicesTab /> },
        ]}
      />
    </section>
  );
}
