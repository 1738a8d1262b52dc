// The connections tree as plain data: which groups and rows exist, their labels, and which of them changed since
// the last build. Pure (no `vscode`): src/views/tree/connectionsTree.ts turns these nodes into TreeItems, and the unit tests
// build trees from recorded connections with a fixed clock.
import { formatEndpoint } from './types';
import type { Connection, ConnectionId, ContainerLabel, Endpoint, Insight, StateCounts, TcpState } from './types';
import { coarseAgeMs, formatDuration, type DurationUnits } from './format';
import { SHORT_STATE_NAMES, SS_STATE_FILTER_NAMES, STATE_ORDER, STATUS_BAR_ORDER, TCP_STATES } from './states';
import { debuggerConnectionIds } from './debuggerSockets';
import { processLabel } from './processName';
import { escapeControls } from './displayText';

export { processLabel, processName } from './processName';

export type GroupBy = 'state' | 'process' | 'localPort' | 'container';
export const GROUP_BYS: readonly GroupBy[] = ['state', 'process', 'localPort', 'container'];

/** How a row is highlighted, TCPView-style: just appeared, just changed state, or gone (kept greyed for a moment). */
export type ConnectionMark = 'new' | 'changed' | 'closed';

/** Words the tree shows, in the UI language (the adapter fills them with vscode.l10n.t). */
export interface TreeStrings {
  insights: string;
  /** Group label for connections whose owning process is unknown. */
  noProcess: string;
  /** Description of a filtered group: `{0} of {1}`. */
  countOf(shown: number, total: number): string;
  markNew: string;
  /** Description prefix of a row that just changed state: `from SYN-SENT`. */
  markChangedFrom(from: TcpState): string;
  /** Description prefix of a closed row: `closed`. */
  markClosed: string;
  /** Description of a closed row's last state: `was ESTABLISHED`. */
  wasState(state: TcpState): string;
  /** Label of the group of the debugger's own sockets (inspector port, js-debug's watchdog). */
  debuggerSockets: string;
  /** Its description while its rows are hidden: `3 hidden`. */
  hiddenCount(n: number): string;
  /** Where a socket of another namespace is: `in container demo-web-1`. */
  inContainer(name: string): string;
  /** `in network namespace net:[4026532301]`, for one without a container label. */
  inNamespace(netns: string): string;
  /** Group label (group by container) for the sockets of the reader's own namespace. */
  hostNamespace: string;
  units: DurationUnits;
}

export interface TreeOptions {
  groupBy: GroupBy;
  /** Show all 11 state groups, even the empty ones (grouping by state without a filter only). */
  showEmptyStates: boolean;
  filter: FilterTerm[];
  /** How long a new or changed row stays marked, ms. */
  highlightMs: number;
  /** How long a closed row stays (greyed) before it leaves the tree, ms. */
  closedLingerMs: number;
  /**
   * Connections opened or changed at or before this time are not marked: everything the first sample after a
   * start or a scope switch shows is already there, not new.
   */
  baseline: number;
  /** Show the debugger's own sockets (debuggerSockets.ts) as rows of their group; when false the group only counts them. */
  showDebuggerSockets: boolean;
}

export interface TreeInput {
  connections: readonly Connection[];
  insights: readonly Insight[];
  now: number;
  options: TreeOptions;
  strings: TreeStrings;
  /** The owner's command line (argv): named in labels (`node srv.js`) and matched by the filter; undefined when unknown. */
  commandLine?(pid: number): readonly string[] | undefined;
}

export interface InsightsNode {
  kind: 'insights';
  id: string;
  label: string;
  count: number;
}

export interface InsightNode {
  kind: 'insight';
  id: string;
  parentId: string;
  insight: Insight;
}

export interface GroupNode {
  kind: 'group';
  id: string;
  groupBy: GroupBy;
  label: string;
  description: string;
  /** Rows under the group (after the filter). */
  count: number;
  /** The state of a state group; null for process and port groups. */
  state: TcpState | null;
  pid: number | null;
  port: number | null;
  /** Container groups: the namespace (null: ours) and its container, when known. */
  netns?: string | null;
  container?: ContainerLabel | null;
}

