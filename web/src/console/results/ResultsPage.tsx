import { Button, Card, Checkbox, Descriptions, Drawer, Input, Select, Space, Table, Tag, Timeline } from 'antd';
import type { ColumnsType } from 'antd/es/table';
import { useState } from 'react';
import { useSearchParams } from 'react-router';
import * as api from '../../api/campaign';
import type { CallResult } from '../../api/campaign';
import { formatDateTime, useI18n } from '../../i18n';
import { ErrorAlert } from '../../shared/errors';
import { PageHeader } from '../../shared/PageHeader';
import { useCursorList } from '../../shared/useCursorList';
import { usePageTitle } from '../../shared/usePageTitle';
import { SpeechTurns } from './SpeechTurns';
import { latencyLabel, transcriptOf } from './transcript';

const OUTCOMES = ['answered', 'busy', 'no_answer', 'rejected', 'invalid_number', 'unreachable', 'powered_off', 'carrier_error', 'canceled', 'failed'];

export function ResultsPage() {
  const { t, locale } = useI18n();
  const [params] = useSearchParams();
  const campaignId = Number(params.get('campaign_id') ?? 0) || undefined;
  const [outcome, setOutcome] = useState<string | undefined>();
  const [phone, setPhone] = useState('');
  const filter: api.ResultFilter = { campaign_id: campaignId, outcome, phone: phone || undefined };
  const list = useCursorList((p, signal) => api.listResults(p, signal), filter);
  const [withRecordings, setWithRecordings] = useState(false);
  const [open, setOpen] = useState<CallResult | null>(null);
  usePageTitle(t('nav.console.results'), 'waihu');

  const show = async (r: CallResult) => setOpen(await api.getResult(r.id));

  const columns: ColumnsType<CallResult> = [
    { title: t('campaign.result.phone'), dataIndex: 'phone', key: 'phone' },
    { title: t('campaign.result.outcome'), dataIndex: 'outcome', key: 'outcome', render: (o: string) => <Tag>{o}</Tag> },
    { title: t('campaign.result.grade'), dataIndex: 'grade', key: 'grade' },
    { title: t('campaign.result.talk'), dataIndex: 'talk_sec', key: 'talk' },
    { title: t('campaign.result.tags'), dataIndex: 'tags', key: 'tags', render: (tags: string[]) => tags.map((x) => <Tag key={x}>{x}</Tag>) },
    { title: t('campaign.result.at'), dataIndex: 'queued_at', key: 'at', render: (v: string) => formatDateTime(locale, v) },
    {
      title: t('common.actions'),
      key: 'a',
      render: (_, r) => (
        <Button size="small" onClick={() => void show(r)} data-testid={`result-open-${r.id}`}>
          {t('campaign.result.open')}
        </Button>
      ),
    },
  ];
  return (
    <section aria-labelledby="page-title">
      <PageHeader
        title={t('nav.console.results')}
        extra={
          <Space>
            <Checkbox checked={withRecordings} onChange={(e) => setWithRecordings(e.target.checked)} data-testid="export-recordings">
              {t('campaign.result.export_recordings')}
            </Checkbox>
            <a href={api.exportURL('xlsx', filter, withRecordings)} download data-testid="export-xlsx">
              <Button>{t('campaign.result.export_xlsx')}</Button>
            </a>
            <a href={api.exportURL('csv', filter, withRecordings)} download data-testid="export-csv">
              <Button>{t('campaign.result.export_csv')}</Button>
            </a>
          </Space>
        }
      />
      <Card>
        <Space style={{ marginBottom: 16 }} wrap>
          <Select allowClear placeholder={t('campaign.result.outcome')} style={{ width: 180 }} value={outcome} onChange={setOutcome} data-testid="result-outcome"
            options={OUTCOMES.map((o) => ({ value: o, label: o }))} />
          <Input.Search placeholder={t('campaign.result.phone')} allowClear onSearch={setPhone} style={{ width: 220 }} />
        </Space>
        {list.error ? <ErrorAlert error={list.error} /> : null}
        <Table<CallResult>
          rowKey="id"
          columns={columns}
          dataSource={list.items}
          data-testid="results-table"
          loading={list.loading}
          pagination={false}
          scroll={{ x: true }}
          footer={list.hasMore ? () => <Button onClick={list.loadMore}>{t('common.load_more')}</Button> : undefined}
        />
      </Card>
      <Drawer open={open !== null} onClose={() => setOpen(null)} size="large" title={open?.phone}>
        {open ? <CallDetail r={open} /> : null}
      </Drawer>
    </section>
  );
}

function CallDetail({ r }: { r: CallResult }) {
  const { t, locale } = useI18n();
  const [handled, setHandled] = useState(false);
  const [notes, setNotes] = useState('');
  const { lines, speech } = transcriptOf(r.timeline);
  return (
    <div data-testid="call-detail">
      <Descriptions column={2} size="small" bordered>
        <Descriptions.Item label={t('campaign.result.outcome')}>{r.outcome}</Descriptions.Item>
        <Descriptions.Item label={t('campaign.result.grade')}>{r.grade || '-'}</Descriptions.Item>
        <Descriptions.Item label={t('campaign.result.hangup')}>{`${r.hangup_cause} ${r.sip_status || ''}`}</Descriptions.Item>
        <Descriptions.Item label={t('campaign.result.talk')}>{r.talk_sec}s</Descriptions.Item>
        <Descriptions.Item label={t('campaign.result.at')}>{formatDateTime(locale, r.queued_at)}</Descriptions.Item>
        <Descriptions.Item label={t('campaign.result.cost')}>{(r.cost_fen / 100).toFixed(2)}</Descriptions.Item>
        <Descriptions.Item label={t('campaign.result.vars')} span={2}>
          {Object.entries(r.vars).map(([k, v]) => `${k}=${v}`).join('  ')}
        </Descriptions.Item>
      </Descriptions>
      {r.recording ? (
        <audio controls src={`/api/v1/results/${r.id}/recording`} style={{ width: '100%', marginTop: 16 }} data-testid="call-audio" />
      ) : null}
      <Timeline
        style={{ marginTop: 24 }}
        data-testid="call-transcript"
        items={lines.map((line, i) => ({
          key: i,
          color: line.who === 'robot' ? 'blue' : line.who === 'callee' ? 'green' : 'gray',
          content: (
            <span>
              {`${line.at_ms !== undefined ? `${(line.at_ms / 1000).toFixed(1)}s ` : ''}${line.who}: ${line.text || line.node || ''}`}
              {line.speech ? (
                <Tag style={{ marginLeft: 8 }} data-testid="turn-engine">
                  {latencyLabel(line.speech)}
                </Tag>
              ) : null}
            </span>
          ),
        }))}
      />
      <SpeechTurns turns={speech} hasCallee={lines.some((l) => l.who === 'callee')} />
      <Space orientation="vertical" style={{ width: '100%' }}>
        <Checkbox checked={handled} onChange={(e) => setHandled(e.target.checked)}>
          {t('campaign.result.handled')}
        </Checkbox>
        <Input.TextArea value={notes} onChange={(e) => setNotes(e.target.value)} maxLength={4000} placeholder={t('campaign.result.notes')} />
        <Button type="primary" onClick={() => void api.followUp(r.id, { handled, notes })}>
          {t('campaign.result.save')}
        </Button>
      </Space>
    </div>
  );
}
