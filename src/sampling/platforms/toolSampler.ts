// A scoped sample from a table read by a program (macOS netstat, Windows' GetExtendedTcpTable or netstat): the
// part of SocketSampler that does not depend on /proc, over a PlatformSource. Per sample:
//   1. the socket table and the process table, read together;
//   2. a table that did not parse whole is an error that quotes what did not parse, never a partial table (which
//      would close the connections it left out);
//   3. the workspace scope's pids from the process tree and working folders (domain/scope.ts, as on Linux);
//   4. where the table's owners are not the holders (macOS), the holders of the scope's sockets from the source
//      (lsof), matched by 4-tuple and state;
//   5. owners remembered by 4-tuple for sockets that have none (TIME-WAIT: no process holds it), a server's
//      fileless sockets given their listener's owners (domain/scope.ts inheritListenerOwners, as on Linux), then the
//      scope (selectScope: the scope's sockets and their loopback peers); the whole table goes on for the tracker;
//   6. the processes the views need, with command line and folder read once per process.
import { performance } from 'node:perf_hooks';
import { connectionKey, computeScopePids, inheritListenerOwners, selectScope } from '../../domain/scope';
import { escapeControls } from '../../domain/displayText';
import { formatEndpoint, type NetNamespaceSummary, type Owner, type ProcessInfo, type SampleBackend, type SocketRecord } from '../../domain/types';
import { OwnerMemory } from '../attribution';
import { ChildError } from '../childProcesses';
import { SamplerError, type SampleRequest, type SamplerResult } from '../socketSampler';
import type { ToolParse, ToolRow } from './common';
import type { Platform, PlatformCapabilities, ProcessIdentity } from './platform';

/** A socket table as a source read it. */
export interface ToolTable {
  backend: SampleBackend;
  /** The command (or call) that produced it, for messages: `netstat -anvl -p tcp`. */
  source: string;
  parse: ToolParse<ToolRow>;
}

/** One process of the process table. */
export interface ToolProcess {
  pid: number;
  ppid: number;
  /** Short name (`node`, `node.exe`). */
  command: string;
  /** Identifies the process with its pid across pid reuse (the platform's own unit). */
  startTime: number;
  /** -1 when unknown. */
  uid: number;
  /** The working folder: undefined when not read, null when it cannot be. */
  cwd?: string | null;
}

/** What the views show of a process beyond the table: read once per process (pid and start time). */
export interface ProcessDetails {
  commandLine: string[];
  cwd: string | null;
}

/** What a platform's programs or calls provide. The fake in the unit tier implements it with canned tables. */
export interface PlatformSource {
  /** process.platform's value for the system it reads ('fake' in the unit tier). */
  readonly id: string;
  capabilities(): PlatformCapabilities;
  /** How it reads, for the log. */
  describe(): string;
  /** Every TCP socket. Throws a SamplerError when it cannot be read (the program is missing, fails, or its output is not a table). */
  readTable(): Promise<ToolTable>;
  /** Every process; with `cwd`, each one's working folder where it can be read (for the scope's folder rule). */
  readProcesses(options: { cwd: boolean }): Promise<ToolProcess[]>;
  /**
   * The holders of the sockets of `pids` (macOS: lsof), where the table's owners are not the holders. Rows with
   * owners; a socket absent here keeps the table's owner.
   */
  readHolders?(pids: readonly number[]): Promise<ToolTable>;
  /** Command line and working folder of each of `pids` (those it cannot read: an empty line, a null folder). */
  readDetails(pids: readonly number[]): Promise<Map<number, ProcessDetails>>;
  readProcess(pid: number): Promise<ProcessIdentity | null>;
  /** How long the next sample may take, ms. */
  sampleTimeoutMs(): number;
  /** ms spent in child processes since the last call (their wall time: an upper bound of their CPU), then 0. */
  takeChildMs(): number;
  /** New settings: try the preferred way again (Windows: koffi after a failure). */
  retryPreferred?(): void;
}

