// Browser test of the carrier-announcement references page against the real binary
// (`waihu serve --demo`): the demo's two simulator announcements are listed, an operator uploads
// a reference clip, checks a recording against it, and deletes it after confirming.
//
//   cd web && npm run build && (cd .. && go build -o bin/waihu ./cmd/waihu) && \
//     WAIHU_BIN=$PWD/../bin/waihu node --test e2e/announcements.e2e.test.mjs
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { WEB_DIR, launchBrowser, signIn, startWaihu, withPage } from './harness.mjs';
import { zh } from './i18n.mjs';

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

test('announcements: demo references listed, upload, delete with confirmation', async () => {
  await withPage(
    browser,
    'admin announcements',
    async (p) => {
      await signIn(p, 'admin', ADMIN);
      await p.getByRole('navigation').getByRole('link', { name: zh['nav.admin.announcements'] }).click();
      await p.waitForURL(/\/admin\/announcements$/);
      // The demo seeds the simulator's power-off and invalid-number clips.
      await p.getByText('演示：您拨打的电话已关机').waitFor();
      await p.getByText('演示：您拨打的号码是空号').waitFor();

      await p.getByTestId('add-announcement').click();
      const dialog = p.getByRole('dialog');
      await dialog.getByTestId('announcement-file').setInputFiles(join(WEB_DIR, '..', 'app', 'demo', 'announcements', 'power_off.wav'));
      await dialog.getByLabel(zh['field.name']).fill('移动 关机提示');
      await dialog.getByLabel(zh['announcements.carrier']).fill('中国移动');
      await dialog.getByRole('button', { name: zh['announcements.upload'] }).click();
      await p.getByRole('cell', { name: '移动 关机提示' }).waitFor();

      const list = await (await p.request.get('/api/v1/admin/announcements')).json();
      const mine = list.items.find((r) => r.name === '移动 关机提示');
      assert.ok(mine, 'the upload is listed');
      assert.equal(mine.carrier, '中国移动');
      assert.equal(mine.outcome, 'powered_off');
      const audio = await p.request.get(`/api/v1/admin/announcements/${mine.id}/audio`);
      assert.equal(audio.status(), 200);
      assert.equal(audio.headers()['content-type'], 'audio/wav');

      // A captured clip is checked against the carrier's references.
      await p.getByTestId('check-announcement').click();
      const check = p.getByRole('dialog', { name: zh['announcements.check'] });
      await check.getByTestId('check-file').setInputFiles(join(WEB_DIR, '..', 'app', 'demo', 'announcements', 'power_off.wav'));
      await check.getByLabel(zh['announcements.carrier']).fill('中国移动');
      await check.getByRole('button', { name: zh['announcements.check_run'] }).click();
      await check.getByTestId('check-result').getByText('移动 关机提示', { exact: false }).waitFor();
      await check.getByRole('button', { name: zh['common.cancel'] }).click();

      await p.getByTestId(`delete-announcement-${mine.id}`).click();
      await p.getByRole('tooltip').getByRole('button', { name: zh['announcements.delete'] }).click();
      await p.getByText(zh['announcements.deleted']).waitFor();
      await p.getByRole('cell', { name: '移动 关机提示' }).waitFor({ state: 'detached' });
      const after = await (await p.request.get('/api/v1/admin/announcements')).json();
      assert.equal(after.items.length, 2, 'only the demo references remain');
    },
    { baseURL: server.baseURL },
  );
});
