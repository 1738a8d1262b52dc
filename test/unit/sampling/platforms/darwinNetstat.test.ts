// parseDarwinNetstat on real macOS `netstat` output of the three -v layouts (fixtures/platforms/darwin-*.txt, sources
// in their headers), and on rows rendered here with network_cmds' own printf formats for what the real output we
// found does not show (listeners, TIME_WAIT, IPv6, tcp46, odd process names).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { DARWIN_TCP_STATES, darwinNetstatLayout, parseDarwinNetstat, type DarwinNetstatLayout, type DarwinNetstatRow } from '../../../../src/sampling/platforms/darwin/netstat';
import type { TcpState } from '../../../../src/domain/types';
import { fixtureText } from './fixtures';

const mojave = fixtureText('darwin-netstat-v-mojave.txt');
const sequoia = fixtureText('darwin-netstat-anv-sequoia.txt');
const tahoe = fixtureText('darwin-netstat-anv-tahoe.txt');
const plain = fixtureText('darwin-netstat-an-plain.txt');
const headerOf = (text: string): string => text.split('\n').find((l) => l.startsWith('Proto ')) ?? '';

const ends = (r: DarwinNetstatRow): string => `${r.local.address}:${r.local.port} ${r.remote.address}:${r.remote.port}`;

test('Mojave (legacy layout): every row parses, pid from the pid column, CLOSE_WAIT rows keep their receive queue', () => {
  const p = parseDarwinNetstat(mojave);
  assert.equal(p.layout, 'legacy');
  assert.deepEqual(p.unparsed, []);
  assert.deepEqual(p.unknownState, []);
  assert.equal(p.rows.length, 7);
  assert.deepEqual(p.rows.map((r) => r.state), ['ESTABLISHED', 'ESTABLISHED', 'ESTABLISHED', 'CLOSE-WAIT', 'ESTABLISHED', 'CLOSE-WAIT', 'ESTABLISHED']);
  const first = p.rows[0];
  assert.equal(first.family, 'ipv4');
  assert.equal(ends(first), '192.168.1.191:52044 31.13.66.35:443');
  assert.deepEqual(first.owners, [{ pid: 9811, command: '' }]);
  assert.equal(first.pidIsLastUser, true);
  assert.equal(first.effectivePid, null, 'epid 0 is no delegation');
  assert.equal(first.rxBytes, null);
  assert.equal(first.stateWord, 'ESTABLISHED');
  for (const r of p.rows.filter((x) => x.state === 'CLOSE-WAIT')) assert.deepEqual([r.recvQ, r.sendQ], [24, 0]);
  for (const r of p.rows) assert.deepEqual([r.inode, r.uid, r.timer, r.proto, r.dualStack], [0, -1, null, 'tcp4', false]);
});

test('Sequoia layout: the pid is read after rxbytes/txbytes, not from rhiwat (the column shift of systeminformation#951)', () => {
  const p = parseDarwinNetstat(sequoia);
  assert.equal(p.layout, 'sequoia');
  assert.deepEqual(p.unparsed, []);
  assert.deepEqual(p.rows.map((r) => r.owners[0]?.pid), [2903, 5767, 75236, 74164]);
  assert.deepEqual(p.rows.map((r) => [r.rxBytes, r.txBytes]), [[9026, 316], [17368, 1612], [17330, 1612], [2480, 1197]]);
  assert.deepEqual([p.rows[0].recvQ, p.rows[0].sendQ], [0, 126]);
  // -l widens the address columns to 45 characters: the columns are read by position in the line, not by width.
  assert.equal(ends(p.rows[1]), '192.168.1.233:52126 123.57.223.58:443');
  assert.ok(p.rows.every((r) => r.state === 'ESTABLISHED' && r.pidIsLastUser && !r.addressMayBeTruncated));
});

test('Tahoe layout: one process:pid column, the name with its space, read from the right', () => {
  const p = parseDarwinNetstat(tahoe);
  assert.equal(p.layout, 'tahoe');
  assert.deepEqual(p.unparsed, []);
  assert.equal(p.rows.length, 2);
  for (const r of p.rows) {
    assert.deepEqual(r.owners, [{ pid: 22712, command: 'Autodesk Fusion' }]);
    assert.equal(r.pidIsLastUser, true);
    assert.equal(r.effectivePid, null);
  }
  assert.equal(ends(p.rows[0]), '127.0.0.1:49515 127.0.0.1:49472');
  assert.deepEqual([p.rows[0].rxBytes, p.rows[0].txBytes], [118268, 40208]);
  assert.deepEqual([p.rows[1].rxBytes, p.rows[1].txBytes], [358, 127]);
});

