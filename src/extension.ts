// Wiring only: each feature module registers itself; the modules own their disposables.
import * as vscode from 'vscode';
import { createLog } from './log';

/** What activate() returns: used by the extension tests. */
export interface ExtensionApi {
  /** ms from the start of activate() to every view and command registered. */
  activationMs: number;
}

export function activate(context: vscode.ExtensionContext): ExtensionApi {
  const started = performance.now();
  const log = createLog(context);

  context.subscriptions.push(
    vscode.commands.registerCommand('tcpStateViewer.showLog', () => log.show(true)),
  );

  // FEATURE REGISTRATIONS (one line per module, keep in this block)

  const activationMs = performance.now() - started;
  log.info(`activated in ${activationMs.toFixed(1)} ms`);
  return { activationMs };
}

export function deactivate(): void {
  // Everything is disposed through context.subscriptions.
}
