// Cheap probes that tell the sampler when the TCP table changed, so it can read the whole table (~10 ms of CPU
// whatever the socket count: the kernel walks every bucket of its established hash) only then, plus a slow
// heartbeat. The decision rule is src/domain/changeTrigger.ts; this file only reads. No vscode.
//
// ChangeProbe: per network namespace, fds kept open on <procRoot>/sockstat, sockstat6 and snmp, re-read with
// pread(2) at offset 0 (fs.readSync with a position). A /proc seq_file regenerates its content when read at 0
// (fs/seq_file.c seq_read_iter resets its iterator for ki_pos == 0), measured fresh on every read; a kept fd
// costs ~3 µs per file against ~15-30 µs for readFileSync's open+fstat+read+close (bench/probes/probeCost.mjs).
// The bytes are parsed in place, no string of the file is made.
//
// A kept fd of /proc/<pid>/net/... reads the namespace the process was in when it was opened, and holds a
// reference to it (seq_open_net -> get_net): measured, it still reads after the process has exited, so it would
// keep a namespace alive after its last process left. Each read therefore first checks that the process is alive
// (fstat of a kept /proc/<pid>/fd fd) and, now and then, that /proc/<pid>/ns/net still names the same namespace;
// if not, it closes everything and reports the probe unavailable. /proc/self/net needs neither. Another user's
// process (a root container's, read as a user) keeps both closed to us (EACCES): then /proc/<pid>/net/tcp, which
// anyone can stat and whose inode is its namespace's, is checked on every read instead (ENOENT once it exits).
//
// FdSetProbe: for a set of pids, whether a socket fd appeared or went. Stage 1, every probe: the fd count, from
// the size of /proc/<pid>/fd (fs/proc/fd.c proc_fd_getattr gives the number of open fds as st_size since Linux
// 6.2; ~1-3 µs whatever the fd count), through a kept fd of that folder (fstat of it fails with ENOENT once the
// process is gone, so a reused pid is never mistaken for the old process). Stage 2, only for a pid whose count
// moved: readdir + readlink of its fds (~90 µs at 20 fds, ~1 ms at 200) to sum up its socket inodes, so a file
// opened or closed (count moves, sockets do not) does not ask for a full read. Before 6.2 st_size is 0 and stage
// 1 is a readdir count instead.
import { closeSync, fstatSync, openSync, readdirSync, readlinkSync, readSync, statSync } from 'node:fs';
import type { FdSignature, ProbeReading } from '../domain/changeTrigger';
import { FD_DENIED, FD_GONE } from '../domain/changeTrigger';
import { lineEnd, lineStarting, numberAt, parseSockstatTcp } from '../domain/sockstat';

const SP = 0x20;
/** How many reads apart the namespace inode is re-checked when the process's liveness is checked cheaply. */
const NS_RECHECK_READS = 16;

/** A kept fd re-read at offset 0 into a buffer of its own. */
class KeptFile {
  private buf: Buffer;
  length = 0;

  private constructor(
    readonly path: string,
    private fd: number,
    size: number,
  ) {
    this.buf = Buffer.allocUnsafe(size);
  }

  /** Opens path, or returns the errno code (ENOENT, EACCES, ...). */
  static open(path: string, size: number): KeptFile | string {
    try {
      return new KeptFile(path, openSync(path, 'r'), size);
    } catch (e) {
      return (e as NodeJS.ErrnoException).code ?? String(e);
    }
  }

  /**
   * Re-reads the whole file with one pread at offset 0; the bytes are in [0, length) of the returned buffer.
   * Throws what pread throws. One pread, not a loop until read returns 0: these files are single_open seq_files
   * (one show() call writes the whole text, fs/seq_file.c single_open), so one read big enough returns all of
   * it, and the extra syscall to see EOF tells nothing. A read that fills the buffer may have been cut short:
   * the buffer doubles and the read is retried.
   */
  read(): Buffer {
    for (;;) {
      const n = readSync(this.fd, this.buf, 0, this.buf.length, 0);
      if (n < this.buf.length) {
        this.length = n;
        return this.buf;
      }
      this.buf = Buffer.allocUnsafe(this.buf.length * 2);
    }
  }

