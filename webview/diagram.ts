// The SVG state diagram: nodes with live counts, labelled edges, keyboard focus (arrow keys between nodes,
// a second tab stop for the edges), and the hover/focus tooltip. Tokens are drawn by the Animator into the
// layer this view exposes.
import type { StateCounts, TcpState } from '../src/domain/types';
import { type LocalizedStateInfo, type WebviewStrings } from '../src/shared/protocol';
import { format } from '../src/domain/format';
import { el } from './dom';
import { layoutDiagram, neighbourInDirection, type DiagramLayout, type LayoutBox, type LayoutMode } from './layout';
import { type DiagramEdge } from '../src/domain/diagram';
import { KEY_ORDER } from '../src/domain/states';

const SVG_NS = 'http://www.w3.org/2000/svg';

function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number> = {}, cls?: string): SVGElementTagNameMap[K] {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (cls) node.setAttribute('class', cls);
  return node;
}

/** Roving tabindex: `to` becomes the group's one tab stop, and takes the focus. */
function moveTabStop(views: Iterable<{ g: SVGGElement }>, to: SVGGElement): void {
  for (const v of views) v.g.setAttribute('tabindex', v.g === to ? '0' : '-1');
  to.focus();
}

export interface DiagramContent {
  strings: WebviewStrings;
  states: Record<TcpState, LocalizedStateInfo>;
  edges: readonly DiagramEdge[];
}

export interface DiagramCallbacks {
  /** A node was clicked or activated by keyboard. */
  activateNode(state: TcpState): void;
}

interface NodeView {
  g: SVGGElement;
  countText: SVGTextElement;
  countBg: SVGRectElement;
  /** The count the label and badge were last set for (-1: never). The badge shortens ("12k"), so compare this. */
  count: number;
}

interface EdgeView {
  g: SVGGElement;
  label: SVGTextElement;
}

/** Below this size on screen (CSS px) the arrows' labels are shown on hover and focus only. */
export const MIN_LABEL_PX = 9;
/** The box is laid out again when it changes by more than this (CSS px): not on every pixel of a drag. */
const RELAYOUT_STEP_PX = 6;

export class DiagramView {
  readonly element: HTMLElement;
  readonly svg: SVGSVGElement;
  /** Where the Animator paints tokens: a canvas over the SVG, the same size. */
  readonly tokenCanvas: HTMLCanvasElement;
  private readonly tooltip: HTMLDivElement;
  private layout!: DiagramLayout;
  private readonly nodes = new Map<TcpState, NodeView>();
  private readonly edgeViews = new Map<string, EdgeView>();
  private counts: StateCounts | null = null;
  private focusedState: TcpState = 'CLOSED';
  private focusedEdge = 0;
  private filter: TcpState | null = null;
  private warned = new Set<TcpState>();
  private warnings = new Map<TcpState, string[]>();
  private tipTarget: Element | null = null;
  /** What the shown node tooltip says that changes (count, warnings): it is redrawn only when this changes. */
  private tipShows = '';
  private pathStates = new Set<TcpState>();
  private pathEdges = new Set<string>();
  /** Called after a relayout so the animator can take the new viewBox and drop tokens holding old geometry. */
  onRelayout: ((layout: DiagramLayout) => void) | null = null;
  /** Called when the arrows' labels switch between always shown and shown on demand. */
  onLabelsOnDemand: ((onDemand: boolean) => void) | null = null;
  /** The box the figure was last laid out for (its element's size), null before it has one. */
  private box: LayoutBox | null = null;
  private labelsOnDemand = false;
  private relayoutFrame = 0;

  constructor(
    private content: DiagramContent,
    private readonly callbacks: DiagramCallbacks,
  ) {
    this.element = el('div', 'diagram');
    this.svg = svg('svg', { role: 'group', focusable: 'false' });
    this.tokenCanvas = el('canvas', 'tokens');
    this.tokenCanvas.setAttribute('aria-hidden', 'true');
    this.tooltip = el('div', 'tooltip');
    this.tooltip.id = 'diagram-tooltip';
    this.tooltip.setAttribute('role', 'tooltip');
    this.tooltip.hidden = true;
    this.element.append(this.svg, this.tokenCanvas, this.tooltip);
    this.element.addEventListener('pointerleave', () => this.hideTip());
    this.render('wide');
    // The figure takes the shape of its box: laid out again when the box changes (once per frame at most).
    new ResizeObserver(() => {
      if (this.relayoutFrame) return;
      this.relayoutFrame = requestAnimationFrame(() => {
        this.relayoutFrame = 0;
        this.fitBox();
      });
    }).observe(this.element);
  }

