import { PlusOutlined } from '@ant-design/icons';
import { App as AntApp, Button, Card, Descriptions, Form, Input, InputNumber, Modal, Select, Space, Statistic, Steps, Table, Tag } from 'antd';
import type { ColumnsType } from 'antd/es/table';
import { useEffect, useState } from 'react';
import { Link, useParams } from 'react-router';
import * as api from '../../api/campaign';
import type { Campaign, CompliancePreview, ContactList, Stats } from '../../api/campaign';
import { formatDateTime, useI18n, type MessageKey } from '../../i18n';
import { ApiError } from '../../api/client';
import { ErrorAlert, errorDetail, errorTitle } from '../../shared/errors';
import { PageHeader } from '../../shared/PageHeader';
import { useCursorList } from '../../shared/useCursorList';
import { usePageTitle } from '../../shared/usePageTitle';

const STATE_COLOR: Record<string, string> = { running: 'green', paused: 'orange', scheduled: 'blue', completed: 'default', stopped: 'red', draft: 'default' };

function CampaignActions({ c, onDone }: { c: Campaign; onDone: () => void }) {
  const { t } = useI18n();
  const { message } = AntApp.useApp();
  const act = async (a: 'start' | 'pause' | 'resume' | 'stop') => {
    try {
      await api.actCampaign(c.id, a);
      onDone();
    } catch (err) {
      message.error(`${errorTitle(t, err)} ${errorDetail(t, err)}`.trim());
    }
  };
  return (
    <Space>
      {c.state === 'draft' ? (
        <Button size="small" type="primary" onClick={() => act('start')} data-testid={`start-${c.id}`}>
          {t('campaign.action.start')}
        </Button>
      ) : null}
      {c.state === 'running' || c.state === 'scheduled' ? (
        <Button size="small" onClick={() => act('pause')}>
          {t('campaign.action.pause')}
        </Button>
      ) : null}
      {c.state === 'paused' ? (
        <Button size="small" type="primary" onClick={() => act('resume')}>
          {t('campaign.action.resume')}
        </Button>
      ) : null}
      {c.state !== 'completed' && c.state !== 'stopped' ? (
        <Button size="small" danger onClick={() => act('stop')} data-testid={`stop-${c.id}`}>
          {t('campaign.action.stop')}
        </Button>
      ) : null}
    </Space>
  );
}

export function CampaignsPage() {
  const { t, locale } = useI18n();
  const list = useCursorList((p, signal) => api.listCampaigns(p, signal), {});
  const [wizard, setWizard] = useState(false);
  usePageTitle(t('nav.console.campaigns'), 'waihu');
  const columns: ColumnsType<Campaign> = [
    { title: t('field.name'), dataIndex: 'name', key: 'name', render: (n: string, c) => <Link to={`/console/campaigns/${c.id}`}>{n}</Link> },
    {
      title: t('field.status'),
      dataIndex: 'state',
      key: 'state',
      render: (s: string, c) => (
        <span>
          <Tag color={STATE_COLOR[s]} data-testid="campaign-state">{t(`campaign.state.${s}` as MessageKey)}</Tag>
          {c.pause_reason && s === 'paused' ? c.pause_reason : null}
        </span>
      ),
    },
    { title: t('campaign.progress'), key: 'progress', render: (_, c) => `${c.finished} / ${c.total}` },
    { title: t('field.created_at'), dataIndex: 'created_at', key: 'created_at', render: (v: string) => formatDateTime(locale, v) },
    { title: t('common.actions'), key: 'actions', render: (_, c) => <CampaignActions c={c} onDone={list.reload} /> },
  ];
  return (
    <section aria-labelledby="page-title">
      <PageHeader
        title={t('nav.console.campaigns')}
        extra={
          <Button type="primary" icon={<PlusOutlined />} onClick={() => setWizard(true)} data-testid="campaign-new">
            {t('campaign.new')}
          </Button>
        }
      />
      <Card>
        {list.error ? <ErrorAlert error={list.error} /> : null}
        <Table<Campaign> rowKey="id" columns={columns} dataSource={list.items} loading={list.loading} pagination={false} />
      </Card>
      {wizard ? (
        <CampaignWizard
          onClose={() => {
            setWizard(false);
            list.reload();
          }}
        />
      ) : null}
    </section>
  );
}

