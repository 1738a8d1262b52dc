// The extension's settings from VS Code, through the typed map in src/contributions.ts: one reading of all of
// them, one setting at a time (with a language or resource scope where a setting is language-overridable), a
// handler that runs at startup and after every change, and writing a setting back.
import * as vscode from 'vscode';
import { SETTINGS, SETTINGS_SECTION, changedSettings, readSettings, settingId } from '../contributions';
import type { SettingName, SettingValue, Settings } from '../contributions';

export type { Settings, SettingName } from '../contributions';

export function currentSettings(): Settings {
  const config = vscode.workspace.getConfiguration(SETTINGS_SECTION);
  return readSettings((key) => config.get(key));
}

/** One setting, read for `scope` (a document or `{ languageId }`) where the setting is language-overridable. */
export function readSetting<K extends SettingName>(name: K, scope?: vscode.ConfigurationScope): SettingValue<K> {
  const def = SETTINGS[name];
  return def.parse(vscode.workspace.getConfiguration(SETTINGS_SECTION, scope).get(def.key)) as SettingValue<K>;
}

/** Whether a configuration change touches any of the named settings. */
export function affectsSetting(e: vscode.ConfigurationChangeEvent, ...names: SettingName[]): boolean {
  return names.some((n) => e.affectsConfiguration(settingId(n)));
}

/** Writes a setting (global unless a target is given). */
export function updateSetting<K extends SettingName>(name: K, value: SettingValue<K>, target: vscode.ConfigurationTarget = vscode.ConfigurationTarget.Global): Thenable<void> {
  return vscode.workspace.getConfiguration(SETTINGS_SECTION).update(SETTINGS[name].key, value, target);
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
