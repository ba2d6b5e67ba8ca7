import { App as AntApp, Button, Card, Form, Input, InputNumber, Modal, Popconfirm, Select, Space, Switch, Table, Tag } from 'antd';
import type { ColumnsType } from 'antd/es/table';
import { useCallback, useEffect, useState } from 'react';
import * as api from '../../api/crm';
import type { HelpDoc } from '../../api/crm';
import { formatDateTime, useI18n } from '../../i18n';
import { applyFieldErrors, ErrorAlert, errorDetail, errorTitle } from '../../shared/errors';
import { PageHeader } from '../../shared/PageHeader';
import { usePageTitle } from '../../shared/usePageTitle';

interface DocForm {
  slug: string;
  lang: 'zh-CN' | 'en';
  title: string;
  body: string;
  position: number;
  published: boolean;
}

/** The website's help center: Markdown documents per language, rendered safely on /help. */
export function HelpDocsPage() {
  const { t, locale } = useI18n();
  const { message } = AntApp.useApp();
  const [docs, setDocs] = useState<HelpDoc[]>([]);
  const [error, setError] = useState<unknown>(null);
  const [editing, setEditing] = useState<HelpDoc | 'new' | null>(null);
  usePageTitle(t('crm.nav.help'), t('shell.admin_title'));

  const load = useCallback(() => {
    api.listDocs().then((r) => setDocs(r.items), setError);
  }, []);
  useEffect(load, [load]);

  const columns: ColumnsType<HelpDoc> = [
    { title: t('crm.help.title'), key: 'title', render: (_, d) => <a href={`/help/${d.slug}?lang=${d.lang}`} target="_blank" rel="noreferrer">{d.title}</a> },
    { title: t('crm.help.slug'), dataIndex: 'slug', key: 'slug' },
    { title: t('crm.help.lang'), dataIndex: 'lang', key: 'lang' },
    { title: t('field.status'), key: 'pub', render: (_, d) => (d.published ? <Tag color="green">{t('crm.help.published')}</Tag> : <Tag>{t('crm.help.draft')}</Tag>) },
    { title: t('crm.help.updated'), dataIndex: 'updated_at', key: 'updated', render: (v: string) => formatDateTime(locale, v) },
    {
      title: t('common.actions'),
      key: 'actions',
      render: (_, d) => (
        <Space>
          <Button size="small" onClick={() => setEditing(d)}>
            {t('crm.tenant.edit')}
          </Button>
          <Popconfirm
            title={t('crm.help.delete_confirm', { title: d.title })}
            okText={t('crm.help.delete')}
            cancelText={t('common.cancel')}
            onConfirm={async () => {
              try {
                await api.deleteDoc(d.id);
                load();
              } catch (err) {
                message.error(`${errorTitle(t, err)} ${errorDetail(t, err)}`.trim());
              }
            }}
          >
            <Button size="small" danger>
              {t('crm.help.delete')}
            </Button>
          </Popconfirm>
        </Space>
      ),
    },
  ];

  return (
    <section aria-labelledby="page-title">
      <PageHeader
        title={t('crm.nav.help')}
        extra={
          <Button type="primary" onClick={() => setEditing('new')}>
            {t('crm.help.add')}
          </Button>
        }
      />
      {error ? <ErrorAlert error={error} /> : null}
      <Card>
        <Table<HelpDoc> rowKey="id" columns={columns} dataSource={docs} pagination={false} scroll={{ x: true }} />
      </Card>
      <DocModal
        doc={editing}
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

function DocModal({ doc, onClose, onDone }: { doc: HelpDoc | 'new' | null; onClose: () => void; onDone: () => void }) {
  const { t } = useI18n();
  const [form] = Form.useForm<DocForm>();
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    if (doc === null) return;
    form.resetFields();
    if (doc === 'new') form.setFieldsValue({ lang: 'zh-CN', position: 0, published: true, body: '' });
    else form.setFieldsValue({ slug: doc.slug, lang: doc.lang, title: doc.title, body: doc.body, position: doc.position, published: doc.published });
  }, [doc, form]);
  const submit = async (v: DocForm) => {
    setError(null);
    const input: api.HelpDocInput = { slug: v.slug.trim(), lang: v.lang, title: v.title.trim(), body_lines: (v.body ?? '').split('\n'), position: v.position ?? 0, published: v.published };
    try {
      if (doc === 'new') await api.createDoc(input);
      else if (doc) await api.updateDoc(doc.id, input);
      onDone();
    } catch (err) {
      if (!applyFieldErrors(form, err, ['slug', 'lang', 'title', 'position'])) setError(err);
    }
  };
  return (
    <Modal open={doc !== null} title={doc === 'new' ? t('crm.help.add') : t('crm.tenant.edit')} okText={t('crm.save')} cancelText={t('common.cancel')} onOk={() => form.submit()} onCancel={onClose} forceRender width={760}>
      <Form form={form} name="help_doc" layout="vertical" onFinish={submit}>
        <Form.Item name="title" label={t('crm.help.title')} rules={[{ required: true, whitespace: true, message: t('validation.required') }, { max: 191 }]}>
          <Input maxLength={191} />
        </Form.Item>
        <Space wrap>
          <Form.Item name="slug" label={t('crm.help.slug')} extra={t('crm.help.slug_hint')} rules={[{ required: true, pattern: /^[a-z0-9][a-z0-9-]{0,63}$/, message: t('crm.help.slug_hint') }]}>
            <Input maxLength={64} />
          </Form.Item>
          <Form.Item name="lang" label={t('crm.help.lang')}>
            <Select style={{ width: 110 }} options={[{ value: 'zh-CN', label: '中文' }, { value: 'en', label: 'English' }]} />
          </Form.Item>
          <Form.Item name="position" label={t('crm.help.position')}>
            <InputNumber min={0} max={100000} />
          </Form.Item>
          <Form.Item name="published" label={t('crm.help.published')} valuePropName="checked">
            <Switch />
          </Form.Item>
        </Space>
        <Form.Item name="body" label={t('crm.help.body')} extra={t('crm.help.body_hint')}>
          <Input.TextArea rows={14} style={{ fontFamily: 'monospace' }} />
        </Form.Item>
      </Form>
      {error ? <ErrorAlert error={error} /> : null}
    </Modal>
  );
}
