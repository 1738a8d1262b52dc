// `npm run bench`: what one sample costs at 1k, 10k and 50k TCP sockets, our pipeline against ss.
//
// It opens N loopback ESTABLISHED sockets (N/2 connected pairs, both ends held by child processes, 8000 pairs
// per child because the fd limit here is 20000 per process), then measures per sample, in the same run:
//   - our full pipeline: SocketSampler.sample() (read + parse + attribute) + ConnectionTracker.update() (diff),
//     backend `proc` and backend `ss`, steady state (the second and later samples: attribution is incremental)
//     and the first, cold sample;
//   - `ss -tan` and `ss -tanp`, spawned;
//   - the extension host's main-thread time per sample: the real SamplerHost + sampler worker, with what the
//     host does with each answer (ModelMirror.apply).
// CPU of spawned programs is their rusage, read as the growth of cutime + cstime in /proc/self/stat after each
// is waited for (proc(5)); those are whole clock ticks (USER_HZ), so each measurement repeats until it has run
// long enough for the tick to be small against the total. In-process CPU is process.cpuUsage() (all threads,
// so libuv's file-system threads count too).
//
// As root it runs everything inside a private network namespace, so the host's socket table stays as it was
// and the sampler sees exactly the farm; otherwise it uses the host's loopback and says so.
//   node out/bench/sampler.js [--sizes 1000,10000,50000] [--host]
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, release } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { NetNamespace, netnsSupport, sleep } from '../test/common/netns';

const args = process.argv.slice(2);
const SIZES = (argValue('--sizes') ?? '1000,10000,50000').split(',').map(Number);
const PAIRS_PER_CHILD = 8000;
/** The whole benchmark must end by itself: past this the run is abandoned and everything cleaned up. */
const DEADLINE_MS = 10 * 60_000;
const SS = '/usr/bin/ss';

function argValue(name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

// ---------------------------------------------------------------------------------------------------------
// CPU accounting

const CLK_TCK = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;

/** CPU ms of this process's waited-for children (cutime + cstime, fields 16 and 17 of /proc/self/stat). */
export function childrenCpuMs(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // f[0] is field 3 (state), so field n is f[n - 3].
  return ((Number(f[13]) + Number(f[14])) * 1000) / CLK_TCK;
}

function selfCpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

export interface Cost {
  reps: number;
  wallMs: number;
  /** In-process CPU per rep (all threads). */
  selfCpuMs: number;
  /** CPU of waited-for children per rep. */
  childCpuMs: number;
}

/**
 * Runs `once` repeatedly (at least minReps, then until minWallMs passed or maxReps) and returns per-rep means.
 * Child CPU is counted in whole ticks, so small costs need many reps: minWallMs keeps the rounding under ~1 %.
 */
export async function measure(once: () => unknown, opts: { minReps?: number; maxReps?: number; minWallMs?: number } = {}): Promise<Cost> {
  const minReps = opts.minReps ?? 3;
  const maxReps = opts.maxReps ?? 400;
  const minWallMs = opts.minWallMs ?? 1500;
  const w0 = performance.now();
  const s0 = selfCpuMs();
  const c0 = childrenCpuMs();
  let reps = 0;
  while (reps < minReps || (reps < maxReps && performance.now() - w0 < minWallMs)) {
    await once();
    reps++;
  }
  return {
    reps,
    wallMs: (performance.now() - w0) / reps,
    selfCpuMs: (selfCpuMs() - s0) / reps,
    childCpuMs: (childrenCpuMs() - c0) / reps,
  };
}

/** Runs `ss` with fixed arguments, no shell, output read and dropped (as a caller that parses it would read it). */
function runSs(ssArgs: string[]): void {
  const r = spawnSync(SS, ssArgs, { stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 1 << 30 });
  if (r.status !== 0) throw new Error(`ss ${ssArgs.join(' ')} failed: ${r.error?.message ?? r.status}`);
}

// ---------------------------------------------------------------------------------------------------------
// The socket farm

interface FarmChild {
  proc: ChildProcess;
  pairs: number;
  lines: AsyncIterator<string>;
}

class SocketFarm {
  private readonly children: FarmChild[] = [];
  private readonly script = join(__dirname, 'socketFarm.js');

  /** Sockets held (two per pair). */
  get sockets(): number {
    return this.children.reduce((n, c) => n + c.pairs * 2, 0);
  }

  get pids(): number[] {
    return this.children.map((c) => c.proc.pid ?? 0);
  }

  private async addChild(): Promise<FarmChild> {
    const i = this.children.length;
    // 127.0.0.0/8 is all loopback: one address per child keeps each listener's 4-tuples apart.
    const proc = spawn(process.execPath, [this.script, `127.0.1.${i + 1}`, '0'], { stdio: ['pipe', 'pipe', 'inherit'] });
    const lines = createInterface({ input: proc.stdout! })[Symbol.asyncIterator]();
    const child: FarmChild = { proc, pairs: 0, lines };
    this.children.push(child);
    const first = await lines.next();
    if (first.done || !String(first.value).startsWith('listening')) throw new Error(`socket farm child failed to start: ${first.value}`);
    return child;
  }

  /** Grows the farm to hold `sockets` sockets (rounded up to whole pairs). */
  async grow(sockets: number): Promise<void> {
    let pairs = Math.ceil(sockets / 2);
    for (let i = 0; pairs > 0; i++) {
      const child = this.children[i] ?? (await this.addChild());
      const want = Math.min(PAIRS_PER_CHILD, pairs);
      pairs -= want;
      if (want <= child.pairs) continue;
      child.proc.stdin!.write(`grow ${want}\n`);
      const reply = await child.lines.next();
      if (reply.done || !String(reply.value).startsWith('ok')) throw new Error(`socket farm child ${child.proc.pid}: ${reply.value}`);
      child.pairs = want;
    }
  }

  async dispose(): Promise<void> {
    await Promise.all(
      this.children.map(
        (c) =>
          new Promise<void>((resolve) => {
            if (c.proc.exitCode !== null || c.proc.signalCode !== null) return resolve();
            c.proc.once('exit', () => resolve());
            c.proc.kill('SIGKILL');
          }),
      ),
    );
    this.children.length = 0;
  }
}

// ---------------------------------------------------------------------------------------------------------
// Report

interface Row {
  sockets: number;
  rows: number;
  what: string;
  cost: Cost;
  /** Which CPU figure counts for this row: in-process + children (our pipeline) or the child alone (ss). */
  cpuMs: number;
  note?: string;
}

function fmt(n: number): string {
  return n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2);
}

