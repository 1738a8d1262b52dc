// The extension in Simplified Chinese, as a user sees it: VS Code started with --locale zh-cn shows the hover on
// a state name in `ss` output in Chinese, and "TCP: 生成快照" (package.nls.zh-cn.json) opens a Chinese snapshot.
// A second walk: the Connections view with a CLOSE-WAIT leak (the insight, its tooltip and click), the status
// bar, "TCP: 谁在使用端口..." and the EADDRINUSE terminal link, each in Chinese, with screenshots
// (test-artifacts/ux-zh-*.png).
import * as assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import bundleZhJson from '../../../l10n/bundle.l10n.zh-cn.json';
import nlsZhJson from '../../../package.nls.zh-cn.json';
import { installVsix, withWorkbench, type UiCheck, type Workbench, type WorkbenchOptions } from '../workbench';
import { brokenWords, collapseDiagramPane, hoverTooltip, startLeakScenario, terminalTextPosition, treeRow, waitForRowLabels } from './helpers';
import { waitFor } from '../../common/wait';
import { STATE_TEXTS } from '../../../src/domain/stateTexts';

const nlsZh: Record<string, string> = nlsZhJson;
const bundleZh: Record<string, string> = bundleZhJson;

// Two rows of `ss -nat` as captured on this machine (see test/unit/fixtures/stateMatcher/ss-nat.txt).
const SS_OUTPUT = [
  'State      Recv-Q Send-Q Local Address:Port  Peer Address:Port Process',
  'LISTEN     0      511        127.0.0.1:40311      0.0.0.0:*',
  'TIME-WAIT  0      0          127.0.0.1:33254    127.0.0.1:40311',
  '',
].join('\n');

/**
 * VS Code takes a display language only when a language pack provides it (without one, `--locale zh-cn` falls back
 * to English and vscode.env.language is `en`). The Marketplace's pack is out of reach offline, so the check builds
 * the smallest pack there is: zh-cn declared, none of VS Code's own strings translated. Our strings are ours.
 */
async function installZhCnLanguagePack(dir: string, extensionsDir: string): Promise<void> {
  const pack = join(dir, 'pack');
  mkdirSync(join(pack, 'translations'), { recursive: true });
  writeFileSync(
    join(pack, 'package.json'),
    JSON.stringify({
      name: 'zh-cn-test-pack',
      displayName: 'zh-cn display language for tests',
      description: 'Declares zh-cn so VS Code runs in it; translates none of VS Code itself.',
      publisher: 'tcpsv-test',
      version: '0.0.1',
      license: 'MIT',
      engines: { vscode: '^1.90.0' },
      categories: ['Language Packs'],
      contributes: {
        localizations: [
          {
            languageId: 'zh-cn',
            languageName: 'Chinese Simplified',
            localizedLanguageName: '中文(简体)',
            translations: [{ id: 'vscode', path: './translations/main.i18n.json' }],
          },
        ],
      },
    }),
  );
  writeFileSync(join(pack, 'translations', 'main.i18n.json'), JSON.stringify({ version: '1.0.0', contents: {} }));
  writeFileSync(join(pack, 'README.md'), '# zh-cn display language for tests\n');
  const vsix = join(dir, 'zh-cn-test-pack.vsix');
  const { createVSIX } = (await import('@vscode/vsce')) as { createVSIX(o: Record<string, unknown>): Promise<unknown> };
  await createVSIX({ cwd: pack, packagePath: vsix, allowMissingRepository: true, skipLicense: true, dependencies: false });
  await installVsix(vsix, extensionsDir);
}

/**
 * A workbench in zh-cn: the smallest language pack installed, VS Code's language pack index written, the page
 * reloaded so a new extension host starts in zh-cn. `fn` gets the workbench after the reload.
 */
