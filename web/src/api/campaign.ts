// Lists, imports, do-not-call, campaigns, results and webhooks (issue 6).
import { fetchPage, http, postMultipart, type PageParams } from './client';

export interface ContactList {
  id: number;
  name: string;
  state: 'importing' | 'ready' | 'failed';
  columns: string[];
  contact_count: number;
  created_at: string;
}

export interface Mapping {
  has_header: boolean;
  phone: number;
  name: number;
  vars: Record<string, number>;
}

export interface Preview {
  import_id: number;
  list_id: number;
  format: string;
  encoding: string;
  headers: string[];
  rows: string[][] | null;
  suggested: Mapping;
}

export interface ListImport {
  id: number;
  list_id: number;
  file_name: string;
  state: 'uploaded' | 'queued' | 'running' | 'done' | 'failed';
  total_rows: number;
  rows_done: number;
  imported: number;
  duplicates: number;
  invalid: number;
  dnc: number;
  error: string;
}

export interface Rules {
  windows: { from: string; to: string }[];
  weekdays: number[];
  holidays: string[];
  retries: { outcome: string; interval_min: number; max_attempts: number }[];
  callback_min: number;
  ai_disclosure: boolean;
}

export interface Campaign {
  id: number;
  name: string;
  list_id: number;
  script_version_id: number;
  state: 'draft' | 'scheduled' | 'running' | 'paused' | 'completed' | 'stopped';
  priority: number;
  max_concurrent: number;
  start_at: string | null;
  end_at: string | null;
  rules: Rules;
  pause_reason: string;
  total: number;
  finished: number;
  answered: number;
  created_at: string;
}

export interface CampaignInput {
  name: string;
  list_id: number;
  script_version_id: number;
  priority: number;
  max_concurrent: number;
  start_at: string;
  end_at: string;
  rules: Rules;
}

export interface Stats {
  campaign_id: number;
  state: string;
  pause_reason: string;
  total: number;
  pending: number;
  in_flight: number;
  done: number;
  skipped: number;
  calls: number;
  answered: number;
  connect_rate: number;
  avg_talk_sec: number;
  outcomes: Record<string, number>;
  grades: Record<string, number>;
  by_hour: { hour: string; calls: number; answered: number }[];
}

export interface CompliancePreview {
  total: number;
  callable_now: number;
  rules: { rule: string; count: number }[];
  requirements: string[];
}

export interface CallResult {
  id: number;
  uuid: string;
  campaign_id: number;
  phone: string;
  caller_id: string;
  attempt_no: number;
  outcome: string;
  hangup_cause: string;
  sip_status: number;
  grade: string;
  tags: string[];
  vars: Record<string, string>;
  queued_at: string;
  ended_at: string | null;
  talk_sec: number;
  cost_fen: number;
  recording: boolean;
  timeline?: unknown;
}

export interface DncRow {
  id: number;
  phone: string;
  reason: string;
  note: string;
  created_at: string;
}

export interface Webhook {
  id: number;
  url: string;
  events: string[];
  enabled: boolean;
  secret?: string;
  created_at: string;
}

export function listLists(params?: PageParams, signal?: AbortSignal) {
  return fetchPage<ContactList>('/api/v1/lists', params, signal);
}

export function uploadList(file: File, name: string): Promise<Preview> {
  const form = new FormData();
  form.append('file', file);
  form.append('name', name);
  return postMultipart('/api/v1/lists/upload', form);
}

export function startImport(importId: number, m: Mapping): Promise<ListImport> {
  return http.post(`/api/v1/imports/${importId}/start`, m);
}

export function getImport(importId: number): Promise<ListImport> {
  return http.get(`/api/v1/imports/${importId}`);
}

export const importErrorsURL = (importId: number) => `/api/v1/imports/${importId}/errors`;

export function deleteList(id: number): Promise<void> {
  return http.del(`/api/v1/lists/${id}`);
}

export function listDnc(params?: PageParams, signal?: AbortSignal) {
  return fetchPage<DncRow>('/api/v1/dnc', params, signal);
}

export function addDnc(phones: string[], note: string): Promise<{ added: number; existing: number; rejected: { index: number }[] }> {
  return http.post('/api/v1/dnc', { phones, note });
}

export function removeDnc(id: number): Promise<void> {
  return http.del(`/api/v1/dnc/${id}`);
}

export function importDnc(file: File): Promise<{ added: number; existing: number }> {
  const form = new FormData();
  form.append('file', file);
  return postMultipart('/api/v1/dnc/import', form);
}

