// The RFC 9293 state diagram (section 3.3.2, Figure 5) with Linux's extra edge and the reset/abort edges, and the
// one path search of the project: the most likely sequence of states between two sightings of a connection. The
// tracker, the diagram's tokens, the ladder and the CLI all take their inferred hops from inferPath.
import type { TcpState } from './types';
import { TCP_STATES } from './states';

/** 'rfc': drawn in RFC 9293 Figure 5; 'linux': a transition Linux takes that the figure omits; 'abort': RST/ABORT. */
export type EdgeKind = 'rfc' | 'linux' | 'abort';

export interface DiagramEdge {
  id: string;
  from: TcpState;
  to: TcpState;
  /** What causes the transition, in RFC 9293's words ("rcv SYN", "CLOSE", "Timeout=2MSL"). */
  event: string;
  /** What TCP does on it ("snd SYN,ACK", "delete TCB"), or "" where the figure shows none (its "x"). */
  action: string;
  /** `event / action`, or just the event when there is no action. */
  label: string;
  kind: EdgeKind;
  /** Whose usual path the edge is on: the client's (active open, and the active close that diagrams of the four-way close draw dashed), the server's, or neither/both. */
  path: 'client' | 'server' | 'both';
  /** On the everyday lifecycle (handshake, one-sided close). False for simultaneous open/close, resets and other rare turns. */
  typical: boolean;
}

function edge(
  from: TcpState,
  to: TcpState,
  event: string,
  action: string,
  kind: EdgeKind,
  path: DiagramEdge['path'],
  typical: boolean,
): DiagramEdge {
  return { id: `${from}>${to}`, from, to, event, action, label: action ? `${event} / ${action}` : event, kind, path, typical };
}

/**
 * RFC 9293 section 3.3.2 Figure 5, edge by edge, with the figure's own labels (note the simultaneous-open edge:
 * RFC 9293 sends SYN,ACK where RFC 793's figure said ACK), then note 2's FIN-WAIT-1 -> TIME-WAIT, which Linux
 * takes when the peer's FIN also acknowledges ours, then the RST/ABORT edges note 3 leaves out, from each state
 * whose drawn edges do not already reach CLOSED.
 */
export const DIAGRAM_EDGES: readonly DiagramEdge[] = [
  edge('CLOSED', 'LISTEN', 'passive OPEN', 'create TCB', 'rfc', 'server', true),
  edge('CLOSED', 'SYN-SENT', 'active OPEN', 'create TCB, snd SYN', 'rfc', 'client', true),
  edge('LISTEN', 'SYN-RECEIVED', 'rcv SYN', 'snd SYN,ACK', 'rfc', 'server', true),
  edge('LISTEN', 'SYN-SENT', 'SEND', 'snd SYN', 'rfc', 'both', false),
  edge('LISTEN', 'CLOSED', 'CLOSE', 'delete TCB', 'rfc', 'server', true),
  edge('SYN-SENT', 'SYN-RECEIVED', 'rcv SYN', 'snd SYN,ACK', 'rfc', 'both', false),
  edge('SYN-SENT', 'ESTABLISHED', 'rcv SYN,ACK', 'snd ACK', 'rfc', 'client', true),
  edge('SYN-SENT', 'CLOSED', 'CLOSE', 'delete TCB', 'rfc', 'client', true),
  edge('SYN-RECEIVED', 'ESTABLISHED', 'rcv ACK of SYN', '', 'rfc', 'server', true),
  edge('SYN-RECEIVED', 'FIN-WAIT-1', 'CLOSE', 'snd FIN', 'rfc', 'both', false),
  edge('SYN-RECEIVED', 'LISTEN', 'rcv RST (note 1)', '', 'rfc', 'server', false),
  edge('ESTABLISHED', 'FIN-WAIT-1', 'CLOSE', 'snd FIN', 'rfc', 'client', true),
  edge('ESTABLISHED', 'CLOSE-WAIT', 'rcv FIN', 'snd ACK', 'rfc', 'server', true),
  edge('FIN-WAIT-1', 'FIN-WAIT-2', 'rcv ACK of FIN', '', 'rfc', 'client', true),
  edge('FIN-WAIT-1', 'CLOSING', 'rcv FIN', 'snd ACK', 'rfc', 'both', false),
  edge('FIN-WAIT-2', 'TIME-WAIT', 'rcv FIN', 'snd ACK', 'rfc', 'client', true),
  edge('CLOSING', 'TIME-WAIT', 'rcv ACK of FIN', '', 'rfc', 'both', false),
  edge('CLOSE-WAIT', 'LAST-ACK', 'CLOSE', 'snd FIN', 'rfc', 'server', true),
  edge('LAST-ACK', 'CLOSED', 'rcv ACK of FIN', '', 'rfc', 'server', true),
  edge('TIME-WAIT', 'CLOSED', 'Timeout=2MSL', 'delete TCB', 'rfc', 'client', true),
  edge('FIN-WAIT-1', 'TIME-WAIT', 'rcv FIN,ACK of FIN', 'snd ACK', 'linux', 'client', false),
  edge('SYN-RECEIVED', 'CLOSED', 'rcv RST, ABORT or timeout', 'delete TCB', 'abort', 'both', false),
  edge('ESTABLISHED', 'CLOSED', 'rcv RST, ABORT or timeout', 'delete TCB', 'abort', 'both', false),
  edge('FIN-WAIT-1', 'CLOSED', 'rcv RST, ABORT or timeout', 'delete TCB', 'abort', 'both', false),
  edge('FIN-WAIT-2', 'CLOSED', 'rcv RST, ABORT or timeout', 'delete TCB', 'abort', 'both', false),
  edge('CLOSE-WAIT', 'CLOSED', 'rcv RST, ABORT or timeout', 'delete TCB', 'abort', 'both', false),
  edge('CLOSING', 'CLOSED', 'rcv RST, ABORT or timeout', 'delete TCB', 'abort', 'both', false),
];

