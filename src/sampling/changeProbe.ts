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
// reference to it (seq_open_net -> get_net), so it would keep a namespace alive after its last process left.
// Each read therefore first checks /proc/<pid>/ns/net still names the same namespace (inode) and closes
// everything if not.
//
// FdSetProbe: for a set of pids, whether a socket fd appeared or went. Stage 1, every probe: the fd count, from
// the size of /proc/<pid>/fd (fs/proc/fd.c proc_fd_getattr gives the number of open fds as st_size since Linux
// 6.2; ~1-3 µs whatever the fd count), through a kept fd of that folder (fstat of it fails with ENOENT once the
// process is gone, so a reused pid is never mistaken for the old process). Stage 2, only for a pid whose count
// moved: readdir + readlink of its fds (~90 µs at 20 fds, ~1 ms at 200) to sum up its socket inodes, so a file
// opened or closed (count moves, sockets do not) does not ask for a full read. Before 6.2 st_size is 0 and stage
// 1 is a readdir count instead.
import { closeSync, fstatSync, openSync, readdirSync, readlinkSync, readSync, statSync } from 'node:fs';
import type { FdSignature, ProbeCounters, ProbeReading } from '../domain/changeTrigger';
import { FD_DENIED, FD_GONE } from '../domain/changeTrigger';

const SP = 0x20;
const NL = 0x0a;
const MINUS = 0x2d;

/** A kept fd re-read at offset 0 into a buffer of its own. */
class KeptFile {
  private readonly buf: Buffer;
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

  /** Re-reads the whole file; the bytes are in bytes()[0, length). Throws what pread throws. */
  read(): Buffer {
    let n = 0;
    for (;;) {
      // A /proc file of unknown size: read until EOF, growing never (the files probed here are < 2 KiB).
      const k = readSync(this.fd, this.buf, n, this.buf.length - n, n);
      n += k;
      if (k === 0 || n === this.buf.length) break;
    }
    this.length = n;
    return this.buf;
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

/** Start of the line after the one holding position i (or end). */
function nextLine(b: Buffer, i: number, end: number): number {
  while (i < end && b[i] !== NL) i++;
  return i + 1;
}

/** Whether the bytes at i spell s (ASCII). */
function bytesAre(b: Buffer, i: number, end: number, s: string): boolean {
  if (i + s.length > end) return false;
  for (let k = 0; k < s.length; k++) if (b[i + k] !== s.charCodeAt(k)) return false;
  return true;
}

/** Start of the first line beginning with prefix at or after from, or -1. */
function findLine(b: Buffer, from: number, end: number, prefix: string): number {
  for (let i = from; i < end; i = nextLine(b, i, end)) if (bytesAre(b, i, end, prefix)) return i;
  return -1;
}

/** The decimal integer at i (optional minus sign); NaN when there is none. Values up to 2^53 are exact. */
function numberAt(b: Buffer, i: number, end: number): number {
  let neg = false;
  if (b[i] === MINUS) {
    neg = true;
    i++;
  }
  let v = 0;
  let digits = 0;
  while (i < end) {
    const d = b[i] - 0x30;
    if (d < 0 || d > 9) break;
    v = v * 10 + d;
    digits++;
    i++;
  }
  if (digits === 0) return NaN;
  return neg ? -v : v;
}

/**
 * The value after the word `key` on the line starting at line (sockstat style: `TCP: inuse 5 orphan 0 ...`), or
 * NaN when the key is not on that line.
 */
function keyedValue(b: Buffer, line: number, end: number, key: string): number {
  let i = line;
  while (i < end && b[i] !== NL) {
    // At the start of a word?
    if ((i === line || b[i - 1] === SP) && bytesAre(b, i, end, key) && b[i + key.length] === SP) return numberAt(b, i + key.length + 1, end);
    i++;
  }
  return NaN;
}

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
   * The symlink naming the namespace whose counters are read, checked on every read (see the head of this file).
   * Default: <procRoot>/../ns/net when procRoot is /proc/<pid|self|thread-self>/net, else none (no check).
   */
  nsLink?: string | null;
}

/** Reads the namespace-wide TCP counters (see the head of this file). */
export class ChangeProbe {
  readonly procRoot: string;
  private readonly nsLink: string | null;
  private nsIno = 0;
  private sockstat: KeptFile | null = null;
  private sockstat6: KeptFile | null = null;
  private snmp: KeptFile | null = null;
  /** The field kept from each column of the snmp `Tcp:` values line (0 = first value), if any. */
  private snmpColumns: (SnmpField | undefined)[] = [];
  private unavailable: string | null = null;

