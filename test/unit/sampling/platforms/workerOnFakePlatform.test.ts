// The sampler worker's pipeline and the CLI, end to end on a platform that is not Linux: a fake PlatformSource
// (canned tables, as a parser would hand them over) behind the shared ToolSampler, with capabilities that say it
// has no change probes, no tcp_info and no ss. Everything the worker and the CLI learn about processes and sockets
// must come through the platform: this file records every path under /proc that the fs module is asked for and
// every program child_process is asked to start, and expects none.
//
// process.platform is set to 'darwin' for this process, as on a Mac: the two things the worker reads for itself,
// outside the platform (its thread's CPU clock and its kernel thread id, both Linux-only by process.platform), then
// take their non-Linux path, so that the assertion can be strict: nothing under /proc at all.
import { test } from 'node:test';
import assert from 'node:assert/strict';
// Default imports: the modules' own objects (a namespace import is a copy with getters only).
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import childProcess from 'node:child_process';
import { SamplerPipeline } from '../../../../src/sampling/samplerWorker';
import { main } from '../../../../src/cli/cli';
import type { WorkerSettings } from '../../../../src/sampling/workerProtocol';
import type { SampleScope } from '../../../../src/domain/types';
import { emptyParse, type ToolRow } from '../../../../src/sampling/platforms/common';
import { toolRow } from './fixtures';
import type { PlatformCapabilities, ProcessIdentity } from '../../../../src/sampling/platforms/platform';
import { ToolSampler, type PlatformSource, type ProcessDetails, type ToolProcess, type ToolTable } from '../../../../src/sampling/platforms/toolSampler';

Object.defineProperty(process, 'platform', { value: 'darwin' });

/** Paths under /proc asked of fs, and programs asked of child_process, by anything in this process. */
const procReads: string[] = [];
const spawned: string[] = [];

function pathOf(arg: unknown): string | null {
  if (typeof arg === 'string') return arg;
  if (Buffer.isBuffer(arg)) return arg.toString('latin1');
  if (arg instanceof URL) return arg.pathname;
  return null;
}

function watchPaths(target: Record<string, unknown>, names: readonly string[]): void {
  for (const name of names) {
    const f = target[name];
    if (typeof f !== 'function') continue;
    target[name] = function (this: unknown, ...args: unknown[]) {
      const p = pathOf(args[0]);
      if (p !== null && /^\/proc(\/|$)/.test(p)) procReads.push(`${name} ${p}`);
      return (f as (...a: unknown[]) => unknown).apply(this, args);
    };
  }
}

// The modules' own objects: the bundle calls them through these at call time (import_node_fs.readFileSync(...)).
watchPaths(fs as unknown as Record<string, unknown>, ['readFileSync', 'readlinkSync', 'readdirSync', 'openSync', 'statSync', 'lstatSync', 'existsSync', 'accessSync', 'readFile', 'readlink', 'readdir', 'open', 'stat', 'createReadStream']);
watchPaths(fsp as unknown as Record<string, unknown>, ['readFile', 'readlink', 'readdir', 'open', 'stat', 'lstat', 'access']);
for (const name of ['spawn', 'spawnSync', 'execFile', 'execFileSync', 'exec', 'execSync', 'fork'] as const) {
  const target = childProcess as unknown as Record<string, unknown>;
  const f = target[name] as (...a: unknown[]) => unknown;
  target[name] = function (this: unknown, ...args: unknown[]) {
    spawned.push(`${name} ${String(args[0])}`);
    return f.apply(this, args);
  };
}

const CAPABILITIES: PlatformCapabilities = {
  exactOwners: 'all',
  timeWaitOwners: false,
  namespaces: false,
  processCwd: true,
  commandLines: true,
  queues: false,
  timers: false,
  tcpInfo: false,
  startTimes: true,
  changeProbes: false,
  ssCommands: false,
};

const row = toolRow;

const proc = (pid: number, ppid: number, command: string, cwd: string | null = null): ToolProcess => ({ pid, ppid, command, startTime: 1_700_000_000 + pid, uid: 501, cwd });

/** A system whose tables the test sets; it counts what it is asked. */
class FakeSource implements PlatformSource {
  readonly id = 'fake';
  rows: ToolRow[] = [];
  processes: ToolProcess[] = [];
  tableReads = 0;
  processReads: number[] = [];
  /** What its programs cost, ms, per sample (lastChildCpuMs goes into the sample's cost). */
  childMs = 7;