  close(): void {
    if (this.fd < 0) return;
    try {
      closeSync(this.fd);
    } catch {
      // already closed
    }
    this.fd = -1;
  }
}

// The parse (src/domain/sockstat.ts, shared with the sampler's check of which tables to read) finds lines and keys
// with native indexOf and reads only the digits of each value in JS: no string is made. Measured (bench/probes/,
// this 2-core VM): a read costs ~25 µs of CPU in a tight loop (the three preads ~20 of it); at 4 reads per second,
// after two minutes, the probe costs ~1.0-1.1 ms of CPU per second against ~0.8-0.9 for the bare preads (most of
// either is waking the process up: a no-op 4 Hz timer costs ~0.5-0.7).
const NEEDLE = (s: string): Buffer => Buffer.from(s, 'latin1');

const TCP_SNMP = NEEDLE('Tcp:');

/** The snmp Tcp fields the probe keeps, by their header names in /proc/net/snmp. */
const SNMP_TCP_FIELDS = {
  activeOpens: 'ActiveOpens',
  passiveOpens: 'PassiveOpens',
  attemptFails: 'AttemptFails',
  estabResets: 'EstabResets',
  currEstab: 'CurrEstab',
  inSegs: 'InSegs',
  outSegs: 'OutSegs',
  retransSegs: 'RetransSegs',
  inErrs: 'InErrs',
  outRsts: 'OutRsts',
} as const;
type SnmpField = keyof typeof SNMP_TCP_FIELDS;
const SNMP_KEYS = Object.keys(SNMP_TCP_FIELDS) as SnmpField[];

export interface ChangeProbeOptions {
  /** The namespace's net folder: '/proc/self/net' (default), '/proc/<pid>/net', or a test folder. */
  procRoot?: string;
  /**
   * The symlink naming the namespace whose counters are read, checked while reading (see the head of this file).
   * Default: /proc/<pid>/ns/net when procRoot is /proc/<pid>/net, else none (our own namespace, a test folder).
   */
  nsLink?: string | null;
}

/** Reads the namespace-wide TCP counters (see the head of this file). */
export class ChangeProbe {
  readonly procRoot: string;
  private readonly pidDir: string | null;
  private readonly nsLink: string | null;
  /**
   * What names the namespace, checked while reading: nsLink, or, when another user's process keeps its link closed
   * to us (EACCES: a root container's, read as a user), <procRoot>/tcp, world-readable, whose inode is its
   * namespace's (one proc entry per namespace, see src/sampling/namespaces.ts).
   */
  private identity: string | null = null;
  private nsIno = 0;
  private sockstat: KeptFile | null = null;
  private sockstat6: KeptFile | null = null;
  private snmp: KeptFile | null = null;
  /** The field kept from each column of the snmp `Tcp:` values line (0 = first value), if any. */
  private snmpColumns: (SnmpField | undefined)[] = [];
  /** Scratch for the snmp values of one read. */
  private readonly snmpValues: Record<SnmpField, number> = { activeOpens: 0, passiveOpens: 0, attemptFails: 0, estabResets: 0, currEstab: 0, inSegs: 0, outSegs: 0, retransSegs: 0, inErrs: 0, outRsts: 0 };
  /** A kept fd of /proc/<pid>/fd for the cheap liveness check, or -1. */
  private pidFdDir = -1;
  private readsSinceNsCheck = 0;
  private unavailable: string | null = null;

