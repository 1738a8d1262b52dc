// The workspace scope over process trees and socket tables. Tables come from the loopback capture
// (fixtures/loopback-*), with owners assigned by the test.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { parseProcNetTcp } from '../../../src/sampling/procNetTcp';
import { computeScopePids, connectionKey, inheritListenerOwners, isLoopbackAddress, isPathInside, isWorkspaceContainer, peerConnectionKey, selectScope } from '../../../src/domain/scope';
import type { SocketRecord } from '../../../src/domain/types';
import { UNIT_FIXTURES } from '../../common/paths';

const fixtures = UNIT_FIXTURES;
const read = (name: string): string => readFileSync(join(fixtures, name), 'latin1');
const manifest = JSON.parse(read('loopback-manifest.json')) as { sockets: { name: string; client?: { port: number }; server?: { port: number } }[] };
const port = (name: string, side: 'client' | 'server') => manifest.sockets.find((m) => m.name === name)![side]!.port;

function table(): SocketRecord[] {
  return [...parseProcNetTcp(read('loopback-proc-net-tcp.txt'), 'ipv4').sockets, ...parseProcNetTcp(read('loopback-proc-net-tcp6.txt'), 'ipv6').sockets];
}

test('path containment respects segment boundaries and trailing slashes', () => {
  assert.ok(isPathInside('/work/app', '/work/app'));
  assert.ok(isPathInside('/work/app/src', '/work/app/'));
  assert.ok(isPathInside('/work/app/', '/work/app'));
  assert.ok(!isPathInside('/work/apple', '/work/app'));
  assert.ok(!isPathInside('/work', '/work/app'));
  assert.ok(isPathInside('/anything', '/'));
  assert.ok(!isPathInside('', '/work'));
});

test('scope pids: roots, descendants, cwd inside a folder and their descendants', () => {
  const procs = [
    { pid: 1, ppid: 0, cwd: '/' },
    { pid: 10, ppid: 1, cwd: '/home/u' }, // a terminal's shell (root)
    { pid: 11, ppid: 10, cwd: '/tmp' }, // its child
    { pid: 12, ppid: 11, cwd: '/tmp' }, // grandchild
    { pid: 20, ppid: 1, cwd: '/work/app/server' }, // started elsewhere, cwd in the workspace
    { pid: 21, ppid: 20, cwd: null }, // its child (cwd unreadable)
    { pid: 30, ppid: 1, cwd: '/work/apple' }, // a sibling folder, not inside
    { pid: 31, ppid: 1 },
  ];
  assert.deepEqual([...computeScopePids([10], procs, ['/work/app'])].sort((a, b) => a - b), [10, 11, 12, 20, 21]);
  assert.deepEqual([...computeScopePids([], procs, [])], []);
  // A root the table does not show (exited, or another pid namespace) still counts; its children are not known.
  assert.deepEqual([...computeScopePids([999], procs, [])], [999]);
  // Cycles cannot hang it.
  assert.deepEqual([...computeScopePids([5], [{ pid: 5, ppid: 6 }, { pid: 6, ppid: 5 }], [])].sort(), [5, 6]);
});

test('loopback addresses', () => {
  for (const a of ['127.0.0.1', '127.1.2.3', '::1', '::ffff:127.0.0.1']) assert.ok(isLoopbackAddress(a), a);
  for (const a of ['10.0.0.1', '::', '0.0.0.0', '::ffff:10.0.0.1', 'fe80::1']) assert.ok(!isLoopbackAddress(a), a);
});

test('connection keys: the other end has the swapped key, across an IPv4-mapped dual-stack socket', () => {
  const sockets = table();
  const client = sockets.find((s) => s.local.port === port('established-mapped', 'client'))!;
  const server = sockets.find((s) => s.local.port === port('established-mapped', 'server') && s.state === 'ESTABLISHED')!;
  assert.equal(client.family, 'ipv4');
  assert.equal(server.family, 'ipv6');
  assert.equal(peerConnectionKey(client), connectionKey(server));
  fc.assert(
    fc.property(fc.constantFrom(...sockets), (s) => assert.equal(peerConnectionKey({ local: s.remote, remote: s.local }), connectionKey(s))),
  );
});

