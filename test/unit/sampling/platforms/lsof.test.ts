// parseLsof on real Linux lsof -F output captured from loopback sockets in known states
// (fixtures/platforms/lsof-linux-loopback-*.txt, see lsof-linux-loopback.source.txt), on both field selections, and
// on field sets written here for what lsof cannot be made to print on this machine (the other state words, macOS's).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { LSOF_TCP_STATES, parseLsof, type LsofParse, type LsofRow } from '../../../../src/sampling/platforms/lsof';
import type { AddressFamily, Endpoint, TcpState } from '../../../../src/domain/types';
import { fixtureBytes, fixtureJson } from './fixtures';

interface ManifestSocket {
  name: string;
  pid: number;
  alsoPid?: number;
  family: AddressFamily;
  local: Endpoint;
  remote: Endpoint | null;
  state: string;
}
interface Manifest {
  parentPid: number;
  childPid: number;
  sockets: ManifestSocket[];
}

const manifest = fixtureJson<Manifest>('lsof-linux-loopback.manifest.json');
const typed = fixtureBytes('lsof-linux-loopback-FpcfnPtT0.txt').toString('latin1');
const untyped = fixtureBytes('lsof-linux-loopback-FpcfnPT0.txt').toString('latin1');

const wildcard = (family: AddressFamily): Endpoint => ({ address: family === 'ipv4' ? '0.0.0.0' : '::', port: 0 });
const same = (a: Endpoint, b: Endpoint): boolean => a.address === b.address && a.port === b.port;

function find(p: LsofParse, local: Endpoint, remote: Endpoint): LsofRow {
  const found = p.rows.filter((r) => same(r.local, local) && same(r.remote, remote));
  assert.equal(found.length, 1, `one row ${local.address}:${local.port} -> ${remote.address}:${remote.port}, found ${found.length}`);
  return found[0];
}

test('the real capture with `t`: every socket the script held is found, in its state, family and pid', () => {
  const p = parseLsof(typed);
  assert.deepEqual(p.unparsed, []);
  assert.deepEqual(p.unknownState, []);
  const seen = new Set<string>();
  for (const m of manifest.sockets) {
    const r = find(p, m.local, m.remote ?? wildcard(m.family));
    assert.equal(r.stateWord, m.state, m.name);
    assert.equal(r.state, LSOF_TCP_STATES.get(m.state), m.name);
    assert.equal(r.family, m.family, m.name);
    assert.equal(r.familyKnown, true);
    assert.ok(r.owners.some((o) => o.pid === m.pid && o.command === 'node'), `${m.name}: pid ${m.pid} in ${JSON.stringify(r.owners)}`);
    seen.add(m.state);
  }
  for (const w of ['LISTEN', 'ESTABLISHED', 'SYN_SENT', 'FIN_WAIT1', 'FIN_WAIT2', 'CLOSE_WAIT', 'CLOSING', 'LAST_ACK']) assert.ok(seen.has(w), `capture covers ${w}`);
});

test('one socket held by two processes is one row with both owners and both descriptors', () => {
  const p = parseLsof(typed);
  const shared = manifest.sockets.find((m) => m.alsoPid !== undefined);
  assert.ok(shared);
  const r = find(p, shared.local, wildcard(shared.family));
  assert.deepEqual(r.owners.map((o) => o.pid).sort(), [manifest.parentPid, manifest.childPid].sort());
  assert.equal(r.fds.length, 2);
  assert.deepEqual(new Set(r.fds.map((f) => f.pid)), new Set([manifest.parentPid, manifest.childPid]));
});

test('dual stack: the `*` listener is IPv6 by its type, and its IPv4 peer is recorded IPv4-mapped', () => {
  const p = parseLsof(typed);
  const dual = manifest.sockets.find((m) => m.name === 'listen-dual');
  const mapped = manifest.sockets.find((m) => m.name === 'established-mapped server');
  assert.ok(dual && mapped && mapped.remote);
  assert.deepEqual(find(p, { address: '::', port: dual.local.port }, wildcard('ipv6')).family, 'ipv6');
  const r = find(p, mapped.local, mapped.remote);
  assert.equal(r.local.address, '::ffff:127.0.0.1');
});

test('queues: TQR and TQS are recvQ and sendQ (a FIN_WAIT1 sender holds unsent data, a CLOSE_WAIT end holds the FIN)', () => {
  const p = parseLsof(typed);
  const fw1 = p.rows.find((r) => r.stateWord === 'FIN_WAIT1');
  const cw = p.rows.find((r) => r.stateWord === 'CLOSE_WAIT');
  assert.ok(fw1 && fw1.sendQ > 0);
  assert.ok(cw && cw.recvQ === 1);
});

