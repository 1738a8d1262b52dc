// CPU time of the calling thread, in ms: what a sample costs, as opposed to how long it took.
//
// The sampler runs in a worker thread. Wall time (or the event loop's active time) counts the time the thread waited
// for a core: on a loaded machine (load average 10 on 2 cores here) a read that costs 15 ms of CPU takes 60-80 ms,
// and a budget charged in wall time would stretch the reads for a load that is not ours. process.cpuUsage() counts
// every thread of the extension host. So, in order of preference:
// - process.threadCpuUsage() (Node >= 23.9);
// - Linux: /proc/thread-self/schedstat, whose first field is the thread's time on a CPU in ns (~70 µs to read);
// - process.cpuUsage(), the whole process, which over-counts but is still CPU.
import { readFileSync } from 'node:fs';

type ThreadCpu = () => number;

function fromNode(): ThreadCpu | null {
  const p = process as unknown as { threadCpuUsage?: () => NodeJS.CpuUsage };
  if (typeof p.threadCpuUsage !== 'function') return null;
  const f = p.threadCpuUsage.bind(process);
  return () => {
    const u = f();
    return (u.user + u.system) / 1000;
  };
}

function schedstatNs(): number {
  const text = readFileSync('/proc/thread-self/schedstat', 'latin1');
  const ns = Number(text.slice(0, text.indexOf(' ')));
  if (!Number.isFinite(ns)) throw new Error(`unexpected schedstat: ${text}`);
  return ns;
}

function fromSchedstat(): ThreadCpu | null {
  if (process.platform !== 'linux') return null;
  try {
    schedstatNs();
  } catch {
    return null;
  }
  return () => schedstatNs() / 1e6;
}

function fromProcess(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

let chosen: ThreadCpu | null = null;

/** CPU time the calling thread has used, ms (monotonic; compare two readings in the same thread). */
export function threadCpuMs(): number {
  if (chosen === null) chosen = fromNode() ?? fromSchedstat() ?? fromProcess;
  try {
    return chosen();
  } catch {
    chosen = fromProcess;
    return chosen();
  }
}
