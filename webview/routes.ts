// Which way each tracker event's token goes on the figure, and the events of one update grouped by route (the
// Animator draws one token per route, with a "+N" count). The ways are the tracker's (history.ts): a change
// follows the event's own path, an opening the connection's history, a closing the history's way to CLOSED.
import type { TcpState, TrackerEvent } from '../src/domain/types';
import type { Hop, Route } from './animator';
import type { DiagramView } from './diagram';
import { closingHops, openingHops, type HopSpec } from './history';
import { pointAt, type EdgeGeometry } from './layout';
import type { Store } from './store';

export class RoutePlanner {

  constructor(
    private readonly store: Store,
    private readonly diagram: DiagramView,
  ) {}

  /** The geometry of the edge a hop takes (in the current layout). */
  edgeFor(from: TcpState, to: TcpState): EdgeGeometry | null {
    const e = this.store.edgeBetween(from, to);
    return e ? (this.diagram.geometry.edges.get(e.id) ?? null) : null;
  }

  /**
   * The routes of one update's events, each with how many transitions took it. Reads the store, which must
   * already hold the update's records (a closed connection's history has its way out).
   */
  routes(events: readonly TrackerEvent[]): { route: Route; count: number }[] {
    const routes = new Map<string, { route: Route; count: number }>();
    const add = (path: readonly HopSpec[], fade: boolean): void => {
      const hops = this.hops(path);
      if (!hops.length) return;
      const key = `${fade ? 'f' : ''}${hops.map((h) => `${h.geometry.id}${h.inferred ? '~' : ''}`).join('|')}`;
      const r = routes.get(key);
      if (r) r.count++;
      else routes.set(key, { route: { key, hops, fade }, count: 1 });
    };
    for (const ev of events) {
      if (ev.kind === 'changed') add(ev.path, false);
      else if (ev.kind === 'opened') add(openingHops(ev.connection), false);
      // Closed ones leave to CLOSED and fade.
      else add(closingHops(ev), true);
    }
    return [...routes.values()];
  }

  /**
   * The hops' geometries. A hop the figure has no edge for (the tracker's paths always have one) is drawn as a
   * straight line between the nodes, and never as observed.
   */
  private hops(path: readonly HopSpec[]): Hop[] {
    const hops: Hop[] = [];
    for (const h of path) {
      if (h.from === h.to) continue;
      const edge = this.edgeFor(h.from, h.to);
      hops.push(edge ? { geometry: edge, inferred: h.inferred } : { geometry: this.straight(h.from, h.to), inferred: true });
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
    return { id: `straight:${from}>${to}`, from, to, d: '', samples, lengths: [0, len], label: pointAt({ samples, lengths: [0, len] }, 0.5), labelLines: [], labelBox: { x: 0, y: 0, w: 0, h: 0 }, labelRotate: 0 };
  }
}
