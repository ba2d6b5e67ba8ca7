// Browser test of issue 8 against the real binary (`waihu serve --demo`): a visitor reads the
// public website (server-rendered, no JavaScript) and sends the contact-sales form; an operator
// finds the lead in the back office, converts it into a tenant and activates it; the new owner
// logs in for the first time; and the back-office funnel counts exactly what the test did.
//
//   WAIHU_BIN=../bin/waihu node --test e2e/site.e2e.test.mjs
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { launchBrowser, startWaihu, withPage } from './harness.mjs';
import { zh } from './i18n.mjs';

const ADMIN = { email: 'admin@demo.waihu.local', password: 'Demo1234!' };
// Headless Chromium announces itself as "HeadlessChrome", which the analytics rightly treat
// as a bot; the visitor here is meant to be a person, so it presents a desktop browser's UA.
const PERSON_UA = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0 Safari/537.36';
// The website's own (Go-side) zh-CN text the visitor sees.
const SITE = {
  title: '让 AI 替你打完今天的每一通电话',
  contactNav: '联系销售',
  company: '公司名称',
  name: '联系人',
  phone: '手机号码',
  message: '需求描述（选填）',
  submit: '提交',
  sent: '提交成功！我们会尽快与您联系。',
};

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

async function withContext(name, fn, opts = {}) {
  const context = await browser.newContext({ baseURL: server.baseURL, locale: 'zh-CN', viewport: { width: 1280, height: 800 }, ...opts });
  context.setDefaultTimeout(15_000);
  const p = await context.newPage();
  try {
    await fn(p);
  } catch (err) {
    await p.screenshot({ path: `e2e-artifacts/${name}.png`, fullPage: true }).catch(() => {});
    throw err;
  } finally {
    await context.close();
  }
}

