// Wiring only: each feature module registers itself; the modules own their disposables.
import * as vscode from 'vscode';
import { registerDiagramView } from './views/diagram/diagramView';
import { registerHover } from './editor/hover';
import { createLog } from './platform/log';
import { registerCommand } from './platform/commands';
import { createTcpModel } from './model/model';
import { registerStatusBar } from './views/statusBar';
import { registerConnectionsTree } from './views/tree/treeCommands';
import type { TcpModelApi } from './model/modelApi';
import { registerSnapshotCommands } from './snapshots/snapshotCommands';
import { registerTerminalLinks } from './editor/terminalLinks';
import { stopAllChildren } from './sampling/childProcesses';
import { showPlatformNotice } from './views/platformNotice';

/** What activate() returns: used by the extension tests. */
export interface ExtensionApi {
  /** ms from the start of activate() to every view and command registered. */
  activationMs: number;
  /** The live model every view reads. */
  model: TcpModelApi;
  /** The Connections tree, for the extension tests (read what the view shows, set grouping and filter). */
  connectionsTree: ReturnType<typeof registerConnectionsTree>;
}

export function activate(context: vscode.ExtensionContext): ExtensionApi {
  const started = performance.now();
  const log = createLog(context);

  context.subscriptions.push(
    registerCommand('showLog', () => log.show(true)),
  );

  // FEATURE REGISTRATIONS (one line per module, keep in this block)
  const model = createTcpModel(context, log);
  context.subscriptions.push(model);
  const connectionsTree = registerConnectionsTree(context, model, log);
  registerStatusBar(context, model);
  registerDiagramView(context, model, log);
  registerSnapshotCommands(context, model, log);
  registerHover(context, model, log);
  registerTerminalLinks(context, log);
  showPlatformNotice(context.globalState, log);

  const activationMs = performance.now() - started;
  log.info(`activated in ${activationMs.toFixed(1)} ms`);
  return { activationMs, model, connectionsTree };
}

export function deactivate(): Promise<void> {
  // Everything else is disposed through context.subscriptions (the model stops its worker's ss runs). What is left
  // is ss started on this thread (tcp_info): its process groups are stopped, SIGKILL after a short grace.
  return stopAllChildren();
}
