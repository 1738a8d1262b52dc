// Parser for the output of `ss -tanoeH` (iproute2 misc/ss.c). Pure: no I/O.
//
//   ESTAB  0  0  127.0.0.1:43904  127.0.0.1:38735 timer:(keepalive,59sec,0) uid:1000 ino:16213 sk:100d cgroup:/ <->
//   LISTEN 0  511  [::1]:35087  [::]:*  ino:16210 sk:101b cgroup:/ v6only:1 <->
//   LISTEN 0  511  *:41621  *:*  ino:16211 sk:101c cgroup:/ v6only:0 <->
// Columns: state, Recv-Q, Send-Q, local, peer, then details in a fixed order (parseDetails). Facts from ss.c:
// - state names (sstate_name): ESTAB SYN-SENT SYN-RECV FIN-WAIT-1 FIN-WAIT-2 TIME-WAIT UNCONN CLOSE-WAIT LAST-ACK
//   LISTEN CLOSING; UNCONN is TCP_CLOSE.
// - `uid:` is printed only when the uid is not 0 (sock_details_print), so a missing uid means root.
// - `timer:(name,time,count)`: name from tmr_name {off, on, keepalive, timewait, persist, unknown}; time from
//   print_ms_timer(): `[Nmin][S(sec|.)][MMMms]`, e.g. `1min43sec`, `59sec`, `5.123ms` (= 5.123 s), `016ms`,
//   and the empty string for 0; count is retransmits (`on`) or probes sent (keepalive, persist).
// - `*` is the wildcard address (an IPv6 socket that also accepts IPv4, v6only:0) and the wildcard port.
// - `%iface` follows an address when the socket is bound to a device: `[fe80::1]%eth0:22`, `0.0.0.0%lo:53`.
import { formatIpv6, type ParseResult } from './procNetTcp';
import type { AddressFamily, Endpoint, SocketRecord, SocketTimer, TcpState, TimerKind } from '../domain/types';
import { SS_STATES } from '../domain/states';

const TIMER_KINDS: Readonly<Record<string, TimerKind>> = {
  on: 'retransmit',
  keepalive: 'keepalive',
  timewait: 'timewait',
  persist: 'persist',
};

/** print_ms_timer() output back to milliseconds; null when malformed. */
export function parseSsDuration(text: string): number | null {
  if (text === '') return 0;
  const m = /^(?:(\d+)min)?(?:(\d+)(sec|\.))?(?:(\d+)ms)?$/.exec(text);
  if (!m || (m[1] === undefined && m[2] === undefined && m[4] === undefined)) return null;
  // "5." is only ever followed by milliseconds.
  if (m[3] === '.' && m[4] === undefined) return null;
  return Number(m[1] ?? 0) * 60_000 + Number(m[2] ?? 0) * 1000 + Number(m[4] ?? 0);
}

/** `timer:(on,200ms,0)` to a SocketTimer; null for `off`, `unknown` or a malformed value. */
export function parseSsTimer(token: string): SocketTimer | null {
  const m = /^timer:\(([a-z]+),([^,()]*),(\d+)\)$/.exec(token);
  if (!m) return null;
  const kind = TIMER_KINDS[m[1]];
  const remainingMs = parseSsDuration(m[2]);
  if (kind === undefined || remainingMs === null) return null;
  return { kind, remainingMs, retransmits: Number(m[3]) };
}

function parseIpv4(text: string): string | null {
  const parts = text.split('.');
  if (parts.length !== 4) return null;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) return null;
  }
  return parts.map(Number).join('.');
}

/** Parses IPv6 text (with `::` and an optional trailing dotted quad) to 16 bytes; null when invalid. */
export function parseIpv6(text: string): number[] | null {
  if (text.length === 0 || text.length > 45) return null;
  let head = text;
  let v4: string | null = null;
  const lastColon = text.lastIndexOf(':');
  if (text.includes('.', lastColon)) {
    v4 = parseIpv4(text.slice(lastColon + 1));
    if (v4 === null) return null;
    head = text.slice(0, lastColon + 1);
    // `::ffff:1.2.3.4` leaves `::ffff:`; a single trailing colon belongs to the dotted quad.
    if (head.endsWith(':') && !head.endsWith('::')) head = head.slice(0, -1);
  }
  const groupsWanted = v4 === null ? 8 : 6;
  const halves = head.split('::');
  if (halves.length > 2) return null;
  const toGroups = (s: string): number[] | null => {
    if (s === '') return [];
    const out: number[] = [];
    for (const g of s.split(':')) {
      if (!/^[0-9A-Fa-f]{1,4}$/.test(g)) return null;
      out.push(parseInt(g, 16));
    }
    return out;
  };
  const left = toGroups(halves[0]);
  const right = halves.length === 2 ? toGroups(halves[1]) : [];
  if (left === null || right === null) return null;
  let groups: number[];
  if (halves.length === 2) {
    const missing = groupsWanted - left.length - right.length;
    if (missing < 1) return null;
    groups = [...left, ...new Array<number>(missing).fill(0), ...right];
  } else {
    if (left.length !== groupsWanted) return null;
    groups = left;
  }
  const bytes: number[] = [];
  for (const g of groups) bytes.push(g >> 8, g & 0xff);
  if (v4 !== null) for (const p of v4.split('.')) bytes.push(Number(p));
  return bytes;
}

