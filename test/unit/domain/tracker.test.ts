// ConnectionTracker on scripted sample sequences, and on the socket table captured from this machine
// (fixtures/loopback-ss-tanoeH.txt, whose manifest says which end of each pair connected and which accepted).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConnectionTracker, connectionKey } from '../../../src/domain/tracker';
import { parseSsOutput } from '../../../src/sampling/ssOutput';
import type { Connection, Owner, SocketRecord, TcpState, TrackerEvent } from '../../../src/domain/types';
import { adjacent } from '../../../src/domain/diagram';
import { UNIT_FIXTURES } from '../../common/paths';

const FIXTURES = UNIT_FIXTURES;

const SERVER: Owner = { pid: 100, command: 'server' };
const CLIENT: Owner = { pid: 200, command: 'client' };

interface RowSpec {
  state: TcpState;
  local: string;
  remote: string;
  inode?: number;
  owner?: Owner | null;
  recvQ?: number;
  sendQ?: number;
}

/** A row as the sampler reports it: `127.0.0.1:80`, `[::1]:80`. A fresh object every time, like a real sample. */
function row(spec: RowSpec): SocketRecord {
  const ep = (s: string) => {
    const m = /^\[?([^\]]+?)\]?:(\d+)$/.exec(s);
    if (!m) throw new Error(s);
    return { address: m[1] as string, port: Number(m[2]) };
  };
  const local = ep(spec.local);
  return {
    state: spec.state,
    family: local.address.includes(':') ? 'ipv6' : 'ipv4',
    local,
    remote: ep(spec.remote),
    inode: spec.inode ?? 0,
    uid: 1000,
    recvQ: spec.recvQ ?? 0,
    sendQ: spec.sendQ ?? 0,
    timer: spec.state === 'TIME-WAIT' ? { kind: 'timewait', remainingMs: 60_000, retransmits: 0 } : null,
    owners: spec.owner ? [{ ...spec.owner }] : [],
  };
}

/** Feeds samples one second apart; returns the events of each. */
function run(tracker: ConnectionTracker, samples: RowSpec[][], start = 1_000_000): TrackerEvent[][] {
  return samples.map((rows, i) => tracker.update({ takenAt: start + i * 1000, sockets: rows.map(row) }));
}

const LISTENER: RowSpec = { state: 'LISTEN', local: '127.0.0.1:8080', remote: '0.0.0.0:0', inode: 10, owner: SERVER, sendQ: 511 };
const client = (state: TcpState, inode = 21, owner: Owner | null = CLIENT): RowSpec => ({ state, local: '127.0.0.1:40000', remote: '127.0.0.1:8080', inode, owner });
const server = (state: TcpState, inode = 31, owner: Owner | null = SERVER): RowSpec => ({ state, local: '127.0.0.1:8080', remote: '127.0.0.1:40000', inode, owner });

function only<T>(xs: readonly T[]): T {
  assert.equal(xs.length, 1, `expected one, got ${xs.length}`);
  return xs[0] as T;
}

function historyStates(c: Connection): string {
  return c.history.map((h) => `${h.state}${h.inferred ? '?' : ''}`).join(' ');
}

