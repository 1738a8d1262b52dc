// The scope as a view of one machine-wide tracker. The tracker follows every socket of the table, whatever the
// views show, so a connection's age, history and closed marker do not depend on the scope: switching scopes, or a
// process joining the workspace, only changes which of the tracker's connections the host holds. ScopeView keeps
// that set and turns each sample's tracker changes into what the host must receive.
import type { Connection, ConnectionId, StateCounts, TrackerEvent } from './types';
import { emptyCounts } from './types';

export interface ScopeViewInput {
  /** Calls `visit` with every live connection of the tracker and whether it is in the scope now. */
  live: (visit: (c: Connection, inScope: boolean) => void) => void;
  /**
   * Every live connection is in the scope (the whole machine): none can enter or leave it but by opening or closing,
   * which `changed` and `removed` carry, so the live ones need no look-up each (at 50k connections that look-up
   * alone cost ~3.5 ms per sample).
   */
  everyLiveInScope?: boolean;
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
    if (this.resetPending) {
      this.resetPending = false;
      const liveIds = new Set<ConnectionId>();
      input.live((c, yes) => {
        liveIds.add(c.id);
        if (!yes) return;
        inScope.push(c);
        counts[c.state]++;
      });
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

    // One pass over the live connections, with no set of all their ids (at 50k connections two such sets per
    // sample cost more than the rest of the view): entering the scope, the whole record; a live one the host holds
    // that left the scope (a root went away, the scope shrank), dropped.
    const changed: Connection[] = [];
    const removed: ConnectionId[] = [];
    const sent = new Set<ConnectionId>();
    const held = this.held;
    if (input.everyLiveInScope === true) {
      input.live((c) => {
        inScope.push(c);
        counts[c.state]++;
      });
    } else {
      input.live((c, yes) => {
        if (yes) {
          inScope.push(c);
          counts[c.state]++;
          if (!held.has(c.id)) {
            held.add(c.id);
            changed.push(c);
            sent.add(c.id);
          }
        } else if (held.delete(c.id)) {
          removed.push(c.id);
        }
      });
    }
    // A live connection that changed but left the scope was dropped above (no longer held); a closed one stays
    // until the tracker drops it. With every live one in scope, one the host does not hold yet is new: it enters.
    for (const c of input.changed) {
      if (sent.has(c.id)) continue;
      if (!held.has(c.id)) {
        if (input.everyLiveInScope !== true || c.closedAt !== null) continue;
        held.add(c.id);
      }
      changed.push(c);
      sent.add(c.id);
    }
    for (const id of input.removed) {
      if (held.delete(id)) removed.push(id);
    }
    const gone = removed.length > 0 ? new Set(removed) : null;
    const events = input.events.filter((e) => (e.kind === 'opened' ? this.held.has(e.connection.id) : this.held.has(e.id) || gone?.has(e.id) === true));
    return { changed, removed, events, counts, inScope, reset: false };
  }
}
