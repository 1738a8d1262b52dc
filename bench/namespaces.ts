// `node out/bench/namespaces.js`: what reading other network namespaces adds to a sample (root only).
//
// Every sample groups the processes by network namespace (cached per process, see src/sampling/namespaces.ts)
// and reads each other namespace's /proc/<pid>/net/tcp and tcp6 once. Measured here:
//   1. the grouping over this machine's real process table: the first sample (every link read) and the steady
//      state (cached, a 1/16 rotation re-read), per process;
//   2. in a private pid + network namespace (so no other namespace on a shared machine takes part), a full
//      SocketSampler sample in the 'all' scope: our own table only (otherNamespaces: false), then with 10 other
//      namespaces (`unshare -n` processes): idle ones (no socket: known empty from their sockstat, not read),
//      ones holding 3 IPv4 sockets each (a listener and one connection's two ends: the fixed cost of one table
//      read, tcp6 being known empty), 201 each (the per-row cost on top), and 3 IPv4 plus an IPv6 listener (both
//      tables read): the cost per namespace is the difference over 10.
// CPU is process.cpuUsage() (this thread does all the work: the sampler's reads are synchronous), per sample, the
// mean over at least 2 s of samples; printed as a range over 5 runs, since the machine is shared.
//   node out/bench/namespaces.js [--runs 5]
import { spawn, type ChildProcess } from 'node:child_process';
import { cpus, release } from 'node:os';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { NetNamespaceResolver } from '../src/sampling/namespaces';
import { ProcessTable } from '../src/sampling/processes';
import { SocketSampler } from '../src/sampling/socketSampler';

const UNSHARE = '/usr/bin/unshare';
const IP = '/usr/sbin/ip';
const NAMESPACES = 10;
const args = process.argv.slice(2);
const RUNS = Number(args[args.indexOf('--runs') + 1] ?? 5) || 5;

function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/** Mean CPU ms per call of `once`, over at least minWallMs (and at least minReps calls). */
async function perCall(once: () => unknown, minWallMs = 2000, minReps = 20): Promise<number> {
  await once(); // warm: the first sample reads everything and compiles the parser
  let reps = 0;
  const w0 = performance.now();
  const c0 = cpuMs();
  while (reps < minReps || performance.now() - w0 < minWallMs) {
    await once();
    reps++;
  }
  return (cpuMs() - c0) / reps;
}

function range(xs: number[], digits = 2): string {
  const s = [...xs].sort((a, b) => a - b);
  return `${s[0].toFixed(digits)}-${s[s.length - 1].toFixed(digits)}`;
}

/**
 * A node process that listens on 127.0.0.1:8080 and holds `pairs` connections to itself; prints `ready`. With
 * `ipv6`, also a listener on [::1]:8081, so both of its namespace's tables hold rows.
 */
const HOLDER = (pairs: number, ipv6 = false): string =>
  [
    "const net=require('net');const kept=[];",
    ipv6 ? "net.createServer().listen(8081,'::1');" : '',
    "const s=net.createServer((c)=>kept.push(c)).listen(8080,'127.0.0.1',()=>{let n=0;",
    `for(let i=0;i<${pairs};i++){const c=net.connect(8080,'127.0.0.1',()=>{kept.push(c);if(++n===${pairs})console.log('ready');});}`,
    `if(${pairs}===0)console.log('ready');});`,
    "process.stdin.on('end',()=>process.exit(0)).resume();",
  ].join('');

/** `n` processes in namespaces of their own, each holding `pairs` connections and a listener; none with pairs < 0. */
async function startHolders(n: number, pairs: number, ipv6: boolean): Promise<ChildProcess[]> {
  const out: ChildProcess[] = [];
  for (let i = 0; i < n; i++) {
    const program = pairs < 0 ? `-e "console.log('ready');process.stdin.on('end',()=>process.exit(0)).resume();"` : `-e "${HOLDER(pairs, ipv6)}"`;
    const child = spawn(UNSHARE, ['--net', '--', '/bin/sh', '-c', `${IP} link set lo up && exec ${process.execPath} ${program}`], { stdio: ['pipe', 'pipe', 'inherit'] });
    await new Promise<void>((resolve, reject) => {
      child.once('exit', (code) => reject(new Error(`holder exited (${code})`)));
      createInterface({ input: child.stdout! }).once('line', () => resolve());
    });
    out.push(child);
  }
  return out;
}

async function stopHolders(children: ChildProcess[]): Promise<void> {
  await Promise.all(
    children.map(
      (c) =>
        new Promise<void>((resolve) => {
          c.once('exit', () => resolve());
          c.stdin!.end();
        }),
    ),
  );
}

