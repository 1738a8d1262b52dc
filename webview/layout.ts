// Geometry of the state diagram: where the 11 nodes sit, how each edge curves around the others, where its
// label goes, and a sampled polyline per edge for the animation tokens. Pure (no DOM), so it is computed once
// per layout mode and can be checked in plain Node.
//
// The arrangement is RFC 9293 Figure 5 mirrored left-to-right so that the usual client path (active OPEN, then
// active CLOSE: SYN-SENT, FIN-WAIT-1/2, TIME-WAIT) runs down the left and the usual server path (LISTEN,
// SYN-RECEIVED, then passive close: CLOSE-WAIT, LAST-ACK) down the right; CLOSED is one node at the top and the
// two ends of the close (TIME-WAIT, LAST-ACK) loop back to it along the outer margins.
import type { TcpState } from '../src/domain/types';

export type LayoutMode = 'wide' | 'narrow';

export interface Point {
  x: number;
  y: number;
}

/** A node's box by its centre. */
export interface NodeBox {
  state: TcpState;
  x: number;
  y: number;
  w: number;
  h: number;
}

/** What the layout needs to know about an edge (structurally a subset of core/states' DiagramEdge). */
export interface LayoutEdge {
  id: string;
  from: TcpState;
  to: TcpState;
  event: string;
  action: string;
  kind: 'rfc' | 'linux' | 'abort';
}

export interface EdgeGeometry {
  id: string;
  from: TcpState;
  to: TcpState;
  /** SVG path data. */
  d: string;
  /** Points along the path, start to end, for moving tokens. */
  samples: Point[];
  /** Cumulative length at each sample; the last one is the path's length. */
  lengths: number[];
  /** Centre of the label block and its lines. */
  label: Point;
  /** Empty when another edge on the same rail already shows the same label. */
  labelLines: string[];
  labelBox: { x: number; y: number; w: number; h: number };
  /** Degrees: labels along a vertical rail are turned to run up it. */
  labelRotate: number;
}

export interface DiagramLayout {
  mode: LayoutMode;
  width: number;
  height: number;
  fontSize: number;
  labelFontSize: number;
  nodes: Record<TcpState, NodeBox>;
  edges: Map<string, EdgeGeometry>;
  /** Where the "client path" / "server path" captions go (start- and end-anchored), if the mode has room. */
  captions: { client: Point; server: Point } | null;
  /**
   * True when some edge label could only be placed over a state box or another label (the box squeezed the
   * figure): the view then shows edge labels on hover and focus only.
   */
  crowded: boolean;
}

/** The size (CSS px) of the box the figure is drawn in. */
export interface LayoutBox {
  width: number;
  height: number;
}

interface ModeSpec {
  width: number;
  height: number;
  nodeW: number;
  nodeH: number;
  fontSize: number;
  labelFontSize: number;
  /** x of the left and right return loops to CLOSED (TIME-WAIT's timeout, LAST-ACK's final ACK). */
  marginLeft: number;
  marginRight: number;
  /** x of the abort rails, just inside the loops: resets from either side run up them to CLOSED. */
  railLeft: number;
  railRight: number;
  centres: Record<TcpState, Point>;
  captions: { client: Point; server: Point } | null;
}

