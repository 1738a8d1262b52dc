// The platform interface: what the sampler worker and the CLI need from an operating system, so that they, the
// scope, the tracker and the views do not know which one they run on. Three implementations:
//   linux.ts          today's SocketSampler and /proc readers behind it, unchanged (tested here, every tier)
//   darwin/backend.ts netstat -anvl + lsof -F for the workspace's owners + ps (experimental)
//   win32/backend.ts  GetExtendedTcpTable through koffi, netstat -ano otherwise (experimental)
// The two experimental ones share toolSampler.ts, which turns a table read by a program into a scoped sample; a
// fake source in the unit tier (test/unit/sampling/platforms/fakePlatform.test.ts) proves that path without them.
import type { BackendSetting, NetNamespaceSummary, SampleBackend } from '../../domain/types';
import type { RunOptions } from '../childProcesses';
import { SamplerError, type ContainerSource, type SampleRequest, type SamplerResult } from '../socketSampler';
import { LinuxPlatform } from './linux';
import { createDarwinPlatform } from './darwin/backend';
import { createWin32Platform, type KoffiLoader } from './win32/backend';
import { platformSupport, type PlatformId, type PlatformSupport } from './support';

export type { PlatformId, PlatformSupport } from './support';

/** What a platform's readings hold and what they cannot. Views and the worker read these, not process.platform. */
export interface PlatformCapabilities {
  /**
   * Whose sockets carry the processes holding them: 'all' sockets, or only the workspace scope's ('scope': on macOS
   * lsof lists the workspace's processes' sockets; netstat names, for every other socket, only the last process
   * that used it, and such owners are marked Owner.lastUser).
   */
  exactOwners: 'all' | 'scope';
  /**
   * A socket without a descriptor (TIME-WAIT) has an owner of its own in the table. False everywhere today: no
   * process holds it any more, and the owner shown is the one remembered for its 4-tuple (or, on macOS, the last user).
   */
  timeWaitOwners: boolean;
  /** Sockets of other network namespaces (containers) are read. */
  namespaces: boolean;
  /** Each process's working folder can be read, so the scope's "runs in a workspace folder" rule works. */
  processCwd: boolean;
  /** Each process's command line can be read (tooltips, the filter, the tree's process names). */
  commandLines: boolean;
  /** Receive and send queue lengths per socket. */
  queues: boolean;
  /** Kernel timers per socket (retransmit, keepalive, TIME-WAIT's time left). */
  timers: boolean;
  /** tcp_info of one connection (Show tcp_info). */
  tcpInfo: boolean;
  /** Each process's start time is read, so a reused pid is told from the process it replaced (the stop command). */
  startTimes: boolean;
  /**
   * The kernel's TCP counters can be watched between full reads (changeWatcher.ts reads /proc/net/snmp and
   * sockstat): without them, full reads are periodic.
   */
  changeProbes: boolean;
  /**
   * The system's own socket tool is iproute2's ss, which selects one connection by its ends (Copy as ss Command); on
   * Linux tcp_info is read with it too.
   */
  ssCommands: boolean;
}

/** One process read fresh, for the worker's checks of its roots and of a process before it is stopped. */
export interface ProcessIdentity {
  pid: number;
  ppid: number;
  command: string;
  /** Same unit as ProcessInfo.startTime on this platform: compare, never subtract. */
  startTime: number;
  /** -1 when unknown. */
  uid: number;
  /** Null when it cannot be read (another user's process, or a platform without it). */
  cwd: string | null;
}

export type { SampleRequest, SamplerResult } from '../socketSampler';