  /** True while the arrows' labels show on hover and focus only (the figure is too small or too squeezed). */
  get edgeLabelsOnDemand(): boolean {
    return this.labelsOnDemand;
  }

  /** Lays the figure out for its element's current size, if that changed enough since the last layout. */
  fitBox(): void {
    const w = this.element.clientWidth;
    const h = this.element.clientHeight;
    if (w <= 0 || h <= 0) return;
    const b = this.box;
    if (b && Math.abs(b.width - w) <= RELAYOUT_STEP_PX && Math.abs(b.height - h) <= RELAYOUT_STEP_PX) {
      this.updateLabelsOnDemand();
      return;
    }
    this.box = { width: w, height: h };
    this.render(this.layout.mode);
  }

  get mode(): LayoutMode {
    return this.layout.mode;
  }

  get geometry(): DiagramLayout {
    return this.layout;
  }

  setContent(content: DiagramContent): void {
    this.content = content;
    this.render(this.layout.mode);
  }

  setMode(mode: LayoutMode): void {
    if (mode !== this.layout.mode) this.render(mode);
  }

  private render(mode: LayoutMode): void {
    const { strings, edges } = this.content;
    this.layout = layoutDiagram(mode, edges, this.box ?? undefined);
    const L = this.layout;
    // The tooltip's target is about to leave the document.
    this.hideTip();
    this.svg.replaceChildren();
    this.nodes.clear();
    this.edgeViews.clear();
    this.svg.setAttribute('viewBox', `0 0 ${L.width} ${L.height}`);
    this.svg.setAttribute('aria-label', strings.diagramLabel);
    this.svg.setAttribute('class', `diagram-svg mode-${mode}`);

    const defs = svg('defs');
    for (const k of ['client', 'server', 'both', 'linux', 'abort']) {
      const m = svg('marker', { id: `arrow-${k}`, viewBox: '0 0 10 10', refX: 8, refY: 5, markerUnits: 'userSpaceOnUse', markerWidth: mode === 'wide' ? 10 : 9, markerHeight: mode === 'wide' ? 10 : 9, orient: 'auto-start-reverse' }, `marker marker-${k}`);
      m.append(svg('path', { d: 'M0,0 L10,5 L0,10 z' }));
      defs.append(m);
    }
    this.svg.append(defs);

    // Column captions: which side of the figure is whose (the legend says it in the narrow layout).
    if (L.captions) {
      const captions = svg('g', { 'aria-hidden': 'true' }, 'captions');
      const left = svg('text', { x: L.captions.client.x, y: L.captions.client.y, 'text-anchor': 'start' }, 'caption caption-client');
      left.textContent = strings.legendClient;
      const right = svg('text', { x: L.captions.server.x, y: L.captions.server.y, 'text-anchor': 'end' }, 'caption caption-server');
      right.textContent = strings.legendServer;
      captions.append(left, right);
      this.svg.append(captions);
    }

    const edgeGroup = svg('g', { role: 'list', 'aria-label': strings.edgesGroupLabel }, 'edges');
    const labelGroup = svg('g', { 'aria-hidden': 'true' }, 'edge-labels');
    edges.forEach((e, i) => {
      const geo = L.edges.get(e.id);
      if (!geo) return;
      const cls = `edge kind-${e.kind} path-${e.path}`;
      const g = svg('g', { role: 'listitem', tabindex: i === this.focusedEdge ? 0 : -1, 'data-edge': e.id, 'aria-label': this.edgeAria(e) }, cls);
      const marker = e.kind === 'rfc' ? e.path : e.kind;
      const hit = svg('path', { d: geo.d }, 'edge-hit');
      const line = svg('path', { d: geo.d, 'marker-end': `url(#arrow-${marker})` }, 'edge-line');
      g.append(hit, line);
      const lh = L.labelFontSize * 1.2;
      const text = svg('text', { x: geo.label.x.toFixed(1), y: (geo.label.y - ((geo.labelLines.length - 1) * lh) / 2).toFixed(1), 'font-size': L.labelFontSize, 'text-anchor': 'middle', 'dominant-baseline': 'central', 'data-edge': e.id }, `edge-label kind-${e.kind} path-${e.path}`);
      if (geo.labelRotate) text.setAttribute('transform', `rotate(${geo.labelRotate} ${geo.label.x.toFixed(1)} ${geo.label.y.toFixed(1)})`);
      geo.labelLines.forEach((line, j) => {
        const span = svg('tspan', { x: geo.label.x.toFixed(1), dy: j === 0 ? 0 : lh.toFixed(1) });
        span.textContent = line;
        text.append(span);
      });
      labelGroup.append(text);
      this.wire(
        g,
        () => this.showEdgeTip(e, g),
        () => (this.focusedEdge = i),
        (ev) => this.onEdgeKey(ev, i),
      );
      text.addEventListener('pointerenter', () => this.showEdgeTip(e, g));
      // Labels shown on demand: the one of the arrow under the pointer or with the focus.
      g.addEventListener('pointerenter', () => text.classList.add('shown'));
      g.addEventListener('pointerleave', () => text.classList.remove('shown'));
      g.addEventListener('focus', () => text.classList.add('shown'));
      g.addEventListener('blur', () => text.classList.remove('shown'));
      edgeGroup.append(g);
      this.edgeViews.set(e.id, { g, label: text });
    });

    const nodeGroup = svg('g', { role: 'group', 'aria-label': strings.statesGroupLabel }, 'nodes');
    for (const state of KEY_ORDER) {
      const box = L.nodes[state];
      const g = svg('g', { role: 'button', tabindex: state === this.focusedState ? 0 : -1, 'data-state': state, 'aria-pressed': 'false', 'aria-describedby': 'diagram-tooltip', transform: `translate(${box.x},${box.y})` }, 'node');
      g.append(svg('rect', { x: -box.w / 2, y: -box.h / 2, width: box.w, height: box.h, rx: 6 }, 'node-box'));
      // Wide boxes leave the name room to sit a little left of the count badge; narrow ones need their width.
      const name = svg('text', { x: mode === 'wide' ? -6 : 0, y: 0, 'text-anchor': 'middle', 'dominant-baseline': 'central', 'font-size': L.fontSize }, 'node-name');
      name.textContent = state;
      const cw = mode === 'wide' ? 26 : 22;
      const countBg = svg('rect', { x: box.w / 2 - cw * 0.7, y: -box.h / 2 - 9, width: cw, height: 17, rx: 8.5 }, 'count-bg');
      const countText = svg('text', { x: box.w / 2 - cw * 0.7 + cw / 2, y: -box.h / 2 - 0.5, 'text-anchor': 'middle', 'dominant-baseline': 'central' }, 'count');
      countText.textContent = '0';
      g.append(countBg, countText, name);
      g.addEventListener('click', () => this.callbacks.activateNode(state));
      this.wire(
        g,
        () => this.showNodeTip(state, g),
        () => (this.focusedState = state),
        (ev) => this.onNodeKey(ev, state),
      );
      nodeGroup.append(g);
      this.nodes.set(state, { g, countText, countBg, count: -1 });
    }
    // Document order is the tab order: the states first, then the transitions. Edges end at the node borders,
    // so drawing them after the nodes hides nothing; tokens go on top of both.
    this.svg.append(nodeGroup, edgeGroup, labelGroup);
    // Re-apply the live state on the fresh elements.
    if (this.counts) this.setCounts(this.counts);
    this.setFilter(this.filter);
    this.setWarnings(this.warnings);
    this.setPath(this.pathStates, this.pathEdges);
    this.updateLabelsOnDemand();
    this.onRelayout?.(this.layout);
  }