test('the capture without `t` (the issue command): same rows, but a `*` listener has no known family', () => {
  const p = parseLsof(untyped);
  assert.deepEqual(p.unparsed, []);
  const withT = parseLsof(typed);
  assert.equal(p.rows.length, withT.rows.length);
  for (const m of manifest.sockets) {
    if (m.name === 'listen-dual' || m.name === 'established-mapped server') continue;
    const r = find(p, m.local, m.remote ?? wildcard(m.family));
    assert.equal(r.stateWord, m.state, m.name);
    assert.ok(r.owners.some((o) => o.pid === m.pid), m.name);
  }
  const dual = manifest.sockets.find((m) => m.name === 'listen-dual');
  assert.ok(dual);
  const r = find(p, { address: '0.0.0.0', port: dual.local.port }, wildcard('ipv4'));
  assert.deepEqual([r.family, r.familyKnown], ['ipv4', false], 'lsof prints `*` for both families: the row says it does not know');
  // Without the type, the dual-stack listener's IPv4 peer reads as plain IPv4.
  const mapped = manifest.sockets.find((m) => m.name === 'established-mapped server');
  assert.ok(mapped && mapped.remote);
  assert.equal(find(p, { address: '127.0.0.1', port: mapped.local.port }, { address: '127.0.0.1', port: mapped.remote.port }).family, 'ipv4');
});

test('the same fields newline-terminated (lsof -F without 0) parse to the same rows', () => {
  const nl = typed.replace(/\0\n/g, '\n').replace(/\0/g, '\n');
  assert.ok(!nl.includes('\0'));
  assert.deepEqual(parseLsof(nl), parseLsof(typed));
});

// ---------------------------------------------------------------------------------------------------------
// Field sets written here

/** lsof -F0 text of one process with one TCP file per [name, state] (type IPv4 unless the name has a bracket). */
function fieldSets(pid: number, command: string, files: [string, string | null][]): string {
  let out = `p${pid}\0c${command}\0\n`;
  files.forEach(([name, state], i) => {
    const t = name.includes('[') ? 'IPv6' : 'IPv4';
    out += `f${i + 3}\0t${t}\0PTCP\0n${name}\0${state === null ? '' : `TST=${state}\0`}TQR=0\0TQS=0\0\n`;
  });
  return out;
}

test('every state word of Linux lsof (dsock.c) and macOS lsof (tcpstates[]) maps to its RFC 9293 state', () => {
  const expected: Record<string, TcpState> = {
    ESTABLISHED: 'ESTABLISHED', SYN_SENT: 'SYN-SENT', SYN_RECV: 'SYN-RECEIVED', FIN_WAIT1: 'FIN-WAIT-1', FIN_WAIT2: 'FIN-WAIT-2',
    TIME_WAIT: 'TIME-WAIT', CLOSE: 'CLOSED', CLOSE_WAIT: 'CLOSE-WAIT', LAST_ACK: 'LAST-ACK', LISTEN: 'LISTEN', CLOSING: 'CLOSING',
    CLOSED: 'CLOSED', SYN_RCVD: 'SYN-RECEIVED', FIN_WAIT_1: 'FIN-WAIT-1', FIN_WAIT_2: 'FIN-WAIT-2',
  };
  assert.deepEqual(Object.fromEntries(LSOF_TCP_STATES), expected);
  const words = Object.keys(expected);
  const p = parseLsof(fieldSets(7, 'x', words.map((w, i) => [`10.0.0.1:${1000 + i}->10.0.0.2:80`, w])));
  assert.deepEqual(p.rows.map((r) => r.state), Object.values(expected));
});

test('an unknown or missing state word is an unknown state, kept with the word', () => {
  const p = parseLsof(fieldSets(7, 'x', [['10.0.0.1:1->10.0.0.2:2', 'UNKNOWN_TCP_STATE_99'], ['10.0.0.1:3->10.0.0.2:4', null]]));
  assert.deepEqual(p.rows, []);
  assert.deepEqual(p.unknownState.map((r) => [r.state, r.stateWord, r.local.port]), [[null, 'UNKNOWN_TCP_STATE_99', 1], [null, '', 3]]);
});

