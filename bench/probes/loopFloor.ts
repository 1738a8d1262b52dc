// Where the CPU of an idle probe loop goes, layer by layer: each variant adds one piece of the loop in
// bench/probes/selfWakeup.ts and runs as its own process, all started together (a noisy neighbour hits them alike).
//   node scripts/build.mjs --tests && node out/bench/probes/loopFloor.js [--period 250] [--warmup 90] [--seconds 60]
// Each variant waits --warmup seconds (V8 optimises late at a few calls per second: with 20 s the ChangeProbe
// variants measured ~0.4 ms/s higher than after 2 minutes), then reports process.cpuUsage() over --seconds.
import { spawn } from 'node:child_process';
import { openSync, readFileSync, readSync } from 'node:fs';
import { ChangeProbe, FdSetProbe } from '../../src/sampling/changeProbe';
import { fdSetChanged, needsFullRead } from '../../src/domain/changeTrigger';
import { SocketSampler } from '../../src/sampling/socketSampler';

const args = process.argv.slice(2);
const arg = (name: string, def: number): number => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : def);
const PERIOD = arg('--period', 250);
const WARMUP = arg('--warmup', 90);
const SECONDS = arg('--seconds', 60);

const VARIANTS = {
  'no-op timer': 'A timer that does nothing: the cost of waking Node up',
  'three preads': 'pread of sockstat, sockstat6, snmp into one buffer, no parse',
  'ChangeProbe + rule': 'ChangeProbe.read() and needsFullRead()',
  '+ FdSetProbe (2 pids)': 'and FdSetProbe.read() of this process and its parent, fdSetChanged()',
  '+ one full read first': 'and one SocketSampler.sample() before the loop (a bigger heap, as in the sampler)',
  '+ async round': 'the round as an async function chained with .then(), as selfWakeup.ts does',
} as const;
type Variant = keyof typeof VARIANTS;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function variant(v: Variant): Promise<void> {
  const order = Object.keys(VARIANTS) as Variant[];
  const level = order.indexOf(v);
  let round: () => void = () => {};
  if (level === 1) {
    const fds = ['/proc/self/net/sockstat', '/proc/self/net/sockstat6', '/proc/self/net/snmp'].map((p) => openSync(p, 'r'));
    const b = Buffer.allocUnsafe(8192);
    round = () => {
      for (const fd of fds) readSync(fd, b, 0, b.length, 0);
    };
  } else if (level >= 2) {
    if (level >= 4) await new SocketSampler({ backend: 'proc' }).sample({ scope: { mode: 'all' } });
    const probe = new ChangeProbe();
    const fd = new FdSetProbe();
    const pids = level >= 3 ? [process.pid, process.ppid] : [];
    let prev = probe.read();
    let prevFd = fd.read(pids);
    round = () => {
      const next = probe.read();
      needsFullRead(prev, next);
      prev = next;
      if (level >= 3) {
        const nextFd = fd.read(pids);
        fdSetChanged(prevFd, nextFd);
        prevFd = nextFd;
      }
    };
  }
  if (level >= 5) {
    const asyncRound = async (): Promise<void> => round();
    const loop = (): void => {
      setTimeout(() => void asyncRound().then(loop), PERIOD);
    };
    loop();
  } else {
    const loop = (): void => {
      setTimeout(() => {
        round();
        loop();
      }, PERIOD);
    };
    loop();
  }
  await sleep(WARMUP * 1000);
  const c0 = process.cpuUsage();
  await sleep(SECONDS * 1000);
  const c = process.cpuUsage(c0);
  process.stdout.write(`${JSON.stringify({ v, msPerS: (c.user + c.system) / 1000 / SECONDS })}\n`);
  process.exit(0);
}

async function main(): Promise<void> {
  const results = await Promise.all(
    (Object.keys(VARIANTS) as Variant[]).map(
      (v) =>
        new Promise<{ v: Variant; msPerS: number }>((resolve) => {
          const child = spawn(process.execPath, [process.argv[1], '--variant', v, '--period', String(PERIOD), '--warmup', String(WARMUP), '--seconds', String(SECONDS)], { stdio: ['ignore', 'pipe', 'inherit'] });
          let out = '';
          child.stdout.on('data', (d: Buffer) => (out += d));
          child.on('close', () => resolve(JSON.parse(out.trim() || `{"v":"${v}","msPerS":null}`) as { v: Variant; msPerS: number }));
        }),
    ),
  );
  for (const r of results) console.log(`${r.v.padEnd(24)} ${r.msPerS === null ? 'failed' : r.msPerS.toFixed(3)} ms CPU/s   ${VARIANTS[r.v]}`);
  console.log(`(period ${PERIOD} ms, ${SECONDS} s after ${WARMUP} s, all concurrently; Node ${process.version}; load ${readFileSync('/proc/loadavg', 'latin1').split(' ').slice(0, 3).join(' ')})`);
}

const vi = args.indexOf('--variant');
void (vi >= 0 ? variant(args[vi + 1] as Variant) : main()).catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