test('without -v (plain layout): tcp46 and tcp6 listeners are IPv6 wildcards, no owner; UDP rows are reported, not dropped', () => {
  const p = parseDarwinNetstat(plain);
  assert.equal(p.layout, 'plain');
  assert.equal(p.rows.length, 3);
  const [est, dual, v6] = p.rows;
  assert.deepEqual([est.family, ends(est), est.state], ['ipv4', '10.8.0.6:54433 1.2.3.4:443', 'ESTABLISHED']);
  assert.deepEqual([dual.proto, dual.dualStack, dual.family, ends(dual), dual.state], ['tcp46', true, 'ipv6', ':::80 :::0', 'LISTEN']);
  assert.deepEqual([v6.proto, v6.dualStack, v6.family, ends(v6)], ['tcp6', false, 'ipv6', ':::88 :::0']);
  for (const r of p.rows) assert.deepEqual([r.owners, r.pidIsLastUser], [[], false]);
  assert.deepEqual(
    p.unparsed.map((l) => l.split(/\s+/)[0]),
    ['udp4', 'udp6', 'udp46'],
  );
});

test('layouts come from the header line; an unknown header (e.g. -vv) makes its rows unparsed, and so does a missing one', () => {
  // Sonoma's header, quoted in sindresorhus/pid-port#12 ("(State)" as posted there).
  assert.equal(darwinNetstatLayout('Proto Recv-Q Send-Q  Local Address          Foreign Address        (State)      rhiwat  shiwat    pid   epid state  options           gencnt    flags   flags1 usecnt rtncnt fltrs'), 'legacy');
  assert.equal(darwinNetstatLayout(headerOf(sequoia)), 'sequoia');
  assert.equal(darwinNetstatLayout(headerOf(tahoe)), 'tahoe');
  assert.equal(darwinNetstatLayout(headerOf(mojave)), 'legacy');
  assert.equal(darwinNetstatLayout(headerOf(plain)), 'plain');
  // -vv on Tahoe (main.c print_socket_stats_format, vflag > 1): "rxbytes/packets" and an eprocess:epid column.
  const vv = 'Proto Recv-Q Send-Q  Local Address          Foreign Address        (state)          rxbytes/packets         txbytes/packets   rhiwat  shiwat          process:pid            eprocess:epid     state  options';
  assert.equal(darwinNetstatLayout(vv), null);
  const row = tahoe.split('\n')[2];
  const underVv = parseDarwinNetstat(['Active Internet connections (including servers)', vv, row].join('\n'));
  assert.deepEqual(underVv.rows, []);
  assert.deepEqual(underVv.unparsed, [vv, row]);
  assert.equal(underVv.layout, null);
  const headless = parseDarwinNetstat(row);
  assert.deepEqual([headless.rows.length, headless.unparsed], [0, [row]]);
});

// ---------------------------------------------------------------------------------------------------------
// Rows rendered with network_cmds' printf formats (netstat.tproj/inet.c protopr, inetprint, inet6.c inet6print,
// main.c print_socket_stats_data), for cases the real output above does not show.

interface Spec {
  proto: 'tcp4' | 'tcp6' | 'tcp46';
  local: [string, number];
  remote: [string, number];
  state: string;
  recvQ?: number;
  sendQ?: number;
  pid?: number;
  epid?: number;
  name?: string;
  rx?: number;
  tx?: number;
}

/** `%-22.22s ` of inetprint's "%.16s.%d " (IPv4, `*` for 0.0.0.0 and port 0) or inet6print's "%.16s.%d". */
function address(proto: Spec['proto'], [host, port]: [string, number]): string {
  const v4 = proto !== 'tcp6' && !host.includes(':');
  const h = host === '0.0.0.0' || host === '::' ? '*' : host;
  const line = `${h.slice(0, 16)}.${port === 0 ? '*' : port}${v4 ? ' ' : ''}`;
  return `${line.padEnd(22).slice(0, 22)} `;
}

const hex = (n: number, width: number): string => n.toString(16).padStart(width, '0');
const u = (n: number, width: number): string => String(n).padStart(width);

