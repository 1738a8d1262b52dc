// `node out/bench/nsProbes.js [--runs 3]`: what probing other network namespaces' counters costs the sampler loop.
//
// The worker's ChangeWatcher (src/sampling/changeWatcher.ts) probes our own namespace and, through one process
// each, every other namespace the last sample read (/proc/<pid>/net/sockstat, sockstat6, snmp: three preads of kept
// fds, plus an fstat of the process's kept /proc/<pid>/fd fd, and its /proc/<pid>/ns/net link every 16th round).
// Measured with 0, 1, 5 and 10 other namespaces:
//   - a probe round (tick()) in a tight loop: CPU µs per round (the work alone);
//   - the loop as it runs, 4 rounds a second (PROBE_PERIOD_MS.full): process CPU ms per second of wall time, which
//     adds waking the thread up (the floor: bench/probes/loopFloor.ts).
// As root the namespaces are real (`unshare -n sleep`); otherwise the probes read our own namespace through
// `sleep` children, which costs the same (the same files, fds and checks; a namespace's counters are per namespace
// but their text is the same size). CPU is process.cpuUsage() (the probes are synchronous on this thread); ranges
// are min-max over the runs, since the machine is shared.
import { spawn, type ChildProcess } from 'node:child_process';
import { readlinkSync } from 'node:fs';
import { cpus, release } from 'node:os';
import { performance } from 'node:perf_hooks';
import { ChangeWatcher, PROBE_PERIOD_MS, type WatchedNamespace } from '../src/sampling/changeWatcher';

const UNSHARE = '/usr/bin/unshare';
const COUNTS = [0, 1, 5, 10];
const args = process.argv.slice(2);
const RUNS = Number(args[args.indexOf('--runs') + 1] ?? 3) || 3;
const LIVE_MS = 3000;
const root = typeof process.getuid === 'function' && process.getuid() === 0;

function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

function range(xs: number[], digits: number): string {
  const lo = Math.min(...xs).toFixed(digits);
  const hi = Math.max(...xs).toFixed(digits);
  return lo === hi ? lo : `${lo}-${hi}`;
}

async function startReaders(n: number): Promise<ChildProcess[]> {
  const children = Array.from({ length: n }, () => (root ? spawn(UNSHARE, ['--net', '--', '/bin/sleep', '600'], { stdio: 'ignore' }) : spawn('/bin/sleep', ['600'], { stdio: 'ignore' })));
  // unshare execs sleep in place: wait until each child is in its namespace (its link differs from ours).
  const own = readlinkSync('/proc/self/ns/net');
  for (const c of children) {
    for (let i = 0; i < 200; i++) {
      let link = '';
      try {
        link = readlinkSync(`/proc/${c.pid}/ns/net`);
      } catch {
        // not there yet
      }
      if (root ? link !== '' && link !== own : link !== '') break;
      await new Promise((r) => setTimeout(r, 10));
    }
  }
  return children;
}

function watching(children: readonly ChildProcess[]): ChangeWatcher {
  const w = new ChangeWatcher({ change: () => undefined });
  const namespaces: WatchedNamespace[] = [{ key: 'ours', netDir: '/proc/self/net', own: true }];
  children.forEach((c, i) => namespaces.push({ key: `ns${i}`, netDir: `/proc/${c.pid}/net`, own: false }));
  w.setNamespaces(namespaces);
  const bad = w.watched.filter((x) => !x.available);
  if (bad.length > 0) throw new Error(`probes not reading: ${bad.map((x) => x.netDir).join(', ')}`);
  return w;
}

/** CPU µs per tick() over at least 1 s. */
function perRound(w: ChangeWatcher): number {
  for (let i = 0; i < 200; i++) w.tick();
  let reps = 0;
  const w0 = performance.now();
  const c0 = cpuMs();
  while (performance.now() - w0 < 1000) {
    for (let i = 0; i < 100; i++) w.tick();
    reps += 100;
  }
  return ((cpuMs() - c0) / reps) * 1000;
}

/** Process CPU ms per wall second while the watcher runs at 4 Hz and nothing else does. */
async function live(w: ChangeWatcher): Promise<number> {
  w.start(PROBE_PERIOD_MS.full);
  await new Promise((r) => setTimeout(r, 500));
  const w0 = performance.now();
  const c0 = cpuMs();
  await new Promise((r) => setTimeout(r, LIVE_MS));
  const ms = cpuMs() - c0;
  const wall = performance.now() - w0;
  w.stop();
  return ms / (wall / 1000);
}

async function main(): Promise<void> {
  if (process.platform !== 'linux') {
    console.log('nsProbes: Linux only (reads /proc)');
    return;
  }
  console.log(`machine: ${cpus()[0]?.model ?? '?'} x${cpus().length}, Linux ${release()}, Node ${process.version}; ${RUNS} runs, ranges are min-max`);
  console.log(`change probes per namespace (${root ? 'real namespaces: unshare -n' : 'not root: our own namespace through sleep children, the same cost'}):`);
  const rounds = new Map<number, number[]>();
  const perSecond = new Map<number, number[]>();
  for (let run = 0; run < RUNS; run++) {
    for (const n of COUNTS) {
      const children = await startReaders(n);
      const w = watching(children);
      try {
        (rounds.get(n) ?? rounds.set(n, []).get(n)!).push(perRound(w));
        (perSecond.get(n) ?? perSecond.set(n, []).get(n)!).push(await live(w));
      } finally {
        w.close();
        for (const c of children) c.kill('SIGKILL');
      }
    }
  }
  for (const n of COUNTS) {
    console.log(`  ours + ${String(n).padStart(2)} other: a round ${range(rounds.get(n)!, 0)} µs CPU; at 4 Hz ${range(perSecond.get(n)!, 2)} ms CPU per second`);
  }
  const per = (xs: number[], base: number[]): number[] => xs.map((x, i) => (x - (base[i] ?? 0)) / 10);
  console.log(`  per other namespace: +${range(per(rounds.get(10)!, rounds.get(0)!), 1)} µs a round, +${range(per(perSecond.get(10)!, perSecond.get(0)!), 3)} ms CPU per second at 4 Hz`);
}

main().catch((e: Error) => {
  console.error(e.stack ?? e.message);
  process.exitCode = 1;
});
