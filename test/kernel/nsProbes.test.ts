// Change-triggered reads per network namespace, for real (root): the extension's sampler loop (SamplerHost and the
// worker, dist/samplerWorker.js) runs inside a private namespace of its own where nothing happens, with a heartbeat
// of a minute; a server in another namespace (the workspace's, an `ip netns` one) opens a connection. The worker
// probes that namespace's counters through its process (/proc/<pid>/net/sockstat, snmp), so the connection is read
// within a probe period and a read, not at the heartbeat; and that read reads only the namespace that moved (ours
// keeps its last rows). A heartbeat reads every namespace. Only loopback traffic, inside namespaces removed after.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import type { ProbeReading } from '../../src/domain/changeTrigger';
import { NetNamespace, netnsSupport, type SocketHolder } from '../common/netns';
import type { LoopLine } from '../common/netnsLoopMain';
import { waitFor } from '../common/wait';

const support = netnsSupport();
const skip = support.ok ? false : `needs ${support.reason}`;
const runner = join(__dirname, '..', 'common', 'netnsLoopMain.js');
const cliPath = join(__dirname, '..', '..', '..', 'dist', 'cli.js');

const spaces: NetNamespace[] = [];
after(async () => {
  for (const ns of spaces) await ns.dispose();
});

interface Loop {
  lines: LoopLine[];
  child: ChildProcess;
  changeDriven(): Promise<boolean>;
}

/** The loop in `home`, the workspace scope rooted at `rootPid` (a process of another namespace). */
function startLoop(home: NetNamespace, heartbeatMs: number, rootPid: number): Loop {
  const child = home.spawn(process.execPath, [runner, String(heartbeatMs), 'full', 'live', `workspace:${rootPid}`]);
  const lines: LoopLine[] = [];
  const waiting: ((changeDriven: boolean) => void)[] = [];
  createInterface({ input: child.stdout! }).on('line', (l) => {
    const m = JSON.parse(l) as LoopLine | { kind: 'stats'; loop: { changeDriven: boolean } };
    if (m.kind === 'sampled') lines.push(m);
    else waiting.shift()?.(m.loop.changeDriven);
  });
  child.stderr!.on('data', (d) => process.stderr.write(d));
  return {
    lines,
    child,
    changeDriven: () =>
      new Promise<boolean>((resolve) => {
        waiting.push(resolve);
        child.stdin!.write('stats\n');
      }),
  };
}

async function connectInside(server: SocketHolder, port: number): Promise<void> {
  await server.request({ op: 'listen', name: `l${port}`, family: 4, host: '127.0.0.1', port });
  await server.request({ op: 'connect', name: `c${port}`, family: 4, host: '127.0.0.1', port });
  await server.request({ op: 'accept', name: `a${port}`, listener: `l${port}` });
}

const established = (l: LoopLine, port: number): boolean => l.rows.some((r) => r.startsWith('ESTABLISHED ') && r.includes(`127.0.0.1:${port} `));

test('a connection in another namespace is read within ~a probe period, with a heartbeat of a minute and nothing moving in ours; only that namespace is read again', { skip, timeout: 120_000 }, async () => {
  const home = NetNamespace.create('tcpsv-home');
  spaces.push(home);
  const work = NetNamespace.create('tcpsv-work');
  spaces.push(work);
  const server = await work.startHolder('server');
  const loop = startLoop(home, 60_000, server.pid);
  // The first read takes in the server's namespace (it holds no socket yet: known empty by its counters).
  await waitFor('the first read, with the server`s namespace', () => loop.lines.some((l) => l.namespaces === 2), 20_000);
  await waitFor('the loop to read on change', () => loop.changeDriven(), 10_000);
  const before = loop.lines.length;

  const t0 = Date.now();
  await connectInside(server, 7301);
  const seen = await waitFor('the connection in the other namespace', () => loop.lines.slice(before).find((l) => established(l, 7301)), 5000);
  const latency = seen.at - t0;
  process.stdout.write(`# read ${latency} ms after the connection was made (probe period 250 ms, heartbeat 60 s)\n`);
  assert.ok(latency < 2000, `read within 2 s, not at the heartbeat (${latency} ms)`);
  assert.equal(seen.namespaces, 2);
  assert.equal(seen.kept, 1, 'our own namespace (nothing moved there) kept its rows: only the server`s was read again');
  const rows = seen.rows.filter((r) => r.includes(':7301'));
  assert.equal(rows.filter((r) => r.startsWith('ESTABLISHED ')).length, 2, `both ends: ${rows.join('; ')}`);
  assert.ok(rows.some((r) => r.startsWith('LISTEN 127.0.0.1:7301 ')), `the listener: ${rows.join('; ')}`);
  loop.child.stdin!.end();
});

