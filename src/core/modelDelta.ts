// Deltas between the sampler worker and the extension host's model.
// DeltaEncoder (worker side) remembers what it last sent for each connection and process and sends only what
// changed; ModelMirror (host side) applies those deltas, so it holds the same connections as the worker's tracker
// while the host's main thread touches only the changed records.
import type { Connection, ConnectionId, Insight, ModelUpdate, ProcessInfo, StateCounts, TrackerEvent } from './types';
import { TCP_STATES } from './types';

/** Processes referenced by connections, as changes to what the other side already has. */
export interface ProcessDelta {
  upserted: ProcessInfo[];
  removed: number[];
}

/**
 * What the host must see change. `timer.remainingMs` is left out on purpose: it changes on every sample for every
 * socket with a timer (all of TIME-WAIT), and sending those would make every update as big as the table. A mirrored
 * connection's remaining time is the one seen when the connection last changed otherwise.
 */
interface Fingerprint {
  state: string;
  role: string;
  inode: number;
  ownerPid: number;
  ownerCommand: string;
  recvQ: number;
  sendQ: number;
  timerKind: string;
  timerRetransmits: number;
  historyLength: number;
  lastSince: number;
  lastInferred: boolean;
  closedAt: number;
}

function fingerprint(c: Connection): Fingerprint {
  const last = c.history.length > 0 ? c.history[c.history.length - 1] : undefined;
  return {
    state: c.state,
    role: c.role,
    inode: c.inode,
    ownerPid: c.owner?.pid ?? -1,
    ownerCommand: c.owner?.command ?? '',
    recvQ: c.recvQ,
    sendQ: c.sendQ,
    timerKind: c.timer?.kind ?? '',
    timerRetransmits: c.timer?.retransmits ?? -1,
    historyLength: c.history.length,
    lastSince: last?.since ?? -1,
    lastInferred: last?.inferred ?? false,
    closedAt: c.closedAt ?? -1,
  };
}

function sameFingerprint(a: Fingerprint, b: Fingerprint): boolean {
  return (
    a.state === b.state &&
    a.role === b.role &&
    a.inode === b.inode &&
    a.ownerPid === b.ownerPid &&
    a.ownerCommand === b.ownerCommand &&
    a.recvQ === b.recvQ &&
    a.sendQ === b.sendQ &&
    a.timerKind === b.timerKind &&
    a.timerRetransmits === b.timerRetransmits &&
    a.historyLength === b.historyLength &&
    a.lastSince === b.lastSince &&
    a.lastInferred === b.lastInferred &&
    a.closedAt === b.closedAt
  );
}

function sameProcess(a: ProcessInfo, b: ProcessInfo): boolean {
  if (a.startTime !== b.startTime || a.ppid !== b.ppid || a.command !== b.command || a.cwd !== b.cwd || a.uid !== b.uid) return false;
  if (a.commandLine.length !== b.commandLine.length) return false;
  return a.commandLine.every((arg, i) => arg === b.commandLine[i]);
}

function sameCounts(a: StateCounts, b: StateCounts): boolean {
  return TCP_STATES.every((s) => a[s] === b[s]);
}

export interface EncoderInput {
  at: number;
  events: readonly TrackerEvent[];
  /** Every connection the tracker holds now (live and recently closed). */
  connections: Iterable<Connection>;
  counts: StateCounts;
  insights: readonly Insight[];
  /** Processes known from the current sample, by pid. */
  processes: ReadonlyMap<number, ProcessInfo>;
}

export interface EncodedDelta {
  update: ModelUpdate | null;
  processes: ProcessDelta;
}

/**
 * The encoder hands out the tracker's own records: the thread boundary (postMessage's structured clone) detaches
 * them, and nothing else should hold an update.
 */
export class DeltaEncoder {
  private readonly sent = new Map<ConnectionId, Fingerprint>();
  private readonly sentProcesses = new Map<number, ProcessInfo>();
  private lastCounts: StateCounts | null = null;
  private lastInsights = '';
  private resetPending = true;

  /** The next update starts over: every connection is sent, and the host drops everything it had. */
  reset(): void {
    this.resetPending = true;
  }

