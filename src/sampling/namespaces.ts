// Which network namespace each process is in, and for each namespace a process through which its TCP table
// can be read: /proc/<pid>/net/tcp and tcp6 show the table of <pid>'s network namespace, not the reader's.
//
// Facts (Linux 6.18, checked on this project's machines with a root-owned container process and a reader
// running as nobody; earlier kernels behave the same for these files):
// - /proc/<pid>/ns/net is a magic link whose text is `net:[<inode>]`; the inode names the namespace. Reading it
//   needs ptrace-read access to <pid> (another user's process: EACCES), and so does stat() through it.
//   lstat() of the link works but describes the link itself (a per-process inode), so it names nothing.
// - /proc/<pid>/net/tcp{,6} are world-readable (0444 in a 0555 folder) even for another user's process, and
//   each namespace has its own proc entry for them: stat() gives every process of one namespace the same inode,
//   and processes of different namespaces different ones (the entry is made per namespace when it is created).
//   That inode is the fallback identity when the link cannot be read; its key has its own prefix, so it cannot
//   be taken for a namespace inode.
// - /proc/<pid>/fd needs the same access as the link: an unprivileged reader cannot see which sockets another
//   user's process holds, only the namespace's table.
// - A process can be hidden entirely (proc mounted with hidepid=) or gone by the time it is read: unknown.
import { readFileSync, readlinkSync, statSync } from 'node:fs';
import { readlink, stat, open } from 'node:fs/promises';
import { parseSockstatTcp, tcpTablesWorthReading, type SockstatTcp, type TcpTablesPlan } from '../domain/sockstat';
export type { TcpTablesPlan } from '../domain/sockstat';

export interface NetNamespaceGroup {
  /** `net:[<inode>]` (the namespace's inode), or `net-tcp:<inode>` when only its table's inode could be seen. */
  key: string;
  /** The namespace's inode; null when no process of the group let us read its link. */
  inode: number | null;
  /** The pids given that are in this namespace, in the order given. */
  pids: number[];
  /** A pid whose /proc/<pid>/net/tcp could be opened and read when grouped; null when none could. */
  representative: number | null;
  /** Whether the representative's /proc/<pid>/net/tcp6 exists (absent when IPv6 is disabled). */
  hasTcp6: boolean;
  /** Whether this is the reading process's own namespace. */
  own: boolean;
}

export interface NamespaceGrouping {
  groups: NetNamespaceGroup[];
  /** Pids of which neither the link nor the table could be read: gone, hidden, or not a process. */
  unknown: number[];
}

export interface OwnNamespace {
  key: string;
  inode: number;
  /** The inode of /proc/self/net/tcp, to recognise our namespace among groups known only by their table. */
  tcpInode: number | null;
}

/** The namespace inode in a /proc/<pid>/ns/net link's text (`net:[4026531840]`), or null. */
export function parseNetNsLink(text: string): number | null {
  const m = /^net:\[(\d+)\]$/.exec(text.trim());
  if (!m) return null;
  const n = Number(m[1]);
  return Number.isSafeInteger(n) ? n : null;
}

async function nsInodeOf(procRoot: string, pid: number | 'self'): Promise<number | null> {
  try {
    return parseNetNsLink(await readlink(`${procRoot}/${pid}/ns/net`));
  } catch {
    return null;
  }
}

async function tcpInodeOf(procRoot: string, pid: number | 'self'): Promise<number | null> {
  try {
    return (await stat(`${procRoot}/${pid}/net/tcp`)).ino;
  } catch {
    return null;
  }
}

