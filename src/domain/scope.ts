// The workspace scope, as pure functions over the process table and the socket table.
// Scope pids = the roots (debug sessions, tasks, terminals) and every descendant, plus processes whose cwd is inside
// a workspace folder and their descendants, plus the processes of the workspace's containers. Scope sockets =
// sockets those pids own, sockets without a file whose last-seen owner was in scope, every socket of a workspace
// container's network namespace, and the other end of every connection between two sockets of one namespace.
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

/** The namespace part of a key: empty in the reader's own namespace, so own-namespace keys read as before. */
function namespacePrefix(s: Pick<SocketRecord, 'netns'>): string {
  return s.netns === undefined ? '' : `${s.netns} `;
}

/** Key of a connection seen from its local end (family-neutral: IPv4-mapped addresses count as IPv4), in its namespace. */
export function connectionKey(s: Pick<SocketRecord, 'local' | 'remote' | 'netns'>): string {
  return `${namespacePrefix(s)}${endpointKey(s.local)}>${endpointKey(s.remote)}`;
}

/** The key the other end of this connection has (the 4-tuple swapped, the same namespace). */
export function peerConnectionKey(s: Pick<SocketRecord, 'local' | 'remote' | 'netns'>): string {
  return `${namespacePrefix(s)}${endpointKey(s.remote)}>${endpointKey(s.local)}`;
}

/** Table positions by port pair (local port * 65536 + remote port); listeners and unconnected sockets left out. */
export type ConnectionIndex = Map<number, number[]>;

export function indexConnections(sockets: readonly SocketRecord[]): ConnectionIndex {
  const index: ConnectionIndex = new Map();
  for (let i = 0; i < sockets.length; i++) {
    const s = sockets[i];
    if (s.remote.port === 0 || s.state === 'LISTEN') continue;
    const key = s.local.port * 65_536 + s.remote.port;
    const list = index.get(key);
    if (list === undefined) index.set(key, [i]);
    else list.push(i);
  }
  return index;
}

/**
 * Whether a container belongs to the workspace: Docker Compose's project folder (the folder of the compose file)
 * is inside a workspace folder, or it is the dev container opened from a workspace folder (its local folder is
 * inside one). The labels are the engine's; paths are compared as isPathInside does.
 */
export function isWorkspaceContainer(c: { composeWorkingDir: string | null; devContainerLocalFolder: string | null }, folders: readonly string[]): boolean {
  for (const f of folders) {
    if (c.composeWorkingDir !== null && isPathInside(c.composeWorkingDir, f)) return true;
    if (c.devContainerLocalFolder !== null && isPathInside(c.devContainerLocalFolder, f)) return true;
  }
  return false;
}

function sameEndpoint(a: Endpoint, b: Endpoint): boolean {
  return a.port === b.port && (a.address === b.address || plainAddress(a.address) === plainAddress(b.address));
}

/**
 * Calls `each` with the position in `sockets` of every other end of socket `s` (the same connection seen from its
 * peer). Both ends of a connection are in one network namespace: 127.0.0.1 in a container is not the host's.
 */
export function forEachPeer(sockets: readonly SocketRecord[], index: ConnectionIndex, s: SocketRecord, each: (position: number) => void): void {
  if (s.remote.port === 0 || s.state === 'LISTEN') return;
  const list = index.get(s.remote.port * 65_536 + s.local.port);
  if (list === undefined) return;
  for (const i of list) if (sockets[i].netns === s.netns && sameEndpoint(sockets[i].local, s.remote) && sameEndpoint(sockets[i].remote, s.local)) each(i);
}

export interface ScopeSelection {
  /** Sockets in scope, in table order. */
  sockets: SocketRecord[];
  /** The subset of `sockets` that is in scope only as the other end of a scope socket. */
  peers: SocketRecord[];
}

/**
 * Narrows the table to the scope. A socket is in scope when one of its owners is in `scopePids`, when it has no
 * file (inode 0) and `rememberedInScope` says its last-seen owner was in scope, or when it is in one of
 * `namespaces` (a workspace container's: its sockets are the workspace's whoever may read their owners). Then the
 * other end of each such connection, found by the swapped 4-tuple in the same namespace's table (so both ends are
 * on this machine: loopback, or one of its own addresses, which Linux also routes through lo), joins as a peer.
 */
