// The sampler loop, on the extension host's side of the worker thread. It owns the worker and the only timer:
//   - one sample at a time: the loop and sampleNow() share a queue, and the next tick is set only after an answer;
//   - each sample has a deadline; a worker that misses it is terminated and a fresh one takes over;
//   - reads are change-driven: between them the worker probes the kernel's TCP counters (4 times a second while a
//     view is visible, once a second for the status bar alone) and says when they moved; the read then comes at
//     once, as far as a CPU budget allows (ReadBudget: a burst, then cost / 1 % apart while changes keep coming);
//     the worker probes every network namespace the last read took in, and such a read reads again only the
//     namespaces whose counters moved (`onlyMoved`; every other read reads them all);
//   - a heartbeat read comes at least every `intervalMs` (the setting; 30 s for the status bar alone), stretched by
//     the CPU back-off, for what no counter shows (a remote peer's FIN) - and only if segments moved since the last
//     read: without a segment, nothing can have changed that the counters would not show;
//   - after a read that shows connections half-way through a close or a handshake (FIN-WAIT-1, FIN-WAIT-2, CLOSING,
//     LAST-ACK, SYN-RECEIVED), follow-up reads come 1, 2, 4 and 8 s later: their next step may move no counter;
//   - where the counters cannot be read, reads are periodic: every second (5 s for the status bar alone);
//   - no demand, or paused: no timer and no probing at all.
// No `vscode` here, so the kernel tier runs it in plain Node against real sockets.
import { Worker } from 'node:worker_threads';
import { ReadBudget, initialBackoff, nextBackoff, rebaseBackoff } from '../domain/backoff';
import type { BackoffState } from '../domain/backoff';
import type { Connection, SampleScope, ScopedSample } from '../domain/types';
import { isWorkerChunk, isWorkerNotice, isWorkerToHost } from './workerProtocol';
import { killGroupsNow, stopGroups } from './childProcesses';
import { PERIODIC_INTERVAL_MS, PROBE_PERIOD_MS } from './changeWatcher';

import type { DemandLevel, HostToWorker, LoopStatus, ProcessCheck, SampleAnswer, SampledMessage, SampleError, WorkerChunk, WorkerNotice, WorkerSettings, WorkerToHost } from './workerProtocol';
import type { ProcessIdentity } from './platforms/platform';

/** The platform the worker reads through, as its `platform` notice tells it. */
export type PlatformNotice = Extract<WorkerNotice, { kind: 'platform' }>;

/** The status bar alone needs counts, not motion: without change probes, one sample every 5 s. */
export const SUMMARY_INTERVAL_MS = 5000;

/** With change probes, the status bar alone gets a heartbeat read at least this often. */
export const SUMMARY_HEARTBEAT_MS = 30_000;

/**
 * After a read that shows connections in the middle of a close or a handshake, reads follow at these delays (from
 * the read before): FIN-WAIT-1 -> FIN-WAIT-2 and the like move no counter while the program holds the socket.
 */
export const FOLLOW_UP_MS: readonly number[] = [1000, 2000, 4000, 8000];

/** States whose next step may move no counter (see FOLLOW_UP_MS). */
const PASSING_STATES = ['FIN-WAIT-1', 'FIN-WAIT-2', 'CLOSING', 'LAST-ACK', 'SYN-RECEIVED'] as const;

/** A sample that takes longer than this is stuck (a hung /proc read or `ss`): the worker is replaced. */
export const DEFAULT_SAMPLE_TIMEOUT_MS = 20_000;

/** The host's deadline exceeds the worker's own deadline for ss by this much (the rest of the sample). */
const SAMPLE_DEADLINE_MARGIN_MS = 10_000;

/** How long dispose waits for the worker to say it killed its child processes before terminating it anyway. */
const DISPOSE_ANSWER_MS = 400;

/** After a failed sample, wait at least this long, doubling per consecutive failure up to the cap. */
const FAILURE_RETRY_MIN_MS = 2000;
const FAILURE_RETRY_MAX_MS = 60_000;

/** Roots arriving in a burst (several terminals restored at once) are taken in one sample. */
const POKE_DELAY_MS = 100;

/** Exited debuggees remembered for a restarted worker; older ones no longer matter for the insight. */
const MAX_EXITED = 64;

/**
 * Why a read was made: the probes saw a change, a follow-up of one, the heartbeat, or a request of the host's (the
 * scope changed, a root exited, the settings changed, resume): the host saw a change no kernel counter shows.
 */
