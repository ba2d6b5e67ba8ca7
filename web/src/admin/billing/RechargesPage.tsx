import { App as AntApp, Button, Card, Form, Input, Modal, Select, Space, Table, Tabs, Tag } from 'antd';
import { useEffect, useState } from 'react';
import * as api from '../../api/billing';
import { formatDateTime, useI18n, type MessageKey } from '../../i18n';
import { applyFieldErrors, ErrorAlert, errorDetail, errorTitle } from '../../shared/errors';
import { PageHeader } from '../../shared/PageHeader';
import { useCursorList } from '../../shared/useCursorList';
import { usePageTitle } from '../../shared/usePageTitle';
import { TenantLedgerDrawer } from './TenantLedgerDrawer';

function PendingRecharges() {
  const { t, locale } = useI18n();
  const { message } = AntApp.useApp();
  const [state, setState] = useState<string>('pending');
  const [confirming, setConfirming] = useState<api.Recharge | null>(null);
  const [rejecting, setRejecting] = useState<api.Recharge | null>(null);
  const [text, setText] = useState('');
  const list = useCursorList((p, s) => api.adminRecharges(p, s), { state });

  const act = async () => {
    try {
      if (confirming) await api.confirmRecharge(confirming.id, text);
      if (rejecting) await api.rejectRecharge(rejecting.id, text);
      message.success(confirming ? t('billing.admin.confirmed') : t('billing.admin.rejected'));
      setConfirming(null);
      setRejecting(null);
      setText('');
      list.reload();
    } catch (err) {
      message.error(`${errorTitle(t, err)} ${errorDetail(t, err)}`.trim());
    }
  };

  return (
    <Card>
      <Select
        aria-label={t('field.status')}
        value={state}
        onChange={setState}
        style={{ minWidth: 160, marginBottom: 16 }}
        options={['', 'pending', 'paid', 'canceled', 'rejected'].map((s) => ({ value: s, label: s ? t(`billing.state.${s}` as MessageKey) : t('billing.all') }))}
      />
      {list.error ? <ErrorAlert error={list.error} /> : null}
      <Table
        rowKey="id"
        pagination={false}
        loading={list.loading}
        dataSource={list.items}
        data-testid="admin-recharges"
        columns={[
          { title: t('billing.recharge.no'), dataIndex: 'no', key: 'no' },
          { title: t('billing.tenant'), dataIndex: 'tenant_id', key: 'tenant' },
          { title: t('billing.amount'), key: 'amount', render: (_, o) => `¥${api.yuan(o.amount_fen)}` },
          { title: t('billing.recharge.payer'), dataIndex: 'payer_name', key: 'payer' },
          { title: t('field.status'), key: 'state', render: (_, o) => <Tag>{t(`billing.state.${o.state}` as MessageKey)}</Tag> },
          { title: t('field.created_at'), key: 'created', render: (_, o) => formatDateTime(locale, o.created_at) },
          {
            title: t('common.actions'),
            key: 'a',
            render: (_, o) =>
              o.state === 'pending' ? (
                <Space>
                  <Button size="small" type="primary" onClick={() => setConfirming(o)} aria-label={t('billing.admin.confirm_named', { no: o.no })}>
                    {t('billing.admin.confirm')}
                  </Button>
                  <Button size="small" danger onClick={() => setRejecting(o)}>
                    {t('billing.admin.reject')}
                  </Button>
                </Space>
              ) : null,
          },
        ]}
      />
      {list.hasMore ? <Button onClick={list.loadMore}>{t('common.load_more')}</Button> : null}
      <Modal
        open={confirming !== null || rejecting !== null}
        title={confirming ? t('billing.admin.confirm_title', { no: confirming.no, amount: api.yuan(confirming.amount_fen) }) : t('billing.admin.reject')}
        onOk={act}
        okText={confirming ? t('billing.admin.confirm') : t('billing.admin.reject')}
        cancelText={t('common.cancel')}
        onCancel={() => {
          setConfirming(null);
          setRejecting(null);
        }}
      >
        <Input
          aria-label={confirming ? t('billing.admin.reference') : t('billing.reason')}
          placeholder={confirming ? t('billing.admin.reference') : t('billing.reason')}
          value={text}
          maxLength={confirming ? 128 : 255}
          onChange={(e) => setText(e.target.value)}
        />
      </Modal>
    </Card>
  );
}