  /**
   * The arrows' labels are shown always when they fit (placed clear of the states and of each other) at
   * MIN_LABEL_PX or more on screen; else on hover and focus only.
   */
  private updateLabelsOnDemand(): void {
    const w = this.element.clientWidth;
    const h = this.element.clientHeight;
    const scale = w > 0 && h > 0 ? Math.min(w / this.layout.width, h / this.layout.height) : 1;
    const onDemand = this.layout.crowded || this.layout.labelFontSize * scale < MIN_LABEL_PX;
    this.svg.classList.toggle('labels-on-demand', onDemand);
    if (onDemand !== this.labelsOnDemand) {
      this.labelsOnDemand = onDemand;
      this.onLabelsOnDemand?.(onDemand);
    }
  }

  /** A node or edge: hover and focus show its tooltip, blur hides it; focus also remembers it as the tab stop. */
  private wire(g: SVGGElement, showTip: () => void, remember: () => void, onKey: (ev: KeyboardEvent) => void): void {
    g.addEventListener('pointerenter', showTip);
    g.addEventListener('focus', () => {
      remember();
      showTip();
    });
    g.addEventListener('blur', () => this.hideTip());
    g.addEventListener('keydown', onKey);
  }

  private edgeKindText(e: DiagramEdge): string {
    const s = this.content.strings;
    return e.kind === 'linux' ? s.edgeKindLinux : e.kind === 'abort' ? s.edgeKindAbort : s.edgeKindRfc;
  }