type ReadReason = 'change' | 'followUp' | 'heartbeat' | 'request';

export class SampleFailure extends Error {
  constructor(readonly error: SampleError) {
    super(error.message);
    this.name = 'SampleFailure';
  }
}

export interface SamplerHostOptions {
  /** dist/samplerWorker.js. */
  workerPath: string;
  settings: WorkerSettings;
  /** The configured interval (full demand), ms. */
  intervalMs: number;
  /** The scope to sample, asked for at each sample (roots come and go). */
  scope: () => SampleScope;
  /** Called on the host's thread as each answer arrives, before the next sample is scheduled. */
  onSampled: (message: SampledMessage) => void;
  /** Every failure (the caller decides what to tell the user, and how often). */
  onFailed: (error: SampleError) => void;
  sampleTimeoutMs?: number;
  /** Share of one core a sample may cost before the interval stretches (default CPU_BUDGET, 1 %). */
  cpuBudget?: number;
  /**
   * Changed connections of a large update, as each chunk arrives ahead of the answer (ModelMirror.stage). With it,
   * onSampled's update carries only the tail; without it, the chunks are joined into the answer's update.
   */
  onChunk?: (changed: Connection[]) => void;
  /** The loop's way of reading changed (probes found working or not, demand): read `loop` again. */
  onLoopChanged?: () => void;
  /** Connections a new worker should continue (the host's mirror, or what a reload kept). */
  seed?: () => readonly Connection[];
  /** Changed connections per message (default CHUNK_SIZE). */
  chunkSize?: number;
  /** The worker's platform, when it is made and when how it reads changes. */
  onPlatform?: (notice: PlatformNotice) => void;
}

interface Pending {
  seq: number;
  resolve: (message: WorkerToHost) => void;
  timer: ReturnType<typeof setTimeout>;
  /** Changed connections that came ahead in chunk messages. */
  chunks: Connection[][];
}

/**
 * Changed connections per message: at ~550 bytes of structured clone each, 500 take the main thread ~2 ms to
 * receive and stage (bench: 57 ms to receive a whole 13k-connection reset on a loaded machine), so no task of a
 * reset comes near 10 ms.
 */
export const CHUNK_SIZE = 500;

export class SamplerHost {
  private worker: Worker | null = null;
  private settings: WorkerSettings;
  private configuredIntervalMs: number;
  private demandLevel: DemandLevel | null = null;
  private paused = false;
  private disposed = false;
  /** Set by an error that retrying cannot fix (not Linux); cleared by new settings. */
  private halted = false;
  private seq = 0;
  private pending: Pending | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  private queued = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private backoff: BackoffState;
  private failures = 0;
  private chunks = 0;
  private lastSampleEnd = 0;
  private readonly exited: number[] = [];
  private readonly timeoutMs: number;
  /** When the timer fires (ms since the epoch), while one is set. */
  private timerDue = 0;
  /** The probe period the worker was last asked for; null: not probing. */
  private watchPeriod: number | null = null;
  /** Whether the worker's change probes read the counters (null: not known yet). */
  private probesWork: boolean | null = null;
  /** The probes saw a change no read has begun since: one is owed (now, or when the budget allows). */
  private changeWanted = false;
  private readonly readBudget: ReadBudget;
  private changeReads = 0;
  private followUpReads = 0;
  /** What the last warm read cost (not a worker's first, which lists every process's fds), ms of CPU. */
  private warmReadCostMs = 0;
  /**
   * Segment counters moved since the last read of every namespace began (only then can a heartbeat find anything).
   * A read of only the namespaces whose counts moved leaves it set: the segments may have been another's.
   */
  private segmentsSinceRead = true;
  /** When the last read of every namespace (not `onlyMoved`) began, ms since the epoch. */
  private lastFullReadAt = 0;
  /** Heartbeats not read because nothing moved, so far. */
  private skippedHeartbeats = 0;
  /** The next follow-up read's place in FOLLOW_UP_MS; -1: none due. */
  private followUp = -1;
  /** The last read showed connections in a passing state (PASSING_STATES). */
  private passing = false;
  /** Why the read in progress was made. */
  private readWhy: ReadReason = 'heartbeat';
  /** Answers from the current worker (its first read is a cold one). */
  private samplesOfWorker = 0;
  /** How long the budget held back the last change read (null: it did not). */
  private throttledMs: number | null = null;
  private heartbeatReads = 0;
  /** The deadline of the next sample: timeoutMs, or longer while the worker says ss may take longer (a huge table). */
  private deadlineMs: number;
  /**
   * Each worker's child process groups (ss) that may still have members, as it last reported them. A worker that
   * is dropped (timeout, crash, dispose) is terminated without running any code, so its groups are killed from here.
   */
  private readonly groupsOf = new Map<Worker, number[]>();
  /** Kills every known group if the process exits without dispose (the extension host ending). */
  private readonly exitHook = (): void => {
    for (const pgids of this.groupsOf.values()) killGroupsNow(pgids);
  };

