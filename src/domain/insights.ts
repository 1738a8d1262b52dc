// Patterns in the tracker's connections worth telling the developer about. Each is a pure function of the
// connections, the time, and the thresholds from the settings; the texts come in English and Simplified Chinese.
import type { Connection, ConnectionId, Endpoint, Insight, InsightKind, Owner, TcpState } from './types';
import { formatEndpoint } from './types';
import { CHINESE_UNITS, ENGLISH_UNITS, coarseAgeMs, formatDuration } from './format';
import { type Locale } from './stateTexts';
import { processLabel } from './processName';

export interface InsightThresholds {
  /** A CLOSE-WAIT socket older than this many seconds counts as leaked. */
  closeWaitSeconds: number;
  /** More TIME-WAIT sockets than this on one endpoint is a storm. */
  timeWaitPerEndpoint: number;
  /** A SYN-SENT socket older than this many seconds is stuck. */
  synSentSeconds: number;
}

export const DEFAULT_INSIGHT_THRESHOLDS: Readonly<InsightThresholds> = { closeWaitSeconds: 30, timeWaitPerEndpoint: 200, synSentSeconds: 5 };

/**
 * Pids of exited debuggees and of their process trees (a child that inherited a listening socket outlives its
 * parent). A Map gives each pid's exit time (ms since the epoch), which the insight then reports as its age.
 */
export type ExitedPids = ReadonlySet<number> | ReadonlyMap<number, number>;

export interface InsightInput {
  /** Closed connections are skipped, so the tracker's live ones alone will do. */
  connections: Iterable<Connection>;
  now: number;
  thresholds: InsightThresholds;
  exitedPids?: ExitedPids;
}

/**
 * The state each kind of insight is about, where the diagram puts its warning. Null for open-after-exit: its
 * connections may be in any state (the state of its first connection stands for it).
 */
export const INSIGHT_STATE: Readonly<Record<InsightKind, TcpState | null>> = {
  'close-wait-leak': 'CLOSE-WAIT',
  'time-wait-storm': 'TIME-WAIT',
  'syn-sent-stuck': 'SYN-SENT',
  'accept-queue-full': 'LISTEN',
  'open-after-exit': null,
};

export const INSIGHT_KINDS: readonly InsightKind[] = Object.keys(INSIGHT_STATE) as InsightKind[];

/** ms the connection has been in its current state, as far as the samples tell. */
function msInState(c: Connection, now: number): number {
  const last = c.history[c.history.length - 1];
  const since = last !== undefined && last.state === c.state ? last.since : c.openedAt;
  return Math.max(0, now - since);
}

// States a connection reaches only once its socket has no file: the kernel finishes them by itself, after
// close() or the owner's exit (TIME-WAIT, and the orphans of an active or passive close).
function kernelFinishes(c: Connection): boolean {
  return c.state === 'TIME-WAIT' || c.state === 'FIN-WAIT-1' || c.state === 'FIN-WAIT-2' || c.state === 'CLOSING' || c.state === 'LAST-ACK';
}

interface Group {
  ids: ConnectionId[];
  owners: Map<number, Owner>;
  oldestMs: number;
  endpoint: Endpoint | null;
  /** The network namespace of the group's sockets, when not ours (time-wait storms: one group per namespace). */
  netns?: string;
}

/** A key part for a connection's network namespace: none for ours, so keys of our own sockets read as before. */
function nsKey(c: Pick<Connection, 'netns'>): string {
  return c.netns === undefined ? '' : `@${c.netns}`;
}

function addTo<K>(groups: Map<K, Group>, key: K, c: Connection, ageMs: number, endpoint: Endpoint | null): void {
  let g = groups.get(key);
  if (g === undefined) {
    g = { ids: [], owners: new Map(), oldestMs: 0, endpoint };
    groups.set(key, g);
  }
  g.ids.push(c.id);
  if (c.owner !== null && !g.owners.has(c.owner.pid)) g.owners.set(c.owner.pid, c.owner);
  if (ageMs > g.oldestMs) g.oldestMs = ageMs;
}

/** The group's process when all its sockets with a known owner share one; otherwise null. */
function soleOwner(g: Group): Owner | null {
  if (g.owners.size !== 1) return null;
  const [owner] = g.owners.values();
  return owner ?? null;
}

