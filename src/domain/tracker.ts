// Turns consecutive readings of the socket table into connection lifecycles: opened, changed state, closed.
// Runs on every sample over up to tens of thousands of rows, so the path for a row that did not change does no
// string building and no allocation: rows are found by a numeric port-pair key, then compared field by field.
import type { AddressFamily, Connection, ConnectionId, ConnectionRole, Endpoint, HistoryEntry, Owner, PathHop, SocketRecord, StateCounts, TcpState, TrackerEvent } from './types';
import { emptyCounts, formatEndpoint } from './types';
import { adjacent, inferPath } from './diagram';

export interface TrackerOptions {
  /** History entries kept per connection (oldest dropped first); at least 1. */
  maxHistory: number;
  /** How long a closed connection stays visible after it left the socket table, ms. */
  closedRetentionMs: number;
  /** How many closed connections are kept at most (the oldest closed are dropped first). */
  maxClosed: number;
}

export const DEFAULT_TRACKER_OPTIONS: Readonly<TrackerOptions> = { maxHistory: 32, closedRetentionMs: 10_000, maxClosed: 500 };

/** What one update changed, beyond its events: for building a ModelUpdate without diffing every connection. */
export interface TrackerChanges {
  /** Connections opened, closed, or changed in state, owner, inode or queues by the last update (live records). */
  changed: readonly Connection[];
  /** Closed connections dropped by the last update (retention time or count) or by setOptions. */
  removed: readonly ConnectionId[];
}

/**
 * family + 4-tuple, as text: `ipv4 127.0.0.1:5000 127.0.0.1:80`, then the network namespace when it is not the
 * reader's own (`... net:[4026532301]`). Not unique across a 4-tuple's reuse (see ConnectionId).
 */
export function connectionKey(family: AddressFamily, local: Endpoint, remote: Endpoint, netns?: string): string {
  return `${family} ${formatEndpoint(local)} ${formatEndpoint(remote)}${netns === undefined ? '' : ` ${netns}`}`;
}

interface Tracked {
  conn: Connection;
  /** The row of the table it was last seen in (the scope is decided per row). */
  row: SocketRecord;
  /** Number of the last update whose sample held this connection's row. */
  seen: number;
  /** bucketKey() of its port pair. */
  bucket: number;
  // The identity, copied out of conn so matching a row reads one object (the hot loop is memory-bound at 50k rows).
  family: AddressFamily;
  localAddress: string;
  remoteAddress: string;
  localPort: number;
  remotePort: number;
  netns: string | undefined;
}

// A socket without a file (inode 0) is either not yet accepted (a request socket, or a child socket waiting in the
// accept queue: SYN-RECEIVED, ESTABLISHED, or CLOSE-WAIT when the peer closed first) or one that lost its file for
// good (TIME-WAIT, and orphans in FIN-WAIT-1/2, CLOSING, LAST-ACK after close()). Only the first kind can gain an
// inode later, when accept() gives it a file.
function canBeAccepted(state: TcpState): boolean {
  return state === 'SYN-RECEIVED' || state === 'ESTABLISHED' || state === 'CLOSE-WAIT';
}

/** The connection ends where it is expected to: these states go to CLOSED by themselves (RFC 9293 Figure 5). */
function expectedEnd(state: TcpState): boolean {
  return state === 'TIME-WAIT' || state === 'LAST-ACK' || state === 'CLOSING';
}

/**
 * The hops from one observed state to the next. A direct edge of any kind is taken as is (a socket still in the
 * table in CLOSED after ESTABLISHED was reset); otherwise the diagram's most likely path.
 */
function transitionPath(from: TcpState, to: TcpState): readonly TcpState[] {
  if (from === to) return [from];
  return adjacent(from, to) ? [from, to] : inferPath(from, to);
}

/**
 * The most likely way from a connection's start to the state it is first seen in, both ends included: a client
 * from CLOSED through SYN-SENT (connect()), a connection a listener accepted from LISTEN through SYN-RECEIVED, a
 * listener from CLOSED. A socket seen in CLOSED (not connected yet, or reset and still held) has no known past.
 */