  constructor(private readonly options: SamplerHostOptions) {
    this.settings = options.settings;
    this.configuredIntervalMs = options.intervalMs;
    this.timeoutMs = options.sampleTimeoutMs ?? DEFAULT_SAMPLE_TIMEOUT_MS;
    this.deadlineMs = this.timeoutMs;
    this.backoff = initialBackoff(options.intervalMs);
    this.readBudget = new ReadBudget(options.cpuBudget === undefined ? undefined : options.cpuBudget * 2);
  }

  /** How the loop reads now, for the UI and the tests. */
  get loop(): LoopStatus {
    const changeDriven = this.probesWork === true && this.watchPeriod !== null;
    const cost = this.warmReadCostMs;
    return {
      changeDriven,
      probePeriodMs: changeDriven ? this.watchPeriod : null,
      heartbeatMs: this.backoff.intervalMs,
      stretched: this.backoff.intervalMs > this.baseIntervalMs(),
      busyGapMs: changeDriven ? this.readBudget.steadyGapMs(cost) : null,
      throttledMs: changeDriven ? this.throttledMs : null,
      changeReads: this.changeReads,
      followUpReads: this.followUpReads,
      heartbeatReads: this.heartbeatReads,
      skippedHeartbeats: this.skippedHeartbeats,
    };
  }

  /** The interval in force now (after back-off), ms. */
  get intervalMs(): number {
    return this.backoff.intervalMs;
  }

  /** Whether the loop is meant to run (something demands, not paused, not disposed or halted). */
  get running(): boolean {
    return !this.disposed && !this.paused && !this.halted && this.demandLevel !== null;
  }

  /** Whether a worker thread exists right now. */
  get hasWorker(): boolean {
    return this.worker !== null;
  }

  private baseIntervalMs(): number {
    if (this.probesWork === false) {
      const periodic = Math.min(this.configuredIntervalMs, PERIODIC_INTERVAL_MS);
      return this.demandLevel === 'summary' ? Math.max(periodic, SUMMARY_INTERVAL_MS) : periodic;
    }
    return this.demandLevel === 'summary' ? Math.max(this.configuredIntervalMs, SUMMARY_HEARTBEAT_MS) : this.configuredIntervalMs;
  }

  /** Probing follows the demand: the worker probes while the loop runs, at the demand's period. */
  private syncWatch(): void {
    const period = this.running && this.demandLevel !== null ? PROBE_PERIOD_MS[this.demandLevel] : null;
    if (period === this.watchPeriod) return;
    this.watchPeriod = period;
    this.post({ kind: 'watch', periodMs: period });
  }

  private onNotice(notice: WorkerNotice): void {
    switch (notice.kind) {
      case 'probe':
        if (notice.available !== this.probesWork) {
          this.probesWork = notice.available;
          this.backoff = rebaseBackoff(this.backoff, this.baseIntervalMs(), { budget: this.options.cpuBudget });
          this.reschedule();
          this.options.onLoopChanged?.();
        }
        return;
      case 'change':
        this.changeWanted = true;
        // While a read runs, the change may have come after its start: afterSample reads again.
        if (this.running && this.queued === 0) this.changeRead();
        return;
      case 'segments':
        // Data, or a remote FIN that no count shows: the next heartbeat has something to look for.
        this.segmentsSinceRead = true;
        return;
      case 'platform':
        this.options.onPlatform?.(notice);
        return;
    }
  }

