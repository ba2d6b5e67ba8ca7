// The client against a real HTTP server on loopback that records what it receives and
// answers in the contract's shapes.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  allPages,
  ApiError,
  buildQuery,
  configureClient,
  errorFromResponse,
  fetchPage,
  http,
  NETWORK_ERROR,
  parseRetryAfter,
  safeNext,
  setCsrfToken,
  surfaceOf,
  type Surface,
} from './client';

interface Seen {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

type Reply = { status: number; headers?: Record<string, string>; body?: string };

let server: Server;
let base = '';
const seen: Seen[] = [];
let reply: (req: Seen) => Reply = () => ({ status: 200, body: '{}' });
const unauthorized: Surface[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const s: Seen = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body };
      seen.push(s);
      const r = reply(s);
      res.writeHead(r.status, { 'Content-Type': 'application/json', ...r.headers });
      res.end(r.body ?? '');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  configureClient({ base, locale: () => 'en', onUnauthorized: (s) => unauthorized.push(s) });
});

afterAll(() => new Promise<void>((r) => server.close(() => r())));

beforeEach(() => {
  seen.length = 0;
  unauthorized.length = 0;
  setCsrfToken('console', '');
  setCsrfToken('admin', '');
  reply = () => ({ status: 200, body: '{}' });
});

const last = () => seen[seen.length - 1]!;

describe('headers', () => {
  it('sends Accept-Language from the configured locale', async () => {
    await http.get('/api/v1/auth/me');
    expect(last().headers['accept-language']).toBe('en');
  });

  it('sends the CSRF token on writes only, per surface', async () => {
    setCsrfToken('console', 'tok-console');
    setCsrfToken('admin', 'tok-admin');
    await http.get('/api/v1/users');
    expect(last().headers['x-csrf-token']).toBeUndefined();
    await http.post('/api/v1/users', { email: 'a@b.c' });
    expect(last().headers['x-csrf-token']).toBe('tok-console');
    expect(last().headers['content-type']).toBe('application/json');
    expect(JSON.parse(last().body)).toEqual({ email: 'a@b.c' });
    await http.patch('/api/v1/users/7', { disabled: true });
    expect(last().headers['x-csrf-token']).toBe('tok-console');
    await http.del('/api/v1/api-keys/3');
    expect(last().headers['x-csrf-token']).toBe('tok-console');
    await http.post('/api/v1/admin/tenants/1/activate');
    expect(last().headers['x-csrf-token']).toBe('tok-admin');
  });

  it('sends no CSRF header before any login', async () => {
    await http.post('/api/v1/auth/login', { email: 'x', password: 'y' });
    expect(last().headers['x-csrf-token']).toBeUndefined();
  });
});

