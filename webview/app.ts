// The webview's parts wired together: the store (the host's model and the user's choices), the toolbar, the
// diagram with its token animator, the connections list and the selected connection's ladder. Host messages
// arrive already validated (main.ts); App applies them to the store and tells each part what to redraw.
import type { ModelUpdate, TcpState, TrackerEvent } from '../src/domain/types';
import type { FullState, HostMessage, Selection, WebviewStrings } from '../src/shared/protocol';
import { Animator } from './animator';
import { DiagramView } from './diagram';
import { el } from './dom';
import { findPeer, ladderRows } from './ladder';
import { LadderView } from './ladderView';
import { ConnectionList } from './list';
import { RoutePlanner } from './routes';
import { Store } from './store';
import { Toolbar } from './toolbar';
import { loadState, post, saveState } from './vscodeApi';

/** The list and ladder are redrawn once per period: ages move with the clock, and updates received meanwhile show. */
const LIST_REFRESH_MS = 1000;
/** Below this width the diagram takes the portrait layout and the list goes under it. */
const NARROW_PX = 640;
/** The narrow figure's least height: in a very short view the page scrolls rather than shrinking it further. */
const MIN_NARROW_FIGURE_PX = 300;

const reducedMotionQuery = window.matchMedia('(prefers-reduced-motion: reduce)');
let prefersReducedMotion = reducedMotionQuery.matches;
reducedMotionQuery.addEventListener('change', (e) => {
  prefersReducedMotion = e.matches;
});

/** The parts of the page, built when the first `init` brings the strings. */
interface Parts {
  toolbar: Toolbar;
  list: ConnectionList;
  ladder: LadderView;
  diagram: DiagramView;
  animator: Animator;
  routes: RoutePlanner;
}

export class App {
  private readonly persisted = loadState();
  private readonly store = new Store(this.persisted.search);
  private parts: Parts | null = null;
  private paused = false;
  /** Updates arrived since the list was drawn (the next tick draws it even when paused or hidden). */
  private listDirty = false;

  constructor(private readonly root: HTMLElement) {
    new ResizeObserver(() => this.applyWidth()).observe(root);
    // In the narrow layout the page scrolls (the list is under the figure), so the root's size does not follow
    // the window's height: the figure's height does.
    window.addEventListener('resize', () => this.applyWidth());
    window.setInterval(() => this.tick(), LIST_REFRESH_MS);
  }

  handle(msg: HostMessage): void {
    switch (msg.type) {
      case 'init':
        this.init(msg.state);
        break;
      case 'update':
        if (this.parts) this.applyUpdate(msg.update);
        break;
      case 'status':
        this.setStatus(msg.paused, msg.error);
        break;
      case 'select':
        if (this.parts) this.select(msg.selection);
        break;
    }
  }

  private init(state: FullState): void {
    this.store.init(state);
    document.documentElement.lang = state.locale;
    const content = { strings: state.strings, states: state.states, edges: state.edges };
    const first = !this.parts;
    if (!this.parts) {
      this.parts = this.build(state.strings, new DiagramView(content, { activateNode: (s) => this.toggleFilter(s) }));
      this.applyWidth();
    } else {
      this.parts.animator.clear();
      this.parts.diagram.setContent(content);
    }
    // Warnings first: setCounts refreshes a shown tooltip, which then has this update's warnings.
    this.parts.diagram.setWarnings(this.store.warnings());
    this.parts.diagram.setCounts(this.store.counts);
    this.setStatus(state.paused, state.error);
    // The host's request first (Show in State Diagram); else, on the page's first init, what it kept before it
    // was hidden or the window reloaded: the filter, then the selected connection within it.
    if (state.selection) this.select(state.selection);
    else if (first) {
      const kept = this.persisted;
      if (kept.filter) this.setFilter(kept.filter);
      if (kept.selection) this.select(kept.selection);
      else this.render();
    } else this.render();
  }

  /** The fixed frame of the page (toolbar; diagram pane; list pane with search and ladder) around `diagram`. */
  private build(s: WebviewStrings, diagram: DiagramView): Parts {
    this.root.replaceChildren();
    const toolbar = new Toolbar(s, () => post({ type: 'setPaused', paused: !this.paused }));
    const list = new ConnectionList(this.store, s, {
      select: (id) => this.select({ kind: 'connection', id }),
      unselect: () => this.unselect(),
      searched: () => {
        this.persist();
        this.render();
      },
      clearFilter: () => this.setFilter(null),
    });
    const ladder = new LadderView(s, () => this.unselect());

    const main = el('div', 'main');
    const diagramPane = el('section', 'diagram-pane');
    const onDemandHint = el('p', 'hint labels-hint', s.edgeLabelsOnDemand);
    onDemandHint.hidden = !diagram.edgeLabelsOnDemand;
    diagram.onLabelsOnDemand = (onDemand) => (onDemandHint.hidden = !onDemand);
    diagramPane.append(diagram.element, onDemandHint, el('p', 'hint', s.keyboardHint));
    const side = el('section', 'side-pane');
    side.setAttribute('aria-label', s.connectionsLabel);
    side.append(list.toolbar, list.element, ladder.element);
    main.append(diagramPane, side);
    this.root.append(toolbar.element, main);

    const animator = new Animator(diagram.tokenCanvas, {
      reducedMotion: () => (this.store.state?.reducedMotion ?? false) || prefersReducedMotion,
      highContrast: () => document.body.classList.contains('vscode-high-contrast') || document.body.classList.contains('vscode-high-contrast-light'),
    });
    animator.setViewBox(diagram.geometry.width, diagram.geometry.height);
    diagram.onRelayout = (layout) => animator.setViewBox(layout.width, layout.height);
    new ResizeObserver(() => animator.resize()).observe(diagram.svg);
    // VS Code switches theme by changing the body's class and the variables on <html>.
    const themeWatch = new MutationObserver(() => animator.readPalette());
    themeWatch.observe(document.body, { attributes: true, attributeFilter: ['class'] });
    themeWatch.observe(document.documentElement, { attributes: true, attributeFilter: ['style'] });
    return { toolbar, list, ladder, diagram, animator, routes: new RoutePlanner(this.store, diagram) };
  }