export interface ConnectionNode {
  kind: 'connection';
  /** `<group id>/<connection id>`: a connection that moves to another group is a new row there. */
  id: string;
  parentId: string;
  connectionId: ConnectionId;
  label: string;
  description: string;
  state: TcpState;
  /** The state before CLOSED for a closed row, else the current state. */
  lastOpenState: TcpState;
  mark: ConnectionMark | null;
  pid: number | null;
}

/**
 * The debugger's own sockets, kept apart from the application's: last among the roots, with their rows under it
 * when shown (`showDebuggerSockets`), else only their count.
 */
export interface DebuggerNode {
  kind: 'debugger';
  id: string;
  label: string;
  description: string;
  /** The debugger's sockets (after the filter). */
  count: number;
  shown: boolean;
}

export type TreeNode = InsightsNode | InsightNode | GroupNode | ConnectionNode | DebuggerNode;
export type RootNode = InsightsNode | GroupNode | DebuggerNode;

export interface TreeModel {
  roots: RootNode[];
  /** Children by parent id (groups and the insights node). */
  children: Map<string, TreeNode[]>;
  nodes: Map<string, TreeNode>;
  /** Connections the tree shows (after filter and closed-row expiry). */
  shown: number;
  /** Connections in the model, live or closed-but-lingering, before the filter. */
  total: number;
}

export const INSIGHTS_ID = 'insights';
export const DEBUGGER_ID = 'debugger';

// ---------------------------------------------------------------------------------------------------------------
// Filter

export type FilterField = 'any' | 'addr' | 'port' | 'proc' | 'pid' | 'state' | 'insight' | 'container';

export interface FilterTerm {
  field: FilterField;
  /** Lower-cased text to find. */
  text: string;
  /** `-term`: rows matching it are hidden. */
  negated: boolean;
}

const FIELD_ALIASES: Record<string, FilterField> = {
  addr: 'addr',
  address: 'addr',
  ip: 'addr',
  port: 'port',
  proc: 'proc',
  process: 'proc',
  cmd: 'proc',
  pid: 'pid',
  state: 'state',
  st: 'state',
  insight: 'insight',
  container: 'container',
  ctr: 'container',
  netns: 'container',
};

/**
 * Parses the filter box: whitespace-separated terms, all of which must match (`node 8080`). A term may name its
 * field (`port:8080`, `state:time-wait`, `pid:4242`, `proc:node`, `addr:127.0.0.1`, `insight:<key>`,
 * `container:web`) and may start with `-` to exclude (`-state:listen`). A term without a field matches anywhere:
 * endpoints, process, pid, state or container name. `insight:` takes an insight's key
 * (`insight:close-wait-leak:4242`): the sockets that insight is about.
 */
export function parseFilter(text: string): FilterTerm[] {
  const terms: FilterTerm[] = [];
  for (const raw of text.trim().split(/\s+/)) {
    if (raw === '' || raw === '-') continue;
    const negated = raw.startsWith('-') && raw.length > 1;
    const body = negated ? raw.slice(1) : raw;
    const colon = body.indexOf(':');
    const prefix = colon > 0 ? FIELD_ALIASES[body.slice(0, colon).toLowerCase()] : undefined;
    if (prefix !== undefined) {
      const value = body.slice(colon + 1).toLowerCase();
      if (value !== '') terms.push({ field: prefix, text: value, negated });
    } else {
      terms.push({ field: 'any', text: body.toLowerCase(), negated });
    }
  }
  return terms;
}

/** `TIME_WAIT`, `time-wait`, `timewait` and `TIME WAIT` all compare equal. */
function squashState(s: string): string {
  return s.toLowerCase().replace(/[^a-z0-9]/g, '');
}