test('visitor → contact form → lead → tenant → first login, and the funnel counts it', async (t) => {
  const unique = `${Date.now()}`.slice(-6);
  const company = `站点测试物流${unique}`;
  const email = `site-${unique}@example.com`;
  const password = 'Welcome2026';
  let jsBytes = 0;
  let scripts = 0;
  let homeBytes = 0;

  // 1. A visitor from a campaign reads the website on a phone-sized screen and asks sales to call.
  await withContext(
    'site-visitor',
    async (p) => {
      const bodies = [];
      p.on('response', (res) => {
        bodies.push(
          res.body().then(
            (b) => {
              if (res.request().resourceType() === 'script') {
                scripts++;
                jsBytes += b.length;
              }
              return b.length;
            },
            () => 0,
          ),
        );
      });
      const res = await p.goto('/?utm_source=e2e&utm_medium=test&utm_campaign=launch');
      assert.equal(res.status(), 200);
      await p.waitForLoadState('load');
      homeBytes = (await Promise.all(bodies)).reduce((a, b) => a + b, 0);
      assert.ok(homeBytes < 50_000, `the home page weighs ${homeBytes} bytes`);
      await p.getByRole('heading', { level: 1, name: SITE.title }).waitFor();
      // The one stylesheet loaded and applies (it is served through the router's fallback).
      assert.equal(await p.locator('.brand').evaluate((el) => getComputedStyle(el).fontWeight), '700');
      assert.equal(await p.locator('html').getAttribute('lang'), 'zh-CN');
      for (const landmark of ['banner', 'main', 'contentinfo']) await p.getByRole(landmark).first().waitFor();
      await p.getByRole('navigation').first().waitFor();
      assert.equal(await p.getByRole('link', { name: '登录' }).getAttribute('href'), '/console/login');
      assert.equal(await p.getByRole('link', { name: '免费注册' }).getAttribute('href'), '/console/signup');
      await p.getByRole('navigation').getByRole('link', { name: SITE.contactNav }).click();
      await p.waitForURL(/\/contact$/);
      await p.getByLabel(SITE.company).fill(company);
      await p.getByLabel(SITE.name, { exact: true }).fill('站点测试员');
      await p.getByLabel(SITE.phone).fill('13700137000');
      await p.getByLabel(SITE.message).fill('想了解通知场景');
      await p.getByRole('button', { name: SITE.submit }).click();
      await p.getByRole('status').getByText(SITE.sent).waitFor();
      assert.equal(await p.locator('script').count(), 0, 'public pages carry no script');
    },
    { userAgent: PERSON_UA, viewport: { width: 390, height: 844 } },
  );
  assert.equal(scripts, 0, `public pages loaded ${scripts} scripts (${jsBytes} bytes)`);
  t.diagnostic(`public pages: ${scripts} scripts, ${jsBytes} bytes of JavaScript; home page with its stylesheet: ${homeBytes} bytes`);

  // 2. The operator finds the lead, converts it into a tenant and activates it.
  await withPage(
    browser,
    'site operator converts',
    async (a, ctx) => {
      await a.goto('/admin/login');
      await a.getByLabel(zh['field.email']).fill(ADMIN.email);
      await a.getByLabel(zh['field.password']).fill(ADMIN.password);
      await a.getByRole('button', { name: zh['auth.login.submit'], exact: true }).click();
      await a.waitForURL(/\/admin$/);
      await a.getByRole('navigation').getByRole('link', { name: zh['nav.admin.leads'] }).click();
      const row = a.locator('tbody tr', { hasText: company });
      await row.getByText(zh['crm.source.contact']).waitFor();
      await row.getByText('utm: launch').waitFor();
      await row.getByRole('link', { name: company }).click();
      await a.waitForURL(/\/admin\/leads\/\d+$/);
      await a.getByRole('heading', { level: 1, name: company }).waitFor();

      await a.getByLabel(zh['crm.kind']).click();
      await a.locator('.ant-select-item-option', { hasText: zh['crm.kind.wechat'] }).click();
      await a.getByLabel(zh['crm.note']).fill('已加微信，约了演示');
      await a.getByRole('button', { name: zh['crm.add_follow_up'] }).click();
      await a.getByText('已加微信，约了演示').waitFor();
      await a.getByTestId('lead-stage').getByText(zh['crm.stage.contacted']).waitFor();

      await a.getByRole('button', { name: zh['crm.convert'] }).click();
      const dialog = a.getByRole('dialog').filter({ hasText: zh['crm.convert.text'] });
      await dialog.waitFor();
      assert.equal(await dialog.getByLabel(zh['crm.company']).inputValue(), company);
      await dialog.getByLabel(zh['crm.owner_email']).fill(email);
      await dialog.getByLabel(zh['crm.initial_password']).fill(password);
      await dialog.getByRole('button', { name: zh['crm.convert.submit'] }).click();
      await a.getByTestId('converted').waitFor();
      assert.equal((await a.getByTestId('converted-email').innerText()).trim(), email);
      await a.getByTestId('lead-stage').getByText(zh['crm.stage.trial']).waitFor();

      await a.getByRole('navigation').getByRole('link', { name: zh['nav.admin.tenants'] }).click();
      const trow = a.locator('tbody tr', { hasText: company });
      await trow.getByText(zh['tenant.status.pending']).waitFor();
      await trow.getByRole('button', { name: fmt(zh['tenants.activate_named'], { name: company }) }).click();
      const confirm = a.getByRole('dialog').filter({ hasText: fmt(zh['tenants.activate.confirm'], { name: company }) });
      await confirm.getByRole('button', { name: zh['tenants.activate'], exact: true }).click();
      await trow.getByText(zh['tenant.status.active']).waitFor();

      // Support opens the new tenant's console read-only in a new tab.
      await trow.getByRole('button', { name: fmt(zh['crm.tenant.support_named'], { name: company }) }).click();
      const support = a.getByRole('dialog').filter({ hasText: zh['crm.tenant.support_hint'] });
      await support.getByText(email).first().waitFor();
      const [tab] = await Promise.all([ctx.waitForEvent('page'), support.getByRole('button', { name: zh['crm.tenant.open_console'] }).click()]);
      await tab.getByTestId('welcome-tenant').getByText(company).waitFor();
      await tab.close();
    },
    { baseURL: server.baseURL },
  );

  // 3. The new tenant's owner logs in for the first time.
  await withPage(
    browser,
    'site new tenant logs in',
    async (p) => {
      await p.goto('/console/login');
      await p.getByLabel(zh['field.email']).fill(email);
      await p.getByLabel(zh['field.password']).fill(password);
      await p.getByRole('button', { name: zh['auth.login.submit'], exact: true }).click();
      await p.waitForURL(/\/console$/);
      await p.getByTestId('welcome-tenant').getByText(company).waitFor();
    },
    { baseURL: server.baseURL },
  );

  // 4. The back-office funnel shows exactly this: one visitor, one lead, one activation.
  await withPage(
    browser,
    'site funnel',
    async (a) => {
      await a.goto('/admin/login');
      await a.getByLabel(zh['field.email']).fill(ADMIN.email);
      await a.getByLabel(zh['field.password']).fill(ADMIN.password);
      await a.getByRole('button', { name: zh['auth.login.submit'], exact: true }).click();
      await a.waitForURL(/\/admin$/);
      await a.getByRole('navigation').getByRole('link', { name: zh['nav.admin.stats'] }).click();
      const want = { visitors: '1', leads: '1', activated: '1', first_recharge: '0' };
      for (const [k, v] of Object.entries(want)) {
        const cell = a.getByTestId(`funnel-${k}`);
        await cell.getByText(v, { exact: true }).waitFor();
      }
      const campaigns = a.locator('.ant-table', { hasText: zh['stats.campaigns'] });
      await campaigns.getByText('launch').waitFor();

      // The operator adds a trunk; its live test says call control is not connected yet.
      await a.getByRole('navigation').getByRole('link', { name: zh['nav.admin.trunks'] }).click();
      await a.getByRole('button', { name: zh['infra.add_trunk'] }).click();
      const dialog = a.getByRole('dialog').filter({ hasText: zh['infra.add_trunk'] });
      await dialog.getByLabel(zh['field.name'], { exact: true }).fill('e2e-trunk');
      await dialog.getByLabel(zh['infra.host'], { exact: true }).fill('sip.e2e.test');
      await dialog.getByRole('button', { name: zh['crm.save'] }).click();
      const trow = a.locator('tbody tr', { hasText: 'e2e-trunk' });
      await trow.getByRole('button', { name: zh['infra.test'] }).click();
      await a.getByTestId('not-connected').waitFor();
      await a.keyboard.press('Escape');

      // A help document written in the back office is searchable on the website, as safe HTML.
      await a.goto('/admin/help-docs');
      await a.getByRole('button', { name: zh['crm.help.add'] }).click();
      const doc = a.getByRole('dialog').filter({ hasText: zh['crm.help.body'] });
      await doc.getByLabel(zh['crm.help.title']).fill('E2E 充值说明');
      await doc.getByLabel(zh['crm.help.slug']).fill('e2e-recharge');
      await doc.getByLabel(zh['crm.help.body']).fill('# 如何充值\n\n**先充值**，再外呼。<script>alert(1)</script>');
      await doc.getByRole('button', { name: zh['crm.save'] }).click();
      await a.locator('tbody tr', { hasText: 'e2e-recharge' }).waitFor();
      await a.goto('/help?q=E2E');
      await a.getByRole('link', { name: 'E2E 充值说明' }).click();
      await a.getByRole('heading', { level: 1, name: 'E2E 充值说明' }).waitFor();
      assert.equal(await a.locator('main strong').innerText(), '先充值');
      assert.equal(await a.locator('main script').count(), 0, 'Markdown cannot inject a script');
    },
    { baseURL: server.baseURL },
  );
});
