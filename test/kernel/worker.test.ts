// The sampler worker thread and its loop (src/sampling/samplerHost.ts + dist/samplerWorker.js) in plain Node, against real
// loopback sockets held by real processes: what the extension host runs, minus VS Code.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { waitFor } from '../common/wait';
import { ModelMirror } from '../../src/domain/modelDelta';
import { emptyCounts } from '../../src/domain/types';
import type { Connection, ModelUpdate, SampleScope } from '../../src/domain/types';
import { MAX_INTERVAL_MS } from '../../src/domain/backoff';
import { SUMMARY_HEARTBEAT_MS, SUMMARY_INTERVAL_MS, SamplerHost } from '../../src/sampling/samplerHost';
import { PROBE_PERIOD_MS } from '../../src/sampling/changeWatcher';
import type { SampledMessage, SampleError, WorkerSettings } from '../../src/sampling/workerProtocol';

const workerPath = join(__dirname, '..', '..', '..', 'dist', 'samplerWorker.js');
const hasSs = spawnSync('ss', ['-V']).status === 0;

function settings(backend: WorkerSettings['backend'] = 'proc'): WorkerSettings {
  return {
    backend,
    ssPath: 'ss',
    tracker: { closedRetentionMs: 10_000, maxClosed: 500 },
    insights: { closeWaitSeconds: 30, timeWaitPerEndpoint: 200, synSentSeconds: 5 },
  };
}

/** Kernel threads of this process. */
function threadIds(): Set<number> {
  return new Set(readdirSync('/proc/self/task').map(Number));
}

/** Direct children of this process (any thread's). */
function childPids(): number[] {
  return [...threadIds()].flatMap((tid) => {
    try {
      return readFileSync(`/proc/self/task/${tid}/children`, 'utf8').split(/\s+/).filter(Boolean).map(Number);
    } catch {
      return [];
    }
  });
}

/** A host wired the way src/model/model.ts wires it: a mirror fed from the worker's deltas. */
class Harness {
  readonly mirror = new ModelMirror(emptyCounts());
  readonly updates: ModelUpdate[] = [];
  readonly failures: SampleError[] = [];
  readonly messages: SampledMessage[] = [];
  readonly host: SamplerHost;
  private waiters: { check: () => boolean; resolve: () => void }[] = [];

  constructor(scope: () => SampleScope, options: { backend?: WorkerSettings['backend']; sampleTimeoutMs?: number; intervalMs?: number; cpuBudget?: number; chunkSize?: number } = {}) {
    this.host = new SamplerHost({
      workerPath,
      settings: settings(options.backend),
      intervalMs: options.intervalMs ?? 200,
      scope,
      sampleTimeoutMs: options.sampleTimeoutMs,
      // Tests watch sockets change from sample to sample: a whole core, so the 1 % back-off (tested on its own
      // below) does not stretch the interval on a busy test machine.
      cpuBudget: options.cpuBudget ?? 1,
      chunkSize: options.chunkSize,
      onSampled: (m) => {
        this.messages.push(m);
        const u = this.mirror.apply(m.update, m.processes);
        if (u) this.updates.push(u);
        this.wake();
      },
      onFailed: (e) => {
        this.failures.push(e);
        this.wake();
      },
    });
  }

  private wake(): void {
    this.waiters = this.waiters.filter((w) => {
      if (!w.check()) return true;
      w.resolve();
      return false;
    });
  }

  /** Resolves when `check` holds after some sample; fails with `what` if it never does within `limitMs`. */
  until(what: string, check: () => boolean, limitMs = 20_000): Promise<void> {
    if (check()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`never happened: ${what} (${this.messages.length} samples, failures: ${JSON.stringify(this.failures.slice(-3))})`)), limitMs);
      this.waiters.push({
        check,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      });
    });
  }

  find(pred: (c: Connection) => boolean): Connection | undefined {
    return this.mirror.connections().find(pred);
  }
}

