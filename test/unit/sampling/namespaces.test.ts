// namespaces: the link text parser, and this process's own namespace read from the real /proc (the grouping
// of other processes, containers and unshare'd namespaces is tested with real ones in test/kernel/docker.test.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { linkSync, mkdirSync, mkdtempSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NetNamespaceResolver, groupByNetNamespace, ownNamespace, parseNetNsLink, tcpTablesToRead } from '../../../src/sampling/namespaces';

const linux = process.platform === 'linux' ? false : 'reads /proc (Linux)';

test('parseNetNsLink: net:[inode] only', () => {
  assert.equal(parseNetNsLink('net:[4026531840]'), 4026531840);
  assert.equal(parseNetNsLink('net:[4026531833]\n'), 4026531833);
  assert.equal(parseNetNsLink('mnt:[4026531841]'), null);
  assert.equal(parseNetNsLink('net:[]'), null);
  assert.equal(parseNetNsLink('net:[99999999999999999999]'), null);
  assert.equal(parseNetNsLink('/proc/1/ns/net'), null);
});

test('ownNamespace and a group of this process alone', { skip: linux }, async () => {
  const own = await ownNamespace();
  assert.equal(own.key, readlinkSync('/proc/self/ns/net'));
  const g = await groupByNetNamespace([process.pid, process.pid, -1, 0]);
  assert.deepEqual(g.unknown, []);
  assert.equal(g.groups.length, 1);
  assert.equal(g.groups[0].key, own.key);
  assert.equal(g.groups[0].own, true);
  assert.deepEqual(g.groups[0].pids, [process.pid]);
  assert.equal(g.groups[0].representative, process.pid);
});

test('a pid that is not a process is unknown', { skip: linux }, async () => {
  // pid_max is at most 2^22 (PID_MAX_LIMIT on 64-bit): this pid cannot exist.
  const g = await groupByNetNamespace([2 ** 22 + 1]);
  assert.deepEqual(g.groups, []);
  assert.deepEqual(g.unknown, [2 ** 22 + 1]);
});

// ---- NetNamespaceResolver on a procfs-shaped folder: ns/net links are symlinks whose text is `net:[N]` (readlink
// reads it whether or not it points anywhere), net/tcp files stand for the namespace's table (stat gives their
// inode; files linked together share one, as a namespace's processes share its proc entry).

function fakeProc(): { root: string; add(pid: number, ns: number | null, tcpOf: number | null): void; cleanup(): void } {
  const root = mkdtempSync(join(tmpdir(), 'tsv-ns-'));
  /** One table file per namespace; each process's net/tcp is a hard link to its namespace's. */
  const tables = new Map<number, string>();
  const table = (n: number): string => {
    let p = tables.get(n);
    if (p === undefined) {
      p = join(root, `.table-${n}`);
      writeFileSync(p, '  sl  local_address rem_address   st\n');
      tables.set(n, p);
    }
    return p;
  };
  const add = (pid: number | 'self', ns: number | null, tcpOf: number | null): void => {
    const dir = join(root, String(pid));
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(join(dir, 'ns'), { recursive: true });
    mkdirSync(join(dir, 'net'));
    if (ns !== null) symlinkSync(`net:[${ns}]`, join(dir, 'ns', 'net'));
    if (tcpOf !== null) linkSync(table(tcpOf), join(dir, 'net', 'tcp'));
  };
  add('self', 4026531840, 4026531840);
  return { root, add: (pid, ns, tcpOf) => add(pid, ns, tcpOf), cleanup: () => rmSync(root, { recursive: true, force: true }) };
}

test('NetNamespaceResolver: own namespace first, others by key; a closed link is named through its table, or by the table alone', { skip: linux }, (t) => {
  const p = fakeProc();
  t.after(p.cleanup);
  p.add(10, 4026531840, 4026531840); // ours
  p.add(20, 4026532000, 4026532000); // another namespace, link readable
  p.add(21, null, 4026532000); // the same namespace, link closed to us (another user's process)
  p.add(30, null, 4026532100); // a namespace known only by its table
  p.add(40, null, null); // gone or hidden
  const r = new NetNamespaceResolver(p.root);
  assert.deepEqual(r.own()?.key, 'net:[4026531840]');
  const groups = r.group([30, 21, 20, 10, 40, 10], () => undefined);
  // Ours first, then by key ('net-tcp:' sorts before 'net:['); pids in the order given.
  assert.deepEqual(
    groups.map((g) => [g.key, g.own, g.pids]),
    [
      ['net:[4026531840]', true, [10]],
      [`net-tcp:${statSync(join(p.root, '30', 'net', 'tcp')).ino}`, false, [30]],
      ['net:[4026532000]', false, [21, 20]],
    ],
  );
});

