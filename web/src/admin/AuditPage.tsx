import { Button, Card, Form, Input, Table, Tag, Typography } from 'antd';
import type { ColumnsType } from 'antd/es/table';
import { useState } from 'react';
import * as api from '../api/admin';
import type { AuditEntry } from '../api/types';
import { formatDateTime, isMessageKey, useI18n } from '../i18n';
import { ErrorAlert } from '../shared/errors';
import { PageHeader } from '../shared/PageHeader';
import { useCursorList } from '../shared/useCursorList';
import { usePageTitle } from '../shared/usePageTitle';

type Filter = {
  action: string;
  tenant_id: string;
  actor: string;
};

const EMPTY: Filter = { action: '', tenant_id: '', actor: '' };

export function AuditPage() {
  const { t, locale } = useI18n();
  const [form] = Form.useForm<Filter>();
  const [filter, setFilter] = useState<Filter>(EMPTY);
  const list = useCursorList((p, signal) => api.listAudit(p, signal), filter);
  usePageTitle(t('nav.admin.audit'), t('shell.admin_title'));

  const actorKind = (k: string) => {
    const key = `audit.actor.${k}`;
    return isMessageKey(key) ? t(key) : k;
  };

  const columns: ColumnsType<AuditEntry> = [
    { title: t('audit.at'), dataIndex: 'at', key: 'at', render: (v: string) => formatDateTime(locale, v), width: 170 },
    {
      title: t('audit.actor'),
      key: 'actor',
      render: (_, e) => (
        <div>
          <div>{e.actor_name || String(e.actor_id)}</div>
          <Tag>{actorKind(e.actor_kind)}</Tag>
        </div>
      ),
    },
    { title: t('audit.tenant'), dataIndex: 'tenant_id', key: 'tenant_id', render: (v: unknown) => (v ? String(v) : '—') },
    { title: t('audit.action'), dataIndex: 'action', key: 'action', render: (v: string) => <Typography.Text code>{v}</Typography.Text> },
    { title: t('audit.target'), dataIndex: 'target', key: 'target' },
    { title: t('audit.detail'), dataIndex: 'detail', key: 'detail', ellipsis: true },
    { title: t('audit.ip'), dataIndex: 'ip', key: 'ip' },
  ];

  return (
    <section aria-labelledby="page-title">
      <PageHeader title={t('nav.admin.audit')} />
      <Card>
        <Form
          form={form}
          name="audit_filter"
          layout="inline"
          role="search"
          aria-label={t('audit.filters')}
          onFinish={(v) => setFilter({ action: v.action?.trim() ?? '', tenant_id: v.tenant_id?.trim() ?? '', actor: v.actor?.trim() ?? '' })}
          style={{ marginBottom: 16, rowGap: 8 }}
        >
          <Form.Item name="action" label={t('audit.action')}>
            <Input placeholder="tenant.activate" allowClear />
          </Form.Item>
          <Form.Item name="tenant_id" label={t('audit.tenant')}>
            <Input allowClear />
          </Form.Item>
          <Form.Item name="actor" label={t('audit.actor')}>
            <Input allowClear />
          </Form.Item>
          <Form.Item>
            <Button type="primary" htmlType="submit">
              {t('common.search')}
            </Button>
          </Form.Item>
          <Form.Item>
            <Button
              onClick={() => {
                form.resetFields();
                setFilter(EMPTY);
              }}
            >
              {t('common.reset')}
            </Button>
          </Form.Item>
        </Form>
        {list.error ? <ErrorAlert error={list.error} /> : null}
        <Table<AuditEntry>
          rowKey="id"
          columns={columns}
          dataSource={list.items}
          loading={list.loading}
          pagination={false}
          scroll={{ x: true }}
          footer={list.hasMore ? () => <Button onClick={list.loadMore}>{t('common.load_more')}</Button> : undefined}
        />
      </Card>
    </section>
  );
}
