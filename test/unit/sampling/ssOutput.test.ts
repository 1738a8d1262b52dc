// parseSsOutput on `ss -tanoeH` captured from this machine (fixtures/README.md), and its agreement with /proc.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { parseProcNetTcp } from '../../../src/sampling/procNetTcp';
import { parseIpv6, parseSsDuration, parseSsOutput, parseSsTimer } from '../../../src/sampling/ssOutput';
import { formatEndpoint, type SocketRecord, type TcpState } from '../../../src/domain/types';
import { UNIT_FIXTURES } from '../../common/paths';

const fixtures = UNIT_FIXTURES;
const read = (name: string): string => readFileSync(join(fixtures, name), 'latin1');

interface ManifestEnd {
  port: number;
  state: TcpState | null;
  uid?: number;
}
const manifest = JSON.parse(read('loopback-manifest.json')) as { sockets: { name: string; client?: ManifestEnd; server?: ManifestEnd }[] };
const ssText = read('loopback-ss-tanoeH.txt');
const key = (s: SocketRecord): string => `${s.family} ${formatEndpoint(s.local)} ${formatEndpoint(s.remote)}`;

test('every captured line parses', () => {
  const r = parseSsOutput(ssText);
  assert.equal(r.skipped, 0);
  assert.equal(r.sockets.length, ssText.trim().split('\n').length);
});

test('ss names map to RFC 9293 names, on the sockets the capture drove', () => {
  const sockets = parseSsOutput(ssText).sockets;
  const at = (local: number, remote: number) => {
    const found = sockets.filter((s) => s.local.port === local && s.remote.port === remote);
    assert.equal(found.length, 1, `${local} -> ${remote}`);
    return found[0];
  };
  for (const m of manifest.sockets) {
    if (m.server && !m.client) assert.equal(at(m.server.port, 0).state, m.server.state, m.name);
    if (m.client?.state) assert.equal(at(m.client.port, m.server?.port ?? -1).state, m.client.state, `${m.name} client`);
    if (m.client && m.server?.state) {
      const s = at(m.server.port, m.client.port);
      assert.equal(s.state, m.server.state, `${m.name} server`);
      assert.equal(s.uid, m.server.uid ?? 0, `${m.name}: uid (ss omits uid 0)`);
    }
  }
});

test('wildcards, brackets and IPv4-mapped addresses', () => {
  const sockets = parseSsOutput(ssText).sockets;
  const dual = manifest.sockets.find((m) => m.name === 'listen-dual')!.server!.port;
  // `*:P *:*` with v6only:0 is the IPv6 wildcard listener that also takes IPv4.
  const l = sockets.find((s) => s.local.port === dual && s.state === 'LISTEN')!;
  assert.deepEqual([l.family, l.local, l.remote], ['ipv6', { address: '::', port: dual }, { address: '::', port: 0 }]);
  const mapped = sockets.find((s) => s.local.port === dual && s.state === 'ESTABLISHED')!;
  assert.deepEqual([mapped.family, mapped.local.address, mapped.remote.address], ['ipv6', '::ffff:127.0.0.1', '::ffff:127.0.0.1']);
  const v6 = sockets.find((s) => s.local.address === '::1' && s.state === 'LISTEN')!;
  assert.deepEqual(v6.remote, { address: '::', port: 0 });
  const v4 = sockets.find((s) => s.family === 'ipv4' && s.state === 'LISTEN')!;
  assert.deepEqual(v4.remote, { address: '0.0.0.0', port: 0 });
});

test('device-bound listeners: %iface is dropped except as a link-local zone', () => {
  const sockets = parseSsOutput(read('bound-ss-tanoeH.txt'));
  assert.equal(sockets.skipped, 0);
  const local = sockets.sockets.map((s) => `${s.family} ${s.local.address}`).sort();
  assert.deepEqual(local, ['ipv4 0.0.0.0', 'ipv4 127.0.0.1', 'ipv6 ::', 'ipv6 fe80::1%lo']);
  const proc = [...parseProcNetTcp(read('bound-proc-net-tcp.txt'), 'ipv4').sockets, ...parseProcNetTcp(read('bound-proc-net-tcp6.txt'), 'ipv6').sockets];
  // /proc has no zone: the same listeners, fe80::1 without %lo.
  assert.deepEqual(proc.map((s) => `${s.family} ${s.local.address}`).sort(), ['ipv4 0.0.0.0', 'ipv4 127.0.0.1', 'ipv6 ::', 'ipv6 fe80::1']);
  assert.deepEqual(proc.map((s) => s.inode).sort(), sockets.sockets.map((s) => s.inode).sort());
});

