// ChangeProbe + the trigger rule (src/sampling/changeProbe.ts, src/domain/changeTrigger.ts) against the real kernel:
// each socket event must ask for a full read within one probe period, and a connection that only carries data must
// never ask for one. Two variants:
//   - this process's own namespace (/proc/self/net), any user: the sockets are this process's own (node:net).
//     Other jobs on the host move the same counters, so here only "the event asks for a full read" is asserted
//     (noise can only add changes, never hide ours);
//   - as root, a private network namespace (test/common/netns.ts) read through /proc/<pid>/net of a process inside
//     it: nothing else lives there, so exact counter moves, "data never triggers", accept() seen by the fd-set probe
//     only, and a remote FIN (a peer in a second namespace, joined by veth) are asserted too.
// The only time bound is the probe period (250 ms, the period recommended for the sampler) after the action has
// completed; the kernel updates these counters in the same call that changes the socket's state.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { ChangeProbe, FdSetProbe } from '../../src/sampling/changeProbe';
import { fdSetChanged, needsFullRead, type FdSignature, type ProbeCounters, type ProbeReading, type TriggerDecision } from '../../src/domain/changeTrigger';
import { NetNamespace, linkVeth, netnsSupport, sleep, waitForStates, type SocketHolder } from '../common/netns';

const PERIOD_MS = 250;
const support = netnsSupport();
const rootSkip = support.ok ? false : support.reason;

const [kMajor, kMinor] = readFileSync('/proc/sys/kernel/osrelease', 'latin1').split('.').map(Number);
const kernelAtLeast = (major: number, minor: number): boolean => kMajor > major || (kMajor === major && kMinor >= minor);

function counters(r: ProbeReading): ProbeCounters {
  assert.ok(r.available, r.available ? '' : r.reason);
  return r;
}

/** Reads until the rule asks for a full read or one probe period has passed since the action completed. */
async function decisionWithin(probe: ChangeProbe, before: ProbeReading): Promise<{ decision: TriggerDecision; after: ProbeReading }> {
  const deadline = performance.now() + PERIOD_MS;
  for (;;) {
    const after = probe.read();
    const decision = needsFullRead(before, after);
    if (decision.full || performance.now() >= deadline) return { decision, after };
    await sleep(10);
  }
}

/** The first reading equal to the one 50 ms before it: the event's follow-on transitions are done. */
async function settled(probe: ChangeProbe): Promise<ProbeCounters> {
  let prev = counters(probe.read());
  for (let i = 0; i < 40; i++) {
    await sleep(50);
    const next = counters(probe.read());
    if ((Object.keys(next) as (keyof ProbeCounters)[]).every((k) => k === 'tcpOrphan' || k === 'tcpAlloc' || next[k] === prev[k])) return next;
    prev = next;
  }
  return prev;
}

/**
 * Runs action and asserts the rule asked for a full read within one probe period. Returns the reading before and
 * the settled reading after (an event can go on moving counters after the first change: a close() is counted
 * when the socket leaves ESTABLISHED, and again when the peer's ACK turns the orphan into a timewait socket).
 */
async function expectFull(probe: ChangeProbe, what: string, action: () => Promise<unknown>): Promise<{ before: ProbeCounters; after: ProbeCounters; decision: TriggerDecision }> {
  const before = probe.read();
  await action();
  const { decision } = await decisionWithin(probe, before);
  assert.equal(decision.full, true, `${what}: no full read asked within ${PERIOD_MS} ms (${decision.reason})`);
  return { before: counters(before), after: await settled(probe), decision };
}

const once = <T>(emitter: { once(ev: string, f: (v: T) => void): unknown }, ev: string): Promise<T> => new Promise((r) => emitter.once(ev, r));