/** A Node server in a child process, listening on a loopback port; resolves with the process and the port. */
async function startServer(script = "const s=require('net').createServer(()=>{}).listen(0,'127.0.0.1',()=>console.log(s.address().port))"): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const line = await new Promise<string>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`server exited early (${code})`)));
    createInterface({ input: child.stdout as NonNullable<ChildProcess['stdout']> }).once('line', resolve);
  });
  return { child, port: Number(line.trim().split(/\s+/).pop()) };
}

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

function connectTo(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => resolve(s));
    s.once('error', reject);
  });
}

/**
 * Loopback traffic, a byte each way every 50 ms, until stopped. With change probes, a heartbeat read is skipped
 * when no segment moved since the last read (nothing could have changed that the counters would not say), so a
 * test that needs reads to keep coming with nothing else happening gives the kernel segments to count, as any
 * busy machine does.
 */
async function traffic(): Promise<() => void> {
  const { createServer } = await import('node:net');
  const server = createServer((s) => s.on('data', (d) => s.write(d)));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  const client = await connectTo(port);
  client.on('data', () => undefined);
  const timer = setInterval(() => client.write('.'), 50);
  return () => {
    clearInterval(timer);
    client.destroy();
    server.close();
  };
}

/** A loopback server whose parent (sh) has exited: it is no descendant of this process. Resolves with its pid and port. */
async function startOrphanServer(): Promise<{ pid: number; port: number }> {
  const script = "const s=require('net').createServer(()=>{}).listen(0,'127.0.0.1',()=>console.log(process.pid+' '+s.address().port));setInterval(()=>{},1<<30)";
  const sh = spawn('sh', ['-c', `"$0" -e "$1" &`, process.execPath, script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const line = await new Promise<string>((resolve, reject) => {
    sh.once('error', reject);
    createInterface({ input: sh.stdout as NonNullable<ChildProcess['stdout']> }).once('line', resolve);
  });
  const [pid, port] = line.trim().split(/\s+/).map(Number);
  await waitFor('the shell to exit', () => sh.exitCode !== null);
  return { pid, port };
}

test('the worker reports a connection the test opens, owned by the right processes, as an opened event', async () => {
  const server = await startServer();
  const pid = server.child.pid as number;
  const h = new Harness(() => ({ mode: 'workspace', rootPids: [pid], folders: [] }));
  let client: Socket | undefined;
  try {
    h.host.setDemand('full');
    await h.until('the LISTEN socket of the server', () => h.find((c) => c.state === 'LISTEN' && c.local.port === server.port) !== undefined);
    const listen = h.find((c) => c.state === 'LISTEN' && c.local.port === server.port);
    assert.equal(listen?.owner?.pid, pid);
    assert.equal(h.updates[0].reset, true, 'the first update is the full state');
    assert.equal(h.host.hasWorker, true);

    client = await connectTo(server.port);
    const clientPort = client.localPort as number;
    // A peer's owner is searched for within a budget of fd entries per sample (newest processes first), so on a
    // machine with many processes it may come a sample or two after the row itself.
    await h.until('both ends of the new connection, with their owners', () => h.find((c) => c.state === 'ESTABLISHED' && c.local.port === clientPort && c.owner !== null) !== undefined && h.find((c) => c.state === 'ESTABLISHED' && c.remote.port === clientPort) !== undefined);
    const accepted = h.find((c) => c.state === 'ESTABLISHED' && c.remote.port === clientPort);
    const ours = h.find((c) => c.state === 'ESTABLISHED' && c.local.port === clientPort);
    assert.equal(accepted?.owner?.pid, pid, 'the accepted socket belongs to the server process');
    assert.equal(ours?.owner?.pid, process.pid, 'the client end is in scope as the loopback peer, owned by this process');
    const opened = h.updates.flatMap((u) => u.events).filter((e) => e.kind === 'opened');
    assert.ok(opened.some((e) => e.kind === 'opened' && e.connection.local.port === clientPort), 'an opened event for the client end');
    assert.equal(h.mirror.process(pid)?.pid, pid, 'the owner\'s process record came with the delta');
    assert.match(h.mirror.process(pid)?.commandLine.join(' ') ?? '', /createServer/);

    // Sockets outside the scope stay out: a listener of this process that nobody in scope talks to.
    assert.equal(h.find((c) => c.owner?.pid === process.pid && c.state === 'LISTEN'), undefined);
  } finally {
    client?.destroy();
    await h.host.dispose();
    await stop(server.child);
  }
});

test('a closed connection goes to CLOSED in the mirror, and the whole table never crosses the thread boundary again', async () => {
  const server = await startServer();
  const pid = server.child.pid as number;
  const h = new Harness(() => ({ mode: 'workspace', rootPids: [pid], folders: [] }));
  try {
    h.host.setDemand('full');
    const client = await connectTo(server.port);
    const clientPort = client.localPort as number;
    await h.until('the connection', () => h.find((c) => c.local.port === clientPort && c.state === 'ESTABLISHED') !== undefined);
    const id = h.find((c) => c.local.port === clientPort)?.id as string;
    const sizeBefore = h.mirror.size;
    client.destroy();
    // This side closed first: FIN-WAIT-2 (the server never closes) or, on the way there, FIN-WAIT-1.
    await h.until('the client end leaving ESTABLISHED', () => h.mirror.connection(id)?.state !== 'ESTABLISHED');
    const later = h.updates.slice(1);
    assert.ok(later.every((u) => !u.reset && u.changed.length <= sizeBefore), 'only deltas after the first update');
    assert.ok(later.some((u) => u.changed.some((c) => c.id === id)), 'the changed connection was sent');
  } finally {
    await h.host.dispose();
    await stop(server.child);
  }
});

test('a server orphaned by its parent (the root) stays in scope while it lives, and is an open-after-exit insight', async () => {
  // The root spawns a detached grandchild server and exits: the grandchild is reparented and no longer a descendant
  // of any root, like a server started from a debuggee that has ended.
  const grandchild = "const s=require('net').createServer(()=>{}).listen(0,'127.0.0.1',()=>console.log(process.pid,s.address().port))";
  const parentScript = `const c=require('child_process').spawn(process.execPath,['-e',${JSON.stringify(grandchild)}],{detached:true,stdio:['ignore','pipe','inherit']});c.stdout.pipe(process.stdout);process.stdin.once('data',()=>process.exit(0));`;
  const parent = spawn(process.execPath, ['-e', parentScript], { stdio: ['pipe', 'pipe', 'inherit'] });
  const line = await new Promise<string>((resolve) => createInterface({ input: parent.stdout as NonNullable<ChildProcess['stdout']> }).once('line', resolve));
  const [serverPid, port] = line.trim().split(/\s+/).map(Number);
  const h = new Harness(() => ({ mode: 'workspace', rootPids: parent.exitCode === null ? [parent.pid as number] : [], folders: [] }));
  const stopTraffic = await traffic();
  try {
    h.host.setDemand('full');
    await h.until('the grandchild\'s listener', () => h.find((c) => c.state === 'LISTEN' && c.local.port === port) !== undefined);
    assert.equal(h.find((c) => c.local.port === port)?.owner?.pid, serverPid);
    const exited = new Promise((resolve) => parent.once('exit', resolve));
    parent.stdin?.end('bye');
    await exited;
    h.host.markExited(parent.pid as number);
    const seen = h.messages.length;
    await h.until('three samples after the root exited', () => h.messages.length >= seen + 3);
    const listen = h.find((c) => c.state === 'LISTEN' && c.local.port === port);
    assert.ok(listen, 'the orphaned server is still in scope');
    assert.equal(listen.closedAt, null);
    // The debuggee (the root) exited while its child holds a listening socket: the open-after-exit insight, for
    // the child, found through the parent it had before it was reparented.
    await h.until('the open-after-exit insight', () => h.mirror.insights().some((i) => i.kind === 'open-after-exit'));
    const insight = h.mirror.insights().find((i) => i.kind === 'open-after-exit');
    assert.equal(insight?.pid, serverPid);
    assert.ok(insight?.connectionIds.includes(listen.id));
  } finally {
    stopTraffic();
    await h.host.dispose();
    try {
      process.kill(serverPid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});

test('pause stops sampling and resume restarts it; no demand means no sampling', async () => {
  const h = new Harness(() => ({ mode: 'workspace', rootPids: [process.pid], folders: [] }));
  try {
    h.host.setDemand('full');
    await h.until('a first sample', () => h.messages.length > 0);
    h.host.setPaused(true);
    assert.equal(h.host.running, false);
    // A sample already asked for may still answer; after that, nothing for several intervals.
    await new Promise((r) => setTimeout(r, 300));
    const count = h.messages.length;
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal(h.messages.length, count, 'no samples while paused');
    h.host.setPaused(false);
    await h.until('a sample after resume', () => h.messages.length > count);
    h.host.setDemand(null);
    assert.equal(h.host.running, false);
    await new Promise((r) => setTimeout(r, 300));
    const idle = h.messages.length;
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal(h.messages.length, idle, 'no samples without demand');
    // sampleNow still works without demand: the snapshot command.
    const sample = await h.host.sampleNow();
    assert.equal(sample.scope, 'workspace');
    assert.ok(sample.scopePids.includes(process.pid));
  } finally {
    await h.host.dispose();
  }
});

test('sampleNow with a scope looks at it once: the whole machine, while the loop keeps its workspace scope and model', async () => {
  // A server that is not a descendant of this process (its parent, a shell, exits at once): only the whole-machine
  // scope has it. Started before the loop, so no sample ever saw it as a descendant to carry.
  const { pid, port } = await startOrphanServer();
  const h = new Harness(() => ({ mode: 'workspace', rootPids: [process.pid], folders: [] }));
  const stopTraffic = await traffic();
  try {
    h.host.setDemand('full');
    await h.until('two samples of the workspace scope', () => h.messages.length >= 2);
    assert.equal(h.find((c) => c.local.port === port), undefined, 'not in the workspace scope');
    const updatesBefore = h.updates.length;
    const messagesBefore = h.messages.length;
    const connectionsBefore = h.mirror.connections().length;

    const look = await h.host.sampleNow({ mode: 'all' });
    assert.equal(look.scope, 'all');
    const listener = look.sockets.find((s) => s.state === 'LISTEN' && s.local.port === port);
    assert.ok(listener, `the outside server's listener on :${port}`);
    assert.deepEqual(listener.owners.map((o) => o.pid), [pid]);
    assert.ok(look.processes.some((p) => p.pid === pid), 'its process record comes with it');
    assert.equal(h.messages.length, messagesBefore, 'onSampled did not see the look');

    // The loop goes on in the workspace scope with the same tracker: no reset, nothing of the machine's.
    await h.until('two more samples', () => h.messages.length >= messagesBefore + 2);
    const later = h.messages.slice(messagesBefore);
    assert.ok(later.every((m) => m.stats.scope === 'workspace'));
    assert.ok(h.updates.slice(updatesBefore).every((u) => !u.reset), 'the tracker was not restarted');
    assert.equal(h.find((c) => c.local.port === port), undefined);
    assert.ok(Math.abs(h.mirror.connections().length - connectionsBefore) < 20, 'the model still holds the workspace scope');
  } finally {
    stopTraffic();
    process.kill(pid);
    await h.host.dispose();
  }
});

test('a worker that misses the deadline is replaced, and the failure says so', async () => {
  // Starting a worker and reading /proc cannot answer within 1 ms: every sample misses its deadline.
  const h = new Harness(() => ({ mode: 'all' }), { sampleTimeoutMs: 1 });
  try {
    h.host.setDemand('full');
    await h.until('a timeout', () => h.failures.length > 0);
    assert.equal(h.failures[0].code, 'timeout');
    assert.equal(h.failures[0].timeoutMs, 1);
    assert.equal(h.host.hasWorker, false, 'the stuck worker was dropped');
    assert.equal(h.messages.length, 0);
  } finally {
    await h.host.dispose();
  }
});

test('dispose leaves no worker thread, child process or timer behind (proc and ss backends)', async (t) => {
  for (const backend of hasSs ? (['proc', 'ss'] as const) : (['proc'] as const)) {
    await t.test(backend, async (st) => {
      const stopTraffic = await traffic();
      st.after(stopTraffic);
      const timersBefore = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
      const h = new Harness(() => ({ mode: 'all' }), { backend });
      h.host.setDemand('full');
      await h.until('two samples', () => h.messages.length >= 2).catch(async (e: unknown) => {
        await h.host.dispose();
        throw e;
      });
      const tid = h.messages[h.messages.length - 1].stats.workerTid;
      assert.equal(h.messages[0].stats.backend, backend);
      assert.ok(tid !== null && threadIds().has(tid), 'the worker runs in its own kernel thread');
      await h.host.dispose();
      assert.equal(existsSync(`/proc/self/task/${tid}`), false, 'the worker thread is gone');
      assert.equal(h.host.hasWorker, false);
      assert.deepEqual(childPids(), [], 'no child process (ss) left');
      assert.equal(process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length, timersBefore, 'no timer left');
      const count = h.messages.length;
      await new Promise((r) => setTimeout(r, 500));
      assert.equal(h.messages.length, count, 'nothing arrives after dispose');
      await assert.rejects(h.host.sampleNow());
    });
  }
});

test('the loop stretches its interval when a sample costs more than its CPU budget', async () => {
  // A budget no real sample fits in: after one sample the next is as far off as the cap allows.
  const h = new Harness(() => ({ mode: 'workspace', rootPids: [process.pid], folders: [] }), { cpuBudget: 1e-9 });
  const stopTraffic = await traffic();
  try {
    h.host.setDemand('full');
    // The first sample only seeds the cost estimate (cold caches); the second one is judged against the budget.
    await h.until('two samples', () => h.messages.length > 1);
    const stats = h.messages[1].stats;
    assert.ok(stats.costMs > 0, 'the worker measured what the sample cost');
    assert.equal(h.host.intervalMs, MAX_INTERVAL_MS);
    h.host.setDemand('summary');
    assert.ok(h.host.intervalMs >= MAX_INTERVAL_MS, 'switching demand keeps the back-off the cost calls for (or the longer summary heartbeat)');
  } finally {
    stopTraffic();
    await h.host.dispose();
  }
});

test('with only summary demand the heartbeat is 30 s (5 s where the counters cannot be read); probing follows the demand', async () => {
  const h = new Harness(() => ({ mode: 'workspace', rootPids: [process.pid], folders: [] }));
  try {
    h.host.setDemand('summary');
    await waitFor('the worker to say its probes work', () => h.host.loop.changeDriven);
    assert.equal(h.host.loop.probePeriodMs, PROBE_PERIOD_MS.summary);
    assert.equal(h.host.intervalMs, SUMMARY_HEARTBEAT_MS);
    h.host.setDemand('full');
    assert.equal(h.host.intervalMs, 200);
    assert.equal(h.host.loop.probePeriodMs, PROBE_PERIOD_MS.full);
    h.host.setDemand(null);
    assert.equal(h.host.loop.probePeriodMs, null, 'no demand: no probing');
    assert.ok(SUMMARY_INTERVAL_MS === 5000, 'without probes the status bar alone reads every 5 s');
  } finally {
    await h.host.dispose();
  }
});

test('a large update crosses in chunks and arrives whole', async () => {
  // Twenty connections to a server in scope: 41 sockets with the listener and the peers, in chunks of 4.
  const server = await startServer();
  const pid = server.child.pid as number;
  const clients = await Promise.all(Array.from({ length: 20 }, () => connectTo(server.port)));
  const scope = (): SampleScope => ({ mode: 'workspace', rootPids: [pid], folders: [] });
  const chunked = new Harness(scope, { chunkSize: 4 });
  const whole = new Harness(scope, { chunkSize: 1_000_000 });
  try {
    const first = (h: Harness) => h.until('the full state', () => h.updates.length > 0 && h.mirror.size >= 41);
    chunked.host.setDemand('full');
    whole.host.setDemand('full');
    await Promise.all([first(chunked), first(whole)]);
    assert.ok(chunked.host.chunksReceived >= 10, `${chunked.host.chunksReceived} chunks`);
    assert.equal(whole.host.chunksReceived, 0);
    assert.equal(chunked.updates[0].reset, true);
    const ids = (h: Harness) => h.updates[0].changed.map((c) => c.id);
    assert.equal(new Set(ids(chunked)).size, ids(chunked).length, 'no connection twice');
    assert.deepEqual([...ids(chunked)].sort(), [...ids(whole)].sort(), 'the same connections as one message');
  } finally {
    for (const c of clients) c.destroy();
    await Promise.all([chunked.host.dispose(), whole.host.dispose()]);
    await stop(server.child);
  }
});

test('a root dropped while its process still runs takes its tree out of the scope', async () => {
  // Like a disposed addRoot, or a debuggee that lives on after its session detached: unlike an exited root's orphans,
  // its processes are not the workspace's any more.
  const server = await startServer();
  const pid = server.child.pid as number;
  let rooted = true;
  const h = new Harness(() => ({ mode: 'workspace', rootPids: rooted ? [pid] : [], folders: [] }));
  try {
    h.host.setDemand('full');
    await h.until('the listener while rooted', () => h.find((c) => c.state === 'LISTEN' && c.local.port === server.port && c.closedAt === null) !== undefined);
    rooted = false;
    h.host.poke();
    await h.until('the listener to leave the scope', () => h.find((c) => c.state === 'LISTEN' && c.local.port === server.port && c.closedAt === null) === undefined);
    assert.equal(server.child.exitCode, null, 'the server still runs');
  } finally {
    await h.host.dispose();
    await stop(server.child);
  }
});

test('the worker answers "is this pid in the workspace scope?" by the samples\' own rules, read fresh', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tcpsv-scope-'));
  // A shell (the root, as a terminal would be) with a child that sleeps in the folder.
  const shell = spawn('sh', ['-c', `cd '${dir}' && sleep 30 & wait`], { stdio: 'ignore' });
  const host = new SamplerHost({ workerPath, settings: settings(), intervalMs: 1000, scope: () => ({ mode: 'all' }), onSampled: () => undefined, onFailed: () => undefined });
  try {
    const sleeper = await waitForChild(shell.pid as number);
    const asRoot = await host.checkProcess(sleeper, { mode: 'workspace', rootPids: [shell.pid as number], folders: [] });
    assert.equal(asRoot.inScope, true, 'a descendant of a root');
    assert.equal(asRoot.command, 'sleep');
    assert.ok(asRoot.startTime !== null && asRoot.startTime > 0);
    assert.equal(asRoot.uid, process.getuid?.() ?? asRoot.uid);
    assert.equal((await host.checkProcess(sleeper, { mode: 'workspace', rootPids: [], folders: [dir] })).inScope, true, 'runs in a workspace folder');
    assert.equal((await host.checkProcess(sleeper, { mode: 'workspace', rootPids: [], folders: [tmpdir() + '/elsewhere'] })).inScope, false, 'neither');
    assert.equal((await host.checkProcess(process.pid, { mode: 'workspace', rootPids: [shell.pid as number], folders: [dir] })).inScope, false, 'a parent of the root is not in its tree');
    shell.kill('SIGKILL');
    process.kill(sleeper, 'SIGKILL');
    await waitFor('the sleeper to exit', () => !existsSync(`/proc/${sleeper}`) || readFileSync(`/proc/${sleeper}/stat`, 'latin1').includes(') Z '));
    const gone = await host.checkProcess(sleeper, { mode: 'workspace', rootPids: [shell.pid as number], folders: [dir] });
    assert.deepEqual([gone.startTime, gone.inScope], [null, false], 'an exited process is never in scope');
  } finally {
    shell.kill('SIGKILL');
    await host.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
});

/** The first child of `pid` (from /proc/<pid>/task/<pid>/children), waiting for it to appear. */
function waitForChild(pid: number): Promise<number> {
  return waitFor(`a child of ${pid}`, () => {
    try {
      return Number(readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/)[0] || 0) || undefined;
    } catch {
      return undefined;
    }
  });
}
