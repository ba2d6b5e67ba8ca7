// The tenant's call scripts: list, new (blank or from a template), import a JSON file.
import { ImportOutlined, PlusOutlined } from '@ant-design/icons';
import { App as AntApp, Button, Card, Form, Input, Modal, Select, Table, Tag } from 'antd';
import type { ColumnsType } from 'antd/es/table';
import { useEffect, useRef, useState } from 'react';
import { Link, useNavigate } from 'react-router';
import * as api from '../../api/scripts';
import { formatDateTime, useI18n } from '../../i18n';
import { applyFieldErrors, ErrorAlert, errorDetail, errorTitle } from '../../shared/errors';
import { PageHeader } from '../../shared/PageHeader';
import { useCursorList } from '../../shared/useCursorList';
import { usePageTitle } from '../../shared/usePageTitle';
import { blankScript } from './model';

export function ScriptsPage() {
  const { t, locale } = useI18n();
  const { message } = AntApp.useApp();
  const navigate = useNavigate();
  const list = useCursorList((p, signal) => api.listScripts(p, signal), {});
  const [creating, setCreating] = useState(false);
  const fileRef = useRef<HTMLInputElement>(null);
  usePageTitle(t('nav.console.scripts'), 'waihu');

  const importFile = async (f: File) => {
    try {
      const body = JSON.parse(await f.text()) as api.Script;
      const d = await api.createScript(body);
      message.success(t('scripts.imported'));
      navigate(`/console/scripts/${d.id}`);
    } catch (err) {
      message.error(err instanceof SyntaxError ? t('scripts.import_bad_json') : `${errorTitle(t, err)} ${errorDetail(t, err)}`.trim());
    }
  };

  const columns: ColumnsType<api.ScriptRow> = [
    { title: t('field.name'), key: 'name', render: (_, r) => <Link to={`/console/scripts/${r.id}`}>{r.name}</Link> },
    { title: t('scripts.template'), dataIndex: 'template', key: 'template' },
    { title: t('scripts.lang'), dataIndex: 'lang', key: 'lang' },
    {
      title: t('scripts.published'),
      key: 'v',
      render: (_, r) => (r.latest_version ? <Tag color="green">v{r.latest_version}</Tag> : <Tag>{t('scripts.draft_only')}</Tag>),
    },
    { title: t('scripts.updated_at'), dataIndex: 'updated_at', key: 'u', render: (v: string) => formatDateTime(locale, v) },
  ];

  return (
    <section aria-labelledby="page-title">
      <PageHeader
        title={t('nav.console.scripts')}
        extra={
          <>
            <input
              ref={fileRef}
              type="file"
              accept="application/json,.json"
              style={{ display: 'none' }}
              data-testid="script-import-file"
              onChange={(e) => {
                const f = e.target.files?.[0];
                if (f) void importFile(f);
                e.target.value = '';
              }}
            />
            <Button icon={<ImportOutlined />} onClick={() => fileRef.current?.click()} style={{ marginRight: 8 }}>
              {t('scripts.import')}
            </Button>
            <Button type="primary" icon={<PlusOutlined />} onClick={() => setCreating(true)}>
              {t('scripts.new')}
            </Button>
          </>
        }
      />
      <Card>
        <p style={{ marginTop: 0 }}>{t('scripts.intro')}</p>
        {list.error ? <ErrorAlert error={list.error} /> : null}
        <Table<api.ScriptRow>
          rowKey="id"
          columns={columns}
          dataSource={list.items}
          loading={list.loading}
          pagination={false}
          scroll={{ x: true }}
          footer={list.hasMore ? () => <Button onClick={list.loadMore}>{t('common.load_more')}</Button> : undefined}
        />
      </Card>
      <NewScriptModal open={creating} onClose={() => setCreating(false)} onCreated={(id) => navigate(`/console/scripts/${id}`)} />
    </section>
  );
}

function NewScriptModal({ open, onClose, onCreated }: { open: boolean; onClose: () => void; onCreated: (id: number | string) => void }) {
  const { t } = useI18n();
  const [form] = Form.useForm<{ name: string; template: string }>();
  const [templates, setTemplates] = useState<api.TemplateInfo[]>([]);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    if (open) api.listTemplates().then((r) => setTemplates(r.items), setError);
  }, [open]);

  const submit = async (v: { name: string; template: string }) => {
    setBusy(true);
    setError(null);
    try {
      const d = v.template === '' ? await api.createScript(blankScript(v.name)) : await api.createFromTemplate(v.template, v.name);
      form.resetFields();
      onCreated(d.id);
    } catch (err) {
      if (!applyFieldErrors(form, err, ['name', 'template'])) setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Modal
      open={open}
      title={t('scripts.new')}
      onCancel={onClose}
      okText={t('scripts.create')}
      cancelText={t('common.cancel')}
      confirmLoading={busy}
      onOk={() => form.submit()}
      destroyOnHidden
    >
      {error ? <ErrorAlert error={error} /> : null}
      <Form form={form} layout="vertical" onFinish={submit} initialValues={{ template: '' }}>
        <Form.Item name="name" label={t('field.name')} rules={[{ required: true, message: t('scripts.name_required') }]}>
          <Input maxLength={128} />
        </Form.Item>
        <Form.Item name="template" label={t('scripts.template')}>
          <Select
            data-testid="template-select"
            options={[
              { value: '', label: t('scripts.blank') },
              ...templates.map((tp) => ({ value: tp.name, label: `${tp.title} (${tp.name})` })),
            ]}
          />
        </Form.Item>
      </Form>
    </Modal>
  );
}
