// parseProcNetTcp on /proc/net/tcp{,6} captured from this machine (fixtures/README.md), plus the RFC 5952 formatter.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { decodeProcAddress, dropRepeatedRows, formatIpv6, parseProcNetTcp, parseProcNetTcpBytes } from '../../../src/sampling/procNetTcp';
import type { SocketRecord, TcpState } from '../../../src/domain/types';
import { ST_CODE_STATES } from '../../common/stCodes';
import { UNIT_FIXTURES } from '../../common/paths';

const fixtures = UNIT_FIXTURES;
const read = (name: string): string => readFileSync(join(fixtures, name), 'latin1');

interface ManifestEnd {
  address: string;
  port: number;
  state: TcpState | null;
  uid?: number;
}
interface Manifest {
  sockets: { name: string; client?: ManifestEnd; server?: ManifestEnd }[];
}
const manifest = JSON.parse(read('loopback-manifest.json')) as Manifest;
const tcp = read('loopback-proc-net-tcp.txt');
const tcp6 = read('loopback-proc-net-tcp6.txt');

function all(): SocketRecord[] {
  return [...parseProcNetTcp(tcp, 'ipv4').sockets, ...parseProcNetTcp(tcp6, 'ipv6').sockets];
}

/** The row whose local port is `local` and remote port is `remote` (0 for listeners). */
function row(sockets: SocketRecord[], local: number, remote: number): SocketRecord {
  const found = sockets.filter((s) => s.local.port === local && s.remote.port === remote);
  assert.equal(found.length, 1, `one row ${local} -> ${remote}, found ${found.length}`);
  return found[0];
}

test('every line of the captured tables parses; the header is not counted as skipped', () => {
  const v4 = parseProcNetTcp(tcp, 'ipv4');
  const v6 = parseProcNetTcp(tcp6, 'ipv6');
  assert.equal(v4.skipped, 0);
  assert.equal(v6.skipped, 0);
  assert.equal(v4.sockets.length, tcp.trim().split('\n').length - 1);
  assert.equal(v6.sockets.length, tcp6.trim().split('\n').length - 1);
});

test('each driven socket is in the state the capture drove it to, on both ends', () => {
  const sockets = all();
  const seen = new Set<TcpState>();
  for (const m of manifest.sockets) {
    if (m.server && !m.client) {
      const s = row(sockets, m.server.port, 0);
      assert.equal(s.state, m.server.state, m.name);
      assert.equal(s.remote.address, s.family === 'ipv4' ? '0.0.0.0' : '::', `${m.name}: wildcard remote`);
      seen.add(s.state);
      continue;
    }
    if (m.client?.state) {
      const c = row(sockets, m.client.port, m.server?.port ?? -1);
      assert.equal(c.state, m.client.state, `${m.name} client`);
      seen.add(c.state);
    }
    if (m.client && m.server?.state) {
      const s = row(sockets, m.server.port, m.client.port);
      assert.equal(s.state, m.server.state, `${m.name} server`);
      if (m.server.uid !== undefined) assert.equal(s.uid, m.server.uid, `${m.name} uid`);
      seen.add(s.state);
    }
  }
  for (const st of ['LISTEN', 'SYN-SENT', 'ESTABLISHED', 'FIN-WAIT-1', 'FIN-WAIT-2', 'CLOSE-WAIT', 'CLOSING', 'LAST-ACK', 'TIME-WAIT'] as const) {
    assert.ok(seen.has(st), `fixture covers ${st}`);
  }
});

