// Entry of the state-diagram webview (dist/webview.js + dist/webview.css). Only the vscode-elements this UI
// uses are imported, so the bundle carries those and Lit, not the whole library.
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-textfield/index.js';
import './main.css';
import { HOST_MESSAGE_TYPES, parseHostMessage } from '../src/shared/protocol';
import { App } from './app';
import { post } from './vscodeApi';

const root = document.getElementById('app');
if (root) {
  const app = new App(root);
  window.addEventListener('message', (ev: MessageEvent<unknown>) => {
    const msg = parseHostMessage(ev.data);
    if (!msg) {
      // A message from the host that claims a known type but does not have its shape is a host bug worth a
      // line in the extension's log; anything else (other frames, tools) is ignored quietly.
      const type = typeof ev.data === 'object' && ev.data !== null ? (ev.data as { type?: unknown }).type : undefined;
      if (typeof type === 'string' && (HOST_MESSAGE_TYPES as readonly string[]).includes(type)) post({ type: 'error', message: `ignored a malformed '${type}' message from the host` });
      return;
    }
    try {
      app.handle(msg);
    } catch (err) {
      post({ type: 'error', message: String(err instanceof Error ? (err.stack ?? err.message) : err).slice(0, 2000) });
    }
  });
  window.addEventListener('error', (ev) => post({ type: 'error', message: String(ev.message).slice(0, 2000) }));
  // The host answers with the full state; nothing is drawn before it (strings come from the host).
  post({ type: 'ready' });
}
