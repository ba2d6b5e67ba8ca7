import { App as AntApp, Button, Card, Form, Input, InputNumber, Modal, Select, Space, Switch, Table, Tag } from 'antd';
import type { ColumnsType } from 'antd/es/table';
import { useCallback, useEffect, useState } from 'react';
import * as api from '../../api/switch';
import type { CallerID, Trunk } from '../../api/switch';
import { useI18n } from '../../i18n';
import { applyFieldErrors, ErrorAlert, errorDetail, errorTitle } from '../../shared/errors';
import { PageHeader } from '../../shared/PageHeader';
import { usePageTitle } from '../../shared/usePageTitle';

const pct = (v: number) => `${(v * 100).toFixed(1)}%`;

export function TrunksPage() {
  const { t } = useI18n();
  const { message, modal } = AntApp.useApp();
  const [trunks, setTrunks] = useState<Trunk[]>([]);
  const [cids, setCids] = useState<CallerID[]>([]);
  const [error, setError] = useState<unknown>(null);
  const [editing, setEditing] = useState<Trunk | 'new' | null>(null);
  const [assigning, setAssigning] = useState<Trunk | null>(null);
  const [addingCid, setAddingCid] = useState(false);
  usePageTitle(t('nav.admin.trunks'), t('shell.admin_title'));

  const load = useCallback(() => {
    Promise.all([api.listTrunks(), api.listCallerIDs()]).then(
      ([tr, c]) => {
        setTrunks(tr.items);
        setCids(c.items);
      },
      setError,
    );
  }, []);
  useEffect(load, [load]);

  const act = async (fn: () => Promise<unknown>) => {
    try {
      await fn();
      message.success(t('crm.saved'));
      load();
    } catch (err) {
      message.error(`${errorTitle(t, err)} ${errorDetail(t, err)}`.trim());
    }
  };

  const test = async (tr: Trunk) => {
    try {
      const r = await api.testTrunk(tr.id);
      modal.info({
        title: t('infra.test_of', { name: tr.name }),
        content: !r.available ? (
          <p data-testid="not-connected">{t('infra.not_connected')}</p>
        ) : r.error ? (
          <p>{r.error}</p>
        ) : (
          <p>
            {r.status?.state} · {r.status?.status} · {r.status?.ping_ms} ms {r.status?.detail}
          </p>
        ),
      });
    } catch (err) {
      message.error(`${errorTitle(t, err)} ${errorDetail(t, err)}`.trim());
    }
  };

  const columns: ColumnsType<Trunk> = [
    { title: t('field.name'), key: 'name', render: (_, tr) => <div><strong>{tr.name}</strong><div style={{ color: '#595959' }}>{tr.carrier}</div></div> },
    { title: t('infra.host'), key: 'host', render: (_, tr) => `${tr.transport}:${tr.host}` },
    { title: t('field.status'), key: 'enabled', render: (_, tr) => <Tag color={tr.enabled ? 'green' : 'default'}>{tr.enabled ? t('infra.state.enabled') : t('infra.state.disabled')}</Tag> },
    {
      title: t('infra.health_24h'),
      key: 'stats',
      render: (_, tr) =>
        tr.stats ? (
          <div>
            <div>
              {t('stats.calls')} {tr.stats.calls_24h} · {t('stats.connect_rate')} {pct(tr.stats.answer_rate)} · {t('infra.active_now')} {tr.stats.active_now}
            </div>
            <div style={{ color: '#595959' }}>
              {Object.entries(tr.stats.failures)
                .sort((a, b) => b[1] - a[1])
                .slice(0, 3)
                .map(([k, v]) => `${k} ${v}`)
                .join(' · ')}
            </div>
          </div>
        ) : null,
    },
    { title: t('infra.tenants'), key: 'tenants', render: (_, tr) => (tr.tenants ?? []).map((id) => <Tag key={String(id)}>#{id}</Tag>) },
    {
      title: t('common.actions'),
      key: 'actions',
      render: (_, tr) => (
        <Space wrap>
          <Button size="small" onClick={() => void test(tr)}>
            {t('infra.test')}
          </Button>
          <Button size="small" onClick={() => setEditing(tr)}>
            {t('crm.tenant.edit')}
          </Button>
          <Button size="small" onClick={() => setAssigning(tr)}>
            {t('infra.assign')}
          </Button>
        </Space>
      ),
    },
  ];

  const cidColumns: ColumnsType<CallerID> = [
    { title: t('infra.number'), dataIndex: 'number', key: 'number' },
    { title: t('infra.trunk'), key: 'trunk', render: (_, c) => trunks.find((tr) => String(tr.id) === String(c.trunk_id))?.name ?? `#${c.trunk_id}` },
    { title: t('infra.tenant'), key: 'tenant', render: (_, c) => (Number(c.tenant_id) ? `#${c.tenant_id}` : '—') },
    { title: t('infra.answer_7d'), key: 'rate', render: (_, c) => `${pct(c.answer_rate_7d)} (${c.calls_7d})` },
    {
      title: t('field.status'),
      key: 'flag',
      render: (_, c) => (
        <Space>
          {c.flagged ? <Tag color="red" title={c.flag_reason}>{t('infra.flagged')}</Tag> : null}
          <Switch size="small" checked={c.enabled} aria-label={t('infra.enabled_named', { name: c.number })} onChange={(on) => act(() => api.updateCallerID(c.id, { enabled: on }))} />
        </Space>
      ),
    },
    {
      title: t('common.actions'),
      key: 'actions',
      render: (_, c) =>
        c.flagged ? (
          <Button size="small" onClick={() => act(() => api.updateCallerID(c.id, { flagged: false }))}>
            {t('infra.unflag')}
          </Button>
        ) : (
          <Button size="small" danger onClick={() => act(() => api.updateCallerID(c.id, { flagged: true, flag_reason: t('infra.flag_manual') }))}>
            {t('infra.flag')}
          </Button>
        ),
    },
  ];

  return (
    <section aria-labelledby="page-title">
      <PageHeader
        title={t('nav.admin.trunks')}
        extra={
          <Button type="primary" onClick={() => setEditing('new')}>
            {t('infra.add_trunk')}
          </Button>
        }
      />
      {error ? <ErrorAlert error={error} /> : null}
      <Card style={{ marginBottom: 16 }}>
        <Table<Trunk> rowKey="id" columns={columns} dataSource={trunks} pagination={false} scroll={{ x: true }} />
      </Card>
      <Card
        title={t('infra.caller_ids')}
        extra={
          <Button onClick={() => setAddingCid(true)} disabled={trunks.length === 0}>
            {t('infra.add_caller_id')}
          </Button>
        }
      >
        <Table<CallerID> rowKey="id" columns={cidColumns} dataSource={cids} pagination={false} scroll={{ x: true }} />
      </Card>
      <TrunkModal trunk={editing} onClose={() => setEditing(null)} onDone={() => { setEditing(null); message.success(t('crm.saved')); load(); }} />
      <AssignModal trunk={assigning} onClose={() => setAssigning(null)} onDone={() => { setAssigning(null); message.success(t('crm.saved')); load(); }} />
      <CallerIDModal open={addingCid} trunks={trunks} onClose={() => setAddingCid(false)} onDone={() => { setAddingCid(false); message.success(t('crm.saved')); load(); }} />
    </section>
  );
}

function TrunkModal({ trunk, onClose, onDone }: { trunk: Trunk | 'new' | null; onClose: () => void; onDone: () => void }) {
  const { t } = useI18n();
  const [form] = Form.useForm<api.TrunkInput>();
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    if (trunk === null) return;
    form.resetFields();
    if (trunk === 'new') form.setFieldsValue({ transport: 'udp', format: 'national', max_concurrent: 30, max_cps: 5, codecs: 'PCMA,PCMU', enabled: true, register: false });
    else {
      const { stats: _s, tenants: _t, has_password: _h, simulated: _m, id: _i, ...rest } = trunk;
      form.setFieldsValue(rest);
    }
  }, [trunk, form]);
  const submit = async (v: api.TrunkInput) => {
    setError(null);
    try {
      if (trunk === 'new') await api.createTrunk(v);
      else if (trunk) await api.updateTrunk(trunk.id, v);
      onDone();
    } catch (err) {
      if (!applyFieldErrors(form, err, ['name', 'carrier', 'host', 'transport', 'username', 'password', 'prefix', 'format', 'max_concurrent', 'max_cps', 'codecs'])) setError(err);
    }
  };
  return (
    <Modal open={trunk !== null} title={trunk === 'new' ? t('infra.add_trunk') : t('crm.tenant.edit')} okText={t('crm.save')} cancelText={t('common.cancel')} onOk={() => form.submit()} onCancel={onClose} forceRender width={640}>
      <Form form={form} name="trunk" layout="vertical" onFinish={submit}>
        <Space wrap>
          <Form.Item name="name" label={t('field.name')} rules={[{ required: true, message: t('validation.required') }]}>
            <Input maxLength={64} />
          </Form.Item>
          <Form.Item name="carrier" label={t('infra.carrier')}>
            <Input maxLength={64} />
          </Form.Item>
          <Form.Item name="host" label={t('infra.host')} rules={[{ required: true, message: t('validation.required') }]}>
            <Input maxLength={191} placeholder="sip.carrier.com:5060" />
          </Form.Item>
          <Form.Item name="transport" label={t('infra.transport')}>
            <Select style={{ width: 100 }} options={['udp', 'tcp', 'tls'].map((v) => ({ value: v, label: v }))} />
          </Form.Item>
          <Form.Item name="username" label={t('infra.username')}>
            <Input maxLength={128} autoComplete="off" />
          </Form.Item>
          <Form.Item name="password" label={t('field.password')} extra={trunk === 'new' ? undefined : t('infra.keep_secret')}>
            <Input.Password maxLength={128} autoComplete="new-password" />
          </Form.Item>
          <Form.Item name="prefix" label={t('infra.prefix')}>
            <Input maxLength={16} />
          </Form.Item>
          <Form.Item name="format" label={t('infra.format')}>
            <Select style={{ width: 120 }} options={['national', 'e164', 'digits'].map((v) => ({ value: v, label: v }))} />
          </Form.Item>
          <Form.Item name="codecs" label={t('infra.codecs')}>
            <Input maxLength={128} />
          </Form.Item>
          <Form.Item name="max_concurrent" label={t('infra.max_calls')}>
            <InputNumber min={1} max={100000} />
          </Form.Item>
          <Form.Item name="max_cps" label={t('infra.max_cps')}>
            <InputNumber min={1} max={1000} />
          </Form.Item>
          <Form.Item name="register" label={t('infra.register')} valuePropName="checked">
            <Switch />
          </Form.Item>
          <Form.Item name="enabled" label={t('infra.state.enabled')} valuePropName="checked">
            <Switch />
          </Form.Item>
        </Space>
      </Form>
      {error ? <ErrorAlert error={error} /> : null}
    </Modal>
  );
}

