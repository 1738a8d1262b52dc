// Playwright driver for UI checks and screenshots in the real VS Code web workbench (code-server 4.100.3 =
// VS Code 1.100.3, headless Chromium). Runs in plain Node (not in the extension host).
//
//   import { openWorkbench, withWorkbench } from '../workbench';
//
//   await withWorkbench({ settings: { 'workbench.colorTheme': 'Default Light Modern' } }, async (wb) => {
//     await wb.openTcpContainer();                     // click the "TCP" activity bar entry
//     await wb.waitForViews(['Connections', 'State Diagram']);
//     await wb.runCommand('TCP: Open State Diagram');  // F1, type the title, Enter
//     const rows = await wb.treeRowLabels();           // labels of the sidebar tree rows
//     const diagram = wb.diagramFrame();               // FrameLocator inside the diagram webview
//     await wb.screenshot('sidebar-light');            // -> test-artifacts/sidebar-light.png
//   });
//
// WorkbenchOptions:
//   workspace                folder to open (default: a fresh temp copy of demo/, removed on close)
//   extensionDevelopmentPath extension folder(s) to load as under development (default: the project root);
//                            false = none, e.g. to see an extension installed from a VSIX
//   extensionsDir            extensions folder (e.g. after installVsix()); default: a fresh empty one
//   settings                 user settings on top of the quiet defaults (theme, tcpStateViewer.*, ...)
//   env                      extra environment for code-server and so the extension host
//   viewport                 browser viewport (default 1400x900)
//   locale                   display language (code-server --locale), e.g. 'zh-cn': vscode.env.language and so
//                            vscode.l10n / package.nls.zh-cn.json follow it; VS Code's own strings need a language pack
// Workbench members: page (playwright Page), url, server (see scripts/code-server.d.mts), root (project folder),
//   workspace, openTcpContainer(), waitForViews(titles), viewTitles(), runCommand(title), treeRowLabels(),
//   diagramFrame(), notifications(), screenshot(name, readme?), close().
// Other exports: installVsix(vsix, extensionsDir), projectRoot(), artifactsDir(), UiCheck.
//
// UI checks: a file test/vscode/ui/<name>.ui.ts exporting `uiChecks: UiCheck[]` is run by runTest.ts after the
// extension-host tests, one check at a time; each passing or failing check counts in the vscode tier.
// openWorkbench resolves once the workbench shows and its colour theme (settings) is applied.
// Selectors are those of VS Code 1.100 (docs/testing-in-code-server.md).
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser, FrameLocator, Page } from 'playwright-core';
import type { CodeServer } from '../../scripts/code-server.mjs';

type CodeServerModule = typeof import('../../scripts/code-server.mjs');