  private edgeAria(e: DiagramEdge): string {
    const s = this.content.strings;
    return `${e.from} → ${e.to}. ${s.event}: ${e.event}. ${s.action}: ${e.action}. ${this.edgeKindText(e)}`;
  }

  private nodeAria(state: TcpState): string {
    const n = this.counts ? this.counts[state] : 0;
    const info = this.content.states[state];
    return `${state}, ${this.countText(n)}. ${info.summary}`;
  }

  private countText(n: number): string {
    const s = this.content.strings;
    return n === 1 ? s.oneConnection : format(s.connectionsInState, n);
  }

  setCounts(counts: StateCounts): void {
    this.counts = counts;
    for (const [state, v] of this.nodes) {
      const n = counts[state];
      if (v.count !== n) {
        v.count = n;
        v.countText.textContent = n > 9999 ? `${Math.floor(n / 1000)}k` : String(n);
        v.g.setAttribute('aria-label', this.nodeAria(state));
      }
      v.g.classList.toggle('empty', n === 0);
    }
    if (this.tipTarget instanceof SVGGElement && this.tipTarget.dataset.state) {
      const state = this.tipTarget.dataset.state as TcpState;
      if (this.nodeTipShows(state) !== this.tipShows) this.showNodeTip(state, this.tipTarget);
    }
  }

  setFilter(state: TcpState | null): void {
    this.filter = state;
    for (const [s, v] of this.nodes) {
      v.g.classList.toggle('filtered', s === state);
      v.g.setAttribute('aria-pressed', String(s === state));
    }
  }

  /**
   * States that have an insight (a CLOSE-WAIT leak...), with the insight texts for the tooltip. A shown tooltip
   * takes them at the next setCounts, which the app calls right after.
   */
  setWarnings(warnings: Map<TcpState, string[]>): void {
    this.warnings = warnings;
    this.warned = new Set(warnings.keys());
    for (const [s, v] of this.nodes) v.g.classList.toggle('warn', this.warned.has(s));
  }

  /** Highlight a connection's path (its history's states and the edges between them). */
  setPath(states: Set<TcpState>, edgeIds: Set<string>): void {
    this.pathStates = states;
    this.pathEdges = edgeIds;
    for (const [s, v] of this.nodes) v.g.classList.toggle('on-path', states.has(s));
    for (const [id, v] of this.edgeViews) {
      const on = edgeIds.has(id);
      v.g.classList.toggle('on-path', on);
    }
    this.svg.classList.toggle('has-path', edgeIds.size > 0 || states.size > 0);
  }

  nodeElement(state: TcpState): SVGGElement | undefined {
    return this.nodes.get(state)?.g;
  }

  focusNode(state: TcpState): void {
    this.focusedState = state;
    const v = this.nodes.get(state);
    if (v) moveTabStop(this.nodes.values(), v.g);
  }

  private onNodeKey(ev: KeyboardEvent, state: TcpState): void {
    const dirs: Record<string, 'up' | 'down' | 'left' | 'right'> = { ArrowUp: 'up', ArrowDown: 'down', ArrowLeft: 'left', ArrowRight: 'right' };
    let next: TcpState | null = null;
    if (dirs[ev.key]) next = neighbourInDirection(this.layout, state, dirs[ev.key]);
    else if (ev.key === 'Home') next = KEY_ORDER[0];
    else if (ev.key === 'End') next = KEY_ORDER[KEY_ORDER.length - 1];
    else if (ev.key === 'Enter' || ev.key === ' ') {
      ev.preventDefault();
      this.callbacks.activateNode(state);
      return;
    } else if (ev.key === 'Escape') {
      this.hideTip();
      return;
    } else return;
    ev.preventDefault();
    if (next) this.focusNode(next);
  }

