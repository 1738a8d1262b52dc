// The process table from /proc: pid -> ppid, command, start time (every sample), and command line, uid, cwd
// (read once per process, or on demand).
//
// Synchronous fs on purpose: this runs in the sampler's worker thread (and the CLI), never on the extension host's
// main thread. Measured on this machine with Node 20: readFileSync of /proc/<pid>/stat costs ~24 µs per pid, the
// fs/promises equivalent ~99 µs (each call is a thread-pool round trip and a promise), so sync is ~4x cheaper
// in both wall and CPU time for the hundreds of tiny reads a sample makes; open + one read(2) into a kept buffer
// (refresh) costs ~3 µs (see STAT_BYTES).
import { closeSync, openSync, readdirSync, readFileSync, readlinkSync, readSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { ProcessReading } from '../domain/processGuard';
import type { ProcessInfo } from '../domain/types';

export interface StatFields {
  pid: number;
  /** comm, as the kernel prints it between parentheses. */
  command: string;
  /** One-letter state (R, S, D, Z, T, ...). */
  state: string;
  ppid: number;
  /** Field 22, clock ticks after boot. */
  startTime: number;
}

/**
 * Parses /proc/<pid>/stat (proc(5)). comm sits in parentheses and may itself contain spaces and ')', so the
 * fields after it are taken from after the *last* ')'.
 */
export function parseProcStat(text: string): StatFields | null {
  if (typeof text !== 'string') return null;
  const open = text.indexOf(' (');
  const close = text.lastIndexOf(')');
  if (open <= 0 || close < open) return null;
  const pid = Number(text.slice(0, open));
  const rest = text.slice(close + 1).trim().split(' ');
  // rest[0] is field 3 (state); field n is rest[n - 3].
  if (rest.length < 20 || !Number.isSafeInteger(pid) || pid <= 0) return null;
  const ppid = Number(rest[1]);
  const startTime = Number(rest[19]);
  if (!Number.isSafeInteger(ppid) || ppid < 0 || !Number.isSafeInteger(startTime) || startTime < 0) return null;
  return { pid, command: text.slice(open + 2, close), state: rest[0], ppid, startTime };
}

/**
 * The pid's start time and state, read fresh (async: this runs on the extension host's main thread for the stop
 * command), or null when there is no such process. For processGuard's checks.
 */
export async function readProcessIdentity(pid: number, procRoot = '/proc'): Promise<ProcessReading | null> {
  try {
    const stat = parseProcStat(await readFile(`${procRoot}/${pid}/stat`, 'latin1'));
    return stat === null || stat.pid !== pid ? null : { startTime: stat.startTime, state: stat.state };
  } catch {
    return null;
  }
}

/** The real uid from /proc/<pid>/status (`Uid:\treal\teffective\tsaved\tfs`). */
export function parseStatusUid(text: string): number | null {
  const m = /^Uid:\s+(\d+)/m.exec(text);
  return m ? Number(m[1]) : null;
}

/** /proc/<pid>/cmdline: arguments separated (and terminated) by NUL. */
export function parseCmdline(text: string): string[] {
  if (text === '') return [];
  const parts = text.split('\0');
  if (parts[parts.length - 1] === '') parts.pop();
  return parts;
}

/** One process as the table keeps it; `commandLine`, `uid` and `cwd` are filled on demand. */
interface Entry {
  pid: number;
  ppid: number;
  command: string;
  startTime: number;
  commandLine: string[] | null;
  uid: number | null;
  /** undefined: not read in this sample. */
  cwd: string | null | undefined;
}

export interface ProcessRow {
  readonly pid: number;
  readonly ppid: number;
  readonly command: string;
  readonly startTime: number;
  /** Set when the table was refreshed with `cwd: true`, else undefined. */
  readonly cwd: string | null | undefined;
}

/**
 * /proc/<pid>/stat is at most ~1 KiB (52 numbers and a 15-byte comm with parentheses); the kernel writes it whole at
 * the first read(2), so one read into a reused buffer gets it, where readFileSync would also fstat it, read again to
 * EOF and allocate a buffer per file: 0.22 against 0.6-0.78 ms for 80 processes here.
 */
const STAT_BYTES = 4096;

export class ProcessTable {
  private entries = new Map<number, Entry>();
  private readonly statBuffer = Buffer.allocUnsafe(STAT_BYTES);
  /** /proc reads made by the last refresh and info() calls since: for tests and the benchmark. */
  reads = 0;

  constructor(private readonly procRoot = '/proc') {}

  /**
   * Re-reads every process's stat (ppid changes when a parent dies; comm changes on exec, which keeps pid and
   * start time). Command line and uid are kept while (pid, start time, comm) stay the same.
   */
  refresh(options: { cwd?: boolean } = {}): ReadonlyMap<number, ProcessRow> {
    this.reads = 0;
    let names: string[];
    try {
      names = readdirSync(this.procRoot);
    } catch {
      names = [];
    }
    const next = new Map<number, Entry>();
    for (const name of names) {
      const c = name.charCodeAt(0);
      if (c < 48 || c > 57) continue;
      const pid = Number(name);
      if (!Number.isSafeInteger(pid)) continue;
      let text: string;
      try {
        text = this.readStat(`${this.procRoot}/${name}/stat`);
        this.reads++;
      } catch {
        continue; // exited since readdir
      }
      const stat = parseProcStat(text);
      if (stat === null) continue;
      const old = this.entries.get(pid);
      const same = old !== undefined && old.startTime === stat.startTime && old.command === stat.command;
      const entry: Entry = {
        pid,
        ppid: stat.ppid,
        command: stat.command,
        startTime: stat.startTime,
        commandLine: same ? old.commandLine : null,
        uid: same ? old.uid : null,
        cwd: undefined,
      };
      if (options.cwd) entry.cwd = this.readCwd(pid);
      next.set(pid, entry);
    }
    this.entries = next;
    return next;
  }

  /** One process's stat line (see STAT_BYTES); a file that fills the buffer is read whole the usual way. */
  private readStat(path: string): string {
    const fd = openSync(path, 'r');
    try {
      const n = readSync(fd, this.statBuffer, 0, STAT_BYTES, 0);
      if (n < STAT_BYTES) return this.statBuffer.toString('latin1', 0, n);
    } finally {
      closeSync(fd);
    }
    return readFileSync(path, 'latin1');
  }

  rows(): ReadonlyMap<number, ProcessRow> {
    return this.entries;
  }

  has(pid: number): boolean {
    return this.entries.has(pid);
  }

  command(pid: number): string | undefined {
    return this.entries.get(pid)?.command;
  }

  /** The full record, reading command line, uid and cwd if not read yet. Undefined when the pid is not in the table. */
  info(pid: number): ProcessInfo | undefined {
    const e = this.entries.get(pid);
    if (e === undefined) return undefined;
    if (e.commandLine === null) {
      try {
        e.commandLine = parseCmdline(readFileSync(`${this.procRoot}/${pid}/cmdline`, 'utf8'));
        this.reads++;
      } catch {
        e.commandLine = [];
      }
    }
    if (e.uid === null) {
      try {
        e.uid = parseStatusUid(readFileSync(`${this.procRoot}/${pid}/status`, 'latin1')) ?? -1;
        this.reads++;
      } catch {
        e.uid = -1;
      }
    }
    if (e.cwd === undefined) e.cwd = this.readCwd(pid);
    return { pid, ppid: e.ppid, command: e.command, commandLine: e.commandLine, cwd: e.cwd, startTime: e.startTime, uid: e.uid };
  }

  private readCwd(pid: number): string | null {
    try {
      this.reads++;
      return readlinkSync(`${this.procRoot}/${pid}/cwd`);
    } catch {
      return null; // another user's process (EACCES), or gone
    }
  }
}
