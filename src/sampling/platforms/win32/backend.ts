// The Windows backend (experimental: not run on Windows by this project's tests; see README "Platforms").
//
// With koffi (native.ts): the table from GetExtendedTcpTable(TCP_TABLE_OWNER_PID_ALL) for AF_INET and AF_INET6,
// decoded by tcpTable.ts (numeric states, the owning pid per row, no text in any language); the process tree from
// a Toolhelp snapshot, start times from GetProcessTimes. No program is started.
// Without it (koffi did not load; the reason is kept for the log):
// - the table from `netstat -ano` (netstat.ts): -n always (names would cost lookups and change the columns), -o for
//   the PID. It lists UDP endpoints too: those lines (first word `UDP`, which netstat does not translate) are left
//   out before parsing; every other line must parse, and a state word in none of its tables fails the sample
//   with the word rather than guessing (a listener is known in any language by its 0.0.0.0:0 / [::]:0 peer).
//   Its output is in the console's OEM code page: read as Latin-1, byte for byte, which the German table expects.
// - the process tree from PowerShell's CIM query (processes.ts), at most every PROCESS_REFRESH_MS (it takes about a
//   second to start); between two queries the last list is used, so a new child joins the scope that much later.
// Every program runs through childProcesses.ts runChild (no shell, windowsHide, a deadline and an output cap).
import type { AddressFamily } from '../../../domain/types';
import { runChild } from '../../childProcesses';
import { SamplerError } from '../../socketSampler';
import type { Platform, PlatformCapabilities, ProcessIdentity, ToolRunner } from '../platform';
import { ToolSampler, toolError, type PlatformSource, type ProcessDetails, type ToolProcess, type ToolTable } from '../toolSampler';
import { emptyParse, type ToolRow } from '../common';
import { bindWin32, loadKoffi, type KoffiLoader, type Win32Native } from './native';
import { parseWinNetstat } from './netstat';
import { parsePowershellProcesses, powershellArgs, powershellScript } from './processes';
import { decodeTcpTable } from './tcpTable';

export type { KoffiLoader } from './native';

const BASE_CAPABILITIES: PlatformCapabilities = {
  exactOwners: 'all',
  timeWaitOwners: false,
  namespaces: false,
  // Another process's working folder is in its PEB: no documented call reads it.
  processCwd: false,
  commandLines: false,
  queues: false,
  timers: false,
  tcpInfo: false,
  startTimes: true,
  // GetTcpStatistics would be one: not written yet, so reads are periodic.
  changeProbes: false,
  ssCommands: false,
};

export const NETSTAT_ARGS: readonly string[] = ['-ano'];
/** The PowerShell process query runs at most this often (each run costs about a second of CPU). */
export const PROCESS_REFRESH_MS = 15_000;
const NETSTAT_TIMEOUT_MS = 10_000;
const POWERSHELL_TIMEOUT_MS = 30_000;
const TOOL_MAX_BYTES = 64 * 1024 * 1024;

export interface Win32Options {
  run?: ToolRunner;
  loadKoffi?: KoffiLoader;
  now?: () => number;
}

/** What the backend reads with now. */
export type Win32Mode = { kind: 'native'; native: Win32Native } | { kind: 'programs'; why: string };

export class Win32Source implements PlatformSource {
  readonly id = 'win32';
  private readonly run: ToolRunner;
  private readonly now: () => number;
  private readonly loader: KoffiLoader;
  private modeNow: Win32Mode | null = null;
  private childMs = 0;
  /** The PowerShell list and when it was read (programs mode). */
  private psList: { at: number; processes: ToolProcess[]; lines: Map<number, string> } | null = null;

  constructor(options: Win32Options = {}) {
    this.run = options.run ?? runChild;
    this.now = options.now ?? Date.now;
    this.loader = options.loadKoffi ?? loadKoffi;
  }

  /** koffi and the Win32 functions when they load, else the programs (decided once; retryPreferred asks again). */
  mode(): Win32Mode {
    if (this.modeNow === null) {
      const loaded = this.loader();
      if (!loaded.ok) this.modeNow = { kind: 'programs', why: `koffi did not load (${loaded.reason})` };
      else {
        try {
          this.modeNow = { kind: 'native', native: bindWin32(loaded.koffi) };
        } catch (e) {
          this.modeNow = { kind: 'programs', why: `the Win32 functions could not be bound through koffi (${e instanceof Error ? e.message : String(e)})` };
        }
      }
    }
    return this.modeNow;
  }

  retryPreferred(): void {
    if (this.modeNow?.kind === 'programs') this.modeNow = null;
  }

  capabilities(): PlatformCapabilities {
    return { ...BASE_CAPABILITIES, commandLines: this.mode().kind === 'programs' };
  }

  describe(): string {
    const mode = this.mode();
    return mode.kind === 'native'
      ? 'Windows (experimental): GetExtendedTcpTable and a Toolhelp process snapshot, through koffi'
      : `Windows (experimental): netstat ${NETSTAT_ARGS.join(' ')} and PowerShell's Win32_Process, because ${mode.why}`;
  }

