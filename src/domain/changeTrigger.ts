// When is a full read of the TCP table needed? The rule that turns two cheap probe readings (a few kernel counters,
// see src/sampling/changeProbe.ts) into "read the whole table now" or "nothing to see". Pure: no vscode, no node:
// modules, no I/O, so it runs on recorded readings (test/unit/fixtures/probes/) exactly as on live ones.
//
// Which counter moves on which socket event was measured on Linux 6.18 with real loopback and veth sockets
// (bench/probes/events.ts; the table is in BENCHMARKS.md, "Change probes"). The kernel sources behind it:
//   /proc/net/sockstat   net/ipv4/proc.c sockstat_seq_show():
//     inuse   sock_prot_inuse_get(net, &tcp_prot): per namespace, +1 when a socket enters the listening or the
//             established hash (listen(): inet_csk_listen_start -> __inet_hash; connect(): inet_hash_connect;
//             an accepted child: inet_ehash_nolisten), -1 when it leaves it (inet_unhash), so also when a closed
//             socket becomes a TIME-WAIT mini-socket. IPv6 sockets count under TCP6 in /proc/net/sockstat6
//             (tcpv6_prot), IPv4-mapped ones too.
//     tw      tcp_death_row.tw_refcount - 1: per namespace, TIME-WAIT (and FIN-WAIT-2 timewait) mini-sockets,
//             IPv4 and IPv6.
//     orphan  tcp_orphan_count and alloc tcp_sockets_allocated: host-wide (per struct proto, not per net), so
//             another container's sockets move them: never a trigger.
//   /proc/net/snmp Tcp:  net/ipv4/proc.c snmp_seq_show_tcp_udp(), per namespace (net->mib.tcp_statistics):
//     ActiveOpens   tcp_connect() sent a SYN;  PassiveOpens  tcp_create_openreq_child() made an accepted child;
//     AttemptFails  a SYN-SENT / SYN-RECEIVED socket went to CLOSED or LISTEN (tcp_done, tcp_check_req);
//     EstabResets   an ESTABLISHED / CLOSE-WAIT socket went to CLOSED (tcp_set_state);
//     CurrEstab     tcp_set_state(): +1 on entering ESTABLISHED, -1 on leaving ESTABLISHED or CLOSE-WAIT. RFC 1213
//                   (and RFC 4022) tcpCurrEstab counts ESTABLISHED + CLOSE-WAIT; Linux follows that since 6.10
//                   (before, CLOSE-WAIT was not counted, so a remote FIN moved CurrEstab). Measured here on 6.18:
//                   ESTABLISHED -> CLOSE-WAIT leaves CurrEstab alone, CLOSE-WAIT -> LAST-ACK decrements it.
//     InSegs/OutSegs/RetransSegs/InErrs/OutRsts  per segment.
//
// The rule:
//   - Any change of a count-like field (inuse, TCP6 inuse, tw, CurrEstab, ActiveOpens, PassiveOpens, AttemptFails,
//     EstabResets) means a socket entered or left the table or changed between the counted states: full read.
//     "Changed" is !==, not >: the snmp counters are unsigned longs that wrap (32-bit on 32-bit kernels), and a
//     wrapped counter is still a change.
//   - Segment counters never trigger. The editor's own connection to its UI (Remote-SSH, code-server, dev
//     containers) is TCP, and every update the viewer posts moves InSegs/OutSegs: a rule that woke on them would
//     keep itself awake. Measured: a connection carrying a message every 250 ms moves no count-like field at all.
//     So data, window and ACK changes on existing connections are left to the heartbeat read.
//   - What no count sees (measured): ESTABLISHED -> CLOSE-WAIT by a FIN from a peer in another host/namespace, and
//     FIN-WAIT-1 -> FIN-WAIT-2 / CLOSING. A lingering CLOSE-WAIT is what the viewer flags, and it lingers for
//     seconds by definition, so the heartbeat (not these probes) has to bound how late it shows. When only
//     segment counters moved the decision says so (trigger 'segments'): the loop may use it to pull the next
//     heartbeat closer, never to read at once.
//   - A probe that cannot read (no /proc, a namespace whose last process left) gives no signal: the caller must
//     fall back to periodic full reads. Losing or regaining it is itself a reason for one full read.

/** The counters one probe reading gives: numbers only. */
export interface ProbeCounters {
  /** /proc/net/sockstat `TCP: inuse`: IPv4 TCP sockets in the listening and established hashes (this namespace). */
  readonly tcpInuse: number;
  /** /proc/net/sockstat `TCP: orphan`: host-wide, informational (not a trigger). */
  readonly tcpOrphan: number;
  /** /proc/net/sockstat `TCP: tw`: TIME-WAIT mini-sockets, IPv4 + IPv6 (this namespace). */
  readonly tcpTw: number;
  /** /proc/net/sockstat `TCP: alloc`: host-wide, informational (not a trigger). */
  readonly tcpAlloc: number;
  /** /proc/net/sockstat6 `TCP6: inuse` (0 when the file is absent: no IPv6). */
  readonly tcp6Inuse: number;
  /** /proc/net/snmp Tcp fields, this namespace. */
  readonly activeOpens: number;
  readonly passiveOpens: number;
  readonly attemptFails: number;
  readonly estabResets: number;
  readonly currEstab: number;
  readonly inSegs: number;
  readonly outSegs: number;
  readonly retransSegs: number;
  readonly inErrs: number;
  readonly outRsts: number;
}

