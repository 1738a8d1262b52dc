// Moves tokens along the diagram's edges as connections change state.
//
// A sample can report a thousand transitions at once, so work is bounded by the number of distinct routes, not
// of transitions: transitions queued between two frames are grouped by route, each group becomes one token, and
// a group of more than one shows a "+N" pulse on its edge. Tokens come from a capped pool; when it is full,
// groups wait (still counted) for a later frame. requestAnimationFrame runs only while something moves.
//
// Tokens, the lit-up edges under them and the pulses are painted on a <canvas> laid over the SVG, on its own
// compositing layer: the SVG (30 labelled paths, 11 nodes) is then never invalidated by the animation, which is
// what keeps frames cheap with software rendering (VS Code's webviews often run without GPU raster).
import { pointAt, type EdgeGeometry } from './layout';

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
  route: Route;
  count: number;
  start: number;
  duration: number;
  /** Fraction of the duration at which each hop ends. */
  ends: number[];
}

interface Pulse {
  edge: EdgeGeometry;
  count: number;
  start: number;
}

interface Flash {
  hops: Hop[];
  until: number;
}

export interface AnimatorHooks {
  reducedMotion(): boolean;
  highContrast(): boolean;
}

interface Palette {
  token: string;
  background: string;
  text: string;
  font: string;
}

export class Animator {
  private readonly pending = new Map<string, { route: Route; count: number }>();
  private readonly live: Token[] = [];
  private readonly pulses = new Map<string, Pulse>();
  private readonly flashes: Flash[] = [];
  private readonly paths = new Map<string, Path2D>();
  private readonly ctx: CanvasRenderingContext2D | null;
  private frameRequested = false;
  private paused = false;
  private pausedAt = 0;
  private viewWidth = 1;
  private viewHeight = 1;
  private palette: Palette = { token: '#cca700', background: '#1e1e1e', text: '#cccccc', font: 'sans-serif' };
  private lastReport = '';
  /** Transitions that got a token or a pulse. */
  animated = 0;

  constructor(
    private readonly canvas: HTMLCanvasElement,
    private readonly hooks: AnimatorHooks,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.ctx = canvas.getContext('2d');
    this.readPalette();
  }

  /** The viewBox the geometry is in; drops what is in flight (it holds the old geometry). */
  setViewBox(width: number, height: number): void {
    this.viewWidth = width;
    this.viewHeight = height;
    this.paths.clear();
    this.clear();
    this.resize();
  }

  /** Match the canvas' backing store to its CSS size and the device pixel ratio. */
  resize(): void {
    const r = this.canvas.getBoundingClientRect();
    const dpr = window.devicePixelRatio || 1;
    const w = Math.max(1, Math.round(r.width * dpr));
    const h = Math.max(1, Math.round(r.height * dpr));
    if (this.canvas.width !== w || this.canvas.height !== h) {
      this.canvas.width = w;
      this.canvas.height = h;
    }
    this.draw(this.now());
  }

