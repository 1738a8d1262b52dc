// The State Diagram as a developer sees it in VS Code, in a dark and a light theme: a server in the workspace,
// clients that stay, one the server never closes (CLOSE-WAIT on its side), and a client that connects every
// two seconds and hangs up 5 s later (tokens move, TIME-WAIT piles up; a TIME-WAIT socket has no owner, so it is in
// the workspace scope only if a sample saw the connection alive: they outlive a sample period even when the
// sampler backs off on a busy machine). Checks the sidebar view's iframe shows the 11 states
// with live counts, the editor panel's ladder for a selected connection, and no CSP violation; screenshots go to
// test-artifacts/diagram-{sidebar,tooltip,panel}-{dark,light,hc}.png (looked at by hand).
import * as assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Frame } from 'playwright-core';
import { withWorkbench, type UiCheck, type Workbench } from '../workbench';
import { waitFor } from '../../common/wait';

const STATES = ['CLOSED', 'LISTEN', 'SYN-SENT', 'SYN-RECEIVED', 'ESTABLISHED', 'FIN-WAIT-1', 'FIN-WAIT-2', 'CLOSE-WAIT', 'CLOSING', 'LAST-ACK', 'TIME-WAIT'];

// One process, run with the workspace as its cwd (so it is in the workspace scope): `keep` answers and stays
// open; `hold` never closes its end (allowHalfOpen), so a client's FIN leaves it in CLOSE-WAIT.
const SCRIPT = `
const net = require('net');
const keep = net.createServer((s) => s.resume());
const hold = net.createServer({ allowHalfOpen: true }, (s) => s.resume());
keep.listen(0, '127.0.0.1', () => hold.listen(0, '127.0.0.1', () => {
  const k = keep.address().port, h = hold.address().port;
  const clients = [];
  for (let i = 0; i < 3; i++) clients.push(net.connect(k, '127.0.0.1'));
  const half = net.connect({ port: h, host: '127.0.0.1', allowHalfOpen: true }, () => half.end());
  setInterval(() => { const c = net.connect(k, '127.0.0.1', () => setTimeout(() => c.end(), 5000)); c.on('error', () => {}); }, 2000);
  console.log('ready');
}));
`;

function startSockets(cwd: string): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', SCRIPT], { cwd, stdio: ['ignore', 'pipe', 'inherit'] });
    child.once('error', reject);
    child.stdout?.once('data', () => resolve(child));
  });
}

/** The document inside a webview: VS Code nests it as iframe.webview > #active-frame. */
async function webviewDocuments(wb: Workbench): Promise<{ frame: Frame; width: number }[]> {
  const out: { frame: Frame; width: number }[] = [];
  for (const host of await wb.page.locator('iframe.webview.ready').elementHandles()) {
    const box = await host.boundingBox();
    const outer = await host.contentFrame();
    const inner = outer ? await (await outer.$('#active-frame'))?.contentFrame() : null;
    if (inner && box && box.width > 0) out.push({ frame: inner, width: box.width });
  }
  return out;
}

/** Like waitFor, with a page that may be mid-navigation: a probe that throws counts as not yet. */
function until<T>(what: string, get: () => Promise<T | undefined | null | false>, timeoutMs = 90_000): Promise<T> {
  return waitFor(what, () => get().catch(() => undefined), { timeoutMs, everyMs: 250 });
}

/**
 * Picks a colour theme with the theme picker (Ctrl+K Ctrl+T), as a user does. The `workbench.colorTheme` user
 * setting alone did not take effect in this web workbench (it came up in Light+ whatever the setting said).
 */
