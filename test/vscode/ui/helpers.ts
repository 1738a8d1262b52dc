// Shared by the UI checks of the Connections view, snapshots and Who Uses Port (ux.ui.ts, port.ui.ts,
// l10n.ui.ts): a workload with a CLOSE-WAIT leak, the theme picker, the sidebar's width, tooltips and rows.
import * as assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Locator } from 'playwright-core';
import type { Workbench } from '../workbench';
import { waitFor } from '../../common/wait';

// The leaking server, run in the workspace: `hold` never closes its end (allowHalfOpen), so each client's FIN
// leaves a CLOSE-WAIT socket; `keep` answers and ends a connection when told "close" (its end goes to TIME-WAIT).
const LEAK_SERVER_JS = `
const net = require('net');
const hold = net.createServer({ allowHalfOpen: true }, (s) => s.resume());
const keep = net.createServer((s) => s.on('data', (d) => { if (String(d).includes('close')) s.end(); }));
hold.listen(0, '127.0.0.1', () => keep.listen(0, '127.0.0.1', () => {
  console.log(JSON.stringify({ pid: process.pid, hold: hold.address().port, keep: keep.address().port }));
}));
setInterval(() => {}, 1 << 30);
`;

// Its peer, run outside the workspace (it is in scope as the loopback peer): LEAKS connections it half-closes
// and keeps (FIN-WAIT-2 here, CLOSE-WAIT on the server), three that stay, one the server closes (TIME-WAIT).
const PEER_JS = `
const net = require('net');
const [hold, keep, leaks] = process.argv.slice(-3).map(Number);
const open = [];
for (let i = 0; i < leaks; i++) {
  const c = net.connect({ port: hold, host: '127.0.0.1', allowHalfOpen: true }, () => c.end());
  open.push(c);
}
for (let i = 0; i < 3; i++) open.push(net.connect(keep, '127.0.0.1'));
const tw = net.connect(keep, '127.0.0.1', () => tw.write('close'));
open.push(tw);
console.log('ready');
setInterval(() => {}, 1 << 30);
`;

export interface LeakScenario {
  pid: number;
  hold: number;
  keep: number;
  leaks: number;
  stop(): void;
}

/** Starts the leaking server in the workspace (`node leak-server.cjs`) and its peer outside it. */
export async function startLeakScenario(workspace: string, leaks = 6): Promise<LeakScenario> {
  const serverFile = join(workspace, 'leak-server.cjs');
  writeFileSync(serverFile, LEAK_SERVER_JS);
  const server = spawn(process.execPath, [serverFile], { cwd: workspace, stdio: ['ignore', 'pipe', 'inherit'] });
  const ready = await new Promise<{ pid: number; hold: number; keep: number }>((resolve, reject) => {
    server.once('error', reject);
    server.stdout?.once('data', (d: Buffer) => resolve(JSON.parse(String(d)) as { pid: number; hold: number; keep: number }));
  });
  const peerDir = mkdtempSync(join(tmpdir(), 'tcpsv-peer-'));
  writeFileSync(join(peerDir, 'client.cjs'), PEER_JS);
  const peer: ChildProcess = spawn(process.execPath, [join(peerDir, 'client.cjs'), String(ready.hold), String(ready.keep), String(leaks)], { cwd: peerDir, stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    peer.once('error', reject);
    peer.stdout?.once('data', () => resolve());
  });
  return {
    ...ready,
    leaks,
    stop() {
      peer.kill();
      server.kill();
      rmSync(peerDir, { recursive: true, force: true });
    },
  };
}

export const THEMES = { dark: 'Default Dark Modern', light: 'Default Light Modern', hc: 'Default High Contrast' } as const;
export type ThemeName = keyof typeof THEMES;

/**
 * Picks a colour theme in "Preferences: Color Theme" as a user does: in this web workbench the
 * `workbench.colorTheme` user setting alone leaves Light+ on screen.
 */
