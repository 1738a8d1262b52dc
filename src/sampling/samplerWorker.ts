// The sampler worker thread (dist/samplerWorker.js): reads the socket table, tracks connections, finds insights, and
// answers the host with deltas only, so the extension host's main thread handles a few changed records per sample
// instead of the whole table. It never samples on its own: the host asks (src/sampling/samplerHost.ts), one sample at a time.
import { readlinkSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { parentPort } from 'node:worker_threads';
import { computeInsights } from '../domain/insights';
import { DeltaEncoder } from '../domain/modelDelta';
import { computeScopePids, isPathInside, type ProcessNode } from '../domain/scope';
import { ScopeView } from '../domain/scopeView';
import { SAMPLER_ERROR_CODES, type ContainerSource, type SamplerResult } from './socketSampler';
import { selectPlatform, type Platform, type ProcessIdentity } from './platforms/platform';
import { ChangeWatcher } from './changeWatcher';
import { namespacesToReread } from '../domain/changeTrigger';
import { ContainerRegistry } from './containers/registry';
import { ConnectionTracker } from '../domain/tracker';
import type { TrackerOptions } from '../domain/tracker';
import type { Connection, NetNamespaceSummary, ProcessInfo, SampleScope, ScopeMode, ScopedSample, SocketRecord } from '../domain/types';
import { isHostToWorker } from './workerProtocol';
import type { HostToWorker, ProcessCheck, SampleAnswer, SampleError, SampleErrorCode, SampleStats, WorkerChunk, WorkerNotice, WorkerSettings, WorkerToHost } from './workerProtocol';
import { groupAlive, killGroupsNow, liveGroups, onGroupsChanged } from './childProcesses';
import { threadCpuMs } from './threadCpu';

const SAMPLER_CODES: ReadonlySet<string> = new Set<string>(SAMPLER_ERROR_CODES);

/** Exited debuggees older than this no longer matter for the open-after-exit insight. */
const EXITED_MEMORY_MS = 60 * 60_000;

/** A process not seen for this long is forgotten from the lineage (its pid may be reused by then). */
const LINEAGE_MEMORY_MS = 10 * 60_000;

/** This thread's kernel thread id: /proc/thread-self links to `<pid>/task/<tid>`; null where there is no such link. */
function kernelThreadId(): number | null {
  // Linux's procfs only: elsewhere the worker reads nothing under /proc.
  if (process.platform !== 'linux') return null;
  try {
    const m = /task\/(\d+)$/.exec(readlinkSync('/proc/thread-self'));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

/** The sample without its whole table (only the scope's rows go to the host). */
function scopedPart(sample: SamplerResult): ScopedSample {
  const { table: _table, ...scoped } = sample;
  return scoped;
}

function toSampleError(e: unknown): SampleError {
  if (typeof e === 'object' && e !== null && 'code' in e && typeof e.code === 'string' && SAMPLER_CODES.has(e.code)) {
    return { code: e.code as SampleErrorCode, message: e instanceof Error ? e.message : String(e) };
  }
  return { code: 'internal', message: e instanceof Error ? (e.stack ?? e.message) : String(e) };
}

function trackerOptionsEqual(a: WorkerSettings, b: WorkerSettings): boolean {
  return a.tracker.closedRetentionMs === b.tracker.closedRetentionMs && a.tracker.maxClosed === b.tracker.maxClosed;
}

/** A process carried into the next sample's scope, and the root it came from (pid and start time, for reuse). */
interface Carried {
  start: number;
  origin: number;
  originStart: number;
}

function trackerOptions(s: WorkerSettings): Partial<TrackerOptions> {
  return { closedRetentionMs: s.tracker.closedRetentionMs, maxClosed: s.tracker.maxClosed };
}

/** The platform for these settings (selectPlatform for this system; tests pass another). */
export type PlatformFactory = (settings: WorkerSettings, containers: ContainerSource | null) => Platform;

const systemPlatform: PlatformFactory = (settings, containers) => selectPlatform(process.platform, { backend: settings.backend, ssPath: settings.ssPath, containers });

export class SamplerPipeline {
  private settings: WorkerSettings | null = null;
  private platform: Platform | null = null;
  private readonly makePlatform: PlatformFactory;
  /** One tracker for the whole table, whatever the scope: ages and histories do not depend on what is shown. */
  private tracker: ConnectionTracker | null = null;
  /** Which of the tracker's connections the host holds (the scope). */
  private readonly view = new ScopeView();
  private readonly encoder = new DeltaEncoder();
  /** Closed connections the tracker dropped outside an update (new retention settings). */
  private readonly removedBetweenSamples: string[] = [];
  private mode: ScopeMode | null = null;
  /**
   * Processes of the workspace scope's trees, by pid, with the root each came from. A process stays in scope while
   * its root is asked for, and after its root has exited: a server started from a terminal, or a debuggee's child,
   * outlives its parent, is reparented, and would otherwise drop out of the scope the moment it is orphaned. A root
   * that is dropped while it still runs (a disposed addRoot, a detached debuggee) takes its tree out with it.
   */
  private carried = new Map<number, Carried>();
  /** Exited debuggees and the processes of their trees, with when the debuggee exited (ms since the epoch). */
  private readonly exited = new Map<number, number>();
  /**
   * Each process's parent as first seen, by pid. An orphan is reparented (to init or a subreaper) the moment its
   * parent exits, so by the time a debuggee is known to have exited only this remembers whose child it was.
   */
  private readonly lineage = new Map<number, { ppid: number; startTime: number; seenAt: number }>();
  private readonly tid = kernelThreadId();
  /** Start time of each host root when first seen, by pid. */
  private readonly rootStarts = new Map<number, number>();
  /** Containers for labels and the workspace scope; kept across sampler rebuilds (it follows the engine's events). */
  private readonly containers: ContainerSource | null;

  /**
   * `containers`: where containers come from; default the engine at DOCKER_HOST or /var/run/docker.sock, null for
   * none (asked only by a platform that reads other namespaces). `platform`: how the table is read; default this
   * system's (selectPlatform).
   */
  constructor(options: { containers?: ContainerSource | null; platform?: PlatformFactory } = {}) {
    this.containers = options.containers !== undefined ? options.containers : new ContainerRegistry();
    this.makePlatform = options.platform ?? systemPlatform;
  }

  configure(settings: WorkerSettings): void {
    const before = this.settings;
    this.settings = settings;
    if (before === null || before.backend !== settings.backend || before.ssPath !== settings.ssPath) this.platform = null;
    else this.platform?.retryPreferredSource();
    if (this.tracker !== null && before !== null && !trackerOptionsEqual(before, settings)) {
      // New retention applies to what is held already; what it evicts now goes out with the next update.
      this.tracker.setOptions(trackerOptions(settings));
      this.removedBetweenSamples.push(...this.tracker.lastChanges().removed);
    }
  }

  /**
   * The network namespaces the last sample read, ours first, each with the process its table was read through: the
   * net folders (/proc/<pid>/net) a change watcher can probe, one per namespace.
   */
  get namespaces(): readonly NetNamespaceSummary[] {
    return this.platform?.namespacesRead() ?? [];
  }

  /**
   * Called right before each read of the table: the change watcher takes its baseline, and says which namespaces
   * its probes saw quiet since the last one (a read the probes asked for keeps their last rows).
   */
  beforeRead: (() => ReadonlySet<string>) | null = null;

  /** Connections from before this worker, for its first sample to continue (only before that sample). */
  seed(connections: readonly Connection[]): void {
    if (this.settings === null || this.tracker !== null) return;
    this.trackerFor(this.settings).seed(connections);
  }

  markExited(pid: number): void {
    const at = Date.now();
    const children = new Map<number, number[]>();
    for (const [child, { ppid }] of this.lineage) {
      const list = children.get(ppid);
      if (list === undefined) children.set(ppid, [child]);
      else list.push(child);
    }
    const stack = [pid];
    while (stack.length > 0) {
      const p = stack.pop() as number;
      if (this.exited.has(p) && p !== pid) continue;
      this.exited.set(p, at);
      for (const c of children.get(p) ?? []) stack.push(c);
    }
  }

  private remember(processes: readonly ProcessInfo[], now: number): void {
    for (const p of processes) {
      const known = this.lineage.get(p.pid);
      if (known === undefined || known.startTime !== p.startTime) this.lineage.set(p.pid, { ppid: p.ppid, startTime: p.startTime, seenAt: now });
      else known.seenAt = now;
    }
    for (const [pid, l] of this.lineage) if (now - l.seenAt > LINEAGE_MEMORY_MS) this.lineage.delete(pid);
  }

  private trackerFor(settings: WorkerSettings): ConnectionTracker {
    if (this.tracker === null) {
      this.tracker = new ConnectionTracker(trackerOptions(settings));
    }
    return this.tracker;
  }

  /** The platform for the settings, made on first use (and again after a change of backend or ss path). */
  platformFor(settings: WorkerSettings): Platform {
    if (this.platform === null) this.platform = this.makePlatform(settings, this.containers);
    return this.platform;
  }

  /** The platform as configured; null before any settings. */
  get currentPlatform(): Platform | null {
    return this.settings === null ? null : this.platformFor(this.settings);
  }

  /** One process read through the platform, for the host's stop command; null without settings or such a process. */
  async readProcess(pid: number): Promise<ProcessIdentity | null> {
    const platform = this.currentPlatform;
    return platform === null ? null : platform.readProcess(pid);
  }

  /**
   * The host's roots that are still the processes they were when first asked for. A root can outlive its process
   * (a terminal stays open after its shell exits; a debug session hangs): once the pid is reused, the new process
   * must not join the scope.
   */
  private liveRoots(pids: readonly number[], starts: ReadonlyMap<number, number>): number[] {
    const out: number[] = [];
    const asked = new Set(pids);
    for (const pid of this.rootStarts.keys()) if (!asked.has(pid)) this.rootStarts.delete(pid);
    for (const pid of asked) {
      const start = starts.get(pid);
      if (start === undefined) continue;
      const first = this.rootStarts.get(pid);
      if (first === undefined) this.rootStarts.set(pid, start);
      else if (first !== start) continue;
      out.push(pid);
    }
    return out;
  }

  /**
   * The scope asked for, narrowed to live roots and widened by the processes carried from earlier samples: those
   * still running as the same process whose root is still asked for or has exited.
   */
  private async effectiveScope(platform: Platform, scope: SampleScope): Promise<SampleScope> {
    if (scope.mode === 'all') return scope;
    // The start times of the roots, the carried processes and their origins, in one reading.
    const asked = new Set(scope.rootPids);
    for (const [pid, c] of this.carried) asked.add(pid).add(c.origin);
    const starts = asked.size > 0 ? await platform.startTimes([...asked]) : new Map<number, number>();
    const roots = new Set(this.liveRoots(scope.rootPids, starts));
    const originLive = new Map<number, boolean>();
    for (const [pid, c] of this.carried) {
      if (roots.has(pid) || starts.get(pid) !== c.start) continue;
      let live = originLive.get(c.origin);
      if (live === undefined) originLive.set(c.origin, (live = starts.get(c.origin) === c.originStart));
      // Origin still running: keep only while it is still asked for. Origin gone: keep the orphans.
      if (!live || roots.has(c.origin)) roots.add(pid);
    }
    return { mode: 'workspace', rootPids: [...roots], folders: scope.folders };
  }

  /** Remembers the scope's process trees for the next sample (not its loopback peers: those are in scope only while connected). */
  private carry(scope: SampleScope, sample: ScopedSample, byPid: ReadonlyMap<number, ProcessInfo>): void {
    const before = this.carried;
    this.carried = new Map();
    if (scope.mode === 'all') return;
    const children = new Map<number, number[]>();
    for (const p of sample.processes) {
      const list = children.get(p.ppid);
      if (list === undefined) children.set(p.ppid, [p.pid]);
      else list.push(p.pid);
    }
    const visit = (pid: number, origin: number, originStart: number): void => {
      const stack = [pid];
      while (stack.length > 0) {
        const q = stack.pop() as number;
        const p = byPid.get(q);
        if (p === undefined || this.carried.has(q)) continue;
        this.carried.set(q, { start: p.startTime, origin, originStart });
        for (const c of children.get(q) ?? []) stack.push(c);
      }
    };
    // Host roots first (they are their own origin), then processes in scope by their cwd, then the carried ones.
    for (const pid of scope.rootPids) {
      const start = this.rootStarts.get(pid);
      if (start !== undefined) visit(pid, pid, start);
    }
    for (const p of sample.processes) {
      if (p.cwd && scope.folders.some((f) => isPathInside(p.cwd as string, f))) visit(p.pid, p.pid, p.startTime);
    }
    for (const pid of scope.rootPids) {
      const c = before.get(pid);
      if (c !== undefined) visit(pid, c.origin, c.originStart);
    }
  }

  /**
   * Whether `pid` is in the workspace scope by the rules the samples use: it or an ancestor is a live root (or a
   * process carried from a root's tree), or runs in a workspace folder. Read fresh through the platform: the last
   * sample may be a second old, and pids get reused.
   */
  async checkProcess(pid: number, requested: Extract<SampleScope, { mode: 'workspace' }>): Promise<ProcessCheck> {
    if (this.settings === null) return { pid, startTime: null, uid: null, command: null, inScope: false };
    const platform = this.platformFor(this.settings);
    const chain: ProcessNode[] = [];
    let self: { startTime: number; uid: number | null; command: string } | null = null;
    for (let p = pid, depth = 0; p > 0 && depth < 128; depth++) {
      const proc = await platform.readProcess(p);
      if (proc === null) break;
      if (p === pid) self = { startTime: proc.startTime, uid: proc.uid < 0 ? null : proc.uid, command: proc.command };
      // Another user's process has no readable folder (null): the folder rule cannot place it.
      chain.push({ pid: p, ppid: proc.ppid, cwd: proc.cwd });
      if (proc.ppid === p) break;
      p = proc.ppid;
    }
    if (self === null) return { pid, startTime: null, uid: null, command: null, inScope: false };
    const scope = await this.effectiveScope(platform, requested);
    const rootPids = scope.mode === 'workspace' ? scope.rootPids : [];
    const inScope = computeScopePids(rootPids, chain, requested.folders).has(pid);
    return { pid, startTime: self.startTime, uid: self.uid, command: self.command, inScope };
  }

  /** `onlyMoved`: a read the probes asked for: only the namespaces whose counters moved are read again. */
  async sample(seq: number, requested: SampleScope, wantSample: boolean, track = true, onlyMoved = false): Promise<SampleAnswer> {
    const settings = this.settings;
    if (settings === null) return { kind: 'failed', seq, error: { code: 'internal', message: 'sample asked for before any settings' } };
    if (!track) return this.look(seq, requested, settings);
    if (requested.mode !== this.mode) {
      // The same tracker seen through another scope: the host gets the new scope's connections, histories intact,
      // rather than sockets leaving the scope reported as closed and sockets entering it as opened.
      this.view.startOver(requested.mode === 'all');
      this.mode = requested.mode;
      this.carried.clear();
    }
    const cpu0 = threadCpuMs();
    const platform = this.platformFor(settings);
    let sample: SamplerResult;
    let scope: SampleScope;
    try {
      scope = await this.effectiveScope(platform, requested);
      // What moves in the kernel's counters from here on is news for the next read.
      const quiet = this.beforeRead?.();
      let reread = onlyMoved && quiet !== undefined ? namespacesToReread(platform.namespacesRead().map((n) => n.key), quiet) : undefined;
      // Nothing the probes can name moved (the probe that saw it was replaced since): read everything.
      if (reread !== undefined && reread.size === 0) reread = undefined;
      sample = await platform.sample({ scope, reread });
    } catch (e) {
      return { kind: 'failed', seq, error: toSampleError(e), nextSampleTimeoutMs: platform.sampleTimeoutMs() };
    }

    const started = performance.now();
    const processes = new Map<number, ProcessInfo>(sample.processes.map((p) => [p.pid, p] as const));
    this.carry(scope, sample, processes);
    const now = Date.now();
    this.remember(sample.processes, now);
    for (const [pid, at] of this.exited) if (now - at > EXITED_MEMORY_MS) this.exited.delete(pid);
    const tracker = this.trackerFor(settings);
    const events = tracker.update({ takenAt: sample.takenAt, sockets: sample.table });
    const changes = tracker.lastChanges();
    // The scope is decided per row (the sampler's selection); every row is tracked.
    const scoped = sample.scope === 'all' ? null : new Set<SocketRecord>(sample.sockets);
    const view = this.view.update({
      live: (visit) => tracker.forEachLive((c, row) => visit(c, scoped === null || scoped.has(row))),
      everyLiveInScope: scoped === null,
      changed: changes.changed,
      removed: [...this.removedBetweenSamples.splice(0), ...changes.removed],
      events,
      all: () => tracker.connections(),
    });
    const insights = computeInsights({ connections: view.inScope, now: sample.takenAt, thresholds: settings.insights, exitedPids: this.exited });
    const delta = this.encoder.encode({
      at: sample.takenAt,
      events: view.events,
      changed: view.changed,
      removed: view.removed,
      reset: view.reset,
      counts: view.counts,
      insights,
      processes,
    });
    const trackMs = performance.now() - started;
    // CPU, not wall time: on a loaded machine a read waits for a core, and that wait is not ours to budget.
    const busyMs = threadCpuMs() - cpu0;
    // With the CPU of the programs the platform ran for it (ss; on Linux's /proc backend none).
    const costMs = busyMs + platform.lastChildCpuMs();

    return {
      kind: 'sampled',
      seq,
      update: delta.update,
      processes: delta.processes,
      stats: {
        ...this.readingStats(sample, platform),
        trackMs,
        costMs,
        containers: sample.containers,
        namespaces: sample.namespaces.length,
        keptNamespaces: sample.namespaces.reduce((n, ns) => (ns.kept ? n + 1 : n), 0),
        unlabelledForeignSockets: sample.sockets.reduce((n, s) => (s.netns !== undefined && s.container === undefined ? n + 1 : n), 0),
      },
      sample: wantSample ? scopedPart(sample) : null,
    };
  }

  /** What a sample's stats say about the reading itself, for the loop's samples and for looks alike. */
  private readingStats(sample: SamplerResult, platform: Platform): Omit<SampleStats, 'trackMs' | 'costMs'> {
    return {
      takenAt: sample.takenAt,
      backend: sample.backend,
      scope: sample.scope,
      totalSockets: sample.totalSockets,
      scopedSockets: sample.sockets.length,
      skippedLines: sample.skippedLines,
      sampleMs: sample.durationMs,
      sampleCpuMs: sample.cpuMs,
      workerTid: this.tid,
      nextSampleTimeoutMs: platform.sampleTimeoutMs(),
    };
  }

  /**
   * One sample of `requested`, its scoped rows sent back (not the whole table); nothing tracked, viewed or carried,
   * so the views' scope stays as it is.
   */
  private async look(seq: number, requested: SampleScope, settings: WorkerSettings): Promise<SampleAnswer> {
    const platform = this.platformFor(settings);
    let sample: SamplerResult;
    try {
      sample = await platform.sample({ scope: await this.effectiveScope(platform, requested) });
    } catch (e) {
      return { kind: 'failed', seq, error: toSampleError(e), nextSampleTimeoutMs: platform.sampleTimeoutMs() };
    }
    return {
      kind: 'sampled',
      seq,
      update: null,
      processes: { upserted: [], removed: [] },
      stats: { ...this.readingStats(sample, platform), trackMs: 0, costMs: sample.cpuMs },
      sample: scopedPart(sample),
    };
  }
}

/** How long a disposed worker waits for its killed children to be reaped before answering. */
const DISPOSE_REAP_MS = 200;

/** The groups still there after up to `ms`. */
async function waitGone(pgids: readonly number[], ms: number): Promise<number[]> {
  const deadline = Date.now() + ms;
  let left = pgids.filter(groupAlive);
  while (left.length > 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 10));
    left = left.filter(groupAlive);
  }
  return left;
}

function serve(): void {
  const port = parentPort;
  if (port === null) return; // loaded outside a worker (a test importing SamplerPipeline)
  const pipeline = new SamplerPipeline();
  // The host learns of every child process group as it comes and goes, to kill them if it drops this thread.
  onGroupsChanged((pgids) => port.postMessage({ kind: 'children', pgids: [...pgids] } satisfies WorkerNotice));
  // Between full reads, the kernel's TCP counters say when one is needed; made when the host first asks, and only
  // where the platform has them (capabilities().changeProbes): elsewhere the host's loop is periodic.
  let watcher: ChangeWatcher | null = null;
  pipeline.beforeRead = () => {
    const quiet = watcher?.quietSinceBaseline() ?? new Set<string>();
    watcher?.baseline();
    return quiet;
  };
  // Each namespace the last sample read is probed through the process its table was read through.
  const watchNamespaces = (): void => watcher?.setNamespaces(pipeline.namespaces.map((n) => ({ key: n.key, own: n.own, netDir: n.own ? '/proc/self/net' : `/proc/${n.pid}/net` })));
  // The platform as the host should know it (the log, the status texts, the commands it offers): sent when it is
  // made and whenever how it reads changes (Linux's 'auto' decides at the first sample).
  let told: string | null = null;
  const tellPlatform = () => {
    const platform = pipeline.currentPlatform;
    if (platform === null) return;
    const notice = { kind: 'platform', id: platform.id, support: platform.support, description: platform.describe(), capabilities: platform.capabilities() } satisfies WorkerNotice;
    const key = JSON.stringify(notice);
    if (key === told) return;
    told = key;
    port.postMessage(notice);
  };
  const startWatch = (periodMs: number) => {
    const platform = pipeline.currentPlatform;
    if (platform !== null && !platform.capabilities().changeProbes) {
      port.postMessage({ kind: 'probe', available: false, reason: `${platform.id} has no change probes: the table is read periodically` } satisfies WorkerNotice);
      return;
    }
    watcher ??= new ChangeWatcher({
      change: (d) => port.postMessage({ kind: 'change', reason: d.reason } satisfies WorkerNotice),
      segments: () => port.postMessage({ kind: 'segments' } satisfies WorkerNotice),
      availability: (available, reason) => port.postMessage({ kind: 'probe', available, reason } satisfies WorkerNotice),
    });
    watchNamespaces();
    watcher.start(periodMs);
  };
  // Messages are handled in order: a sample in progress finishes before the next message is looked at, so settings
  // never change under a running sample.
  let chain: Promise<void> = Promise.resolve();
  port.on('message', (message: unknown) => {
    if (!isHostToWorker(message)) return;
    if (message.kind === 'watch') {
      // Not queued either: it is about the time between samples.
      if (message.periodMs === null) {
        watcher?.stop();
        return;
      }
      const periodMs = message.periodMs;
      // Before any settings there is no platform to ask: decide once the settings ahead of it are applied.
      if (pipeline.currentPlatform === null) chain = chain.then(() => startWatch(periodMs));
      else startWatch(periodMs);
      return;
    }
    if (message.kind === 'dispose') {
      // Not queued behind a sample in progress (that sample may be the one waiting on a hung ss).
      watcher?.close();
      onGroupsChanged(null);
      const pgids = liveGroups();
      killGroupsNow(pgids);
      // This thread's loop reaps its children (no other thread can once it is terminated): wait for that briefly,
      // and tell the host which groups, if any, are still there.
      void waitGone(pgids, DISPOSE_REAP_MS).then((left) => port.postMessage({ kind: 'disposed', pgids: left } satisfies WorkerNotice));
      return;
    }
    chain = chain.then(() => handle(pipeline, message, port, watchNamespaces)).then(tellPlatform).catch((e: unknown) => {
      if (message.kind === 'sample') port.postMessage({ kind: 'failed', seq: message.seq, error: toSampleError(e) } satisfies WorkerToHost);
    });
  });
}

async function handle(pipeline: SamplerPipeline, message: HostToWorker, port: NonNullable<typeof parentPort>, sampled: () => void): Promise<void> {
  switch (message.kind) {
    case 'configure':
      pipeline.configure(message.settings);
      return;
    case 'markExited':
      pipeline.markExited(message.pid);
      return;
    case 'seed':
      pipeline.seed(message.connections);
      return;
    case 'watch':
      return; // handled as it arrives (serve)
    case 'checkProcess':
      port.postMessage({ kind: 'processCheck', seq: message.seq, check: await pipeline.checkProcess(message.pid, message.scope) } satisfies WorkerToHost);
      return;
    case 'readProcess':
      port.postMessage({ kind: 'process', seq: message.seq, process: await pipeline.readProcess(message.pid) } satisfies WorkerToHost);
      return;
    case 'dispose':
      return; // handled as it arrives (serve)
    case 'sample': {
      const answer = await pipeline.sample(message.seq, message.scope, message.wantSample, message.track ?? true, message.onlyMoved ?? false);
      if (message.track ?? true) sampled();
      const size = message.chunkSize;
      const changed = answer.kind === 'sampled' ? answer.update?.changed : undefined;
      if (changed !== undefined && size !== undefined && size > 0 && changed.length > size) {
        // The head goes ahead in chunks; the sampled message keeps the tail, so the host sees the same order.
        const tail = changed.length - size;
        for (let i = 0; i < tail; i += size) {
          port.postMessage({ kind: 'chunk', seq: message.seq, changed: changed.slice(i, Math.min(i + size, tail)) } satisfies WorkerChunk);
        }
        changed.splice(0, tail);
      }
      port.postMessage(answer satisfies WorkerToHost);
      return;
    }
  }
}

serve();
