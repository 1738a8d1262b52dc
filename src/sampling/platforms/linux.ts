// Linux behind the platform interface: today's readers, unchanged. Samples are SocketSampler's (the /proc or ss
// table, /proc/<pid>/fd attribution, the scope); one process is read from /proc/<pid> as the worker reads its roots.
// The kernel tier checks that this adapter's samples equal SocketSampler's on real sockets
// (test/kernel/platformLinux.test.ts).
import { readFileSync, readlinkSync } from 'node:fs';
import type { BackendSetting, NetNamespaceSummary, SampleBackend } from '../../domain/types';
import { parseProcStat, parseStatusUid } from '../processes';
import { SocketSampler, type ContainerSource, type SampleRequest, type SamplerResult } from '../socketSampler';
import type { Platform, PlatformCapabilities, ProcessIdentity } from './platform';

export const LINUX_CAPABILITIES: PlatformCapabilities = {
  exactOwners: 'all',
  timeWaitOwners: false,
  // SocketSampler reads each other network namespace's table through one of its processes (namespaces.ts).
  namespaces: true,
  processCwd: true,
  commandLines: true,
  queues: true,
  timers: true,
  tcpInfo: true,
  startTimes: true,
  changeProbes: true,
  ssCommands: true,
};

export interface LinuxPlatformOptions {
  backend: BackendSetting;
  ssPath?: string;
  procRoot?: string;
  now?: () => number;
  /** Containers to label sockets with (SamplerOptions.containers). */
  containers?: ContainerSource | null;
  /** SamplerOptions.engineWaitMs. */
  engineWaitMs?: number;
}

export class LinuxPlatform implements Platform {
  readonly id = 'linux';
  readonly support = 'tested';
  /** The sampler every sample comes from (the worker's own, until it asks the platform instead). */
  readonly sampler: SocketSampler;
  private readonly procRoot: string;

  constructor(options: LinuxPlatformOptions) {
    this.procRoot = options.procRoot ?? '/proc';
    this.sampler = new SocketSampler({ backend: options.backend, ssPath: options.ssPath, procRoot: this.procRoot, now: options.now, containers: options.containers, engineWaitMs: options.engineWaitMs });
  }

  capabilities(): PlatformCapabilities {
    return LINUX_CAPABILITIES;
  }

  backendInUse(): SampleBackend | null {
    return this.sampler.backendInUse;
  }

  describe(): string {
    switch (this.sampler.backendInUse) {
      case 'proc':
        return `/proc/net/tcp and /proc/net/tcp6 (in-process)`;
      case 'ss':
        return `ss -tanoeH`;
      case null:
        return '/proc/net/tcp{,6}, or ss when /proc cannot be read (decided at the first sample)';
    }
  }

  sample(request: SampleRequest): Promise<SamplerResult> {
    return this.sampler.sample(request);
  }

  /** /proc/<pid>/stat, status and cwd, as the worker reads a root; null for no process, a zombie or a dead task. */
  readProcess(pid: number): Promise<ProcessIdentity | null> {
    let stat;
    try {
      stat = parseProcStat(readFileSync(`${this.procRoot}/${pid}/stat`, 'latin1'));
    } catch {
      return Promise.resolve(null);
    }
    if (stat === null || stat.pid !== pid || stat.state === 'Z' || stat.state === 'X') return Promise.resolve(null);
    let uid = -1;
    let cwd: string | null = null;
    try {
      uid = parseStatusUid(readFileSync(`${this.procRoot}/${pid}/status`, 'latin1')) ?? -1;
    } catch {
      // Exited since: the stat above still names it.
    }
    try {
      cwd = readlinkSync(`${this.procRoot}/${pid}/cwd`);
    } catch {
      // Another user's process.
    }
    return Promise.resolve({ pid, ppid: stat.ppid, command: stat.command, startTime: stat.startTime, uid, cwd });
  }

  /** Field 22 of /proc/<pid>/stat for each pid that runs (not a zombie or a dead task): one read per pid. */
  startTimes(pids: readonly number[]): Promise<Map<number, number>> {
    const out = new Map<number, number>();
    for (const pid of pids) {
      let stat;
      try {
        stat = parseProcStat(readFileSync(`${this.procRoot}/${pid}/stat`, 'latin1'));
      } catch {
        continue;
      }
      if (stat !== null && stat.state !== 'Z' && stat.state !== 'X') out.set(pid, stat.startTime);
    }
    return Promise.resolve(out);
  }

  namespacesRead(): readonly NetNamespaceSummary[] {
    return this.sampler.lastNamespaces;
  }

  sampleTimeoutMs(): number {
    return this.sampler.ssTimeoutNowMs;
  }

  /** ss's CPU (cutime + cstime) in the last sample; 0 on the /proc backend, which runs no program per sample. */
  lastChildCpuMs(): number {
    return this.sampler.lastStats?.backend === 'ss' ? this.sampler.lastStats.childCpuMs : 0;
  }

  retryPreferredSource(): void {
    this.sampler.retryPreferredBackend();
  }
}