function insight(kind: InsightKind, key: string, g: Group, oldestMs: number | null, threshold: number, owner: Owner | null = soleOwner(g)): Insight {
  return {
    kind,
    key,
    connectionIds: g.ids,
    pid: owner?.pid ?? null,
    command: owner?.command ?? null,
    endpoint: g.endpoint,
    count: g.ids.length,
    oldestMs,
    threshold,
  };
}

/**
 * The insights that hold for these connections now. Only live connections count (closed ones are ignored).
 * - close-wait-leak: CLOSE-WAIT sockets older than closeWaitSeconds, one insight per process.
 * - time-wait-storm: more than timeWaitPerEndpoint TIME-WAIT sockets on one server endpoint (the local
 *   address:port of accepted connections), or towards one remote endpoint (a client closing first).
 * - syn-sent-stuck: SYN-SENT sockets older than synSentSeconds, one insight per remote endpoint.
 * - accept-queue-full: LISTEN sockets whose Recv-Q (connections waiting for accept()) has reached Send-Q (the
 *   backlog): Recv-Q >= Send-Q with Recv-Q > 0. Linux's sk_acceptq_is_full() tests ack_backlog > max_ack_backlog,
 *   so at Recv-Q == Send-Q it takes exactly one more connection; from then on it drops new handshakes. Counting
 *   the queue as full already at the limit warns one connection early, and covers listen(0), whose queue is full
 *   with a single waiting connection. One insight per listener; its count is the queue length (Recv-Q) and its
 *   threshold the backlog (Send-Q).
 * - open-after-exit: sockets still held by a process in `exitedPids` (not ones the kernel is finishing by itself),
 *   one insight per process.
 * Sorted by kind (in INSIGHT_KINDS order), then key.
 */
