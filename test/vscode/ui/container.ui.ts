// The "TCP" activity bar container as a user sees it: from the extension under development, and from the
// VSIX that `npm run package` builds, installed the way a user installs it.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { installVsix, projectRoot, withWorkbench, type UiCheck, type Workbench } from '../workbench';

const VIEW_TITLES = ['Connections', 'State Diagram'];

async function assertContainerShowsBothViews(wb: Workbench, screenshot: string): Promise<void> {
  await wb.openTcpContainer();
  await wb.waitForViews(VIEW_TITLES);
  const titles = await wb.viewTitles();
  assert.deepEqual(titles.filter((t) => VIEW_TITLES.includes(t)), VIEW_TITLES);
  // The headers come from the manifest alone; the views' content only from the activated extension:
  // tree rows (or the view's welcome text) for Connections, the drawn states in the diagram's webview.
  const sidebar = wb.page.locator('.part.sidebar');
  await sidebar
    .locator('.monaco-list-row[role=treeitem], .welcome-view-content')
    .first()
    .waitFor({ state: 'visible', timeout: 60_000 });
  assert.equal(await sidebar.getByText('There is no data provider registered').count(), 0, 'the Connections view has no data provider');
  // The diagram draws the RFC 9293 states by name once its script ran and the host answered its ready message.
  await wb.diagramFrame().getByText('ESTABLISHED', { exact: true }).first().waitFor({ state: 'visible', timeout: 60_000 });
  await wb.screenshot(screenshot);
}

export const uiChecks: UiCheck[] = [
  {
    name: 'the TCP container shows Connections and State Diagram (extension under development)',
    run: () =>
      withWorkbench({ settings: { 'workbench.colorTheme': 'Default Dark Modern' } }, async (wb) => {
        await assertContainerShowsBothViews(wb, 'container-dev-dark');
        // The user setting reached the workbench: VS Code marks the body with the theme's type.
        assert.equal(await wb.page.locator('.monaco-workbench.vs-dark').count(), 1);
      }),
  },
  {
    name: 'the packaged VSIX installs into VS Code and its TCP container shows both views',
    async run() {
      const root = projectRoot();
      const out = mkdtempSync(join(tmpdir(), 'tcpsv-package-'));
      try {
        const vsix = join(out, 'tcp-state-viewer.vsix');
        const pkg = spawnSync(process.execPath, ['scripts/package.mjs', '--out', vsix], { cwd: root, encoding: 'utf8', timeout: 180_000 });
        process.stdout.write(pkg.stdout);
        assert.equal(pkg.status, 0, `npm run package failed:\n${pkg.stderr}`);
        const extensionsDir = join(out, 'extensions');
        await installVsix(vsix, extensionsDir);
        await withWorkbench({ extensionDevelopmentPath: false, extensionsDir, settings: { 'workbench.colorTheme': 'Default Light Modern' } }, (wb) =>
          assertContainerShowsBothViews(wb, 'container-vsix-light'),
        );
      } finally {
        rmSync(out, { recursive: true, force: true });
      }
    },
  },
];
