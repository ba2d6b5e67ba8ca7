// The call's transcript for the results drawer: the dialogue's timeline (who said what,
// when) joined with the speech layer's per-turn records (which engine heard each answer
// and how long recognition took after the endpoint). Tested in transcript.test.ts.

export interface SpeechTurn {
  turn: number;
  asr_engine: string;
  tts_engine?: string;
  simulated?: boolean;
  text: string;
  confidence?: number;
  recognition_ms: number;
  reason?: string;
}

export interface TranscriptLine {
  at_ms?: number;
  who: string;
  text: string;
  node?: string;
  /** The recognizer's record of this callee line, when one was kept. */
  speech?: SpeechTurn;
}

export interface Transcript {
  lines: TranscriptLine[];
  speech: SpeechTurn[];
}

const isObj = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
const str = (x: unknown) => (typeof x === 'string' ? x : '');
const num = (x: unknown) => (typeof x === 'number' && Number.isFinite(x) ? x : undefined);
const norm = (s: string) => s.trim().toLowerCase();

function speechTurns(x: unknown): SpeechTurn[] {
  if (!Array.isArray(x)) return [];
  return x.filter(isObj).map((t, i) => ({
    turn: num(t.turn) ?? i + 1,
    asr_engine: str(t.asr_engine),
    tts_engine: str(t.tts_engine) || undefined,
    simulated: t.simulated === true,
    text: str(t.text),
    confidence: num(t.confidence),
    recognition_ms: num(t.recognition_ms) ?? 0,
    reason: str(t.reason) || undefined,
  }));
}

/**
 * Reads the stored timeline (the dialogue's result: {timeline: [...], speech_turns: [...]}),
 * also accepting a bare array of entries. Each callee line takes the next unused speech
 * record with the same text, in order: a turn the engine failed has no callee line and is
 * only in `speech`.
 */
export function transcriptOf(timeline: unknown): Transcript {
  const root = isObj(timeline) ? timeline : {};
  const raw = Array.isArray(timeline) ? timeline : Array.isArray(root.timeline) ? root.timeline : Array.isArray(root.events) ? root.events : [];
  const speech = speechTurns(root.speech_turns);
  let next = 0;
  const lines: TranscriptLine[] = raw.filter(isObj).map((e) => {
    const line: TranscriptLine = { at_ms: num(e.at_ms), who: str(e.who), text: str(e.text) || str(e.event), node: str(e.node) || undefined };
    if (line.who === 'callee' && line.text) {
      const k = speech.findIndex((s, i) => i >= next && !s.reason && norm(s.text) === norm(line.text));
      if (k >= 0) {
        line.speech = speech[k];
        next = k + 1;
      }
    }
    return line;
  });
  return { lines, speech };
}

/** "pocketsphinx · 12 ms" (one decimal under 10 ms). */
export function latencyLabel(s: SpeechTurn): string {
  const ms = s.recognition_ms < 10 ? s.recognition_ms.toFixed(1) : Math.round(s.recognition_ms).toString();
  return `${s.asr_engine} · ${ms} ms`;
}
