// Socket inode -> owning pids, through /proc/<pid>/fd/<n> -> "socket:[inode]" (proc(5)), done incrementally.
//
// A full scan (readdir + readlink of every fd of every process) costs ~5-6 µs per fd; most fds do not change
// between two samples a second apart. So each process's fd table is cached (keyed by pid + start time, so a reused
// pid starts afresh), and a visit to a process lists its fd folder and readlinks only:
//   - fd numbers not in the cache (opened since the last visit),
//   - fds cached as a TCP socket whose inode has just left the socket table (the number may have been reused).
// A closed fd disappears from the listing and its ownership is forgotten.
// One case the listing cannot reveal: a number that was a file/pipe last time and is a socket now (Linux hands out
// the lowest free number, so this is common in busy servers). A socket that is new in the table and still unowned
// after a pass triggers a *deep* pass, which readlinks again the candidates' fds cached as anything but a live TCP
// socket (few: most fds of a busy server are its TCP sockets) until it is found.
// Before listing, a search with unknown inodes *probes* the processes that just lost a TCP socket: a new file gets
// the lowest free descriptor (POSIX open(2); Linux alloc_fd), so a process that closed sockets and opened others
// holds the new ones mostly on the freed numbers (those sockets' fds, and numbers seen closed before and not open
// since), else just past its highest fd. Readlinking those few numbers finds them without listing a folder of
// thousands of fds; listing remains the fallback, and the rotation still lists every cached table within a bounded
// number of samples (what forgets fds closed anywhere else).
// Synchronous fs, like processes.ts: this runs in a worker thread; sync calls are several times cheaper.
import { readdirSync, readlinkSync } from 'node:fs';
import type { Owner, SocketRecord } from '../domain/types';

interface FdTable {
  startTime: number;
  /** fd number -> socket inode, 0 for anything that is not a socket. */
  fds: Map<string, number>;
  /**
   * readdir failed with EACCES/EPERM (another user's process, or hidepid): not listed again before this sample
   * number (UNREADABLE_RETRY_SAMPLES later). Then it is: the process may have exec'd or changed its uid since.
   */
  unreadableUntil: number;
  /**
   * fd numbers seen closed (missing from a listing, or a probe found nothing there) and not seen open since: the
   * lowest free numbers, where the process's next files go. Insertion order, at most CLOSED_FDS_KEPT.
   */
  closed: Set<string>;
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
  /** Stop visiting once this many fd entries were listed (the cost of a visit is per fd). */
  maxFds?: number;
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
  /**
   * Search only for wanted inodes that are new since the previous sample. For a search among a few processes
   * (the workspace's) where most sockets belong to others: an old unowned socket is not theirs, or it was found
   * when it was new, or when the process first joined the candidates (first-seen processes are always listed).
   */
  onlyFresh?: boolean;
}

export interface AttributionStats {
  /** fd folders listed. */
  pidsVisited: number;
  /** fd entries listed. */
  fdsListed: number;
  readlinks: number;
  /** Processes visited again by a deep pass. */
  deepVisits: number;
  /** readlink calls made by probing (found or not). */
  probes: number;
}

const SOCKET_PREFIX = 'socket:[';
/** At most this many readlinks (~3-5 µs each) per deep pass. */
const DEEP_PASS_READLINKS = 2000;
/** Probing past a process's highest known fd stops after this many numbers in a row that are not open. */
const PROBE_PAST_MAX_MISSES = 4;
/** At most this many readlinks per probe pass (each ~3-5 µs; a failed one about the same). */
const PROBE_READLINKS = 4000;
/** An fd folder that could not be read is tried again after this many samples (~1 min at 1 s). */
export const UNREADABLE_RETRY_SAMPLES = 60;
/** Closed fd numbers remembered per process for probing. */
const CLOSED_FDS_KEPT = 256;

