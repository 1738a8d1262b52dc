// The webview's side of the channel: a typed postMessage (only declared messages can be sent) and the
// persisted view state. `acquireVsCodeApi` may be called once per page, so it is wrapped here.
import type { TcpState } from '../src/domain/types';
import { isTcpState, type Selection, type WebviewMessage } from '../src/shared/protocol';

/**
 * What survives the webview being hidden and shown again, and the editor panel a window reload (VS Code keeps
 * it per view, and hands it to the panel's serializer).
 */
export interface PersistedState {
  /** The selected connection, or (as before the filter was kept on its own) a state to filter by. */
  selection: Selection | null;
  /** The state the list is narrowed to. */
  filter: TcpState | null;
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
    return { selection: r.selection ?? null, filter: typeof r.filter === 'string' && isTcpState(r.filter) ? r.filter : null, search: typeof r.search === 'string' ? r.search : '' };
  }
  return { selection: null, filter: null, search: '' };
}

export function saveState(state: PersistedState): void {
  api.setState(state);
}