/** Inside the private pid + network namespace: the sampler with 0 and 10 other namespaces. */
async function inner(): Promise<void> {
  const rows: string[] = [];
  const own: number[] = [];
  const cases = [
    { pairs: -1, ipv6: false, what: 'idle (no socket)', deltas: [] as number[], namespaces: 0, rows: 0, empty: 0 },
    { pairs: 1, ipv6: false, what: '', deltas: [] as number[], namespaces: 0, rows: 0, empty: 0 },
    { pairs: 100, ipv6: false, what: '', deltas: [] as number[], namespaces: 0, rows: 0, empty: 0 },
    { pairs: 1, ipv6: true, what: '', deltas: [] as number[], namespaces: 0, rows: 0, empty: 0 },
  ];
  for (let run = 0; run < RUNS; run++) {
    const alone = new SocketSampler({ backend: 'proc', containers: null, otherNamespaces: false });
    const base = await perCall(() => alone.sample({ scope: { mode: 'all' } }));
    own.push(base);
    for (const c of cases) {
      const holders = await startHolders(NAMESPACES, c.pairs, c.ipv6);
      try {
        const sampler = new SocketSampler({ backend: 'proc', containers: null });
        const withNs = await perCall(() => sampler.sample({ scope: { mode: 'all' } }));
        c.deltas.push((withNs - base) / NAMESPACES);
        c.namespaces = sampler.lastStats?.foreignNamespaces ?? 0;
        c.rows = sampler.lastStats?.foreignRows ?? 0;
        c.empty = sampler.lastStats?.emptyNamespaces ?? 0;
      } finally {
        await stopHolders(holders);
      }
    }
  }
  rows.push(`sample, own namespace only (otherNamespaces: false): ${range(own)} ms CPU`);
  for (const c of cases) {
    const what = c.what || `${c.rows / Math.max(1, c.namespaces)} sockets each, ${c.ipv6 ? 'IPv4 and IPv6 (both tables read)' : 'IPv4 only (tcp6 not read)'}`;
    rows.push(`per other namespace, ${what} (${c.namespaces} read, ${c.empty} known empty from sockstat): +${range(c.deltas, 3)} ms CPU per sample`);
  }
  console.log(rows.join('\n'));
}

/** On the host: the grouping over this machine's process table. */
function grouping(): void {
  const table = new ProcessTable();
  const procs = table.refresh();
  const pids = [...procs.keys()];
  const first: number[] = [];
  const steady: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    const r = new NetNamespaceResolver();
    const c0 = cpuMs();
    const groups = r.group(pids, (pid) => procs.get(pid));
    first.push(((cpuMs() - c0) * 1000) / pids.length);
    let n = 0;
    const c1 = cpuMs();
    const w1 = performance.now();
    while (n < 32 || performance.now() - w1 < 1000) {
      r.group(pids, (pid) => procs.get(pid));
      n++;
    }
    steady.push(((cpuMs() - c1) * 1000) / n / pids.length);
    if (run === 0) console.log(`grouping ${pids.length} processes of this machine into ${groups.length} network namespaces:`);
  }
  console.log(`  first sample (every link read): ${range(first)} µs CPU per process`);
  console.log(`  steady (cached, 1/16 re-read per sample): ${range(steady)} µs CPU per process`);
}

async function main(): Promise<void> {
  if (process.env.TCPSV_BENCH_NS_INNER) return inner();
  if (process.platform !== 'linux' || process.getuid?.() !== 0) {
    console.log('bench/namespaces: needs root on Linux (unshare -n, a private pid namespace); skipped');
    return;
  }
  console.log(`# network namespaces benchmark, ${new Date().toISOString()}`);
  console.log(`machine: ${cpus()[0]?.model ?? '?'} x${cpus().length}, Linux ${release()}, Node ${process.version}; ${RUNS} runs, ranges are min-max`);
  grouping();
  // A private pid namespace shows this benchmark's processes only: other namespaces on a shared machine (another
  // engineer's tests) would otherwise be read as well.
  const child = spawn(UNSHARE, ['--net', '--pid', '--fork', '--mount-proc', '--', '/bin/sh', '-c', `${IP} link set lo up && exec ${process.execPath} ${__filename} ${args.join(' ')}`], {
    stdio: 'inherit',
    env: { ...process.env, TCPSV_BENCH_NS_INNER: '1' },
  });
  const code = await new Promise<number>((resolve) => child.once('exit', (c, sig) => resolve(c ?? (sig ? 1 : 0))));
  process.exitCode = code;
}

main().catch((e: Error) => {
  console.error(e.stack ?? e.message);
  process.exitCode = 1;
});
