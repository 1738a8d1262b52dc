// Moves tokens along the diagram's edges as connections change state.
// A sample can report a thousand transitions at once, so work is bounded by the number of distinct routes, not
// of transitions: transitions queued between two frames are grouped by route, each group becomes one token,
// and a group of more than one shows a "+N" pulse on its edge. Tokens come from a fixed pool; when it is
// exhausted, groups wait (still counted) for the next frame. requestAnimationFrame runs only while something
// moves.
import { pointAt, type EdgeGeometry } from './layout';

const SVG_NS = 'http://www.w3.org/2000/svg';

/** Longest a token may take for one observed transition (all its hops together). */
export const MAX_TOKEN_MS = 600;
const MIN_TOKEN_MS = 280;
const PULSE_MS = 900;
/** Tokens alive at once; more routes than this wait a frame. */
export const TOKEN_POOL = 48;

export interface Hop {
  geometry: EdgeGeometry;
  inferred: boolean;
}

export interface Route {
  /** Same key = same hops: transitions on one route aggregate. */
  key: string;
  hops: Hop[];
  /** The connection left the table: the token fades out as it reaches CLOSED. */
  fade: boolean;
}

interface Token {
  g: SVGGElement;
  dot: SVGCircleElement;
  text: SVGTextElement;
  route: Route | null;
  start: number;
  duration: number;
  /** Fraction of the duration at which each hop ends. */
  ends: number[];
  currentHop: number;
}

interface Pulse {
  text: SVGTextElement;
  count: number;
  start: number;
}

export interface AnimatorHooks {
  /** An edge starts (true) or stops (false) carrying a token; counted per edge by the caller. */
  edgeActive(edgeId: string, active: boolean, inferred: boolean): void;
  reducedMotion(): boolean;
  highContrast(): boolean;
}

export class Animator {
  private readonly pending = new Map<string, { route: Route; count: number }>();
  private readonly free: Token[] = [];
  private readonly live: Token[] = [];
  private readonly pulses = new Map<string, Pulse>();
  private readonly staticFlashes: { edgeIds: string[]; until: number; inferred: boolean[] }[] = [];
  private frameRequested = false;
  private paused = false;
  private pausedAt = 0;
  /** Transitions that got a token or a pulse, for the view's statistics. */
  animated = 0;

  constructor(
    private readonly layer: SVGGElement,
    private readonly hooks: AnimatorHooks,
    private readonly now: () => number = () => performance.now(),
  ) {
    for (let i = 0; i < TOKEN_POOL; i++) this.free.push(this.makeToken());
  }

  private makeToken(): Token {
    const g = document.createElementNS(SVG_NS, 'g');
    g.setAttribute('class', 'token');
    g.setAttribute('aria-hidden', 'true');
    g.style.display = 'none';
    const dot = document.createElementNS(SVG_NS, 'circle');
    dot.setAttribute('r', '5.5');
    const text = document.createElementNS(SVG_NS, 'text');
    text.setAttribute('class', 'token-count');
    text.setAttribute('dy', '-9');
    text.setAttribute('text-anchor', 'middle');
    g.append(dot, text);
    this.layer.append(g);
    return { g, dot, text, route: null, start: 0, duration: 0, ends: [], currentHop: -1 };
  }

  /** Queue `count` transitions along a route. */
  enqueue(route: Route, count = 1): void {
    if (route.hops.length === 0 || count <= 0) return;
    const p = this.pending.get(route.key);
    if (p) p.count += count;
    else this.pending.set(route.key, { route, count });
    this.request();
  }

  /** Number of tokens moving now. */
  get activeTokens(): number {
    return this.live.length;
  }

  setPaused(paused: boolean): void {
    if (paused === this.paused) return;
    this.paused = paused;
    const t = this.now();
    if (paused) {
      this.pausedAt = t;
    } else {
      // Resume where the tokens stopped.
      const shift = t - this.pausedAt;
      for (const tok of this.live) tok.start += shift;
      for (const p of this.pulses.values()) p.start += shift;
      for (const f of this.staticFlashes) f.until += shift;
      this.request();
    }
  }

  /** Drop everything in flight (a full redraw replaces the model). */
  clear(): void {
    this.pending.clear();
    for (const tok of [...this.live]) this.release(tok);
    for (const p of this.pulses.values()) p.text.remove();
    this.pulses.clear();
    for (const f of this.staticFlashes.splice(0)) f.edgeIds.forEach((id, i) => this.hooks.edgeActive(id, false, f.inferred[i]));
  }

  private request(): void {
    if (this.frameRequested || this.paused) return;
    this.frameRequested = true;
    requestAnimationFrame((t) => {
      this.frameRequested = false;
      this.frame(t);
    });
  }

