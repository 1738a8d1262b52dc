// Parser for macOS `netstat -anv -p tcp` (apple-oss-distributions/network_cmds, netstat.tproj). Pure: no I/O.
//
// What the source says (inet.c protopr(), main.c print_socket_stats_format()/print_socket_stats_data(),
// inet6.c inet6print()):
// - Every TCP PCB the net.inet.tcp.pcblist_n sysctl returns is printed, listeners included with -a. (On OS X
//   10.10 that sysctl left out TIME_WAIT sockets, rdar://22975100 mirrored in lionheart/openradar-mirror#8270.
//   -v output of later releases quoted in public repositories has TIME_WAIT rows, but none of our fixtures does:
//   the tests render one with the source's formats.)
// - Proto is "tcp" then "4 ", "6 " or "46" (`%-3.3s%-2.2s`): tcp46 is a socket that is both IPv4 and IPv6, i.e. an
//   unconnected dual-stack one; a dual-stack socket that connects becomes tcp4 or tcp6.
// - An address is `host.port`: `*` for the unspecified address and for port 0, IPv6 in getnameinfo(NI_NUMERICHOST)
//   text (link-local with `%iface`). IPv4 text is cut to 16 characters, IPv6 text to 16 (39 with -l): an IPv6
//   address of exactly that length may have been cut (addressMayBeTruncated). tcp46 rows print the IPv4 side.
// - The state is tcpstates[t_state] (`%-11s`), or the number when it is out of range.
// - With -v, after the state: network_cmds before 698 print `rhiwat shiwat pid epid state options [gencnt flags
//   flags1 usscnt rtncnt fltrs]`; 698 (macOS 15 Sequoia) adds `rxbytes txbytes` before rhiwat; 726 (macOS 26 Tahoe)
//   prints `%16s:%-6u` process:pid instead of `pid epid` (the name is proc_name(), padded on the left, and may hold
//   spaces or be empty). The header line says which: it is read, never guessed from a row.
// - pid is so_last_pid: the last process that used the socket (sent, received, connected...), which is not always
//   the process holding it (a socket passed to another process, or used on its behalf). Rows say so:
//   pidIsLastUser. epid (so_e_pid, Sequoia and before) is the process a delegated socket works for, 0 when none.
// - "Some tcp sockets may have been created/deleted" follows the table when the PCB list changed while it was read.
import type { AddressFamily, Endpoint, TcpState } from '../../../domain/types';
import { addRow, count, emptyParse, ipv4Text, ipv6Text, mappedIpv4, portNumber, stateTable, wildcardAddress, type ToolParse, type ToolRow } from '../common';

/** The column layouts of the header line. 'plain' is netstat without -v (no pid). */
export type DarwinNetstatLayout = 'plain' | 'legacy' | 'sequoia' | 'tahoe';

export interface DarwinNetstatRow extends ToolRow {
  proto: 'tcp4' | 'tcp6' | 'tcp46';
  /** tcp46: an unconnected socket that serves IPv4 and IPv6; its family is ipv6 and its wildcard `::`, as on Linux. */
  dualStack: boolean;
  /** True when `owners` comes from the pid column: so_last_pid, the last process that used the socket. */
  pidIsLastUser: boolean;
  /** so_e_pid when not 0: the process a delegated socket works for (layouts legacy and sequoia only). */
  effectivePid: number | null;
  /** Bytes received and sent over the socket's life (sequoia and tahoe layouts), else null. */
  rxBytes: number | null;
  txBytes: number | null;
  /** An IPv6 address printed at netstat's length limit: it may be the first characters of a longer address. */
  addressMayBeTruncated: boolean;
}

export interface DarwinNetstatParse extends ToolParse<DarwinNetstatRow> {
  /** The layout of the last header line read; null when none was recognised. */
  layout: DarwinNetstatLayout | null;
  /** netstat's own remarks (`Some tcp sockets may have been deleted.`): the table may be inconsistent. */
  notes: string[];
}

/** tcpstates[] of bsd/netinet/tcp_fsm.h, the words netstat prints. */
export const DARWIN_TCP_STATES: ReadonlyMap<string, TcpState> = stateTable([
  'CLOSED',
  'LISTEN',
  'SYN_SENT',
  'SYN_RCVD',
  'ESTABLISHED',
  'CLOSE_WAIT',
  'FIN_WAIT_1',
  'CLOSING',
  'LAST_ACK',
  'FIN_WAIT_2',
  'TIME_WAIT',
]);

/** The layout a header line announces, or null when it is not one of the four known. */
export function darwinNetstatLayout(header: string): DarwinNetstatLayout | null {
  const tokens = header.trim().split(/\s+/);
  const at = tokens.findIndex((t) => t.toLowerCase() === '(state)');
  if (tokens[0] !== 'Proto' || at < 0) return null;
  const after = tokens.slice(at + 1).map((t) => t.toLowerCase());
  const starts = (...names: string[]) => names.every((n, i) => after[i] === n);
  if (after.length === 0) return 'plain';
  if (starts('rhiwat', 'shiwat', 'pid', 'epid')) return 'legacy';
  if (starts('rxbytes', 'txbytes', 'rhiwat', 'shiwat', 'pid', 'epid')) return 'sequoia';
  if (starts('rxbytes', 'txbytes', 'rhiwat', 'shiwat', 'process:pid') && !after.includes('eprocess:epid')) return 'tahoe';
  return null;
}

interface ParsedEndpoint {
  endpoint: Endpoint;
  family: AddressFamily;
  truncated: boolean;
}