test('NetNamespaceResolver: cached while pid, start time and command stay; re-read on exec, on a new process, and in rotation', { skip: linux }, (t) => {
  const p = fakeProc();
  t.after(p.cleanup);
  p.add(10, 4026532000, 4026532000);
  const r = new NetNamespaceResolver(p.root, 16);
  const id = new Map([[10, { startTime: 5, command: 'unshare' }]]);
  const keyOf10 = (): string | undefined => r.group([10], (pid) => id.get(pid)).find((g) => g.pids.includes(10))?.key;
  assert.equal(keyOf10(), 'net:[4026532000]');
  // `unshare -n cmd`: unshare(2), then exec. Until the command name changes the cached namespace stands...
  p.add(10, 4026532999, 4026532999);
  assert.equal(keyOf10(), 'net:[4026532000]', 'kept while nothing says the process changed');
  assert.equal(r.reads, 0);
  // ...and the exec's new name makes it read again at once.
  id.set(10, { startTime: 5, command: 'python3' });
  assert.equal(keyOf10(), 'net:[4026532999]');
  assert.equal(r.reads, 2, 'the link and the table inode of a foreign process');
  // A namespace switch without exec is seen within `recheckEvery` samples.
  p.add(10, 4026533111, 4026533111);
  let rounds = 1;
  while (keyOf10() !== 'net:[4026533111]' && rounds < 100) rounds++;
  assert.ok(rounds <= 16, `seen after ${rounds} samples`);
  // A reused pid (another start time) is a new process.
  p.add(10, 4026531840, 4026531840);
  id.set(10, { startTime: 6, command: 'python3' });
  assert.equal(keyOf10(), 'net:[4026531840]');
  assert.equal(r.group([10], (pid) => id.get(pid))[0].own, true);
});

test('sockstat: the namespace`s own TCP counters tell which tables can hold rows, without reading them', (t) => {
  // As a fresh namespace prints them (Linux 6.18): inuse and tw are the namespace's, orphan and alloc the machine's.
  const fresh = 'sockets: used 2\nTCP: inuse 0 orphan 6 tw 0 alloc 13 mem 0\nUDP: inuse 0 mem 0\n';
  const busy = 'sockets: used 1\nTCP: inuse 1 orphan 6 tw 1 alloc 12 mem 0\nUDP: inuse 0 mem 0\n';
  const v4Only = 'sockets: used 1\nTCP: inuse 2 orphan 6 tw 0 alloc 12 mem 0\n';
  const dir = mkdtempSync(join(tmpdir(), 'tsv-sockstat-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const net = (v4: string | null, v6: string | null): string => {
    const d = mkdtempSync(join(dir, 'net-'));
    if (v4 !== null) writeFileSync(join(d, 'sockstat'), v4);
    if (v6 !== null) writeFileSync(join(d, 'sockstat6'), v6);
    return d;
  };
  const none = { v4: false, v6: false };
  const both = { v4: true, v6: true };
  assert.deepEqual(tcpTablesToRead(net(fresh, 'TCP6: inuse 0\n')), none);
  assert.deepEqual(tcpTablesToRead(net(fresh, null)), none, 'no sockstat6: IPv6 is off, no tcp6 table');
  assert.deepEqual(tcpTablesToRead(net(fresh, 'TCP6: inuse 2\n')), { v4: false, v6: true }, 'an IPv6 listener only');
  assert.deepEqual(tcpTablesToRead(net(v4Only, 'TCP6: inuse 0\n')), { v4: true, v6: false });
  // A TIME-WAIT may be of either family: tcp first, and tcp6 only if tcp does not hold them all.
  assert.deepEqual(tcpTablesToRead(net(busy, 'TCP6: inuse 0\n')), { v4: true, v6: false, v6TimeWaits: 1 });
  assert.deepEqual(tcpTablesToRead(net('TCP: inuse 0 orphan 0 tw 4 alloc 0 mem 0\n', 'TCP6: inuse 0\n')), { v4: true, v6: false, v6TimeWaits: 4 });
  assert.deepEqual(tcpTablesToRead(net(busy, 'TCP6: inuse 2\n')), both);
  assert.deepEqual(tcpTablesToRead(net(busy, 'garbage')), both);
  assert.deepEqual(tcpTablesToRead(net('TCP: inuse 1 orphan 0 alloc 0 mem 0\n', 'TCP6: inuse 0\n')), both, 'no tw count: read');
  assert.deepEqual(tcpTablesToRead(net(null, null)), both, 'unknown: read');
  assert.deepEqual(tcpTablesToRead(net('TCP: something else\n', 'TCP6: inuse 0\n')), both);
  assert.deepEqual(tcpTablesToRead(net(fresh, 'garbage')), { v4: false, v6: true });
});
