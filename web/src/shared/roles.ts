import { isMessageKey, type TFunction } from '../i18n';

export const USER_ROLES = ['owner', 'admin', 'manager', 'agent', 'viewer'] as const;
export const STAFF_ROLES = ['admin', 'sales', 'finance', 'support'] as const;

/** Localized role name; an unknown role (a newer server) shows as sent. */
export function roleLabel(t: TFunction, kind: 'user' | 'staff', role: string): string {
  const key = `role.${kind}.${role}`;
  return isMessageKey(key) ? t(key) : role;
}

export function tenantStatusLabel(t: TFunction, status: string): string {
  const key = `tenant.status.${status}`;
  return isMessageKey(key) ? t(key) : status;
}

export const TENANT_STATUS_COLOR: Record<string, string> = {
  pending: 'gold',
  active: 'green',
  suspended: 'red',
};
