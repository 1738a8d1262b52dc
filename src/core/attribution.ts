// Socket inode -> owning pids, through /proc/<pid>/fd/<n> -> "socket:[inode]" (proc(5)), done incrementally.
//
// A full scan (readdir + readlink of every fd of every process) costs ~5-6 µs per fd; most fds do not change
// between two samples a second apart. So each process's fd table is cached (keyed by pid + start time, so a reused
// pid starts afresh), and a visit to a process lists its fd folder and readlinks only:
//   - fd numbers not in the cache (opened since the last visit),
//   - fds cached as a socket whose inode has left the socket table (the number may have been reused).
// A closed fd disappears from the listing and its ownership is forgotten.
// One case the listing cannot reveal: a number that was a file/pipe last time and is a socket now (Linux hands out
// the lowest free number, so this is common in busy servers). A socket that is new in the table and still unowned
// after a pass triggers a *deep* pass, which readlinks every fd of the candidates until it is found.
// Synchronous fs, like processes.ts: this runs in a worker thread; sync calls are several times cheaper.
import { readdirSync, readlinkSync } from 'node:fs';
import { socketTupleKey } from './scope';
import type { Owner, SocketRecord } from './types';

interface FdTable {
  startTime: number;
  /** fd number -> socket inode, 0 for anything that is not a socket. */
  fds: Map<string, number>;
  /** readdir failed with EACCES/EPERM (another user's process, or hidepid): not retried for this process. */
  unreadable: boolean;
}

export interface SearchOptions {
  /** Inodes that need an owner. Inodes that already have one (from the cache) are not searched for. */
  wanted: Iterable<number>;
  /** Pids to look in, most likely first. Processes not seen before are visited before the others. */
  candidates: readonly number[];
  /** Stop visiting once every wanted inode has an owner (and `minVisits` processes were visited). */
  stopEarly: boolean;
  /** Visit at most this many processes. */
  maxPids?: number;
  /**
   * Visit at least this many processes even when nothing is unknown: a slice that rotates through the candidates
   * from one search to the next, so every cached table is listed again within a bounded number of samples (an fd
   * inherited by a child and closed in the parent moves its ownership).
   */
  minVisits?: number;
  /** Names the rotation: searches over different candidate lists keep separate positions. */
  rotation?: string;
  /** The candidates are every process on the machine: inodes still unowned after a complete pass are given up on. */
  coversAllProcesses?: boolean;
}

export interface AttributionStats {
  /** fd folders listed. */
  pidsVisited: number;
  /** fd entries listed. */
  fdsListed: number;
  readlinks: number;
  /** Processes visited again by a deep pass. */
  deepVisits: number;
}

const SOCKET_PREFIX = 'socket:[';

function socketInode(target: string): number {
  if (!target.startsWith(SOCKET_PREFIX) || !target.endsWith(']')) return 0;
  const n = Number(target.slice(SOCKET_PREFIX.length, -1));
  return Number.isSafeInteger(n) && n > 0 ? n : 0;
}

function errorCode(e: unknown): string | undefined {
  return typeof e === 'object' && e !== null && 'code' in e ? String((e as { code: unknown }).code) : undefined;
}

export class SocketAttributor {
  private readonly tables = new Map<number, FdTable>();
  private readonly ownersByInode = new Map<number, Set<number>>();
  private live: ReadonlySet<number> = new Set();
  private previousLive: ReadonlySet<number> = new Set();
  private readonly givenUp = new Set<number>();
  private readonly cursors = new Map<string, number>();
  private processes: ReadonlyMap<number, { startTime: number }> = new Map();
  /** Counters since the last beginSample(). */
  stats: AttributionStats = { pidsVisited: 0, fdsListed: 0, readlinks: 0, deepVisits: 0 };

  constructor(private readonly procRoot = '/proc') {}

  /**
   * Starts a sample: forgets processes that exited (or whose pid now names another process) and records which
   * socket inodes are in the table now, and which of them are new since the last sample.
   */
  beginSample(liveInodes: ReadonlySet<number>, processes: ReadonlyMap<number, { startTime: number }>): void {
    this.stats = { pidsVisited: 0, fdsListed: 0, readlinks: 0, deepVisits: 0 };
    this.processes = processes;
    for (const [pid, table] of this.tables) {
      const p = processes.get(pid);
      if (p === undefined || p.startTime !== table.startTime) this.dropTable(pid, table);
    }
    this.previousLive = this.live;
    this.live = liveInodes;
    for (const inode of this.givenUp) if (!liveInodes.has(inode)) this.givenUp.delete(inode);
  }

  /** Pids known to hold the inode, ascending. */
  ownersOf(inode: number): number[] {
    const set = this.ownersByInode.get(inode);
    return set ? [...set].sort((a, b) => a - b) : [];
  }

  hasOwner(inode: number): boolean {
    const set = this.ownersByInode.get(inode);
    return set !== undefined && set.size > 0;
  }

  /** Processes whose fd table is cached. */
  cachedProcessCount(): number {
    return this.tables.size;
  }

