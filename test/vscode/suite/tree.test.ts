// The Connections tree in the real extension host, on real loopback sockets: a server started in an integrated
// terminal shows up under LISTEN and ESTABLISHED with its pid; closing moves its connections to TIME-WAIT and
// CLOSE-WAIT within two samples; scope, grouping and filter change what the tree returns; a Node debug session
// (VS Code's built-in JavaScript debugger) reveals the view and its debuggee's sockets are in scope.
import * as assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { RenderedNode } from '../../../src/views/tree/connectionsTree';
import type { ExtensionApi } from '../../../src/extension';
import { workspaceProcessCheck } from '../../../src/views/tree/treeCommands';
import type { PortUsersResult } from '../../../src/views/tree/whoUsesPort';
import { reportFact } from '../facts';
import { STATE_TEXTS } from '../../../src/domain/stateTexts';
import { sleep, waitFor as waitUntil } from '../../common/wait';

const EXTENSION_ID = 'tcp-state-viewer.tcp-state-viewer';

// Written as .cjs: the demo workspace's package.json says "type": "module".
// Two listeners: on one the server closes first when the client sends "close" (the server's end, which closed
// first, goes to TIME-WAIT), the other never closes (allowHalfOpen): after the client's FIN its end sits in
// CLOSE-WAIT, the state of a leak.
const SERVER_JS = `
const net = require('net');
const fs = require('fs');
const closing = net.createServer((s) => { s.on('data', (d) => { if (String(d).includes('close')) s.end(); }); });
const holding = net.createServer({ allowHalfOpen: true }, (s) => { s.resume(); });
closing.listen(0, '127.0.0.1', () => holding.listen(0, '127.0.0.1', () => {
  fs.writeFileSync(process.argv[process.argv.length - 1], JSON.stringify({ pid: process.pid, closing: closing.address().port, holding: holding.address().port }));
}));
setInterval(() => {}, 1 << 30);
`;

interface Ready {
  pid: number;
  closing: number;
  holding: number;
}


/** The last tree a test rendered and the model's status then, printed when a wait times out. */
let lastRendered: RenderedNode[] = [];
let lastStatus = '';

function dump(nodes: RenderedNode[], indent = ''): string {
  return nodes.map((n) => `${indent}${n.label}  ${n.description}\n${dump(n.children, `${indent}  `)}`).join('');
}

/** Polls until `probe` returns a value; on a timeout the message shows what the tree last showed. */
function waitFor<T>(what: string, probe: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 45_000): Promise<T> {
  return waitUntil(what, probe, { timeoutMs, everyMs: 100, detail: () => `the tree showed (${lastStatus}):\n${dump(lastRendered)}` });
}

/**
 * Checks `probe` after each sample until it holds, forcing a sample (model.sampleNow) when none came within
 * `pauseMs`: the CPU back-off may stretch the loop's interval a lot on a busy machine. Returns the value and how
 * many samples were taken after the call.
 */
async function untilSampled<T>(api: ExtensionApi, what: string, probe: () => Promise<T | undefined | false>, maxSamples = 20, pauseMs = 300): Promise<{ value: T; samples: number }> {
  const start = Date.now();
  const seen = new Set<number>();
  for (;;) {
    const at = api.model.status().lastSampleAt;
    if (at !== null && at >= start) seen.add(at);
    const v = await probe();
    if (v !== undefined && v !== false) return { value: v, samples: seen.size };
    if (seen.size >= maxSamples) throw new Error(`${what}: not seen after ${seen.size} samples; the tree showed (${lastStatus}):\n${dump(lastRendered)}`);
    await sleep(pauseMs);
    if ((api.model.status().lastSampleAt ?? 0) < Date.now() - pauseMs) {
      const sample = await api.model.sampleNow();
      seen.add(sample.takenAt);
    }
  }
}

async function render(api: ExtensionApi): Promise<RenderedNode[]> {
  lastRendered = await api.connectionsTree.render();
  const st = api.model.status();
  lastStatus = `scope ${st.scope}, interval ${st.intervalMs} ms, last sample ${st.lastSampleAt === null ? 'never' : `${Date.now() - st.lastSampleAt} ms ago`}, error ${st.error}`;
  return lastRendered;
}

