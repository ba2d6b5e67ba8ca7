import { UploadOutlined } from '@ant-design/icons';
import { Alert, App as AntApp, Button, Card, Checkbox, Form, Input, Modal, Progress, Select, Space, Table, Tag, Typography } from 'antd';
import type { ColumnsType } from 'antd/es/table';
import { useEffect, useState } from 'react';
import * as api from '../../api/campaign';
import type { ContactList, ListImport, Mapping, Preview } from '../../api/campaign';
import { formatDateTime, useI18n, type MessageKey } from '../../i18n';
import { ErrorAlert, errorDetail, errorTitle } from '../../shared/errors';
import { PageHeader } from '../../shared/PageHeader';
import { useCursorList } from '../../shared/useCursorList';
import { usePageTitle } from '../../shared/usePageTitle';

export function ListsPage() {
  const { t, locale } = useI18n();
  const list = useCursorList((p, signal) => api.listLists(p, signal), {});
  const [wizard, setWizard] = useState(false);
  usePageTitle(t('nav.console.lists'), 'waihu');

  const columns: ColumnsType<ContactList> = [
    { title: t('field.name'), dataIndex: 'name', key: 'name' },
    {
      title: t('field.status'),
      dataIndex: 'state',
      key: 'state',
      render: (s: string) => <Tag color={s === 'ready' ? 'green' : s === 'failed' ? 'red' : 'blue'}>{t(`campaign.list.state.${s}` as MessageKey)}</Tag>,
    },
    { title: t('campaign.list.count'), dataIndex: 'contact_count', key: 'count' },
    { title: t('campaign.list.columns'), dataIndex: 'columns', key: 'columns', render: (c: string[]) => c.join(', ') },
    { title: t('field.created_at'), dataIndex: 'created_at', key: 'created_at', render: (v: string) => formatDateTime(locale, v) },
  ];

  return (
    <section aria-labelledby="page-title">
      <PageHeader
        title={t('nav.console.lists')}
        extra={
          <Button type="primary" icon={<UploadOutlined />} onClick={() => setWizard(true)} data-testid="list-upload">
            {t('campaign.list.upload')}
          </Button>
        }
      />
      <Card>
        {list.error ? <ErrorAlert error={list.error} /> : null}
        <Table<ContactList>
          rowKey="id"
          columns={columns}
          dataSource={list.items}
          loading={list.loading}
          pagination={false}
          footer={list.hasMore ? () => <Button onClick={list.loadMore}>{t('common.load_more')}</Button> : undefined}
        />
      </Card>
      {wizard ? (
        <ImportWizard
          onClose={() => {
            setWizard(false);
            list.reload();
          }}
        />
      ) : null}
    </section>
  );
}