test('own namespace: listen, connect + accept, close by either side, peer FIN, RST each ask for a full read', async (t) => {
  const probe = new ChangeProbe();
  const fdProbe = new FdSetProbe();
  assert.equal(probe.available, true);
  const servers: Server[] = [];
  const sockets: Socket[] = [];
  t.after(() => {
    for (const s of sockets) s.destroy();
    for (const s of servers) s.close();
    probe.close();
    fdProbe.close();
  });
  const accepted: Socket[] = [];
  const server = createServer({ allowHalfOpen: true }, (s) => {
    s.on('error', () => {});
    accepted.push(s);
    sockets.push(s);
  });
  servers.push(server);
  await expectFull(probe, 'listen()', () => new Promise<void>((r) => server.listen(0, '127.0.0.1', r)));
  const port = (server.address() as { port: number }).port;

  const dial = async (): Promise<{ client: Socket; peer: Socket }> => {
    const n = accepted.length;
    const client = connect({ host: '127.0.0.1', port, allowHalfOpen: true });
    client.on('error', () => {});
    sockets.push(client);
    await once(client, 'connect');
    while (accepted.length === n) await sleep(5);
    return { client, peer: accepted[accepted.length - 1] };
  };

  // Node accepts at once (libuv), so connect() and accept() are one event here; the fd-set probe of this process
  // sees the two new socket fds.
  const fd0 = fdProbe.read([process.pid]);
  let pair!: { client: Socket; peer: Socket };
  await expectFull(probe, 'connect() + accept()', async () => (pair = await dial()));
  assert.equal(fdSetChanged(fd0, fdProbe.read([process.pid])).changed, true);

  // Peer FIN: the client half-closes; the server side goes ESTABLISHED -> CLOSE-WAIT. On loopback the client's own
  // ESTABLISHED -> FIN-WAIT-1 moves CurrEstab in this namespace.
  await expectFull(probe, 'peer FIN (server to CLOSE-WAIT)', async () => {
    pair.client.end();
    await once(pair.peer, 'end');
  });
  await expectFull(probe, 'close of the CLOSE-WAIT side', async () => {
    pair.peer.end();
    await once(pair.client, 'close');
  });

  const second = await dial();
  await expectFull(probe, 'server closes first', async () => {
    second.peer.end();
    await once(second.client, 'end');
  });
  await expectFull(probe, 'client closes its CLOSE-WAIT', async () => {
    second.client.end();
    await once(second.peer, 'close');
  });

  const third = await dial();
  await expectFull(probe, 'RST (resetAndDestroy)', async () => {
    third.client.resetAndDestroy();
    await once(third.peer, 'close');
  });

  await expectFull(probe, 'close of the listener', () => new Promise<void>((r) => server.close(() => r())));
});

test('own namespace: the fd-set probe counts fds by the folder size on Linux >= 6.2, and a file is not a socket', async (t) => {
  const fdProbe = new FdSetProbe();
  t.after(() => fdProbe.close());
  if (kernelAtLeast(6, 2)) assert.equal(fdProbe.countBy, 'size');
  const a = fdProbe.read([process.pid]);
  const file = openSync('/dev/null', 'r');
  const b = fdProbe.read([process.pid]);
  assert.equal(b[0].fds, a[0].fds + 1, 'one more fd');
  assert.equal(b[0].sockets, a[0].sockets);
  assert.equal(fdSetChanged(a, b).changed, false, 'a file opened is not a socket change');
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const c = fdProbe.read([process.pid]);
  assert.equal(c[0].sockets, b[0].sockets + 1);
  assert.equal(fdSetChanged(b, c).changed, true, 'a listening socket opened');
  // Closing the file and the socket between two reads moves the count by 2: stage 2 runs and sees the socket go.
  // (A socket closed and a file opened between two reads leave the count alone and are not seen: the namespace
  // counters or the heartbeat have to catch that one.)
  closeSync(file);
  await new Promise<void>((r) => server.close(() => r()));
  const d = fdProbe.read([process.pid]);
  assert.equal(fdSetChanged(c, d).changed, true, 'and gone again');
  assert.equal(d[0].fds, a[0].fds);
});

/** A private namespace with two socket holders, and a second namespace (a remote host) joined by veth. */
async function world(t: { after(fn: () => Promise<void>): void }): Promise<{ ns: NetNamespace; remoteNs: NetNamespace; srv: SocketHolder; cli: SocketHolder; rem: SocketHolder; probe: ChangeProbe; fd: FdSetProbe }> {
  const ns = NetNamespace.create('tcpsv-cp');
  const remoteNs = NetNamespace.create('tcpsv-cr');
  const probes: { close(): void }[] = [];
  t.after(async () => {
    for (const p of probes) p.close();
    await ns.dispose();
    await remoteNs.dispose();
  });
  linkVeth(ns, remoteNs, '10.232.0.1', '10.232.0.2');
  const srv = await ns.startHolder('server');
  const cli = await ns.startHolder('client');
  const rem = await remoteNs.startHolder('remote');
  const probe = new ChangeProbe({ procRoot: `/proc/${srv.pid}/net` });
  const fd = new FdSetProbe();
  probes.push(probe, fd);
  return { ns, remoteNs, srv, cli, rem, probe, fd };
}

