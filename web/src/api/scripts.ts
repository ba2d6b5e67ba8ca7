// Call-script endpoints (app/httpapi/dialog_handlers.go).
import { fetchPage, http, type PageParams } from './client';
import type { Id } from './types';

export type BargeInMode = 'off' | 'after' | 'intents';
export interface BargeIn {
  mode: BargeInMode;
  after_ms?: number;
  intents?: string[];
}
export interface Retry {
  lines: string[];
  next: string;
}
export interface Branch {
  intents?: string[];
  digits?: string;
  var?: string;
  equals?: string;
  tags?: string[];
  next: string;
}
export type NodeType = 'say' | 'listen' | 'branch' | 'dtmf' | 'set' | 'transfer' | 'hangup' | 'llm';
export interface ScriptNode {
  id: string;
  type: NodeType;
  label?: string;
  text?: string;
  audio_url?: string;
  barge_in?: BargeIn;
  next?: string;
  timeout_ms?: number;
  expect?: string[];
  branches?: Branch[];
  silence?: Retry;
  no_match?: Retry;
  max_digits?: number;
  terminator?: string;
  var?: string;
  tags?: string[];
  set_vars?: Record<string, string>;
  target?: string;
  llm?: { prompt: string; fallback?: string; [k: string]: unknown };
  x?: number;
  y?: number;
}
export interface Intent {
  name: string;
  priority?: number;
  keywords?: string[];
  regexes?: string[];
  examples?: string[];
}
export interface GlobalHandler {
  intent: string;
  action: 'answer' | 'repeat' | 'goto' | 'hangup' | 'transfer';
  text?: string;
  next?: string;
  target?: string;
  tags?: string[];
  reprompt?: boolean;
}
export interface KBEntry {
  id: string;
  question: string;
  keywords?: string[];
  examples?: string[];
  answer: string;
}
export interface Script {
  name: string;
  title?: string;
  lang?: string;
  description?: string;
  template?: string;
  start: string;
  vars?: string[];
  defaults: { silence_ms?: number; silence?: Retry; no_match?: Retry; barge_in?: BargeIn };
  nodes: ScriptNode[];
  intents?: Intent[];
  globals?: GlobalHandler[];
  kb?: KBEntry[];
  grading: { rules: unknown[]; default: string };
  tests?: unknown[];
  [k: string]: unknown;
}
export interface Issue {
  where: string;
  message: string;
  warning?: boolean;
}
export interface ScriptRow {
  id: Id;
  name: string;
  template: string;
  lang: string;
  latest_version: number;
  published_version_id: Id;
  created_at: string;
  updated_at: string;
}
export interface ScriptDetail extends ScriptRow {
  draft: Script;
  issues: Issue[];
  /** stream, or utterance: the recognizer cannot stream and barge-in cannot happen. */
  listen_mode?: 'stream' | 'utterance';
  /** Interruptible nodes when listen_mode is utterance. */
  barge_in_unavailable?: string[];
}
export interface ScriptVersion {
  id: Id;
  script_id: Id;
  version: number;
  checksum: string;
  note: string;
  created_at: string;
  body?: Script;
}
export interface TemplateInfo {
  name: string;
  base: string;
  lang: string;
  title: string;
  description: string;
}
export interface CheckResult {
  issues: Issue[];
  tests: { name: string; passed: boolean; failures: string[]; path: string[]; grade: string }[];
}
export interface ChatAction {
  type: string;
  text?: string;
  target?: string;
  reason?: string;
  [k: string]: unknown;
}
export interface CallResult {
  grade: string;
  tags: string[];
  vars: Record<string, string>;
  path: string[];
  ended: boolean;
  end?: string;
  node?: string;
  intents: { node: string; text: string; intent: string; confidence: number; source: string }[];
}
export interface ChatReply {
  actions: ChatAction[];
  result: CallResult;
}

const base = '/api/v1/scripts';
const one = (id: Id) => `${base}/${encodeURIComponent(String(id))}`;

export const listScripts = (p?: PageParams, signal?: AbortSignal) => fetchPage<ScriptRow>(base, p, signal);
export const getScript = (id: Id, signal?: AbortSignal) => http.get<ScriptDetail>(one(id), { signal });
export const createScript = (s: Script) => http.post<ScriptDetail>(base, s);
export const createFromTemplate = (template: string, name: string) =>
  http.post<ScriptDetail>(`${base}/from-template`, { template, name });
export const updateScript = (id: Id, s: Script) => http.put<ScriptDetail>(one(id), s);
export const deleteScript = (id: Id) => http.del<void>(one(id));
export const checkScript = (id: Id) => http.post<CheckResult>(`${one(id)}/check`);
export const publishScript = (id: Id, note: string) => http.post<ScriptVersion>(`${one(id)}/publish`, { note });
export const listVersions = (id: Id) => http.get<{ items: ScriptVersion[] }>(`${one(id)}/versions`);
export const getVersion = (versionId: Id) => http.get<ScriptVersion>(`/api/v1/script-versions/${encodeURIComponent(String(versionId))}`);
export const listTemplates = () => http.get<{ items: TemplateInfo[]; general_intents: string[] }>('/api/v1/script-templates');
export const chat = (id: Id, req: { version?: number; vars?: Record<string, string>; history: string[]; line?: string }) =>
  http.post<ChatReply>(`${one(id)}/chat`, req);
export const exportURL = (id: Id, version?: number) => `${one(id)}/export${version ? `?version=${version}` : ''}`;