async function selectColorTheme(wb: Workbench, theme: string): Promise<void> {
  await wb.page.locator('.part.statusbar').waitFor({ timeout: 60_000 });
  const input = wb.page.locator('.quick-input-widget input[type="text"]');
  const row = wb.page.locator('.quick-input-list .monaco-list-row', { hasText: theme }).first();
  // Opened too early (themes still registering), the picker shows an empty list and keeps it: close, retry.
  await until('the theme picker with its list', async () => {
    await wb.page.keyboard.press('Control+K');
    await wb.page.keyboard.press('Control+T');
    const shown = await row.waitFor({ state: 'visible', timeout: 4000 }).then(
      () => true,
      () => false,
    );
    if (!shown) await wb.page.keyboard.press('Escape');
    return shown;
  });
  await input.fill(theme);
  await wb.page.locator('.quick-input-list .monaco-list-row', { hasText: theme }).first().waitFor({ timeout: 15_000 });
  await wb.page.waitForTimeout(200);
  await input.press('Enter');
  await wb.page.locator('.quick-input-widget').waitFor({ state: 'hidden', timeout: 15_000 });
}

/** The end of the extension's output channel ("TCP State Viewer"), as code-server writes it under the user data dir. */
function extensionLogTail(wb: Workbench, lines = 40): string {
  const logs = join(wb.server.userDataDir, 'logs');
  if (!existsSync(logs)) return '(no logs folder)';
  const files = readdirSync(logs, { recursive: true })
    .map(String)
    .filter((f) => f.endsWith('TCP State Viewer.log'));
  return files.map((f) => `${f}:\n${readFileSync(join(logs, f), 'utf8').split('\n').slice(-lines).join('\n')}`).join('\n') || '(no TCP State Viewer log)';
}

/** What the panel's figure looks like on screen, measured in the webview's document (getBoundingClientRect). */
export interface FigureMeasure {
  /**
   * The space the figure is given: the diagram pane's width, from its top to the bottom of the webview (the page
   * is the editor panel's whole area), and the drawn figure in it (the union of its nodes and edges on screen).
   */
  box: { w: number; h: number };
  figure: { w: number; h: number };
  /** Heights of the edge label lines and of the state names, in CSS px (their rendered boxes). */
  edgeLabelHeights: number[];
  nodeNameHeights: number[];
  /** Their font sizes on screen: the computed font-size times the SVG's scale on screen (getScreenCTM). */
  edgeFontPx: number[];
  nodeFontPx: number[];
  /** Edge labels drawn outside the figure's box. */
  outside: number;
}

export async function measureFigure(frame: Frame): Promise<FigureMeasure> {
  return frame.locator('.diagram-pane').evaluate((box) => {
    type El = typeof box;
    const r = (e: El) => e.getBoundingClientRect();
    const pane = r(box);
    const b = { left: pane.left, right: pane.right, top: pane.top, bottom: box.ownerDocument.documentElement.clientHeight, width: pane.width, height: box.ownerDocument.documentElement.clientHeight - pane.top };
    const svgEl = box.querySelector('svg');
    let x0 = Infinity;
    let y0 = Infinity;
    let x1 = -Infinity;
    let y1 = -Infinity;
    for (const g of box.querySelectorAll<El>('g.nodes, g.edges')) {
      const q = r(g);
      x0 = Math.min(x0, q.left);
      y0 = Math.min(y0, q.top);
      x1 = Math.max(x1, q.right);
      y1 = Math.max(y1, q.bottom);
    }
    const ctm = (svgEl as unknown as { getScreenCTM(): { a: number } | null } | null)?.getScreenCTM()?.a ?? 0;
    const view = box.ownerDocument.defaultView;
    const fontPx = (e: El): number => Number.parseFloat(view?.getComputedStyle(e).fontSize ?? '0') * ctm;
    const edgeLines = [...box.querySelectorAll<El>('.edge-label tspan')].filter((t) => (t.textContent ?? '') !== '');
    const names = [...box.querySelectorAll<El>('.node-name')];
    const visible = (e: El): boolean => view?.getComputedStyle(e).visibility !== 'hidden' && view?.getComputedStyle(e).display !== 'none';
    const shownLines = edgeLines.filter((t) => visible(t));
    const round = (n: number): number => Math.round(n * 10) / 10;
    return {
      box: { w: round(b.width), h: round(b.height) },
      figure: { w: round(x1 - x0), h: round(y1 - y0) },
      edgeLabelHeights: shownLines.map((t) => round(r(t).height)).sort((a, b2) => a - b2),
      nodeNameHeights: names.map((t) => round(r(t).height)).sort((a, b2) => a - b2),
      edgeFontPx: shownLines.map((t) => round(fontPx(t))).sort((a, b2) => a - b2),
      nodeFontPx: names.map((t) => round(fontPx(t))).sort((a, b2) => a - b2),
      outside: shownLines.filter((t) => {
        const q = r(t);
        return q.left < b.left - 0.5 || q.right > b.right + 0.5 || q.top < b.top - 0.5 || q.bottom > b.bottom + 0.5;
      }).length,
    };
  });
}

