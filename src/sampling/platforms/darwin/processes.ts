// Parsers for the process programs the macOS backend runs. Pure: no I/O.
//
// ps (macOS bin/ps, from FreeBSD's; Linux procps-ng prints the same columns):
//   ps -A -ww -o pid= -o ppid= -o uid= -o lstart= [-o stat=] -o comm=
// - Every column's header is empty, so no header line is printed (both ps(1) pages say so), and each -o is its own
//   argument: with `-o pid=,ppid=` the text after `=` would be pid's header.
// - lstart is the start time as ctime(3) prints it in the C locale, `Wed Dec  2 06:13:52 2026` (five words, the day
//   padded with a space); it is read as the local time it is, to whole seconds.
// - comm is last because it may hold spaces (macOS prints the executable's path: `/Applications/Visual Studio
//   Code.app/...`); the name kept is the last path segment.
//   ps -ww -o pid= -o args= -p <pids>
// - args is the command line with its arguments joined by single spaces: split on spaces again it is exact for
//   arguments that hold none.
// lsof (lsof-org/lsof, Lsof.8 "OUTPUT FOR OTHER PROGRAMS"), for working folders:
//   lsof -w -a -d cwd -Fpftn0 [-p <pids>]
// - With -F0 every field ends with NUL and every set with NUL and a newline: `p123\0\n`, `fcwd\0tDIR\0n/path\0\n`.
//   Splitting on NUL alone keeps a path that holds a newline whole.
// - A folder lsof could not read is still listed, with type `unknown` and the error in the name (Linux:
//   `n/proc/1/cwd (readlink: Permission denied)`): only a `DIR` is a folder.

export interface PsProcess {
  pid: number;
  ppid: number;
  uid: number;
  /** lstart as seconds since the epoch (local time, whole seconds). */
  startTime: number;
  /** The last path segment of comm. */
  command: string;
  /** The stat column when it was asked for (`Z` is a zombie), else null. */
  stat: string | null;
}

export interface PsParse {
  processes: PsProcess[];
  /** Lines that are not a process row, verbatim. */
  unparsed: string[];
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const DAYS = new Set(['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat']);

/** `Wed Dec  2 06:13:52 2026`'s five words as seconds since the epoch (local time), or null. */
export function lstartSeconds(words: readonly string[]): number | null {
  if (words.length !== 5 || !DAYS.has(words[0])) return null;
  const month = MONTHS.indexOf(words[1]);
  const t = /^(\d{2}):(\d{2}):(\d{2})$/.exec(words[3]);
  if (month < 0 || t === null || !/^\d{1,2}$/.test(words[2]) || !/^\d{4}$/.test(words[4])) return null;
  const ms = new Date(Number(words[4]), month, Number(words[2]), Number(t[1]), Number(t[2]), Number(t[3])).getTime();
  return Number.isFinite(ms) ? Math.round(ms / 1000) : null;
}

const PS_ROW = /^\s*(\d+)\s+(\d+)\s+(\d+)\s+(\S+)\s+(\S+)\s+(\d+)\s+(\S+)\s+(\d+)\s+(.*)$/;

/** Parses `ps -o pid= -o ppid= -o uid= -o lstart= [-o stat=] -o comm=` output. Never throws. */
export function parsePs(text: string, withStat = false): PsParse {
  const out: PsParse = { processes: [], unparsed: [] };
  if (typeof text !== 'string') return out;
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const m = PS_ROW.exec(line);
    const startTime = m ? lstartSeconds([m[4], m[5], m[6], m[7], m[8]]) : null;
    let rest = m ? m[9] : '';
    let stat: string | null = null;
    if (withStat) {
      const s = /^(\S+)\s+(.*)$/.exec(rest);
      if (s === null) rest = '';
      else [stat, rest] = [s[1], s[2]];
    }
    const comm = rest.replace(/\s+$/, '');
    if (!m || startTime === null || comm === '') {
      out.unparsed.push(line);
      continue;
    }
    const pid = Number(m[1]);
    const ppid = Number(m[2]);
    const uid = Number(m[3]);
    if (!Number.isSafeInteger(pid) || !Number.isSafeInteger(ppid) || !Number.isSafeInteger(uid)) {
      out.unparsed.push(line);
      continue;
    }
    out.processes.push({ pid, ppid, uid, startTime, command: comm.slice(comm.lastIndexOf('/') + 1) || comm, stat });
  }
  return out;
}

/** Parses `ps -o pid= -o args=` output: pid -> the arguments (split on single spaces). Never throws. */
export function parsePsArgs(text: string): Map<number, string[]> {
  const out = new Map<number, string[]>();
  if (typeof text !== 'string') return out;
  for (const line of text.split('\n')) {
    const m = /^\s*(\d+) (.*)$/.exec(line);
    if (m === null) continue;
    const args = m[2].replace(/^\s+/, '').replace(/\s+$/, '');
    out.set(Number(m[1]), args === '' ? [] : args.split(' '));
  }
  return out;
}

/** Parses `lsof -Fpftn0 -d cwd` output: pid -> working folder, for the processes whose folder lsof could read. */
export function parseLsofCwd(text: string): Map<number, string> {
  const out = new Map<number, string>();
  if (typeof text !== 'string') return out;
  let pid: number | null = null;
  let type: string | null = null;
  let fd: string | null = null;
  for (const raw of text.split('\0')) {
    const field = raw.startsWith('\n') ? raw.slice(1) : raw;
    if (field === '') continue;
    const id = field[0];
    const value = field.slice(1);
    if (id === 'p') {
      pid = /^\d+$/.test(value) ? Number(value) : null;
      type = fd = null;
    } else if (id === 'f') {
      fd = value;
      type = null;
    } else if (id === 't') {
      type = value;
    } else if (id === 'n' && pid !== null && fd === 'cwd' && type === 'DIR') {
      out.set(pid, value);
    }
  }
  return out;
}