test('names: [ipv6] with a link-local zone, `*:*`, the uid field; what does not parse is reported as its fields', () => {
  const p = parseLsof(`p9\0cd\0u501\0\nf3\0tIPv6\0PTCP\0n[fe80::1%en0]:22->[fe80::2%en0]:50000\0TST=ESTABLISHED\0\nf4\0tIPv6\0PTCP\0n*:*\0TST=CLOSED\0\n`);
  assert.deepEqual(p.rows.map((r) => [r.local.address, r.local.port, r.remote.address, r.remote.port, r.uid]), [
    ['fe80::1%en0', 22, 'fe80::2%en0', 50000, 501],
    ['::', 0, '::', 0, 501],
  ]);
  const bad = parseLsof([
    'f3\0PTCP\0n1.2.3.4:1->5.6.7.8:2\0TST=LISTEN\0', // a file set before any process
    'p10\0cx\0',
    'f4\0PUDP\0n1.2.3.4:53\0', // not TCP
    'f5\0tIPv4\0PTCP\0n[::1]:80\0TST=LISTEN\0', // an IPv6 address in an IPv4 file
    'f6\0PTCP\0nlocalhost:http\0TST=LISTEN\0', // a name lsof -nP would not print
    'f7\0PTCP\0n1.2.3.4:99999\0TST=LISTEN\0',
    '!what\0',
  ].join('\n'));
  assert.deepEqual(bad.rows, []);
  assert.deepEqual(bad.unparsed, [
    'f3 PTCP n1.2.3.4:1->5.6.7.8:2 TST=LISTEN',
    'f4 PUDP n1.2.3.4:53',
    'f5 tIPv4 PTCP n[::1]:80 TST=LISTEN',
    'f6 PTCP nlocalhost:http TST=LISTEN',
    '!what', // reported where it stands, inside the set of f7, which is reported when it ends
    'f7 PTCP n1.2.3.4:99999 TST=LISTEN',
  ]);
});

// ---------------------------------------------------------------------------------------------------------
// Properties

const port = fc.integer({ min: 1, max: 65535 });
const host4 = fc.ipV4();
const host6 = fc.constantFrom('::1', 'fe80::1%lo0', '2001:db8::42', '::ffff:10.1.2.3', 'fd00:1:2:3:4:5:6:7');
interface Gen {
  pid: number;
  fd: number;
  family: AddressFamily;
  local: [string, number];
  remote: [string, number];
  word: string;
}
const gen: fc.Arbitrary<Gen> = fc.oneof(
  fc.record({ pid: fc.integer({ min: 1, max: 4_000_000 }), fd: fc.nat(1000), family: fc.constant('ipv4' as const), local: fc.tuple(host4, port), remote: fc.tuple(host4, port), word: fc.constantFrom(...LSOF_TCP_STATES.keys()) }),
  fc.record({ pid: fc.integer({ min: 1, max: 4_000_000 }), fd: fc.nat(1000), family: fc.constant('ipv6' as const), local: fc.tuple(host6, port), remote: fc.tuple(host6, port), word: fc.constantFrom(...LSOF_TCP_STATES.keys()) }),
);
const hp = (family: AddressFamily, [h, p]: [string, number]): string => (family === 'ipv6' ? `[${h}]:${p}` : `${h}:${p}`);

test('property: rendered field sets parse back to their endpoints, state and pid (connected sockets are never merged across 4-tuples)', () => {
  fc.assert(
    fc.property(fc.uniqueArray(gen, { maxLength: 10, selector: (g) => `${g.family}${g.local.join()}${g.remote.join()}${g.word}` }), (gens) => {
      const text = gens.map((g) => `p${g.pid}\0cproc\0\nf${g.fd}\0t${g.family === 'ipv4' ? 'IPv4' : 'IPv6'}\0PTCP\0n${hp(g.family, g.local)}->${hp(g.family, g.remote)}\0TST=${g.word}\0TQR=0\0TQS=0\0\n`).join('');
      const p = parseLsof(text);
      assert.deepEqual(p.unparsed, []);
      assert.equal(p.rows.length, gens.length);
      gens.forEach((g, i) => {
        const r = p.rows[i];
        assert.deepEqual([r.local, r.remote], [{ address: g.local[0], port: g.local[1] }, { address: g.remote[0], port: g.remote[1] }]);
        assert.equal(r.state, LSOF_TCP_STATES.get(g.word));
        assert.deepEqual(r.owners, [{ pid: g.pid, command: 'proc' }]);
      });
    }),
  );
});

test('property: any text parses without throwing and yields only rows with valid ports and known families', () => {
  const field = fc.oneof(fc.string(), fc.constantFrom('p1', 'cnode', 'f3', 'tIPv4', 'tIPv6', 'PTCP', 'n*:80', 'n1.2.3.4:5->6.7.8.9:10', 'TST=LISTEN', 'TQR=1'));
  fc.assert(
    fc.property(fc.array(field, { maxLength: 20 }), fc.constantFrom('\0', '\n', '\0\n'), (fields, sep) => {
      const p = parseLsof(fields.join(sep));
      for (const r of [...p.rows, ...p.unknownState]) {
        assert.ok(r.local.port >= 0 && r.local.port <= 65535 && r.remote.port >= 0 && r.remote.port <= 65535);
        assert.ok(r.family === 'ipv4' || r.family === 'ipv6');
        assert.ok(r.owners.length >= 1);
      }
    }),
  );
});
