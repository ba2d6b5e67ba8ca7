// Browser test of the script editor against the real binary (`waihu serve --demo`): build a
// three-node script from scratch on the canvas (say → ask → hang up), publish it, and chat
// with the published version.
//
//   WAIHU_BIN=../bin/waihu node --test e2e/scripts.e2e.test.mjs
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { launchBrowser, signIn, startWaihu, withPage } from './harness.mjs';
import { zh } from './i18n.mjs';

const OWNER = { email: 'owner@demo.waihu.local', password: 'Demo1234!' };

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

async function pickOption(p, select, text) {
  await select.click();
  await p.keyboard.type(text);
  await p.locator('.ant-select-dropdown:visible .ant-select-item-option', { hasText: text }).first().click();
}

test('scripts: build a three-node script from scratch, publish it and chat with it', async () => {
  await withPage(
    browser,
    'scripts three nodes publish chat',
    async (p) => {
      await signIn(p, 'console', OWNER);

      await p.goto('/console/scripts');
      await p.getByRole('button', { name: zh['scripts.new'] }).click();
      const dialog = p.getByRole('dialog');
      await dialog.getByLabel(zh['field.name']).fill('三节点测试');
      await dialog.getByRole('button', { name: zh['scripts.create'] }).click();
      await p.waitForURL(/\/console\/scripts\/\d+$/);
      await p.getByRole('heading', { name: '三节点测试', level: 1 }).waitFor();

      const text = p.getByTestId('node-panel').getByLabel(zh['scripts.node.text']);
      // Node 1: the non-interruptible AI disclosure (say is the default type).
      await p.getByRole('button', { name: zh['scripts.node.add'] }).click();
      await p.getByTestId('node-n1').waitFor();
      await text.fill('您好，我是XX公司的智能语音助手。');
      // Node 2: a question, linked after n1 because n1 is selected.
      await pickOption(p, p.getByTestId('new-node-type'), zh['scripts.type.listen']);
      await p.getByRole('button', { name: zh['scripts.node.add'] }).click();
      await p.getByTestId('node-n2').waitFor();
      await text.fill('请问您现在方便吗？');
      // Node 3: the closing line, added after n2 as a branch of it.
      await pickOption(p, p.getByTestId('new-node-type'), zh['scripts.type.hangup']);
      await p.getByRole('button', { name: zh['scripts.node.add'] }).click();
      await p.getByTestId('node-n3').waitFor();
      await text.fill('好的，祝您生活愉快，再见。');
      // Back on n2: the branch to n3 is taken on "affirm".
      await p.getByTestId('node-n2').click();
      await pickOption(p, p.getByTestId('branch-0-intents'), 'affirm');
      await p.keyboard.press('Escape');
      await p.getByTestId('edge-n1-n2').waitFor({ state: 'attached' });
      await p.getByTestId('edge-n2-n3').waitFor({ state: 'attached' });

      await p.getByRole('button', { name: zh['scripts.save'] }).click();
      await p.getByText(zh['scripts.saved']).last().waitFor(); // an earlier toast may still show

      await p.getByRole('button', { name: zh['scripts.publish'] }).click();
      const pub = p.getByRole('dialog');
      await pub.getByLabel(zh['scripts.publish_note']).fill('第一版');
      await pub.getByRole('button', { name: zh['scripts.publish'] }).click();
      await p.getByText(fmt(zh['scripts.published_ok'], { version: 1 })).waitFor();

      // Chat with the published version.
      const chat = p.getByTestId('chat-panel');
      await pickOption(p, chat.getByLabel(zh['scripts.chat.version']), 'v1');
      await chat.getByRole('button', { name: zh['scripts.chat.start'] }).click();
      await chat.getByText('您好，我是XX公司的智能语音助手。').waitFor();
      await chat.getByText('请问您现在方便吗？').waitFor();
      await chat.getByLabel(zh['scripts.chat.input']).fill('嗯，方便的');
      await chat.getByRole('button', { name: zh['scripts.chat.send'] }).click();
      await chat.getByText('好的，祝您生活愉快，再见。').waitFor();
      await chat.getByText(zh['scripts.chat.hangup']).waitFor();
      const state = await chat.getByTestId('chat-state').innerText();
      assert.match(state, /n1 → n2 → n3/);
      assert.match(state, /affirm/);

      // The version is frozen on the server.
      const list = await (await p.request.get('/api/v1/scripts')).json();
      const row = list.items.find((r) => r.name === '三节点测试');
      assert.equal(row.latest_version, 1);
      const vs = await (await p.request.get(`/api/v1/scripts/${row.id}/versions`)).json();
      const v = await (await p.request.get(`/api/v1/script-versions/${vs.items[0].id}`)).json();
      assert.deepEqual(
        v.body.nodes.map((n) => [n.id, n.type]),
        [
          ['n1', 'say'],
          ['n2', 'listen'],
          ['n3', 'hangup'],
        ],
      );
      assert.equal(v.body.start, 'n1');

      // Version history: change the closing line and compare the draft with v1.
      await p.getByTestId('node-n3').click();
      await text.fill('好的，再见！');
      await p.getByRole('button', { name: zh['scripts.save'] }).click();
      await p.getByText(zh['scripts.saved']).last().waitFor(); // an earlier toast may still show
      await p.getByRole('tab', { name: zh['scripts.tab.versions'] }).click();
      await p.getByRole('button', { name: zh['scripts.versions.diff'] }).click();
      const diff = await p.getByTestId('version-diff').innerText();
      assert.match(diff, /- +"text": "好的，祝您生活愉快，再见。"/);
      assert.match(diff, /\+ +"text": "好的，再见！"/);
    },
    { baseURL: server.baseURL },
  );
});

