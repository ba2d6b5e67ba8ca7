import { App as AntApp, Button, Card, Form, Input, Modal, Popconfirm, Select, Space, Table, Tag, Typography } from 'antd';
import type { ColumnsType } from 'antd/es/table';
import { useCallback, useEffect, useState } from 'react';
import * as api from '../../api/announcements';
import type { AnnouncementRef } from '../../api/announcements';
import { formatDateTime, useI18n } from '../../i18n';
import { applyFieldErrors, ErrorAlert, errorDetail, errorTitle } from '../../shared/errors';
import { PageHeader } from '../../shared/PageHeader';
import { usePageTitle } from '../../shared/usePageTitle';

/** Carrier announcement references: early-media clips (关机, 空号…) recognised by fingerprint. */
export function AnnouncementsPage() {
  const { t, locale } = useI18n();
  const { message } = AntApp.useApp();
  const [rows, setRows] = useState<AnnouncementRef[]>([]);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<unknown>(null);
  const [adding, setAdding] = useState(false);
  const [checking, setChecking] = useState(false);
  usePageTitle(t('nav.admin.announcements'), t('shell.admin_title'));

  const load = useCallback(() => {
    setLoading(true);
    api.listAnnouncements().then(
      (r) => {
        setRows(r.items);
        setLoading(false);
      },
      (err: unknown) => {
        setError(err);
        setLoading(false);
      },
    );
  }, []);
  useEffect(load, [load]);

  const remove = async (r: AnnouncementRef) => {
    try {
      await api.deleteAnnouncement(r.id);
      message.success(t('announcements.deleted'));
      load();
    } catch (err) {
      message.error(`${errorTitle(t, err)} ${errorDetail(t, err)}`.trim());
    }
  };

  const columns: ColumnsType<AnnouncementRef> = [
    { title: t('field.name'), dataIndex: 'name', key: 'name' },
    { title: t('announcements.carrier'), dataIndex: 'carrier', key: 'carrier', render: (v: string) => v || <Tag>{t('announcements.all_carriers')}</Tag> },
    { title: t('announcements.outcome'), dataIndex: 'outcome', key: 'outcome', render: (v: api.AnnouncementOutcome) => <Tag color="blue">{t(`announcements.outcome.${v}`)}</Tag> },
    { title: t('announcements.duration'), key: 'dur', render: (_, r) => `${(r.duration_ms / 1000).toFixed(1)} s · ${r.landmarks}` },
    { title: t('announcements.listen'), key: 'audio', render: (_, r) => <audio controls preload="none" src={api.announcementAudioURL(r.id)} style={{ height: 32 }} /> },
    { title: t('announcements.created'), key: 'created', render: (_, r) => formatDateTime(locale, r.created_at) },
    {
      title: t('common.actions'),
      key: 'actions',
      render: (_, r) => (
        <Popconfirm title={t('announcements.delete_confirm', { name: r.name })} okText={t('announcements.delete')} cancelText={t('common.cancel')} okButtonProps={{ danger: true }} onConfirm={() => remove(r)}>
          <Button size="small" danger data-testid={`delete-announcement-${r.id}`}>
            {t('announcements.delete')}
          </Button>
        </Popconfirm>
      ),
    },
  ];

  return (
    <section aria-labelledby="page-title">
      <PageHeader
        title={t('nav.admin.announcements')}
        extra={
          <Space>
            <Button onClick={() => setChecking(true)} data-testid="check-announcement">
              {t('announcements.check')}
            </Button>
            <Button type="primary" onClick={() => setAdding(true)} data-testid="add-announcement">
              {t('announcements.add')}
            </Button>
          </Space>
        }
      />
      <Card>
        <Typography.Paragraph type="secondary">{t('announcements.intro')}</Typography.Paragraph>
        {error ? <ErrorAlert error={error} /> : null}
        <Table<AnnouncementRef> rowKey="id" columns={columns} dataSource={rows} loading={loading} pagination={false} scroll={{ x: true }} />
      </Card>
      <CheckModal open={checking} onClose={() => setChecking(false)} />
      <UploadModal
        open={adding}
        onClose={() => setAdding(false)}
        onDone={() => {
          setAdding(false);
          message.success(t('crm.saved'));
          load();
        }}
      />
    </section>
  );
}

interface UploadForm {
  name: string;
  carrier: string;
  outcome: string;
}