test('addresses: host-order words decode to 127.0.0.1, ::1, ::, and IPv4-mapped ::ffff:127.0.0.1', () => {
  const sockets = all();
  const byName = (n: string) => manifest.sockets.find((m) => m.name === n) as Manifest['sockets'][number];
  const v4 = byName('established-v4');
  const c4 = row(sockets, v4.client!.port, v4.server!.port);
  assert.deepEqual([c4.family, c4.local.address, c4.remote.address], ['ipv4', '127.0.0.1', '127.0.0.1']);
  const v6 = byName('established-v6');
  const c6 = row(sockets, v6.client!.port, v6.server!.port);
  assert.deepEqual([c6.family, c6.local.address, c6.remote.address], ['ipv6', '::1', '::1']);
  // The dual-stack listener accepted an IPv4 client: its side of the connection lives in tcp6, mapped.
  const mapped = byName('established-mapped');
  const s = row(sockets, mapped.server!.port, mapped.client!.port);
  assert.deepEqual([s.family, s.local.address, s.remote.address], ['ipv6', '::ffff:127.0.0.1', '::ffff:127.0.0.1']);
  const dual = row(sockets, byName('listen-dual').server!.port, 0);
  assert.deepEqual([dual.family, dual.local.address], ['ipv6', '::']);
  // The word as a big-endian host would print it.
  assert.equal(decodeProcAddress('0100007F'), '127.0.0.1');
  assert.equal(decodeProcAddress('7F000001', false), '127.0.0.1');
  assert.equal(decodeProcAddress('00000000000000000000000001000000'), '::1');
  assert.equal(decodeProcAddress('000080FE000000000000000001000000'), 'fe80::1');
});

test('timers: tm->when is in USER_HZ ticks; tr 1 retransmit, 2 keepalive, 3 timewait, 4 persist', () => {
  const sockets = all();
  const kinds = new Set(sockets.map((s) => s.timer?.kind ?? 'none'));
  assert.deepEqual([...kinds].sort(), ['keepalive', 'none', 'persist', 'retransmit', 'timewait']);
  for (const s of sockets) {
    if (s.state === 'TIME-WAIT') {
      assert.equal(s.timer?.kind, 'timewait');
      // TCP_TIMEWAIT_LEN = 60 s; captured a moment after the close. Ticks * 10 ms.
      assert.ok(s.timer.remainingMs > 50_000 && s.timer.remainingMs <= 60_000, String(s.timer.remainingMs));
      assert.equal(s.timer.remainingMs % 10, 0);
      assert.equal(s.inode, 0, 'a TIME-WAIT socket has no file');
    }
    if (s.state === 'SYN-SENT') assert.equal(s.timer?.kind, 'retransmit');
    // The keepalive was set to 60 s on the established-v4 client.
    if (s.timer?.kind === 'keepalive') assert.ok(s.timer.remainingMs > 50_000 && s.timer.remainingMs <= 60_000);
    // Zero window: the sender probes with the persist timer; queued bytes wait in the send queue.
    if (s.timer?.kind === 'persist') assert.ok(s.sendQ > 0);
  }
});

test('queues: FIN-WAIT-1 holds unsent data; a LISTEN row reports its accept queue as recvQ', () => {
  const sockets = all();
  const fw1 = sockets.find((s) => s.state === 'FIN-WAIT-1');
  assert.ok(fw1 && fw1.sendQ > 0);
  const stuck = manifest.sockets.find((m) => m.name === 'syn-sent')!;
  const listener = row(sockets, stuck.server!.port, 0);
  // Backlog 1: two connections wait unaccepted, so the third client is left in SYN-SENT.
  assert.equal(listener.recvQ, 2);
  const queued = sockets.filter((s) => s.local.port === stuck.server!.port && s.state === 'ESTABLISHED');
  assert.equal(queued.length, 2);
  for (const q of queued) assert.equal(q.inode, 0, 'an unaccepted connection has no file yet');
});

/** One captured row with its st field replaced. */
function withState(line: string, st: string): string {
  return line.replace(/^(\s*\d+:\s+\S+\s+\S+\s+)[0-9A-F]{2}/, `$1${st}`);
}

test('every kernel st code maps to its RFC 9293 name; 0C (NEW_SYN_RECV) is SYN-RECEIVED, 07 CLOSED', () => {
  const line = tcp.split('\n')[1];
  for (const [code, state] of Object.entries(ST_CODE_STATES)) {
    const r = parseProcNetTcp(withState(line, code), 'ipv4');
    assert.equal(r.sockets[0]?.state, state, code);
  }
  for (const bad of ['00', '0D', 'FF']) assert.deepEqual(parseProcNetTcp(withState(line, bad), 'ipv4'), { sockets: [], skipped: 1, header: false });
});

