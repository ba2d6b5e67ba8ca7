import { App as AntApp, Button, Card, Input, Modal, Space, Table } from 'antd';
import type { ColumnsType } from 'antd/es/table';
import { useState } from 'react';
import * as api from '../../api/campaign';
import type { DncRow } from '../../api/campaign';
import { formatDateTime, useI18n } from '../../i18n';
import { ErrorAlert, errorDetail, errorTitle } from '../../shared/errors';
import { PageHeader } from '../../shared/PageHeader';
import { useCursorList } from '../../shared/useCursorList';
import { usePageTitle } from '../../shared/usePageTitle';

export function DncPage() {
  const { t, locale } = useI18n();
  const { message } = AntApp.useApp();
  const [search, setSearch] = useState('');
  const list = useCursorList((p, signal) => api.listDnc(p, signal), { search: search || undefined });
  const [adding, setAdding] = useState(false);
  const [phones, setPhones] = useState('');
  const [note, setNote] = useState('');
  usePageTitle(t('nav.console.dnc'), 'waihu');

  const fail = (err: unknown) => message.error(`${errorTitle(t, err)} ${errorDetail(t, err)}`.trim());
  const add = async () => {
    try {
      const r = await api.addDnc(phones.split(/[\s,;]+/).filter(Boolean), note);
      message.success(t('campaign.dnc.added', { added: r.added, existing: r.existing, rejected: r.rejected.length }));
      setAdding(false);
      setPhones('');
      list.reload();
    } catch (err) {
      fail(err);
    }
  };
  const columns: ColumnsType<DncRow> = [
    { title: t('campaign.result.phone'), dataIndex: 'phone', key: 'phone' },
    { title: t('campaign.dnc.reason'), dataIndex: 'reason', key: 'reason' },
    { title: t('campaign.dnc.note'), dataIndex: 'note', key: 'note' },
    { title: t('field.created_at'), dataIndex: 'created_at', key: 'at', render: (v: string) => formatDateTime(locale, v) },
    {
      title: t('common.actions'),
      key: 'a',
      render: (_, r) => (
        <Button size="small" danger onClick={() => api.removeDnc(r.id).then(list.reload, fail)}>
          {t('campaign.dnc.remove')}
        </Button>
      ),
    },
  ];
  return (
    <section aria-labelledby="page-title">
      <PageHeader
        title={t('nav.console.dnc')}
        extra={
          <Space>
            <Button type="primary" onClick={() => setAdding(true)}>
              {t('campaign.dnc.add')}
            </Button>
            <label className="ant-btn ant-btn-default" style={{ cursor: 'pointer' }}>
              {t('campaign.dnc.import')}
              <input
                type="file"
                accept=".csv,text/csv"
                hidden
                onChange={(e) => {
                  const f = e.target.files?.[0];
                  if (f) void api.importDnc(f).then(list.reload, fail);
                }}
              />
            </label>
            <a href="/api/v1/dnc/export" download>
              <Button>{t('campaign.dnc.export')}</Button>
            </a>
          </Space>
        }
      />
      <Card>
        <Input.Search allowClear placeholder={t('campaign.result.phone')} onSearch={setSearch} style={{ width: 240, marginBottom: 16 }} />
        {list.error ? <ErrorAlert error={list.error} /> : null}
        <Table<DncRow> rowKey="id" columns={columns} dataSource={list.items} loading={list.loading} pagination={false}
          footer={list.hasMore ? () => <Button onClick={list.loadMore}>{t('common.load_more')}</Button> : undefined} />
      </Card>
      <Modal open={adding} title={t('campaign.dnc.add')} onCancel={() => setAdding(false)} onOk={add}>
        <Input.TextArea rows={6} value={phones} onChange={(e) => setPhones(e.target.value)} placeholder={t('campaign.dnc.phones_help')} />
        <Input style={{ marginTop: 12 }} maxLength={255} value={note} onChange={(e) => setNote(e.target.value)} placeholder={t('campaign.dnc.note')} />
      </Modal>
    </section>
  );
}
