// The connections list beside (or under) the diagram: the search field and the state-filter chip above it, one
// row per connection that passes them, and the keyboard: a listbox with an active row (aria-activedescendant)
// moved by the arrows, Home and End, chosen with Enter or Space, and Escape to close the ladder.
import type { ConnectionId } from '../src/domain/types';
import { formatEndpoint } from '../src/domain/types';
import { rowLabel } from '../src/domain/treeModel';
import { type WebviewStrings } from '../src/shared/protocol';
import { el } from './dom';
import type { Store } from './store';
import { format, formatDuration } from '../src/domain/format';
import { placeText } from './place';

/** Rows the list renders at most; the rest are counted ("and 1,234 more"). Search narrows them. */
const MAX_ROWS = 200;

export interface ListCallbacks {
  /** A row was clicked, or chosen with Enter or Space. */
  select(id: ConnectionId): void;
  /** Escape in the list: no connection selected. */
  unselect(): void;
  /** The search text changed (the store holds the new text). */
  searched(): void;
  /** The filter chip was clicked. */
  clearFilter(): void;
}

type TextField = HTMLElement & { value: string; label: string; placeholder: string };

export class ConnectionList {
  /** The search field and the filter chip, to place above the list. */
  readonly toolbar: HTMLElement;
  readonly element: HTMLElement;
  private readonly searchField: TextField;
  private readonly filterChip: HTMLElement;
  private activeRow = -1;
  private rowIds: ConnectionId[] = [];

  constructor(
    private readonly store: Store,
    s: WebviewStrings,
    private readonly callbacks: ListCallbacks,
  ) {
    this.toolbar = el('div', 'list-toolbar');
    this.searchField = document.createElement('vscode-textfield') as TextField;
    this.searchField.className = 'search';
    this.searchField.placeholder = s.searchPlaceholder;
    this.searchField.label = s.searchPlaceholder;
    this.searchField.value = store.search;
    this.searchField.addEventListener('input', () => {
      this.store.search = this.searchField.value;
      this.callbacks.searched();
    });
    this.filterChip = el('button', 'filter-chip');
    this.filterChip.hidden = true;
    this.filterChip.addEventListener('click', () => this.callbacks.clearFilter());
    this.toolbar.append(this.searchField, this.filterChip);

    this.element = el('div', 'conn-list');
    this.element.setAttribute('role', 'listbox');
    this.element.setAttribute('aria-label', s.connectionsLabel);
    this.element.tabIndex = 0;
    this.element.addEventListener('keydown', (ev) => this.onKey(ev));
    this.element.addEventListener('click', (ev) => {
      const row = (ev.target as HTMLElement).closest<HTMLElement>('[data-id]');
      if (row?.dataset.id) this.callbacks.select(row.dataset.id);
    });
  }

  /** Shows the store's state filter on the chip (hidden without one). */
  showFilter(): void {
    const full = this.store.state;
    if (!full) return;
    const s = full.strings;
    const state = this.store.filter;
    this.filterChip.hidden = state === null;
    this.filterChip.textContent = state ? `${format(s.filterByState, state)} ✕` : '';
    this.filterChip.title = s.clearFilter;
    this.filterChip.setAttribute('aria-label', `${state ? format(s.filterByState, state) : ''}. ${s.clearFilter}`);
  }

  /** Scrolls a connection's row into view, if it is drawn. */
  reveal(id: ConnectionId): void {
    this.element.querySelector<HTMLElement>(`[data-id="${CSS.escape(id)}"]`)?.scrollIntoView({ block: 'nearest' });
  }

  /** Redraws the rows (ages move with the clock). Leaves the scroll position where the user put it. */
  render(): void {
    const full = this.store.state;
    if (!full) return;
    const s = full.strings;
    const now = this.store.now();
    const selected = this.store.selected;
    const list = this.store.matching();
    const shown = list.slice(0, MAX_ROWS);
    if (selected && !shown.some((c) => c.id === selected)) {
      const sel = this.store.connections.get(selected);
      if (sel) shown.unshift(sel);
    }
    this.rowIds = shown.map((c) => c.id);
    const frag = document.createDocumentFragment();
    shown.forEach((c, i) => {
      const row = el('div', `conn-row state-${c.state}${c.closedAt !== null ? ' closed' : ''}`);
      row.id = `conn-${i}`;
      row.dataset.id = c.id;
      row.setAttribute('role', 'option');
      const isSel = c.id === selected;
      row.setAttribute('aria-selected', String(isSel));
      if (isSel) row.classList.add('selected');
      const since = c.history.length ? c.history[c.history.length - 1].since : c.openedAt;
      const role = c.role === 'client' ? s.roleClient : c.role === 'server' ? s.roleServer : s.roleListener;
      const place = placeText(c, s);
      // Another user's container hides its owner: where the socket is says whose it is.
      const owner = c.owner ? `${c.owner.command} (${c.owner.pid})` : place !== '' ? '' : s.unknownProcess;
      // As the Connections tree words a row (`:7321 → :35726` when both ends share an address): the ports first,
      // so a narrow list still shows them; both ends whole in the tooltip and for screen readers.
      const ends = `${formatEndpoint(c.local)} → ${formatEndpoint(c.remote)}`;
      const age = formatDuration(now - since, s.units);
      const meta = [role, owner, place, age].filter((x) => x !== '');
      row.append(el('span', 'pill', c.state), el('span', 'endpoints', rowLabel(c)), el('span', 'meta', meta.join(' · ')));
      row.title = ends;
      row.setAttribute('aria-label', [c.state, ends, ...meta].join(', '));
      frag.append(row);
    });
    if (shown.length === 0) frag.append(el('div', 'empty-note', s.noConnections));
    if (list.length > MAX_ROWS) frag.append(el('div', 'more-note', format(s.moreConnections, list.length - MAX_ROWS)));
    this.element.replaceChildren(frag);
    if (this.activeRow >= this.rowIds.length) this.activeRow = this.rowIds.length - 1;
    this.updateActiveRow();
  }

  private onKey(ev: KeyboardEvent): void {
    if (!this.rowIds.length) return;
    if (ev.key === 'ArrowDown') this.activeRow = Math.min(this.rowIds.length - 1, this.activeRow + 1);
    else if (ev.key === 'ArrowUp') this.activeRow = Math.max(0, this.activeRow - 1);
    else if (ev.key === 'Home') this.activeRow = 0;
    else if (ev.key === 'End') this.activeRow = this.rowIds.length - 1;
    else if (ev.key === 'Enter' || ev.key === ' ') {
      if (this.activeRow >= 0) this.callbacks.select(this.rowIds[this.activeRow]);
    } else if (ev.key === 'Escape') {
      this.callbacks.unselect();
    } else return;
    ev.preventDefault();
    // Scrolled here only: a redraw must not pull the list back from where the user scrolled it.
    this.updateActiveRow()?.scrollIntoView({ block: 'nearest' });
  }

  /** Marks the active row; returns it. */
  private updateActiveRow(): HTMLElement | undefined {
    const rows = this.element.querySelectorAll<HTMLElement>('.conn-row');
    rows.forEach((r, i) => r.classList.toggle('active', i === this.activeRow));
    const active = this.activeRow >= 0 ? rows[this.activeRow] : undefined;
    if (active) this.element.setAttribute('aria-activedescendant', active.id);
    else this.element.removeAttribute('aria-activedescendant');
    return active;
  }
}