export function firstSightingPath(role: ConnectionRole, state: TcpState): readonly TcpState[] {
  if (state === 'CLOSED') return [state];
  const origin: TcpState = role === 'server' ? 'LISTEN' : 'CLOSED';
  if (state === origin) return [state];
  // Linux never turns a listening socket into a connection or back: a server's path does not leave through CLOSED,
  // a client's does not pass LISTEN.
  return inferPath(origin, state, { avoid: role === 'server' ? ['CLOSED'] : ['LISTEN'] });
}

/**
 * A transition that passes through CLOSED or LISTEN, or starts or ends in LISTEN, is not one connection changing
 * state: the TCB was deleted and the 4-tuple reused (TIME-WAIT -> SYN-SENT), or a listener and a connection share
 * an address. Linux never turns a listening socket into a connection or back.
 */
function isNewIncarnation(path: readonly TcpState[]): boolean {
  if (path.length < 2) return false;
  if (path[0] === 'LISTEN' || path[path.length - 1] === 'LISTEN') return true;
  for (let i = 1; i < path.length - 1; i++) if (path[i] === 'CLOSED' || path[i] === 'LISTEN') return true;
  return false;
}

/**
 * A hash of the port pair that stays a small integer (V8 keeps it unboxed, so no number is allocated per row).
 * Different pairs may share a bucket; rows are matched on the full address anyway.
 */
function bucketKey(localPort: number, remotePort: number): number {
  return ((localPort << 14) ^ remotePort) & 0x3fffffff;
}

/** IPv4-mapped IPv6 addresses (`::ffff:127.0.0.1`) compare as their IPv4 address. */
function plainAddress(address: string): string {
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}

function isWildcard(address: string): boolean {
  return address === '0.0.0.0' || address === '::';
}

function pickOwner(current: Owner | null, owners: readonly Owner[]): Owner | null {
  if (owners.length === 0) return current;
  if (current !== null) {
    for (const o of owners) if (o.pid === current.pid && o.command === current.command) return current;
  }
  const first = owners[0];
  return first === undefined ? current : { pid: first.pid, command: first.command };
}

/**
 * Follows connections across samples.
 *
 * Identity: network namespace + family + 4-tuple + inode. A row matches a live connection with the same family and 4-tuple when the
 * inodes are equal, when the row has none (it became TIME-WAIT or an orphan: identity and owner carry over), or
 * when the connection had none yet and may have been accept()ed since. A different inode, or a change of state
 * that can only happen through CLOSED, is a new connection on a reused 4-tuple: the old one closes, a new one opens.
 *
 * Ids are `family local remote #inode/serial` (the inode first seen, 0 for a request socket or TIME-WAIT seen
 * first), never reused by the same tracker.
 *
 * The Connection objects handed out are the tracker's own and are updated in place by later updates; copy one to
 * keep it as it was. `timer` is refreshed on every sample without counting as a change.
 */
export class ConnectionTracker {
  private options: TrackerOptions;
  private readonly live = new Map<ConnectionId, Tracked>();
  /** Closed connections in the order they closed (Map keeps insertion order). */
  private readonly closed = new Map<ConnectionId, Tracked>();
  /** Live connections by bucketKey(): a number key needs no string built per row. */
  private readonly buckets = new Map<number, Tracked[]>();
  private readonly stateCounts: StateCounts = emptyCounts();
  private updates = 0;
  private lastTakenAt: number | null = null;
  private serial = 0;
  /** Connections known from before this tracker (seed()), by family + 4-tuple: adopted at the next update only. */
  private seeds: Map<string, Connection[]> | null = null;
  private changed: Connection[] = [];
  private removed: ConnectionId[] = [];
  /** Listening ports of the sample being processed: port -> local addresses (mapped IPv6 as IPv4) and namespaces; built on demand. */
  private listeners: Map<number, { address: string; netns: string | undefined }[]> | null = null;
  private rows: readonly SocketRecord[] = [];

  constructor(options?: Partial<TrackerOptions>) {
    this.options = ConnectionTracker.validate({ ...DEFAULT_TRACKER_OPTIONS, ...options });
  }

  private static validate(o: TrackerOptions): TrackerOptions {
    return {
      maxHistory: Math.max(1, Math.floor(o.maxHistory)),
      closedRetentionMs: Math.max(0, o.closedRetentionMs),
      maxClosed: Math.max(0, Math.floor(o.maxClosed)),
    };
  }

