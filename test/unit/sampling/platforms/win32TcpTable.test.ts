// decodeTcpTable on GetExtendedTcpTable buffers. No buffer from a real Windows machine was available, so each one
// is built here, byte by byte, from the layout Microsoft documents (learn.microsoft.com win32/api/tcpmib:
// MIB_TCPTABLE_OWNER_PID, MIB_TCPROW_OWNER_PID, MIB_TCP6TABLE_OWNER_PID, MIB_TCP6ROW_OWNER_PID; MIB_TCP_STATE), with
// the sockets of real netstat output (fixtures/platforms/win32-netstat-*.txt): the decoded rows must equal what
// parseWinNetstat reads from those lines.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { IPV4_ROW_BYTES, IPV6_ROW_BYTES, MIB_TCP_STATE_NAMES, decodeTcpTable } from '../../../../src/sampling/platforms/win32/tcpTable';
import { parseWinNetstat, type WinNetstatRow } from '../../../../src/sampling/platforms/win32/netstat';
import type { AddressFamily } from '../../../../src/domain/types';
import { fixtureText } from './fixtures';

interface RowSpec {
  state: number;
  local: [number[], number];
  remote: [number[], number];
  pid: number;
  localScope?: number;
  remoteScope?: number;
}

/** A DWORD, little-endian (x86, x64, ARM64 Windows). */
const dword = (v: number): number[] => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24];
/** A port DWORD: network byte order in the low 16 bits (its first two bytes); the high two bytes are junk here. */
const portDword = (p: number): number[] => [p >>> 8, p & 0xff, 0xab, 0xcd];

function table(family: AddressFamily, rows: RowSpec[], entries = rows.length): Uint8Array {
  const out: number[] = [...dword(entries)];
  for (const r of rows) {
    if (family === 'ipv4') {
      // dwState, dwLocalAddr (network order: the bytes a.b.c.d), dwLocalPort, dwRemoteAddr, dwRemotePort, dwOwningPid
      out.push(...dword(r.state), ...r.local[0], ...portDword(r.local[1]), ...r.remote[0], ...portDword(r.remote[1]), ...dword(r.pid));
    } else {
      // ucLocalAddr[16], dwLocalScopeId, dwLocalPort, ucRemoteAddr[16], dwRemoteScopeId, dwRemotePort, dwState, dwOwningPid
      out.push(...r.local[0], ...dword(r.localScope ?? 0), ...portDword(r.local[1]), ...r.remote[0], ...dword(r.remoteScope ?? 0), ...portDword(r.remote[1]), ...dword(r.state), ...dword(r.pid));
    }
  }
  return Uint8Array.from(out);
}

const v4 = (s: string): number[] => s.split('.').map(Number);
const v6 = (groups: number[]): number[] => groups.flatMap((g) => [g >> 8, g & 0xff]);
const LOOP6 = v6([0, 0, 0, 0, 0, 0, 0, 1]);
const ANY6 = v6([0, 0, 0, 0, 0, 0, 0, 0]);

const MIB = { CLOSED: 1, LISTEN: 2, SYN_SENT: 3, SYN_RCVD: 4, ESTAB: 5, FIN_WAIT1: 6, FIN_WAIT2: 7, CLOSE_WAIT: 8, CLOSING: 9, LAST_ACK: 10, TIME_WAIT: 11, DELETE_TCB: 12 };

const same = (a: WinNetstatRow[], b: { state: unknown; family: unknown; local: unknown; remote: unknown; owners: unknown }[]) =>
  assert.deepEqual(
    b.map((r) => [r.state, r.family, r.local, r.remote, r.owners]),
    a.map((r) => [r.state, r.family, r.local, r.remote, r.owners]),
  );

test('IPv4 table with the sockets of real English and Chinese netstat output decodes to the rows netstat shows', () => {
  const en = parseWinNetstat(fixtureText('win32-netstat-ano-en.txt')).rows.slice(0, 3); // 0.0.0.0:80 pid 4, :135 pid 896, :445 pid 4
  const zh = parseWinNetstat(fixtureText('win32-netstat-ano-zh.txt')).rows; // TIME_WAIT 127.0.0.1:8411 -> 58296/58298, PID 0
  const buf = table('ipv4', [
    // A listener's remote fields "have no meaning": filled with junk here, read as the wildcard.
    { state: MIB.LISTEN, local: [v4('0.0.0.0'), 80], remote: [v4('9.9.9.9'), 9999], pid: 4 },
    { state: MIB.LISTEN, local: [v4('0.0.0.0'), 135], remote: [v4('0.0.0.0'), 0], pid: 896 },
    { state: MIB.LISTEN, local: [v4('0.0.0.0'), 445], remote: [v4('0.0.0.0'), 0], pid: 4 },
    { state: MIB.TIME_WAIT, local: [v4('127.0.0.1'), 8411], remote: [v4('127.0.0.1'), 58296], pid: 0 },
    { state: MIB.TIME_WAIT, local: [v4('127.0.0.1'), 8411], remote: [v4('127.0.0.1'), 58298], pid: 0 },
  ]);
  const p = decodeTcpTable(buf, 'ipv4');
  assert.deepEqual([p.unparsed, p.unknownState], [[], []]);
  same([...en, ...zh], p.rows);
  assert.deepEqual(p.rows.map((r) => [r.stateWord, r.stateCode, r.pid, r.localScopeId]), [
    ['MIB_TCP_STATE_LISTEN', 2, 4, null],
    ['MIB_TCP_STATE_LISTEN', 2, 896, null],
    ['MIB_TCP_STATE_LISTEN', 2, 4, null],
    ['MIB_TCP_STATE_TIME_WAIT', 11, 0, null],
    ['MIB_TCP_STATE_TIME_WAIT', 11, 0, null],
  ]);
  for (const r of p.rows) assert.deepEqual([r.inode, r.uid, r.recvQ, r.sendQ, r.timer], [0, -1, 0, 0, null]);
});