function AssignModal({ trunk, onClose, onDone }: { trunk: Trunk | null; onClose: () => void; onDone: () => void }) {
  const { t } = useI18n();
  const [form] = Form.useForm<{ tenant_id: number; max_concurrent: number; remove?: boolean }>();
  const [error, setError] = useState<unknown>(null);
  const submit = async (v: { tenant_id: number; max_concurrent: number; remove?: boolean }) => {
    if (!trunk) return;
    setError(null);
    try {
      if (v.remove) await api.unassignTrunk(trunk.id, v.tenant_id);
      else await api.assignTrunk(trunk.id, v.tenant_id, v.max_concurrent ?? 0);
      form.resetFields();
      onDone();
    } catch (err) {
      if (!applyFieldErrors(form, err, ['tenant_id', 'max_concurrent'])) setError(err);
    }
  };
  return (
    <Modal open={trunk !== null} title={t('infra.assign_title', { name: trunk?.name ?? '' })} okText={t('crm.save')} cancelText={t('common.cancel')} onOk={() => form.submit()} onCancel={onClose} forceRender>
      <Form form={form} name="assign" layout="vertical" onFinish={submit} initialValues={{ max_concurrent: 0 }}>
        <Form.Item name="tenant_id" label={t('infra.tenant_id')} rules={[{ required: true, message: t('validation.required') }]}>
          <InputNumber min={1} style={{ width: '100%' }} />
        </Form.Item>
        <Form.Item name="max_concurrent" label={t('infra.tenant_cap')} extra={t('infra.tenant_cap_hint')}>
          <InputNumber min={0} max={100000} style={{ width: '100%' }} />
        </Form.Item>
        <Form.Item name="remove" label={t('infra.unassign')} valuePropName="checked">
          <Switch />
        </Form.Item>
      </Form>
      {error ? <ErrorAlert error={error} /> : null}
    </Modal>
  );
}

