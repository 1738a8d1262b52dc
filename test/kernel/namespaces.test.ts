// Sockets of other network namespaces, for real (root): processes started with `unshare -n` (anonymous namespaces)
// and inside an `ip netns` namespace hold real listeners and connections on their own loopback; the product's
// sampler, run here in the host's namespace, lists them with their namespace, in the 'all' scope and in the
// workspace scope (by the workspace folder, or as the child of a terminal-like root), keeps the same 4-tuple of two
// namespaces apart, reads each namespace once, and forgets a namespace whose processes are gone. Only loopback
// traffic, inside namespaces that are removed afterwards.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readlinkSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { SocketSampler } from '../../src/sampling/socketSampler';
import { SamplerPipeline } from '../../src/sampling/samplerWorker';
import type { SampleScope, ScopedSample, SocketRecord } from '../../src/domain/types';
import { NetNamespace, netnsSupport } from '../common/netns';
import { waitFor } from '../common/wait';

const UNSHARE = '/usr/bin/unshare';
const IP = '/usr/sbin/ip';
const support = netnsSupport();
const skip = !support.ok ? support.reason : !existsSync(UNSHARE) ? `${UNSHARE} is not installed (util-linux)` : false;

/**
 * A node process that listens on 127.0.0.1:port and connects to itself from 127.0.0.1:clientPort (0: any), keeps
 * both ends open, prints `ready <pid>` and exits when its stdin closes.
 */
const HOLDER = (port: number, clientPort: number): string =>
  [
    "const net=require('net');",
    `const s=net.createServer((c)=>{c.on('error',()=>{});}).listen(${port},'127.0.0.1',()=>{`,
    `const c=net.connect({port:${port},host:'127.0.0.1',localAddress:'127.0.0.1'${clientPort ? `,localPort:${clientPort}` : ''}},()=>console.log('ready '+process.pid));c.on('error',()=>{});});`,
    "process.stdin.on('end',()=>process.exit(0)).resume();",
  ].join('');

interface Held {
  /** The process holding the sockets (its own namespace's member). */
  pid: number;
  /** What was spawned: the holder itself, or the terminal-like shell above it. */
  child: ChildProcess;
  netns: string;
}

/**
 * Starts a holder in a fresh `unshare -n` namespace: `unshare --net -- sh -c 'ip link set lo up && exec node'`, so
 * the holder's pid is the unshare'd process's. With `underShell`, a shell spawns that and stays its parent (a
 * terminal's shell running a command).
 */
async function unshared(opts: { cwd: string; port: number; clientPort?: number; underShell?: boolean }): Promise<Held> {
  const inner = `${IP} link set lo up && exec ${process.execPath} -e "${HOLDER(opts.port, opts.clientPort ?? 0)}"`;
  const argv = [UNSHARE, '--net', '--', '/bin/sh', '-c', inner];
  const child = opts.underShell
    ? spawn('/bin/sh', ['-c', `${argv.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ')}; exit 0`], { cwd: opts.cwd, stdio: ['pipe', 'pipe', 'inherit'] })
    : spawn(argv[0], argv.slice(1), { cwd: opts.cwd, stdio: ['pipe', 'pipe', 'inherit'] });
  const pid = await new Promise<number>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`holder exited (${code}) before it was ready`)));
    createInterface({ input: child.stdout! }).on('line', (l) => {
      const m = /^ready (\d+)$/.exec(l);
      if (m) resolve(Number(m[1]));
    });
  });
  return { pid, child, netns: readlinkSync(`/proc/${pid}/ns/net`) };
}

async function stop(h: Held): Promise<void> {
  if (h.child.exitCode !== null || h.child.signalCode !== null) return;
  const gone = new Promise((r) => h.child.once('exit', r));
  h.child.stdin!.end();
  await gone;
}

const ofNs = (s: ScopedSample, netns: string): SocketRecord[] => s.sockets.filter((x) => x.netns === netns);
const describe = (rows: readonly SocketRecord[]): string[] => rows.map((s) => `${s.state} ${s.local.address}:${s.local.port}>${s.remote.address}:${s.remote.port} ${s.owners.map((o) => o.pid).join(',')}`).sort();

async function sampleUntil(sampler: SocketSampler, scope: SampleScope, ok: (s: ScopedSample) => boolean, what: string): Promise<ScopedSample> {
  let last: ScopedSample | undefined;
  return waitFor(what, async () => {
    last = await sampler.sample({ scope });
    return ok(last) ? last : undefined;
  }, { detail: () => (last ? `last sample: ${describe(last.sockets.filter((s) => s.netns !== undefined)).join('; ')}` : 'no sample') });
}

