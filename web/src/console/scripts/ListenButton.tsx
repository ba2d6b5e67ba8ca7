// ▶ Listen: synthesizes a prompt line with the picked voice (through the server's TTS
// cache) and plays it in place, so the author hears what the callee will hear.
import { CaretRightOutlined } from '@ant-design/icons';
import { App as AntApp, Button, Space } from 'antd';
import { useEffect, useRef, useState } from 'react';
import * as api from '../../api/speech';
import { useT } from '../../i18n';
import { errorDetail, errorTitle } from '../../shared/errors';
import { previewText } from './voice';

export function ListenButton({ text, voice }: { text: string | undefined; voice: api.SpeechChoice }) {
  const t = useT();
  const { message } = AntApp.useApp();
  const [url, setUrl] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);
  const audio = useRef<HTMLAudioElement>(null);
  const line = previewText(text ?? '');
  useEffect(() => () => void (url && URL.revokeObjectURL(url)), [url]);
  const listen = async () => {
    if (!voice.tts) return;
    setLoading(true);
    try {
      const wav = await api.preview(line, voice.tts, voice.voice, voice.speed);
      setUrl(URL.createObjectURL(wav));
    } catch (err) {
      message.error(`${errorTitle(t, err)} ${errorDetail(t, err)}`.trim());
    } finally {
      setLoading(false);
    }
  };
  useEffect(() => {
    // Play once the new audio is in place; a blocked autoplay leaves the controls to click.
    if (url && audio.current) audio.current.play().catch(() => undefined);
  }, [url]);
  return (
    <Space wrap>
      <Button
        size="small"
        icon={<CaretRightOutlined />}
        onClick={listen}
        loading={loading}
        disabled={!line || !voice.tts}
        aria-label={t('scripts.voice.listen_line')}
        data-testid="listen-button"
      >
        {t('scripts.voice.listen')}
      </Button>
      {url ? <audio ref={audio} src={url} controls preload="auto" data-testid="listen-audio" style={{ height: 28 }} /> : null}
    </Space>
  );
}
