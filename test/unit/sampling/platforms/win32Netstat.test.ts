// parseWinNetstat on real Windows netstat output in English, Chinese, Korean and German
// (fixtures/platforms/win32-netstat-*.txt, sources in their headers), and on rows written here for words we have no
// real output of.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { WIN_ENGLISH_STATES, WIN_GERMAN_STATES, parseWinNetstat, type WinNetstatRow } from '../../../../src/sampling/platforms/win32/netstat';
import { fixtureText } from './fixtures';

const ends = (r: WinNetstatRow): string => `${r.local.address}:${r.local.port} ${r.remote.address}:${r.remote.port}`;

test('English -ano: listeners with their PIDs; the header line is recognised, nothing is left unparsed', () => {
  const p = parseWinNetstat(fixtureText('win32-netstat-ano-en.txt'));
  assert.deepEqual(p.unparsed, []);
  assert.deepEqual(p.unknownState, []);
  assert.equal(p.header.length, 1);
  assert.match(p.header[0], /Proto\s+Local Address\s+Foreign Address\s+State\s+PID/);
  assert.equal(p.rows.length, 14);
  for (const r of p.rows) {
    assert.deepEqual([r.state, r.stateWord, r.family, r.remote, r.stateFromForeignAddress], ['LISTEN', 'LISTENING', 'ipv4', { address: '0.0.0.0', port: 0 }, false]);
    assert.deepEqual([r.inode, r.uid, r.recvQ, r.sendQ, r.timer], [0, -1, 0, 0, null]);
  }
  assert.deepEqual(p.rows.slice(0, 2).map((r) => [r.local.port, r.pid, r.owners]), [[80, 4, [{ pid: 4, command: '' }]], [135, 896, [{ pid: 896, command: '' }]]]);
});

test('English -an (no PID column): connections on both ends, no owner', () => {
  const p = parseWinNetstat(fixtureText('win32-netstat-an-en-established.txt'));
  assert.deepEqual([p.unparsed, p.header], [[], []]);
  assert.equal(p.rows.length, 8);
  assert.ok(p.rows.every((r) => r.state === 'ESTABLISHED' && r.pid === null && r.owners.length === 0));
  assert.equal(ends(p.rows[0]), '127.0.0.1:49223 127.0.0.1:49224');
});

test('Chinese: translated title and header, English state words; TIME_WAIT rows have PID 0 and no owner', () => {
  const p = parseWinNetstat(fixtureText('win32-netstat-ano-zh.txt'));
  assert.deepEqual(p.header.map((h) => h.trim().split(/\s+/)[0]), ['活动连接', '协议']);
  assert.deepEqual(p.unparsed, []);
  assert.deepEqual(p.rows.map((r) => [r.state, r.pid, r.owners.length, ends(r)]), [
    ['TIME-WAIT', 0, 0, '127.0.0.1:8411 127.0.0.1:58296'],
    ['TIME-WAIT', 0, 0, '127.0.0.1:8411 127.0.0.1:58298'],
  ]);
});

test('Korean: translated header, English state words', () => {
  const p = parseWinNetstat(fixtureText('win32-netstat-ano-ko.txt'));
  assert.equal(p.header.length, 1);
  assert.deepEqual(p.unparsed, []);
  assert.equal(p.rows.length, 17);
  assert.ok(p.rows.every((r) => r.state === 'LISTEN'));
  assert.deepEqual([ends(p.rows[16]), p.rows[16].pid], ['127.0.0.1:8380 0.0.0.0:0', 9200]);
});

