// The one sockstat parser (src/domain/sockstat.ts) the change probes and the sampler's table check share, on the
// files a real kernel printed (test/unit/fixtures/probes/proc-net, Linux 6.18) and on texts a fresh namespace prints.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { lineStarting, parseSockstatTcp, tcpTablesWorthReading } from '../../../src/domain/sockstat';

const procNet = join(__dirname, '..', '..', '..', '..', 'test', 'unit', 'fixtures', 'probes', 'proc-net');
const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

test('sockstat: the TCP line of a real sockstat, and the TCP6 line of a real sockstat6', () => {
  assert.deepEqual(parseSockstatTcp(readFileSync(join(procNet, 'sockstat')), undefined, 'TCP'), { inuse: 2, orphan: 7, tw: 6, alloc: 10 });
  assert.deepEqual(parseSockstatTcp(readFileSync(join(procNet, 'sockstat6')), undefined, 'TCP6'), { inuse: 1, orphan: null, tw: null, alloc: null });
  // TCP6 is not the TCP line, nor the other way round.
  assert.equal(parseSockstatTcp(readFileSync(join(procNet, 'sockstat6')), undefined, 'TCP'), null);
  assert.equal(parseSockstatTcp(readFileSync(join(procNet, 'sockstat')), undefined, 'TCP6'), null);
});

test('sockstat: only the first `length` bytes count (a kept buffer holds older, longer text after them)', () => {
  const b = enc('sockets: used 2\nTCP: inuse 3 orphan 0 tw 0 alloc 4 mem 0\nTCP: inuse 99 orphan 0 tw 99 alloc 4 mem 0\n');
  const firstLine = 'sockets: used 2\n'.length;
  assert.equal(parseSockstatTcp(b, firstLine, 'TCP'), null);
  assert.deepEqual(parseSockstatTcp(b, b.length, 'TCP'), { inuse: 3, orphan: 0, tw: 0, alloc: 4 });
  // A value cut by the length is read up to the length.
  const cut = enc('TCP: inuse 1234 orphan 0 tw 0');
  assert.equal(parseSockstatTcp(cut, 'TCP: inuse 12'.length, 'TCP')?.inuse, 12);
});

test('sockstat: a line start is a line start (UDP: ... TCP: in the middle of a line is not one), keys only after the prefix', () => {
  assert.equal(lineStarting(enc('xTCP: inuse 1\n'), 0, 14, enc('TCP:')), -1);
  assert.equal(lineStarting(enc('a\nTCP: inuse 1\n'), 0, 15, enc('TCP:')), 2);
  assert.equal(lineStarting(enc('TCP: inuse 1\n'), 0, 13, enc('TCP:')), 0);
  assert.equal(parseSockstatTcp(enc('garbage'), undefined, 'TCP'), null);
  assert.deepEqual(parseSockstatTcp(enc('TCP: something else\n'), undefined, 'TCP'), { inuse: null, orphan: null, tw: null, alloc: null });
});

test('tcpTablesWorthReading: a family`s table is skipped when its inuse and the namespace`s tw are both 0; with TIME-WAITs and no IPv6 socket, tcp6 waits on tcp`s count', () => {
  const line = (inuse: number | null, tw: number | null) => ({ inuse, orphan: 6, tw, alloc: 13 });
  const v6 = (inuse: number) => ({ inuse, orphan: null, tw: null, alloc: null });
  const none = { v4: false, v6: false };
  const both = { v4: true, v6: true };
  assert.deepEqual(tcpTablesWorthReading(line(0, 0), v6(0)), none);
  assert.deepEqual(tcpTablesWorthReading(line(0, 0), 'absent'), none, 'no sockstat6: IPv6 is off, no tcp6 table');
  assert.deepEqual(tcpTablesWorthReading(line(0, 0), v6(2)), { v4: false, v6: true }, 'an IPv6 listener only');
  assert.deepEqual(tcpTablesWorthReading(line(2, 0), v6(0)), { v4: true, v6: false });
  // A TIME-WAIT may be of either family: tcp first, and tcp6 only if tcp does not hold them all.
  assert.deepEqual(tcpTablesWorthReading(line(1, 1), v6(0)), { v4: true, v6: false, v6TimeWaits: 1 });
  assert.deepEqual(tcpTablesWorthReading(line(0, 4), 'absent'), { v4: true, v6: false, v6TimeWaits: 4 });
  assert.deepEqual(tcpTablesWorthReading(line(1, 1), v6(2)), both);
  assert.deepEqual(tcpTablesWorthReading(line(1, 1), null), both, 'sockstat6 unreadable: both');
  assert.deepEqual(tcpTablesWorthReading(null, null), both, 'unknown: read');
  assert.deepEqual(tcpTablesWorthReading(line(null, 0), v6(0)), both);
  assert.deepEqual(tcpTablesWorthReading(line(0, null), v6(0)), both);
  assert.deepEqual(tcpTablesWorthReading(line(0, 0), null), { v4: false, v6: true }, 'sockstat6 unreadable: read tcp6');
});
