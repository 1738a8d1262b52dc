// Wiring only: each feature module registers itself; the modules own their disposables.
import * as vscode from 'vscode';
import { createLog } from './log';

export function activate(context: vscode.ExtensionContext): void {
  const started = performance.now();
  const log = createLog(context);

  context.subscriptions.push(
    vscode.commands.registerCommand('tcpStateViewer.showLog', () => log.show(true)),
  );

  // FEATURE REGISTRATIONS (one line per module, keep in this block)

  log.info(`activated in ${(performance.now() - started).toFixed(1)} ms`);
}

export function deactivate(): void {
  // Everything is disposed through context.subscriptions.
}