test('processes in private network namespaces, listed by namespace: all, workspace by folder and by root, twins apart', { skip, timeout: 120_000 }, async (t) => {
  const workspace = mkdtempSync(join(tmpdir(), 'tcpsv-ws-'));
  const elsewhere = mkdtempSync(join(tmpdir(), 'tcpsv-elsewhere-'));
  const held: Held[] = [];
  t.after(async () => {
    for (const h of held) h.child.kill('SIGKILL');
    rmSync(workspace, { recursive: true, force: true });
    rmSync(elsewhere, { recursive: true, force: true });
  });
  // Two namespaces holding the same 4-tuples: 127.0.0.1:8080 and a client from 127.0.0.1:40000 in each.
  const inFolder = await unshared({ cwd: workspace, port: 8080, clientPort: 40000 });
  held.push(inFolder);
  const underTerminal = await unshared({ cwd: elsewhere, port: 8080, clientPort: 40000, underShell: true });
  held.push(underTerminal);
  const stranger = await unshared({ cwd: elsewhere, port: 9090 });
  held.push(stranger);
  const terminalShell = underTerminal.child.pid!;
  assert.notEqual(underTerminal.pid, terminalShell, 'the holder is the shell`s descendant, not the shell');
  const own = readlinkSync('/proc/self/ns/net');
  assert.equal(new Set([own, inFolder.netns, underTerminal.netns, stranger.netns]).size, 4, 'four namespaces');

  const sampler = new SocketSampler({ backend: 'proc', containers: null });
  const triple = (h: Held): string[] => [`ESTABLISHED 127.0.0.1:40000>127.0.0.1:8080 ${h.pid}`, `ESTABLISHED 127.0.0.1:8080>127.0.0.1:40000 ${h.pid}`, `LISTEN 127.0.0.1:8080>0.0.0.0:0 ${h.pid}`];

  await t.test('all: each namespace`s listener and connection, with its namespace and owner, read once through its process', async () => {
    const s = await sampleUntil(sampler, { mode: 'all' }, (x) => [inFolder, underTerminal, stranger].every((h) => ofNs(x, h.netns).length === 3), 'every namespace`s three sockets');
    assert.deepEqual(describe(ofNs(s, inFolder.netns)), triple(inFolder));
    assert.deepEqual(describe(ofNs(s, underTerminal.netns)), triple(underTerminal));
    assert.equal(s.netns, own);
    assert.ok(!s.sockets.some((x) => x.netns === own), 'our own rows carry no namespace');
    // The namespaces read, each once, with the process it was read through: what the loop's probes read too.
    for (const h of [inFolder, underTerminal, stranger]) {
      const read = s.namespaces.filter((n) => n.key === h.netns);
      assert.equal(read.length, 1, `${h.netns} read once`);
      assert.equal(read[0].pid, h.pid);
      assert.equal(read[0].sockets, 3);
      assert.match(readFileSync(`/proc/${read[0].pid}/net/sockstat`, 'utf8'), /^TCP: inuse 3 /m, 'its counters, through the same pid');
    }
    assert.equal(s.namespaces[0].own, true);
    assert.equal(s.namespaces[0].key, own);
  });

  await t.test('workspace by folder: the namespace of the process whose cwd is in the folder, whole; not the others', async () => {
    const scope: SampleScope = { mode: 'workspace', rootPids: [], folders: [workspace] };
    const s = await sampleUntil(sampler, scope, (x) => ofNs(x, inFolder.netns).length === 3, 'the folder process`s namespace');
    assert.deepEqual(describe(ofNs(s, inFolder.netns)), triple(inFolder));
    assert.equal(ofNs(s, underTerminal.netns).length, 0);
    assert.equal(ofNs(s, stranger.netns).length, 0);
    assert.ok(s.scopePids.includes(inFolder.pid));
  });

  await t.test('workspace by root: `unshare -n` run from a terminal`s shell joins with the shell`s tree', async () => {
    const scope: SampleScope = { mode: 'workspace', rootPids: [terminalShell], folders: [] };
    const s = await sampleUntil(sampler, scope, (x) => ofNs(x, underTerminal.netns).length === 3, 'the terminal child`s namespace');
    assert.deepEqual(describe(ofNs(s, underTerminal.netns)), triple(underTerminal));
    assert.equal(ofNs(s, inFolder.netns).length, 0);
    assert.equal(ofNs(s, stranger.netns).length, 0);
  });

  await t.test('the worker keeps the twins apart: the same 4-tuples in two namespaces are six connections', async () => {
    const pipeline = new SamplerPipeline({ containers: null });
    pipeline.configure({ backend: 'proc', ssPath: 'ss', tracker: { closedRetentionMs: 10_000, maxClosed: 500 }, insights: { closeWaitSeconds: 30, timeWaitPerEndpoint: 200, synSentSeconds: 5 } });
    const answer = await pipeline.sample(1, { mode: 'workspace', rootPids: [terminalShell], folders: [workspace] }, false);
    assert.equal(answer.kind, 'sampled');
    if (answer.kind !== 'sampled') return;
    const conns = answer.update?.changed ?? [];
    const twins = conns.filter((c) => c.netns === inFolder.netns || c.netns === underTerminal.netns);
    assert.equal(twins.length, 6);
    assert.equal(new Set(twins.map((c) => c.id)).size, 6);
    const servers = twins.filter((c) => c.local.port === 8080 && c.remote.port === 40000);
    assert.equal(servers.length, 2);
    assert.ok(servers.every((c) => c.role === 'server'));
    assert.notEqual(servers[0].netns, servers[1].netns);
    assert.equal(answer.stats.namespaces, 3, 'ours and the two workspace namespaces');
    assert.equal(answer.stats.unlabelledForeignSockets, 6);
  });

  await t.test('a namespace without a TCP socket is known by its counters, its table not read', async () => {
    const idle = spawn(UNSHARE, ['--net', '--', '/bin/sleep', '600'], { stdio: 'ignore' });
    t.after(() => idle.kill('SIGKILL'));
    const key = await waitFor('the idle namespace', () => {
      try {
        const k = readlinkSync(`/proc/${idle.pid}/ns/net`);
        return k !== own ? k : undefined;
      } catch {
        return undefined;
      }
    });
    const s = await sampleUntil(sampler, { mode: 'all' }, (x) => x.namespaces.some((n) => n.key === key), 'the idle namespace read');
    assert.deepEqual(s.namespaces.find((n) => n.key === key), { key, own: false, pid: idle.pid, sockets: 0 });
    assert.ok((sampler.lastStats?.emptyNamespaces ?? 0) >= 1);
    assert.ok(!s.namespaces.some((n) => n.sockets === 0 && [inFolder.netns, underTerminal.netns].includes(n.key)), 'the busy ones were read');
  });

  await t.test('a namespace whose processes have exited is gone from the next sample', async () => {
    await stop(stranger);
    const s = await sampleUntil(sampler, { mode: 'all' }, (x) => ofNs(x, stranger.netns).length === 0, 'the stranger`s namespace gone');
    assert.ok(!s.namespaces.some((n) => n.key === stranger.netns));
    assert.equal(ofNs(s, inFolder.netns).length, 3, 'the others stay');
  });
});

