// The extension in Simplified Chinese, as a user sees it: VS Code started with --locale zh-cn shows the hover on
// a state name in `ss` output in Chinese, and "TCP: 生成快照" (package.nls.zh-cn.json) opens a Chinese snapshot.
import * as assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import bundleZhJson from '../../../l10n/bundle.l10n.zh-cn.json';
import nlsZhJson from '../../../package.nls.zh-cn.json';
import { installVsix, withWorkbench, type UiCheck } from '../workbench';
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

          // The palette by hand: "生成快照" also matches "生成 JSON 快照", which sorts first.
          const title = `${nlsZh.category}: ${nlsZh['command.takeSnapshot']}`;
          await page.keyboard.press('F1');
          await input.waitFor({ state: 'visible', timeout: 15_000 });
          await input.fill(`>${title}`);
          const exact = page.locator('.quick-input-list .monaco-list-row').filter({ has: page.locator('.label-name', { hasText: new RegExp(`^${title}$`) }) });
          await exact.first().click({ timeout: 15_000 });
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
];
