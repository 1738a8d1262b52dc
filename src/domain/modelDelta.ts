// Deltas between the sampler worker and the extension host's model.
// DeltaEncoder (worker side) sends what the tracker changed and the owners' process records the host lacks;
// ModelMirror (host side) applies those deltas, so it holds the same connections as the worker's tracker while the
// host's main thread touches only the changed records.
import type { Connection, ConnectionId, Insight, ModelUpdate, ProcessInfo, StateCounts, TrackerEvent } from './types';
import { TCP_STATES } from './states';

/** Processes referenced by connections, as changes to what the other side already has. */
export interface ProcessDelta {
  upserted: ProcessInfo[];
  removed: number[];
}

function sameProcess(a: ProcessInfo, b: ProcessInfo): boolean {
  if (a.startTime !== b.startTime || a.ppid !== b.ppid || a.command !== b.command || a.cwd !== b.cwd || a.uid !== b.uid) return false;
  if (a.commandLine.length !== b.commandLine.length) return false;
  return a.commandLine.every((arg, i) => arg === b.commandLine[i]);
}

function sameCounts(a: StateCounts, b: StateCounts): boolean {
  return TCP_STATES.every((s) => a[s] === b[s]);
}

function sameInsight(a: Insight, b: Insight): boolean {
  if (a.kind !== b.kind || a.key !== b.key || a.pid !== b.pid || a.command !== b.command || a.count !== b.count) return false;
  if (a.oldestMs !== b.oldestMs || a.threshold !== b.threshold || (a.endpointSide ?? 'local') !== (b.endpointSide ?? 'local')) return false;
  if (a.endpoint !== b.endpoint && (a.endpoint === null || b.endpoint === null || a.endpoint.address !== b.endpoint.address || a.endpoint.port !== b.endpoint.port)) return false;
  const ids = a.connectionIds;
  if (ids.length !== b.connectionIds.length) return false;
  for (let i = 0; i < ids.length; i++) if (ids[i] !== b.connectionIds[i]) return false;
  return true;
}

/** Field by field, stopping at the first difference (a storm's insight lists thousands of connection ids). */
function sameInsights(a: readonly Insight[], b: readonly Insight[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!sameInsight(a[i], b[i])) return false;
  return true;
}