export async function selectColorTheme(wb: Workbench, theme: string): Promise<void> {
  const input = wb.page.locator('.quick-input-widget input[type="text"]');
  const row = wb.page.locator('.quick-input-list .monaco-list-row', { hasText: theme }).first();
  // Keybindings work once the workbench has finished starting, and a picker opened too early shows an empty
  // list: close and try again until the theme is listed.
  await waitFor(
    'the theme picker with its list',
    async () => {
      await wb.page.keyboard.press('Escape');
      await wb.page.mouse.click(900, 450);
      await wb.page.keyboard.press('Control+K');
      await wb.page.keyboard.press('Control+T');
      return row.waitFor({ state: 'visible', timeout: 4000 }).then(
        () => true,
        () => false,
      );
    },
    { timeoutMs: 60_000, everyMs: 100 },
  );
  await input.fill(theme);
  await wb.page.locator('.quick-input-list .monaco-list-row', { hasText: theme }).first().waitFor({ timeout: 15_000 });
  await input.press('Enter');
  await wb.page.locator('.quick-input-widget').waitFor({ state: 'hidden', timeout: 15_000 });
  // The workbench's class names the theme file once it is applied: `...-themes-dark_modern-json`, `hc_black`.
  const slug = theme === THEMES.hc ? 'hc_black' : `themes-${theme.toLowerCase().replace('default ', '').replace(/ /g, '_')}-json`;
  await waitFor(`theme ${theme} applied`, async () => ((await wb.page.locator('.monaco-workbench').getAttribute('class')) ?? '').includes(slug), { timeoutMs: 15_000, everyMs: 200 });
}

/** Drags the sidebar's edge to `width` px (VS Code keeps it within its minimum, 170 px). */
export async function setSidebarWidth(wb: Workbench, width: number): Promise<number> {
  const sidebar = wb.page.locator('.part.sidebar');
  const box = await sidebar.boundingBox();
  assert.ok(box);
  const y = box.y + box.height / 2;
  await wb.page.mouse.move(box.x + box.width - 1, y);
  await wb.page.mouse.down();
  await wb.page.mouse.move(box.x + width - 1, y, { steps: 8 });
  await wb.page.mouse.up();
  await wb.page.mouse.move(900, 450);
  return (await sidebar.boundingBox())?.width ?? 0;
}

/** Collapses the State Diagram pane so the Connections view has the sidebar's height. */
export async function collapseDiagramPane(wb: Workbench, title = 'State Diagram'): Promise<void> {
  const header = wb.page.locator('.part.sidebar .pane-header', { hasText: title }).first();
  if ((await header.getAttribute('aria-expanded')) === 'true') await header.click();
}

export function treeRow(wb: Workbench, text: string | RegExp): Locator {
  return wb.page.locator('.part.sidebar .monaco-list-row[role=treeitem]', { hasText: text }).first();
}

/** Waits until every wanted text is the label of some row of the sidebar's trees. */
export async function waitForRowLabels(wb: Workbench, wanted: (string | RegExp)[], timeoutMs = 90_000): Promise<string[]> {
  let rows: string[] = [];
  try {
    return await waitFor(
      'tree rows',
      async () => {
        rows = await wb.treeRowLabels();
        return wanted.every((w) => rows.some((r) => (typeof w === 'string' ? r === w : w.test(r)))) ? rows : undefined;
      },
      { timeoutMs, everyMs: 250 },
    );
  } catch {
    throw new Error(`tree rows [${rows.join(' | ')}] lack some of [${wanted.join(' | ')}]`);
  }
}

/** The workbench hover (tree item tooltips, status bar tooltips) once it shows `text`. */
export async function hoverTooltip(wb: Workbench, target: Locator, text: string | RegExp): Promise<Locator> {
  const hover = wb.page.locator('.workbench-hover, .monaco-hover', { hasText: text }).last();
  await waitFor(
    `the tooltip with ${String(text)}`,
    async () => {
      await wb.page.mouse.move(900, 10);
      await target.hover();
      return hover.waitFor({ state: 'visible', timeout: 3000 }).then(
        () => true,
        () => false,
      );
    },
    { timeoutMs: 30_000, everyMs: 100 },
  );
  return hover;
}