  private onEdgeKey(ev: KeyboardEvent, index: number): void {
    const views = [...this.edgeViews.values()];
    let next = -1;
    if (ev.key === 'ArrowDown' || ev.key === 'ArrowRight') next = (index + 1) % views.length;
    else if (ev.key === 'ArrowUp' || ev.key === 'ArrowLeft') next = (index - 1 + views.length) % views.length;
    else if (ev.key === 'Home') next = 0;
    else if (ev.key === 'End') next = views.length - 1;
    else if (ev.key === 'Escape') {
      this.hideTip();
      return;
    } else return;
    ev.preventDefault();
    moveTabStop(views, views[next].g);
  }

  private showNodeTip(state: TcpState, anchor: Element): void {
    const s = this.content.strings;
    const info = this.content.states[state];
    const n = this.counts ? this.counts[state] : 0;
    const box = el('div');
    const head = el('div', 'tip-title');
    head.append(el('strong', undefined, state), el('span', 'tip-count', this.countText(n)));
    box.append(head, el('p', 'tip-summary', info.summary), el('p', 'tip-detail', info.detail));
    const dl = el('dl');
    dl.append(el('dt', undefined, s.nextActor), el('dd', 'tip-next', info.nextActor), el('dt', undefined, s.longStay), el('dd', 'tip-long', info.longStay), el('dt', undefined, s.liveCount), el('dd', 'tip-live', String(n)));
    box.append(dl);
    for (const w of this.warnings.get(state) ?? []) box.append(el('p', 'tip-warning', w));
    this.showTip(box, anchor);
    this.tipShows = this.nodeTipShows(state);
  }

  private nodeTipShows(state: TcpState): string {
    return `${this.counts ? this.counts[state] : 0}\n${(this.warnings.get(state) ?? []).join('\n')}`;
  }

  private showEdgeTip(e: DiagramEdge, anchor: Element): void {
    const s = this.content.strings;
    const box = el('div');
    const path = e.path === 'client' ? s.pathClient : e.path === 'server' ? s.pathServer : s.pathBoth;
    box.append(el('div', 'tip-title', `${e.from} → ${e.to}`));
    const dl = el('dl');
    dl.append(el('dt', undefined, s.event), el('dd', 'tip-event', e.event), el('dt', undefined, s.action), el('dd', 'tip-action', e.action));
    box.append(dl, el('p', 'tip-kind', `${this.edgeKindText(e)} · ${path}`));
    this.showTip(box, anchor);
  }

  private showTip(content: HTMLElement, anchor: Element): void {
    this.tipTarget = anchor;
    this.tooltip.replaceChildren(...content.childNodes);
    this.tooltip.hidden = false;
    // Placed in the viewport (the sidebar may show only part of the diagram), then expressed relative to the
    // diagram, which is the tooltip's containing block: below the target if it fits, else above, else on the
    // side with more room, clamped to the viewport.
    const host = this.element.getBoundingClientRect();
    const r = anchor.getBoundingClientRect();
    const vw = document.documentElement.clientWidth;
    const vh = document.documentElement.clientHeight;
    this.tooltip.style.maxWidth = `${Math.min(340, vw - 8)}px`;
    this.tooltip.style.maxHeight = `${vh - 8}px`;
    const tr = this.tooltip.getBoundingClientRect();
    const left = Math.max(4, Math.min(r.left + r.width / 2 - tr.width / 2, vw - tr.width - 4));
    const below = vh - r.bottom - 6;
    const above = r.top - 6;
    let top: number;
    if (tr.height <= below) top = r.bottom + 6;
    else if (tr.height <= above) top = r.top - 6 - tr.height;
    else top = below >= above ? Math.max(4, vh - tr.height - 4) : 4;
    this.tooltip.style.left = `${left - host.left}px`;
    this.tooltip.style.top = `${top - host.top}px`;
  }

  hideTip(): void {
    this.tipTarget = null;
    this.tooltip.hidden = true;
  }
}
