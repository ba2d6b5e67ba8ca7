import { PlusOutlined } from '@ant-design/icons';
import { Alert, App as AntApp, Button, Card, Form, Input, Modal, Table, Tag, Typography } from 'antd';
import type { ColumnsType } from 'antd/es/table';
import { useState } from 'react';
import * as api from '../../api/console';
import type { ApiKey } from '../../api/types';
import { formatDateTime, useI18n } from '../../i18n';
import { applyFieldErrors, ErrorAlert, errorDetail, errorTitle } from '../../shared/errors';
import { PageHeader } from '../../shared/PageHeader';
import { useCursorList } from '../../shared/useCursorList';
import { usePageTitle } from '../../shared/usePageTitle';

export function ApiKeysPage() {
  const { t, locale } = useI18n();
  const { modal, message } = AntApp.useApp();
  const list = useCursorList((p, signal) => api.listApiKeys(p, signal), {});
  const [creating, setCreating] = useState(false);
  // The secret lives only in this state: it is never stored and gone once the dialog closes.
  const [created, setCreated] = useState<{ name: string; secret: string } | null>(null);
  usePageTitle(t('nav.console.apikeys'), 'waihu');

  const revoke = (k: ApiKey) => {
    modal.confirm({
      title: t('apikeys.revoke.confirm', { name: k.name }),
      content: t('apikeys.revoke.text'),
      okText: t('apikeys.revoke'),
      okButtonProps: { danger: true },
      cancelText: t('common.cancel'),
      onOk: async () => {
        try {
          await api.revokeApiKey(k.id);
          message.success(t('apikeys.revoked_ok'));
          list.reload();
        } catch (err) {
          message.error(`${errorTitle(t, err)} ${errorDetail(t, err)}`.trim());
        }
      },
    });
  };

  const columns: ColumnsType<ApiKey> = [
    { title: t('field.name'), dataIndex: 'name', key: 'name' },
    {
      title: t('apikeys.prefix'),
      dataIndex: 'prefix',
      key: 'prefix',
      render: (p?: string) => (p ? <Typography.Text code>{p}…</Typography.Text> : null),
    },
    { title: t('field.created_at'), dataIndex: 'created_at', key: 'created_at', render: (v: string) => formatDateTime(locale, v) },
    {
      title: t('apikeys.last_used'),
      dataIndex: 'last_used_at',
      key: 'last_used_at',
      render: (v?: string | null) => (v ? formatDateTime(locale, v) : t('apikeys.never_used')),
    },
    {
      title: t('field.status'),
      key: 'status',
      render: (_, k) => (k.revoked_at ? <Tag>{t('apikeys.revoked')}</Tag> : <Tag color="green">{t('apikeys.active')}</Tag>),
    },
    {
      title: t('common.actions'),
      key: 'actions',
      render: (_, k) =>
        k.revoked_at ? null : (
          <Button size="small" danger onClick={() => revoke(k)} aria-label={t('apikeys.revoke_named', { name: k.name })}>
            {t('apikeys.revoke')}
          </Button>
        ),
    },
  ];

  return (
    <section aria-labelledby="page-title">
      <PageHeader
        title={t('nav.console.apikeys')}
        extra={
          <Button type="primary" icon={<PlusOutlined />} onClick={() => setCreating(true)}>
            {t('apikeys.create')}
          </Button>
        }
      />
      <Card>
        <p style={{ marginTop: 0 }}>{t('apikeys.intro')}</p>
        {list.error ? <ErrorAlert error={list.error} /> : null}
        <Table<ApiKey>
          rowKey="id"
          columns={columns}
          dataSource={list.items}
          loading={list.loading}
          pagination={false}
          scroll={{ x: true }}
          footer={list.hasMore ? () => <Button onClick={list.loadMore}>{t('common.load_more')}</Button> : undefined}
        />
      </Card>
      <CreateKeyModal
        open={creating}
        onClose={() => setCreating(false)}
        onCreated={(name, secret) => {
          setCreating(false);
          setCreated({ name, secret });
          list.reload();
        }}
      />
      <Modal
        open={created !== null}
        title={t('apikeys.secret.title', { name: created?.name ?? '' })}
        closable={false}
        mask={{ closable: false }}
        keyboard={false}
        footer={
          <Button type="primary" onClick={() => setCreated(null)}>
            {t('apikeys.secret.done')}
          </Button>
        }
      >
        <Alert type="warning" showIcon title={t('apikeys.secret.once')} style={{ marginBottom: 16 }} />
        <Typography.Paragraph
          className="waihu-secret"
          data-testid="api-key-secret"
          copyable={{ text: created?.secret ?? '', tooltips: [t('common.copy'), t('common.copied')] }}
        >
          {created?.secret}
        </Typography.Paragraph>
        <p>{t('apikeys.secret.usage')}</p>
        <Typography.Text code>Authorization: Bearer wh_…</Typography.Text>
      </Modal>
    </section>
  );
}

function CreateKeyModal({
  open,
  onClose,
  onCreated,
}: {
  open: boolean;
  onClose: () => void;
  onCreated: (name: string, secret: string) => void;
}) {
  const { t } = useI18n();
  const [form] = Form.useForm<{ name: string }>();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  const submit = async ({ name }: { name: string }) => {
    setBusy(true);
    setError(null);
    try {
      const res = await api.createApiKey(name.trim());
      form.resetFields();
      onCreated(res.api_key?.name ?? name.trim(), res.secret);
    } catch (err) {
      if (!applyFieldErrors(form, err, ['name'])) setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Modal
      open={open}
      title={t('apikeys.create')}
      okText={t('common.create')}
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
      <Form form={form} name="new_api_key" layout="vertical" onFinish={submit}>
        <Form.Item
          name="name"
          label={t('field.name')}
          extra={t('apikeys.name_hint')}
          rules={[
            { required: true, whitespace: true, message: t('validation.required') },
            { max: 64, message: t('validation.too_long') },
          ]}
        >
          <Input autoComplete="off" />
        </Form.Item>
      </Form>
      {error ? <ErrorAlert error={error} /> : null}
    </Modal>
  );
}