function render(layout: DarwinNetstatLayout, s: Spec): string {
  let line = `${'tcp'}${s.proto.slice(3).padEnd(2)} ${u(s.recvQ ?? 0, 6)} ${u(s.sendQ ?? 0, 6)}  ${address(s.proto, s.local)}${address(s.proto, s.remote)}${s.state.padEnd(11)}`;
  const tail = ` ${hex(0x102, 5)} ${hex(8, 8)} ${hex(0x25c5ff, 16)} ${hex(0x81, 8)} ${hex(0x4000800, 8)} ${u(2, 6)} ${u(0, 6)} ${hex(0, 6)}`;
  if (layout === 'legacy') line += ` ${u(131072, 7)} ${u(146988, 7)} ${u(s.pid ?? 0, 6)} ${u(s.epid ?? 0, 6)}${tail}`;
  if (layout === 'sequoia') line += ` ${u(s.rx ?? 0, 12)} ${u(s.tx ?? 0, 12)} ${u(131072, 7)} ${u(146988, 7)} ${u(s.pid ?? 0, 6)} ${u(s.epid ?? 0, 6)}${tail}`;
  if (layout === 'tahoe') line += ` ${u(s.rx ?? 0, 12)} ${u(s.tx ?? 0, 12)} ${u(131072, 7)} ${u(146988, 7)} ${(s.name ?? '').padStart(16)}:${String(s.pid ?? 0).padEnd(6)}${tail}`;
  return line;
}

const HEADERS: Record<DarwinNetstatLayout, string> = { plain: headerOf(plain), legacy: headerOf(mojave), sequoia: headerOf(sequoia), tahoe: headerOf(tahoe) };
const table = (layout: DarwinNetstatLayout, specs: Spec[], extra: string[] = []): string =>
  ['Active Internet connections (including servers)', HEADERS[layout], ...specs.map((s) => render(layout, s)), ...extra].join('\n');

test('rendered rows: listeners, TIME_WAIT, IPv6 with a zone, the IPv4-mapped form, every BSD state word', () => {
  const specs: Spec[] = [
    { proto: 'tcp4', local: ['127.0.0.1', 8080], remote: ['0.0.0.0', 0], state: 'LISTEN', pid: 501, name: 'node' },
    { proto: 'tcp46', local: ['0.0.0.0', 3000], remote: ['0.0.0.0', 0], state: 'LISTEN', pid: 502, name: 'Code Helper (Plu' },
    { proto: 'tcp6', local: ['::1', 5173], remote: ['::', 0], state: 'LISTEN', pid: 503, name: 'node' },
    { proto: 'tcp6', local: ['fe80::1%lo0', 5000], remote: ['fe80::1%lo0', 61000], state: 'ESTABLISHED', pid: 504, name: 'ssh' },
    { proto: 'tcp6', local: ['::ffff:127.0.0.1', 8080], remote: ['::ffff:127.0.0.1', 61001], state: 'ESTABLISHED', pid: 501, name: 'node' },
    { proto: 'tcp4', local: ['127.0.0.1', 61002], remote: ['127.0.0.1', 8080], state: 'TIME_WAIT', pid: 505, name: '' },
  ];
  for (const layout of ['legacy', 'sequoia', 'tahoe'] as const) {
    const p = parseDarwinNetstat(table(layout, specs));
    assert.deepEqual(p.unparsed, [], layout);
    assert.deepEqual(
      p.rows.map((r) => [r.family, ends(r), r.state]),
      [
        ['ipv4', '127.0.0.1:8080 0.0.0.0:0', 'LISTEN'],
        ['ipv6', ':::3000 :::0', 'LISTEN'],
        ['ipv6', '::1:5173 :::0', 'LISTEN'],
        ['ipv6', 'fe80::1%lo0:5000 fe80::1%lo0:61000', 'ESTABLISHED'],
        ['ipv6', '::ffff:127.0.0.1:8080 ::ffff:127.0.0.1:61001', 'ESTABLISHED'],
        ['ipv4', '127.0.0.1:61002 127.0.0.1:8080', 'TIME-WAIT'],
      ],
      layout,
    );
    assert.deepEqual(p.rows.map((r) => r.owners[0]?.pid), [501, 502, 503, 504, 501, 505], layout);
    if (layout === 'tahoe') {
      assert.deepEqual(p.rows.map((r) => r.owners[0]?.command), ['node', 'Code Helper (Plu', 'node', 'ssh', 'node', ''], 'names with spaces and parentheses, and none');
    }
  }
  const words = [...DARWIN_TCP_STATES.keys()];
  const p = parseDarwinNetstat(table('legacy', words.map((state, i) => ({ proto: 'tcp4', local: ['10.0.0.1', 1000 + i], remote: ['10.0.0.2', 80], state, pid: 7 }))));
  const expected: TcpState[] = ['CLOSED', 'LISTEN', 'SYN-SENT', 'SYN-RECEIVED', 'ESTABLISHED', 'CLOSE-WAIT', 'FIN-WAIT-1', 'CLOSING', 'LAST-ACK', 'FIN-WAIT-2', 'TIME-WAIT'];
  assert.deepEqual(p.rows.map((r) => r.state), expected);
});

