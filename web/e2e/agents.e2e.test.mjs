// Browser test of the console's 坐席 page against the real binary (`waihu serve --demo`): an agent
// creates their SIP seat, reads the extension and password, and resets the password; FreeSWITCH's
// directory lookup for that extension (mod_xml_curl) is covered by app/httpapi's TestAgentSIPDirectory.
//
//   WAIHU_BIN=../bin/waihu node --test e2e/agents.e2e.test.mjs
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { launchBrowser, signIn, startWaihu, withPage } from './harness.mjs';
import { zh } from './i18n.mjs';

const AGENT = { email: 'agent@demo.waihu.local', password: 'Demo1234!' };

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

test('console: an agent creates, reads and resets their SIP seat', async () => {
  await withPage(
    browser,
    'agent sip seat',
    async (p) => {
      await signIn(p, 'console', AGENT);

      await p.goto('/console/agents');
      await p.getByText(zh['sipseat.none']).waitFor();
      await p.getByRole('button', { name: zh['sipseat.create'] }).click();
      await p.getByText(zh['sipseat.reset_ok']).waitFor();

      const seat = await (await p.request.get('/api/v1/me/sip-account')).json();
      assert.match(seat.ext, /^\d{6,10}$/);
      await p.getByText(seat.ext, { exact: true }).waitFor();
      const pw = p.getByLabel(zh['sipseat.password']);
      assert.equal(await pw.inputValue(), seat.password);

      await p.getByRole('button', { name: zh['sipseat.reset'] }).click();
      await p.getByRole('dialog').getByRole('button', { name: zh['sipseat.reset'] }).click();
      // The page shows the new password once the reset answered.
      await p.waitForFunction(
        (old) => [...document.querySelectorAll('input[type=password],input[type=text]')].some((i) => i.value && i.value !== old),
        seat.password,
      );
      const again = await (await p.request.get('/api/v1/me/sip-account')).json();
      assert.equal(again.ext, seat.ext);
      assert.notEqual(again.password, seat.password);
      assert.equal(await pw.inputValue(), again.password);
    },
    { baseURL: server.baseURL },
  );
});

test('console: an admin gives an agent a new SIP password from the users page', async () => {
  const OWNER = { email: 'owner@demo.waihu.local', password: 'Demo1234!' };
  await withPage(
    browser,
    'admin resets an agent sip seat',
    async (p) => {
      await signIn(p, 'console', OWNER);

      const users = await (await p.request.get('/api/v1/users')).json();
      const agent = users.items.find((u) => u.email === AGENT.email);
      assert.ok(agent, `the demo agent in ${JSON.stringify(users.items.map((u) => u.email))}`);
      await p.goto('/console/settings/users');
      await p.getByTestId(`user-sip-reset-${agent.id}`).click();
      await p.getByRole('dialog').getByRole('button', { name: zh['sipseat.reset'] }).click();
      const shown = p.getByTestId('user-sip-password');
      await shown.waitFor();
      const password = (await shown.textContent()).trim();
      assert.ok(password.length >= 16, password);

      // The agent's own seat now has that password.
      await p.request.post('/api/v1/auth/logout');
      await p.request.post('/api/v1/auth/login', { data: AGENT });
      const seat = await (await p.request.get('/api/v1/me/sip-account')).json();
      assert.equal(seat.password, password);
    },
    { baseURL: server.baseURL },
  );
});