const STATE_INDEX: ReadonlyMap<TcpState, number> = new Map(TCP_STATES.map((s, i) => [s, i]));
const N = TCP_STATES.length;

/** edgeMatrix[from * N + to]: the edge between two states (at most one per ordered pair). */
const edgeMatrix: (DiagramEdge | undefined)[] = new Array<DiagramEdge | undefined>(N * N).fill(undefined);
for (const e of DIAGRAM_EDGES) edgeMatrix[(STATE_INDEX.get(e.from) ?? 0) * N + (STATE_INDEX.get(e.to) ?? 0)] = e;

/** The edge from one state to another, or undefined when the diagram has none. */
export function adjacent(from: TcpState, to: TcpState): DiagramEdge | undefined {
  const f = STATE_INDEX.get(from);
  const t = STATE_INDEX.get(to);
  return f === undefined || t === undefined ? undefined : edgeMatrix[f * N + t];
}

/**
 * Costs for the most-likely-path search. The everyday lifecycle is cheapest; the rare RFC turns (simultaneous
 * open and close, SYN-RECEIVED's reset back to LISTEN) cost more; Linux's FIN-WAIT-1 -> TIME-WAIT costs more than
 * the two everyday hops through FIN-WAIT-2 it usually stands for in sampled data; an abort costs more than a
 * three-hop passive close (ESTABLISHED -> CLOSE-WAIT -> LAST-ACK -> CLOSED) but less than four everyday hops.
 */
function edgeCost(e: DiagramEdge): number {
  // Linux never takes these two with a socket: a listening socket cannot connect(), and a reset half-open
  // connection is a request socket that is simply dropped; the listener it hung from never left LISTEN.
  if ((e.from === 'LISTEN' && e.to === 'SYN-SENT') || (e.from === 'SYN-RECEIVED' && e.to === 'LISTEN')) return 4;
  if (e.kind === 'abort') return 3.5;
  if (e.kind === 'linux') return 2.5;
  // 2.25, not 2: two rare hops (SYN-RECEIVED -> FIN-WAIT-1 -> FIN-WAIT-2) must lose to three everyday ones.
  return e.typical ? 1 : 2.25;
}

export interface InferPathOptions {
  /** States the path must not pass through (as intermediate hops), e.g. TIME-WAIT when a sample would have seen it. */
  avoid?: readonly TcpState[];
}

const pathCache = new Map<string, readonly TcpState[]>();

/**
 * The most likely sequence of states from `from` to `to`, both included: [from] when they are equal, [from, to]
 * when an RFC or Linux edge joins them, otherwise the cheapest path of the diagram (see edgeCost), which may be a
 * single abort edge (SYN-RECEIVED -> CLOSED) or a normal close instead of one (ESTABLISHED -> CLOSE-WAIT ->
 * LAST-ACK -> CLOSED). Always a valid path of DIAGRAM_EDGES; `avoid`ed states are skipped when another path
 * exists. The returned array is shared: do not modify it.
 */
export function inferPath(from: TcpState, to: TcpState, options?: InferPathOptions): readonly TcpState[] {
  if (from === to) return [from];
  const direct = adjacent(from, to);
  if (direct && direct.kind !== 'abort') return [from, to];
  const avoid = options?.avoid ?? [];
  const cacheKey = `${from}>${to}|${avoid.join(',')}`;
  const cached = pathCache.get(cacheKey);
  if (cached) return cached;
  const result = dijkstra(from, to, new Set(avoid)) ?? dijkstra(from, to, new Set()) ?? [from, to];
  pathCache.set(cacheKey, result);
  return result;
}

function dijkstra(from: TcpState, to: TcpState, avoid: ReadonlySet<TcpState>): TcpState[] | undefined {
  const dist = new Map<TcpState, number>([[from, 0]]);
  const prev = new Map<TcpState, TcpState>();
  const done = new Set<TcpState>();
  for (;;) {
    let best: TcpState | undefined;
    let bestDist = Infinity;
    // Ties are broken by diagram order, so the result is deterministic.
    for (const s of TCP_STATES) {
      const d = dist.get(s);
      if (d !== undefined && !done.has(s) && d < bestDist) {
        best = s;
        bestDist = d;
      }
    }
    if (best === undefined) return undefined;
    if (best === to) break;
    done.add(best);
    for (const e of DIAGRAM_EDGES) {
      if (e.from !== best) continue;
      if (e.to !== to && avoid.has(e.to)) continue;
      const nd = bestDist + edgeCost(e);
      if (nd < (dist.get(e.to) ?? Infinity)) {
        dist.set(e.to, nd);
        prev.set(e.to, best);
      }
    }
  }
  const path: TcpState[] = [to];
  let cur = to;
  while (cur !== from) {
    const p = prev.get(cur);
    if (p === undefined) return undefined;
    path.push(p);
    cur = p;
  }
  return path.reverse();
}
