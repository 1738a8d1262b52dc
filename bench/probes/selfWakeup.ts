// A prototype of the change-triggered sampler loop, measured: how many full reads its trigger rule causes (idle,
// and with UI-like traffic on a TCP connection), what the whole loop costs in CPU per second, and how late an
// event is known.
//   node scripts/build.mjs --tests && sudo node out/bench/probes/selfWakeup.js [--seconds 60] [--period 250] [--heartbeat 15000] [--warmup 20]
// The loop (the `--inside` mode of this file, one process per scenario): every --period ms a ChangeProbe read of
// /proc/self/net and an FdSetProbe read of the socket-holding pids; a full read when needsFullRead() or
// fdSetChanged() says so, or when --heartbeat ms passed since the last one. A full read is what `tcp-states watch`
// does per sample: SocketSampler.sample() (proc backend, scope all: /proc/net/tcp{,6}, the process table, socket
// attribution) + ConnectionTracker.update(). Timers re-arm after each round (setTimeout), so a slow full read
// never stacks. CPU: process.cpuUsage() over the measured window, after a --warmup (20 s: with 5 s start-up work and GC doubled the idle figure).
// As root every scenario runs inside a private network namespace (nsenter --net, see test/common/netns.ts), so
// the only TCP activity is the scenario's; a last scenario runs in the host namespace, shared with other jobs.
import { spawn } from 'node:child_process';
import { createServer, connect, type Socket } from 'node:net';
import { readFileSync } from 'node:fs';
import { ChangeProbe, FdSetProbe } from '../../src/sampling/changeProbe';
import { fdSetChanged, needsFullRead } from '../../src/domain/changeTrigger';
import { SocketSampler } from '../../src/sampling/socketSampler';
import { ConnectionTracker } from '../../src/domain/tracker';
import { NetNamespace, linkVeth, netnsSupport, sleep, type SocketHolder } from '../../test/common/netns';

const args = process.argv.slice(2);
const arg = (name: string, def: number): number => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : def);
const SECONDS = arg('--seconds', 60);
const PERIOD = arg('--period', 250);
const HEARTBEAT = arg('--heartbeat', 15000);
const WARMUP_S = arg('--warmup', 20);

interface Trigger {
  /** Epoch ms (performance.timeOrigin + now) when the probe saw the change, and when the full read ended. */
  seen: number;
  done: number;
  why: 'count' | 'fd' | 'heartbeat' | 'lost' | 'regained';
  reason: string;
}
interface LoopResult {
  seconds: number;
  periodMs: number;
  heartbeatMs: number;
  probes: number;
  triggers: Trigger[];
  segmentsOnly: number;
  cpuMsPerS: number;
  fullReadCpuMs: number;
  fullReadWallMs: number;
}

const epoch = (): number => performance.timeOrigin + performance.now();

async function inside(): Promise<void> {
  const pids = args.includes('--pids') ? args[args.indexOf('--pids') + 1].split(',').filter(Boolean).map(Number) : [];
  const probe = new ChangeProbe();
  const fd = new FdSetProbe();
  const sampler = new SocketSampler({ backend: 'proc' });
  const tracker = new ConnectionTracker();
  let fullCpu = 0;
  let fulls = 0;
  let walls: number[] = [];
  const full = async (): Promise<void> => {
    const c0 = process.cpuUsage();
    const w0 = performance.now();
    const s = await sampler.sample({ scope: { mode: 'all' } });
    tracker.update({ takenAt: s.takenAt, sockets: s.sockets });
    const c = process.cpuUsage(c0);
    walls.push(performance.now() - w0);
    fullCpu += (c.user + c.system) / 1000;
    fulls++;
  };
  await full();
  let prev = probe.read();
  let prevFd = fd.read(pids);
  let lastFull = performance.now();
  const triggers: Trigger[] = [];
  let measuring = false;
  let probes = 0;
  let segmentsOnly = 0;
  const round = async (): Promise<void> => {
    const next = probe.read();
    const nextFd = fd.read(pids);
    const seen = epoch();
    const d = needsFullRead(prev, next);
    const f = fdSetChanged(prevFd, nextFd);
    prev = next;
    prevFd = nextFd;
    if (measuring) {
      probes++;
      if (d.trigger === 'segments') segmentsOnly++;
    }
    let why: Trigger['why'] | null = null;
    let reason = '';
    if (d.full) [why, reason] = [d.trigger === 'lost' || d.trigger === 'regained' ? d.trigger : 'count', d.reason];
    else if (f.changed) [why, reason] = ['fd', f.reason];
    else if (performance.now() - lastFull >= HEARTBEAT) [why, reason] = ['heartbeat', ''];
    if (why) {
      await full();
      lastFull = performance.now();
      if (measuring) triggers.push({ seen, done: epoch(), why, reason });
    }
  };
  let timer: ReturnType<typeof setTimeout>;
  const loop = (): void => {
    timer = setTimeout(() => void round().then(loop), PERIOD);
  };
  loop();
  await sleep(WARMUP_S * 1000);
  measuring = true;
  fullCpu = 0;
  fulls = 0;
  walls = [];
  const c0 = process.cpuUsage();
  process.stdout.write('measuring\n');
  await sleep(SECONDS * 1000);
  const c = process.cpuUsage(c0);
  clearTimeout(timer!);
  const result: LoopResult = { seconds: SECONDS, periodMs: PERIOD, heartbeatMs: HEARTBEAT, probes, triggers, segmentsOnly, cpuMsPerS: (c.user + c.system) / 1000 / SECONDS, fullReadCpuMs: fulls ? fullCpu / fulls : 0, fullReadWallMs: walls.length ? quantile(walls, 0.5) : 0 };
  process.stdout.write(`${JSON.stringify(result)}\n`);
  probe.close();
  fd.close();
}

