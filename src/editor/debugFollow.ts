// Following the debugger: when a debug session starts, the Connections view comes into sight (without taking the
// keyboard focus from the editor or the debug console), so the debuggee's sockets show up as it opens them. The
// debuggee joining the scope, and its lingering sockets after it exits, are the model's work (scopeRoots.ts).
import * as vscode from 'vscode';
import type { TreeNode } from '../domain/treeModel';
import { readSetting } from '../platform/config';
import { focusView } from '../platform/commands';
import type { ConnectionsTree } from '../views/tree/connectionsTree';

type RevealOptions = { select?: boolean; focus?: boolean; expand?: boolean | number };

/**
 * Shows the view without focusing it. `TreeView.reveal` opens a hidden view and takes `focus: false`; VS Code's
 * extension host also accepts `undefined` as the element (it then only opens the view), which the typings
 * do not declare. Falls back to the view's focus command where that is refused.
 */
export async function showConnectionsView(tree: ConnectionsTree, log: vscode.LogOutputChannel): Promise<void> {
  const reveal = tree.treeView.reveal.bind(tree.treeView) as (element: TreeNode | undefined, options: RevealOptions) => Thenable<void>;
  try {
    await reveal(tree.roots[0], { select: false, focus: false, expand: false });
  } catch (e) {
    log.debug(`reveal without focus failed (${e instanceof Error ? e.message : String(e)}); focusing the view`);
    await focusView('connections');
  }
}

export function registerDebugFollow(context: vscode.ExtensionContext, tree: ConnectionsTree, log: vscode.LogOutputChannel): void {
  context.subscriptions.push(
    vscode.debug.onDidStartDebugSession((session) => {
      // js-debug starts a child session per debuggee process: reveal once, for the session the user started.
      if (session.parentSession !== undefined || !readSetting('revealOnDebug') || tree.treeView.visible) return;
      log.info(`debug session '${session.name}' started: revealing the Connections view`);
      void showConnectionsView(tree, log);
    }),
  );
}
