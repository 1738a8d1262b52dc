// The scope as a view of one machine-wide tracker. The tracker follows every socket of the table, whatever the
// views show, so a connection's age, history and closed marker do not depend on the scope: switching scopes, or a
// process joining the workspace, only changes which of the tracker's connections the host holds. ScopeView keeps
// that set and turns each sample's tracker changes into what the host must receive.
import type { Connection, ConnectionId, StateCounts, TrackerEvent } from './types';
import { emptyCounts } from './types';

export interface ScopeViewInput {
  /** Every live connection of the tracker, with whether it is in the scope now. */
  live: Iterable<readonly [Connection, boolean]>;
  /** What the tracker changed in this update (opened, changed, closed). */
  changed: readonly Connection[];
  /** Closed connections the tracker dropped (retention). */
  removed: readonly ConnectionId[];
  events: readonly TrackerEvent[];
  /** Every connection the tracker holds, closed ones included: read only when the view starts over. */
  all: () => Iterable<Connection>;
}

export interface ScopeViewOutput {
  /** Connections the host must (re)receive: changed ones it holds, and those entering the scope. */
  changed: Connection[];
  /** Connections the host must drop: gone from the tracker, or live ones that left the scope. */
  removed: ConnectionId[];
  /** The tracker's events about connections the host holds. */
  events: TrackerEvent[];
  /** Live connections in scope, per state. */
  counts: StateCounts;
  /** Live connections in scope (for insights). */
  inScope: Connection[];
  /** True when the host must drop everything and take `changed` as the whole set. */
  reset: boolean;
}

export class ScopeView {
  private held = new Set<ConnectionId>();
  private resetPending = true;
  private allInScope = false;

  /**
   * The next update starts over (a new scope, a new worker): the host gets every connection in scope, and closed
   * ones it held before while still retained; with `everything` (the whole machine) every retained one too.
   */
  startOver(everything: boolean): void {
    this.resetPending = true;
    this.allInScope = everything;
  }

  /** Ids the host holds now. */
  has(id: ConnectionId): boolean {
    return this.held.has(id);
  }

  update(input: ScopeViewInput): ScopeViewOutput {
    const counts = emptyCounts();
    const inScope: Connection[] = [];
    const liveIds = new Set<ConnectionId>();
    for (const [c, yes] of input.live) {
      liveIds.add(c.id);
      if (!yes) continue;
      inScope.push(c);
      counts[c.state]++;
    }
    if (this.resetPending) {
      this.resetPending = false;
      const before = this.held;
      const next = new Set<ConnectionId>();
      const changed: Connection[] = [];
      for (const c of inScope) {
        next.add(c.id);
        changed.push(c);
      }
      for (const c of input.all()) {
        if (liveIds.has(c.id) || next.has(c.id)) continue;
        if (this.allInScope || before.has(c.id)) {
          next.add(c.id);
          changed.push(c);
        }
      }
      this.held = next;
      return { changed, removed: [], events: [], counts, inScope, reset: true };
    }

    const changed: Connection[] = [];
    const removed: ConnectionId[] = [];
    const sent = new Set<ConnectionId>();
    const inScopeIds = new Set<ConnectionId>();
    for (const c of inScope) inScopeIds.add(c.id);
    // Entering the scope (a new connection, or a process that joined it): the whole record.
    for (const c of inScope) {
      if (!this.held.has(c.id)) {
        this.held.add(c.id);
        changed.push(c);
        sent.add(c.id);
      }
    }
    for (const c of input.changed) {
      if (sent.has(c.id) || !this.held.has(c.id)) continue;
      // A live connection that changed but is no longer in scope leaves below; a closed one stays until dropped.
      if (liveIds.has(c.id) && !inScopeIds.has(c.id)) continue;
      changed.push(c);
      sent.add(c.id);
    }
    for (const id of input.removed) {
      if (this.held.delete(id)) removed.push(id);
    }
    // Live connections the host holds that left the scope (a root went away, the scope shrank).
    for (const id of liveIds) {
      if (this.held.has(id) && !inScopeIds.has(id)) {
        this.held.delete(id);
        removed.push(id);
      }
    }
    const gone = removed.length > 0 ? new Set(removed) : null;
    const events = input.events.filter((e) => (e.kind === 'opened' ? this.held.has(e.connection.id) : this.held.has(e.id) || gone?.has(e.id) === true));
    return { changed, removed, events, counts, inScope, reset: false };
  }
}
