// The eleven TCP states of RFC 9293 and every fact the project keeps about each one, in one table: the names each
// tool prints, the /proc code, the order the views list them in, the icon and colour. Every other list of states
// (the /proc and ss parsers' tables, the status bar's order, the diagram's keyboard order, the alias matcher) is
// derived from STATES here. The explanations are in stateTexts.ts, the diagram's edges in diagram.ts.
// Pure data and functions: the webview bundle imports it too.
import type { TcpState } from './types';

export interface StateFacts {
  /** Position down RFC 9293 Figure 5: the open, then the active close on the left, the passive close on the right. */
  order: number;
  /**
   * Values of the `st` column of /proc/net/tcp that mean this state (include/net/tcp_states.h). 0x0C is
   * TCP_NEW_SYN_RECV, the kernel's request socket of a half-open connection: SYN-RECEIVED to a user.
   */
  stCodes: readonly number[];
  /** Words `ss` prints in its State column (iproute2 misc/ss.c, sstate_name); the first one is the usual. */
  ssNames: readonly string[];
  /** The name `ss` takes in a state filter (ss(8), STATE-FILTER). */
  ssFilter: string;
  /** The name where room is short (status bar, tree rows): ss's word where it is shorter than the RFC's. */
  shortName: string;
  /** Place in the status bar's list, most telling first; null for never counted there (CLOSED). */
  statusBarRank: number | null;
  /** Tab order of the diagram's nodes: down the client side, then the server side. */
  keyOrder: number;
  /** Codicon of the state's tree rows. */
  icon: string;
  /** Theme colour contributed in package.json (`contributes.colors`). */
  colorId: string;
  /**
   * Spellings tools and APIs print for the state. Sources: RFC 9293 (hyphenated names, Figure 5's SYN RCVD / ESTAB),
   * Linux ss (ESTAB, SYN-RECV, UNCONN), net-tools netstat (SYN_RECV, FIN_WAIT1, CLOSE), the kernel's enum
   * (TCP_ESTABLISHED, TCP_NEW_SYN_RECV), BSD/macOS netstat and <netinet/tcp_fsm.h> (SYN_RCVD, FIN_WAIT_1, TCPS_*),
   * Windows netstat (LISTENING, SYN_SEND, TIMED_WAIT), Windows' MIB_TCP_STATE_* and TCPSTATE_* enums, PowerShell's
   * Get-NetTCPConnection (Listen, SynSent, TimeWait, DeleteTCB, Bound), and Go and Java libraries' enum names.
   */
  aliases: readonly string[];
  /**
   * Spellings that are also everyday English words ("Listen", "closed", "established"): a text matcher takes these
   * only exactly as spelled, and only in a line that looks like TCP output.
   */
  commonWords: readonly string[];
}

