// The extension's settings as a typed map: key, default and how to read a value the user may have mistyped.
// Pure, so a unit test can hold it against package.json's contributions; src/platform/config.ts reads it from VS Code.
import type { ScopeMode } from './types';

export const SETTINGS_SECTION = 'tcpStateViewer';

export interface SettingDef<T> {
  /** Key under `tcpStateViewer.`. */
  key: string;
  default: T;
  /** The value to use for what the configuration holds: out-of-range numbers are clamped, anything else malformed falls back to the default. */
  parse(value: unknown): T;
  /** The allowed range or values, as contributed in package.json. */
  minimum?: number;
  maximum?: number;
  values?: readonly string[];
}

function numberSetting(key: string, defaultValue: number, minimum: number, maximum: number, integer = true): SettingDef<number> {
  return {
    key,
    default: defaultValue,
    minimum,
    maximum,
    parse(value) {
      if (typeof value !== 'number' || !Number.isFinite(value)) return defaultValue;
      const clamped = Math.min(maximum, Math.max(minimum, value));
      return integer ? Math.round(clamped) : clamped;
    },
  };
}

function enumSetting<T extends string>(key: string, defaultValue: T, values: readonly T[]): SettingDef<T> {
  return {
    key,
    default: defaultValue,
    values,
    parse: (value) => (typeof value === 'string' && (values as readonly string[]).includes(value) ? (value as T) : defaultValue),
  };
}

function stringSetting(key: string, defaultValue: string): SettingDef<string> {
  return {
    key,
    default: defaultValue,
    parse: (value) => (typeof value === 'string' && value.trim() !== '' ? value.trim() : defaultValue),
  };
}

export const SETTINGS = {
  backend: enumSetting('backend', 'auto', ['auto', 'proc', 'ss'] as const),
  ssPath: stringSetting('ssPath', 'ss'),
  scope: enumSetting<ScopeMode>('scope', 'workspace', ['workspace', 'all']),
  sampleIntervalMs: numberSetting('sampleIntervalMs', 1000, 200, 60_000),
  closedRetentionSeconds: numberSetting('closedRetentionSeconds', 10, 0, 3600),
  maxClosedConnections: numberSetting('maxClosedConnections', 500, 0, 100_000),
  closeWaitSeconds: numberSetting('insights.closeWaitSeconds', 30, 1, 86_400),
  timeWaitPerEndpoint: numberSetting('insights.timeWaitPerEndpoint', 200, 1, 1_000_000),
  synSentSeconds: numberSetting('insights.synSentSeconds', 5, 1, 3600),
} as const;

export type SettingName = keyof typeof SETTINGS;
export type Settings = { [K in SettingName]: (typeof SETTINGS)[K] extends SettingDef<infer T> ? T : never };

/** Reads every setting through `get` (VS Code's `WorkspaceConfiguration.get`, or a plain object in tests). */
export function readSettings(get: (key: string) => unknown): Settings {
  const out: Partial<Record<SettingName, unknown>> = {};
  for (const name of Object.keys(SETTINGS) as SettingName[]) {
    const def: SettingDef<unknown> = SETTINGS[name];
    out[name] = def.parse(get(def.key));
  }
  return out as Settings;
}

/** Names of the settings whose values differ between two readings. */
export function changedSettings(before: Settings, after: Settings): Set<SettingName> {
  const changed = new Set<SettingName>();
  for (const name of Object.keys(SETTINGS) as SettingName[]) {
    if (before[name] !== after[name]) changed.add(name);
  }
  return changed;
}
