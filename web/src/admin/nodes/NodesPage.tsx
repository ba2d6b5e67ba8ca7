import { App as AntApp, Button, Card, Form, Input, InputNumber, Modal, Space, Table, Tag } from 'antd';
import type { ColumnsType } from 'antd/es/table';
import { useCallback, useEffect, useState } from 'react';
import * as api from '../../api/switch';
import type { SwitchNode } from '../../api/switch';
import { formatDateTime, useI18n } from '../../i18n';
import { applyFieldErrors, ErrorAlert, errorDetail, errorTitle } from '../../shared/errors';
import { PageHeader } from '../../shared/PageHeader';
import { usePageTitle } from '../../shared/usePageTitle';

const STATE_COLOR: Record<string, string> = { enabled: 'green', draining: 'gold', disabled: 'default' };

export function NodesPage() {
  const { t, locale } = useI18n();
  const { message, modal } = AntApp.useApp();
  const [nodes, setNodes] = useState<SwitchNode[]>([]);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<unknown>(null);
  const [editing, setEditing] = useState<SwitchNode | 'new' | null>(null);
  usePageTitle(t('nav.admin.nodes'), t('shell.admin_title'));

  const load = useCallback(() => {
    setLoading(true);
    api.listNodes().then(
      (r) => {
        setNodes(r.items);
        setLoading(false);
      },
      (err: unknown) => {
        setError(err);
        setLoading(false);
      },
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

  const health = async (n: SwitchNode) => {
    try {
      const h = await api.nodeHealth(n.id);
      modal.info({
        title: t('infra.health_of', { name: n.name }),
        content: !h.available ? (
          <p data-testid="not-connected">{t('infra.not_connected')}</p>
        ) : h.error ? (
          <p>{h.error}</p>
        ) : (
          <ul>
            <li>{h.connected ? t('infra.connected') : t('infra.disconnected')}</li>
            {h.health ? (
              <>
                <li>
                  {t('infra.sessions')}: {h.health.sessions_now} / {h.health.max_sessions}
                </li>
                <li>CPS: {h.health.cps}</li>
                <li>{h.health.version}</li>
                <li>{h.health.uptime}</li>
              </>
            ) : null}
          </ul>
        ),
      });
    } catch (err) {
      message.error(`${errorTitle(t, err)} ${errorDetail(t, err)}`.trim());
    }
  };

  const columns: ColumnsType<SwitchNode> = [
    { title: t('field.name'), dataIndex: 'name', key: 'name', render: (v: string, n) => (n.simulated ? <span>{v} <Tag>{t('infra.simulated')}</Tag></span> : v) },
    { title: t('infra.esl_addr'), dataIndex: 'esl_addr', key: 'addr' },
    { title: t('field.status'), dataIndex: 'state', key: 'state', render: (s: string) => <Tag color={STATE_COLOR[s]}>{t(`infra.state.${s as api.NodeState}`)}</Tag> },
    { title: t('infra.capacity'), key: 'cap', render: (_, n) => `${n.sessions_now} / ${n.max_calls} · ${n.max_cps} CPS` },
    { title: t('infra.last_seen'), key: 'seen', render: (_, n) => (n.last_error ? <span style={{ color: '#b3261e' }}>{n.last_error}</span> : formatDateTime(locale, n.last_seen_at)) },
    {
      title: t('common.actions'),
      key: 'actions',
      render: (_, n) => (
        <Space wrap>
          <Button size="small" onClick={() => void health(n)}>
            {t('infra.health')}
          </Button>
          <Button size="small" onClick={() => setEditing(n)}>
            {t('crm.tenant.edit')}
          </Button>
          {n.state !== 'draining' ? (
            <Button size="small" onClick={() => act(() => api.setNodeState(n.id, 'drain'))}>
              {t('infra.drain')}
            </Button>
          ) : null}
          {n.state !== 'enabled' ? (
            <Button size="small" type="primary" onClick={() => act(() => api.setNodeState(n.id, 'enable'))}>
              {t('infra.enable')}
            </Button>
          ) : null}
          {n.state !== 'disabled' ? (
            <Button size="small" danger onClick={() => act(() => api.setNodeState(n.id, 'disable'))}>
              {t('infra.disable')}
            </Button>
          ) : null}
        </Space>
      ),
    },
  ];

  return (
    <section aria-labelledby="page-title">
      <PageHeader
        title={t('nav.admin.nodes')}
        extra={
          <Button type="primary" onClick={() => setEditing('new')}>
            {t('infra.add_node')}
          </Button>
        }
      />
      <Card>
        {error ? <ErrorAlert error={error} /> : null}
        <Table<SwitchNode> rowKey="id" columns={columns} dataSource={nodes} loading={loading} pagination={false} scroll={{ x: true }} />
      </Card>
      <NodeModal
        node={editing}
        onClose={() => setEditing(null)}
        onDone={() => {
          setEditing(null);
          message.success(t('crm.saved'));
          load();
        }}
      />
    </section>
  );
}

function NodeModal({ node, onClose, onDone }: { node: SwitchNode | 'new' | null; onClose: () => void; onDone: () => void }) {
  const { t } = useI18n();
  const [form] = Form.useForm<api.NodeInput>();
  const [error, setError] = useState<unknown>(null);
  const isNew = node === 'new';
  useEffect(() => {
    if (node === null) return;
    form.resetFields();
    if (node !== 'new') form.setFieldsValue({ name: node.name, esl_addr: node.esl_addr, max_calls: node.max_calls, max_cps: node.max_cps });
    else form.setFieldsValue({ max_calls: 500, max_cps: 30 });
  }, [node, form]);
  const submit = async (v: api.NodeInput) => {
    setError(null);
    const input = { ...v };
    if (!input.esl_password) delete input.esl_password;
    try {
      if (node === 'new') await api.createNode(input);
      else if (node) await api.updateNode(node.id, input);
      onDone();
    } catch (err) {
      if (!applyFieldErrors(form, err, ['name', 'esl_addr', 'esl_password', 'max_calls', 'max_cps'])) setError(err);
    }
  };
  return (
    <Modal open={node !== null} title={isNew ? t('infra.add_node') : t('crm.tenant.edit')} okText={t('crm.save')} cancelText={t('common.cancel')} onOk={() => form.submit()} onCancel={onClose} forceRender>
      <Form form={form} name="node" layout="vertical" onFinish={submit}>
        <Form.Item name="name" label={t('field.name')} rules={[{ required: true, message: t('validation.required') }]}>
          <Input maxLength={64} />
        </Form.Item>
        <Form.Item name="esl_addr" label={t('infra.esl_addr')} rules={[{ required: true, message: t('validation.required') }]}>
          <Input maxLength={191} placeholder="10.0.0.5:8021" />
        </Form.Item>
        <Form.Item name="esl_password" label={t('infra.esl_password')} rules={isNew ? [{ required: true, message: t('validation.required') }] : []} extra={isNew ? undefined : t('infra.keep_secret')}>
          <Input.Password maxLength={128} autoComplete="new-password" />
        </Form.Item>
        <Space>
          <Form.Item name="max_calls" label={t('infra.max_calls')}>
            <InputNumber min={1} max={100000} />
          </Form.Item>
          <Form.Item name="max_cps" label={t('infra.max_cps')}>
            <InputNumber min={1} max={1000} />
          </Form.Item>
        </Space>
      </Form>
      {error ? <ErrorAlert error={error} /> : null}
    </Modal>
  );
}
