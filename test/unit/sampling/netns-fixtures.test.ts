// The parsers on output captured from a network namespace whose sockets were driven into all ten observable
// states (scripts/capture-fixtures.mjs). netns-expected.json records each socket as the harness made it: its
// endpoints, its inode (fstat of the holder's fd, 0 without one) and the state the kernel was driven to.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseProcNetTcp } from '../../../src/sampling/procNetTcp';
import { parseSsOutput } from '../../../src/sampling/ssOutput';
import { formatEndpoint, type AddressFamily, type Endpoint, type SocketRecord, type TcpState } from '../../../src/domain/types';
import { TCP_STATES } from '../../../src/domain/states';
import { UNIT_FIXTURES } from '../../common/paths';

// Tests run from out/test/unit; the fixtures stay in the source tree.
const fixtures = UNIT_FIXTURES;
const read = (name: string): string => readFileSync(join(fixtures, name), 'utf8');

interface ExpectedSocket {
  label: string;
  state: TcpState;
  family: AddressFamily;
  local: Endpoint;
  remote: Endpoint;
  inode: number;
  holder: 'server' | 'client' | null;
}
interface Expected {
  states: TcpState[];
  counts: Record<string, number>;
  sockets: ExpectedSocket[];
}
const expected = JSON.parse(read('netns-expected.json')) as Expected;

const key = (s: Pick<SocketRecord, 'family' | 'local' | 'remote'>): string => `${s.family} ${formatEndpoint(s.local)} ${formatEndpoint(s.remote)}`;

function checkAgainstExpected(sockets: SocketRecord[], source: string): void {
  const byKey = new Map<string, SocketRecord[]>();
  for (const s of sockets) byKey.set(key(s), [...(byKey.get(key(s)) ?? []), s]);
  for (const e of expected.sockets) {
    const found = byKey.get(key(e)) ?? [];
    assert.equal(found.length, 1, `${source}: one row for ${e.label} (${key(e)}), found ${found.length}`);
    assert.equal(found[0].state, e.state, `${source}: state of ${e.label}`);
    assert.equal(found[0].inode, e.inode, `${source}: inode of ${e.label}`);
    assert.equal(found[0].uid, 0, `${source}: uid of ${e.label} (captured as root)`);
  }
  // The namespace held nothing but the harness's sockets.
  assert.equal(sockets.length, expected.sockets.length, `${source}: no rows beyond the driven sockets`);
}

test('the capture holds every observable state (all but CLOSED)', () => {
  assert.deepEqual(
    expected.states,
    TCP_STATES.filter((s) => s !== 'CLOSED'),
  );
  for (const s of expected.states) assert.ok(expected.sockets.some((e) => e.state === s), s);
});

test('/proc/net/tcp and /proc/net/tcp6 from the namespace parse to the driven sockets, every state', () => {
  const v4 = parseProcNetTcp(read('netns-proc-net-tcp.txt'), 'ipv4');
  const v6 = parseProcNetTcp(read('netns-proc-net-tcp6.txt'), 'ipv6');
  assert.equal(v4.skipped, 0);
  assert.equal(v6.skipped, 0);
  assert.ok(v4.sockets.every((s) => s.family === 'ipv4'));
  assert.ok(v6.sockets.every((s) => s.family === 'ipv6'));
  checkAgainstExpected([...v4.sockets, ...v6.sockets], 'proc');
  // IPv4 through a dual-stack IPv6 socket is in tcp6, IPv4-mapped (RFC 4291 2.5.5.2), in mixed notation.
  assert.ok(v6.sockets.some((s) => s.local.address === '::ffff:127.0.0.1' && s.state === 'ESTABLISHED'));
});

test('ss -tanoeH from the namespace parses to the same sockets, every state', () => {
  const ss = parseSsOutput(read('netns-ss.txt'));
  assert.equal(ss.skipped, 0);
  checkAgainstExpected(ss.sockets, 'ss');
});

test('both sources agree on state, inode and queues of every socket', () => {
  const proc = [...parseProcNetTcp(read('netns-proc-net-tcp.txt'), 'ipv4').sockets, ...parseProcNetTcp(read('netns-proc-net-tcp6.txt'), 'ipv6').sockets];
  const ss = new Map(parseSsOutput(read('netns-ss.txt')).sockets.map((s) => [key(s), s]));
  for (const p of proc) {
    const s = ss.get(key(p));
    assert.ok(s, `ss has ${key(p)}`);
    assert.equal(s.state, p.state, key(p));
    assert.equal(s.inode, p.inode, key(p));
    // LISTEN rows differ by design: ss's Send-Q is the backlog, /proc's tx_queue is 0 (ss(8), tcp_diag).
    if (p.state !== 'LISTEN') assert.deepEqual([s.recvQ, s.sendQ], [p.recvQ, p.sendQ], `queues of ${key(p)}`);
  }
});

test('sockets the kernel is still retransmitting for carry a retransmit timer; TIME-WAIT its timewait timer', () => {
  for (const [source, sockets] of [
    ['proc', [...parseProcNetTcp(read('netns-proc-net-tcp.txt'), 'ipv4').sockets, ...parseProcNetTcp(read('netns-proc-net-tcp6.txt'), 'ipv6').sockets]],
    ['ss', parseSsOutput(read('netns-ss.txt')).sockets],
  ] as const) {
    for (const s of sockets) {
      // SYN-SENT (SYN dropped), SYN-RECEIVED (SYN-ACK unanswered), FIN-WAIT-1 / CLOSING / LAST-ACK (FIN dropped).
      if (['SYN-SENT', 'SYN-RECEIVED', 'FIN-WAIT-1', 'CLOSING', 'LAST-ACK'].includes(s.state)) {
        assert.equal(s.timer?.kind, 'retransmit', `${source} ${s.state} ${key(s)}`);
      }
      if (s.state === 'TIME-WAIT') {
        assert.equal(s.timer?.kind, 'timewait', `${source} ${key(s)}`);
        // TCP_TIMEWAIT_LEN is 60 s; the capture was taken within seconds of the close.
        assert.ok(s.timer.remainingMs > 0 && s.timer.remainingMs <= 60_000, `${source} ${s.timer.remainingMs}`);
      }
    }
  }
});
