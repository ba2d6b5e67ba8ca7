import { App as AntApp, Button, Card, Form, Input, Modal, Select, Space, Table, Tag } from 'antd';
import type { ColumnsType } from 'antd/es/table';
import { useState } from 'react';
import * as api from '../api/admin';
import type { Tenant, TenantStatus } from '../api/types';
import { formatDateTime, useI18n } from '../i18n';
import { applyFieldErrors, ErrorAlert, errorDetail, errorTitle } from '../shared/errors';
import { PageHeader } from '../shared/PageHeader';
import { TENANT_STATUS_COLOR, tenantStatusLabel } from '../shared/roles';
import { useCursorList } from '../shared/useCursorList';
import { usePageTitle } from '../shared/usePageTitle';
import { SupportViewModal, TenantEditModal } from './tenants/TenantEditModal';
import { TenantLedgerDrawer } from './billing/TenantLedgerDrawer';

const STATUSES: TenantStatus[] = ['pending', 'active', 'suspended'];

export function TenantsPage() {
  const { t, locale } = useI18n();
  const { modal, message } = AntApp.useApp();
  const [status, setStatus] = useState<TenantStatus | ''>('');
  const [q, setQ] = useState('');
  const [suspending, setSuspending] = useState<Tenant | null>(null);
  const [editing, setEditing] = useState<Tenant | null>(null);
  const [viewing, setViewing] = useState<Tenant | null>(null);
  const [ledgerOf, setLedgerOf] = useState<Tenant | null>(null);
  const list = useCursorList((p, signal) => api.listTenants(p, signal), { status, q });
  usePageTitle(t('nav.admin.tenants'), t('shell.admin_title'));

  const activate = (tn: Tenant) => {
    modal.confirm({
      title: t('tenants.activate.confirm', { name: tn.name }),
      content: t('tenants.activate.text'),
      okText: t('tenants.activate'),
      cancelText: t('common.cancel'),
      onOk: async () => {
        try {
          await api.activateTenant(tn.id);
          message.success(t('tenants.activated_ok', { name: tn.name }));
          list.reload();
        } catch (err) {
          message.error(`${errorTitle(t, err)} ${errorDetail(t, err)}`.trim());
        }
      },
    });
  };

  const columns: ColumnsType<Tenant> = [
    {
      title: t('tenants.company'),
      key: 'name',
      render: (_, tn) => (
        <div>
          <div style={{ fontWeight: 500 }}>{tn.name}</div>
          {tn.display_name && tn.display_name !== tn.name ? <div style={{ color: '#666' }}>{tn.display_name}</div> : null}
        </div>
      ),
    },
    {
      title: t('tenants.contact'),
      key: 'contact',
      render: (_, tn) => (
        <div>
          <div>{tn.contact_name}</div>
          <div style={{ color: '#666' }}>{tn.contact_email}</div>
          <div style={{ color: '#666' }}>{tn.contact_phone}</div>
        </div>
      ),
    },
    {
      title: t('field.status'),
      dataIndex: 'status',
      key: 'status',
      render: (s: string) => (
        <Tag color={TENANT_STATUS_COLOR[s]} data-testid="tenant-status">
          {tenantStatusLabel(t, s)}
        </Tag>
      ),
    },
    { title: t('field.line_quota'), dataIndex: 'line_quota', key: 'line_quota' },
    {
      title: t('tenants.balance'),
      key: 'balance',
      // The balance opens the tenant's ledger (billing's drawer).
      render: (_, tn) =>
        tn.balance_fen == null ? (
          '—'
        ) : (
          <Button type="link" size="small" onClick={() => setLedgerOf(tn)} aria-label={t('billing.admin.ledger.open_named', { name: tn.name })}>
            ¥{(tn.balance_fen / 100).toFixed(2)}
          </Button>
        ),
    },
    {
      title: t('tenants.usage_30d'),
      key: 'usage',
      render: (_, tn) => t('tenants.usage_value', { calls: tn.calls_30d ?? 0, answered: tn.answered_30d ?? 0 }),
    },
    { title: t('field.created_at'), dataIndex: 'created_at', key: 'created_at', render: (v: string) => formatDateTime(locale, v) },
    {
      title: t('common.actions'),
      key: 'actions',
      render: (_, tn) => (
        <Space wrap>
          {tn.status !== 'active' ? (
            <Button size="small" type="primary" onClick={() => activate(tn)} aria-label={t('tenants.activate_named', { name: tn.name })}>
              {t('tenants.activate')}
            </Button>
          ) : null}
          <Button size="small" onClick={() => setEditing(tn)} aria-label={t('crm.tenant.edit_named', { name: tn.name })}>
            {t('crm.tenant.edit')}
          </Button>
          <Button size="small" onClick={() => setViewing(tn)} aria-label={t('crm.tenant.support_named', { name: tn.name })}>
            {t('crm.tenant.support_view')}
          </Button>
          {tn.status !== 'suspended' ? (
            <Button size="small" danger onClick={() => setSuspending(tn)} aria-label={t('tenants.suspend_named', { name: tn.name })}>
              {t('tenants.suspend')}
            </Button>
          ) : null}
        </Space>
      ),
    },
  ];

  return (
    <section aria-labelledby="page-title">
      <PageHeader title={t('nav.admin.tenants')} />
      <Card>
        <Space wrap style={{ marginBottom: 16 }} role="search" aria-label={t('tenants.filters')}>
          <Select<TenantStatus | ''>
            aria-label={t('field.status')}
            style={{ minWidth: 160 }}
            value={status}
            onChange={setStatus}
            options={[
              { value: '', label: t('tenants.status.all') },
              ...STATUSES.map((s) => ({ value: s, label: tenantStatusLabel(t, s) })),
            ]}
          />
          <Input.Search
            aria-label={t('tenants.search')}
            placeholder={t('tenants.search_placeholder')}
            allowClear
            enterButton={t('common.search')}
            onSearch={(v) => setQ(v.trim())}
            style={{ minWidth: 280 }}
          />
        </Space>
        {list.error ? <ErrorAlert error={list.error} /> : null}
        <Table<Tenant>
          rowKey="id"
          columns={columns}
          dataSource={list.items}
          loading={list.loading}
          pagination={false}
          scroll={{ x: true }}
          footer={list.hasMore ? () => <Button onClick={list.loadMore}>{t('common.load_more')}</Button> : undefined}
        />
      </Card>
      <TenantEditModal
        tenant={editing}
        onClose={() => setEditing(null)}
        onDone={() => {
          setEditing(null);
          message.success(t('crm.saved'));
          list.reload();
        }}
      />
      <SupportViewModal tenant={viewing} onClose={() => setViewing(null)} />
      <TenantLedgerDrawer tenant={ledgerOf} onClose={() => setLedgerOf(null)} />
      <SuspendModal
        tenant={suspending}
        onClose={() => setSuspending(null)}
        onDone={(tn) => {
          setSuspending(null);
          message.success(t('tenants.suspended_ok', { name: tn.name }));
          list.reload();
        }}
      />
    </section>
  );
}

