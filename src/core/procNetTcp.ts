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

// One regular expression per family: it validates the whole prefix of the row that we use, so a truncated or
// garbled line fails as a whole instead of yielding half a record. Groups: local addr, local port, remote addr,
// remote port, st, tx_queue, rx_queue, tr, tm->when, retrnsmt, uid, timeout (probes), inode.
const TAIL = String.raw`\s+([0-9A-Fa-f]{2})\s+([0-9A-Fa-f]{8}):([0-9A-Fa-f]{8})\s+([0-9A-Fa-f]{2}):([0-9A-Fa-f]{1,16})\s+([0-9A-Fa-f]{1,8})\s+(\d{1,10})\s+(-?\d{1,10})\s+(\d{1,20})(?:\s|$)`;
const ROW_V4 = new RegExp(String.raw`^\s*\d+:\s+([0-9A-Fa-f]{8}):([0-9A-Fa-f]{4})\s+([0-9A-Fa-f]{8}):([0-9A-Fa-f]{4})` + TAIL);
const ROW_V6 = new RegExp(String.raw`^\s*\d+:\s+([0-9A-Fa-f]{32}):([0-9A-Fa-f]{4})\s+([0-9A-Fa-f]{32}):([0-9A-Fa-f]{4})` + TAIL);

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

/**
 * Parses the text of /proc/net/tcp (family 'ipv4') or /proc/net/tcp6 ('ipv6'). Never throws: the header and
 * blank lines are ignored, and any other line that does not parse is counted in `skipped`.
 */
export function parseProcNetTcp(text: string, family: AddressFamily, options: ProcNetTcpOptions = {}): ParseResult {
  const littleEndian = options.littleEndian ?? true;
  const userHz = options.userHz && options.userHz > 0 ? options.userHz : 100;
  const row = family === 'ipv4' ? ROW_V4 : ROW_V6;
  // Many rows share an address (every connection to one listener): decode each distinct hex once.
  const addressCache = new Map<string, string>();
  const address = (hex: string): string => {
    let a = addressCache.get(hex);
    if (a === undefined) {
      a = decodeProcAddress(hex, littleEndian);
      addressCache.set(hex, a);
    }
    return a;
  };
  const sockets: SocketRecord[] = [];
  let skipped = 0;
  let start = 0;
  const len = typeof text === 'string' ? text.length : 0;
  while (start < len) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = len;
    const line = text.slice(start, end);
    start = end + 1;
    const m = row.exec(line);
    if (!m) {
      const trimmed = line.trim();
      if (trimmed !== '' && !trimmed.startsWith('sl ')) skipped++;
      continue;
    }
    const state = ST_CODES[parseInt(m[5], 16)];
    const inode = Number(m[13]);
    if (state === undefined || !Number.isSafeInteger(inode)) {
      skipped++;
      continue;
    }
    sockets.push({
      state,
      family,
      local: { address: address(m[1]), port: parseInt(m[2], 16) },
      remote: { address: address(m[3]), port: parseInt(m[4], 16) },
      inode,
      uid: Number(m[11]),
      recvQ: parseInt(m[7], 16),
      sendQ: parseInt(m[6], 16),
      timer: timerOf(parseInt(m[8], 16), parseInt(m[9], 16), parseInt(m[10], 16), Math.max(0, Number(m[12])), userHz),
      owners: [],
    });
  }
  return { sockets, skipped };
}