/** What the sampler worker and the CLI use. */
export interface Platform {
  /** process.platform's value. */
  readonly id: string;
  readonly support: PlatformSupport;
  /** What the readings hold now (Windows' change when koffi does not load and netstat is used instead). */
  capabilities(): PlatformCapabilities;
  /** How the table is read; null before the first sample where that is decided then (Linux's 'auto'). */
  backendInUse(): SampleBackend | null;
  /** How it reads, in a sentence for the log (on Windows: with koffi, or why not). */
  describe(): string;
  /**
   * One reading of the table: every row (`table`, which the tracker follows) and those in the scope (`sockets`, the
   * same objects), with the processes the views need. Calls are queued, never concurrent.
   */
  sample(request: SampleRequest): Promise<SamplerResult>;
  /** One process read now; null when there is no such process (or only a zombie). */
  readProcess(pid: number): Promise<ProcessIdentity | null>;
  /**
   * The start time of each of `pids` that runs now (a zombie does not), read fresh; a pid that does not is absent.
   * The worker checks its roots and the processes it carries before every sample, so this is one cheap reading for
   * all of them (Linux: /proc/<pid>/stat each; elsewhere one process list), not readProcess per pid.
   */
  startTimes(pids: readonly number[]): Promise<Map<number, number>>;
  /** The network namespaces the last sample read, ours first (empty where capabilities().namespaces is false). */
  namespacesRead(): readonly NetNamespaceSummary[];
  /** The time the next sample may take, ms: the host's own deadline for it should follow. */
  sampleTimeoutMs(): number;
  /** CPU the last sample's child processes cost, ms; where the system does not tell, their wall time (an upper bound). */
  lastChildCpuMs(): number;
  /** New settings were applied: a backend on its fallback tries its preferred source at the next sample. */
  retryPreferredSource(): void;
}

/** Runs a program (never through a shell): runChild, or a replay of recorded output in tests. */
export type ToolRunner = (file: string, args: readonly string[], options: RunOptions) => Promise<string>;

export interface PlatformOptions {
  /** Linux's choice of reader; the other systems have one way (and a fallback) and ignore it. */
  backend: BackendSetting;
  /** Linux: the ss executable. */
  ssPath?: string;
  /** Runs the backends' programs (default: childProcesses.ts runChild). */
  run?: ToolRunner;
  /** Windows: loads koffi (default: the copy shipped in the VSIX, else node_modules); null when it does not load. */
  loadKoffi?: KoffiLoader;
  /** The clock (ms since the epoch). */
  now?: () => number;
  /** Linux: containers to label sockets with (SamplerOptions.containers); the others read no namespace but their own. */
  containers?: ContainerSource | null;
  /** Linux: how long the first sample waits for the container engine's first answer (SamplerOptions.engineWaitMs). */
  engineWaitMs?: number;
}

const NO_CAPABILITIES: PlatformCapabilities = {
  exactOwners: 'all',
  timeWaitOwners: false,
  namespaces: false,
  processCwd: false,
  commandLines: false,
  queues: false,
  timers: false,
  tcpInfo: false,
  startTimes: false,
  changeProbes: false,
  ssCommands: false,
};

/** A system without a backend: every sample fails with 'unsupported-platform', which stops the host's loop. */
class UnsupportedPlatform implements Platform {
  readonly support = 'unsupported';
  constructor(readonly id: string) {}
  capabilities(): PlatformCapabilities {
    return NO_CAPABILITIES;
  }
  backendInUse(): null {
    return null;
  }
  describe(): string {
    return `${this.id}: no backend`;
  }
  sample(): Promise<SamplerResult> {
    return Promise.reject(
      new SamplerError('unsupported-platform', `TCP State Viewer reads the socket tables of Linux, macOS and Windows; ${this.id} is not supported. Use it in a Linux workspace (a container, SSH or a dev container).`),
    );
  }
  readProcess(): Promise<null> {
    return Promise.resolve(null);
  }
  startTimes(): Promise<Map<number, number>> {
    return Promise.resolve(new Map());
  }
  namespacesRead(): readonly NetNamespaceSummary[] {
    return [];
  }
  sampleTimeoutMs(): number {
    return 0;
  }
  lastChildCpuMs(): number {
    return 0;
  }
  retryPreferredSource(): void {}
}

/** The platform implementation for `platform` (a process.platform value). */
export function selectPlatform(platform: string, options: PlatformOptions): Platform {
  const id: PlatformId | null = platformSupport(platform) === 'unsupported' ? null : (platform as PlatformId);
  switch (id) {
    case 'linux':
      return new LinuxPlatform({ backend: options.backend, ssPath: options.ssPath, now: options.now, containers: options.containers, engineWaitMs: options.engineWaitMs });
    case 'darwin':
      return createDarwinPlatform({ run: options.run, now: options.now });
    case 'win32':
      return createWin32Platform({ run: options.run, loadKoffi: options.loadKoffi, now: options.now });
    case null:
      return new UnsupportedPlatform(platform);
  }
}
