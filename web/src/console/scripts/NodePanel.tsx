// The side panel of the selected node: its text (with a variable picker), where it goes,
// barge-in policy, intent branches, silence and no-match handling.
import { DeleteOutlined, PlusOutlined } from '@ant-design/icons';
import { Button, Card, Divider, Input, InputNumber, Select, Space, Typography } from 'antd';
import type { ReactNode } from 'react';
import type { Branch, BargeIn, NodeType, Retry, Script, ScriptNode } from '../../api/scripts';
import { useT } from '../../i18n';
import { variablesOf } from './model';

export const NODE_TYPES: NodeType[] = ['say', 'listen', 'branch', 'dtmf', 'set', 'transfer', 'hangup', 'llm'];

export function NodePanel({
  script,
  node,
  intents,
  onChange,
  onDelete,
  listen,
}: {
  script: Script;
  node: ScriptNode;
  intents: string[];
  onChange: (patch: Partial<ScriptNode>) => void;
  onDelete: () => void;
  /** The listen button of the node's line (VoicePanel's voice). */
  listen?: ReactNode;
}) {
  const t = useT();
  const ids = script.nodes.map((n) => n.id).filter((id) => id !== node.id);
  const nodeOptions = [{ value: '', label: '—' }, ...ids.map((id) => ({ value: id, label: id }))];
  const intentOptions = intents.map((i) => ({ value: i, label: i }));
  const vars = variablesOf(script);
  const hasText = node.type !== 'branch' && node.type !== 'set';
  const waits = node.type === 'listen' || node.type === 'dtmf' || node.type === 'llm';
  const barge: BargeIn = node.barge_in ?? { mode: 'off' };
  const setBranch = (i: number, patch: Partial<Branch>) =>
    onChange({ branches: (node.branches ?? []).map((b, j) => (j === i ? { ...b, ...patch } : b)) });
  const retry = (key: 'silence' | 'no_match', r: Retry | undefined, label: string) => (
    <div>
      <Typography.Text strong>{label}</Typography.Text>
      <Input.TextArea
        aria-label={`${label}: ${t('scripts.node.retry_lines')}`}
        placeholder={t('scripts.node.retry_lines')}
        autoSize={{ minRows: 2 }}
        value={(r?.lines ?? []).join('\n')}
        onChange={(e) => {
          const lines = e.target.value.split('\n');
          onChange({ [key]: lines.every((l) => l === '') && !r?.next ? undefined : { lines, next: r?.next ?? '' } });
        }}
      />
      <Select
        style={{ width: '100%', marginTop: 4 }}
        aria-label={`${label}: ${t('scripts.node.then')}`}
        value={r?.next ?? ''}
        options={nodeOptions}
        onChange={(v: string) => onChange({ [key]: { lines: (r?.lines ?? []).filter((l) => l !== ''), next: v } })}
      />
    </div>
  );

  return (
    <Card
      size="small"
      title={`${t('scripts.node.title')} ${node.id}`}
      data-testid="node-panel"
      extra={
        <Button size="small" danger icon={<DeleteOutlined />} onClick={onDelete} aria-label={t('scripts.node.delete')}>
          {t('scripts.node.delete')}
        </Button>
      }
    >
      <Space direction="vertical" style={{ width: '100%' }}>
        <label>
          {t('scripts.node.type')}
          <Select
            style={{ width: '100%' }}
            aria-label={t('scripts.node.type')}
            value={node.type}
            options={NODE_TYPES.map((v) => ({ value: v, label: t(`scripts.type.${v}`) }))}
            onChange={(v: NodeType) => onChange({ type: v })}
          />
        </label>
        {hasText ? (
          <>
            <Input.TextArea
              aria-label={t('scripts.node.text')}
              data-testid="node-text"
              placeholder={t('scripts.node.text')}
              autoSize={{ minRows: 2 }}
              value={node.text ?? ''}
              onChange={(e) => onChange({ text: e.target.value })}
            />
            {listen}
            <Select
              size="small"
              style={{ width: '100%' }}
              aria-label={t('scripts.node.insert_var')}
              placeholder={t('scripts.node.insert_var')}
              value={null}
              options={vars.map((v) => ({ value: v, label: `\${${v}}` }))}
              onChange={(v: string) => onChange({ text: `${node.text ?? ''}\${${v}}` })}
            />
            {node.type !== 'hangup' ? (
              <Input
                aria-label={t('scripts.node.audio')}
                placeholder={t('scripts.node.audio')}
                value={node.audio_url ?? ''}
                onChange={(e) => onChange({ audio_url: e.target.value || undefined })}
              />
            ) : null}
          </>
        ) : null}
        {node.type === 'say' || waits ? (
          <Space wrap>
            <span>{t('scripts.node.barge_in')}</span>
            <Select
              style={{ width: 150 }}
              aria-label={t('scripts.node.barge_in')}
              value={barge.mode}
              options={(['off', 'after', 'intents'] as const).map((m) => ({ value: m, label: t(`scripts.barge.${m}`) }))}
              onChange={(m: BargeIn['mode']) => onChange({ barge_in: m === 'off' ? undefined : { ...barge, mode: m, after_ms: barge.after_ms ?? 500 } })}
            />
            {barge.mode === 'after' ? (
              <InputNumber min={1} addonAfter="ms" value={barge.after_ms} onChange={(v) => onChange({ barge_in: { ...barge, after_ms: v ?? 500 } })} />
            ) : null}
            {barge.mode === 'intents' ? (
              <Select
                mode="multiple"
                style={{ minWidth: 200 }}
                value={barge.intents ?? []}
                options={intentOptions}
                onChange={(v: string[]) => onChange({ barge_in: { ...barge, intents: v } })}
              />
            ) : null}
          </Space>
        ) : null}
        {node.type === 'transfer' ? (
          <Input aria-label={t('scripts.node.target')} placeholder={t('scripts.node.target')} value={node.target ?? ''} onChange={(e) => onChange({ target: e.target.value })} />
        ) : null}
        {node.type === 'dtmf' ? (
          <Space>
            <InputNumber min={1} max={32} aria-label={t('scripts.node.max_digits')} value={node.max_digits ?? 1} onChange={(v) => onChange({ max_digits: v ?? 1 })} />
            <Input aria-label={t('scripts.node.var')} placeholder={t('scripts.node.var')} value={node.var ?? ''} onChange={(e) => onChange({ var: e.target.value })} />
          </Space>
        ) : null}
        {node.type === 'set' ? (
          <Select
            mode="tags"
            style={{ width: '100%' }}
            aria-label={t('scripts.node.tags')}
            placeholder={t('scripts.node.tags')}
            value={node.tags ?? []}
            onChange={(v: string[]) => onChange({ tags: v })}
          />
        ) : null}
        {node.type === 'llm' ? (
          <Input.TextArea
            aria-label={t('scripts.node.prompt')}
            placeholder={t('scripts.node.prompt')}
            autoSize={{ minRows: 3 }}
            value={node.llm?.prompt ?? ''}
            onChange={(e) => onChange({ llm: { ...(node.llm ?? {}), prompt: e.target.value } })}
          />
        ) : null}
        {node.type !== 'hangup' && node.type !== 'transfer' ? (
          <label>
            {node.type === 'branch' || node.type === 'dtmf' ? t('scripts.node.else') : t('scripts.node.next')}
            <Select
              style={{ width: '100%' }}
              aria-label={t('scripts.node.next')}
              data-testid="node-next"
              value={node.next ?? ''}
              options={nodeOptions}
              onChange={(v: string) => onChange({ next: v || undefined })}
            />
          </label>
        ) : null}
        {node.type === 'listen' || node.type === 'branch' || node.type === 'dtmf' ? (
          <>
            <Divider size="small">{t('scripts.node.branches')}</Divider>
            {(node.branches ?? []).map((b, i) => (
              <Space key={i} align="start" wrap data-testid={`branch-${i}`}>
                {node.type === 'dtmf' ? (
                  <Input style={{ width: 80 }} aria-label={t('scripts.node.digits')} placeholder={t('scripts.node.digits')} value={b.digits ?? ''} onChange={(e) => setBranch(i, { digits: e.target.value })} />
                ) : (
                  <Select
                    mode="multiple"
                    showSearch
                    style={{ minWidth: 180 }}
                    aria-label={t('scripts.node.branch_intents')}
                    data-testid={`branch-${i}-intents`}
                    placeholder={t('scripts.node.branch_intents')}
                    value={b.intents ?? []}
                    options={intentOptions}
                    onChange={(v: string[]) => setBranch(i, { intents: v })}
                  />
                )}
                <span>→</span>
                <Select style={{ width: 110 }} aria-label={t('scripts.node.next')} value={b.next} options={nodeOptions} onChange={(v: string) => setBranch(i, { next: v })} />
                <Button
                  size="small"
                  icon={<DeleteOutlined />}
                  aria-label={t('scripts.node.remove_branch')}
                  onClick={() => onChange({ branches: (node.branches ?? []).filter((_, j) => j !== i) })}
                />
              </Space>
            ))}
            <Button size="small" icon={<PlusOutlined />} onClick={() => onChange({ branches: [...(node.branches ?? []), { intents: [], next: '' }] })}>
              {t('scripts.node.add_branch')}
            </Button>
          </>
        ) : null}
        {waits ? (
          <>
            <Divider size="small">{t('scripts.node.fallbacks')}</Divider>
            <InputNumber
              min={500}
              step={500}
              addonBefore={t('scripts.node.timeout')}
              addonAfter="ms"
              value={node.timeout_ms}
              placeholder={String(script.defaults.silence_ms ?? 5000)}
              onChange={(v) => onChange({ timeout_ms: v ?? undefined })}
            />
            {retry('silence', node.silence, t('scripts.node.silence'))}
            {node.type !== 'llm' ? retry('no_match', node.no_match, t('scripts.node.no_match')) : null}
          </>
        ) : null}
      </Space>
    </Card>
  );
}