  constructor(opts: ChangeProbeOptions = {}) {
    this.procRoot = opts.procRoot ?? '/proc/self/net';
    // Our own namespace needs no check: Node never calls setns(2).
    const m = /^(.*\/proc\/\d+)\/net\/?$/.exec(this.procRoot);
    this.pidDir = m ? m[1] : null;
    this.nsLink = opts.nsLink !== undefined ? opts.nsLink : this.pidDir ? `${this.pidDir}/ns/net` : null;
    this.open();
  }

  /** Whether read() gives counters; false means the caller must sample periodically instead. */
  get available(): boolean {
    return this.unavailable === null;
  }

  private fail(reason: string): ProbeReading {
    this.closeFiles();
    this.unavailable = reason;
    return { available: false, reason };
  }

  private open(): void {
    if (this.nsLink) {
      this.identity = this.nsLink;
      try {
        this.nsIno = statSync(this.nsLink).ino;
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        let named = false;
        if ((code === 'EACCES' || code === 'EPERM') && this.pidDir) {
          try {
            this.identity = `${this.procRoot}/tcp`;
            this.nsIno = statSync(this.identity).ino;
            named = true;
          } catch {
            // gone meanwhile
          }
        }
        if (!named) {
          this.fail(`${this.nsLink}: ${code ?? String(e)}`);
          return;
        }
      }
      if (this.pidDir) {
        try {
          this.pidFdDir = openSync(`${this.pidDir}/fd`, 'r');
        } catch {
          // Not ours to inspect (ptrace access): the namespace link is checked on every read instead.
        }
      }
    }
    const sockstat = KeptFile.open(`${this.procRoot}/sockstat`, 2048);
    if (typeof sockstat === 'string') {
      this.fail(`${this.procRoot}/sockstat: ${sockstat}`);
      return;
    }
    this.sockstat = sockstat;
    const snmp = KeptFile.open(`${this.procRoot}/snmp`, 8192);
    if (typeof snmp === 'string') {
      this.fail(`${this.procRoot}/snmp: ${snmp}`);
      return;
    }
    this.snmp = snmp;
    // Absent without IPv6 (ipv6.disable=1): then there are no TCP6 sockets to count.
    const s6 = KeptFile.open(`${this.procRoot}/sockstat6`, 1024);
    this.sockstat6 = typeof s6 === 'string' ? null : s6;
    // The snmp Tcp header names the columns; the order is fixed per kernel, so it is looked up once.
    try {
      const b = snmp.read();
      const head = lineStarting(b, 0, snmp.length, TCP_SNMP);
      if (head < 0) {
        this.fail(`${snmp.path}: no Tcp line`);
        return;
      }
      const names = b.toString('latin1', head + 4, lineEnd(b, head, snmp.length)).trim().split(/\s+/);
      this.snmpColumns = names.map((n) => SNMP_KEYS.find((k) => SNMP_TCP_FIELDS[k] === n));
      const missing = SNMP_KEYS.filter((k) => !this.snmpColumns.includes(k));
      if (missing.length) this.fail(`${snmp.path}: Tcp line lacks ${missing.map((k) => SNMP_TCP_FIELDS[k]).join(', ')}`);
    } catch (e) {
      this.fail(`${snmp.path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
    }
  }

  /** One reading: three preads and a byte scan. Never throws. */
  read(): ProbeReading {
    if (this.unavailable !== null) return { available: false, reason: this.unavailable };
    const gone = this.namespaceGone();
    if (gone) return this.fail(gone);
    const ss = this.sockstat!;
    const sn = this.snmp!;
    let b: Buffer;
    let tcpInuse: number;
    let tcpOrphan: number;
    let tcpTw: number;
    let tcpAlloc: number;
    let tcp6Inuse = 0;
    try {
      b = ss.read();
      const tcp = parseSockstatTcp(b, ss.length, 'TCP');
      if (tcp === null) return this.fail(`${ss.path}: no TCP line`);
      if (tcp.inuse === null || tcp.tw === null) return this.fail(`${ss.path}: TCP line without inuse/tw`);
      tcpInuse = tcp.inuse;
      tcpTw = tcp.tw;
      tcpOrphan = tcp.orphan ?? NaN;
      tcpAlloc = tcp.alloc ?? NaN;
      if (this.sockstat6) {
        const s6 = this.sockstat6;
        tcp6Inuse = parseSockstatTcp(s6.read(), s6.length, 'TCP6')?.inuse ?? 0;
      }
      b = sn.read();
    } catch (e) {
      return this.fail(`read: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
    }
    // The second line starting with `Tcp:` holds the values.
    const end = sn.length;
    const head = lineStarting(b, 0, end, TCP_SNMP);
    const values = head < 0 ? -1 : lineStarting(b, head + 1, end, TCP_SNMP);
    if (values < 0) return this.fail(`${sn.path}: no Tcp values line`);
    const v = this.snmpValues;
    // Walk the space-separated values once (one short line), keeping the wanted columns.
    let col = -1;
    let i = values + 4;
    const to = lineEnd(b, values, end);
    while (i < to) {
      if (b[i] === SP) {
        i++;
        continue;
      }
      const k = this.snmpColumns[++col];
      if (k !== undefined) v[k] = numberAt(b, i, to);
      while (i < to && b[i] !== SP) i++;
    }
    return {
      available: true,
      tcpInuse,
      tcpOrphan,
      tcpTw,
      tcpAlloc,
      tcp6Inuse,
      activeOpens: v.activeOpens,
      passiveOpens: v.passiveOpens,
      attemptFails: v.attemptFails,
      estabResets: v.estabResets,
      currEstab: v.currEstab,
      inSegs: v.inSegs,
      outSegs: v.outSegs,
      retransSegs: v.retransSegs,
      inErrs: v.inErrs,
      outRsts: v.outRsts,
    };
  }

  /**
   * Why the watched namespace can no longer be trusted, or null. Every read: fstat of the kept /proc/<pid>/fd
   * fd, which fails (ENOENT) once that process is gone (fs/proc/fd.c looks the task up; ~1 µs, and a reused pid
   * is another task). Every NS_RECHECK_READS reads, and every read when that fd could not be opened: the
   * namespace inode behind /proc/<pid>/ns/net (a path lookup through procfs: ~0.1-0.2 ms of CPU per call at 4 Hz,
   * measured, against ~8 µs in a tight loop).
   */
  private namespaceGone(): string | null {
    if (!this.identity) return null;
    if (this.pidFdDir >= 0) {
      try {
        fstatSync(this.pidFdDir);
      } catch {
        return `${this.nsLink} is gone (the process exited)`;
      }
      if (++this.readsSinceNsCheck < NS_RECHECK_READS) return null;
    }
    this.readsSinceNsCheck = 0;
    let ino = -1;
    try {
      ino = statSync(this.identity).ino;
    } catch {
      // process gone
    }
    if (ino === this.nsIno) return null;
    return ino < 0 ? `${this.identity} is gone (the process exited)` : `${this.identity} names another namespace now`;
  }

  private closeFiles(): void {
    if (this.pidFdDir >= 0) closeQuietly(this.pidFdDir);
    this.pidFdDir = -1;
    this.sockstat?.close();
    this.sockstat6?.close();
    this.snmp?.close();
    this.sockstat = this.sockstat6 = this.snmp = null;
  }

  /** Closes the kept fds; read() reports unavailable afterwards. */
  close(): void {
    this.closeFiles();
    this.unavailable = 'closed';
  }
}

/** A kept entry's count before its first read: differs from any count, so stage 2 runs. */
const NOT_COUNTED = -3;

interface FdEntry {
  dirFd: number;
  sig: FdSignature;
}

export interface FdSetProbeOptions {
  /** The proc mount, default '/proc'. */
  procDir?: string;
  /** How to count fds in stage 1: 'size' (st_size, Linux >= 6.2) or 'readdir'. Default: 'size' when it works. */
  countBy?: 'size' | 'readdir';
}

/** Watches the socket fds of a set of processes (see the head of this file). */
export class FdSetProbe {
  private readonly procDir: string;
  readonly countBy: 'size' | 'readdir';
  private readonly entries = new Map<number, FdEntry>();