/** `ESTAB` (ss) matches ESTABLISHED, `SYN-RECV` SYN-RECEIVED, `UNCONN` CLOSED: the names tools print, squashed. */
function stateNames(state: TcpState): string[] {
  const names = [squashState(state), squashState(SHORT_STATE_NAMES[state])];
  if (state === 'CLOSED') names.push('unconn');
  if (state === 'LISTEN') names.push('listening');
  return names;
}

function endpointText(e: Endpoint): string {
  return formatEndpoint(e).toLowerCase();
}

/** The filter's `insight:` term as written for an insight (what clicking the insight sets). */
export function insightFilter(insight: Pick<Insight, 'key'>): string {
  return `insight:${insight.key}`;
}

/** Each insight's connections, by its key lower-cased (the filter's terms are): what `insight:` terms look up. */
export type InsightMembers = ReadonlyMap<string, ReadonlySet<ConnectionId>>;

export function insightMembers(insights: readonly Insight[]): InsightMembers {
  return new Map(insights.map((i) => [i.key.toLowerCase(), new Set(i.connectionIds)] as const));
}

/** A container term: its name, image, compose project or service, an id prefix, or the namespace's name. */
function containerMatches(text: string, c: Connection): boolean {
  const k = c.container;
  if (k !== undefined && (k.name.toLowerCase().includes(text) || k.image.toLowerCase().includes(text) || k.id.startsWith(text))) return true;
  if (k !== undefined && ((k.composeProject ?? '').toLowerCase() === text || (k.composeService ?? '').toLowerCase() === text)) return true;
  return c.netns !== undefined && c.netns.toLowerCase().includes(text);
}

function termMatches(term: FilterTerm, c: Connection, commandLine: string | undefined, insights: InsightMembers | undefined): boolean {
  const pid = c.owner?.pid;
  const proc = (c.owner?.command ?? '').toLowerCase();
  const line = (commandLine ?? '').toLowerCase();
  switch (term.field) {
    case 'addr':
      return endpointText(c.local).includes(term.text) || endpointText(c.remote).includes(term.text);
    case 'port': {
      const port = Number(term.text.replace(/^:/, ''));
      return Number.isInteger(port) && (c.local.port === port || c.remote.port === port);
    }
    case 'proc':
      return proc.includes(term.text) || line.includes(term.text);
    case 'pid':
      return pid !== undefined && String(pid) === term.text;
    case 'state': {
      const want = squashState(term.text);
      return want !== '' && stateNames(c.state).some((n) => n.startsWith(want));
    }
    case 'insight':
      // An insight that no longer holds has no sockets: the filter then shows none, and says so.
      return insights?.get(term.text)?.has(c.id) ?? false;
    case 'container':
      return containerMatches(term.text, c);
    case 'any': {
      if (endpointText(c.local).includes(term.text) || endpointText(c.remote).includes(term.text)) return true;
      if (proc.includes(term.text) || line.includes(term.text)) return true;
      if (c.container !== undefined && c.container.name.toLowerCase().includes(term.text)) return true;
      if (pid !== undefined && String(pid) === term.text) return true;
      const want = squashState(term.text);
      return want !== '' && stateNames(c.state).some((n) => n.startsWith(want));
    }
  }
}

export function matchesFilter(c: Connection, terms: readonly FilterTerm[], commandLine?: string, insights?: InsightMembers): boolean {
  for (const t of terms) {
    if (termMatches(t, c, commandLine, insights) === t.negated) return false;
  }
  return true;
}

// ---------------------------------------------------------------------------------------------------------------
// Rows

/** Time the connection entered its current state. */
export function currentStateSince(c: Connection): number {
  return c.history.length > 0 ? c.history[c.history.length - 1].since : c.openedAt;
}

/** The state a closed connection was in before it left the table (CLOSED's predecessor in its history). */
export function lastOpenState(c: Connection): TcpState {
  if (c.state !== 'CLOSED') return c.state;
  for (let i = c.history.length - 1; i >= 0; i--) {
    if (c.history[i].state !== 'CLOSED') return c.history[i].state;
  }
  return 'CLOSED';
}

