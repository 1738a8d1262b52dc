// Messages between the extension host and the sampler worker thread (src/sampling/samplerWorker.ts).
// The host drives: it asks for one sample at a time and waits for the answer (or its timeout) before asking again,
// so two samples never overlap and a stuck worker is noticed from outside it. The worker answers with deltas only:
// the full table never crosses the thread boundary in the loop (only `sampleNow` asks for the whole sample).
import type { ProcessDelta } from '../domain/modelDelta';
import type { InsightThresholds } from '../domain/insights';
import type { TrackerOptions } from '../domain/tracker';
import type { BackendSetting, Connection, ContainerEngineStatus, ModelUpdate, SampleBackend, SampleScope, ScopeMode, ScopedSample } from '../domain/types';
import type { SamplerErrorCode } from './socketSampler';
import type { PlatformCapabilities, PlatformSupport, ProcessIdentity } from './platforms/platform';

export type { ProcessDelta } from '../domain/modelDelta';

/** Why a sample failed: the sampler's own codes, plus what can go wrong around it. */
export type SampleErrorCode =
  | SamplerErrorCode
  /** The worker thread died or could not start. */
  | 'worker-crashed'
  /** Anything else thrown inside the worker (a bug): logged with its stack. */
  | 'internal';

export interface SampleError {
  code: SampleErrorCode;
  /** The technical detail (English, for the log); the UI shows a localized message chosen by `code`. */
  message: string;
  /** ms the timed-out sample was given (code 'timeout' only). */
  timeoutMs?: number;
}

export interface WorkerSettings {
  backend: BackendSetting;
  ssPath: string;
  /** How long closed connections stay in the model (ms), and at most how many. */
  tracker: Pick<TrackerOptions, 'closedRetentionMs' | 'maxClosed'>;
  insights: InsightThresholds;
}

/** How much a visible view needs: 'full' (a view shows connections); 'summary' (the status bar's counts only). */
export type DemandLevel = 'full' | 'summary';

/** How the sampler loop reads now (SamplerHost.loop), for the UI. */
export interface LoopStatus {
  /** Reads come when the kernel's TCP counters move (else periodically). */
  changeDriven: boolean;
  /** How often the counters are probed, ms; null when reads are periodic. */
  probePeriodMs: number | null;
  /** The longest time between two reads (the heartbeat, or the period without probes), after the CPU back-off, ms. */
  heartbeatMs: number;
  /** While changes keep coming, reads are at least this far apart (the CPU budget), ms; null without probes. */
  busyGapMs: number | null;
  /** True when the CPU back-off stretched the heartbeat past what was asked for (reads of a large table cost more). */
  stretched: boolean;
  /** The CPU budget held back the last read a change asked for by this long, ms; null when it did not. */
  throttledMs: number | null;
  /** Reads made because the probes saw a change, follow-ups of those, and heartbeat or periodic ones, so far. */
  changeReads: number;
  followUpReads: number;
  heartbeatReads: number;
  /** Heartbeats not read because no segment had moved since the last read, so far. */
  skippedHeartbeats: number;
}

export type HostToWorker =
  /** New settings. A backend or tracker change rebuilds the pipeline (the next update is a reset). */
  | { kind: 'configure'; settings: WorkerSettings }
  /**
   * Take one sample. `wantSample`: also send the whole scoped sample back (snapshot commands). `chunkSize`: send
   * changed connections beyond this many ahead in `chunk` messages, so no single message costs the host's main
   * thread more than a few ms to receive (a reset at 10k connections is ~4 MB of structured clone). `track: false`:
   * a look at another scope ("who uses port X" on the whole machine): the sample is read and sent back, and the
   * tracker, its scope and the carried process trees are left as they were (the answer's update is null).
   * `onlyMoved`: a read the change probes asked for: only the network namespaces whose counters moved since the
   * last read began (or whose probe could not tell) are read again, the others keep their last rows.
   */
  | { kind: 'sample'; seq: number; scope: SampleScope; wantSample: boolean; chunkSize?: number; track?: boolean; onlyMoved?: boolean }
  /** A debuggee's process exited: its descendants still alive stay in scope, and open sockets of theirs are an insight. */
  | { kind: 'markExited'; pid: number }
  /**
   * Connections known from before this worker (its predecessor's, or a window's before a reload): the first sample
   * continues those still in the table, with their ids, histories and ages (ConnectionTracker.seed).
   */
  | { kind: 'seed'; connections: Connection[] }
  /** Probe the kernel's TCP counters every `periodMs` between full reads and say when they move; null stops. */
  | { kind: 'watch'; periodMs: number | null }
  /** Is `pid` a process of the workspace scope `scope` (always a workspace scope, whatever the view shows)? */
  | { kind: 'checkProcess'; seq: number; pid: number; scope: Extract<SampleScope, { mode: 'workspace' }> }
  /** Read one process through the platform (the stop command's identity checks): answered with `process`. */
  | { kind: 'readProcess'; seq: number; pid: number }
  /**
   * The host is about to terminate the worker: kill every child process group now (synchronously, ahead of any
   * sample in progress) and answer `disposed`. terminate() runs no code in the worker, so this is its last word.
   */
  | { kind: 'dispose' };