test('German: translated words, ABHÖREN as read through the wrong code page, IPv6, and UDP rows reported', () => {
  const p = parseWinNetstat(fixtureText('win32-netstat-an-de.txt'));
  assert.deepEqual(p.header.map((h) => h.trim().split(/\s+/)[0]), ['Aktive', 'Proto']);
  assert.deepEqual(p.unknownState, []);
  assert.equal(p.unparsed.length, 6);
  assert.ok(p.unparsed.every((l) => l.trim().startsWith('UDP')));
  const count = (state: string) => p.rows.filter((r) => r.state === state).length;
  // 20 ABH™REN, 56 HERGESTELLT, 7 SCHLIESSEN_WARTEN, 4 FIN_WARTEN_2, 5 WARTEND rows in the fixture.
  assert.equal(p.rows.length, 92);
  assert.deepEqual(
    [count('LISTEN'), count('ESTABLISHED'), count('CLOSE-WAIT'), count('FIN-WAIT-2'), count('TIME-WAIT')],
    [20, 56, 7, 4, 5],
  );
  // The listener word is known in its misread spelling: the state does not come from the foreign-address rule.
  const listeners = p.rows.filter((r) => r.state === 'LISTEN');
  assert.ok(listeners.every((r) => r.stateWord === 'ABH™REN' && !r.stateFromForeignAddress));
  assert.deepEqual(
    p.rows.filter((r) => r.family === 'ipv6' && r.state === 'LISTEN').map((r) => ends(r)),
    [':::135 :::0', ':::445 :::0', ':::3389 :::0', ':::4840 :::0', ':::4843 :::0', ':::22350 :::0'],
  );
  // What fixes the meaning of the words: both ends of each loopback connection are in the table.
  const key = (a: { address: string; port: number }, b: { address: string; port: number }) => `${a.address}:${a.port}>${b.address}:${b.port}`;
  const byEnds = new Map(p.rows.map((r) => [key(r.local, r.remote), r]));
  for (const r of p.rows.filter((x) => x.state === 'FIN-WAIT-2')) {
    assert.equal(byEnds.get(key(r.remote, r.local))?.state, 'CLOSE-WAIT', `${ends(r)}: the other end of a FIN-WAIT-2 is in CLOSE-WAIT`);
  }
  for (const r of p.rows.filter((x) => x.state === 'ESTABLISHED' && x.local.address === '127.0.0.1')) {
    const peer = byEnds.get(key(r.remote, r.local));
    if (peer) assert.equal(peer.state, 'ESTABLISHED');
  }
});

test('a word in no table is an unknown state with the word kept; with a wildcard foreign address the row is a listener', () => {
  const p = parseWinNetstat([
    '  TCP    127.0.0.1:5000         127.0.0.1:5001         FIN_WARTEN_1    42',
    '  TCP    127.0.0.1:7000         0.0.0.0:0              ZUHÖREN         43',
    '  TCP    [::]:7000              [::]:0                 IN DUE PAROLE   44',
    '  TCP    127.0.0.1:5001         127.0.0.1:5000         ZWEI WORTE      45',
  ].join('\r\n'));
  assert.deepEqual(p.unparsed, []);
  assert.deepEqual(p.unknownState.map((r) => [r.state, r.stateWord, r.pid]), [[null, 'FIN_WARTEN_1', 42], [null, 'ZWEI WORTE', 45]]);
  assert.deepEqual(p.rows.map((r) => [r.state, r.stateWord, r.stateFromForeignAddress, r.family]), [
    ['LISTEN', 'ZUHÖREN', true, 'ipv4'],
    ['LISTEN', 'IN DUE PAROLE', true, 'ipv6'],
  ]);
});

test('every English and German word of the tables maps as documented', () => {
  assert.deepEqual(Object.fromEntries(WIN_ENGLISH_STATES), {
    CLOSED: 'CLOSED', LISTENING: 'LISTEN', LISTEN: 'LISTEN', SYN_SENT: 'SYN-SENT', SYN_SEND: 'SYN-SENT', SYN_RECEIVED: 'SYN-RECEIVED',
    ESTABLISHED: 'ESTABLISHED', FIN_WAIT_1: 'FIN-WAIT-1', FIN_WAIT_2: 'FIN-WAIT-2', CLOSE_WAIT: 'CLOSE-WAIT', CLOSING: 'CLOSING',
    LAST_ACK: 'LAST-ACK', TIME_WAIT: 'TIME-WAIT', TIMED_WAIT: 'TIME-WAIT', BOUND: 'CLOSED', DELETE_TCB: 'CLOSED',
  });
  const rows = [...WIN_GERMAN_STATES.keys()].map((w, i) => `  TCP    10.0.0.1:${1000 + i}         10.0.0.2:80            ${w}     7`);
  const p = parseWinNetstat(rows.join('\n'));
  assert.deepEqual(p.rows.map((r) => r.state), [...WIN_GERMAN_STATES.values()]);
  assert.ok(p.rows.every((r) => !r.stateFromForeignAddress));
});

