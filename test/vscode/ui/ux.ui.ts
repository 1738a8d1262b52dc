// The Connections view as a new user meets it (the "User experience" issue), in the real workbench at 1400x900:
// a server in the workspace leaks CLOSE-WAIT sockets to a peer that holds FIN-WAIT-2 ones. Checks that the
// insight names the process as the rows do, that its tooltip never breaks a state name at its hyphen, that a click
// on it filters the tree to the leaking sockets and selects the first, that rows are not cut at the default
// sidebar width, that the status bar counts "other sockets" and says how it samples, and that a snapshot opens
// read-only, previews as Markdown and closes without a prompt. Dark, light, High Contrast, and a narrow sidebar.
// Screenshots: test-artifacts/ux-*.png; with TCPSV_README_SHOTS=1 the dark ones also go to docs/images/.
import * as assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Frame } from 'playwright-core';
import { withWorkbench, type UiCheck, type Workbench } from '../workbench';
import { waitFor } from '../../common/wait';
import { THEMES, brokenWords, collapseDiagramPane, cutRowLabels, hoverTooltip, selectColorTheme, setSidebarWidth, startLeakScenario, treeRow, waitForRowLabels, type LeakScenario, type ThemeName } from './helpers';

// Two rows of `ss -nat` (as in test/unit/fixtures/stateMatcher/ss-nat.txt), for the hover's picture.
const SS_OUTPUT = ['State      Recv-Q Send-Q Local Address:Port  Peer Address:Port Process', 'LISTEN     0      511        127.0.0.1:40311      0.0.0.0:*', 'TIME-WAIT  0      0          127.0.0.1:33254    127.0.0.1:40311', ''].join('\n');

interface Measured {
  sidebarWidth: number;
  rows: number;
  cut: string[];
  cutSelected: string[];
  tooltipLines: number;
  tooltipWords: number;
}

const measured: Record<string, Measured> = {};

/** The insight, its tooltip, its click. Returns what was measured (for the report in the log). */
async function insightWalk(wb: Workbench, s: LeakScenario, shot: string, readme: boolean): Promise<Omit<Measured, 'sidebarWidth' | 'rows' | 'cut' | 'cutSelected'>> {
  const title = new RegExp(`^node leak-server\\.cjs ${s.pid} has ${s.leaks} CLOSE-WAIT sockets not closed`);
  await waitForRowLabels(wb, [title, 'CLOSE-WAIT', 'FIN-WAIT-2']);
  const labels = await wb.treeRowLabels();
  // Insights, then the leak's group, above the peer's FIN-WAIT-2 rows.
  assert.ok(labels.indexOf('CLOSE-WAIT') < labels.indexOf('FIN-WAIT-2'), labels.join(' | '));
  const insight = treeRow(wb, title);
  const tip = await hoverTooltip(wb, insight, 'almost always leaked');
  const words = await brokenWords(tip);
  assert.ok(words.words >= 2 && words.lines >= 2, `the tooltip wraps (${words.lines} lines, ${words.words} state names)`);
  assert.deepEqual(words.broken, [], 'no state name is broken across lines');
  await wb.screenshot(`ux-insight-tooltip-${shot}`, readme ? 'insight' : undefined);

  await wb.page.mouse.move(900, 10);
  await insight.click();
  const selected = wb.page.locator('.part.sidebar .monaco-list-row.selected .label-name');
  const leakingSelected = async (): Promise<boolean> => new RegExp(`^:${s.hold} → :\\d+$`).test((await selected.first().textContent().catch(() => '')) ?? '');
  // A click whose mouseup lands after a redraw of the row only selects it (VS Code opens on the click event,
  // selects on mousedown). The insight's label held the oldest socket's age to the second, so the row was redrawn
  // each second and this happened once in about ten runs; the age now moves in coarse steps (coarseAgeMs). Should a
  // redraw still fall under the click, a user clicks again, and so does this check, once, saying so.
  const clickedOnce = await waitFor('the first leaking row selected', leakingSelected, { timeoutMs: 8_000, everyMs: 200 }).then(
    () => true,
    () => false,
  );
  if (!clickedOnce) {
    console.log('ui fact: the insight click only selected its row (redrawn under the click); clicked again');
    await insight.click();
    await waitFor('the first leaking row selected', leakingSelected, { timeoutMs: 30_000, everyMs: 200 });
  }
  // The selection can land on a leaking row of the unfiltered tree a moment before the list redraws filtered: wait
  // for the rows to be only the leaking sockets (and say what was shown if they never are).
  let after: string[] = [];
  await waitFor(
    'only the leaking sockets',
    async () => {
      after = await wb.treeRowLabels();
      const rows = after.filter((l) => l.includes('→'));
      return rows.length === s.leaks && rows.every((r) => r.startsWith(`:${s.hold} → `)) && !after.includes('FIN-WAIT-2') && !after.includes('LISTEN');
    },
    { timeoutMs: 15_000, everyMs: 200, detail: () => `${s.leaks} expected, the tree showed: ${after.join(' | ')}` },
  );
  await wb.page.locator('.part.sidebar').getByText(/Showing the \d+ sockets of the insight/).waitFor({ timeout: 10_000 });
  await wb.page.mouse.move(900, 450);
  await wb.screenshot(`ux-insight-filtered-${shot}`);
  await wb.runCommand('TCP: Clear Filter');
  return { tooltipLines: words.lines, tooltipWords: words.words };
}