const delta = (a: ProbeCounters, b: ProbeCounters, f: keyof ProbeCounters): number => b[f] - a[f];

test('private namespace: each event moves exactly the counters measured, read through /proc/<pid>/net', { skip: rootSkip, timeout: 60_000 }, async (t) => {
  const { ns, srv, cli, probe, fd } = await world(t);
  const pids = [srv.pid, cli.pid];
  const first = counters(probe.read());
  assert.deepEqual([first.tcpInuse, first.tcp6Inuse, first.tcpTw, first.currEstab, first.activeOpens], [0, 0, 0, 0, 0], 'a new namespace starts empty');

  let r = await expectFull(probe, 'listen()', () => srv.request({ op: 'listen', name: 'l', family: 4, host: '127.0.0.1', port: 5501 }));
  assert.equal(delta(r.before, r.after, 'tcpInuse'), 1);
  r = await expectFull(probe, 'listen() IPv6', () => srv.request({ op: 'listen', name: 'l6', family: 6, host: '::1', port: 5502 }));
  assert.equal(delta(r.before, r.after, 'tcp6Inuse'), 1);

  let clientPort = 0;
  r = await expectFull(probe, 'connect()', async () => (clientPort = (await cli.request({ op: 'connect', name: 'c', family: 4, host: '127.0.0.1', port: 5501, wait: true })).local![1]));
  assert.deepEqual(
    (['activeOpens', 'passiveOpens', 'currEstab', 'tcpInuse'] as const).map((f) => delta(r.before, r.after, f)),
    [1, 1, 2, 2],
  );

  // accept(): the connection is already in the table (the kernel made the child at the handshake); only the
  // accepting process's fd set changes.
  const fdBefore: FdSignature[] = fd.read(pids);
  const beforeAccept = probe.read();
  await srv.request({ op: 'accept', name: 's', listener: 'l' });
  const afterAccept = probe.read();
  assert.equal(needsFullRead(beforeAccept, afterAccept).full, false, 'accept() moves no namespace counter');
  const fdAfter = fd.read(pids);
  assert.deepEqual(fdSetChanged(fdBefore, fdAfter), { changed: true, reason: `pid ${srv.pid}: socket fds ${fdBefore[0].sockets} -> ${fdBefore[0].sockets + 1}` });

  // Data every 100 ms for 3 s, both ways (a message and its echo), probed every 100 ms: never a full read.
  await srv.request({ op: 'echo', name: 's' });
  await cli.request({ op: 'exchange', name: 'c', everyMs: 100, seconds: 3, bytes: 64 });
  let prev = probe.read();
  let segmentsMoved = 0;
  for (let i = 0; i < 30; i++) {
    await sleep(100);
    const next = probe.read();
    const d = needsFullRead(prev, next);
    assert.equal(d.full, false, `probe ${i} during data: ${d.reason}`);
    if (d.trigger === 'segments') segmentsMoved++;
    prev = next;
  }
  assert.ok(segmentsMoved >= 20, `data moved the segment counters (${segmentsMoved} of 30 probes)`);
  assert.equal(fdSetChanged(fdAfter, fd.read(pids)).changed, false, 'nor an fd-set change');
  await sleep(200); // the exchange's last round trip

  // Peer FIN on loopback: the client's ESTABLISHED -> FIN-WAIT-1 leaves the counted states.
  r = await expectFull(probe, 'peer FIN (server CLOSE-WAIT)', async () => {
    await cli.request({ op: 'shutdown', name: 'c' });
    await waitForStates(ns, [{ local: { address: '127.0.0.1', port: 5501 }, remote: { address: '127.0.0.1', port: clientPort }, state: 'CLOSE-WAIT' }]);
  });
  assert.equal(delta(r.before, r.after, 'currEstab'), -1, 'only the FIN sender left ESTABLISHED; CLOSE-WAIT still counts (RFC 1213)');

  r = await expectFull(probe, 'server closes its CLOSE-WAIT', () => srv.request({ op: 'close', name: 's' }));
  assert.equal(delta(r.before, r.after, 'currEstab'), -1);

  await cli.request({ op: 'connect', name: 'c2', family: 6, host: '::1', port: 5502, wait: true });
  await srv.request({ op: 'accept', name: 's2', listener: 'l6' });
  r = await expectFull(probe, 'server closes first', () => srv.request({ op: 'close', name: 's2' }));
  assert.equal(delta(r.before, r.after, 'currEstab'), -1);
  r = await expectFull(probe, 'client closes its CLOSE-WAIT', () => cli.request({ op: 'close', name: 'c2' }));
  assert.equal(delta(r.before, r.after, 'tcp6Inuse'), -1);

  await cli.request({ op: 'connect', name: 'c3', family: 4, host: '127.0.0.1', port: 5501, wait: true });
  await srv.request({ op: 'accept', name: 's3', listener: 'l' });
  r = await expectFull(probe, 'RST', () => cli.request({ op: 'abort', name: 'c3' }));
  assert.equal(delta(r.before, r.after, 'estabResets'), 2, 'both ends went ESTABLISHED -> CLOSED');

  r = await expectFull(probe, 'connect() refused', () => cli.request({ op: 'connect', name: 'c4', family: 4, host: '127.0.0.1', port: 5599, wait: false }));
  assert.equal(delta(r.before, r.after, 'attemptFails'), 1);
});

