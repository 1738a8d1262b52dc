// Which way each tracker event's token goes on the figure: its hops as edge geometries of the current layout,
// and the events of one update grouped by route (the Animator draws one token per route, with a "+N" count).
import { inferPath } from '../src/domain/states';
import type { Connection, TcpState, TrackerEvent } from '../src/domain/types';
import type { Hop, Route } from './animator';
import type { DiagramView } from './diagram';
import { pathBetween } from './ladder';
import { pointAt, type EdgeGeometry } from './layout';
import type { Store } from './store';

type HopSpec = { from: TcpState; to: TcpState; inferred: boolean };

export class RoutePlanner {
  /** The paths along the figure that openings are drawn on, by `from>to|role` (at most 11 × 11 × 3), until the next init. */
  private readonly pathCache = new Map<string, TcpState[]>();

  constructor(
    private readonly store: Store,
    private readonly diagram: DiagramView,
  ) {}

  /** The figure's edges changed (`init`): forget the paths found along the old ones. */
  reset(): void {
    this.pathCache.clear();
  }

  /** The geometry of the edge a hop takes (in the current layout). */
  edgeFor(from: TcpState, to: TcpState): EdgeGeometry | null {
    const e = this.store.edgeBetween(from, to);
    return e ? (this.diagram.geometry.edges.get(e.id) ?? null) : null;
  }

  /** The routes of one update's events, each with how many transitions took it. */
  routes(events: readonly TrackerEvent[]): { route: Route; count: number }[] {
    const routes = new Map<string, { route: Route; count: number }>();
    const add = (path: HopSpec[], fade: boolean): void => {
      const hops = this.hops(path);
      if (!hops.length) return;
      const key = `${fade ? 'f' : ''}${hops.map((h) => `${h.geometry.id}${h.inferred ? '~' : ''}`).join('|')}`;
      const r = routes.get(key);
      if (r) r.count++;
      else routes.set(key, { route: { key, hops, fade }, count: 1 });
    };
    for (const ev of events) {
      if (ev.kind === 'changed') {
        add(ev.path.length ? ev.path : [{ from: ev.from, to: ev.to, inferred: false }], false);
      } else if (ev.kind === 'opened') {
        // New connections enter from CLOSED: along their recorded history where it has the steps, else along
        // the figure (marked inferred).
        const c = ev.connection;
        const h = c.history;
        const path: HopSpec[] = [];
        const startState = h.length ? h[0].state : c.state;
        if (startState !== 'CLOSED') path.push(...this.inferredPath(c.role === 'server' ? 'LISTEN' : 'CLOSED', startState, c.role));
        if (c.role === 'server' && startState !== 'LISTEN') path.unshift(...this.inferredPath('CLOSED', 'LISTEN', 'listener'));
        for (let i = 1; i < h.length; i++) path.push({ from: h[i - 1].state, to: h[i].state, inferred: h[i].inferred });
        add(path.filter((p) => p.from !== p.to), false);
      } else {
        // Closed ones leave to CLOSED and fade, along the diagram's most likely way out (core/states inferPath:
        // a normal close before an abort; TIME-WAIT avoided, as a sample would have seen its 60 s).
        const states = inferPath(ev.from, 'CLOSED', { avoid: ['TIME-WAIT'] });
        const path: HopSpec[] = [];
        for (let i = 1; i < states.length; i++) path.push({ from: states[i - 1], to: states[i], inferred: ev.inferred || i < states.length - 1 });
        add(path, true);
      }
    }
    return [...routes.values()];
  }

  /** Hops for a list of states; a hop with no edge in the figure becomes a straight line between the nodes. */
  private hops(path: HopSpec[]): Hop[] {
    const hops: Hop[] = [];
    for (const h of path) {
      if (h.from === h.to) continue;
      hops.push({ geometry: this.edgeFor(h.from, h.to) ?? this.straight(h.from, h.to), inferred: h.inferred });
    }
    return hops;
  }

  private straight(from: TcpState, to: TcpState): EdgeGeometry {
    const a = this.diagram.geometry.nodes[from];
    const b = this.diagram.geometry.nodes[to];
    const samples = [
      { x: a.x, y: a.y },
      { x: b.x, y: b.y },
    ];
    const len = Math.hypot(b.x - a.x, b.y - a.y);
    const g: EdgeGeometry = { id: `straight:${from}>${to}`, from, to, d: '', samples, lengths: [0, len], label: pointAt({ samples, lengths: [0, len] }, 0.5), labelLines: [], labelBox: { x: 0, y: 0, w: 0, h: 0 }, labelRotate: 0 };
    return g;
  }

  /** Path along the figure between two states (for openings and closings the tracker reports as one step). */
  private inferredPath(from: TcpState, to: TcpState, role: Connection['role']): HopSpec[] {
    const full = this.store.state;
    if (!full) return [];
    const key = `${from}>${to}|${role}`;
    let states = this.pathCache.get(key);
    if (!states) {
      states = pathBetween(full.edges, from, to, role);
      this.pathCache.set(key, states);
    }
    if (states.length < 2) return [{ from, to, inferred: true }];
    const out: HopSpec[] = [];
    for (let i = 1; i < states.length; i++) out.push({ from: states[i - 1], to: states[i], inferred: true });
    return out;
  }
}