test('a state netstat prints as a number (t_state out of range) or an unknown word is an unknown state, never guessed', () => {
  const p = parseDarwinNetstat(table('sequoia', [
    { proto: 'tcp4', local: ['10.0.0.1', 1], remote: ['10.0.0.2', 2], state: '11', pid: 9 },
    { proto: 'tcp4', local: ['10.0.0.1', 3], remote: ['10.0.0.2', 4], state: 'SYN_RECEIVED', pid: 9 },
  ]));
  assert.deepEqual(p.rows, []);
  assert.deepEqual(p.unknownState.map((r) => [r.state, r.stateWord, r.local.port, r.owners[0]?.pid]), [[null, '11', 1, 9], [null, 'SYN_RECEIVED', 3, 9]]);
});

test('epid, the 16-character IPv6 limit, and the "sockets may have been deleted" note', () => {
  const p = parseDarwinNetstat(table('legacy', [
    { proto: 'tcp4', local: ['10.0.0.1', 1], remote: ['17.57.146.20', 5223], state: 'ESTABLISHED', pid: 300, epid: 412 },
    { proto: 'tcp6', local: ['2001:db8:1:2::10', 443], remote: ['2001:db8::1', 52000], state: 'ESTABLISHED', pid: 301 },
  ], ['Some tcp sockets may have been deleted.']));
  assert.equal(p.rows[0].effectivePid, 412);
  assert.equal(p.rows[0].addressMayBeTruncated, false);
  assert.equal(p.rows[1].local.address, '2001:db8:1:2::10');
  assert.equal(p.rows[1].addressMayBeTruncated, true, 'exactly 16 characters: netstat may have cut a longer address');
  assert.deepEqual(p.notes, ['Some tcp sockets may have been deleted.']);
  assert.deepEqual(p.unparsed, []);
});

test('a process name holding `:digits` or starting with digits is read whole; an empty name gives command ""', () => {
  const p = parseDarwinNetstat(table('tahoe', [
    { proto: 'tcp4', local: ['127.0.0.1', 1], remote: ['127.0.0.1', 2], state: 'ESTABLISHED', pid: 42, name: 'a:1 b' },
    { proto: 'tcp4', local: ['127.0.0.1', 3], remote: ['127.0.0.1', 4], state: 'ESTABLISHED', pid: 43, name: '1Password 7' },
    { proto: 'tcp4', local: ['127.0.0.1', 5], remote: ['127.0.0.1', 6], state: 'ESTABLISHED', pid: 44, name: '' },
  ]));
  assert.deepEqual(p.rows.map((r) => r.owners), [[{ pid: 42, command: 'a:1 b' }], [{ pid: 43, command: '1Password 7' }], [{ pid: 44, command: '' }]]);
});

test('rows whose addresses do not fit their proto are reported, not forced', () => {
  const lines = [
    'tcp4       0      0  ::1.8080               *.*                    LISTEN       131072  131072    501      0 00100 00000006',
    'tcp6       0      0  127.0.0.1.8080         *.*                    LISTEN       131072  131072    501      0 00100 00000006',
    'tcp        0      0  *.8080                 *.*                    LISTEN       131072  131072    501      0 00100 00000006',
    'tcp4       0      0  127.0.0.1.http         *.*                    LISTEN       131072  131072    501      0 00100 00000006',
    'tcp4       0      0  127.0.0.1.8080         *.*                    LISTEN       131072  131072    pid      0 00100 00000006',
  ];
  const p = parseDarwinNetstat([HEADERS.legacy, ...lines].join('\n'));
  assert.deepEqual(p.rows, []);
  assert.deepEqual(p.unparsed, lines);
});

// ---------------------------------------------------------------------------------------------------------
// Properties