test('IPv6 table with the sockets of real German netstat output ([::] listeners, a [::1] connection) decodes the same', () => {
  const de = parseWinNetstat(fixtureText('win32-netstat-an-de.txt')).rows;
  const wanted = de.filter((r) => (r.local.address === '::' && r.local.port === 135) || (r.local.address === '::1' && (r.local.port === 49155 || r.local.port === 49156)));
  assert.equal(wanted.length, 3);
  const buf = table('ipv6', [
    { state: MIB.LISTEN, local: [ANY6, 135], remote: [ANY6, 0], pid: 0 },
    { state: MIB.ESTAB, local: [LOOP6, 49155], remote: [LOOP6, 49156], pid: 0 },
    { state: MIB.ESTAB, local: [LOOP6, 49156], remote: [LOOP6, 49155], pid: 0 },
  ]);
  const p = decodeTcpTable(buf, 'ipv6');
  assert.deepEqual(p.unparsed, []);
  same(wanted, p.rows); // netstat -an has no PID column and the buffer says 0: no owner on either side
  assert.deepEqual(p.rows.map((r) => [r.localScopeId, r.remoteScopeId]), [[0, 0], [0, 0], [0, 0]]);
});

test('a link-local address gets its scope id as netstat prints it (%12); IPv4-mapped addresses keep the mixed form', () => {
  const ll = v6([0xfe80, 0, 0, 0, 0xb1d7, 0xda26, 0x3873, 0xfc51]);
  const mapped = [...Array<number>(10).fill(0), 0xff, 0xff, 127, 0, 0, 1];
  const p = decodeTcpTable(table('ipv6', [
    { state: MIB.ESTAB, local: [ll, 139], remote: [v6([0xfe80, 0, 0, 0, 0, 0, 0, 1]), 50000], pid: 4, localScope: 12, remoteScope: 12 },
    { state: MIB.ESTAB, local: [mapped, 8080], remote: [mapped, 50001], pid: 77, localScope: 0, remoteScope: 0 },
  ]), 'ipv6');
  assert.deepEqual(p.rows.map((r) => [r.local.address, r.remote.address, r.localScopeId]), [
    ['fe80::b1d7:da26:3873:fc51%12', 'fe80::1%12', 12],
    ['::ffff:127.0.0.1', '::ffff:127.0.0.1', 0],
  ]);
  // netstat prints the same socket as [fe80::b1d7:da26:3873:fc51%12]:139.
  const n = parseWinNetstat('  TCP    [fe80::b1d7:da26:3873:fc51%12]:139  [fe80::1%12]:50000  ESTABLISHED  4');
  same(n.rows, p.rows.slice(0, 1));
});

test('every MIB_TCP_STATE value 1..12 maps (12 DELETE_TCB is CLOSED); anything else is an unknown state with its number', () => {
  const codes = Array.from({ length: 14 }, (_, i) => i); // 0..13
  const p = decodeTcpTable(table('ipv4', codes.map((state, i) => ({ state, local: [v4('10.0.0.1'), 1000 + i], remote: [v4('10.0.0.2'), 80], pid: 5 }))), 'ipv4');
  assert.deepEqual(p.rows.map((r) => [r.stateCode, r.state]), [
    [1, 'CLOSED'], [2, 'LISTEN'], [3, 'SYN-SENT'], [4, 'SYN-RECEIVED'], [5, 'ESTABLISHED'], [6, 'FIN-WAIT-1'], [7, 'FIN-WAIT-2'],
    [8, 'CLOSE-WAIT'], [9, 'CLOSING'], [10, 'LAST-ACK'], [11, 'TIME-WAIT'], [12, 'CLOSED'],
  ]);
  assert.deepEqual(p.unknownState.map((r) => [r.stateWord, r.stateCode, r.state]), [['0', 0, null], ['13', 13, null]]);
  assert.equal(MIB_TCP_STATE_NAMES.length, 13);
});

