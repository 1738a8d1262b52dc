// The messages between the extension host and the state-diagram webview, imported by both bundles.
// One union per direction. The webview starts with `ready`; the host answers with `init` (the full state) and
// afterwards sends only deltas (`update`, `status`, `select`). Everything arriving over postMessage is checked
// by the parse functions below before use: the host never trusts the webview, and the webview ignores
// anything that is not a well-formed host message.
// At run time this module imports only the list of states (domain/states): the state texts and the edges that
// buildFullState puts in the `init` state are passed in by the caller.
import { type Connection, type ConnectionId, type Insight, type ModelUpdate, type StateCounts, type TcpState } from '../domain/types';
import { TCP_STATES } from '../domain/states';
import { type DiagramEdge } from '../domain/diagram';
import { type Locale, type StateTexts } from '../domain/stateTexts';
import { type DurationUnits } from '../domain/format';

/** A state's explanation, already in the UI language (the host picks the locale). */
export interface LocalizedStateInfo {
  /** One line: what the state means. */
  summary: string;
  /** A paragraph: how a socket gets there and leaves. */
  detail: string;
  /** Who must act to leave the state (local application, peer, kernel timer). */
  nextActor: string;
  /** What it means when sockets stay here long. */
  longStay: string;
}

/** Every user-visible string of the webview, translated on the host with vscode.l10n.t. */
export interface WebviewStrings {
  diagramLabel: string;
  statesGroupLabel: string;
  edgesGroupLabel: string;
  /** `{0}` = count (not 1). */
  connectionsInState: string;
  /** The same for exactly one. */
  oneConnection: string;
  nextActor: string;
  longStay: string;
  liveCount: string;
  event: string;
  action: string;
  edgeKindRfc: string;
  edgeKindLinux: string;
  edgeKindAbort: string;
  pathClient: string;
  pathServer: string;
  pathBoth: string;
  pause: string;
  resume: string;
  paused: string;
  searchPlaceholder: string;
  connectionsLabel: string;
  /** `{0}` = state name. */
  filterByState: string;
  clearFilter: string;
  noConnections: string;
  /** `{0}` = number of rows not shown. */
  moreConnections: string;
  ladderTitle: string;
  ladderLocal: string;
  ladderRemote: string;
  ladderEmpty: string;
  observed: string;
  inferred: string;
  reconstructedNote: string;
  /** `{0}` = duration text. */
  durationFor: string;
  /** Duration units in the UI language. */
  units: DurationUnits;
  current: string;
  closeLadder: string;
  roleClient: string;
  roleServer: string;
  roleListener: string;
  unknownProcess: string;
  /** `{0}` = a container's name: where a socket of another network namespace is. */
  inContainer: string;
  /** `{0}` = a network namespace (`net:[4026532301]`) without a container name. */
  inNamespace: string;
  legendClient: string;
  legendServer: string;
  legendLinux: string;
  legendAbort: string;
  legendInferred: string;
  timeout: string;
  keyboardHint: string;
  /** Said under the figure when it is too small for its arrows' labels, which then show on hover and focus only. */
  edgeLabelsOnDemand: string;
}

/** What the list or the diagram should show selected. */
export type Selection = { kind: 'connection'; id: ConnectionId } | { kind: 'state'; state: TcpState };

export interface FullState {
  locale: Locale;
  strings: WebviewStrings;
  states: Record<TcpState, LocalizedStateInfo>;
  edges: readonly DiagramEdge[];
  connections: readonly Connection[];
  counts: StateCounts;
  insights: readonly Insight[];
  paused: boolean;
  /** A user-facing error from the sampler, or null. */
  error: string | null;
  /** True when VS Code's `workbench.reduceMotion` is `on`; false leaves it to `prefers-reduced-motion`. */
  reducedMotion: boolean;
  /** Host clock (ms since the epoch) when the state was taken, to show ages relative to it. */
  now: number;
  selection: Selection | null;
}