  setOptions(o: Partial<TrackerOptions>): void {
    this.options = ConnectionTracker.validate({ ...this.options, ...o });
    for (const t of this.live.values()) this.capHistory(t.conn);
    for (const t of this.closed.values()) this.capHistory(t.conn);
    this.removed = [];
    if (this.lastTakenAt !== null) this.evictClosed(this.lastTakenAt);
  }

  getOptions(): Readonly<TrackerOptions> {
    return { ...this.options };
  }

  /**
   * Connections known from before this tracker existed: the records a previous tracker handed out (a window reload,
   * a restarted worker). At the next update, a row that is one of them (same family and 4-tuple, a compatible inode
   * and state, as update() matches rows) continues it: same id, history and age, then whatever changed meanwhile.
   * Closed ones still within retention come back as closed. What the next update does not adopt is forgotten.
   */
  seed(connections: readonly Connection[]): void {
    this.seeds = new Map();
    for (const c of connections) {
      const serial = Number(/\/(\d+)$/.exec(c.id)?.[1] ?? 0);
      if (serial > this.serial) this.serial = serial; // ids handed out later never repeat a seeded one
      const key = connectionKey(c.family, c.local, c.remote, c.netns);
      const list = this.seeds.get(key);
      if (list === undefined) this.seeds.set(key, [c]);
      else list.push(c);
    }
  }

  /** Diffs one sample against the previous one. Events come closed first, then opened and changed, in row order. */
  update(sample: { takenAt: number; sockets: readonly SocketRecord[] }): TrackerEvent[] {
    const at = sample.takenAt;
    const n = ++this.updates;
    this.lastTakenAt = at;
    this.changed = [];
    this.removed = [];
    this.listeners = null;
    this.rows = sample.sockets;
    const closedEvents: TrackerEvent[] = [];
    const events: TrackerEvent[] = [];
    const rows = sample.sockets;
    const liveBefore = this.live.size;
    let matched = 0;

    for (let i = 0; i < rows.length; i++) {
      const r = rows[i] as SocketRecord;
      const key = bucketKey(r.local.port, r.remote.port);
      const bucket = this.buckets.get(key);
      let match: Tracked | undefined;
      if (bucket !== undefined) match = this.findMatch(bucket, r, n);
      if (match === undefined) {
        this.open(r, key, at, n, events);
        continue;
      }
      match.seen = n;
      match.row = r;
      matched++;
      const c = match.conn;
      c.timer = r.timer;
      if (c.state === r.state && (r.inode === 0 || r.inode === c.inode) && c.recvQ === r.recvQ && c.sendQ === r.sendQ && !this.ownerDiffers(c.owner, r.owners) && c.container === r.container) {
        continue; // the common case: nothing to do, nothing allocated
      }
      this.applyRow(c, r, at, events);
    }

    // Rows that did not come back: the connection left the table. Every connection live before this sample was
    // matched to at most one row, so when all were matched there is nothing to look for.
    if (matched < liveBefore) {
      for (const t of this.live.values()) {
        if (t.seen !== n) this.close(t, at, closedEvents);
      }
    }
    if (this.seeds !== null) this.adoptClosedSeeds(at);
    this.evictClosed(at);
    this.rows = [];
    this.listeners = null;
    return closedEvents.length === 0 ? events : closedEvents.concat(events);
  }

  /** Live connections, without building an array of them. */
  *liveConnections(): Generator<Connection> {
    for (const t of this.live.values()) yield t.conn;
  }

  /** Live connections with the row each was matched to in the last update. */
  forEachLive(visit: (c: Connection, row: SocketRecord) => void): void {
    for (const t of this.live.values()) visit(t.conn, t.row);
  }

  /** Live connections, then retained closed ones (state CLOSED, closedAt set). */
  connections(): Connection[] {
    const out: Connection[] = [];
    for (const t of this.live.values()) out.push(t.conn);
    for (const t of this.closed.values()) out.push(t.conn);
    return out;
  }

  get(id: ConnectionId): Connection | undefined {
    return (this.live.get(id) ?? this.closed.get(id))?.conn;
  }

  /** Live connections per state (retained closed connections are not counted). */
  counts(): StateCounts {
    return { ...this.stateCounts };
  }

  /** What the last update (or setOptions) changed besides its events. */
  lastChanges(): TrackerChanges {
    return { changed: this.changed, removed: this.removed };
  }