/** The project folder (holding package.json "tcp-state-viewer"), found upwards from this bundle's folder. */
export function projectRoot(): string {
  let dir = __dirname;
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'tcp-state-viewer') return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no tcp-state-viewer package.json above ${__dirname}`);
    dir = parent;
  }
}

/** test-artifacts/ (gitignored): screenshots and logs of UI checks. */
export function artifactsDir(): string {
  const dir = join(projectRoot(), 'test-artifacts');
  mkdirSync(dir, { recursive: true });
  return dir;
}

let codeServerModule: Promise<CodeServerModule> | undefined;
/** scripts/code-server.mjs, imported at run time (it is plain ESM outside the bundle). */
export function codeServer(): Promise<CodeServerModule> {
  codeServerModule ??= import(pathToFileURL(join(projectRoot(), 'scripts', 'code-server.mjs')).href) as Promise<CodeServerModule>;
  return codeServerModule;
}

/** Installs a VSIX with code-server's CLI (`--install-extension x.vsix --force`) into extensionsDir. */
export async function installVsix(vsix: string, extensionsDir: string): Promise<void> {
  const cs = await codeServer();
  const userDataDir = mkdtempSync(join(tmpdir(), 'tcpsv-vsix-user-'));
  try {
    await cs.installExtension(vsix, { userDataDir, extensionsDir });
  } finally {
    rmSync(userDataDir, { recursive: true, force: true });
  }
}

export interface WorkbenchOptions {
  workspace?: string;
  extensionDevelopmentPath?: string | string[] | false;
  extensionsDir?: string;
  settings?: Record<string, unknown>;
  env?: Record<string, string>;
  viewport?: { width: number; height: number };
  locale?: string;
}

export interface Workbench {
  page: Page;
  url: string;
  server: CodeServer;
  root: string;
  workspace: string;
  /** Clicks the "TCP" activity bar entry (unless the container is already showing). */
  openTcpContainer(): Promise<void>;
  /** Waits until the sidebar shows a pane header for each title. */
  waitForViews(titles: string[], timeoutMs?: number): Promise<void>;
  /** Titles of the pane headers in the sidebar, as written (not upper-cased by CSS). */
  viewTitles(): Promise<string[]>;
  /** Runs a command from the Command Palette by its full title, e.g. 'TCP: Open State Diagram'. */
  runCommand(title: string): Promise<void>;
  /** Labels of the rows of the tree(s) in the sidebar. */
  treeRowLabels(): Promise<string[]>;
  /** The document inside the State Diagram webview. */
  diagramFrame(): FrameLocator;
  /** Texts of the notification toasts on screen. */
  notifications(): Promise<string[]>;
  /**
   * Saves a PNG of the page as test-artifacts/<name>.png and returns its path. With `readme`, and
   * TCPSV_README_SHOTS=1 in the environment, the same picture also goes to docs/images/<readme>.png: the
   * README's screenshots are taken by the UI checks (refresh them with `TCPSV_README_SHOTS=1 node scripts/test.mjs vscode`).
   */
  screenshot(name: string, readme?: string): Promise<string>;
  close(): Promise<void>;
}

/** One UI check: run() resolves when it passes and throws (an assertion) when it fails. */
export interface UiCheck {
  name: string;
  run(): Promise<void>;
}

const CONTAINER_TITLE = 'TCP';

export async function openWorkbench(options: WorkbenchOptions = {}): Promise<Workbench> {
  const cs = await codeServer();
  const root = projectRoot();
  const scratch = mkdtempSync(join(tmpdir(), 'tcpsv-workbench-'));
  let workspace = options.workspace;
  if (!workspace) {
    workspace = join(scratch, 'demo');
    cpSync(join(root, 'demo'), workspace, { recursive: true });
  }
  const requested = options.extensionDevelopmentPath === undefined ? root : options.extensionDevelopmentPath;
  // Through a symlink outside the project, or VS Code would force the Light+ theme (see extensionDevelopmentAlias).
  const devPath = requested === false ? false : (Array.isArray(requested) ? requested : [requested]).map((p) => cs.extensionDevelopmentAlias(p));

  let server: CodeServer | undefined;
  let browser: Browser | undefined;
  const close = async (): Promise<void> => {
    await browser?.close().catch(() => undefined);
    await server?.stop();
    rmSync(scratch, { recursive: true, force: true });
  };
  try {
    server = await cs.startCodeServer({
      ...(options.extensionsDir ? { extensionsDir: options.extensionsDir } : {}),
      ...(options.locale ? { locale: options.locale } : {}),
      ...(options.settings ? { settings: options.settings } : {}),
      ...(options.env ? { env: options.env } : {}),
    });
    const url = cs.workbenchUrl(server.url, {
      folder: workspace,
      ...(devPath ? { extensionDevelopmentPath: devPath } : {}),
    });
    browser = await cs.launchChromium();
    const context = await browser.newContext({
      viewport: options.viewport ?? { width: 1400, height: 900 },
      ...(options.locale ? { locale: options.locale } : {}),
    });
    const page = await context.newPage();
    await page.goto(url, { waitUntil: 'domcontentloaded', timeout: 60_000 });
    await page.waitForSelector('.monaco-workbench', { timeout: 60_000 });
    // The workbench first paints with a cached default and applies the configured colour theme a few seconds
    // later, once the theme extensions are scanned; VS Code then adds the theme's class (vscode-theme-...).
    await page.waitForSelector('.monaco-workbench[class*="vscode-theme-"]', { timeout: 60_000 });

    const sidebar = page.locator('.part.sidebar');
    const wb: Workbench = {
      page,
      url,
      server,
      root,
      workspace,
      async openTcpContainer() {
        const entry = page.locator(`.activitybar a.action-label[aria-label^="${CONTAINER_TITLE}"]`).first();
        await entry.waitFor({ state: 'visible', timeout: 60_000 });
        // A second click on the active entry would hide the sidebar.
        const checked = await entry.evaluate((el) => el.closest('.action-item')?.classList.contains('checked') ?? false);
        if (!checked) await entry.click();
        await sidebar.waitFor({ state: 'visible', timeout: 30_000 });
      },
      async waitForViews(titles, timeoutMs = 30_000) {
        const deadline = Date.now() + timeoutMs;
        for (;;) {
          const shown = await wb.viewTitles();
          if (titles.every((t) => shown.includes(t))) return;
          if (Date.now() > deadline) throw new Error(`sidebar shows [${shown.join(', ')}], expected [${titles.join(', ')}]`);
          await page.waitForTimeout(250);
        }
      },
      async viewTitles() {
        return sidebar.locator('.pane-header h3.title').allTextContents();
      },
      async runCommand(title) {
        await page.keyboard.press('F1');
        const input = page.locator('.quick-input-widget input[type="text"]');
        await input.waitFor({ state: 'visible', timeout: 15_000 });
        await input.fill(`>${title}`);
        const row = page.locator('.quick-input-list .monaco-list-row', { hasText: title }).first();
        await row.waitFor({ state: 'visible', timeout: 15_000 });
        await input.press('Enter');
        await page.locator('.quick-input-widget').waitFor({ state: 'hidden', timeout: 15_000 });
      },
      async treeRowLabels() {
        return sidebar.locator('.monaco-list-row[role=treeitem] .label-name').allTextContents();
      },
      diagramFrame() {
        // Webview iframes sit in an overlay layer of the workbench, not inside the part that shows them.
        return page.frameLocator('iframe.webview.ready').first().frameLocator('#active-frame');
      },
      async notifications() {
        return page.locator('.notification-toast .notification-list-item-message').allTextContents();
      },
      async screenshot(name, readme) {
        const file = join(artifactsDir(), `${name}.png`);
        await page.screenshot({ path: file });
        if (readme !== undefined && process.env.TCPSV_README_SHOTS === '1') {
          mkdirSync(join(root, 'docs', 'images'), { recursive: true });
          copyFileSync(file, join(root, 'docs', 'images', `${readme}.png`));
        }
        return file;
      },
      close,
    };
    return wb;
  } catch (e) {
    await close();
    throw e;
  }
}

/** Opens a workbench, runs fn, and always closes it (server process group, browser, temp folders). */
export async function withWorkbench<T>(options: WorkbenchOptions, fn: (wb: Workbench) => Promise<T>): Promise<T> {
  const wb = await openWorkbench(options);
  try {
    return await fn(wb);
  } catch (e) {
    const shot = await wb.screenshot(`failed-${Date.now()}`).catch(() => undefined);
    if (shot) console.log(`  screenshot of the failure: ${shot}`);
    throw e;
  } finally {
    await wb.close();
  }
}
