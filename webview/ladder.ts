// A connection's ladder diagram: the local and the remote end as two lanes, the state changes down the page in
// time order, and between them the segments that must have crossed for each change (RFC 9293 section 3.3.2,
// Figure 5 edge labels: "rcv SYN" is a segment arriving, "snd SYN,ACK" one leaving). Nothing here captures
// packets: every segment is reconstructed from a state change in the connection's history, and is marked observed
// when the samples saw both sides of that change, inferred when the tracker filled the change in.
import type { Connection, ConnectionRole, HistoryEntry, TcpState } from '../src/domain/types';

export interface SegmentEdge {
  from: TcpState;
  to: TcpState;
  event: string;
  action: string;
  kind?: string;
  path?: string;
}

export interface Segment {
  /** out = local to remote, in = remote to local. */
  dir: 'out' | 'in';
  /** Control bits as people write them: SYN, SYN-ACK, ACK, FIN, RST. */
  label: string;
}

export type LadderRow =
  | {
      kind: 'state';
      lane: 'local' | 'remote';
      state: TcpState;
      /** null for states reconstructed before the first sample (no time known). */
      since: number | null;
      until: number | null;
      inferred: boolean;
    }
  | { kind: 'segment'; dir: 'out' | 'in'; label: string; inferred: boolean; from: TcpState; to: TcpState }
  | { kind: 'note'; text: 'timeout'; from: TcpState; to: TcpState };

function controlBits(raw: string): string {
  const bits = raw
    .toUpperCase()
    .split(/[,+\s]+/)
    .filter((b) => /^(SYN|ACK|FIN|RST)$/.test(b));
  if (bits.length === 2 && bits.includes('ACK')) return `${bits.find((b) => b !== 'ACK')}-ACK`;
  return bits.join('-');
}

/**
 * The segments an edge's label implies, in the order they happen: what is received (the event) comes before
 * what is sent in answer (the action), except for a local call (OPEN, CLOSE, SEND) where only the action crosses.
 */
export function segmentsOf(edge: Pick<SegmentEdge, 'event' | 'action'>): Segment[] {
  const out: Segment[] = [];
  const text = `${edge.event} / ${edge.action}`;
  // "rcv SYN,ACK", "rcv ACK of SYN", "rcv FIN", "rcv RST"; "snd SYN,ACK", "snd ACK", "snd FIN", "snd RST".
  const re = /\b(rcv|snd|send|receive)\s+([A-Za-z]+(?:\s*[,+]\s*[A-Za-z]+)*)/gi;
  for (const m of text.matchAll(re)) {
    const verb = m[1].toLowerCase();
    const bits = controlBits(m[2].replace(/\s+of\s+.*$/i, ''));
    if (!bits) continue;
    out.push({ dir: verb === 'rcv' || verb === 'receive' ? 'in' : 'out', label: bits });
  }
  return out;
}

function findEdge(edges: readonly SegmentEdge[], from: TcpState, to: TcpState, role: ConnectionRole): SegmentEdge | undefined {
  const matching = edges.filter((e) => e.from === from && e.to === to);
  // Prefer the RFC's own edge, and the one on this connection's side (client or server).
  const score = (e: SegmentEdge): number =>
    (e.kind === 'rfc' ? 0 : e.kind === 'linux' ? 1 : 2) + (e.path === 'both' || e.path === undefined || e.path === role ? 0 : 3);
  return matching.sort((a, b) => score(a) - score(b))[0];
}

/**
 * The peer's end of a loopback connection, when the peer is in the model too (4-tuple reversed, in the same network
 * namespace: a container's 127.0.0.1 is not ours).
 */
export function findPeer(c: Connection, all: Iterable<Connection>): Connection | undefined {
  for (const o of all) {
    if (
      o.id !== c.id &&
      o.family === c.family &&
      o.netns === c.netns &&
      o.local.port === c.remote.port &&
      o.remote.port === c.local.port &&
      o.local.address === c.remote.address &&
      o.remote.address === c.local.address
    ) {
      return o;
    }
  }
  return undefined;
}

/**
 * The ladder's rows for `c`, oldest first: its history as the tracker recorded it, the states samples saw and
 * the ones it filled in (a connection first seen mid-life has its opening recorded as inferred entries). The
 * inferred states before the first observed one have no time. Segments are drawn only for hops the diagram has an edge for. `peer` (the other end, when it is one of ours)
 * fills the remote lane.
 */
export function ladderRows(c: Connection, edges: readonly SegmentEdge[], peer?: Connection): LadderRow[] {
  const rows: (LadderRow & { t: number; seq: number })[] = [];
  let seq = 0;
  const push = (r: LadderRow, t: number): void => {
    rows.push({ ...r, t, seq: seq++ });
  };

  const all: readonly HistoryEntry[] = c.history.length ? c.history : [{ state: c.state, since: c.openedAt, until: null, inferred: false, startSeen: false }];
  const seenFrom = firstObserved(all);
  for (let i = 0; i < all.length; i++) {
    const h = all[i];
    if (i > 0) {
      const prev = all[i - 1];
      const edge = findEdge(edges, prev.state, h.state, c.role);
      const inferred = prev.inferred || h.inferred;
      const segs = edge ? segmentsOf(edge) : [];
      for (const s of segs) push({ kind: 'segment', dir: s.dir, label: s.label, inferred, from: prev.state, to: h.state }, h.since);
      if (edge && segs.length === 0 && /timeout/i.test(edge.event)) push({ kind: 'note', text: 'timeout', from: prev.state, to: h.state }, h.since);
    }
    const timed = i >= seenFrom;
    push({ kind: 'state', lane: 'local', state: h.state, since: timed ? h.since : null, until: timed ? h.until : null, inferred: h.inferred }, h.since);
  }
  if (c.closedAt !== null && c.state !== 'CLOSED' && all[all.length - 1].state !== 'CLOSED') {
    push({ kind: 'state', lane: 'local', state: 'CLOSED', since: c.closedAt, until: null, inferred: false }, c.closedAt);
  }
  if (peer) {
    const peerSeenFrom = firstObserved(peer.history);
    peer.history.forEach((h, i) => {
      const timed = i >= peerSeenFrom;
      push({ kind: 'state', lane: 'remote', state: h.state, since: timed ? h.since : null, until: timed ? h.until : null, inferred: h.inferred }, h.since);
    });
  }
  // Stable by time; at equal times the local rows keep their causal order and the peer's rows follow.
  rows.sort((a, b) => a.t - b.t || a.seq - b.seq);
  return rows.map(({ t: _t, seq: _s, ...r }) => r as LadderRow);
}

/** Index of the first entry a sample saw: the inferred ones before it were filled in for a time no sample covers. */
function firstObserved(entries: readonly HistoryEntry[]): number {
  const i = entries.findIndex((h) => !h.inferred);
  return i < 0 ? entries.length : i;
}
