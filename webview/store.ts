// The webview's copy of the host's model and what the user chose to look at. `init` fills it, `update` deltas
// keep it current; the selected connection, the state filter and the search text are set by the views through
// App. No DOM here: the views read it, and App tells them when to redraw.
import { INSIGHT_STATE, insightText } from '../src/domain/insights';
import type { DiagramEdge } from '../src/domain/diagram';
import { STATE_ORDER } from '../src/domain/states';
import type { Connection, ConnectionId, Insight, ModelUpdate, StateCounts, TcpState } from '../src/domain/types';
import { emptyCounts, formatEndpoint } from '../src/domain/types';
import type { FullState } from '../src/shared/protocol';
import type { PersistedState } from './vscodeApi';

/** How an edge kind ranks when two edges join the same ordered pair: the RFC's first, then Linux's, then an abort. */
const EDGE_RANK = { rfc: 0, linux: 1, abort: 2 } as const;

export class Store {
  /** The last `init`'s state (its connections, counts and insights are not kept current: read them here). */
  private full: FullState | null = null;
  private readonly byId = new Map<ConnectionId, Connection>();
  private currentInsights: readonly Insight[] = [];
  private currentCounts: StateCounts = emptyCounts();
  /** The diagram's edge of each ordered pair (`from>to`); the edges change only with `init`. */
  private readonly edgeByPair = new Map<string, DiagramEdge>();
  private clockOffset = 0;

  /** The state the list is narrowed to, or null. */
  filter: TcpState | null = null;
  /** The search field's text, as typed. */
  search: string;
  /** The connection whose ladder is shown, or null. */
  selected: ConnectionId | null = null;

  constructor(search: string) {
    this.search = search;
  }

  /** Null until the first `init`. */
  get state(): FullState | null {
    return this.full;
  }

  get connections(): ReadonlyMap<ConnectionId, Connection> {
    return this.byId;
  }

  get insights(): readonly Insight[] {
    return this.currentInsights;
  }

  get counts(): StateCounts {
    return this.currentCounts;
  }

  init(state: FullState): void {
    this.full = state;
    this.clockOffset = state.now - Date.now();
    this.byId.clear();
    for (const c of state.connections) this.byId.set(c.id, c);
    this.currentInsights = state.insights;
    this.currentCounts = state.counts;
    this.edgeByPair.clear();
    // One edge per ordered pair in the figure (test/unit/states.test.ts); should two ever share one, the RFC edge
    // is drawn before Linux's, Linux's before an abort.
    for (const e of state.edges) {
      const key = `${e.from}>${e.to}`;
      const had = this.edgeByPair.get(key);
      if (!had || EDGE_RANK[e.kind] < EDGE_RANK[had.kind]) this.edgeByPair.set(key, e);
    }
  }

  /** Applies a delta (after `init` only). */
  applyUpdate(u: ModelUpdate): void {
    if (u.reset) this.byId.clear();
    for (const c of u.changed) this.byId.set(c.id, c);
    for (const id of u.removed) this.byId.delete(id);
    this.currentInsights = u.insights;
    this.currentCounts = u.counts;
  }

  /** The host's clock: ages are measured against the time the host's samples were taken in. */
  now(): number {
    return Date.now() + this.clockOffset;
  }

  /** The diagram's edge from one state to another, or undefined when the figure has none. */
  edgeBetween(from: TcpState, to: TcpState): DiagramEdge | undefined {
    return this.edgeByPair.get(`${from}>${to}`);
  }

  selectedConnection(): Connection | undefined {
    return this.selected ? this.byId.get(this.selected) : undefined;
  }

  /** What to keep while the webview is hidden or the window reloads: the selection, the filter and the search. */
  persisted(): PersistedState {
    return { selection: this.selected ? { kind: 'connection', id: this.selected } : null, filter: this.filter, search: this.search };
  }

  /** The insights' titles by the state each one is about (for the diagram's warning marks). */
  warnings(): Map<TcpState, string[]> {
    const map = new Map<TcpState, string[]>();
    if (!this.full) return map;
    for (const i of this.currentInsights) {
      const state = this.insightState(i);
      if (!state) continue;
      map.set(state, [...(map.get(state) ?? []), insightText(i, this.full.locale).title]);
    }
    return map;
  }

  private insightState(i: Insight): TcpState | null {
    const state = INSIGHT_STATE[i.kind];
    if (state !== null) return state;
    const c = i.connectionIds.map((id) => this.byId.get(id)).find((x) => x);
    return c ? c.state : null;
  }

  /** The connections the filter and the search let through, in diagram order of their state, then by port. */
  matching(): Connection[] {
    const words = this.search.trim().toLowerCase().split(/\s+/).filter(Boolean);
    const list = [...this.byId.values()].filter((c) => this.matches(c, words));
    list.sort((a, b) => (STATE_ORDER.get(a.state) ?? 0) - (STATE_ORDER.get(b.state) ?? 0) || a.local.port - b.local.port || a.remote.port - b.remote.port);
    return list;
  }

  /** `words`: the search's words, lower case. */
  private matches(c: Connection, words: readonly string[]): boolean {
    if (this.filter && c.state !== this.filter) return false;
    if (!words.length) return true;
    const hay = `${formatEndpoint(c.local)} → ${formatEndpoint(c.remote)} ${c.state} ${c.owner ? `${c.owner.command} ${c.owner.pid}` : ''} ${c.role} ${c.container?.name ?? ''} ${c.netns ?? ''}`.toLowerCase();
    return words.every((w) => hay.includes(w));
  }
}