const median = (xs: number[]): number => (xs.length ? xs[Math.floor(xs.length / 2)] : NaN);

/** One `ui fact:` line for the note: the figure against its box, and the label sizes (min / median). */
function printFigure(where: string, m: FigureMeasure): void {
  console.log(
    `ui fact: ${where}: figure ${m.figure.w}x${m.figure.h} in a box of ${m.box.w}x${m.box.h}; edge label lines ${m.edgeLabelHeights.length}, height min ${m.edgeLabelHeights[0]} median ${median(m.edgeLabelHeights)} px, font min ${m.edgeFontPx[0]} px; state names height min ${m.nodeNameHeights[0]} px, font min ${m.nodeFontPx[0]} px; labels outside the box ${m.outside}`,
  );
}

async function count(frame: Frame, state: string): Promise<number> {
  return Number((await frame.locator(`.node[data-state="${state}"] .count`).textContent()) ?? 'NaN');
}

const THEMES = { dark: 'Default Dark Modern', light: 'Default Light Modern', hc: 'Default High Contrast' } as const;

/** The editor panel's document: the widest webview, once it shows the 11 states. */
async function panelDocument(wb: Workbench): Promise<Frame | undefined> {
  const docs = await webviewDocuments(wb);
  const wide = docs.sort((a, b) => b.width - a.width)[0];
  return wide && wide.width > 700 && (await wide.frame.locator('.node').count()) === 11 ? wide.frame : undefined;
}

/**
 * The panel's figure uses the space it is given (at least 85 % of it on both axes) and its labels are drawn at
 * 11 px or more, all inside that space. Prints what it measured.
 */
async function checkPanelFigure(panel: Frame, where: string): Promise<void> {
  // The layout follows the pane's size: wait until two measures a moment apart agree.
  let m = await measureFigure(panel);
  for (let i = 0; i < 20; i++) {
    await panel.page().waitForTimeout(250);
    const again = await measureFigure(panel);
    if (JSON.stringify(again) === JSON.stringify(m)) break;
    m = again;
  }
  printFigure(where, m);
  assert.ok(m.figure.w >= 0.85 * m.box.w && m.figure.h >= 0.85 * m.box.h, `the figure (${m.figure.w}x${m.figure.h}) fills its space (${m.box.w}x${m.box.h}) on both axes`);
  assert.ok(m.edgeLabelHeights.length >= 20, `edge labels are shown (${m.edgeLabelHeights.length} lines)`);
  assert.ok(m.edgeFontPx[0] >= 11, `edge labels at ${m.edgeFontPx[0]} px or more, not under 11`);
  assert.ok(m.nodeFontPx[0] >= 11, `state names at ${m.nodeFontPx[0]} px or more, not under 11`);
  assert.equal(m.outside, 0, 'every edge label inside the figure\'s space');
}

/**
 * Developer: Reload Window brings the editor panel back (its WebviewPanelSerializer), with its content and what
 * the user had chosen in it: the state filter and the selected connection.
 */