export interface SampleStats {
  /** When the socket table was read (ms since the epoch). */
  takenAt: number;
  backend: SampleBackend;
  scope: ScopeMode;
  /** Sockets in the whole kernel table, and in the scope. */
  totalSockets: number;
  scopedSockets: number;
  skippedLines: number;
  /** Reading, parsing and attributing (the sampler's own figures), ms. */
  sampleMs: number;
  sampleCpuMs: number;
  /** Diffing into connections, insights and deltas on the worker thread, ms (pure CPU work). */
  trackMs: number;
  /**
   * CPU the whole sample cost, ms: the worker thread's busy time (event-loop utilization, which counts its synchronous
   * /proc reads) plus the CPU of `ss` when that backend ran. What the back-off budgets. Unlike `sampleCpuMs` (process
   * CPU on Node 20) it does not count what the extension host's main thread did meanwhile.
   */
  costMs: number;
  /** The worker thread's kernel thread id (/proc/thread-self), so tests can see the thread is gone after dispose. */
  workerTid: number | null;
  /** How long the next sample may take, ms: ss's deadline grows with the table (the host waits longer than that). */
  nextSampleTimeoutMs?: number;
  /** The container engine as the sampler saw it (labels), for the one-time hint when it cannot be asked. */
  containers?: ContainerEngineStatus;
  /** Network namespaces read, ours included. */
  namespaces?: number;
  /** Of those, the ones whose last rows were kept, not read again (a read the probes asked for: `onlyMoved`). */
  keptNamespaces?: number;
  /** Sockets in scope from other network namespaces that have no container label. */
  unlabelledForeignSockets?: number;
}

export type SampledMessage = Extract<WorkerToHost, { kind: 'sampled' }>;

/** The answer to a `sample` request. */
export type SampleAnswer = Extract<WorkerToHost, { kind: 'sampled' | 'failed' }>;

/**
 * Changed connections of sample `seq`, sent ahead of its answer when the host asked for chunks; they come before the
 * answer's `update.changed`. Not part of WorkerToHost (the answers), so code that never asks for chunks never sees one.
 */
export interface WorkerChunk {
  kind: 'chunk';
  seq: number;
  changed: Connection[];
}

/**
 * Whether a process belongs to the workspace scope, decided by the worker with the rules the samples use (the roots
 * asked for and the processes carried from their trees, descendants, the workspace folders), read fresh through
 * the platform (Platform.readProcess: /proc on Linux).
 */
export interface ProcessCheck {
  pid: number;
  /** The platform's start time (Linux: field 22 of /proc/<pid>/stat), or null when the process is gone (or a zombie). */
  startTime: number | null;
  /** Null where the platform cannot tell (Windows). */
  uid: number | null;
  /** The command name (Linux: /proc/<pid>/comm), or null when gone. */
  command: string | null;
  inScope: boolean;
}

/**
 * Outside the answers, as they happen: the process groups of the worker's child processes (ss) that may still have
 * members, the whole list each time. The host kills them when it drops the worker (a timeout, a crash, dispose):
 * a worker thread has no exit hook of its own. `disposed` answers a `dispose` request once the groups were killed
 * (SIGKILL) and reaped, with those still there.
 */
export type WorkerNotice =
  | { kind: 'children'; pgids: number[] }
  | { kind: 'disposed'; pgids: number[] }
  /** The kernel's TCP counters moved since the last full read began (ChangeWatcher): one is needed. Once per read. */
  | { kind: 'change'; reason: string }
  /** Only segment counters moved since the last full read began: data, or a remote FIN no count shows. Once per read. */
  | { kind: 'segments' }
  /** Whether the counters can be read (when not, only periodic full reads see changes). */
  | { kind: 'probe'; available: boolean; reason: string }
  /**
   * The platform the worker reads through (process.platform's id), how it reads (Platform.describe) and what its
   * readings hold: when it is made, and again when how it reads changes.
   */
  | { kind: 'platform'; id: string; support: PlatformSupport; description: string; capabilities: PlatformCapabilities };

/** The answer to a `sample`, `checkProcess` or `readProcess` request. */
export type WorkerToHost =
  | {
      kind: 'sampled';
      seq: number;
      /** Null when nothing the views show changed. */
      update: ModelUpdate | null;
      processes: ProcessDelta;
      stats: SampleStats;
      sample: ScopedSample | null;
    }
  | { kind: 'failed'; seq: number; error: SampleError; nextSampleTimeoutMs?: number }
  | { kind: 'processCheck'; seq: number; check: ProcessCheck }
  | { kind: 'process'; seq: number; process: ProcessIdentity | null };

const HOST_KINDS: ReadonlySet<string> = new Set(['configure', 'sample', 'markExited', 'seed', 'watch', 'checkProcess', 'readProcess', 'dispose']);
const WORKER_KINDS: ReadonlySet<string> = new Set(['sampled', 'failed', 'processCheck', 'process']);

function kindOf(message: unknown): string | null {
  if (typeof message !== 'object' || message === null || !('kind' in message)) return null;
  const kind = (message as { kind: unknown }).kind;
  return typeof kind === 'string' ? kind : null;
}

/** Both ends are our own code; the guards only keep a stray message (another library's) from being misread. */
export function isHostToWorker(message: unknown): message is HostToWorker {
  const kind = kindOf(message);
  return kind !== null && HOST_KINDS.has(kind);
}

export function isWorkerToHost(message: unknown): message is WorkerToHost {
  const kind = kindOf(message);
  return kind !== null && WORKER_KINDS.has(kind);
}

export function isWorkerChunk(message: unknown): message is WorkerChunk {
  return kindOf(message) === 'chunk';
}

export function isWorkerNotice(message: unknown): message is WorkerNotice {
  const kind = kindOf(message);
  return kind === 'children' || kind === 'disposed' || kind === 'change' || kind === 'segments' || kind === 'probe' || kind === 'platform';
}
