// Watches the kernel's TCP counters between full reads and says when one is needed (the rule is
// src/domain/changeTrigger.ts needsFullRead; the probe src/sampling/changeProbe.ts). The sampler worker and the CLI
// run one each: a timer reads the counters every period, and the first change since the last full read is
// reported once. A full read takes a fresh reading first (baseline), so a change during the read is seen by the
// next probe, not lost.
//
// One probe per network namespace the last sample read: ours (/proc/self/net), and each other one through the
// process its table was read through (/proc/<pid>/net; setNamespaces after each sample). Only ours decides
// whether the loop is change-driven at all: another namespace's probe that cannot read (its reader exited, its
// link closed to us) leaves that namespace to the reads other changes and the heartbeat make, and is re-read by
// every one of them (see quietSinceBaseline). A read the probes asked for need only read the namespaces whose
// counters moved: quietSinceBaseline names the others, whose last rows stand.
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

/** A namespace to probe: its key (the sampler's NetNamespaceSummary.key) and its net folder. */
export interface WatchedNamespace {
  key: string;
  /** '/proc/self/net' for ours, '/proc/<pid>/net' for another through one of its processes. */
  netDir: string;
  own: boolean;
}

interface Probed {
  key: string;
  netDir: string;
  probe: ChangeProbe;
  last: ProbeReading;
  /** A count moved (or the probe was lost or regained) since the last baseline. */
  moved: boolean;
}

export class ChangeWatcher {
  /** Ours first: its availability is the watcher's. */
  private readonly probes: Probed[];
  private timer: ReturnType<typeof setInterval> | null = null;
  private reportedChange = false;
  private reportedSegments = false;
  private available: boolean | null = null;
  /** Probe readings taken, for tests and benchmarks. */
  reads = 0;

  /** `ownNetDir`: our own namespace's net folder (default /proc/self/net; a test folder in tests). */
  constructor(
    private readonly events: WatchEvents,
    ownNetDir = '/proc/self/net',
  ) {
    this.probes = [this.open('', ownNetDir)];
    this.noteAvailability();
  }

  private open(key: string, netDir: string): Probed {
    const probe = new ChangeProbe({ procRoot: netDir });
    this.reads++;
    return { key, netDir, probe, last: probe.read(), moved: false };
  }

  /**
   * The namespaces the last sample read (ours among them, `own`). A namespace probed already through the same
   * folder keeps its probe and baseline; a new one, or one read through another process now, gets a fresh probe
   * whose first reading is its baseline; a namespace no longer read has its probe closed.
   */
  setNamespaces(namespaces: readonly WatchedNamespace[]): void {
    const own = this.probes[0] as Probed;
    const others = new Map<string, Probed>();
    for (const p of this.probes.slice(1)) others.set(p.key, p);
    const next: Probed[] = [own];
    for (const n of namespaces) {
      if (n.own) {
        own.key = n.key;
        continue;
      }
      const old = others.get(n.key);
      if (old !== undefined && old.netDir === n.netDir) {
        others.delete(n.key);
        next.push(old);
      } else {
        next.push(this.open(n.key, n.netDir));
      }
    }
    for (const p of others.values()) p.probe.close();
    this.probes.splice(0, this.probes.length, ...next);
  }

  /** The namespaces probed, ours first, and whether each one's probe reads: for tests and the log. */
  get watched(): readonly { key: string; netDir: string; available: boolean }[] {
    return this.probes.map((p) => ({ key: p.key, netDir: p.netDir, available: p.last.available }));
  }

  /** Whether our own namespace's probe reads its counters (else the caller samples periodically). */
  get isAvailable(): boolean {
    return (this.probes[0] as Probed).last.available;
  }

  /**
   * The namespaces (keys) whose probe read every time since the last baseline and saw no count move: a read
   * the probes asked for may keep their last rows. Empty while not running (nothing was watched).
   */
  quietSinceBaseline(): Set<string> {
    const out = new Set<string>();
    if (this.timer === null) return out;
    for (const p of this.probes) if (p.key !== '' && !p.moved && p.last.available) out.add(p.key);
    return out;
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
    for (const p of this.probes) {
      p.last = p.probe.read();
      p.moved = false;
    }
    this.reads += this.probes.length;
    this.reportedChange = false;
    this.reportedSegments = false;
    this.noteAvailability();
  }

  /** One probe round (the timer's work; callable directly in tests). Never throws. */
  tick(): void {
    for (const p of this.probes) {
      const next = p.probe.read();
      this.reads++;
      const decision = needsFullRead(p.last, next);
      p.last = next;
      if (decision.full) {
        p.moved = true;
        if (!this.reportedChange) {
          this.reportedChange = true;
          this.events.change(p === this.probes[0] ? decision : { ...decision, reason: `${p.key}: ${decision.reason}` });
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
    const own = (this.probes[0] as Probed).last;
    this.events.availability?.(available, own.available ? 'kernel TCP counters readable' : own.reason);
  }

  close(): void {
    this.stop();
    for (const p of this.probes) p.probe.close();
  }
}
