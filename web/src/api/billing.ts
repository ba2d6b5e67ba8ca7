// Billing endpoints, tenant and operator sides (app/httpapi/billing_handlers.go). Money is
// integer fen everywhere; yuan() formats it for display.
import { fetchPage, http, request, type PageParams } from './client';
import type { Id } from './types';

export interface PricePlan {
  id: Id;
  name: string;
  description: string;
  per_minute_fen: number;
  increment_sec: number;
  free_sec: number;
  min_charge_fen: number;
  per_call_fen: number;
  asr_per_minute_fen: number;
  tts_per_1k_chars_fen: number;
  llm_per_1k_tokens_fen: number;
  is_default: boolean;
  active: boolean;
}

export type PlanInput = Omit<PricePlan, 'id'>;

export interface Balance {
  tenant_id: Id;
  balance_fen: number;
  held_fen: number;
  credit_limit_fen: number;
  available_fen: number;
  arrears_fen: number;
  low_balance_fen: number;
  invoiceable_fen: number;
  payment_methods: string[];
  plan: PricePlan | null;
}

export type RechargeState = 'pending' | 'paid' | 'canceled' | 'rejected';

export interface Recharge {
  id: Id;
  tenant_id: Id;
  no: string;
  amount_fen: number;
  method: string;
  state: RechargeState;
  payer_name: string;
  note: string;
  reference: string;
  reject_reason: string;
  confirmed_at: string | null;
  created_at: string;
  pay_url?: string;
}

export interface LedgerRow {
  id: Id;
  txn_id: Id;
  at: string;
  day: string;
  kind: string;
  account: string;
  amount_fen: number;
  balance_after_fen: number;
  /** Running total of the lines the filter selects, up to and including this one. */
  running_fen: number;
  campaign_id: Id;
  attempt_uuid: string;
  memo: string;
}

/** Totals of the ledger lines a filter selects (operator's per-tenant ledger). */
export interface LedgerTotals {
  lines: number;
  credit_fen: number;
  debit_fen: number;
  net_fen: number;
}

export interface LedgerQuery {
  kind: string;
  from: string;
  to: string;
  campaign_id: string;
}

export interface ConsumptionRow {
  period: string;
  campaign_id: Id;
  calls: number;
  amount_fen: number;
}

export interface Statement {
  tenant_id: Id;
  month: string;
  opening_fen: number;
  closing_fen: number;
  movements_fen: Record<string, number>;
  consumption_fen: number;
  calls: number;
  arrears_fen: number;
  daily: ConsumptionRow[];
}

export interface InvoiceTitle {
  id: Id;
  company: string;
  tax_id: string;
  address: string;
  phone: string;
  bank: string;
  bank_account: string;
}

export type TitleInput = Omit<InvoiceTitle, 'id'>;

export interface Invoice {
  id: Id;
  tenant_id: Id;
  amount_fen: number;
  company: string;
  tax_id: string;
  state: 'requested' | 'issued' | 'rejected';
  reject_reason: string;
  invoice_no: string;
  pdf_size: number;
  created_at: string;
  reviewed_at: string | null;
}

export interface TenantBalance {
  tenant_id: Id;
  name: string;
  status: string;
  price_plan_id: Id | null;
  balance_fen: number;
  held_fen: number;
  credit_limit_fen: number;
  available_fen: number;
  arrears_fen: number;
}

export interface RevenueRow {
  key: string;
  tenant_id?: Id;
  name?: string;
  calls: number;
  amount_fen: number;
}

/** Fen as yuan with two decimals, e.g. 123456 → "1,234.56". */
export function yuan(fen: number): string {
  const neg = fen < 0;
  const abs = Math.abs(Math.trunc(fen));
  const whole = Math.floor(abs / 100).toLocaleString('en-US');
  const cents = String(abs % 100).padStart(2, '0');
  return `${neg ? '-' : ''}${whole}.${cents}`;
}

/** Yuan typed by a person ("12.5") as fen, or null when it is not a money amount. */
export function toFen(yuanText: string): number | null {
  const m = /^\s*(\d{1,10})(?:\.(\d{1,2}))?\s*$/.exec(yuanText);
  if (!m) return null;
  return Number(m[1]) * 100 + Number((m[2] ?? '').padEnd(2, '0'));
}

const enc = (id: Id) => encodeURIComponent(String(id));

// ---- tenant ----

export const balance = (signal?: AbortSignal) => http.get<Balance>('/api/v1/billing/balance', { signal });
export const ledger = (params: PageParams, signal?: AbortSignal) => fetchPage<LedgerRow>('/api/v1/billing/ledger', params, signal);
export const consumption = (by: 'day' | 'month', from: string, to: string, signal?: AbortSignal) =>
  http.get<{ items: ConsumptionRow[] }>('/api/v1/billing/consumption', { query: { by, from, to }, signal });
export const statement = (month: string, signal?: AbortSignal) => http.get<Statement>('/api/v1/billing/statement', { query: { month }, signal });
export const statementXlsxURL = (month: string) => `/api/v1/billing/statement.xlsx?month=${encodeURIComponent(month)}`;
export const callChargesXlsxURL = (from: string, to: string) =>
  `/api/v1/billing/call-charges.xlsx?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`;
export const recharges = (params: PageParams, signal?: AbortSignal) => fetchPage<Recharge>('/api/v1/billing/recharges', params, signal);
export const createRecharge = (input: { amount_fen: number; method: string; payer_name: string; note: string }) =>
  http.post<Recharge>('/api/v1/billing/recharges', input);