async function reloadBringsPanelBack(wb: Workbench, panel: Frame): Promise<void> {
  await panel.locator('.node[data-state="CLOSE-WAIT"]').click();
  await until('the CLOSE-WAIT filter', async () => ((await panel.locator('.node[data-state="CLOSE-WAIT"]').getAttribute('class')) ?? '').includes('filtered'), 10_000);
  const row = panel.locator('.conn-row', { hasText: 'CLOSE-WAIT' }).first();
  await row.click();
  const chosen = await until('the selected row', async () => (await panel.locator('.conn-row.selected .endpoints').textContent()) ?? undefined, 10_000);
  await wb.runCommand('Developer: Reload Window');
  await wb.page.waitForTimeout(2000);
  await wb.page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
  const back = await until('the diagram panel after the reload', () => panelDocument(wb), 90_000);
  await until('live counts in the restored panel', async () => (await count(back, 'LISTEN')) >= 2 && (await count(back, 'CLOSE-WAIT')) >= 1, 60_000);
  await until('the filter restored', async () => ((await back.locator('.node[data-state="CLOSE-WAIT"]').getAttribute('class')) ?? '').includes('filtered'), 30_000);
  const selected = await until('the selection restored', async () => (await back.locator('.conn-row.selected .endpoints').textContent()) ?? undefined, 30_000);
  assert.equal(selected, chosen, 'the same connection is selected after the reload');
  await back.locator('.ladder').waitFor({ state: 'visible', timeout: 15_000 });
  console.log(`ui fact: after Developer: Reload Window the panel is back with the CLOSE-WAIT filter and ${selected} selected`);
  await wb.page.mouse.move(5, 5);
  await wb.screenshot('diagram-panel-after-reload-dark');
}