const MODES: Record<LayoutMode, ModeSpec> = {
  wide: {
    width: 980,
    height: 660,
    nodeW: 128,
    nodeH: 38,
    fontSize: 13,
    labelFontSize: 12,
    marginLeft: 14,
    marginRight: 966,
    railLeft: 34,
    railRight: 946,
    captions: { client: { x: 72, y: 300 }, server: { x: 924, y: 370 } },
    centres: {
      CLOSED: { x: 490, y: 40 },
      'SYN-SENT': { x: 260, y: 170 },
      LISTEN: { x: 720, y: 130 },
      'SYN-RECEIVED': { x: 720, y: 270 },
      ESTABLISHED: { x: 490, y: 350 },
      'FIN-WAIT-1': { x: 260, y: 450 },
      'CLOSE-WAIT': { x: 720, y: 450 },
      'FIN-WAIT-2': { x: 150, y: 555 },
      CLOSING: { x: 400, y: 530 },
      'LAST-ACK': { x: 720, y: 580 },
      'TIME-WAIT': { x: 260, y: 630 },
    },
  },
  narrow: {
    width: 360,
    height: 780,
    nodeW: 104,
    nodeH: 32,
    fontSize: 11.5,
    labelFontSize: 10.5,
    marginLeft: 4,
    marginRight: 356,
    railLeft: 14,
    railRight: 346,
    captions: null,
    centres: {
      CLOSED: { x: 180, y: 28 },
      'SYN-SENT': { x: 84, y: 150 },
      LISTEN: { x: 276, y: 110 },
      'SYN-RECEIVED': { x: 276, y: 250 },
      ESTABLISHED: { x: 180, y: 360 },
      'FIN-WAIT-1': { x: 84, y: 470 },
      'CLOSE-WAIT': { x: 276, y: 470 },
      'FIN-WAIT-2': { x: 84, y: 610 },
      CLOSING: { x: 210, y: 550 },
      'LAST-ACK': { x: 276, y: 630 },
      'TIME-WAIT': { x: 150, y: 735 },
    },
  },
};

/**
 * How far each mode's figure may be stretched or squeezed, per axis, to take the shape of its box: the state
 * boxes and the fonts keep their size (one unit is one CSS px while the figure fits), the distances between
 * the states change. Beyond these limits the figure is scaled as a whole (and centred) instead.
 */
const STRETCH: Record<LayoutMode, { x: [number, number]; y: [number, number] }> = {
  wide: { x: [0.74, 1.6], y: [0.82, 1.5] },
  // Narrow: no tighter across than two columns of state boxes and the rails allow; down, as far as the boxes
  // stay apart (its labels are shown on demand when squeezed).
  narrow: { x: [0.77, 1.5], y: [0.6, 1.4] },
};

/** Space kept between a state box and the abort rail beside it when the figure is squeezed. */
const RAIL_CLEARANCE = 12;

const clamp = (v: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, v));

/**
 * The mode's figure reshaped for `box`: node centres moved apart or together along each axis (linearly between
 * the outermost ones), the loops and rails kept at their distance from the figure's edges, fonts and boxes
 * unchanged. Without a box, the mode's own figure.
 */