function CallerIDModal({ open, trunks, onClose, onDone }: { open: boolean; trunks: Trunk[]; onClose: () => void; onDone: () => void }) {
  const { t } = useI18n();
  const [form] = Form.useForm<{ trunk_id: number; number: string; area_code: string; tenant_id?: number }>();
  const [error, setError] = useState<unknown>(null);
  const submit = async (v: { trunk_id: number; number: string; area_code: string; tenant_id?: number }) => {
    setError(null);
    try {
      await api.createCallerID({ trunk_id: Number(v.trunk_id), number: v.number.trim(), area_code: (v.area_code ?? '').trim(), tenant_id: v.tenant_id ?? 0 });
      form.resetFields();
      onDone();
    } catch (err) {
      if (!applyFieldErrors(form, err, ['trunk_id', 'number', 'area_code', 'tenant_id'])) setError(err);
    }
  };
  return (
    <Modal open={open} title={t('infra.add_caller_id')} okText={t('crm.save')} cancelText={t('common.cancel')} onOk={() => form.submit()} onCancel={onClose} forceRender>
      <Form form={form} name="caller_id" layout="vertical" onFinish={submit}>
        <Form.Item name="trunk_id" label={t('infra.trunk')} rules={[{ required: true, message: t('validation.required') }]}>
          <Select options={trunks.map((tr) => ({ value: Number(tr.id), label: tr.name }))} />
        </Form.Item>
        <Form.Item name="number" label={t('infra.number')} rules={[{ required: true, message: t('validation.required') }]}>
          <Input maxLength={32} placeholder="0755 8888 0000" />
        </Form.Item>
        <Form.Item name="area_code" label={t('infra.area_code')}>
          <Input maxLength={8} />
        </Form.Item>
        <Form.Item name="tenant_id" label={t('infra.tenant_id')}>
          <InputNumber min={1} style={{ width: '100%' }} />
        </Form.Item>
      </Form>
      {error ? <ErrorAlert error={error} /> : null}
    </Modal>
  );
}
