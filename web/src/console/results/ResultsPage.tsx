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

const OUTCOMES = ['answered', 'busy', 'no_answer', 'rejected', 'invalid_number', 'unreachable', 'powered_off', 'carrier_error', 'canceled', 'failed'];

interface Turn {
  at_ms?: number;
  who?: string;
  text?: string;
  node?: string;
}

function turnsOf(timeline: unknown): Turn[] {
  if (!timeline || typeof timeline !== 'object') return [];
  const t = timeline as { turns?: unknown; events?: unknown };
  const arr = Array.isArray(t.turns) ? t.turns : Array.isArray(t.events) ? t.events : Array.isArray(timeline) ? (timeline as unknown[]) : [];
  return arr.filter((x): x is Turn => typeof x === 'object' && x !== null);
}

export function ResultsPage() {
  const { t, locale } = useI18n();
  const [params] = useSearchParams();
  const campaignId = Number(params.get('campaign_id') ?? 0) || undefined;
  const [outcome, setOutcome] = useState<string | undefined>();
  const [phone, setPhone] = useState('');
  const list = useCursorList((p, signal) => api.listResults(p, signal), { campaign_id: campaignId, outcome, phone: phone || undefined });
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
            <a href={api.exportURL('xlsx', campaignId)} download data-testid="export-xlsx">
              <Button>{t('campaign.result.export_xlsx')}</Button>
            </a>
            <a href={api.exportURL('csv', campaignId)} download>
              <Button>{t('campaign.result.export_csv')}</Button>
            </a>
          </Space>
        }
      />
      <Card>
        <Space style={{ marginBottom: 16 }} wrap>
          <Select allowClear placeholder={t('campaign.result.outcome')} style={{ width: 180 }} value={outcome} onChange={setOutcome}
            options={OUTCOMES.map((o) => ({ value: o, label: o }))} />
          <Input.Search placeholder={t('campaign.result.phone')} allowClear onSearch={setPhone} style={{ width: 220 }} />
        </Space>
        {list.error ? <ErrorAlert error={list.error} /> : null}
        <Table<CallResult>
          rowKey="id"
          columns={columns}
          dataSource={list.items}
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
  const turns = turnsOf(r.timeline);
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
        items={turns.map((turn, i) => ({
          key: i,
          color: turn.who === 'bot' ? 'blue' : 'green',
          content: `${turn.at_ms !== undefined ? `${(turn.at_ms / 1000).toFixed(1)}s ` : ''}${turn.who ?? ''}: ${turn.text ?? turn.node ?? ''}`,
        }))}
      />
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