  constructor(opts: FdSetProbeOptions = {}) {
    this.procDir = opts.procDir ?? '/proc';
    let size = 0;
    try {
      size = statSync(`${this.procDir}/self/fd`).size;
    } catch {
      // no /proc/self: a test folder; readdir works on any folder
    }
    // Any process has fds open, so a size of 0 means the kernel does not report the count there.
    this.countBy = opts.countBy ?? (size > 0 ? 'size' : 'readdir');
  }

  /** The signatures of pids, in that order. A pid not asked for again is forgotten (its kept fd closed). */
  read(pids: readonly number[]): FdSignature[] {
    const out: FdSignature[] = [];
    const seen = new Set<number>();
    for (const pid of pids) {
      seen.add(pid);
      out.push(this.readPid(pid));
    }
    for (const [pid, e] of this.entries) {
      if (seen.has(pid)) continue;
      if (e.dirFd >= 0) closeQuietly(e.dirFd);
      this.entries.delete(pid);
    }
    return out;
  }

  private readPid(pid: number): FdSignature {
    const dir = `${this.procDir}/${pid}/fd`;
    let e = this.entries.get(pid);
    if (!e) {
      let dirFd = -1;
      try {
        dirFd = openSync(dir, 'r');
      } catch (err) {
        const sig = { pid, fds: errnoSignature(err), sockets: 0, socketSum: 0, socketXor: 0 };
        // Not kept: a later read retries (the process may not have started yet, or permission may come).
        return sig;
      }
      e = { dirFd, sig: { pid, fds: NOT_COUNTED, sockets: 0, socketSum: 0, socketXor: 0 } };
      this.entries.set(pid, e);
    }
    if (e.sig.fds === FD_GONE) return e.sig;
    let count: number;
    try {
      // fstat of the kept folder fd fails (ENOENT) once that process is gone, even if its pid is reused.
      const size = fstatSync(e.dirFd).size;
      count = this.countBy === 'size' ? size : readdirSync(dir).length;
    } catch (err) {
      closeQuietly(e.dirFd);
      e.dirFd = -1;
      e.sig = { pid, fds: errnoSignature(err), sockets: 0, socketSum: 0, socketXor: 0 };
      return e.sig;
    }
    if (count === e.sig.fds) return e.sig;
    e.sig = socketSignature(pid, dir, count);
    return e.sig;
  }

  /** Closes every kept fd. */
  close(): void {
    for (const e of this.entries.values()) if (e.dirFd >= 0) closeQuietly(e.dirFd);
    this.entries.clear();
  }
}

function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // already closed
  }
}

function errnoSignature(err: unknown): number {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'EACCES' || code === 'EPERM' ? FD_DENIED : FD_GONE;
}

/** Stage 2: the count, sum and xor of the inodes behind the `socket:[N]` links of dir. */
function socketSignature(pid: number, dir: string, count: number): FdSignature {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (err) {
    return { pid, fds: errnoSignature(err), sockets: 0, socketSum: 0, socketXor: 0 };
  }
  let sockets = 0;
  let sum = 0;
  let xor = 0;
  for (const name of names) {
    let target: string;
    try {
      target = readlinkSync(`${dir}/${name}`);
    } catch {
      continue; // closed between readdir and readlink
    }
    if (!target.startsWith('socket:[')) continue;
    const ino = Number(target.slice(8, -1));
    sockets++;
    sum = (sum + ino) >>> 0;
    xor = (xor ^ ino) >>> 0;
  }
  return { pid, fds: count, sockets, socketSum: sum, socketXor: xor };
}
