// Settings from VS Code: one handler that runs at startup and again on every change of a `tcpStateViewer.*` setting.
import * as vscode from 'vscode';
import { SETTINGS_SECTION, changedSettings, readSettings } from '../domain/settings';
import type { SettingName, Settings } from '../domain/settings';

export type { Settings, SettingName } from '../domain/settings';

export function currentSettings(): Settings {
  const config = vscode.workspace.getConfiguration(SETTINGS_SECTION);
  return readSettings((key) => config.get(key));
}

/**
 * Calls `handler` now (with every setting marked changed) and after each configuration change that alters a
 * setting's effective value, with the names that changed.
 */
export function watchSettings(handler: (settings: Settings, changed: ReadonlySet<SettingName>) => void): vscode.Disposable {
  let settings = currentSettings();
  handler(settings, new Set(Object.keys(settings) as SettingName[]));
  return vscode.workspace.onDidChangeConfiguration((e) => {
    if (!e.affectsConfiguration(SETTINGS_SECTION)) return;
    const next = currentSettings();
    const changed = changedSettings(settings, next);
    settings = next;
    if (changed.size > 0) handler(next, changed);
  });
}