function Balances() {
  const { t } = useI18n();
  const { message } = AntApp.useApp();
  const list = useCursorList((p, s) => api.balances(p, s), {});
  const [plans, setPlans] = useState<api.PricePlan[]>([]);
  const [adjusting, setAdjusting] = useState<api.TenantBalance | null>(null);
  const [stmt, setStmt] = useState<api.TenantBalance | null>(null);
  const [ledgerOf, setLedgerOf] = useState<api.TenantBalance | null>(null);
  const [month, setMonth] = useState(new Date(Date.now() + 8 * 3600000).toISOString().slice(0, 7));
  const send = async () => {
    if (!stmt) return;
    try {
      await api.sendStatement(stmt.tenant_id, month);
      message.success(t('billing.admin.statement_sent'));
      setStmt(null);
    } catch (err) {
      message.error(`${errorTitle(t, err)} ${errorDetail(t, err)}`.trim());
    }
  };
  const [form] = Form.useForm<{ kind: string; amount: string; reason: string }>();
  useEffect(() => {
    api.plans().then((r) => setPlans(r.items), () => undefined);
  }, []);
  const adjust = async () => {
    const v = await form.validateFields();
    const fen = api.toFen(v.amount);
    if (!adjusting || fen === null) {
      form.setFields([{ name: 'amount', errors: [t('billing.recharge.amount_invalid')] }]);
      return;
    }
    try {
      await api.adjust(adjusting.tenant_id, { kind: v.kind, amount_fen: fen, reason: v.reason });
      setAdjusting(null);
      form.resetFields();
      list.reload();
    } catch (err) {
      if (!applyFieldErrors(form, err, ['kind', 'reason'])) message.error(`${errorTitle(t, err)} ${errorDetail(t, err)}`.trim());
    }
  };
  const assign = async (tb: api.TenantBalance, planId: number) => {
    try {
      await api.assignPlan(tb.tenant_id, planId);
      list.reload();
    } catch (err) {
      message.error(`${errorTitle(t, err)} ${errorDetail(t, err)}`.trim());
    }
  };
  return (
    <Card>
      {list.error ? <ErrorAlert error={list.error} /> : null}
      <Table
        rowKey="tenant_id"
        pagination={false}
        loading={list.loading}
        dataSource={list.items}
        columns={[
          { title: t('billing.tenant'), dataIndex: 'name', key: 'name' },
          { title: t('billing.balance.available'), key: 'av', render: (_, b) => `¥${api.yuan(b.available_fen)}` },
          { title: t('billing.balance.balance'), key: 'bal', render: (_, b) => `¥${api.yuan(b.balance_fen)}` },
          { title: t('billing.balance.held'), key: 'held', render: (_, b) => `¥${api.yuan(b.held_fen)}` },
          { title: t('billing.balance.credit'), key: 'cr', render: (_, b) => `¥${api.yuan(b.credit_limit_fen)}` },
          { title: t('billing.admin.arrears'), key: 'arr', render: (_, b) => (b.arrears_fen > 0 ? <Tag color="red">¥{api.yuan(b.arrears_fen)}</Tag> : '—') },
          {
            title: t('billing.admin.plan'),
            key: 'plan',
            render: (_, b) => (
              <Select
                size="small"
                style={{ minWidth: 140 }}
                aria-label={t('billing.admin.plan')}
                value={b.price_plan_id ? Number(b.price_plan_id) : 0}
                onChange={(v) => assign(b, v)}
                options={[{ value: 0, label: t('billing.plan.default') }, ...plans.map((p) => ({ value: Number(p.id), label: p.name }))]}
              />
            ),
          },
          {
            title: t('common.actions'),
            key: 'a',
            render: (_, b) => (
              <Space>
                <Button size="small" onClick={() => setAdjusting(b)}>
                  {t('billing.admin.adjust')}
                </Button>
                <Button size="small" onClick={() => setStmt(b)}>
                  {t('billing.admin.statement')}
                </Button>
                <Button size="small" onClick={() => setLedgerOf(b)} aria-label={t('billing.admin.ledger.open_named', { name: b.name })}>
                  {t('billing.admin.ledger.open')}
                </Button>
              </Space>
            ),
          },
        ]}
      />
      {list.hasMore ? <Button onClick={list.loadMore}>{t('common.load_more')}</Button> : null}
      <TenantLedgerDrawer tenant={ledgerOf ? { id: ledgerOf.tenant_id, name: ledgerOf.name } : null} onClose={() => setLedgerOf(null)} />
      <Modal
        open={stmt !== null}
        title={t('billing.admin.statement_title', { name: stmt?.name ?? '' })}
        onCancel={() => setStmt(null)}
        footer={
          <Space>
            <Button href={stmt ? api.adminStatementXlsxURL(stmt.tenant_id, month) : undefined} download>
              {t('billing.statement.download')}
            </Button>
            <Button type="primary" onClick={send}>
              {t('billing.admin.statement_send')}
            </Button>
          </Space>
        }
      >
        <Input type="month" aria-label={t('billing.statement.month')} value={month} onChange={(e) => setMonth(e.target.value)} />
      </Modal>
      <Modal open={adjusting !== null} title={t('billing.admin.adjust_title', { name: adjusting?.name ?? '' })} onOk={adjust} onCancel={() => setAdjusting(null)} okText={t('billing.save')} cancelText={t('common.cancel')}>
        <Form form={form} layout="vertical" initialValues={{ kind: 'gift' }}>
          <Form.Item name="kind" label={t('billing.ledger.kind')}>
            <Select options={['gift', 'credit', 'debit'].map((k) => ({ value: k, label: t(`billing.adjust.${k}` as MessageKey) }))} />
          </Form.Item>
          <Form.Item name="amount" label={t('billing.recharge.amount_yuan')} rules={[{ required: true }]}>
            <Input inputMode="decimal" />
          </Form.Item>
          <Form.Item name="reason" label={t('billing.reason')} rules={[{ required: true, message: t('billing.reason_required') }]}>
            <Input maxLength={255} />
          </Form.Item>
        </Form>
      </Modal>
    </Card>
  );
}