test('a row of the wrong family, or a truncated row, is skipped and counted', () => {
  assert.equal(parseProcNetTcp(tcp6, 'ipv4').skipped, tcp6.trim().split('\n').length - 1);
  const line = tcp.split('\n')[2];
  assert.deepEqual(parseProcNetTcp(line.slice(0, 40), 'ipv4'), { sockets: [], skipped: 1, header: false });
  assert.deepEqual(parseProcNetTcp('', 'ipv4'), { sockets: [], skipped: 0, header: false });
});

test('RFC 5952: longest zero run compressed (first on a tie), a single zero group kept, lowercase', () => {
  const bytes = (groups: number[]) => groups.flatMap((g) => [g >> 8, g & 0xff]);
  assert.equal(formatIpv6(bytes([0x2001, 0xdb8, 0, 0, 0, 0, 0, 1])), '2001:db8::1');
  assert.equal(formatIpv6(bytes([0x2001, 0xdb8, 0, 0, 1, 0, 0, 1])), '2001:db8::1:0:0:1');
  assert.equal(formatIpv6(bytes([0x2001, 0, 0, 1, 0, 0, 0, 1])), '2001:0:0:1::1');
  assert.equal(formatIpv6(bytes([0x2001, 0xdb8, 0, 1, 1, 1, 1, 1])), '2001:db8:0:1:1:1:1:1');
  assert.equal(formatIpv6(bytes([0, 0, 0, 0, 0, 0, 0, 0])), '::');
  assert.equal(formatIpv6(bytes([0xfe80, 0, 0, 0, 0, 0, 0, 0])), 'fe80::');
  assert.equal(formatIpv6(bytes([0xABCD, 0xEF, 0, 0, 0, 0, 0, 0])), 'abcd:ef::');
  assert.equal(formatIpv6(bytes([0, 0, 0, 0, 0, 0xffff, 0x7f00, 1])), '::ffff:127.0.0.1');
});

test('property: any text parses without throwing, and rows + skipped = non-blank, non-header lines', () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 400 }), fc.constantFrom<'ipv4' | 'ipv6'>('ipv4', 'ipv6'), (text, family) => {
      const r = parseProcNetTcp(text, family);
      const lines = text.split('\n').filter((l) => l.trim() !== '' && !l.trim().startsWith('sl '));
      assert.equal(r.sockets.length + r.skipped, lines.length);
    }),
    { numRuns: 500 },
  );
});

/** The captured rows of both tables, headers and blank lines left out. */
function capturedRows(): string[] {
  return [...tcp.split('\n').slice(1), ...tcp6.split('\n').slice(1)].filter((l) => l.trim() !== '');
}

/** The line with each edit applied in turn: the character at (position mod length + 1) replaced by the text. */
function mutate(line: string, edits: readonly (readonly [number, string])[]): string {
  let mutated = line;
  for (const [at, text] of edits) {
    const i = at % (mutated.length + 1);
    mutated = mutated.slice(0, i) + text + mutated.slice(i + 1);
  }
  return mutated;
}

test('property: captured rows with random characters changed never throw; parsed rows stay well-formed', () => {
  const lines = capturedRows();
  fc.assert(
    fc.property(
      fc.constantFrom(...lines),
      fc.array(fc.tuple(fc.nat(), fc.string({ minLength: 0, maxLength: 3 })), { maxLength: 4 }),
      (line, edits) => {
        const mutated = mutate(line, edits);
        for (const family of ['ipv4', 'ipv6'] as const) {
          const r = parseProcNetTcp(mutated, family);
          assert.equal(r.sockets.length + r.skipped, mutated.trim() === '' || mutated.trim().startsWith('sl ') ? 0 : 1);
          for (const s of r.sockets) {
            assert.ok(s.local.port >= 0 && s.local.port <= 0xffff && s.remote.port <= 0xffff);
            assert.ok(Number.isSafeInteger(s.inode) && s.inode >= 0);
            assert.ok(Number.isFinite(s.recvQ) && Number.isFinite(s.sendQ));
          }
        }
      },
    ),
    { numRuns: 1000 },
  );
});