/** Runs the loop (inside ns when given) with extra args; calls onMeasuring when its measured window starts. */
function runLoop(ns: NetNamespace | null, extra: string[], onMeasuring?: () => void, heartbeat = HEARTBEAT): Promise<LoopResult> {
  const argv = [process.argv[1], '--inside', '--seconds', String(SECONDS), '--period', String(PERIOD), '--heartbeat', String(heartbeat), '--warmup', String(WARMUP_S), ...extra];
  const [cmd, a] = ns ? ns.argv(process.execPath, argv) : [process.execPath, argv];
  const child = spawn(cmd, a, { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  return new Promise((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      out += d;
      if (out.includes('measuring\n') && onMeasuring) {
        const f = onMeasuring;
        onMeasuring = undefined;
        f();
      }
    });
    child.on('close', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (code !== 0 || !line) reject(new Error(`loop exited ${code}`));
      else resolve(JSON.parse(line) as LoopResult);
    });
  });
}

function summary(name: string, r: LoopResult): string {
  const by = (w: Trigger['why']): number => r.triggers.filter((t) => t.why === w).length;
  const perMin = (n: number): string => ((n * 60) / r.seconds).toFixed(1);
  const hb = r.heartbeatMs >= 1e8 ? 'none' : `${r.heartbeatMs / 1000} s`;
  return `| ${name} | ${r.periodMs} | ${hb} | ${perMin(by('count') + by('fd') + by('lost') + by('regained'))} | ${perMin(by('heartbeat'))} | ${r.probes ? Math.round((100 * r.segmentsOnly) / r.probes) : 0} % | ${r.cpuMsPerS.toFixed(2)} | ${r.fullReadCpuMs ? r.fullReadCpuMs.toFixed(1) : '-'} | ${r.fullReadWallMs ? r.fullReadWallMs.toFixed(0) : '-'} |`;
}

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)];
}