  /** Live and retained connections held. */
  get size(): { live: number; closed: number } {
    return { live: this.live.size, closed: this.closed.size };
  }

  /** Forgets everything (a scope switch makes a different set of connections). */
  reset(): void {
    this.live.clear();
    this.closed.clear();
    this.buckets.clear();
    Object.assign(this.stateCounts, emptyCounts());
    this.changed = [];
    this.removed = [];
    this.lastTakenAt = null;
  }

  // -------------------------------------------------------------------------------------------------------

  private ownerDiffers(owner: Owner | null, owners: readonly Owner[]): boolean {
    if (owners.length === 0) return false;
    if (owner === null) return true;
    for (let i = 0; i < owners.length; i++) {
      const o = owners[i] as Owner;
      if (o.pid === owner.pid && o.command === owner.command) return false;
    }
    return true;
  }

  /** The live connection a row belongs to, or undefined when the row is a new connection. */
  private findMatch(bucket: Tracked[], r: SocketRecord, n: number): Tracked | undefined {
    let best: Tracked | undefined;
    let bestScore = 0;
    for (let i = 0; i < bucket.length; i++) {
      const t = bucket[i] as Tracked;
      if (t.seen === n) continue; // already matched to another row of this sample
      if (t.localPort !== r.local.port || t.remotePort !== r.remote.port || t.family !== r.family || t.netns !== r.netns) continue;
      if (t.localAddress !== r.local.address || t.remoteAddress !== r.remote.address) continue;
      const c = t.conn;
      if (r.inode !== 0 && c.inode === r.inode) {
        if (c.state === r.state || !isNewIncarnation(transitionPath(c.state, r.state))) return t;
        continue;
      }
      // No inode to compare: the row lost its file (TIME-WAIT, orphan) or the connection had none yet.
      const compatible = r.inode === 0 || (c.inode === 0 && canBeAccepted(c.state) && r.state !== 'SYN-SENT');
      if (!compatible) continue;
      const score = c.state === r.state ? 2 : 1;
      if (score <= bestScore) continue;
      if (score === 1 && isNewIncarnation(transitionPath(c.state, r.state))) continue;
      best = t;
      bestScore = score;
    }
    return best;
  }

  /** The seeded record a new row continues, if any (taken out of the seeds). */
  private takeSeed(r: SocketRecord): Connection | undefined {
    const list = this.seeds?.get(connectionKey(r.family, r.local, r.remote, r.netns));
    if (list === undefined) return undefined;
    const i = list.findIndex((c) => {
      if (c.closedAt !== null) return false;
      const sameFile = r.inode !== 0 && c.inode === r.inode;
      const compatible = sameFile || r.inode === 0 || (c.inode === 0 && canBeAccepted(c.state) && r.state !== 'SYN-SENT');
      return compatible && (c.state === r.state || !isNewIncarnation(transitionPath(c.state, r.state)));
    });
    if (i < 0) return undefined;
    return list.splice(i, 1)[0];
  }

  /** Closed seeds come back as closed (their markers outlive a reload for the rest of their retention). */
  private adoptClosedSeeds(at: number): void {
    const seeds = this.seeds;
    this.seeds = null;
    if (seeds === null) return;
    for (const list of seeds.values()) {
      for (const c of list) {
        if (c.closedAt === null || c.closedAt + this.options.closedRetentionMs < at || this.closed.has(c.id)) continue;
        const conn: Connection = { ...c, history: c.history.map((h) => ({ ...h })) };
        this.closed.set(conn.id, { conn, row: { state: 'CLOSED', family: c.family, local: c.local, remote: c.remote, inode: c.inode, uid: -1, recvQ: 0, sendQ: 0, timer: null, owners: [], ...(c.netns !== undefined ? { netns: c.netns } : {}) }, seen: 0, bucket: bucketKey(c.local.port, c.remote.port), family: c.family, localAddress: c.local.address, remoteAddress: c.remote.address, localPort: c.local.port, remotePort: c.remote.port, netns: c.netns });
        this.changed.push(conn);
      }
    }
  }

