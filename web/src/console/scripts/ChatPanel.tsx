// Talk to the script as the callee. The server is stateless: every turn sends the earlier
// lines again and gets the robot's reply plus the call state.
import { Button, Card, Input, Select, Space, Tag, Typography } from 'antd';
import { useState } from 'react';
import * as api from '../../api/scripts';
import { useT } from '../../i18n';
import { ErrorAlert } from '../../shared/errors';

type Line = { who: 'robot' | 'you' | 'system'; text: string };

export function ChatPanel({
  scriptId,
  versions,
  vars,
  beforeStart,
}: {
  scriptId: number | string;
  versions: number[];
  vars: string[];
  beforeStart: () => Promise<void>;
}) {
  const t = useT();
  const [version, setVersion] = useState(0);
  const [values, setValues] = useState<Record<string, string>>({});
  const [history, setHistory] = useState<string[] | null>(null);
  const [lines, setLines] = useState<Line[]>([]);
  const [input, setInput] = useState('');
  const [state, setState] = useState<api.CallResult | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  const show = (acts: api.ChatAction[]): Line[] =>
    acts.flatMap((a): Line[] => {
      if (a.type === 'say' && a.text) return [{ who: 'robot', text: a.text }];
      if (a.type === 'hangup') return [...(a.text ? [{ who: 'robot' as const, text: a.text }] : []), { who: 'system' as const, text: t('scripts.chat.hangup') }];
      if (a.type === 'transfer') return [{ who: 'system', text: `${t('scripts.chat.transfer')} ${a.target ?? ''}` }];
      if (a.type === 'collect_dtmf') return [{ who: 'system', text: t('scripts.chat.dtmf') }];
      return [];
    });

  const turn = async (h: string[], line?: string) => {
    setBusy(true);
    setError(null);
    try {
      const r = await api.chat(scriptId, { version: version || undefined, vars: values, history: h, line });
      setLines((ls) => [...ls, ...(line !== undefined ? [{ who: 'you' as const, text: line }] : []), ...show(r.actions)]);
      setHistory(line !== undefined ? [...h, line] : h);
      setState(r.result);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  const start = async () => {
    setLines([]);
    setState(null);
    try {
      if (!version) await beforeStart();
    } catch (err) {
      setError(err);
      return;
    }
    await turn([]);
  };

  const send = async (line: string) => {
    if (history === null) return;
    setInput('');
    await turn(history, line);
  };

  return (
    <Card size="small" title={t('scripts.chat.title')} data-testid="chat-panel">
      <Space direction="vertical" style={{ width: '100%' }}>
        <Space wrap>
          <Select
            style={{ width: 140 }}
            aria-label={t('scripts.chat.version')}
            value={version}
            options={[{ value: 0, label: t('scripts.chat.draft') }, ...versions.map((v) => ({ value: v, label: `v${v}` }))]}
            onChange={setVersion}
          />
          <Button type="primary" onClick={start} loading={busy && history === null}>
            {history === null ? t('scripts.chat.start') : t('scripts.chat.restart')}
          </Button>
        </Space>
        {vars.map((v) => (
          <Input key={v} size="small" addonBefore={v} value={values[v] ?? ''} onChange={(e) => setValues({ ...values, [v]: e.target.value })} />
        ))}
        {error ? <ErrorAlert error={error} /> : null}
        <div data-testid="chat-log" style={{ maxHeight: 320, overflow: 'auto', background: '#fafafa', padding: 8, borderRadius: 6 }}>
          {lines.map((l, i) => (
            <div key={i} className={`chat-${l.who}`} style={{ textAlign: l.who === 'you' ? 'right' : 'left', margin: '4px 0' }}>
              <Typography.Text type={l.who === 'system' ? 'secondary' : undefined} strong={l.who === 'robot'}>
                {l.who === 'robot' ? '🤖 ' : ''}
                {l.text}
              </Typography.Text>
            </div>
          ))}
        </div>
        <Space.Compact style={{ width: '100%' }}>
          <Input
            aria-label={t('scripts.chat.input')}
            placeholder={t('scripts.chat.input')}
            value={input}
            disabled={history === null || state?.ended}
            onChange={(e) => setInput(e.target.value)}
            onPressEnter={() => input.trim() && void send(input.trim())}
          />
          <Button disabled={history === null || state?.ended || !input.trim()} onClick={() => void send(input.trim())}>
            {t('scripts.chat.send')}
          </Button>
          <Button disabled={history === null || state?.ended} onClick={() => void send('<silence>')}>
            {t('scripts.chat.silence')}
          </Button>
        </Space.Compact>
        {state ? (
          <div data-testid="chat-state">
            <Space wrap size={4}>
              <Tag color={state.ended ? 'default' : 'blue'}>{state.ended ? `${t('scripts.chat.ended')}: ${state.end ?? ''}` : `${t('scripts.chat.at')} ${state.node ?? ''}`}</Tag>
              <Tag color="gold" data-testid="chat-grade">
                {t('scripts.chat.grade')} {state.grade}
              </Tag>
              {state.tags.map((tg) => (
                <Tag key={tg}>{tg}</Tag>
              ))}
            </Space>
            <div style={{ fontSize: 12, color: '#8c8c8c', marginTop: 4 }}>
              {state.path.join(' → ')}
              {state.intents.length ? ` · ${state.intents.map((h) => `${h.intent} ${h.confidence.toFixed(2)}`).join(', ')}` : ''}
            </div>
          </div>
        ) : null}
      </Space>
    </Card>
  );
}
