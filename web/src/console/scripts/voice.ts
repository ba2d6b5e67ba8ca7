// Pure helpers of the voice picker and the listen button (tested in voice.test.ts).
import type { ScriptSpeech, SpeechCatalog, SpeechChoice } from '../../api/speech';

/** The server refuses longer previews (speechdb.PreviewMaxChars). */
export const PREVIEW_MAX_CHARS = 200;

/**
 * The text a preview speaks: variables read as their names (the call fills them in),
 * whitespace collapsed, cut to the preview limit in characters, not UTF-16 units.
 */
export function previewText(text: string, max = PREVIEW_MAX_CHARS): string {
  const plain = text
    .replace(/\$\{\s*([^}]*?)\s*\}/g, (_m, name: string) => name)
    .replace(/\s+/g, ' ')
    .trim();
  return Array.from(plain).slice(0, max).join('');
}

export function voicesFor(catalog: SpeechCatalog | null, tts: string | undefined): string[] {
  return catalog?.synthesizers.find((s) => s.name === tts)?.voices ?? [];
}

/** Picking another synthesizer keeps the voice only if the new engine has it. */
export function withSynthesizer(choice: SpeechChoice, catalog: SpeechCatalog | null, tts: string | undefined): SpeechChoice {
  const voices = voicesFor(catalog, tts);
  const voice = choice.voice && voices.includes(choice.voice) ? choice.voice : undefined;
  return { ...choice, tts: tts || undefined, voice };
}

/**
 * What a line is previewed with: the editor's unsaved choice over what the script's calls
 * resolve to, so listening before saving already uses the picked voice.
 */
export function previewVoice(draft: SpeechChoice, speech: ScriptSpeech | null): SpeechChoice {
  const eff = speech?.effective ?? {};
  if (draft.tts) return { tts: draft.tts, voice: draft.voice, speed: draft.speed ?? eff.speed };
  return { tts: eff.tts, voice: draft.voice ?? eff.voice, speed: eff.speed };
}

/** The body of PUT /scripts/:id/speech: empty fields inherit, so they are left out. */
export function choiceBody(c: SpeechChoice): SpeechChoice {
  const out: SpeechChoice = {};
  if (c.asr) out.asr = c.asr;
  if (c.tts) out.tts = c.tts;
  if (c.voice) out.voice = c.voice;
  if (c.speed) out.speed = c.speed;
  return out;
}
