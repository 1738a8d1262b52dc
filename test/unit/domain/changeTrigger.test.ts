// The full-read trigger rule (src/domain/changeTrigger.ts) on probe readings recorded before and after real socket
// events, and on readings taken while a connection carried UI-like traffic. The recordings are
// test/unit/fixtures/probes/{events,ui-traffic}.json, captured on Linux 6.18 by
// `sudo node out/bench/probes/events.js --fixtures test/unit/fixtures/probes --tw-expiry` (bench/probes/events.ts:
// two private network namespaces joined by veth, ChangeProbe on /proc/<pid>/net of a process in the watched one,
// FdSetProbe on its two socket-holding processes). See test/unit/fixtures/README.md.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { COUNT_FIELDS, FD_DENIED, FD_GONE, SEGMENT_FIELDS, fdSetChanged, needsFullRead, type FdSignature, type ProbeCounters, type ProbeReading } from '../../../src/domain/changeTrigger';

const fixtures = join(__dirname, '..', '..', '..', '..', 'test', 'unit', 'fixtures', 'probes');

interface RecordedEvent {
  id: string;
  label: string;
  path: string;
  before: ProbeReading;
  after: ProbeReading;
  fdBefore: FdSignature[];
  fdAfter: FdSignature[];
}
const events = JSON.parse(readFileSync(join(fixtures, 'events.json'), 'utf8')) as { kernel: string; events: RecordedEvent[] };
const ui = JSON.parse(readFileSync(join(fixtures, 'ui-traffic.json'), 'utf8')) as { periodMs: number; series: Record<string, ProbeReading[]> };

function event(id: string): RecordedEvent {
  const e = events.events.find((x) => x.id === id);
  assert.ok(e, `fixture has event ${id}`);
  return e;
}

function counters(r: ProbeReading): ProbeCounters {
  assert.ok(r.available, 'recorded reading is available');
  return r;
}

/** What the rule must say for each recorded event, and why (the counters the kernel moved, measured). */
const EXPECTED: Record<string, { full: boolean; field?: keyof ProbeCounters; fdChanged: boolean }> = {
  // A socket entering the listening hash: inuse (TCP6 inuse for IPv6).
  'listen-v4': { full: true, field: 'tcpInuse', fdChanged: true },
  'listen-v6': { full: true, field: 'tcp6Inuse', fdChanged: true },
  'listen-veth': { full: true, field: 'tcpInuse', fdChanged: true },
  // The handshake: ActiveOpens (tcp_connect), PassiveOpens (the child), CurrEstab, inuse.
  'connect-v4': { full: true, field: 'activeOpens', fdChanged: true },
  'connect-v6': { full: true, field: 'tcp6Inuse', fdChanged: true },
  'remote-connect': { full: true, field: 'passiveOpens', fdChanged: false },
  'local-connect-remote': { full: true, field: 'activeOpens', fdChanged: true },
  // accept() only hands an established child to the process: no namespace counter moves, its fd set does.
  'accept-v4': { full: false, fdChanged: true },
  'accept-v6': { full: false, fdChanged: true },
  'remote-accept': { full: false, fdChanged: true },
  // Data on an existing connection: segment counters only.
  'data-v4': { full: false, fdChanged: false },
  'remote-data': { full: false, fdChanged: false },
  'local-data': { full: false, fdChanged: false },
  // Closes: leaving ESTABLISHED / CLOSE-WAIT moves CurrEstab; an orphaned FIN-WAIT-2 becomes a timewait
  // mini-socket at once (inuse -1, tw +1); leaving the table moves inuse.
  'close-client-v4': { full: true, field: 'currEstab', fdChanged: true },
  'close-closewait-v4': { full: true, field: 'currEstab', fdChanged: true },
  'close-server-v6': { full: true, field: 'tcpTw', fdChanged: true },
  'close-closewait-v6': { full: true, field: 'tcp6Inuse', fdChanged: true },
  'local-close-closewait': { full: true, field: 'currEstab', fdChanged: true },
  'local-close': { full: true, field: 'currEstab', fdChanged: true },
  'close-listener-v6': { full: true, field: 'tcp6Inuse', fdChanged: true },
  // Resets: EstabResets; a refused connect: AttemptFails.
  'abort-v4': { full: true, field: 'estabResets', fdChanged: true },
  'remote-rst': { full: true, field: 'estabResets', fdChanged: false },
  'refused-v4': { full: true, field: 'attemptFails', fdChanged: true },
  'tw-expiry': { full: true, field: 'tcpTw', fdChanged: false },
  // What no count sees (Linux >= 6.10): a remote FIN turning ESTABLISHED into CLOSE-WAIT (tcpCurrEstab counts
  // CLOSE-WAIT, RFC 1213), and a remote FIN turning an orphaned FIN-WAIT-2 timewait socket into TIME-WAIT (the
  // same mini-socket, another substate). Only segment counters move: left to the heartbeat.
  'remote-fin': { full: false, fdChanged: false },
  'remote-fin-finwait2': { full: false, fdChanged: false },
};

