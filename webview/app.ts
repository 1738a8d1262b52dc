// The webview's state and its three parts: the diagram, the connections list, and the selected connection's
// ladder. Host messages arrive already validated (main.ts); this applies them.
import { INSIGHT_STATE, insightText } from '../src/domain/insights';
import type { Connection, ConnectionId, Insight, ModelUpdate, TcpState, TrackerEvent } from '../src/domain/types';
import { formatEndpoint } from '../src/domain/types';
import { type FullState, type HostMessage, type Selection, type WebviewStrings } from '../src/shared/protocol';
import { Animator, type Hop, type Route } from './animator';
import { DiagramView } from './diagram';
import { findPeer, ladderRows, pathBetween, type LadderRow } from './ladder';
import { pointAt, type EdgeGeometry } from './layout';
import { loadState, post, saveState } from './vscodeApi';
import { inferPath, type DiagramEdge } from '../src/domain/diagram';
import { STATE_ORDER } from '../src/domain/states';
import { clock, format, formatDuration } from '../src/domain/format';

/** Rows the list renders at most; the rest are counted ("and 1,234 more"). Search narrows them. */
const MAX_ROWS = 200;
/** The list and ladder are redrawn once per period: ages move with the clock, and updates received meanwhile show. */
const LIST_REFRESH_MS = 1000;
/** Diagram order of the states, which the list is sorted by. */
/** Below this width the diagram takes the portrait layout and the list goes under it. */
const NARROW_PX = 640;