  private open(r: SocketRecord, key: number, at: number, n: number, events: TrackerEvent[]): void {
    const seeded = this.seeds === null ? undefined : this.takeSeed(r);
    if (seeded !== undefined) {
      this.continueSeed(seeded, r, key, at, n, events);
      return;
    }
    // The serial makes an id unique for the tracker's whole life: a 4-tuple (with or without an inode) comes back,
    // and a view may still hold the id of its last incarnation.
    const id = `${connectionKey(r.family, r.local, r.remote, r.netns)} #${r.inode}/${++this.serial}`;
    const role = this.roleOf(r);
    // Before the first sighting: the inferred way from the connection's start. The observed state began within the
    // last sampling gap, unless this is the first sample: then it may be much older.
    const history: HistoryEntry[] = [];
    const path = firstSightingPath(role, r.state);
    for (let i = 0; i + 1 < path.length; i++) history.push({ state: path[i] as TcpState, since: at, until: at, inferred: true, startSeen: false });
    history.push({ state: r.state, since: at, until: null, inferred: false, startSeen: n > 1 });
    const conn: Connection = {
      id,
      family: r.family,
      local: r.local,
      remote: r.remote,
      inode: r.inode,
      role,
      owner: pickOwner(null, r.owners),
      state: r.state,
      history,
      openedAt: at,
      closedAt: null,
      recvQ: r.recvQ,
      sendQ: r.sendQ,
      timer: r.timer,
    };
    if (r.netns !== undefined) conn.netns = r.netns;
    if (r.container !== undefined) conn.container = r.container;
    this.capHistory(conn);
    const t: Tracked = {
      conn,
      row: r,
      seen: n,
      bucket: key,
      family: r.family,
      localAddress: r.local.address,
      remoteAddress: r.remote.address,
      localPort: r.local.port,
      remotePort: r.remote.port,
      netns: r.netns,
    };
    this.live.set(id, t);
    const bucket = this.buckets.get(key);
    if (bucket === undefined) this.buckets.set(key, [t]);
    else bucket.push(t);
    this.stateCounts[r.state]++;
    this.changed.push(conn);
    events.push({ kind: 'opened', at, connection: conn });
  }

  /** A row that continues a seeded connection: its record as it was, then this row applied like any other. */
  private continueSeed(seeded: Connection, r: SocketRecord, key: number, at: number, n: number, events: TrackerEvent[]): void {
    const conn: Connection = { ...seeded, history: seeded.history.map((h) => ({ ...h })), timer: r.timer };
    const t: Tracked = { conn, row: r, seen: n, bucket: key, family: r.family, localAddress: r.local.address, remoteAddress: r.remote.address, localPort: r.local.port, remotePort: r.remote.port, netns: r.netns };
    this.live.set(conn.id, t);
    const bucket = this.buckets.get(key);
    if (bucket === undefined) this.buckets.set(key, [t]);
    else bucket.push(t);
    this.stateCounts[conn.state]++;
    events.push({ kind: 'opened', at, connection: conn });
    if (conn.state !== r.state || conn.recvQ !== r.recvQ || conn.sendQ !== r.sendQ || (r.inode !== 0 && conn.inode === 0) || this.ownerDiffers(conn.owner, r.owners) || conn.container !== r.container) this.applyRow(conn, r, at, events);
    else this.changed.push(conn);
  }

  private applyRow(c: Connection, r: SocketRecord, at: number, events: TrackerEvent[]): void {
    if (r.inode !== 0 && c.inode === 0) c.inode = r.inode;
    c.owner = pickOwner(c.owner, r.owners);
    c.recvQ = r.recvQ;
    c.sendQ = r.sendQ;
    // The engine answers in the background: a container's label can come (or go) after its sockets were first seen.
    if (r.container !== undefined) c.container = r.container;
    else delete c.container;
    this.changed.push(c);
    if (c.state === r.state) return;
    const from = c.state;
    const path = transitionPath(from, r.state);
    const last = c.history[c.history.length - 1];
    const msInFrom = last !== undefined && last.state === from && last.startSeen ? Math.max(0, at - last.since) : null;
    this.enter(c, path, at, false);
    const hops: PathHop[] = [];
    const inferredHops = path.length > 2;
    for (let i = 0; i + 1 < path.length; i++) hops.push({ from: path[i] as TcpState, to: path[i + 1] as TcpState, inferred: inferredHops });
    events.push({ kind: 'changed', at, id: c.id, from, to: r.state, path: hops, msInFrom });
  }