export const STATES: Readonly<Record<TcpState, StateFacts>> = {
  LISTEN: {
    order: 0,
    stCodes: [0x0a],
    ssNames: ['LISTEN'],
    ssFilter: 'listening',
    shortName: 'LISTEN',
    statusBarRank: 5,
    keyOrder: 2,
    icon: 'radio-tower',
    colorId: 'tcpStateViewer.state.listen',
    aliases: ['LISTEN', 'LISTENING', 'TCP_LISTEN', 'TCPS_LISTEN', 'MIB_TCP_STATE_LISTEN', 'TCPSTATE_LISTEN'],
    commonWords: ['Listen', 'listening'],
  },
  'SYN-SENT': {
    order: 1,
    stCodes: [0x02],
    ssNames: ['SYN-SENT'],
    ssFilter: 'syn-sent',
    shortName: 'SYN-SENT',
    statusBarRank: 2,
    keyOrder: 1,
    icon: 'sync',
    colorId: 'tcpStateViewer.state.synSent',
    aliases: ['SYN-SENT', 'SYN_SENT', 'SYNSENT', 'SYN_SEND', 'SynSent', 'syn-sent', 'TCP_SYN_SENT', 'TCPS_SYN_SENT', 'MIB_TCP_STATE_SYN_SENT', 'TCPSTATE_SYN_SENT'],
    commonWords: [],
  },
  'SYN-RECEIVED': {
    order: 2,
    stCodes: [0x03, 0x0c],
    ssNames: ['SYN-RECV', 'NEW-SYN-RECV'],
    ssFilter: 'syn-recv',
    shortName: 'SYN-RECV',
    statusBarRank: 3,
    keyOrder: 3,
    icon: 'sync',
    colorId: 'tcpStateViewer.state.synReceived',
    aliases: [
      'SYN-RECEIVED', 'SYN_RECEIVED', 'SYN-RECEIVE', 'SYN-RCVD', 'SYN_RCVD', 'SYN-RECV', 'SYN_RECV', 'SYNRECV', 'NEW_SYN_RECV',
      'TCP_SYN_RECV', 'TCP_NEW_SYN_RECV', 'TCPS_SYN_RECEIVED', 'MIB_TCP_STATE_SYN_RCVD', 'TCPSTATE_SYN_RCVD', 'SynReceived', 'syn-recv',
    ],
    commonWords: [],
  },
  ESTABLISHED: {
    order: 3,
    stCodes: [0x01],
    ssNames: ['ESTAB'],
    ssFilter: 'established',
    shortName: 'ESTAB',
    statusBarRank: 0,
    keyOrder: 4,
    icon: 'arrow-swap',
    colorId: 'tcpStateViewer.state.established',
    aliases: ['ESTABLISHED', 'ESTAB', 'TCP_ESTABLISHED', 'TCPS_ESTABLISHED', 'MIB_TCP_STATE_ESTAB', 'TCPSTATE_ESTABLISHED'],
    commonWords: ['Established', 'established'],
  },
  'FIN-WAIT-1': {
    order: 4,
    stCodes: [0x04],
    ssNames: ['FIN-WAIT-1'],
    ssFilter: 'fin-wait-1',
    shortName: 'FIN-WAIT-1',
    statusBarRank: 6,
    keyOrder: 5,
    icon: 'debug-disconnect',
    colorId: 'tcpStateViewer.state.finWait1',
    aliases: [
      'FIN-WAIT-1', 'FIN_WAIT_1', 'FIN_WAIT1', 'FIN-WAIT1', 'FINWAIT1', 'FINWAIT-1', 'FinWait1', 'fin-wait-1', 'TCP_FIN_WAIT1',
      'TCPS_FIN_WAIT_1', 'MIB_TCP_STATE_FIN_WAIT1', 'TCPSTATE_FIN_WAIT_1',
    ],
    commonWords: [],
  },
  'FIN-WAIT-2': {
    order: 5,
    stCodes: [0x05],
    ssNames: ['FIN-WAIT-2'],
    ssFilter: 'fin-wait-2',
    shortName: 'FIN-WAIT-2',
    statusBarRank: 7,
    keyOrder: 7,
    icon: 'debug-disconnect',
    colorId: 'tcpStateViewer.state.finWait2',
    aliases: [
      'FIN-WAIT-2', 'FIN_WAIT_2', 'FIN_WAIT2', 'FIN-WAIT2', 'FINWAIT2', 'FINWAIT-2', 'FinWait2', 'fin-wait-2', 'TCP_FIN_WAIT2',
      'TCPS_FIN_WAIT_2', 'MIB_TCP_STATE_FIN_WAIT2', 'TCPSTATE_FIN_WAIT_2',
    ],
    commonWords: [],
  },
  'CLOSE-WAIT': {
    order: 6,
    stCodes: [0x08],
    ssNames: ['CLOSE-WAIT'],
    ssFilter: 'close-wait',
    shortName: 'CLOSE-WAIT',
    statusBarRank: 1,
    keyOrder: 6,
    icon: 'debug-disconnect',
    colorId: 'tcpStateViewer.state.closeWait',
    aliases: ['CLOSE-WAIT', 'CLOSE_WAIT', 'CLOSEWAIT', 'CloseWait', 'close-wait', 'TCP_CLOSE_WAIT', 'TCPS_CLOSE_WAIT', 'MIB_TCP_STATE_CLOSE_WAIT', 'TCPSTATE_CLOSE_WAIT'],
    commonWords: [],
  },
  CLOSING: {
    order: 7,
    stCodes: [0x0b],
    ssNames: ['CLOSING'],
    ssFilter: 'closing',
    shortName: 'CLOSING',
    statusBarRank: 9,
    keyOrder: 8,
    icon: 'debug-disconnect',
    colorId: 'tcpStateViewer.state.closing',
    aliases: ['CLOSING', 'TCP_CLOSING', 'TCPS_CLOSING', 'MIB_TCP_STATE_CLOSING', 'TCPSTATE_CLOSING'],
    commonWords: ['Closing'],
  },
  'LAST-ACK': {
    order: 8,
    stCodes: [0x09],
    ssNames: ['LAST-ACK'],
    ssFilter: 'last-ack',
    shortName: 'LAST-ACK',
    statusBarRank: 8,
    keyOrder: 9,
    icon: 'debug-disconnect',
    colorId: 'tcpStateViewer.state.lastAck',
    aliases: ['LAST-ACK', 'LAST_ACK', 'LASTACK', 'LastAck', 'last-ack', 'TCP_LAST_ACK', 'TCPS_LAST_ACK', 'MIB_TCP_STATE_LAST_ACK', 'TCPSTATE_LAST_ACK'],
    commonWords: [],
  },
  'TIME-WAIT': {
    order: 9,
    stCodes: [0x06],
    ssNames: ['TIME-WAIT'],
    ssFilter: 'time-wait',
    shortName: 'TIME-WAIT',
    statusBarRank: 4,
    keyOrder: 10,
    icon: 'watch',
    colorId: 'tcpStateViewer.state.timeWait',
    aliases: ['TIME-WAIT', 'TIME_WAIT', 'TIMEWAIT', 'TIMED_WAIT', 'TimeWait', 'time-wait', 'TCP_TIME_WAIT', 'TCPS_TIME_WAIT', 'MIB_TCP_STATE_TIME_WAIT', 'TCPSTATE_TIME_WAIT'],
    commonWords: [],
  },
  CLOSED: {
    order: 10,
    stCodes: [0x07],
    ssNames: ['UNCONN', 'CLOSE'],
    ssFilter: 'closed',
    shortName: 'CLOSED',
    statusBarRank: null,
    keyOrder: 0,
    icon: 'circle-slash',
    colorId: 'tcpStateViewer.state.closed',
    aliases: ['CLOSED', 'CLOSE', 'UNCONN', 'TCP_CLOSE', 'TCPS_CLOSED', 'MIB_TCP_STATE_CLOSED', 'TCPSTATE_CLOSED', 'DELETE_TCB', 'MIB_TCP_STATE_DELETE_TCB', 'DeleteTCB'],
    commonWords: ['Closed', 'closed', 'Bound'],
  },
};