test('scripts: pick a voice for the script and listen to a line', async () => {
  await withPage(
    browser,
    'scripts voice picker listen',
    async (p) => {
      await signIn(p, 'console', OWNER);

      await p.goto('/console/scripts');
      await p.getByRole('button', { name: zh['scripts.new'] }).click();
      const dialog = p.getByRole('dialog');
      await dialog.getByLabel(zh['field.name']).fill('试听测试');
      await dialog.getByRole('button', { name: zh['scripts.create'] }).click();
      await p.waitForURL(/\/console\/scripts\/\d+$/);
      await p.getByRole('heading', { name: '试听测试', level: 1 }).waitFor();
      const scriptId = p.url().match(/\/scripts\/(\d+)$/)[1];

      // The panel says which recognizer the script's calls use.
      const panel = p.getByTestId('voice-panel');
      await panel.getByTestId('voice-recognizer').waitFor();
      assert.notEqual((await panel.getByTestId('voice-recognizer').innerText()).trim(), '');

      // Pick flite's awb voice and save it for the script.
      await pickOption(p, panel.getByLabel(zh['scripts.voice.synthesizer']), 'flite');
      await pickOption(p, panel.getByLabel(zh['scripts.voice.voice']), 'awb');
      await panel.getByRole('button', { name: zh['scripts.voice.save'] }).click();
      await p.getByText(zh['scripts.voice.saved']).last().waitFor();
      await panel.getByTestId('voice-in-use').filter({ hasText: 'flite' }).filter({ hasText: 'awb' }).waitFor();
      const saved = await (await p.request.get(`/api/v1/scripts/${scriptId}/speech`)).json();
      assert.equal(saved.effective.tts, 'flite');
      assert.equal(saved.effective.voice, 'awb');

      // A line to listen to: the ▶ button fetches the preview and the audio element loads it.
      await p.getByRole('button', { name: zh['scripts.node.add'] }).click();
      await p.getByTestId('node-n1').waitFor();
      await p.getByTestId('node-panel').getByLabel(zh['scripts.node.text']).fill('Hello, this is a test call.');
      const preview = p.waitForResponse((r) => r.url().endsWith('/api/v1/speech/preview') && r.request().method() === 'POST');
      await p.getByTestId('node-panel').getByTestId('listen-button').click();
      const res = await preview;
      assert.equal(res.status(), 200);
      assert.equal(res.headers()['content-type'], 'audio/wav');
      assert.deepEqual(JSON.parse(res.request().postData() ?? '{}').tts, 'flite');
      await p.getByTestId('listen-audio').waitFor();
      await p.waitForFunction(() => {
        const a = document.querySelector('[data-testid="listen-audio"]');
        return a instanceof HTMLAudioElement && a.readyState >= 1 && a.duration > 0.5;
      });
    },
    { baseURL: server.baseURL },
  );
});
