// The macOS backend (experimental: not run on macOS by this project's tests; see README "Platforms").
//
// Every program runs through childProcesses.ts runChild (no shell, its own process group, a deadline and an
// output cap), from the sampler worker thread, with LC_ALL=C so that dates and messages are the C locale's.
// - The table: `netstat -anvl -p tcp` (netstat.ts). It lists every TCP socket, TIME_WAIT included, each with a pid
//   (xnu's pcblist_n sysctl has no credential check, so no root is needed). That pid is so_last_pid, the last
//   process that used the socket: owners from it are marked lastUser. -l keeps IPv6 addresses whole.
// - The holders of the workspace scope's sockets: `lsof -nP -w -a -p <pids> -iTCP -Tqs -FpcfnPtT0` (lsof.ts): the
//   processes that hold each socket. `t` tells an IPv4 `*` listener from an IPv6 one, so every row matches the
//   table's by 4-tuple and state. lsof lists only sockets with a descriptor: TIME_WAIT keeps netstat's last user.
// - The process tree and start times: `ps -A -ww -o pid= -o ppid= -o uid= -o lstart= -o comm=` (processes.ts).
// - Working folders: `lsof -w -a -d cwd -Fpftn0`, for every process when a workspace folder needs them (again every
//   CWD_REFRESH_MS, and for processes new since), else only for the processes the views show.
// - Command lines: `ps -ww -o pid= -o args= -p <pids>`, once per process.
import type { RunOptions } from '../../childProcesses';
import { runChild } from '../../childProcesses';
import { SamplerError } from '../../socketSampler';
import { parseLsof } from '../lsof';
import type { Platform, PlatformCapabilities, ProcessIdentity, ToolRunner } from '../platform';
import { ToolSampler, toolError, type PlatformSource, type ProcessDetails, type ToolProcess, type ToolTable } from '../toolSampler';
import { parseDarwinNetstat } from './netstat';
import { parseLsofCwd, parsePs, parsePsArgs } from './processes';

export const DARWIN_CAPABILITIES: PlatformCapabilities = {
  exactOwners: 'scope',
  timeWaitOwners: false,
  namespaces: false,
  processCwd: true,
  commandLines: true,
  queues: true,
  timers: false,
  tcpInfo: false,
  startTimes: true,
  // netstat -s has TCP counters, but it is a program per probe: far above the 4 Hz probe's budget.
  changeProbes: false,
  ssCommands: false,
};

export const NETSTAT_ARGS: readonly string[] = ['-anvl', '-p', 'tcp'];
export const PS_TABLE_ARGS: readonly string[] = ['-A', '-ww', '-o', 'pid=', '-o', 'ppid=', '-o', 'uid=', '-o', 'lstart=', '-o', 'comm='];

/** lsof arguments listing the TCP sockets `pids` hold, with state and queues, as -F fields. */
export function lsofHolderArgs(pids: readonly number[]): string[] {
  return ['-nP', '-w', '-a', '-p', pids.join(','), '-iTCP', '-Tqs', '-FpcfnPtT0'];
}

/** lsof arguments listing working folders (of `pids`, or of every process). */
export function lsofCwdArgs(pids?: readonly number[]): string[] {
  return ['-w', '-a', '-d', 'cwd', '-Fpftn0', ...(pids === undefined ? [] : ['-p', pids.join(',')])];
}

export function psArgsArgs(pids: readonly number[]): string[] {
  return ['-ww', '-o', 'pid=', '-o', 'args=', '-p', pids.join(',')];
}

export function psOneArgs(pid: number): string[] {
  return ['-ww', '-o', 'pid=', '-o', 'ppid=', '-o', 'uid=', '-o', 'lstart=', '-o', 'stat=', '-o', 'comm=', '-p', String(pid)];
}

/** Each program is stopped after this long. netstat on 200k sockets printed ~30 MB in the sources we read; 10 s is generous. */
const TOOL_TIMEOUT_MS = 10_000;
const TOOL_MAX_BYTES = 64 * 1024 * 1024;
/** Working folders of every process are read again this often (a shell that `cd`s into a workspace folder joins the scope by then). */
export const CWD_REFRESH_MS = 10_000;

/**
 * lsof and ps exit 1, saying nothing on stderr, when a pid they were asked for has nothing to list (or has exited
 * meanwhile): their output is still the answer. With -w lsof prints no warnings, so anything on stderr is an error.
 */
const silentOne = (code: number, stderr: string): boolean => code === 1 && stderr.trim() === '';

export interface DarwinOptions {
  run?: ToolRunner;
  now?: () => number;
}

export class DarwinSource implements PlatformSource {
  readonly id = 'darwin';
  private readonly run: ToolRunner;
  private readonly now: () => number;
  private childMs = 0;
  /** Working folders by pid, with the start time they were read for. */
  private cwds = new Map<number, { startTime: number; cwd: string | null }>();
  private cwdsReadAt = -Infinity;

  constructor(options: DarwinOptions = {}) {
    this.run = options.run ?? runChild;
    this.now = options.now ?? Date.now;
  }

  capabilities(): PlatformCapabilities {
    return DARWIN_CAPABILITIES;
  }

