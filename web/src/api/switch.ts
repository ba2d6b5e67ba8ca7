// Back-office endpoints for FreeSWITCH nodes, SIP trunks and caller IDs (app/httpapi/callctl_admin_handlers.go).
import { http } from './client';
import type { Id } from './types';

export type NodeState = 'enabled' | 'draining' | 'disabled';

export interface SwitchNode {
  id: Id;
  name: string;
  esl_addr: string;
  max_calls: number;
  max_cps: number;
  state: NodeState;
  simulated: boolean;
  last_seen_at: string | null;
  last_error: string;
  sessions_now: number;
}

export interface NodeInput {
  name?: string;
  esl_addr?: string;
  esl_password?: string;
  max_calls?: number;
  max_cps?: number;
}

export interface NodeHealth {
  available: boolean;
  connected: boolean;
  health?: { sessions_now: number; max_sessions: number; cps: number; uptime: string; version: string; error: string };
  error?: string;
}

export interface TrunkStats {
  calls_24h: number;
  answered_24h: number;
  answer_rate: number;
  active_now: number;
  failures: Record<string, number>;
}

export interface Trunk {
  id: Id;
  name: string;
  carrier: string;
  host: string;
  transport: 'udp' | 'tcp' | 'tls';
  username: string;
  has_password: boolean;
  register: boolean;
  prefix: string;
  format: 'e164' | 'national' | 'digits';
  max_concurrent: number;
  max_cps: number;
  codecs: string;
  enabled: boolean;
  simulated: boolean;
  stats?: TrunkStats;
  tenants?: Id[];
}

export type TrunkInput = Partial<Omit<Trunk, 'id' | 'has_password' | 'simulated' | 'stats' | 'tenants'>> & { password?: string };

export interface GatewayTest {
  available: boolean;
  status?: { node_id: Id; state: string; status: string; ping_ms: number; detail: string };
  error?: string;
}

export interface CallerID {
  id: Id;
  trunk_id: Id;
  tenant_id: Id;
  number: string;
  area_code: string;
  enabled: boolean;
  flagged: boolean;
  flag_reason: string;
  calls_7d: number;
  answer_rate_7d: number;
}

const enc = (id: Id) => encodeURIComponent(String(id));

export const listNodes = (signal?: AbortSignal) => http.get<{ items: SwitchNode[] }>('/api/v1/admin/nodes', { signal });
export const createNode = (input: NodeInput) => http.post<SwitchNode>('/api/v1/admin/nodes', input);
export const updateNode = (id: Id, input: NodeInput) => http.patch<SwitchNode>(`/api/v1/admin/nodes/${enc(id)}`, input);
export const setNodeState = (id: Id, verb: 'enable' | 'drain' | 'disable') => http.post<SwitchNode>(`/api/v1/admin/nodes/${enc(id)}/${verb}`);
export const nodeHealth = (id: Id) => http.get<NodeHealth>(`/api/v1/admin/nodes/${enc(id)}/health`);

export const listTrunks = (signal?: AbortSignal) => http.get<{ items: Trunk[] }>('/api/v1/admin/trunks', { signal });
export const createTrunk = (input: TrunkInput) => http.post<Trunk>('/api/v1/admin/trunks', input);
export const updateTrunk = (id: Id, input: TrunkInput) => http.patch<Trunk>(`/api/v1/admin/trunks/${enc(id)}`, input);
export const testTrunk = (id: Id) => http.post<GatewayTest>(`/api/v1/admin/trunks/${enc(id)}/test`);
export const assignTrunk = (id: Id, tenant_id: number, max_concurrent: number) =>
  http.post(`/api/v1/admin/trunks/${enc(id)}/assignments`, { tenant_id, max_concurrent });
export const unassignTrunk = (id: Id, tenant_id: number) => http.post(`/api/v1/admin/trunks/${enc(id)}/unassign`, { tenant_id });

export const listCallerIDs = (signal?: AbortSignal) => http.get<{ items: CallerID[] }>('/api/v1/admin/caller-ids', { signal });
export const createCallerID = (input: { trunk_id: number; number: string; area_code: string; tenant_id: number }) =>
  http.post<CallerID>('/api/v1/admin/caller-ids', input);
export const updateCallerID = (id: Id, patch: { tenant_id?: number; enabled?: boolean; flagged?: boolean; flag_reason?: string }) =>
  http.patch<CallerID>(`/api/v1/admin/caller-ids/${enc(id)}`, patch);