test('timers: name, print_ms_timer() duration and count', () => {
  assert.deepEqual(parseSsTimer('timer:(on,200ms,0)'), { kind: 'retransmit', remainingMs: 200, retransmits: 0 });
  assert.deepEqual(parseSsTimer('timer:(keepalive,1min43sec,0)'), { kind: 'keepalive', remainingMs: 103_000, retransmits: 0 });
  assert.deepEqual(parseSsTimer('timer:(timewait,59sec,0)'), { kind: 'timewait', remainingMs: 59_000, retransmits: 0 });
  assert.deepEqual(parseSsTimer('timer:(persist,,0)'), { kind: 'persist', remainingMs: 0, retransmits: 0 });
  assert.deepEqual(parseSsTimer('timer:(on,5.123ms,3)'), { kind: 'retransmit', remainingMs: 5123, retransmits: 3 });
  assert.equal(parseSsDuration('016ms'), 16);
  assert.equal(parseSsDuration('12min'), 720_000);
  assert.equal(parseSsDuration('1min'), 60_000);
  assert.equal(parseSsDuration('5.'), null);
  assert.equal(parseSsDuration('sec'), null);
  assert.equal(parseSsTimer('timer:(off,,0)'), null);
  assert.equal(parseSsTimer('timer:(unknown,1sec,0)'), null);
  // In the capture: every timer ss printed came through.
  const sockets = parseSsOutput(ssText).sockets;
  assert.equal(sockets.filter((s) => s.timer !== null).length, (ssText.match(/timer:\(/g) ?? []).length);
});

test('TIME-WAIT rows have inode 0 and a timewait timer under a minute; SYN-SENT retransmits', () => {
  for (const s of parseSsOutput(ssText).sockets) {
    if (s.state === 'TIME-WAIT') {
      assert.equal(s.inode, 0);
      assert.equal(s.timer?.kind, 'timewait');
      assert.ok(s.timer.remainingMs <= 60_000);
    }
    if (s.state === 'SYN-SENT') assert.equal(s.timer?.kind, 'retransmit');
  }
});

test('a header, a Netid column and UNCONN are understood; a continuation line adds details', () => {
  const text = [
    'Netid State  Recv-Q Send-Q Local Address:Port Peer Address:Port',
    'tcp   UNCONN 0      0      127.0.0.1:5000     0.0.0.0:*',
    'ESTAB 0 0 127.0.0.1:5001 127.0.0.1:5002',
    '\t timer:(keepalive,10sec,0) uid:1000 ino:77 sk:1',
  ].join('\n');
  const r = parseSsOutput(text);
  assert.equal(r.skipped, 0);
  assert.equal(r.sockets[0].state, 'CLOSED');
  assert.deepEqual([r.sockets[1].inode, r.sockets[1].uid, r.sockets[1].timer?.remainingMs], [77, 1000, 10_000]);
});

test('both backends see the same sockets in the same states (captured back to back)', () => {
  const proc = [...parseProcNetTcp(read('loopback-proc-net-tcp.txt'), 'ipv4').sockets, ...parseProcNetTcp(read('loopback-proc-net-tcp6.txt'), 'ipv6').sockets];
  const ss = parseSsOutput(ssText).sockets;
  assert.deepEqual(proc.map(key).sort(), ss.map(key).sort());
  const byKey = new Map(ss.map((s) => [key(s), s]));
  for (const p of proc) {
    const s = byKey.get(key(p))!;
    assert.equal(s.state, p.state, key(p));
    assert.equal(s.inode, p.inode, key(p));
    assert.equal(s.uid, p.uid, key(p));
    assert.equal(s.timer?.kind, p.timer?.kind, key(p));
    // Queues of a connection under a zero window are steady; a LISTEN row's Send-Q is the backlog in ss only.
    if (p.state !== 'LISTEN') assert.deepEqual([s.recvQ, s.sendQ], [p.recvQ, p.sendQ], key(p));
    else assert.equal(s.recvQ, p.recvQ, key(p));
  }
});

test('IPv6 text parsing: compressed, full, mixed; invalid forms are rejected', () => {
  assert.deepEqual(parseIpv6('::1'), [...new Array(15).fill(0), 1]);
  assert.deepEqual(parseIpv6('::ffff:127.0.0.1')?.slice(10), [0xff, 0xff, 127, 0, 0, 1]);
  assert.deepEqual(parseIpv6('1:2:3:4:5:6:7:8')?.length, 16);
  for (const bad of ['1::2::3', '12345::', '1:2:3:4:5:6:7:8:9', '::ffff:300.0.0.1', 'g::1', '', '1:2:3:4:5:6:7']) assert.equal(parseIpv6(bad), null, bad);
});

test('property: any text parses without throwing; rows + skipped never exceed the lines', () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 400 }), (text) => {
      const r = parseSsOutput(text);
      assert.ok(r.sockets.length + r.skipped <= text.split('\n').length);
    }),
    { numRuns: 500 },
  );
});

