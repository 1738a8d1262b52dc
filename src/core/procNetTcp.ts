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
import type { AddressFamily, SocketRecord, SocketTimer, TcpState } from './types';

export interface ParseResult {
  sockets: SocketRecord[];
  /** Lines that were neither a header nor blank and could not be parsed. */
  skipped: number;
}

export interface ProcNetTcpOptions {
  /** Byte order of the machine that printed the table. Default: little-endian (x86, arm64). */
  littleEndian?: boolean;
  /** Clock ticks per second of tm->when. Default 100 (USER_HZ). */
  userHz?: number;
}

/** include/net/tcp_states.h. TCP_NEW_SYN_RECV (12) is a request socket: SYN-RECEIVED in RFC 9293 terms. */
const ST_CODES: readonly (TcpState | undefined)[] = [
  undefined,
  'ESTABLISHED', // 01 TCP_ESTABLISHED
  'SYN-SENT', // 02 TCP_SYN_SENT
  'SYN-RECEIVED', // 03 TCP_SYN_RECV
  'FIN-WAIT-1', // 04 TCP_FIN_WAIT1
  'FIN-WAIT-2', // 05 TCP_FIN_WAIT2
  'TIME-WAIT', // 06 TCP_TIME_WAIT
  'CLOSED', // 07 TCP_CLOSE
  'CLOSE-WAIT', // 08 TCP_CLOSE_WAIT
  'LAST-ACK', // 09 TCP_LAST_ACK
  'LISTEN', // 0A TCP_LISTEN
  'CLOSING', // 0B TCP_CLOSING
  'SYN-RECEIVED', // 0C TCP_NEW_SYN_RECV
];

/** The `/proc` hex `st` code of a state name, or undefined. */
export function stateFromProcCode(code: number): TcpState | undefined {
  return ST_CODES[code];
}

/** Bytes of one printed 32-bit word, in memory (network) order. */
function wordBytes(hex: string, littleEndian: boolean, out: number[]): void {
  const w = parseInt(hex, 16) >>> 0;
  if (littleEndian) out.push(w & 0xff, (w >>> 8) & 0xff, (w >>> 16) & 0xff, w >>> 24);
  else out.push(w >>> 24, (w >>> 16) & 0xff, (w >>> 8) & 0xff, w & 0xff);
}

/** Decodes a /proc/net/tcp{,6} address column (8 or 32 hex digits) to text. */
export function decodeProcAddress(hex: string, littleEndian = true): string {
  const bytes: number[] = [];
  for (let i = 0; i < hex.length; i += 8) wordBytes(hex.slice(i, i + 8), littleEndian, bytes);
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

// The row is read by hand, field by field from character codes, rather than with a regular expression: at tens of
// thousands of rows per sample the regex's captured substrings and parseInt calls were most of the parse cost.
// Grammar (whitespace = spaces or tabs; everything after the inode is ignored):
//   ws* digits ':' ws+ ADDR ':' HEX4 ws+ ADDR ':' HEX4 ws+ HEX2 ws+ HEX8 ':' HEX8 ws+ HEX2 ':' HEX{1,16}
//   ws+ HEX{1,8} ws+ DEC{1,10} ws+ '-'? DEC{1,10} ws+ DEC{1,20} (ws | end)
// where ADDR is 8 hex digits (tcp) or 32 (tcp6).

/** Value of a hex digit's char code, or -1. */
function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 65 && c <= 70) return c - 55;
  if (c >= 97 && c <= 102) return c - 87;
  return -1;
}

const isBlank = (c: number): boolean => c === 32 || c === 9;

/** A cursor over one line of the table: each reader advances `i` or returns -1 (the row is malformed). */
class RowReader {
  i = 0;
  end = 0;
  constructor(private readonly text: string) {}

  skipBlanks(): void {
    while (this.i < this.end && isBlank(this.text.charCodeAt(this.i))) this.i++;
  }

  /** At least one blank. */
  blanks(): boolean {
    const start = this.i;
    while (this.i < this.end && isBlank(this.text.charCodeAt(this.i))) this.i++;
    return this.i > start;
  }

  char(code: number): boolean {
    if (this.i < this.end && this.text.charCodeAt(this.i) === code) {
      this.i++;
      return true;
    }
    return false;
  }

  /** Between min and max hex digits; stops at the first non-hex character. */
  hex(min: number, max: number): number {
    let v = 0;
    let n = 0;
    while (n < max && this.i < this.end) {
      const d = hexValue(this.text.charCodeAt(this.i));
      if (d < 0) break;
      v = v * 16 + d;
      this.i++;
      n++;
    }
    return n >= min && (n < max || this.i >= this.end || hexValue(this.text.charCodeAt(this.i)) < 0) ? v : -1;
  }

  /** Between 1 and max decimal digits. */
  dec(max: number): number {
    let v = 0;
    let n = 0;
    while (this.i < this.end) {
      const c = this.text.charCodeAt(this.i);
      if (c < 48 || c > 57) break;
      v = v * 10 + (c - 48);
      this.i++;
      if (++n > max) return -1;
    }
    return n >= 1 ? v : -1;
  }
}

