// Watches the kernel's TCP counters between full reads and says when one is needed (the rule is
// src/domain/changeTrigger.ts needsFullRead; the probe src/sampling/changeProbe.ts). The sampler worker and the CLI
// run one each: a timer reads the counters every period, and the first change since the last full read is
// reported once. A full read takes a fresh reading first (baseline), so a change during the read is seen by the
// next probe, not lost.
import { ChangeProbe } from './changeProbe';
import { needsFullRead, type ProbeReading, type TriggerDecision } from '../domain/changeTrigger';

/**
 * How often the kernel's TCP counters are read between full reads (the worker's loop, and the CLI's watch), while
 * a view shows connections ('full') or only the status bar's counts ('summary'). A wake-up of Node costs ~0.15 ms
 * of CPU here before any work, so 4 Hz (~1.2-1.8 ms/s with the reads) is the most an idle view can afford; a change
 * is read within 250 ms plus the read (measured p95 268 ms from the action).
 */
export const PROBE_PERIOD_MS: Readonly<Record<'full' | 'summary', number>> = { full: 250, summary: 1000 };

/** Without change probes (the counters unreadable), full reads come every second while a view is visible. */
export const PERIODIC_INTERVAL_MS = 1000;

export interface WatchEvents {
  /** A count moved since the last baseline: a full read is needed (reported once per baseline). */
  change(decision: TriggerDecision): void;
  /** Only segment counters moved (data, or a remote FIN no count shows), once per baseline. */
  segments?(decision: TriggerDecision): void;
  /** The probe became readable or stopped being so (then only periodic full reads see changes). */
  availability?(available: boolean, reason: string): void;
}

export class ChangeWatcher {
  private readonly probes: ChangeProbe[];
  private readonly last: ProbeReading[];
  private timer: ReturnType<typeof setInterval> | null = null;
  private reportedChange = false;
  private reportedSegments = false;
  private available: boolean | null = null;
  /** Probe readings taken, for tests and benchmarks. */
  reads = 0;

  /** `procRoots`: the net folders of the namespaces to watch (default: our own, /proc/self/net). */
  constructor(
    private readonly events: WatchEvents,
    procRoots: readonly string[] = ['/proc/self/net'],
  ) {
    this.probes = procRoots.map((procRoot) => new ChangeProbe({ procRoot }));
    this.last = this.probes.map((p) => p.read());
    this.noteAvailability();
  }

  /** Whether every probe reads its counters (else the caller samples periodically). */
  get isAvailable(): boolean {
    return this.last.every((r) => r.available);
  }

  /** Probes every `periodMs` until stop(); a new period replaces the old one. */
  start(periodMs: number): void {
    this.stop();
    this.timer = setInterval(() => this.tick(), periodMs);
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  get running(): boolean {
    return this.timer !== null;
  }

  /** A full read is starting: what moves from now on is news again. */
  baseline(): void {
    for (let i = 0; i < this.probes.length; i++) this.last[i] = (this.probes[i] as ChangeProbe).read();
    this.reads += this.probes.length;
    this.reportedChange = false;
    this.reportedSegments = false;
    this.noteAvailability();
  }

  /** One probe round (the timer's work; callable directly in tests). */
  tick(): void {
    for (let i = 0; i < this.probes.length; i++) {
      const next = (this.probes[i] as ChangeProbe).read();
      this.reads++;
      const decision = needsFullRead(this.last[i] as ProbeReading, next);
      this.last[i] = next;
      if (decision.full) {
        if (!this.reportedChange) {
          this.reportedChange = true;
          this.events.change(decision);
        }
      } else if (decision.trigger === 'segments' && !this.reportedSegments) {
        this.reportedSegments = true;
        this.events.segments?.(decision);
      }
    }
    this.noteAvailability();
  }

  private noteAvailability(): void {
    const available = this.isAvailable;
    if (available === this.available) return;
    this.available = available;
    const reason = this.last.map((r) => (r.available ? '' : r.reason)).filter((r) => r !== '').join('; ');
    this.events.availability?.(available, available ? 'kernel TCP counters readable' : reason);
  }

  close(): void {
    this.stop();
    for (const p of this.probes) p.close();
  }
}
