// One sample = read the kernel's TCP table (proc or ss backend) + the process table + attribute sockets to
// processes + narrow to the scope. The sampler keeps the incremental caches between samples, so create one and
// reuse it. It runs in the sampler worker thread (src/sampling/samplerWorker.ts) and in the CLI, never on the extension
// host's main thread: its /proc reads are synchronous (see processes.ts for why).
import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import { threadCpuMs } from './threadCpu';
import { seqFileEnded } from './seqFile';
import { endianness } from 'node:os';
import { performance } from 'node:perf_hooks';
import { OwnerMemory, SocketAttributor, type AttributionStats, type InodeSet } from './attribution';
import { ChildError, childrenStartedCount, runChild } from './childProcesses';
import { dropRepeatedRows, parseProcNetTcpBytes, type ParseResult } from './procNetTcp';
import { ProcessTable } from './processes';
import { computeScopePids, inheritListenerOwners, isWorkspaceContainer, selectScope } from '../domain/scope';
import { parseSsOutput } from './ssOutput';
import { NetNamespaceResolver, tcpTablesToRead, type NamespaceMembers, type TcpTablesPlan } from './namespaces';
import type { KnownContainer } from './containers/registry';
import type { BackendName, ContainerEngineStatus, ContainerLabel, NetNamespaceSummary, Owner, ProcessInfo, SampleScope, ScopedSample, SocketRecord } from '../domain/types';

/**
 * Why the sampler could not read the table (the worker adds its own: SampleErrorCode in workerProtocol.ts).
 * tool-missing and tool-failed are the macOS and Windows backends' programs (src/sampling/platforms/).
 */
export const SAMPLER_ERROR_CODES = ['unsupported-platform', 'no-proc', 'permission', 'ss-missing', 'ss-failed', 'timeout', 'unparsable', 'tool-missing', 'tool-failed'] as const;
export type SamplerErrorCode = (typeof SAMPLER_ERROR_CODES)[number];

