// Parser for /proc/net/tcp and /proc/net/tcp6 (Linux, net/ipv4/tcp_ipv4.c get_tcp4_sock / get_timewait4_sock /
// get_openreq4, and their IPv6 twins in net/ipv6/tcp_ipv6.c). Pure: no I/O.
//
// Row layout (seq_printf formats in those functions):
//   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ...
//    0: 0100007F:8779 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 16624 ...
// - Addresses are the raw `__be32` words printed with %08X, i.e. as the *host* reads them: on a little-endian
//   machine (x86, arm64) 127.0.0.1 prints as 0100007F. IPv6 addresses are four such words. Ports are %04X of
//   the host-order port, so they read directly.
// - st is the kernel's tcp_states enum (include/net/tcp_states.h).
// - tx_queue:rx_queue are hex byte counts (LISTEN rows: rx_queue is the accept queue; /proc gives no backlog).
// - tr:tm->when is the pending timer and its time left in clock ticks: jiffies_delta_to_clock_t(), i.e. USER_HZ
//   (100 per second on every architecture Linux userland sees, `getconf CLK_TCK`).
// - retrnsmt (hex) is icsk_retransmits; "timeout" (decimal) is icsk_probes_out (keepalive / zero-window probes).
import type { AddressFamily, SocketRecord, SocketTimer } from '../domain/types';
import { stateOfStCode } from '../domain/states';

export interface ParseResult {
  sockets: SocketRecord[];
  /** Lines that were neither a header nor blank and could not be parsed. */
  skipped: number;
  /** /proc only: the `sl  local_address ...` header line was seen (the kernel always prints it, even for no sockets). */
  header?: boolean;
}

export interface ProcNetTcpOptions {
  /** Byte order of the machine that printed the table. Default: little-endian (x86, arm64). */
  littleEndian?: boolean;
  /** Clock ticks per second of tm->when. Default 100 (USER_HZ). */
  userHz?: number;
  /**
   * The previous reading's records by inode. A row identical to its socket's previous record (and without a
   * timer, whose time left changes) yields that record itself rather than a new one: most rows do not change
   * between two samples, and not allocating them keeps the garbage collector's share of a sample small.
   */
  previous?: ReadonlyMap<number, SocketRecord>;
}

/** Bytes of one printed 32-bit word (its value), in memory (network) order. */
function wordBytes(w: number, littleEndian: boolean, out: number[]): void {
  if (littleEndian) out.push(w & 0xff, (w >>> 8) & 0xff, (w >>> 16) & 0xff, w >>> 24);
  else out.push(w >>> 24, (w >>> 16) & 0xff, (w >>> 8) & 0xff, w & 0xff);
}

/** Decodes a /proc/net/tcp{,6} address column (8 or 32 hex digits) to text. */
export function decodeProcAddress(hex: string, littleEndian = true): string {
  const bytes: number[] = [];
  for (let i = 0; i < hex.length; i += 8) wordBytes(parseInt(hex.slice(i, i + 8), 16) >>> 0, littleEndian, bytes);
  return bytes.length === 4 ? bytes.join('.') : formatIpv6(bytes);
}

/**
 * RFC 5952 text of a 16-byte IPv6 address: lowercase, no leading zeros, the longest run (first on a tie) of two
 * or more zero groups as `::`, and IPv4-mapped addresses (::ffff:0:0/96) in mixed notation (RFC 5952 section 5).
 */
