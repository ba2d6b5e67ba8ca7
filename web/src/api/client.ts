// The one place the UI talks HTTP. It knows the contract's conventions (brief/API.md):
// the error shape, CSRF on cookie-authenticated writes, the locale header, 401 → login,
// and cursor pagination. Pages call the typed functions in console.ts and admin.ts.

import type { Page } from './types';

export type Surface = 'console' | 'admin';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** A failed request: the contract's `{"error":{code,message,fields}}` plus transport details. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly fields: Record<string, string>;
  /** Seconds to wait, from Retry-After (account_locked, rate_limited). */
  readonly retryAfter?: number;
  readonly requestId?: string;

  constructor(init: {
    status: number;
    code: string;
    message: string;
    fields?: Record<string, string>;
    retryAfter?: number;
    requestId?: string;
  }) {
    super(init.message);
    this.name = 'ApiError';
    this.status = init.status;
    this.code = init.code;
    this.fields = init.fields ?? {};
    this.retryAfter = init.retryAfter;
    this.requestId = init.requestId;
  }
}

/** Code used when the server could not be reached at all. */
export const NETWORK_ERROR = 'network_error';

type UnauthorizedHandler = (surface: Surface) => void;

interface ClientConfig {
  /** Prefix for every path; empty in the browser (same origin), an absolute URL in tests. */
  base: string;
  locale: () => string;
  onUnauthorized: UnauthorizedHandler;
}

const config: ClientConfig = {
  base: '',
  locale: () => 'zh-CN',
  onUnauthorized: redirectToLogin,
};

// Console and back office use different session cookies, so they have different CSRF tokens.
const csrfTokens: Record<Surface, string> = { console: '', admin: '' };

export function configureClient(partial: Partial<ClientConfig>): void {
  Object.assign(config, partial);
}

export function setCsrfToken(surface: Surface, token: string): void {
  csrfTokens[surface] = token;
}

export function csrfToken(surface: Surface): string {
  return csrfTokens[surface];
}

/** Which surface (and so which cookie and CSRF token) an API path belongs to. */
export function surfaceOf(path: string): Surface {
  return path.startsWith('/api/v1/admin/') || path === '/api/v1/admin' ? 'admin' : 'console';
}

export function loginPath(surface: Surface): string {
  return surface === 'admin' ? '/admin/login' : '/console/login';
}

/**
 * Validates a post-login destination taken from the URL: only paths inside the same
 * surface are accepted, so a crafted ?next= cannot send the user to another site.
 */
export function safeNext(surface: Surface, next: string | null | undefined): string {
  const root = surface === 'admin' ? '/admin' : '/console';
  if (!next || !next.startsWith(root)) return root;
  if (next.startsWith('//') || next.includes('\\')) return root;
  const rest = next.slice(root.length);
  if (rest !== '' && !rest.startsWith('/') && !rest.startsWith('?')) return root;
  if (next.startsWith(`${root}/login`)) return root;
  return next;
}

function redirectToLogin(surface: Surface): void {
  if (typeof window === 'undefined') return;
  const login = loginPath(surface);
  const here = window.location.pathname + window.location.search;
  if (window.location.pathname.startsWith(login)) return;
  window.location.assign(`${login}?next=${encodeURIComponent(here)}`);
}

/** Query string from a parameter object, leaving out empty values. */
export function buildQuery(params?: Record<string, string | number | boolean | null | undefined>): string {
  if (!params) return '';
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === null || v === '') continue;
    q.set(k, String(v));
  }
  const s = q.toString();
  return s ? `?${s}` : '';
}

/** Retry-After is either delta-seconds or an HTTP date (RFC 9110 §10.2.3). */
export function parseRetryAfter(value: string | null, now: number = Date.now()): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  const at = Date.parse(trimmed);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, Math.ceil((at - now) / 1000));
}

/**
 * Multipart POST (file uploads): the JSON client only speaks JSON. The CSRF
 * token is the one of the path's surface (console or back office).
 */
export async function postMultipart<T>(path: string, form: FormData): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  const token = csrfToken(surfaceOf(path));
  if (token) headers['X-CSRF-Token'] = token;
  let res: Response;
  try {
    res = await fetch(path, { method: 'POST', body: form, headers, credentials: 'same-origin' });
  } catch {
    throw new ApiError({ status: 0, code: 'network_error', message: '' });
  }
  if (!res.ok) throw await errorFromResponse(res);
  return (await res.json()) as T;
}

