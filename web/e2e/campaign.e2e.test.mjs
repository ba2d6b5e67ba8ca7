// Browser test of issue 6 against the real binary (`waihu serve --demo`): the demo tenant
// uploads the bundled GBK sample list, maps the columns from the preview, imports it, and
// creates a campaign on it through the wizard (with the compliance preview on review).
//
//   WAIHU_BIN=../bin/waihu node --test e2e/campaign.e2e.test.mjs
import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { after, before, test } from 'node:test';
import { launchBrowser, startWaihu, WEB_DIR, withPage } from './harness.mjs';
import { zh } from './i18n.mjs';

const OWNER = { email: 'owner@demo.waihu.local', password: 'Demo1234!' };
const SAMPLE = resolve(WEB_DIR, '../app/demo/sample_list_gbk.csv');

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

async function consoleLogin(p) {
  await p.goto('/console/login');
  await p.getByLabel(zh['field.email']).fill(OWNER.email);
  await p.getByLabel(zh['field.password']).fill(OWNER.password);
  await p.getByRole('button', { name: zh['auth.login.submit'], exact: true }).click();
  await p.waitForURL(/\/console$/);
}

test('console: upload a GBK list, map columns, import, create a campaign', async () => {
  await withPage(
    browser,
    'campaign upload gbk list and create campaign',
    async (p) => {
      await consoleLogin(p);
      await p.goto('/console/lists');
      await p.getByTestId('list-upload').click();
      await p.getByTestId('list-name').fill('E2E名单');
      await p.getByTestId('list-file').setInputFiles(SAMPLE);
      await p.getByTestId('upload-next').click();
      // The GBK bytes are decoded: the preview shows the Chinese names and headers.
      const preview = p.getByTestId('import-preview');
      await preview.getByText('张伟0').waitFor();
      await preview.getByRole('columnheader', { name: '手机号' }).waitFor();
      await p.getByText('gb18030').waitFor();
      await p.getByTestId('import-start').click();
      await p.getByTestId('import-state').getByText(zh['campaign.import.state.done']).waitFor({ timeout: 60_000 });
      await p.getByTestId('import-close').click();
      await p.getByRole('cell', { name: 'E2E名单' }).waitFor();

      const lists = await (await p.request.get('/api/v1/lists')).json();
      const mine = lists.items.find((l) => l.name === 'E2E名单');
      assert.equal(mine.state, 'ready');
      assert.equal(mine.contact_count, 21, 'duplicates and invalid numbers are left out');
      assert.ok(mine.columns.includes('城市'), `columns ${mine.columns}`);

      await p.goto('/console/campaigns');
      await p.getByTestId('campaign-new').click();
      await p.getByTestId('campaign-name').fill('E2E任务');
      await p.getByTestId('campaign-list').click();
      await p.getByTitle('E2E名单 (21)').click();
      await p.getByTestId('wizard-next').click();
      // The demo tenant has a published script: pick it by name.
      await p.getByTestId('campaign-script-select').click();
      await p.getByTitle('演示话术（电销初筛）').click();
      await p.getByTestId('wizard-next').click();
      await p.getByTestId('wizard-next').click();
      await p.getByTestId('wizard-next').click();
      await p.getByTestId('campaign-review').getByText(zh['campaign.preview.callable']).waitFor();
      await p.getByTestId('campaign-review').getByText(zh['campaign.preview.dnc_platform']).waitFor();
      await p.getByTestId('wizard-create').click();
      await p.getByRole('link', { name: 'E2E任务' }).waitFor();

      const camps = await (await p.request.get('/api/v1/campaigns')).json();
      const c = camps.items.find((x) => x.name === 'E2E任务');
      assert.equal(c.state, 'draft');
      assert.equal(c.list_id, mine.id);
      const scripts = await (await p.request.get('/api/v1/scripts')).json();
      const demoScript = scripts.items.find((s) => s.name === '演示话术（电销初筛）');
      assert.equal(c.script_version_id, demoScript.published_version_id);
    },
    { baseURL: server.baseURL },
  );
});
