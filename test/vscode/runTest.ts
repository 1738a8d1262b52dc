// The vscode tier: the extension's tests in a real VS Code extension host through @vscode/test-electron's
// runTests, then the UI checks (test/vscode/ui/*.ui.ts) in the web workbench.
// Which VS Code: $VSCODE_EXECUTABLE if set; a downloaded desktop build if TCPSV_DOWNLOAD_VSCODE=1 (needs
// internet); otherwise scripts/vscode-web, which runs the same flags in code-server (docs/testing-in-code-server.md).
// Writes {passed, failed, skipped, ...facts} to $TCPSV_RESULTS_FILE (default out/test-results/vscode.json).
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { runTests } from '@vscode/test-electron';
import { projectRoot, type UiCheck } from './workbench';

interface Results {
  passed: number;
  failed: number;
  skipped: number;
  [fact: string]: number | string;
}

async function extensionHostTests(root: string, resultsFile: string): Promise<{ ok: boolean; desktop: boolean }> {
  const scratch = mkdtempSync(join(tmpdir(), 'tcpsv-vscode-tier-'));
  // A copy, so the editor's per-folder state and anything a test writes stay out of demo/.
  const workspace = join(scratch, 'demo');
  cpSync(join(root, 'demo'), workspace, { recursive: true });
  const download = process.env.TCPSV_DOWNLOAD_VSCODE === '1';
  const vscodeExecutablePath = process.env.VSCODE_EXECUTABLE || (download ? undefined : join(root, 'scripts', 'vscode-web'));
  try {
    await runTests({
      ...(vscodeExecutablePath ? { vscodeExecutablePath } : {}),
      extensionDevelopmentPath: root,
      extensionTestsPath: join(root, 'out', 'test', 'vscode', 'suite', 'index.js'),
      extensionTestsEnv: { TCPSV_RESULTS_FILE: resultsFile },
      launchArgs: [workspace, '--disable-extensions', `--user-data-dir=${join(scratch, 'user-data')}`, `--extensions-dir=${join(scratch, 'extensions')}`],
    });
    return { ok: true, desktop: vscodeExecutablePath !== join(root, 'scripts', 'vscode-web') };
  } catch (e) {
    console.error(`extension tests: ${e instanceof Error ? e.message : String(e)}`);
    return { ok: false, desktop: false };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

function uiCheckModules(root: string): string[] {
  const dir = join(root, 'out', 'test', 'vscode', 'ui');
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true })
    .map(String)
    .filter((f) => f.endsWith('.ui.js'))
    .sort()
    .map((f) => join(dir, f));
}

async function runUiChecks(root: string): Promise<{ passed: number; failed: number }> {
  let passed = 0;
  let failed = 0;
  // TCPSV_GREP narrows the UI checks by name as it narrows the extension-host tests (scripts/test.mjs --grep).
  const grep = process.env.TCPSV_GREP ? new RegExp(process.env.TCPSV_GREP) : null;
  for (const file of uiCheckModules(root)) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- UI check modules are found at run time
    const { uiChecks } = require(file) as { uiChecks?: UiCheck[] };
    for (const check of uiChecks ?? []) {
      if (grep !== null && !grep.test(check.name)) continue;
      const t0 = Date.now();
      try {
        await check.run();
        passed++;
        console.log(`  ✔ ${check.name} (${Date.now() - t0} ms)`);
      } catch (e) {
        failed++;
        console.log(`  ✖ ${check.name} (${Date.now() - t0} ms)\n${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
      }
    }
  }
  return { passed, failed };
}

async function main(): Promise<number> {
  const root = projectRoot();
  const resultsFile = process.env.TCPSV_RESULTS_FILE || join(root, 'out', 'test-results', 'vscode.json');
  mkdirSync(dirname(resultsFile), { recursive: true });
  rmSync(resultsFile, { force: true });

  const t0 = Date.now();
  const host = await extensionHostTests(root, resultsFile);
  const results: Results = existsSync(resultsFile)
    ? (JSON.parse(readFileSync(resultsFile, 'utf8')) as Results)
    : { passed: 0, failed: 1, skipped: 0 }; // the run broke before the suite could report
  if (!host.ok && results.failed === 0) results.failed = 1;
  results.extensionHostSeconds = Number(((Date.now() - t0) / 1000).toFixed(1));

  if (host.desktop) {
    console.log('UI checks skipped: they drive the code-server web workbench, and a desktop VS Code ran the tests');
  } else {
    console.log('\nUI checks (web workbench in headless Chromium)');
    const t1 = Date.now();
    const ui = await runUiChecks(root);
    results.passed += ui.passed;
    results.failed += ui.failed;
    results.uiPassed = ui.passed;
    results.uiFailed = ui.failed;
    results.uiSeconds = Number(((Date.now() - t1) / 1000).toFixed(1));
  }
  writeFileSync(resultsFile, JSON.stringify(results, null, 2));
  console.log(`vscode tier: ${JSON.stringify(results)}`);
  return results.failed > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
