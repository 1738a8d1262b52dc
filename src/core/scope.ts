// The workspace scope, as pure functions over the process table and the socket table.
// Scope pids = the roots (debug sessions, tasks, terminals) and every descendant, plus processes whose cwd is inside
// a workspace folder and their descendants. Scope sockets = sockets those pids own, sockets without a file whose
// last-seen owner was in scope, and the other end of every connection between two sockets of this machine.
import type { Endpoint, SocketRecord } from './types';

export interface ProcessNode {
  pid: number;
  ppid: number;
  /** Null when unreadable, undefined when not read. */
  cwd?: string | null;
}

function trimSlashes(path: string): string {
  let end = path.length;
  while (end > 1 && path.charCodeAt(end - 1) === 47) end--;
  return path.slice(0, end);
}

/** True when `path` is `folder` or below it, on path-segment boundaries (`/a/bc` is not inside `/a/b`). */
export function isPathInside(path: string, folder: string): boolean {
  if (!path || !folder) return false;
  const p = trimSlashes(path);
  const f = trimSlashes(folder);
  if (f === '/') return p.startsWith('/');
  return p === f || (p.startsWith(f) && p.charCodeAt(f.length) === 47);
}

/** Roots + descendants + processes whose cwd is inside a folder + their descendants. Roots not in the table still count. */
export function computeScopePids(rootPids: Iterable<number>, processes: Iterable<ProcessNode>, folders: readonly string[]): Set<number> {
  const children = new Map<number, number[]>();
  const starts: number[] = [...rootPids];
  for (const p of processes) {
    let list = children.get(p.ppid);
    if (list === undefined) children.set(p.ppid, (list = []));
    list.push(p.pid);
    if (folders.length > 0 && p.cwd) {
      for (const f of folders) {
        if (isPathInside(p.cwd, f)) {
          starts.push(p.pid);
          break;
        }
      }
    }
  }
  const scope = new Set<number>();
  const stack = starts.filter((pid) => Number.isSafeInteger(pid) && pid > 0);
  while (stack.length > 0) {
    const pid = stack.pop() as number;
    if (scope.has(pid)) continue;
    scope.add(pid);
    const kids = children.get(pid);
    if (kids) for (const k of kids) if (!scope.has(k)) stack.push(k);
  }
  return scope;
}

/** 127.0.0.0/8, ::1 and their IPv4-mapped form ::ffff:127.x.y.z. */
export function isLoopbackAddress(address: string): boolean {
  const a = address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
  return a === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(a);
}

/** An IPv4-mapped IPv6 address as its IPv4 form, so both ends of an IPv4 connection to a dual-stack socket match. */
function plainAddress(address: string): string {
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}

function endpointKey(e: Endpoint): string {
  return `${plainAddress(e.address)}|${e.port}`;
}

/** Key of a connection seen from its local end (family-neutral: IPv4-mapped addresses count as IPv4). */
export function connectionKey(s: Pick<SocketRecord, 'local' | 'remote'>): string {
  return `${endpointKey(s.local)}>${endpointKey(s.remote)}`;
}

/** The key the other end of this connection has (the 4-tuple swapped). */
export function peerConnectionKey(s: Pick<SocketRecord, 'local' | 'remote'>): string {
  return `${endpointKey(s.remote)}>${endpointKey(s.local)}`;
}

/** Identity of a socket for the owner memory: family and 4-tuple, exactly as the kernel reports them. */
export function socketTupleKey(s: Pick<SocketRecord, 'family' | 'local' | 'remote'>): string {
  return `${s.family} ${s.local.address} ${s.local.port} ${s.remote.address} ${s.remote.port}`;
}

/** Indexes the table by connectionKey (listeners and other sockets without a remote port are left out). */
export function indexConnections(sockets: readonly SocketRecord[]): Map<string, SocketRecord[]> {
  const index = new Map<string, SocketRecord[]>();
  for (const s of sockets) {
    if (s.remote.port === 0 || s.state === 'LISTEN') continue;
    const key = connectionKey(s);
    const list = index.get(key);
    if (list === undefined) index.set(key, [s]);
    else list.push(s);
  }
  return index;
}

export interface ScopeSelection {
  /** Sockets in scope, in table order. */
  sockets: SocketRecord[];
  /** The subset of `sockets` that is in scope only as the other end of a scope socket. */
  peers: SocketRecord[];
}

/**
 * Narrows the table to the scope. A socket is in scope when one of its owners is in `scopePids`, or when it has no
 * owner now and `rememberedInScope` says its last-seen owner was in scope. Then the other end of each such
 * connection, found by the swapped 4-tuple in the same table (so both ends are on this machine: loopback, or one of
 * its own addresses, which Linux also routes through lo), joins as a peer.
 */
export function selectScope(
  sockets: readonly SocketRecord[],
  scopePids: ReadonlySet<number>,
  rememberedInScope: (s: SocketRecord) => boolean = () => false,
  index: Map<string, SocketRecord[]> = indexConnections(sockets),
): ScopeSelection {
  const inScope = new Set<SocketRecord>();
  for (const s of sockets) {
    if (s.owners.length > 0 ? s.owners.some((o) => scopePids.has(o.pid)) : rememberedInScope(s)) inScope.add(s);
  }
  const peers = new Set<SocketRecord>();
  for (const s of inScope) {
    if (s.remote.port === 0 || s.state === 'LISTEN') continue;
    const others = index.get(peerConnectionKey(s));
    if (others) for (const o of others) if (!inScope.has(o)) peers.add(o);
  }
  const selected = sockets.filter((s) => inScope.has(s) || peers.has(s));
  return { sockets: selected, peers: [...peers] };
}