function readReady(file: string): Ready | undefined {
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Ready;
  } catch {
    return undefined; // half-written
  }
}

function flatten(nodes: RenderedNode[]): RenderedNode[] {
  return nodes.flatMap((n) => [n, ...flatten(n.children)]);
}

function group(tree: RenderedNode[], id: string): RenderedNode | undefined {
  return tree.find((n) => n.id === id);
}

function rowIn(tree: RenderedNode[], groupId: string, label: string): RenderedNode | undefined {
  return group(tree, groupId)?.children.find((r) => r.label === label);
}

function connect(port: number, allowHalfOpen = false): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ port, host: '127.0.0.1', allowHalfOpen }, () => resolve(s));
    s.once('error', reject);
  });
}

describe('Connections tree', function () {
  this.timeout(120_000);
  let api: ExtensionApi;
  let folder: string;
  let work: string;
  const cleanups: (() => void)[] = [];

  before(async () => {
    const ext = vscode.extensions.getExtension<ExtensionApi>(EXTENSION_ID);
    assert.ok(ext, `${EXTENSION_ID} is not loaded`);
    api = await ext.activate();
    const f = vscode.workspace.workspaceFolders?.[0];
    assert.ok(f, 'the test run opens a workspace folder');
    folder = f.uri.fsPath;
    work = join(folder, '.tcpsv-tree-test');
    mkdirSync(work, { recursive: true });
    writeFileSync(join(work, 'srv.cjs'), SERVER_JS);
    await api.model.setScope('workspace');
    api.connectionsTree.setGroupBy('state');
    api.connectionsTree.setFilter('');
    // A visible tree asks the model for full-rate samples.
    await vscode.commands.executeCommand('tcpStateViewer.connections.focus');
    await waitFor('the tree to be visible', () => api.connectionsTree.treeView.visible);
  });

  after(() => {
    for (const c of cleanups.splice(0).reverse()) c();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  describe('a server started in an integrated terminal', () => {
    let ready: Ready;
    let terminal: vscode.Terminal;

    before(async () => {
      const readyFile = join(work, 'terminal-ready.json');
      terminal = vscode.window.createTerminal({ name: 'tcpsv test server', shellPath: process.execPath, shellArgs: [join(work, 'srv.cjs'), readyFile], cwd: folder });
      cleanups.push(() => terminal.dispose());
      ready = await waitFor('the server to listen', () => readReady(readyFile));
    });

    it('appears under LISTEN with the pid of the terminal\'s process', async () => {
      assert.equal(await terminal.processId, ready.pid, 'the terminal runs the server itself');
      const { value: tree } = await untilSampled(api, 'LISTEN rows for both ports', async () => {
        const t = await render(api);
        return rowIn(t, 'state/LISTEN', `127.0.0.1:${ready.closing}`) && rowIn(t, 'state/LISTEN', `127.0.0.1:${ready.holding}`) ? t : undefined;
      });
      const listen = group(tree, 'state/LISTEN');
      assert.ok(listen);
      assert.equal(listen.label, 'LISTEN');
      assert.equal(listen.description, String(listen.children.length), 'the group\'s description is its count');
      const row = rowIn(tree, 'state/LISTEN', `127.0.0.1:${ready.closing}`);
      assert.ok(row);
      assert.match(row.description, new RegExp(`\\b${ready.pid}\\b`), `owner pid in "${row.description}"`);
      assert.match(row.contextValue, /^connection\b.*\blive\b.*\bowned\b/);
    });

    it('shows accepted connections under ESTABLISHED, then TIME-WAIT and CLOSE-WAIT within two samples of closing', async () => {
      const a = await connect(ready.closing);
      const b = await connect(ready.holding);
      cleanups.push(() => a.destroy(), () => b.destroy());
      // Both ends on 127.0.0.1: the rows name the ports alone (the tooltip has the addresses).
      const serverA = `:${ready.closing} → :${a.localPort}`;
      const serverB = `:${ready.holding} → :${b.localPort}`;
      const clientA = `:${a.localPort} → :${ready.closing}`;
      const { value: est } = await untilSampled(api, 'both accepted connections under ESTABLISHED', async () => {
        const t = await render(api);
        return rowIn(t, 'state/ESTABLISHED', serverA) && rowIn(t, 'state/ESTABLISHED', serverB) ? t : undefined;
      });
      assert.match(rowIn(est, 'state/ESTABLISHED', serverA)?.description ?? '', new RegExp(`\\b${ready.pid}\\b`));
      assert.ok(rowIn(est, 'state/ESTABLISHED', clientA), 'the client end (this extension host) is in scope as the loopback peer');

      // The server closes A first (its end goes to TIME-WAIT); B's client closes and the server never does
      // (CLOSE-WAIT). Samples are counted, not wall time: both must show by the second sample after the close.
      a.write('close');
      b.end();
      const { samples } = await untilSampled(
        api,
        'TIME-WAIT and CLOSE-WAIT rows',
        async () => {
          const t = await render(api);
          return rowIn(t, 'state/TIME-WAIT', serverA) && rowIn(t, 'state/CLOSE-WAIT', serverB) ? t : undefined;
        },
        2,
      );
      reportFact('treeSamplesUntilClosedStatesShown', samples);
      const t = await api.connectionsTree.render({ tooltips: true });
      assert.match(rowIn(t, 'state/TIME-WAIT', serverA)?.description ?? '', new RegExp(`\\b${ready.pid}\\b`), 'TIME-WAIT keeps the owner last seen');
      const leak = rowIn(t, 'state/CLOSE-WAIT', serverB);
      assert.ok(leak);
      assert.match(leak.description, new RegExp(`node srv\\.cjs ${ready.pid}`), 'CLOSE-WAIT is held by the server, named by its script');
      // The hover: the state explained in the UI language, the history with durations, the owner's command line.
      const tip = leak.tooltip ?? '';
      assert.ok(!tip.includes('&nbsp;'), 'spaces stay breakable, so lines break between words');
      const plain = tip.replace(/\\(.)/g, '$1').replace(/\u2011/g, '-'); // Markdown escapes and non-breaking hyphens out
      assert.ok(tip.includes('CLOSE\u2011WAIT') && !/CLOSE-WAIT/.test(tip), 'state names do not break at their hyphen');
      assert.ok(plain.includes(STATE_TEXTS['CLOSE-WAIT'].summary.en), tip);
      assert.match(plain, /\| ESTABLISHED \|[^\n]*\|\n\| CLOSE-WAIT \|[^\n]*\(now\) \|/, 'history rows, oldest first, the current one marked');
      assert.ok(plain.includes(`127.0.0.1:${ready.holding} → 127.0.0.1:${b.localPort}`), 'the addresses the row leaves out');
      assert.ok(plain.includes(join(work, 'srv.cjs')), 'the owner\'s command line');
    });

    it('an insight names the process as the rows do, sorts its sockets first, and a click filters the tree to them and reveals them', async () => {
      // CLOSE-WAIT counts as a leak after a second here (the setting's minimum): three more clients hang up on the
      // holding server, which never closes; their ends (this extension host's) wait in FIN-WAIT-2.
      const config = vscode.workspace.getConfiguration('tcpStateViewer');
      await config.update('insights.closeWaitSeconds', 1, vscode.ConfigurationTarget.Global);
      cleanups.push(() => void config.update('insights.closeWaitSeconds', undefined, vscode.ConfigurationTarget.Global));
      const clients = await Promise.all([0, 1, 2].map(() => connect(ready.holding, true)));
      cleanups.push(() => clients.forEach((c) => c.destroy()));
      for (const c of clients) c.end();
      const key = `close-wait-leak:${ready.pid}`;
      const { value: tree } = await untilSampled(api, 'the close-wait-leak insight of the server with all four sockets', async () => {
        const i = api.model.insights().find((x) => x.key === key);
        return i !== undefined && i.count >= 4 ? render(api) : undefined;
      });
      const insights = group(tree, 'insights');
      assert.ok(insights, 'the Insights node');
      const item = insights.children.find((n) => n.id === `insights/${key}`);
      assert.ok(item, insights.children.map((n) => n.id).join(', '));
      assert.match(item.label, new RegExp(`^node srv\\.cjs ${ready.pid} has \\d+ CLOSE-WAIT sockets not closed`), 'named as the tree names it');
      // The leaking sockets' group comes right after the insights, above the peer's FIN-WAIT-2.
      const ids = tree.map((n) => n.id);
      assert.equal(ids[1], 'state/CLOSE-WAIT', ids.join(', '));
      if (ids.includes('state/FIN-WAIT-2')) assert.ok(ids.indexOf('state/CLOSE-WAIT') < ids.indexOf('state/FIN-WAIT-2'));
      // The tooltip: words wrap between words, and state names never at their hyphen.
      const tip = flatten(await api.connectionsTree.render({ tooltips: true })).find((n) => n.id === item.id)?.tooltip ?? '';
      assert.ok(tip.includes('CLOSE\u2011WAIT') && !tip.includes('&nbsp;'), tip);

      // A click runs the item's command: the tree shows that insight's sockets alone, the first one selected.
      assert.equal(item.command?.command, 'tcpStateViewer.showInsight');
      try {
        await vscode.commands.executeCommand(item.command.command, ...item.command.arguments);
        assert.equal(api.connectionsTree.filter, `insight:${key}`);
        const filtered = await render(api);
        const insight = api.model.insights().find((x) => x.key === key);
        assert.ok(insight);
        const rows = flatten(filtered).filter((n) => n.contextValue.startsWith('connection'));
        assert.equal(rows.length, insight.connectionIds.length);
        assert.ok(rows.every((r) => r.id.startsWith('state/CLOSE-WAIT/') && r.description.includes(`node srv.cjs ${ready.pid}`)), rows.map((r) => `${r.id} ${r.description}`).join('\n'));
        await waitFor('the first row selected', () => api.connectionsTree.treeView.selection[0]?.id === rows[0].id);
        assert.match(api.connectionsTree.treeView.message ?? '', /Showing the \d+ sockets of the insight/);
      } finally {
        await vscode.commands.executeCommand('tcpStateViewer.clearFilter');
      }
    });

    it('reads tcp_info for one connection with ss and shows it as a page; copies it and its ss command', async () => {
      const c = await connect(ready.closing);
      cleanups.push(() => c.destroy());
      await new Promise<void>((resolve) => c.write('x'.repeat(1000), () => resolve()));
      const label = `:${ready.closing} → :${c.localPort}`;
      await untilSampled(api, 'the new connection', async () => rowIn(await render(api), 'state/ESTABLISHED', label));
      const conn = api.model.connections().find((x) => x.state === 'ESTABLISHED' && x.local.port === ready.closing && x.remote.port === c.localPort);
      assert.ok(conn);
      await vscode.commands.executeCommand('tcpStateViewer.showTcpInfo', conn.id);
      const doc = await waitFor('the tcp_info page', () => vscode.workspace.textDocuments.find((d) => d.uri.scheme === 'tcpstateviewer-tcpinfo' && d.getText().includes(`:${c.localPort}`)));
      const text = doc.getText();
      assert.match(text, /\| Round-trip time \(smoothed \/ variation \/ minimum\) \| [\d.]+ ms/);
      assert.match(text, /\| Bytes received \| 1000 B \|/, 'the server end received our 1000 bytes');
      assert.ok(text.includes(`ss -tani state established '( sport = :${ready.closing} and dport = :${c.localPort} and src 127.0.0.1 and dst 127.0.0.1 )'`), text);

      await vscode.commands.executeCommand('tcpStateViewer.copySsFilter', conn.id);
      assert.equal(await vscode.env.clipboard.readText(), `ss -tan state established '( sport = :${ready.closing} and dport = :${c.localPort} and src 127.0.0.1 and dst 127.0.0.1 )'`);
      await vscode.commands.executeCommand('tcpStateViewer.copyConnection', conn.id);
      assert.match(await vscode.env.clipboard.readText(), new RegExp(`^127\\.0\\.0\\.1:${ready.closing} → 127\\.0\\.0\\.1:${c.localPort}  ESTABLISHED  node srv\\.cjs ${ready.pid}`));
    });

    it('lets only a workspace process be stopped', async () => {
      const server = await workspaceProcessCheck(ready.pid, api.model);
      assert.equal(server.ok, true, 'the terminal\'s server');
      assert.ok(server.ok && server.check.startTime !== null && server.check.inScope, 'with the start time it saw');
      const editor = await workspaceProcessCheck(process.pid, api.model);
      assert.equal(editor.ok, false, 'not the extension host');
      assert.equal((await workspaceProcessCheck(1, api.model)).ok, false);
    });

    it('says in the view when sampling is paused', async () => {
      await vscode.commands.executeCommand('tcpStateViewer.pause');
      try {
        assert.equal(api.model.status().paused, true);
        await waitFor('the paused message', () => /Paused/.test(api.connectionsTree.treeView.message ?? ''));
      } finally {
        await vscode.commands.executeCommand('tcpStateViewer.resume');
      }
      // Other news may stay (reads spaced by the CPU budget, on a loaded machine); the pause's must go.
      await waitFor('the paused message to go', () => !/Paused/.test(api.connectionsTree.treeView.message ?? ''));
    });

    it('groups by process and by local port', async () => {
      try {
        api.connectionsTree.setGroupBy('process');
        const byProcess = await render(api);
        const mine = group(byProcess, `pid/${ready.pid}`);
        assert.ok(mine, `a group for pid ${ready.pid}: ${byProcess.map((g) => g.id).join(', ')}`);
        assert.match(mine.label, new RegExp(`${ready.pid}$`));
        const listeners = mine.children.filter((r) => r.label === `127.0.0.1:${ready.closing}` || r.label === `127.0.0.1:${ready.holding}`);
        assert.equal(listeners.length, 2);
        assert.ok(listeners.every((r) => r.description.includes('LISTEN')), 'rows name their state when not grouped by it');
        assert.ok(byProcess.every((g) => !g.id.startsWith('state/')));

        api.connectionsTree.setGroupBy('localPort');
        const byPort = await render(api);
        const port = group(byPort, `port/${ready.holding}`);
        assert.ok(port);
        assert.equal(port.label, `:${ready.holding}`);
        assert.ok(port.children.some((r) => r.label === `127.0.0.1:${ready.holding}`), 'the listener');
        assert.ok(port.children.some((r) => r.label.startsWith(`:${ready.holding} → `)), 'and its accepted connection');
      } finally {
        api.connectionsTree.setGroupBy('state');
      }
    });

    it('narrows to the filter (set through the command, as hover links do) and clears it', async () => {
      try {
        await vscode.commands.executeCommand('tcpStateViewer.filter', `port:${ready.holding}`);
        assert.equal(api.connectionsTree.filter, `port:${ready.holding}`);
        const filtered = await render(api);
        const rows = flatten(filtered).filter((n) => n.contextValue.startsWith('connection'));
        assert.ok(rows.length >= 2, 'the listener and the CLOSE-WAIT connection');
        assert.ok(rows.every((r) => r.label.includes(`:${ready.holding}`)), rows.map((r) => r.label).join('\n'));
        assert.ok(filtered.filter((g) => g.id !== 'insights').every((g) => / of |\//.test(g.description)), 'groups say how many of how many');

        await vscode.commands.executeCommand('tcpStateViewer.filter', 'state:close-wait');
        const closeWait = await render(api);
        assert.deepEqual(closeWait.map((g) => g.id).filter((id) => id !== 'insights'), ['state/CLOSE-WAIT'], 'insights stay; groups narrow');
      } finally {
        await vscode.commands.executeCommand('tcpStateViewer.clearFilter');
      }
      assert.equal(api.connectionsTree.filter, '');
      const all = await render(api);
      assert.ok(group(all, 'state/LISTEN'));
    });

    it('shows a process outside the workspace only in the "all sockets" scope', async () => {
      const readyFile = join(tmpdir(), `tcpsv-outsider-${process.pid}.json`);
      rmSync(readyFile, { force: true });
      const outsider: ChildProcess = spawn(process.execPath, ['-e', SERVER_JS, readyFile], { cwd: tmpdir(), stdio: 'ignore' });
      cleanups.push(() => outsider.kill());
      const o = await waitFor('the outsider to listen', () => readReady(readyFile));
      rmSync(readyFile, { force: true });
      assert.equal((await workspaceProcessCheck(o.pid, api.model)).ok, false, 'it may not be stopped from the view either');
      const label = `127.0.0.1:${o.closing}`;
      try {
        // Samples after it listens, the workspace scope still does not show it.
        await api.model.sampleNow();
        await api.model.sampleNow();
        assert.equal(rowIn(await render(api), 'state/LISTEN', label), undefined, 'not a workspace process');

        await vscode.commands.executeCommand('tcpStateViewer.showAllSockets');
        assert.equal(api.model.status().scope, 'all');
        const { value: inAll } = await untilSampled(api, 'the outsider in the all-sockets scope', async () => rowIn(await render(api), 'state/LISTEN', label));
        assert.match(inAll.description, new RegExp(`\\b${o.pid}\\b`));
        assert.match(api.connectionsTree.treeView.description ?? '', /^all sockets( · busy: reads [\d.]+ s apart)?$/, 'the scope, and at most why reads are spaced');
      } finally {
        await vscode.commands.executeCommand('tcpStateViewer.showWorkspaceSockets');
      }
      await untilSampled(api, 'the outsider to leave with the workspace scope', async () => rowIn(await render(api), 'state/LISTEN', label) === undefined);
      // Back from the whole machine (every network namespace's table), the CPU budget may still be spacing reads out.
      assert.match(api.connectionsTree.treeView.description ?? '', /^workspace( · busy: reads [\d.]+ s apart)?$/, 'the scope, and at most why reads are spaced');
    });
  });

  describe('Who Uses Port', () => {
    it('shows the owner of a port held outside the workspace, from one look at the whole machine, and leaves the views\' scope alone', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'tcpsv-port-owner-'));
      cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
      writeFileSync(join(dir, 'outsider.cjs'), SERVER_JS);
      const readyFile = join(dir, 'ready.json');
      const outsider = spawn(process.execPath, [join(dir, 'outsider.cjs'), readyFile], { cwd: dir, stdio: 'ignore' });
      cleanups.push(() => outsider.kill());
      const o = await waitFor('the outsider to listen', () => readReady(readyFile));
      assert.equal(api.model.status().scope, 'workspace');

      const result = await vscode.commands.executeCommand<PortUsersResult>('tcpStateViewer.whoUsesPort', `127.0.0.1:${o.closing}`);
      try {
        assert.ok(result, 'the command returned what it found');
        assert.equal(result.port, o.closing);
        const listener = result.users.find((u) => u.kind === 'listener');
        assert.deepEqual(listener && { state: listener.state, local: listener.local, owners: listener.owners }, {
          state: 'LISTEN',
          local: `127.0.0.1:${o.closing}`,
          owners: [{ pid: o.pid, label: `node outsider.cjs ${o.pid}` }],
        });
        assert.ok(result.totalSockets >= result.users.length);
        // The views keep the workspace scope: the look did not switch it, nor put the outsider in the model.
        assert.equal(api.model.status().scope, 'workspace');
        assert.equal(api.model.connections().some((c) => c.local.port === o.closing), false);
        // What its Stop Process would say: the guard refuses a process this window did not start, and says why.
        const check = await workspaceProcessCheck(o.pid, api.model);
        assert.ok(!check.ok && /not started from this workspace/.test(check.reason), JSON.stringify(check));
      } finally {
        await vscode.commands.executeCommand('workbench.action.closeQuickOpen');
      }
      const none = await vscode.commands.executeCommand<PortUsersResult>('tcpStateViewer.whoUsesPort', 1);
      assert.deepEqual(none?.users.filter((u) => u.kind === 'listener'), [], 'nothing listens on port 1');
    });
  });

  describe('following a debug session', () => {
    it('reveals the view and shows the debuggee\'s sockets, the debugger\'s own apart; after it ends, its closing sockets linger', async () => {
      // Hide the view first: the session start has to bring it back.
      await vscode.commands.executeCommand('workbench.view.explorer');
      await waitFor('the tree to be hidden', () => !api.connectionsTree.treeView.visible);

      const readyFile = join(work, 'debug-ready.json');
      const started = await vscode.debug.startDebugging(vscode.workspace.workspaceFolders?.[0], {
        type: 'node',
        request: 'launch',
        name: 'tcpsv debuggee',
        program: join(work, 'srv.cjs'),
        args: [readyFile],
        cwd: folder,
        console: 'internalConsole',
      });
      assert.equal(started, true, 'the JavaScript debugger started');
      const sessionEnded = new Promise<void>((resolve) => {
        const d = vscode.debug.onDidTerminateDebugSession((s) => {
          if (s.name === 'tcpsv debuggee') {
            d.dispose();
            resolve();
          }
        });
      });
      await waitFor('the view to be revealed', () => api.connectionsTree.treeView.visible);
      const ready = await waitFor('the debuggee to listen', () => readReady(readyFile));
      const { value: listener } = await untilSampled(api, `the debuggee's listener (pid ${ready.pid}) in the workspace scope`, async () => rowIn(await render(api), 'state/LISTEN', `127.0.0.1:${ready.holding}`));
      assert.match(listener.description, new RegExp(`\\b${ready.pid}\\b`));

      // js-debug's own sockets (the debuggee's inspector port, its watchdog's connection to it) are not the
      // program's: hidden by default, counted in the Debugger row at the end; shown on request, with their owners.
      const { value: hidden } = await untilSampled(api, 'the Debugger row', async () => {
        const t = await render(api);
        const d = group(t, 'debugger');
        return d && Number(/^(\d+)/.exec(d.description)?.[1]) >= 3 ? t : undefined;
      });
      assert.equal(hidden[hidden.length - 1].id, 'debugger', 'the last row');
      assert.match(hidden[hidden.length - 1].description, /^\d+ hidden$/);
      assert.deepEqual(hidden[hidden.length - 1].children, []);
      const debuggeeListeners = (group(hidden, 'state/LISTEN')?.children ?? []).filter((r) => r.description.includes(`${ready.pid}`));
      assert.deepEqual(debuggeeListeners.map((r) => r.label).sort(), [`127.0.0.1:${ready.closing}`, `127.0.0.1:${ready.holding}`].sort(), 'the program\'s two listeners, not its inspector');
      await vscode.commands.executeCommand('tcpStateViewer.showDebuggerSockets');
      try {
        const { value: shown } = await untilSampled(api, 'the debugger\'s rows', async () => {
          const d = group(await render(api), 'debugger');
          return d && d.children.length >= 3 ? d : undefined;
        });
        assert.ok(shown.children.some((r) => /node watchdog\.js \d+ · ESTAB/.test(r.description)), shown.children.map((r) => `${r.label} ${r.description}`).join('\n'));
        assert.ok(shown.children.some((r) => r.description.includes(`${ready.pid} · LISTEN`)), 'the debuggee\'s inspector listener');
      } finally {
        await vscode.commands.executeCommand('tcpStateViewer.hideDebuggerSockets');
      }

      // A connection the debuggee still holds when it exits: its end becomes an orphan in FIN-WAIT-2 (the kernel
      // finishes it), ours goes to CLOSE-WAIT; both stay visible after the session ends.
      // allowHalfOpen: our end does not answer the debuggee's FIN with its own, so the debuggee's end stays an orphan.
      const client = await connect(ready.holding, true);
      cleanups.push(() => client.destroy());
      const orphan = `:${ready.holding} → :${client.localPort}`;
      await untilSampled(api, 'the debuggee\'s accepted connection', async () => rowIn(await render(api), 'state/ESTABLISHED', orphan));

      await vscode.debug.stopDebugging();
      await sessionEnded;
      const { value: lingering } = await untilSampled(api, 'the exited debuggee\'s socket in FIN-WAIT-2', async () => rowIn(await render(api), 'state/FIN-WAIT-2', orphan));
      assert.match(lingering.description, new RegExp(`\\b${ready.pid}\\b`), 'it keeps the owner last seen');
      await untilSampled(api, 'the debuggee\'s listener to go', async () => rowIn(await render(api), 'state/LISTEN', `127.0.0.1:${ready.holding}`) === undefined);
    });
  });
});