describe('responses', () => {
  it('returns undefined for 204', async () => {
    reply = () => ({ status: 204 });
    await expect(http.post('/api/v1/auth/logout')).resolves.toBeUndefined();
  });

  it('parses the contract error shape with fields', async () => {
    reply = () => ({
      status: 422,
      headers: { 'X-Request-ID': 'req-1' },
      body: JSON.stringify({ error: { code: 'validation_failed', message: 'bad', fields: { email: 'invalid format' } } }),
    });
    const err = await http.post('/api/v1/auth/signup', {}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    const e = err as ApiError;
    expect([e.status, e.code, e.message, e.fields, e.requestId]).toEqual([422, 'validation_failed', 'bad', { email: 'invalid format' }, 'req-1']);
  });

  it('reads Retry-After on account_locked', async () => {
    reply = () => ({
      status: 429,
      headers: { 'Retry-After': '900' },
      body: JSON.stringify({ error: { code: 'account_locked', message: 'locked' } }),
    });
    const e = (await http.post('/api/v1/auth/login', {}, { noAuthRedirect: true }).catch((x: unknown) => x)) as ApiError;
    expect(e.code).toBe('account_locked');
    expect(e.retryAfter).toBe(900);
  });

  it('falls back to a code from the status when the body is not JSON', async () => {
    reply = () => ({ status: 502, headers: { 'Content-Type': 'text/html' }, body: '<html>Bad Gateway</html>' });
    const e = (await http.get('/api/v1/dashboard').catch((x: unknown) => x)) as ApiError;
    expect([e.status, e.code, e.message]).toEqual([502, 'internal', '']);
  });

  it('reports an unreachable server as network_error', async () => {
    configureClient({ base: 'http://127.0.0.1:1' });
    try {
      const e = (await http.get('/api/v1/auth/me').catch((x: unknown) => x)) as ApiError;
      expect([e.status, e.code]).toEqual([0, NETWORK_ERROR]);
    } finally {
      configureClient({ base });
    }
  });
});

describe('401 handling', () => {
  const err401 = (code: string) => () => ({ status: 401, body: JSON.stringify({ error: { code, message: 'm' } }) });

  it('sends the user to the right login on an expired session', async () => {
    setCsrfToken('admin', 'tok');
    reply = err401('unauthorized');
    await expect(http.get('/api/v1/admin/tenants')).rejects.toBeInstanceOf(ApiError);
    await expect(http.get('/api/v1/users')).rejects.toBeInstanceOf(ApiError);
    expect(unauthorized).toEqual(['admin', 'console']);
    // The stale token is dropped so it is not sent with the next login.
    await http.post('/api/v1/admin/auth/login', {}, { noAuthRedirect: true }).catch(() => {});
    expect(last().headers['x-csrf-token']).toBeUndefined();
  });

  it('does not redirect on wrong credentials or when asked not to', async () => {
    reply = err401('invalid_credentials');
    await expect(http.post('/api/v1/auth/login', {})).rejects.toMatchObject({ code: 'invalid_credentials' });
    reply = err401('unauthorized');
    await expect(http.get('/api/v1/auth/me', { noAuthRedirect: true })).rejects.toMatchObject({ code: 'unauthorized' });
    expect(unauthorized).toEqual([]);
  });
});

describe('cursor pagination', () => {
  it('passes limit, cursor and filters, leaving out empty ones', async () => {
    reply = () => ({ status: 200, body: JSON.stringify({ items: [{ id: 1 }], next_cursor: 'c2' }) });
    const page = await fetchPage('/api/v1/admin/tenants', { status: '', q: '演示', limit: 20, cursor: 'c1' });
    expect(page).toEqual({ items: [{ id: 1 }], next_cursor: 'c2' });
    const url = new URL(last().url, base);
    expect(Object.fromEntries(url.searchParams)).toEqual({ q: '演示', limit: '20', cursor: 'c1' });
  });

  it('tolerates a missing next_cursor and null items', async () => {
    reply = () => ({ status: 200, body: JSON.stringify({ items: null }) });
    expect(await fetchPage('/api/v1/users')).toEqual({ items: [], next_cursor: '' });
  });

  it('walks all pages and stops on an empty or repeated cursor', async () => {
    reply = (req) => {
      const cursor = new URL(req.url, base).searchParams.get('cursor');
      const next: Record<string, string> = { '': 'a', a: 'b', b: '' };
      return { status: 200, body: JSON.stringify({ items: [cursor ?? 'first'], next_cursor: next[cursor ?? ''] }) };
    };
    const got: string[] = [];
    for await (const items of allPages<string>('/api/v1/admin/staff')) got.push(...items);
    expect(got).toEqual(['first', 'a', 'b']);

    reply = () => ({ status: 200, body: JSON.stringify({ items: ['x'], next_cursor: 'same' }) });
    let pages = 0;
    for await (const _ of allPages('/api/v1/admin/staff')) pages++;
    expect(pages).toBe(2);
  });
});

describe('helpers', () => {
  it.each([
    [undefined, ''],
    [{}, ''],
    [{ a: '', b: null, c: undefined }, ''],
    [{ a: 'x y', n: 0, f: false }, '?a=x+y&n=0&f=false'],
  ])('buildQuery(%j)', (params, want) => {
    expect(buildQuery(params as Record<string, string>)).toBe(want);
  });

  it.each([
    ['120', 120],
    [' 5 ', 5],
    [null, undefined],
    ['soon', undefined],
    ['Thu, 01 Jan 2026 00:01:00 GMT', 60],
  ])('parseRetryAfter(%s)', (v, want) => {
    expect(parseRetryAfter(v, Date.parse('2026-01-01T00:00:00Z'))).toBe(want);
  });

  it.each([
    ['/api/v1/auth/login', 'console'],
    ['/api/v1/users', 'console'],
    ['/api/v1/admin/auth/me', 'admin'],
    ['/api/v1/admin/tenants/1', 'admin'],
    ['/api/v1/administrators', 'console'],
  ])('surfaceOf(%s)', (p, want) => {
    expect(surfaceOf(p)).toBe(want);
  });

  it.each([
    ['console', null, '/console'],
    ['console', '/console/settings/users', '/console/settings/users'],
    ['console', '/console?tab=1', '/console?tab=1'],
    ['console', '/admin/tenants', '/console'],
    ['console', 'https://evil.example/console', '/console'],
    ['console', '//evil.example/console', '/console'],
    ['console', '/consolex', '/console'],
    ['console', '/console/login', '/console'],
    ['console', '/console/..\\evil', '/console'],
    ['admin', '/admin/audit', '/admin/audit'],
    ['admin', '/console', '/admin'],
  ] as const)('safeNext(%s, %s)', (surface, next, want) => {
    expect(safeNext(surface, next)).toBe(want);
  });

  it('errorFromResponse keeps non-string field reasons readable', async () => {
    const res = new Response(JSON.stringify({ error: { code: 'validation_failed', message: 'm', fields: { n: { max: 3 } } } }), {
      status: 422,
    });
    const e = await errorFromResponse(res);
    expect(e.fields).toEqual({ n: '{"max":3}' });
  });
});