/** list → script version → schedule and windows → lines → review with the compliance preview. */
function CampaignWizard({ onClose }: { onClose: () => void }) {
  const { t } = useI18n();
  const [step, setStep] = useState(0);
  const [lists, setLists] = useState<ContactList[]>([]);
  const [scripts, setScripts] = useState<{ id: number; name: string }[]>([]);
  const [name, setName] = useState('');
  const [listId, setListId] = useState<number | null>(null);
  const [scriptVersion, setScriptVersion] = useState<number | null>(null);
  const [windows, setWindows] = useState(api.DEFAULT_RULES.windows.map((w) => `${w.from}-${w.to}`).join(', '));
  const [weekdays, setWeekdays] = useState<number[]>(api.DEFAULT_RULES.weekdays);
  const [holidays, setHolidays] = useState('');
  const [maxConcurrent, setMaxConcurrent] = useState(10);
  const [priority, setPriority] = useState(0);
  const [preview, setPreview] = useState<CompliancePreview | null>(null);
  const [error, setError] = useState<unknown>(null);
  // The server's reason for refusing the script version (e.g. it uses
  // columns the list lacks), shown on the script step.
  const [scriptError, setScriptError] = useState('');
  // The columns the chosen version reads, once the server said it fits.
  const [scriptColumns, setScriptColumns] = useState<string[] | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    api.listLists({ limit: 200 }).then((p) => setLists(p.items.filter((l) => l.state === 'ready')), setError);
    void api.listScriptVersions().then(setScripts);
  }, []);

  const rules = (): api.Rules => ({
    ...api.DEFAULT_RULES,
    windows: windows
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)
      .map((s) => {
        const [from, to] = s.split('-').map((x) => x.trim());
        return { from: from ?? '', to: to ?? '' };
      }),
    weekdays,
    holidays: holidays
      .split(/[\s,]+/)
      .map((s) => s.trim())
      .filter(Boolean),
  });

  const next = async () => {
    setError(null);
    // The script step checks the version against the list's columns now,
    // not only when the campaign is finally created.
    if (step === 1 && listId && scriptVersion) {
      try {
        setScriptColumns((await api.scriptFit(listId, scriptVersion)).columns);
      } catch (err) {
        const reason = err instanceof ApiError ? err.fields.script_version_id : undefined;
        if (reason) setScriptError(reason);
        else setError(err);
        return;
      }
    }
    if (step === 3 && listId) {
      try {
        setPreview(await api.compliancePreview(listId, rules()));
      } catch (err) {
        setError(err);
        return;
      }
    }
    setStep(step + 1);
  };

  const create = async () => {
    if (!listId) return;
    setBusy(true);
    try {
      await api.createCampaign({
        name,
        list_id: listId,
        script_version_id: scriptVersion ?? 0,
        priority,
        max_concurrent: maxConcurrent,
        start_at: '',
        end_at: '',
        rules: rules(),
      });
      onClose();
    } catch (err) {
      const reason = err instanceof ApiError ? err.fields.script_version_id : undefined;
      if (reason) {
        setScriptError(reason);
        setStep(1);
      } else {
        setError(err);
      }
    } finally {
      setBusy(false);
    }
  };

  const weekdayOptions = [1, 2, 3, 4, 5, 6, 0].map((d) => ({ value: d, label: t(`campaign.weekday.${d}` as MessageKey) }));
  const steps = [
    <Form layout="vertical" key="list">
      <Form.Item label={t('field.name')} required>
        <Input value={name} onChange={(e) => setName(e.target.value)} maxLength={128} data-testid="campaign-name" />
      </Form.Item>
      <Form.Item label={t('campaign.wizard.list')} required>
        <Select
          data-testid="campaign-list"
          value={listId ?? undefined}
          onChange={(v: number) => setListId(v)}
          options={lists.map((l) => ({ value: l.id, label: `${l.name} (${l.contact_count})` }))}
        />
      </Form.Item>
    </Form>,
    <Form layout="vertical" key="script">
      <Form.Item
        label={t('campaign.wizard.script')}
        extra={t('campaign.wizard.script_help')}
        validateStatus={scriptError ? 'error' : undefined}
        help={scriptError ? <span data-testid="campaign-script-error">{t('campaign.wizard.script_columns', { reason: scriptError })}</span> : undefined}
      >
        {scripts.length > 0 ? (
          <Select
            data-testid="campaign-script-select"
            value={scriptVersion ?? undefined}
            onChange={(v: number) => {
              setScriptVersion(v);
              setScriptError('');
              setScriptColumns(null);
            }}
            options={scripts.map((s) => ({ value: s.id, label: s.name }))}
          />
        ) : (
          <InputNumber min={1} value={scriptVersion ?? undefined} onChange={(v) => {
              setScriptVersion(v ?? null);
              setScriptError('');
              setScriptColumns(null);
            }} data-testid="campaign-script" />
        )}
      </Form.Item>
    </Form>,
    <Form layout="vertical" key="schedule">
      <Form.Item label={t('campaign.wizard.windows')} extra={t('campaign.wizard.windows_help')}>
        <Input value={windows} onChange={(e) => setWindows(e.target.value)} data-testid="campaign-windows" />
      </Form.Item>
      <Form.Item label={t('campaign.wizard.weekdays')}>
        <Select mode="multiple" value={weekdays} onChange={setWeekdays} options={weekdayOptions} data-testid="campaign-weekdays" />
      </Form.Item>
      <Form.Item label={t('campaign.wizard.holidays')} extra="2026-10-01 2026-10-02">
        <Input value={holidays} onChange={(e) => setHolidays(e.target.value)} />
      </Form.Item>
    </Form>,
    <Form layout="vertical" key="lines">
      <Form.Item label={t('campaign.wizard.max_concurrent')}>
        <InputNumber min={1} max={10000} value={maxConcurrent} onChange={(v) => setMaxConcurrent(v ?? 1)} />
      </Form.Item>
      <Form.Item label={t('campaign.wizard.priority')}>
        <InputNumber min={0} max={100} value={priority} onChange={(v) => setPriority(v ?? 0)} />
      </Form.Item>
    </Form>,
    <div key="review" data-testid="campaign-review">
      {preview ? (
        <Descriptions column={1} bordered size="small">
          <Descriptions.Item label={t('campaign.preview.total')}>{preview.total}</Descriptions.Item>
          {preview.rules.map((r) => (
            <Descriptions.Item key={r.rule} label={t(`campaign.preview.${r.rule}` as MessageKey)}>
              {r.count}
            </Descriptions.Item>
          ))}
          <Descriptions.Item label={t('campaign.preview.callable')}>{preview.callable_now}</Descriptions.Item>
          {scriptColumns ? (
            <Descriptions.Item label={t('campaign.wizard.script_reads')}>
              <span data-testid="campaign-script-columns">{scriptColumns.length > 0 ? scriptColumns.join(', ') : t('campaign.wizard.script_reads_none')}</span>
            </Descriptions.Item>
          ) : null}
          <Descriptions.Item label={t('campaign.preview.ai_disclosure')}>{t('campaign.preview.required')}</Descriptions.Item>
        </Descriptions>
      ) : null}
    </div>,
  ];
  const canNext = step === 0 ? name.trim() !== '' && listId !== null : true;
  return (
    <Modal
      open
      width={760}
      title={t('campaign.new')}
      onCancel={onClose}
      footer={
        <Space>
          {step > 0 ? <Button onClick={() => setStep(step - 1)}>{t('campaign.wizard.back')}</Button> : null}
          {step < steps.length - 1 ? (
            <Button type="primary" disabled={!canNext} onClick={next} data-testid="wizard-next">
              {t('campaign.wizard.next')}
            </Button>
          ) : (
            <Button type="primary" loading={busy} onClick={create} data-testid="wizard-create">
              {t('campaign.wizard.create')}
            </Button>
          )}
        </Space>
      }
    >
      <Steps
        size="small"
        current={step}
        style={{ marginBottom: 24 }}
        items={['list', 'script', 'schedule', 'lines', 'review'].map((s) => ({ title: t(`campaign.wizard.step.${s}` as MessageKey) }))}
      />
      {error ? <ErrorAlert error={error} /> : null}
      {steps[step]}
    </Modal>
  );
}

