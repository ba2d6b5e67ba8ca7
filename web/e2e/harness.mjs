// Browser test harness: Debian's Chromium driven by playwright-core (never a downloaded
// browser), the real waihu binary as the server, screenshots of failures in e2e-artifacts/.
import { spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { zh } from './i18n.mjs';

export const WEB_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const ARTIFACTS = join(WEB_DIR, 'e2e-artifacts');
export const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

// Flags keep the headless browser from phoning home or waiting on hardware this machine lacks.
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Launches Chromium; a missing browser is a failure, not a skip (CI must install it). */
export async function launchBrowser() {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium not found at ${CHROMIUM}: install it with "apt-get install -y chromium" or set CHROMIUM_PATH`);
  }
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
}

export function freePort() {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => res(port));
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Polls url until it answers 200, the process dies, or the deadline passes. */
export async function waitReady(url, { timeoutMs = 60_000, isAlive = () => true } = {}) {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    if (!isAlive()) throw new Error(`server exited before ${url} was ready`);
    try {
      const res = await fetch(url);
      if (res.status === 200) return;
      last = `HTTP ${res.status}`;
    } catch (err) {
      last = err.message;
    }
    await sleep(200);
  }
  throw new Error(`${url} not ready after ${timeoutMs} ms (last: ${last})`);
}

/**
 * Starts `waihu serve --demo` on a free port with a throwaway data directory, waits for
 * /readyz, and returns {baseURL, stop}. Server output goes to e2e-artifacts/server.log.
 */
export async function startWaihu() {
  const bin = resolve(WEB_DIR, process.env.WAIHU_BIN || '../bin/waihu');
  if (!existsSync(bin)) throw new Error(`waihu binary not found at ${bin}: run "make build" or set WAIHU_BIN`);
  mkdirSync(ARTIFACTS, { recursive: true });
  const port = await freePort();
  const data = mkdtempSync(join(tmpdir(), 'waihu-e2e-'));
  const log = createWriteStream(join(ARTIFACTS, 'server.log'));
  const child = spawn(bin, ['serve', '--demo', '--listen', `127.0.0.1:${port}`, '--data', data], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env },
  });
  child.stdout.pipe(log);
  child.stderr.pipe(log);
  let exited = false;
  const done = new Promise((r) => child.once('exit', () => ((exited = true), r())));
  const baseURL = `http://127.0.0.1:${port}`;

  const stop = async () => {
    if (!exited) {
      child.kill('SIGTERM');
      const killed = await Promise.race([done.then(() => true), sleep(10_000).then(() => false)]);
      if (!killed) {
        child.kill('SIGKILL');
        await done;
      }
    }
    rmSync(data, { recursive: true, force: true });
  };

  try {
    await waitReady(`${baseURL}/readyz`, { isAlive: () => !exited });
  } catch (err) {
    await stop();
    throw new Error(`${err.message}; see ${join(ARTIFACTS, 'server.log')}`);
  }
  return { baseURL, stop };
}

function slug(s) {
  return s.replace(/[^a-zA-Z0-9\u4e00-\u9fff]+/g, '-').replace(/^-|-$/g, '').slice(0, 80) || 'test';
}

/**
 * Runs fn with a fresh page (own cookies and storage). On failure it saves a screenshot and
 * the browser console next to it, then rethrows.
 */
export async function withPage(browser, name, fn, { baseURL, locale = 'zh-CN' } = {}) {
  const context = await browser.newContext({ baseURL, locale, viewport: { width: 1280, height: 800 } });
  context.setDefaultTimeout(15_000);
  const page = await context.newPage();
  const consoleLines = [];
  page.on('console', (m) => consoleLines.push(`[${m.type()}] ${m.text()}`));
  page.on('pageerror', (e) => consoleLines.push(`[pageerror] ${e.message}`));
  try {
    await fn(page, context);
  } catch (err) {
    mkdirSync(ARTIFACTS, { recursive: true });
    const base = join(ARTIFACTS, slug(name));
    await page.screenshot({ path: `${base}.png`, fullPage: true }).catch(() => {});
    writeFileSync(`${base}.console.txt`, `${page.url()}\n${consoleLines.join('\n')}\n`);
    throw err;
  } finally {
    await context.close();
  }
}

/**
 * Signs in through the login form of the console or the back office
 * (area 'console' | 'admin') and waits for its home page.
 */
export async function signIn(p, area, { email, password }) {
  await p.goto(`/${area}/login`);
  await p.getByLabel(zh['field.email']).fill(email);
  await p.getByLabel(zh['field.password']).fill(password);
  await p.getByRole('button', { name: zh['auth.login.submit'], exact: true }).click();
  await p.waitForURL(new RegExp(`/${area}$`));
}