  capabilities(): PlatformCapabilities {
    return CAPABILITIES;
  }
  describe(): string {
    return 'fake: canned tables';
  }
  readTable(): Promise<ToolTable> {
    this.tableReads++;
    const parse = emptyParse<ToolRow>();
    parse.rows.push(...this.rows.map((r) => ({ ...r, owners: [...r.owners] })));
    return Promise.resolve({ backend: 'netstat', source: 'fake-netstat', parse });
  }
  readProcesses(options: { cwd: boolean }): Promise<ToolProcess[]> {
    return Promise.resolve(this.processes.map((p) => ({ ...p, cwd: options.cwd ? p.cwd : undefined })));
  }
  readDetails(pids: readonly number[]): Promise<Map<number, ProcessDetails>> {
    return Promise.resolve(new Map(pids.map((pid) => [pid, { commandLine: [this.processes.find((p) => p.pid === pid)?.command ?? '', String(pid)], cwd: null }])));
  }
  readProcess(pid: number): Promise<ProcessIdentity | null> {
    this.processReads.push(pid);
    const p = this.processes.find((x) => x.pid === pid);
    return Promise.resolve(p === undefined ? null : { pid, ppid: p.ppid, command: p.command, startTime: p.startTime, uid: p.uid, cwd: p.cwd ?? null });
  }
  sampleTimeoutMs(): number {
    return 4321;
  }
  takeChildMs(): number {
    return this.childMs;
  }
}

const settings: WorkerSettings = { backend: 'auto', ssPath: 'ss', tracker: { closedRetentionMs: 10_000, maxClosed: 500 }, insights: { closeWaitSeconds: 30, timeWaitPerEndpoint: 200, synSentSeconds: 5 } };

/** A debug session (100) started a server (101) on 8080; 200 is a client outside the scope; 300 is unrelated. */
function machine(): FakeSource {
  const source = new FakeSource();
  source.processes = [proc(1, 0, 'launchd'), proc(100, 1, 'node'), proc(101, 100, 'node'), proc(200, 1, 'curl'), proc(300, 1, 'Safari')];
  source.rows = [
    row('LISTEN', '0.0.0.0 8080', '0.0.0.0 0', [{ pid: 101, command: '' }]),
    row('ESTABLISHED', '127.0.0.1 8080', '127.0.0.1 50000', [{ pid: 101, command: '' }]),
    row('ESTABLISHED', '127.0.0.1 50000', '127.0.0.1 8080', [{ pid: 200, command: '' }]),
    row('ESTABLISHED', '192.168.1.5 50001', '17.0.0.1 443', [{ pid: 300, command: '' }]),
  ];
  return source;
}

