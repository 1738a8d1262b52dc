// The snapshot commands in the real extension host, on sockets this test opens itself: the Markdown document
// counts them, the JSON variant has the CLI's shape (checked against the real CLI), Compare opens a diff editor.
import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as net from 'node:net';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { ExtensionApi } from '../../../src/extension';
import type { KeptSnapshot } from '../../../src/snapshots/snapshotCommands';
import { type TcpState } from '../../../src/domain/types';
import { TCP_STATES } from '../../../src/domain/states';

const EXTENSION_ID = 'tcp-state-viewer.tcp-state-viewer';

interface Held {
  port: number;
  close(): Promise<void>;
}

/**
 * A loopback server with two connected clients (ESTABLISHED on both sides) and a third whose client half-closed
 * while the server side keeps its end open (client FIN-WAIT-2, server CLOSE-WAIT).
 */
async function holdSockets(): Promise<Held> {
  const accepted: net.Socket[] = [];
  const server = net.createServer({ allowHalfOpen: true }, (s) => accepted.push(s));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  const clients: net.Socket[] = [];
  for (let i = 0; i < 3; i++) {
    const c = net.connect(port, '127.0.0.1');
    await new Promise<void>((resolve, reject) => c.once('connect', resolve).once('error', reject));
    clients.push(c);
  }
  while (accepted.length < 3) await new Promise((r) => setTimeout(r, 10));
  const serverSide = accepted[2];
  const ended = new Promise<void>((resolve) => serverSide.once('end', resolve));
  serverSide.resume();
  clients[2].end();
  await ended; // the server has read the FIN: its socket is in CLOSE-WAIT
  // The client leaves FIN-WAIT-1 when the server's ACK of the FIN arrives, which Linux may delay a little.
  await untilProcState(clients[2].localPort ?? 0, '05');
  return {
    port,
    async close() {
      for (const s of [...clients, ...accepted]) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Waits until /proc/net/tcp shows the socket with this local port in the given `st` state (include/net/tcp_states.h). */
async function untilProcState(localPort: number, st: string): Promise<void> {
  const port = localPort.toString(16).toUpperCase().padStart(4, '0');
  for (let i = 0; i < 500; i++) {
    const rows = readFileSync('/proc/net/tcp', 'utf8').split('\n');
    if (rows.some((r) => r.trim().split(/\s+/)[1]?.endsWith(`:${port}`) && r.trim().split(/\s+/)[3] === st)) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`local port ${localPort} never reached st ${st}`);
}

/** Rows of the document's per-state tables that involve the port, by the state heading above them. */
function rowsByState(doc: string, port: number): Map<TcpState, number> {
  const found = new Map<TcpState, number>();
  let state: TcpState | undefined;
  for (const line of doc.split('\n')) {
    const heading = /^### ([A-Z12-]+) \(\d+\)$/.exec(line);
    if (heading) state = heading[1] as TcpState;
    else if (state && line.startsWith('| `') && line.includes(`:${port}\``)) found.set(state, (found.get(state) ?? 0) + 1);
  }
  return found;
}

function countsTable(doc: string): Map<string, number> {
  return new Map([...doc.matchAll(/^\| ([A-Z12-]+) \| (\d+) \|$/gm)].map((m) => [m[1], Number(m[2])]));
}

/** The structure of a JSON value: key names (sorted) and value types, arrays by their first element. */
function shape(v: unknown): unknown {
  if (Array.isArray(v)) return v.length === 0 ? [] : [shape(v[0])];
  if (v !== null && typeof v === 'object') {
    return Object.fromEntries(Object.keys(v).sort().map((k) => [k, shape((v as Record<string, unknown>)[k])]));
  }
  return v === null ? 'null' : typeof v;
}

describe('snapshot commands', function () {
  this.timeout(60_000);
  let api: ExtensionApi;
  let held: Held;
  let root: vscode.Disposable;

  before(async () => {
    const ext = vscode.extensions.getExtension<ExtensionApi>(EXTENSION_ID);
    assert.ok(ext);
    api = await ext.activate();
    held = await holdSockets();
    // This test's own process (the extension host) joins the workspace scope, so its sockets are in scope.
    root = api.model.addRoot(process.pid, 'snapshot test');
  });

  after(async () => {
    root?.dispose();
    await held?.close();
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('Take Snapshot opens a Markdown document that counts the sockets the test opened', async () => {
    const kept = await vscode.commands.executeCommand<KeptSnapshot>('tcpStateViewer.takeSnapshot');
    assert.ok(kept, 'the command returned the snapshot');
    const doc = kept.document.getText();
    assert.equal(kept.document.languageId, 'markdown');
    // A read-only document of its own scheme, not an untitled one: nothing to save, nothing to ask when closed.
    assert.equal(kept.document.uri.scheme, 'tcp-snapshot');
    assert.equal(kept.document.uri.toString(), kept.uri.toString());
    assert.equal(vscode.window.activeTextEditor?.document, kept.document);
    assert.equal(kept.document.isDirty, false);
    assert.equal(kept.text, doc);

    assert.deepEqual(
      Object.fromEntries(rowsByState(doc, held.port)),
      { LISTEN: 1, ESTABLISHED: 4, 'FIN-WAIT-2': 1, 'CLOSE-WAIT': 1 },
      doc,
    );
    // The counts table lists all eleven states in diagram order and holds at least our sockets.
    const counts = countsTable(doc);
    assert.deepEqual([...counts.keys()], [...TCP_STATES]);
    assert.ok((counts.get('ESTABLISHED') ?? 0) >= 4);
    assert.ok((counts.get('CLOSE-WAIT') ?? 0) >= 1);
    // Our sockets are owned by this process.
    const listenRow = doc.split('\n').find((l) => l.startsWith(`| \`127.0.0.1:${held.port}\` |`) && l.includes('`0.0.0.0:*`'));
    assert.ok(listenRow?.includes(`${process.pid} `), listenRow);
    assert.match(doc, /^- \*\*[^*]+\*\*: (Linux|linux) /m, 'the kernel line');
  });

  it('a snapshot tab is not dirty and closes without a prompt; Save As writes it to a file; it reopens after closing', async () => {
    const kept = await vscode.commands.executeCommand<KeptSnapshot>('tcpStateViewer.takeSnapshot');
    assert.ok(kept);
    const tab = vscode.window.tabGroups.all.flatMap((g) => g.tabs).find((t) => t.input instanceof vscode.TabInputText && t.input.uri.toString() === kept.uri.toString());
    assert.ok(tab, 'a tab of the snapshot');
    assert.equal(tab.isDirty, false);
    assert.equal(tab.label, kept.name);
    // A dirty tab would ask to save and this close would not resolve until answered.
    assert.equal(await vscode.window.tabGroups.close(tab), true);
    assert.equal(vscode.window.tabGroups.all.flatMap((g) => g.tabs).some((t) => t.input instanceof vscode.TabInputText && t.input.uri.toString() === kept.uri.toString()), false);

    const target = vscode.Uri.file(join(tmpdir(), `tcpsv-snapshot-${process.pid}.md`));
    try {
      const saved = await vscode.commands.executeCommand<vscode.Uri>('tcpStateViewer.saveSnapshotAs', kept.uri, target);
      assert.equal(saved?.toString(), target.toString());
      assert.equal(readFileSync(target.fsPath, 'utf8'), kept.text);
    } finally {
      rmSync(target.fsPath, { force: true });
    }
    // The text stays for the session: Compare can open it again.
    assert.equal((await vscode.workspace.openTextDocument(kept.uri)).getText(), kept.text);
  });

  it('Take Snapshot as JSON gives the CLI\'s JSON shape, with the same sockets', async () => {
    const kept = await vscode.commands.executeCommand<KeptSnapshot>('tcpStateViewer.takeSnapshotJson');
    assert.ok(kept);
    assert.equal(kept.document.languageId, 'json');
    const fromCommand = JSON.parse(kept.document.getText()) as { counts: Record<string, number>; sockets: { state: string; local: { port: number }; remote: { port: number }; owners: { pid: number }[] }[] };

    const ext = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(ext);
    const cli = join(ext.extensionPath, 'dist', 'cli.js');
    const stdout = await new Promise<string>((resolve, reject) =>
      execFile(process.execPath, [cli, 'snapshot', '--format', 'json', '--pid', String(process.pid)], { env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' } }, (err, out) =>
        err ? reject(err) : resolve(out),
      ),
    );
    const fromCli = JSON.parse(stdout) as typeof fromCommand;
    assert.deepEqual(shape(fromCommand), shape(fromCli));
    assert.deepEqual(Object.keys(fromCommand), ['takenAt', 'host', 'backend', 'scope', 'netns', 'counts', 'sockets']);
    assert.deepEqual(Object.keys(fromCommand.counts), [...TCP_STATES]);

    const ours = (j: typeof fromCommand) =>
      j.sockets
        .filter((s) => s.local.port === held.port || s.remote.port === held.port)
        .map((s) => s.state)
        .sort();
    assert.deepEqual(ours(fromCommand), ['CLOSE-WAIT', 'ESTABLISHED', 'ESTABLISHED', 'ESTABLISHED', 'ESTABLISHED', 'FIN-WAIT-2', 'LISTEN']);
    assert.deepEqual(ours(fromCli), ours(fromCommand));
    const listener = fromCommand.sockets.find((s) => s.state === 'LISTEN' && s.local.port === held.port);
    assert.deepEqual(listener?.owners.map((o) => o.pid), [process.pid]);
  });

  it('Compare Snapshots opens a diff editor on two snapshots of this session', async () => {
    const first = await vscode.commands.executeCommand<KeptSnapshot>('tcpStateViewer.takeSnapshot');
    // Something changes between the two: a fourth client connects.
    const extra = net.connect(held.port, '127.0.0.1');
    await new Promise<void>((resolve) => extra.once('connect', resolve));
    const second = await vscode.commands.executeCommand<KeptSnapshot>('tcpStateViewer.takeSnapshot');
    assert.ok(first && second);
    await vscode.commands.executeCommand('tcpStateViewer.compareSnapshots', first.uri, second.uri);

    const diffs = vscode.window.tabGroups.all
      .flatMap((g) => g.tabs)
      .map((t) => t.input)
      .filter((i): i is vscode.TabInputTextDiff => i instanceof vscode.TabInputTextDiff);
    const ours = diffs.find((d) => d.original.toString() === first.uri.toString() && d.modified.toString() === second.uri.toString());
    assert.ok(ours, `diff tabs: ${diffs.map((d) => `${d.original} <> ${d.modified}`).join(', ')}`);
    assert.equal(rowsByState(second.text, held.port).get('ESTABLISHED'), 6);
    extra.destroy();
  });
});