export function selectScope(
  sockets: readonly SocketRecord[],
  scopePids: ReadonlySet<number>,
  rememberedInScope: (s: SocketRecord) => boolean = () => false,
  index: ConnectionIndex = indexConnections(sockets),
  namespaces: ReadonlySet<string> = new Set(),
): ScopeSelection {
  // 0: out, 1: in scope, 2: peer.
  const mark = new Uint8Array(sockets.length);
  const own: number[] = [];
  for (let i = 0; i < sockets.length; i++) {
    const s = sockets[i];
    if (s.netns !== undefined && namespaces.has(s.netns)) {
      mark[i] = 1;
      own.push(i);
      continue;
    }
    let owned = false;
    for (const o of s.owners) {
      if (scopePids.has(o.pid)) {
        owned = true;
        break;
      }
    }
    if (owned || (s.inode === 0 && rememberedInScope(s))) {
      mark[i] = 1;
      own.push(i);
    }
  }
  // A fileless socket (TIME-WAIT, a request socket in SYN-RECEIVED) on the port of an in-scope listener is that
  // listener's server side, even when it was accepted and closed between two samples, so no owner was ever seen.
  const listeners = new Map<number, SocketRecord[]>();
  for (const i of own) {
    const s = sockets[i];
    if (s.state !== 'LISTEN') continue;
    const list = listeners.get(s.local.port);
    if (list) list.push(s);
    else listeners.set(s.local.port, [s]);
  }
  if (listeners.size > 0) {
    for (let i = 0; i < sockets.length; i++) {
      const s = sockets[i];
      if (mark[i] !== 0 || s.inode !== 0 || s.state === 'LISTEN') continue;
      const list = listeners.get(s.local.port);
      if (list && list.some((l) => listenerAccepts(l, s))) {
        mark[i] = 1;
        own.push(i);
      }
    }
  }
  const markPeer = (j: number) => {
    if (mark[j] === 0) mark[j] = 2;
  };
  for (const i of own) forEachPeer(sockets, index, sockets[i], markPeer);
  const selected: SocketRecord[] = [];
  const peers: SocketRecord[] = [];
  for (let i = 0; i < sockets.length; i++) {
    if (mark[i] === 0) continue;
    selected.push(sockets[i]);
    if (mark[i] === 2) peers.push(sockets[i]);
  }
  return { sockets: selected, peers };
}

const WILDCARDS = new Set(['0.0.0.0', '::']);

/** Whether a connection's local endpoint is one the listener accepts on (same address, or a wildcard listener; a `::` listener also takes IPv4 as IPv4-mapped), in the listener's namespace. */
function listenerAccepts(listener: SocketRecord, s: SocketRecord): boolean {
  if (listener.local.port !== s.local.port || listener.netns !== s.netns) return false;
  if (WILDCARDS.has(listener.local.address)) return listener.family === s.family || listener.family === 'ipv6';
  return listener.family === s.family && listener.local.address === s.local.address;
}

/**
 * A server's sockets without a file (TIME-WAIT after the server closed first, a request socket in SYN-RECEIVED, a
 * connection waiting in the accept queue) have no process: their owner is the one of the listener they belong to
 * (same port, the listener's address or a wildcard one). Gives each such socket with no owner the listener's
 * owners, marked `via: 'listener'`. Sockets that have owners (their own, or remembered for their 4-tuple) keep them.
 */
export function inheritListenerOwners(sockets: readonly SocketRecord[]): void {
  const listeners = new Map<number, SocketRecord[]>();
  for (const s of sockets) {
    if (s.state !== 'LISTEN' || s.owners.length === 0) continue;
    const list = listeners.get(s.local.port);
    if (list) list.push(s);
    else listeners.set(s.local.port, [s]);
  }
  if (listeners.size === 0) return;
  const inherited = new Map<SocketRecord, SocketRecord['owners']>();
  for (const s of sockets) {
    if (s.inode !== 0 || s.owners.length > 0 || s.state === 'LISTEN') continue;
    const list = listeners.get(s.local.port);
    if (list === undefined) continue;
    // A specific address before a wildcard, as the kernel's lookup prefers it.
    const listener = list.find((l) => !WILDCARDS.has(l.local.address) && listenerAccepts(l, s)) ?? list.find((l) => listenerAccepts(l, s));
    if (listener === undefined) continue;
    let owners = inherited.get(listener);
    if (owners === undefined) inherited.set(listener, (owners = listener.owners.map((o) => ({ pid: o.pid, command: o.command, via: 'listener' as const }))));
    s.owners = owners;
  }
}