export const cancelRecharge = (id: Id) => http.post<Recharge>(`/api/v1/billing/recharges/${enc(id)}/cancel`);
export const titles = (signal?: AbortSignal) => http.get<{ items: InvoiceTitle[] }>('/api/v1/billing/invoice-titles', { signal });
export const saveTitle = (input: TitleInput, id?: Id) =>
  id ? request<InvoiceTitle>('PUT', `/api/v1/billing/invoice-titles/${enc(id)}`, { body: input }) : http.post<InvoiceTitle>('/api/v1/billing/invoice-titles', input);
export const deleteTitle = (id: Id) => http.del<void>(`/api/v1/billing/invoice-titles/${enc(id)}`);
export const invoices = (params: PageParams, signal?: AbortSignal) => fetchPage<Invoice>('/api/v1/billing/invoices', params, signal);
export const requestInvoice = (input: { title_id: Id; amount_fen: number; email: string }) => http.post<Invoice>('/api/v1/billing/invoices', input);
export const invoicePdfURL = (id: Id) => `/api/v1/billing/invoices/${enc(id)}/pdf`;

// ---- operator ----

export const plans = (signal?: AbortSignal) => http.get<{ items: PricePlan[] }>('/api/v1/admin/billing/plans', { signal });
export const savePlan = (input: PlanInput, id?: Id) =>
  id ? request<PricePlan>('PUT', `/api/v1/admin/billing/plans/${enc(id)}`, { body: input }) : http.post<PricePlan>('/api/v1/admin/billing/plans', input);
export const balances = (params: PageParams, signal?: AbortSignal) => fetchPage<TenantBalance>('/api/v1/admin/billing/balances', params, signal);
export const assignPlan = (tenantId: Id, planId: Id) =>
  request<Balance>('PUT', `/api/v1/admin/billing/tenants/${enc(tenantId)}/plan`, { body: { plan_id: Number(planId) } });
export const adjust = (tenantId: Id, input: { kind: string; amount_fen: number; reason: string }) =>
  http.post(`/api/v1/admin/billing/tenants/${enc(tenantId)}/adjustments`, input);
export const setCreditLimit = (tenantId: Id, creditLimitFen: number, reason: string) =>
  request<Balance>('PUT', `/api/v1/admin/billing/tenants/${enc(tenantId)}/credit-limit`, { body: { credit_limit_fen: creditLimitFen, reason } });
export const adminRecharges = (params: PageParams, signal?: AbortSignal) => fetchPage<Recharge>('/api/v1/admin/billing/recharges', params, signal);
export const confirmRecharge = (id: Id, reference: string) => http.post<Recharge>(`/api/v1/admin/billing/recharges/${enc(id)}/confirm`, { reference });
export const rejectRecharge = (id: Id, reason: string) => http.post<Recharge>(`/api/v1/admin/billing/recharges/${enc(id)}/reject`, { reason });
export const adminInvoices = (params: PageParams, signal?: AbortSignal) => fetchPage<Invoice>('/api/v1/admin/billing/invoices', params, signal);
export const issueInvoice = (id: Id, invoiceNo: string, pdfBase64: string) =>
  http.post<Invoice>(`/api/v1/admin/billing/invoices/${enc(id)}/issue`, { invoice_no: invoiceNo, pdf_base64: pdfBase64 });
export const rejectInvoice = (id: Id, reason: string) => http.post<Invoice>(`/api/v1/admin/billing/invoices/${enc(id)}/reject`, { reason });
export const adminInvoicePdfURL = (id: Id) => `/api/v1/admin/billing/invoices/${enc(id)}/pdf`;
export const revenue = (by: 'day' | 'tenant', from: string, to: string, signal?: AbortSignal) =>
  http.get<{ items: RevenueRow[] }>('/api/v1/admin/billing/revenue', { query: { by, from, to }, signal });
export const adminStatementXlsxURL = (tenantId: Id, month: string) =>
  `/api/v1/admin/billing/tenants/${enc(tenantId)}/statement.xlsx?month=${encodeURIComponent(month)}`;
export const sendStatement = (tenantId: Id, month: string) =>
  http.post<void>(`/api/v1/admin/billing/tenants/${enc(tenantId)}/statement/send`, { month });
export const adminLedger = (tenantId: Id, params: PageParams, signal?: AbortSignal) =>
  fetchPage<LedgerRow>(`/api/v1/admin/billing/tenants/${enc(tenantId)}/ledger`, params, signal);
export const adminLedgerSummary = (tenantId: Id, q: LedgerQuery, signal?: AbortSignal) =>
  http.get<LedgerTotals>(`/api/v1/admin/billing/tenants/${enc(tenantId)}/ledger/summary`, { query: ledgerQuery(q), signal });
/** The same filters as the table, as an XLSX download (oldest first, running total, totals row). */
export const adminLedgerXlsxURL = (tenantId: Id, q: LedgerQuery) => {
  const qs = new URLSearchParams(ledgerQuery(q) as Record<string, string>).toString();
  return `/api/v1/admin/billing/tenants/${enc(tenantId)}/ledger.xlsx${qs ? `?${qs}` : ''}`;
};
function ledgerQuery(q: LedgerQuery): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(q)) if (v.trim() !== '') out[k] = v.trim();
  return out;
}

