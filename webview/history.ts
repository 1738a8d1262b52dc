// A connection's way through the diagram as the host's tracker recorded it. The tracker (src/domain/tracker.ts,
// with states.ts's weighted inferPath) is the one engine that decides which states a connection went through
// between two samples; the webview draws its record and searches no path of its own. Consecutive history
// entries are hops; a hop is inferred when the state it enters was (no sample saw it).
import { inferPath } from '../src/domain/states';
import type { Connection, ConnectionRole, HistoryEntry, TcpState, TrackerEvent } from '../src/domain/types';

export interface HopSpec {
  from: TcpState;
  to: TcpState;
  inferred: boolean;
}

/** Whether the diagram has an edge from one state to another. */
export type HasEdge = (from: TcpState, to: TcpState) => boolean;

/** Where a connection's life begins: an accepted connection at its listener, a client (or a listener) at CLOSED. */
export function origin(role: ConnectionRole): TcpState {
  return role === 'server' ? 'LISTEN' : 'CLOSED';
}

/**
 * The state drawn before a history that starts at `first`, or null. A connection's first sample may find it one
 * edge past its origin (a client in SYN-SENT, an accepted connection in SYN-RECEIVED): that edge is drawn, from
 * the origin, as an inferred hop. Nothing more is added: a history that starts further in (the tracker did not
 * record the way there) is drawn from where it starts.
 */
export function originBefore(first: TcpState, role: ConnectionRole, hasEdge: HasEdge): TcpState | null {
  const o = origin(role);
  return first !== o && first !== 'CLOSED' && hasEdge(o, first) ? o : null;
}

/** The hops between consecutive entries, each inferred when the entry it enters is. */
export function hopsOf(entries: readonly HistoryEntry[]): HopSpec[] {
  const hops: HopSpec[] = [];
  for (let i = 1; i < entries.length; i++) {
    const a = entries[i - 1];
    const b = entries[i];
    if (a.state !== b.state) hops.push({ from: a.state, to: b.state, inferred: b.inferred });
  }
  return hops;
}

/** The way a newly seen connection came: its history, ending at its current state (and the origin's hop, above). */
export function openingHops(c: Connection, hasEdge: HasEdge): HopSpec[] {
  const first = c.history.length ? c.history[0].state : c.state;
  const o = originBefore(first, c.role, hasEdge);
  const hops = hopsOf(c.history);
  if (o) hops.unshift({ from: o, to: first, inferred: true });
  return hops;
}

type ClosedEvent = Extract<TrackerEvent, { kind: 'closed' }>;

/**
 * The way a connection that left the socket table went to CLOSED. The tracker records that way in the
 * connection's history when it closes it (the record comes in the same update): the entries from the one it
 * left, `ev.from`, to the CLOSED it entered at `ev.at`. When the update does not carry the record (it was
 * closed and dropped at once), the diagram's most likely way out from the core's inferPath: a normal close
 * before an abort, TIME-WAIT avoided (a sample would have seen its 60 s).
 */
export function closingHops(ev: ClosedEvent, record: Connection | undefined): HopSpec[] {
  if (ev.from === 'CLOSED') return [];
  const tail = record ? closingTail(record, ev) : null;
  if (tail) return hopsOf(tail);
  const states = inferPath(ev.from, 'CLOSED', { avoid: ['TIME-WAIT'] });
  const hops: HopSpec[] = [];
  for (let i = 1; i < states.length; i++) hops.push({ from: states[i - 1], to: states[i], inferred: ev.inferred || i < states.length - 1 });
  return hops;
}

/** The entries of `c`'s history from the state it closed in to its last, or null if the record does not hold them. */
function closingTail(c: Connection, ev: ClosedEvent): HistoryEntry[] | null {
  const h = c.history;
  if (c.closedAt !== ev.at || h.length < 2 || h[h.length - 1].state !== 'CLOSED') return null;
  for (let k = h.length - 2; k >= 0; k--) {
    const e = h[k];
    if (e.state === ev.from && e.until === ev.at) return h.slice(k);
    // Only the states entered on the way out (entered when it closed) stand between.
    if (e.since !== ev.at) return null;
  }
  return null;
}