  search(options: SearchOptions): void {
    const unknown = new Set<number>();
    for (const inode of options.wanted) {
      if (inode !== 0 && this.live.has(inode) && !this.hasOwner(inode) && !this.givenUp.has(inode)) unknown.add(inode);
    }
    const found = (inode: number) => unknown.delete(inode);
    const candidates = options.candidates.filter((pid) => this.processes.has(pid));
    const rotation = options.rotation ?? 'default';
    const start = candidates.length > 0 ? (this.cursors.get(rotation) ?? 0) % candidates.length : 0;
    const order: number[] = [];
    for (const pid of candidates) if (!this.tables.has(pid)) order.push(pid);
    const firstSeen = new Set(order);
    for (let i = 0; i < candidates.length; i++) {
      const pid = candidates[(start + i) % candidates.length];
      if (!firstSeen.has(pid)) order.push(pid);
    }
    const minVisits = options.minVisits ?? 0;
    const maxPids = options.maxPids ?? Infinity;
    let visited = 0;
    let rotated = 0;
    for (const pid of order) {
      if (visited >= maxPids) break;
      if (options.stopEarly && unknown.size === 0 && visited >= minVisits) break;
      this.visit(pid, false, found);
      visited++;
      if (!firstSeen.has(pid)) rotated++;
    }
    if (candidates.length > 0) this.cursors.set(rotation, (start + rotated) % candidates.length);
    const complete = visited >= order.length;
    if (!complete || unknown.size === 0) return;

    // A socket new in this sample that no listing found may sit behind a reused fd number: readlink everything.
    const fresh = new Set<number>();
    for (const inode of unknown) if (!this.previousLive.has(inode)) fresh.add(inode);
    if (fresh.size > 0) {
      const foundDeep = (inode: number) => {
        unknown.delete(inode);
        fresh.delete(inode);
      };
      for (const pid of order) {
        if (fresh.size === 0) break;
        if (firstSeen.has(pid)) continue; // every fd of a first-seen process was just read
        this.visit(pid, true, foundDeep);
        this.stats.deepVisits++;
      }
    }
    if (options.coversAllProcesses) for (const inode of unknown) this.givenUp.add(inode);
  }

  /** Lists the process's fds and updates its cached table; `deep` readlinks every fd, not only new ones. */
  private visit(pid: number, deep: boolean, found: (inode: number) => void): void {
    const startTime = this.processes.get(pid)?.startTime ?? 0;
    let table = this.tables.get(pid);
    if (table === undefined) {
      table = { startTime, fds: new Map(), unreadable: false };
      this.tables.set(pid, table);
    }
    if (table.unreadable) return;
    const dir = `${this.procRoot}/${pid}/fd`;
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch (e) {
      const code = errorCode(e);
      if (code === 'EACCES' || code === 'EPERM') table.unreadable = true;
      return; // ENOENT/ESRCH: exited; the next beginSample() drops it
    }
    this.stats.pidsVisited++;
    this.stats.fdsListed += names.length;
    const old = table.fds;
    const next = new Map<string, number>();
    const held = new Set<number>();
    for (const name of names) {
      const cached = old.get(name);
      let inode: number;
      if (cached !== undefined && !deep && (cached === 0 || this.live.has(cached))) {
        inode = cached;
      } else {
        try {
          inode = socketInode(readlinkSync(`${dir}/${name}`));
          this.stats.readlinks++;
        } catch {
          continue; // closed between readdir and readlink
        }
      }
      next.set(name, inode);
      if (inode !== 0) {
        held.add(inode);
        if (inode !== cached) this.addOwner(inode, pid);
        found(inode);
      }
    }
    // After dup() one process may hold an inode on several fds: it stays an owner while any of them is open.
    for (const inode of old.values()) if (inode !== 0 && !held.has(inode)) this.removeOwner(inode, pid);
    table.fds = next;
  }

  private addOwner(inode: number, pid: number): void {
    let set = this.ownersByInode.get(inode);
    if (set === undefined) this.ownersByInode.set(inode, (set = new Set()));
    set.add(pid);
  }

  private removeOwner(inode: number, pid: number): void {
    const set = this.ownersByInode.get(inode);
    if (set === undefined) return;
    set.delete(pid);
    if (set.size === 0) this.ownersByInode.delete(inode);
  }

  private dropTable(pid: number, table: FdTable): void {
    for (const inode of table.fds.values()) if (inode !== 0) this.removeOwner(inode, pid);
    this.tables.delete(pid);
  }
}

interface Remembered {
  owners: Owner[];
  /** The owner was in the workspace scope when last seen. */
  inScope: boolean;
}

/**
 * The owners last seen for each family + 4-tuple, for sockets that have no file: TIME-WAIT (the process closed
 * it), request sockets and orphans (inode 0). Bounded: past `capacity` entries, the oldest are dropped.
 */
export class OwnerMemory {
  private readonly entries = new Map<string, Remembered>();

  constructor(private capacity = 65_536) {}

  get size(): number {
    return this.entries.size;
  }

  /** Grows the bound so that a table of this many sockets fits twice (a sample's sockets and the previous one's). */
  ensureCapacity(sockets: number): void {
    this.capacity = Math.max(this.capacity, sockets * 2);
  }

  remember(socket: SocketRecord, owners: Owner[], inScope: boolean): void {
    if (owners.length === 0) return;
    const key = socketTupleKey(socket);
    const old = this.entries.get(key);
    if (old !== undefined && old.inScope === inScope && sameOwners(old.owners, owners)) return;
    this.entries.delete(key);
    this.entries.set(key, { owners, inScope });
    if (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
  }

  recall(socket: SocketRecord): Remembered | undefined {
    return this.entries.get(socketTupleKey(socket));
  }
}

function sameOwners(a: readonly Owner[], b: readonly Owner[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i].pid !== b[i].pid || a[i].command !== b[i].command) return false;
  return true;
}
