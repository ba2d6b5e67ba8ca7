// Browser test of the money path against the real binary (`waihu serve --demo`): a tenant
// creates a bank-transfer recharge order in the console, an operator confirms it in the back
// office (and finds it in the tenant's ledger drawer, with its XLSX), and the tenant sees the
// new balance on the billing page and the dashboard card.
//
//   cd web && npm run build && (cd .. && go build -o bin/waihu ./cmd/waihu) && \
//     WAIHU_BIN=$PWD/../bin/waihu node --test e2e/billing.e2e.test.mjs
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { launchBrowser, startWaihu, withPage } from './harness.mjs';
import { zh } from './i18n.mjs';

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

const page = (name, fn) => withPage(browser, name, fn, { baseURL: server.baseURL });
const yuan = (fen) => `${fen < 0 ? '-' : ''}${Math.floor(Math.abs(fen) / 100).toLocaleString('en-US')}.${String(Math.abs(fen) % 100).padStart(2, '0')}`;

async function getJSON(p, path) {
  const res = await p.request.get(path);
  assert.equal(res.status(), 200, `${path}: HTTP ${res.status()} ${await res.text()}`);
  return res.json();
}

test('recharge: tenant creates an order, operator confirms it, tenant sees the balance', async () => {
  let orderNo = '';
  let before = 0;
  await page('console recharge order', async (p) => {
    await p.goto('/console/login');
    await p.getByLabel(zh['field.email']).fill(OWNER.email);
    await p.getByLabel(zh['field.password']).fill(OWNER.password);
    await p.getByRole('button', { name: zh['auth.login.submit'], exact: true }).click();
    await p.waitForURL(/\/console$/);
    await p.getByTestId('balance-card').waitFor();
    before = (await getJSON(p, '/api/v1/billing/balance')).available_fen;

    await p.getByRole('navigation').getByRole('link', { name: zh['nav.console.billing'] }).click();
    await p.waitForURL(/\/console\/billing$/);
    await p.getByLabel(zh['billing.recharge.amount_yuan']).fill('1234.56');
    await p.getByLabel(zh['billing.recharge.payer']).fill('深圳示例科技有限公司');
    await p.getByRole('button', { name: zh['billing.recharge.submit'] }).click();
    await p.getByTestId('recharge-created').waitFor();
    const list = await getJSON(p, '/api/v1/billing/recharges?state=pending');
    const order = list.items.find((o) => o.amount_fen === 123456);
    assert.ok(order, 'the new order is listed as pending');
    orderNo = order.no;
    await p.getByTestId('recharge-table').getByText(orderNo).waitFor();
  });

  await page('admin confirms recharge', async (p) => {
    await p.goto('/admin/login');
    await p.getByLabel(zh['field.email']).fill(ADMIN.email);
    await p.getByLabel(zh['field.password']).fill(ADMIN.password);
    await p.getByRole('button', { name: zh['auth.login.submit'], exact: true }).click();
    await p.waitForURL(/\/admin$/);
    await p.getByRole('navigation').getByRole('link', { name: zh['nav.admin.recharges'] }).click();
    await p.waitForURL(/\/admin\/recharges$/);
    await p.getByRole('button', { name: zh['billing.admin.confirm_named'].replace('{no}', orderNo) }).click();
    const dialog = p.getByRole('dialog');
    await dialog.getByLabel(zh['billing.admin.reference']).fill('ICBC-20260301-0001');
    await dialog.getByRole('button', { name: zh['billing.admin.confirm'] }).click();
    await p.getByText(zh['billing.admin.confirmed']).waitFor();
    const paid = await getJSON(p, '/api/v1/admin/billing/recharges?state=paid');
    assert.ok(paid.items.some((o) => o.no === orderNo), 'the order is paid');

    // The tenant's ledger from the balances tab: the recharge line, the totals of the
    // selection, and the same selection as XLSX.
    const paidOrder = paid.items.find((o) => o.no === orderNo);
    const balances = await getJSON(p, '/api/v1/admin/billing/balances');
    const tb = balances.items.find((b) => String(b.tenant_id) === String(paidOrder.tenant_id));
    assert.ok(tb, 'the tenant is in the balances list');
    await p.getByRole('tab', { name: zh['billing.admin.tab.balances'] }).click();
    await p.getByRole('button', { name: zh['billing.admin.ledger.open_named'].replace('{name}', tb.name) }).click();
    const drawer = p.getByRole('dialog');
    await drawer.getByTestId('admin-ledger-table').getByText(zh['billing.kind.recharge']).first().waitFor();
    const summary = await getJSON(p, `/api/v1/admin/billing/tenants/${tb.tenant_id}/ledger/summary`);
    await drawer.getByTestId('ledger-net').getByText(yuan(summary.net_fen)).waitFor();
    const href = await drawer.getByTestId('ledger-xlsx').getAttribute('href');
    const xlsx = await p.request.get(href);
    assert.equal(xlsx.status(), 200, `ledger XLSX: HTTP ${xlsx.status()}`);
    assert.match(xlsx.headers()['content-type'] ?? '', /spreadsheetml/);
  });

  await page('console sees balance', async (p) => {
    await p.goto('/console/login');
    await p.getByLabel(zh['field.email']).fill(OWNER.email);
    await p.getByLabel(zh['field.password']).fill(OWNER.password);
    await p.getByRole('button', { name: zh['auth.login.submit'], exact: true }).click();
    await p.waitForURL(/\/console$/);
    const b = await getJSON(p, '/api/v1/billing/balance');
    assert.equal(b.available_fen, before + 123456);
    await p.getByTestId('balance-available').getByText(yuan(b.available_fen)).waitFor();
    await p.goto('/console/billing');
    await p.getByTestId('balance-available').getByText(yuan(b.available_fen)).waitFor();
    await p.getByRole('tab', { name: zh['billing.tab.ledger'] }).click();
    await p.getByTestId('ledger-table').getByText(zh['billing.kind.recharge']).first().waitFor();
  });
});