test('parseProcNetTcpBytes (what the sampler runs on the bytes it read) gives what parseProcNetTcp gives the text', () => {
  for (const name of ['loopback-proc-net-tcp', 'netns-proc-net-tcp', 'bound-proc-net-tcp']) {
    for (const [suffix, family] of [['', 'ipv4'], ['6', 'ipv6']] as const) {
      const text = read(`${name}${suffix}.txt`);
      for (const littleEndian of [true, false]) {
        const expected = parseProcNetTcp(text, family, { littleEndian });
        assert.ok(expected.sockets.length > 0, `${name}${suffix} has rows`);
        // The sampler's buffer is reused and larger than the table: only the first `length` bytes count.
        const buffer = Buffer.alloc(text.length + 300, 'ff 00 3a 0a 41', 'hex');
        buffer.write(text, 0, 'latin1');
        assert.deepEqual(parseProcNetTcpBytes(buffer, text.length, family, { littleEndian }), expected, `${name}${suffix}, littleEndian ${littleEndian}`);
      }
    }
  }
  assert.deepEqual(parseProcNetTcpBytes(Buffer.alloc(0), 0, 'ipv4'), { sockets: [], skipped: 0, header: false });
});

test('property: mutated rows parse the same from bytes as from text', () => {
  const lines = capturedRows();
  fc.assert(
    fc.property(
      fc.constantFrom(...lines),
      fc.array(fc.tuple(fc.nat(), fc.string({ unit: fc.constantFrom(...' \t:-0123456789ABCDEFabcdefgx\u00a0\u00ff'.split('')), maxLength: 3 })), { maxLength: 4 }),
      (line, edits) => {
        const mutated = mutate(line, edits);
        for (const family of ['ipv4', 'ipv6'] as const) {
          assert.deepEqual(parseProcNetTcpBytes(Buffer.from(mutated, 'latin1'), mutated.length, family), parseProcNetTcp(mutated, family));
        }
      },
    ),
    { numRuns: 1000 },
  );
});

test('previous: an unchanged row without a timer yields the previous record itself; a changed or timed row a new one', () => {
  const text = read('netns-proc-net-tcp.txt');
  const first = parseProcNetTcp(text, 'ipv4').sockets;
  const previous = dropRepeatedRows(first).byInode;
  assert.ok(previous.size > 0);
  const again = parseProcNetTcp(text, 'ipv4', { previous }).sockets;
  assert.deepEqual(again, first, 'same values either way');
  const timed = first.filter((s) => s.timer !== null && s.inode !== 0);
  assert.ok(timed.length > 0, 'the fixture has a row with a file and a timer');
  for (let i = 0; i < first.length; i++) {
    const reusable = first[i].inode !== 0 && first[i].timer === null;
    assert.equal(again[i] === first[i], reusable, `row ${i} (${first[i].state}, timer ${first[i].timer?.kind ?? 'none'})`);
  }
  // The same inode with another state or queue is a new record with the new values.
  const est = first.find((s) => s.state === 'ESTABLISHED' && s.timer === null && s.inode !== 0);
  assert.ok(est !== undefined);
  const changed = new Map(previous);
  changed.set(est.inode, { ...est, recvQ: est.recvQ + 1 });
  const third = parseProcNetTcp(text, 'ipv4', { previous: changed }).sockets;
  const row = third.find((s) => s.inode === est.inode);
  assert.ok(row !== undefined && row !== changed.get(est.inode));
  assert.deepEqual(row, est);
});

// The row grammar written as one regular expression (what the hand-written reader implements, field by field).
const WS = '[ \\t]';
const H = '[0-9A-Fa-f]';
const grammar = (addr: number) =>
  new RegExp(
    `^${WS}*\\d{1,12}:${WS}+(${H}{${addr}}):(${H}{4})${WS}+(${H}{${addr}}):(${H}{4})${WS}+(${H}{2})${WS}+(${H}{8}):(${H}{8})${WS}+(${H}{2}):(${H}{1,16})${WS}+(${H}{1,8})${WS}+(\\d{1,10})${WS}+(-?\\d{1,10})${WS}+(\\d{1,20})(?:${WS}|$)`,
  );