/** What the host has at hand to build an `init` state: the texts already in the UI language, the model, the settings. */
export interface FullStateParts {
  locale: Locale;
  /** The webview's strings in `locale` (views/diagram/diagramStrings webviewStrings over vscode.l10n). */
  strings: WebviewStrings;
  /** The state table (domain/states STATE_TEXTS), every language: `states` takes its `locale` texts. */
  stateInfo: Readonly<Record<TcpState, Pick<StateTexts, 'summary' | 'detail' | 'nextActor' | 'longStay'>>>;
  edges: readonly DiagramEdge[];
  connections: readonly Connection[];
  counts: StateCounts;
  insights: readonly Insight[];
  paused: boolean;
  error: string | null;
  reducedMotion: boolean;
  now: number;
  selection: Selection | null;
}

/** The state table's texts in one language, in the shape the webview renders. */
export function localizeStates(info: FullStateParts['stateInfo'], locale: Locale): Record<TcpState, LocalizedStateInfo> {
  const out = {} as Record<TcpState, LocalizedStateInfo>;
  for (const s of TCP_STATES) {
    const i = info[s];
    out[s] = { summary: i.summary[locale], detail: i.detail[locale], nextActor: i.nextActor[locale], longStay: i.longStay[locale] };
  }
  return out;
}

/** The `init` message's state: the host's diagram view and the webview tests both build it here. */
export function buildFullState(p: FullStateParts): FullState {
  return {
    locale: p.locale,
    strings: p.strings,
    states: localizeStates(p.stateInfo, p.locale),
    edges: p.edges,
    connections: p.connections,
    counts: p.counts,
    insights: p.insights,
    paused: p.paused,
    error: p.error,
    reducedMotion: p.reducedMotion,
    now: p.now,
    selection: p.selection,
  };
}

/** host -> webview */
export type HostMessage =
  | { type: 'init'; state: FullState }
  | { type: 'update'; update: ModelUpdate }
  | { type: 'status'; paused: boolean; error: string | null }
  | { type: 'select'; selection: Selection };

/** webview -> host */
export type WebviewMessage =
  | { type: 'ready' }
  | { type: 'setPaused'; paused: boolean }
  /** An uncaught error in the webview, for the extension's log. */
  | { type: 'error'; message: string };

export const WEBVIEW_MESSAGE_TYPES = ['ready', 'setPaused', 'error'] as const satisfies readonly WebviewMessage['type'][];
export const HOST_MESSAGE_TYPES = ['init', 'update', 'status', 'select'] as const satisfies readonly HostMessage['type'][];

const STATE_NAMES: ReadonlySet<string> = new Set<string>(TCP_STATES);

export function isTcpState(v: unknown): v is TcpState {
  return typeof v === 'string' && STATE_NAMES.has(v);
}

/** Longest error text accepted from the webview (the log is not a place for megabytes). */
export const MAX_ERROR_MESSAGE = 2000;

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function hasOnlyKeys(v: Record<string, unknown>, keys: readonly string[]): boolean {
  return Object.keys(v).every((k) => keys.includes(k));
}

/**
 * The webview's message if `raw` is exactly one of the declared shapes, else undefined.
 * Extra properties are rejected too: a message the host does not understand fully is not acted on.
 */
export function parseWebviewMessage(raw: unknown): WebviewMessage | undefined {
  if (!isRecord(raw)) return undefined;
  switch (raw.type) {
    case 'ready':
      return hasOnlyKeys(raw, ['type']) ? { type: 'ready' } : undefined;
    case 'setPaused':
      return hasOnlyKeys(raw, ['type', 'paused']) && typeof raw.paused === 'boolean' ? { type: 'setPaused', paused: raw.paused } : undefined;
    case 'error':
      return hasOnlyKeys(raw, ['type', 'message']) && typeof raw.message === 'string' && raw.message.length <= MAX_ERROR_MESSAGE
        ? { type: 'error', message: raw.message }
        : undefined;
    default:
      return undefined;
  }
}

const MAX_ID = 400;

/**
 * What `tcpStateViewer.showInDiagram` was given, as a selection: a state name (filter by it), a connection id
 * (select it), or an object carrying one of those: a tree row (`connectionId`, or a state group's `state`) or a
 * Connection record (`id` with `history`). Undefined for anything else.
 */