function Revenue() {
  const { t } = useI18n();
  const [by, setBy] = useState<'day' | 'tenant'>('day');
  const [from, setFrom] = useState(new Date(Date.now() - 29 * 86400000).toISOString().slice(0, 10));
  const [to, setTo] = useState(new Date(Date.now() + 8 * 3600000).toISOString().slice(0, 10));
  const [rows, setRows] = useState<api.RevenueRow[]>([]);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    const ctl = new AbortController();
    setError(null);
    api.revenue(by, from, to, ctl.signal).then(
      (r) => setRows(r.items),
      (err: unknown) => {
        if (!ctl.signal.aborted) setError(err);
      },
    );
    return () => ctl.abort();
  }, [by, from, to]);
  const total = rows.reduce((s, r) => s + r.amount_fen, 0);
  return (
    <Card>
      <Space wrap style={{ marginBottom: 16 }}>
        <Select aria-label={t('billing.admin.by')} value={by} onChange={setBy} options={[{ value: 'day', label: t('billing.admin.by_day') }, { value: 'tenant', label: t('billing.admin.by_tenant') }]} />
        <Input type="date" aria-label={t('billing.from')} value={from} onChange={(e) => setFrom(e.target.value)} />
        <Input type="date" aria-label={t('billing.to')} value={to} onChange={(e) => setTo(e.target.value)} />
        <strong>{t('billing.admin.total', { amount: api.yuan(total) })}</strong>
      </Space>
      {error ? <ErrorAlert error={error} /> : null}
      <Table
        rowKey="key"
        dataSource={rows}
        pagination={{ pageSize: 31 }}
        columns={[
          { title: by === 'day' ? t('billing.day') : t('billing.tenant'), key: 'k', render: (_, r) => (by === 'day' ? r.key : r.name) },
          { title: t('billing.calls'), dataIndex: 'calls', key: 'calls' },
          { title: t('billing.amount'), key: 'amount', render: (_, r) => `¥${api.yuan(r.amount_fen)}` },
        ]}
      />
    </Card>
  );
}

export function RechargesPage() {
  const { t } = useI18n();
  usePageTitle(t('nav.admin.recharges'), t('shell.admin_title'));
  return (
    <section aria-labelledby="page-title">
      <PageHeader title={t('nav.admin.recharges')} />
      <Tabs
        items={[
          { key: 'recharges', label: t('billing.admin.tab.recharges'), children: <PendingRecharges /> },
          { key: 'balances', label: t('billing.admin.tab.balances'), children: <Balances /> },
          { key: 'revenue', label: t('billing.admin.tab.revenue'), children: <Revenue /> },
        ]}
      />
    </section>
  );
}