test('link-local IPv6 keeps its interface index; an error message instead of a table is reported whole', () => {
  const p = parseWinNetstat('  TCP    [fe80::b1d7:da26:3873:fc51%12]:139  [fe80::1%12]:50000  ESTABLISHED  4\n');
  assert.deepEqual(p.rows.map((r) => [r.local.address, r.remote.address]), [['fe80::b1d7:da26:3873:fc51%12', 'fe80::1%12']]);
  const denied = parseWinNetstat('The requested operation requires elevation.\r\n');
  assert.deepEqual([denied.rows, denied.header, denied.unparsed], [[], [], ['The requested operation requires elevation.']]);
  const odd = parseWinNetstat(['Active Connections', '', '  Proto  Local Address  Foreign Address  State  PID', '  TCP    0.0.0.0:1  0.0.0.0:0  LISTENING  1', 'garbage'].join('\n'));
  assert.deepEqual([odd.rows.length, odd.header.length, odd.unparsed], [1, 2, ['garbage']]);
});

// ---------------------------------------------------------------------------------------------------------
// Properties

const port = fc.integer({ min: 0, max: 65535 });
const v6 = fc.constantFrom('::', '::1', 'fe80::1%12', '2001:db8::5', '::ffff:10.0.0.1');
const row = fc.oneof(
  fc.record({ family: fc.constant('ipv4' as const), local: fc.tuple(fc.ipV4(), port), remote: fc.tuple(fc.ipV4(), port) }),
  fc.record({ family: fc.constant('ipv6' as const), local: fc.tuple(v6, port), remote: fc.tuple(v6, port) }),
).chain((r) => fc.record({ r: fc.constant(r), word: fc.constantFrom(...WIN_ENGLISH_STATES.keys(), ...WIN_GERMAN_STATES.keys()), pid: fc.option(fc.nat(99999), { nil: null }) }));

const endpointText = (family: 'ipv4' | 'ipv6', [h, p]: [string, number]) => (family === 'ipv6' ? `[${h}]:${p}` : `${h}:${p}`);

test('property: a row in netstat\'s columns parses back to its endpoints, state and PID', () => {
  fc.assert(
    fc.property(fc.array(row, { minLength: 1, maxLength: 10 }), (specs) => {
      const text = specs
        .map(({ r, word, pid }) => `  TCP    ${endpointText(r.family, r.local).padEnd(22)} ${endpointText(r.family, r.remote).padEnd(22)} ${word.padEnd(15)} ${pid ?? ''}`.trimEnd())
        .join('\r\n');
      const p = parseWinNetstat(text);
      assert.deepEqual(p.unparsed, []);
      assert.equal(p.rows.length, specs.length);
      specs.forEach(({ r, word, pid }, i) => {
        const got = p.rows[i];
        assert.deepEqual([got.local, got.remote], [{ address: r.local[0], port: r.local[1] }, { address: r.remote[0], port: r.remote[1] }]);
        assert.equal(got.state, WIN_ENGLISH_STATES.get(word) ?? WIN_GERMAN_STATES.get(word));
        assert.equal(got.pid, pid);
        assert.equal(got.family, r.family);
      });
    }),
  );
});

test('property: any text parses without throwing; every non-blank line is a header line, a row or unparsed', () => {
  const line = fc.oneof(fc.string(), fc.constantFrom('Active Connections', '  Proto  Local Address  Foreign Address  State  PID', '  TCP    1.2.3.4:5    6.7.8.9:10    ESTABLISHED    11', '  UDP    0.0.0.0:123    *:*    9'));
  fc.assert(
    fc.property(fc.array(line, { maxLength: 12 }), (lines) => {
      const text = lines.join('\n');
      const p = parseWinNetstat(text);
      const nonBlank = text.split(/\r?\n/).filter((l) => l.trim() !== '').length;
      assert.equal(p.header.length + p.rows.length + p.unknownState.length + p.unparsed.length, nonBlank);
      assert.ok(p.header.length <= 2);
    }),
  );
});