  /**
   * After each read: while connections sit in a passing state (mid-close, mid-handshake), follow-up reads come at
   * the FOLLOW_UP_MS delays, restarted by a read the probes asked for and given up after the last delay (a program
   * may hold a FIN-WAIT-2 for ever: the heartbeat is for that).
   */
  private noteFollowUp(message: SampledMessage, why: ReadReason): void {
    if (message.update !== null) this.passing = PASSING_STATES.some((s) => (message.update?.counts[s] ?? 0) > 0);
    if (!this.passing) this.followUp = -1;
    else if (why === 'change') this.followUp = 0;
    else if (why === 'followUp') this.followUp = this.followUp + 1 < FOLLOW_UP_MS.length ? this.followUp + 1 : -1;
  }

  /** A read for a change the probes saw: now, or when the CPU budget allows (the UI says when it holds reads back). */
  private changeRead(): void {
    const delay = this.readBudget.delayMs(Date.now(), this.warmReadCostMs);
    const throttled = delay > 0 ? delay : null;
    const news = (throttled === null) !== (this.throttledMs === null);
    this.throttledMs = throttled;
    if (news) this.options.onLoopChanged?.();
    this.readSoon(delay, 'change');
  }

  /** Brings the next read forward to `delayMs` from now, if the timer is set for later. */
  private readSoon(delayMs: number, why: ReadReason): void {
    if (this.timer !== undefined && this.timerDue <= Date.now() + delayMs) return;
    this.nextWhy = why;
    this.schedule(delayMs);
  }

  setDemand(level: DemandLevel | null): void {
    if (level === this.demandLevel) return;
    this.demandLevel = level;
    this.options.onLoopChanged?.();
    if (level !== null) this.backoff = rebaseBackoff(this.backoff, this.baseIntervalMs(), { budget: this.options.cpuBudget });
    this.reschedule();
  }

  setPaused(paused: boolean): void {
    if (paused === this.paused) return;
    this.paused = paused;
    this.reschedule();
    // Resuming is a request to see what happened meanwhile: sample now rather than after a whole interval.
    if (!paused) this.poke();
  }

  setIntervalMs(intervalMs: number): void {
    if (intervalMs === this.configuredIntervalMs) return;
    this.configuredIntervalMs = intervalMs;
    this.backoff = rebaseBackoff(this.backoff, this.baseIntervalMs(), { budget: this.options.cpuBudget });
    this.reschedule();
  }

  configure(settings: WorkerSettings): void {
    this.settings = settings;
    this.halted = false;
    this.failures = 0;
    this.post({ kind: 'configure', settings });
    this.poke();
  }

  markExited(pid: number): void {
    this.exited.push(pid);
    if (this.exited.length > MAX_EXITED) this.exited.shift();
    this.post({ kind: 'markExited', pid });
    this.poke();
  }

  /** The scope changed (a root came or went): sample soon instead of at the next tick. */
  poke(): void {
    if (!this.running) return;
    if (this.queued > 0) {
      // The sample running may have asked for its scope before the change: afterSample reads again.
      this.pokeWanted = true;
      return;
    }
    this.pokeWanted = false;
    // Never a skippable heartbeat: a scope change moves no kernel counter, yet the picture changes.
    this.nextWhy = 'request';
    this.schedule(POKE_DELAY_MS);
  }

  /**
   * One sample now, outside the loop's timing but in its queue; resolves with the whole scoped sample. With a
   * `scope`, a look at that scope: nothing is tracked, onSampled and onFailed are not called, the loop's scope,
   * model and back-off stay as they were (the caller gets the sample or the failure).
   */
  async sampleNow(scope?: SampleScope): Promise<ScopedSample> {
    if (this.disposed) throw new SampleFailure({ code: 'internal', message: 'the sampler was disposed' });
    const message = await this.enqueue(true, scope);
    if (message.kind === 'failed') throw new SampleFailure(message.error);
    if (message.sample === null) throw new SampleFailure({ code: 'internal', message: 'the worker sent no sample' });
    return message.sample;
  }

  /**
   * Whether `pid` belongs to the workspace scope, asked of the worker (which keeps the scope's roots and the trees
   * carried from them). Queued like a sample, so it never runs beside one.
   */
  async checkProcess(pid: number, scope: Extract<SampleScope, { mode: 'workspace' }>): Promise<ProcessCheck> {
    if (this.disposed) throw new SampleFailure({ code: 'internal', message: 'the sampler was disposed' });
    const run = this.queue.then(() => this.request((seq) => ({ kind: 'checkProcess', seq, pid, scope })));
    this.queue = run.then(
      () => undefined,
      () => undefined,
    );
    const message = await run;
    if (message.kind === 'failed') throw new SampleFailure(message.error);
    if (message.kind !== 'processCheck') throw new SampleFailure({ code: 'internal', message: `unexpected answer ${message.kind}` });
    return message.check;
  }