async function outside(): Promise<void> {
  const rows: string[] = [];
  const support = netnsSupport();
  if (support.ok) {
    const ns = NetNamespace.create('tcpsv-sw');
    const remote = NetNamespace.create('tcpsv-swr');
    try {
      linkVeth(ns, remote, '10.233.0.1', '10.233.0.2');
      const srv = await ns.startHolder('server');
      const cli = await ns.startHolder('client');
      const rem = await remote.startHolder('remote');
      const pids = `${srv.pid},${cli.pid}`;
      rows.push(summary('idle, no heartbeat: the probe loop alone', await runLoop(ns, ['--pids', pids], undefined, 1e9)));
      rows.push(summary('idle, private namespace', await runLoop(ns, ['--pids', pids])));

      await srv.request({ op: 'listen', name: 'lu', family: 4, host: '0.0.0.0', port: 5701 });
      let n = 0;
      for (const [path, holder, host] of [
        ['loopback', cli, '127.0.0.1'],
        ['veth (remote peer)', rem, '10.233.0.1'],
      ] as [string, SocketHolder, string][]) {
        n++;
        await holder.request({ op: 'connect', name: `u${n}`, family: 4, host, port: 5701, wait: true });
        await srv.request({ op: 'accept', name: `su${n}`, listener: 'lu' });
        await srv.request({ op: 'echo', name: `su${n}` });
        await holder.request({ op: 'exchange', name: `u${n}`, everyMs: 250, seconds: SECONDS + WARMUP_S + 5, bytes: 64 });
        rows.push(summary(`UI traffic (64 B + echo / 250 ms), ${path}`, await runLoop(ns, ['--pids', pids])));
        await sleep((WARMUP_S + 5) * 1000); // let the exchange end
      }

      // Latency: an event every 1.5-2.5 s while the loop runs; each is known when the full read it caused ends.
      const actions: { at: number; what: string }[] = [];
      let stop = false;
      const drive = async (): Promise<void> => {
        let i = 0;
        while (!stop) {
          await sleep(1500 + Math.random() * 1000);
          if (stop) break;
          const k = i++;
          const port = 5800 + (k % 50);
          const step = k % 4;
          const at = epoch();
          if (step === 0) {
            actions.push({ at, what: 'listen' });
            await srv.request({ op: 'listen', name: `l${k}`, family: 4, host: '127.0.0.1', port });
          } else if (step === 1) {
            actions.push({ at, what: 'connect' });
            await cli.request({ op: 'connect', name: `c${k}`, family: 4, host: '127.0.0.1', port: 5800 + ((k - 1) % 50), wait: true });
          } else if (step === 2) {
            actions.push({ at, what: 'accept' });
            await srv.request({ op: 'accept', name: `s${k}`, listener: `l${k - 2}` });
          } else {
            actions.push({ at, what: 'close (client, then server and listener)' });
            await cli.request({ op: 'close', name: `c${k - 2}` });
            await sleep(500);
            await srv.request({ op: 'close', name: `s${k - 1}` });
            await srv.request({ op: 'close', name: `l${k - 3}` });
          }
        }
      };
      let driving: Promise<void> = Promise.resolve();
      const lat = await runLoop(ns, ['--pids', pids], () => (driving = drive()));
      stop = true;
      await driving;
      rows.push(summary('events every 1.5-2.5 s (latency run)', lat));
      // Seen: the probe round that asked for the read; known: that full read done. From the action's start (the
      // request to the holder), so the figures include the holder's IPC and are upper bounds.
      const seen: number[] = [];
      const known: number[] = [];
      const byWhat = new Map<string, number[]>();
      for (const a of actions) {
        const t = lat.triggers.find((x) => x.why !== 'heartbeat' && x.seen >= a.at);
        if (!t) continue;
        seen.push(t.seen - a.at);
        known.push(t.done - a.at);
        byWhat.set(a.what, [...(byWhat.get(a.what) ?? []), t.seen - a.at]);
      }
      const q = (xs: number[]): string => `p50 ${quantile(xs, 0.5).toFixed(0)}, p95 ${quantile(xs, 0.95).toFixed(0)}, max ${Math.max(...xs).toFixed(0)} ms`;
      console.log(`latency from the action's start, ${seen.length} of ${actions.length} events matched: seen by the probe ${q(seen)}; known (its full read done) ${q(known)}`);
      for (const [what, d] of byWhat) console.log(`  seen, ${what}: n=${d.length}, ${q(d)}`);
    } finally {
      await ns.dispose();
      await remote.dispose();
    }
  } else {
    console.log(`(no private namespace: ${support.reason}; host namespace only)`);
  }

  // Host namespace: the same UI-like traffic on loopback, among whatever else this machine runs.
  const server = createServer((s) => s.on('data', (d) => s.write(d)).on('error', () => {}));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const client: Socket = connect((server.address() as { port: number }).port, '127.0.0.1');
  client.on('error', () => {});
  client.on('data', () => {});
  const ui = setInterval(() => client.write(Buffer.alloc(64, 117)), 250);
  await new Promise<void>((r) => client.once('connect', () => r()));
  rows.push(summary('UI traffic, host namespace (shared machine)', await runLoop(null, ['--pids', String(process.pid)])));
  clearInterval(ui);
  client.destroy();
  server.close();

  console.log('\n| scenario | probe period ms | heartbeat | triggered full reads / min | heartbeat reads / min | probes with segments only | loop CPU ms/s (all) | CPU ms per full read | wall ms per full read (median) |');
  console.log('|---|---|---|---|---|---|---|---|---|');
  for (const r of rows) console.log(r);
  console.log(`\n${SECONDS} s per scenario after ${WARMUP_S} s; Linux ${readFileSync('/proc/sys/kernel/osrelease', 'latin1').trim()}, Node ${process.version}, load ${readFileSync('/proc/loadavg', 'latin1').split(' ').slice(0, 3).join(' ')}`);
}

void (args.includes('--inside') ? inside() : outside()).catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
