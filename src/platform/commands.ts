// Commands, views and context keys through the typed maps of src/contributions.ts: a command is registered and
// run by its name with the arguments its entry declares, and a context key takes only its declared value type.
import * as vscode from 'vscode';
import { COMMANDS, CONTEXT_KEYS, VIEWS } from '../contributions';
import type { CommandArgs, CommandName, ContextKeyName, ContextValues, ViewName } from '../contributions';

export function registerCommand<K extends CommandName>(name: K, handler: (...args: CommandArgs[K]) => unknown): vscode.Disposable {
  return vscode.commands.registerCommand(COMMANDS[name], handler as (...args: unknown[]) => unknown);
}

export function executeCommand<K extends CommandName>(name: K, ...args: CommandArgs[K]): Thenable<unknown> {
  return vscode.commands.executeCommand(COMMANDS[name], ...args);
}

/** Opens a view (and its container) and gives it the focus. */
export function focusView(view: ViewName): Thenable<unknown> {
  return vscode.commands.executeCommand(`${VIEWS[view]}.focus`);
}

const contextValues = new Map<ContextKeyName, unknown>();

/**
 * Sets a context key for `when` clauses. Each set is a message to the main process and the views update every
 * second, so a value equal to the one last set is not sent again.
 */
export function setContext<K extends ContextKeyName>(key: K, value: ContextValues[K]): void {
  if (contextValues.has(key) && contextValues.get(key) === value) return;
  contextValues.set(key, value);
  void vscode.commands.executeCommand('setContext', CONTEXT_KEYS[key], value);
}