  encode(input: EncoderInput): EncodedDelta {
    const reset = this.resetPending;
    this.resetPending = false;
    if (reset) {
      this.sent.clear();
      this.sentProcesses.clear();
      this.lastCounts = null;
      this.lastInsights = '';
    }

    const changed: Connection[] = [];
    const seen = new Set<ConnectionId>();
    const referenced = new Set<number>();
    for (const c of input.connections) {
      seen.add(c.id);
      if (c.owner) referenced.add(c.owner.pid);
      const fp = fingerprint(c);
      const before = this.sent.get(c.id);
      if (before === undefined || !sameFingerprint(before, fp)) {
        this.sent.set(c.id, fp);
        changed.push(c);
      }
    }
    const removed: ConnectionId[] = [];
    if (this.sent.size > seen.size) {
      for (const id of this.sent.keys()) {
        if (!seen.has(id)) removed.push(id);
      }
      for (const id of removed) this.sent.delete(id);
    }

    const processes = this.encodeProcesses(referenced, input.processes);
    const insightsText = JSON.stringify(input.insights);
    const countsChanged = this.lastCounts === null || !sameCounts(this.lastCounts, input.counts);
    const insightsChanged = insightsText !== this.lastInsights;
    this.lastCounts = { ...input.counts };
    this.lastInsights = insightsText;

    const events = reset ? [] : [...input.events];
    if (!reset && events.length === 0 && changed.length === 0 && removed.length === 0 && !countsChanged && !insightsChanged) {
      return { update: null, processes };
    }
    const update: ModelUpdate = {
      at: input.at,
      events,
      changed,
      removed,
      counts: { ...input.counts },
      insights: [...input.insights],
    };
    if (reset) update.reset = true;
    return { update, processes };
  }

  private encodeProcesses(referenced: ReadonlySet<number>, current: ReadonlyMap<number, ProcessInfo>): ProcessDelta {
    const upserted: ProcessInfo[] = [];
    const removed: number[] = [];
    for (const pid of referenced) {
      const info = current.get(pid);
      // A referenced process missing from this sample (exited; its closed connections linger): keep what was sent.
      if (info === undefined) continue;
      const before = this.sentProcesses.get(pid);
      if (before === undefined || !sameProcess(before, info)) {
        // A copy: the sampler may update its cached ProcessInfo in place, which would hide the next change.
        this.sentProcesses.set(pid, { ...info, commandLine: [...info.commandLine] });
        upserted.push(info);
      }
    }
    for (const pid of this.sentProcesses.keys()) {
      if (!referenced.has(pid)) removed.push(pid);
    }
    for (const pid of removed) this.sentProcesses.delete(pid);
    return { upserted, removed };
  }
}

/** The host's copy of the worker's model, kept current by applying each delta. */
export class ModelMirror {
  private readonly byId = new Map<ConnectionId, Connection>();
  private readonly processesByPid = new Map<number, ProcessInfo>();
  private list: Connection[] | null = [];
  private currentCounts: StateCounts;
  private currentInsights: Insight[] = [];

  constructor(emptyCounts: StateCounts) {
    this.currentCounts = { ...emptyCounts };
  }

  /**
   * Applies one sample's delta. Returns the update to tell views about, or null when nothing changed; for a reset,
   * the returned update's `removed` lists every connection the mirror had that the new state lacks.
   */
  apply(update: ModelUpdate | null, processes: ProcessDelta): ModelUpdate | null {
    if (update?.reset) this.processesByPid.clear();
    for (const pid of processes.removed) this.processesByPid.delete(pid);
    for (const p of processes.upserted) this.processesByPid.set(p.pid, p);
    if (update === null) return null;

    let removed = update.removed;
    if (update.reset) {
      const kept = new Set(update.changed.map((c) => c.id));
      removed = [...this.byId.keys()].filter((id) => !kept.has(id));
      this.byId.clear();
    } else {
      for (const id of removed) this.byId.delete(id);
    }
    for (const c of update.changed) this.byId.set(c.id, c);
    if (update.changed.length > 0 || removed.length > 0 || update.reset) this.list = null;
    this.currentCounts = update.counts;
    this.currentInsights = update.insights;
    return removed === update.removed ? update : { ...update, removed };
  }

  /** Drops everything (the model stopped): returns the update that tells views so, or null if it was empty. */
  clear(at: number, emptyCounts: StateCounts): ModelUpdate | null {
    if (this.byId.size === 0 && this.currentInsights.length === 0) return null;
    const removed = [...this.byId.keys()];
    this.byId.clear();
    this.processesByPid.clear();
    this.list = [];
    this.currentCounts = { ...emptyCounts };
    this.currentInsights = [];
    return { at, events: [], changed: [], removed, counts: { ...emptyCounts }, insights: [], reset: true };
  }

  connections(): readonly Connection[] {
    if (this.list === null) this.list = [...this.byId.values()];
    return this.list;
  }

  connection(id: ConnectionId): Connection | undefined {
    return this.byId.get(id);
  }

  counts(): StateCounts {
    return this.currentCounts;
  }

  insights(): readonly Insight[] {
    return this.currentInsights;
  }

  process(pid: number): ProcessInfo | undefined {
    return this.processesByPid.get(pid);
  }

  get size(): number {
    return this.byId.size;
  }

  get processCount(): number {
    return this.processesByPid.size;
  }
}
