// Back-office CRM, statistics and help-center endpoints (app/httpapi/crm_handlers.go).
import { fetchPage, http, request, type PageParams } from './client';
import type { Id, Tenant } from './types';

export type LeadStage = 'new' | 'contacted' | 'trial' | 'negotiating' | 'won' | 'lost';
export const LEAD_STAGES: LeadStage[] = ['new', 'contacted', 'trial', 'negotiating', 'won', 'lost'];
export type FollowUpKind = 'call' | 'visit' | 'wechat' | 'note';
export const FOLLOW_UP_KINDS: FollowUpKind[] = ['call', 'visit', 'wechat', 'note'];

export interface Lead {
  id: Id;
  company: string;
  contact_name: string;
  phone: string;
  email: string;
  message: string;
  source: 'contact' | 'signup' | 'manual';
  utm_source: string;
  utm_medium: string;
  utm_campaign: string;
  landing: string;
  referrer: string;
  stage: LeadStage;
  lost_reason: string;
  owner_id: Id;
  tenant_id: Id;
  last_follow_up_at: string | null;
  next_follow_up_at: string | null;
  pooled_at: string | null;
  created_at: string;
}

export interface FollowUp {
  id: Id;
  staff_id: Id;
  staff_name: string;
  kind: FollowUpKind;
  note: string;
  next_at: string | null;
  created_at: string;
}

export interface LeadFilter extends PageParams {
  stage?: LeadStage | '';
  owner?: string;
  pool?: boolean;
  q?: string;
}

export function listLeads(params?: LeadFilter, signal?: AbortSignal) {
  return fetchPage<Lead>('/api/v1/admin/leads', params, signal);
}

export function reminders(signal?: AbortSignal): Promise<{ items: Lead[] }> {
  return http.get('/api/v1/admin/leads/reminders', { signal });
}

const leadPath = (id: Id) => `/api/v1/admin/leads/${encodeURIComponent(String(id))}`;

export function getLead(id: Id, signal?: AbortSignal): Promise<{ lead: Lead; follow_ups: FollowUp[] }> {
  return http.get(leadPath(id), { signal });
}

export interface LeadPatch {
  company?: string;
  contact_name?: string;
  phone?: string;
  email?: string;
  stage?: LeadStage;
  lost_reason?: string;
  owner_id?: Id;
  next_follow_up_at?: string;
}

export function updateLead(id: Id, patch: LeadPatch): Promise<Lead> {
  return http.patch(leadPath(id), patch);
}

export function addFollowUp(id: Id, input: { kind: FollowUpKind; note: string; next_at?: string }): Promise<FollowUp> {
  return http.post(`${leadPath(id)}/follow-ups`, input);
}

export function claimLead(id: Id): Promise<Lead> {
  return http.post(`${leadPath(id)}/claim`);
}

export interface ConvertInput {
  company_name: string;
  contact_name: string;
  email: string;
  phone: string;
  password: string;
}

export interface Converted {
  tenant: Tenant;
  owner_email: string;
  password: string;
  lead: Lead;
}

export function convertLead(id: Id, input: ConvertInput): Promise<Converted> {
  return http.post(`${leadPath(id)}/convert`, input);
}

export interface Funnel {
  visitors: number;
  contacts: number;
  signups: number;
  leads: number;
  activated: number;
  first_recharge: number;
}

export interface Count {
  key: string;
  count: number;
}

export interface Traffic {
  views: number;
  visitors: number;
  by_day: { day: string; views: number; visitors: number }[];
  pages: Count[];
  landings: Count[];
  referrers: Count[];
  campaigns: Count[];
}

export interface PlatformDay {
  day: string;
  calls: number;
  connected: number;
  minutes: number;
  connect_rate: number;
  active_tenants: number;
  revenue_fen: number;
}

export interface PlatformStats {
  days: PlatformDay[];
  calls: number;
  connected: number;
  minutes: number;
  connect_rate: number;
  revenue_fen: number;
  revenue_available: boolean;
  active_tenants: number;
  tenants: number;
}

export function funnel(days: number, signal?: AbortSignal): Promise<Funnel> {
  return http.get('/api/v1/admin/stats/funnel', { query: { days }, signal });
}

export function traffic(days: number, signal?: AbortSignal): Promise<Traffic> {
  return http.get('/api/v1/admin/stats/traffic', { query: { days }, signal });
}

export function platform(days: number, signal?: AbortSignal): Promise<PlatformStats> {
  return http.get('/api/v1/admin/stats/platform', { query: { days }, signal });
}

export interface SupportView {
  tenant: Tenant;
  users: { id: Id; email: string; name: string; role: string; disabled: boolean }[];
  read_only: boolean;
}

export function supportView(tenantId: Id, signal?: AbortSignal): Promise<SupportView> {
  return http.get(`/api/v1/admin/tenants/${encodeURIComponent(String(tenantId))}/support-view`, { signal });
}

export interface TenantPatch {
  display_name?: string;
  logo_url?: string;
  line_quota?: number;
  price_plan_id?: number;
  features?: Record<string, boolean>;
}

export function updateTenant(id: Id, patch: TenantPatch): Promise<Tenant> {
  return http.patch(`/api/v1/admin/tenants/${encodeURIComponent(String(id))}`, patch);
}

export interface HelpDoc {
  id: Id;
  slug: string;
  lang: 'zh-CN' | 'en';
  title: string;
  body: string;
  position: number;
  published: boolean;
  updated_at: string;
}

export interface HelpDocInput {
  slug: string;
  lang: 'zh-CN' | 'en';
  title: string;
  /** The Markdown body, one string per line (the API keeps every string field short). */
  body_lines: string[];
  position: number;
  published: boolean;
}

export function listDocs(signal?: AbortSignal): Promise<{ items: HelpDoc[] }> {
  return http.get('/api/v1/admin/help-docs', { signal });
}

export function createDoc(input: HelpDocInput): Promise<HelpDoc> {
  return http.post('/api/v1/admin/help-docs', input);
}

export function updateDoc(id: Id, input: HelpDocInput): Promise<HelpDoc> {
  return request('PUT', `/api/v1/admin/help-docs/${encodeURIComponent(String(id))}`, { body: input });
}

export function deleteDoc(id: Id): Promise<void> {
  return http.del(`/api/v1/admin/help-docs/${encodeURIComponent(String(id))}`);
}

export interface ManualLead {
  company: string;
  contact_name: string;
  phone: string;
  email: string;
  message: string;
}

export function createLead(input: ManualLead): Promise<Lead> {
  return http.post('/api/v1/admin/leads', input);
}

export function supportSession(tenantId: Id): Promise<{ redirect: string; expires_at: string }> {
  return http.post(`/api/v1/admin/tenants/${encodeURIComponent(String(tenantId))}/support-session`);
}