test('scope sockets: owned by scope pids, plus the other end of their loopback connections', () => {
  const sockets = table();
  // The server process (pid 500) owns every socket on the v4 listener's port; the clients belong to pid 600.
  const serverPort = port('listen-v4', 'server');
  for (const s of sockets) {
    if (s.inode === 0) continue;
    s.owners = [s.local.port === serverPort ? { pid: 500, command: 'srv' } : { pid: 600, command: 'client' }];
  }
  const { sockets: inScope, peers } = selectScope(sockets, new Set([500]));
  const serverSide = sockets.filter((s) => s.local.port === serverPort && s.inode !== 0);
  assert.ok(serverSide.length >= 3);
  for (const s of serverSide) assert.ok(inScope.includes(s));
  // Each connection's client end joins as a peer; the client's unrelated sockets do not.
  for (const p of peers) {
    assert.equal(p.remote.port, serverPort);
    // The server side may be fileless (TIME-WAIT): it is in scope through the listener's port.
    assert.ok(inScope.some((s) => s.local.port === serverPort && connectionKey(s) === peerConnectionKey(p)));
  }
  assert.ok(peers.length >= 2);
  assert.ok(!inScope.some((s) => s.owners[0]?.pid === 600 && s.remote.port !== serverPort));
  // Nothing in scope: nothing selected.
  assert.deepEqual(selectScope(sockets, new Set([4242])).sockets, []);
});

test('a socket without a file is in scope when its remembered owner was', () => {
  const sockets = table();
  const timeWait = sockets.filter((s) => s.state === 'TIME-WAIT');
  assert.equal(timeWait.length, 2);
  const picked = selectScope(sockets, new Set([1]), (s) => s === timeWait[0]).sockets;
  assert.ok(picked.includes(timeWait[0]));
  assert.ok(!picked.includes(timeWait[1]));
});

test('a fileless socket on the port of an in-scope listener is in scope even with no owner ever seen', () => {
  const rec = (state: SocketRecord['state'], family: SocketRecord['family'], local: string, lport: number, remote: string, rport: number, inode: number, pid?: number): SocketRecord => ({
    state, family, local: { address: local, port: lport }, remote: { address: remote, port: rport }, inode, uid: 0, recvQ: 0, sendQ: 0, timer: null,
    owners: pid ? [{ pid, command: 'srv' }] : [],
  });
  const listener = rec('LISTEN', 'ipv6', '::', 8080, '::', 0, 11, 500);
  const accepted = rec('TIME-WAIT', 'ipv6', '::ffff:10.0.0.5', 8080, '::ffff:10.0.0.9', 40000, 0); // closed between samples
  const synRecv = rec('SYN-RECEIVED', 'ipv6', '::ffff:10.0.0.5', 8080, '::ffff:10.0.0.9', 40002, 0);
  const otherPort = rec('TIME-WAIT', 'ipv4', '10.0.0.5', 9090, '10.0.0.9', 40001, 0);
  const otherListener = rec('LISTEN', 'ipv4', '127.0.0.2', 7070, '0.0.0.0', 0, 12, 500);
  const wrongAddress = rec('TIME-WAIT', 'ipv4', '127.0.0.3', 7070, '127.0.0.9', 40003, 0);
  const picked = selectScope([listener, accepted, synRecv, otherPort, otherListener, wrongAddress], new Set([500])).sockets;
  assert.ok(picked.includes(accepted));
  assert.ok(picked.includes(synRecv));
  assert.ok(!picked.includes(otherPort));
  assert.ok(!picked.includes(wrongAddress));
  // Without the listener in scope, the same fileless sockets stay out.
  assert.deepEqual(selectScope([listener, accepted, synRecv], new Set([4242])).sockets, []);
});

test('a server\'s fileless sockets get their listener\'s owner, marked as inherited; owned and client sockets keep theirs', () => {
  const ep = (address: string, port: number) => ({ address, port });
  const row = (state: SocketRecord['state'], local: [string, number], remote: [string, number], inode: number, owners: SocketRecord['owners']): SocketRecord => ({
    state,
    family: local[0].includes(':') ? 'ipv6' : 'ipv4',
    local: ep(...local),
    remote: ep(...remote),
    inode,
    uid: 0,
    recvQ: 0,
    sendQ: 0,
    timer: null,
    owners,
  });
  const server = { pid: 10, command: 'node' };
  const other = { pid: 20, command: 'nginx' };
  const sockets = [
    row('LISTEN', ['0.0.0.0', 8080], ['0.0.0.0', 0], 1, [server]),
    row('LISTEN', ['127.0.0.1', 9090], ['0.0.0.0', 0], 2, [other]),
    row('TIME-WAIT', ['127.0.0.1', 8080], ['127.0.0.1', 50000], 0, []), // the server closed first
    row('SYN-RECEIVED', ['127.0.0.1', 8080], ['127.0.0.1', 50001], 0, []), // a request socket
    row('TIME-WAIT', ['127.0.0.1', 50002], ['127.0.0.1', 8080], 0, []), // a client's: no listener on its port
    row('TIME-WAIT', ['127.0.0.2', 9090], ['127.0.0.1', 50003], 0, []), // 9090 listens on 127.0.0.1 only
    row('TIME-WAIT', ['127.0.0.1', 8080], ['127.0.0.1', 50004], 0, [other]), // remembered for its 4-tuple: kept
  ];
  inheritListenerOwners(sockets);
  assert.deepEqual(sockets[2]?.owners, [{ ...server, via: 'listener' }]);
  assert.deepEqual(sockets[3]?.owners, [{ ...server, via: 'listener' }]);
  assert.deepEqual(sockets[4]?.owners, []);
  assert.deepEqual(sockets[5]?.owners, []);
  assert.deepEqual(sockets[6]?.owners, [other]);
  // The IPv6 wildcard listener takes IPv4 (mapped) connections too.
  const v6 = [row('LISTEN', ['::', 443], ['::', 0], 3, [server]), row('TIME-WAIT', ['127.0.0.1', 443], ['127.0.0.1', 50005], 0, [])];
  inheritListenerOwners(v6);
  assert.equal(v6[1]?.owners[0]?.via, 'listener');
});