test('the worker\'s pipeline samples, scopes, carries an orphaned tree and checks a process through the platform alone', async () => {
  const source = machine();
  let made = 0;
  const pipeline = new SamplerPipeline({
    containers: null,
    platform: () => {
      made++;
      return new ToolSampler(source);
    },
  });
  pipeline.configure(settings);
  const scope: SampleScope = { mode: 'workspace', rootPids: [100], folders: [] };

  const first = await pipeline.sample(1, scope, true);
  assert.equal(first.kind, 'sampled', first.kind === 'failed' ? first.error.message : '');
  if (first.kind !== 'sampled') return;
  assert.equal(first.stats.backend, 'netstat');
  assert.deepEqual([first.stats.totalSockets, first.stats.scopedSockets], [4, 3], 'the server\'s listener and connection, and its loopback peer');
  assert.equal(first.stats.nextSampleTimeoutMs, 4321, 'the host\'s deadline follows the platform\'s');
  assert.ok(first.stats.costMs >= 7, `the cost counts the platform's programs (7 ms): ${first.stats.costMs}`);
  assert.equal(first.stats.workerTid, null, 'no kernel thread id off Linux');
  assert.deepEqual(first.sample?.scopePids, [100, 101, 200]);
  assert.deepEqual(first.update?.counts.ESTABLISHED, 2);

  // The debug session ends: 101 is orphaned (reparented to launchd) and stays in scope, carried from its root.
  source.processes = source.processes.filter((p) => p.pid !== 100).map((p) => (p.pid === 101 ? { ...p, ppid: 1 } : p));
  const second = await pipeline.sample(2, scope, true);
  assert.equal(second.kind, 'sampled');
  if (second.kind !== 'sampled') return;
  assert.ok(second.sample?.scopePids.includes(101) && !second.sample.scopePids.includes(100), `the orphan stays in scope, carried through the platform's start times: ${String(second.sample?.scopePids)}`);
  assert.ok(second.sample?.sockets.some((x) => x.state === 'LISTEN' && x.owners.some((o) => o.pid === 101)), 'its listener with it');
  assert.equal(second.stats.scopedSockets, 3);

  // The stop command's checks: read through the platform's readProcess.
  const server = await pipeline.checkProcess(101, scope);
  assert.deepEqual(server, { pid: 101, startTime: 1_700_000_101, uid: 501, command: 'node', inScope: true });
  const safari = await pipeline.checkProcess(300, scope);
  assert.equal(safari.inScope, false);
  assert.equal((await pipeline.checkProcess(100, scope)).startTime, null, 'the exited root is gone');
  assert.ok(source.processReads.includes(101) && source.processReads.includes(300));
  assert.deepEqual(await pipeline.readProcess(101), { pid: 101, ppid: 1, command: 'node', startTime: 1_700_000_101, uid: 501, cwd: null });

  // A look at the whole machine (Who Uses Port) goes the same way.
  const look = await pipeline.sample(3, { mode: 'all' }, true, false);
  assert.equal(look.kind === 'sampled' ? look.sample?.sockets.length : -1, 4);

  assert.equal(made, 1, 'one platform for the settings');
  assert.equal(source.tableReads, 3);
  assert.deepEqual(pipeline.namespaces, []);
  assert.deepEqual(procReads, [], 'nothing under /proc was read');
  assert.deepEqual(spawned, [], 'no program (ss) was started');
});

test('the CLI\'s snapshot and watch read through the platform; watch reads periodically where the platform has no change probes', async () => {
  const source = machine();
  const out: string[] = [];
  const err: string[] = [];
  const io = (stopped: Promise<void>) => ({
    stdout: (t: string) => out.push(t),
    stderr: (t: string) => err.push(t),
    cwd: '/Users/me/ws',
    host: 'mac',
    stopped,
    platform: () => new ToolSampler(source),
  });

  assert.equal(await main(['snapshot', '--json', '--port', '8080'], io(new Promise(() => {}))), 0, err.join(''));
  const snapshot = JSON.parse(out.join('')) as { backend: string; sockets: { state: string; owners: { pid: number; command: string }[] }[] };
  assert.equal(snapshot.backend, 'netstat');
  assert.deepEqual(
    snapshot.sockets.map((s) => `${s.state} ${s.owners.map((o) => `${o.pid}/${o.command}`).join(',')}`),
    ['LISTEN 101/node', 'ESTABLISHED 101/node', 'ESTABLISHED 200/curl'],
  );

  // watch: the client closes; with no probes, the next periodic read (--interval 100) sees it.
  out.length = 0;
  let stop!: () => void;
  const stopped = new Promise<void>((r) => (stop = r));
  const reads = source.tableReads;
  const run = main(['watch', '--json', '--interval', '100', '--port', '50000'], io(stopped));
  while (source.tableReads === reads) await new Promise((r) => setTimeout(r, 10));
  source.rows = source.rows.map((r) => (r.local.port === 50000 ? { ...r, state: 'FIN-WAIT-1' as const, stateWord: 'FIN-WAIT-1' } : r));
  const deadline = Date.now() + 10_000;
  while (!out.some((l) => l.includes('FIN-WAIT-1')) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  stop();
  assert.equal(await run, 0, err.join(''));
  const lines = out.map((l) => JSON.parse(l) as { pid: number; from: string; to: string });
  assert.deepEqual(lines.map((l) => `${l.pid} ${l.from} -> ${l.to}`), ['200 ESTABLISHED -> FIN-WAIT-1']);

  assert.deepEqual(procReads, [], 'nothing under /proc was read (no change watcher either)');
  assert.deepEqual(spawned, [], 'no program (ss) was started');
});