test('a connection opens, walks the active close, and ends after TIME-WAIT; identity and owner carried into TIME-WAIT', () => {
  const t = new ConnectionTracker();
  const ev = run(t, [
    [LISTENER],
    [LISTENER, client('SYN-SENT')],
    [LISTENER, client('ESTABLISHED'), server('ESTABLISHED')],
    [LISTENER, client('FIN-WAIT-1'), server('ESTABLISHED')],
    [LISTENER, client('FIN-WAIT-2'), server('CLOSE-WAIT')],
    // The kernel drops the file of a TIME-WAIT socket: inode 0, no owner.
    [LISTENER, client('TIME-WAIT', 0, null), server('LAST-ACK')],
    [LISTENER, client('TIME-WAIT', 0, null)],
    [LISTENER],
  ]);
  const opened = only(ev[1] as TrackerEvent[]);
  assert.equal(opened.kind, 'opened');
  const id = opened.kind === 'opened' ? opened.connection.id : '';
  assert.match(id, /^ipv4 127\.0\.0\.1:40000 127\.0\.0\.1:8080 #21\//);

  const changes = ev.flat().filter((e) => e.kind === 'changed' && e.id === id);
  assert.deepEqual(
    changes.map((e) => (e.kind === 'changed' ? `${e.from}>${e.to}` : '')),
    ['SYN-SENT>ESTABLISHED', 'ESTABLISHED>FIN-WAIT-1', 'FIN-WAIT-1>FIN-WAIT-2', 'FIN-WAIT-2>TIME-WAIT'],
  );
  for (const e of changes) if (e.kind === 'changed') assert.deepEqual(e.path, [{ from: e.from, to: e.to, inferred: false }]);
  const toTimeWait = changes[3];
  assert.equal(toTimeWait?.kind === 'changed' ? toTimeWait.msInFrom : -1, 1000);

  const c = t.get(id);
  assert.ok(c);
  assert.deepEqual(c.owner, CLIENT, 'owner carried into TIME-WAIT');
  assert.equal(c.inode, 21, 'the inode first seen stays');
  assert.equal(c.role, 'client');

  // TIME-WAIT's end is the expected one: not inferred.
  const closed = ev[7]?.find((e) => e.kind === 'closed' && e.id === id);
  assert.deepEqual(closed, { kind: 'closed', at: 1_007_000, id, from: 'TIME-WAIT', inferred: false, path: [{ from: 'TIME-WAIT', to: 'CLOSED', inferred: false }] });
  assert.equal(c.state, 'CLOSED');
  assert.equal(c.closedAt, 1_007_000);
  // First seen in SYN-SENT (after the first sample): its connect() from CLOSED is inferred.
  assert.equal(historyStates(c), 'CLOSED? SYN-SENT ESTABLISHED FIN-WAIT-1 FIN-WAIT-2 TIME-WAIT CLOSED');
  assert.deepEqual(
    c.history.map((h) => [h.since, h.until]),
    [
      [1_001_000, 1_001_000],
      [1_001_000, 1_002_000],
      [1_002_000, 1_003_000],
      [1_003_000, 1_004_000],
      [1_004_000, 1_005_000],
      [1_005_000, 1_007_000],
      [1_007_000, null],
    ],
  );

  // The server's side: passive close, ends from LAST-ACK, not inferred either.
  const srv = t.connections().find((x) => x.local.port === 8080 && x.role === 'server');
  assert.ok(srv);
  assert.equal(historyStates(srv), 'LISTEN? SYN-RECEIVED? ESTABLISHED CLOSE-WAIT LAST-ACK CLOSED');
  const srvClosed = ev[6]?.find((e) => e.kind === 'closed' && e.id === srv.id);
  assert.equal(srvClosed?.kind === 'closed' && srvClosed.inferred, false);
});

test('skipped states are filled along the diagram and marked inferred', () => {
  const t = new ConnectionTracker();
  const ev = run(t, [[client('ESTABLISHED')], [client('TIME-WAIT', 0, null)]]);
  const e = only(ev[1] as TrackerEvent[]);
  assert.equal(e.kind, 'changed');
  if (e.kind !== 'changed') return;
  assert.deepEqual(e.path, [
    { from: 'ESTABLISHED', to: 'FIN-WAIT-1', inferred: true },
    { from: 'FIN-WAIT-1', to: 'FIN-WAIT-2', inferred: true },
    { from: 'FIN-WAIT-2', to: 'TIME-WAIT', inferred: true },
  ]);
  const c = t.get(e.id);
  assert.ok(c);
  assert.equal(historyStates(c), 'CLOSED? SYN-SENT? ESTABLISHED FIN-WAIT-1? FIN-WAIT-2? TIME-WAIT');
  assert.equal(e.msInFrom, null, 'ESTABLISHED was already there at the first sample: how long it lasted is not known');
  for (let i = 0; i + 1 < c.history.length; i++) assert.ok(adjacent(c.history[i]?.state as TcpState, c.history[i + 1]?.state as TcpState));
});

test('a connection that vanishes from ESTABLISHED is closed as inferred, along the passive close', () => {
  const t = new ConnectionTracker();
  const ev = run(t, [[LISTENER, server('ESTABLISHED')], [LISTENER]]);
  const e = only(ev[1] as TrackerEvent[]);
  assert.equal(e.kind, 'closed');
  if (e.kind !== 'closed') return;
  assert.equal(e.from, 'ESTABLISHED');
  assert.equal(e.inferred, true);
  const c = t.get(e.id);
  assert.ok(c);
  assert.equal(historyStates(c), 'LISTEN? SYN-RECEIVED? ESTABLISHED CLOSE-WAIT? LAST-ACK? CLOSED?');
  assert.deepEqual(e.path, [
    { from: 'ESTABLISHED', to: 'CLOSE-WAIT', inferred: true },
    { from: 'CLOSE-WAIT', to: 'LAST-ACK', inferred: true },
    { from: 'LAST-ACK', to: 'CLOSED', inferred: true },
  ]);
  assert.equal(t.counts().CLOSED, 0, 'closed connections are not counted');
  assert.equal(t.counts().ESTABLISHED, 0);
});

test('vanishing from FIN-WAIT-2 is a timeout, not a trip through TIME-WAIT (which would have been seen)', () => {
  const t = new ConnectionTracker();
  const ev = run(t, [[client('FIN-WAIT-2', 21, null)], []]);
  const e = only(ev[1] as TrackerEvent[]);
  assert.ok(e.kind === 'closed' && e.inferred);
  assert.equal(historyStates(t.get(e.kind === 'closed' ? e.id : '') as Connection), 'CLOSED? SYN-SENT? ESTABLISHED? FIN-WAIT-1? FIN-WAIT-2 CLOSED?');
});

test('a reused 4-tuple with a new inode is a new connection: the old one closes first', () => {
  const t = new ConnectionTracker();
  const ev = run(t, [[client('ESTABLISHED', 21)], [client('ESTABLISHED', 22)]]);
  const [closed, opened] = ev[1] as TrackerEvent[];
  assert.equal(ev[1]?.length, 2);
  assert.equal(closed?.kind, 'closed');
  assert.equal(opened?.kind, 'opened');
  const oldId = ev[0]?.[0]?.kind === 'opened' ? ev[0][0].connection.id : '';
  assert.equal(closed?.kind === 'closed' && closed.id, oldId);
  assert.ok(opened?.kind === 'opened' && opened.connection.id !== oldId && opened.connection.inode === 22);
  assert.equal(t.connections().length, 2, 'the old one is retained as closed');
  assert.equal(t.counts().ESTABLISHED, 1);
});

test('TIME-WAIT followed by a new SYN-SENT on the same 4-tuple is a new connection, even without inodes', () => {
  const t = new ConnectionTracker();
  const ev = run(t, [
    [client('TIME-WAIT', 0, null)],
    [client('SYN-SENT', 23)],
    [client('SYN-SENT', 23)],
  ]);
  assert.deepEqual(ev[1]?.map((e) => e.kind), ['closed', 'opened']);
  assert.deepEqual(ev[2], []);
  // And a request socket (inode 0) on a 4-tuple still in TIME-WAIT: the peer reused it.
  const t2 = new ConnectionTracker();
  const ev2 = run(t2, [[server('TIME-WAIT', 0, null)], [server('SYN-RECEIVED', 0, null)]]);
  assert.deepEqual(ev2[1]?.map((e) => e.kind), ['closed', 'opened']);
});

test('a connection accept()ed after the handshake gains its inode and owner without changing identity', () => {
  const t = new ConnectionTracker();
  const ev = run(t, [
    [LISTENER, server('SYN-RECEIVED', 0, null)],
    [LISTENER, server('ESTABLISHED', 0, null)],
    [LISTENER, server('ESTABLISHED', 31, SERVER)],
    [LISTENER, server('ESTABLISHED', 31, SERVER)],
  ]);
  const opened = ev[0]?.find((e) => e.kind === 'opened' && e.connection.role === 'server');
  const id = opened?.kind === 'opened' ? opened.connection.id : '';
  assert.ok(id);
  // Seen in SYN-RECEIVED at the first sample: how long it had been there is not known.
  assert.deepEqual(ev[1], [{ kind: 'changed', at: 1_001_000, id, from: 'SYN-RECEIVED', to: 'ESTABLISHED', path: [{ from: 'SYN-RECEIVED', to: 'ESTABLISHED', inferred: false }], msInFrom: null }]);
  assert.deepEqual(ev[2], [], 'gaining an inode is not a state change');
  const c = t.get(id);
  assert.equal(c?.inode, 31);
  assert.deepEqual(c?.owner, SERVER);
  assert.equal(c?.role, 'server');
  assert.deepEqual(t.lastChanges().changed, []);
  // The accept() is reported among the changes of the sample that saw it.
  const t2 = new ConnectionTracker();
  run(t2, [[server('ESTABLISHED', 0, null)]]);
  t2.update({ takenAt: 2_000_000, sockets: [row(server('ESTABLISHED', 31, SERVER))] });
  assert.deepEqual(t2.lastChanges().changed.map((x) => x.inode), [31]);
});

test('an inode-less row does not adopt an inode from a connection that could not have been accepted', () => {
  const t = new ConnectionTracker();
  // A TIME-WAIT seen first (never had an inode) cannot become ESTABLISHED with a file: a new connection.
  const ev = run(t, [[client('TIME-WAIT', 0, null)], [client('ESTABLISHED', 24)]]);
  assert.deepEqual(ev[1]?.map((e) => e.kind), ['closed', 'opened']);
});

test('roles: listener, server on a listened port (its address, the wildcard, IPv4-mapped), client otherwise', () => {
  const t = new ConnectionTracker();
  t.update({
    takenAt: 1,
    sockets: [
      // Connections listed before their listeners: the order of rows does not matter.
      row({ state: 'ESTABLISHED', local: '127.0.0.1:8080', remote: '127.0.0.1:40000', inode: 1 }),
      row({ state: 'ESTABLISHED', local: '127.0.0.1:40000', remote: '127.0.0.1:8080', inode: 2 }),
      row({ state: 'ESTABLISHED', local: '10.0.0.5:9000', remote: '10.0.0.9:50000', inode: 3 }),
      row({ state: 'ESTABLISHED', local: '[::ffff:127.0.0.1]:7000', remote: '[::ffff:127.0.0.1]:50001', inode: 4 }),
      row({ state: 'ESTABLISHED', local: '10.0.0.5:6000', remote: '10.0.0.9:50002', inode: 5 }),
      row({ state: 'CLOSE-WAIT', local: '[::1]:6000', remote: '[::1]:50003', inode: 6 }),
      row({ state: 'SYN-SENT', local: '127.0.0.1:8080', remote: '127.0.0.2:80', inode: 7 }),
      row({ state: 'SYN-RECEIVED', local: '127.0.0.1:5555', remote: '127.0.0.1:50004' }),
      row({ state: 'LISTEN', local: '127.0.0.1:8080', remote: '0.0.0.0:0', inode: 10 }),
      row({ state: 'LISTEN', local: '127.0.0.1:9000', remote: '0.0.0.0:0', inode: 11 }),
      row({ state: 'LISTEN', local: '127.0.0.1:7000', remote: '0.0.0.0:0', inode: 12 }),
      row({ state: 'LISTEN', local: '[::]:6000', remote: '[::]:0', inode: 13 }),
    ],
  });
  const roles = Object.fromEntries(t.connections().map((c) => [`${c.local.address}:${c.local.port}>${c.remote.port}`, c.role]));
  assert.deepEqual(roles, {
    '127.0.0.1:8080>40000': 'server',
    '127.0.0.1:40000>8080': 'client',
    '10.0.0.5:9000>50000': 'client', // 9000 is listened on 127.0.0.1 only
    '::ffff:127.0.0.1:7000>50001': 'server', // mapped address of a v4 listener's port
    '10.0.0.5:6000>50002': 'server', // a dual-stack wildcard listener takes IPv4 too
    '::1:6000>50003': 'server',
    '127.0.0.1:8080>80': 'client', // SYN-SENT says client whatever the port
    '127.0.0.1:5555>50004': 'server', // SYN-RECEIVED says server
    '127.0.0.1:8080>0': 'listener',
    '127.0.0.1:9000>0': 'listener',
    '127.0.0.1:7000>0': 'listener',
    ':::6000>0': 'listener',
  });
});

test('roles on the captured socket table agree with what the capture did', () => {
  const sockets = parseSsOutput(readFileSync(join(FIXTURES, 'loopback-ss-tanoeH.txt'), 'utf8')).sockets;
  const manifest = JSON.parse(readFileSync(join(FIXTURES, 'loopback-manifest.json'), 'utf8')) as {
    sockets: { name: string; client?: { address: string; port: number; state: string | null }; server: { address: string; port: number; state: string | null } }[];
  };
  const t = new ConnectionTracker();
  t.update({ takenAt: 1, sockets });
  const conns = t.connections();
  assert.equal(conns.length, sockets.length);
  const plain = (a: string) => a.replace(/^::ffff:/, '');
  const find = (localPort: number, remotePort: number) => conns.find((c) => c.local.port === localPort && c.remote.port === remotePort);
  let checked = 0;
  for (const s of manifest.sockets) {
    if (!s.client) {
      const l = conns.find((c) => c.state === 'LISTEN' && c.local.port === s.server.port);
      assert.equal(l?.role, 'listener', s.name);
      checked++;
      continue;
    }
    const c = find(s.client.port, s.server.port);
    if (s.client.state !== null) {
      assert.equal(c?.role, 'client', `${s.name} client`);
      assert.equal(c?.state, s.client.state, s.name);
      checked++;
    }
    const srv = find(s.server.port, s.client.port);
    if (s.server.state !== null) {
      assert.equal(srv?.role, 'server', `${s.name} server`);
      assert.equal(plain(srv?.local.address ?? ''), s.server.address === '::' ? '127.0.0.1' : s.server.address, s.name);
      checked++;
    }
  }
  assert.ok(checked >= 25, `checked ${checked}`);
  // The two connections waiting in the full accept queue (inode 0, not accepted yet) are servers too.
  assert.equal(conns.filter((c) => c.local.port === 41659 && c.state === 'ESTABLISHED' && c.role === 'server').length, 2);
});

test('the same captured table sampled twice produces no events; as a first sample, one opened event per row', () => {
  const text = readFileSync(join(FIXTURES, 'loopback-ss-tanoeH.txt'), 'utf8');
  const t = new ConnectionTracker();
  const first = t.update({ takenAt: 1, sockets: parseSsOutput(text).sockets });
  assert.equal(first.length, parseSsOutput(text).sockets.length);
  assert.ok(first.every((e) => e.kind === 'opened'));
  assert.deepEqual(t.update({ takenAt: 2, sockets: parseSsOutput(text).sockets }), []);
  assert.deepEqual(t.lastChanges(), { changed: [], removed: [] });
  const counts = t.counts();
  assert.equal(counts.LISTEN, 6);
  assert.equal(counts['TIME-WAIT'], 2);
  assert.equal(Object.values(counts).reduce((a, b) => a + b, 0), first.length);
});

test('SO_REUSEPORT listeners share a 4-tuple and stay apart by inode', () => {
  const t = new ConnectionTracker();
  const rows: RowSpec[] = [
    { state: 'LISTEN', local: '0.0.0.0:80', remote: '0.0.0.0:0', inode: 501, owner: { pid: 1, command: 'nginx' } },
    { state: 'LISTEN', local: '0.0.0.0:80', remote: '0.0.0.0:0', inode: 502, owner: { pid: 2, command: 'nginx' } },
  ];
  const ev = run(t, [rows, [...rows].reverse(), rows]);
  assert.equal(ev[0]?.length, 2);
  assert.deepEqual(ev[1], []);
  assert.deepEqual(ev[2], []);
  assert.deepEqual(t.connections().map((c) => c.owner?.pid).sort(), [1, 2]);
});

test('queue and owner changes are not events but are in lastChanges', () => {
  const t = new ConnectionTracker();
  run(t, [[{ ...LISTENER }]]);
  const ev = t.update({ takenAt: 2_000_000, sockets: [row({ ...LISTENER, recvQ: 3 })] });
  assert.deepEqual(ev, []);
  assert.deepEqual(t.lastChanges().changed.map((c) => c.recvQ), [3]);
  t.update({ takenAt: 2_001_000, sockets: [row({ ...LISTENER, recvQ: 3, owner: { pid: 101, command: 'server' } })] });
  assert.deepEqual(t.lastChanges().changed.map((c) => c.owner?.pid), [101]);
  // Several owners after fork(): the one already known stays.
  const forked = row({ ...LISTENER, recvQ: 3 });
  forked.owners = [{ pid: 300, command: 'worker' }, { pid: 101, command: 'server' }];
  t.update({ takenAt: 2_002_000, sockets: [forked] });
  assert.deepEqual(t.lastChanges().changed, []);
  assert.equal(t.connections()[0]?.owner?.pid, 101);
});

test('closed connections are kept for closedRetentionMs, at most maxClosed of them, and their removal is reported', () => {
  const t = new ConnectionTracker({ closedRetentionMs: 2500, maxClosed: 2 });
  const conn = (port: number): RowSpec => ({ state: 'ESTABLISHED', local: `127.0.0.1:${port}`, remote: '127.0.0.1:80', inode: port });
  t.update({ takenAt: 0, sockets: [conn(1), conn(2), conn(3)].map(row) });
  t.update({ takenAt: 1000, sockets: [conn(2), conn(3)].map(row) }); // 1 closes at 1000
  assert.equal(t.connections().length, 3);
  t.update({ takenAt: 2000, sockets: [] }); // 2 and 3 close at 2000: three closed, over the count
  assert.deepEqual(t.lastChanges().removed.map((id) => id.split(' ')[1]), ['127.0.0.1:1']);
  assert.deepEqual(t.connections().map((c) => c.local.port).sort(), [2, 3]);
  assert.equal(t.size.closed, 2);
  t.update({ takenAt: 4500, sockets: [] });
  assert.equal(t.size.closed, 2, 'closed 2500 ms ago: still kept');
  t.update({ takenAt: 4501, sockets: [] });
  assert.equal(t.size.closed, 0);
  assert.equal(t.lastChanges().removed.length, 2);
  assert.equal(t.get(t.lastChanges().removed[0] as string), undefined);
});

test('setOptions applies at once: fewer closed kept, shorter histories', () => {
  const t = new ConnectionTracker({ maxHistory: 10 });
  const states: TcpState[] = ['SYN-SENT', 'ESTABLISHED', 'FIN-WAIT-1', 'FIN-WAIT-2', 'TIME-WAIT'];
  run(t, states.map((s) => [client(s, s === 'TIME-WAIT' ? 0 : 21)]));
  const id = t.connections()[0]?.id ?? '';
  assert.equal(t.get(id)?.history.length, 6, 'CLOSED (inferred), SYN-SENT and four changes');
  t.setOptions({ maxHistory: 2 });
  assert.deepEqual(t.get(id)?.history.map((h) => h.state), ['FIN-WAIT-2', 'TIME-WAIT']);
  t.update({ takenAt: 2_000_000, sockets: [] });
  assert.equal(t.size.closed, 1);
  t.setOptions({ maxClosed: 0 });
  assert.equal(t.size.closed, 0);
  assert.deepEqual(t.lastChanges().removed, [id]);
  assert.deepEqual(t.getOptions(), { maxHistory: 2, closedRetentionMs: 10_000, maxClosed: 0 });
});

test('history is capped per connection, oldest entries first', () => {
  const t = new ConnectionTracker({ maxHistory: 3 });
  // A socket that connect()s, is refused, and tries again, over and over (CLOSED -> SYN-SENT is an edge).
  const samples: RowSpec[][] = [];
  for (let i = 0; i < 20; i++) samples.push([client(i % 2 === 0 ? 'SYN-SENT' : 'CLOSED', 21)]);
  const ev = run(t, samples);
  assert.equal(ev.flat().filter((e) => e.kind === 'changed').length, 19);
  const c = only(t.connections());
  assert.equal(c.history.length, 3);
  assert.deepEqual(c.history.map((h) => h.state), ['CLOSED', 'SYN-SENT', 'CLOSED']);
  assert.equal(c.history[2]?.until, null);
});

test('a socket still in the table as CLOSED after a reset took the abort edge, observed', () => {
  const t = new ConnectionTracker();
  const ev = run(t, [[client('ESTABLISHED')], [client('CLOSED')], []]);
  const e = only(ev[1] as TrackerEvent[]);
  assert.deepEqual(e.kind === 'changed' && e.path, [{ from: 'ESTABLISHED', to: 'CLOSED', inferred: false }]);
  const closed = only(ev[2] as TrackerEvent[]);
  assert.deepEqual(closed.kind === 'closed' && [closed.from, closed.inferred], ['CLOSED', false]);
  assert.equal(historyStates(t.connections()[0] as Connection), 'CLOSED? SYN-SENT? ESTABLISHED CLOSED');
});

test('connectionKey, reset, and ids never reused by one tracker', () => {
  assert.equal(connectionKey('ipv6', { address: '::1', port: 80 }, { address: '::1', port: 5000 }), 'ipv6 [::1]:80 [::1]:5000');
  const t = new ConnectionTracker({ closedRetentionMs: 0 });
  const ids = new Set<string>();
  for (let i = 0; i < 5; i++) {
    const ev = t.update({ takenAt: i * 2, sockets: [row(client('TIME-WAIT', 0, null))] });
    for (const e of ev) if (e.kind === 'opened') ids.add(e.connection.id);
    t.update({ takenAt: i * 2 + 1, sockets: [] });
  }
  assert.equal(ids.size, 5);
  t.reset();
  assert.deepEqual(t.connections(), []);
  assert.equal(Object.values(t.counts()).reduce((a, b) => a + b, 0), 0);
  const again = t.update({ takenAt: 100, sockets: [row(client('TIME-WAIT', 0, null))] });
  assert.ok(again[0]?.kind === 'opened' && !ids.has(again[0].connection.id));
});

test('a first sighting in any state gets its likely past as inferred hops: a client from CLOSED through SYN-SENT, a server from LISTEN through SYN-RECEIVED', () => {
  const every: TcpState[] = ['SYN-SENT', 'SYN-RECEIVED', 'ESTABLISHED', 'FIN-WAIT-1', 'FIN-WAIT-2', 'CLOSE-WAIT', 'CLOSING', 'LAST-ACK', 'TIME-WAIT', 'CLOSED'];
  for (const side of ['client', 'server'] as const) {
    for (const state of every) {
      const t = new ConnectionTracker();
      // A first sample without it, so the sighting is mid-watch.
      const ev = run(t, [[LISTENER], [LISTENER, side === 'client' ? client(state) : server(state)]]);
      const opened = ev[1]?.find((e) => e.kind === 'opened');
      assert.ok(opened?.kind === 'opened', `${side} ${state}`);
      const c = opened.connection;
      const h = c.history;
      const last = h[h.length - 1];
      assert.equal(last?.state, state);
      assert.equal(last?.inferred, false, 'the sighting itself is observed');
      assert.equal(last?.startSeen, true, 'it began within the last sampling gap');
      for (const e of h.slice(0, -1)) assert.deepEqual([e.inferred, e.startSeen], [true, false], `${side} ${state}: ${historyStates(c)}`);
      for (let i = 0; i + 1 < h.length; i++) assert.ok(adjacent(h[i]?.state as TcpState, h[i + 1]?.state as TcpState), `${side} ${state}: ${historyStates(c)} is a path of the diagram`);
      const role = c.role;
      if (state === 'CLOSED') {
        assert.equal(h.length, 1, 'nothing is known before a socket seen CLOSED');
      } else if (role === 'server') {
        assert.equal(h[0]?.state, 'LISTEN', `${side} ${state}: ${historyStates(c)}`);
        if (state !== 'SYN-RECEIVED') assert.equal(h[1]?.state, 'SYN-RECEIVED');
        assert.ok(!h.some((e) => e.state === 'SYN-SENT'), 'a server never passes SYN-SENT');
      } else {
        assert.equal(h[0]?.state, 'CLOSED', `${side} ${state}: ${historyStates(c)}`);
        if (state !== 'SYN-SENT' && state !== 'SYN-RECEIVED') assert.equal(h[1]?.state, 'SYN-SENT');
      }
    }
  }
  // The everyday ways, not the rare turns: a server's TIME-WAIT came through ESTABLISHED and FIN-WAIT-2, not
  // SYN-RECEIVED -> FIN-WAIT-1 -> CLOSING; a client's FIN-WAIT-2 not through a simultaneous open.
  const t = new ConnectionTracker();
  run(t, [[LISTENER], [LISTENER, server('TIME-WAIT', 0, null), { state: 'FIN-WAIT-2', local: '127.0.0.1:40001', remote: '127.0.0.1:9999', inode: 5, owner: CLIENT }]]);
  const states = t.connections().filter((c) => c.role !== 'listener').map(historyStates).sort();
  assert.deepEqual(states, ['CLOSED? SYN-SENT? ESTABLISHED? FIN-WAIT-1? FIN-WAIT-2', 'LISTEN? SYN-RECEIVED? ESTABLISHED? FIN-WAIT-1? FIN-WAIT-2? TIME-WAIT']);
});

test('what was there at the first sample has no known start: ages are lower bounds and no ms-in-state is claimed', () => {
  const t = new ConnectionTracker();
  const ev = run(t, [[client('TIME-WAIT', 0, null)], []]);
  const opened = only(ev[0] as TrackerEvent[]);
  assert.ok(opened.kind === 'opened');
  // (The tracker's records are live: by now the connection has also closed.)
  assert.equal(opened.connection.history.find((h) => h.state === 'TIME-WAIT')?.startSeen, false);
  const closed = only(ev[1] as TrackerEvent[]);
  assert.ok(closed.kind === 'closed');
  assert.deepEqual(closed.path, [{ from: 'TIME-WAIT', to: 'CLOSED', inferred: false }], 'TIME-WAIT ends by itself: an observed hop, never CLOSED -> TIME-WAIT');
  // Seen from its start (not at the first sample): the next change knows how long the state lasted.
  const t2 = new ConnectionTracker();
  const ev2 = run(t2, [[], [client('ESTABLISHED')], [client('FIN-WAIT-2')]]);
  const changed = only(ev2[2] as TrackerEvent[]);
  assert.ok(changed.kind === 'changed');
  assert.equal(changed.msInFrom, 1000);
});

test('a tracker seeded with an earlier tracker\'s records continues them: same ids, histories and ages; a new inode is a new connection', () => {
  const a = new ConnectionTracker();
  run(a, [[LISTENER], [LISTENER, client('SYN-SENT')], [LISTENER, client('ESTABLISHED'), server('ESTABLISHED')], [LISTENER, client('ESTABLISHED'), server('CLOSE-WAIT')]]);
  const closedOne = { state: 'ESTABLISHED' as const, local: '127.0.0.1:40009', remote: '127.0.0.1:8080', inode: 99, owner: CLIENT };
  run(a, [[LISTENER, client('ESTABLISHED'), server('CLOSE-WAIT'), closedOne], [LISTENER, client('ESTABLISHED'), server('CLOSE-WAIT')]], 1_004_000);
  const before = structuredClone(a.connections());
  const b = new ConnectionTracker();
  b.seed(before);
  // The worker came back 3 s later: the client moved on to FIN-WAIT-2; the server's end still waits.
  const ev = b.update({ takenAt: 1_008_000, sockets: [row(LISTENER), row(client('FIN-WAIT-2')), row(server('CLOSE-WAIT'))] });
  const byPort = (c: Connection) => `${c.local.port}>${c.remote.port}`;
  for (const old of before.filter((c) => c.closedAt === null)) {
    const now = b.get(old.id);
    assert.ok(now, `${byPort(old)} keeps its id`);
    assert.equal(now.openedAt, old.openedAt, 'and its age');
    assert.deepEqual(now.history.slice(0, old.history.length - 1).map((h) => [h.state, h.since, h.startSeen]), old.history.slice(0, -1).map((h) => [h.state, h.since, h.startSeen]), 'and its history');
  }
  const cli = b.connections().find((c) => c.local.port === 40000) as Connection;
  assert.equal(cli.state, 'FIN-WAIT-2');
  const change = ev.find((e) => e.kind === 'changed');
  assert.ok(change?.kind === 'changed' && change.from === 'ESTABLISHED' && change.msInFrom === 8_000 - 2_000, 'the change since, timed from the seeded state\'s start');
  const srv = b.connections().find((c) => c.local.port === 8080 && c.role === 'server') as Connection;
  assert.equal(srv.history.at(-1)?.since, 1_003_000, 'CLOSE-WAIT since the first tracker saw it begin');
  // The connection that closed before the reload is back as closed, within its retention.
  assert.equal(b.connections().find((c) => c.local.port === 40009)?.closedAt, 1_005_000);
  // A row on a seeded 4-tuple with another inode is not that connection.
  const c = new ConnectionTracker();
  c.seed(before);
  c.update({ takenAt: 1_008_000, sockets: [row(client('ESTABLISHED', 777))] });
  const fresh = c.connections().find((x) => x.local.port === 40000) as Connection;
  assert.ok(!before.some((x) => x.id === fresh.id), 'a new id');
  assert.ok(!c.connections().some((x) => x.id === fresh.id && x.openedAt < 1_008_000));
  // Ids handed out later never repeat a seeded one.
  c.update({ takenAt: 1_009_000, sockets: [row(client('ESTABLISHED', 777)), row({ state: 'ESTABLISHED', local: '127.0.0.1:40100', remote: '127.0.0.1:8080', inode: 500, owner: CLIENT })] });
  const ids = c.connections().map((x) => x.id);
  assert.equal(new Set([...ids, ...before.map((x) => x.id)]).size, ids.length + before.length - ids.filter((id) => before.some((x) => x.id === id)).length);
});

test('namespaces: the same 4-tuple in two network namespaces is two connections, each followed on its own', () => {
  const inNs = (spec: RowSpec, netns?: string, container?: SocketRecord['container']): SocketRecord => ({ ...row(spec), ...(netns ? { netns } : {}), ...(container ? { container } : {}) });
  const web: NonNullable<SocketRecord['container']> = { id: 'a'.repeat(64), name: 'demo-web-1', image: 'busybox', composeProject: 'demo', composeService: 'web' };
  const t = new ConnectionTracker();
  const first = t.update({
    takenAt: 1000,
    sockets: [
      inNs({ state: 'LISTEN', local: '127.0.0.1:8080', remote: '0.0.0.0:0', inode: 1 }),
      inNs({ state: 'LISTEN', local: '127.0.0.1:8080', remote: '0.0.0.0:0', inode: 2 }, 'net:[4026532301]'),
      inNs({ state: 'ESTABLISHED', local: '127.0.0.1:8080', remote: '127.0.0.1:40000', inode: 3 }),
      inNs({ state: 'ESTABLISHED', local: '127.0.0.1:8080', remote: '127.0.0.1:40000', inode: 4 }, 'net:[4026532301]'),
    ],
  });
  assert.equal(first.length, 4);
  assert.equal(t.size.live, 4);
  const ids = first.map((e) => (e.kind === 'opened' ? e.connection.id : ''));
  assert.equal(new Set(ids).size, 4);
  assert.ok(ids[1].includes('net:[4026532301]') && !ids[0].includes('net:'), `ids name the namespace when it is not ours: ${ids.join(' | ')}`);
  const conns = first.map((e) => (e.kind === 'opened' ? e.connection : null));
  assert.equal(conns[3]?.netns, 'net:[4026532301]');
  assert.equal(conns[2]?.netns, undefined);
  // Roles come from the listener of the connection's own namespace.
  assert.equal(conns[2]?.role, 'server');
  assert.equal(conns[3]?.role, 'server');

  // Their connection closes into TIME-WAIT (no inode) while ours stays: only theirs changes; the container's label
  // arrives with this sample (the engine answered late) and is a change of its connections too.
  const second = t.update({
    takenAt: 2000,
    sockets: [
      inNs({ state: 'LISTEN', local: '127.0.0.1:8080', remote: '0.0.0.0:0', inode: 1 }),
      inNs({ state: 'LISTEN', local: '127.0.0.1:8080', remote: '0.0.0.0:0', inode: 2 }, 'net:[4026532301]', web),
      inNs({ state: 'ESTABLISHED', local: '127.0.0.1:8080', remote: '127.0.0.1:40000', inode: 3 }),
      inNs({ state: 'TIME-WAIT', local: '127.0.0.1:8080', remote: '127.0.0.1:40000' }, 'net:[4026532301]', web),
    ],
  });
  assert.deepEqual(
    second.map((e) => (e.kind === 'changed' ? `${e.id.includes('net:[') ? 'theirs' : 'ours'} ${e.from}->${e.to}` : e.kind)),
    ['theirs ESTABLISHED->TIME-WAIT'],
  );
  const changed = t.lastChanges().changed;
  assert.equal(changed.length, 2, 'their listener (label) and their connection (state and label)');
  assert.ok(changed.every((c) => c.container === web));
  // A label that goes (the engine forgot the container) goes from the connection too.
  t.update({
    takenAt: 3000,
    sockets: [
      inNs({ state: 'LISTEN', local: '127.0.0.1:8080', remote: '0.0.0.0:0', inode: 1 }),
      inNs({ state: 'LISTEN', local: '127.0.0.1:8080', remote: '0.0.0.0:0', inode: 2 }, 'net:[4026532301]'),
      inNs({ state: 'ESTABLISHED', local: '127.0.0.1:8080', remote: '127.0.0.1:40000', inode: 3 }),
      inNs({ state: 'TIME-WAIT', local: '127.0.0.1:8080', remote: '127.0.0.1:40000' }, 'net:[4026532301]'),
    ],
  });
  assert.equal(t.lastChanges().changed.length, 2);
  assert.ok(t.connections().every((c) => c.container === undefined));
  assert.equal(connectionKey('ipv4', { address: '127.0.0.1', port: 1 }, { address: '127.0.0.1', port: 2 }, 'net:[5]'), 'ipv4 127.0.0.1:1 127.0.0.1:2 net:[5]');
});

test('namespaces: a seeded connection continues only in its own namespace', () => {
  const inNs = (spec: RowSpec, netns?: string): SocketRecord => ({ ...row(spec), ...(netns ? { netns } : {}) });
  const first = new ConnectionTracker();
  first.update({ takenAt: 1000, sockets: [inNs(server('ESTABLISHED', 31), 'net:[4026532301]')] });
  const kept = first.connections();
  const next = new ConnectionTracker();
  next.seed(kept);
  // Our own twin of the 4-tuple (not accepted yet: no inode, so it would match by 4-tuple alone, and comes first) is
  // another connection; theirs continues with its id.
  next.update({ takenAt: 2000, sockets: [inNs(server('ESTABLISHED', 0)), inNs(server('ESTABLISHED', 31), 'net:[4026532301]')] });
  const ours = next.connections().filter((c) => c.netns === undefined);
  const theirs = next.connections().filter((c) => c.netns === 'net:[4026532301]');
  assert.equal(ours.length, 1);
  assert.equal(theirs.length, 1);
  assert.equal(theirs[0].id, kept[0].id);
  assert.notEqual(ours[0].id, kept[0].id);
});
