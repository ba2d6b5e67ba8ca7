// Shapes from the HTTP API contract (brief/API.md). Optional fields are ones the contract
// does not pin down yet; the UI shows them only when the server sends them.

export type TenantStatus = 'pending' | 'active' | 'suspended';
export type UserRole = 'owner' | 'admin' | 'manager' | 'agent' | 'viewer';
export type StaffRole = 'admin' | 'sales' | 'finance' | 'support';

export interface Tenant {
  id: Id;
  name: string;
  status: TenantStatus;
  display_name: string;
  logo_url: string;
  contact_name: string;
  contact_email: string;
  contact_phone: string;
  line_quota: number;
  features: Record<string, unknown>;
  created_at: string;
  /** Back-office list only: money (fen) and the last 30 days of calls. */
  balance_fen?: number | null;
  available_fen?: number | null;
  calls_30d?: number;
  answered_30d?: number;
}

export interface User {
  id: Id;
  email: string;
  name: string;
  role: UserRole;
  locale: string;
  disabled: boolean;
  created_at: string;
}

export interface Staff {
  id: Id;
  email: string;
  name: string;
  role: StaffRole;
  disabled: boolean;
  created_at: string;
}

// API.md names ApiKey without listing its fields; id, name and created_at are assumed,
// the rest are shown when present.
export interface ApiKey {
  id: Id;
  name: string;
  created_at: string;
  prefix?: string;
  last_used_at?: string | null;
  revoked_at?: string | null;
}

export interface AuditEntry {
  id: Id;
  at: string;
  actor_kind: string;
  actor_id: Id;
  actor_name: string;
  tenant_id: Id | null;
  action: string;
  target: string;
  detail: string;
  ip: string;
}

export interface Page<T> {
  items: T[];
  next_cursor: string;
}

export interface ConsoleSession {
  user: User;
  tenant: Tenant;
  csrf_token: string;
}

export interface AdminSession {
  staff: Staff;
  csrf_token: string;
}

export interface DashboardCard {
  [key: string]: unknown;
}

// Ids are strings in the contract's JSON examples; numbers are accepted so a numeric id
// from the server still works in URLs.
export type Id = string | number;
