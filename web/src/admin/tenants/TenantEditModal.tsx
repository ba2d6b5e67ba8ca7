import { Button, Descriptions, Form, Input, InputNumber, Modal, Table, Tag } from 'antd';
import { useEffect, useState } from 'react';
import * as api from '../../api/crm';
import type { Tenant } from '../../api/types';
import { useT } from '../../i18n';
import { applyFieldErrors, ErrorAlert } from '../../shared/errors';
import { roleLabel } from '../../shared/roles';

interface EditValues {
  display_name: string;
  logo_url: string;
  line_quota: number;
  price_plan_id?: number | null;
  features: string;
}

/** Edits a tenant's plan, line quota, feature flags and branding (audited server-side). */
export function TenantEditModal({ tenant, onClose, onDone }: { tenant: Tenant | null; onClose: () => void; onDone: () => void }) {
  const t = useT();
  const [form] = Form.useForm<EditValues>();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  useEffect(() => {
    if (!tenant) return;
    const flags = Object.entries(tenant.features ?? {})
      .filter(([, on]) => on === true)
      .map(([k]) => k);
    const plan = (tenant as Tenant & { price_plan_id?: number | null }).price_plan_id;
    form.setFieldsValue({ display_name: tenant.display_name, logo_url: tenant.logo_url, line_quota: tenant.line_quota, price_plan_id: plan ?? null, features: flags.join(', ') });
  }, [tenant, form]);

  const submit = async (v: EditValues) => {
    if (!tenant) return;
    setBusy(true);
    setError(null);
    const features: Record<string, boolean> = {};
    for (const [k, on] of Object.entries(tenant.features ?? {})) if (on === true) features[k] = false;
    for (const f of v.features.split(/[,，\s]+/).filter(Boolean)) features[f] = true;
    try {
      await api.updateTenant(tenant.id, {
        display_name: v.display_name.trim(),
        logo_url: v.logo_url.trim(),
        line_quota: v.line_quota,
        ...(v.price_plan_id ? { price_plan_id: v.price_plan_id } : {}),
        features,
      });
      onDone();
    } catch (err) {
      if (!applyFieldErrors(form, err, ['display_name', 'logo_url', 'line_quota', 'price_plan_id', 'features'])) setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Modal
      open={tenant !== null}
      title={t('crm.tenant.edit_title', { name: tenant?.name ?? '' })}
      okText={t('crm.save')}
      cancelText={t('common.cancel')}
      confirmLoading={busy}
      onOk={() => form.submit()}
      onCancel={onClose}
      forceRender
    >
      <Form form={form} name="edit_tenant" layout="vertical" onFinish={submit}>
        <Form.Item name="display_name" label={t('crm.tenant.display_name')} rules={[{ required: true, whitespace: true, message: t('validation.required') }, { max: 128 }]}>
          <Input maxLength={128} />
        </Form.Item>
        <Form.Item name="logo_url" label={t('crm.tenant.logo_url')} rules={[{ max: 512 }]}>
          <Input maxLength={512} placeholder="https://…" />
        </Form.Item>
        <Form.Item name="line_quota" label={t('field.line_quota')} rules={[{ required: true }]}>
          <InputNumber min={0} max={100000} style={{ width: '100%' }} />
        </Form.Item>
        <Form.Item name="price_plan_id" label={t('crm.tenant.price_plan_id')}>
          <InputNumber min={1} style={{ width: '100%' }} />
        </Form.Item>
        <Form.Item name="features" label={t('crm.tenant.features')} extra={t('crm.tenant.features_hint')}>
          <Input maxLength={1000} />
        </Form.Item>
      </Form>
      {error ? <ErrorAlert error={error} /> : null}
    </Modal>
  );
}

/** The support view: what the tenant's console holds, read-only; opening it is audited. */
export function SupportViewModal({ tenant, onClose }: { tenant: Tenant | null; onClose: () => void }) {
  const t = useT();
  const [view, setView] = useState<api.SupportView | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    setView(null);
    setError(null);
    if (!tenant) return;
    const ctl = new AbortController();
    api.supportView(tenant.id, ctl.signal).then(setView, (err: unknown) => {
      if (!ctl.signal.aborted) setError(err);
    });
    return () => ctl.abort();
  }, [tenant]);
  return (
    <Modal open={tenant !== null} title={t('crm.tenant.support_view')} footer={null} onCancel={onClose} width={720}>
      <p>
        <Tag color="orange">{t('crm.tenant.read_only')}</Tag> {t('crm.tenant.support_hint')}
      </p>
      {tenant ? (
        <p>
          <Button
            type="primary"
            onClick={async () => {
              try {
                const r = await api.supportSession(tenant.id);
                window.open(r.redirect, '_blank', 'noopener');
              } catch (err) {
                setError(err);
              }
            }}
          >
            {t('crm.tenant.open_console')}
          </Button>
        </p>
      ) : null}
      {error ? <ErrorAlert error={error} /> : null}
      {view ? (
        <>
          <Descriptions size="small" column={2}>
            <Descriptions.Item label={t('tenants.company')}>{view.tenant.name}</Descriptions.Item>
            <Descriptions.Item label={t('field.status')}>{view.tenant.status}</Descriptions.Item>
            <Descriptions.Item label={t('field.line_quota')}>{view.tenant.line_quota}</Descriptions.Item>
            <Descriptions.Item label={t('tenants.contact')}>{view.tenant.contact_email}</Descriptions.Item>
          </Descriptions>
          <Table
            size="small"
            rowKey="id"
            pagination={false}
            dataSource={view.users}
            columns={[
              { title: t('field.email'), dataIndex: 'email', key: 'email' },
              { title: t('field.name'), dataIndex: 'name', key: 'name' },
              { title: t('user.role'), dataIndex: 'role', key: 'role', render: (r: string) => roleLabel(t, 'user', r) },
            ]}
          />
        </>
      ) : null}
    </Modal>
  );
}