test('private namespace: a FIN from a remote host (veth) and the local answer to it', { skip: rootSkip, timeout: 60_000 }, async (t) => {
  const { ns, srv, rem, probe, fd } = await world(t);
  await srv.request({ op: 'listen', name: 'l', family: 4, host: '10.232.0.1', port: 5601 });
  let remotePort = 0;
  let r = await expectFull(probe, 'remote connect()', async () => (remotePort = (await rem.request({ op: 'connect', name: 'r', family: 4, host: '10.232.0.1', port: 5601, wait: true })).local![1]));
  assert.deepEqual([delta(r.before, r.after, 'passiveOpens'), delta(r.before, r.after, 'activeOpens')], [1, 0], 'the active open is counted in the remote namespace');
  await srv.request({ op: 'accept', name: 's', listener: 'l' });

  // ESTABLISHED -> CLOSE-WAIT with no local action. Since Linux 6.10 tcp_set_state counts CLOSE-WAIT in
  // CurrEstab (RFC 1213 tcpCurrEstab), so no count moves: the rule cannot see it and the heartbeat must. Before
  // 6.10 CurrEstab dropped here and the rule asks for a full read.
  const before = probe.read();
  const fdBefore = fd.read([srv.pid]);
  await rem.request({ op: 'shutdown', name: 'r' });
  await waitForStates(ns, [{ local: { address: '10.232.0.1', port: 5601 }, remote: { address: '10.232.0.2', port: remotePort }, state: 'CLOSE-WAIT' }]);
  const after = probe.read();
  const d = needsFullRead(before, after);
  if (kernelAtLeast(6, 10)) {
    assert.deepEqual([d.full, d.trigger], [false, 'segments'], d.reason);
    assert.equal(delta(counters(before), counters(after), 'currEstab'), 0);
  } else {
    assert.equal(d.full, true, d.reason);
  }
  assert.equal(fdSetChanged(fdBefore, fd.read([srv.pid])).changed, false);

  // The usual answer to the FIN, close(), leaves CLOSE-WAIT: that moves CurrEstab and the fd set.
  r = await expectFull(probe, 'local close() of the CLOSE-WAIT', () => srv.request({ op: 'close', name: 's' }));
  assert.equal(delta(r.before, r.after, 'currEstab'), -1);

  await rem.request({ op: 'connect', name: 'r2', family: 4, host: '10.232.0.1', port: 5601, wait: true });
  await srv.request({ op: 'accept', name: 's2', listener: 'l' });
  r = await expectFull(probe, 'remote RST', () => rem.request({ op: 'abort', name: 'r2' }));
  assert.equal(delta(r.before, r.after, 'estabResets'), 1);
});

test('private namespace: isolated from the host, and the probe reports the namespace gone', { skip: rootSkip, timeout: 60_000 }, async (t) => {
  const { ns, probe } = await world(t);
  // A listener in this (host) namespace: the private namespace's counters do not move.
  const before = probe.read();
  const server = createServer();
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
  const mid = probe.read();
  await new Promise<void>((res) => server.close(() => res()));
  assert.equal(needsFullRead(before, mid).trigger, 'quiet', needsFullRead(before, mid).reason);

  // Its only processes exit: the next read says so (one last full read), then the probe stays unavailable and has
  // closed its fds, which would otherwise keep the namespace alive.
  const last = probe.read();
  await ns.dispose();
  const lost = probe.read();
  assert.equal(lost.available, false);
  assert.deepEqual([needsFullRead(last, lost).full, needsFullRead(last, lost).trigger], [true, 'lost']);
  assert.equal(needsFullRead(lost, probe.read()).trigger, 'unavailable');
  assert.equal(probe.available, false);
});
