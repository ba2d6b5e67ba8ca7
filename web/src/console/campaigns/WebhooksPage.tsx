import { App as AntApp, Button, Card, Checkbox, Drawer, Input, Modal, Space, Table, Tag, Typography } from 'antd';
import type { ColumnsType } from 'antd/es/table';
import { useState } from 'react';
import { fetchPage } from '../../api/client';
import * as api from '../../api/campaign';
import type { Webhook } from '../../api/campaign';
import { formatDateTime, useI18n } from '../../i18n';
import { ErrorAlert, errorDetail, errorTitle } from '../../shared/errors';
import { PageHeader } from '../../shared/PageHeader';
import { useCursorList } from '../../shared/useCursorList';
import { usePageTitle } from '../../shared/usePageTitle';

const EVENTS = ['call.finished', 'campaign.state_changed'];

interface Delivery {
  id: number;
  msg_id: string;
  event: string;
  status: string;
  attempts: number;
  last_status: number;
  last_error: string;
  created_at: string;
}

/** Webhook endpoints (signed per Standard Webhooks) and their delivery logs. */
export function WebhooksPage() {
  const { t, locale } = useI18n();
  const { message } = AntApp.useApp();
  const list = useCursorList((p, signal) => api.listWebhooks(p, signal), {});
  const [adding, setAdding] = useState(false);
  const [url, setUrl] = useState('');
  const [events, setEvents] = useState<string[]>(EVENTS);
  const [secret, setSecret] = useState<string | null>(null);
  const [log, setLog] = useState<Webhook | null>(null);
  usePageTitle(t('campaign.nav.webhooks'), 'waihu');
  const fail = (err: unknown) => message.error(`${errorTitle(t, err)} ${errorDetail(t, err)}`.trim());

  const add = async () => {
    try {
      const w = await api.createWebhook(url, events);
      setAdding(false);
      setSecret(w.secret ?? '');
      list.reload();
    } catch (err) {
      fail(err);
    }
  };
  const columns: ColumnsType<Webhook> = [
    { title: 'URL', dataIndex: 'url', key: 'url' },
    { title: t('campaign.webhook.events'), dataIndex: 'events', key: 'events', render: (e: string[]) => (e.length ? e : EVENTS).map((x) => <Tag key={x}>{x}</Tag>) },
    { title: t('field.created_at'), dataIndex: 'created_at', key: 'at', render: (v: string) => formatDateTime(locale, v) },
    {
      title: t('common.actions'),
      key: 'a',
      render: (_, w) => (
        <Space>
          <Button size="small" onClick={() => setLog(w)}>
            {t('campaign.webhook.log')}
          </Button>
          <Button size="small" danger onClick={() => api.deleteWebhook(w.id).then(list.reload, fail)}>
            {t('campaign.dnc.remove')}
          </Button>
        </Space>
      ),
    },
  ];
  return (
    <section aria-labelledby="page-title">
      <PageHeader
        title={t('campaign.nav.webhooks')}
        extra={
          <Button type="primary" onClick={() => setAdding(true)}>
            {t('campaign.webhook.add')}
          </Button>
        }
      />
      <Card>
        <p style={{ marginTop: 0 }}>{t('campaign.webhook.intro')}</p>
        {list.error ? <ErrorAlert error={list.error} /> : null}
        <Table<Webhook> rowKey="id" columns={columns} dataSource={list.items} loading={list.loading} pagination={false} />
      </Card>
      <Modal open={adding} title={t('campaign.webhook.add')} onCancel={() => setAdding(false)} onOk={add}>
        <Input value={url} onChange={(e) => setUrl(e.target.value)} placeholder="https://example.com/waihu" maxLength={512} />
        <Checkbox.Group style={{ marginTop: 12 }} options={EVENTS} value={events} onChange={(v) => setEvents(v as string[])} />
      </Modal>
      <Modal open={secret !== null} title={t('campaign.webhook.secret')} onCancel={() => setSecret(null)} footer={null}>
        <Typography.Paragraph copyable code>
          {secret}
        </Typography.Paragraph>
      </Modal>
      <Drawer open={log !== null} onClose={() => setLog(null)} size="large" title={log?.url}>
        {log ? <DeliveryLog id={log.id} /> : null}
      </Drawer>
    </section>
  );
}

function DeliveryLog({ id }: { id: number }) {
  const { t, locale } = useI18n();
  const list = useCursorList((p, signal) => fetchPage<Delivery>(`/api/v1/webhooks/${id}/deliveries`, p, signal), {});
  const columns: ColumnsType<Delivery> = [
    { title: t('campaign.webhook.events'), dataIndex: 'event', key: 'event' },
    { title: t('field.status'), dataIndex: 'status', key: 'status', render: (s: string) => <Tag color={s === 'delivered' ? 'green' : s === 'failed' ? 'red' : 'blue'}>{s}</Tag> },
    { title: 'HTTP', dataIndex: 'last_status', key: 'http' },
    { title: t('campaign.webhook.attempts'), dataIndex: 'attempts', key: 'attempts' },
    { title: t('campaign.webhook.error'), dataIndex: 'last_error', key: 'err' },
    { title: t('field.created_at'), dataIndex: 'created_at', key: 'at', render: (v: string) => formatDateTime(locale, v) },
  ];
  return (
    <>
      {list.error ? <ErrorAlert error={list.error} /> : null}
      <Table<Delivery> rowKey="id" size="small" columns={columns} dataSource={list.items} loading={list.loading} pagination={false}
        footer={list.hasMore ? () => <Button onClick={list.loadMore}>{t('common.load_more')}</Button> : undefined} />
    </>
  );
}
