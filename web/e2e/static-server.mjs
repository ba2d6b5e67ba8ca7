// A tiny stand-in for the Go binary's page serving, for the smoke test only: it serves the
// built UI the way app/web.SPAHandler does (assets, index.html for /console and /admin) and
// answers the two API calls a logged-out visitor makes with the contract's error shape.
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { extname, join, normalize } from 'node:path';

const TYPES = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.html': 'text/html; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
};

function sendError(res, status, code, message) {
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'X-Request-ID': 'smoke' });
  res.end(JSON.stringify({ error: { code, message } }));
}

/** Starts the server on 127.0.0.1:<free port>; `requests` records API calls for assertions. */
export async function startStatic(distDir) {
  const requests = [];
  const server = createServer(async (req, res) => {
    const url = new URL(req.url, 'http://x');
    const path = url.pathname;
    if (path.startsWith('/api/')) {
      requests.push({ method: req.method, path, headers: req.headers });
      const en = (req.headers['accept-language'] || '').startsWith('en');
      if (req.method === 'POST' && (path === '/api/v1/auth/login' || path === '/api/v1/admin/auth/login')) {
        return sendError(res, 401, 'invalid_credentials', en ? 'Invalid email or password.' : '邮箱或密码不正确。');
      }
      return sendError(res, 401, 'unauthorized', en ? 'Not logged in.' : '未登录。');
    }
    if (path.startsWith('/assets/')) {
      const file = normalize(join(distDir, path));
      if (!file.startsWith(distDir)) return sendError(res, 404, 'not_found', 'not found');
      try {
        const body = await readFile(file);
        res.writeHead(200, { 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream' });
        return res.end(body);
      } catch {
        return sendError(res, 404, 'not_found', 'not found');
      }
    }
    if (/^\/(console|admin)(\/|$)/.test(path)) {
      const body = await readFile(join(distDir, 'index.html'));
      res.writeHead(200, { 'Content-Type': TYPES['.html'], 'Cache-Control': 'no-cache' });
      return res.end(body);
    }
    res.writeHead(404, { 'Content-Type': 'text/plain' });
    res.end('not found');
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address();
  return {
    baseURL: `http://127.0.0.1:${port}`,
    requests,
    stop: () => new Promise((r) => server.close(r)),
  };
}