/** Live view: statistics pushed over Server-Sent Events, no reload. */
export function CampaignLivePage() {
  const { t } = useI18n();
  const id = Number(useParams().id);
  const [c, setC] = useState<Campaign | null>(null);
  const [stats, setStats] = useState<Stats | null>(null);
  const [calls, setCalls] = useState<api.InFlightCall[]>([]);
  const [error, setError] = useState<unknown>(null);
  usePageTitle(c?.name ?? t('nav.console.campaigns'), 'waihu');
  const reload = () => api.getCampaign(id).then(setC, setError);
  useEffect(() => {
    void reload();
    const es = new EventSource(api.campaignEventsURL(id));
    es.addEventListener('stats', (ev) => {
      const s = JSON.parse((ev as MessageEvent<string>).data) as Stats;
      setStats(s);
      api.inFlightCalls(id).then((p) => setCalls(p.items), () => undefined);
      setC((prev) => (prev && prev.state !== s.state ? { ...prev, state: s.state as Campaign['state'], pause_reason: s.pause_reason } : prev));
    });
    return () => es.close();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [id]);
  if (error) return <ErrorAlert error={error} />;
  if (!c) return null;
  return (
    <section aria-labelledby="page-title">
      <PageHeader title={c.name} extra={<CampaignActions c={c} onDone={reload} />} />
      <Card>
        <p>
          <Tag color={STATE_COLOR[c.state]} data-testid="live-state">{t(`campaign.state.${c.state}` as MessageKey)}</Tag>
          {c.pause_reason}
        </p>
        {stats ? (
          <Space size="large" wrap data-testid="live-stats">
            <Statistic title={t('campaign.stats.total')} value={stats.total} data-testid="live-total" />
            <Statistic title={t('campaign.stats.done')} value={stats.done} data-testid="live-done" />
            <Statistic title={t('campaign.stats.in_flight')} value={stats.in_flight} data-testid="live-in-flight" />
            <Statistic title={t('campaign.stats.pending')} value={stats.pending} data-testid="live-pending" />
            <Statistic title={t('campaign.stats.calls')} value={stats.calls} data-testid="live-calls-count" />
            <Statistic title={t('campaign.stats.answered')} value={stats.answered} data-testid="live-answered" />
            <Statistic title={t('campaign.stats.connect_rate')} value={(stats.connect_rate * 100).toFixed(1)} suffix="%" />
            <Statistic title={t('campaign.stats.avg_talk')} value={stats.avg_talk_sec.toFixed(0)} suffix="s" />
          </Space>
        ) : null}
        {stats ? (
          <Descriptions title={t('campaign.stats.outcomes')} size="small" column={4} style={{ marginTop: 24 }}>
            {Object.entries(stats.outcomes).map(([k, v]) => (
              <Descriptions.Item key={k} label={k}>
                {v}
              </Descriptions.Item>
            ))}
            {Object.entries(stats.grades).map(([k, v]) => (
              <Descriptions.Item key={`g${k}`} label={`${t('campaign.result.grade')} ${k}`}>
                {v}
              </Descriptions.Item>
            ))}
          </Descriptions>
        ) : null}
        <Table
          size="small"
          style={{ marginTop: 24 }}
          rowKey="id"
          pagination={false}
          dataSource={calls}
          data-testid="live-calls"
          columns={[
            { title: t('campaign.result.phone'), dataIndex: 'phone', key: 'phone' },
            { title: t('campaign.live.attempt'), dataIndex: 'attempt_no', key: 'n' },
            { title: t('campaign.live.caller_id'), dataIndex: 'caller_id', key: 'cid' },
          ]}
        />
        <p>
          <Link to={`/console/results?campaign_id=${c.id}`} data-testid="live-results-link">
            {t('nav.console.results')}
          </Link>
        </p>
      </Card>
    </section>
  );
}
