// What the extension contributes in package.json, as typed maps: commands with the arguments they take, views,
// context keys with their value types, colours, and every setting with its default and how a mistyped value is
// read. Code names a command, view, key or setting through these maps only (src/platform wraps the VS Code calls
// with these types), and test/unit/contributions.test.ts holds the maps and package.json to each other.
// Pure: the unit tier and the CLI import it without VS Code.
import type { GroupBy } from './domain/treeModel';
import type { BackendSetting, ScopeMode, TcpState } from './domain/types';

export const EXTENSION_PREFIX = 'tcpStateViewer';

/** Command ids, by the name the code uses. */
export const COMMANDS = {
  openDiagram: 'tcpStateViewer.openDiagram',
  showInDiagram: 'tcpStateViewer.showInDiagram',
  revealInDiagram: 'tcpStateViewer.revealInDiagram',
  showLog: 'tcpStateViewer.showLog',
  showAllSockets: 'tcpStateViewer.showAllSockets',
  showWorkspaceSockets: 'tcpStateViewer.showWorkspaceSockets',
  groupBy: 'tcpStateViewer.groupBy',
  filter: 'tcpStateViewer.filter',
  editFilter: 'tcpStateViewer.editFilter',
  clearFilter: 'tcpStateViewer.clearFilter',
  pause: 'tcpStateViewer.pause',
  resume: 'tcpStateViewer.resume',
  showEmptyStates: 'tcpStateViewer.showEmptyStates',
  hideEmptyStates: 'tcpStateViewer.hideEmptyStates',
  copyConnection: 'tcpStateViewer.copyConnection',
  copySsFilter: 'tcpStateViewer.copySsFilter',
  showTcpInfo: 'tcpStateViewer.showTcpInfo',
  killProcess: 'tcpStateViewer.killProcess',
  takeSnapshot: 'tcpStateViewer.takeSnapshot',
  takeSnapshotJson: 'tcpStateViewer.takeSnapshotJson',
  compareSnapshots: 'tcpStateViewer.compareSnapshots',
  saveSnapshotAs: 'tcpStateViewer.saveSnapshotAs',
  showState: 'tcpStateViewer.showState',
  showInsight: 'tcpStateViewer.showInsight',
  showDebuggerSockets: 'tcpStateViewer.showDebuggerSockets',
  hideDebuggerSockets: 'tcpStateViewer.hideDebuggerSockets',
  whoUsesPort: 'tcpStateViewer.whoUsesPort',
} as const;

export type CommandName = keyof typeof COMMANDS;

/**
 * The arguments each command takes. Commands run from menus get the clicked tree element, from links and other
 * extensions whatever they pass, so most take `unknown` and check it; the typed ones are what this code passes.
 */
export interface CommandArgs {
  openDiagram: [];
  /** A state name (any alias), a connection id, or a tree element. */
  showInDiagram: [target?: unknown];
  revealInDiagram: [target?: unknown];
  showLog: [];
  showAllSockets: [];
  showWorkspaceSockets: [];
  /** A GroupBy value, or nothing to pick one. */
  groupBy: [groupBy?: GroupBy | unknown];
  /** The filter text (`state:TIME-WAIT`), or nothing to type one. */
  filter: [text?: string | unknown];
  editFilter: [];
  clearFilter: [];
  pause: [];
  resume: [];
  showEmptyStates: [];
  hideEmptyStates: [];
  /** A connection id or a tree element; the tree's selection when absent. */
  copyConnection: [connection?: unknown];
  copySsFilter: [connection?: unknown];
  showTcpInfo: [connection?: unknown];
  killProcess: [connection?: unknown];
  takeSnapshot: [];
  takeSnapshotJson: [];
  /** Two snapshot documents' URIs, or nothing to pick them. */
  compareSnapshots: [before?: unknown, after?: unknown];
  /** The snapshot's URI (the editor's, from its title bar) and, from tests, the file to write without a dialog. */
  saveSnapshotAs: [snapshot?: unknown, target?: unknown];
  /** A state name (any alias). */
  showState: [state?: TcpState | string | unknown];
  /** An insight's key or its tree element: filters the tree to its sockets and reveals them. */
  showInsight: [insight?: unknown];
  showDebuggerSockets: [];
  hideDebuggerSockets: [];
  /** A port (number or text, `:8080` and `127.0.0.1:8080` too), or nothing to type one. */
  whoUsesPort: [port?: unknown];
}

export const VIEW_CONTAINER = 'tcpStateViewer';

/** View ids, by name. */
export const VIEWS = {
  connections: 'tcpStateViewer.connections',
  diagram: 'tcpStateViewer.diagram',
} as const;

export type ViewName = keyof typeof VIEWS;

/** The editor panel's webview type (createWebviewPanel, registerWebviewPanelSerializer). */
export const DIAGRAM_PANEL_TYPE = 'tcpStateViewer.diagramPanel';