/** Suspending stops a tenant's calls, so it asks for a reason (kept in the audit log) and a second click. */
function SuspendModal({ tenant, onClose, onDone }: { tenant: Tenant | null; onClose: () => void; onDone: (t: Tenant) => void }) {
  const { t } = useI18n();
  const [form] = Form.useForm<{ reason: string }>();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  const submit = async ({ reason }: { reason: string }) => {
    if (!tenant) return;
    setBusy(true);
    setError(null);
    try {
      await api.suspendTenant(tenant.id, reason.trim());
      form.resetFields();
      onDone(tenant);
    } catch (err) {
      if (!applyFieldErrors(form, err, ['reason'])) setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Modal
      open={tenant !== null}
      title={t('tenants.suspend.confirm', { name: tenant?.name ?? '' })}
      okText={t('tenants.suspend')}
      okButtonProps={{ danger: true }}
      cancelText={t('common.cancel')}
      confirmLoading={busy}
      onOk={() => form.submit()}
      onCancel={() => {
        form.resetFields();
        setError(null);
        onClose();
      }}
      forceRender
    >
      <p>{t('tenants.suspend.text')}</p>
      <Form form={form} name="suspend_tenant" layout="vertical" onFinish={submit}>
        <Form.Item
          name="reason"
          label={t('tenants.suspend.reason')}
          rules={[
            { required: true, whitespace: true, message: t('validation.required') },
            { max: 500, message: t('validation.too_long') },
          ]}
        >
          <Input.TextArea rows={3} showCount maxLength={500} />
        </Form.Item>
      </Form>
      {error ? <ErrorAlert error={error} /> : null}
    </Modal>
  );
}
