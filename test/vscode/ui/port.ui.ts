// "TCP: Who Uses Port…" and the terminal link of an EADDRINUSE error, in the real workbench: a server the test
// starts outside the workspace holds a port; the command finds it with its owner, its Stop Process is refused
// with the reason (a process this window did not start), and a second server started in the integrated terminal
// on that port fails with Node's EADDRINUSE line, whose address:port is a link to the same answer.
// Screenshots: test-artifacts/ux-port-*.png.
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { withWorkbench, type UiCheck, type Workbench } from '../workbench';
import { waitFor } from '../../common/wait';
import { terminalTextPosition } from './helpers';

const OUTSIDER_JS = `
const s = require('net').createServer(() => {});
s.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ pid: process.pid, port: s.address().port })));
setInterval(() => {}, 1 << 30);
`;

async function startOutsider(): Promise<{ pid: number; port: number; stop(): void; alive(): boolean }> {
  const dir = mkdtempSync(join(tmpdir(), 'tcpsv-outsider-'));
  writeFileSync(join(dir, 'outsider.cjs'), OUTSIDER_JS);
  const child = spawn(process.execPath, [join(dir, 'outsider.cjs')], { cwd: dir, stdio: ['ignore', 'pipe', 'inherit'] });
  const ready = await new Promise<{ pid: number; port: number }>((resolve, reject) => {
    child.once('error', reject);
    child.stdout?.once('data', (d: Buffer) => resolve(JSON.parse(String(d)) as { pid: number; port: number }));
  });
  return {
    ...ready,
    alive: () => child.exitCode === null && child.signalCode === null,
    stop() {
      child.kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The quick pick Who Uses Port shows for `port`, once its row for `owner` is there. */
async function portPick(wb: Workbench, port: number, owner: string): Promise<void> {
  await wb.page.locator('.quick-input-widget .quick-input-title', { hasText: new RegExp(`^Port ${port}: 1 listening`) }).waitFor({ timeout: 30_000 });
  await wb.page.locator('.quick-input-list .monaco-list-row', { hasText: owner }).first().waitFor({ timeout: 10_000 });
}

async function whoUsesPortWalk(): Promise<void> {
  // The DOM renderer: the terminal's text is in the page (WebGL draws it on a canvas).
  await withWorkbench({ settings: { 'terminal.integrated.gpuAcceleration': 'off' } }, async (wb) => {
    const o = await startOutsider();
    const owner = `node outsider.cjs ${o.pid}`;
    try {
      await wb.openTcpContainer();
      await wb.waitForViews(['Connections']);
      // From the Command Palette; the palette's box then asks for the port (so not wb.runCommand, which waits
      // for the box to close).
      await wb.page.keyboard.press('F1');
      const input = wb.page.locator('.quick-input-widget input[type="text"]');
      await input.waitFor({ state: 'visible', timeout: 15_000 });
      await input.fill('>TCP: Who Uses Port');
      await wb.page.locator('.quick-input-list .monaco-list-row', { hasText: 'TCP: Who Uses Port...' }).first().waitFor({ timeout: 15_000 });
      await input.press('Enter');
      await wb.page.locator('.quick-input-widget .quick-input-title', { hasText: 'Who Uses Port' }).waitFor({ timeout: 15_000 });
      await input.fill(String(o.port));
      await input.press('Enter');
      await portPick(wb, o.port, owner);
      await wb.screenshot('ux-port-pick', 'who-uses-port');

      // Its Stop button: the guard refuses a process this window did not start, and says why.
      const row = wb.page.locator('.quick-input-list .monaco-list-row', { hasText: owner }).first();
      await row.hover();
      await row.locator('.action-label.codicon-debug-stop').click();
      await waitFor('the refusal', async () => (await wb.notifications()).some((n) => n.includes(`Process ${o.pid} was not started from this workspace`)), { timeoutMs: 20_000, everyMs: 200 });
      await wb.screenshot('ux-port-stop-refused');
      assert.ok(o.alive(), 'nothing was sent');

      // A second server on that port, from the integrated terminal: Node's EADDRINUSE line links to the answer.
      await wb.runCommand('Terminal: Create New Terminal');
      const term = wb.page.locator('.terminal-wrapper.active .xterm-rows');
      await term.waitFor({ state: 'visible', timeout: 30_000 });
      await wb.page.waitForTimeout(1000);
      await wb.page.keyboard.type(`node -e "require('net').createServer().listen(${o.port}, '127.0.0.1').on('error', (e) => { console.error(e.message); process.exit(1); })"`);
      await wb.page.keyboard.press('Enter');
      const address = `127.0.0.1:${o.port}`;
      await wb.page.locator('.terminal-wrapper.active .xterm-rows > div', { hasText: `EADDRINUSE: address already in use ${address}` }).first().waitFor({ timeout: 30_000 });
      const link = await terminalTextPosition(wb, `already in use ${address}`, address);
      assert.ok(link, 'the error line on screen');
      const tooltip = wb.page.locator('.workbench-hover, .monaco-hover', { hasText: `Who uses port ${o.port}?` }).last();
      await waitFor(
        'the link\'s tooltip',
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
      await wb.screenshot('ux-port-terminal-link');
      // Ctrl+click follows a terminal link (the default multi-cursor modifier is Alt).
      await wb.page.keyboard.down('Control');
      await wb.page.mouse.click(link.x, link.y);
      await wb.page.keyboard.up('Control');
      await portPick(wb, o.port, owner);
      await wb.screenshot('ux-port-from-terminal');
      await wb.page.keyboard.press('Escape');
    } finally {
      o.stop();
    }
  });
}

export const uiChecks: UiCheck[] = [
  {
    name: 'Who Uses Port: a port held outside the workspace shows its owner, Stop says why it refuses, and the EADDRINUSE line in the terminal links to it',
    run: whoUsesPortWalk,
  },
];
