// Which socket event moves which kernel counter: the measurement behind src/domain/changeTrigger.ts.
//   node scripts/build.mjs --tests && sudo node out/bench/probes/events.js [--fixtures DIR] [--tw-expiry]
// Root only: everything happens in two private network namespaces, so no other process's sockets move the
// counters. "local" is the namespace the probe watches (through /proc/<pid>/net of a process inside it);
// "remote" is a second namespace joined to it by a veth pair, i.e. a peer on another host, whose own state
// changes are not counted in the local namespace. Loopback events have both ends in "local".
// Each event: a probe reading (src/sampling/changeProbe.ts) and an fd-set reading of the two local processes,
// the action, 150 ms to settle (or until `ss` shows the state the action leads to), the readings again. TcpExt
// fields of /proc/<pid>/net/netstat that moved are shown too (not part of the probe: none of them is needed).
// --fixtures DIR writes DIR/events.json (every event's readings) and DIR/ui-traffic.json (60 readings 250 ms
// apart while a connection carries a 64-byte message and its echo every 250 ms, over loopback and over veth).
// --tw-expiry also waits (up to 70 s) for the first TIME-WAIT socket to expire.
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ChangeProbe, FdSetProbe } from '../../src/sampling/changeProbe';
import { COUNT_FIELDS, SEGMENT_FIELDS, fdSetChanged, needsFullRead, type FdSignature, type ProbeCounters, type ProbeReading } from '../../src/domain/changeTrigger';
import { NetNamespace, linkVeth, netnsSupport, sleep, waitForStates, type SocketHolder } from '../../test/common/netns';

const args = process.argv.slice(2);
const fixturesDir = args.includes('--fixtures') ? args[args.indexOf('--fixtures') + 1] : null;
const twExpiry = args.includes('--tw-expiry');

const LOCAL = '10.231.0.1';
const REMOTE = '10.231.0.2';

export interface RecordedEvent {
  id: string;
  label: string;
  path: 'loopback' | 'veth' | 'timer';
  before: ProbeReading;
  after: ProbeReading;
  fdBefore: FdSignature[];
  fdAfter: FdSignature[];
}

function tcpExt(pid: number): Map<string, number> {
  const lines = readFileSync(`/proc/${pid}/net/netstat`, 'latin1').split('\n');
  const m = new Map<string, number>();
  for (let i = 0; i + 1 < lines.length; i += 2) {
    const h = lines[i].split(' ');
    const v = lines[i + 1].split(' ');
    if (h[0] !== 'TcpExt:') continue;
    for (let k = 1; k < h.length; k++) m.set(h[k], Number(v[k]));
  }
  return m;
}

function counters(r: ProbeReading): ProbeCounters {
  if (!r.available) throw new Error(`probe unavailable: ${r.reason}`);
  return r;
}

function deltas(a: ProbeReading, b: ProbeReading, fields: readonly (keyof ProbeCounters)[]): string {
  const x = counters(a);
  const y = counters(b);
  return fields
    .filter((f) => x[f] !== y[f])
    .map((f) => `${f} ${y[f] - x[f] > 0 ? '+' : ''}${y[f] - x[f]}`)
    .join(', ');
}