export function computeInsights(input: InsightInput): Insight[] {
  const { connections, now, thresholds, exitedPids } = input;
  const closeWait = new Map<string, Group>();
  // TIME-WAIT is most of a busy table: its groups are keyed without building a string per row, by the endpoint's
  // address, then port * 4 + (remote side ? 2 : 0) + (IPv6 ? 1 : 0). The insight's key is made per group.
  const timeWait = new Map<string, Map<number, Group>>();
  const synSent = new Map<string, Group>();
  const exited = new Map<string, Group>();
  const out: Insight[] = [];

  for (const c of connections) {
    if (c.closedAt !== null) continue;
    switch (c.state) {
      case 'CLOSE-WAIT': {
        const age = msInState(c, now);
        // Without an owner (another user's container), per namespace: two containers' leaks are two insights.
        if (age >= thresholds.closeWaitSeconds * 1000) addTo(closeWait, `close-wait-leak:${c.owner?.pid ?? `?${nsKey(c)}`}`, c, age, null);
        break;
      }
      case 'TIME-WAIT': {
        const remote = c.role === 'client';
        const endpoint = remote ? c.remote : c.local;
        // One map per address of each namespace: 127.0.0.1:8080 in two containers is two endpoints.
        const where = c.netns === undefined ? endpoint.address : `${endpoint.address}${nsKey(c)}`;
        let byPort = timeWait.get(where);
        if (byPort === undefined) timeWait.set(where, (byPort = new Map()));
        // The storm insight has no age, so none is computed.
        const k = endpoint.port * 4 + (remote ? 2 : 0) + (c.family === 'ipv6' ? 1 : 0);
        addTo(byPort, k, c, 0, endpoint);
        if (c.netns !== undefined) (byPort.get(k) as Group).netns = c.netns;
        break;
      }
      case 'SYN-SENT': {
        const age = msInState(c, now);
        if (age >= thresholds.synSentSeconds * 1000) addTo(synSent, `syn-sent-stuck:${c.family}:${formatEndpoint(c.remote)}${nsKey(c)}`, c, age, c.remote);
        break;
      }
      case 'LISTEN':
        if (c.recvQ > 0 && c.recvQ >= c.sendQ) {
          const g: Group = { ids: [c.id], owners: new Map(), oldestMs: 0, endpoint: c.local };
          if (c.owner !== null) g.owners.set(c.owner.pid, c.owner);
          const i = insight('accept-queue-full', `accept-queue-full:${c.family}:${formatEndpoint(c.local)}:${c.inode}`, g, null, c.sendQ);
          i.count = c.recvQ;
          out.push(i);
        }
        break;
      default:
        break;
    }
    if (exitedPids !== undefined && c.owner !== null && exitedPids.has(c.owner.pid) && !kernelFinishes(c)) {
      addTo(exited, `open-after-exit:${c.owner.pid}`, c, 0, null);
    }
  }

  for (const [key, g] of closeWait) out.push(insight('close-wait-leak', key, g, g.oldestMs, thresholds.closeWaitSeconds));
  for (const byPort of timeWait.values()) {
    for (const [k, g] of byPort) {
      if (g.ids.length <= thresholds.timeWaitPerEndpoint || g.endpoint === null) continue;
      const remote = (k & 2) !== 0;
      const key = `time-wait-storm:${remote ? 'remote' : 'local'}:${k & 1 ? 'ipv6' : 'ipv4'}:${formatEndpoint(g.endpoint)}${g.netns === undefined ? '' : `@${g.netns}`}`;
      const i = insight('time-wait-storm', key, g, null, thresholds.timeWaitPerEndpoint);
      if (remote) i.endpointSide = 'remote';
      out.push(i);
    }
  }
  for (const [key, g] of synSent) out.push(insight('syn-sent-stuck', key, g, g.oldestMs, thresholds.synSentSeconds));
  for (const [key, g] of exited) {
    const pid = Number(key.slice(key.lastIndexOf(':') + 1));
    const exitedAt = exitedPids !== undefined && 'get' in exitedPids ? exitedPids.get(pid) : undefined;
    out.push(insight('open-after-exit', key, g, exitedAt === undefined ? null : Math.max(0, now - exitedAt), 0, g.owners.get(pid) ?? null));
  }

  const order = new Map(INSIGHT_KINDS.map((k, i) => [k, i]));
  return out.sort((a, b) => (order.get(a.kind) ?? 0) - (order.get(b.kind) ?? 0) || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

// ---------------------------------------------------------------------------------------------------------
// Texts

/** The process as the Connections tree names it (`node leak-server.js 3774`), or by its pid alone. */
function who(i: Insight, locale: Locale, argv: readonly string[] | undefined): string {
  if (i.pid === null) return locale === 'zh-cn' ? '未知进程' : 'an unknown process';
  return i.command ? processLabel({ pid: i.pid, command: i.command }, { noProcess: '' }, argv) : `pid ${i.pid}`;
}

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

/**
 * The insight as a title (one line) and a detail (what it means and what to do), in the given language.
 * `commandLine` gives the process's argv, so it is named by its script as the tree names it. `coarseAge`: the
 * oldest socket's age as coarseAgeMs gives it (the tree's label; its tooltip keeps the exact one).
 */
export function insightText(i: Insight, locale: Locale, commandLine?: (pid: number) => readonly string[] | undefined, options: { coarseAge?: boolean } = {}): { title: string; detail: string } {
  const zh = locale === 'zh-cn';
  const argv = i.pid === null ? undefined : commandLine?.(i.pid);
  const endpoint = i.endpoint ? formatEndpoint(i.endpoint) : '?';
  const age = i.oldestMs === null ? null : options.coarseAge ? coarseAgeMs(i.oldestMs) : i.oldestMs;
  const oldest = age === null ? '' : formatDuration(age, locale === 'zh-cn' ? CHINESE_UNITS : ENGLISH_UNITS);
  switch (i.kind) {
    case 'close-wait-leak':
      return zh
        ? {
            title: `${who(i, locale, argv)} 有 ${i.count} 个 CLOSE-WAIT 套接字未关闭（最久 ${oldest}）`,
            detail:
              `对方已经关闭了连接，但这个进程从未调用 close()。超过 ${i.threshold} 秒仍停在 CLOSE-WAIT 的套接字几乎都是泄漏：` +
              '检查读到文件结尾（read() 返回 0）之后和各个错误处理路径上，是否都关闭了连接。内核不会替你关闭它们。',
          }
        : {
            title: `${who(i, locale, argv)} has ${plural(i.count, 'CLOSE-WAIT socket', 'CLOSE-WAIT sockets')} not closed (oldest ${oldest})`,
            detail:
              `The peer closed; this process never called close(). A socket still in CLOSE-WAIT after ${i.threshold} s is ` +
              'almost always leaked: check that the connection is closed after end-of-file (read() returning 0) and on ' +
              'every error path. The kernel will not close it for you.',
          };
    case 'time-wait-storm': {
      const remote = i.endpointSide === 'remote';
      return zh
        ? {
            title: remote ? `到 ${endpoint} 的 TIME-WAIT 套接字有 ${i.count} 个` : `${endpoint} 上有 ${i.count} 个 TIME-WAIT 套接字`,
            detail:
              `超过了 ${i.threshold} 个：每次请求都是本端先关闭连接。每个 TIME-WAIT 在 Linux 上会保留 60 秒` +
              (remote ? '，到同一目标的临时端口可能被耗尽。' : '。') +
              '可以复用连接（keep-alive、连接池），或者让对方先关闭。',
          }
        : {
            title: `${plural(i.count, 'TIME-WAIT socket', 'TIME-WAIT sockets')} ${remote ? 'towards' : 'on'} ${endpoint}`,
            detail:
              `More than ${i.threshold}: this side closes first on every request. Each TIME-WAIT socket stays for 60 s on Linux` +
              (remote ? ', and together they can use up the ephemeral ports towards one destination. ' : '. ') +
              'Reuse connections (keep-alive, a pool), or let the peer close first.',
          };
    }
    case 'syn-sent-stuck':
      return zh
        ? {
            title: `连接 ${endpoint} 没有回应：${i.count} 个套接字停在 SYN-SENT（最久 ${oldest}）`,
            detail:
              `SYN 已经发出超过 ${i.threshold} 秒，仍未收到 SYN-ACK 或 RST：远端主机宕机或不可达、防火墙丢弃了报文、地址或端口写错了，` +
              '或者对方的 accept 队列已满。Linux 会重发 SYN，约 127 秒后 connect() 才会报超时。',
          }
        : {
            title: `No answer from ${endpoint}: ${plural(i.count, 'socket', 'sockets')} in SYN-SENT (oldest ${oldest})`,
            detail:
              `The SYN went out more than ${i.threshold} s ago and neither a SYN-ACK nor a RST came back: the remote is down ` +
              'or unreachable, a firewall drops the packets, the address or port is wrong, or its accept queue is full. ' +
              'Linux keeps resending the SYN; connect() times out after about 127 s.',
          };
    case 'accept-queue-full':
      return zh
        ? {
            title: `${endpoint} 的 accept 队列已满（${i.count}/${i.threshold}）`,
            detail:
              `${who(i, locale, argv)} 没有及时 accept() 已完成握手的连接：队列里有 ${i.count} 个连接，上限（backlog）是 ${i.threshold}。` +
              'Linux 在队列超过上限后会丢弃新的握手，客户端会卡在 SYN-SENT 或连接超时。' +
              '请加快 accept()，或者调大 listen() 的 backlog（同时受 net.core.somaxconn 限制）。',
          }
        : {
            title: `Accept queue of ${endpoint} is full (${i.count}/${i.threshold})`,
            detail:
              `${who(i, locale, argv)} is not accept()ing completed connections: ${i.count} are waiting and the backlog is ${i.threshold}. ` +
              'Once the queue is over its limit Linux drops new handshakes, and clients hang in SYN-SENT or time out. ' +
              'Accept faster, or raise the listen() backlog (also capped by net.core.somaxconn).',
          };
    case 'open-after-exit':
      return zh
        ? {
            title: `调试的进程已退出，仍有 ${i.count} 个套接字被 ${who(i, locale, argv)} 占用`,
            detail:
              '被调试的程序结束了，但它进程树中的一个进程（通常是继承了套接字的子进程）仍然持有这些连接或监听端口，' +
              '下次启动时可能出现 “address already in use”。结束这个进程，或者在子进程中关闭不需要的描述符（close-on-exec）。',
          }
        : {
            title: `Debuggee exited; ${plural(i.count, 'socket is', 'sockets are')} still held by ${who(i, locale, argv)}`,
            detail:
              'The debugged program ended, but a process of its tree (usually a child that inherited the sockets) still ' +
              'holds these connections or listening ports, so the next start may fail with "address already in use". ' +
              'End that process, or keep the descriptors from being inherited (close-on-exec).',
          };
  }
}