const port = fc.integer({ min: 1, max: 65535 });
const v4 = fc.ipV4();
// IPv6 text netstat prints whole (at most 15 characters, under its 16-character cut), in RFC 5952 form.
const v6 = fc.oneof(
  fc.constant('::1'),
  fc.integer({ min: 1, max: 0xffff }).map((n) => `fe80::${n.toString(16)}%en0`),
  fc.tuple(fc.integer({ min: 1, max: 0xff }), fc.integer({ min: 1, max: 0xff })).map(([a, b]) => `2001:db8:${a.toString(16)}::${b.toString(16)}`),
);
const word = fc.constantFrom(...DARWIN_TCP_STATES.keys());
const name = fc.stringMatching(/^[A-Za-z0-9 ()._-]{0,16}$/).map((s) => s.trimStart());
const spec: fc.Arbitrary<Spec> = fc.oneof(
  fc.record({ proto: fc.constant('tcp4' as const), local: fc.tuple(v4, port), remote: fc.tuple(v4, port), state: word, pid: fc.nat(99999), name, rx: fc.nat(), tx: fc.nat() }),
  fc.record({ proto: fc.constant('tcp6' as const), local: fc.tuple(v6, port), remote: fc.tuple(v6, port), state: word, pid: fc.nat(99999), name, rx: fc.nat(), tx: fc.nat() }),
);

test('property: a rendered row of any layout parses back to its endpoints, state, pid and (tahoe) process name', () => {
  fc.assert(
    fc.property(fc.constantFrom<DarwinNetstatLayout>('legacy', 'sequoia', 'tahoe'), fc.array(spec, { minLength: 1, maxLength: 8 }), (layout, specs) => {
      const p = parseDarwinNetstat(table(layout, specs));
      assert.deepEqual(p.unparsed, []);
      assert.equal(p.rows.length, specs.length);
      specs.forEach((s, i) => {
        const r = p.rows[i];
        assert.deepEqual([r.local, r.remote], [{ address: s.local[0], port: s.local[1] }, { address: s.remote[0], port: s.remote[1] }]);
        assert.equal(r.state, DARWIN_TCP_STATES.get(s.state));
        assert.equal(r.owners[0]?.pid, s.pid);
        if (layout === 'tahoe') assert.equal(r.owners[0]?.command, s.name);
        if (layout !== 'legacy') assert.deepEqual([r.rxBytes, r.txBytes], [s.rx, s.tx]);
      });
    }),
  );
});

test('property: any text parses without throwing, and every non-blank line is a title, header, note, row or unparsed', () => {
  const line = fc.oneof(
    fc.string(),
    fc.constantFrom(HEADERS.legacy, HEADERS.tahoe, 'Active Internet connections', 'Some tcp sockets may have been created.'),
    spec.map((s) => render('legacy', s)),
    spec.map((s) => render('tahoe', s)),
  );
  fc.assert(
    fc.property(fc.array(line, { maxLength: 12 }), (lines) => {
      const text = lines.join('\n');
      const p = parseDarwinNetstat(text);
      const nonBlank = text.split(/\r?\n/).filter((l) => l.trim() !== '');
      const titles = nonBlank.filter((l) => /^Active (?:Internet|Multipath Internet) connections/.test(l.trim()));
      const knownHeaders = nonBlank.filter((l) => l.trim().startsWith('Proto ') && darwinNetstatLayout(l) !== null);
      assert.equal(p.rows.length + p.unknownState.length + p.unparsed.length + p.notes.length + titles.length + knownHeaders.length, nonBlank.length);
    }),
  );
});

test('property: an IPv6 address netstat cut at 16 characters is never passed on unflagged', () => {
  // RFC 5952 text from Node's URL parser (WHATWG serialisation), independent of the parser under test; IPv4-mapped
  // addresses, which WHATWG prints in hex, are left out.
  const text = fc
    .array(fc.integer({ min: 0, max: 255 }), { minLength: 16, maxLength: 16 })
    .filter((b) => !(b.slice(0, 10).every((x) => x === 0) && b[10] === 0xff && b[11] === 0xff))
    .map((b) => {
      const groups: string[] = [];
      for (let i = 0; i < 16; i += 2) groups.push(((b[i] << 8) | b[i + 1]).toString(16));
      return new URL(`http://[${groups.join(':')}]/`).hostname.slice(1, -1);
    });
  fc.assert(
    fc.property(text, port, (host, p) => {
      const out = parseDarwinNetstat(table('legacy', [{ proto: 'tcp6', local: [host, p], remote: ['::', 0], state: 'LISTEN', pid: 1 }]));
      const row = out.rows[0];
      if (host.length < 16) assert.equal(row?.local.address, host);
      else assert.ok(out.unparsed.length === 1 || row?.addressMayBeTruncated, `${host}: ${JSON.stringify(out)}`);
    }),
  );
});