function UploadModal({ open, onClose, onDone }: { open: boolean; onClose: () => void; onDone: () => void }) {
  const { t } = useI18n();
  const [form] = Form.useForm<UploadForm>();
  const [file, setFile] = useState<File | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    if (!open) return;
    form.resetFields();
    form.setFieldsValue({ outcome: 'powered_off', carrier: '' });
    setFile(null);
    setError(null);
  }, [open, form]);
  const submit = async (v: UploadForm) => {
    if (!file) {
      form.setFields([{ name: 'name', errors: [] }]);
      setError(new Error(t('announcements.file_required')));
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await api.uploadAnnouncement(file, v.name, v.carrier ?? '', v.outcome);
      onDone();
    } catch (err) {
      if (!applyFieldErrors(form, err, ['name', 'carrier', 'outcome'])) setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Modal open={open} title={t('announcements.add')} okText={t('announcements.upload')} cancelText={t('common.cancel')} confirmLoading={busy} onOk={() => form.submit()} onCancel={onClose} forceRender>
      <Form form={form} name="announcement" layout="vertical" onFinish={submit}>
        <Form.Item label={t('announcements.file')} extra={t('announcements.file_hint')} required>
          <input type="file" accept=".wav,audio/wav,audio/x-wav" data-testid="announcement-file" onChange={(e) => setFile(e.target.files?.[0] ?? null)} />
        </Form.Item>
        <Form.Item name="name" label={t('field.name')} rules={[{ required: true, message: t('validation.required') }]}>
          <Input maxLength={128} placeholder={t('announcements.name_hint')} />
        </Form.Item>
        <Space wrap>
          <Form.Item name="carrier" label={t('announcements.carrier')} extra={t('announcements.carrier_hint')}>
            <Input maxLength={64} style={{ width: 220 }} />
          </Form.Item>
          <Form.Item name="outcome" label={t('announcements.outcome')} rules={[{ required: true, message: t('validation.required') }]}>
            <Select style={{ width: 200 }} options={api.ANNOUNCEMENT_OUTCOMES.map((o) => ({ value: o, label: t(`announcements.outcome.${o}`) }))} />
          </Form.Item>
        </Space>
      </Form>
      {error ? <ErrorAlert error={error} /> : null}
    </Modal>
  );
}

/** Checks a captured early-media clip against the references of a carrier. */
function CheckModal({ open, onClose }: { open: boolean; onClose: () => void }) {
  const { t } = useI18n();
  const [file, setFile] = useState<File | null>(null);
  const [carrier, setCarrier] = useState('');
  const [result, setResult] = useState<api.AnnouncementMatch | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    if (!open) return;
    setFile(null);
    setResult(null);
    setError(null);
  }, [open]);
  const check = async () => {
    if (!file) {
      setError(new Error(t('announcements.file_required')));
      return;
    }
    setBusy(true);
    setError(null);
    try {
      setResult(await api.matchAnnouncement(file, carrier));
    } catch (err) {
      setResult(null);
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Modal open={open} title={t('announcements.check')} okText={t('announcements.check_run')} cancelText={t('common.cancel')} confirmLoading={busy} onOk={() => void check()} onCancel={onClose}>
      <Typography.Paragraph type="secondary">{t('announcements.check_intro')}</Typography.Paragraph>
      <Space direction="vertical" style={{ width: '100%' }}>
        <input type="file" accept=".wav,audio/wav,audio/x-wav" aria-label={t('announcements.file')} data-testid="check-file" onChange={(e) => setFile(e.target.files?.[0] ?? null)} />
        <Input maxLength={64} placeholder={t('announcements.carrier')} aria-label={t('announcements.carrier')} value={carrier} onChange={(e) => setCarrier(e.target.value)} />
        {result ? (
          <div data-testid="check-result">
            {result.matched && result.reference ? (
              <Typography.Text type="success">
                {t('announcements.check_matched', { name: result.reference.name, outcome: t(`announcements.outcome.${result.reference.outcome}`) })}
              </Typography.Text>
            ) : (
              <Typography.Text type="warning">{t('announcements.check_none')}</Typography.Text>
            )}
            <div>
              {t('announcements.check_score', { score: result.score, coverage: Math.round(result.coverage * 100) })}
            </div>
          </div>
        ) : null}
        {error ? <ErrorAlert error={error} /> : null}
      </Space>
    </Modal>
  );
}
