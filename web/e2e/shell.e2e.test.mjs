// Browser tests of the web shell against the real binary (`waihu serve --demo`), as issue 3
// asks: log in on each surface, switch language, log out, sign up → pending → activation by
// an operator → first login, and the error shown for a wrong password.
//
//   WAIHU_BIN=../bin/waihu npm run test:e2e      (default WAIHU_BIN is ../bin/waihu)
//
// Only endpoints and fields of the API contract are relied on (brief/API.md).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { request } from 'playwright-core';
import { launchBrowser, startWaihu, withPage } from './harness.mjs';
import { en, zh } from './i18n.mjs';

const OWNER = { email: 'owner@demo.waihu.local', password: 'Demo1234!' };
const ADMIN = { email: 'admin@demo.waihu.local', password: 'Demo1234!' };

let browser;
let server;

before(async () => {
  browser = await launchBrowser();
  server = await startWaihu();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

const fmt = (tpl, vars) => tpl.replace(/\{(\w+)\}/g, (m, k) => (k in vars ? String(vars[k]) : m));
const page = (name, fn) => withPage(browser, name, fn, { baseURL: server.baseURL });

async function consoleLogin(p, { email, password }) {
  await p.goto('/console/login');
  await p.getByLabel(zh['field.email']).fill(email);
  await p.getByLabel(zh['field.password']).fill(password);
  await p.getByRole('button', { name: zh['auth.login.submit'], exact: true }).click();
}

async function adminLogin(p, { email, password }) {
  await p.goto('/admin/login');
  await p.getByLabel(zh['field.email']).fill(email);
  await p.getByLabel(zh['field.password']).fill(password);
  await p.getByRole('button', { name: zh['auth.login.submit'], exact: true }).click();
  await p.waitForURL(/\/admin$/);
}

async function getJSON(p, path) {
  const res = await p.request.get(path);
  assert.equal(res.status(), 200, `${path}: HTTP ${res.status()} ${await res.text()}`);
  return res.json();
}

test('console: owner logs in, sees the tenant, switches to English, logs out', async () => {
  await page('console login language logout', async (p) => {
    await consoleLogin(p, OWNER);
    await p.waitForURL(/\/console$/);

    const me = await getJSON(p, '/api/v1/auth/me');
    const tenantName = me.tenant.display_name || me.tenant.name;
    assert.ok(tenantName, 'the demo tenant has a name');
    await p.getByTestId('welcome').getByText(fmt(zh['dashboard.console.welcome'], { name: me.user.name || me.user.email })).waitFor();
    assert.equal((await p.getByTestId('tenant-name').innerText()).trim(), tenantName);
    assert.equal((await p.getByTestId('welcome-tenant').innerText()).trim(), tenantName);
    await p.getByRole('navigation').getByRole('link', { name: zh['nav.console.campaigns'] }).waitFor();

    await p.getByRole('button', { name: zh['lang.switch'] }).click();
    await p.getByRole('menuitem', { name: 'English' }).click();
    await p.getByRole('heading', { name: en['nav.console.dashboard'], level: 1 }).waitFor();
    await p.getByTestId('welcome').getByText(fmt(en['dashboard.console.welcome'], { name: me.user.name || me.user.email })).waitFor();
    await p.getByRole('navigation').getByRole('link', { name: en['nav.console.campaigns'] }).waitFor();
    assert.equal(await p.locator('html').getAttribute('lang'), 'en');

    await p.getByTestId('user-menu').click();
    await p.getByRole('menuitem', { name: en['user.logout'] }).click();
    await p.waitForURL(/\/console\/login$/);
    await p.getByRole('heading', { name: en['auth.login.console_title'] }).waitFor();
    const gone = await p.request.get('/api/v1/auth/me');
    assert.equal(gone.status(), 401, 'the session is gone after logout');
  });
});

test('admin: operator logs in, sees the dashboard and the demo tenant in the tenants list', async () => {
  // The demo tenant's name, from the console API, so the test does not hard-code the seed.
  const api = await request.newContext({ baseURL: server.baseURL });
  const login = await api.post('/api/v1/auth/login', { data: OWNER });
  assert.equal(login.status(), 200, await login.text());
  const demoTenant = (await login.json()).tenant;
  await api.dispose();

  await page('admin login tenants', async (p) => {
    await adminLogin(p, ADMIN);
    const me = await getJSON(p, '/api/v1/admin/auth/me');
    await p.getByTestId('welcome').getByText(fmt(zh['dashboard.admin.welcome'], { name: me.staff.name || me.staff.email })).waitFor();
    await p.getByTestId('brand').getByText(zh['shell.admin_title']).waitFor();

    await p.getByRole('navigation').getByRole('link', { name: zh['nav.admin.tenants'] }).click();
    await p.waitForURL(/\/admin\/tenants$/);
    const row = p.locator('tbody tr', { hasText: demoTenant.name });
    await row.first().waitFor();
    await row.first().getByText(zh['tenant.status.active']).waitFor();
  });
});

test('sign-up: pending until an operator activates it, then the owner logs in', async () => {
  const unique = `${Date.now()}${Math.floor(Math.random() * 1000)}`;
  const company = `E2E 测试公司 ${unique}`;
  const owner = { email: `e2e-${unique}@example.com`, password: 'Passw0rd2026' };

  await page('signup pending activation', async (p) => {
    await p.goto('/console/login');
    await p.getByRole('link', { name: zh['auth.signup.link'] }).click();
    await p.waitForURL(/\/console\/signup$/);
    await p.getByLabel(zh['field.company_name']).fill(company);
    await p.getByLabel(zh['field.contact_name']).fill('测试联系人');
    await p.getByLabel(zh['field.email']).fill(owner.email);
    await p.getByLabel(zh['field.phone']).fill('13900139000');
    await p.getByLabel(zh['field.password'], { exact: true }).fill(owner.password);
    await p.getByLabel(zh['field.password_confirm']).fill(owner.password);
    await p.getByRole('button', { name: zh['auth.signup.submit'] }).click();
    await p.waitForURL(/\/console\/signup\/done$/);
    await p.getByTestId('signup-pending').getByText(zh['auth.signup.done.heading']).waitFor();

    await consoleLogin(p, owner);
    const alert = p.getByTestId('error-alert');
    await alert.waitFor();
    assert.equal(await alert.getAttribute('data-error-code'), 'tenant_pending');
    assert.match(await alert.innerText(), new RegExp(zh['error.tenant_pending']));
    assert.match(p.url(), /\/console\/login$/);

    await withPage(
      browser,
      'signup operator activates',
      async (a) => {
        await adminLogin(a, ADMIN);
        await a.goto('/admin/tenants');
        await a.getByLabel(zh['tenants.search']).fill(company);
        await a.getByLabel(zh['tenants.search']).press('Enter');
        const row = a.locator('tbody tr', { hasText: company });
        await row.getByText(zh['tenant.status.pending']).waitFor();
        await row.getByRole('button', { name: fmt(zh['tenants.activate_named'], { name: company }) }).click();
        const dialog = a.getByRole('dialog').filter({ hasText: fmt(zh['tenants.activate.confirm'], { name: company }) });
        await dialog.waitFor();
        await dialog.getByRole('button', { name: zh['tenants.activate'], exact: true }).click();
        await row.getByText(zh['tenant.status.active']).waitFor();
      },
      { baseURL: server.baseURL },
    );

    await consoleLogin(p, owner);
    await p.waitForURL(/\/console$/);
    await p.getByTestId('welcome-tenant').getByText(company).waitFor();
  });
});

test('a wrong password shows the error under the form', async () => {
  await page('wrong password', async (p) => {
    await consoleLogin(p, { email: OWNER.email, password: 'WrongPassword1' });
    const alert = p.getByTestId('error-alert');
    await alert.waitFor();
    assert.equal(await alert.getAttribute('data-error-code'), 'invalid_credentials');
    assert.match(await alert.innerText(), new RegExp(zh['error.invalid_credentials']));
    // The submit button, once it has left its loading state (its accessible
    // name includes the spinner's label while the request is in flight).
    const button = await p.locator('form button[type="submit"]:not(.ant-btn-loading)').boundingBox();
    const box = await alert.boundingBox();
    assert.ok(box.y > button.y + button.height - 1, 'the error is below the form');
    assert.match(p.url(), /\/console\/login$/);
    assert.equal(await p.getByLabel(zh['field.password']).inputValue(), '', 'the password field is cleared');
  });
});
