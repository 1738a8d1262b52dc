// Entry of the state-diagram webview (dist/webview.js + dist/webview.css). Only the vscode-elements this UI
// uses are imported, so the bundle carries those and Lit, not the whole library.
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-textfield/index.js';
import './main.css';
import { parseHostMessage } from '../src/shared/protocol';
import { App } from './app';
import { post } from './vscodeApi';

const root = document.getElementById('app');
if (root) {
  const app = new App(root);
  window.addEventListener('message', (ev: MessageEvent<unknown>) => {
    const msg = parseHostMessage(ev.data);
    if (!msg) return;
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
