import { App as AntApp, Button, Card, Input, Modal, Select, Space, Table, Tag } from 'antd';
import { useState } from 'react';
import * as api from '../../api/billing';
import { formatDateTime, useI18n, type MessageKey } from '../../i18n';
import { ErrorAlert, errorDetail, errorTitle } from '../../shared/errors';
import { PageHeader } from '../../shared/PageHeader';
import { useCursorList } from '../../shared/useCursorList';
import { usePageTitle } from '../../shared/usePageTitle';

/** Reads a file as base64 (without the data: URL prefix). */
function readBase64(file: File): Promise<string> {
  return new Promise((resolve, reject) => {
    const r = new FileReader();
    r.onload = () => resolve(String(r.result).replace(/^data:[^,]*,/, ''));
    r.onerror = () => reject(r.error);
    r.readAsDataURL(file);
  });
}

export function InvoicesPage() {
  const { t, locale } = useI18n();
  const { message } = AntApp.useApp();
  const [state, setState] = useState('requested');
  const [issuing, setIssuing] = useState<api.Invoice | null>(null);
  const [rejecting, setRejecting] = useState<api.Invoice | null>(null);
  const [no, setNo] = useState('');
  const [file, setFile] = useState<File | null>(null);
  const [reason, setReason] = useState('');
  const list = useCursorList((p, s) => api.adminInvoices(p, s), { state });
  usePageTitle(t('nav.admin.invoices'), t('shell.admin_title'));

  const done = () => {
    setIssuing(null);
    setRejecting(null);
    setNo('');
    setFile(null);
    setReason('');
    list.reload();
  };
  const issue = async () => {
    if (!issuing || !file) return;
    try {
      await api.issueInvoice(issuing.id, no, await readBase64(file));
      message.success(t('billing.invoice.issued'));
      done();
    } catch (err) {
      message.error(`${errorTitle(t, err)} ${errorDetail(t, err)}`.trim());
    }
  };
  const reject = async () => {
    if (!rejecting) return;
    try {
      await api.rejectInvoice(rejecting.id, reason);
      done();
    } catch (err) {
      message.error(`${errorTitle(t, err)} ${errorDetail(t, err)}`.trim());
    }
  };

  return (
    <section aria-labelledby="page-title">
      <PageHeader title={t('nav.admin.invoices')} />
      <Card>
        <Select
          aria-label={t('field.status')}
          value={state}
          onChange={setState}
          style={{ minWidth: 160, marginBottom: 16 }}
          options={['', 'requested', 'issued', 'rejected'].map((s) => ({ value: s, label: s ? t(`billing.state.${s}` as MessageKey) : t('billing.all') }))}
        />
        {list.error ? <ErrorAlert error={list.error} /> : null}
        <Table
          rowKey="id"
          pagination={false}
          loading={list.loading}
          dataSource={list.items}
          columns={[
            { title: t('billing.tenant'), dataIndex: 'tenant_id', key: 'tenant' },
            { title: t('billing.invoice.company'), dataIndex: 'company', key: 'company' },
            { title: t('billing.invoice.tax_id'), dataIndex: 'tax_id', key: 'tax' },
            { title: t('billing.amount'), key: 'amount', render: (_, x) => `¥${api.yuan(x.amount_fen)}` },
            { title: t('field.status'), key: 'state', render: (_, x) => <Tag>{t(`billing.state.${x.state}` as MessageKey)}</Tag> },
            { title: t('field.created_at'), key: 'created', render: (_, x) => formatDateTime(locale, x.created_at) },
            {
              title: t('common.actions'),
              key: 'a',
              render: (_, x) =>
                x.state === 'requested' ? (
                  <Space>
                    <Button size="small" type="primary" onClick={() => setIssuing(x)}>
                      {t('billing.invoice.issue')}
                    </Button>
                    <Button size="small" danger onClick={() => setRejecting(x)}>
                      {t('billing.admin.reject')}
                    </Button>
                  </Space>
                ) : x.state === 'issued' ? (
                  <a href={api.adminInvoicePdfURL(x.id)} download>
                    {t('billing.invoice.download')}
                  </a>
                ) : (
                  x.reject_reason
                ),
            },
          ]}
        />
        {list.hasMore ? <Button onClick={list.loadMore}>{t('common.load_more')}</Button> : null}
      </Card>
      <Modal open={issuing !== null} title={t('billing.invoice.issue')} onOk={issue} okButtonProps={{ disabled: !file || !no }} onCancel={done} cancelText={t('common.cancel')}>
        <Space direction="vertical" style={{ width: '100%' }}>
          <Input aria-label={t('billing.invoice.number')} placeholder={t('billing.invoice.number')} value={no} maxLength={64} onChange={(e) => setNo(e.target.value)} />
          <input type="file" accept="application/pdf" aria-label={t('billing.invoice.pdf')} onChange={(e) => setFile(e.target.files?.[0] ?? null)} />
        </Space>
      </Modal>
      <Modal open={rejecting !== null} title={t('billing.admin.reject')} onOk={reject} okButtonProps={{ disabled: !reason.trim() }} onCancel={done} cancelText={t('common.cancel')}>
        <Input aria-label={t('billing.reason')} placeholder={t('billing.reason')} value={reason} maxLength={255} onChange={(e) => setReason(e.target.value)} />
      </Modal>
    </section>
  );
}