function socketInode(target: string): number {
  if (!target.startsWith(SOCKET_PREFIX) || !target.endsWith(']')) return 0;
  const n = Number(target.slice(SOCKET_PREFIX.length, -1));
  return Number.isSafeInteger(n) && n > 0 ? n : 0;
}

function markClosed(table: FdTable, name: string): void {
  table.closed.delete(name); // re-inserted as the newest
  table.closed.add(name);
  if (table.closed.size > CLOSED_FDS_KEPT) table.closed.delete(table.closed.values().next().value as string);
}

function errorCode(e: unknown): string | undefined {
  return typeof e === 'object' && e !== null && 'code' in e ? String((e as { code: unknown }).code) : undefined;
}

/** The socket inodes in the table: a Set, or the sampler's rows by inode (a Map), which it has built already. */
export interface InodeSet {
  has(inode: number): boolean;
  keys(): Iterable<number>;
}

export class SocketAttributor {
  private readonly tables = new Map<number, FdTable>();
  private readonly ownersByInode = new Map<number, Set<number>>();
  private readonly sortedOwners = new Map<number, readonly number[]>();
  /** One array per distinct owner set, by its pids joined with commas (see ownerPids). */
  private readonly internedOwners = new Map<string, readonly number[]>();
  private live: InodeSet = new Set<number>();
  private previousLive: InodeSet = new Set<number>();
  private readonly givenUp = new Set<number>();
  private readonly cursors = new Map<string, number>();
  private processes: ReadonlyMap<number, { startTime: number }> = new Map();
  /** Samples begun: the clock of unreadableUntil. */
  private sampleCount = 0;
  /** Counters since the last beginSample(). */
  stats: AttributionStats = { pidsVisited: 0, fdsListed: 0, readlinks: 0, deepVisits: 0, probes: 0 };

  constructor(private readonly procRoot = '/proc') {}

  /**
   * Starts a sample: forgets processes that exited (or whose pid now names another process) and records which
   * socket inodes are in the table now, and which of them are new since the last sample.
   */
  beginSample(liveInodes: InodeSet, processes: ReadonlyMap<number, { startTime: number }>): void {
    this.stats = { pidsVisited: 0, fdsListed: 0, readlinks: 0, deepVisits: 0, probes: 0 };
    this.sampleCount++;
    this.processes = processes;
    for (const [pid, table] of this.tables) {
      const p = processes.get(pid);
      if (p === undefined || p.startTime !== table.startTime) this.dropTable(pid, table);
    }
    this.previousLive = this.live;
    this.live = liveInodes;
    // Owner sets of processes long gone would pile up: start the interning afresh once it outgrows what is held.
    if (this.internedOwners.size > 2 * this.tables.size + 1024) this.internedOwners.clear();
    for (const inode of this.givenUp) if (!liveInodes.has(inode)) this.givenUp.delete(inode);
  }

  private isUnreadable(table: FdTable): boolean {
    return table.unreadableUntil > this.sampleCount;
  }

  /** Pids known to hold the inode, ascending. */
  ownersOf(inode: number): number[] {
    return [...(this.ownerPids(inode) ?? [])];
  }

