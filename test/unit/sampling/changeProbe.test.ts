// ChangeProbe's byte parser and its unavailable paths, and FdSetProbe's two stages, on procfs-shaped folders of real
// files (copies of this machine's /proc/net/{sockstat,sockstat6,snmp}, see test/unit/fixtures/README.md) and
// symlinks. The real /proc, namespaces and sockets are test/kernel/changeProbe.test.ts.
import { test, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ChangeProbe, FdSetProbe } from '../../../src/sampling/changeProbe';
import { FD_GONE, fdSetChanged, type ProbeCounters, type ProbeReading } from '../../../src/domain/changeTrigger';

const fixtures = join(__dirname, '..', '..', '..', '..', 'test', 'unit', 'fixtures', 'probes', 'proc-net');
const real = (name: string): string => readFileSync(join(fixtures, name), 'latin1');

let root = '';
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'tsv-probe-'));
});
afterEach(() => {
  rmSync(root, { recursive: true, force: true });
});

function netDir(files: Record<string, string>): string {
  const dir = join(root, 'net');
  mkdirSync(dir, { recursive: true });
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

/** The same fields read the obvious way (split on whitespace), to check the byte parser against. */
function naive(sockstat: string, sockstat6: string, snmp: string): ProbeCounters {
  const kv = (line: string | undefined): Map<string, number> => {
    const f = (line ?? '').trim().split(/\s+/).slice(1);
    const m = new Map<string, number>();
    for (let i = 0; i + 1 < f.length; i += 2) m.set(f[i], Number(f[i + 1]));
    return m;
  };
  const tcp = kv(sockstat.split('\n').find((l) => l.startsWith('TCP:')));
  const tcp6 = kv(sockstat6.split('\n').find((l) => l.startsWith('TCP6:')));
  const [head, values] = snmp.split('\n').filter((l) => l.startsWith('Tcp:'));
  const names = head.trim().split(/\s+/);
  const nums = values.trim().split(/\s+/);
  const s = (n: string): number => Number(nums[names.indexOf(n)]);
  return {
    tcpInuse: tcp.get('inuse')!,
    tcpOrphan: tcp.get('orphan')!,
    tcpTw: tcp.get('tw')!,
    tcpAlloc: tcp.get('alloc')!,
    tcp6Inuse: tcp6.get('inuse') ?? 0,
    activeOpens: s('ActiveOpens'),
    passiveOpens: s('PassiveOpens'),
    attemptFails: s('AttemptFails'),
    estabResets: s('EstabResets'),
    currEstab: s('CurrEstab'),
    inSegs: s('InSegs'),
    outSegs: s('OutSegs'),
    retransSegs: s('RetransSegs'),
    inErrs: s('InErrs'),
    outRsts: s('OutRsts'),
  };
}

const FILES = { sockstat: real('sockstat'), sockstat6: real('sockstat6'), snmp: real('snmp') };

test('reads every field of real sockstat, sockstat6 and snmp files as a whitespace split does', () => {
  const probe = new ChangeProbe({ procRoot: netDir(FILES) });
  assert.equal(probe.available, true);
  const r = probe.read();
  assert.deepEqual(r, { available: true, ...naive(FILES.sockstat, FILES.sockstat6, FILES.snmp) });
  assert.ok(r.available && r.tcp6Inuse > 0, 'the capture has an IPv6 listener');
  probe.close();
});

test('the kept fds see new content on every read (pread at 0), without reopening', () => {
  const dir = netDir(FILES);
  const probe = new ChangeProbe({ procRoot: dir });
  const a = probe.read();
  // Rewritten in place (same inode), as the kernel regenerates a seq_file: one socket more, an open more.
  writeFileSync(join(dir, 'sockstat'), FILES.sockstat.replace(/TCP: inuse (\d+)/, (_, n: string) => `TCP: inuse ${Number(n) + 1}`));
  writeFileSync(join(dir, 'snmp'), FILES.snmp.replace(/^(Tcp: \d+ \d+ \d+ -?\d+ )(\d+)/m, (_, p: string, n: string) => `${p}${Number(n) + 1}`));
  const b = probe.read();
  assert.ok(a.available && b.available);
  assert.equal(b.tcpInuse, a.tcpInuse + 1);
  assert.equal(b.activeOpens, a.activeOpens + 1);
  assert.equal(b.passiveOpens, a.passiveOpens);
  probe.close();
});

test('a counter above 2^32 parses exactly (exact up to 2^53)', () => {
  const snmp = FILES.snmp.replace(/^(Tcp: \d+ \d+ \d+ -?\d+ \d+ \d+ \d+ \d+ \d+ )(\d+)/m, (_, p: string) => `${p}9007199254740991`);
  const r = new ChangeProbe({ procRoot: netDir({ ...FILES, snmp }) }).read();
  assert.ok(r.available);
  assert.equal(r.inSegs, 9007199254740991);
});

test('no sockstat6 (IPv6 disabled): available, TCP6 inuse 0', () => {
  const r = new ChangeProbe({ procRoot: netDir({ sockstat: FILES.sockstat, snmp: FILES.snmp }) }).read();
  assert.ok(r.available);
  assert.equal(r.tcp6Inuse, 0);
});

test('unavailable: no folder, no snmp, no Tcp line, a Tcp line without CurrEstab', () => {
  const cases: [string, Record<string, string> | null, RegExp][] = [
    ['no /proc', null, /sockstat: ENOENT/],
    ['no snmp', { sockstat: FILES.sockstat }, /snmp: ENOENT/],
    ['no Tcp line', { sockstat: FILES.sockstat, snmp: FILES.snmp.replace(/^Tcp:.*\n/gm, '') }, /no Tcp line/],
    ['no CurrEstab', { sockstat: FILES.sockstat, snmp: FILES.snmp.replace(' CurrEstab', ' Other') }, /lacks CurrEstab/],
    ['no TCP line in sockstat', { sockstat: FILES.sockstat.replace(/^TCP:.*\n/m, ''), snmp: FILES.snmp }, /no TCP line/],
  ];
  for (const [what, files, reason] of cases) {
    const probe = new ChangeProbe({ procRoot: files ? netDir(files) : join(root, 'nothing') });
    const r: ProbeReading = probe.read();
    assert.equal(r.available, false, what);
    assert.match(r.available ? '' : r.reason, reason, what);
    assert.equal(probe.available, false, what);
    rmSync(join(root, 'net'), { recursive: true, force: true });
  }
});

test('the namespace link: another namespace or a vanished one makes the probe unavailable for good', () => {
  const dir = netDir(FILES);
  writeFileSync(join(root, 'ns-a'), '');
  writeFileSync(join(root, 'ns-b'), '');
  const link = join(root, 'ns-net');
  symlinkSync(join(root, 'ns-a'), link);
  const probe = new ChangeProbe({ procRoot: dir, nsLink: link });
  assert.equal(probe.read().available, true);
  unlinkSync(link);
  symlinkSync(join(root, 'ns-b'), link); // a reused pid in another namespace
  const r = probe.read();
  assert.equal(r.available, false);
  assert.match(r.available ? '' : r.reason, /another namespace/);
  const gone = new ChangeProbe({ procRoot: dir, nsLink: link });
  unlinkSync(link);
  const g = gone.read();
  assert.match(g.available ? '' : g.reason, /is gone/);
  assert.equal(gone.read().available, false, 'stays unavailable: the caller makes a new probe');
});

test('the namespace link defaults to /proc/<pid>/ns/net for /proc/<pid>/net, and to none for other folders', () => {
  const p = new ChangeProbe({ procRoot: '/proc/2147483646/net' });
  const r = p.read();
  assert.equal(r.available, false);
  assert.match(r.available ? '' : r.reason, /\/proc\/2147483646\/ns\/net: ENOENT/);
});

/** A /proc/<pid>/fd folder of symlinks, as procfs shows them. */
function fdDir(pid: number, links: Record<string, string>): string {
  const dir = join(root, 'proc', String(pid), 'fd');
  mkdirSync(dir, { recursive: true });
  for (const [fd, target] of Object.entries(links)) symlinkSync(target, join(dir, fd));
  return dir;
}

test('fd set: a file opened is no change; a socket fd added or closed is; a process gone is', () => {
  const dir = fdDir(100, { '0': '/dev/null', '1': 'pipe:[4001]', '3': 'socket:[5001]', '4': 'socket:[5002]' });
  fdDir(101, { '0': '/dev/null' });
  // A test folder's size is not its entry count, so stage 1 counts with readdir here.
  const probe = new FdSetProbe({ procDir: join(root, 'proc'), countBy: 'readdir' });
  const a = probe.read([100, 101]);
  assert.deepEqual(
    a.map((s) => [s.pid, s.fds, s.sockets]),
    [
      [100, 4, 2],
      [101, 1, 0],
    ],
  );
  assert.equal(a[0].socketSum, 10003);
  assert.equal(a[0].socketXor, (5001 ^ 5002) >>> 0);

  symlinkSync('/etc/hosts', join(dir, '5'));
  const b = probe.read([100, 101]);
  assert.equal(b[0].fds, 5);
  assert.equal(fdSetChanged(a, b).changed, false);

  symlinkSync('socket:[5003]', join(dir, '6'));
  const c = probe.read([100, 101]);
  assert.deepEqual(fdSetChanged(b, c), { changed: true, reason: 'pid 100: socket fds 2 -> 3' });

  unlinkSync(join(dir, '3'));
  const d = probe.read([100, 101]);
  assert.equal(fdSetChanged(c, d).changed, true);

  rmSync(join(root, 'proc', '100'), { recursive: true });
  const e = probe.read([100, 101]);
  assert.equal(e[0].fds, FD_GONE);
  assert.equal(fdSetChanged(d, e).changed, true);
  assert.equal(probe.read([100, 101])[0].fds, FD_GONE, 'stays gone');
  probe.close();
});

test('fd set: a pid that does not exist reads as gone, and a pid no longer asked for is forgotten', () => {
  fdDir(200, { '3': 'socket:[7001]' });
  const probe = new FdSetProbe({ procDir: join(root, 'proc'), countBy: 'readdir' });
  assert.deepEqual(
    probe.read([200, 999]).map((s) => s.fds),
    [1, FD_GONE],
  );
  assert.deepEqual(probe.read([]), []);
  probe.close();
});
