// tcp_info parsing on `ss -tani` output captured from real loopback sockets (fixtures/ss-tani/capture.mjs).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseSsEndpoint, parseSsTcpInfo, pickConnection, tcpInfoArgs } from '../../../src/sampling/tcpInfo';
import { UNIT_FIXTURES } from '../../common/paths';

const fixture = (name: string) => readFileSync(join(UNIT_FIXTURES, 'ss-tani', `${name}.txt`), 'utf8');

/** The ports named in the fixture's `$ ss ...` line: `sport = :A` and `dport = :B`. */
function ports(text: string): { sport: number; dport: number | null } {
  const first = text.split('\n')[0];
  return { sport: Number(/sport = :(\d+)/.exec(first)?.[1]), dport: /dport = :(\d+)/.test(first) ? Number(/dport = :(\d+)/.exec(first)?.[1]) : null };
}

test('an established IPv4 client: rtt, cwnd, byte counters and rates', () => {
  const text = fixture('established-v4');
  const rows = parseSsTcpInfo(text);
  assert.equal(rows.length, 1);
  const r = rows[0];
  const p = ports(text);
  assert.equal(r.state, null, 'the state filter drops the State column');
  assert.deepEqual(r.local, { address: '127.0.0.1', port: p.sport });
  assert.deepEqual(r.remote, { address: '127.0.0.1', port: p.dport });
  assert.equal(r.congestion, 'bbr');
  assert.equal(r.rttMs, 0.025);
  assert.equal(r.rttVarMs, 0.013);
  assert.equal(r.minRttMs, 0.011);
  assert.equal(r.rtoMs, 204);
  assert.equal(r.cwnd, 11);
  assert.equal(r.mss, 53760);
  // The capture wrote 5000 bytes and read the server's 17-byte greeting.
  assert.equal(r.bytesSent, 5000);
  assert.equal(r.bytesReceived, 17);
  assert.equal(r.bytesAcked, 5001);
  assert.equal(r.segsOut, 4);
  assert.equal(r.sendBps, 189235200000);
  assert.equal(r.deliveryRateBps, 39098181816);
  assert.equal(r.retransTotal, null, 'no retransmits: ss prints no retrans field');
  assert.ok(r.flags.includes('app_limited'));
  assert.equal(r.fields.wscale, '10,10');
  assert.equal(r.fields.bbr, '(bw:39098170160bps,mrtt:0.011,pacing_gain:2.88672,cwnd_gain:2.88672)');
});

test('a sender stalled behind a receiver that never reads: retransmits, back-off, unsent bytes', () => {
  const r = parseSsTcpInfo(fixture('stalled-sender'))[0];
  assert.equal(r.sendQ, 3723910);
  assert.equal(r.notSent, 3723910);
  assert.equal(r.retransNow, 0);
  assert.equal(r.retransTotal, 1);
  assert.equal(r.bytesRetrans, 19968);
  assert.equal(r.backoff, 2);
  assert.equal(r.rttMs, 5.628);
  assert.equal(r.cwnd, 17);
  assert.ok(r.rwndLimitedMs !== null && r.rwndLimitedMs > 0, 'the peer window limited the sender');
  assert.equal(r.fields.rwnd_limited?.endsWith('(100.0%)'), true);
});

test('IPv6 endpoints lose their brackets', () => {
  const text = fixture('established-v6');
  const r = parseSsTcpInfo(text)[0];
  assert.deepEqual(r.local, { address: '::1', port: ports(text).sport });
  assert.equal(r.remote.address, '::1');
  assert.equal(r.bytesReceived, 2);
  assert.equal(r.bytesSent, null, 'the v6 client sent nothing: ss omits bytes_sent');
});

test('a listener: wildcard peer, backlog in Send-Q, only cwnd known', () => {
  const r = parseSsTcpInfo(fixture('listening-v4'))[0];
  assert.deepEqual(r.remote, { address: '0.0.0.0', port: 0 });
  assert.equal(r.sendQ, 511);
  assert.equal(r.cwnd, 10);
  assert.equal(r.rttMs, null);
});

test('TIME-WAIT: the socket is listed with an empty info line', () => {
  const rows = parseSsTcpInfo(fixture('time-wait-v4'));
  assert.equal(rows.length, 1);
  assert.equal(rows[0].congestion, null);
  assert.deepEqual(rows[0].fields, {});
  assert.equal(rows[0].rttMs, null);
});

test('CLOSE-WAIT: the server received the peer\'s FIN and its 3 bytes', () => {
  const r = parseSsTcpInfo(fixture('close-wait-v4'))[0];
  assert.equal(r.bytesReceived, 4, 'bytes_received counts the FIN\'s sequence number as well as "bye"');
  assert.equal(r.congestion, 'bbr');
});

test('no match: header only', () => {
  assert.deepEqual(parseSsTcpInfo(fixture('no-match')), []);
});

test('unfiltered output keeps the State column; pickConnection finds the one 4-tuple', () => {
  const text = fixture('unfiltered-pair');
  const rows = parseSsTcpInfo(text);
  assert.deepEqual(rows.map((r) => r.state), ['LISTEN', 'ESTABLISHED', 'ESTABLISHED']);
  const [listener, server, client] = rows;
  assert.equal(server.local.port, listener.local.port);
  assert.equal(pickConnection(rows, client), client);
  assert.equal(pickConnection(rows, { local: server.local, remote: server.remote }), server);
  assert.equal(pickConnection(rows, { local: listener.local, remote: listener.remote }), listener);
  assert.equal(client.bytesSent, server.bytesReceived, 'both ends count the same 5000 bytes');
  // An IPv4-mapped address is the same socket as its plain IPv4 form.
  assert.equal(pickConnection(rows, { local: { ...client.local, address: `::ffff:${client.local.address}` }, remote: client.remote }), client);
});

test('endpoints in every form ss prints', () => {
  assert.deepEqual(parseSsEndpoint('127.0.0.1:80'), { address: '127.0.0.1', port: 80 });
  assert.deepEqual(parseSsEndpoint('[::ffff:127.0.0.1]:8080'), { address: '::ffff:127.0.0.1', port: 8080 });
  assert.deepEqual(parseSsEndpoint('[::]:*'), { address: '::', port: 0 });
  assert.deepEqual(parseSsEndpoint('*:22'), { address: '0.0.0.0', port: 22 });
  assert.deepEqual(parseSsEndpoint('127.0.0.53%lo:53'), { address: '127.0.0.53', port: 53 });
  assert.deepEqual(parseSsEndpoint('[fe80::1%eth0]:22'), { address: 'fe80::1%eth0', port: 22 });
  assert.equal(parseSsEndpoint('nonsense'), null);
});

test('the arguments select one socket by state and 4-tuple, with no shell quoting', () => {
  const args = tcpInfoArgs({ state: 'ESTABLISHED', local: { address: '127.0.0.1', port: 54012 }, remote: { address: '127.0.0.1', port: 8080 } });
  assert.deepEqual(args, ['-tani', 'state', 'established', '( sport = :54012 and dport = :8080 and src 127.0.0.1 and dst 127.0.0.1 )']);
});