test('an `ip netns` namespace shared with a process of no workspace: only the workspace`s sockets and their peers', { skip: support.ok ? false : support.reason, timeout: 60_000 }, async (t) => {
  const ns = NetNamespace.create('tcpsv-nsws');
  t.after(() => ns.dispose());
  const server = await ns.startHolder('server');
  const other = await ns.startHolder('other');
  const listen = await server.request({ op: 'listen', name: 'l', family: 4, host: '127.0.0.1', port: 7000 });
  assert.ok(listen.inode);
  await other.request({ op: 'connect', name: 'c', family: 4, host: '127.0.0.1', port: 7000 });
  await server.request({ op: 'accept', name: 'a', listener: 'l' });
  await other.request({ op: 'listen', name: 'own', family: 4, host: '127.0.0.1', port: 7100 });
  const key = readlinkSync(`/proc/${server.pid}/ns/net`);
  // The named namespace is the one `ip netns` keeps at /var/run/netns/NAME.
  assert.equal(key, `net:[${statSync(`/var/run/netns/${ns.name}`).ino}]`);

  const sampler = new SocketSampler({ backend: 'proc', containers: null });
  const scope: SampleScope = { mode: 'workspace', rootPids: [server.pid], folders: [] };
  const s = await sampleUntil(sampler, scope, (x) => ofNs(x, key).length === 3, 'the server`s listener, its accepted socket and the peer');
  const clientPort = ofNs(s, key).find((x) => x.remote.port === 7000)?.local.port;
  assert.ok(clientPort);
  assert.deepEqual(
    ofNs(s, key)
      .map((x) => `${x.state} :${x.local.port}>:${x.remote.port} ${x.owners.map((o) => o.pid).join(',')}`)
      .sort(),
    [`ESTABLISHED :${clientPort}>:7000 ${other.pid}`, `ESTABLISHED :7000>:${clientPort} ${server.pid}`, `LISTEN :7000>:0 ${server.pid}`].sort(),
    'the server`s listener and accepted socket, and the other process`s end of that connection as its peer',
  );
  assert.ok(!ofNs(s, key).some((x) => x.local.port === 7100), 'the other process`s own listener is not the workspace`s');
  const all = await sampler.sample({ scope: { mode: 'all' } });
  assert.ok(ofNs(all, key).some((x) => x.local.port === 7100 && x.owners[0]?.pid === other.pid), 'but it is the machine`s');
});
