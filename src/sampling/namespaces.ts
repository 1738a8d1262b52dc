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
import { readlink, stat, open } from 'node:fs/promises';

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