  /**
   * One process read by the worker through its platform (Linux: /proc/<pid>; macOS: ps and lsof; Windows: its process
   * list), null when there is none. Queued like a sample. The host reads no process table of its own.
   */
  async readProcess(pid: number): Promise<ProcessIdentity | null> {
    if (this.disposed) throw new SampleFailure({ code: 'internal', message: 'the sampler was disposed' });
    const run = this.queue.then(() => this.request((seq) => ({ kind: 'readProcess', seq, pid })));
    this.queue = run.then(
      () => undefined,
      () => undefined,
    );
    const message = await run;
    if (message.kind === 'failed') throw new SampleFailure(message.error);
    if (message.kind !== 'process') throw new SampleFailure({ code: 'internal', message: `unexpected answer ${message.kind}` });
    return message.process;
  }

  /** Posts one request and resolves with its answer, a timeout, or the worker's loss. */
  private request(make: (seq: number) => HostToWorker): Promise<WorkerToHost> {
    const seq = ++this.seq;
    return new Promise<WorkerToHost>((resolve) => {
      const timer = setTimeout(() => this.onTimeout(seq), this.deadlineMs);
      this.pending = { seq, resolve, timer, chunks: [] };
      this.post(make(seq));
    });
  }

  private reschedule(): void {
    this.syncWatch();
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (!this.running || this.queued > 0) return;
    const interval = this.failures > 0 ? this.failureDelay() : this.backoff.intervalMs;
    this.nextWhy = 'heartbeat';
    this.schedule(Math.max(0, this.lastSampleEnd + interval - Date.now()));
  }

  /** After failures: 2 s, doubling per failure in a row, at most a minute (the heartbeat may be longer). */
  private failureDelay(): number {
    return Math.min(FAILURE_RETRY_MAX_MS, FAILURE_RETRY_MIN_MS * 2 ** Math.min(10, this.failures - 1));
  }

  /** A poke came while a sample ran: one more read once it ends. */
  private pokeWanted = false;

  /** What the timer set last is for, counted when it fires. */
  private nextWhy: ReadReason = 'heartbeat';