  private release(tok: Token): void {
    if (tok.route && tok.currentHop >= 0) {
      const hop = tok.route.hops[tok.currentHop];
      this.hooks.edgeActive(hop.geometry.id, false, hop.inferred);
    }
    tok.route = null;
    tok.currentHop = -1;
    tok.g.style.display = 'none';
    const i = this.live.indexOf(tok);
    if (i >= 0) this.live.splice(i, 1);
    this.free.push(tok);
  }

  private pulse(edge: EdgeGeometry, count: number, t: number): void {
    let p = this.pulses.get(edge.id);
    if (!p) {
      const text = document.createElementNS(SVG_NS, 'text');
      text.setAttribute('class', 'pulse');
      text.setAttribute('text-anchor', 'middle');
      text.setAttribute('aria-hidden', 'true');
      this.layer.append(text);
      p = { text, count: 0, start: t };
      this.pulses.set(edge.id, p);
    }
    p.count += count;
    p.start = t;
    const at = pointAt(edge, 0.5);
    p.text.setAttribute('x', at.x.toFixed(1));
    p.text.setAttribute('y', (at.y - 8).toFixed(1));
    p.text.textContent = `+${p.count}`;
  }

  private frame(t0: number): void {
    if (this.paused) return;
    const t = Math.max(t0, this.now());
    const reduced = this.hooks.reducedMotion();
    const linear = reduced || this.hooks.highContrast();

    for (const [key, { route, count }] of this.pending) {
      const last = route.hops[route.hops.length - 1].geometry;
      if (reduced) {
        // No movement: the edges light up in place for as long as a token would take, with the count.
        this.pending.delete(key);
        const ids = route.hops.map((h) => h.geometry.id);
        const inferred = route.hops.map((h) => h.inferred);
        ids.forEach((id, i) => this.hooks.edgeActive(id, true, inferred[i]));
        this.staticFlashes.push({ edgeIds: ids, until: t + MAX_TOKEN_MS, inferred });
        this.pulse(last, count, t);
        this.animated += count;
        continue;
      }
      const tok = this.free.pop();
      if (!tok) break;
      this.pending.delete(key);
      this.animated += count;
      const lengths = route.hops.map((h) => h.geometry.lengths[h.geometry.lengths.length - 1]);
      const total = lengths.reduce((a, b) => a + b, 0) || 1;
      let acc = 0;
      tok.ends = lengths.map((l) => (acc += l) / total);
      tok.route = route;
      tok.start = t;
      tok.duration = Math.min(MAX_TOKEN_MS, Math.max(MIN_TOKEN_MS, 200 + total * 0.9));
      tok.currentHop = -1;
      tok.text.textContent = count > 1 ? `+${count}` : '';
      tok.g.style.display = '';
      tok.g.style.opacity = '1';
      this.live.push(tok);
      if (count > 1) this.pulse(last, count, t);
    }

    for (const tok of [...this.live]) {
      const route = tok.route;
      if (!route) continue;
      const raw = Math.min(1, (t - tok.start) / tok.duration);
      const k = linear ? raw : raw < 0.5 ? 2 * raw * raw : 1 - Math.pow(-2 * raw + 2, 2) / 2;
      let hop = tok.ends.findIndex((e) => k <= e);
      if (hop < 0) hop = tok.ends.length - 1;
      if (hop !== tok.currentHop) {
        if (tok.currentHop >= 0) {
          const prev = route.hops[tok.currentHop];
          this.hooks.edgeActive(prev.geometry.id, false, prev.inferred);
        }
        const cur = route.hops[hop];
        this.hooks.edgeActive(cur.geometry.id, true, cur.inferred);
        tok.g.setAttribute('class', cur.inferred ? 'token inferred' : 'token');
        tok.currentHop = hop;
      }
      const begin = hop === 0 ? 0 : tok.ends[hop - 1];
      const f = (k - begin) / (tok.ends[hop] - begin || 1);
      const p = pointAt(route.hops[hop].geometry, f);
      tok.g.setAttribute('transform', `translate(${p.x.toFixed(1)},${p.y.toFixed(1)})`);
      if (route.fade && raw > 0.6) tok.g.style.opacity = String(Math.max(0, 1 - (raw - 0.6) / 0.4));
      if (raw >= 1) this.release(tok);
    }

    for (const [id, p] of this.pulses) {
      const age = (t - p.start) / PULSE_MS;
      if (age >= 1) {
        p.text.remove();
        this.pulses.delete(id);
        continue;
      }
      p.text.style.opacity = String(reduced ? 1 : 1 - age * age);
      if (!reduced) p.text.setAttribute('font-size', (15 - 3 * age).toFixed(1));
    }

    for (let i = this.staticFlashes.length - 1; i >= 0; i--) {
      const f = this.staticFlashes[i];
      if (t >= f.until) {
        f.edgeIds.forEach((id, j) => this.hooks.edgeActive(id, false, f.inferred[j]));
        this.staticFlashes.splice(i, 1);
      }
    }

    if (this.pending.size || this.live.length || this.pulses.size || this.staticFlashes.length) this.request();
  }
}