/** CPU time of this thread where Node can tell (>= 23.9), else of the whole process, ms. */
function cpuNowMs(): number {
  const p = process as unknown as { threadCpuUsage?: () => NodeJS.CpuUsage };
  const u = typeof p.threadCpuUsage === 'function' ? p.threadCpuUsage() : process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/** The SamplerError for a program of `source` that failed (ChildError), or `e` itself. */
export function toolError(e: unknown, program: string): unknown {
  if (!(e instanceof ChildError)) return e;
  switch (e.kind) {
    case 'missing':
      return new SamplerError('tool-missing', `${program} was not found on the PATH.`, { cause: e });
    case 'permission':
      return new SamplerError('permission', `Permission denied running ${program}.`, { cause: e });
    case 'timeout':
      return new SamplerError('timeout', `${program} did not finish in time and was stopped: ${e.message}`, { cause: e });
    default: {
      const detail = escapeControls(e.stderr.trim().split('\n')[0] ?? '') || e.message;
      return new SamplerError('tool-failed', `${program} failed: ${detail}`, { cause: e });
    }
  }
}

/**
 * Throws when `table` did not parse whole: a line no parser understood, or a state word none of the tables knows.
 * The message quotes the first such line or word (escaped), so the user sees what the program printed.
 */
export function checkWhole(table: ToolTable): void {
  const { unparsed, unknownState } = table.parse;
  if (unparsed.length > 0) {
    const more = unparsed.length > 1 ? ` (and ${unparsed.length - 1} more)` : '';
    throw new SamplerError('unparsable', `${table.source} printed a line this extension cannot read${more}: "${escapeControls(unparsed[0])}". No table is shown rather than one that may be wrong.`);
  }
  if (unknownState.length > 0) {
    const r = unknownState[0];
    const more = unknownState.length > 1 ? ` (and ${unknownState.length - 1} more)` : '';
    throw new SamplerError(
      'unparsable',
      `${table.source} printed the state "${escapeControls(r.stateWord)}" for ${formatEndpoint(r.local)} -> ${formatEndpoint(r.remote)}${more}, a word this extension does not know; it is not guessed. No table is shown rather than one that may be wrong.`,
    );
  }
}

/** The key that matches a socket of the table with the same socket listed by another tool: 4-tuple (family-neutral) and state. */
function holderKey(s: Pick<SocketRecord, 'local' | 'remote' | 'state' | 'family'>): string {
  // Listeners keep their family: 0.0.0.0:80 and [::]:80 are two sockets; connectionKey spells them apart already.
  return `${connectionKey(s)}|${s.state}`;
}

/** Details are kept for processes seen in the last samples, by pid and start time. */
interface Cached extends ProcessDetails {
  startTime: number;
  seen: number;
}

export class ToolSampler implements Platform {
  readonly id: string;
  readonly support = 'experimental';
  private readonly memory = new OwnerMemory();
  private readonly details = new Map<number, Cached>();
  private samples = 0;
  private queue: Promise<unknown> = Promise.resolve();
  private backend: SampleBackend | null = null;
  private childMs = 0;

  constructor(
    private readonly source: PlatformSource,
    private readonly now: () => number = Date.now,
  ) {
    this.id = source.id;
  }

  capabilities(): PlatformCapabilities {
    return this.source.capabilities();
  }

  backendInUse(): SampleBackend | null {
    return this.backend;
  }

  describe(): string {
    return this.source.describe();
  }

  sampleTimeoutMs(): number {
    return this.source.sampleTimeoutMs();
  }

  lastChildCpuMs(): number {
    return this.childMs;
  }

  retryPreferredSource(): void {
    this.source.retryPreferred?.();
  }

  readProcess(pid: number): Promise<ProcessIdentity | null> {
    return this.source.readProcess(pid);
  }

  /** From one reading of the process list (macOS: one ps; Windows: the process snapshot, or PowerShell's list). */
  async startTimes(pids: readonly number[]): Promise<Map<number, number>> {
    const out = new Map<number, number>();
    if (pids.length === 0) return out;
    const wanted = new Set(pids);
    for (const p of await this.source.readProcesses({ cwd: false })) if (wanted.has(p.pid)) out.set(p.pid, p.startTime);
    return out;
  }

  namespacesRead(): readonly NetNamespaceSummary[] {
    return [];
  }

  sample(request: SampleRequest): Promise<SamplerResult> {
    const run = this.queue.then(() => this.sampleNow(request));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async sampleNow(request: SampleRequest): Promise<SamplerResult> {
    const t0 = performance.now();
    const cpu0 = cpuNowMs();
    this.source.takeChildMs();
    this.samples++;
    const takenAt = this.now();
    const scope = request.scope;
    const workspace = scope.mode === 'workspace';
    const folders = workspace ? scope.folders.filter((f) => typeof f === 'string' && f !== '') : [];
    const [table, processList] = await Promise.all([this.source.readTable(), this.source.readProcesses({ cwd: folders.length > 0 })]);
    checkWhole(table);
    this.backend = table.backend;
    const procs = new Map<number, ToolProcess>();
    for (const p of processList) procs.set(p.pid, p);
    const rows: SocketRecord[] = table.parse.rows;
    this.memory.ensureCapacity(rows.length);

    let scopePids = new Set<number>();
    if (workspace) {
      scopePids = computeScopePids(scope.rootPids, processList, folders);
      const live = [...scopePids].filter((pid) => procs.has(pid)).sort((a, b) => a - b);
      if (this.source.readHolders !== undefined && live.length > 0) {
        const holders = await this.source.readHolders(live);
        checkWhole(holders);
        const byKey = new Map<string, Owner[]>();
        for (const h of holders.parse.rows) {
          const key = holderKey(h);
          const owners = byKey.get(key);
          if (owners === undefined) byKey.set(key, [...h.owners]);
          else for (const o of h.owners) if (!owners.some((x) => x.pid === o.pid)) owners.push(o);
        }
        // A socket the holders' tool listed replaces the table's last user with its holders. One it did not list
        // keeps the table's owner (TIME-WAIT has no holder; a socket opened after lsof ran is listed next time).
        for (const r of rows) {
          const owners = byKey.get(holderKey(r));
          if (owners !== undefined) r.owners = owners.map((o) => ({ pid: o.pid, command: o.command }));
        }
      }
    }

    // Names for owners the table gave by pid only (Windows, macOS before Tahoe), from the process table. Rows
    // without an owner (TIME-WAIT: Windows says pid 0) get the one remembered for their 4-tuple, else, on a port a
    // process listens on, the listener's.
    const held = new Set<SocketRecord>();
    for (const r of rows) {
      if (r.owners.some((o) => o.command === '')) r.owners = r.owners.map((o) => (o.command === '' ? { ...o, command: procs.get(o.pid)?.command ?? '' } : o));
      if (r.owners.length > 0) held.add(r);
      else {
        const remembered = this.memory.recall(r);
        if (remembered !== undefined) r.owners = remembered.owners;
      }
    }
    inheritListenerOwners(rows);

    let sockets = rows;
    const wanted = new Set<number>(scopePids);
    if (workspace) {
      const selection = selectScope(rows, scopePids, (s) => {
        const r = this.memory.recall(s);
        return r !== undefined && (r.inScope || r.owners.some((o) => scopePids.has(o.pid)));
      });
      sockets = selection.sockets;
      for (const p of selection.peers) for (const o of p.owners) wanted.add(o.pid);
    }
    const outScopePids = workspace ? [...wanted].sort((a, b) => a - b) : [];
    // Remembered as SocketSampler does: the scope's connections whose owners the table (or lsof) gave, each as in
    // scope in workspace mode, so that a loopback peer's TIME-WAIT stays in the view after the scope's end is gone.
    for (const s of sockets) {
      for (const o of s.owners) wanted.add(o.pid);
      if (held.has(s) && s.remote.port !== 0) this.memory.remember(s, s.owners, workspace);
    }

    const processes = await this.processInfos([...wanted].sort((a, b) => a - b), procs);
    this.childMs = this.source.takeChildMs();
    const durationMs = performance.now() - t0;
    return {
      takenAt,
      backend: table.backend,
      sockets,
      skippedLines: 0,
      durationMs,
      cpuMs: cpuNowMs() - cpu0 + this.childMs,
      scope: workspace ? 'workspace' : 'all',
      scopePids: outScopePids,
      processes,
      totalSockets: rows.length,
      table: rows,
      // No network namespaces to read here, and no container engine whose processes are this system's (Docker
      // Desktop's run in its VM).
      netns: null,
      namespaces: [],
      containers: { state: 'off', socketPath: null, containers: 0, message: null },
    };
  }

  /** ProcessInfo for each of `pids` in the process table; command line and folder read once per process. */
  private async processInfos(pids: readonly number[], procs: ReadonlyMap<number, ToolProcess>): Promise<ProcessInfo[]> {
    const missing: number[] = [];
    for (const pid of pids) {
      const p = procs.get(pid);
      if (p === undefined) continue;
      const cached = this.details.get(pid);
      if (cached === undefined || cached.startTime !== p.startTime) missing.push(pid);
      else cached.seen = this.samples;
    }
    if (missing.length > 0) {
      const read = await this.source.readDetails(missing);
      for (const pid of missing) {
        const d = read.get(pid) ?? { commandLine: [], cwd: null };
        this.details.set(pid, { ...d, startTime: (procs.get(pid) as ToolProcess).startTime, seen: this.samples });
      }
    }
    // Processes not wanted for a minute's worth of samples are forgotten (their pids may be reused by then).
    for (const [pid, d] of this.details) if (this.samples - d.seen > 60) this.details.delete(pid);
    const out: ProcessInfo[] = [];
    for (const pid of pids) {
      const p = procs.get(pid);
      const d = this.details.get(pid);
      if (p === undefined || d === undefined) continue;
      out.push({ pid, ppid: p.ppid, command: p.command, commandLine: d.commandLine, cwd: p.cwd ?? d.cwd, startTime: p.startTime, uid: p.uid });
    }
    return out;
  }
}