test('property: the reader accepts exactly the rows the grammar accepts, with the same fields', () => {
  const lines = capturedRows();
  const alphabet = fc.constantFrom(' ', '\t', ':', '-', '0', '1', '9', 'A', 'f', 'g', 'x', '\r');
  fc.assert(
    fc.property(fc.constantFrom(...lines), fc.array(fc.tuple(fc.nat(), fc.array(alphabet, { maxLength: 3 }), fc.nat(3)), { maxLength: 5 }), (line, edits) => {
      let m = line;
      for (const [at, chars, del] of edits) {
        const i = at % (m.length + 1);
        m = m.slice(0, i) + chars.join('') + m.slice(i + del);
      }
      for (const [family, digits] of [['ipv4', 8], ['ipv6', 32]] as const) {
        const g = grammar(digits).exec(m);
        const st = g ? parseInt(g[5], 16) : 0;
        const accepted = g !== null && st >= 1 && st <= 12 && Number.isSafeInteger(Number(g[13]));
        const r = parseProcNetTcp(m, family);
        assert.equal(r.sockets.length, accepted ? 1 : 0, JSON.stringify(m));
        if (g && accepted) {
          const s = r.sockets[0];
          assert.deepEqual(
            [s.local.port, s.remote.port, s.sendQ, s.recvQ, s.uid, s.inode],
            [parseInt(g[2], 16), parseInt(g[4], 16), parseInt(g[6], 16), parseInt(g[7], 16), Number(g[11]), Number(g[13])],
          );
          assert.equal(s.local.address, decodeProcAddress(g[1]));
          assert.equal(s.remote.address, decodeProcAddress(g[3]));
        }
      }
    }),
    { numRuns: 2000 },
  );
});

test('a row repeated by a read() boundary under churn is dropped; SO_REUSEPORT listeners (same 4-tuple, other inode) stay', () => {
  const text = read('netns-proc-net-tcp.txt');
  const rows = parseProcNetTcp(text, 'ipv4').sockets;
  assert.ok(rows.length > 3);
  const repeated = [...rows.slice(0, 3), rows[2], ...rows.slice(3)]; // what a shifted hash walk produces
  const reusePort: SocketRecord = { ...rows[0], inode: rows[0].inode + 1_000_000 };
  const { sockets, repeated: dropped } = dropRepeatedRows([...repeated, reusePort]);
  assert.equal(dropped, 1);
  assert.deepEqual(sockets, [...rows, reusePort]);
  assert.equal(dropRepeatedRows(rows).repeated, 0);
});

test('fileless rows (TIME-WAIT, inode 0) repeat by family and 4-tuple: a copy is dropped, another address or family stays', () => {
  const tw = parseProcNetTcp(read('netns-proc-net-tcp.txt'), 'ipv4').sockets.find((s) => s.state === 'TIME-WAIT');
  assert.ok(tw !== undefined && tw.inode === 0, 'the netns fixture holds a TIME-WAIT row');
  const copy: SocketRecord = { ...tw, local: { ...tw.local }, remote: { ...tw.remote } };
  const otherRemote: SocketRecord = { ...tw, remote: { address: '127.0.0.9', port: tw.remote.port } };
  const otherLocal: SocketRecord = { ...tw, local: { address: '127.0.0.8', port: tw.local.port } };
  const otherFamily: SocketRecord = { ...tw, family: 'ipv6', local: { address: `::ffff:${tw.local.address}`, port: tw.local.port } };
  const otherFamilySameText: SocketRecord = { ...tw, family: 'ipv6' };
  const { sockets, repeated } = dropRepeatedRows([tw, otherRemote, copy, otherLocal, otherFamily, otherFamilySameText, copy]);
  assert.equal(repeated, 2);
  assert.deepEqual(sockets, [tw, otherRemote, otherLocal, otherFamily, otherFamilySameText]);
});
