// The script's ears and mouth: which recognizer and synthesizer its calls use, a voice
// picker (saved per script; empty fields inherit the tenant's or platform's default),
// and the state the listen buttons preview with.
import { App as AntApp, Alert, Button, Card, Descriptions, Select, Space, Tag, Typography } from 'antd';
import { useCallback, useEffect, useState } from 'react';
import * as api from '../../api/speech';
import { useT } from '../../i18n';
import { errorDetail, errorTitle } from '../../shared/errors';
import { choiceBody, previewVoice, voicesFor, withSynthesizer } from './voice';

export interface ScriptVoice {
  catalog: api.SpeechCatalog | null;
  speech: api.ScriptSpeech | null;
  /** The editor's choice for the script, saved with save(). */
  draft: api.SpeechChoice;
  setDraft: (c: api.SpeechChoice) => void;
  /** What the listen buttons use now (draft over the effective engines). */
  preview: api.SpeechChoice;
  save: () => Promise<void>;
  saving: boolean;
  error: unknown;
}

export function useScriptVoice(scriptId: string): ScriptVoice {
  const [catalog, setCatalog] = useState<api.SpeechCatalog | null>(null);
  const [speech, setSpeech] = useState<api.ScriptSpeech | null>(null);
  const [draft, setDraft] = useState<api.SpeechChoice>({});
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    let live = true;
    Promise.all([api.listEngines(), api.getScriptSpeech(scriptId)])
      .then(([c, s]) => {
        if (!live) return;
        setCatalog(c);
        setSpeech(s);
        setDraft(s.script);
      })
      .catch((err: unknown) => live && setError(err));
    return () => {
      live = false;
    };
  }, [scriptId]);
  const save = useCallback(async () => {
    setSaving(true);
    try {
      const s = await api.setScriptSpeech(scriptId, choiceBody(draft));
      setSpeech(s);
      setDraft(s.script);
      setError(null);
    } catch (err) {
      setError(err);
      throw err;
    } finally {
      setSaving(false);
    }
  }, [scriptId, draft]);
  return { catalog, speech, draft, setDraft, preview: previewVoice(draft, speech), save, saving, error };
}

export function VoicePanel({ voice }: { voice: ScriptVoice }) {
  const t = useT();
  const { message } = AntApp.useApp();
  const { catalog, speech, draft, setDraft } = voice;
  const eff = speech?.effective ?? {};
  const none = t('scripts.voice.none');
  const voices = voicesFor(catalog, draft.tts ?? eff.tts);
  // What the script gets without its own synthesizer: while it has none, exactly what its
  // calls use now (the tenant's choice or the language's default).
  const inherited = speech?.script.tts ? speech.tenant.tts : eff.tts;
  const synthOptions = [
    { value: '', label: `${t('scripts.voice.engine_default')}${inherited ? ` (${inherited})` : ''}` },
    ...(catalog?.synthesizers ?? []).map((s) => ({
      value: s.name,
      label: `${s.name} · ${s.languages.join(', ')} · ${s.embedded ? t('scripts.voice.embedded') : t('scripts.voice.remote')}`,
    })),
  ];
  const save = async () => {
    try {
      await voice.save();
      message.success(t('scripts.voice.saved'));
    } catch (err) {
      message.error(`${errorTitle(t, err)} ${errorDetail(t, err)}`.trim());
    }
  };
  return (
    <Card size="small" title={t('scripts.voice.title')} data-testid="voice-panel" style={{ marginBottom: 12 }}>
      <Space direction="vertical" style={{ width: '100%' }}>
        <Typography.Text data-testid="voice-in-use">
          {t('scripts.voice.in_use', { asr: eff.asr || none, tts: eff.tts || none, voice: eff.voice || t('scripts.voice.engine_default') })}
        </Typography.Text>
        <Descriptions size="small" column={1}>
          <Descriptions.Item label={t('scripts.voice.recognizer')}>
            <span data-testid="voice-recognizer">{eff.asr || none}</span>{' '}
            {speech?.simulated ? <Tag color="orange">{t('scripts.voice.simulated')}</Tag> : null}
          </Descriptions.Item>
        </Descriptions>
        {catalog && catalog.synthesizers.length === 0 ? <Alert type="warning" title={t('scripts.voice.no_synthesizer')} /> : null}
        <label>
          {t('scripts.voice.synthesizer')}
          <Select
            style={{ width: '100%' }}
            aria-label={t('scripts.voice.synthesizer')}
            data-testid="voice-synthesizer"
            value={draft.tts ?? ''}
            options={synthOptions}
            onChange={(v: string) => setDraft(withSynthesizer(draft, catalog, v))}
          />
        </label>
        <label>
          {t('scripts.voice.voice')}
          <Select
            style={{ width: '100%' }}
            aria-label={t('scripts.voice.voice')}
            data-testid="voice-voice"
            value={draft.voice ?? ''}
            options={[{ value: '', label: t('scripts.voice.engine_default') }, ...voices.map((v) => ({ value: v, label: v }))]}
            onChange={(v: string) => setDraft({ ...draft, tts: draft.tts ?? eff.tts, voice: v || undefined })}
          />
        </label>
        <Typography.Text type="secondary">{t('scripts.voice.inherited')}</Typography.Text>
        <Button type="primary" onClick={save} loading={voice.saving} data-testid="voice-save">
          {t('scripts.voice.save')}
        </Button>
      </Space>
    </Card>
  );
}