test('every recorded event is covered by the expectations, and the other way round', () => {
  assert.deepEqual(events.events.map((e) => e.id).sort(), Object.keys(EXPECTED).sort());
});

for (const [id, want] of Object.entries(EXPECTED)) {
  test(`recorded event ${id}: full=${want.full}${want.field ? ` (${want.field} moved)` : ''}, fd set ${want.fdChanged ? 'changed' : 'unchanged'}`, () => {
    const e = event(id);
    const d = needsFullRead(e.before, e.after);
    assert.equal(d.full, want.full, `${e.label}: ${d.reason}`);
    if (want.field) {
      assert.notEqual(counters(e.before)[want.field], counters(e.after)[want.field], `${want.field} moved in the recording`);
      assert.match(d.reason, new RegExp(`\\b${want.field}\\b`));
      assert.equal(d.trigger, 'count');
    } else {
      // No count moved: data, accept(), a remote FIN. Segment counters moved unless the event sends nothing.
      assert.ok(d.trigger === 'segments' || d.trigger === 'quiet', d.trigger);
    }
    assert.equal(fdSetChanged(e.fdBefore, e.fdAfter).changed, want.fdChanged, fdSetChanged(e.fdBefore, e.fdAfter).reason);
  });
}

test('the remote FIN recording is from a kernel that counts CLOSE-WAIT in CurrEstab (>= 6.10), and segments moved', () => {
  const [major, minor] = events.kernel.split('.').map(Number);
  assert.ok(major > 6 || (major === 6 && minor >= 10), events.kernel);
  const e = event('remote-fin');
  const a = counters(e.before);
  const b = counters(e.after);
  assert.equal(b.currEstab, a.currEstab);
  assert.ok(b.inSegs > a.inSegs);
  assert.equal(needsFullRead(e.before, e.after).trigger, 'segments');
});

test('host-wide fields (orphan, alloc) never trigger', () => {
  // tcp_orphan_count and tcp_sockets_allocated are per struct proto, not per namespace: another container's
  // sockets move them (the recordings show alloc moving in a namespace where nothing was created).
  const a = counters(event('remote-fin').before);
  const d = needsFullRead({ available: true, ...a }, { available: true, ...a, tcpOrphan: a.tcpOrphan + 6, tcpAlloc: a.tcpAlloc + 14 });
  assert.deepEqual([d.full, d.trigger], [false, 'quiet']);
});

for (const [path, readings] of Object.entries(ui.series)) {
  test(`UI traffic over ${path} (a message and its echo every 250 ms, ${readings.length} readings): no full read`, () => {
    let segments = 0;
    for (let i = 1; i < readings.length; i++) {
      const d = needsFullRead(readings[i - 1], readings[i]);
      assert.equal(d.full, false, `reading ${i}: ${d.reason}`);
      if (d.trigger === 'segments') segments++;
    }
    // The traffic was there: the segment counters moved in (nearly) every interval.
    assert.ok(segments >= (readings.length - 1) * 0.9, `${segments} of ${readings.length - 1} intervals moved segments`);
  });
}