/** Whether the file opens and yields its first bytes (a table's header line): the check that reading works. */
async function readable(path: string): Promise<boolean> {
  try {
    const fh = await open(path, 'r');
    try {
      const { bytesRead } = await fh.read(Buffer.alloc(64), 0, 64, 0);
      return bytesRead > 0;
    } finally {
      await fh.close();
    }
  } catch {
    return false;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/** This process's network namespace (its own link is always readable). */
export async function ownNamespace(procRoot = '/proc'): Promise<OwnNamespace> {
  const [inode, tcpInode] = await Promise.all([nsInodeOf(procRoot, 'self'), tcpInodeOf(procRoot, 'self')]);
  if (inode === null) throw new Error(`cannot read ${procRoot}/self/ns/net: not Linux, or /proc is not mounted`);
  return { key: `net:[${inode}]`, inode, tcpInode };
}

/**
 * Groups pids by network namespace and picks, for each namespace, the first pid (in the order given) whose
 * table can be read. Pass the pids you would rather read through first (a container's init, say).
 */
export async function groupByNetNamespace(pids: Iterable<number>, opts: { procRoot?: string } = {}): Promise<NamespaceGrouping> {
  const procRoot = opts.procRoot ?? '/proc';
  const unique = [...new Set([...pids].filter((p) => Number.isSafeInteger(p) && p > 0))];
  const own = await ownNamespace(procRoot);
  const seen = await Promise.all(unique.map(async (pid) => ({ pid, ns: await nsInodeOf(procRoot, pid), tcp: await tcpInodeOf(procRoot, pid) })));

  // A table inode seen together with a readable link tells which namespace the unreadable pids with the same
  // table inode are in.
  const nsOfTcp = new Map<number, number>();
  if (own.tcpInode !== null) nsOfTcp.set(own.tcpInode, own.inode);
  for (const s of seen) if (s.ns !== null && s.tcp !== null) nsOfTcp.set(s.tcp, s.ns);

  const groups = new Map<string, NetNamespaceGroup & { tcpInode: number | null }>();
  const unknown: number[] = [];
  for (const s of seen) {
    const ns = s.ns ?? (s.tcp !== null ? (nsOfTcp.get(s.tcp) ?? null) : null);
    if (ns === null && s.tcp === null) {
      unknown.push(s.pid);
      continue;
    }
    const key = ns !== null ? `net:[${ns}]` : `net-tcp:${s.tcp}`;
    let g = groups.get(key);
    if (!g) {
      const isOwn = ns !== null ? ns === own.inode : s.tcp === own.tcpInode;
      g = { key, inode: ns, pids: [], representative: null, hasTcp6: false, own: isOwn, tcpInode: s.tcp };
      groups.set(key, g);
    }
    g.pids.push(s.pid);
  }

  await Promise.all(
    [...groups.values()].map(async (g) => {
      for (const pid of g.pids) {
        if (await readable(`${procRoot}/${pid}/net/tcp`)) {
          g.representative = pid;
          g.hasTcp6 = await exists(`${procRoot}/${pid}/net/tcp6`);
          return;
        }
      }
    }),
  );

  // Own namespace first, then by key: a stable order for views and tests.
  const out = [...groups.values()]
    .sort((a, b) => Number(b.own) - Number(a.own) || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    .map(({ tcpInode: _tcpInode, ...g }) => g);
  return { groups: out, unknown };
}

// ---- the sampler's per-sample grouping: synchronous, cached per process ----
//
// The sampler groups every process it looks at (the whole process table in the 'all' scope) on every sample, in
// its worker thread, where synchronous /proc reads cost a fraction of the promise-based ones (see processes.ts).
// A process changes network namespace only through unshare(2) or setns(2), which the tools that do it (unshare,
// ip netns exec, nsenter, container runtimes) follow with an exec, and an exec changes the command name: so a
// process's namespace is kept while its pid, start time and command name stay the same, and re-read otherwise.
// For a program that switches namespace without exec, every cached entry is also re-read once every
// `recheckEvery` samples (a slice of the processes per sample, like the fd rotation in attribution.ts).

/** What the sampler's process table says of a pid: a changed start time or command means a new reading. */
export interface ProcessIdentity {
  startTime: number;
  command: string;
}

/** The pids of one namespace, as the sampler groups them. */
export interface NamespaceMembers {
  key: string;
  inode: number | null;
  own: boolean;
  /** In the order given: the table is read through the first that works. */
  pids: number[];
}

interface CachedNamespace {
  startTime: number;
  command: string;
  ns: number | null;
  tcp: number | null;
}

function readlinkNs(procRoot: string, pid: number | 'self'): number | null {
  try {
    return parseNetNsLink(readlinkSync(`${procRoot}/${pid}/ns/net`));
  } catch {
    return null;
  }
}

function statTcpIno(procRoot: string, pid: number | 'self'): number | null {
  try {
    return statSync(`${procRoot}/${pid}/net/tcp`).ino;
  } catch {
    return null;
  }
}

export class NetNamespaceResolver {
  private ownCache: OwnNamespace | null | undefined;
  private cache = new Map<number, CachedNamespace>();
  private rounds = 0;
  /** /proc reads made by the last group() call: for tests and the benchmark. */
  reads = 0;

  constructor(
    private readonly procRoot = '/proc',
    private readonly recheckEvery = 16,
  ) {}

  /** This process's namespace (read once: Node never calls setns), or null where /proc/self/ns/net is unreadable. */
  own(): OwnNamespace | null {
    if (this.ownCache === undefined) {
      const inode = readlinkNs(this.procRoot, 'self');
      this.ownCache = inode === null ? null : { key: `net:[${inode}]`, inode, tcpInode: statTcpIno(this.procRoot, 'self') };
    }
    return this.ownCache;
  }

  /**
   * Groups `pids` by network namespace, own namespace first, then by key. `identity` gives a pid's start time and
   * command from the sample's process table; a pid it does not know is read fresh. Pids that cannot be read at
   * all (gone, hidden) are left out.
   */
  group(pids: Iterable<number>, identity: (pid: number) => ProcessIdentity | undefined): NamespaceMembers[] {
    this.reads = 0;
    const round = ++this.rounds;
    const own = this.own();
    const next = new Map<number, CachedNamespace>();
    const order: number[] = [];
    for (const pid of pids) {
      if (!Number.isSafeInteger(pid) || pid <= 0 || next.has(pid)) continue;
      const id = identity(pid);
      const old = this.cache.get(pid);
      let entry: CachedNamespace;
      if (id !== undefined && old !== undefined && old.startTime === id.startTime && old.command === id.command && (pid + round) % this.recheckEvery !== 0) {
        entry = old;
      } else {
        const ns = readlinkNs(this.procRoot, pid);
        // The table's inode names the namespace of a process whose link is closed to us, and, read from a process
        // of another namespace whose link is open, ties the two names together (below). For a process of our own
        // namespace, /proc/self/net/tcp's inode does that.
        const foreign = ns === null || own === null || ns !== own.inode;
        const tcp = foreign ? statTcpIno(this.procRoot, pid) : null;
        this.reads += foreign ? 2 : 1;
        entry = { startTime: id?.startTime ?? -1, command: id?.command ?? '', ns, tcp };
      }
      if (entry.ns === null && entry.tcp === null) continue;
      next.set(pid, entry);
      order.push(pid);
    }
    // Only the pids asked for this time are kept: the cache never outgrows the process table.
    this.cache = next;

    // A table inode seen together with a readable link names the namespace of pids whose link is closed to us, so
    // a namespace keeps one key while any process of it lets us read its link.
    const nsOfTcp = new Map<number, number>();
    if (own !== null && own.tcpInode !== null) nsOfTcp.set(own.tcpInode, own.inode);
    for (const pid of order) {
      const e = next.get(pid) as CachedNamespace;
      if (e.ns !== null && e.tcp !== null) nsOfTcp.set(e.tcp, e.ns);
    }
    const groups = new Map<string, NamespaceMembers>();
    for (const pid of order) {
      const e = next.get(pid) as CachedNamespace;
      const ns = e.ns ?? (e.tcp !== null ? (nsOfTcp.get(e.tcp) ?? null) : null);
      const key = ns !== null ? `net:[${ns}]` : `net-tcp:${e.tcp}`;
      let g = groups.get(key);
      if (g === undefined) {
        const isOwn = own !== null && (ns !== null ? ns === own.inode : e.tcp === own.tcpInode);
        g = { key, inode: ns, own: isOwn, pids: [] };
        groups.set(key, g);
      }
      g.pids.push(pid);
    }
    return [...groups.values()].sort((a, b) => Number(b.own) - Number(a.own) || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }
}

// ---- which of a namespace's TCP tables hold anything, for the price of two tiny reads ----
//
// Reading any namespace's /proc/<pid>/net/tcp or tcp6 costs about as much as reading our own (bench/namespaces.ts):
// the kernel walks its TCP hash tables, which every namespace of the machine shares (tcp_ehash_entries buckets),
// and skips the sockets of the others. The namespace's sockstat and sockstat6 counters tell which of its tables can
// hold rows (the rule: src/domain/sockstat.ts tcpTablesWorthReading). Idle namespaces are common (browser sandboxes
// run in empty ones), and many servers listen on one family only.

/**
 * Which of the tables of the namespace seen through `netDir` (/proc/<pid>/net, or /proc/net for ours) can hold rows,
 * by its sockstat counters (the rule: tcpTablesWorthReading).
 */
export function tcpTablesToRead(netDir: string): TcpTablesPlan {
  let v4: SockstatTcp | null;
  try {
    v4 = parseSockstatTcp(readFileSync(`${netDir}/sockstat`), undefined, 'TCP');
  } catch {
    v4 = null;
  }
  // Both tables unless sockstat alone says otherwise: sockstat6 is not worth a read then.
  if (v4 === null || v4.inuse === null || v4.tw === null) return tcpTablesWorthReading(v4, null);
  let v6: SockstatTcp | null | 'absent';
  try {
    v6 = parseSockstatTcp(readFileSync(`${netDir}/sockstat6`), undefined, 'TCP6');
  } catch (e) {
    // No sockstat6 when IPv6 is disabled: no tcp6 table either.
    v6 = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'absent' : null;
  }
  return tcpTablesWorthReading(v4, v6);
}