/** The state before the current one (for `from SYN-SENT`), or null. */
function previousState(c: Connection): TcpState | null {
  return c.history.length >= 2 ? c.history[c.history.length - 2].state : null;
}

/**
 * The row's highlight at `now`, and when it ends (null: never, or no mark). A closed row is marked until it leaves;
 * new and changed marks last `highlightMs` after the event, and nothing older than `baseline` is marked.
 */
export function connectionMark(c: Connection, now: number, options: Pick<TreeOptions, 'highlightMs' | 'closedLingerMs' | 'baseline'>): { mark: ConnectionMark | null; until: number | null } {
  if (c.state === 'CLOSED' || c.closedAt !== null) {
    const closedAt = c.closedAt ?? currentStateSince(c);
    return { mark: 'closed', until: closedAt + options.closedLingerMs };
  }
  // A state change seen after the connection's first sample outranks "new": it is the newer event.
  const since = currentStateSince(c);
  if (c.history.length >= 2 && since > c.openedAt && since > options.baseline && now - since < options.highlightMs) {
    return { mark: 'changed', until: since + options.highlightMs };
  }
  if (c.openedAt > options.baseline && now - c.openedAt < options.highlightMs) {
    return { mark: 'new', until: c.openedAt + options.highlightMs };
  }
  return { mark: null, until: null };
}

/** True while a closed connection should still be shown. */
export function isClosedRowVisible(c: Connection, now: number, closedLingerMs: number): boolean {
  if (c.state !== 'CLOSED' && c.closedAt === null) return true;
  const closedAt = c.closedAt ?? currentStateSince(c);
  return now - closedAt < closedLingerMs;
}

/** A listener (or any socket with no peer yet) has remote port 0: its label is the local endpoint alone. */
export function connectionLabel(c: Pick<Connection, 'local' | 'remote'>): string {
  if (c.remote.port === 0) return formatEndpoint(c.local);
  return `${formatEndpoint(c.local)} → ${formatEndpoint(c.remote)}`;
}

/**
 * A row's label, short enough for a sidebar: what tells connections apart comes first. A listener keeps its
 * address (127.0.0.1 or 0.0.0.0 says who can connect). A connection shows its local port and the remote end: when
 * both ends share one address (loopback, or the machine's own address) the ports alone (`:7321 → :35726`), else
 * the local address is left out (`:54012 → 93.184.216.34:443`), as the tooltip and the copied text give it whole.
 */
export function rowLabel(c: Pick<Connection, 'local' | 'remote'>): string {
  if (c.remote.port === 0) return formatEndpoint(c.local);
  if (c.local.address === c.remote.address) return `:${c.local.port} → :${c.remote.port}`;
  return `:${c.local.port} → ${formatEndpoint(c.remote)}`;
}

/**
 * What a row's description names besides its mark and age: the owner unless grouped by it, the state likewise, and
 * where a socket of another network namespace is unless grouped by container.
 */
interface DescriptionParts {
  owner: boolean;
  state: boolean;
  place: boolean;
}

function describedParts(groupBy: GroupBy): DescriptionParts {
  return { owner: groupBy !== 'process', state: groupBy !== 'state', place: groupBy !== 'container' };
}

/**
 * Where a connection of another network namespace is: `in container demo-web-1`, or `in network namespace
 * net:[4026532301]`; '' for the reader's own namespace. Container names are the engine's: escaped.
 */
export function placeLabel(c: Pick<Connection, 'netns' | 'container'>, strings: Pick<TreeStrings, 'inContainer' | 'inNamespace'>): string {
  if (c.container !== undefined) return strings.inContainer(escapeControls(c.container.name));
  return c.netns !== undefined ? strings.inNamespace(c.netns) : '';
}