  constructor(opts: ChangeProbeOptions = {}) {
    this.procRoot = opts.procRoot ?? '/proc/self/net';
    const m = /^(.*\/proc\/(?:\d+|self|thread-self))\/net\/?$/.exec(this.procRoot);
    this.nsLink = opts.nsLink !== undefined ? opts.nsLink : m ? `${m[1]}/ns/net` : null;
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
      try {
        this.nsIno = statSync(this.nsLink).ino;
      } catch (e) {
        this.fail(`${this.nsLink}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
        return;
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
      const head = findLine(b, 0, snmp.length, 'Tcp:');
      if (head < 0) {
        this.fail(`${snmp.path}: no Tcp line`);
        return;
      }
      const names = b.toString('latin1', head + 4, nextLine(b, head, snmp.length) - 1).trim().split(/\s+/);
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
    if (this.nsLink) {
      let ino = -1;
      try {
        ino = statSync(this.nsLink).ino;
      } catch {
        // process gone: fall through
      }
      if (ino !== this.nsIno) return this.fail(ino < 0 ? `${this.nsLink} is gone (the process exited)` : `${this.nsLink} names another namespace now`);
    }
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
      const line = findLine(b, 0, ss.length, 'TCP:');
      if (line < 0) return this.fail(`${ss.path}: no TCP line`);
      tcpInuse = keyedValue(b, line, ss.length, 'inuse');
      tcpOrphan = keyedValue(b, line, ss.length, 'orphan');
      tcpTw = keyedValue(b, line, ss.length, 'tw');
      tcpAlloc = keyedValue(b, line, ss.length, 'alloc');
      if (Number.isNaN(tcpInuse) || Number.isNaN(tcpTw)) return this.fail(`${ss.path}: TCP line without inuse/tw`);
      if (this.sockstat6) {
        const s6 = this.sockstat6;
        const b6 = s6.read();
        const l6 = findLine(b6, 0, s6.length, 'TCP6:');
        if (l6 >= 0) tcp6Inuse = keyedValue(b6, l6, s6.length, 'inuse');
        if (Number.isNaN(tcp6Inuse)) tcp6Inuse = 0;
      }
      b = sn.read();
    } catch (e) {
      return this.fail(`read: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
    }
    // The second line starting with `Tcp:` holds the values.
    const head = findLine(b, 0, sn.length, 'Tcp:');
    const values = head < 0 ? -1 : findLine(b, nextLine(b, head, sn.length), sn.length, 'Tcp:');
    if (values < 0) return this.fail(`${sn.path}: no Tcp values line`);
    const out: Record<SnmpField, number> = { activeOpens: 0, passiveOpens: 0, attemptFails: 0, estabResets: 0, currEstab: 0, inSegs: 0, outSegs: 0, retransSegs: 0, inErrs: 0, outRsts: 0 };
    // Walk the space-separated values once, picking the wanted columns.
    let col = -1;
    let i = values + 4;
    const end = sn.length;
    while (i < end && b[i] !== NL) {
      if (b[i] === SP) {
        i++;
        continue;
      }
      const key = this.snmpColumns[++col];
      if (key !== undefined) out[key] = numberAt(b, i, end);
      while (i < end && b[i] !== SP && b[i] !== NL) i++;
    }
    const counters: ProbeCounters = { tcpInuse, tcpOrphan, tcpTw, tcpAlloc, tcp6Inuse, ...out };
    return { available: true, ...counters };
  }

  private closeFiles(): void {
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