  /**
   * Pids known to hold the inode, ascending, or undefined. The same array is returned until the owners change,
   * so callers can cache what they derive from it (keyed by the array).
   */
  ownerPids(inode: number): readonly number[] | undefined {
    let sorted = this.sortedOwners.get(inode);
    if (sorted === undefined) {
      const set = this.ownersByInode.get(inode);
      if (set === undefined) return undefined;
      const pids = [...set].sort((a, b) => a - b);
      // Interned: every socket held by the same processes gets the same array (most of a server's sockets), so
      // what callers derive from it is derived once per owner set, not once per socket.
      const key = pids.join(',');
      sorted = this.internedOwners.get(key);
      if (sorted === undefined) this.internedOwners.set(key, (sorted = pids));
      this.sortedOwners.set(inode, sorted);
    }
    return sorted;
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
      if (inode === 0 || !this.live.has(inode) || this.hasOwner(inode) || this.givenUp.has(inode)) continue;
      if (options.onlyFresh && this.previousLive.has(inode)) continue;
      unknown.add(inode);
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
    if (options.stopEarly && unknown.size > 0) this.probe(candidates, firstSeen, found);
    const minVisits = options.minVisits ?? 0;
    const maxPids = options.maxPids ?? Infinity;
    const maxFds = options.maxFds ?? Infinity;
    const fdsBefore = this.stats.fdsListed;
    let visited = 0;
    let rotated = 0;
    for (const pid of order) {
      if (visited >= maxPids || this.stats.fdsListed - fdsBefore >= maxFds) break;
      // Processes never listed are always listed (within maxPids): a new root may hold sockets opened long ago.
      if (options.stopEarly && unknown.size === 0 && visited >= minVisits && !firstSeen.has(pid)) break;
      this.visit(pid, false, found);
      visited++;
      if (!firstSeen.has(pid)) rotated++;
    }
    if (candidates.length > 0) this.cursors.set(rotation, (start + rotated) % candidates.length);
    const complete = visited >= order.length;
    if (!complete || unknown.size === 0) return;

    // A socket new in this sample that no listing found may sit behind a reused fd number (was not a socket).
    const fresh = new Set<number>();
    for (const inode of unknown) if (!this.previousLive.has(inode)) fresh.add(inode);
    if (fresh.size > 0) {
      const foundDeep = (inode: number) => {
        unknown.delete(inode);
        fresh.delete(inode);
      };
      const readlinksBefore = this.stats.readlinks;
      for (const pid of order) {
        // Bounded: a socket of a process that exited before it was listed is never found, and such short-lived
        // clients are common; the deep pass is a safety net, not a full rescan on every sample.
        if (fresh.size === 0 || this.stats.readlinks - readlinksBefore >= DEEP_PASS_READLINKS) break;
        if (firstSeen.has(pid)) continue; // every fd of a first-seen process was just read
        this.visit(pid, true, foundDeep);
        this.stats.deepVisits++;
      }
    }
    if (options.coversAllProcesses) for (const inode of unknown) this.givenUp.add(inode);
  }

  /**
   * Readlinks, in cached candidates that held a TCP socket which just left the table, the fd numbers of those
   * sockets (closed, or reused by a new file) and the numbers just past the highest known fd.
   */
  private probe(candidates: readonly number[], skip: ReadonlySet<number>, found: (inode: number) => void): void {
    const departed = new Set<number>();
    for (const inode of this.previousLive.keys()) if (!this.live.has(inode) && this.ownersByInode.has(inode)) departed.add(inode);
    if (departed.size === 0) return;
    const pids = new Set<number>();
    for (const inode of departed) for (const pid of this.ownersByInode.get(inode) ?? []) pids.add(pid);
    const budgetEnd = this.stats.probes + PROBE_READLINKS;
    for (const pid of candidates) {
      if (!pids.has(pid) || skip.has(pid)) continue;
      const table = this.tables.get(pid);
      if (table === undefined || this.isUnreadable(table)) continue;
      const fds = table.fds;
      const freed: string[] = [];
      let maxFd = -1;
      for (const [name, inode] of fds) {
        if (departed.has(inode)) freed.push(name);
        const n = Number(name);
        if (n > maxFd) maxFd = n;
      }
      const dir = `${this.procRoot}/${pid}/fd`;
      const released: number[] = [];
      /** Reads one fd number; false when it is not open. */
      const read = (name: string): boolean => {
        this.stats.probes++;
        let inode: number;
        try {
          inode = socketInode(readlinkSync(`${dir}/${name}`));
        } catch {
          const cached = fds.get(name);
          if (cached !== undefined) {
            fds.delete(name);
            if (cached !== 0) released.push(cached);
            markClosed(table, name);
          }
          return false;
        }
        this.stats.readlinks++;
        table.closed.delete(name);
        const cached = fds.get(name);
        if (inode !== cached) {
          fds.set(name, inode);
          if (cached !== undefined && cached !== 0) released.push(cached);
          if (inode !== 0) this.addOwner(inode, pid);
        }
        if (inode !== 0) found(inode);
        return true;
      };
      const closedBefore = [...table.closed];
      for (const name of freed) {
        if (this.stats.probes >= budgetEnd) break;
        read(name);
      }
      /** Numbers found open that were not cached. */
      const opened: string[] = [];
      for (const name of closedBefore) {
        if (this.stats.probes >= budgetEnd) break;
        if (read(name)) opened.push(name);
      }
      for (let n = maxFd + 1, misses = 0; misses < PROBE_PAST_MAX_MISSES && this.stats.probes < budgetEnd; n++) {
        const name = String(n);
        if (read(name)) {
          opened.push(name);
          misses = 0;
        } else {
          misses++;
        }
      }
      if (released.length > 0) {
        // Every fd that held a released inode is among `freed` (dup() included), so the freed and the opened
        // numbers tell which released inodes this process still holds.
        const held = new Set<number>();
        for (const name of [...freed, ...opened]) {
          const inode = fds.get(name);
          if (inode !== undefined) held.add(inode);
        }
        for (const inode of released) if (!held.has(inode)) this.removeOwner(inode, pid);
      }
      if (this.stats.probes >= budgetEnd) break;
    }
  }