function rowDescription(c: Connection, mark: ConnectionMark | null, show: DescriptionParts, now: number, strings: TreeStrings, ownerLabel: (c: Connection) => string): string {
  const parts: string[] = [];
  if (mark === 'new') parts.push(`● ${strings.markNew}`);
  else if (mark === 'changed') {
    const from = previousState(c);
    if (from !== null) parts.push(`● ${strings.markChangedFrom(from)}`);
  } else if (mark === 'closed') parts.push(strings.markClosed);
  const place = show.place ? placeLabel(c, strings) : '';
  // Another namespace's socket without an owner (another user's container: its fds are closed to us) is said by
  // where it is; "unknown process" would add nothing.
  if (show.owner && (c.owner !== null || c.netns === undefined)) parts.push(ownerLabel(c));
  if (place !== '') parts.push(place);
  if (mark === 'closed') {
    parts.push(strings.wasState(lastOpenState(c)));
  } else {
    if (show.state) parts.push(SHORT_STATE_NAMES[c.state]);
    parts.push(formatDuration(now - currentStateSince(c), strings.units));
  }
  return parts.join(' · ');
}

function compareEndpoints(a: Endpoint, b: Endpoint): number {
  if (a.port !== b.port) return a.port - b.port;
  return a.address < b.address ? -1 : a.address > b.address ? 1 : 0;
}

