// The sampling interval: the configured one, stretched while sampling costs more than its CPU budget.
// Pure: the sampler loop feeds it each sample's CPU cost and schedules the next sample with the result.

/** A sample may cost at most this share of one core: 1 % (10 ms of CPU per second). */
export const CPU_BUDGET = 0.01;

/**
 * The interval stretches beyond this only as far as MAX_CPU_SHARE needs: a view that shows "live" connections must
 * still move while someone debugs (Pause is there for zero cost). A sample's cost grows with the table: measured
 * with the /proc backend, ~0.4 s of CPU at 50k sockets (4 % of a core at this cap) but 1.3-2 s at 230k, which a
 * fixed 10 s cap let take 13-20 %.
 */
export const MAX_INTERVAL_MS = 10_000;

/**
 * Past MAX_INTERVAL_MS, the interval still grows so that sampling never takes more than this share of one core:
 * 5 %. At 230k sockets (1.3-2 s per sample) that is one sample every 26-40 s.
 */
export const MAX_CPU_SHARE = 0.05;

/** However costly a sample, the loop samples at least this often (5 minutes). */
export const HARD_MAX_INTERVAL_MS = 5 * 60_000;

/** The interval's cap for a sample cost (ms of CPU): MAX_INTERVAL_MS, or more to hold MAX_CPU_SHARE, at most HARD_MAX_INTERVAL_MS. */
export function intervalCapMs(costMs: number, maxMs = MAX_INTERVAL_MS): number {
  return Math.min(HARD_MAX_INTERVAL_MS, Math.max(maxMs, Math.ceil(costMs / MAX_CPU_SHARE)));
}

/** Weight of the newest sample in the smoothed cost (the interval shrinks only on a sustained drop). */
const SMOOTHING = 0.3;

export interface BackoffState {
  /** The interval in force, ms. */
  intervalMs: number;
  /** Exponentially smoothed CPU cost per sample, ms; null before the first sample. */
  smoothedCpuMs: number | null;
}

export interface BackoffOptions {
  /** The interval asked for (setting, or the 5 s of summary demand), ms. */
  baseMs: number;
  budget?: number;
  maxMs?: number;
}

export function initialBackoff(baseMs: number): BackoffState {
  return { intervalMs: baseMs, smoothedCpuMs: null };
}

/**
 * The state after a sample that cost `cpuMs` of CPU.
 * - Over budget (cpuMs / intervalMs > budget): the interval grows at once to what the budget allows for this cost
 *   (cpuMs / budget), so one expensive sample is enough to slow down.
 * - Under budget: the interval moves halfway back toward what the smoothed cost allows (never below the base), so a
 *   single cheap sample does not undo a back-off, and a sustained drop returns to the base in a few samples.
 */
export function nextBackoff(state: BackoffState, cpuMs: number, options: BackoffOptions): BackoffState {
  const budget = options.budget ?? CPU_BUDGET;
  const cost = Number.isFinite(cpuMs) && cpuMs > 0 ? cpuMs : 0;
  // The cap rises with the cost (this sample's or the smoothed one, whichever is higher) to hold MAX_CPU_SHARE.
  const heaviest = Math.max(cost, state.smoothedCpuMs ?? 0);
  const maxMs = Math.max(options.baseMs, intervalCapMs(heaviest, options.maxMs));
  const current = Math.min(maxMs, Math.max(options.baseMs, state.intervalMs));
  // The first sample fills the sampler's caches (every process's fd folder is listed): it costs several times a
  // steady sample and says nothing about what the next ones will cost, so it only seeds the estimate.
  if (state.smoothedCpuMs === null) return { intervalMs: current, smoothedCpuMs: cost };
  const smoothedCpuMs = state.smoothedCpuMs + SMOOTHING * (cost - state.smoothedCpuMs);

  if (cost / current > budget) {
    return { intervalMs: Math.min(maxMs, Math.max(current, Math.ceil(cost / budget))), smoothedCpuMs };
  }
  const target = Math.min(maxMs, Math.max(options.baseMs, Math.ceil(smoothedCpuMs / budget)));
  if (target >= current) return { intervalMs: current, smoothedCpuMs };
  const halfway = Math.ceil(target + (current - target) / 2);
  // Within 5 % of the target: snap, so the interval settles instead of creeping by a millisecond at a time.
  const intervalMs = halfway - target <= target * 0.05 ? target : halfway;
  return { intervalMs, smoothedCpuMs };
}

/**
 * The state when the base interval changes (setting edited, demand level switched): start from the new base, but
 * keep what is known about the cost, so a switch does not forget a back-off the cost still calls for.
 */
export function rebaseBackoff(state: BackoffState, baseMs: number, options: Omit<BackoffOptions, 'baseMs'> = {}): BackoffState {
  const budget = options.budget ?? CPU_BUDGET;
  const maxMs = Math.max(baseMs, intervalCapMs(state.smoothedCpuMs ?? 0, options.maxMs));
  const needed = state.smoothedCpuMs === null ? baseMs : Math.ceil(state.smoothedCpuMs / budget);
  return { intervalMs: Math.min(maxMs, Math.max(baseMs, needed)), smoothedCpuMs: state.smoothedCpuMs };
}

/**
 * Reads the change probes ask for may take this share of a core while changes keep coming: 2 %. Twice the
 * heartbeat's budget, because these reads show what the developer just did; a read of a small table costs 10-20 ms
 * of CPU here (most of it the kernel walking its hash), so changes that keep coming are read once a second or so.
 */
export const CHANGE_READ_BUDGET = 0.02;

/** What the change budget holds when full: an isolated burst of changes (a server starting) is read at once. */
export const CHANGE_READ_BURST_MS = 200;

/**
 * The CPU budget of reads the change probes ask for: a token bucket of CPU time. It refills at `share` of a core
 * and holds up to `burstMs`, so an isolated change is read at once, while changes that keep coming are read at
 * most as often as the budget pays for (one read per cost / share). Heartbeat reads spend from it too.
 */
export class ReadBudget {
  private tokens: number;
  private at: number | null = null;

  constructor(
    private readonly share = CHANGE_READ_BUDGET,
    private readonly burstMs = CHANGE_READ_BURST_MS,
  ) {
    this.tokens = burstMs;
  }

  private refill(now: number): void {
    if (this.at !== null && now > this.at) this.tokens = Math.min(this.capacity(), this.tokens + (now - this.at) * this.share);
    this.at = now;
  }

  private capacity(): number {
    return this.burstMs;
  }

  /** ms to wait before a read of about `costMs` CPU fits the budget (0: now). */
  delayMs(now: number, costMs: number): number {
    this.refill(now);
    const need = Math.min(Math.max(0, costMs), this.capacity());
    return this.tokens >= need ? 0 : Math.ceil((need - this.tokens) / this.share);
  }

  /** A read cost `costMs` of CPU. */
  spend(now: number, costMs: number): void {
    this.refill(now);
    this.tokens -= Math.max(0, costMs);
  }

  /** The spacing of reads while changes keep coming, for a read costing `costMs`: cost / share. */
  steadyGapMs(costMs: number): number {
    return Math.ceil(Math.max(0, costMs) / this.share);
  }
}
