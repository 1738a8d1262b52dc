// "Who uses port X": the port as typed or as an error message prints it, and the sockets that use it.
// Error lines as Node 20 and Python 3 printed them on this machine; Go's and nginx's as their sources format them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { findPortInUseMentions, parsePortQuery, portUsers } from '../../../src/domain/portUsers';
import type { SocketRecord, TcpState } from '../../../src/domain/types';

test('a port as typed: bare, after a colon, with an IPv4, IPv6 or host address, or Node\'s :::port', () => {
  assert.deepEqual(parsePortQuery('8080'), { port: 8080, address: null });
  assert.deepEqual(parsePortQuery(' :8080 '), { port: 8080, address: null });
  assert.deepEqual(parsePortQuery('127.0.0.1:3000'), { port: 3000, address: '127.0.0.1' });
  assert.deepEqual(parsePortQuery('[::1]:3000'), { port: 3000, address: '::1' });
  assert.deepEqual(parsePortQuery(':::35263'), { port: 35263, address: '::' });
  assert.deepEqual(parsePortQuery('localhost:5173'), { port: 5173, address: 'localhost' });
  for (const bad of ['', '0', '65536', 'port', '80a', '1.2.3.4', 'http://x:80/', '[::1]']) assert.equal(parsePortQuery(bad), null, bad);
});

function s(state: TcpState, local: [string, number], remote: [string, number], pid?: number): SocketRecord {
  return {
    state,
    family: local[0].includes(':') ? 'ipv6' : 'ipv4',
    local: { address: local[0], port: local[1] },
    remote: { address: remote[0], port: remote[1] },
    inode: pid === undefined ? 0 : 1,
    uid: 0,
    recvQ: 0,
    sendQ: 0,
    timer: null,
    owners: pid === undefined ? [] : [{ pid, command: 'node' }],
  };
}

test('the users of a port: listeners first, then connections on it, then connections towards it', () => {
  const sockets = [
    s('ESTABLISHED', ['127.0.0.1', 51000], ['127.0.0.1', 3000], 20),
    s('LISTEN', ['0.0.0.0', 3000], ['0.0.0.0', 0], 10),
    s('ESTABLISHED', ['127.0.0.1', 3000], ['127.0.0.1', 51000], 10),
    s('TIME-WAIT', ['127.0.0.1', 3000], ['127.0.0.1', 50999]),
    s('LISTEN', ['::', 3001], ['::', 0], 11),
    s('ESTABLISHED', ['10.0.0.5', 40000], ['10.0.0.9', 443], 12),
  ];
  const users = portUsers(sockets, 3000);
  assert.deepEqual(users.map((u) => [u.kind, u.socket.state, u.socket.local.port]), [
    ['listener', 'LISTEN', 3000],
    ['accepted', 'TIME-WAIT', 3000],
    ['accepted', 'ESTABLISHED', 3000],
    ['client', 'ESTABLISHED', 51000],
  ]);
  assert.deepEqual(portUsers(sockets, 9), []);
});

test('a container`s listener on the same port comes after ours: it is its own namespace`s, no bind here conflicts with it', () => {
  const theirs = { ...s('LISTEN', ['127.0.0.1', 3000], ['0.0.0.0', 0]), netns: 'net:[4026532301]' };
  const ours = s('LISTEN', ['0.0.0.0', 3000], ['0.0.0.0', 0], 10);
  assert.deepEqual(
    portUsers([theirs, ours], 3000).map((u) => u.socket.netns ?? 'ours'),
    ['ours', 'net:[4026532301]'],
  );
});

test('the address:port of a "port in use" error becomes a link; other lines have none', () => {
  const node = 'Error: listen EADDRINUSE: address already in use 127.0.0.1:35263';
  assert.deepEqual(findPortInUseMentions(node), [{ start: node.indexOf('127.0.0.1'), end: node.length, query: { port: 35263, address: '127.0.0.1' }, text: '127.0.0.1:35263' }]);
  const nodeV6 = 'Error: listen EADDRINUSE: address already in use :::35263';
  assert.deepEqual(findPortInUseMentions(nodeV6).map((m) => [m.text, m.query]), [[':::35263', { port: 35263, address: '::' }]]);
  const go = 'listen tcp :8080: bind: address already in use';
  assert.deepEqual(findPortInUseMentions(go).map((m) => [m.text, go.slice(m.start, m.end), m.query.port]), [[':8080', ':8080', 8080]]);
  const goV6 = 'listen tcp [::1]:8080: bind: address already in use';
  assert.deepEqual(findPortInUseMentions(goV6).map((m) => [m.text, m.query]), [['[::1]:8080', { port: 8080, address: '::1' }]]);
  const nginx = 'nginx: [emerg] bind() to 0.0.0.0:80 failed (98: Address already in use)';
  assert.deepEqual(findPortInUseMentions(nginx).map((m) => m.text), ['0.0.0.0:80']);
  const python = "OSError: [Errno 98] error while attempting to bind on address ('127.0.0.1', 34715): address already in use";
  const [py] = findPortInUseMentions(python);
  assert.deepEqual([python.slice(py.start, py.end), py.text, py.query], ["('127.0.0.1', 34715)", '127.0.0.1:34715', { port: 34715, address: '127.0.0.1' }]);
  assert.deepEqual(findPortInUseMentions('OSError: [Errno 98] Address already in use'), [], 'no port to link');
  assert.deepEqual(findPortInUseMentions('GET http://127.0.0.1:3000/ 200 in 3 ms'), [], 'a port in a log line is no question');
  assert.deepEqual(findPortInUseMentions('server listening on 127.0.0.1:3000'), []);
});