async function withZhCnWorkbench(options: WorkbenchOptions & { workspace?: string }, fn: (wb: Workbench) => Promise<void>): Promise<void> {
  const scratch = mkdtempSync(join(tmpdir(), 'tcpsv-l10n-'));
  const extensionsDir = join(scratch, 'extensions');
  try {
    await installZhCnLanguagePack(scratch, extensionsDir);
    await withWorkbench({ ...options, extensionsDir, locale: 'zh-cn' }, async (wb) => {
      // VS Code resolves the display language from languagepacks.json in the user data folder, which its
      // language pack service writes when a pack is installed from the UI; a pack installed from the CLI
      // leaves it unwritten. Write the same entry, then reload: the new extension host starts in zh-cn.
      writeFileSync(
        join(wb.server.userDataDir, 'languagepacks.json'),
        JSON.stringify({
          'zh-cn': {
            hash: 'tcpsv-test',
            label: '中文(简体)',
            extensions: [{ extensionIdentifier: { id: 'tcpsv-test.zh-cn-test-pack' }, version: '0.0.1' }],
            translations: { vscode: join(extensionsDir, 'tcpsv-test.zh-cn-test-pack-0.0.1', 'translations', 'main.i18n.json') },
          },
        }),
      );
      await wb.page.reload({ waitUntil: 'domcontentloaded' });
      await wb.page.waitForSelector('.monaco-workbench', { timeout: 60_000 });
      await fn(wb);
    });
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/**
 * Runs a command by its Chinese title from the palette, without waiting for the box to close (it may ask more).
 * The row is picked by its exact title (a prefix may match others that sort first). Work the last step started may
 * still take the focus (revealing a tree row does) and close the palette under the click: then it is opened again.
 */
async function paletteCommand(wb: Workbench, nlsKey: string): Promise<void> {
  await paletteExact(wb, `${nlsZh.category}: ${nlsZh[nlsKey]}`);
}

async function paletteExact(wb: Workbench, title: string): Promise<void> {
  const input = wb.page.locator('.quick-input-widget input[type="text"]');
  const exact = wb.page.locator('.quick-input-list .monaco-list-row').filter({ has: wb.page.locator('.label-name', { hasText: new RegExp(`^${title.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`) }) });
  for (let attempt = 1; ; attempt++) {
    await wb.page.keyboard.press('F1');
    await input.waitFor({ state: 'visible', timeout: 15_000 });
    await input.fill(`>${title}`);
    try {
      await exact.first().click({ timeout: 5_000 });
      return;
    } catch (e) {
      if (attempt >= 3) throw e;
      console.log(`ui fact: the palette closed before "${title}" could be picked (attempt ${attempt}); opened again`);
      await wb.page.keyboard.press('Escape');
    }
  }
}

/** `{0}` placeholders of a translated string filled in. */
function zh(key: string, ...args: (string | number)[]): string {
  const t = bundleZh[key];
  assert.ok(t, `no translation of ${key}`);
  return t.replace(/\{(\d+)\}/g, (_m, i: string) => String(args[Number(i)]));
}

async function chineseConnectionsWalk(): Promise<void> {
  await withZhCnWorkbench({ settings: { 'tcpStateViewer.insights.closeWaitSeconds': 1, 'tcpStateViewer.highlightSeconds': 0, 'terminal.integrated.gpuAcceleration': 'off' } }, async (wb) => {
    const s = await startLeakScenario(wb.workspace);
    try {
      await wb.openTcpContainer();
      await wb.waitForViews([nlsZh['view.connections']]);
      await collapseDiagramPane(wb, nlsZh['view.diagram']);
      // The insight in Chinese, naming the process as the rows do.
      const title = new RegExp(`^node leak-server\\.cjs ${s.pid} 有 ${s.leaks} 个 CLOSE-WAIT 套接字未关闭（最久 `);
      await waitForRowLabels(wb, [bundleZh.Insights, title, 'CLOSE-WAIT', 'FIN-WAIT-2']);
      const insight = treeRow(wb, title);
      const tip = await hoverTooltip(wb, insight, '几乎都是泄漏');
      const words = await brokenWords(tip);
      assert.deepEqual(words.broken, [], 'no state name broken across lines');
      assert.ok((await tip.innerText()).includes(bundleZh['Click to show these sockets.']));
      await wb.screenshot('ux-zh-insight-tooltip');
      await wb.page.mouse.move(900, 10);
      await insight.click();
      const shown = zh('Showing the {0} sockets of the insight "{1}". Clear the filter to see all {2}.', s.leaks, 'X', 0).split('“')[0];
      await wb.page.locator('.part.sidebar').getByText(shown).first().waitFor({ timeout: 30_000 });
      await wb.page.mouse.move(900, 450);
      await wb.screenshot('ux-zh-insight-filtered');
      await paletteCommand(wb, 'command.clearFilter');
      await waitForRowLabels(wb, ['LISTEN', 'ESTABLISHED', 'FIN-WAIT-2']);

      // The status bar: "另有 N 个套接字", and how it samples.
      const item = wb.page.locator('.statusbar-item', { hasText: 'ESTAB' }).first();
      await waitFor('the rest counted as sockets', async () => /另有 \d+ 个套接字$/.test((await item.innerText()).trim()), { timeoutMs: 30_000, everyMs: 250 });
      const status = await hoverTooltip(wb, item, '实时');
      const statusText = (await status.innerText()).replace(/\s+/g, ' ');
      assert.match(statusText, /实时：连接建立、关闭或状态变化时读取套接字表（每 [\d.]+ 秒检查一次内核的 TCP 计数器），且至少每 [\d.]+ 秒读取一次。/);
      assert.match(statusText, /套接字表(来自 \/proc\/net\/tcp 和 \/proc\/net\/tcp6|用 ss)/);
      await wb.screenshot('ux-zh-status');
      await wb.page.mouse.move(900, 450);
      await wb.screenshot('ux-zh-tree');

      // Who Uses Port, for the leaking server's port.
      await paletteCommand(wb, 'command.whoUsesPort');
      const input = wb.page.locator('.quick-input-widget input[type="text"]');
      await wb.page.locator('.quick-input-widget .quick-input-title', { hasText: bundleZh['Who Uses Port'] }).waitFor({ timeout: 15_000 });
      await input.fill(`:${s.hold}`);
      await input.press('Enter');
      const pickTitle = zh('Port {0}: {1} listening, {2} connections (whole machine, read at {3})', s.hold, 1, s.leaks * 2, 'X').split('（')[0];
      await wb.page.locator('.quick-input-widget .quick-input-title', { hasText: pickTitle }).waitFor({ timeout: 30_000 });
      await wb.page.locator('.quick-input-list', { hasText: zh('Listening on port {0}', s.hold) }).waitFor({ timeout: 10_000 });
      await wb.screenshot('ux-zh-who-uses-port');
      await wb.page.keyboard.press('Escape');

      // The EADDRINUSE line of a second server on that port, in the terminal: its link's tooltip in Chinese.
      await wb.runCommand('Terminal: Create New Terminal');
      await wb.page.locator('.terminal-wrapper.active .xterm-rows').waitFor({ state: 'visible', timeout: 30_000 });
      await wb.page.waitForTimeout(1000);
      await wb.page.keyboard.type(`node -e "require('net').createServer().listen(${s.hold}, '127.0.0.1').on('error', (e) => { console.error(e.message); process.exit(1); })"`);
      await wb.page.keyboard.press('Enter');
      const address = `127.0.0.1:${s.hold}`;
      await wb.page.locator('.terminal-wrapper.active .xterm-rows > div', { hasText: `already in use ${address}` }).first().waitFor({ timeout: 30_000 });
      const link = await terminalTextPosition(wb, `already in use ${address}`, address);
      assert.ok(link, 'the error line on screen');
      const tooltip = wb.page.locator('.workbench-hover, .monaco-hover', { hasText: zh('Who uses port {0}? (TCP State Viewer)', s.hold) }).last();
      await waitFor(
        'the link tooltip in Chinese',
        async () => {
          await wb.page.mouse.move(link.x, link.y - 40);
          await wb.page.mouse.move(link.x, link.y);
          return tooltip.waitFor({ state: 'visible', timeout: 3000 }).then(
            () => true,
            () => false,
          );
        },
        { timeoutMs: 30_000, everyMs: 100 },
      );
      await wb.screenshot('ux-zh-terminal-link');
    } finally {
      s.stop();
    }
  });
}

export const uiChecks: UiCheck[] = [
  {
    name: 'in Simplified Chinese: the hover on TIME-WAIT in ss output, and TCP: 生成快照',
    async run() {
      const scratch = mkdtempSync(join(tmpdir(), 'tcpsv-l10n-'));
      const workspace = join(scratch, 'workspace');
      const extensionsDir = join(scratch, 'extensions');
      mkdirSync(workspace);
      writeFileSync(join(workspace, 'ss.txt'), SS_OUTPUT);
      try {
        await installZhCnLanguagePack(scratch, extensionsDir);
        await withWorkbench({ workspace, extensionsDir, locale: 'zh-cn' }, async (wb) => {
          const page = wb.page;
          // VS Code resolves the display language from languagepacks.json in the user data folder, which its
          // language pack service writes when a pack is installed from the UI; a pack installed from the CLI
          // leaves it unwritten. Write the same entry, then reload: the new extension host starts in zh-cn.
          writeFileSync(
            join(wb.server.userDataDir, 'languagepacks.json'),
            JSON.stringify({
              'zh-cn': {
                hash: 'tcpsv-test',
                label: '中文(简体)',
                extensions: [{ extensionIdentifier: { id: 'tcpsv-test.zh-cn-test-pack' }, version: '0.0.1' }],
                translations: { vscode: join(extensionsDir, 'tcpsv-test.zh-cn-test-pack-0.0.1', 'translations', 'main.i18n.json') },
              },
            }),
          );
          await page.reload({ waitUntil: 'domcontentloaded' });
          await page.waitForSelector('.monaco-workbench', { timeout: 60_000 });

          await page.keyboard.press('Control+P');
          const input = page.locator('.quick-input-widget input[type="text"]');
          await input.waitFor({ state: 'visible', timeout: 15_000 });
          await input.fill('ss.txt');
          await page.locator('.quick-input-list .monaco-list-row', { hasText: 'ss.txt' }).first().waitFor({ state: 'visible', timeout: 15_000 });
          await input.press('Enter');

          const row = page.locator('.monaco-editor .view-line', { hasText: 'TIME-WAIT' }).first();
          await row.waitFor({ state: 'visible', timeout: 30_000 });
          const box = await row.boundingBox();
          assert.ok(box);
          // Rest the pointer on the first characters of the row (the State column). The extension activates
          // on startup finished, after the editor may already be up: until its provider is there, a hover comes
          // back empty, so the pointer leaves and returns until ours shows.
          const hover = page.locator('.monaco-hover-content', { hasText: 'TIME-WAIT' }).first();
          for (let attempt = 0; attempt < 30 && !(await hover.isVisible()); attempt++) {
            await page.mouse.move(box.x + box.width / 2, box.y + box.height * 6);
            await page.mouse.move(box.x + 12, box.y + box.height / 2);
            await hover.waitFor({ state: 'visible', timeout: 2000 }).catch(() => undefined);
          }
          await hover.waitFor({ state: 'visible', timeout: 5000 });
          const text = (await hover.textContent()) ?? '';
          assert.ok(text.includes(STATE_TEXTS['TIME-WAIT'].summary['zh-cn']), text);
          for (const key of ['Next to act:', 'Entered from:', 'Show in diagram', 'Show those sockets']) {
            assert.ok(text.includes(bundleZh[key]), `${key} -> ${bundleZh[key]} in: ${text}`);
          }
          await wb.screenshot('hover-zh-cn');
          await page.keyboard.press('Escape');

          // By its exact title: "生成快照" also matches "生成 JSON 快照", which sorts first.
          await paletteCommand(wb, 'command.takeSnapshot');
          const heading = page.locator('.monaco-editor .view-line', { hasText: `# ${bundleZh['TCP snapshot']}` }).first();
          await heading.waitFor({ state: 'visible', timeout: 30_000 });
          const lines = (await page.locator('.monaco-editor .view-lines').last().textContent()) ?? '';
          assert.ok(lines.includes(bundleZh['Sockets per state']), lines);
          await wb.screenshot('snapshot-zh-cn');
        });
      } finally {
        rmSync(scratch, { recursive: true, force: true });
      }
    },
  },
  {
    name: 'in Simplified Chinese: the insight (named, its tooltip, its click), the status bar, Who Uses Port and the EADDRINUSE terminal link',
    run: chineseConnectionsWalk,
  },
];