  /**
   * Moves a connection along `path` (path[0] is its current state): the states between are entered and left at
   * `at`, marked inferred; the last is entered at `at` and stays current.
   */
  private enter(c: Connection, path: readonly TcpState[], at: number, lastInferred: boolean): void {
    const h = c.history;
    const last = h[h.length - 1];
    if (last !== undefined) last.until = at;
    for (let i = 1; i < path.length - 1; i++) h.push({ state: path[i] as TcpState, since: at, until: at, inferred: true, startSeen: true });
    const to = path[path.length - 1] as TcpState;
    h.push({ state: to, since: at, until: null, inferred: lastInferred, startSeen: true });
    this.capHistory(c);
    this.stateCounts[c.state]--;
    this.stateCounts[to]++;
    c.state = to;
  }

  private capHistory(c: Connection): void {
    const excess = c.history.length - this.options.maxHistory;
    if (excess > 0) c.history.splice(0, excess);
  }

  private close(t: Tracked, at: number, events: TrackerEvent[]): void {
    const c = t.conn;
    const from = c.state;
    this.live.delete(c.id);
    const bucket = this.buckets.get(t.bucket);
    if (bucket !== undefined) {
      const i = bucket.indexOf(t);
      if (i >= 0) bucket.splice(i, 1);
      if (bucket.length === 0) this.buckets.delete(t.bucket);
    }
    const inferred = from !== 'CLOSED' && !expectedEnd(from);
    const hops: PathHop[] = [];
    if (from !== 'CLOSED') {
      // A vanished connection most likely took the diagram's way to CLOSED, except through TIME-WAIT, which lasts
      // 60 s on Linux and would have been seen by a sample.
      const path = from === 'TIME-WAIT' || from === 'LAST-ACK' ? [from, 'CLOSED' as const] : inferPath(from, 'CLOSED', from === 'CLOSING' ? undefined : { avoid: ['TIME-WAIT'] });
      // Like the history it writes: the states between are inferred, the last hop is as sure as the end itself.
      for (let i = 0; i + 1 < path.length; i++) hops.push({ from: path[i] as TcpState, to: path[i + 1] as TcpState, inferred: inferred || i + 2 < path.length });
      this.enter(c, path, at, inferred);
    }
    // A socket already CLOSED in the table (reset, failed connect) stays in its observed CLOSED entry.
    this.stateCounts.CLOSED--;
    c.closedAt = at;
    c.timer = null;
    this.closed.set(c.id, t);
    this.changed.push(c);
    events.push({ kind: 'closed', at, id: c.id, from, inferred, path: hops });
  }

  private evictClosed(now: number): void {
    const { closedRetentionMs, maxClosed } = this.options;
    for (const [id, t] of this.closed) {
      // Strictly older than the retention: a connection is visible at least in the update that closed it.
      const expired = (t.conn.closedAt ?? now) + closedRetentionMs < now;
      if (!expired && this.closed.size <= maxClosed) break;
      this.closed.delete(id);
      this.removed.push(id);
    }
  }

  private roleOf(r: SocketRecord): ConnectionRole {
    if (r.state === 'LISTEN') return 'listener';
    // The handshake state says it directly; otherwise a connection whose local port is listened on (on its
    // address or the wildcard) was accepted by that listener.
    if (r.state === 'SYN-SENT') return 'client';
    if (r.state === 'SYN-RECEIVED') return 'server';
    const listeners = this.listenersOf(r.local.port);
    if (listeners === undefined) return 'client';
    const local = plainAddress(r.local.address);
    // A listener of another network namespace on the same port accepted nothing of this one.
    for (const l of listeners) if (l.netns === r.netns && (l.address === local || isWildcard(l.address))) return 'server';
    return 'client';
  }

  private listenersOf(port: number): { address: string; netns: string | undefined }[] | undefined {
    if (this.listeners === null) {
      const m = new Map<number, { address: string; netns: string | undefined }[]>();
      for (const r of this.rows) {
        if (r.state !== 'LISTEN') continue;
        const l = { address: plainAddress(r.local.address), netns: r.netns };
        const list = m.get(r.local.port);
        if (list === undefined) m.set(r.local.port, [l]);
        else list.push(l);
      }
      this.listeners = m;
    }
    return this.listeners.get(port);
  }
}