/** Turns any non-2xx response into an ApiError, tolerating bodies that are not the contract's shape. */
export async function errorFromResponse(res: Response): Promise<ApiError> {
  let code = '';
  let message = '';
  let fields: Record<string, string> | undefined;
  const text = await res.text().catch(() => '');
  if (text) {
    try {
      const body = JSON.parse(text) as unknown;
      const err = (body as { error?: unknown } | null)?.error;
      if (err && typeof err === 'object') {
        const e = err as { code?: unknown; message?: unknown; fields?: unknown };
        if (typeof e.code === 'string') code = e.code;
        if (typeof e.message === 'string') message = e.message;
        if (e.fields && typeof e.fields === 'object') {
          fields = {};
          for (const [k, v] of Object.entries(e.fields as Record<string, unknown>)) {
            fields[k] = typeof v === 'string' ? v : JSON.stringify(v);
          }
        }
      }
    } catch {
      // Not JSON (a proxy's HTML error page, say): fall back to the status below.
    }
  }
  return new ApiError({
    status: res.status,
    code: code || codeForStatus(res.status),
    message,
    fields,
    retryAfter: parseRetryAfter(res.headers.get('Retry-After')),
    requestId: res.headers.get('X-Request-ID') ?? undefined,
  });
}

function codeForStatus(status: number): string {
  switch (status) {
    case 400:
      return 'bad_request';
    case 401:
      return 'unauthorized';
    case 403:
      return 'forbidden';
    case 404:
      return 'not_found';
    case 409:
      return 'conflict';
    case 413:
      return 'payload_too_large';
    case 422:
      return 'validation_failed';
    case 429:
      return 'rate_limited';
    default:
      return 'internal';
  }
}

export interface RequestOptions {
  query?: Record<string, string | number | boolean | null | undefined>;
  body?: unknown;
  signal?: AbortSignal;
  /** Do not send the user to the login page on 401 (the session probe and login forms). */
  noAuthRedirect?: boolean;
}

export async function request<T>(method: HttpMethod, path: string, opts: RequestOptions = {}): Promise<T> {
  const surface = surfaceOf(path);
  const headers: Record<string, string> = {
    Accept: 'application/json',
    'Accept-Language': config.locale(),
  };
  if (opts.body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET' && csrfTokens[surface]) headers['X-CSRF-Token'] = csrfTokens[surface];

  let res: Response;
  try {
    res = await fetch(config.base + path + buildQuery(opts.query), {
      method,
      headers,
      body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
      credentials: 'same-origin',
      signal: opts.signal,
    });
  } catch (err) {
    if ((err as { name?: string }).name === 'AbortError') throw err;
    throw new ApiError({ status: 0, code: NETWORK_ERROR, message: '' });
  }

  if (!res.ok) {
    const err = await errorFromResponse(res);
    // invalid_credentials is also a 401 but means "wrong password", not "session gone".
    if (res.status === 401 && err.code !== 'invalid_credentials' && !opts.noAuthRedirect) {
      csrfTokens[surface] = '';
      config.onUnauthorized(surface);
    }
    throw err;
  }
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  return (text ? JSON.parse(text) : undefined) as T;
}

export const http = {
  get: <T>(path: string, opts?: RequestOptions) => request<T>('GET', path, opts),
  post: <T>(path: string, body?: unknown, opts?: RequestOptions) => request<T>('POST', path, { ...opts, body }),
  patch: <T>(path: string, body?: unknown, opts?: RequestOptions) => request<T>('PATCH', path, { ...opts, body }),
  put: <T>(path: string, body?: unknown, opts?: RequestOptions) => request<T>('PUT', path, { ...opts, body }),
  del: <T>(path: string, opts?: RequestOptions) => request<T>('DELETE', path, opts),
};

export type PageParams = Record<string, string | number | boolean | null | undefined> & {
  limit?: number;
  cursor?: string;
};

/** One page of a cursor-paginated list (`?limit=&cursor=` → `{items, next_cursor}`). */
export async function fetchPage<T>(path: string, params: PageParams = {}, signal?: AbortSignal): Promise<Page<T>> {
  const page = await http.get<Page<T> | null>(path, { query: params, signal });
  return { items: page?.items ?? [], next_cursor: page?.next_cursor ?? '' };
}

/** Walks every page; for small lists (roles, staff) where the UI wants them all. */
export async function* allPages<T>(path: string, params: PageParams = {}, maxPages = 100): AsyncGenerator<T[]> {
  let cursor = '';
  for (let i = 0; i < maxPages; i++) {
    const page = await fetchPage<T>(path, { ...params, cursor: cursor || undefined });
    yield page.items;
    if (!page.next_cursor || page.next_cursor === cursor) return;
    cursor = page.next_cursor;
  }
}