const base = counters(event('listen-v4').before);

test('unavailable readings: lost -> one full read; still unavailable -> none (periodic reads); regained -> one', () => {
  const gone: ProbeReading = { available: false, reason: '/proc/123/ns/net is gone' };
  const ok: ProbeReading = { available: true, ...base };
  assert.deepEqual([needsFullRead(ok, gone).full, needsFullRead(ok, gone).trigger], [true, 'lost']);
  assert.deepEqual([needsFullRead(gone, gone).full, needsFullRead(gone, gone).trigger], [false, 'unavailable']);
  assert.deepEqual([needsFullRead(gone, ok).full, needsFullRead(gone, ok).trigger], [true, 'regained']);
  assert.equal(needsFullRead(ok, ok).trigger, 'quiet');
});

test('a wrapped count counter is a change; a wrapped segment counter is not a trigger', () => {
  const ok: ProbeReading = { available: true, ...base, activeOpens: 4294967295, inSegs: 4294967295 };
  assert.equal(needsFullRead(ok, { ...ok, activeOpens: 0 }).full, true);
  assert.equal(needsFullRead(ok, { ...ok, inSegs: 0 }).full, false);
});

test('property: full exactly when a count-like field differs; segment and host-wide fields never decide', () => {
  const fields = [...COUNT_FIELDS, ...SEGMENT_FIELDS, 'tcpOrphan', 'tcpAlloc'] as const;
  const reading = fc.record(Object.fromEntries(fields.map((f) => [f, fc.nat({ max: 5 })])) as Record<(typeof fields)[number], fc.Arbitrary<number>>);
  fc.assert(
    fc.property(reading, reading, (a, b) => {
      const d = needsFullRead({ available: true, ...a }, { available: true, ...b });
      const countMoved = COUNT_FIELDS.some((f) => a[f] !== b[f]);
      return d.full === countMoved && (d.trigger === 'count') === countMoved;
    }),
  );
});

const sig = (pid: number, fds: number, inodes: number[]): FdSignature => ({
  pid,
  fds,
  sockets: inodes.length,
  socketSum: inodes.reduce((a, b) => (a + b) >>> 0, 0),
  socketXor: inodes.reduce((a, b) => (a ^ b) >>> 0, 0),
});

test('fd set: a file opened or closed is no change; a socket fd appearing, going or swapped is', () => {
  const a = [sig(10, 20, [1001, 1002]), sig(11, 5, [])];
  assert.equal(fdSetChanged(a, [sig(10, 21, [1001, 1002]), sig(11, 6, [])]).changed, false);
  assert.equal(fdSetChanged(a, [sig(10, 21, [1001, 1002, 1003]), sig(11, 5, [])]).changed, true);
  assert.equal(fdSetChanged(a, [sig(10, 19, [1001]), sig(11, 5, [])]).changed, true);
  const swapped = fdSetChanged(a, [sig(10, 20, [1001, 1004]), sig(11, 5, [])]);
  assert.deepEqual([swapped.changed, /different set/.test(swapped.reason)], [true, true]);
});

test('fd set: a process gone or leaving the set matters only if it held sockets; an unreadable one never', () => {
  const a = [sig(10, 20, [1001]), sig(11, 5, [])];
  assert.equal(fdSetChanged(a, [{ ...sig(10, FD_GONE, []) }, sig(11, 5, [])]).changed, true);
  assert.equal(fdSetChanged(a, [sig(10, 20, [1001]), sig(11, FD_GONE, [])]).changed, false);
  assert.equal(fdSetChanged(a, [sig(11, 5, [])]).changed, true);
  assert.equal(fdSetChanged(a, [sig(10, 20, [1001])]).changed, false);
  assert.equal(fdSetChanged(a, [sig(10, FD_DENIED, []), sig(11, 5, [])]).changed, false);
  assert.equal(fdSetChanged(a, [...a, sig(12, 8, [2001])]).changed, true);
  assert.equal(fdSetChanged(a, [...a, sig(12, 8, [])]).changed, false);
});