/** Context keys set with `setContext`, for `when` clauses in package.json. */
export const CONTEXT_KEYS = {
  scope: 'tcpStateViewer.scope',
  paused: 'tcpStateViewer.paused',
  empty: 'tcpStateViewer.empty',
  filtered: 'tcpStateViewer.filtered',
  groupBy: 'tcpStateViewer.groupBy',
  showEmptyStates: 'tcpStateViewer.showEmptyStates',
  showDebuggerSockets: 'tcpStateViewer.showDebuggerSockets',
  /** The platform reads tcp_info (PlatformCapabilities.tcpInfo): Show tcp_info. */
  tcpInfo: 'tcpStateViewer.tcpInfo',
  /** The platform's socket tool is ss (PlatformCapabilities.ssCommands): Copy as ss Command. */
  ssCommands: 'tcpStateViewer.ssCommands',
} as const;

export type ContextKeyName = keyof typeof CONTEXT_KEYS;

export interface ContextValues {
  scope: ScopeMode;
  paused: boolean;
  empty: boolean;
  filtered: boolean;
  groupBy: GroupBy;
  showEmptyStates: boolean;
  showDebuggerSockets: boolean;
  tcpInfo: boolean;
  ssCommands: boolean;
}

/** Colours contributed besides the states' own (STATES[state].colorId). */
export const COLORS = {
  connectionNew: 'tcpStateViewer.connection.new',
  connectionChanged: 'tcpStateViewer.connection.changed',
  connectionClosed: 'tcpStateViewer.connection.closed',
} as const;

// ---------------------------------------------------------------------------------------------------------------
// Settings

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

function booleanSetting(key: string, defaultValue: boolean): SettingDef<boolean> {
  return { key, default: defaultValue, parse: (value) => (typeof value === 'boolean' ? value : defaultValue) };
}

function stringListSetting(key: string): SettingDef<readonly string[]> {
  return {
    key,
    default: [],
    parse: (value) => (Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string' && v.trim() !== '').map((v) => v.trim()) : []),
  };
}

/** Every setting of package.json's `contributes.configuration`, by the name the code uses. */
export const SETTINGS = {
  backend: enumSetting<BackendSetting>('backend', 'auto', ['auto', 'proc', 'ss']),
  ssPath: stringSetting('ssPath', 'ss'),
  scope: enumSetting<ScopeMode>('scope', 'workspace', ['workspace', 'all']),
  sampleIntervalMs: numberSetting('sampleIntervalMs', 30_000, 200, 60_000),
  closedRetentionSeconds: numberSetting('closedRetentionSeconds', 10, 0, 3600),
  maxClosedConnections: numberSetting('maxClosedConnections', 500, 0, 100_000),
  closeWaitSeconds: numberSetting('insights.closeWaitSeconds', 30, 1, 86_400),
  timeWaitPerEndpoint: numberSetting('insights.timeWaitPerEndpoint', 200, 1, 1_000_000),
  synSentSeconds: numberSetting('insights.synSentSeconds', 5, 1, 3600),
  showEmptyStates: booleanSetting('showEmptyStates', false),
  showDebuggerSockets: booleanSetting('showDebuggerSockets', false),
  revealOnDebug: booleanSetting('revealOnDebug', true),
  statusBarEnabled: booleanSetting('statusBar.enabled', true),
  statusBarHideWhenEmpty: booleanSetting('statusBar.hideWhenEmpty', true),
  highlightSeconds: numberSetting('highlightSeconds', 5, 0, 60, false),
  hoverEnabled: booleanSetting('hover.enabled', true),
  hoverLanguages: stringListSetting('hover.languages'),
  terminalLinksEnabled: booleanSetting('terminalLinks.enabled', true),
} as const;

export type SettingName = keyof typeof SETTINGS;
export type SettingValue<K extends SettingName> = (typeof SETTINGS)[K] extends SettingDef<infer T> ? T : never;
export type Settings = { [K in SettingName]: SettingValue<K> };

/** The full id of a setting (`tcpStateViewer.statusBar.enabled`). */
export function settingId(name: SettingName): string {
  return `${SETTINGS_SECTION}.${SETTINGS[name].key}`;
}

/** Reads every setting through `get` (VS Code's `WorkspaceConfiguration.get` of the section, or a plain object in tests). */
export function readSettings(get: (key: string) => unknown): Settings {
  const out: Partial<Record<SettingName, unknown>> = {};
  for (const name of Object.keys(SETTINGS) as SettingName[]) {
    const def: SettingDef<unknown> = SETTINGS[name];
    out[name] = def.parse(get(def.key));
  }
  return out as Settings;
}

/** Names of the settings whose values differ between two readings (lists compared by their items). */
export function changedSettings(before: Settings, after: Settings): Set<SettingName> {
  const changed = new Set<SettingName>();
  for (const name of Object.keys(SETTINGS) as SettingName[]) {
    const a: unknown = before[name];
    const b: unknown = after[name];
    const same = Array.isArray(a) && Array.isArray(b) ? a.length === b.length && a.every((x, i) => x === b[i]) : a === b;
    if (!same) changed.add(name);
  }
  return changed;
}
