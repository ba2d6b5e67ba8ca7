// Which engine served each turn of a call and how long recognition took after the
// endpoint (the speech layer's records stored with the timeline).
import { Table, Tag, Typography } from 'antd';
import { useT } from '../../i18n';
import type { SpeechTurn } from './transcript';

export function SpeechTurns({ turns, hasCallee }: { turns: SpeechTurn[]; hasCallee: boolean }) {
  const t = useT();
  if (turns.length === 0) {
    return hasCallee ? (
      <Typography.Paragraph type="secondary" data-testid="speech-turns-none">
        {t('campaign.result.speech_none')}
      </Typography.Paragraph>
    ) : null;
  }
  return (
    <div data-testid="speech-turns" style={{ marginBottom: 16 }}>
      <Typography.Text strong>{t('campaign.result.speech_title')}</Typography.Text>
      <Table<SpeechTurn>
        size="small"
        rowKey="turn"
        pagination={false}
        dataSource={turns}
        columns={[
          { title: t('campaign.result.speech_turn'), dataIndex: 'turn', key: 'turn' },
          { title: t('campaign.result.speech_asr'), dataIndex: 'asr_engine', key: 'asr' },
          { title: t('campaign.result.speech_tts'), dataIndex: 'tts_engine', key: 'tts', render: (v?: string) => v || '-' },
          { title: t('campaign.result.speech_latency'), dataIndex: 'recognition_ms', key: 'ms', render: (v: number) => (v < 10 ? v.toFixed(1) : Math.round(v)) },
          { title: t('campaign.result.speech_text'), dataIndex: 'text', key: 'text' },
          { title: t('campaign.result.speech_reason'), dataIndex: 'reason', key: 'reason', render: (v?: string) => (v ? <Tag color="orange">{v}</Tag> : null) },
        ]}
      />
    </div>
  );
}