export function listCampaigns(params?: PageParams, signal?: AbortSignal) {
  return fetchPage<Campaign>('/api/v1/campaigns', params, signal);
}

export function getCampaign(id: number): Promise<Campaign> {
  return http.get(`/api/v1/campaigns/${id}`);
}

export function createCampaign(input: CampaignInput): Promise<Campaign> {
  return http.post('/api/v1/campaigns', input);
}

export function actCampaign(id: number, action: 'start' | 'pause' | 'resume' | 'stop'): Promise<Campaign> {
  return http.post(`/api/v1/campaigns/${id}/${action}`);
}

export function campaignStats(id: number): Promise<Stats> {
  return http.get(`/api/v1/campaigns/${id}/stats`);
}

/** The wizard's check before create: the columns a script version reads, or a 422 on script_version_id when the list lacks some. */
export function scriptFit(listId: number, scriptVersionId: number): Promise<{ columns: string[] }> {
  return http.post('/api/v1/campaigns/script-fit', { list_id: listId, script_version_id: scriptVersionId });
}

export function compliancePreview(listId: number, rules: Rules): Promise<CompliancePreview> {
  return http.post('/api/v1/compliance/preview', { list_id: listId, rules });
}

export interface InFlightCall {
  id: number;
  phone: string;
  attempt_no: number;
  queued_at: string;
  caller_id: string;
}

export function inFlightCalls(id: number) {
  return fetchPage<InFlightCall & { state?: string }>(`/api/v1/campaigns/${id}/calls`);
}

export const campaignEventsURL = (id: number) => `/api/v1/campaigns/${id}/events`;

export function listResults(params?: PageParams, signal?: AbortSignal) {
  return fetchPage<CallResult>('/api/v1/results', params, signal);
}

export function getResult(id: number): Promise<CallResult> {
  return http.get(`/api/v1/results/${id}`);
}

export function followUp(id: number, patch: { handled?: boolean; notes?: string }): Promise<unknown> {
  return http.patch(`/api/v1/results/${id}/follow-up`, patch);
}

export type ResultFilter = {
  campaign_id?: number;
  outcome?: string;
  phone?: string;
};

/**
 * The export of exactly the rows the results table shows (same filter);
 * with recordings it is a ZIP of the table file and recordings/<call id>.wav.
 */
export function exportURL(format: 'csv' | 'xlsx', filter: ResultFilter = {}, recordings = false): string {
  const q = new URLSearchParams({ format });
  if (filter.campaign_id) q.set('campaign_id', String(filter.campaign_id));
  if (filter.outcome) q.set('outcome', filter.outcome);
  if (filter.phone) q.set('phone', filter.phone);
  if (recordings) q.set('recordings', 'true');
  return `/api/v1/results/export?${q.toString()}`;
}

/** Script versions from the dialogue API when it exists; [] otherwise. */
export async function listScriptVersions(): Promise<{ id: number; name: string }[]> {
  try {
    const page = await http.get<{ items?: { id: number; name?: string; version_id?: number; published_version_id?: number }[] }>(
      '/api/v1/scripts',
      { noAuthRedirect: true },
    );
    return (page.items ?? [])
      .map((s) => ({ id: s.published_version_id ?? s.version_id ?? 0, name: s.name ?? `#${s.id}` }))
      .filter((s) => s.id > 0);
  } catch {
    return [];
  }
}

export function listWebhooks(params?: PageParams, signal?: AbortSignal) {
  return fetchPage<Webhook>('/api/v1/webhooks', params, signal);
}

export function createWebhook(url: string, events: string[]): Promise<Webhook> {
  return http.post('/api/v1/webhooks', { url, events });
}

export function deleteWebhook(id: number): Promise<void> {
  return http.del(`/api/v1/webhooks/${id}`);
}

export const DEFAULT_RULES: Rules = {
  windows: [
    { from: '09:00', to: '12:00' },
    { from: '13:30', to: '20:00' },
  ],
  weekdays: [1, 2, 3, 4, 5],
  holidays: [],
  retries: [
    { outcome: 'busy', interval_min: 30, max_attempts: 3 },
    { outcome: 'no_answer', interval_min: 60, max_attempts: 3 },
    { outcome: 'powered_off', interval_min: 120, max_attempts: 2 },
    { outcome: 'carrier_error', interval_min: 10, max_attempts: 3 },
  ],
  callback_min: 120,
  ai_disclosure: true,
};
