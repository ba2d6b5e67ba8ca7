// Speech engines for the script editor's voice picker (app/httpapi/speech_handlers.go).
import { csrfToken, errorFromResponse, http } from './client';
import type { Id } from './types';

export interface SpeechEngine {
  name: string;
  languages: string[];
  voices: string[];
  embedded: boolean;
  streaming: boolean;
}
export interface SpeechChoice {
  asr?: string;
  tts?: string;
  voice?: string;
  speed?: number;
}
export interface SpeechCatalog {
  synthesizers: SpeechEngine[];
  recognizers: SpeechEngine[];
  default: SpeechChoice;
}
export interface ScriptSpeech {
  script: SpeechChoice;
  tenant: SpeechChoice;
  effective: SpeechChoice;
  simulated: boolean;
}

export const listEngines = () => http.get<SpeechCatalog>('/api/v1/speech/engines');
export const getScriptSpeech = (id: Id) => http.get<ScriptSpeech>(`/api/v1/scripts/${id}/speech`);
export const setScriptSpeech = (id: Id, c: SpeechChoice) => http.put<ScriptSpeech>(`/api/v1/scripts/${id}/speech`, c);

/** Synthesizes a short line and returns the WAV (the JSON client cannot carry audio). */
export async function preview(text: string, tts: string, voice?: string, speed?: number): Promise<Blob> {
  const res = await fetch('/api/v1/speech/preview', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'audio/wav', 'X-CSRF-Token': csrfToken('console') },
    body: JSON.stringify({ text, tts, voice: voice ?? '', speed: speed ?? 0 }),
    credentials: 'same-origin',
  });
  if (!res.ok) throw await errorFromResponse(res);
  return res.blob();
}
