// Live and lasting, as a user sees it in the real VS Code: with the Connections view open, a server started in the
// workspace shows up in the tree within a second or so of its listen(); its age keeps counting across a window
// reload (the model keeps the lifecycles in the workspace memento; the new worker continues them).
import * as assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { withWorkbench, type UiCheck, type Workbench } from '../workbench';

// Listens, then prints its port and the time of the listen() callback.
const SERVER_JS = `
const net = require('net');
const s = net.createServer(() => {});
s.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ pid: process.pid, port: s.address().port, at: Date.now() })));
setInterval(() => {}, 1 << 30);
`;

interface Ready {
  pid: number;
  port: number;
  at: number;
}

function startServer(cwd: string): Promise<{ child: ChildProcess; ready: Ready }> {
  const file = join(cwd, 'live-server.cjs');
  writeFileSync(file, SERVER_JS);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [file], { cwd, stdio: ['ignore', 'pipe', 'inherit'] });
    child.once('error', reject);
    child.stdout?.once('data', (d: Buffer) => resolve({ child, ready: JSON.parse(String(d)) as Ready }));
  });
}

/** The description of the tree row labelled `label` (`node live-server.cjs 4242 · 18 s`), or undefined. */
async function rowDescription(wb: Workbench, label: string): Promise<string | undefined> {
  const row = wb.page.locator('.sidebar .monaco-list-row[role=treeitem]').filter({ has: wb.page.locator('.label-name', { hasText: label }) }).first();
  if ((await row.count()) === 0) return undefined;
  return (await row.locator('.label-description').textContent()) ?? undefined;
}

/** Seconds of a duration as the tree prints it at its end: `850 ms`, `3.2 s`, `42 s`, `5 min 3 s`, `12 min`. */
function ageSeconds(description: string): number {
  const m = /(?:(\d+) min(?: (\d+) s)?|(\d+(?:\.\d)?) s|(\d+) ms)$/.exec(description.trim());
  assert.ok(m, `no age at the end of "${description}"`);
  if (m[1] !== undefined) return Number(m[1]) * 60 + Number(m[2] ?? 0);
  if (m[3] !== undefined) return Number(m[3]);
  return Number(m[4]) / 1000;
}

async function until<T>(wb: Workbench, what: string, get: () => Promise<T | undefined>, timeoutMs: number, everyMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await get().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await wb.page.waitForTimeout(everyMs);
  }
}

async function liveAndLasting(): Promise<void> {
  await withWorkbench({}, async (wb) => {
    await wb.openTcpContainer();
    await wb.waitForViews(['Connections']);
    // The view is open and sampling: give the first (cold) read time to pass, then start the server.
    await wb.page.waitForTimeout(5000);
    const { child, ready } = await startServer(wb.workspace);
    try {
      const label = `127.0.0.1:${ready.port}`;
      await until(wb, `the row ${label}`, () => rowDescription(wb, label), 30_000);
      const shownMs = Date.now() - ready.at;
      console.log(`ui fact: listen() to the row in the Connections tree: ${shownMs} ms`);
      // Generous for a loaded CI machine; the figure is printed for the note.
      assert.ok(shownMs < 10_000, `the row came ${shownMs} ms after the listen()`);

      // Let it age, then reload the window: the age goes on from where it was.
      await wb.page.waitForTimeout(12_000);
      const before = ageSeconds((await rowDescription(wb, label)) ?? '');
      assert.ok(before >= 10, `aged ${before} s before the reload`);
      await wb.screenshot('live-before-reload');
      await wb.runCommand('Developer: Reload Window');
      await wb.page.waitForTimeout(2000);
      await wb.page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
      await wb.openTcpContainer();
      const after = await until(wb, `the row ${label} after the reload`, async () => {
        const d = await rowDescription(wb, label);
        return d === undefined ? undefined : ageSeconds(d);
      }, 60_000, 250);
      await wb.screenshot('live-after-reload');
      console.log(`ui fact: the listener's age before the reload ${before} s, after it ${after} s`);
      assert.ok(after >= before, `the age went on (${before} s before the reload, ${after} s after), not from 0`);
    } finally {
      child.kill();
    }
  });
}

export const uiChecks: UiCheck[] = [
  {
    name: 'a server started with the Connections view open shows up at once, and its age survives a window reload',
    run: liveAndLasting,
  },
];