  describe(): string {
    return `macOS (experimental): netstat ${NETSTAT_ARGS.join(' ')} for the table, lsof for the workspace's processes' sockets, ps for the process tree`;
  }

  sampleTimeoutMs(): number {
    // netstat and ps run together, then lsof twice at most (holders, folders), then ps for new command lines.
    return 4 * TOOL_TIMEOUT_MS;
  }

  takeChildMs(): number {
    const ms = this.childMs;
    this.childMs = 0;
    return ms;
  }

  /** Runs a program with the backend's options; a failure becomes a SamplerError that names it. */
  private async tool(file: string, args: readonly string[], allowExit?: RunOptions['allowExit']): Promise<string> {
    const started = this.now();
    try {
      return await this.run(file, args, { timeoutMs: TOOL_TIMEOUT_MS, maxBytes: TOOL_MAX_BYTES, encoding: 'utf8', env: { ...process.env, LC_ALL: 'C' }, allowExit });
    } catch (e) {
      throw toolError(e, `${file} ${args.join(' ')}`);
    } finally {
      this.childMs += Math.max(0, this.now() - started);
    }
  }

  async readTable(): Promise<ToolTable> {
    const source = `netstat ${NETSTAT_ARGS.join(' ')}`;
    const parse = parseDarwinNetstat(await this.tool('netstat', NETSTAT_ARGS));
    if (parse.layout === null && parse.unparsed.length === 0) {
      // No header, no row: not a table (netstat prints its header even when there is no socket).
      throw new SamplerError('unparsable', `${source} printed no header line: its output is not a socket table.`);
    }
    if (parse.layout === 'plain') {
      throw new SamplerError('unparsable', `${source} printed no pid column (its header has nothing after "(state)"): this netstat does not know -v.`);
    }
    const rows = parse.rows.map((r) => ({ ...r, owners: r.owners.map((o) => ({ ...o, lastUser: true })) }));
    return { backend: 'netstat', source, parse: { ...parse, rows } };
  }

  async readProcesses(options: { cwd: boolean }): Promise<ToolProcess[]> {
    const text = await this.tool('ps', PS_TABLE_ARGS);
    const parse = parsePs(text);
    if (parse.unparsed.length > 0 || parse.processes.length === 0) {
      const line = parse.unparsed[0] ?? text.slice(0, 200);
      throw new SamplerError('unparsable', `ps ${PS_TABLE_ARGS.join(' ')} printed a line this extension cannot read: "${line}".`);
    }
    const list: ToolProcess[] = parse.processes.map((p) => ({ pid: p.pid, ppid: p.ppid, command: p.command, startTime: p.startTime, uid: p.uid }));
    if (options.cwd) {
      const now = this.now();
      const all = now - this.cwdsReadAt >= CWD_REFRESH_MS;
      const fresh = all ? list : list.filter((p) => this.cwds.get(p.pid)?.startTime !== p.startTime);
      if (fresh.length > 0) {
        const read = parseLsofCwd(await this.tool('lsof', lsofCwdArgs(all ? undefined : fresh.map((p) => p.pid)), silentOne));
        const next = all ? new Map<number, { startTime: number; cwd: string | null }>() : this.cwds;
        for (const p of fresh) next.set(p.pid, { startTime: p.startTime, cwd: read.get(p.pid) ?? null });
        this.cwds = next;
        if (all) this.cwdsReadAt = now;
      }
      for (const p of list) {
        const c = this.cwds.get(p.pid);
        p.cwd = c !== undefined && c.startTime === p.startTime ? c.cwd : null;
      }
    }
    return list;
  }

  async readHolders(pids: readonly number[]): Promise<ToolTable> {
    const args = lsofHolderArgs(pids);
    return { backend: 'netstat', source: `lsof ${args.join(' ')}`, parse: parseLsof(await this.tool('lsof', args, silentOne)) };
  }

  async readDetails(pids: readonly number[]): Promise<Map<number, ProcessDetails>> {
    const [argsText, cwdText] = await Promise.all([this.tool('ps', psArgsArgs(pids), silentOne), this.tool('lsof', lsofCwdArgs(pids), silentOne)]);
    const args = parsePsArgs(argsText);
    const cwds = parseLsofCwd(cwdText);
    const out = new Map<number, ProcessDetails>();
    for (const pid of pids) out.set(pid, { commandLine: args.get(pid) ?? [], cwd: cwds.get(pid) ?? null });
    return out;
  }

  async readProcess(pid: number): Promise<ProcessIdentity | null> {
    const p = parsePs(await this.tool('ps', psOneArgs(pid), silentOne), true).processes.find((x) => x.pid === pid);
    if (p === undefined || p.stat === null || p.stat.startsWith('Z')) return null;
    const cwd = parseLsofCwd(await this.tool('lsof', lsofCwdArgs([pid]), silentOne)).get(pid) ?? null;
    return { pid, ppid: p.ppid, command: p.command, startTime: p.startTime, uid: p.uid, cwd };
  }
}

/** The macOS platform: DarwinSource's readings through the shared ToolSampler. */
export function createDarwinPlatform(options: DarwinOptions = {}): Platform {
  return new ToolSampler(new DarwinSource(options), options.now);
}
