import { describe, expect, it } from 'vitest';
import type { ScriptSpeech, SpeechCatalog } from '../../api/speech';
import { choiceBody, previewText, previewVoice, voicesFor, withSynthesizer } from './voice';

const catalog: SpeechCatalog = {
  synthesizers: [
    { name: 'espeak-pinyin', languages: ['zh-CN'], voices: ['cmn-latn-pinyin'], embedded: true, streaming: false },
    { name: 'flite', languages: ['en-US'], voices: ['rms', 'awb', 'slt'], embedded: true, streaming: false },
  ],
  recognizers: [],
  default: { tts: 'espeak-pinyin', speed: 1 },
};

describe('voice picker', () => {
  it('speaks variables as their names and keeps the preview short', () => {
    expect(previewText('您好 ${name}，\n 您的账单 ${ amount } 元')).toBe('您好 name， 您的账单 amount 元');
    expect(Array.from(previewText('银'.repeat(300))).length).toBe(200);
    expect(previewText('😀'.repeat(3), 2)).toBe('😀😀');
    expect(previewText('   ')).toBe('');
  });

  it('lists a synthesizer’s voices and drops a voice the new engine lacks', () => {
    expect(voicesFor(catalog, 'flite')).toEqual(['rms', 'awb', 'slt']);
    expect(voicesFor(catalog, 'nope')).toEqual([]);
    expect(withSynthesizer({ tts: 'flite', voice: 'awb' }, catalog, 'espeak-pinyin')).toEqual({ tts: 'espeak-pinyin', voice: undefined });
    expect(withSynthesizer({ voice: 'awb' }, catalog, 'flite')).toEqual({ tts: 'flite', voice: 'awb' });
    expect(withSynthesizer({ tts: 'flite', voice: 'awb' }, catalog, '')).toEqual({ tts: undefined, voice: undefined });
  });

  it('previews with the unsaved choice over the script’s effective engines', () => {
    const speech: ScriptSpeech = { script: {}, tenant: {}, effective: { tts: 'espeak-pinyin', speed: 1 }, simulated: false };
    expect(previewVoice({}, speech)).toEqual({ tts: 'espeak-pinyin', voice: undefined, speed: 1 });
    expect(previewVoice({ tts: 'flite', voice: 'slt' }, speech)).toEqual({ tts: 'flite', voice: 'slt', speed: 1 });
    expect(previewVoice({}, null)).toEqual({ tts: undefined, voice: undefined, speed: undefined });
  });

  it('sends only the fields that were chosen', () => {
    expect(choiceBody({ tts: 'flite', voice: '', speed: 0, asr: undefined })).toEqual({ tts: 'flite' });
    expect(choiceBody({})).toEqual({});
  });
});