/**
 * Parses the text of /proc/net/tcp (family 'ipv4') or /proc/net/tcp6 ('ipv6'). Never throws: the header and
 * blank lines are ignored, and any other line that does not parse is counted in `skipped`.
 */
export function parseProcNetTcp(text: string, family: AddressFamily, options: ProcNetTcpOptions = {}): ParseResult {
  const littleEndian = options.littleEndian ?? true;
  const userHz = options.userHz && options.userHz > 0 ? options.userHz : 100;
  const addressDigits = family === 'ipv4' ? 8 : 32;
  const sockets: SocketRecord[] = [];
  let skipped = 0;
  if (typeof text !== 'string') return { sockets, skipped };
  // Many rows share an address (every connection to one listener): decode each distinct one once.
  const addressCache = new Map<string, string>();
  const r = new RowReader(text);
  const address = (): string | null => {
    const start = r.i;
    for (let k = 0; k < addressDigits; k++, r.i++) {
      if (r.i >= r.end || hexValue(text.charCodeAt(r.i)) < 0) return null;
    }
    const hex = text.slice(start, r.i);
    let a = addressCache.get(hex);
    if (a === undefined) {
      a = decodeProcAddress(hex, littleEndian);
      addressCache.set(hex, a);
    }
    return a;
  };
  const len = text.length;
  let start = 0;
  while (start < len) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = len;
    r.i = start;
    r.end = end;
    const record = readRow(r, address, family, userHz);
    if (record !== null) {
      sockets.push(record);
    } else {
      const trimmed = text.slice(start, end).trim();
      if (trimmed !== '' && !trimmed.startsWith('sl ')) skipped++;
    }
    start = end + 1;
  }
  return { sockets, skipped };
}

function readRow(r: RowReader, address: () => string | null, family: AddressFamily, userHz: number): SocketRecord | null {
  r.skipBlanks();
  if (r.dec(12) < 0 || !r.char(58) || !r.blanks()) return null;
  const localAddress = address();
  if (localAddress === null || !r.char(58)) return null;
  const localPort = r.hex(4, 4);
  if (localPort < 0 || !r.blanks()) return null;
  const remoteAddress = address();
  if (remoteAddress === null || !r.char(58)) return null;
  const remotePort = r.hex(4, 4);
  if (remotePort < 0 || !r.blanks()) return null;
  const st = r.hex(2, 2);
  if (st < 0 || !r.blanks()) return null;
  const txQueue = r.hex(8, 8);
  if (txQueue < 0 || !r.char(58)) return null;
  const rxQueue = r.hex(8, 8);
  if (rxQueue < 0 || !r.blanks()) return null;
  const tr = r.hex(2, 2);
  if (tr < 0 || !r.char(58)) return null;
  const when = r.hex(1, 16);
  if (when < 0 || !r.blanks()) return null;
  const retrnsmt = r.hex(1, 8);
  if (retrnsmt < 0 || !r.blanks()) return null;
  const uid = r.dec(10);
  if (uid < 0 || !r.blanks()) return null;
  const negative = r.char(45);
  const probes = r.dec(10);
  if (probes < 0 || !r.blanks()) return null;
  const inode = r.dec(20);
  if (inode < 0 || !Number.isSafeInteger(inode) || !(r.i >= r.end || r.blanks())) return null;
  const state = ST_CODES[st];
  if (state === undefined) return null;
  return {
    state,
    family,
    local: { address: localAddress, port: localPort },
    remote: { address: remoteAddress, port: remotePort },
    inode,
    uid,
    recvQ: rxQueue,
    sendQ: txQueue,
    timer: timerOf(tr, when, retrnsmt, negative ? 0 : probes, userHz),
    owners: [],
  };
}

/**
 * Drops rows that repeat an earlier row of the same reading (same family, 4-tuple and inode).
 * The kernel produces /proc/net/tcp one read() at a time and resumes each read at the Nth socket of its hash
 * walk, so a socket added between two reads shifts the walk and the next read repeats a row (seen under churn
 * in a third of the samples). The repeat is a copy, not a second socket: SO_REUSEPORT listeners sharing a
 * 4-tuple differ by inode, so they stay.
 */
export function dropRepeatedRows(sockets: SocketRecord[]): { sockets: SocketRecord[]; repeated: number } {
  // This runs on every sample over every row, so it builds no string per row. An inode names one socket: rows with
  // a file are keyed by it. Fileless rows (TIME-WAIT, request sockets, orphans) are bucketed by their port pair and
  // compared by family and addresses (the parser hands out one string per distinct address, so the comparisons
  // are cheap).
  const seenInodes = new Set<number>();
  const fileless = new Map<number, SocketRecord[]>();
  const kept: SocketRecord[] = [];
  for (const s of sockets) {
    if (s.inode !== 0) {
      if (seenInodes.has(s.inode)) continue;
      seenInodes.add(s.inode);
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
  return { sockets: kept, repeated: sockets.length - kept.length };
}
