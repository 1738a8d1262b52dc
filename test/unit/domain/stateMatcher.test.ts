import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { findStateMentions, procRowState, stateMentionAt } from '../../../src/domain/stateMatcher';
import type { TcpState } from '../../../src/domain/types';
import { STATE_ALIASES } from '../../../src/domain/states';
import fc from 'fast-check';
import { UNIT_FIXTURES } from '../../common/paths';

// Captured on Linux 6.18 from a loopback server holding LISTEN, ESTABLISHED, FIN-WAIT-2/CLOSE-WAIT and TIME-WAIT.
const fixtures = join(UNIT_FIXTURES, 'stateMatcher');
const lines = (name: string) => readFileSync(join(fixtures, name), 'utf8').split('\n').filter((l) => l.trim() !== '');

/** The states found in a line, in order. */
const states = (line: string) => findStateMentions(line).map((m) => m.state);
/** The matched texts in a line, in order. */
const texts = (line: string) => findStateMentions(line).map((m) => line.slice(m.start, m.end));

test('ss -nat: each row yields its State column, the header nothing', () => {
  const [header, ...rows] = lines('ss-nat.txt');
  assert.deepEqual(states(header), []);
  for (const row of rows) {
    const first = row.split(/\s+/)[0];
    const found = findStateMentions(row);
    assert.equal(found.length, 1, row);
    assert.equal(found[0].start, 0);
    assert.equal(found[0].text, first);
  }
  assert.deepEqual(
    rows.map((r) => states(r)[0]),
    ['LISTEN', 'ESTABLISHED', 'FIN-WAIT-2', 'TIME-WAIT', 'ESTABLISHED', 'CLOSE-WAIT'],
  );
});

test('netstat -tan: each row yields its State column (the English words count: the row has tcp and addresses)', () => {
  const [title, header, ...rows] = lines('netstat-tan.txt');
  assert.deepEqual(states(title), [], 'the title says "established" in prose, with no TCP context');
  assert.deepEqual(states(header), []);
  for (const row of rows) {
    const last = row.trim().split(/\s+/).at(-1);
    assert.deepEqual(texts(row), [last], row);
  }
  assert.deepEqual(
    rows.map((r) => states(r)[0]),
    ['LISTEN', 'ESTABLISHED', 'FIN-WAIT-2', 'TIME-WAIT', 'ESTABLISHED', 'CLOSE-WAIT'],
  );
});

test('/proc/net/tcp rows: the st column is read as the kernel state code', () => {
  const [header, ...rows] = lines('proc-net-tcp.txt');
  assert.equal(procRowState(header), undefined);
  assert.deepEqual(findStateMentions(header), []);
  const expected: TcpState[] = ['LISTEN', 'ESTABLISHED', 'FIN-WAIT-2', 'TIME-WAIT', 'ESTABLISHED', 'CLOSE-WAIT'];
  rows.forEach((row, i) => {
    const found = findStateMentions(row);
    assert.equal(found.length, 1, row);
    const [m] = found;
    assert.equal(m.kind, 'proc-st');
    assert.equal(m.state, expected[i]);
    // The match is exactly the fourth whitespace-separated column.
    assert.equal(row.slice(m.start, m.end), row.trim().split(/\s+/)[3]);
    assert.equal(m.end - m.start, 2);
  });
});

test('/proc/net/tcp6 rows (32-digit addresses) are read too', () => {
  const [, ...rows] = lines('proc-net-tcp6.txt');
  assert.ok(rows.length > 0);
  for (const row of rows) {
    const [m] = findStateMentions(row);
    assert.equal(m.kind, 'proc-st');
    assert.equal(row.slice(m.start, m.end), row.trim().split(/\s+/)[3]);
  }
});

test('every st code 01..0C maps to its state; other codes and hex words elsewhere do not', () => {
  const row = (st: string) => `   0: 0100007F:1F90 00000000:0000 ${st} 00000000:00000000 00:00000000 00000000  1000        0 12345 1`;
  const codes: [string, TcpState][] = [
    ['01', 'ESTABLISHED'], ['02', 'SYN-SENT'], ['03', 'SYN-RECEIVED'], ['04', 'FIN-WAIT-1'], ['05', 'FIN-WAIT-2'],
    ['06', 'TIME-WAIT'], ['07', 'CLOSED'], ['08', 'CLOSE-WAIT'], ['09', 'LAST-ACK'], ['0A', 'LISTEN'], ['0B', 'CLOSING'],
    ['0C', 'SYN-RECEIVED'], ['0a', 'LISTEN'],
  ];
  for (const [code, state] of codes) assert.equal(procRowState(row(code))?.state, state, code);
  assert.equal(procRowState(row('00')), undefined);
  assert.equal(procRowState(row('0D')), undefined);
  assert.deepEqual(findStateMentions('exit code 06 after 0A retries'), []);
  assert.deepEqual(findStateMentions('0: 0100007F:1F90 0A'), [], 'a row needs both addresses');
});