function compareConnections(a: Connection, b: Connection): number {
  const sa = STATE_ORDER.get(a.state) ?? 0;
  const sb = STATE_ORDER.get(b.state) ?? 0;
  if (sa !== sb) return sa - sb;
  return compareEndpoints(a.local, b.local) || compareEndpoints(a.remote, b.remote) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

// ---------------------------------------------------------------------------------------------------------------
// Building

interface GroupDraft {
  node: GroupNode;
  sortKey: number | string;
  rows: Connection[];
  total: number;
}

function groupKey(c: Connection, groupBy: GroupBy): { id: string; state: TcpState | null; pid: number | null; port: number | null } {
  switch (groupBy) {
    case 'container':
      // By container (its id outlives a rename), else by namespace; ours is one group.
      return { id: c.container !== undefined ? `container/${c.container.id}` : c.netns !== undefined ? `netns/${c.netns}` : 'container/host', state: null, pid: null, port: null };
    case 'state':
      return { id: `state/${c.state}`, state: c.state, pid: null, port: null };
    case 'process':
      return c.owner ? { id: `pid/${c.owner.pid}`, state: null, pid: c.owner.pid, port: null } : { id: 'pid/none', state: null, pid: null, port: null };
    case 'localPort':
      return { id: `port/${c.local.port}`, state: null, pid: null, port: c.local.port };
  }
}

export function buildTree(input: TreeInput): TreeModel {
  const { now, options, strings } = input;
  const children = new Map<string, TreeNode[]>();
  const nodes = new Map<string, TreeNode>();
  const groups = new Map<string, GroupDraft>();
  const filtering = options.filter.length > 0;
  let total = 0;
  let shown = 0;

  // A process usually owns many rows: its argv, command line text and label are looked up once per build.
  const argvByPid = new Map<number, { argv: readonly string[] | undefined; line?: string }>();
  const argvEntry = (pid: number): { argv: readonly string[] | undefined; line?: string } => {
    let entry = argvByPid.get(pid);
    if (entry === undefined) {
      entry = { argv: input.commandLine?.(pid) };
      argvByPid.set(pid, entry);
    }
    return entry;
  };
  const argvOf = (c: Connection): readonly string[] | undefined => (c.owner ? argvEntry(c.owner.pid).argv : undefined);
  const commandLineOf = (c: Connection): string | undefined => {
    if (!c.owner) return undefined;
    const entry = argvEntry(c.owner.pid);
    if (entry.argv === undefined) return undefined;
    entry.line ??= entry.argv.join(' ');
    return entry.line;
  };
  // Keyed by pid and checked against the command: a closed row may name an earlier process under a reused pid.
  const labels = new Map<number, { command: string; label: string }>();
  const ownerLabel = (c: Connection): string => {
    if (!c.owner) return strings.noProcess;
    const hit = labels.get(c.owner.pid);
    if (hit !== undefined && hit.command === c.owner.command) return hit.label;
    const label = processLabel(c.owner, strings, argvOf(c));
    labels.set(c.owner.pid, { command: c.owner.command, label });
    return label;
  };
  const draftFor = (c: Connection): GroupDraft => {
    const key = groupKey(c, options.groupBy);
    let g = groups.get(key.id);
    if (g === undefined) {
      let label: string;
      let sortKey: number | string;
      if (options.groupBy === 'state') {
        label = c.state;
        sortKey = STATE_ORDER.get(c.state) ?? 0;
      } else if (options.groupBy === 'process') {
        label = ownerLabel(c);
        // Unowned rows last; processes by name, then pid.
        sortKey = c.owner ? `0${c.owner.command}\u0000${String(c.owner.pid).padStart(10, '0')}` : '1';
      } else if (options.groupBy === 'container') {
        // Containers by name, then namespaces without a container, then ours.
        label = c.container !== undefined ? escapeControls(c.container.name) : (c.netns ?? strings.hostNamespace);
        sortKey = c.container !== undefined ? `0${c.container.name}\u0000${c.container.id}` : c.netns !== undefined ? `1${c.netns}` : '2';
      } else {
        label = `:${c.local.port}`;
        sortKey = c.local.port;
      }
      g = { node: { kind: 'group', id: key.id, groupBy: options.groupBy, label, description: '', count: 0, state: key.state, pid: key.pid, port: key.port }, sortKey, rows: [], total: 0 };
      if (options.groupBy === 'container') {
        g.node.netns = c.netns ?? null;
        g.node.container = c.container ?? null;
      }
      groups.set(key.id, g);
    }
    return g;
  };

  if (options.groupBy === 'state' && options.showEmptyStates && !filtering) {
    for (const s of TCP_STATES) {
      const id = `state/${s}`;
      groups.set(id, { node: { kind: 'group', id, groupBy: 'state', label: s, description: '', count: 0, state: s, pid: null, port: null }, sortKey: STATE_ORDER.get(s) ?? 0, rows: [], total: 0 });
    }
  }

  const members = options.filter.some((t) => t.field === 'insight') ? insightMembers(input.insights) : undefined;
  // Sockets an insight is about come first, their groups and then their rows: 56 leaking CLOSE-WAIT sockets must
  // not sit below 79 FIN-WAIT-2 rows of the peer that closed on them.
  const flagged = new Set<ConnectionId>();
  for (const i of input.insights) for (const id of i.connectionIds) flagged.add(id);
  const debuggerIds = debuggerConnectionIds(input.connections, (pid) => argvEntry(pid).argv);
  const debuggerRows: Connection[] = [];
  let debuggerTotal = 0;

  for (const c of input.connections) {
    if (!isClosedRowVisible(c, now, options.closedLingerMs)) continue;
    total++;
    const isDebugger = debuggerIds.has(c.id);
    const g = isDebugger ? null : draftFor(c);
    if (g !== null) g.total++;
    else debuggerTotal++;
    if (filtering && !matchesFilter(c, options.filter, commandLineOf(c), members)) continue;
    if (g !== null) {
      g.rows.push(c);
      shown++;
    } else {
      debuggerRows.push(c);
      if (options.showDebuggerSockets) shown++;
    }
  }

  const roots: RootNode[] = [];
  if (input.insights.length > 0) {
    const insightsNode: InsightsNode = { kind: 'insights', id: INSIGHTS_ID, label: strings.insights, count: input.insights.length };
    roots.push(insightsNode);
    nodes.set(insightsNode.id, insightsNode);
    const list: InsightNode[] = input.insights.map((insight) => ({ kind: 'insight', id: `${INSIGHTS_ID}/${insight.key}`, parentId: INSIGHTS_ID, insight }));
    for (const n of list) nodes.set(n.id, n);
    children.set(INSIGHTS_ID, list);
  }

  const compareRows = (a: Connection, b: Connection): number => Number(flagged.has(b.id)) - Number(flagged.has(a.id)) || compareConnections(a, b);
  const toRows = (parentId: string, list: Connection[], show: DescriptionParts): ConnectionNode[] =>
    list.sort(compareRows).map((c) => {
      const { mark } = connectionMark(c, now, options);
      const row: ConnectionNode = {
        kind: 'connection',
        id: `${parentId}/${c.id}`,
        parentId,
        connectionId: c.id,
        label: rowLabel(c),
        description: rowDescription(c, mark, show, now, strings, ownerLabel),
        state: c.state,
        lastOpenState: lastOpenState(c),
        mark,
        pid: c.owner?.pid ?? null,
      };
      nodes.set(row.id, row);
      return row;
    });

  const drafts = [...groups.values()]
    .filter((g) => g.rows.length > 0 || (options.showEmptyStates && options.groupBy === 'state' && !filtering))
    .map((g) => ({ g, first: g.rows.some((c) => flagged.has(c.id)) ? 0 : 1 }))
    .sort((a, b) => a.first - b.first || (a.g.sortKey < b.g.sortKey ? -1 : a.g.sortKey > b.g.sortKey ? 1 : 0))
    .map((d) => d.g);
  for (const g of drafts) {
    g.node.count = g.rows.length;
    g.node.description = filtering ? strings.countOf(g.rows.length, g.total) : String(g.rows.length);
    roots.push(g.node);
    nodes.set(g.node.id, g.node);
    children.set(g.node.id, toRows(g.node.id, g.rows, describedParts(options.groupBy)));
  }

  if (debuggerRows.length > 0) {
    const n = debuggerRows.length;
    const node: DebuggerNode = {
      kind: 'debugger',
      id: DEBUGGER_ID,
      label: strings.debuggerSockets,
      description: !options.showDebuggerSockets ? strings.hiddenCount(n) : filtering ? strings.countOf(n, debuggerTotal) : String(n),
      count: n,
      shown: options.showDebuggerSockets,
    };
    roots.push(node);
    nodes.set(node.id, node);
    children.set(node.id, options.showDebuggerSockets ? toRows(node.id, debuggerRows, { owner: true, state: true, place: true }) : []);
  }
  return { roots, children, nodes, shown, total };
}

// ---------------------------------------------------------------------------------------------------------------
// Diffing

function nodeText(n: TreeNode): string {
  switch (n.kind) {
    case 'insights':
      return `${n.label}\u0001${n.count}`;
    case 'insight':
      // The age as the label shows it (coarseAgeMs): the row is redrawn when its text changes, not each second.
      return `${n.insight.key}\u0001${n.insight.count}\u0001${n.insight.oldestMs === null ? '' : coarseAgeMs(n.insight.oldestMs)}`;
    case 'group':
    case 'debugger':
      return `${n.label}\u0001${n.description}`;
    case 'connection':
      return `${n.label}\u0001${n.description}\u0001${n.state}\u0001${n.mark ?? ''}`;
  }
}

/**
 * Signatures by root id, per tree: a tree is diffed as `after` and then again as the next build's `before`, so
 * each signature is computed once. Trees are not changed after buildTree returns them.
 */
const signatures = new WeakMap<TreeModel, Map<string, string>>();

/** The text of a root and everything under it: equal signatures = nothing to redraw. */
function subtreeSignature(model: TreeModel, root: RootNode): string {
  let cache = signatures.get(model);
  if (cache === undefined) {
    cache = new Map();
    signatures.set(model, cache);
  }
  const cached = cache.get(root.id);
  if (cached !== undefined) return cached;
  const parts = [nodeText(root)];
  for (const child of model.children.get(root.id) ?? []) parts.push(child.id, nodeText(child));
  const signature = parts.join('\u0002');
  cache.set(root.id, signature);
  return signature;
}

export interface TreeDiff {
  /** The list of top-level nodes changed (a group came or went, or the order changed): redraw everything. */
  rootsChanged: boolean;
  /** Ids of top-level nodes whose own text or children changed. */
  changedRoots: string[];
}

export function diffTrees(before: TreeModel | null, after: TreeModel): TreeDiff {
  if (before === null) return { rootsChanged: true, changedRoots: after.roots.map((r) => r.id) };
  const rootsChanged = before.roots.length !== after.roots.length || before.roots.some((r, i) => r.id !== after.roots[i].id);
  const changedRoots: string[] = [];
  for (const r of after.roots) {
    const old = before.nodes.get(r.id);
    if (old === undefined || old.kind === 'connection' || old.kind === 'insight') {
      changedRoots.push(r.id);
      continue;
    }
    if (subtreeSignature(before, old) !== subtreeSignature(after, r)) changedRoots.push(r.id);
  }
  return { rootsChanged, changedRoots };
}

// ---------------------------------------------------------------------------------------------------------------
// Status bar

/**
 * `12 ESTAB · 3 TIME-WAIT` (at most `max` states, then `more(N)` for the sockets in the others); empty string when
 * nothing is open. CLOSED is not counted.
 */
export function statusBarCounts(counts: StateCounts, max = 3, more: (n: number) => string = (n) => `+${n} more`): string {
  const nonzero = STATUS_BAR_ORDER.filter((s) => counts[s] > 0);
  const parts = nonzero.slice(0, max).map((s) => `${counts[s]} ${SHORT_STATE_NAMES[s]}`);
  const rest = nonzero.slice(max).reduce((sum, s) => sum + counts[s], 0);
  if (rest > 0) parts.push(more(rest));
  return parts.join(' · ');
}

/** Open sockets (every state but CLOSED). */
export function openSocketCount(counts: StateCounts): number {
  return TCP_STATES.reduce((sum, s) => (s === 'CLOSED' ? sum : sum + counts[s]), 0);
}

// ---------------------------------------------------------------------------------------------------------------
// ss filter expressions

function isWildcard(address: string): boolean {
  return address === '0.0.0.0' || address === '::';
}

/** An address as the ss filter reads it: IPv6 in brackets, without a `%zone` (the filter has no zone syntax). */
function ssAddress(address: string): string {
  const bare = address.replace(/%.*$/, '');
  return bare.includes(':') ? `[${bare}]` : bare;
}

/**
 * The `ss` arguments that select this one socket: `state established '( sport = :54012 and dport = :8080 and
 * src 127.0.0.1 and dst 127.0.0.1 )'`, as argv elements (no shell quoting). Wildcard addresses and port 0 are
 * left out (a listener has no peer). A closed connection is no longer in the table: no state clause then.
 */
export function ssFilterArgs(c: Pick<Connection, 'state' | 'local' | 'remote'>): string[] {
  const clauses: string[] = [];
  if (c.local.port !== 0) clauses.push(`sport = :${c.local.port}`);
  if (c.remote.port !== 0) clauses.push(`dport = :${c.remote.port}`);
  if (!isWildcard(c.local.address)) clauses.push(`src ${ssAddress(c.local.address)}`);
  if (!isWildcard(c.remote.address) && c.remote.port !== 0) clauses.push(`dst ${ssAddress(c.remote.address)}`);
  const args = c.state === 'CLOSED' ? [] : ['state', SS_STATE_FILTER_NAMES[c.state]];
  if (clauses.length > 0) args.push(`( ${clauses.join(' and ')} )`);
  return args;
}

/** A POSIX shell word: bare when it is safe, else in single quotes. */
function shellWord(s: string): string {
  return /^[A-Za-z0-9_.:/=+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** The command line to paste in a terminal: `ss -tan state established '( ... )'`. */
export function ssCommandLine(c: Pick<Connection, 'state' | 'local' | 'remote'>, flags = '-tan'): string {
  return ['ss', flags, ...ssFilterArgs(c)].map(shellWord).join(' ');
}