/** The loopback table as another namespace holds it: the same 4-tuples, other inodes (inodes are machine-wide). */
function inNamespace(rows: readonly SocketRecord[], netns: string, inodeOffset: number): SocketRecord[] {
  return rows.map((s) => ({ ...s, inode: s.inode === 0 ? 0 : s.inode + inodeOffset, owners: [], netns }));
}

test('namespaces: the other end of a connection is found in its own namespace only, though the 4-tuples match', () => {
  const ours = table();
  const theirs = inNamespace(ours, 'net:[4026532301]', 10_000_000);
  const all = [...ours, ...theirs];
  const serverPort = port('established-v4', 'server');
  // Our server process (pid 500) holds its sockets; nothing in the other namespace is ours.
  for (const s of ours) if (s.local.port === serverPort && s.inode !== 0) s.owners = [{ pid: 500, command: 'server' }];
  const { sockets, peers } = selectScope(all, new Set([500]));
  assert.ok(sockets.length > 0 && peers.length > 0);
  assert.ok(
    sockets.every((s) => s.netns === undefined),
    'no socket of the other namespace joined as a peer, though its 4-tuples mirror ours',
  );
  // The same connection keys in both namespaces are not the same connection.
  const mine = ours.find((s) => s.local.port === serverPort && s.state === 'ESTABLISHED')!;
  const twin = theirs.find((s) => s.local.port === serverPort && s.state === 'ESTABLISHED')!;
  assert.notEqual(connectionKey(mine), connectionKey(twin));
  assert.equal(peerConnectionKey({ local: twin.remote, remote: twin.local, netns: twin.netns }), connectionKey(twin));
});

test('namespaces: a workspace container`s namespace is in scope whole; its peers stay inside it', () => {
  const ours = table();
  const theirs = inNamespace(ours, 'net:[4026532301]', 10_000_000);
  const { sockets } = selectScope([...ours, ...theirs], new Set(), undefined, undefined, new Set(['net:[4026532301]']));
  assert.equal(sockets.length, theirs.length, 'every socket of the namespace, owners unknown (another user`s container)');
  assert.ok(sockets.every((s) => s.netns === 'net:[4026532301]'));
});

test('namespaces: a fileless socket joins an in-scope listener of its own namespace only', () => {
  const serverPort = port('established-v4', 'server');
  const listener = table().find((s) => s.state === 'LISTEN' && s.local.port === serverPort)!;
  const ownedListener: SocketRecord = { ...listener, owners: [{ pid: 500, command: 'server' }] };
  const timeWait = (netns?: string): SocketRecord => ({ ...listener, state: 'TIME-WAIT', inode: 0, remote: { address: '127.0.0.1', port: 40_000 }, owners: [], ...(netns ? { netns } : {}) });
  const { sockets } = selectScope([ownedListener, timeWait(), timeWait('net:[4026532301]')], new Set([500]));
  assert.deepEqual(
    sockets.map((s) => `${s.state} ${s.netns ?? 'ours'}`),
    ['LISTEN ours', 'TIME-WAIT ours'],
  );
});

test('workspace containers: Compose`s project folder or the dev container`s local folder inside a workspace folder', () => {
  const c = (composeWorkingDir: string | null, devContainerLocalFolder: string | null = null) => ({ composeWorkingDir, devContainerLocalFolder });
  assert.ok(isWorkspaceContainer(c('/work/app'), ['/work/app']));
  assert.ok(isWorkspaceContainer(c('/work/app/deploy'), ['/work/app']));
  assert.ok(!isWorkspaceContainer(c('/work/apple'), ['/work/app']));
  assert.ok(!isWorkspaceContainer(c('/work'), ['/work/app']), 'a compose file above the workspace is another project`s');
  assert.ok(isWorkspaceContainer(c(null, '/work/app'), ['/srv', '/work/app']));
  assert.ok(!isWorkspaceContainer(c(null, null), ['/']), 'an unlabelled container belongs to no folder');
  assert.ok(!isWorkspaceContainer(c('/work/app'), []));
});