test('the aliases tools print are found as whole words', () => {
  const cases: [string, TcpState][] = [
    ['TIME_WAIT', 'TIME-WAIT'],
    ['TIME-WAIT', 'TIME-WAIT'],
    ['TimeWait', 'TIME-WAIT'],
    ['TCP_TIME_WAIT', 'TIME-WAIT'],
    ['FIN_WAIT2', 'FIN-WAIT-2'],
    ['FIN-WAIT-1', 'FIN-WAIT-1'],
    ['SYN_RECV', 'SYN-RECEIVED'],
    ['SYN-SENT', 'SYN-SENT'],
    ['ESTAB', 'ESTABLISHED'],
    ['CLOSE_WAIT', 'CLOSE-WAIT'],
    ['TCP_CLOSE_WAIT', 'CLOSE-WAIT'],
    ['LAST_ACK', 'LAST-ACK'],
  ];
  for (const [alias, state] of cases) {
    const line = `2024-05-01 12:00:01 worker[3] socket went to ${alias}, retrying`;
    const found = findStateMentions(line);
    assert.equal(found.length, 1, alias);
    assert.equal(found[0].state, state, alias);
    assert.equal(line.slice(found[0].start, found[0].end), alias);
  }
});

test('partial words are not matches', () => {
  for (const line of [
    'TIME_WAITING for the lock',
    'XESTAB',
    'ESTABX',
    'MY_TIME_WAIT = 3',
    'TCP_TIMEWAIT_LEN is 60 s',
    'TIME_WAIT2',
    'ESTABLISHMENT of 127.0.0.1:80',
    'FIN-WAIT-3',
  ]) {
    assert.deepEqual(findStateMentions(line), [], line);
  }
});

test('hyphens of an arrow are not part of the name', () => {
  const line = '  1.  SYN-SENT--> <SEQ=0><CTL=SYN> -->SYN-RECEIVED';
  assert.deepEqual(texts(line), ['SYN-SENT', 'SYN-RECEIVED']);
});

test('ordinary English words count only in a TCP-looking line', () => {
  // Not TCP: code and prose.
  for (const line of [
    'if (state === CLOSED) return;',
    'The shop is CLOSED on Sundays and CLOSED on holidays.',
    'LISTEN carefully',
    'ESTABLISHED in 1998',
    'const CLOSING = 2; // 12:30:45',
  ]) {
    assert.deepEqual(findStateMentions(line), [], line);
  }
  // TCP: another state on the line, an address:port, or the word tcp.
  assert.deepEqual(states('state CLOSED -> LISTEN'), ['CLOSED', 'LISTEN']);
  assert.deepEqual(states('ESTABLISHED then TIME_WAIT'), ['ESTABLISHED', 'TIME-WAIT']);
  assert.deepEqual(states('LISTEN 0 128 0.0.0.0:22 0.0.0.0:*'), ['LISTEN']);
  assert.deepEqual(states('CLOSING [::1]:8080'), ['CLOSING']);
  assert.deepEqual(states('tcp6 0 0 :::22 :::* LISTEN'), ['LISTEN']);
  assert.deepEqual(states('server ESTABLISHED with localhost:5432'), ['ESTABLISHED']);
  assert.deepEqual(states('TCP connection CLOSED'), ['CLOSED']);
  // A distinctive alias needs no context.
  assert.deepEqual(states('if (state === TCP_CLOSE_WAIT) leak();'), ['CLOSE-WAIT']);
});

test('stateMentionAt finds the mention under a position and nothing beside it', () => {
  const line = 'tcp 0 0 127.0.0.1:80 127.0.0.1:5000 TIME_WAIT';
  const start = line.indexOf('TIME_WAIT');
  assert.equal(stateMentionAt(line, start)?.state, 'TIME-WAIT');
  assert.equal(stateMentionAt(line, start + 8)?.state, 'TIME-WAIT');
  assert.equal(stateMentionAt(line, start + 9), undefined);
  assert.equal(stateMentionAt(line, start - 1), undefined);
  assert.equal(stateMentionAt(line, 0), undefined);
});

test('every spelling in STATE_ALIASES is found in a TCP-looking line and names its state', () => {
  for (const { alias, state } of STATE_ALIASES) {
    const line = `tcp 127.0.0.1:8080 -> ${alias};`;
    assert.deepEqual(
      findStateMentions(line).map((m) => [m.text, m.state]),
      [[alias, state]],
      alias,
    );
  }
});

