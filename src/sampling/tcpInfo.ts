// tcp_info for one connection, as `ss -tani` prints it (iproute2 misc/ss.c tcp_show_info): rtt, cwnd, retransmits,
// byte counters. Runs `ss` with runChild (no shell, its own process group) and a filter that selects the one socket. No `vscode` import,
// so the parser is unit-tested in plain Node on captured output.
import { ChildError, runChild } from './childProcesses';
import { ssFilterArgs } from '../domain/treeModel';
import type { Connection, Endpoint, TcpState } from '../domain/types';
import { SS_STATES } from '../domain/states';

export interface TcpInfo {
  /** From the State column; null when the filter named the state (ss then leaves the column out). */
  state: TcpState | null;
  local: Endpoint;
  remote: Endpoint;
  recvQ: number;
  sendQ: number;
  /** Congestion control algorithm (`cubic`, `bbr`), or null (TIME-WAIT sockets carry no tcp_info). */
  congestion: string | null;
  /** Smoothed round-trip time and its mean deviation, ms (`rtt:0.032/0.018`). */
  rttMs: number | null;
  rttVarMs: number | null;
  minRttMs: number | null;
  /** Retransmission timeout, ms. */
  rtoMs: number | null;
  /** Congestion window, in segments. */
  cwnd: number | null;
  ssthresh: number | null;
  mss: number | null;
  /** `retrans:X/Y`: segments retransmitted and not yet acknowledged / retransmits over the connection's life. */
  retransNow: number | null;
  retransTotal: number | null;
  bytesRetrans: number | null;
  /** Exponential back-off of the retransmission timer (consecutive timeouts). */
  backoff: number | null;
  unacked: number | null;
  lost: number | null;
  bytesSent: number | null;
  bytesAcked: number | null;
  bytesReceived: number | null;
  segsOut: number | null;
  segsIn: number | null;
  /** Bytes the application wrote that the kernel has not sent yet. */
  notSent: number | null;
  sendBps: number | null;
  pacingRateBps: number | null;
  deliveryRateBps: number | null;
  /** ms since the last send, receive and ACK. */
  lastSendMs: number | null;
  lastRecvMs: number | null;
  lastAckMs: number | null;
  /** Time the sender was limited by the peer's receive window, ms (`rwnd_limited:1520ms(100.0%)`). */
  rwndLimitedMs: number | null;
  /** Every `key:value` and `key value` of the info line, as printed. */
  fields: Record<string, string>;
  /** Bare words other than the congestion algorithm: `ts`, `sack`, `ecn`, `app_limited`... */
  flags: string[];
}

/** Words ss prints before the congestion algorithm or among the counters, without a value. */
const KNOWN_FLAGS = new Set(['ts', 'sack', 'ecn', 'ecnseen', 'fastopen', 'app_limited', 'orphaned']);
/** Keys ss prints as `key value` (space-separated) rather than `key:value`. */
const SPACED_KEYS = new Set(['send', 'pacing_rate', 'pacing_rate_max', 'delivery_rate']);

/** `127.0.0.1:80`, `[::1]:41899`, `0.0.0.0:*`, `[::]:*`, `*:22`, `127.0.0.53%lo:53`. */
export function parseSsEndpoint(text: string): Endpoint | null {
  const colon = text.lastIndexOf(':');
  if (colon <= 0) return null;
  let address = text.slice(0, colon);
  const portText = text.slice(colon + 1);
  const port = portText === '*' ? 0 : Number(portText);
  if (!Number.isInteger(port) || port < 0 || port > 65535) return null;
  if (address.startsWith('[') && address.endsWith(']')) address = address.slice(1, -1);
  if (address === '*') address = '0.0.0.0';
  // ss appends `%<interface>` for sockets bound to a device; the bound device is not part of the address.
  const pct = address.indexOf('%');
  if (pct > 0 && !address.includes(':')) address = address.slice(0, pct);
  return { address, port };
}

function num(v: string | undefined): number | null {
  if (v === undefined) return null;
  const n = parseFloat(v);
  return Number.isFinite(n) ? n : null;
}

/** `1039283582bps`, `10.5Mbps` (ss prints raw bps with -i, scaled units with some versions). */
function bps(v: string | undefined): number | null {
  if (v === undefined) return null;
  const m = /^([\d.]+)([KMG]?)bps$/.exec(v);
  if (!m) return null;
  const scale = m[2] === 'K' ? 1e3 : m[2] === 'M' ? 1e6 : m[2] === 'G' ? 1e9 : 1;
  return parseFloat(m[1]) * scale;
}

function parseInfoLine(line: string): InfoLine {
  const fields: Record<string, string> = {};
  const flags: string[] = [];
  let congestion: string | null = null;
  const tokens = line.trim().split(/\s+/).filter((t) => t !== '');
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    const colon = t.indexOf(':');
    if (colon > 0) {
      fields[t.slice(0, colon)] = t.slice(colon + 1);
    } else if (SPACED_KEYS.has(t) && i + 1 < tokens.length) {
      fields[t] = tokens[++i];
    } else if (KNOWN_FLAGS.has(t)) {
      flags.push(t);
    } else if (congestion === null && /^[a-z][a-z0-9_]*$/.test(t)) {
      congestion = t;
    } else {
      flags.push(t);
    }
  }
  return { congestion, fields, flags };
}

type SocketLine = Pick<TcpInfo, 'state' | 'local' | 'remote' | 'recvQ' | 'sendQ'>;
type InfoLine = Pick<TcpInfo, 'congestion' | 'fields' | 'flags'>;
type Counters = Omit<TcpInfo, keyof SocketLine | keyof InfoLine>;