export interface EncoderInput {
  at: number;
  events: readonly TrackerEvent[];
  /**
   * What the tracker changed in this update (ConnectionTracker.lastChanges()): connections opened, closed, or changed
   * in state, owner, inode or queues, and closed ones dropped. A running timer's countdown is not a change, so a
   * mirrored connection's `timer.remainingMs` is the one seen when it last changed otherwise.
   */
  changed: readonly Connection[];
  removed: readonly ConnectionId[];
  /** The host starts over: `changed` is every connection it is to hold (ScopeView's reset). */
  reset: boolean;
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
 * Turns one tracker update into what crosses to the host: the changed records, the removed ids, and the owners'
 * process records that are new or changed. It hands out the tracker's own records: the thread boundary
 * (postMessage's structured clone) detaches them.
 */
export class DeltaEncoder {
  /** Owner pid of each connection the host holds, and how many connections each pid owns. */
  private readonly ownerOf = new Map<ConnectionId, number>();
  private readonly owned = new Map<number, number>();
  private readonly sentProcesses = new Map<number, ProcessInfo>();
  private lastCounts: StateCounts | null = null;
  private lastInsights: readonly Insight[] | null = null;

  private setOwner(id: ConnectionId, pid: number | undefined): void {
    const before = this.ownerOf.get(id);
    if (before === pid) return;
    if (before !== undefined) {
      const n = (this.owned.get(before) ?? 1) - 1;
      if (n > 0) this.owned.set(before, n);
      else this.owned.delete(before);
    }
    if (pid === undefined) {
      this.ownerOf.delete(id);
    } else {
      this.ownerOf.set(id, pid);
      this.owned.set(pid, (this.owned.get(pid) ?? 0) + 1);
    }
  }

  encode(input: EncoderInput): EncodedDelta {
    const reset = input.reset;
    let changed: Connection[];
    let removed: ConnectionId[];
    if (reset) {
      this.ownerOf.clear();
      this.owned.clear();
      this.sentProcesses.clear();
      this.lastCounts = null;
      this.lastInsights = null;
      changed = [...input.changed];
      removed = [];
    } else {
      removed = [...input.removed];
      // A connection can close and be dropped in the same update (retention 0, or the count cap): it is removed.
      const dropped = removed.length > 0 ? new Set(removed) : null;
      changed = dropped === null ? [...input.changed] : input.changed.filter((c) => !dropped.has(c.id));
    }
    for (const id of removed) this.setOwner(id, undefined);
    for (const c of changed) this.setOwner(c.id, c.owner?.pid);

    const processes = this.encodeProcesses(input.processes);
    const countsChanged = this.lastCounts === null || !sameCounts(this.lastCounts, input.counts);
    const insightsChanged = this.lastInsights === null || !sameInsights(this.lastInsights, input.insights);
    this.lastCounts = { ...input.counts };
    this.lastInsights = input.insights;

    const events = reset ? [] : [...input.events];
    if (!reset && events.length === 0 && changed.length === 0 && removed.length === 0 && !countsChanged && !insightsChanged) {
      return { update: null, processes };
    }
    const update: ModelUpdate = { at: input.at, events, changed, removed, counts: { ...input.counts }, insights: [...input.insights] };
    if (reset) update.reset = true;
    return { update, processes };
  }

  private encodeProcesses(current: ReadonlyMap<number, ProcessInfo>): ProcessDelta {
    const upserted: ProcessInfo[] = [];
    const removed: number[] = [];
    for (const pid of this.owned.keys()) {
      const info = current.get(pid);
      // An owner missing from this sample (exited; its closed connections linger): keep what was sent.
      if (info === undefined) continue;
      const before = this.sentProcesses.get(pid);
      if (before === undefined || !sameProcess(before, info)) {
        // A copy: the sampler may update its cached ProcessInfo in place, which would hide the next change.
        this.sentProcesses.set(pid, { ...info, commandLine: [...info.commandLine] });
        upserted.push(info);
      }
    }
    for (const pid of this.sentProcesses.keys()) {
      if (!this.owned.has(pid)) removed.push(pid);
    }
    for (const pid of removed) this.sentProcesses.delete(pid);
    return { upserted, removed };
  }
}

/** The host's copy of the worker's model, kept current by applying each delta. */
export class ModelMirror {
  private byId = new Map<ConnectionId, Connection>();
  /** Changed connections that came ahead of their update (chunks), in order: applied with it. */
  private staged = new Map<ConnectionId, Connection>();
  private readonly processesByPid = new Map<number, ProcessInfo>();
  private list: Connection[] | null = [];
  private currentCounts: StateCounts;
  private currentInsights: Insight[] = [];

  constructor(emptyCounts: StateCounts) {
    this.currentCounts = { ...emptyCounts };
  }

  /**
   * Takes changed connections that arrive ahead of their update (a large update comes in chunks, each its own
   * message): holding them now spreads the work of a reset of tens of thousands of connections over one short
   * task per chunk, instead of one long task when the update lands. They count as part of the next apply().
   */
  stage(changed: readonly Connection[]): void {
    for (const c of changed) this.staged.set(c.id, c);
  }

  /** Forgets staged connections whose update will not come (the sample failed, the worker was replaced). */
  discardStaged(): void {
    this.staged.clear();
  }

  /**
   * Applies one sample's delta (and the connections staged ahead of it). Returns the update to tell views about,
   * or null when nothing changed; its `changed` holds the staged connections too, and for a reset its `removed`
   * lists every connection the mirror had that the new state lacks.
   */
  apply(update: ModelUpdate | null, processes: ProcessDelta): ModelUpdate | null {
    if (update?.reset) this.processesByPid.clear();
    for (const pid of processes.removed) this.processesByPid.delete(pid);
    for (const p of processes.upserted) this.processesByPid.set(p.pid, p);
    if (update === null) {
      this.staged.clear();
      return null;
    }
    const staged = this.staged;
    this.staged = new Map();
    let changed = update.changed;
    if (staged.size > 0) {
      for (const c of update.changed) staged.set(c.id, c);
      changed = [...staged.values()];
    }

    let removed = update.removed;
    if (update.reset) {
      // The new state is what came: the staged map becomes the mirror, and what it lacks was removed.
      const next = staged.size > 0 ? staged : new Map(update.changed.map((c) => [c.id, c] as const));
      removed = [];
      for (const id of this.byId.keys()) if (!next.has(id)) removed.push(id);
      this.byId = next;
    } else {
      // Changed before removed: an id in both (closed and dropped in one update) ends up gone.
      for (const c of changed) this.byId.set(c.id, c);
      for (const id of removed) this.byId.delete(id);
    }
    if (changed.length > 0 || removed.length > 0 || update.reset) this.list = null;
    this.currentCounts = update.counts;
    this.currentInsights = update.insights;
    return removed === update.removed && changed === update.changed ? update : { ...update, changed, removed };
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
}