test('the heartbeat reads every namespace: after a read of the moved one only and then data (segments only), the next heartbeat keeps none', { skip, timeout: 120_000 }, async () => {
  const home = NetNamespace.create('tcpsv-home');
  spaces.push(home);
  const work = NetNamespace.create('tcpsv-work');
  spaces.push(work);
  const server = await work.startHolder('server');
  const heartbeatMs = 3000;
  const loop = startLoop(home, heartbeatMs, server.pid);
  await waitFor('the first read, with the server`s namespace', () => loop.lines.some((l) => l.namespaces === 2), 20_000);
  await waitFor('the loop to read on change', () => loop.changeDriven(), 10_000);
  const before = loop.lines.length;
  await connectInside(server, 7302);
  const changeRead = await waitFor('the change read', () => loop.lines.slice(before).find((l) => established(l, 7302)), 5000);
  assert.equal(changeRead.kept, 1, 'a read the probes asked for: ours kept');
  const i = loop.lines.indexOf(changeRead);
  // Data on the connection moves segment counters only (no read of its own): the heartbeat is then not skipped,
  // and it reads both namespaces.
  await server.request({ op: 'send', name: 'c7302', bytes: 100 });
  const heartbeat = await waitFor('the next heartbeat', () => loop.lines.slice(i + 1).find((l) => l.kept === 0), heartbeatMs * 3);
  assert.equal(heartbeat.namespaces, 2);
  assert.ok(established(heartbeat, 7302));
  loop.child.stdin!.end();
});

test('the CLI`s watch, run in a quiet namespace with --interval 60000, reports a connection made in another namespace within ~a probe period', { skip, timeout: 120_000 }, async (t) => {
  const home = NetNamespace.create('tcpsv-home');
  spaces.push(home);
  const work = NetNamespace.create('tcpsv-work');
  spaces.push(work);
  const server = await work.startHolder('server');
  await server.request({ op: 'listen', name: 'l', family: 4, host: '127.0.0.1', port: 7303 });
  const watch = home.spawn(process.execPath, [cliPath, 'watch', '--json', '--interval', '60000', '--pid', String(server.pid)]);
  t.after(() => watch.kill('SIGKILL'));
  const lines: { local: string; remote: string; from: string; to: string; at?: string }[] = [];
  createInterface({ input: watch.stdout! }).on('line', (l) => lines.push(JSON.parse(l)));
  let stderr = '';
  watch.stderr!.on('data', (d) => (stderr += d));
  // Its first read only establishes what exists, and when it is taken is not known here: a connection made before
  // it is never reported. So connections are made until one is; the one reported must come within 2 s.
  const reported = (p: number) => lines.some((l) => l.local === `127.0.0.1:${p}` && l.to === 'ESTABLISHED');
  let latency = -1;
  for (let i = 0; i < 3 && latency < 0; i++) {
    const t0 = Date.now();
    const c = await server.request({ op: 'connect', name: `c${i}`, family: 4, host: '127.0.0.1', port: 7303 });
    await server.request({ op: 'accept', name: `a${i}`, listener: 'l' });
    const local = c.local?.[1] ?? 0;
    assert.ok(local > 0, `the client's port: ${JSON.stringify(c)}`);
    for (let j = 0; j < 25 && !reported(local); j++) await new Promise((r) => setTimeout(r, 100));
    if (reported(local)) latency = Date.now() - t0;
  }
  process.stdout.write(`# watch reported it within ${latency} ms\n`);
  assert.ok(latency >= 0, `watch reported one of the connections within 2.5 s (--interval 60000): ${stderr} ${JSON.stringify(lines)}`);
  assert.ok(latency < 2000, `${latency} ms`);
});

test('as an unprivileged user, a root process`s namespace is probed through its world-readable files; its exit makes the probe say so', { skip, timeout: 60_000 }, async (t) => {
  const NOBODY = 65534;
  const work = NetNamespace.create('tcpsv-root');
  spaces.push(work);
  const server = await work.startHolder('server');
  // A copy of the bundle anyone can read (the build folder may not be).
  const dir = mkdtempSync(join(tmpdir(), 'tcpsv-probe-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  chmodSync(dir, 0o755);
  const main = join(dir, 'probe.js');
  copyFileSync(join(__dirname, '..', 'common', 'changeProbeMain.js'), main);
  chmodSync(main, 0o644);
  const denied = spawnSync('/bin/readlink', [`/proc/${server.pid}/ns/net`], { uid: NOBODY, gid: NOBODY });
  assert.notEqual(denied.status, 0, 'the root process`s namespace link is closed to nobody');
  const probe = spawn(process.execPath, [main, String(server.pid)], { uid: NOBODY, gid: NOBODY, stdio: ['pipe', 'pipe', 'inherit'] });
  t.after(() => probe.kill('SIGKILL'));
  const readings = createInterface({ input: probe.stdout! })[Symbol.asyncIterator]();
  const next = async (): Promise<ProbeReading> => JSON.parse((await readings.next()).value as string) as ProbeReading;
  const first = await next();
  assert.ok(first.available, `readable as nobody: ${JSON.stringify(first)}`);
  await server.request({ op: 'listen', name: 'l', family: 4, host: '127.0.0.1', port: 7304 });
  probe.stdin!.write('read\n');
  const second = await next();
  assert.ok(second.available);
  assert.equal(second.tcpInuse, first.tcpInuse + 1, 'the listener counted: the namespace`s own counters');
  await work.dispose();
  probe.stdin!.write('read\n');
  const gone = await next();
  assert.equal(gone.available, false);
  if (!gone.available) assert.match(gone.reason, /gone/);
  probe.stdin!.end();
});
