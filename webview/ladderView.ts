// The ladder panel under the list: the selected connection's two lanes, its states down the page with their
// times, and the segments between them (rows computed by ladder.ts). The header with the close button is built
// once; only the body is redrawn, so a keyboard user focused on ✕ keeps the focus through the refreshes.
import type { Connection } from '../src/domain/types';
import { formatEndpoint } from '../src/domain/types';
import { type WebviewStrings } from '../src/shared/protocol';
import { el } from './dom';
import type { LadderRow } from './ladder';
import { clock, format, formatDuration } from '../src/domain/format';
import { placeText } from './place';

export class LadderView {
  readonly element: HTMLElement;
  /** The lanes, rows and note: the part redrawn. */
  private readonly body: HTMLElement;

  constructor(s: WebviewStrings, onClose: () => void) {
    this.element = el('section', 'ladder');
    this.element.hidden = true;
    const head = el('div', 'ladder-head');
    const close = el('button', 'ladder-close', '✕');
    close.title = s.closeLadder;
    close.setAttribute('aria-label', s.closeLadder);
    close.addEventListener('click', onClose);
    head.append(el('h2', 'ladder-title', s.ladderTitle), close);
    this.body = el('div', 'ladder-body');
    this.element.append(head, this.body);
  }

  hide(): void {
    this.element.hidden = true;
  }

  /** Draws `c`'s ladder from its rows; `peer` is the other end when it is one of ours. `now`: the host's clock. */
  show(c: Connection, peer: Connection | undefined, rows: readonly LadderRow[], now: number, s: WebviewStrings): void {
    const lanes = el('div', 'ladder-lanes');
    const place = placeText(c, s);
    const owner = c.owner ? `${c.owner.command} (${c.owner.pid})` : place !== '' ? '' : s.unknownProcess;
    // The place is the local socket's: the remote end may be anywhere (the peer's owner is named only when it is ours).
    lanes.append(
      el('div', 'lane-head local', [`${s.ladderLocal} ${formatEndpoint(c.local)}`, owner, place].filter((x) => x !== '').join(' · ')),
      el('div', 'lane-head remote', `${s.ladderRemote} ${formatEndpoint(c.remote)}${peer?.owner ? ` · ${peer.owner.command} (${peer.owner.pid})` : ''}`),
    );
    const list = el('ol', 'ladder-rows');
    list.setAttribute('aria-label', s.ladderTitle);
    for (const r of rows) list.append(this.row(r, now, s));
    const note = el('p', 'ladder-note', s.reconstructedNote);
    this.body.replaceChildren(lanes, list, note);
    this.element.hidden = false;
  }

  private row(r: LadderRow, now: number, s: WebviewStrings): HTMLElement {
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