function el<K extends keyof HTMLElementTagNameMap>(tag: K, cls?: string, text?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

const reducedMotionQuery = window.matchMedia('(prefers-reduced-motion: reduce)');
let prefersReducedMotion = reducedMotionQuery.matches;
reducedMotionQuery.addEventListener('change', (e) => {
  prefersReducedMotion = e.matches;
});

export class App {
  private state: FullState | null = null;
  private readonly connections = new Map<ConnectionId, Connection>();
  private insights: readonly Insight[] = [];
  /**
   * From the diagram's edges, which change only with `init`: the edge of each ordered pair (`from>to`), and the
   * paths along the figure that openings are drawn on, by `from>to|role` (at most 11 × 11 × 3 of them).
   */
  private readonly edgeByPair = new Map<string, DiagramEdge>();
  private readonly pathCache = new Map<string, TcpState[]>();
  private diagram: DiagramView | null = null;
  private animator: Animator | null = null;
  private filter: TcpState | null = null;
  private search = '';
  private selected: ConnectionId | null = null;
  private paused = false;
  /** Updates arrived since the list was drawn (the next tick draws it even when paused or hidden). */
  private listDirty = false;
  private clockOffset = 0;
  private readonly root: HTMLElement;
  private readonly persisted = loadState();

  // Built once the strings arrive with `init`.
  private pauseButton!: HTMLElement;
  private statusLine!: HTMLElement;
  private searchField!: HTMLElement & { value: string; label: string; placeholder: string };
  private filterChip!: HTMLElement;
  private listEl!: HTMLElement;
  private ladderEl!: HTMLElement;
  /** The ladder's lanes, rows and note: the part redrawn; its header (with the close button) stays, so focus does. */
  private ladderBody!: HTMLElement;
  private activeRow = -1;
  private rowIds: ConnectionId[] = [];

  constructor(root: HTMLElement) {
    this.root = root;
    this.search = this.persisted.search;
    new ResizeObserver(() => this.applyWidth()).observe(root);
    window.setInterval(() => this.tick(), LIST_REFRESH_MS);
  }

  handle(msg: HostMessage): void {
    switch (msg.type) {
      case 'init':
        this.init(msg.state);
        break;
      case 'update':
        if (this.state) this.applyUpdate(msg.update);
        break;
      case 'status':
        this.setStatus(msg.paused, msg.error);
        break;
      case 'select':
        if (this.state) this.select(msg.selection);
        break;
    }
  }

  private now(): number {
    return Date.now() + this.clockOffset;
  }

  private init(state: FullState): void {
    const first = this.state === null;
    this.state = state;
    this.clockOffset = state.now - Date.now();
    document.documentElement.lang = state.locale;
    this.connections.clear();
    for (const c of state.connections) this.connections.set(c.id, c);
    this.insights = state.insights;
    this.edgeByPair.clear();
    this.pathCache.clear();
    // One edge per ordered pair in the figure (test/unit/states.test.ts); should two ever share one, the RFC edge
    // is drawn before Linux's, Linux's before an abort.
    const rank = { rfc: 0, linux: 1, abort: 2 } as const;
    for (const e of state.edges) {
      const key = `${e.from}>${e.to}`;
      const had = this.edgeByPair.get(key);
      if (!had || rank[e.kind] < rank[had.kind]) this.edgeByPair.set(key, e);
    }
    if (first) this.build(state.strings);
    const content = { strings: state.strings, states: state.states, edges: state.edges };
    if (!this.diagram) {
      this.diagram = new DiagramView(content, { activateNode: (s) => this.toggleFilter(s) });
      this.root.querySelector('.diagram-pane')?.prepend(this.diagram.element);
      const diagram = this.diagram;
      this.animator = new Animator(diagram.tokenCanvas, {
        reducedMotion: () => this.reducedMotion(),
        highContrast: () => document.body.classList.contains('vscode-high-contrast') || document.body.classList.contains('vscode-high-contrast-light'),
      });
      const animator = this.animator;
      animator.setViewBox(diagram.geometry.width, diagram.geometry.height);
      diagram.onRelayout = (layout) => animator.setViewBox(layout.width, layout.height);
      new ResizeObserver(() => animator.resize()).observe(diagram.svg);
      // VS Code switches theme by changing the body's class and the variables on <html>.
      const themeWatch = new MutationObserver(() => animator.readPalette());
      themeWatch.observe(document.body, { attributes: true, attributeFilter: ['class'] });
      themeWatch.observe(document.documentElement, { attributes: true, attributeFilter: ['style'] });
      this.applyWidth();
    } else {
      this.animator?.clear();
      this.diagram.setContent(content);
    }
    // Warnings first: setCounts refreshes a shown tooltip, which then has this update's warnings.
    this.applyInsights();
    this.diagram.setCounts(state.counts);
    this.setStatus(state.paused, state.error);
    const sel = state.selection ?? this.persisted.selection;
    if (sel) this.select(sel);
    else this.renderListNow();
  }

  private reducedMotion(): boolean {
    return (this.state?.reducedMotion ?? false) || prefersReducedMotion;
  }

  /** The fixed frame of the page: toolbar, diagram pane, list pane with search, ladder. */
  private build(s: WebviewStrings): void {
    this.root.replaceChildren();
    const toolbar = el('div', 'toolbar');
    this.pauseButton = document.createElement('vscode-button');
    this.pauseButton.setAttribute('secondary', '');
    this.pauseButton.className = 'pause';
    this.pauseButton.addEventListener('click', () => post({ type: 'setPaused', paused: !this.paused }));
    this.statusLine = el('span', 'status');
    this.statusLine.setAttribute('role', 'status');
    const legend = el('div', 'legend');
    legend.setAttribute('aria-hidden', 'true');
    for (const [cls, text] of [
      ['client', s.legendClient],
      ['server', s.legendServer],
      ['linux', s.legendLinux],
      ['abort', s.legendAbort],
      ['inferred', s.legendInferred],
    ]) {
      const item = el('span', `legend-item legend-${cls}`);
      item.append(el('span', 'swatch'), document.createTextNode(text));
      legend.append(item);
    }
    toolbar.append(this.pauseButton, this.statusLine, legend);

    const main = el('div', 'main');
    const diagramPane = el('section', 'diagram-pane');
    const hint = el('p', 'hint', s.keyboardHint);
    diagramPane.append(hint);
    const side = el('section', 'side-pane');
    side.setAttribute('aria-label', s.connectionsLabel);
    const listBar = el('div', 'list-toolbar');
    this.searchField = document.createElement('vscode-textfield') as HTMLElement & { value: string; label: string; placeholder: string };
    this.searchField.className = 'search';
    this.searchField.placeholder = s.searchPlaceholder;
    this.searchField.label = s.searchPlaceholder;
    this.searchField.value = this.search;
    this.searchField.addEventListener('input', () => {
      this.search = this.searchField.value;
      this.persist();
      this.renderListNow();
    });
    this.filterChip = el('button', 'filter-chip');
    this.filterChip.hidden = true;
    this.filterChip.addEventListener('click', () => this.setFilter(null));
    listBar.append(this.searchField, this.filterChip);
    this.listEl = el('div', 'conn-list');
    this.listEl.setAttribute('role', 'listbox');
    this.listEl.setAttribute('aria-label', s.connectionsLabel);
    this.listEl.tabIndex = 0;
    this.listEl.addEventListener('keydown', (ev) => this.onListKey(ev));
    this.listEl.addEventListener('click', (ev) => {
      const row = (ev.target as HTMLElement).closest<HTMLElement>('[data-id]');
      if (row?.dataset.id) this.select({ kind: 'connection', id: row.dataset.id });
    });
    this.ladderEl = el('section', 'ladder');
    this.ladderEl.hidden = true;
    const ladderHead = el('div', 'ladder-head');
    const close = el('button', 'ladder-close', '✕');
    close.title = s.closeLadder;
    close.setAttribute('aria-label', s.closeLadder);
    close.addEventListener('click', () => {
      this.selected = null;
      this.persist();
      this.renderListNow();
    });
    ladderHead.append(el('h2', 'ladder-title', s.ladderTitle), close);
    this.ladderBody = el('div', 'ladder-body');
    this.ladderEl.append(ladderHead, this.ladderBody);
    side.append(listBar, this.listEl, this.ladderEl);
    main.append(diagramPane, side);
    this.root.append(toolbar, main);
  }

  private applyWidth(): void {
    const narrow = this.root.clientWidth < NARROW_PX;
    this.root.classList.toggle('narrow', narrow);
    this.root.classList.toggle('wide', !narrow);
    this.diagram?.setMode(narrow ? 'narrow' : 'wide');
  }

  private setStatus(paused: boolean, error: string | null): void {
    if (!this.state) return;
    const s = this.state.strings;
    this.paused = paused;
    this.pauseButton.textContent = paused ? s.resume : s.pause;
    this.pauseButton.setAttribute('aria-pressed', String(paused));
    this.statusLine.textContent = error ?? (paused ? s.paused : '');
    this.statusLine.classList.toggle('error', error !== null);
    this.root.classList.toggle('paused', paused);
    this.animator?.setPaused(paused);
  }

  private applyUpdate(u: ModelUpdate): void {
    if (u.reset) {
      this.connections.clear();
      this.animator?.clear();
    }
    for (const c of u.changed) this.connections.set(c.id, c);
    for (const id of u.removed) this.connections.delete(id);
    this.insights = u.insights;
    this.applyInsights();
    this.diagram?.setCounts(u.counts);
    if (!u.reset) this.animate(u.events);
    this.listDirty = true;
  }

  private applyInsights(): void {
    if (!this.state || !this.diagram) return;
    const map = new Map<TcpState, string[]>();
    for (const i of this.insights) {
      const state = this.insightState(i);
      if (!state) continue;
      map.set(state, [...(map.get(state) ?? []), insightText(i, this.state.locale).title]);
    }
    this.diagram.setWarnings(map);
  }

  private insightState(i: Insight): TcpState | null {
    const state = INSIGHT_STATE[i.kind];
    if (state !== null) return state;
    const c = i.connectionIds.map((id) => this.connections.get(id)).find((x) => x);
    return c ? c.state : null;
  }

  // ---- animation --------------------------------------------------------------------------------------------

  /** The geometry of the edge a hop takes (in the current layout). */
  private edgeFor(from: TcpState, to: TcpState): EdgeGeometry | null {
    if (!this.diagram) return null;
    const e = this.edgeByPair.get(`${from}>${to}`);
    return e ? (this.diagram.geometry.edges.get(e.id) ?? null) : null;
  }

  /** Hops for a list of states; a hop with no edge in the figure becomes a straight line between the nodes. */
  private hops(path: { from: TcpState; to: TcpState; inferred: boolean }[]): Hop[] {
    const hops: Hop[] = [];
    for (const h of path) {
      if (h.from === h.to) continue;
      const g = this.edgeFor(h.from, h.to) ?? this.straight(h.from, h.to);
      if (g) hops.push({ geometry: g, inferred: h.inferred });
    }
    return hops;
  }

  private straight(from: TcpState, to: TcpState): EdgeGeometry | null {
    if (!this.diagram) return null;
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
  private inferredPath(from: TcpState, to: TcpState, role: Connection['role']): { from: TcpState; to: TcpState; inferred: boolean }[] {
    if (!this.state) return [];
    const key = `${from}>${to}|${role}`;
    let states = this.pathCache.get(key);
    if (!states) {
      states = pathBetween(this.state.edges, from, to, role);
      this.pathCache.set(key, states);
    }
    if (states.length < 2) return [{ from, to, inferred: true }];
    const out: { from: TcpState; to: TcpState; inferred: boolean }[] = [];
    for (let i = 1; i < states.length; i++) out.push({ from: states[i - 1], to: states[i], inferred: true });
    return out;
  }

  private animate(events: readonly TrackerEvent[]): void {
    if (!this.animator || this.paused) return;
    const routes = new Map<string, { route: Route; count: number }>();
    const add = (path: { from: TcpState; to: TcpState; inferred: boolean }[], fade: boolean): void => {
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
        const path: { from: TcpState; to: TcpState; inferred: boolean }[] = [];
        const startState = h.length ? h[0].state : c.state;
        if (startState !== 'CLOSED') path.push(...this.inferredPath(c.role === 'server' ? 'LISTEN' : 'CLOSED', startState, c.role));
        if (c.role === 'server' && startState !== 'LISTEN') path.unshift(...this.inferredPath('CLOSED', 'LISTEN', 'listener'));
        for (let i = 1; i < h.length; i++) path.push({ from: h[i - 1].state, to: h[i].state, inferred: h[i].inferred });
        add(path.filter((p) => p.from !== p.to), false);
      } else {
        // Closed ones leave to CLOSED and fade, along the diagram's most likely way out (core/states inferPath:
        // a normal close before an abort; TIME-WAIT avoided, as a sample would have seen its 60 s).
        const states = inferPath(ev.from, 'CLOSED', { avoid: ['TIME-WAIT'] });
        const path: { from: TcpState; to: TcpState; inferred: boolean }[] = [];
        for (let i = 1; i < states.length; i++) path.push({ from: states[i - 1], to: states[i], inferred: ev.inferred || i < states.length - 1 });
        add(path, true);
      }
    }
    for (const { route, count } of routes.values()) this.animator.enqueue(route, count);
  }

  // ---- filter, search, selection ------------------------------------------------------------------------------

  private toggleFilter(state: TcpState): void {
    this.setFilter(this.filter === state ? null : state);
  }

  private setFilter(state: TcpState | null): void {
    this.filter = state;
    this.diagram?.setFilter(state);
    if (this.state) {
      this.filterChip.hidden = state === null;
      this.filterChip.textContent = state ? `${format(this.state.strings.filterByState, state)} ✕` : '';
      this.filterChip.title = this.state.strings.clearFilter;
      this.filterChip.setAttribute('aria-label', `${state ? format(this.state.strings.filterByState, state) : ''}. ${this.state.strings.clearFilter}`);
    }
    this.renderListNow();
  }

  private select(sel: Selection): void {
    if (sel.kind === 'state') {
      this.selected = null;
      this.setFilter(sel.state);
      this.diagram?.focusNode(sel.state);
    } else {
      this.selected = sel.id;
      this.renderListNow();
      this.rowElement(sel.id)?.scrollIntoView({ block: 'nearest' });
    }
    this.persist();
  }

  private persist(): void {
    saveState({ selection: this.selected ? { kind: 'connection', id: this.selected } : this.filter ? { kind: 'state', state: this.filter } : null, search: this.search });
  }

  /** `words`: the search's words, lower case. */
  private matches(c: Connection, words: readonly string[]): boolean {
    if (this.filter && c.state !== this.filter) return false;
    if (!words.length) return true;
    const hay = `${formatEndpoint(c.local)} → ${formatEndpoint(c.remote)} ${c.state} ${c.owner ? `${c.owner.command} ${c.owner.pid}` : ''} ${c.role}`.toLowerCase();
    return words.every((w) => hay.includes(w));
  }

  private tick(): void {
    if (!this.state) return;
    // Ages and the current state's duration move with the clock; updates are drawn even when paused or hidden.
    if (this.listDirty || (!this.paused && document.visibilityState === 'visible')) this.renderListNow();
  }

  private rowElement(id: ConnectionId): HTMLElement | null {
    return this.listEl.querySelector<HTMLElement>(`[data-id="${CSS.escape(id)}"]`);
  }

  private renderListNow(): void {
    if (!this.state) return;
    this.listDirty = false;
    const s = this.state.strings;
    const now = this.now();
    const words = this.search.trim().toLowerCase().split(/\s+/).filter(Boolean);
    const list = [...this.connections.values()].filter((c) => this.matches(c, words));
    list.sort((a, b) => (STATE_ORDER.get(a.state) ?? 0) - (STATE_ORDER.get(b.state) ?? 0) || a.local.port - b.local.port || a.remote.port - b.remote.port);
    const shown = list.slice(0, MAX_ROWS);
    if (this.selected && !shown.some((c) => c.id === this.selected)) {
      const sel = this.connections.get(this.selected);
      if (sel) shown.unshift(sel);
    }
    this.rowIds = shown.map((c) => c.id);
    const frag = document.createDocumentFragment();
    shown.forEach((c, i) => {
      const row = el('div', `conn-row state-${c.state}${c.closedAt !== null ? ' closed' : ''}`);
      row.id = `conn-${i}`;
      row.dataset.id = c.id;
      row.setAttribute('role', 'option');
      const isSel = c.id === this.selected;
      row.setAttribute('aria-selected', String(isSel));
      if (isSel) row.classList.add('selected');
      const since = c.history.length ? c.history[c.history.length - 1].since : c.openedAt;
      const role = c.role === 'client' ? s.roleClient : c.role === 'server' ? s.roleServer : s.roleListener;
      const owner = c.owner ? `${c.owner.command} (${c.owner.pid})` : s.unknownProcess;
      const ends = `${formatEndpoint(c.local)} → ${formatEndpoint(c.remote)}`;
      const age = formatDuration(now - since, s.units);
      row.append(el('span', 'pill', c.state), el('span', 'endpoints', ends), el('span', 'meta', `${role} · ${owner} · ${age}`));
      row.setAttribute('aria-label', `${c.state}, ${ends}, ${role}, ${owner}, ${age}`);
      frag.append(row);
    });
    if (shown.length === 0) frag.append(el('div', 'empty-note', s.noConnections));
    if (list.length > MAX_ROWS) frag.append(el('div', 'more-note', format(s.moreConnections, list.length - MAX_ROWS)));
    this.listEl.replaceChildren(frag);
    if (this.activeRow >= this.rowIds.length) this.activeRow = this.rowIds.length - 1;
    this.updateActiveRow();
    this.renderLadder();
  }

  private onListKey(ev: KeyboardEvent): void {
    if (!this.rowIds.length) return;
    if (ev.key === 'ArrowDown') this.activeRow = Math.min(this.rowIds.length - 1, this.activeRow + 1);
    else if (ev.key === 'ArrowUp') this.activeRow = Math.max(0, this.activeRow - 1);
    else if (ev.key === 'Home') this.activeRow = 0;
    else if (ev.key === 'End') this.activeRow = this.rowIds.length - 1;
    else if (ev.key === 'Enter' || ev.key === ' ') {
      if (this.activeRow >= 0) this.select({ kind: 'connection', id: this.rowIds[this.activeRow] });
    } else if (ev.key === 'Escape') {
      this.selected = null;
      this.persist();
      this.renderListNow();
    } else return;
    ev.preventDefault();
    // Scrolled here only: a redraw must not pull the list back from where the user scrolled it.
    this.updateActiveRow()?.scrollIntoView({ block: 'nearest' });
  }

  /** Marks the active row; returns it. */
  private updateActiveRow(): HTMLElement | undefined {
    const rows = this.listEl.querySelectorAll<HTMLElement>('.conn-row');
    rows.forEach((r, i) => r.classList.toggle('active', i === this.activeRow));
    const active = this.activeRow >= 0 ? rows[this.activeRow] : undefined;
    if (active) this.listEl.setAttribute('aria-activedescendant', active.id);
    else this.listEl.removeAttribute('aria-activedescendant');
    return active;
  }

  // ---- ladder --------------------------------------------------------------------------------------------------

  private renderLadder(): void {
    if (!this.state || !this.diagram) return;
    const c = this.selected ? this.connections.get(this.selected) : undefined;
    if (!c) {
      this.ladderEl.hidden = true;
      this.diagram.setPath(new Set(), new Set());
      return;
    }
    const s = this.state.strings;
    const peer = findPeer(c, this.connections.values());
    const rows = ladderRows(c, this.state.edges, peer);
    const now = this.now();

    // The connection's path on the diagram.
    const pathStates = new Set<TcpState>();
    const pathEdges = new Set<string>();
    let prev: TcpState | null = null;
    for (const r of rows) {
      if (r.kind !== 'state' || r.lane !== 'local') continue;
      pathStates.add(r.state);
      if (prev && prev !== r.state) {
        const g = this.edgeFor(prev, r.state);
        if (g) pathEdges.add(g.id);
      }
      prev = r.state;
    }
    this.diagram.setPath(pathStates, pathEdges);

    const lanes = el('div', 'ladder-lanes');
    const owner = c.owner ? `${c.owner.command} (${c.owner.pid})` : s.unknownProcess;
    lanes.append(el('div', 'lane-head local', `${s.ladderLocal} ${formatEndpoint(c.local)} · ${owner}`), el('div', 'lane-head remote', `${s.ladderRemote} ${formatEndpoint(c.remote)}${peer?.owner ? ` · ${peer.owner.command} (${peer.owner.pid})` : ''}`));
    const list = el('ol', 'ladder-rows');
    list.setAttribute('aria-label', s.ladderTitle);
    for (const r of rows) list.append(this.ladderRow(r, now, s));
    const note = el('p', 'ladder-note', s.reconstructedNote);
    this.ladderBody.replaceChildren(lanes, list, note);
    this.ladderEl.hidden = false;
  }

  private ladderRow(r: LadderRow, now: number, s: WebviewStrings): HTMLElement {
    const li = el('li', `ladder-row ladder-${r.kind}`);
    if (r.kind === 'state') {
      li.classList.add(r.lane, r.inferred ? 'inferred' : 'observed');
      const cell = el('div', 'ladder-state-cell');
      cell.append(el('span', 'pill', r.state));
      let timeText = '';
      if (r.since !== null) {
        const dur = (r.until ?? now) - r.since;
        timeText = `${clock(r.since)} · ${r.until === null ? `${s.current}, ` : ''}${format(s.durationFor, formatDuration(dur, s.units))}`;
      }
      cell.append(el('span', 'when', timeText), el('span', 'tag', r.inferred ? s.inferred : s.observed));
      li.append(cell);
      li.setAttribute('aria-label', `${r.lane === 'local' ? s.ladderLocal : s.ladderRemote}: ${r.state}. ${timeText}. ${r.inferred ? s.inferred : s.observed}`);
    } else if (r.kind === 'segment') {
      li.classList.add(r.dir, r.inferred ? 'inferred' : 'observed');
      const arrow = el('div', 'arrow');
      arrow.append(el('span', 'seg-label', r.label), el('span', 'tag', r.inferred ? s.inferred : s.observed));
      li.append(arrow);
      li.setAttribute('aria-label', `${r.dir === 'out' ? `${s.ladderLocal} → ${s.ladderRemote}` : `${s.ladderRemote} → ${s.ladderLocal}`}: ${r.label} (${r.inferred ? s.inferred : s.observed})`);
    } else {
      li.append(el('div', 'note-text', s.timeout));
      li.setAttribute('aria-label', s.timeout);
    }
    return li;
  }
}
