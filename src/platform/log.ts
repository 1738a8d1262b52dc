import * as vscode from 'vscode';

/** The extension's log: an output channel with levels (Developer: Set Log Level applies). */
export function createLog(context: vscode.ExtensionContext): vscode.LogOutputChannel {
  const log = vscode.window.createOutputChannel('TCP State Viewer', { log: true });
  context.subscriptions.push(log);
  return log;
}