const ALL: readonly TcpState[] = Object.keys(STATES) as TcpState[];

function sortedBy(key: (f: StateFacts) => number | null): TcpState[] {
  return ALL.filter((s) => key(STATES[s]) !== null).sort((a, b) => (key(STATES[a]) as number) - (key(STATES[b]) as number));
}

/** The states in diagram order (STATES[s].order). Views list states in this order. */
export const TCP_STATES: readonly TcpState[] = sortedBy((f) => f.order);

/** Each state's index in diagram order: the sort key of snapshots, tree groups and the webview's list. */
export const STATE_ORDER: ReadonlyMap<TcpState, number> = new Map(TCP_STATES.map((s, i) => [s, i]));

/** The status bar's states, most telling first (CLOSED is never counted there). */
export const STATUS_BAR_ORDER: readonly TcpState[] = sortedBy((f) => f.statusBarRank);

/** The diagram's nodes in keyboard tab order. */
export const KEY_ORDER: readonly TcpState[] = sortedBy((f) => f.keyOrder);

function stateMap<T>(value: (f: StateFacts) => T): Record<TcpState, T> {
  const out = {} as Record<TcpState, T>;
  for (const s of ALL) out[s] = value(STATES[s]);
  return out;
}

/** `ESTAB`, `SYN-RECV`, otherwise the RFC name. */
export const SHORT_STATE_NAMES: Readonly<Record<TcpState, string>> = stateMap((f) => f.shortName);