export function formatIpv6(bytes: readonly number[]): string {
  const g: number[] = [];
  for (let i = 0; i < 16; i += 2) g.push(((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0));
  if (g[0] === 0 && g[1] === 0 && g[2] === 0 && g[3] === 0 && g[4] === 0 && g[5] === 0xffff) {
    return `::ffff:${bytes[12]}.${bytes[13]}.${bytes[14]}.${bytes[15]}`;
  }
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (arr: number[]) => arr.map((x) => x.toString(16)).join(':');
  if (bestStart < 0) return hex(g);
  return `${hex(g.slice(0, bestStart))}::${hex(g.slice(bestStart + bestLen))}`;
}

function timerOf(tr: number, whenTicks: number, retrnsmt: number, probes: number, userHz: number): SocketTimer | null {
  const remainingMs = Math.round((whenTicks * 1000) / userHz);
  switch (tr) {
    case 1:
      return { kind: 'retransmit', remainingMs, retransmits: retrnsmt };
    case 2:
      return { kind: 'keepalive', remainingMs, retransmits: probes };
    case 3:
      return { kind: 'timewait', remainingMs, retransmits: 0 };
    case 4:
      // ICSK_TIME_PROBE0: the zero-window probe, which RFC 9293 calls the persist timer.
      return { kind: 'persist', remainingMs, retransmits: probes };
    default:
      return null;
  }
}

/** Value of each hex digit's char code (below 128), -1 for anything else. */
const HEX = new Int8Array(128).fill(-1);
for (let c = 0; c < 10; c++) HEX[48 + c] = c;
for (let c = 0; c < 6; c++) HEX[65 + c] = HEX[97 + c] = 10 + c;

// Readers of one field each, over the table's bytes: they take the bytes, the position and the line's end, and
// return the position after the field or -1 (the row is malformed); the field's value goes to `value`. Positions
// stay in local variables, and the bytes are read as they came from read(2), with no string made of the table:
// this is the hot path of every sample (one pass over ~150 bytes per row, tens of thousands of rows).
let value = 0;

/** Past blanks (spaces, tabs); at least `min` of them, else -1. */
function blanks(b: Uint8Array, i: number, end: number, min: number): number {
  const start = i;
  while (i < end && (b[i] === 32 || b[i] === 9)) i++;
  return i - start >= min ? i : -1;
}

/** Between min and max hex digits, and then no further hex digit. */
function hex(b: Uint8Array, i: number, end: number, min: number, max: number): number {
  let v = 0;
  let n = 0;
  for (; i < end; i++) {
    const c = b[i];
    const d = c < 128 ? HEX[c] : -1;
    if (d < 0) break;
    if (n === max) return -1;
    v = v * 16 + d;
    n++;
  }
  if (n < min) return -1;
  value = v;
  return i;
}

/** Between 1 and max decimal digits. */
function dec(b: Uint8Array, i: number, end: number, max: number): number {
  let v = 0;
  let n = 0;
  for (; i < end; i++) {
    const c = b[i];
    if (c < 48 || c > 57) break;
    if (n === max) return -1;
    v = v * 10 + (c - 48);
    n++;
  }
  if (n === 0) return -1;
  value = v;
  return i;
}

/** The byte `code`, else -1. */
function char(b: Uint8Array, i: number, end: number, code: number): number {
  return i < end && b[i] === code ? i + 1 : -1;
}

/** Text of one printed 32-bit word's four bytes in memory order, as a dotted quad. */
function dottedQuad(w: number, littleEndian: boolean): string {
  const bytes: number[] = [];
  wordBytes(w, littleEndian, bytes);
  return bytes.join('.');
}

interface V6Entry {
  w0: number;
  w1: number;
  w2: number;
  text: string;
}

/**
 * Decoded addresses of one parse: many rows share an address (every connection to one listener), so each distinct
 * one is decoded once. Keyed by the printed words' values, so looking one up makes no string.
 */
class AddressCache {
  private readonly v4 = new Map<number, string>();
  /** By the last word, then compared on the other three. */
  private readonly v6 = new Map<number, V6Entry[]>();
  constructor(private readonly littleEndian: boolean) {}

  /** The 8 hex digits at i, or null. */
  ipv4(b: Uint8Array, i: number, end: number): string | null {
    if (hex(b, i, end, 8, 8) < 0) return null;
    const w = value >>> 0;
    let a = this.v4.get(w);
    if (a === undefined) this.v4.set(w, (a = dottedQuad(w, this.littleEndian)));
    return a;
  }

  /** The 32 hex digits at i (four printed words), or null. */
  ipv6(b: Uint8Array, i: number, end: number): string | null {
    if (i + 32 > end || hex(b, i + 24, end, 8, 8) < 0) return null;
    const w3 = value >>> 0;
    if (hex(b, i, i + 8, 8, 8) < 0) return null;
    const w0 = value >>> 0;
    if (hex(b, i + 8, i + 16, 8, 8) < 0) return null;
    const w1 = value >>> 0;
    if (hex(b, i + 16, i + 24, 8, 8) < 0) return null;
    const w2 = value >>> 0;
    let list = this.v6.get(w3);
    if (list === undefined) this.v6.set(w3, (list = []));
    for (const e of list) if (e.w0 === w0 && e.w1 === w1 && e.w2 === w2) return e.text;
    const bytes: number[] = [];
    for (const w of [w0, w1, w2, w3]) wordBytes(w, this.littleEndian, bytes);
    const text = formatIpv6(bytes);
    list.push({ w0, w1, w2, text });
    return text;
  }
}

/** The string's characters as bytes; a character above U+00FF becomes 0xFF, which no field accepts. */
function bytesOf(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    out[i] = c > 0xff ? 0xff : c;
  }
  return out;
}