async function main(): Promise<void> {
  const support = netnsSupport();
  if (!support.ok) {
    console.error(`events bench needs network namespaces: ${support.reason}`);
    process.exit(2);
  }
  const local = NetNamespace.create('tcpsv-ev');
  const remote = NetNamespace.create('tcpsv-er');
  try {
    linkVeth(local, remote, LOCAL, REMOTE);
    const srv = await local.startHolder('server');
    const cli = await local.startHolder('client');
    const rem = await remote.startHolder('remote');
    const probe = new ChangeProbe({ procRoot: `/proc/${srv.pid}/net` });
    const fdProbe = new FdSetProbe();
    const pids = [srv.pid, cli.pid];
    const recorded: RecordedEvent[] = [];
    const table: string[][] = [];

    const ev = async (id: string, label: string, path: RecordedEvent['path'], action: () => Promise<unknown>, settle?: () => Promise<unknown>): Promise<void> => {
      const ext0 = tcpExt(srv.pid);
      const fdBefore = fdProbe.read(pids);
      const before = probe.read();
      await action();
      await (settle ? settle() : sleep(150));
      const after = probe.read();
      const fdAfter = fdProbe.read(pids);
      const ext1 = tcpExt(srv.pid);
      recorded.push({ id, label, path, before, after, fdBefore, fdAfter });
      const ext = [...ext1].filter(([k, v]) => v !== ext0.get(k)).map(([k, v]) => `${k} ${v - (ext0.get(k) ?? 0) > 0 ? '+' : ''}${v - (ext0.get(k) ?? 0)}`);
      const d = needsFullRead(before, after);
      const fd = fdSetChanged(fdBefore, fdAfter);
      const sockstatOnly = deltas(before, after, ['tcpOrphan', 'tcpAlloc']);
      table.push([label, path, deltas(before, after, COUNT_FIELDS) || '-', deltas(before, after, SEGMENT_FIELDS) || '-', sockstatOnly || '-', ext.join(', ') || '-', fd.changed ? fd.reason : '-', d.full ? 'full' : d.trigger]);
      console.log(`${label} [${path}]: count ${table.at(-1)![2]} | segments ${table.at(-1)![3]} | host-wide ${table.at(-1)![4]} | TcpExt ${table.at(-1)![5]} | fd ${table.at(-1)![6]} | rule: ${table.at(-1)![7]}`);
    };
    const req = (h: SocketHolder, r: Parameters<SocketHolder['request']>[0]) => () => h.request(r);

    // --- UI traffic first, while no TIME-WAIT socket of the events below can expire during it: a 64-byte message
    // and its echo every 250 ms on one connection; 60 readings 250 ms apart.
    const series: Record<string, ProbeReading[]> = {};
    await srv.request({ op: 'listen', name: 'lu', family: 4, host: '0.0.0.0', port: 5401 });
    for (const [path, holder, host] of [
      ['loopback', cli, '127.0.0.1'],
      ['veth', rem, LOCAL],
    ] as const) {
      await holder.request({ op: 'connect', name: `u-${path}`, family: 4, host, port: 5401, wait: true });
      await srv.request({ op: 'accept', name: `su-${path}`, listener: 'lu' });
      await srv.request({ op: 'echo', name: `su-${path}` });
      await holder.request({ op: 'exchange', name: `u-${path}`, everyMs: 250, seconds: 16, bytes: 64 });
      await sleep(300);
      const readings: ProbeReading[] = [];
      for (let i = 0; i < 60; i++) {
        readings.push(probe.read());
        await sleep(250);
      }
      series[path] = readings;
      let full = 0;
      let segments = 0;
      for (let i = 1; i < readings.length; i++) {
        const d = needsFullRead(readings[i - 1], readings[i]);
        if (d.full) full++;
        if (d.trigger === 'segments') segments++;
      }
      const c0 = counters(readings[0]);
      const c1 = counters(readings[readings.length - 1]);
      console.log(`UI traffic over ${path}: ${readings.length - 1} probe intervals, full reads triggered ${full}, segments-only ${segments}; InSegs +${c1.inSegs - c0.inSegs}, OutSegs +${c1.outSegs - c0.outSegs} in ${((readings.length - 1) * 0.25).toFixed(2)} s`);
      await sleep(1000);
    }

    // --- Loopback: both ends in the watched namespace.
    await ev('listen-v4', 'listen() IPv4', 'loopback', req(srv, { op: 'listen', name: 'l4', family: 4, host: '127.0.0.1', port: 5101 }));
    await ev('listen-v6', 'listen() IPv6', 'loopback', req(srv, { op: 'listen', name: 'l6', family: 6, host: '::1', port: 5102 }));
    await ev('connect-v4', 'connect() completes the handshake (not yet accepted)', 'loopback', req(cli, { op: 'connect', name: 'c1', family: 4, host: '127.0.0.1', port: 5101, wait: true }));
    await ev('accept-v4', 'accept()', 'loopback', req(srv, { op: 'accept', name: 's1', listener: 'l4' }));
    await ev('data-v4', '100 bytes sent and read', 'loopback', async () => {
      await cli.request({ op: 'send', name: 'c1', bytes: 100 });
      await sleep(20);
      await srv.request({ op: 'recv', name: 's1' });
    });
    await ev('close-client-v4', 'client close() (client FIN-WAIT-2, server CLOSE-WAIT)', 'loopback', req(cli, { op: 'close', name: 'c1' }));
    await ev('close-closewait-v4', 'server close() of its CLOSE-WAIT (LAST-ACK, CLOSED; client TIME-WAIT)', 'loopback', req(srv, { op: 'close', name: 's1' }));
    await ev('connect-v6', 'connect() IPv6', 'loopback', req(cli, { op: 'connect', name: 'c2', family: 6, host: '::1', port: 5102, wait: true }));
    await ev('accept-v6', 'accept() IPv6', 'loopback', req(srv, { op: 'accept', name: 's2', listener: 'l6' }));
    await ev('close-server-v6', 'server close() first (server FIN-WAIT-2, client CLOSE-WAIT)', 'loopback', req(srv, { op: 'close', name: 's2' }));
    await ev('close-closewait-v6', 'client close() of its CLOSE-WAIT (server TIME-WAIT)', 'loopback', req(cli, { op: 'close', name: 'c2' }));
    await cli.request({ op: 'connect', name: 'c3', family: 4, host: '127.0.0.1', port: 5101, wait: true });
    await srv.request({ op: 'accept', name: 's3', listener: 'l4' });
    await ev('abort-v4', 'client close() with SO_LINGER 0 (RST)', 'loopback', req(cli, { op: 'abort', name: 'c3' }));
    await srv.request({ op: 'close', name: 's3' });
    await ev('refused-v4', 'connect() to a closed port (RST back)', 'loopback', req(cli, { op: 'connect', name: 'c4', family: 4, host: '127.0.0.1', port: 5199, wait: false }));
    await cli.request({ op: 'close', name: 'c4' });
    await ev('close-listener-v6', 'close() of a listener', 'loopback', req(srv, { op: 'close', name: 'l6' }));

    // --- veth: the peer is in the other namespace (another host, as far as the counters go).
    await ev('listen-veth', 'listen() on the veth address', 'veth', req(srv, { op: 'listen', name: 'lv', family: 4, host: LOCAL, port: 5201 }));
    await ev('remote-connect', 'remote peer connects (handshake; not yet accepted)', 'veth', req(rem, { op: 'connect', name: 'r1', family: 4, host: LOCAL, port: 5201, wait: true }));
    await ev('remote-accept', 'accept() of it', 'veth', req(srv, { op: 'accept', name: 'v1', listener: 'lv' }));
    await ev('remote-data', 'remote peer sends 100 bytes, read', 'veth', async () => {
      await rem.request({ op: 'send', name: 'r1', bytes: 100 });
      await sleep(20);
      await srv.request({ op: 'recv', name: 'v1' });
    });
    await ev('local-data', 'local side sends 100 bytes', 'veth', req(srv, { op: 'send', name: 'v1', bytes: 100 }));
    await ev('remote-fin', 'remote FIN: ESTABLISHED -> CLOSE-WAIT, no local action', 'veth', req(rem, { op: 'shutdown', name: 'r1' }), () =>
      waitForStates(local, [{ local: { address: LOCAL, port: 5201 }, remote: { address: REMOTE, port: 0 }, state: 'CLOSE-WAIT' }]).catch(() => sleep(300)),
    );
    await ev('local-close-closewait', 'local close() of the CLOSE-WAIT (LAST-ACK, CLOSED)', 'veth', req(srv, { op: 'close', name: 'v1' }));
    await rem.request({ op: 'close', name: 'r1' });
    await rem.request({ op: 'connect', name: 'r2', family: 4, host: LOCAL, port: 5201, wait: true });
    await srv.request({ op: 'accept', name: 'v2', listener: 'lv' });
    await ev('local-close', 'local close() first (FIN-WAIT-1 -> FIN-WAIT-2)', 'veth', req(srv, { op: 'close', name: 'v2' }));
    await ev('remote-fin-finwait2', 'remote close(): local FIN-WAIT-2 -> TIME-WAIT', 'veth', req(rem, { op: 'close', name: 'r2' }));
    await rem.request({ op: 'connect', name: 'r3', family: 4, host: LOCAL, port: 5201, wait: true });
    await srv.request({ op: 'accept', name: 'v3', listener: 'lv' });
    await ev('remote-rst', 'remote RST on an ESTABLISHED connection', 'veth', req(rem, { op: 'abort', name: 'r3' }));
    await srv.request({ op: 'close', name: 'v3' });
    await rem.request({ op: 'listen', name: 'rl', family: 4, host: REMOTE, port: 5301 });
    await ev('local-connect-remote', 'local connect() to the remote host', 'veth', req(cli, { op: 'connect', name: 'o1', family: 4, host: REMOTE, port: 5301, wait: true }));

    if (twExpiry) {
      // TIME-WAIT lasts TCP_TIMEWAIT_LEN (60 s, include/net/tcp.h); the first ones were made above.
      const t0 = Date.now();
      let prev = probe.read();
      let prevFd = fdProbe.read(pids);
      while (Date.now() - t0 < 70_000) {
        await sleep(250);
        const next = probe.read();
        const nextFd = fdProbe.read(pids);
        if (counters(next).tcpTw < counters(prev).tcpTw) {
          recorded.push({ id: 'tw-expiry', label: 'a TIME-WAIT socket expires', path: 'timer', before: prev, after: next, fdBefore: prevFd, fdAfter: nextFd });
          const d = needsFullRead(prev, next);
          table.push(['TIME-WAIT expires (60 s)', 'timer', deltas(prev, next, COUNT_FIELDS) || '-', deltas(prev, next, SEGMENT_FIELDS) || '-', deltas(prev, next, ['tcpOrphan', 'tcpAlloc']) || '-', '(not read)', '-', d.full ? 'full' : d.trigger]);
          console.log(`TIME-WAIT expiry after ${((Date.now() - t0) / 1000).toFixed(1)} s: ${table.at(-1)![2]}`);
          break;
        }
        prev = next;
        prevFd = nextFd;
      }
    }

    console.log('\n| event | path | count-like fields moved | segment fields moved | host-wide (orphan, alloc) | TcpExt moved | fd-set probe | rule |');
    console.log('|---|---|---|---|---|---|---|---|');
    for (const r of table) console.log(`| ${r.join(' | ')} |`);

    if (fixturesDir) {
      mkdirSync(fixturesDir, { recursive: true });
      const meta = {
        captured: new Date().toISOString(),
        kernel: readFileSync('/proc/sys/kernel/osrelease', 'latin1').trim(),
        node: process.version,
        how: 'sudo node out/bench/probes/events.js --fixtures test/unit/fixtures/probes --tw-expiry (bench/probes/events.ts): two private network namespaces joined by veth; ChangeProbe on /proc/<pid>/net of a process in "local"; FdSetProbe on the two local socket-holding processes',
      };
      writeFileSync(join(fixturesDir, 'events.json'), JSON.stringify({ ...meta, events: recorded }, null, 1) + '\n');
      writeFileSync(join(fixturesDir, 'ui-traffic.json'), JSON.stringify({ ...meta, periodMs: 250, messageEveryMs: 250, messageBytes: 64, series }, null, 1) + '\n');
      console.log(`wrote ${join(fixturesDir, 'events.json')} and ui-traffic.json`);
    }
    probe.close();
    fdProbe.close();
  } finally {
    await local.dispose();
    await remote.dispose();
  }
}

void main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