test('a short buffer yields the rows that fit and says what is missing; too few bytes for the count, or bytes left over, too', () => {
  const rows: RowSpec[] = [1, 2, 3].map((i) => ({ state: MIB.ESTAB, local: [v4('10.0.0.1'), i], remote: [v4('10.0.0.2'), 80], pid: i }));
  const full = table('ipv4', rows);
  const cut = decodeTcpTable(full.subarray(0, 4 + 2 * IPV4_ROW_BYTES + 5), 'ipv4');
  assert.deepEqual(cut.rows.map((r) => r.pid), [1, 2]);
  assert.deepEqual(cut.unparsed, ['table: dwNumEntries 3 needs 76 bytes, the buffer has 57: 2 rows read']);
  assert.deepEqual(decodeTcpTable(Uint8Array.from([1, 0]), 'ipv4').unparsed, ['table: 2 bytes, fewer than the 4 of dwNumEntries']);
  const extra = decodeTcpTable(Uint8Array.from([...full, 0, 0, 0, 0]), 'ipv4');
  assert.deepEqual([extra.rows.length, extra.unparsed], [3, ['table: 4 bytes after the 3 rows']]);
  const v6rows = table('ipv6', [{ state: MIB.LISTEN, local: [LOOP6, 1], remote: [ANY6, 0], pid: 1 }], 2);
  assert.equal(v6rows.byteLength, 4 + IPV6_ROW_BYTES);
  assert.deepEqual(decodeTcpTable(v6rows, 'ipv6').unparsed, [`table: dwNumEntries 2 needs ${4 + 2 * IPV6_ROW_BYTES} bytes, the buffer has ${4 + IPV6_ROW_BYTES}: 1 rows read`]);
});

test('a Buffer that is a view into a larger pool (byteOffset not 0) decodes from its own start', () => {
  const inner = table('ipv4', [{ state: MIB.ESTAB, local: [v4('192.168.1.2'), 50000], remote: [v4('20.7.2.167'), 443], pid: 3164 }]);
  const pool = Buffer.alloc(inner.byteLength + 13, 0xee);
  pool.set(inner, 7);
  const p = decodeTcpTable(pool.subarray(7, 7 + inner.byteLength), 'ipv4');
  assert.deepEqual(p.rows.map((r) => [r.local, r.remote, r.pid]), [[{ address: '192.168.1.2', port: 50000 }, { address: '20.7.2.167', port: 443 }, 3164]]);
});

// ---------------------------------------------------------------------------------------------------------
// Properties

const bytes4 = fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 4, maxLength: 4 });
const bytes16 = fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 16, maxLength: 16 });
const port = fc.integer({ min: 0, max: 65535 });
const spec = (addr: fc.Arbitrary<number[]>) =>
  fc.record({ state: fc.integer({ min: 1, max: 12 }).filter((s) => s !== MIB.LISTEN), local: fc.tuple(addr, port), remote: fc.tuple(addr, port), pid: fc.nat() });

test('property: encoded rows decode back to their addresses, ports, state and pid (both families)', () => {
  fc.assert(
    fc.property(fc.array(spec(bytes4), { maxLength: 20 }), (rows) => {
      const p = decodeTcpTable(table('ipv4', rows), 'ipv4');
      assert.deepEqual(p.unparsed, []);
      assert.deepEqual(
        p.rows.map((r) => [r.local, r.remote, r.stateCode, r.pid]),
        rows.map((r) => [{ address: r.local[0].join('.'), port: r.local[1] }, { address: r.remote[0].join('.'), port: r.remote[1] }, r.state, r.pid]),
      );
    }),
  );
  fc.assert(
    fc.property(fc.array(spec(bytes16), { maxLength: 10 }), (rows) => {
      const p = decodeTcpTable(table('ipv6', rows), 'ipv6');
      assert.equal(p.rows.length, rows.length);
      p.rows.forEach((r, i) => {
        // The text is RFC 5952: parse it back to the same 16 bytes with Node's own URL parser.
        const hostBytes = (text: string): string => new URL(`http://[${text.replace(/%.*$/, '')}]/`).hostname;
        assert.equal(hostBytes(r.local.address), hostBytes(ipv6Of(rows[i].local[0])));
        assert.equal(r.local.port, rows[i].local[1]);
        assert.equal(r.stateCode, rows[i].state);
      });
    }),
  );
});

/** Plain uncompressed IPv6 text of 16 bytes (for comparison through the URL parser only). */
function ipv6Of(b: number[]): string {
  const g: string[] = [];
  for (let i = 0; i < 16; i += 2) g.push(((b[i] << 8) | b[i + 1]).toString(16));
  return g.join(':');
}

test('property: any bytes decode without throwing, and every row that comes out has ports 0..65535', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 400 }), fc.constantFrom<AddressFamily>('ipv4', 'ipv6'), (buf, family) => {
      const p = decodeTcpTable(buf, family);
      const rowBytes = family === 'ipv4' ? IPV4_ROW_BYTES : IPV6_ROW_BYTES;
      assert.ok(p.rows.length + p.unknownState.length <= Math.max(0, Math.floor((buf.byteLength - 4) / rowBytes)));
      for (const r of [...p.rows, ...p.unknownState]) assert.ok(r.local.port <= 65535 && r.remote.port <= 65535);
    }),
  );
});