async function diagramInTheme(theme: keyof typeof THEMES): Promise<void> {
  const colorTheme = THEMES[theme];
  // The default viewport, 1400x900: the editor area beside the default sidebar is about 1050x810.
  await withWorkbench({ settings: { 'workbench.colorTheme': colorTheme } }, async (wb) => {
    const cspViolations: string[] = [];
    wb.page.on('console', (m) => {
      if (/Content Security Policy|Refused to (load|apply|execute)/i.test(m.text())) cspViolations.push(m.text());
    });
    const sockets = await startSockets(wb.workspace);
    try {
      await selectColorTheme(wb, colorTheme);
      const themeClass = { dark: 'vs-dark', light: 'vs', hc: 'hc-black' }[theme];
      await until(`the workbench in ${colorTheme}`, async () => ((await wb.page.locator('.monaco-workbench').getAttribute('class')) ?? '').split(' ').includes(themeClass), 20_000);
      await wb.openTcpContainer();
      await wb.waitForViews(['Connections', 'State Diagram']);
      // The tree and the diagram share the sidebar; give the diagram the room (collapse the tree by its title).
      const connectionsHeader = wb.page.locator('.part.sidebar .pane-header', { hasText: 'Connections' }).first();
      if ((await connectionsHeader.getAttribute('aria-expanded')) === 'true') await connectionsHeader.locator('h3.title').click();

      const sidebar = await until('the diagram view', async () => (await webviewDocuments(wb))[0]?.frame);
      if (theme === 'hc') assert.ok((await sidebar.locator('body').getAttribute('class'))?.includes('vscode-high-contrast'), 'VS Code tells the webview it is High Contrast');
      await sidebar.locator('.node').nth(10).waitFor({ timeout: 60_000 });
      const names = await sidebar.locator('.nodes .node .node-name').allTextContents();
      assert.deepEqual([...names].sort(), [...STATES].sort(), 'the 11 states of RFC 9293');
      assert.ok((await sidebar.locator('#app').getAttribute('class'))?.includes('narrow'), 'the sidebar gets the portrait layout');
      // The page runs under its own CSP, and under it vscode-elements still styles its shadow roots (through
      // adoptedStyleSheets, which style-src does not govern) and our stylesheet applies.
      const csp = (await sidebar.locator('meta[http-equiv="Content-Security-Policy"]').getAttribute('content')) ?? '';
      assert.match(csp, /^default-src 'none'; style-src [^;]+; script-src 'nonce-[A-Za-z0-9+/=]+'/);
      const sheets = await sidebar.locator('vscode-button.pause').evaluate((el) => (el as unknown as { shadowRoot: { adoptedStyleSheets: unknown[] } | null }).shadowRoot?.adoptedStyleSheets.length ?? 0);
      assert.ok(sheets > 0, 'vscode-button has its constructed stylesheet');
      const nodeFill = await sidebar.locator('.node[data-state="LISTEN"] .node-box').evaluate((el) => el.ownerDocument.defaultView?.getComputedStyle(el).fill ?? '');
      assert.notEqual(nodeFill, 'rgb(0, 0, 0)', 'dist/webview.css applies (a node is not the SVG default black)');
      // Live counts from the real socket table: the two listeners and the connections to them.
      await until('live counts', async () => (await count(sidebar, 'LISTEN')) >= 2 && (await count(sidebar, 'ESTABLISHED')) >= 6 && (await count(sidebar, 'CLOSE-WAIT')) >= 1);
      await until('a TIME-WAIT from the client that hangs up', async () => (await count(sidebar, 'TIME-WAIT')) >= 1);
      await wb.screenshot(`diagram-sidebar-${theme}`);

      await sidebar.locator('.node[data-state="CLOSE-WAIT"]').hover();
      await sidebar.locator('#diagram-tooltip').waitFor({ state: 'visible' });
      assert.match((await sidebar.locator('#diagram-tooltip .tip-summary').textContent()) ?? '', /\S/);
      await wb.screenshot(`diagram-tooltip-${theme}`);

      // Hidden, the view gets nothing; shown again, its (reloaded) page asks and gets the full state again.
      const diagramHeader = wb.page.locator('.part.sidebar .pane-header', { hasText: 'State Diagram' }).first();
      await diagramHeader.locator('h3.title').click();
      await until('the diagram view hidden', async () => (await diagramHeader.getAttribute('aria-expanded')) === 'false', 10_000);
      await wb.page.waitForTimeout(1500);
      await diagramHeader.locator('h3.title').click();
      const again = await until('the diagram view back', async () => {
        const doc = (await webviewDocuments(wb))[0]?.frame;
        return doc && (await doc.locator('.node').count()) === 11 && (await count(doc, 'LISTEN')) >= 2 ? doc : undefined;
      }, 30_000);
      assert.ok((await count(again, 'ESTABLISHED')) >= 6, 'counts are back after the view was hidden');

      await wb.runCommand('TCP: Open State Diagram');
      const panel = await until('the diagram panel', () => panelDocument(wb));
      assert.ok((await panel.locator('#app').getAttribute('class'))?.includes('wide'), 'the panel gets the landscape layout');
      await checkPanelFigure(panel, `panel ${theme}`);
      // Select the connection the server never closed: its ladder shows the handshake (reconstructed) and the FIN.
      const row = panel.locator('.conn-row', { hasText: 'CLOSE-WAIT' }).first();
      await row.waitFor({ timeout: 30_000 });
      await row.click();
      await panel.locator('.ladder').waitFor({ state: 'visible' });
      const ladder = await panel.locator('.ladder-row .pill, .ladder-row .seg-label').allTextContents();
      assert.ok(ladder.includes('CLOSE-WAIT') && ladder.includes('FIN'), `ladder rows: ${ladder.join(' ')}`);
      await wb.page.mouse.move(5, 5);
      await wb.page.waitForTimeout(300);
      await wb.screenshot(`diagram-panel-${theme}`);
      assert.deepEqual(cspViolations, [], 'no Content-Security-Policy violations');
      if (theme === 'dark') await reloadBringsPanelBack(wb, panel);
    } catch (e) {
      console.log(`  extension log:\n${extensionLogTail(wb)}`);
      throw e;
    } finally {
      sockets.kill();
    }
  });
}

export const uiChecks: UiCheck[] = [
  { name: 'the State Diagram shows the 11 states with live counts, tooltips and a ladder (dark theme)', run: () => diagramInTheme('dark') },
  { name: 'the State Diagram in the light theme', run: () => diagramInTheme('light') },
  { name: 'the State Diagram in High Contrast', run: () => diagramInTheme('hc') },
];