  /**
   * Lists the process's fds and updates its cached table in place. Readlinks new fd numbers and socket fds whose
   * TCP socket just left the table; `deep` re-reads every fd not cached as a live TCP socket.
   */
  private visit(pid: number, deep: boolean, found: (inode: number) => void): void {
    const startTime = this.processes.get(pid)?.startTime ?? 0;
    let table = this.tables.get(pid);
    if (table === undefined) {
      table = { startTime, fds: new Map(), unreadableUntil: 0, closed: new Set() };
      this.tables.set(pid, table);
    }
    if (this.isUnreadable(table)) return;
    const dir = `${this.procRoot}/${pid}/fd`;
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch (e) {
      const code = errorCode(e);
      if (code === 'EACCES' || code === 'EPERM') table.unreadableUntil = this.sampleCount + UNREADABLE_RETRY_SAMPLES;
      return; // ENOENT/ESRCH: exited; the next beginSample() drops it
    }
    this.stats.pidsVisited++;
    this.stats.fdsListed += names.length;
    const fds = table.fds;
    /** Inodes this process may have stopped holding (an fd closed or re-pointed). */
    let released: number[] | null = null;
    let listedKnown = 0;
    for (const name of names) {
      const cached = fds.get(name);
      if (cached !== undefined) listedKnown++;
      else if (table.closed.size > 0) table.closed.delete(name);
      let inode: number;
      // Re-read a cached socket fd when its TCP socket just left the table (the number may have been reused);
      // a socket that was never in the TCP table (unix, UDP) keeps its inode, like a file, until a deep pass.
      const stale = cached === undefined || (deep ? cached === 0 || !this.live.has(cached) : cached !== 0 && this.previousLive.has(cached) && !this.live.has(cached));
      if (!stale) {
        inode = cached;
      } else {
        try {
          inode = socketInode(readlinkSync(`${dir}/${name}`));
          this.stats.readlinks++;
        } catch {
          continue; // closed between readdir and readlink; the removal pass below forgets it
        }
        if (inode !== cached) {
          fds.set(name, inode);
          if (cached !== undefined && cached !== 0) (released ??= []).push(cached);
          if (inode !== 0) this.addOwner(inode, pid);
        }
      }
      if (inode !== 0) found(inode);
    }
    if (listedKnown < fds.size) {
      // Some cached fd numbers were not listed: closed.
      const listed = new Set(names);
      for (const [name, inode] of fds) {
        if (listed.has(name)) continue;
        fds.delete(name);
        markClosed(table, name);
        if (inode !== 0) (released ??= []).push(inode);
      }
    }
    if (released !== null) {
      // After dup() one process may hold an inode on several fds: it stays an owner while any of them is open.
      const held = new Set(fds.values());
      for (const inode of released) if (!held.has(inode)) this.removeOwner(inode, pid);
    }
  }

