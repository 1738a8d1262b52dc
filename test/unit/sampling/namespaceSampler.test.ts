// SocketSampler over several network namespaces, on a procfs-shaped folder: /proc/<pid>/ns/net links are symlinks
// whose text is `net:[N]`, /proc/<pid>/net/tcp is each namespace's table (captured rows), fd links hold sockets.
// One container (a fake engine's), one `unshare -n`-style namespace of a workspace process, one another user's
// namespace whose link is closed: each read once through one of its processes, each row with its namespace and
// label, the workspace scope taking the workspace's namespaces and nothing else. The same code against real
// namespaces and a real dockerd: test/kernel/namespaces.test.ts and test/kernel/containers.test.ts.
import { test, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { linkSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseProcNetTcp } from '../../../src/sampling/procNetTcp';
import { SocketSampler, type ContainerSource } from '../../../src/sampling/socketSampler';
import type { KnownContainer } from '../../../src/sampling/containers/registry';
import type { ContainerEngineStatus, ContainerLabel, SocketRecord } from '../../../src/domain/types';
import { ConnectionTracker } from '../../../src/domain/tracker';
import { UNIT_FIXTURES } from '../../common/paths';

/** SocketSampler reads Linux only (other systems: src/sampling/platforms/). */
const linuxOnly = process.platform === 'linux' ? false : 'SocketSampler reads Linux only';
const OWN = 4026531840;
const CONTAINER_NS = 4026532301;
const UNSHARED_NS = 4026532302;
const loopback = readFileSync(join(UNIT_FIXTURES, 'loopback-proc-net-tcp.txt'), 'latin1');
const netnsTable = readFileSync(join(UNIT_FIXTURES, 'netns-proc-net-tcp.txt'), 'latin1');

/** A table with every inode moved by `offset`: the same 4-tuples in another namespace (inodes are machine-wide). */
function shifted(text: string, offset: number): string {
  return text
    .split('\n')
    .map((l) => {
      const f = l.trim().split(/\s+/);
      if (!/^\d+:$/.test(f[0] ?? '')) return l;
      if (f[9] !== '0') f[9] = String(Number(f[9]) + offset);
      return `   ${f.join(' ')}`;
    })
    .join('\n');
}

let root = '';
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'tsv-nsproc-'));
  mkdirSync(join(root, 'net'));
  writeFileSync(join(root, 'net', 'tcp'), loopback);
  mkdirSync(join(root, 'self', 'ns'), { recursive: true });
  symlinkSync(`net:[${OWN}]`, join(root, 'self', 'ns', 'net'));
  symlinkSync('../net', join(root, 'self', 'net'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

/** /proc/<pid>: stat, cmdline, status, cwd; ns/net (null: closed to us); net/tcp linked to `table`; fds on `inodes`. */
function addProcess(pid: number, o: { comm: string; ppid?: number; cwd?: string; ns: number | null; table: string; inodes?: number[] }): void {
  const dir = join(root, String(pid));
  mkdirSync(join(dir, 'fd'), { recursive: true });
  mkdirSync(join(dir, 'ns'));
  mkdirSync(join(dir, 'net'));
  const real = readFileSync(join(UNIT_FIXTURES, 'proc-stat-cat.txt'), 'latin1').trim();
  const after = real.slice(real.lastIndexOf(')') + 2).split(' ');
  after[1] = String(o.ppid ?? 1);
  after[19] = '1000';
  writeFileSync(join(dir, 'stat'), `${pid} (${o.comm}) ${after.join(' ')}\n`);
  writeFileSync(join(dir, 'cmdline'), `${o.comm}\0`);
  writeFileSync(join(dir, 'status'), `Name:\t${o.comm}\nUid:\t0\t0\t0\t0\n`);
  if (o.cwd) symlinkSync(o.cwd, join(dir, 'cwd'));
  if (o.ns !== null) symlinkSync(`net:[${o.ns}]`, join(dir, 'ns', 'net'));
  linkSync(o.table, join(dir, 'net', 'tcp'));
  (o.inodes ?? []).forEach((inode, i) => symlinkSync(`socket:[${inode}]`, join(dir, 'fd', String(10 + i))));
}

const inodes = (text: string): number[] => parseProcNetTcp(text, 'ipv4').sockets.filter((s) => s.inode !== 0).map((s) => s.inode);

const WEB: ContainerLabel = { id: 'c'.repeat(64), name: 'demo-web-1', image: 'busybox:latest', composeProject: 'demo', composeService: 'web' };

function engine(containers: KnownContainer[]): ContainerSource & { asked: number } {
  const status: ContainerEngineStatus = { state: 'ok', socketPath: '/run/fake.sock', containers: containers.length, message: null };
  return {
    asked: 0,
    ready: () => Promise.resolve(),
    status: () => status,
    containers() {
      this.asked++;
      return containers;
    },
  };
}

/** The world: our server (500, cwd in the workspace), a compose container (800, its child 801), a workspace process
 * in a namespace of its own (900), and another user's namespace we cannot name (950). */
function world(composeDir: string): ContainerSource & { asked: number } {
  const tables = join(root, '.tables');
  mkdirSync(tables);
  const write = (name: string, text: string): string => {
    writeFileSync(join(tables, name), text);
    return join(tables, name);
  };
  const containerTable = shifted(loopback, 10_000_000);
  const unsharedTable = shifted(netnsTable, 20_000_000);
  const otherTable = shifted(netnsTable, 30_000_000);
  addProcess(500, { comm: 'server', cwd: '/work/app', ns: OWN, table: join(root, 'net', 'tcp'), inodes: inodes(loopback).slice(0, 3) });
  const ct = write('container', containerTable);
  addProcess(800, { comm: 'sh', cwd: '/', ns: CONTAINER_NS, table: ct, inodes: [] });
  addProcess(801, { comm: 'httpd', ppid: 800, cwd: '/www', ns: CONTAINER_NS, table: ct, inodes: inodes(containerTable) });
  addProcess(900, { comm: 'python3', cwd: '/work/app/tools', ns: UNSHARED_NS, table: write('unshared', unsharedTable), inodes: inodes(unsharedTable) });
  addProcess(950, { comm: 'other', cwd: '/home/else', ns: null, table: write('other', otherTable), inodes: [] });
  return engine([
    {
      info: { id: WEB.id, shortId: WEB.id.slice(0, 12), name: WEB.name, image: WEB.image, composeProject: 'demo', composeService: 'web', composeWorkingDir: composeDir, devContainerLocalFolder: null, pid: 800 },
      label: WEB,
    },
  ]);
}

const count = (text: string): number => parseProcNetTcp(text, 'ipv4').sockets.length;

test('all: every namespace read once, through its first process, each row with its namespace; the container`s labelled', { skip: linuxOnly }, async () => {
  const containers = world('/work/app');
  const sampler = new SocketSampler({ backend: 'proc', procRoot: root, ssPath: join(root, 'no-ss'), containers });
  const sample = await sampler.sample({ scope: { mode: 'all' } });
  assert.equal(sample.netns, `net:[${OWN}]`);
  const byNs = new Map<string, SocketRecord[]>();
  for (const s of sample.sockets) {
    const k = s.netns ?? 'ours';
    byNs.set(k, [...(byNs.get(k) ?? []), s]);
  }
  const otherKey = [...byNs.keys()].find((k) => k.startsWith('net-tcp:'));
  assert.ok(otherKey, `the closed namespace is known by its table's inode: ${[...byNs.keys()].join(' ')}`);
  assert.deepEqual(
    [...byNs.entries()].map(([k, rows]) => [k, rows.length]).sort(),
    [
      ['ours', count(loopback)],
      [`net:[${CONTAINER_NS}]`, count(loopback)],
      [`net:[${UNSHARED_NS}]`, count(netnsTable)],
      [otherKey, count(netnsTable)],
    ].sort(),
  );
  assert.equal(sample.totalSockets, 2 * count(loopback) + 2 * count(netnsTable));
  assert.ok(byNs.get(`net:[${CONTAINER_NS}]`)!.every((s) => s.container === WEB), 'the container`s rows carry its label');
  assert.ok([...byNs.entries()].filter(([k]) => k !== `net:[${CONTAINER_NS}]`).every(([, rows]) => rows.every((s) => s.container === undefined)));
  // Owners come through the fds, whatever the namespace.
  assert.ok(byNs.get(`net:[${CONTAINER_NS}]`)!.filter((s) => s.inode !== 0).every((s) => s.owners[0]?.pid === 801));
  // Each namespace was read through one process: the container's init first.
  assert.deepEqual(
    sample.namespaces.map((n) => [n.own, n.pid, n.container?.name ?? null]).sort(),
    [
      [true, null, null],
      [false, 800, 'demo-web-1'],
      [false, 900, null],
      [false, 950, null],
    ].sort(),
  );
  assert.deepEqual(sampler.lastNamespaces, sample.namespaces, 'the sampler keeps what it read, for the loop`s probes');
  assert.equal(sampler.lastStats?.foreignNamespaces, 3);
  assert.equal(sample.containers.state, 'ok');
  // The tracker keeps the twins apart: the container's table repeats our 4-tuples.
  const t = new ConnectionTracker();
  t.update(sample);
  assert.equal(t.size.live, sample.sockets.length);
});

test('workspace: the workspace`s container and its unshared process`s namespace, whole; nobody else`s', { skip: linuxOnly }, async () => {
  const containers = world('/work/app');
  const sampler = new SocketSampler({ backend: 'proc', procRoot: root, ssPath: join(root, 'no-ss'), containers });
  const sample = await sampler.sample({ scope: { mode: 'workspace', rootPids: [], folders: ['/work/app'] } });
  const namespaces = new Set(sample.sockets.map((s) => s.netns ?? 'ours'));
  assert.deepEqual([...namespaces].sort(), ['ours', `net:[${CONTAINER_NS}]`, `net:[${UNSHARED_NS}]`].sort());
  assert.equal(sample.sockets.filter((s) => s.netns === `net:[${CONTAINER_NS}]`).length, count(loopback), 'the whole container namespace');
  assert.equal(sample.sockets.filter((s) => s.netns === `net:[${UNSHARED_NS}]`).length, count(netnsTable), 'the whole namespace of the workspace`s process');
  assert.ok(sample.sockets.filter((s) => s.netns === undefined).length < count(loopback), 'of ours only what the workspace holds and its peers');
  assert.ok(!sample.namespaces.some((n) => n.pid === 950), 'a namespace with no process of the workspace is not read');
  // The container's processes are scope members (its init and the init's descendants).
  assert.ok([800, 801, 900, 500].every((pid) => sample.scopePids.includes(pid)), `scope ${sample.scopePids.join(',')}`);
});

test('workspace: a container of another project is labelled in `all` but not taken into the workspace', { skip: linuxOnly }, async () => {
  const containers = world('/elsewhere/project');
  const sampler = new SocketSampler({ backend: 'proc', procRoot: root, ssPath: join(root, 'no-ss'), containers });
  const ws = await sampler.sample({ scope: { mode: 'workspace', rootPids: [], folders: ['/work/app'] } });
  assert.ok(!ws.sockets.some((s) => s.netns === `net:[${CONTAINER_NS}]`));
  const all = await sampler.sample({ scope: { mode: 'all' } });
  assert.ok(all.sockets.some((s) => s.netns === `net:[${CONTAINER_NS}]` && s.container === WEB));
});

test('a namespace whose processes are gone by the time it is read is left out of that sample, not an error', { skip: linuxOnly }, async () => {
  const containers = world('/work/app');
  const sampler = new SocketSampler({ backend: 'proc', procRoot: root, ssPath: join(root, 'no-ss'), containers });
  await sampler.sample({ scope: { mode: 'all' } });
  // The unshared process's table disappears (it exited between the process table and the read).
  rmSync(join(root, '900', 'net', 'tcp'));
  const sample = await sampler.sample({ scope: { mode: 'all' } });
  assert.ok(!sample.sockets.some((s) => s.netns === `net:[${UNSHARED_NS}]`));
  assert.equal(sampler.lastStats?.unreadableNamespaces, 1);
  assert.ok(sample.sockets.some((s) => s.netns === `net:[${CONTAINER_NS}]`), 'the others still are');
});

test('otherNamespaces: false reads our own table only', { skip: linuxOnly }, async () => {
  const sampler = new SocketSampler({ backend: 'proc', procRoot: root, ssPath: join(root, 'no-ss'), containers: world('/work/app'), otherNamespaces: false });
  const sample = await sampler.sample({ scope: { mode: 'all' } });
  assert.ok(sample.sockets.every((s) => s.netns === undefined));
  assert.equal(sample.namespaces.length, 1);
});

test('a namespace whose sockstat counts no TCP socket is not read (its table would cost a full walk)', { skip: linuxOnly }, async () => {
  const containers = world('/work/app');
  // The unshared namespace says it is empty; its table file says otherwise: only sockstat was asked.
  writeFileSync(join(root, '900', 'net', 'sockstat'), 'sockets: used 2\nTCP: inuse 0 orphan 6 tw 0 alloc 13 mem 0\n');
  writeFileSync(join(root, '900', 'net', 'sockstat6'), 'TCP6: inuse 0\n');
  const sampler = new SocketSampler({ backend: 'proc', procRoot: root, ssPath: join(root, 'no-ss'), containers });
  const sample = await sampler.sample({ scope: { mode: 'all' } });
  assert.equal(sample.sockets.filter((s) => s.netns === `net:[${UNSHARED_NS}]`).length, 0);
  assert.deepEqual(sample.namespaces.find((n) => n.key === `net:[${UNSHARED_NS}]`), { key: `net:[${UNSHARED_NS}]`, own: false, pid: 900, sockets: 0 });
  assert.equal(sampler.lastStats?.emptyNamespaces, 1);
  // A listener later: the counters move and the table is read.
  writeFileSync(join(root, '900', 'net', 'sockstat'), 'sockets: used 2\nTCP: inuse 1 orphan 6 tw 0 alloc 13 mem 0\n');
  const after = await sampler.sample({ scope: { mode: 'all' } });
  assert.equal(after.sockets.filter((s) => s.netns === `net:[${UNSHARED_NS}]`).length, count(netnsTable));
});

test('reread: only the namespaces named are read again; the others keep their last rows', { skip: linuxOnly }, async () => {
  const containers = world('/work/app');
  const sampler = new SocketSampler({ backend: 'proc', procRoot: root, ssPath: join(root, 'no-ss'), containers });
  const first = await sampler.sample({ scope: { mode: 'all' } });
  const before = first.sockets.filter((s) => s.netns === `net:[${UNSHARED_NS}]`);
  assert.equal(before.length, count(netnsTable));
  // Both foreign tables change; only the container's is asked for again.
  writeFileSync(join(root, '.tables', 'unshared'), netnsTable.split('\n')[0]);
  writeFileSync(join(root, '.tables', 'container'), loopback.split('\n')[0]);
  const second = await sampler.sample({ scope: { mode: 'all' }, reread: new Set([`net:[${CONTAINER_NS}]`]) });
  assert.equal(second.sockets.filter((s) => s.netns === `net:[${CONTAINER_NS}]`).length, 0, 'read again: empty now');
  assert.deepEqual(
    second.sockets.filter((s) => s.netns === `net:[${UNSHARED_NS}]`),
    before,
    'kept from the last reading',
  );
  assert.equal(sampler.lastStats?.keptNamespaces, 3, 'ours, the unshared one and the other user`s');
  const full = await sampler.sample({ scope: { mode: 'all' } });
  assert.equal(full.sockets.filter((s) => s.netns === `net:[${UNSHARED_NS}]`).length, 0, 'a full sample reads every namespace');
});

test('reread: our own namespace`s table is kept too unless named, and read when it is', { skip: linuxOnly }, async () => {
  const containers = world('/work/app');
  const sampler = new SocketSampler({ backend: 'proc', procRoot: root, ssPath: join(root, 'no-ss'), containers });
  const first = await sampler.sample({ scope: { mode: 'all' } });
  const ours = first.sockets.filter((s) => s.netns === undefined);
  assert.equal(ours.length, count(loopback));
  assert.equal(first.namespaces[0].key, `net:[${OWN}]`);
  // Our table empties; a read that names only the container keeps our rows.
  writeFileSync(join(root, 'net', 'tcp'), loopback.split('\n')[0]);
  const kept = await sampler.sample({ scope: { mode: 'all' }, reread: new Set([`net:[${CONTAINER_NS}]`]) });
  assert.deepEqual(kept.sockets.filter((s) => s.netns === undefined), ours, 'kept from the last reading');
  assert.equal(sampler.lastStats?.keptNamespaces, 3, 'ours among the kept');
  const named = await sampler.sample({ scope: { mode: 'all' }, reread: new Set([`net:[${OWN}]`]) });
  assert.equal(named.sockets.filter((s) => s.netns === undefined).length, 0, 'named: read again, empty now');
  assert.ok(named.sockets.some((s) => s.netns === `net:[${CONTAINER_NS}]`), 'the container kept its rows');
});