  private schedule(delayMs: number): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timerDue = Date.now() + delayMs;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (!this.running || this.queued !== 0) return;
      if (this.nextWhy === 'heartbeat' && this.probesWork === true && this.watchPeriod !== null && !this.segmentsSinceRead && this.failures === 0 && this.samplesOfWorker > 0) {
        // Not a segment since the last read: nothing changed that the counters would not have said. Skip it.
        this.skippedHeartbeats++;
        this.lastSampleEnd = Date.now();
        this.reschedule();
        if (this.changeWanted) this.changeRead();
        return;
      }
      if (this.nextWhy === 'followUp' && this.readBudget.delayMs(Date.now(), this.warmReadCostMs) > 0) {
        // Follow-ups are a guess: they never take the budget from reads a change asks for.
        this.followUp = -1;
        this.lastSampleEnd = Date.now();
        this.reschedule();
        if (this.changeWanted) this.changeRead();
        return;
      }
      if (this.nextWhy === 'heartbeat') this.heartbeatReads++;
      else if (this.nextWhy === 'followUp') this.followUpReads++;
      else this.changeReads++; // a change the probes saw, or one the host saw (a request)
      this.readWhy = this.nextWhy;
      // A read the probes asked for reads only the namespaces whose counters moved; any other reads them all, and so
      // does a change read once a heartbeat is owed (segments moved, the interval passed): changes that keep coming
      // in one namespace must not hold off what only a heartbeat shows in the others (a remote FIN).
      const heartbeatOwed = this.segmentsSinceRead && Date.now() - this.lastFullReadAt >= this.backoff.intervalMs;
      void this.enqueue(false, undefined, this.nextWhy === 'change' && !heartbeatOwed);
    }, delayMs);
  }

  private enqueue(wantSample: boolean, look?: SampleScope, onlyMoved = false): Promise<SampleAnswer> {
    this.queued++;
    // The worker takes its counters' baseline as the read begins: what moves from now on is the next read's news.
    // A look at another scope takes none (its probes keep what they saw), so it leaves the loop's news as it is.
    if (look === undefined) {
      if (!onlyMoved) {
        this.segmentsSinceRead = false;
        this.lastFullReadAt = Date.now();
      }
      this.changeWanted = false;
    }
    const run = this.queue.then(() => this.sampleOnce(wantSample, look, onlyMoved));
    this.queue = run.then(
      () => this.afterSample(onlyMoved),
      () => this.afterSample(onlyMoved),
    );
    return run;
  }

  private afterSample(onlyMoved: boolean): void {
    this.queued--;
    // The heartbeat counts from the last read of every namespace: reads of some only do not put it off.
    if (!onlyMoved || this.failures > 0) this.lastSampleEnd = Date.now();
    this.reschedule();
    this.readWhy = 'heartbeat';
    if (this.followUp >= 0 && this.running && this.queued === 0 && this.probesWork === true) this.readSoon(FOLLOW_UP_MS[this.followUp] ?? 0, 'followUp');
    if (this.pokeWanted && this.queued === 0) this.poke();
    // A change the probes saw while this sample ran may have come after its read: read again (within the budget).
    if (this.changeWanted && this.running && this.queued === 0) this.changeRead();
  }

  private async sampleOnce(wantSample: boolean, look: SampleScope | undefined, onlyMoved: boolean): Promise<SampleAnswer> {
    if (this.disposed) {
      return { kind: 'failed', seq: -1, error: { code: 'internal', message: 'the sampler was disposed' } };
    }
    const scope = look ?? this.options.scope();
    const answer = await this.request((seq) => ({ kind: 'sample', seq, scope, wantSample, chunkSize: this.options.chunkSize ?? CHUNK_SIZE, ...(look ? { track: false } : {}), ...(onlyMoved ? { onlyMoved } : {}) }));
    const message: SampleAnswer = answer.kind === 'processCheck' || answer.kind === 'process' ? { kind: 'failed', seq: answer.seq, error: { code: 'internal', message: 'the worker answered a sample with a process reading' } } : answer;
    if (this.disposed) return message;
    const hint = message.kind === 'sampled' ? message.stats.nextSampleTimeoutMs : message.nextSampleTimeoutMs;
    // The worker's own deadline for ss, plus time for the rest of the sample: the host must not give up first.
    if (hint !== undefined && Number.isFinite(hint)) this.deadlineMs = Math.max(this.timeoutMs, hint + SAMPLE_DEADLINE_MARGIN_MS);
    if (look) return message;
    if (message.kind === 'sampled') {
      this.failures = 0;
      // A new worker's first read lists every process's fds (cold caches): it says nothing of what reads cost.
      if (this.samplesOfWorker++ > 0) {
        this.readBudget.spend(Date.now(), message.stats.costMs);
        this.warmReadCostMs = message.stats.costMs;
      }
      this.noteFollowUp(message, this.readWhy);
      this.backoff = nextBackoff(this.backoff, message.stats.costMs, { baseMs: this.baseIntervalMs(), budget: this.options.cpuBudget });
      this.options.onSampled(message);
    } else {
      this.failures++;
      if (message.error.code === 'unsupported-platform') this.halted = true;
      this.options.onFailed(message.error);
    }
    return message;
  }

  private onChunk(chunk: WorkerChunk): void {
    if (this.pending?.seq !== chunk.seq) return;
    this.chunks++;
    if (this.options.onChunk) this.options.onChunk(chunk.changed);
    else this.pending.chunks.push(chunk.changed);
  }

  /** Chunk messages received so far (each sample's large `changed` lists arrive in several). */
  get chunksReceived(): number {
    return this.chunks;
  }

  private settle(message: WorkerToHost): void {
    const pending = this.pending;
    if (pending === null || message.seq !== pending.seq) return;
    this.pending = null;
    clearTimeout(pending.timer);
    if (message.kind === 'sampled' && message.update !== null && pending.chunks.length > 0) {
      message.update.changed = pending.chunks.flat().concat(message.update.changed);
    }
    pending.resolve(message);
  }

  private onTimeout(seq: number): void {
    if (this.pending?.seq !== seq) return;
    const deadline = this.deadlineMs;
    this.discardWorker();
    this.settle({ kind: 'failed', seq, error: { code: 'timeout', message: `no answer from the sampler worker within ${deadline} ms`, timeoutMs: deadline } });
  }

  private post(message: HostToWorker): void {
    if (this.disposed) return;
    // Only a request (a sample, a process check) or probing needs a worker; settings and exits reach a new worker
    // when it starts.
    if (this.worker === null && message.kind !== 'sample' && message.kind !== 'checkProcess' && message.kind !== 'readProcess' && !(message.kind === 'watch' && message.periodMs !== null)) return;
    this.ensureWorker().postMessage(message);
  }

  private ensureWorker(): Worker {
    if (this.worker !== null) return this.worker;
    const worker = new Worker(this.options.workerPath);
    this.worker = worker;
    this.samplesOfWorker = 0;
    if (this.groupsOf.size === 0) process.on('exit', this.exitHook);
    this.groupsOf.set(worker, []);
    worker.on('message', (message: unknown) => {
      if (isWorkerNotice(message)) {
        if (message.kind === 'children' && this.groupsOf.has(worker)) this.groupsOf.set(worker, message.pgids);
        else if (worker === this.worker) this.onNotice(message);
        return;
      }
      if (worker !== this.worker) return;
      if (isWorkerChunk(message)) this.onChunk(message);
      else if (isWorkerToHost(message)) this.settle(message);
    });
    worker.on('error', (error: Error) => this.onWorkerGone(worker, `${error.name}: ${error.message}`));
    worker.on('exit', (code) => this.onWorkerGone(worker, `the worker thread exited with code ${code}`));
    worker.postMessage({ kind: 'configure', settings: this.settings } satisfies HostToWorker);
    for (const pid of this.exited) worker.postMessage({ kind: 'markExited', pid } satisfies HostToWorker);
    // A new worker (the first, or one replacing a stuck one) continues what the host already knows.
    const known = this.options.seed?.() ?? [];
    if (known.length > 0) worker.postMessage({ kind: 'seed', connections: [...known] } satisfies HostToWorker);
    if (this.watchPeriod !== null) worker.postMessage({ kind: 'watch', periodMs: this.watchPeriod } satisfies HostToWorker);
    return worker;
  }

  /** Kills what the worker's children left (SIGTERM, SIGKILL after a grace) and forgets the worker. */
  private reapGroups(worker: Worker): Promise<void> {
    const pgids = this.groupsOf.get(worker) ?? [];
    this.groupsOf.delete(worker);
    if (this.groupsOf.size === 0) process.removeListener('exit', this.exitHook);
    return stopGroups(pgids);
  }

  private onWorkerGone(worker: Worker, why: string): void {
    void this.reapGroups(worker);
    if (worker !== this.worker) return;
    this.worker = null;
    if (this.pending !== null) this.settle({ kind: 'failed', seq: this.pending.seq, error: { code: 'worker-crashed', message: why } });
  }

  /** Drops the current worker without waiting: a thread stuck in a system call ends when the call returns. */
  private discardWorker(): void {
    const worker = this.worker;
    this.worker = null;
    if (worker !== null) {
      // A worker waiting on a hung ss still reads messages: it kills its groups at once. One stuck in a system
      // call does not: its groups are killed from here, now and again when the thread is gone.
      worker.postMessage({ kind: 'dispose' } satisfies HostToWorker);
      worker.unref();
      void stopGroups(this.groupsOf.get(worker) ?? []);
      void worker.terminate();
    }
  }

  /** Stops the loop and ends the worker thread; resolves once the thread has exited. */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    const worker = this.worker;
    this.worker = null;
    if (this.pending !== null) this.settle({ kind: 'failed', seq: this.pending.seq, error: { code: 'internal', message: 'the sampler was disposed' } });
    if (worker !== null) {
      // The worker kills its child process groups when asked (terminate() runs no code in it); the host kills
      // whatever it last reported too, in case the thread could not answer.
      await new Promise<void>((resolve) => {
        const done = (message: unknown) => {
          if (isWorkerNotice(message) && message.kind === 'disposed') {
            this.groupsOf.set(worker, message.pgids);
            finish();
          }
        };
        const timer = setTimeout(() => finish(), DISPOSE_ANSWER_MS);
        const finish = () => {
          clearTimeout(timer);
          worker.off('message', done);
          resolve();
        };
        worker.on('message', done);
        worker.postMessage({ kind: 'dispose' } satisfies HostToWorker);
      });
      const groups = this.groupsOf.get(worker) ?? [];
      await worker.terminate();
      this.groupsOf.set(worker, groups);
      await this.reapGroups(worker);
    }
    for (const w of [...this.groupsOf.keys()]) await this.reapGroups(w);
  }
}
