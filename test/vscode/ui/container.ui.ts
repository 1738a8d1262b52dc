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
  // The diagram is a webview view: its iframe (laid over the sidebar, outside the sidebar's DOM) appears
  // only once the extension resolved the view.
  await wb.page.locator('iframe.webview').first().waitFor({ state: 'attached', timeout: 30_000 });
  await wb.screenshot(screenshot);
}

export const uiChecks: UiCheck[] = [
  {
    name: 'the TCP container shows Connections and State Diagram (extension under development)',
    run: () => withWorkbench({}, (wb) => assertContainerShowsBothViews(wb, 'container-dev')),
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
        await withWorkbench({ extensionDevelopmentPath: false, extensionsDir }, (wb) => assertContainerShowsBothViews(wb, 'container-vsix'));
      } finally {
        rmSync(out, { recursive: true, force: true });
      }
    },
  },
];