export function parseSelectionArgument(arg: unknown): Selection | undefined {
  const isId = (v: unknown): v is string => typeof v === 'string' && v.length > 0 && v.length <= MAX_ID;
  if (isTcpState(arg)) return { kind: 'state', state: arg };
  if (isId(arg)) return { kind: 'connection', id: arg };
  if (!isRecord(arg)) return undefined;
  if (isId(arg.connectionId)) return { kind: 'connection', id: arg.connectionId };
  if (isId(arg.id) && Array.isArray(arg.history)) return { kind: 'connection', id: arg.id };
  if (isTcpState(arg.state)) return { kind: 'state', state: arg.state };
  return undefined;
}

function isSelection(v: unknown): v is Selection {
  if (!isRecord(v)) return false;
  if (v.kind === 'state') return isTcpState(v.state);
  if (v.kind === 'connection') return typeof v.id === 'string';
  return false;
}

function isConnectionLike(v: unknown): v is Connection {
  return (
    isRecord(v) &&
    typeof v.id === 'string' &&
    isTcpState(v.state) &&
    isRecord(v.local) &&
    isRecord(v.remote) &&
    Array.isArray(v.history) &&
    v.history.every((h) => isRecord(h) && isTcpState(h.state) && typeof h.since === 'number')
  );
}

function isCounts(v: unknown): v is StateCounts {
  return isRecord(v) && [...STATE_NAMES].every((s) => typeof v[s] === 'number');
}

function isTrackerEventLike(v: unknown): boolean {
  if (!isRecord(v) || typeof v.at !== 'number') return false;
  switch (v.kind) {
    case 'opened':
      return isConnectionLike(v.connection);
    case 'changed':
      return (
        typeof v.id === 'string' &&
        isTcpState(v.from) &&
        isTcpState(v.to) &&
        Array.isArray(v.path) &&
        v.path.every((h) => isRecord(h) && isTcpState(h.from) && isTcpState(h.to) && typeof h.inferred === 'boolean')
      );
    case 'closed':
      return typeof v.id === 'string' && isTcpState(v.from) && typeof v.inferred === 'boolean';
    default:
      return false;
  }
}

/**
 * The host's message if `raw` has the declared shape, else undefined. The host is trusted code, so this checks
 * structure (what the webview relies on to render), not every leaf; it keeps stray postMessage traffic
 * (another frame, a devtools experiment) from breaking the view.
 */
export function parseHostMessage(raw: unknown): HostMessage | undefined {
  if (!isRecord(raw)) return undefined;
  switch (raw.type) {
    case 'init': {
      const s = raw.state;
      if (
        isRecord(s) &&
        (s.locale === 'en' || s.locale === 'zh-cn') &&
        isRecord(s.strings) &&
        isRecord(s.states) &&
        [...STATE_NAMES].every((n) => isRecord((s.states as Record<string, unknown>)[n])) &&
        Array.isArray(s.edges) &&
        s.edges.every((e) => isRecord(e) && typeof e.id === 'string' && isTcpState(e.from) && isTcpState(e.to)) &&
        Array.isArray(s.connections) &&
        s.connections.every(isConnectionLike) &&
        isCounts(s.counts) &&
        Array.isArray(s.insights) &&
        typeof s.paused === 'boolean' &&
        typeof s.reducedMotion === 'boolean' &&
        typeof s.now === 'number' &&
        (s.selection === null || isSelection(s.selection))
      ) {
        return raw as HostMessage;
      }
      return undefined;
    }
    case 'update': {
      const u = raw.update;
      if (
        isRecord(u) &&
        typeof u.at === 'number' &&
        Array.isArray(u.events) &&
        u.events.every(isTrackerEventLike) &&
        Array.isArray(u.changed) &&
        u.changed.every(isConnectionLike) &&
        Array.isArray(u.removed) &&
        u.removed.every((id) => typeof id === 'string') &&
        isCounts(u.counts) &&
        Array.isArray(u.insights)
      ) {
        return raw as HostMessage;
      }
      return undefined;
    }
    case 'status':
      return typeof raw.paused === 'boolean' && (raw.error === null || typeof raw.error === 'string') ? (raw as HostMessage) : undefined;
    case 'select':
      return isSelection(raw.selection) ? (raw as HostMessage) : undefined;
    default:
      return undefined;
  }
}