interface RawEndpoint {
  /** Null for the `*` wildcard, whose family the other columns decide. */
  address: string | null;
  family: AddressFamily | null;
  port: number;
}

type HostCache = Map<string, { address: string | null; family: AddressFamily | null } | null>;

/** `127.0.0.1:80`, `[::1]:80`, `*:*`, `[fe80::1]%lo:22`, `0.0.0.0%lo:53`, `:::22` (old ss) to an endpoint. */
function parseEndpoint(token: string, hosts: HostCache): RawEndpoint | null {
  const colon = token.lastIndexOf(':');
  if (colon <= 0) return null;
  let port = 0;
  if (!(colon === token.length - 2 && token.charCodeAt(colon + 1) === 42)) {
    const digits = token.length - colon - 1;
    if (digits < 1 || digits > 5) return null;
    for (let i = colon + 1; i < token.length; i++) {
      const c = token.charCodeAt(i);
      if (c < 48 || c > 57) return null;
      port = port * 10 + (c - 48);
    }
    if (port > 65535) return null;
  }
  // Most rows repeat a few addresses: parse each distinct host text once per table.
  const hostText = token.slice(0, colon);
  let host = hosts.get(hostText);
  if (host === undefined) {
    host = parseHost(hostText);
    hosts.set(hostText, host);
  }
  return host === null ? null : { address: host.address, family: host.family, port };
}

function parseHost(text: string): { address: string | null; family: AddressFamily | null } | null {
  let host = text;
  let zone = '';
  if (host.startsWith('[')) {
    const close = host.indexOf(']');
    if (close < 0) return null;
    const rest = host.slice(close + 1);
    if (rest !== '' && !/^%[^\s%[\]]+$/.test(rest)) return null;
    zone = rest;
    host = host.slice(1, close);
  } else {
    const pct = host.indexOf('%');
    if (pct >= 0) {
      zone = host.slice(pct);
      host = host.slice(0, pct);
      if (!/^%[^\s%[\]]+$/.test(zone)) return null;
    }
  }
  if (host === '*') return { address: null, family: null };
  if (host.includes(':')) {
    const bytes = parseIpv6(host);
    if (bytes === null) return null;
    let address = formatIpv6(bytes);
    // Keep the interface only where it is part of the address: a link-local zone (RFC 4007 section 11).
    if (zone !== '' && bytes[0] === 0xfe && (bytes[1] & 0xc0) === 0x80) address += zone;
    return { address, family: 'ipv6' };
  }
  const v4 = parseIpv4(host);
  if (v4 === null) return null;
  return { address: v4, family: 'ipv4' };
}

function isCount(token: string): boolean {
  return /^\d{1,12}$/.test(token);
}

/**
 * Parses `ss -tanoeH` output (a header line, if present, is ignored; so is a leading Netid column). Never throws:
 * lines that do not parse are counted in `skipped`. Detail tokens ss prints on a continuation line (starting
 * with whitespace) are applied to the socket above, filling only what its own line did not set.
 */
export function parseSsOutput(text: string): ParseResult {
  const sockets: SocketRecord[] = [];
  let skipped = 0;
  let previous: { record: SocketRecord; set: DetailSet } | null = null;
  const hosts: HostCache = new Map();
  const lines = typeof text === 'string' ? text.split('\n') : [];
  for (const line of lines) {
    const tokens = line.trim().split(/\s+/);
    if (tokens[0] === '') continue;
    if (tokens[0] === 'tcp' && tokens.length > 5) tokens.shift();
    if (tokens[0] === 'State' || tokens[0] === 'Netid') continue;
    const state = SS_STATES[tokens[0]];
    if (state === undefined) {
      if (/^\s/.test(line) && previous !== null && applyDetails(previous.record, parseDetails(tokens), previous.set)) continue;
      skipped++;
      previous = null;
      continue;
    }
    const row = parseRow(state, tokens, hosts);
    if (row === null) {
      skipped++;
      previous = null;
      continue;
    }
    sockets.push(row.record);
    previous = row;
  }
  return { sockets, skipped };
}

