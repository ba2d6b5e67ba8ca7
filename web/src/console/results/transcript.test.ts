import { describe, expect, it } from 'vitest';
import { latencyLabel, transcriptOf } from './transcript';

const stored = {
  grade: 'A',
  turns: 2,
  timeline: [
    { at_ms: 0, who: 'robot', node: 'hello', text: 'Hello, this is an automated call.' },
    { at_ms: 2100, who: 'callee', node: 'ask', text: 'yes i am interested', intent: 'interested' },
    { at_ms: 2900, who: 'callee', node: 'ask', text: 'yes i am interested' },
    { at_ms: 3000, who: 'system', event: 'hangup' },
  ],
  speech_turns: [
    { turn: 1, asr_engine: 'pocketsphinx', tts_engine: 'flite', text: '', recognition_ms: 3000, reason: 'engine_timeout' },
    { turn: 2, asr_engine: 'pocketsphinx', tts_engine: 'flite', text: 'yes I am interested', recognition_ms: 12.4 },
  ],
};

describe('transcript', () => {
  it('reads the dialogue result’s timeline (not its turn count)', () => {
    const t = transcriptOf(stored);
    expect(t.lines.map((l) => [l.who, l.text])).toEqual([
      ['robot', 'Hello, this is an automated call.'],
      ['callee', 'yes i am interested'],
      ['callee', 'yes i am interested'],
      ['system', 'hangup'],
    ]);
  });

  it('joins each callee line with the next record of the same text, skipping failed turns', () => {
    const t = transcriptOf(stored);
    expect(t.lines[1]!.speech?.turn).toBe(2);
    expect(t.lines[2]!.speech).toBeUndefined(); // no second record for the repeat
    expect(t.lines[0]!.speech).toBeUndefined();
    expect(t.speech.map((s) => s.reason)).toEqual(['engine_timeout', undefined]);
  });

  it('survives missing and malformed data', () => {
    expect(transcriptOf(null)).toEqual({ lines: [], speech: [] });
    expect(transcriptOf({ timeline: 'x', speech_turns: [1, null] })).toEqual({ lines: [], speech: [] });
    expect(transcriptOf([{ who: 'robot', text: 'hi' }]).lines).toEqual([{ at_ms: undefined, who: 'robot', text: 'hi', node: undefined }]);
  });

  it('labels engine and latency', () => {
    expect(latencyLabel({ turn: 1, asr_engine: 'pocketsphinx', text: '', recognition_ms: 3.14 })).toBe('pocketsphinx · 3.1 ms');
    expect(latencyLabel({ turn: 1, asr_engine: 'funasr', text: '', recognition_ms: 187.6 })).toBe('funasr · 188 ms');
  });
});