  private addOwner(inode: number, pid: number): void {
    let set = this.ownersByInode.get(inode);
    if (set === undefined) this.ownersByInode.set(inode, (set = new Set()));
    if (set.has(pid)) return;
    set.add(pid);
    this.sortedOwners.delete(inode);
  }

  private removeOwner(inode: number, pid: number): void {
    const set = this.ownersByInode.get(inode);
    if (set === undefined || !set.delete(pid)) return;
    this.sortedOwners.delete(inode);
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

interface MemoryEntry extends Remembered {
  family: SocketRecord['family'];
  local: string;
  remote: string;
  /** SocketRecord.netns: the same 4-tuple in two namespaces is two sockets. */
  netns: string | undefined;
}

/**
 * The owners last seen for each family + 4-tuple (in its network namespace), for sockets that have no file: TIME-WAIT (the process closed
 * it), request sockets and orphans (inode 0). Bounded: past `capacity` entries, the oldest are dropped.
 * Entries are bucketed by the numeric port pair, so the per-socket, per-sample lookups build no strings.
 */
export class OwnerMemory {
  private readonly buckets = new Map<number, MemoryEntry[]>();
  private count = 0;

  constructor(private capacity = 65_536) {}

  get size(): number {
    return this.count;
  }

  /** Grows the bound so that a table of this many sockets fits twice (a sample's sockets and the previous one's). */
  ensureCapacity(sockets: number): void {
    this.capacity = Math.max(this.capacity, sockets * 2);
  }

  /** The entry for the socket's family and 4-tuple in the bucket of its port pair. Allocates nothing. */
  private static entryIn(list: MemoryEntry[] | undefined, socket: Pick<SocketRecord, 'family' | 'local' | 'remote' | 'netns'>): MemoryEntry | undefined {
    if (list === undefined) return undefined;
    for (const entry of list) {
      if (entry.family === socket.family && entry.local === socket.local.address && entry.remote === socket.remote.address && entry.netns === socket.netns) return entry;
    }
    return undefined;
  }

  remember(socket: SocketRecord, owners: Owner[], inScope: boolean): void {
    if (owners.length === 0) return;
    const key = socket.local.port * 65_536 + socket.remote.port;
    const list = this.buckets.get(key);
    const entry = OwnerMemory.entryIn(list, socket);
    if (entry !== undefined) {
      if (entry.inScope === inScope && sameOwners(entry.owners, owners)) return;
      entry.owners = owners;
      entry.inScope = inScope;
      // Newest last, so eviction (oldest bucket first) keeps what changed recently.
      this.buckets.delete(key);
      this.buckets.set(key, list as MemoryEntry[]);
      return;
    }
    const added: MemoryEntry = { family: socket.family, local: socket.local.address, remote: socket.remote.address, netns: socket.netns, owners, inScope };
    if (list === undefined) this.buckets.set(key, [added]);
    else list.push(added);
    this.count++;
    while (this.count > this.capacity) {
      const oldest = this.buckets.keys().next();
      if (oldest.done) break;
      this.count -= (this.buckets.get(oldest.value) as MemoryEntry[]).length;
      this.buckets.delete(oldest.value);
    }
  }

  recall(socket: Pick<SocketRecord, 'family' | 'local' | 'remote' | 'netns'>): Remembered | undefined {
    const entry = OwnerMemory.entryIn(this.buckets.get(socket.local.port * 65_536 + socket.remote.port), socket);
    return entry === undefined ? undefined : { owners: entry.owners, inScope: entry.inScope };
  }
}

function sameOwners(a: readonly Owner[], b: readonly Owner[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i].pid !== b[i].pid || a[i].command !== b[i].command) return false;
  return true;
}
