// One script: the visual flow editor with the node side panel, intent / knowledge-base /
// global-handler tables, contact variables, version history with diff, the JSON, and the
// test chat beside it all.
import { DeleteOutlined, PlusOutlined } from '@ant-design/icons';
import { Alert, App as AntApp, Button, Card, Col, Input, InputNumber, List, Modal, Row, Select, Space, Table, Tabs, Tag, Typography } from 'antd';
import { useCallback, useEffect, useMemo, useState } from 'react';
import { useParams } from 'react-router';
import { ApiError } from '../../api/client';
import * as api from '../../api/scripts';
import { formatDateTime, useI18n } from '../../i18n';
import { ErrorAlert, errorDetail, errorTitle } from '../../shared/errors';
import { PageHeader } from '../../shared/PageHeader';
import { PageSpinner } from '../../shared/Spinner';
import { usePageTitle } from '../../shared/usePageTitle';
import { ChatPanel } from './ChatPanel';
import { FlowCanvas } from './FlowCanvas';
import { contentJSON, diffLines, layout, newNodeId } from './model';
import { ListenButton } from './ListenButton';
import { NODE_TYPES, NodePanel } from './NodePanel';
import { useScriptVoice, VoicePanel } from './VoicePanel';

export function ScriptEditorPage() {
  const { id = '' } = useParams();
  const { t, locale } = useI18n();
  const { message } = AntApp.useApp();
  const [detail, setDetail] = useState<api.ScriptDetail | null>(null);
  const [script, setScript] = useState<api.Script | null>(null);
  const [dirty, setDirty] = useState(false);
  const [selected, setSelected] = useState('');
  const [newType, setNewType] = useState<api.NodeType>('say');
  const [general, setGeneral] = useState<string[]>([]);
  const [versions, setVersions] = useState<api.ScriptVersion[]>([]);
  const [error, setError] = useState<unknown>(null);
  const [check, setCheck] = useState<api.CheckResult | null>(null);
  const [publishing, setPublishing] = useState(false);
  const [note, setNote] = useState('');
  const [publishError, setPublishError] = useState<unknown>(null);
  const [diff, setDiff] = useState<{ version: number; lines: ReturnType<typeof diffLines> } | null>(null);
  const [jsonText, setJsonText] = useState('');
  const voice = useScriptVoice(id);
  usePageTitle(detail?.name ?? t('nav.console.scripts'), 'waihu');

  const load = useCallback(async () => {
    try {
      const [d, tl, vs] = await Promise.all([api.getScript(id), api.listTemplates(), api.listVersions(id)]);
      setDetail(d);
      setScript(layout(d.draft));
      setGeneral(tl.general_intents);
      setVersions(vs.items);
      setDirty(false);
    } catch (err) {
      setError(err);
    }
  }, [id]);
  useEffect(() => {
    void load();
  }, [load]);

  const intents = useMemo(
    () => [...general, ...(script?.intents ?? []).map((i) => i.name).filter((n) => !general.includes(n)), ...(script?.kb ?? []).map((k) => `kb:${k.id}`)],
    [general, script],
  );

  if (error) return <ErrorAlert error={error} />;
  if (!script || !detail) return <PageSpinner />;

  const edit = (fn: (s: api.Script) => api.Script) => {
    setScript((s) => (s ? fn(s) : s));
    setDirty(true);
  };
  const patchNode = (nid: string, patch: Partial<api.ScriptNode>) =>
    edit((s) => ({ ...s, nodes: s.nodes.map((n) => (n.id === nid ? { ...n, ...patch } : n)) }));

  const addNode = () => {
    edit((s) => {
      const nid = newNodeId(s);
      const sel = s.nodes.find((n) => n.id === selected);
      const x = sel ? (sel.x ?? 0) + 240 : 40 + s.nodes.length * 30;
      const y = sel ? (sel.y ?? 0) : 40 + s.nodes.length * 30;
      const node: api.ScriptNode = { id: nid, type: newType, x, y };
      // Adding after the selected node links it: say/set continue, a question gets a branch.
      let nodes = s.nodes;
      if (sel) {
        if ((sel.type === 'say' || sel.type === 'set') && !sel.next) nodes = nodes.map((n) => (n.id === sel.id ? { ...n, next: nid } : n));
        else if (sel.type === 'listen' || sel.type === 'branch') nodes = nodes.map((n) => (n.id === sel.id ? { ...n, branches: [...(n.branches ?? []), { intents: [], next: nid }] } : n));
      }
      setSelected(nid);
      return { ...s, start: s.start || nid, nodes: [...nodes, node] };
    });
  };

  const deleteNode = (nid: string) => {
    edit((s) => ({
      ...s,
      start: s.start === nid ? (s.nodes.find((n) => n.id !== nid)?.id ?? '') : s.start,
      nodes: s.nodes
        .filter((n) => n.id !== nid)
        .map((n) => ({
          ...n,
          next: n.next === nid ? undefined : n.next,
          branches: n.branches?.filter((b) => b.next !== nid),
        })),
    }));
    setSelected('');
  };

  const save = async (): Promise<void> => {
    const d = await api.updateScript(id, script);
    setDetail(d);
    setDirty(false);
  };
  const saveClick = async () => {
    try {
      await save();
      message.success(t('scripts.saved'));
    } catch (err) {
      message.error(`${errorTitle(t, err)} ${errorDetail(t, err)}`.trim());
    }
  };
  const runCheck = async () => {
    try {
      if (dirty) await save();
      setCheck(await api.checkScript(id));
    } catch (err) {
      message.error(`${errorTitle(t, err)} ${errorDetail(t, err)}`.trim());
    }
  };
  const publish = async () => {
    setPublishError(null);
    try {
      if (dirty) await save();
      const v = await api.publishScript(id, note);
      message.success(t('scripts.published_ok', { version: v.version }));
      setPublishing(false);
      setNote('');
      await load();
    } catch (err) {
      setPublishError(err);
    }
  };
  const showDiff = async (v: api.ScriptVersion) => {
    try {
      const full = await api.getVersion(v.id);
      if (full.body) setDiff({ version: v.version, lines: diffLines(contentJSON(full.body), contentJSON(script)) });
    } catch (err) {
      message.error(errorTitle(t, err));
    }
  };

  const node = script.nodes.find((n) => n.id === selected);
  const issues = detail.issues;
  const listEditor = <T extends object>(key: 'intents' | 'kb' | 'globals', blank: T) => ({
    add: () => edit((s) => ({ ...s, [key]: [...((s[key] as T[] | undefined) ?? []), blank] })),
    set: (i: number, patch: Partial<T>) => edit((s) => ({ ...s, [key]: ((s[key] as T[] | undefined) ?? []).map((x, j) => (j === i ? { ...x, ...patch } : x)) })),
    del: (i: number) => edit((s) => ({ ...s, [key]: ((s[key] as T[] | undefined) ?? []).filter((_, j) => j !== i) })),
  });
  const intentEd = listEditor<api.Intent>('intents', { name: '', keywords: [], examples: [] });
  const kbEd = listEditor<api.KBEntry>('kb', { id: `q${(script.kb?.length ?? 0) + 1}`, question: '', answer: '' });
  const globalEd = listEditor<api.GlobalHandler>('globals', { intent: '', action: 'answer', text: '' });
  const nodeOptions = script.nodes.map((n) => ({ value: n.id, label: n.id }));
  const tags = (value: string[] | undefined, onChange: (v: string[]) => void, label: string) => (
    <Select mode="tags" style={{ minWidth: 220 }} aria-label={label} placeholder={label} value={value ?? []} onChange={onChange} />
  );

  const tabs = [
    {
      key: 'flow',
      label: t('scripts.tab.flow'),
      children: (
        <Row gutter={12}>
          <Col xs={24} xl={15}>
            <Space wrap style={{ marginBottom: 8 }}>
              <Select
                style={{ width: 140 }}
                aria-label={t('scripts.node.new_type')}
                data-testid="new-node-type"
                value={newType}
                options={NODE_TYPES.map((v) => ({ value: v, label: t(`scripts.type.${v}`) }))}
                onChange={setNewType}
              />
              <Button icon={<PlusOutlined />} onClick={addNode}>
                {t('scripts.node.add')}
              </Button>
              <span>{t('scripts.start')}</span>
              <Select style={{ width: 120 }} aria-label={t('scripts.start')} value={script.start} options={nodeOptions} onChange={(v: string) => edit((s) => ({ ...s, start: v }))} />
            </Space>
            <FlowCanvas
              script={script}
              selected={selected}
              onSelect={setSelected}
              onMove={(nid, x, y) => patchNode(nid, { x, y })}
              label={t('scripts.tab.flow')}
            />
          </Col>
          <Col xs={24} xl={9}>
            {node ? (
              <NodePanel
                script={script}
                node={node}
                intents={intents}
                onChange={(p) => patchNode(node.id, p)}
                onDelete={() => deleteNode(node.id)}
                listen={<ListenButton text={node.text} voice={voice.preview} />}
              />
            ) : (
              <Alert type="info" title={t('scripts.node.pick')} />
            )}
          </Col>
        </Row>
      ),
    },
    {
      key: 'intents',
      label: t('scripts.tab.intents'),
      children: (
        <>
          <Typography.Paragraph>
            {t('scripts.intents.general')}{' '}
            {general.map((g) => (
              <Tag key={g}>{g}</Tag>
            ))}
          </Typography.Paragraph>
          <Table<api.Intent>
            rowKey={(_, i) => String(i)}
            pagination={false}
            dataSource={script.intents ?? []}
            columns={[
              { title: t('field.name'), key: 'n', render: (_, r, i) => <Input aria-label={t('field.name')} value={r.name} onChange={(e) => intentEd.set(i, { name: e.target.value })} /> },
              { title: t('scripts.intents.priority'), key: 'p', render: (_, r, i) => <InputNumber min={0} max={9} value={r.priority ?? 0} onChange={(v) => intentEd.set(i, { priority: v ?? 0 })} /> },
              { title: t('scripts.intents.keywords'), key: 'k', render: (_, r, i) => tags(r.keywords, (v) => intentEd.set(i, { keywords: v }), t('scripts.intents.keywords')) },
              { title: t('scripts.intents.examples'), key: 'e', render: (_, r, i) => tags(r.examples, (v) => intentEd.set(i, { examples: v }), t('scripts.intents.examples')) },
              { title: '', key: 'd', render: (_, _r, i) => <Button icon={<DeleteOutlined />} aria-label={t('scripts.delete')} onClick={() => intentEd.del(i)} /> },
            ]}
          />
          <Button icon={<PlusOutlined />} onClick={intentEd.add} style={{ marginTop: 8 }}>
            {t('scripts.intents.add')}
          </Button>
        </>
      ),
    },
    {
      key: 'kb',
      label: t('scripts.tab.kb'),
      children: (
        <>
          <Table<api.KBEntry>
            rowKey={(_, i) => String(i)}
            pagination={false}
            dataSource={script.kb ?? []}
            columns={[
              { title: 'ID', key: 'id', render: (_, r, i) => <Input style={{ width: 90 }} value={r.id} onChange={(e) => kbEd.set(i, { id: e.target.value })} /> },
              { title: t('scripts.kb.question'), key: 'q', render: (_, r, i) => <Input aria-label={t('scripts.kb.question')} value={r.question} onChange={(e) => kbEd.set(i, { question: e.target.value })} /> },
              { title: t('scripts.intents.keywords'), key: 'k', render: (_, r, i) => tags(r.keywords, (v) => kbEd.set(i, { keywords: v }), t('scripts.intents.keywords')) },
              { title: t('scripts.kb.answer'), key: 'a', render: (_, r, i) => <Input.TextArea aria-label={t('scripts.kb.answer')} autoSize value={r.answer} onChange={(e) => kbEd.set(i, { answer: e.target.value })} /> },
              { title: '', key: 'listen', render: (_, r) => <ListenButton text={r.answer} voice={voice.preview} /> },
              { title: '', key: 'd', render: (_, _r, i) => <Button icon={<DeleteOutlined />} aria-label={t('scripts.delete')} onClick={() => kbEd.del(i)} /> },
            ]}
          />
          <Button icon={<PlusOutlined />} onClick={kbEd.add} style={{ marginTop: 8 }}>
            {t('scripts.kb.add')}
          </Button>
        </>
      ),
    },
    {
      key: 'globals',
      label: t('scripts.tab.globals'),
      children: (
        <>
          <Table<api.GlobalHandler>
            rowKey={(_, i) => String(i)}
            pagination={false}
            dataSource={script.globals ?? []}
            columns={[
              { title: t('scripts.globals.intent'), key: 'i', render: (_, r, i) => <Select showSearch style={{ width: 170 }} value={r.intent} options={intents.map((x) => ({ value: x, label: x }))} onChange={(v: string) => globalEd.set(i, { intent: v })} /> },
              {
                title: t('scripts.globals.action'),
                key: 'a',
                render: (_, r, i) => (
                  <Select
                    style={{ width: 120 }}
                    value={r.action}
                    options={(['answer', 'repeat', 'goto', 'hangup', 'transfer'] as const).map((a) => ({ value: a, label: t(`scripts.action.${a}`) }))}
                    onChange={(v: api.GlobalHandler['action']) => globalEd.set(i, { action: v })}
                  />
                ),
              },
              { title: t('scripts.node.text'), key: 't', render: (_, r, i) => <Input.TextArea autoSize value={r.text ?? ''} onChange={(e) => globalEd.set(i, { text: e.target.value })} /> },
              { title: '', key: 'listen', render: (_, r) => <ListenButton text={r.text} voice={voice.preview} /> },
              {
                title: t('scripts.node.next'),
                key: 'n',
                render: (_, r, i) =>
                  r.action === 'goto' ? (
                    <Select style={{ width: 110 }} value={r.next ?? ''} options={nodeOptions} onChange={(v: string) => globalEd.set(i, { next: v })} />
                  ) : r.action === 'transfer' ? (
                    <Input style={{ width: 110 }} placeholder={t('scripts.node.target')} value={r.target ?? ''} onChange={(e) => globalEd.set(i, { target: e.target.value })} />
                  ) : null,
              },
              { title: '', key: 'd', render: (_, _r, i) => <Button icon={<DeleteOutlined />} aria-label={t('scripts.delete')} onClick={() => globalEd.del(i)} /> },
            ]}
          />
          <Button icon={<PlusOutlined />} onClick={globalEd.add} style={{ marginTop: 8 }}>
            {t('scripts.globals.add')}
          </Button>
        </>
      ),
    },
    {
      key: 'vars',
      label: t('scripts.tab.vars'),
      children: (
        <>
          <Typography.Paragraph>{t('scripts.vars.intro')}</Typography.Paragraph>
          {tags(script.vars, (v) => edit((s) => ({ ...s, vars: v })), t('scripts.tab.vars'))}
        </>
      ),
    },
    {
      key: 'versions',
      label: t('scripts.tab.versions'),
      children: (
        <>
          <List
            dataSource={versions}
            locale={{ emptyText: t('scripts.versions.none') }}
            renderItem={(v) => (
              <List.Item
                actions={[
                  <Button key="d" size="small" onClick={() => void showDiff(v)}>
                    {t('scripts.versions.diff')}
                  </Button>,
                  <a key="e" href={api.exportURL(id, v.version)} download>
                    {t('scripts.export')}
                  </a>,
                ]}
              >
                <Space>
                  <Tag color="green">v{v.version}</Tag>
                  <span>{formatDateTime(locale, v.created_at)}</span>
                  <span>{v.note}</span>
                  <Typography.Text type="secondary" code>
                    {v.checksum.slice(0, 10)}
                  </Typography.Text>
                </Space>
              </List.Item>
            )}
          />
          {diff ? (
            <Card size="small" title={t('scripts.versions.diff_title', { version: diff.version })} style={{ marginTop: 8 }}>
              <pre data-testid="version-diff" style={{ maxHeight: 400, overflow: 'auto', fontSize: 12 }}>
                {diff.lines
                  .filter((l, i, all) => l.kind !== ' ' || all.slice(Math.max(0, i - 2), i + 3).some((x) => x.kind !== ' '))
                  .map((l, i) => (
                    <div key={i} style={{ background: l.kind === '+' ? '#f6ffed' : l.kind === '-' ? '#fff1f0' : undefined }}>
                      {l.kind} {l.text}
                    </div>
                  ))}
                {diff.lines.every((l) => l.kind === ' ') ? t('scripts.versions.same') : null}
              </pre>
            </Card>
          ) : null}
        </>
      ),
    },
    {
      key: 'json',
      label: 'JSON',
      children: (
        <>
          <Input.TextArea
            aria-label="JSON"
            autoSize={{ minRows: 12, maxRows: 30 }}
            style={{ fontFamily: 'monospace', fontSize: 12 }}
            value={jsonText || JSON.stringify(script, null, 2)}
            onChange={(e) => setJsonText(e.target.value)}
          />
          <Space style={{ marginTop: 8 }}>
            <Button
              disabled={!jsonText}
              onClick={() => {
                try {
                  edit(() => layout(JSON.parse(jsonText) as api.Script));
                  setJsonText('');
                } catch {
                  message.error(t('scripts.import_bad_json'));
                }
              }}
            >
              {t('scripts.json.apply')}
            </Button>
            <a href={api.exportURL(id)} download>
              {t('scripts.export')}
            </a>
          </Space>
        </>
      ),
    },
  ];

  return (
    <section aria-labelledby="page-title">
      <PageHeader
        title={script.name}
        extra={
          <Space wrap>
            {dirty ? <Tag color="orange">{t('scripts.unsaved')}</Tag> : null}
            {detail.latest_version ? <Tag color="green">v{detail.latest_version}</Tag> : null}
            <Button onClick={saveClick} disabled={!dirty}>
              {t('scripts.save')}
            </Button>
            <Button onClick={runCheck}>{t('scripts.check')}</Button>
            <Button type="primary" onClick={() => setPublishing(true)}>
              {t('scripts.publish')}
            </Button>
          </Space>
        }
      />
      {issues.filter((i) => !i.warning).length > 0 && !dirty ? (
        <Alert
          type="warning"
          showIcon
          style={{ marginBottom: 12 }}
          title={t('scripts.issues', { count: issues.filter((i) => !i.warning).length })}
          description={
            <ul style={{ margin: 0 }} data-testid="script-issues">
              {issues
                .filter((i) => !i.warning)
                .slice(0, 8)
                .map((i, k) => (
                  <li key={k}>
                    <b>{i.where}</b>: {i.message}
                  </li>
                ))}
            </ul>
          }
        />
      ) : null}
      {detail.barge_in_unavailable?.length ? (
        <Alert
          type="warning"
          showIcon
          style={{ marginBottom: 12 }}
          data-testid="bargein-utterance"
          title={t('scripts.bargein_utterance.title')}
          description={t('scripts.bargein_utterance.body', { nodes: detail.barge_in_unavailable.join(', ') })}
        />
      ) : null}
      <Row gutter={12}>
        <Col xs={24} xxl={17}>
          <Card size="small">
            <Tabs items={tabs} />
          </Card>
        </Col>
        <Col xs={24} xxl={7}>
          <VoicePanel voice={voice} />
          <ChatPanel scriptId={id} versions={versions.map((v) => v.version)} vars={script.vars ?? []} beforeStart={async () => (dirty ? save() : undefined)} />
        </Col>
      </Row>
      <Modal
        open={publishing}
        title={t('scripts.publish')}
        okText={t('scripts.publish')}
        cancelText={t('common.cancel')}
        onOk={publish}
        onCancel={() => {
          setPublishing(false);
          setPublishError(null);
        }}
      >
        <Typography.Paragraph>{t('scripts.publish_intro')}</Typography.Paragraph>
        <Input aria-label={t('scripts.publish_note')} placeholder={t('scripts.publish_note')} maxLength={255} value={note} onChange={(e) => setNote(e.target.value)} />
        {publishError ? (
          <div style={{ marginTop: 12 }} data-testid="publish-errors">
            <ErrorAlert error={publishError} />
            {publishError instanceof ApiError ? (
              <ul>
                {Object.entries(publishError.fields).map(([k, v]) => (
                  <li key={k}>
                    <b>{k}</b>: {v}
                  </li>
                ))}
              </ul>
            ) : null}
          </div>
        ) : null}
      </Modal>
      <Modal open={check !== null} title={t('scripts.check')} footer={null} onCancel={() => setCheck(null)} width={720}>
        {check ? (
          <div data-testid="check-result">
            {check.issues.length === 0 ? <Alert type="success" title={t('scripts.check_clean')} /> : null}
            <ul>
              {check.issues.map((i, k) => (
                <li key={k}>
                  <Tag color={i.warning ? 'orange' : 'red'}>{i.warning ? t('scripts.warning') : t('scripts.error')}</Tag>
                  <b>{i.where}</b>: {i.message}
                </li>
              ))}
            </ul>
            {check.tests.map((tr) => (
              <div key={tr.name}>
                <Tag color={tr.passed ? 'green' : 'red'}>{tr.passed ? 'PASS' : 'FAIL'}</Tag>
                {tr.name} · {tr.grade} · {tr.path.join('→')}
                {tr.failures.map((f) => (
                  <div key={f} style={{ color: '#cf1322', marginLeft: 24 }}>
                    {f}
                  </div>
                ))}
              </div>
            ))}
          </div>
        ) : null}
      </Modal>
    </section>
  );
}