/** Upload → column mapping with a preview → import progress → report. */
function ImportWizard({ onClose }: { onClose: () => void }) {
  const { t } = useI18n();
  const { message } = AntApp.useApp();
  const [file, setFile] = useState<File | null>(null);
  const [name, setName] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [preview, setPreview] = useState<Preview | null>(null);
  const [mapping, setMapping] = useState<Mapping | null>(null);
  const [imp, setImp] = useState<ListImport | null>(null);

  useEffect(() => {
    if (!imp || imp.state === 'done' || imp.state === 'failed') return;
    const timer = setTimeout(() => {
      api.getImport(imp.id).then(setImp, setError);
    }, 700);
    return () => clearTimeout(timer);
  }, [imp]);

  const doUpload = async () => {
    if (!file) return;
    setBusy(true);
    setError(null);
    try {
      const p = await api.uploadList(file, name);
      setPreview(p);
      setMapping(p.suggested);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  const doStart = async () => {
    if (!preview || !mapping) return;
    setBusy(true);
    setError(null);
    try {
      setImp(await api.startImport(preview.import_id, mapping));
    } catch (err) {
      message.error(`${errorTitle(t, err)} ${errorDetail(t, err)}`.trim());
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  const headers = preview?.headers ?? [];
  const colOptions = headers.map((h, i) => ({ value: i, label: `${i + 1}. ${h}` }));
  const varName = (h: string, i: number) => (h.trim() ? h.trim() : `col${i + 1}`);

  let body;
  if (imp) {
    const pct = imp.total_rows > 0 ? Math.min(100, Math.round((imp.rows_done / imp.total_rows) * 100)) : imp.state === 'done' ? 100 : 0;
    body = (
      <div data-testid="import-progress">
        <Progress percent={imp.state === 'done' ? 100 : pct} status={imp.state === 'failed' ? 'exception' : undefined} />
        <p>
          <Tag data-testid="import-state">{t(`campaign.import.state.${imp.state}` as MessageKey)}</Tag>
          {t('campaign.import.summary', { imported: imp.imported, duplicates: imp.duplicates, invalid: imp.invalid, dnc: imp.dnc })}
        </p>
        {imp.error ? <Alert type="error" showIcon title={imp.error} /> : null}
        {imp.duplicates + imp.invalid + imp.dnc > 0 ? (
          <a href={api.importErrorsURL(imp.id)} download>
            {t('campaign.import.errors_file')}
          </a>
        ) : null}
      </div>
    );
  } else if (preview && mapping) {
    body = (
      <div>
        <p>
          {t('campaign.import.detected', { format: preview.format.toUpperCase(), encoding: preview.encoding || '-' })}
        </p>
        <Form layout="vertical">
          <Form.Item label={t('campaign.import.phone_column')}>
            <Select
              data-testid="map-phone"
              options={colOptions}
              value={mapping.phone}
              onChange={(v: number) => setMapping({ ...mapping, phone: v })}
            />
          </Form.Item>
          <Form.Item label={t('campaign.import.name_column')}>
            <Select
              options={[{ value: -1, label: t('campaign.import.none') }, ...colOptions]}
              value={mapping.name}
              onChange={(v: number) => setMapping({ ...mapping, name: v })}
            />
          </Form.Item>
          <Form.Item>
            <Checkbox checked={mapping.has_header} onChange={(e) => setMapping({ ...mapping, has_header: e.target.checked })}>
              {t('campaign.import.has_header')}
            </Checkbox>
          </Form.Item>
          <Form.Item label={t('campaign.import.vars')}>
            <Space wrap>
              {headers.map((h, i) =>
                i === mapping.phone || i === mapping.name ? null : (
                  <Checkbox
                    key={i}
                    checked={Object.values(mapping.vars).includes(i)}
                    onChange={(e) => {
                      const vars = Object.fromEntries(Object.entries(mapping.vars).filter(([, c]) => c !== i));
                      if (e.target.checked) vars[varName(h, i)] = i;
                      setMapping({ ...mapping, vars });
                    }}
                  >
                    {varName(h, i)}
                  </Checkbox>
                ),
              )}
            </Space>
          </Form.Item>
        </Form>
        <Typography.Title level={5}>{t('campaign.import.preview')}</Typography.Title>
        <Table
          size="small"
          data-testid="import-preview"
          rowKey={(_, i) => String(i)}
          pagination={false}
          scroll={{ x: true }}
          columns={headers.map((h, i) => ({ title: h || `#${i + 1}`, key: String(i), render: (_: unknown, r: string[]) => r[i] ?? '' }))}
          dataSource={preview.rows ?? []}
        />
      </div>
    );
  } else {
    body = (
      <Form layout="vertical">
        <Form.Item label={t('campaign.list.name')}>
          <Input value={name} onChange={(e) => setName(e.target.value)} maxLength={128} data-testid="list-name" />
        </Form.Item>
        <Form.Item label={t('campaign.list.file')} extra={t('campaign.list.file_help')}>
          <input
            type="file"
            accept=".csv,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            data-testid="list-file"
            onChange={(e) => setFile(e.target.files?.[0] ?? null)}
          />
        </Form.Item>
      </Form>
    );
  }

  const footer = imp ? (
    <Button type="primary" onClick={onClose} disabled={imp.state !== 'done' && imp.state !== 'failed'} data-testid="import-close">
      {t('campaign.wizard.close')}
    </Button>
  ) : preview ? (
    <Button type="primary" loading={busy} onClick={doStart} data-testid="import-start">
      {t('campaign.import.start')}
    </Button>
  ) : (
    <Button type="primary" loading={busy} disabled={!file} onClick={doUpload} data-testid="upload-next">
      {t('campaign.list.upload_next')}
    </Button>
  );

  return (
    <Modal open width={860} title={t('campaign.list.upload')} onCancel={onClose} footer={footer}>
      {error ? <ErrorAlert error={error} /> : null}
      {body}
    </Modal>
  );
}