  private applyWidth(): void {
    const narrow = this.root.clientWidth < NARROW_PX;
    this.root.classList.toggle('narrow', narrow);
    this.root.classList.toggle('wide', !narrow);
    const diagram = this.parts?.diagram;
    if (!diagram) return;
    if (narrow) {
      // The figure gets the window's height below the toolbar (less its hints), so it is seen whole without
      // scrolling; the list follows under it.
      const pane = diagram.element.parentElement;
      const top = diagram.element.getBoundingClientRect().top + window.scrollY;
      let hints = 0;
      for (const h of pane?.querySelectorAll<HTMLElement>('.hint') ?? []) if (!h.hidden) hints += h.offsetHeight + 2;
      this.root.style.setProperty('--figure-height', `${Math.max(MIN_NARROW_FIGURE_PX, Math.floor(window.innerHeight - top - hints - 10))}px`);
    }
    diagram.setMode(narrow ? 'narrow' : 'wide');
    diagram.fitBox();
  }

  private setStatus(paused: boolean, error: string | null): void {
    const full = this.store.state;
    if (!full || !this.parts) return;
    this.paused = paused;
    this.parts.toolbar.setStatus(paused, error, full.strings);
    this.root.classList.toggle('paused', paused);
    this.parts.animator.setPaused(paused);
  }

  private applyUpdate(u: ModelUpdate): void {
    const p = this.parts;
    if (!p) return;
    this.store.applyUpdate(u);
    if (u.reset) p.animator.clear();
    p.diagram.setWarnings(this.store.warnings());
    p.diagram.setCounts(this.store.counts);
    if (!u.reset) this.animate(u.events);
    this.listDirty = true;
  }

  private animate(events: readonly TrackerEvent[]): void {
    const p = this.parts;
    if (!p || this.paused) return;
    for (const { route, count } of p.routes.routes(events)) p.animator.enqueue(route, count);
  }

  // ---- filter, search, selection ------------------------------------------------------------------------------

  private toggleFilter(state: TcpState): void {
    this.setFilter(this.store.filter === state ? null : state);
  }

  private setFilter(state: TcpState | null): void {
    this.store.filter = state;
    this.parts?.diagram.setFilter(state);
    this.parts?.list.showFilter();
    this.persist();
    this.render();
  }

  private select(sel: Selection): void {
    if (sel.kind === 'state') {
      this.store.selected = null;
      this.setFilter(sel.state);
      this.parts?.diagram.focusNode(sel.state);
    } else {
      this.store.selected = sel.id;
      this.render();
      this.parts?.list.reveal(sel.id);
    }
    this.persist();
  }

  private unselect(): void {
    this.store.selected = null;
    this.persist();
    this.render();
  }

  private persist(): void {
    saveState(this.store.persisted());
  }

  private tick(): void {
    if (!this.store.state) return;
    // Ages and the current state's duration move with the clock; updates are drawn even when paused or hidden.
    if (this.listDirty || (!this.paused && document.visibilityState === 'visible')) this.render();
  }

  /** Redraws the list and the ladder, and the selected connection's path on the diagram. */
  private render(): void {
    const p = this.parts;
    if (!p) return;
    this.listDirty = false;
    p.list.render();
    const c = this.store.selectedConnection();
    if (!c) {
      p.ladder.hide();
      p.diagram.setPath(new Set(), new Set());
      return;
    }
    const full = this.store.state;
    if (!full) return;
    const peer = findPeer(c, this.store.connections.values());
    const rows = ladderRows(c, full.edges, peer);
    // The connection's path on the diagram.
    const pathStates = new Set<TcpState>();
    const pathEdges = new Set<string>();
    let prev: TcpState | null = null;
    for (const r of rows) {
      if (r.kind !== 'state' || r.lane !== 'local') continue;
      pathStates.add(r.state);
      if (prev && prev !== r.state) {
        const g = p.routes.edgeFor(prev, r.state);
        if (g) pathEdges.add(g.id);
      }
      prev = r.state;
    }
    p.diagram.setPath(pathStates, pathEdges);
    p.ladder.show(c, peer, rows, this.store.now(), full.strings);
  }
}