  sampleTimeoutMs(): number {
    return this.mode().kind === 'native' ? 10_000 : NETSTAT_TIMEOUT_MS + POWERSHELL_TIMEOUT_MS;
  }

  takeChildMs(): number {
    const ms = this.childMs;
    this.childMs = 0;
    return ms;
  }

  private async tool(file: string, args: readonly string[], timeoutMs: number, encoding: BufferEncoding): Promise<string> {
    const started = this.now();
    try {
      return await this.run(file, args, { timeoutMs, maxBytes: TOOL_MAX_BYTES, encoding });
    } catch (e) {
      throw toolError(e, `${file} ${file === 'powershell.exe' ? '(Win32_Process query)' : args.join(' ')}`);
    } finally {
      this.childMs += Math.max(0, this.now() - started);
    }
  }

  async readTable(): Promise<ToolTable> {
    const mode = this.mode();
    if (mode.kind === 'native') {
      const parse = emptyParse<ToolRow>();
      for (const family of ['ipv4', 'ipv6'] as AddressFamily[]) {
        const part = decodeTcpTable(mode.native.tcpTable(family), family);
        parse.rows.push(...part.rows);
        parse.unknownState.push(...part.unknownState);
        parse.unparsed.push(...part.unparsed);
      }
      return { backend: 'GetExtendedTcpTable', source: 'GetExtendedTcpTable(TCP_TABLE_OWNER_PID_ALL)', parse };
    }
    const text = await this.tool('netstat', NETSTAT_ARGS, NETSTAT_TIMEOUT_MS, 'latin1');
    const tcpOnly = text
      .split(/\r?\n/)
      .filter((line) => !/^\s*UDP\s/.test(line))
      .join('\n');
    const parse = parseWinNetstat(tcpOnly);
    if (parse.rows.length === 0 && parse.unknownState.length === 0 && parse.unparsed.length === 0) {
      throw new SamplerError('unparsable', `netstat ${NETSTAT_ARGS.join(' ')} printed no TCP row (Windows always has listeners): its output is not a socket table.`);
    }
    return { backend: 'netstat', source: `netstat ${NETSTAT_ARGS.join(' ')}`, parse };
  }

  /** The PowerShell list, read again when older than PROCESS_REFRESH_MS. */
  private async powershellList(): Promise<NonNullable<Win32Source['psList']>> {
    const now = this.now();
    if (this.psList !== null && now - this.psList.at < PROCESS_REFRESH_MS) return this.psList;
    const text = await this.tool('powershell.exe', powershellArgs(powershellScript()), POWERSHELL_TIMEOUT_MS, 'utf8');
    const list = parsePowershellProcesses(text);
    if (list === null || list.length === 0) {
      throw new SamplerError('unparsable', `PowerShell's Win32_Process query printed no process list: "${text.trim().slice(0, 200)}".`);
    }
    this.psList = {
      at: now,
      processes: list.map((p) => ({ pid: p.pid, ppid: p.ppid, command: p.command, startTime: p.startTime, uid: -1, cwd: null })),
      lines: new Map(list.map((p) => [p.pid, p.commandLine])),
    };
    return this.psList;
  }

  async readProcesses(): Promise<ToolProcess[]> {
    const mode = this.mode();
    if (mode.kind === 'programs') return (await this.powershellList()).processes.map((p) => ({ ...p }));
    return mode.native.processes().map((p) => ({ pid: p.pid, ppid: p.ppid, command: p.command, startTime: mode.native.creationTime(p.pid) ?? 0, uid: -1, cwd: null }));
  }

  async readDetails(pids: readonly number[]): Promise<Map<number, ProcessDetails>> {
    const lines = this.mode().kind === 'programs' ? (await this.powershellList()).lines : new Map<number, string>();
    const out = new Map<number, ProcessDetails>();
    for (const pid of pids) {
      // The command line as Windows keeps it: one string (its quoting is the program's own to interpret).
      const line = lines.get(pid) ?? '';
      out.set(pid, { commandLine: line === '' ? [] : [line], cwd: null });
    }
    return out;
  }

  async readProcess(pid: number): Promise<ProcessIdentity | null> {
    const mode = this.mode();
    if (mode.kind === 'native') {
      const p = mode.native.processes().find((x) => x.pid === pid);
      if (p === undefined) return null;
      return { pid, ppid: p.ppid, command: p.command, startTime: mode.native.creationTime(pid) ?? 0, uid: -1, cwd: null };
    }
    const list = parsePowershellProcesses(await this.tool('powershell.exe', powershellArgs(powershellScript(pid)), POWERSHELL_TIMEOUT_MS, 'utf8'));
    const p = list?.find((x) => x.pid === pid);
    return p === undefined ? null : { pid, ppid: p.ppid, command: p.command, startTime: p.startTime, uid: -1, cwd: null };
  }
}

/** The Windows platform: Win32Source's readings through the shared ToolSampler. */
export function createWin32Platform(options: Win32Options = {}): Platform & { source: Win32Source } {
  const source = new Win32Source(options);
  return Object.assign(new ToolSampler(source, options.now), { source });
}
