// Smoke test of the browser harness and the built UI, runnable without the Go server: the
// built pages are served by a tiny static server (static-server.mjs) and Chromium checks
// that the logged-out pages render, are labelled, switch language and show API errors.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { launchBrowser, WEB_DIR, withPage } from './harness.mjs';
import { en, zh } from './i18n.mjs';
import { startStatic } from './static-server.mjs';

const DIST = join(WEB_DIR, '..', 'app', 'web', 'ui');
let browser;
let server;

before(async () => {
  if (!existsSync(join(DIST, 'index.html'))) throw new Error(`no built UI in ${DIST}: run "npm run build" first`);
  server = await startStatic(DIST);
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

const page = (name, fn) => withPage(browser, name, fn, { baseURL: server.baseURL });

/** Every visible form control must have an accessible name (label, aria-label or aria-labelledby). */
async function unlabelledControls(p) {
  return p.evaluate(() =>
    [...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
      .filter((el) => el.offsetParent !== null)
      .filter((el) => !(el.labels?.length || el.getAttribute('aria-label') || el.getAttribute('aria-labelledby')))
      .map((el) => el.outerHTML.slice(0, 120)),
  );
}

test('console login page renders in Chinese without back-office code', async () => {
  await page('smoke console login', async (p) => {
    const scripts = [];
    p.on('request', (r) => r.resourceType() === 'script' && scripts.push(r.url()));
    await p.goto('/console/login');
    await p.getByRole('heading', { name: zh['auth.login.console_title'] }).waitFor();
    assert.equal(await p.locator('html').getAttribute('lang'), 'zh-CN');
    await p.getByLabel(zh['field.email']).waitFor();
    await p.getByLabel(zh['field.password']).waitFor();
    await p.getByRole('button', { name: zh['auth.login.submit'] }).waitFor();
    assert.equal(await p.getByRole('main').count(), 1, 'one main landmark');
    assert.deepEqual(await unlabelledControls(p), []);
    assert.ok(scripts.some((u) => /ConsoleApp-/.test(u)), `console chunk loaded: ${scripts.join(', ')}`);
    assert.ok(!scripts.some((u) => /AdminApp-/.test(u)), `admin chunk must not load: ${scripts.join(', ')}`);
  });
});

test('a protected console page without a session goes to the login page with ?next=', async () => {
  await page('smoke console redirect', async (p) => {
    await p.goto('/console/settings/users');
    await p.waitForURL(/\/console\/login\?next=%2Fconsole%2Fsettings%2Fusers$/);
    await p.getByRole('heading', { name: zh['auth.login.console_title'] }).waitFor();
  });
});

test('language switch changes the UI, persists, and is sent as Accept-Language', async () => {
  await page('smoke language', async (p) => {
    await p.goto('/console/login');
    await p.getByRole('button', { name: zh['lang.switch'] }).click();
    await p.getByRole('menuitem', { name: 'English' }).click();
    await p.getByRole('heading', { name: en['auth.login.console_title'] }).waitFor();
    assert.equal(await p.locator('html').getAttribute('lang'), 'en');

    await p.reload();
    await p.getByRole('heading', { name: en['auth.login.console_title'] }).waitFor();

    const before = server.requests.length;
    await p.getByLabel(en['field.email']).fill('nobody@example.com');
    await p.getByLabel(en['field.password']).fill('wrong-password1');
    await p.getByRole('button', { name: en['auth.login.submit'] }).click();
    const alert = p.locator('[data-testid=error-alert]');
    await alert.waitFor();
    assert.equal(await alert.getAttribute('data-error-code'), 'invalid_credentials');
    const text = await alert.innerText();
    assert.match(text, new RegExp(en['error.invalid_credentials']));
    assert.match(text, /Invalid email or password\./, 'the server message (in English) is shown');

    // The error sits under the form, where the eye is after pressing the button.
    const button = await p.getByRole('button', { name: en['auth.login.submit'] }).boundingBox();
    const box = await alert.boundingBox();
    assert.ok(box.y > button.y, 'alert below the submit button');

    const login = server.requests.slice(before).find((r) => r.path === '/api/v1/auth/login');
    assert.ok(login, 'login request sent');
    assert.equal(login.headers['accept-language'], 'en');
    // Still on the login page: invalid_credentials must not trigger the 401 redirect.
    assert.match(p.url(), /\/console\/login$/);
  });
});

test('admin login page renders without console code', async () => {
  await page('smoke admin login', async (p) => {
    const scripts = [];
    p.on('request', (r) => r.resourceType() === 'script' && scripts.push(r.url()));
    await p.goto('/admin/login');
    await p.getByRole('heading', { name: zh['auth.login.admin_title'] }).waitFor();
    assert.deepEqual(await unlabelledControls(p), []);
    assert.ok(scripts.some((u) => /AdminApp-/.test(u)));
    assert.ok(!scripts.some((u) => /ConsoleApp-/.test(u)), `console chunk must not load: ${scripts.join(', ')}`);
    await p.goto('/admin/tenants');
    await p.waitForURL(/\/admin\/login\?next=%2Fadmin%2Ftenants$/);
  });
});

test('sign-up form is labelled and checks the password confirmation', async () => {
  await page('smoke signup', async (p) => {
    await p.goto('/console/signup');
    await p.getByRole('heading', { name: zh['auth.signup.title'] }).waitFor();
    assert.deepEqual(await unlabelledControls(p), []);
    await p.getByLabel(zh['field.password'], { exact: true }).fill('abc12345');
    await p.getByLabel(zh['field.password_confirm']).fill('abc12346');
    await p.getByRole('button', { name: zh['auth.signup.submit'] }).click();
    await p.getByText(zh['validation.password_mismatch']).waitFor();
    await p.getByText(zh['validation.required']).first().waitFor();
  });
});

test('keyboard focus is visible', async () => {
  await page('smoke focus', async (p) => {
    await p.goto('/console/login');
    await p.getByLabel(zh['field.email']).waitFor();
    await p.keyboard.press('Tab');
    const outline = await p.evaluate(() => {
      const el = document.activeElement;
      const s = getComputedStyle(el);
      return { tag: el.tagName, style: s.outlineStyle, width: s.outlineWidth };
    });
    assert.notEqual(outline.style, 'none', JSON.stringify(outline));
    assert.notEqual(outline.width, '0px', JSON.stringify(outline));
  });
});