/** Why a sample could not be taken. `message` is English and says what to do; hosts localize by `code`. */
export class SamplerError extends Error {
  override readonly name = 'SamplerError';
  constructor(
    readonly code: SamplerErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A sample narrowed to its scope, and the whole table it was taken from (the tracker follows every socket). */
export interface SamplerResult extends ScopedSample {
  /** Every row of the table, in table order; `sockets` are those in scope, the same objects. */
  table: readonly SocketRecord[];
}

export interface SampleRequest {
  scope: SampleScope;
  /**
   * The network namespaces (keys, ours included) whose tables to read this time; the others keep the rows of their
   * last reading. For a loop that watches each namespace's counters (/proc/<pid>/net/sockstat, snmp) and reads only
   * those that moved: a table read costs as much in any namespace (bench/namespaces.ts). Absent: every namespace (a
   * full sample). A namespace never read before is read whatever this says, and so is ours when its key is unknown.
   */
  reread?: ReadonlySet<string>;
}

/** Where the sampler gets containers from (ContainerRegistry): asked in the background, read per sample. */
export interface ContainerSource {
  /** Resolves once the engine first answered or failed, or after waitMs. Starts asking if not started. */
  ready(waitMs: number): Promise<void>;
  status(): ContainerEngineStatus;
  /** Running containers with their init pid. */
  containers(): readonly KnownContainer[];
}

export interface SamplerOptions {
  /** 'auto' tries proc, then ss, and keeps the first that works. */
  backend: 'auto' | BackendName;
  /** The ss executable (default `ss`, looked up on PATH). */
  ssPath?: string;
  /** Where procfs is mounted (default /proc). */
  procRoot?: string;
  /** ss is stopped after this long (default 5000 ms), plus SS_MS_PER_ROW per row of the table last seen. */
  ssTimeoutMs?: number;
  /** ss output beyond this many bytes fails the sample (default 64 MiB, ~400k sockets). */
  ssMaxBytes?: number;
  /** 'auto' that fell back to ss tries /proc again after this long (default PROC_RETRY_MS). */
  procRetryMs?: number;
  /** The clock (tests). */
  now?: () => number;
  /** Containers to label sockets with and to take into the workspace scope; none when absent. */
  containers?: ContainerSource | null;
  /** The first sample waits this long at most for the engine's first answer, so it has labels (default 1000 ms). */
  engineWaitMs?: number;
  /** Read other network namespaces' tables (default true); false: our own only (benchmarks compare the two). */
  otherNamespaces?: boolean;
}

/** What the last sample cost, part by part: for the log and the benchmark. */
export interface SamplerStats {
  backend: BackendName;
  tableRows: number;
  readMs: number;
  processes: number;
  processMs: number;
  attributeMs: number;
  /** CPU of the child processes (ss) this sample ran, ms (whole clock ticks). */
  childCpuMs: number;
  attribution: AttributionStats;
  /** read(2) calls on the /proc tables (0 with ss): one per ~4 KiB, and no final empty read when it can be told. */
  readCalls: number;
  /** Network namespaces read besides our own, the rows they held, and the time their tables took (ms). */
  foreignNamespaces: number;
  foreignRows: number;
  foreignReadMs: number;
  /** Namespaces whose table could not be read through any of their processes this sample. */
  unreadableNamespaces: number;
  /** Namespaces whose sockstat counters said they hold no TCP socket: their tables were not read. */
  emptyNamespaces: number;
  /** Namespaces whose last reading was kept (SampleRequest.reread), ours included. */
  keptNamespaces: number;
}

/** ss arguments: TCP, all states, numeric, timers, details (uid, inode), no header. Never -p (see issue 3). */
export const SS_ARGS: readonly string[] = ['-tanoeH'];

/** ss arguments to list listeners only, with their inodes: the backlog (Send-Q) that /proc does not show. */
export const SS_LISTEN_ARGS: readonly string[] = ['-ltneH'];

/**
 * Peer owners are searched for in the other processes, stopping once found, and after listing this many fd entries
 * in one sample (~1.6 µs each); the rest wait for the next sample. A whole desktop session usually fits.
 */
const PEER_SEARCH_FDS = 20_000;
/** In 'all' mode at least 1/ROTATION_SLICES of the processes are listed every sample, so ownership heals in ~16 samples. */
const ROTATION_SLICES = 16;
/**
 * ss's deadline grows by this much per row of the table last read. `ss -tanoeH` took 3 µs/row at 50k sockets here
 * (bench/scale.ts), but ~50 µs/row where it resolves cgroup paths the slow way (test/common/netns.ts), and more
 * than 60 µs/row in an audit where the fixed 5 s failed every sample from 80k to 230k sockets.
 */
export const SS_MS_PER_ROW = 0.1;
/** ss's deadline never grows beyond this (a sample that long is useless as "live"); the host's deadline follows it. */
export const SS_MAX_TIMEOUT_MS = 60_000;
/** 'auto' on its ss fallback tries /proc again this often: /proc may have been mounted, or a transient error passed. */
export const PROC_RETRY_MS = 5 * 60_000;
/** Bytes per read(2) of /proc/net/tcp{,6}: 16-64 KiB measured fastest (BENCHMARKS.md). */
const PROC_READ_BYTES = 64 * 1024;
/** Processes of one namespace tried per sample to read its table through (each failed try is one failed open). */
const FOREIGN_READ_TRIES = 8;
const NO_ROWS: ReadonlyMap<number, SocketRecord> = new Map();
const ENGINE_OFF: ContainerEngineStatus = { state: 'off', socketPath: null, containers: 0, message: null };

function errnoOf(e: unknown): string | undefined {
  return typeof e === 'object' && e !== null && 'code' in e ? String((e as { code: unknown }).code) : undefined;
}

export class SocketSampler {
  private backend: BackendName | null;
  /** 'auto': pick the backend at the first sample, and try /proc again now and then while on the ss fallback. */
  private readonly auto: boolean;
  private readonly procRetryMs: number;
  private readonly now: () => number;
  /** When 'auto' last chose ss over /proc (ms, the clock's). */
  private fellBackAt = 0;
  private readonly procRoot: string;
  private readonly ssPath: string;
  private readonly ssTimeoutMs: number;
  private readonly ssMaxBytes: number;
  private readonly processes: ProcessTable;
  private readonly attributor: SocketAttributor;
  private readonly memory = new OwnerMemory();
  /** Owner lists by the attributor's pid arrays (stable while the owners do not change). */
  private readonly ownerLists = new WeakMap<readonly number[], Owner[]>();
  /** LISTEN inode -> backlog, from `ss -ltneH`; -1 when ss did not list it. */
  private readonly backlogs = new Map<number, number>();
  private listenBacklogUnavailable = false;
  /** Rows of the largest table read in the last samples (decays): scales ss's deadline. */
  private tableRowsSeen = 0;
  /** Consecutive ss runs that timed out: each doubles the next deadline. */
  private ssTimeouts = 0;
  private queue: Promise<unknown> = Promise.resolve();
  /** Holds a whole /proc/net/tcp{,6} file while it is read; grows to the largest table seen. */
  private readBuffer = Buffer.allocUnsafe(4 * PROC_READ_BYTES);
  /** read(2) calls on /proc/net/tcp{,6} during the current sample (SamplerStats.readCalls). */
  private readCalls = 0;
  /**
   * The latest reading's rows that have an inode, by inode: the sample's live inodes for attribution, and the
   * next /proc reading's `previous`. Unchanged rows come back as these same objects (ProcNetTcpOptions.previous),
   * so a record stands for its socket as of the latest sample: callers that keep a sample's records past the
   * next sample must copy them.
   */
  private rowsByInode: ReadonlyMap<number, SocketRecord> = new Map();
  /** Costs of the last sample. */
  lastStats: SamplerStats | null = null;
  /**
   * The network namespaces the last sample read, our own first, each with the process its table was read through:
   * what the sampling loop keeps one change probe per namespace for (/proc/<pid>/net/sockstat, snmp).
   */
  lastNamespaces: readonly NetNamespaceSummary[] = [];
  private readonly namespaces: NetNamespaceResolver;
  /** The last reading of each other namespace's table: its rows, and by inode its next `previous`. */
  private foreignLast = new Map<string, { rows: SocketRecord[]; byInode: ReadonlyMap<number, SocketRecord>; through: number }>();
  /** Our own namespace's last reading, kept by a sample whose `reread` leaves ours out. */
  private ownLast: { backend: BackendName; table: ParseResult } | null = null;
  private readonly containerSource: ContainerSource | null;
  private readonly engineWaitMs: number;
  private waitedForEngine = false;
  private readonly otherNamespaces: boolean;

  constructor(options: SamplerOptions) {
    this.backend = options.backend === 'auto' ? null : options.backend;
    this.auto = options.backend === 'auto';
    this.procRetryMs = options.procRetryMs ?? PROC_RETRY_MS;
    this.now = options.now ?? Date.now;
    this.procRoot = options.procRoot ?? '/proc';
    this.ssPath = options.ssPath || 'ss';
    this.ssTimeoutMs = options.ssTimeoutMs ?? 5000;
    this.ssMaxBytes = options.ssMaxBytes ?? 64 * 1024 * 1024;
    this.processes = new ProcessTable(this.procRoot);
    this.attributor = new SocketAttributor(this.procRoot);
    this.namespaces = new NetNamespaceResolver(this.procRoot);
    this.containerSource = options.containers ?? null;
    this.engineWaitMs = options.engineWaitMs ?? 1000;
    this.otherNamespaces = options.otherNamespaces ?? true;
  }

  /** 'auto' on its ss fallback tries /proc at the next sample (new settings were applied). */
  retryPreferredBackend(): void {
    if (this.auto && this.backend === 'ss') this.fellBackAt = -Infinity;
  }

  /** The backend samples are read with: the configured one, or what 'auto' picked (null until the first sample). */
  get backendInUse(): BackendName | null {
    return this.backend;
  }

  /** Takes one sample. Calls are queued: two samples never run at once, since they share the caches. */
  sample(request: SampleRequest): Promise<SamplerResult> {
    const run = this.queue.then(() => this.sampleNow(request));
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Reads and parses the socket table with the backend in use (picking one first under 'auto'). */
  async readTable(): Promise<{ backend: BackendName; table: ParseResult }> {
    if (process.platform !== 'linux') {
      throw new SamplerError(
        'unsupported-platform',
        `TCP State Viewer reads Linux's socket table; ${process.platform} is not supported yet. Use it in a Linux workspace (WSL, a container, SSH or a dev container).`,
      );
    }
    if (this.auto && this.backend === 'ss' && this.now() - this.fellBackAt >= this.procRetryMs) {
      // On the ss fallback: /proc may work by now (mounted, a transient error gone). It is cheaper: take it back.
      try {
        const table = await this.readWith('proc');
        this.backend = 'proc';
        return { backend: 'proc', table };
      } catch {
        this.fellBackAt = this.now();
      }
    }
    if (this.backend !== null) return { backend: this.backend, table: await this.readWith(this.backend) };
    let procError: unknown;
    try {
      const table = await this.readWith('proc');
      this.backend = 'proc';
      return { backend: 'proc', table };
    } catch (e) {
      procError = e;
    }
    try {
      const table = await this.readWith('ss');
      this.backend = 'ss';
      this.fellBackAt = this.now();
      return { backend: 'ss', table };
    } catch (ssError) {
      // The /proc reason is the one to act on (ss is the fallback); say ss did not help either.
      const base = procError instanceof SamplerError ? procError : new SamplerError('no-proc', String(procError));
      const why = ssError instanceof Error ? ssError.message : String(ssError);
      throw new SamplerError(base.code, `${base.message} The ss fallback did not work either: ${why}`, { cause: procError });
    }
  }

  /** Reads the table and drops repeated rows (see dropRepeatedRows; only /proc has them, ss never did). */
  private async readWith(backend: BackendName): Promise<ParseResult> {
    const table = backend === 'proc' ? this.readProc() : await this.readSs();
    const kept = dropRepeatedRows(table.sockets);
    // Grows at once, shrinks slowly: a table that shrank for a moment does not cut the next deadline short.
    this.tableRowsSeen = Math.max(table.sockets.length, Math.round(this.tableRowsSeen * 0.9));
    this.rowsByInode = kept.byInode;
    return { sockets: kept.sockets, skipped: table.skipped };
  }

  /**
   * Reads a procfs file whole into `readBuffer` (kept between samples), PROC_READ_BYTES per read(2), and returns
   * how many bytes it holds. procfs files report size 0, so readFileSync reads them in 8 KiB pieces, each into a
   * new Buffer; 64 KiB reads into a reused buffer cost less kernel and GC time at 10k rows, while reads of 1 MiB or
   * more were slower (BENCHMARKS.md). The bytes are parsed as they are: no string is made of the table.
   *
   * It stops without the read(2) that would return 0 when the last one shows the table ended (seqFileEnded): for
   * /proc/net/tcp{,6} that read is not free, it walks the kernel's whole TCP hash again.
   */
  private readWhole(path: string): number {
    const fd = openSync(path, 'r');
    try {
      let length = 0;
      for (;;) {
        if (this.readBuffer.length - length < PROC_READ_BYTES) {
          const grown = Buffer.allocUnsafe(this.readBuffer.length * 2);
          this.readBuffer.copy(grown, 0, 0, length);
          this.readBuffer = grown;
        }
        const n = readSync(fd, this.readBuffer, length, PROC_READ_BYTES, null);
        this.readCalls++;
        if (n === 0) break;
        length += n;
        if (seqFileEnded(n, PROC_READ_BYTES)) break;
      }
      return length;
    } finally {
      closeSync(fd);
    }
  }

  /** Our namespace's tables: those its sockstat counters say can hold rows (tcpTablesToRead), both by default. */
  private readProc(): ParseResult {
    const netDir = `${this.procRoot}/net`;
    return this.readProcTables(netDir, this.rowsByInode, tcpTablesToRead(netDir));
  }

  /** tcp and tcp6 of one net folder (/proc/net, or /proc/<pid>/net for another namespace), parsed; `read` skips one. */
  private readProcTables(netDir: string, previous: ReadonlyMap<number, SocketRecord>, read: TcpTablesPlan = { v4: true, v6: true }): ParseResult {
    const littleEndian = endianness() === 'LE';
    // Each file is parsed before the next is read into the same buffer.
    const parse = (file: string, family: 'ipv4' | 'ipv6', optional: boolean): ParseResult => {
      const path = `${netDir}/${file}`;
      let length: number;
      try {
        length = this.readWhole(path);
      } catch (e) {
        const code = errnoOf(e);
        if (code === 'ENOENT' && optional) return { sockets: [], skipped: 0 }; // IPv6 disabled: no tcp6 file
        if (code === 'EACCES' || code === 'EPERM') {
          throw new SamplerError('permission', `Permission denied reading ${path}. Check how /proc is mounted (hidepid, a restricted container), or set tcpStateViewer.backend to "ss".`, { cause: e });
        }
        if (code === 'EISDIR' || code === 'ENOTDIR') {
          // Something is there, but not procfs's file: saying "/proc is not mounted" would send the user the wrong way.
          throw new SamplerError('unparsable', `${path} is ${code === 'EISDIR' ? 'a directory' : 'under a file that is not a directory'}, not the kernel's socket table: something other than procfs is mounted or bound there (a container or sandbox?). Set tcpStateViewer.backend to "ss".`, { cause: e });
        }
        if (code === 'ENOENT') {
          throw new SamplerError('no-proc', `Cannot read ${path} (ENOENT): /proc is not mounted here. Mount procfs, or install iproute2 (ss) and set tcpStateViewer.backend to "ss".`, { cause: e });
        }
        throw new SamplerError('no-proc', `Cannot read ${path} (${code ?? String(e)}). Check how /proc is mounted, or install iproute2 (ss) and set tcpStateViewer.backend to "ss".`, { cause: e });
      }
      const result = parseProcNetTcpBytes(this.readBuffer, length, family, { littleEndian, previous });
      // The kernel prints the header even for an empty table: without it (an empty or foreign file) the reading
      // says nothing about the sockets, and taking it as "no sockets" would close every tracked connection.
      if (!result.header || (result.sockets.length === 0 && result.skipped > 0)) {
        throw new SamplerError('unparsable', `${path} is not a socket table (${length} bytes, ${result.header ? `no row of ${result.skipped} parsed` : 'no header line'}). Check what is mounted at ${this.procRoot}, or set tcpStateViewer.backend to "ss".`);
      }
      return result;
    };
    const none: ParseResult = { sockets: [], skipped: 0 };
    const v4 = read.v4 ? parse('tcp', 'ipv4', false) : none;
    let readV6 = read.v6;
    if (!readV6 && read.v6TimeWaits !== undefined) {
      let timeWaits = 0;
      for (const row of v4.sockets) if (row.state === 'TIME-WAIT') timeWaits++;
      readV6 = timeWaits < read.v6TimeWaits;
    }
    const v6 = readV6 ? parse('tcp6', 'ipv6', true) : none;
    return { sockets: v4.sockets.concat(v6.sockets), skipped: v4.skipped + v6.skipped };
  }

  /**
   * ss's deadline for the next run: the base (ssTimeoutMs), plus SS_MS_PER_ROW for each row of the largest table
   * seen lately (ss's time grows with the table: at 80k-230k sockets the fixed 5 s failed every sample), doubled
   * after each run that timed out (a first sample of a huge table has no row count yet), up to SS_MAX_TIMEOUT_MS.
   */
  get ssTimeoutNowMs(): number {
    const scaled = (this.ssTimeoutMs + this.tableRowsSeen * SS_MS_PER_ROW) * 2 ** this.ssTimeouts;
    return Math.round(Math.min(Math.max(this.ssTimeoutMs, SS_MAX_TIMEOUT_MS), scaled));
  }

  private async readSs(args: readonly string[] = SS_ARGS): Promise<ParseResult> {
    const timeoutMs = this.ssTimeoutNowMs;
    let stdout: string;
    try {
      stdout = await runChild(this.ssPath, args, { timeoutMs, maxBytes: this.ssMaxBytes, encoding: 'latin1', env: { ...process.env, LC_ALL: 'C' } });
    } catch (error) {
      if (!(error instanceof ChildError)) throw error;
      switch (error.kind) {
        case 'missing':
          throw new SamplerError('ss-missing', `"${this.ssPath}" was not found. Install iproute2 (it provides ss), set tcpStateViewer.ssPath to its full path, or set tcpStateViewer.backend to "proc".`, { cause: error });
        case 'permission':
          throw new SamplerError('permission', `Permission denied running "${this.ssPath}". Make it executable or point tcpStateViewer.ssPath at another ss.`, { cause: error });
        case 'too-much-output':
          throw new SamplerError('ss-failed', `ss printed more than ${this.ssMaxBytes} bytes (too many sockets for one sample). Use the "proc" backend.`, { cause: error });
        case 'timeout':
          this.ssTimeouts = Math.min(this.ssTimeouts + 1, 4);
          throw new SamplerError('timeout', `ss did not finish within ${timeoutMs} ms and was stopped (with every process it started). The socket table may be very large: the next try waits longer; the "proc" backend is faster.`, { cause: error });
        default: {
          const detail = error.stderr.trim().split('\n')[0] || error.message;
          throw new SamplerError('ss-failed', `ss failed: ${detail}. Check that "${this.ssPath}" is iproute2's ss, or use the "proc" backend.`, { cause: error });
        }
      }
    }
    this.ssTimeouts = 0;
    const parsed = parseSsOutput(stdout);
    // Output in which no row parses is not an empty table (ss prints nothing then): taking it as one would close
    // every tracked connection.
    if (parsed.sockets.length === 0 && /\S/.test(stdout)) {
      throw new SamplerError('unparsable', `ss printed ${stdout.length} bytes and no line of it is a socket row. Check that "${this.ssPath}" is iproute2's ss, or use the "proc" backend.`);
    }
    return parsed;
  }

  /**
   * /proc/net/tcp shows a listener's accept queue but not its backlog (get_tcp4_sock prints tx_queue 0 for LISTEN),
   * which ss reads over netlink. Listeners are few and long-lived, so ask `ss -ltneH` once per new listener and
   * keep the answer. Without ss the backlog stays 0 (unknown).
   */
  private async fillListenBacklogs(sockets: SocketRecord[]): Promise<void> {
    // ss lists our own namespace only: another namespace's backlog stays unknown.
    const listeners = sockets.filter((s) => s.state === 'LISTEN' && s.inode !== 0 && s.netns === undefined);
    const liveListeners = new Set(listeners.map((s) => s.inode));
    for (const inode of this.backlogs.keys()) if (!liveListeners.has(inode)) this.backlogs.delete(inode);
    if (!this.listenBacklogUnavailable && listeners.some((s) => !this.backlogs.has(s.inode))) {
      try {
        const listed = await this.readSs(SS_LISTEN_ARGS);
        for (const s of listed.sockets) if (s.state === 'LISTEN' && s.inode !== 0) this.backlogs.set(s.inode, s.sendQ);
        for (const s of listeners) if (!this.backlogs.has(s.inode)) this.backlogs.set(s.inode, -1);
      } catch {
        this.listenBacklogUnavailable = true;
      }
    }
    for (const s of listeners) {
      const backlog = this.backlogs.get(s.inode);
      if (backlog !== undefined && backlog >= 0) s.sendQ = backlog;
    }
  }

  /** CPU time of reaped child processes (ss), from /proc/self/stat cutime + cstime (clock ticks, 100 per s). */
  /**
   * CPU of the children reaped so far (cutime + cstime of /proc/self/stat), read only when a child was started since
   * the last reading: that file sums every thread of the process, a cost a /proc sample, which starts no child, need
   * not pay each time.
   */
  private childCpuSince(): number {
    const started = childrenStartedCount();
    if (started === this.childCpuMark.started) return 0;
    const now = this.childCpuMs();
    const spent = Math.max(0, now - this.childCpuMark.ms);
    this.childCpuMark = { started, ms: now };
    return spent;
  }

  private childCpuMark = { started: -1, ms: 0 };

  private childCpuMs(): number {
    try {
      const text = readFileSync(`${this.procRoot}/self/stat`, 'latin1');
      const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
      // Fields 16 and 17; f[0] is field 3.
      return (Number(f[13]) + Number(f[14])) * 10;
    } catch {
      return 0;
    }
  }

  /**
   * The tables of other network namespaces, read through /proc/<pid>/net/tcp{,6} of one of their processes (the
   * first of `pids` that lets us: the others may have exited since the process table was read). Each row gets its
   * namespace and, for a container's, the container's label. A namespace no process of which lets us read it is
   * left out of this sample.
   */
  private readForeign(
    groups: readonly NamespaceMembers[],
    labels: ReadonlyMap<string, ContainerLabel>,
    reread: ReadonlySet<string> | undefined,
  ): { rows: SocketRecord[]; byInode: Map<number, SocketRecord>; summaries: NetNamespaceSummary[]; unreadable: number; empty: number; kept: number } {
    const rows: SocketRecord[] = [];
    const byInode = new Map<number, SocketRecord>();
    const summaries: NetNamespaceSummary[] = [];
    const next = new Map<string, { rows: SocketRecord[]; byInode: ReadonlyMap<number, SocketRecord>; through: number }>();
    let unreadable = 0;
    let empty = 0;
    let keptCount = 0;
    for (const g of groups) {
      const last = this.foreignLast.get(g.key);
      let kept: { sockets: SocketRecord[]; byInode: ReadonlyMap<number, SocketRecord> } | null = null;
      let through = 0;
      const keptLast = reread !== undefined && !reread.has(g.key) && last !== undefined && g.pids.length > 0;
      if (keptLast) {
        kept = { sockets: last.rows, byInode: last.byInode };
        // Still named by the process it was read through while that one is of it: the loop's probe stays on it.
        through = g.pids.includes(last.through) ? last.through : g.pids[0];
        keptCount++;
      }
      for (let i = 0; kept === null && i < g.pids.length && i < FOREIGN_READ_TRIES; i++) {
        const netDir = `${this.procRoot}/${g.pids[i]}/net`;
        try {
          const read = tcpTablesToRead(netDir);
          if (!read.v4 && !read.v6) {
            kept = { sockets: [], byInode: NO_ROWS };
            empty++;
          } else {
            kept = dropRepeatedRows(this.readProcTables(netDir, last?.byInode ?? NO_ROWS, read).sockets);
          }
          through = g.pids[i];
        } catch {
          // Exited since the process table was read, or hidden from us: try the next process of the namespace.
        }
      }
      if (kept === null) {
        unreadable++;
        continue;
      }
      const label = labels.get(g.key);
      for (const r of kept.sockets) {
        // Rows reused from the last reading (ProcNetTcpOptions.previous) carry what they were given then.
        r.netns = g.key;
        if (label !== undefined) r.container = label;
        else if (r.container !== undefined) delete r.container;
        rows.push(r);
      }
      for (const [inode, r] of kept.byInode) byInode.set(inode, r);
      next.set(g.key, { rows: kept.sockets, byInode: kept.byInode, through });
      const summary: NetNamespaceSummary = { key: g.key, own: false, pid: through, sockets: kept.sockets.length };
      if (keptLast) summary.kept = true;
      if (label !== undefined) summary.container = label;
      summaries.push(summary);
    }
    this.foreignLast = next;
    return { rows, byInode, summaries, unreadable, empty, kept: keptCount };
  }

  private async sampleNow(request: SampleRequest): Promise<SamplerResult> {
    if (this.containerSource !== null && !this.waitedForEngine) {
      // The first sample waits (briefly) for the engine's first answer, so it shows labels from the start.
      this.waitedForEngine = true;
      await this.containerSource.ready(this.engineWaitMs);
    }
    const t0 = performance.now();
    const cpu0 = threadCpuMs();
    // Children started outside samples (tcp_info's ss) are not this sample's cost.
    this.childCpuSince();
    const takenAt = Date.now();
    this.readCalls = 0;
    const ownKey = this.namespaces.own()?.key;
    const keepOwn = request.reread !== undefined && ownKey !== undefined && !request.reread.has(ownKey) && this.ownLast !== null;
    const { backend, table } = keepOwn && this.ownLast !== null ? this.ownLast : await this.readTable();
    this.ownLast = { backend, table };
    const t1 = performance.now();
    const scope = request.scope;
    const workspace = scope.mode === 'workspace';
    const folders = workspace ? scope.folders.filter((f) => typeof f === 'string' && f !== '') : [];
    const procs = this.processes.refresh({ cwd: folders.length > 0 });
    const t2 = performance.now();

    // Containers: the workspace's join the scope with their processes (their init and its descendants) and their
    // whole network namespace, since another user's container processes do not show us which sockets they hold.
    const containers = this.containerSource?.containers() ?? [];
    const workspaceContainers = workspace ? containers.filter((c) => isWorkspaceContainer(c.info, folders)) : [];
    let scopePids = new Set<number>();
    if (workspace) {
      const roots = [...scope.rootPids];
      for (const c of workspaceContainers) if (c.info.pid !== null) roots.push(c.info.pid);
      scopePids = computeScopePids(roots, procs.values(), folders);
    }

    // Network namespaces: every process's, so a namespace's members are known (container inits first, the
    // processes most likely to outlive the sample); then the tables of the others we need, one read each.
    const ordered: number[] = [];
    for (const c of containers) if (c.info.pid !== null) ordered.push(c.info.pid);
    for (const pid of procs.keys()) ordered.push(pid);
    const groups = this.otherNamespaces ? this.namespaces.group(ordered, (pid) => procs.get(pid)) : [];
    const own = this.namespaces.own();
    const keyOfPid = new Map<number, string>();
    for (const g of groups) for (const pid of g.pids) keyOfPid.set(pid, g.key);
    const labels = new Map<string, ContainerLabel>();
    const workspaceNamespaces = new Set<string>();
    for (const c of containers) {
      const key = c.info.pid !== null ? keyOfPid.get(c.info.pid) : undefined;
      // Containers sharing one namespace (a pod, --network container:NAME) show as the first by name; a container
      // on the host's network (--network host) labels nothing: its sockets are ours, among everyone else's.
      if (key === undefined || (own !== null && key === own.key)) continue;
      if (!labels.has(key)) labels.set(key, c.label);
      if (workspaceContainers.includes(c)) workspaceNamespaces.add(key);
    }
    const foreignGroups = groups.filter((g) => {
      if (g.own || !this.otherNamespaces) return false;
      if (!workspace || workspaceNamespaces.has(g.key)) return true;
      // A namespace all of whose processes are the workspace's (`unshare -n` from a workspace terminal) is the
      // workspace's whole; one it shares with others (`ip netns exec` into a named one) only for what its
      // processes hold.
      let some = false;
      let all = true;
      for (const pid of g.pids) {
        if (scopePids.has(pid)) some = true;
        else all = false;
      }
      if (some && all) workspaceNamespaces.add(g.key);
      return some;
    });
    const tf0 = performance.now();
    const foreign = this.readForeign(foreignGroups, labels, request.reread);
    const tf1 = performance.now();
    const allRows = foreign.rows.length === 0 ? table.sockets : table.sockets.concat(foreign.rows);
    const ownRows = this.rowsByInode;
    const foreignByInode = foreign.byInode;
    const live: InodeSet =
      foreignByInode.size === 0
        ? ownRows
        : {
            has: (inode) => ownRows.has(inode) || foreignByInode.has(inode),
            *keys() {
              yield* ownRows.keys();
              yield* foreignByInode.keys();
            },
          };

    this.attributor.beginSample(live, procs);
    this.memory.ensureCapacity(allRows.length);

    if (workspace) {
      const candidates = [...scopePids];
      this.attributor.search({
        wanted: live.keys(),
        candidates,
        stopEarly: true,
        onlyFresh: true,
        minVisits: Math.ceil(candidates.length / ROTATION_SLICES),
        rotation: 'scope',
      });
    } else {
      const pids = [...procs.keys()];
      this.attributor.search({
        wanted: live.keys(),
        candidates: pids,
        stopEarly: true,
        minVisits: Math.ceil(pids.length / ROTATION_SLICES),
        rotation: 'all',
        coversAllProcesses: true,
      });
    }
    const ownerCache = new Map<number, Owner>();
    const ownerOf = (pid: number): Owner => {
      let o = ownerCache.get(pid);
      if (o === undefined) ownerCache.set(pid, (o = { pid, command: this.processes.command(pid) ?? '' }));
      return o;
    };
    /** Owner lists checked this sample, by the attributor's interned pids arrays. */
    const checked = new Map<readonly number[], Owner[]>();
    const attach = (s: SocketRecord) => {
      if (s.inode !== 0) {
        const pids = this.attributor.ownerPids(s.inode);
        if (pids === undefined) {
          if (s.owners.length > 0) s.owners = []; // a record reused from the last sample keeps what it was given then
          return;
        }
        // The attributor hands out one array per owner set (all the sockets of one process share it) while the
        // owners stay the same: reuse the Owner list, checked against the process table once per sample.
        let owners = checked.get(pids);
        if (owners === undefined) {
          owners = this.ownerLists.get(pids);
          if (owners === undefined || owners.some((o) => o.command !== ownerOf(o.pid).command)) {
            owners = pids.map(ownerOf);
            this.ownerLists.set(pids, owners);
          }
          checked.set(pids, owners);
        }
        s.owners = owners;
      } else {
        const r = this.memory.recall(s);
        if (r !== undefined) s.owners = r.owners;
      }
    };
    for (const s of allRows) attach(s);
    // A server's fileless sockets (its TIME-WAIT after closing first, request sockets) belong to its listener, in
    // its own namespace.
    inheritListenerOwners(allRows);

    let sockets = allRows;
    let peerPids: number[] = [];
    if (workspace) {
      const selection = selectScope(
        allRows,
        scopePids,
        (s) => {
          const r = this.memory.recall(s);
          return r !== undefined && (r.inScope || r.owners.some((o) => scopePids.has(o.pid)));
        },
        undefined,
        workspaceNamespaces,
      );
      const unowned = selection.peers.filter((p) => p.inode !== 0 && p.owners.length === 0).map((p) => p.inode);
      if (unowned.length > 0) {
        // Newest processes first (pids grow until they wrap): a peer that just connected is most often a new process.
        const others = [...procs.keys()].filter((pid) => !scopePids.has(pid)).sort((a, b) => b - a);
        this.attributor.search({ wanted: unowned, candidates: others, stopEarly: true, maxFds: PEER_SEARCH_FDS, rotation: 'peers', coversAllProcesses: true });
        for (const p of selection.peers) if (p.inode !== 0) attach(p);
      }
      const peerSet = new Set<number>();
      for (const p of selection.peers) for (const o of p.owners) if (!scopePids.has(o.pid)) peerSet.add(o.pid);
      peerPids = [...peerSet];
      sockets = selection.sockets;
    }
    // Remember who held each connection, for when it loses its file (TIME-WAIT, orphans). In workspace mode only
    // the scope's sockets (the others' owners are not searched for, so may be stale), each remembered as in scope:
    // a loopback peer's orphan or TIME-WAIT stays in the view after the scope's end of the connection is gone.
    for (const s of sockets) {
      if (s.inode !== 0 && s.owners.length > 0 && s.remote.port !== 0) {
        this.memory.remember(s, s.owners, workspace);
      }
    }
    // Only for the sockets returned: listeners elsewhere on the machine need not cost an ss run.
    if (backend === 'proc') await this.fillListenBacklogs(sockets);
    const t3 = performance.now();

    const wantedPids = new Set<number>(scopePids);
    for (const pid of peerPids) wantedPids.add(pid);
    // The scope and its peers, before the owners join them.
    const outScopePids = workspace ? [...wantedPids].sort((a, b) => a - b) : [];
    let lastOwners: readonly Owner[] | null = null;
    for (const s of sockets) {
      // Sockets of one process share their owner list (see attach): most rows repeat the previous row's.
      if (s.owners === lastOwners) continue;
      lastOwners = s.owners;
      for (const o of s.owners) wantedPids.add(o.pid);
    }
    const processes: ProcessInfo[] = [];
    for (const pid of [...wantedPids].sort((a, b) => a - b)) {
      const info = this.processes.info(pid);
      if (info !== undefined) processes.push(info);
    }
    const t4 = performance.now();
    const childCpu = this.childCpuSince();
    this.lastStats = {
      backend,
      tableRows: allRows.length,
      readMs: t1 - t0 + (tf1 - tf0),
      processes: procs.size,
      processMs: t2 - t1 + (tf0 - t2) + (t4 - t3),
      attributeMs: t3 - tf1,
      childCpuMs: childCpu,
      attribution: { ...this.attributor.stats },
      readCalls: this.readCalls,
      foreignNamespaces: foreign.summaries.length,
      foreignRows: foreign.rows.length,
      foreignReadMs: tf1 - tf0,
      unreadableNamespaces: foreign.unreadable,
      emptyNamespaces: foreign.empty,
      keptNamespaces: foreign.kept + (keepOwn ? 1 : 0),
    };
    const ownSummary: NetNamespaceSummary = { key: own?.key ?? '', own: true, pid: null, sockets: table.sockets.length };
    if (keepOwn) ownSummary.kept = true;
    const namespaces = [ownSummary, ...foreign.summaries];
    this.lastNamespaces = namespaces;
    return {
      takenAt,
      backend,
      sockets,
      skippedLines: table.skipped,
      durationMs: t4 - t0,
      cpuMs: threadCpuMs() - cpu0 + childCpu,
      scope: workspace ? 'workspace' : 'all',
      scopePids: outScopePids,
      processes,
      totalSockets: allRows.length,
      table: allRows,
      netns: own?.key ?? null,
      namespaces,
      containers: this.containerSource?.status() ?? ENGINE_OFF,
    };
  }
}
