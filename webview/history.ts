// A connection's way through the diagram as the host's tracker recorded it. The tracker (src/domain/tracker.ts,
// with diagram.ts's weighted inferPath) is the one engine that decides which states a connection went through
// between two samples, including the likely way to where a connection was first seen; the webview draws its
// record and searches no path of its own. Consecutive history entries are hops; a hop is inferred when the state
// it enters was (no sample saw it).
import type { Connection, HistoryEntry, TcpState, TrackerEvent } from '../src/domain/types';

export interface HopSpec {
  from: TcpState;
  to: TcpState;
  inferred: boolean;
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

/**
 * The way a newly seen connection came: its history from its start (the tracker's inferred entries, then the state
 * it was seen in). A connection first seen in CLOSED has one entry and no way.
 */
export function openingHops(c: Connection): HopSpec[] {
  return hopsOf(c.history);
}

/** The way a connection that left the socket table went to CLOSED: the tracker's hops, carried by the event. */
export function closingHops(ev: Extract<TrackerEvent, { kind: 'closed' }>): HopSpec[] {
  return ev.path.map((h) => ({ from: h.from, to: h.to, inferred: h.inferred }));
}