test('property: captured lines with random edits never throw, and each line is a row or a skip', () => {
  const lines = [...ssText.split('\n'), ...read('bound-ss-tanoeH.txt').split('\n')].filter((l) => l.trim() !== '');
  fc.assert(
    fc.property(
      fc.constantFrom(...lines),
      fc.array(fc.tuple(fc.nat(), fc.string({ maxLength: 3 })), { maxLength: 4 }),
      (line, edits) => {
        let mutated = line;
        for (const [at, text] of edits) {
          const i = at % (mutated.length + 1);
          mutated = mutated.slice(0, i) + text + mutated.slice(i + 1);
        }
        const r = parseSsOutput(mutated);
        const parts = mutated.split('\n').filter((l) => l.trim() !== '').length;
        assert.ok(r.sockets.length + r.skipped <= parts);
        for (const s of r.sockets) {
          assert.ok(s.local.port <= 0xffff && s.remote.port <= 0xffff);
          // A wildcard is never an address; a zone may hold any byte of an interface name, '*' included (found
          // by this property: `[fe80::1]%*o:333` is fe80::1 on an interface named `*o`).
          const bare = (a: string): string => a.replace(/%.*$/, '');
          assert.ok(!bare(s.local.address).includes('*') && !bare(s.remote.address).includes('*'));
          assert.ok(s.family === 'ipv4' ? !s.local.address.includes(':') : s.local.address.includes(':'));
        }
      },
    ),
    { numRuns: 1000 },
  );
});

test('a cgroup path with spaces and ino:/uid:-looking words is not read as fields (cgroup: takes the rest)', () => {
  const text = [
    'ESTAB 0 0 127.0.0.1:5001 127.0.0.1:5002 timer:(keepalive,10sec,0) uid:1000 ino:77 sk:1 cgroup:/x ino:4242 uid:0 <->',
    'LISTEN 0 511 *:8080 *:* ino:78 sk:2 cgroup:/system.slice/a b ino:9 timer:(on,1sec,0) v6only:0 <->',
    'LISTEN 0 511 *:8081 *:* ino:79 sk:3 cgroup:/y uid:5 v6only:1 ---',
  ].join('\n');
  const r = parseSsOutput(text);
  assert.equal(r.skipped, 0);
  assert.deepEqual(
    r.sockets.map((s) => [s.inode, s.uid, s.timer?.kind ?? null, s.family]),
    [
      [77, 1000, 'keepalive', 'ipv4'],
      [78, 0, null, 'ipv6'],
      [79, 0, null, 'ipv6'],
    ],
  );
});

test('a continuation line fills only the fields its row left unset', () => {
  const text = ['ESTAB 0 0 127.0.0.1:5001 127.0.0.1:5002 uid:1000 ino:77 sk:1', '\t timer:(keepalive,10sec,0) uid:2 ino:88 sk:9'].join('\n');
  const s = parseSsOutput(text).sockets[0];
  assert.deepEqual([s.inode, s.uid, s.timer?.remainingMs], [77, 1000, 10_000]);
});

test('property: any cgroup path after the fields leaves uid, inode and timer as printed before it', () => {
  const word = fc.oneof(
    fc.string({ maxLength: 12 }).map((w) => w.replace(/\s/g, '')),
    fc.nat().map((n) => `ino:${n}`),
    fc.nat().map((n) => `uid:${n}`),
    fc.constantFrom('timer:(on,1sec,0)', 'sk:1', 'cgroup:/z', 'v6only:1', '<->'),
  );
  fc.assert(
    fc.property(fc.option(fc.integer({ min: 1, max: 2 ** 31 }), { nil: undefined }), fc.integer({ min: 1, max: 2 ** 40 }), fc.boolean(), fc.array(word, { maxLength: 8 }), (uid, inode, timer, path) => {
      const fields = [timer ? 'timer:(keepalive,59sec,0)' : '', uid !== undefined ? `uid:${uid}` : '', `ino:${inode}`, 'sk:1f', `cgroup:/${path.join(' ')}`, '<->'].filter((t) => t !== '');
      const r = parseSsOutput(`ESTAB 0 0 127.0.0.1:1 127.0.0.1:2 ${fields.join(' ')}`);
      assert.equal(r.sockets.length, 1);
      const s = r.sockets[0];
      assert.deepEqual([s.inode, s.uid, s.timer?.kind ?? null], [inode, uid ?? 0, timer ? 'keepalive' : null]);
    }),
    { numRuns: 2000 },
  );
});