function parseRow(state: TcpState, tokens: string[], hosts: HostCache): { record: SocketRecord; set: DetailSet } | null {
  if (tokens.length < 5 || !isCount(tokens[1]) || !isCount(tokens[2])) return null;
  const local = parseEndpoint(tokens[3], hosts);
  const remote = parseEndpoint(tokens[4], hosts);
  if (local === null || remote === null) return null;
  const details = parseDetails(tokens.slice(5));
  let family: AddressFamily;
  if (local.family !== null && remote.family !== null) {
    if (local.family !== remote.family) return null;
    family = local.family;
  } else if (details.v6only) {
    family = 'ipv6';
  } else {
    // ss (iproute2 >= 4.x) prints 0.0.0.0 for the IPv4 wildcard, so a lone `*` is the IPv6 one.
    family = local.family ?? remote.family ?? 'ipv6';
  }
  const wildcard = family === 'ipv4' ? '0.0.0.0' : '::';
  const endpoint = (e: RawEndpoint): Endpoint => ({ address: e.address ?? wildcard, port: e.port });
  const record: SocketRecord = {
    state,
    family,
    local: endpoint(local),
    remote: endpoint(remote),
    inode: 0,
    uid: 0,
    recvQ: Number(tokens[1]),
    sendQ: Number(tokens[2]),
    timer: null,
    owners: [],
  };
  const set: DetailSet = new Set();
  applyDetails(record, details, set);
  return { record, set };
}

/** The detail fields a row has been given, so a continuation line fills only what is missing. */
type DetailSet = Set<'timer' | 'uid' | 'inode'>;

interface Details {
  timer?: SocketTimer | null;
  uid?: number;
  inode?: number;
  /** A `v6only:` token after the cgroup path (IPv6 sockets only). */
  v6only: boolean;
}

/** The shutdown marker ss prints last on a row with -e (`<->`, `-->`, `<--`, `---`). */
const SHUTDOWN_MARKER = /^(?:<|-)-(?:>|-)$/;

/**
 * Reads the detail tokens at their place. ss (sock_details_print, inet_show_sock) prints, in this order:
 * `timer:(...)` (with -o), `uid:N` (only when not 0), `ino:N`, `sk:X`, `fwmark:0x..` (when set), `cgroup:PATH`,
 * then `v6only:N` for IPv6 and the shutdown marker. A cgroup path is any text, spaces and `ino:`-looking words
 * included, so everything from `cgroup:` up to those two tail tokens is the path and is never read as a field.
 * Each field is taken once, at or after the place of the field before it; a token out of order is ignored.
 */
function parseDetails(tokens: readonly string[]): Details {
  const out: Details = { v6only: false };
  let end = tokens.length;
  if (end > 0 && SHUTDOWN_MARKER.test(tokens[end - 1])) end--;
  if (end > 0 && /^v6only:[01]$/.test(tokens[end - 1])) {
    out.v6only = tokens[end - 1] === 'v6only:1';
    end--;
  }
  // Fields in print order; `next` is the first one still allowed.
  const ORDER = ['timer', 'uid', 'ino', 'sk', 'fwmark'] as const;
  let next = 0;
  for (let i = 0; i < end; i++) {
    const t = tokens[i];
    if (t.startsWith('cgroup:')) break; // the path runs to the tail tokens
    const colon = t.indexOf(':');
    const key = colon > 0 ? t.slice(0, colon) : '';
    const place = (ORDER as readonly string[]).indexOf(key);
    if (place < next) continue;
    next = place + 1;
    const v = t.slice(colon + 1);
    if (key === 'timer') {
      if (t.startsWith('timer:(')) out.timer = parseSsTimer(t);
    } else if (key === 'uid') {
      if (/^\d{1,10}$/.test(v)) out.uid = Number(v);
    } else if (key === 'ino') {
      if (/^\d{1,15}$/.test(v)) out.inode = Number(v);
    }
  }
  return out;
}

/** Applies the fields not set yet; true when the tokens held at least one recognised field. */
function applyDetails(record: SocketRecord, d: Details, set: DetailSet): boolean {
  let any = false;
  if (d.inode !== undefined) {
    any = true;
    if (!set.has('inode')) {
      record.inode = d.inode;
      set.add('inode');
    }
  }
  if (d.uid !== undefined) {
    any = true;
    if (!set.has('uid')) {
      record.uid = d.uid;
      set.add('uid');
    }
  }
  if (d.timer !== undefined) {
    any = true;
    if (!set.has('timer')) {
      record.timer = d.timer;
      set.add('timer');
    }
  }
  return any;
}