/**
 * Parses the text of /proc/net/tcp (family 'ipv4') or /proc/net/tcp6 ('ipv6'). Never throws: the header and
 * blank lines are ignored, and any other line that does not parse is counted in `skipped`.
 */
export function parseProcNetTcp(text: string, family: AddressFamily, options: ProcNetTcpOptions = {}): ParseResult {
  if (typeof text !== 'string') return { sockets: [], skipped: 0, header: false };
  const bytes = bytesOf(text);
  return parseRows(bytes, bytes.length, family, options, (start, end) => text.slice(start, end));
}

/**
 * parseProcNetTcp over the table's bytes as read from the file (the first `length` of `bytes`), without making a
 * string of them: what the sampler does every sample.
 */
export function parseProcNetTcpBytes(bytes: Uint8Array, length: number, family: AddressFamily, options: ProcNetTcpOptions = {}): ParseResult {
  return parseRows(bytes, Math.min(length, bytes.length), family, options, (start, end) => latin1(bytes, start, end));
}

function latin1(bytes: Uint8Array, start: number, end: number): string {
  let s = '';
  for (let i = start; i < end; i++) s += String.fromCharCode(bytes[i]);
  return s;
}

/** `lineText` gives a line that did not parse as text, to tell the header and blank lines from bad rows. */
function parseRows(b: Uint8Array, len: number, family: AddressFamily, options: ProcNetTcpOptions, lineText: (start: number, end: number) => string): ParseResult {
  const littleEndian = options.littleEndian ?? true;
  const userHz = options.userHz && options.userHz > 0 ? options.userHz : 100;
  const sockets: SocketRecord[] = [];
  let skipped = 0;
  let header = false;
  const addresses = new AddressCache(littleEndian);
  let start = 0;
  while (start < len) {
    let end = b.indexOf(10, start);
    if (end < 0 || end > len) end = len;
    const record = readRow(b, start, end, addresses, family, userHz, options.previous);
    if (record !== null) {
      sockets.push(record);
    } else {
      const trimmed = lineText(start, end).trim();
      if (trimmed.startsWith('sl ')) header = true;
      else if (trimmed !== '') skipped++;
    }
    start = end + 1;
  }
  return { sockets, skipped, header };
}