async function snapshotWalk(wb: Workbench, shot: string): Promise<void> {
  await wb.runCommand('TCP: Take Snapshot');
  const tab = wb.page.locator('.tabs-container .tab.active', { hasText: /^tcp-snapshot .*\.md/ });
  await tab.waitFor({ timeout: 30_000 });
  assert.equal(await tab.evaluate((el) => el.classList.contains('dirty')), false, 'the snapshot tab is not dirty');
  const actions = wb.page.locator('.editor-group-container.active .editor-actions');
  await actions.locator('[aria-label="Save Snapshot As..."]').first().waitFor({ timeout: 10_000 });
  // VS Code's own Markdown preview, from the editor title: one click.
  await actions.locator('[aria-label^="Open Preview to the Side"]').first().click({ timeout: 10_000 });
  const preview = await waitFor(
    'the rendered snapshot',
    async () => {
      for (const host of await wb.page.locator('iframe.webview.ready').elementHandles()) {
        const inner: Frame | null | undefined = await (await (await host.contentFrame())?.$('#active-frame'))?.contentFrame();
        if (inner && (await inner.locator('h1', { hasText: 'TCP snapshot' }).count()) > 0) return inner;
      }
      return undefined;
    },
    { timeoutMs: 30_000, everyMs: 250 },
  );
  assert.ok((await preview.locator('table').count()) >= 2, 'the counts and connections render as tables');
  await wb.page.mouse.move(900, 450);
  await wb.screenshot(`ux-snapshot-preview-${shot}`);
  // Close the snapshot's own tab with its close button: no "save changes?" dialog, the tab goes.
  const source = wb.page.locator('.tabs-container .tab', { hasText: /^tcp-snapshot .*\.md$/ }).first();
  await source.hover();
  await source.locator('.tab-actions .action-label').first().click();
  await waitFor('the snapshot tab to close', async () => (await wb.page.locator('.tabs-container .tab', { hasText: /^tcp-snapshot .*\.md$/ }).count()) === 0, { timeoutMs: 10_000 });
  await wb.page.waitForTimeout(500);
  assert.equal(await wb.page.locator('.monaco-dialog-box').count(), 0, 'no dialog asked to save');
}

