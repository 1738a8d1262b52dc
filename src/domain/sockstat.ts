// The TCP lines of /proc/<pid>/net/sockstat and sockstat6, parsed from their bytes, and what they say about which
// of a namespace's TCP tables can hold rows. One parser for both users: the change probes (src/sampling/
// changeProbe.ts, four times a second per namespace, on the bytes of a kept fd: no string of the file is made) and
// the sampler's check before it reads another namespace's tables (src/sampling/namespaces.ts tcpTablesToRead).
// Pure: no node: modules, no I/O.
//
// What the fields mean (net/ipv4/proc.c sockstat_seq_show, net/ipv6/proc.c sockstat6_seq_show; checked on Linux
// 6.18 with a fresh namespace: inuse 0 tw 0, then 1 and 1 after a connection closed into TIME-WAIT):
//   TCP: inuse  sock_prot_inuse_get(net, &tcp_prot): this namespace's IPv4 sockets in the listening and established
//               hashes;  tw  this namespace's TIME-WAIT (and FIN-WAIT-2 timewait) mini-sockets, IPv4 and IPv6;
//               orphan, alloc  machine-wide (per struct proto, not per namespace).
//   TCP6: inuse  the same as TCP's inuse for tcpv6_prot (IPv4-mapped sockets included).

const NL = 0x0a;
const MINUS = 0x2d;

/** The ASCII bytes of s. */
function bytesOf(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i) & 0xff;
  return out;
}

/** Position of needle in b within [from, end), or -1. Native indexOf finds each candidate's first byte. */
export function indexOfBytes(b: Uint8Array, needle: Uint8Array, from: number, end: number): number {
  const first = needle[0];
  const last = end - needle.length;
  for (let i = b.indexOf(first, from); i >= 0 && i <= last; i = b.indexOf(first, i + 1)) {
    let j = 1;
    while (j < needle.length && b[i + j] === needle[j]) j++;
    if (j === needle.length) return i;
  }
  return -1;
}

/** Start of the first line at or after `from` that begins with `prefix`, or -1. */
export function lineStarting(b: Uint8Array, from: number, end: number, prefix: Uint8Array): number {
  for (let i = from; i >= 0 && i < end; ) {
    // i is a line start when it is 0 or follows a newline.
    if (i === 0 || b[i - 1] === NL) {
      if (i + prefix.length <= end) {
        let j = 0;
        while (j < prefix.length && b[i + j] === prefix[j]) j++;
        if (j === prefix.length) return i;
      }
    }
    const nl = b.indexOf(NL, i);
    if (nl < 0 || nl + 1 >= end) return -1;
    i = nl + 1;
  }
  return -1;
}

/** End (position of the newline, or end) of the line holding position i. */
export function lineEnd(b: Uint8Array, i: number, end: number): number {
  const n = b.indexOf(NL, i);
  return n < 0 || n > end ? end : n;
}

/** The decimal integer at i (optional minus sign); NaN when there is none. Values up to 2^53 are exact. */
export function numberAt(b: Uint8Array, i: number, end: number): number {
  let neg = false;
  if (b[i] === MINUS) {
    neg = true;
    i++;
  }
  let v = 0;
  let digits = 0;
  while (i < end) {
    const d = b[i] - 0x30;
    if (d < 0 || d > 9) break;
    v = v * 10 + d;
    digits++;
    i++;
  }
  if (digits === 0) return NaN;
  return neg ? -v : v;
}

/** One TCP line of sockstat (`TCP: inuse 5 orphan 0 tw 2 alloc 9 mem 1`) or sockstat6 (`TCP6: inuse 3`). */
export interface SockstatTcp {
  /** null where the line does not have the field (sockstat6 has inuse only). */
  readonly inuse: number | null;
  readonly orphan: number | null;
  readonly tw: number | null;
  readonly alloc: number | null;
}

const PREFIX = { TCP: bytesOf('TCP:'), TCP6: bytesOf('TCP6:') } as const;
const K_INUSE = bytesOf(' inuse ');
const K_ORPHAN = bytesOf(' orphan ');
const K_TW = bytesOf(' tw ');
const K_ALLOC = bytesOf(' alloc ');

function keyed(b: Uint8Array, from: number, to: number, key: Uint8Array): number | null {
  const i = indexOfBytes(b, key, from, to);
  if (i < 0) return null;
  const v = numberAt(b, i + key.length, to);
  return Number.isNaN(v) ? null : v;
}

/**
 * The `TCP:` line (`line` 'TCP', in sockstat) or the `TCP6:` line ('TCP6', in sockstat6) of the first `length`
 * bytes of `b`; null when there is no such line.
 */
export function parseSockstatTcp(b: Uint8Array, length: number = b.length, line: 'TCP' | 'TCP6' = 'TCP'): SockstatTcp | null {
  const end = Math.min(length, b.length);
  const start = lineStarting(b, 0, end, PREFIX[line]);
  if (start < 0) return null;
  // The keys follow the prefix: search from the space before the first one.
  const from = start + PREFIX[line].length - 1;
  const to = lineEnd(b, start, end);
  return { inuse: keyed(b, from, to, K_INUSE), orphan: keyed(b, from, to, K_ORPHAN), tw: keyed(b, from, to, K_TW), alloc: keyed(b, from, to, K_ALLOC) };
}

/**
 * Which tables to read. tcp6 may also be decided after tcp: when sockstat says tcp6 holds no socket of its own but
 * TIME-WAITs exist (sockstat's tw counts both families), `v6TimeWaits` says to read tcp6 only if tcp's TIME-WAIT
 * rows are fewer than that.
 */
export interface TcpTablesPlan {
  v4: boolean;
  v6: boolean;
  v6TimeWaits?: number;
}

/**
 * Which of a namespace's TCP tables can hold rows, by its sockstat counters. Every row a table can show is a
 * hashed socket of its family (counted in its inuse), a TIME-WAIT (tw, both families together), or a request
 * socket, which needs a listener of its family (inuse). So with tw 0, a table whose family's inuse is 0 is empty
 * and need not be read; with TIME-WAITs and no IPv6 socket, tcp is read and tcp6 only if tcp does not hold them
 * all (TcpTablesPlan.v6TimeWaits): a server listening on IPv4 only skips its empty tcp6, a read that costs as much
 * as a small tcp's (the kernel walks its whole TCP hash either way).
 * `v4`: sockstat's TCP line (null: unreadable or not as expected); `v6`: sockstat6's TCP6 line, null when
 * unreadable, 'absent' when there is no sockstat6 (IPv6 disabled: no tcp6 table either). Both whenever it cannot
 * be told.
 */
export function tcpTablesWorthReading(v4: SockstatTcp | null, v6: SockstatTcp | null | 'absent'): TcpTablesPlan {
  if (v4 === null || v4.inuse === null || v4.tw === null) return { v4: true, v6: true };
  const v6Inuse = v6 === 'absent' ? 0 : v6 === null ? null : v6.inuse;
  if (v4.tw > 0) return v6Inuse === 0 ? { v4: true, v6: false, v6TimeWaits: v4.tw } : { v4: true, v6: true };
  return { v4: v4.inuse > 0, v6: v6Inuse === null || v6Inuse > 0 };
}