function counters(f: Record<string, string>): Counters {
  const [rtt, rttVar] = (f.rtt ?? '').split('/');
  const [retransNow, retransTotal] = (f.retrans ?? '').split('/');
  return {
    rttMs: num(rtt || undefined),
    rttVarMs: num(rttVar),
    minRttMs: num(f.minrtt),
    rtoMs: num(f.rto),
    cwnd: num(f.cwnd),
    ssthresh: num(f.ssthresh),
    mss: num(f.mss),
    retransNow: num(retransNow || undefined),
    retransTotal: num(retransTotal),
    bytesRetrans: num(f.bytes_retrans),
    backoff: num(f.backoff),
    unacked: num(f.unacked),
    lost: num(f.lost),
    bytesSent: num(f.bytes_sent),
    bytesAcked: num(f.bytes_acked),
    bytesReceived: num(f.bytes_received),
    segsOut: num(f.segs_out),
    segsIn: num(f.segs_in),
    notSent: num(f.notsent),
    sendBps: bps(f.send),
    pacingRateBps: bps(f.pacing_rate),
    deliveryRateBps: bps(f.delivery_rate),
    lastSendMs: num(f.lastsnd),
    lastRecvMs: num(f.lastrcv),
    lastAckMs: num(f.lastack),
    rwndLimitedMs: num(f.rwnd_limited?.replace(/ms.*$/, '')),
  };
}

/**
 * Parses `ss -tani [state S] [filter]` output: a header, then per socket a line `[State] Recv-Q Send-Q Local Peer
 * [Process]` and an indented line with the tcp_info fields (blank for TIME-WAIT: a timewait socket has none).
 * A `$ command` line at the top (as the test fixtures carry) is skipped.
 */
export function parseSsTcpInfo(text: string): TcpInfo[] {
  const out: TcpInfo[] = [];
  let pending: SocketLine | null = null;
  const flush = (info: InfoLine) => {
    if (pending) out.push({ ...pending, ...info, ...counters(info.fields) });
    pending = null;
  };
  for (const line of text.split('\n')) {
    if (line.trim() === '' && !/^\s/.test(line)) continue;
    if (/^\s/.test(line)) {
      flush(parseInfoLine(line));
      continue;
    }
    const cols = line.trim().split(/\s+/);
    if (cols[0] === '$' || cols[0] === 'State' || cols[0] === 'Recv-Q' || cols[0] === 'Netid') continue;
    flush({ congestion: null, fields: {}, flags: [] });
    let i = 0;
    let state: TcpState | null = null;
    if (SS_STATES[cols[0]] !== undefined) {
      state = SS_STATES[cols[0]];
      i = 1;
    }
    const recvQ = Number(cols[i]);
    const sendQ = Number(cols[i + 1]);
    const local = parseSsEndpoint(cols[i + 2] ?? '');
    const remote = parseSsEndpoint(cols[i + 3] ?? '');
    if (!Number.isFinite(recvQ) || !Number.isFinite(sendQ) || !local || !remote) continue;
    pending = { state, local, remote, recvQ, sendQ };
  }
  flush({ congestion: null, fields: {}, flags: [] });
  return out;
}

function sameAddress(a: string, b: string): boolean {
  const plain = (s: string) => (s.startsWith('::ffff:') && s.includes('.') ? s.slice(7) : s).replace(/%.*$/, '');
  return plain(a) === plain(b);
}

/** The row for this 4-tuple (the filter may match more: a wildcard listener, the same ports on both ends). */
export function pickConnection(rows: readonly TcpInfo[], c: Pick<Connection, 'local' | 'remote'>): TcpInfo | undefined {
  return rows.find((r) => r.local.port === c.local.port && r.remote.port === c.remote.port && sameAddress(r.local.address, c.local.address) && sameAddress(r.remote.address, c.remote.address));
}

export class SsError extends Error {
  constructor(
    message: string,
    readonly code: 'missing' | 'failed' | 'timeout',
  ) {
    super(message);
  }
}

/** `ss -tani` arguments for this one connection. */
export function tcpInfoArgs(c: Pick<Connection, 'state' | 'local' | 'remote'>): string[] {
  return ['-tani', ...ssFilterArgs(c)];
}

/**
 * Runs `ss -tani` for one connection and returns its tcp_info, or null when the socket is no longer in the table.
 * `ssPath` is the `tcpStateViewer.ssPath` setting (machine scope, ignored in untrusted workspaces).
 */
export async function readTcpInfo(ssPath: string, c: Pick<Connection, 'state' | 'local' | 'remote'>, timeoutMs = 5000): Promise<{ info: TcpInfo | null; args: string[]; output: string }> {
  const args = tcpInfoArgs(c);
  let stdout: string;
  try {
    // In a process group of its own, stopped whole on timeout (childProcesses.ts), never through a shell.
    stdout = await runChild(ssPath, args, { timeoutMs, maxBytes: 4 * 1024 * 1024, encoding: 'utf8', env: { ...process.env, LC_ALL: 'C' } });
  } catch (error) {
    if (!(error instanceof ChildError)) throw error;
    if (error.kind === 'missing') throw new SsError(`${ssPath}: not found`, 'missing');
    if (error.kind === 'timeout') throw new SsError(`${ssPath} took longer than ${timeoutMs} ms`, 'timeout');
    throw new SsError((error.stderr || error.message).trim(), 'failed');
  }
  return { info: pickConnection(parseSsTcpInfo(stdout), c) ?? null, args, output: stdout };
}