export type ProbeReading = ({ readonly available: true } & ProbeCounters) | { readonly available: false; readonly reason: string };

/** Fields whose change means the table changed: any difference triggers a full read. */
export const COUNT_FIELDS = ['tcpInuse', 'tcp6Inuse', 'tcpTw', 'currEstab', 'activeOpens', 'passiveOpens', 'attemptFails', 'estabResets'] as const satisfies readonly (keyof ProbeCounters)[];

/** Per-segment fields: reported, never a trigger (see the self-wakeup note above). */
export const SEGMENT_FIELDS = ['inSegs', 'outSegs', 'retransSegs', 'inErrs', 'outRsts'] as const satisfies readonly (keyof ProbeCounters)[];

/**
 * What decided: 'count' a count-like field moved; 'segments' only segment counters moved; 'quiet' nothing moved;
 * 'lost' / 'regained' the probe stopped / started reading; 'unavailable' it cannot read (periodic reads instead).
 */
export type TriggerKind = 'count' | 'segments' | 'quiet' | 'lost' | 'regained' | 'unavailable';

export interface TriggerDecision {
  full: boolean;
  reason: string;
  trigger: TriggerKind;
}

/** The rule (see the head of this file). */
export function needsFullRead(prev: ProbeReading, next: ProbeReading): TriggerDecision {
  if (!next.available) {
    if (prev.available) return { full: true, reason: `probe lost (${next.reason}): one last full read, then periodic reads`, trigger: 'lost' };
    return { full: false, reason: `probe unavailable (${next.reason}): periodic full reads`, trigger: 'unavailable' };
  }
  if (!prev.available) return { full: true, reason: 'probe readable again: what changed meanwhile is unknown', trigger: 'regained' };
  let moved = '';
  for (const f of COUNT_FIELDS) {
    if (prev[f] !== next[f]) moved += `${moved ? ', ' : ''}${f} ${prev[f]} -> ${next[f]}`;
  }
  if (moved) return { full: true, reason: moved, trigger: 'count' };
  for (const f of SEGMENT_FIELDS) {
    if (prev[f] !== next[f]) return { full: false, reason: `segments only (${f} ${prev[f]} -> ${next[f]}): data on existing connections, or a remote FIN the heartbeat will show`, trigger: 'segments' };
  }
  return { full: false, reason: 'no change', trigger: 'quiet' };
}

/**
 * The network namespaces (keys) a read the probes asked for reads again: every one the last sample read except
 * those whose probe read throughout and saw no count move (`quiet`). Those keep their last rows; a heartbeat or a
 * request of the host's reads them all. A namespace the last sample did not read is read whatever this says.
 */
export function namespacesToReread(lastRead: Iterable<string>, quiet: ReadonlySet<string>): Set<string> {
  const out = new Set<string>();
  for (const key of lastRead) if (!quiet.has(key)) out.add(key);
  return out;
}

/**
 * One process's socket file descriptors, as cheaply as they can be summed up (src/sampling/changeProbe.ts
 * FdSetProbe): the fd count, and the count, sum and xor of the inodes of its `socket:[N]` fds.
 */
export interface FdSignature {
  readonly pid: number;
  /** Open fds; FD_GONE when the process is gone, FD_DENIED when its fd folder cannot be read. */
  readonly fds: number;
  readonly sockets: number;
  /** Sum of the socket inodes modulo 2^32, and their xor: with `sockets`, a set signature. */
  readonly socketSum: number;
  readonly socketXor: number;
}

export const FD_GONE = -1;
export const FD_DENIED = -2;

export interface FdSetDecision {
  changed: boolean;
  reason: string;
}

/**
 * Whether the socket fds of a set of processes changed between two readings: a socket fd appeared (accept(),
 * socket() + connect/listen, one passed in) or went (close), or a process holding sockets appeared or left.
 * A change of the fd count alone (a file opened or closed) is not one. Pure; readings match by pid.
 */
export function fdSetChanged(prev: readonly FdSignature[], next: readonly FdSignature[]): FdSetDecision {
  for (const n of next) {
    const p = prev.find((x) => x.pid === n.pid);
    if (!p) {
      if (n.sockets > 0) return { changed: true, reason: `pid ${n.pid} joined with ${n.sockets} socket fds` };
      continue;
    }
    if (n.fds === FD_DENIED || p.fds === FD_DENIED) continue;
    if (n.fds === FD_GONE && p.fds !== FD_GONE) {
      if (p.sockets > 0) return { changed: true, reason: `pid ${n.pid} gone (held ${p.sockets} socket fds)` };
      continue;
    }
    if (n.sockets !== p.sockets || n.socketSum !== p.socketSum || n.socketXor !== p.socketXor) {
      return { changed: true, reason: `pid ${n.pid}: socket fds ${p.sockets} -> ${n.sockets}${n.sockets === p.sockets ? ' (a different set)' : ''}` };
    }
  }
  for (const p of prev) {
    if (p.sockets > 0 && p.fds >= 0 && !next.some((x) => x.pid === p.pid)) return { changed: true, reason: `pid ${p.pid} left the set (held ${p.sockets} socket fds)` };
  }
  return { changed: false, reason: 'no socket fd changed' };
}