/** `a.b.c.d.port`, `ipv6.port`, `*.port`, `*.*` in a row of the given proto; null when it does not fit. */
function parseAddress(text: string, proto: DarwinNetstatRow['proto']): ParsedEndpoint | null {
  const dot = text.lastIndexOf('.');
  if (dot <= 0) return null;
  const host = text.slice(0, dot);
  const portText = text.slice(dot + 1);
  const port = portText === '*' ? 0 : portNumber(portText);
  if (port === null) return null;
  const family: AddressFamily = proto === 'tcp4' ? 'ipv4' : 'ipv6';
  if (host === '*') return { endpoint: { address: wildcardAddress(family), port }, family, truncated: false };
  const v4 = ipv4Text(host);
  if (v4 !== null) {
    if (proto === 'tcp6') return null;
    return { endpoint: { address: proto === 'tcp4' ? v4 : mappedIpv4(v4), port }, family, truncated: false };
  }
  if (proto === 'tcp4') return null;
  const v6 = ipv6Text(host);
  if (v6 === null) return null;
  return { endpoint: { address: v6, port }, family, truncated: host.length === 16 || host.length === 39 };
}

const ROW = /^(tcp(?:46|4|6))\s+(\d+)\s+(\d+)\s+(\S+)\s+(\S+)\s+(\S+)(.*)$/;
const HEX = /^(?:0x)?[0-9A-Fa-f]+$/;
// After the state in the tahoe layout: rxbytes txbytes rhiwat shiwat, the name padded to 16 on the left, `:pid`,
// then columns without a colon. The greedy name takes everything up to the last `:digits` that only such columns
// follow, so a name with spaces (or colons) is read whole: the row is read from the right.
const TAHOE_REST = /^\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s(.*):(\d+)((?:\s+[0-9A-Fa-f]+)*)\s*$/;
const NOTE = /^Some \S+ sockets may have been (?:created|deleted|created or deleted)\.?$/;

interface RestFields {
  pid: number | null;
  command: string;
  effectivePid: number | null;
  rxBytes: number | null;
  txBytes: number | null;
}

/** The columns after the state, by layout; null when they do not fit it. */
function parseRest(rest: string, layout: DarwinNetstatLayout): RestFields | null {
  if (layout === 'plain') return rest.trim() === '' ? { pid: null, command: '', effectivePid: null, rxBytes: null, txBytes: null } : null;
  if (layout === 'tahoe') {
    const m = TAHOE_REST.exec(rest);
    if (!m) return null;
    const pid = count(m[6]);
    if (pid === null) return null;
    return { pid, command: m[5].replace(/^\s+/, ''), effectivePid: null, rxBytes: Number(m[1]), txBytes: Number(m[2]) };
  }
  const tokens = rest.trim().split(/\s+/);
  const numbers = layout === 'legacy' ? 4 : 6;
  if (tokens.length < numbers) return null;
  const values = tokens.slice(0, numbers).map(count);
  if (values.some((v) => v === null) || !tokens.slice(numbers).every((t) => HEX.test(t))) return null;
  const [pid, epid] = values.slice(numbers - 2) as number[];
  return {
    pid,
    command: '',
    effectivePid: epid === 0 ? null : epid,
    rxBytes: layout === 'sequoia' ? (values[0] as number) : null,
    txBytes: layout === 'sequoia' ? (values[1] as number) : null,
  };
}

/**
 * Parses `netstat -anv -p tcp` (also `-an`, `-anvl`). The header line decides the layout; rows before a header
 * or under a header of an unknown layout are reported unparsed. Never throws.
 */
export function parseDarwinNetstat(text: string): DarwinNetstatParse {
  const out: DarwinNetstatParse = { ...emptyParse<DarwinNetstatRow>(), layout: null, notes: [] };
  if (typeof text !== 'string') return out;
  let layout: DarwinNetstatLayout | null = null;
  let sawHeader = false;
  for (const line of text.split(/\r?\n/)) {
    const trimmed = line.trim();
    if (trimmed === '') continue;
    if (/^Active (?:Internet|Multipath Internet) connections/.test(trimmed)) continue;
    if (trimmed.startsWith('Proto ')) {
      sawHeader = true;
      layout = darwinNetstatLayout(trimmed);
      out.layout = layout;
      if (layout === null) out.unparsed.push(line);
      continue;
    }
    if (NOTE.test(trimmed)) {
      out.notes.push(trimmed);
      continue;
    }
    const m = ROW.exec(trimmed);
    const rest = m && layout !== null ? parseRest(m[7], layout) : null;
    const proto = m?.[1] as DarwinNetstatRow['proto'] | undefined;
    const local = m && proto ? parseAddress(m[4], proto) : null;
    const remote = m && proto ? parseAddress(m[5], proto) : null;
    const recvQ = m ? count(m[2]) : null;
    const sendQ = m ? count(m[3]) : null;
    if (!m || !proto || rest === null || local === null || remote === null || recvQ === null || sendQ === null || !sawHeader) {
      out.unparsed.push(line);
      continue;
    }
    const stateWord = m[6];
    addRow(out, {
      state: DARWIN_TCP_STATES.get(stateWord) ?? null,
      stateWord,
      family: local.family,
      local: local.endpoint,
      remote: remote.endpoint,
      inode: 0,
      uid: -1,
      recvQ,
      sendQ,
      timer: null,
      owners: rest.pid === null ? [] : [{ pid: rest.pid, command: rest.command }],
      proto,
      dualStack: proto === 'tcp46',
      pidIsLastUser: rest.pid !== null,
      effectivePid: rest.effectivePid,
      rxBytes: rest.rxBytes,
      txBytes: rest.txBytes,
      addressMayBeTruncated: local.truncated || remote.truncated,
    });
  }
  return out;
}
