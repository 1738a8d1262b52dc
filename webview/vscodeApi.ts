// The webview's side of the channel: a typed postMessage (only declared messages can be sent) and the
// persisted view state. `acquireVsCodeApi` may be called once per page, so it is wrapped here.
import type { Selection, WebviewMessage } from '../src/shared/protocol';

/** What survives the webview being hidden and shown again (VS Code keeps it per view). */
export interface PersistedState {
  selection: Selection | null;
  search: string;
}

interface VsCodeApi {
  postMessage(message: WebviewMessage): void;
  getState(): unknown;
  setState(state: PersistedState): void;
}

declare function acquireVsCodeApi(): VsCodeApi;

const api: VsCodeApi = acquireVsCodeApi();

export function post(message: WebviewMessage): void {
  api.postMessage(message);
}

export function loadState(): PersistedState {
  const s = api.getState();
  if (typeof s === 'object' && s !== null) {
    const r = s as Partial<PersistedState>;
    return { selection: r.selection ?? null, search: typeof r.search === 'string' ? r.search : '' };
  }
  return { selection: null, search: '' };
}

export function saveState(state: PersistedState): void {
  api.setState(state);
}