  /** Colours come from the theme's CSS variables (re-read when VS Code switches theme). */
  readPalette(): void {
    const cs = getComputedStyle(document.documentElement);
    const v = (name: string, fallback: string): string => cs.getPropertyValue(name).trim() || fallback;
    this.palette = {
      token: v('--c-path', '#cca700'),
      background: v('--c-bg', '#1e1e1e'),
      text: v('--vscode-foreground', '#cccccc'),
      font: v('--vscode-font-family', 'sans-serif'),
    };
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
      for (const f of this.flashes) f.until += shift;
      this.request();
    }
  }

  /** Drop everything in flight (a full redraw replaces the model). */
  clear(): void {
    this.pending.clear();
    this.live.length = 0;
    this.pulses.clear();
    this.flashes.length = 0;
    this.draw(this.now());
  }

  private request(): void {
    if (this.frameRequested || this.paused) return;
    this.frameRequested = true;
    requestAnimationFrame((t) => {
      this.frameRequested = false;
      this.frame(t);
    });
  }

  private pulse(edge: EdgeGeometry, count: number, t: number): void {
    const p = this.pulses.get(edge.id);
    if (p) {
      p.count += count;
      p.start = t;
    } else this.pulses.set(edge.id, { edge, count, start: t });
  }

  private frame(t0: number): void {
    if (this.paused) return;
    const t = Math.max(t0, this.now());
    const reduced = this.hooks.reducedMotion();

    for (const [key, { route, count }] of this.pending) {
      const last = route.hops[route.hops.length - 1].geometry;
      if (reduced) {
        // No movement: the edges light up in place for as long as a token would take, with the count.
        this.pending.delete(key);
        this.flashes.push({ hops: route.hops, until: t + MAX_TOKEN_MS });
        this.pulse(last, count, t);
        this.animated += count;
        continue;
      }
      if (this.live.length >= TOKEN_POOL) break;
      this.pending.delete(key);
      this.animated += count;
      const lengths = route.hops.map((h) => h.geometry.lengths[h.geometry.lengths.length - 1]);
      const total = lengths.reduce((a, b) => a + b, 0) || 1;
      let acc = 0;
      this.live.push({
        route,
        count,
        start: t,
        duration: Math.min(MAX_TOKEN_MS, Math.max(MIN_TOKEN_MS, 200 + total * 0.9)),
        ends: lengths.map((l) => (acc += l) / total),
      });
      if (count > 1) this.pulse(last, count, t);
    }

    for (let i = this.live.length - 1; i >= 0; i--) if (t - this.live[i].start >= this.live[i].duration) this.live.splice(i, 1);
    for (const [id, p] of this.pulses) if (t - p.start >= PULSE_MS) this.pulses.delete(id);
    for (let i = this.flashes.length - 1; i >= 0; i--) if (t >= this.flashes[i].until) this.flashes.splice(i, 1);

    this.draw(t);
    if (this.pending.size || this.live.length || this.pulses.size || this.flashes.length) this.request();
  }

  private path(g: EdgeGeometry): Path2D {
    let p = this.paths.get(g.id);
    if (!p) {
      p = new Path2D();
      g.samples.forEach((s, i) => (i ? p?.lineTo(s.x, s.y) : p?.moveTo(s.x, s.y)));
      this.paths.set(g.id, p);
    }
    return p;
  }

  private draw(t: number): void {
    const ctx = this.ctx;
    if (!ctx) return;
    // The SVG scales its viewBox to fit and centres it (preserveAspectRatio xMidYMid meet): do the same.
    const scale = Math.min(this.canvas.width / this.viewWidth, this.canvas.height / this.viewHeight);
    const ox = (this.canvas.width - this.viewWidth * scale) / 2;
    const oy = (this.canvas.height - this.viewHeight * scale) / 2;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, this.canvas.width, this.canvas.height);
    ctx.setTransform(scale, 0, 0, scale, ox, oy);
    const pal = this.palette;
    const linear = this.hooks.reducedMotion() || this.hooks.highContrast();
    const active: string[] = [];

    // The edges carrying something, lit up under the tokens.
    const lit = (h: Hop): void => {
      active.push(`${h.geometry.id}${h.inferred ? '~' : ''}`);
      ctx.strokeStyle = pal.token;
      ctx.lineWidth = 3.2;
      ctx.setLineDash(h.inferred ? [6, 4] : []);
      ctx.stroke(this.path(h.geometry));
    };
    for (const f of this.flashes) f.hops.forEach(lit);

    ctx.font = `700 11px ${pal.font}`;
    ctx.textAlign = 'center';
    ctx.lineJoin = 'round';
    for (const tok of this.live) {
      const raw = Math.min(1, (t - tok.start) / tok.duration);
      // Ease in and out, except where motion should be plain (High Contrast turns easing off).
      const k = linear ? raw : raw < 0.5 ? 2 * raw * raw : 1 - Math.pow(-2 * raw + 2, 2) / 2;
      let hop = tok.ends.findIndex((e) => k <= e);
      if (hop < 0) hop = tok.ends.length - 1;
      const h = tok.route.hops[hop];
      lit(h);
      const begin = hop === 0 ? 0 : tok.ends[hop - 1];
      const p = pointAt(h.geometry, (k - begin) / (tok.ends[hop] - begin || 1));
      ctx.globalAlpha = tok.route.fade && raw > 0.6 ? Math.max(0, 1 - (raw - 0.6) / 0.4) : 1;
      ctx.beginPath();
      ctx.arc(p.x, p.y, 5.5, 0, Math.PI * 2);
      if (h.inferred) {
        // A hop no sample saw: a hollow, dashed token.
        ctx.fillStyle = pal.background;
        ctx.fill();
        ctx.setLineDash([3, 2]);
        ctx.lineWidth = 2;
        ctx.strokeStyle = pal.token;
        ctx.stroke();
      } else {
        ctx.fillStyle = pal.token;
        ctx.fill();
        ctx.setLineDash([]);
        ctx.lineWidth = 1.5;
        ctx.strokeStyle = pal.background;
        ctx.stroke();
      }
      if (tok.count > 1) this.label(ctx, `+${tok.count}`, p.x, p.y - 10, pal.text);
      ctx.globalAlpha = 1;
    }

    const pulses: string[] = [];
    for (const p of this.pulses.values()) {
      const age = (t - p.start) / PULSE_MS;
      const at = pointAt(p.edge, 0.5);
      ctx.globalAlpha = this.hooks.reducedMotion() ? 1 : Math.max(0, 1 - age * age);
      ctx.font = `700 ${this.hooks.reducedMotion() ? 13 : (15 - 3 * age).toFixed(1)}px ${pal.font}`;
      this.label(ctx, `+${p.count}`, at.x, at.y - 8, pal.token);
      ctx.globalAlpha = 1;
      pulses.push(`+${p.count}`);
    }
    ctx.setLineDash([]);

    // What is drawn, for assistive tech it is decoration (aria-hidden); for tests and tools, a summary.
    // The tokens' routes (their hops in order, `~` marking inferred ones, `f` a closing that fades) change only
    // when a token starts or lands, so comparing the one key list is enough.
    const routes = this.live.map((tok) => tok.route.key).join(' ');
    const report = `${routes}|${[...new Set(active)].sort().join(' ')}|${pulses.join(' ')}`;
    if (report !== this.lastReport) {
      this.lastReport = report;
      this.canvas.dataset.tokens = String(this.live.length);
      this.canvas.dataset.routes = routes;
      this.canvas.dataset.activeEdges = [...new Set(active)].sort().join(' ');
      this.canvas.dataset.pulses = pulses.join(' ');
      this.canvas.dataset.tokenCounts = this.live.map((tok) => (tok.count > 1 ? `+${tok.count}` : '1')).join(' ');
    }
  }

  private label(ctx: CanvasRenderingContext2D, text: string, x: number, y: number, fill: string): void {
    ctx.setLineDash([]);
    ctx.lineWidth = 3;
    ctx.strokeStyle = this.palette.background;
    ctx.strokeText(text, x, y);
    ctx.fillStyle = fill;
    ctx.fillText(text, x, y);
  }
}
