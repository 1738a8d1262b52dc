// The bar above the diagram: the pause button (it asks the host; the host's status message sets it), the status
// line (paused, or the sampler's error) and the legend of the figure's line styles.
import type { WebviewStrings } from '../src/shared/protocol';
import { el } from './dom';

export class Toolbar {
  readonly element: HTMLElement;
  private readonly pauseButton: HTMLElement;
  private readonly statusLine: HTMLElement;

  constructor(s: WebviewStrings, onPauseClick: () => void) {
    this.element = el('div', 'toolbar');
    this.pauseButton = document.createElement('vscode-button');
    this.pauseButton.setAttribute('secondary', '');
    this.pauseButton.className = 'pause';
    this.pauseButton.addEventListener('click', onPauseClick);
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
    this.element.append(this.pauseButton, this.statusLine, legend);
  }

  setStatus(paused: boolean, error: string | null, s: WebviewStrings): void {
    this.pauseButton.textContent = paused ? s.resume : s.pause;
    this.pauseButton.setAttribute('aria-pressed', String(paused));
    this.statusLine.textContent = error ?? (paused ? s.paused : '');
    this.statusLine.classList.toggle('error', error !== null);
  }
}