export function fitSpec(mode: LayoutMode, box?: LayoutBox): ModeSpec {
  const t = MODES[mode];
  if (!box || !(box.width > 0) || !(box.height > 0)) return t;
  const lim = STRETCH[mode];
  const sx = clamp(box.width / t.width, lim.x[0], lim.x[1]);
  const sy = clamp(box.height / t.height, lim.y[0], lim.y[1]);
  const width = Math.round(t.width * sx);
  const height = Math.round(t.height * sy);
  const xs = Object.values(t.centres).map((c) => c.x);
  const ys = Object.values(t.centres).map((c) => c.y);
  const [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  // The outer space beside the outermost states follows the stretch, but never brings a state box onto a rail.
  const leftMin = t.railLeft + t.nodeW / 2 + RAIL_CLEARANCE;
  const rightMin = t.width - t.railRight + t.nodeW / 2 + RAIL_CLEARANCE;
  const nx0 = Math.max(x0 * sx, Math.min(x0, leftMin));
  const nx1 = width - Math.max((t.width - x1) * sx, Math.min(t.width - x1, rightMin));
  const kx = (nx1 - nx0) / (x1 - x0);
  // CLOSED stays at the top (the loops come back to it there), the space under the last state is kept.
  const ky = (height - (t.height - y1) - y0) / (y1 - y0);
  const X = (x: number): number => Math.round((nx0 + (x - x0) * kx) * 10) / 10;
  const Y = (y: number): number => Math.round((y0 + (y - y0) * ky) * 10) / 10;
  const centres = {} as Record<TcpState, Point>;
  for (const [state, c] of Object.entries(t.centres) as [TcpState, Point][]) centres[state] = { x: X(c.x), y: Y(c.y) };
  return {
    ...t,
    width,
    height,
    marginLeft: t.marginLeft,
    marginRight: width - (t.width - t.marginRight),
    railLeft: t.railLeft,
    railRight: width - (t.width - t.railRight),
    captions: t.captions ? { client: { x: Math.min(t.captions.client.x, nx0 - t.nodeW / 2), y: Y(t.captions.client.y) }, server: { x: width - (t.width - t.captions.server.x), y: Y(t.captions.server.y) } } : null,
    centres,
  };
}

/** Width of a label line in px, estimated (the layout runs before anything is in the DOM). */
function textWidth(text: string, fontSize: number): number {
  let w = 0;
  for (const ch of text) w += ch.charCodeAt(0) > 0x2e80 ? 1 : /[A-Z]/.test(ch) ? 0.66 : 0.55;
  return w * fontSize;
}

/** Label lines: the event over the action, as Figure 5 writes them ("rcv SYN" over "snd SYN,ACK"). */
export function labelLines(e: LayoutEdge): string[] {
  const lines = [e.event.trim()];
  const action = e.action.trim();
  if (action && action !== 'x' && action !== '-') lines.push(action);
  return lines.filter((l) => l.length > 0);
}

type Curve =
  | { kind: 'q'; p0: Point; c: Point; p1: Point }
  | { kind: 'c'; p0: Point; c0: Point; c1: Point; p1: Point }
  /** Straight runs with rounded corners, already sampled densely. */
  | { kind: 'poly'; points: Point[] };

function at(curve: Curve, t: number): Point {
  const u = 1 - t;
  if (curve.kind === 'poly') {
    const lengths = [0];
    for (let i = 1; i < curve.points.length; i++) lengths.push(lengths[i - 1] + Math.hypot(curve.points[i].x - curve.points[i - 1].x, curve.points[i].y - curve.points[i - 1].y));
    return pointAt({ samples: curve.points, lengths }, t);
  }
  if (curve.kind === 'q') {
    return {
      x: u * u * curve.p0.x + 2 * u * t * curve.c.x + t * t * curve.p1.x,
      y: u * u * curve.p0.y + 2 * u * t * curve.c.y + t * t * curve.p1.y,
    };
  }
  const a = u * u * u;
  const b = 3 * u * u * t;
  const c = 3 * u * t * t;
  const d = t * t * t;
  return {
    x: a * curve.p0.x + b * curve.c0.x + c * curve.c1.x + d * curve.p1.x,
    y: a * curve.p0.y + b * curve.c0.y + c * curve.c1.y + d * curve.p1.y,
  };
}

function pathData(curve: Curve): string {
  const f = (n: number): string => n.toFixed(1);
  if (curve.kind === 'poly') return curve.points.map((p, i) => `${i ? 'L' : 'M'}${f(p.x)},${f(p.y)}`).join(' ');
  if (curve.kind === 'q') return `M${f(curve.p0.x)},${f(curve.p0.y)} Q${f(curve.c.x)},${f(curve.c.y)} ${f(curve.p1.x)},${f(curve.p1.y)}`;
  return `M${f(curve.p0.x)},${f(curve.p0.y)} C${f(curve.c0.x)},${f(curve.c0.y)} ${f(curve.c1.x)},${f(curve.c1.y)} ${f(curve.p1.x)},${f(curve.p1.y)}`;
}

/** Where the ray from the box's centre towards `toward` leaves the box (plus a small gap for the arrowhead). */
function boxExit(box: NodeBox, toward: Point, gap: number): Point {
  const dx = toward.x - box.x;
  const dy = toward.y - box.y;
  if (dx === 0 && dy === 0) return { x: box.x, y: box.y };
  const sx = dx === 0 ? Infinity : (box.w / 2 + gap) / Math.abs(dx);
  const sy = dy === 0 ? Infinity : (box.h / 2 + gap) / Math.abs(dy);
  const s = Math.min(sx, sy);
  return { x: box.x + dx * s, y: box.y + dy * s };
}

function inside(p: Point, b: NodeBox, pad: number): boolean {
  return Math.abs(p.x - b.x) <= b.w / 2 + pad && Math.abs(p.y - b.y) <= b.h / 2 + pad;
}

function quadratic(from: NodeBox, to: NodeBox, bend: number): Curve {
  const mx = (from.x + to.x) / 2;
  const my = (from.y + to.y) / 2;
  const dx = to.x - from.x;
  const dy = to.y - from.y;
  const len = Math.hypot(dx, dy) || 1;
  // Perpendicular to the chord, to the left of the direction of travel.
  const c = { x: mx + (dy / len) * bend, y: my - (dx / len) * bend };
  return { kind: 'q', p0: boxExit(from, c, 1), c, p1: boxExit(to, c, 5) };
}

/** A polyline through `corners` with each inner corner rounded (radius r), sampled for drawing and tokens. */
function rounded(corners: Point[], r: number): Curve {
  const pts: Point[] = [corners[0]];
  for (let i = 1; i < corners.length - 1; i++) {
    const a = corners[i - 1];
    const b = corners[i];
    const c = corners[i + 1];
    const la = Math.hypot(b.x - a.x, b.y - a.y) || 1;
    const lc = Math.hypot(c.x - b.x, c.y - b.y) || 1;
    const ra = Math.min(r, la / 2);
    const rc = Math.min(r, lc / 2);
    const p = { x: b.x + ((a.x - b.x) / la) * ra, y: b.y + ((a.y - b.y) / la) * ra };
    const q = { x: b.x + ((c.x - b.x) / lc) * rc, y: b.y + ((c.y - b.y) / lc) * rc };
    for (let k = 0; k <= 6; k++) {
      const t = k / 6;
      const u = 1 - t;
      pts.push({ x: u * u * p.x + 2 * u * t * b.x + t * t * q.x, y: u * u * p.y + 2 * u * t * b.y + t * t * q.y });
    }
  }
  pts.push(corners[corners.length - 1]);
  return { kind: 'poly', points: pts };
}

/** Out of the node's outer side, along x = `sideX`, into CLOSED's side at height `entryY`. */
function sideRoute(from: NodeBox, to: NodeBox, sideX: number, entryY: number): Curve {
  const left = sideX < to.x;
  const start = { x: from.x + (left ? -from.w / 2 : from.w / 2), y: from.y };
  const end = { x: to.x + (left ? -to.w / 2 - 5 : to.w / 2 + 5), y: entryY };
  return rounded([start, { x: sideX, y: from.y }, { x: sideX, y: entryY }, end], 12);
}

/** True when the horizontal run from the node's side to `x` at the node's height meets no other node. */
function clearRun(from: NodeBox, x: number, nodes: NodeBox[]): boolean {
  const x0 = x < from.x ? x : from.x + from.w / 2;
  const x1 = x < from.x ? from.x - from.w / 2 : x;
  return nodes.every((n) => n.state === from.state || Math.abs(n.y - from.y) > n.h / 2 + 6 || n.x + n.w / 2 < x0 || n.x - n.w / 2 > x1);
}

function collides(curve: Curve, nodes: NodeBox[], except: TcpState[]): number {
  let hits = 0;
  for (let i = 2; i <= 38; i++) {
    const p = at(curve, i / 40);
    for (const n of nodes) if (!except.includes(n.state) && inside(p, n, 8)) hits++;
  }
  return hits;
}

/** How many points of the curve fall outside the figure (a squeezed figure leaves less room to bow out). */
function outside(curve: Curve, width: number, height: number): number {
  let n = 0;
  for (let i = 1; i < 40; i++) {
    const p = at(curve, i / 40);
    if (p.x < 2 || p.y < 2 || p.x > width - 2 || p.y > height - 2) n++;
  }
  return n;
}

function sample(curve: Curve, n: number): { samples: Point[]; lengths: number[] } {
  if (curve.kind === 'poly') {
    const lengths = [0];
    for (let i = 1; i < curve.points.length; i++) lengths.push(lengths[i - 1] + Math.hypot(curve.points[i].x - curve.points[i - 1].x, curve.points[i].y - curve.points[i - 1].y));
    return { samples: curve.points, lengths };
  }
  const samples: Point[] = [];
  const lengths: number[] = [];
  let total = 0;
  for (let i = 0; i <= n; i++) {
    const p = at(curve, i / n);
    if (i > 0) total += Math.hypot(p.x - samples[i - 1].x, p.y - samples[i - 1].y);
    samples.push(p);
    lengths.push(total);
  }
  return { samples, lengths };
}

type Rect = { x: number; y: number; w: number; h: number };

function overlap(a: Rect, b: Rect): number {
  const w = Math.min(a.x + a.w, b.x + b.w) - Math.max(a.x, b.x);
  const h = Math.min(a.y + a.h, b.y + b.h) - Math.max(a.y, b.y);
  return w > 0 && h > 0 ? w * h : 0;
}

function shrink(r: Rect, by: number): Rect {
  return { x: r.x + by, y: r.y + by, w: Math.max(0, r.w - 2 * by), h: Math.max(0, r.h - 2 * by) };
}

/** The point at fraction `f` of the path's length. */
export function pointAt(g: Pick<EdgeGeometry, 'samples' | 'lengths'>, f: number): Point {
  const total = g.lengths[g.lengths.length - 1];
  const target = Math.max(0, Math.min(1, f)) * total;
  let lo = 0;
  let hi = g.lengths.length - 1;
  while (lo < hi - 1) {
    const mid = (lo + hi) >> 1;
    if (g.lengths[mid] < target) lo = mid;
    else hi = mid;
  }
  const span = g.lengths[hi] - g.lengths[lo] || 1;
  const k = (target - g.lengths[lo]) / span;
  const a = g.samples[lo];
  const b = g.samples[hi];
  return { x: a.x + (b.x - a.x) * k, y: a.y + (b.y - a.y) * k };
}

const BENDS = [0, 28, -28, 56, -56, 90, -90, 130, -130, 170, -170];

/**
 * The figure for `mode`, reshaped for `box` when given (see fitSpec), with every edge routed and labelled.
 */
export function layoutDiagram(mode: LayoutMode, edges: readonly LayoutEdge[], box?: LayoutBox): DiagramLayout {
  const spec = fitSpec(mode, box);
  let crowded = false;
  const nodes = {} as Record<TcpState, NodeBox>;
  for (const [state, c] of Object.entries(spec.centres) as [TcpState, Point][]) {
    nodes[state] = { state, x: c.x, y: c.y, w: spec.nodeW, h: spec.nodeH };
  }
  const nodeList = Object.values(nodes);
  const result = new Map<string, EdgeGeometry>();
  const placedLabels: Rect[] = [];
  const pairCount = new Map<string, number>();

  // Aborts to CLOSED from off CLOSED's column run along a rail on the nearer side whose horizontal run is clear.
  const railOf = new Map<string, 'left' | 'right'>();
  const railLabelled = new Map<'left' | 'right', string>();
  for (const e of edges) {
    if (e.kind !== 'abort' || e.to !== 'CLOSED') continue;
    const from = nodes[e.from];
    if (Math.abs(from.x - nodes.CLOSED.x) < 1) continue;
    const near: 'left' | 'right' = from.x < nodes.CLOSED.x ? 'left' : 'right';
    const far: 'left' | 'right' = near === 'left' ? 'right' : 'left';
    const x = (side: 'left' | 'right'): number => (side === 'left' ? spec.railLeft : spec.railRight);
    const side = clearRun(from, x(near), nodeList) ? near : clearRun(from, x(far), nodeList) ? far : null;
    if (side) railOf.set(e.id, side);
  }

  // Rails first (their labels have one place to go), then long edges, so that the short ones (more room to
  // move) settle their labels around them.
  const ordered = [...edges].sort((a, b) => {
    const ra = railOf.has(a.id) ? 0 : 1;
    const rb = railOf.has(b.id) ? 0 : 1;
    if (ra !== rb) return ra - rb;
    const la = Math.hypot(nodes[a.to].x - nodes[a.from].x, nodes[a.to].y - nodes[a.from].y);
    const lb = Math.hypot(nodes[b.to].x - nodes[b.from].x, nodes[b.to].y - nodes[b.from].y);
    return lb - la;
  });

  for (const e of ordered) {
    const from = nodes[e.from];
    const to = nodes[e.to];
    const pair = [e.from, e.to].sort().join('|');
    const nth = pairCount.get(pair) ?? 0;
    pairCount.set(pair, nth + 1);
    const antiparallel = edges.some((o) => o.from === e.to && o.to === e.from);
    // Two edges between the same pair (either direction) get opposite bows so neither hides the other.
    const baseBend = antiparallel || nth > 0 ? 22 + nth * 26 : 0;

    let curve: Curve | null = null;
    const closed = nodes.CLOSED;
    const returnsToClosed = e.to === 'CLOSED' && (e.from === 'TIME-WAIT' || e.from === 'LAST-ACK');
    const rail = railOf.get(e.id);
    if (returnsToClosed) {
      const leftSide = from.x < to.x;
      curve = sideRoute(from, to, leftSide ? spec.marginLeft : spec.marginRight, closed.y - 6);
    } else if (rail) {
      curve = sideRoute(from, to, rail === 'left' ? spec.railLeft : spec.railRight, closed.y + closed.h / 2 - 7);
    } else {
      let best: { curve: Curve; hits: number } | null = null;
      for (const b of BENDS) {
        const bend = b + baseBend * (b < 0 ? -1 : 1);
        const c = quadratic(from, to, bend);
        // Leaving the figure is worse than brushing a third state: it would be drawn outside the view.
        const hits = collides(c, nodeList, [e.from, e.to]) + 4 * outside(c, spec.width, spec.height);
        if (!best || hits < best.hits) best = { curve: c, hits };
        if (hits === 0) break;
      }
      curve = best ? best.curve : quadratic(from, to, baseBend);
    }

    if (rail) {
      // One label per rail: the edges on it share the event and the action.
      const { samples, lengths } = sample(curve, 48);
      const shown = railLabelled.get(rail);
      const lines = shown === undefined || shown !== labelLines(e).join('\n') ? (mode === 'wide' ? labelLines(e) : [labelLines(e).join(' / ')]) : [];
      if (lines.length) railLabelled.set(rail, labelLines(e).join('\n'));
      const railX = rail === 'left' ? spec.railLeft : spec.railRight;
      const top = closed.y + closed.h / 2;
      const bottom = Math.max(...[...railOf.entries()].filter(([, r]) => r === rail).map(([id]) => nodes[(edges.find((x) => x.id === id) as LayoutEdge).from].y));
      const sharedBottom = Math.min(...[...railOf.entries()].filter(([, r]) => r === rail).map(([id]) => nodes[(edges.find((x) => x.id === id) as LayoutEdge).from].y));
      const lineH = spec.labelFontSize * 1.2;
      const len = Math.max(...lines.map((l) => textWidth(l, spec.labelFontSize)), 1);
      const cy = sharedBottom - top > len + 20 ? (top + sharedBottom) / 2 : (top + bottom) / 2;
      const inward = rail === 'left' ? 1 : -1;
      const label = { x: railX + inward * ((lines.length * lineH) / 2 + 3), y: cy };
      const h = lines.length * lineH;
      const labelBox = { x: label.x - h / 2, y: cy - len / 2, w: h, h: len };
      if (lines.length) placedLabels.push(labelBox);
      result.set(e.id, { id: e.id, from: e.from, to: e.to, d: pathData(curve), samples, lengths, label, labelLines: lines, labelBox, labelRotate: rail === 'left' ? -90 : 90 });
      continue;
    }

    const { samples, lengths } = sample(curve, 48);
    const lines = labelLines(e);
    const lineH = spec.labelFontSize * 1.2;
    const w = Math.max(...lines.map((l) => textWidth(l, spec.labelFontSize)), 1) + 4;
    const h = lines.length * lineH + 2;
    let bestLabel: { p: Point; score: number } | null = null;
    for (const f of [0.5, 0.45, 0.55, 0.4, 0.6, 0.35, 0.65, 0.3, 0.7, 0.25, 0.75, 0.2, 0.8, 0.15, 0.85, 0.1, 0.9, 0.95]) {
      const p = pointAt({ samples, lengths }, f);
      for (const [ox, oy] of [
        [0, 0],
        [w / 2 + 4, 0],
        [-w / 2 - 4, 0],
        [0, h / 2 + 4],
        [0, -h / 2 - 4],
      ]) {
        const c = { x: p.x + ox, y: p.y + oy };
        const r = { x: c.x - w / 2, y: c.y - h / 2, w, h };
        let score = Math.abs(f - 0.5) * 40 + (ox || oy ? 25 : 0);
        for (const n of nodeList) {
          // A label over a state box hides the state: only as a last resort.
          const o = overlap(r, { x: n.x - n.w / 2 - 3, y: n.y - n.h / 2 - 3, w: n.w + 6, h: n.h + 6 });
          if (o > 0) score += 2000 + o * 4;
        }
        for (const l of placedLabels) score += overlap(r, l) * 3;
        if (r.x < 0 || r.x + r.w > spec.width || r.y < 0 || r.y + r.h > spec.height) score += 5000;
        if (!bestLabel || score < bestLabel.score) bestLabel = { p: c, score };
      }
    }
    const label = bestLabel ? bestLabel.p : pointAt({ samples, lengths }, 0.5);
    const labelBox = { x: label.x - w / 2, y: label.y - h / 2, w, h };
    // Scores of 1000 and more come only from covering a state box or leaving the figure; a few px of overlap
    // with another label's padding still reads.
    if (!bestLabel || bestLabel.score >= 1000 || placedLabels.some((l) => overlap(shrink(labelBox, 2), shrink(l, 2)) > 0)) crowded = true;
    placedLabels.push(labelBox);
    result.set(e.id, { id: e.id, from: e.from, to: e.to, d: pathData(curve), samples, lengths, label, labelLines: lines, labelBox, labelRotate: 0 });
  }

  // Keep the caller's edge order (DOM order = reading order for the keyboard).
  const inOrder = new Map<string, EdgeGeometry>();
  for (const e of edges) {
    const g = result.get(e.id);
    if (g) inOrder.set(e.id, g);
  }
  return {
    mode,
    width: spec.width,
    height: spec.height,
    fontSize: spec.fontSize,
    labelFontSize: spec.labelFontSize,
    nodes,
    edges: inOrder,
    captions: spec.captions,
    crowded,
  };
}

/** The node nearest to `from` in an arrow key's direction (within a 60° cone first, then the half-plane). */
export function neighbourInDirection(layout: DiagramLayout, from: TcpState, dir: 'up' | 'down' | 'left' | 'right'): TcpState | null {
  const a = layout.nodes[from];
  const v = { up: { x: 0, y: -1 }, down: { x: 0, y: 1 }, left: { x: -1, y: 0 }, right: { x: 1, y: 0 } }[dir];
  let best: { s: TcpState; score: number } | null = null;
  for (const n of Object.values(layout.nodes)) {
    if (n.state === from) continue;
    const dx = n.x - a.x;
    const dy = n.y - a.y;
    const along = dx * v.x + dy * v.y;
    if (along <= 0) continue;
    const across = Math.abs(dx * v.y - dy * v.x);
    const inCone = across <= along * Math.tan(Math.PI / 3);
    const score = along + across * 3 + (inCone ? 0 : 10000);
    if (!best || score < best.score) best = { s: n.state, score };
  }
  return best ? best.s : null;
}