test('property: a mention is the text at its offsets and never continues a word on either side', () => {
  const pieces = fc.constantFrom(...STATE_ALIASES.map((a) => a.alias), 'X', '_', '-', ' ', '1', ':', '127.0.0.1:80', 'tcp', '.');
  fc.assert(
    fc.property(fc.array(pieces, { maxLength: 12 }).map((p) => p.join('')), (line) => {
      for (const m of findStateMentions(line)) {
        assert.equal(line.slice(m.start, m.end), m.text);
        assert.ok(!/[A-Za-z0-9_]/.test(line[m.start - 1] ?? ' '), line);
        assert.ok(!/[A-Za-z0-9_]/.test(line[m.end] ?? ' '), line);
        assert.ok(STATE_ALIASES.some((a) => a.alias === m.text && a.state === m.state), m.text);
      }
    }),
    { numRuns: 500 },
  );
});

test('stateMentionAt reads only a window of a very long line, with offsets in the whole line', () => {
  const filler = 'x'.repeat(10_000);
  const line = `${filler} TIME_WAIT ${filler}`;
  const at = filler.length + 3;
  const m = stateMentionAt(line, at, 1000);
  assert.equal(m?.state, 'TIME-WAIT');
  assert.equal(line.slice(m?.start, m?.end), 'TIME_WAIT');
  // Near the end of the line the window is clamped to the line.
  const tail = `${filler} CLOSE_WAIT`;
  const t = stateMentionAt(tail, tail.length - 2, 1000);
  assert.equal(tail.slice(t?.start, t?.end), 'CLOSE_WAIT');
  // An English word counts only with TCP context inside the window: far-away context does not.
  const far = `tcp 127.0.0.1:80 ${filler} CLOSED`;
  assert.equal(stateMentionAt(far, far.length - 2, 1000), undefined);
  assert.equal(stateMentionAt(far, far.length - 2, 20_000)?.state, 'CLOSED');
});

/**
 * Fastest ms of findStateMentions on each line over `runs` calls, the two measured in turn so both see the same
 * conditions. The minimum, not the mean: other test files run alongside, and GC or a descheduled thread only ever
 * adds time.
 */
function fastestTimes(a: string, b: string, runs = 31): [number, number] {
  let ta = Infinity;
  let tb = Infinity;
  for (let i = 0; i < runs; i++) {
    let t0 = performance.now();
    findStateMentions(a);
    ta = Math.min(ta, performance.now() - t0);
    t0 = performance.now();
    findStateMentions(b);
    tb = Math.min(tb, performance.now() - t0);
  }
  return [ta, tb];
}

test('property: time grows linearly with the line (64k characters cost < 8x 16k, measured as a ratio in one run)', () => {
  // Lines built by repeating a short pattern of the characters the matcher's expressions care about: a quadratic
  // expression shows a ratio near 16 on some of them (`a---…-a`, `[::::…` took 0.35 s at 16k before).
  const piece = fc.array(fc.constantFrom('-', ':', '::', '[', ']', '.', '1', '255.', 'a', 'F', '*', ' ', '%', '_', 'LISTEN', 'TIME_WAIT', 'tcp', '0A'), { minLength: 1, maxLength: 6 });
  const shapes = [['a', '-'], ['[', ':'], ['LISTEN [', 'a:'], ['x', '1.']];
  const lineOf = (head: string, unit: string, length: number): string => (head + unit.repeat(Math.ceil(length / unit.length))).slice(0, length) + 'a';
  const ratio = (head: string, unit: string): number => {
    const small = lineOf(head, unit, 16_000);
    const large = lineOf(head, unit, 64_000);
    // Linear code measures ~4; a quadratic expression ~16 every time. A ratio past 8 is measured twice more (a burst
    // of load during one measurement), and the lowest of the three counts.
    let best = Infinity;
    for (let attempt = 0; attempt < 3 && best >= 8; attempt++) {
      const [ts, tl] = fastestTimes(small, large);
      // Under 20 µs at 64k: below what the timer can tell apart, and no quadratic expression is that fast there.
      best = Math.min(best, tl < 0.02 ? 1 : tl / Math.max(ts, 0.001));
    }
    return best;
  };
  for (const [head, unit] of shapes) {
    const r = ratio(head, unit);
    assert.ok(r < 8, `'${head}' + '${unit}'*: 64k/16k time ratio ${r.toFixed(1)}`);
  }
  fc.assert(
    fc.property(fc.string({ maxLength: 8 }), piece, (head, parts) => {
      const r = ratio(head, parts.join(''));
      assert.ok(r < 8, `${JSON.stringify(head)} + ${JSON.stringify(parts.join(''))}*: 64k/16k time ratio ${r.toFixed(1)}`);
    }),
    { numRuns: 40 },
  );
});