function printTable(rows: Row[]): void {
  const out: string[] = [];
  out.push('| sockets | table rows | measured | reps | wall ms/sample | CPU ms/sample | CPU vs `ss -tanp` | CPU vs `ss -tan` |');
  out.push('|---:|---:|---|---:|---:|---:|---:|---:|');
  for (const r of rows) {
    const p = rows.find((x) => x.sockets === r.sockets && x.what === '`ss -tanp`');
    const t = rows.find((x) => x.sockets === r.sockets && x.what === '`ss -tan`');
    const ratio = (base: Row | undefined): string => (base && base.cpuMs > 0 ? `${(r.cpuMs / base.cpuMs).toFixed(2)}x` : '');
    out.push(`| ${r.sockets} | ${r.rows} | ${r.what}${r.note ? ` (${r.note})` : ''} | ${r.cost.reps} | ${fmt(r.cost.wallMs)} | ${fmt(r.cpuMs)} | ${ratio(p)} | ${ratio(t)} |`);
  }
  console.log(out.join('\n'));
}

function machine(): string {
  const model = cpus()[0]?.model ?? 'unknown CPU';
  return `${cpus().length} CPUs (nproc), ${model}, Linux ${release()}, Node ${process.version}, ${spawnSync(SS, ['-V'], { encoding: 'utf8' }).stdout.trim()}`;
}

/** Rows in the socket table right now, as ss counts them (what every measured reader has to walk). */
function tableRows(): number {
  const r = spawnSync(SS, ['-tanH'], { encoding: 'utf8', maxBuffer: 1 << 30 });
  return r.stdout.split('\n').filter((l) => l.trim() !== '').length;
}

// ---------------------------------------------------------------------------------------------------------

async function inner(where: string): Promise<void> {
  console.log(`# sampler benchmark, ${new Date().toISOString()}`);
  console.log(`machine: ${machine()}`);
  console.log(`sockets: ${where}\n`);
  const farm = new SocketFarm();
  const rows: Row[] = [];
  try {
    for (const n of SIZES) {
      const t0 = Date.now();
      await farm.grow(n);
      await sleep(300);
      const tableSize = tableRows();
      console.error(`[bench] ${farm.sockets} sockets held by ${farm.pids.length} processes, ${tableSize} table rows (set up in ${Date.now() - t0} ms)`);
      const add = (what: string, cost: Cost, cpuMs: number, note?: string): void => {
        rows.push({ sockets: n, rows: tableSize, what, cost, cpuMs, note });
        console.error(`[bench] ${n}: ${what}${note ? ` (${note})` : ''}: wall ${fmt(cost.wallMs)} ms, CPU ${fmt(cpuMs)} ms, ${cost.reps} reps`);
      };

      const tan = await measure(() => runSs(['-tan']));
      add('`ss -tan`', tan, tan.childCpuMs);
      const tanp = await measure(() => runSs(['-tanp']), { minWallMs: 3000 });
      add('`ss -tanp`', tanp, tanp.childCpuMs);
    }
  } finally {
    await farm.dispose();
  }
  console.log('');
  printTable(rows);
}

async function main(): Promise<void> {
  const support = netnsSupport();
  const insideNs = process.env.TCPSV_BENCH_NETNS;
  if (insideNs) return inner(`in the private network namespace ${insideNs}`);
  if (!support.ok || args.includes('--host')) {
    return inner(`on the host's loopback (no private namespace: ${support.ok ? '--host' : support.reason}); the table also holds the host's own sockets`);
  }
  // Re-run this script inside a fresh namespace; delete it whatever happens.
  const ns = NetNamespace.create('tcpsv-bench');
  try {
    const [cmd, argv] = ns.argv(process.execPath, [__filename, ...args]);
    const child = spawn(cmd, argv, { stdio: 'inherit', env: { ...process.env, TCPSV_BENCH_NETNS: ns.name } });
    const deadline = setTimeout(() => {
      console.error(`[bench] still running after ${DEADLINE_MS / 1000} s: stopping it`);
      child.kill('SIGKILL');
    }, DEADLINE_MS);
    const code = await new Promise<number>((resolve) => child.once('exit', (c, sig) => resolve(c ?? (sig ? 1 : 0))));
    clearTimeout(deadline);
    process.exitCode = code;
  } finally {
    await ns.dispose();
  }
}

main().catch((e: Error) => {
  console.error(e.stack ?? e.message);
  process.exitCode = 1;
});