/**
 * Words of a hover that a line break cuts in two: each hyphenated word (CLOSE-WAIT, written with U+2011 or '-')
 * whose characters are laid out on more than one line. Also how many lines the text took, to know it wrapped.
 */
export async function brokenWords(hover: Locator): Promise<{ broken: string[]; words: number; lines: number }> {
  return hover.evaluate((root) => {
    const broken: string[] = [];
    let words = 0;
    const tops = new Set<number>();
    const walker = root.ownerDocument.createTreeWalker(root, 4 /* NodeFilter.SHOW_TEXT */);
    for (let n = walker.nextNode(); n !== null; n = walker.nextNode()) {
      const text = n.textContent ?? '';
      const range = root.ownerDocument.createRange();
      for (const m of text.matchAll(/[A-Z]+(?:[-\u2011][A-Z0-9]+)+/g)) {
        words++;
        range.setStart(n, m.index ?? 0);
        range.setEnd(n, (m.index ?? 0) + m[0].length);
        const lineTops = new Set([...range.getClientRects()].map((r) => Math.round(r.top)));
        if (lineTops.size > 1) broken.push(m[0]);
      }
      if (text.trim() !== '') {
        range.selectNodeContents(n);
        for (const r of range.getClientRects()) tops.add(Math.round(r.top));
      }
    }
    return { broken, words, lines: tops.size };
  });
}

/**
 * Connection rows whose label (not the description) is cut by the view's width. The selected row is counted
 * apart: it also shows its inline actions (tcp_info), which take the row's end.
 */
export async function cutRowLabels(wb: Workbench): Promise<{ cut: string[]; cutSelected: string[]; rows: number }> {
  return wb.page.locator('.part.sidebar .monaco-list-row[role=treeitem]').evaluateAll((rows) => {
    const cut: string[] = [];
    const cutSelected: string[] = [];
    let n = 0;
    for (const row of rows) {
      const name = row.querySelector('.label-name');
      const box = row.querySelector('.monaco-icon-label-container');
      if (!name || !box || !/→|:\d+$/.test(name.textContent ?? '')) continue;
      n++;
      if (name.getBoundingClientRect().right <= box.getBoundingClientRect().right + 0.5) continue;
      (row.classList.contains('selected') || row.classList.contains('focused') ? cutSelected : cut).push(name.textContent ?? '');
    }
    return { cut, cutSelected, rows: n };
  });
}

/**
 * The viewport position of the middle of `target` on the last terminal row that holds `line` (the DOM renderer:
 * each row is a div of spans), or undefined when no such row is on screen.
 */
export async function terminalTextPosition(wb: Workbench, line: string, target: string): Promise<{ x: number; y: number } | undefined> {
  const row = wb.page.locator('.terminal-wrapper.active .xterm-rows > div', { hasText: line }).last();
  if ((await row.count()) === 0) return undefined;
  return row.evaluate((el, wanted) => {
    const walker = el.ownerDocument.createTreeWalker(el, 4 /* NodeFilter.SHOW_TEXT */);
    let seen = '';
    const nodes: { node: NonNullable<ReturnType<typeof walker.nextNode>>; start: number }[] = [];
    for (let n = walker.nextNode(); n !== null; n = walker.nextNode()) {
      nodes.push({ node: n, start: seen.length });
      seen += n.textContent ?? '';
    }
    const at = seen.indexOf(wanted);
    if (at < 0) return undefined;
    const mid = at + Math.floor(wanted.length / 2);
    const hit = [...nodes].reverse().find((x) => x.start <= mid);
    if (!hit) return undefined;
    const range = el.ownerDocument.createRange();
    range.setStart(hit.node, mid - hit.start);
    range.setEnd(hit.node, mid - hit.start + 1);
    const r = range.getBoundingClientRect();
    return { x: r.left + r.width / 2, y: r.top + r.height / 2 };
  }, target);
}