/** State names of `ss`'s state filter. */
export const SS_STATE_FILTER_NAMES: Readonly<Record<TcpState, string>> = stateMap((f) => f.ssFilter);

/** What each word of `ss`'s State column means. */
export const SS_STATES: Readonly<Record<string, TcpState>> = Object.fromEntries(ALL.flatMap((s) => STATES[s].ssNames.map((n) => [n, s] as const)));

/** /proc/net/tcp `st` value -> state, indexed by the value. */
const ST_CODES: readonly (TcpState | undefined)[] = (() => {
  const out: (TcpState | undefined)[] = [];
  for (const s of ALL) for (const code of STATES[s].stCodes) out[code] = s;
  return out;
})();

/** The state of a /proc/net/tcp `st` value (the number its hex digits spell), or undefined. */
export function stateOfStCode(code: number): TcpState | undefined {
  return ST_CODES[code];
}

/** The state for a /proc/net/tcp `st` field (`06`, `0A`, `0x0a`), or undefined. */
export function stateFromProcCode(code: string): TcpState | undefined {
  const m = /^(?:0x([0-9a-f]{1,2})|([0-9a-f]{2}))$/i.exec(code.trim());
  if (!m) return undefined;
  return stateOfStCode(parseInt(m[1] ?? m[2] ?? '', 16));
}

/** The usual two-hex-digit `st` code of a state (`06` for TIME-WAIT, `03` for SYN-RECEIVED). */
export function procCodeOf(state: TcpState): string {
  return (STATES[state].stCodes[0] ?? 0).toString(16).toUpperCase().padStart(2, '0');
}

/**
 * One spelling of a state name as some tool or API prints it. `commonWord` marks spellings that are also everyday
 * English words: a text matcher takes those only exactly as spelled, never their lower-case prose forms.
 */
export interface StateAlias {
  alias: string;
  state: TcpState;
  commonWord?: boolean;
}

/** Every spelling of every state (STATES[s].aliases and commonWords), as one list. */
export const STATE_ALIASES: readonly StateAlias[] = ALL.flatMap((state) => [
  ...STATES[state].aliases.map((alias) => ({ alias, state })),
  ...STATES[state].commonWords.map((alias) => ({ alias, state, commonWord: true })),
]);

/** A name with separators removed and letters upper-cased: "FIN_WAIT_1" -> "FINWAIT1". */
function compact(name: string): string {
  return name.toUpperCase().replace(/[-_ ]/g, '');
}

/** Compact spellings -> state, from every alias. */
const COMPACT_NAMES: ReadonlyMap<string, TcpState> = new Map(STATE_ALIASES.map((a) => [compact(a.alias), a.state] as const));

const NAME_PREFIXES = ['MIBTCPSTATE', 'TCPSTATE', 'TCPS', 'TCP', 'STATE'];

/**
 * The state a tool's name for it stands for: any spelling of STATE_ALIASES in any letter case and with any of the
 * enum prefixes, a /proc/net/tcp hex code (`06`, `0x0A`; `0C` is SYN-RECEIVED), or undefined when the name is not a
 * TCP state.
 */
export function normalizeState(name: string): TcpState | undefined {
  const trimmed = name.trim();
  const byCode = stateFromProcCode(trimmed);
  if (byCode) return byCode;
  if (!/^[A-Za-z][A-Za-z0-9_\- ]*$/.test(trimmed)) return undefined;
  const c = compact(trimmed);
  const direct = COMPACT_NAMES.get(c);
  if (direct) return direct;
  // Each prefix on its own: TCP_SYN_SENT also starts with "TCPS" (BSD's TCPS_ prefix).
  for (const prefix of NAME_PREFIXES) {
    if (!c.startsWith(prefix)) continue;
    const found = COMPACT_NAMES.get(c.slice(prefix.length));
    if (found) return found;
  }
  return undefined;
}
