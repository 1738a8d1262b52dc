// A connection's ladder diagram: the local and the remote end as two lanes, the state changes down the page in
// time order, and between them the segments that must have crossed for each change (RFC 9293 section 3.3.2,
// Figure 5 edge labels: "rcv SYN" is a segment arriving, "snd SYN,ACK" one leaving). Nothing here captures
// packets: every segment is reconstructed from a state change, and is marked observed when the samples saw both
// sides of that change, inferred when the change was filled in along the diagram's path.
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

/** Shortest path along non-abort edges on the role's side (breadth-first); [] when `from` is `to` or unreachable. */
export function pathBetween(edges: readonly SegmentEdge[], from: TcpState, to: TcpState, role: ConnectionRole): TcpState[] {
  if (from === to) return [from];
  const usable = edges.filter((e) => e.kind !== 'abort' && (e.path === undefined || e.path === 'both' || e.path === role || role === 'listener'));
  const prev = new Map<TcpState, TcpState>();
  const queue: TcpState[] = [from];
  const seen = new Set<TcpState>([from]);
  while (queue.length) {
    const s = queue.shift() as TcpState;
    for (const e of usable) {
      if (e.from !== s || seen.has(e.to)) continue;
      seen.add(e.to);
      prev.set(e.to, s);
      if (e.to === to) {
        const path: TcpState[] = [to];
        let cur: TcpState = to;
        while (cur !== from) {
          cur = prev.get(cur) as TcpState;
          path.unshift(cur);
        }
        return path;
      }
      queue.push(e.to);
    }
  }
  return [];
}

/** The peer's end of a loopback connection, when the peer is in the model too (4-tuple reversed). */
export function findPeer(c: Connection, all: Iterable<Connection>): Connection | undefined {
  for (const o of all) {
    if (
      o.id !== c.id &&
      o.family === c.family &&
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

/** Where a connection's life began before the first sample: a client from CLOSED, an accepted one from LISTEN. */
function origin(role: ConnectionRole): TcpState {
  return role === 'server' ? 'LISTEN' : 'CLOSED';
}

/**
 * The ladder's rows for `c`, oldest first. When the first sample found the connection already past its
 * start (an accepted connection first seen ESTABLISHED), the missing opening is reconstructed along the
 * diagram and marked inferred. `peer` (the other end, when it is one of ours) fills the remote lane.
 */
export function ladderRows(c: Connection, edges: readonly SegmentEdge[], peer?: Connection): LadderRow[] {
  const rows: (LadderRow & { t: number; seq: number })[] = [];
  let seq = 0;
  const push = (r: LadderRow, t: number): void => {
    rows.push({ ...r, t, seq: seq++ });
  };

  const history: HistoryEntry[] = c.history.length ? c.history : [{ state: c.state, since: c.openedAt, until: null, inferred: false }];
  const first = history[0];
  const start = origin(c.role);
  const before = first.state === start || first.state === 'CLOSED' || c.role === 'listener' ? [] : pathBetween(edges, start, first.state, c.role);
  const prelude: HistoryEntry[] = before.slice(0, -1).map((s) => ({ state: s, since: first.since, until: first.since, inferred: true }));

  const all = [...prelude, ...history];
  for (let i = 0; i < all.length; i++) {
    const h = all[i];
    const isPrelude = i < prelude.length;
    if (i > 0) {
      const prev = all[i - 1];
      const edge = findEdge(edges, prev.state, h.state, c.role);
      const inferred = prev.inferred || h.inferred;
      const segs = edge ? segmentsOf(edge) : [];
      for (const s of segs) push({ kind: 'segment', dir: s.dir, label: s.label, inferred, from: prev.state, to: h.state }, h.since);
      if (edge && segs.length === 0 && /timeout/i.test(edge.event)) push({ kind: 'note', text: 'timeout', from: prev.state, to: h.state }, h.since);
    }
    push({ kind: 'state', lane: 'local', state: h.state, since: isPrelude ? null : h.since, until: isPrelude ? null : h.until, inferred: h.inferred }, h.since);
  }
  if (c.closedAt !== null && c.state !== 'CLOSED' && all[all.length - 1].state !== 'CLOSED') {
    push({ kind: 'state', lane: 'local', state: 'CLOSED', since: c.closedAt, until: null, inferred: false }, c.closedAt);
  }
  if (peer) {
    for (const h of peer.history) push({ kind: 'state', lane: 'remote', state: h.state, since: h.since, until: h.until, inferred: h.inferred }, h.since);
  }
  // Stable by time; at equal times the local rows keep their causal order and the peer's rows follow.
  rows.sort((a, b) => a.t - b.t || a.seq - b.seq);
  return rows.map(({ t: _t, seq: _s, ...r }) => r as LadderRow);
}
