// Tenant console endpoints (brief/API.md, "Tenant console").
import { fetchPage, http, setCsrfToken, type PageParams } from './client';
import type { ApiKey, ConsoleSession, DashboardCard, Id, Tenant, User, UserRole } from './types';

export interface SignupInput {
  company_name: string;
  contact_name: string;
  email: string;
  phone: string;
  password: string;
}

export async function signup(input: SignupInput): Promise<{ tenant: Tenant; user: User }> {
  return http.post('/api/v1/auth/signup', input, { noAuthRedirect: true });
}

export async function login(email: string, password: string): Promise<ConsoleSession> {
  const s = await http.post<ConsoleSession>('/api/v1/auth/login', { email, password }, { noAuthRedirect: true });
  setCsrfToken('console', s.csrf_token);
  return s;
}

export async function logout(): Promise<void> {
  try {
    await http.post<void>('/api/v1/auth/logout', undefined, { noAuthRedirect: true });
  } finally {
    setCsrfToken('console', '');
  }
}

/** The session probe: 401 here means "not logged in", which the caller handles. */
export async function me(signal?: AbortSignal): Promise<ConsoleSession> {
  const s = await http.get<ConsoleSession>('/api/v1/auth/me', { noAuthRedirect: true, signal });
  setCsrfToken('console', s.csrf_token);
  return s;
}

export function dashboard(signal?: AbortSignal): Promise<{ tenant: Tenant; cards: DashboardCard[] }> {
  return http.get('/api/v1/dashboard', { signal });
}

export function listUsers(params?: PageParams, signal?: AbortSignal) {
  return fetchPage<User>('/api/v1/users', params, signal);
}

export interface NewUser {
  email: string;
  name: string;
  role: Exclude<UserRole, 'owner'>;
  password: string;
}

export function createUser(input: NewUser): Promise<unknown> {
  return http.post('/api/v1/users', input);
}

export function updateUser(id: Id, patch: Partial<Pick<User, 'name' | 'role' | 'disabled'>>): Promise<unknown> {
  return http.patch(`/api/v1/users/${encodeURIComponent(String(id))}`, patch);
}

export function listApiKeys(params?: PageParams, signal?: AbortSignal) {
  return fetchPage<ApiKey>('/api/v1/api-keys', params, signal);
}

export function createApiKey(name: string): Promise<{ api_key: ApiKey; secret: string }> {
  return http.post('/api/v1/api-keys', { name });
}

export function revokeApiKey(id: Id): Promise<void> {
  return http.del(`/api/v1/api-keys/${encodeURIComponent(String(id))}`);
}

/** The logged-in user's SIP seat: the extension and password their phone registers with. */
export interface SipAccount {
  ext: string;
  password: string;
  updated_at: string;
}

/** 404 (ApiError) until the seat is created with resetSipAccount. */
export function getSipAccount(signal?: AbortSignal): Promise<SipAccount> {
  return http.get('/api/v1/me/sip-account', { signal });
}

export function resetSipAccount(): Promise<SipAccount> {
  return http.post('/api/v1/me/sip-account/reset');
}

/** An admin gives a sub-account's SIP seat a new password (creating the seat on first use). */
export function resetUserSipAccount(userId: number | string): Promise<SipAccount> {
  return http.post(`/api/v1/users/${userId}/sip-account/reset`);
}