// Grammar (whitespace = spaces or tabs; everything after the inode is ignored):
//   ws* digits ':' ws+ ADDR ':' HEX4 ws+ ADDR ':' HEX4 ws+ HEX2 ws+ HEX8 ':' HEX8 ws+ HEX2 ':' HEX{1,16}
//   ws+ HEX{1,8} ws+ DEC{1,10} ws+ '-'? DEC{1,10} ws+ DEC{1,20} (ws | end)
// where ADDR is 8 hex digits (tcp) or 32 (tcp6). Read by hand from character codes rather than with a regular
// expression: at tens of thousands of rows per sample the regex's captured substrings were most of the cost.
function readRow(text: Uint8Array, i: number, end: number, addresses: AddressCache, family: AddressFamily, userHz: number, previous: ReadonlyMap<number, SocketRecord> | undefined): SocketRecord | null {
  const v4 = family === 'ipv4';
  const digits = v4 ? 8 : 32;
  i = blanks(text, i, end, 0);
  if ((i = dec(text, i, end, 12)) < 0 || (i = char(text, i, end, 58)) < 0 || (i = blanks(text, i, end, 1)) < 0) return null;
  const localAddress = v4 ? addresses.ipv4(text, i, end) : addresses.ipv6(text, i, end);
  if (localAddress === null || (i = char(text, i + digits, end, 58)) < 0 || (i = hex(text, i, end, 4, 4)) < 0) return null;
  const localPort = value;
  if ((i = blanks(text, i, end, 1)) < 0) return null;
  const remoteAddress = v4 ? addresses.ipv4(text, i, end) : addresses.ipv6(text, i, end);
  if (remoteAddress === null || (i = char(text, i + digits, end, 58)) < 0 || (i = hex(text, i, end, 4, 4)) < 0) return null;
  const remotePort = value;
  if ((i = blanks(text, i, end, 1)) < 0 || (i = hex(text, i, end, 2, 2)) < 0) return null;
  const st = value;
  if ((i = blanks(text, i, end, 1)) < 0 || (i = hex(text, i, end, 8, 8)) < 0) return null;
  const txQueue = value;
  if ((i = char(text, i, end, 58)) < 0 || (i = hex(text, i, end, 8, 8)) < 0) return null;
  const rxQueue = value;
  if ((i = blanks(text, i, end, 1)) < 0 || (i = hex(text, i, end, 2, 2)) < 0) return null;
  const tr = value;
  if ((i = char(text, i, end, 58)) < 0 || (i = hex(text, i, end, 1, 16)) < 0) return null;
  const when = value;
  if ((i = blanks(text, i, end, 1)) < 0 || (i = hex(text, i, end, 1, 8)) < 0) return null;
  const retrnsmt = value;
  if ((i = blanks(text, i, end, 1)) < 0 || (i = dec(text, i, end, 10)) < 0) return null;
  const uid = value;
  if ((i = blanks(text, i, end, 1)) < 0) return null;
  const negative = i < end && text[i] === 45;
  if (negative) i++;
  if ((i = dec(text, i, end, 10)) < 0) return null;
  const probes = value;
  if ((i = blanks(text, i, end, 1)) < 0 || (i = dec(text, i, end, 20)) < 0) return null;
  const inode = value;
  if (!Number.isSafeInteger(inode) || (i < end && blanks(text, i, end, 1) < 0)) return null;
  const state = stateOfStCode(st);
  if (state === undefined) return null;
  if (previous !== undefined && inode !== 0 && tr === 0) {
    const p = previous.get(inode);
    if (
      p !== undefined &&
      p.timer === null &&
      p.state === state &&
      p.family === family &&
      p.local.port === localPort &&
      p.remote.port === remotePort &&
      p.local.address === localAddress &&
      p.remote.address === remoteAddress &&
      p.uid === uid &&
      p.recvQ === rxQueue &&
      p.sendQ === txQueue
    ) {
      return p;
    }
  }
  return {
    state,
    family,
    local: { address: localAddress, port: localPort },
    remote: { address: remoteAddress, port: remotePort },
    inode,
    uid,
    recvQ: rxQueue,
    sendQ: txQueue,
    timer: tr === 0 ? null : timerOf(tr, when, retrnsmt, negative ? 0 : probes, userHz),
    owners: [],
  };
}

/**
 * Drops rows that repeat an earlier row of the same reading: the same inode, or for rows without one the same
 * family and 4-tuple. Also gives the rows kept that have an inode by inode (the next reading's `previous`).
 * The kernel produces /proc/net/tcp one read() at a time and resumes each read at the Nth socket of its hash
 * walk, so a socket added between two reads shifts the walk and the next read repeats a row (seen under churn
 * in a third of the samples). The repeat is a copy, not a second socket: SO_REUSEPORT listeners sharing a
 * 4-tuple differ by inode, so they stay.
 */
export function dropRepeatedRows(sockets: SocketRecord[]): { sockets: SocketRecord[]; repeated: number; byInode: Map<number, SocketRecord> } {
  // This runs on every sample over every row, so it builds no string per row. An inode names one socket: rows with
  // a file are keyed by it. Fileless rows (TIME-WAIT, request sockets, orphans) are bucketed by their port pair and
  // compared by family and addresses (the parser hands out one string per distinct address, so the comparisons
  // are cheap).
  const byInode = new Map<number, SocketRecord>();
  const fileless = new Map<number, SocketRecord[]>();
  const kept: SocketRecord[] = [];
  for (const s of sockets) {
    if (s.inode !== 0) {
      if (byInode.has(s.inode)) continue;
      byInode.set(s.inode, s);
    } else {
      const key = s.local.port * 65_536 + s.remote.port;
      const bucket = fileless.get(key);
      if (bucket === undefined) {
        fileless.set(key, [s]);
      } else {
        if (bucket.some((t) => t.family === s.family && t.local.address === s.local.address && t.remote.address === s.remote.address)) continue;
        bucket.push(s);
      }
    }
    kept.push(s);
  }
  return { sockets: kept, repeated: sockets.length - kept.length, byInode };
}