async function statusBarWalk(wb: Workbench, shot: string): Promise<void> {
  const item = wb.page.locator('.statusbar-item', { hasText: 'ESTAB' }).first();
  await item.waitFor({ state: 'visible', timeout: 30_000 });
  // LISTEN, ESTABLISHED, CLOSE-WAIT, FIN-WAIT-2 and TIME-WAIT: the status bar names three and counts the rest.
  await waitFor('the rest counted as sockets', async () => /\+\d+ other sockets?$/.test((await item.innerText()).trim()), { timeoutMs: 30_000, everyMs: 250 });
  const tip = await hoverTooltip(wb, item, 'Live:');
  const text = (await tip.innerText()).replace(/\s+/g, ' ');
  // How it reads (live, on change, with a heartbeat) and from what.
  assert.match(text, /Live: reads the socket table when a connection opens, closes or changes state \(the kernel's TCP counters are checked every [\d.]+ s\), and at least every [\d.]+ s\./);
  assert.match(text, /The table is (\/proc\/net\/tcp and \/proc\/net\/tcp6, read in-process|read with ss)/);
  await wb.screenshot(`ux-status-tooltip-${shot}`);
  await wb.page.mouse.move(900, 450);
}

/** Pictures for the README that only this walk takes: the hover on a state name, the diagram panel and a ladder. */
async function readmeExtras(wb: Workbench): Promise<void> {
  writeFileSync(join(wb.workspace, 'ss.txt'), SS_OUTPUT);
  await wb.page.keyboard.press('Control+P');
  const input = wb.page.locator('.quick-input-widget input[type="text"]');
  await input.waitFor({ state: 'visible', timeout: 15_000 });
  await input.fill('ss.txt');
  await wb.page.locator('.quick-input-list .monaco-list-row', { hasText: 'ss.txt' }).first().waitFor({ state: 'visible', timeout: 15_000 });
  await input.press('Enter');
  const line = wb.page.locator('.monaco-editor .view-line', { hasText: 'TIME-WAIT' }).first();
  await line.waitFor({ state: 'visible', timeout: 30_000 });
  const box = await line.boundingBox();
  assert.ok(box);
  const hover = wb.page.locator('.monaco-hover-content', { hasText: 'TIME-WAIT' }).first();
  await waitFor(
    'the state hover',
    async () => {
      await wb.page.mouse.move(box.x + box.width / 2, box.y + box.height * 6);
      await wb.page.mouse.move(box.x + 12, box.y + box.height / 2);
      return hover.waitFor({ state: 'visible', timeout: 2000 }).then(
        () => true,
        () => false,
      );
    },
    { timeoutMs: 60_000, everyMs: 100 },
  );
  await wb.screenshot('ux-hover-dark', 'hover');
  await wb.page.keyboard.press('Escape');

  await wb.runCommand('TCP: Open State Diagram');
  const panel = await waitFor(
    'the diagram panel',
    async () => {
      let widest: { frame: Frame; width: number } | undefined;
      for (const host of await wb.page.locator('iframe.webview.ready').elementHandles()) {
        const box2 = await host.boundingBox();
        const inner = await (await (await host.contentFrame())?.$('#active-frame'))?.contentFrame();
        if (inner && box2 && (widest === undefined || box2.width > widest.width)) widest = { frame: inner, width: box2.width };
      }
      return widest && widest.width > 700 && (await widest.frame.locator('.node').count()) === 11 ? widest.frame : undefined;
    },
    { timeoutMs: 60_000, everyMs: 250 },
  );
  await wb.page.mouse.move(5, 5);
  await wb.page.waitForTimeout(1000);
  await wb.screenshot('ux-diagram-panel-dark', 'diagram-panel');
  const row = panel.locator('.conn-row', { hasText: 'CLOSE-WAIT' }).first();
  await row.waitFor({ timeout: 30_000 });
  await row.click();
  await panel.locator('.ladder').waitFor({ state: 'visible', timeout: 15_000 });
  await wb.page.mouse.move(5, 5);
  await wb.page.waitForTimeout(500);
  await wb.screenshot('ux-ladder-dark', 'ladder');
}

async function connectionsWalk(theme: ThemeName, options: { narrow?: boolean; full?: boolean } = {}): Promise<void> {
  const shot = options.narrow ? `${theme}-narrow` : theme;
  // CLOSE-WAIT counts as a leak after 1 s (the setting's minimum), so the insight is there within a few samples.
  await withWorkbench({ settings: { 'tcpStateViewer.insights.closeWaitSeconds': 1, 'tcpStateViewer.highlightSeconds': 0 } }, async (wb) => {
    const s = await startLeakScenario(wb.workspace);
    try {
      await selectColorTheme(wb, THEMES[theme]);
      await wb.openTcpContainer();
      await wb.waitForViews(['Connections']);
      await collapseDiagramPane(wb);
      const sidebarWidth = options.narrow ? await setSidebarWidth(wb, 200) : ((await wb.page.locator('.part.sidebar').boundingBox())?.width ?? 0);
      await waitForRowLabels(wb, [new RegExp(`^:${s.hold} → :\\d+$`), 'LISTEN']);
      const insight = await insightWalk(wb, s, shot, theme === 'dark' && !options.narrow);
      await waitForRowLabels(wb, ['FIN-WAIT-2', 'ESTABLISHED', 'TIME-WAIT']);
      await wb.page.mouse.move(900, 450);
      await wb.page.waitForTimeout(300);
      const rows = await cutRowLabels(wb);
      await wb.screenshot(`ux-tree-${shot}`, theme === 'dark' && !options.narrow ? 'tree' : undefined);
      measured[shot] = { sidebarWidth, rows: rows.rows, cut: rows.cut, cutSelected: rows.cutSelected, ...insight };
      console.log(`    measured (${shot}): ${JSON.stringify(measured[shot])}`);
      assert.deepEqual(rows.cut, [], `row labels cut at a ${sidebarWidth} px sidebar`);
      if (!options.narrow) assert.deepEqual(rows.cutSelected, [], 'at the default width the selected row\'s label fits beside its actions too');
      if (options.full) {
        await statusBarWalk(wb, shot);
        await snapshotWalk(wb, shot);
        await readmeExtras(wb);
      }
    } finally {
      s.stop();
    }
  });
}

export const uiChecks: UiCheck[] = [
  {
    name: 'UX (dark, 1400x900): an insight names its process, wraps without breaking CLOSE-WAIT, and a click shows its sockets; rows fit; status bar; snapshot closes without a prompt',
    run: () => connectionsWalk('dark', { full: true }),
  },
  { name: 'UX in the light theme: the insight, its tooltip and click, rows that fit', run: () => connectionsWalk('light') },
  { name: 'UX in High Contrast: the insight, its tooltip and click, rows that fit', run: () => connectionsWalk('hc') },
  { name: 'UX with a narrow sidebar (200 px): rows still show their ports, the insight still leads to its sockets', run: () => connectionsWalk('dark', { narrow: true }) },
];
