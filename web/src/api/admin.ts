// Operator back office endpoints (brief/API.md, "Operator back office").
import { fetchPage, http, setCsrfToken, type PageParams } from './client';
import type { AdminSession, AuditEntry, DashboardCard, Id, Staff, StaffRole, Tenant, TenantStatus } from './types';

export async function login(email: string, password: string): Promise<AdminSession> {
  const s = await http.post<AdminSession>('/api/v1/admin/auth/login', { email, password }, { noAuthRedirect: true });
  setCsrfToken('admin', s.csrf_token);
  return s;
}

export async function logout(): Promise<void> {
  try {
    await http.post<void>('/api/v1/admin/auth/logout', undefined, { noAuthRedirect: true });
  } finally {
    setCsrfToken('admin', '');
  }
}

export async function me(signal?: AbortSignal): Promise<AdminSession> {
  const s = await http.get<AdminSession>('/api/v1/admin/auth/me', { noAuthRedirect: true, signal });
  setCsrfToken('admin', s.csrf_token);
  return s;
}

export function dashboard(signal?: AbortSignal): Promise<{ cards: DashboardCard[] }> {
  return http.get('/api/v1/admin/dashboard', { signal });
}

export interface TenantFilter extends PageParams {
  status?: TenantStatus | '';
  q?: string;
}

export function listTenants(params?: TenantFilter, signal?: AbortSignal) {
  return fetchPage<Tenant>('/api/v1/admin/tenants', params, signal);
}

const tenantPath = (id: Id) => `/api/v1/admin/tenants/${encodeURIComponent(String(id))}`;

export function activateTenant(id: Id): Promise<unknown> {
  return http.post(`${tenantPath(id)}/activate`);
}

export function suspendTenant(id: Id, reason: string): Promise<unknown> {
  return http.post(`${tenantPath(id)}/suspend`, { reason });
}

export function listStaff(params?: PageParams, signal?: AbortSignal) {
  return fetchPage<Staff>('/api/v1/admin/staff', params, signal);
}

export interface NewStaff {
  email: string;
  name: string;
  role: StaffRole;
  password: string;
}

export function createStaff(input: NewStaff): Promise<unknown> {
  return http.post('/api/v1/admin/staff', input);
}

export function updateStaff(id: Id, patch: Partial<Pick<Staff, 'name' | 'role' | 'disabled'>>): Promise<unknown> {
  return http.patch(`/api/v1/admin/staff/${encodeURIComponent(String(id))}`, patch);
}

export interface AuditFilter extends PageParams {
  action?: string;
  tenant_id?: string;
  actor?: string;
}

export function listAudit(params?: AuditFilter, signal?: AbortSignal) {
  return fetchPage<AuditEntry>('/api/v1/admin/audit', params, signal);
}
