// Wiring only: each feature module registers itself; the modules own their disposables.
import * as vscode from 'vscode';
import { registerDiagramView } from './diagramView';
import { createLog } from './log';
import { createTcpModel } from './model';
import type { TcpModelApi } from './modelApi';

/** What activate() returns: used by the extension tests. */
export interface ExtensionApi {
  /** ms from the start of activate() to every view and command registered. */
  activationMs: number;
  /** The live model every view reads. */
  model: TcpModelApi;
}

export function activate(context: vscode.ExtensionContext): ExtensionApi {
  const started = performance.now();
  const log = createLog(context);

  context.subscriptions.push(
    vscode.commands.registerCommand('tcpStateViewer.showLog', () => log.show(true)),
  );

  // FEATURE REGISTRATIONS (one line per module, keep in this block)
  const model = createTcpModel(context, log);
  context.subscriptions.push(model);
  registerDiagramView(context, model, log);

  const activationMs = performance.now() - started;
  log.info(`activated in ${activationMs.toFixed(1)} ms`);
  return { activationMs, model };
}

export function deactivate(): void {
  // Everything is disposed through context.subscriptions.
}
