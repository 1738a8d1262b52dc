// The process table and the incremental inode -> pid attribution, on a procfs-shaped folder of real files and
// symlinks (the same readdir/readlink calls as on /proc, with contents the test controls), and on captured stat lines.
import { test, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, mkdirSync, readFileSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
// The module object itself (not an ES namespace copy), so mock.method reaches the attributor's calls.
// eslint-disable-next-line @typescript-eslint/no-require-imports -- mock.method needs node:fs's own object
import fs = require('node:fs');
import { OwnerMemory, SocketAttributor, UNREADABLE_RETRY_SAMPLES } from '../../../src/sampling/attribution';
import { ProcessTable, parseCmdline, parseProcStat, parseStatusUid } from '../../../src/sampling/processes';
import { parseProcNetTcp } from '../../../src/sampling/procNetTcp';
import { SamplerError, SocketSampler } from '../../../src/sampling/socketSampler';
import type { SocketRecord } from '../../../src/domain/types';
import { UNIT_FIXTURES } from '../../common/paths';

// SocketSampler reads Linux's table only (it refuses other systems), so its tests here run on Linux.
const linuxOnly = process.platform === 'linux' ? false : 'SocketSampler reads Linux only';

const fixtures = UNIT_FIXTURES;

let root = '';
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'tsv-proc-'));
});
afterEach(() => {
  rmSync(root, { recursive: true, force: true });
});

/** A process folder like /proc/<pid>: stat (comm, ppid, start time), cmdline, status, cwd link, fd links. */
function addProcess(pid: number, opts: { comm?: string; ppid?: number; start?: number; fds?: Record<string, string>; cwd?: string; cmdline?: string[]; uid?: number }): void {
  const dir = join(root, String(pid));
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'fd'), { recursive: true });
  // Field layout of a real line (fixtures/proc-stat-cat.txt), with pid, comm, ppid and starttime replaced.
  const real = readFileSync(join(fixtures, 'proc-stat-cat.txt'), 'latin1').trim();
  const after = real.slice(real.lastIndexOf(')') + 2).split(' ');
  after[1] = String(opts.ppid ?? 1);
  after[19] = String(opts.start ?? 1000);
  writeFileSync(join(dir, 'stat'), `${pid} (${opts.comm ?? 'srv'}) ${after.join(' ')}\n`);
  writeFileSync(join(dir, 'cmdline'), (opts.cmdline ?? ['node', 'srv.js']).map((a) => `${a}\0`).join(''));
  writeFileSync(join(dir, 'status'), `Name:\t${opts.comm ?? 'srv'}\nUid:\t${opts.uid ?? 1000}\t${opts.uid ?? 1000}\t0\t0\n`);
  if (opts.cwd) symlinkSync(opts.cwd, join(dir, 'cwd'));
  for (const [fd, target] of Object.entries(opts.fds ?? {})) symlinkSync(target, join(dir, 'fd', fd));
}
const setFd = (pid: number, fd: string, target: string) => {
  const p = join(root, String(pid), 'fd', fd);
  rmSync(p, { force: true });
  symlinkSync(target, p);
};
const closeFd = (pid: number, fd: string) => unlinkSync(join(root, String(pid), 'fd', fd));

function sample(attr: SocketAttributor, table: ProcessTable, live: number[]) {
  const procs = table.refresh();
  attr.beginSample(new Set(live), procs);
  return procs;
}

test('stat: comm with spaces and parentheses (captured), ppid and start time', () => {
  const odd = parseProcStat(readFileSync(join(fixtures, 'proc-stat-odd-comm.txt'), 'latin1'));
  assert.deepEqual(odd, { pid: 10409, command: 'x y) (z', state: 'S', ppid: 10408, startTime: 138589 });
  const cat = parseProcStat(readFileSync(join(fixtures, 'proc-stat-cat.txt'), 'latin1'));
  assert.deepEqual(cat, { pid: 10416, command: 'cat', state: 'R', ppid: 10380, startTime: 138622 });
  assert.equal(parseProcStat('12 (x) S 1'), null);
  assert.equal(parseProcStat(''), null);
  assert.equal(parseStatusUid('Name:\tx\nUid:\t1000\t1000\t1000\t1000\n'), 1000);
  assert.deepEqual(parseCmdline('node\0a b\0\0'), ['node', 'a b', '']);
  fc.assert(
    fc.property(fc.string({ maxLength: 300 }), (s) => {
      const r = parseProcStat(s);
      if (r !== null) assert.ok(r.pid > 0 && r.ppid >= 0 && r.startTime >= 0);
    }),
    { numRuns: 500 },
  );
});

test('process table: stat every refresh; cmdline and uid once per (pid, start time, comm)', () => {
  addProcess(10, { comm: 'bash', ppid: 1, cwd: '/work/app', cmdline: ['bash'] });
  const table = new ProcessTable(root);
  const rows = table.refresh({ cwd: true });
  assert.deepEqual({ ...rows.get(10) }, { pid: 10, ppid: 1, command: 'bash', startTime: 1000, commandLine: null, uid: null, cwd: '/work/app' });
  assert.deepEqual(table.info(10), { pid: 10, ppid: 1, command: 'bash', commandLine: ['bash'], cwd: '/work/app', startTime: 1000, uid: 1000 });
  table.refresh();
  table.info(10);
  assert.equal(table.reads, 2, 'stat, then cwd only: cmdline and uid were kept');
  // exec() keeps pid and start time but changes comm: the command line is read again.
  addProcess(10, { comm: 'node', ppid: 1, cwd: '/work/app', cmdline: ['node', 'srv.js'] });
  table.refresh();
  assert.deepEqual(table.info(10)?.commandLine, ['node', 'srv.js']);
  // A folder that is not a process, and a stat that does not parse, are ignored.
  mkdirSync(join(root, 'net'));
  mkdirSync(join(root, '77'));
  writeFileSync(join(root, '77', 'stat'), 'garbage');
  assert.deepEqual([...table.refresh().keys()], [10]);
  assert.equal(table.info(99), undefined);
});

test('attribution: owners found, then nothing readlinked again while nothing changed', () => {
  addProcess(100, { fds: { '0': '/dev/null', '1': 'pipe:[5]', '3': 'socket:[1001]', '4': 'socket:[1002]' } });
  addProcess(200, { fds: { '3': 'socket:[2001]' } });
  const table = new ProcessTable(root);
  const attr = new SocketAttributor(root);
  sample(attr, table, [1001, 1002, 2001]);
  attr.search({ wanted: [1001, 1002, 2001], candidates: [100, 200], stopEarly: true, coversAllProcesses: true });
  assert.deepEqual([attr.ownersOf(1001), attr.ownersOf(1002), attr.ownersOf(2001)], [[100], [100], [200]]);
  assert.equal(attr.stats.readlinks, 5);

  sample(attr, table, [1001, 1002, 2001]);
  attr.search({ wanted: [1001, 1002, 2001], candidates: [100, 200], stopEarly: true, minVisits: 2 });
  assert.equal(attr.stats.pidsVisited, 2);
  assert.equal(attr.stats.readlinks, 0, 'an unchanged fd table costs a readdir and no readlink');

  // A new fd: only it is read. A closed fd: its socket loses the owner.
  setFd(200, '7', 'socket:[2002]');
  closeFd(100, '4');
  sample(attr, table, [1001, 2001, 2002]);
  attr.search({ wanted: [1001, 2001, 2002], candidates: [100, 200], stopEarly: false });
  assert.equal(attr.stats.readlinks, 1);
  assert.deepEqual(attr.ownersOf(2002), [200]);
  assert.deepEqual(attr.ownersOf(1002), []);
});

test('attribution stops early once every wanted inode has an owner; new processes are always listed', () => {
  addProcess(100, { fds: { '3': 'socket:[1001]' } });
  addProcess(200, { fds: { '3': 'socket:[2001]' } });
  addProcess(300, { fds: { '3': 'socket:[3001]' } });
  const table = new ProcessTable(root);
  const attr = new SocketAttributor(root);
  sample(attr, table, [1001, 2001, 3001]);
  // Only 1001 is wanted, but processes never listed before are listed anyway: a process that just joined the
  // candidates (a new debug session's root) may hold sockets that are not new.
  attr.search({ wanted: [1001], candidates: [100, 200, 300], stopEarly: true });
  assert.equal(attr.stats.pidsVisited, 3);
  assert.deepEqual([attr.ownersOf(1001), attr.ownersOf(2001), attr.ownersOf(3001)], [[100], [200], [300]]);
  // A new socket: the search stops at the first process that has it.
  setFd(100, '5', 'socket:[1005]');
  sample(attr, table, [1001, 2001, 3001, 1005]);
  attr.search({ wanted: [1001, 2001, 3001, 1005], candidates: [100, 200, 300], stopEarly: true });
  assert.equal(attr.stats.pidsVisited, 1);
  assert.deepEqual(attr.ownersOf(1005), [100]);
  // Nothing unknown: no fd folder is listed at all.
  sample(attr, table, [1001, 2001, 3001, 1005]);
  attr.search({ wanted: [1001, 2001, 3001, 1005], candidates: [100, 200, 300], stopEarly: true });
  assert.equal(attr.stats.pidsVisited, 0);
  // The rotation lists a slice each time and moves on, so every table is listed again within a few samples:
  // a socket each process opened since (not in the table: nobody asks for it) shows up one process at a time.
  for (const pid of [100, 200, 300]) setFd(pid, '9', `socket:[${pid}9]`);
  const visited: number[] = [];
  for (let i = 0; i < 3; i++) {
    sample(attr, table, [1001, 2001, 3001]);
    attr.search({ wanted: [1001, 2001, 3001], candidates: [100, 200, 300], stopEarly: true, minVisits: 1, rotation: 'r' });
    visited.push(attr.stats.pidsVisited);
  }
  assert.deepEqual(visited, [1, 1, 1]);
  assert.deepEqual([attr.ownersOf(1009), attr.ownersOf(2009), attr.ownersOf(3009)], [[100], [200], [300]]);
});

test('onlyFresh: among a few candidates, only sockets new since the last sample are searched for', () => {
  addProcess(100, { fds: { '3': 'socket:[1001]' } });
  addProcess(200, { fds: { '3': 'socket:[2001]' } });
  const table = new ProcessTable(root);
  const attr = new SocketAttributor(root);
  // The scope is pid 100; 2001 belongs to someone else and stays unowned as far as this search knows.
  sample(attr, table, [1001, 2001]);
  attr.search({ wanted: [1001, 2001], candidates: [100], stopEarly: true, onlyFresh: true });
  assert.deepEqual(attr.ownersOf(1001), [100]);
  sample(attr, table, [1001, 2001]);
  attr.search({ wanted: [1001, 2001], candidates: [100], stopEarly: true, onlyFresh: true });
  assert.equal(attr.stats.pidsVisited, 0, 'an old unowned socket does not make the scope be listed again');
  // A new socket anywhere lists the scope once (it might be the scope's), and a deep pass checks its non-socket fds.
  setFd(200, '4', 'socket:[2002]');
  sample(attr, table, [1001, 2001, 2002]);
  attr.search({ wanted: [1001, 2001, 2002], candidates: [100], stopEarly: true, onlyFresh: true });
  assert.equal(attr.stats.pidsVisited, 2);
  assert.equal(attr.stats.deepVisits, 1);
  assert.equal(attr.stats.readlinks, 0, 'pid 100 has no fd cached as not-a-socket, so the deep pass reads nothing');
});

test('a search bounded by fd entries listed picks up where it stopped on the next sample', () => {
  addProcess(100, { fds: { '3': 'socket:[1001]', '4': 'socket:[1002]' } });
  addProcess(200, { fds: { '3': 'socket:[2001]', '4': 'socket:[2002]' } });
  addProcess(300, { fds: { '3': 'socket:[3001]', '4': 'socket:[3002]' } });
  const table = new ProcessTable(root);
  const attr = new SocketAttributor(root);
  const live = [1001, 1002, 2001, 2002, 3001, 3002];
  sample(attr, table, live);
  attr.search({ wanted: [3001], candidates: [100, 200, 300], stopEarly: true, maxFds: 2, rotation: 'p' });
  assert.equal(attr.stats.pidsVisited, 1, 'each process has 2 fds: one visit spends the budget');
  sample(attr, table, live);
  attr.search({ wanted: [3001], candidates: [100, 200, 300], stopEarly: true, maxFds: 2, rotation: 'p' });
  assert.deepEqual(attr.ownersOf(3001), [], 'the next sample goes on with pid 200');
  sample(attr, table, live);
  attr.search({ wanted: [3001], candidates: [100, 200, 300], stopEarly: true, maxFds: 2, rotation: 'p' });
  assert.deepEqual(attr.ownersOf(3001), [300]);
});

test('a new socket behind a reused fd number (was a file) is found by the deep pass', () => {
  addProcess(100, { fds: { '3': 'socket:[1001]', '5': '/var/log/app.log' } });
  const table = new ProcessTable(root);
  const attr = new SocketAttributor(root);
  sample(attr, table, [1001]);
  attr.search({ wanted: [1001], candidates: [100], stopEarly: true, coversAllProcesses: true });
  // The file is closed and a socket gets the same number (lowest free fd) between two samples.
  setFd(100, '5', 'socket:[1005]');
  sample(attr, table, [1001, 1005]);
  attr.search({ wanted: [1001, 1005], candidates: [100], stopEarly: true, coversAllProcesses: true });
  assert.deepEqual(attr.ownersOf(1005), [100]);
  assert.equal(attr.stats.deepVisits, 1);
});

test('a socket fd reused for another socket is read again (its old inode left the table)', () => {
  addProcess(100, { fds: { '3': 'socket:[1001]' } });
  const table = new ProcessTable(root);
  const attr = new SocketAttributor(root);
  sample(attr, table, [1001]);
  attr.search({ wanted: [1001], candidates: [100], stopEarly: false });
  setFd(100, '3', 'socket:[1009]');
  sample(attr, table, [1009]);
  attr.search({ wanted: [1009], candidates: [100], stopEarly: false });
  assert.deepEqual(attr.ownersOf(1009), [100]);
  assert.deepEqual(attr.ownersOf(1001), []);
  assert.equal(attr.stats.deepVisits, 0);
});

test('churn: new sockets on freed fd numbers and past the highest fd are found by probing, without a readdir', () => {
  const fds: Record<string, string> = { '0': '/dev/null', '1': '/dev/null', '2': '/dev/null' };
  for (let fd = 3; fd <= 12; fd++) fds[String(fd)] = `socket:[${1000 + fd}]`;
  addProcess(100, { fds });
  addProcess(200, { fds: { '3': 'socket:[2003]' } });
  const table = new ProcessTable(root);
  const attr = new SocketAttributor(root);
  const live = new Set([...Array.from({ length: 10 }, (_, i) => 1003 + i), 2003]);
  sample(attr, table, [...live]);
  attr.search({ wanted: live, candidates: [100, 200], stopEarly: true, coversAllProcesses: true });
  assert.equal(attr.stats.pidsVisited, 2);

  // Sockets on fds 5, 7 and 9 close; two new ones take the lowest free numbers (5, 7), a third goes past the top.
  // fd 9 stays closed. A new socket of pid 200 has no freed number to be found on.
  for (const fd of ['5', '7', '9']) {
    closeFd(100, fd);
    live.delete(1000 + Number(fd));
  }
  setFd(100, '5', 'socket:[1105]');
  setFd(100, '7', 'socket:[1107]');
  setFd(100, '13', 'socket:[1113]');
  for (const inode of [1105, 1107, 1113]) live.add(inode);
  sample(attr, table, [...live]);
  attr.search({ wanted: live, candidates: [100, 200], stopEarly: true, coversAllProcesses: true });
  assert.equal(attr.stats.pidsVisited, 0, 'no fd folder was listed');
  assert.equal(attr.stats.probes, 3 + 1 + 4, 'the 3 freed numbers, 13 (found), then 14-17 (not open)');
  assert.deepEqual([attr.ownersOf(1105), attr.ownersOf(1107), attr.ownersOf(1113)], [[100], [100], [100]]);
  assert.deepEqual([attr.ownersOf(1005), attr.ownersOf(1007), attr.ownersOf(1009)], [[], [], []]);

  // fd 9 was found closed: it is remembered as free, and probed again once another socket leaves (fd 4).
  closeFd(100, '4');
  live.delete(1004);
  setFd(100, '4', 'socket:[1204]');
  setFd(100, '9', 'socket:[1209]');
  live.add(1204).add(1209);
  sample(attr, table, [...live]);
  attr.search({ wanted: live, candidates: [100, 200], stopEarly: true, coversAllProcesses: true });
  assert.equal(attr.stats.pidsVisited, 0);
  assert.equal(attr.stats.probes, 1 + 1 + 4, 'fd 4 (freed), fd 9 (remembered closed), 14-17');
  assert.deepEqual([attr.ownersOf(1204), attr.ownersOf(1209), attr.ownersOf(1004)], [[100], [100], []]);

  setFd(200, '4', 'socket:[2004]');
  live.add(2004);
  sample(attr, table, [...live]);
  attr.search({ wanted: live, candidates: [100, 200], stopEarly: true, coversAllProcesses: true });
  assert.equal(attr.stats.probes, 0, 'no socket left the table: nothing to probe');
  assert.deepEqual(attr.ownersOf(2004), [200]);
  assert.ok(attr.stats.pidsVisited >= 1, 'found by listing');

  // The probed cache agrees with the folder: listing every table again reads no link.
  sample(attr, table, [...live]);
  attr.search({ wanted: live, candidates: [100, 200], stopEarly: true, minVisits: 2 });
  assert.equal(attr.stats.pidsVisited, 2);
  assert.equal(attr.stats.readlinks, 0);
  assert.deepEqual([attr.ownersOf(1105), attr.ownersOf(1107), attr.ownersOf(1113), attr.ownersOf(1209)], [[100], [100], [100], [100]]);
});

test('dup and fork: one socket on two fds and in two processes', () => {
  addProcess(100, { fds: { '3': 'socket:[1001]', '4': 'socket:[1001]' } });
  addProcess(101, { ppid: 100, fds: { '3': 'socket:[1001]' } });
  const table = new ProcessTable(root);
  const attr = new SocketAttributor(root);
  sample(attr, table, [1001]);
  attr.search({ wanted: [1001], candidates: [100, 101], stopEarly: false });
  assert.deepEqual(attr.ownersOf(1001), [100, 101]);
  closeFd(100, '4');
  sample(attr, table, [1001]);
  attr.search({ wanted: [1001], candidates: [100, 101], stopEarly: false });
  assert.deepEqual(attr.ownersOf(1001), [100, 101], 'fd 3 still holds it');
  closeFd(100, '3');
  sample(attr, table, [1001]);
  attr.search({ wanted: [1001], candidates: [100, 101], stopEarly: false });
  assert.deepEqual(attr.ownersOf(1001), [101]);
});

test('a reused pid (new start time) starts with an empty fd cache; an exited process is forgotten', () => {
  addProcess(100, { start: 1000, fds: { '3': 'socket:[1001]' } });
  const table = new ProcessTable(root);
  const attr = new SocketAttributor(root);
  sample(attr, table, [1001]);
  attr.search({ wanted: [1001], candidates: [100], stopEarly: false });
  addProcess(100, { start: 2000, fds: { '3': 'socket:[1001]' } });
  sample(attr, table, [1001]);
  assert.deepEqual(attr.ownersOf(1001), [], 'the old process is gone');
  attr.search({ wanted: [1001], candidates: [100], stopEarly: false });
  assert.equal(attr.stats.readlinks, 1);
  rmSync(join(root, '100'), { recursive: true });
  sample(attr, table, [1001]);
  assert.deepEqual(attr.ownersOf(1001), []);
  assert.equal(attr.cachedProcessCount(), 0);
});

test('unreadable or vanished fd folders leave the owner unknown and never throw; a lost inode is given up', () => {
  addProcess(100, { fds: { '3': 'socket:[1001]' } });
  addProcess(200, {});
  rmSync(join(root, '200', 'fd'), { recursive: true });
  writeFileSync(join(root, '200', 'fd'), 'not a folder'); // readdir fails (ENOTDIR)
  addProcess(300, {});
  rmSync(join(root, '300', 'fd'), { recursive: true }); // ENOENT, as when the process exits mid-sample
  const table = new ProcessTable(root);
  const attr = new SocketAttributor(root);
  sample(attr, table, [1001, 4242]);
  attr.search({ wanted: [1001, 4242], candidates: [100, 200, 300, 400], stopEarly: true, coversAllProcesses: true });
  assert.deepEqual(attr.ownersOf(1001), [100]);
  assert.deepEqual(attr.ownersOf(4242), []);
  // 4242 was searched for everywhere: the next sample does not list every process again for it.
  sample(attr, table, [1001, 4242]);
  attr.search({ wanted: [1001, 4242], candidates: [100, 200, 300], stopEarly: true, coversAllProcesses: true });
  assert.equal(attr.stats.pidsVisited, 0);
});

const sock = (local: number, remote: number, inode = 0): SocketRecord => ({
  state: 'TIME-WAIT',
  family: 'ipv4',
  local: { address: '127.0.0.1', port: local },
  remote: { address: '127.0.0.1', port: remote },
  inode,
  uid: 0,
  recvQ: 0,
  sendQ: 0,
  timer: null,
  owners: [],
});

test('owner memory: the last owner seen for a 4-tuple, bounded', () => {
  const memory = new OwnerMemory(2);
  memory.remember(sock(1, 80, 11), [{ pid: 5, command: 'curl' }], true);
  assert.deepEqual(memory.recall(sock(1, 80)), { owners: [{ pid: 5, command: 'curl' }], inScope: true });
  assert.equal(memory.recall(sock(2, 80)), undefined);
  memory.remember(sock(2, 80, 12), [{ pid: 6, command: 'curl' }], false);
  memory.remember(sock(3, 80, 13), [{ pid: 7, command: 'curl' }], false);
  assert.equal(memory.size, 2);
  assert.equal(memory.recall(sock(1, 80)), undefined, 'the oldest entry went first');
  memory.ensureCapacity(10);
  for (let p = 10; p < 30; p++) memory.remember(sock(p, 80, p), [{ pid: p, command: 'x' }], false);
  assert.equal(memory.size, 20);
});

test('owner memory: the same 4-tuple in another network namespace is another socket', () => {
  const memory = new OwnerMemory();
  memory.remember({ ...sock(1, 80, 11), netns: 'net:[4026532301]' }, [{ pid: 5, command: 'httpd' }], true);
  assert.equal(memory.recall(sock(1, 80)), undefined, 'not ours');
  assert.deepEqual(memory.recall({ ...sock(1, 80), netns: 'net:[4026532301]' }), { owners: [{ pid: 5, command: 'httpd' }], inScope: true });
  assert.equal(memory.recall({ ...sock(1, 80), netns: 'net:[4026532302]' }), undefined);
});

test('SocketSampler end to end on a procfs-shaped folder: owners, scope, peers, and TIME-WAIT memory', { skip: linuxOnly }, async () => {
  const manifest = JSON.parse(readFileSync(join(fixtures, 'loopback-manifest.json'), 'utf8')) as { sockets: { name: string; client?: { port: number }; server?: { port: number } }[] };
  const serverPort = manifest.sockets.find((m) => m.name === 'listen-v4')!.server!.port;
  const tcp = readFileSync(join(fixtures, 'loopback-proc-net-tcp.txt'), 'latin1');
  mkdirSync(join(root, 'net'));
  writeFileSync(join(root, 'net', 'tcp'), tcp); // no tcp6: IPv6 disabled
  const rows = parseProcNetTcp(tcp, 'ipv4').sockets;
  // pid 500 serves serverPort (its listener and accepted sockets); pid 600 holds every other socket.
  const fds = (pred: (s: SocketRecord) => boolean) => Object.fromEntries(rows.filter((s) => s.inode !== 0 && pred(s)).map((s, i) => [String(10 + i), `socket:[${s.inode}]`]));
  addProcess(500, { comm: 'server', cwd: '/work/app', fds: fds((s) => s.local.port === serverPort) });
  addProcess(600, { comm: 'client', cwd: '/home/u', fds: fds((s) => s.local.port !== serverPort) });
  // ss is only used to fill LISTEN backlogs under the proc backend; point it nowhere.
  const sampler = new SocketSampler({ backend: 'proc', procRoot: root, ssPath: join(root, 'no-ss') });

  const all = await sampler.sample({ scope: { mode: 'all' } });
  assert.equal(all.backend, 'proc');
  assert.equal(all.skippedLines, 0);
  assert.equal(all.sockets.length, rows.length);
  for (const s of all.sockets) {
    if (s.inode === 0) continue;
    assert.deepEqual(s.owners, [s.local.port === serverPort ? { pid: 500, command: 'server' } : { pid: 600, command: 'client' }]);
  }
  assert.deepEqual(all.processes.map((p) => [p.pid, p.cwd]), [[500, '/work/app'], [600, '/home/u']]);

  for (const scope of [
    { mode: 'workspace' as const, rootPids: [500], folders: [] },
    { mode: 'workspace' as const, rootPids: [], folders: ['/work/app'] },
  ]) {
    const ws = await sampler.sample({ scope });
    // The server's sockets, and the client ends of its connections: never the client's other connections.
    assert.ok(ws.sockets.every((s) => s.local.port === serverPort || s.remote.port === serverPort), JSON.stringify(scope));
    assert.ok(ws.sockets.some((s) => s.owners[0]?.pid === 600 && s.remote.port === serverPort));
    assert.deepEqual(ws.scopePids, [500, 600]);
    assert.equal(ws.totalSockets, rows.length);
  }

  // The established client closes first: its row becomes TIME-WAIT with no inode (06, inode 0).
  const est = manifest.sockets.find((m) => m.name === 'established-v4')!;
  const hex = (n: number) => n.toString(16).toUpperCase().padStart(4, '0');
  const lines = tcp.split('\n').map((l) => {
    if (!l.includes(`:${hex(est.client!.port)} 0100007F:${hex(serverPort)} 01 `)) return l;
    return l.replace(/ 01 (\S+ \S+ \S+ +\d+ +\d+ +)\d+/, (_m, mid: string) => ` 06 ${mid}0`);
  });
  assert.notEqual(lines.join('\n'), tcp, 'the row was rewritten');
  writeFileSync(join(root, 'net', 'tcp'), lines.join('\n'));
  const after = await sampler.sample({ scope: { mode: 'workspace', rootPids: [500], folders: [] } });
  const tw = after.sockets.find((s) => s.local.port === est.client!.port && s.remote.port === serverPort);
  assert.equal(tw?.state, 'TIME-WAIT');
  assert.equal(tw.inode, 0);
  assert.deepEqual(tw.owners, [{ pid: 600, command: 'client' }], 'the owner last seen for the 4-tuple');
});

test('SocketSampler reuses the records of unchanged rows across samples; a reused record loses an owner that closed its fd', { skip: linuxOnly }, async () => {
  const tcp = readFileSync(join(fixtures, 'loopback-proc-net-tcp.txt'), 'latin1');
  mkdirSync(join(root, 'net'));
  writeFileSync(join(root, 'net', 'tcp'), tcp);
  const rows = parseProcNetTcp(tcp, 'ipv4').sockets.filter((s) => s.inode !== 0 && s.timer === null);
  assert.ok(rows.length >= 2);
  addProcess(700, { comm: 'holder', fds: Object.fromEntries(rows.map((s, i) => [String(10 + i), `socket:[${s.inode}]`])) });
  const sampler = new SocketSampler({ backend: 'proc', procRoot: root, ssPath: join(root, 'no-ss') });
  const byInode = (sockets: readonly SocketRecord[], inode: number) => sockets.find((s) => s.inode === inode);
  const first = await sampler.sample({ scope: { mode: 'all' } });
  const second = await sampler.sample({ scope: { mode: 'all' } });
  for (const r of rows) {
    assert.equal(byInode(second.sockets, r.inode), byInode(first.sockets, r.inode), `inode ${r.inode}: the same record`);
    assert.deepEqual(byInode(second.sockets, r.inode)?.owners, [{ pid: 700, command: 'holder' }]);
  }
  // The process passes one socket on (its fd closes here, nobody known holds it now): the row is unchanged, so
  // its record is reused, and must not keep the owner it was given last time.
  closeFd(700, '10');
  const third = await sampler.sample({ scope: { mode: 'all' } });
  assert.equal(byInode(third.sockets, rows[0].inode), byInode(first.sockets, rows[0].inode));
  assert.deepEqual(byInode(third.sockets, rows[0].inode)?.owners, []);
  assert.deepEqual(byInode(third.sockets, rows[1].inode)?.owners, [{ pid: 700, command: 'holder' }]);
});

test('SocketSampler reads a /proc/net/tcp larger than its read buffer whole, and a smaller one after it', { skip: linuxOnly }, async () => {
  // The captured rows again and again, each with its own local port: ~3000 rows, ~450 KB, several 64 KiB reads
  // and a buffer that has to grow past its first 256 KiB.
  const captured = readFileSync(join(fixtures, 'loopback-proc-net-tcp.txt'), 'latin1').split('\n');
  const header = captured[0];
  const rows = captured.slice(1).filter((l) => l.trim() !== '');
  const big: string[] = [header];
  for (let i = 0; i < 3000; i++) {
    const port = (10_000 + i).toString(16).toUpperCase().padStart(4, '0');
    // Each row its own socket: its own local port and, where it has one, its own inode (an inode names one socket).
    const row = rows[i % rows.length].replace(/^( *)\d+: ([0-9A-F]{8}):[0-9A-F]{4} /, (_m, pad: string, addr: string) => `${pad}${i}: ${addr}:${port} `);
    big.push(row.replace(/^((?:\s*\S+){9}\s+)(\d+)/, (_m, head: string, inode: string) => `${head}${inode === '0' ? '0' : String(7_000_000 + i)}`));
  }
  const bigText = `${big.join('\n')}\n`;
  assert.ok(bigText.length > 400_000);
  mkdirSync(join(root, 'net'));
  writeFileSync(join(root, 'net', 'tcp'), bigText);
  const sampler = new SocketSampler({ backend: 'proc', procRoot: root, ssPath: join(root, 'no-ss') });
  const expected = parseProcNetTcp(bigText, 'ipv4').sockets;
  assert.equal(expected.length, 3000);
  for (let i = 0; i < 2; i++) {
    const s = await sampler.sample({ scope: { mode: 'all' } });
    assert.equal(s.skippedLines, 0);
    assert.equal(s.sockets.length, 3000);
    assert.deepEqual(s.sockets.map((r) => r.local.port).sort((a, b) => a - b), expected.map((r) => r.local.port).sort((a, b) => a - b));
  }
  // A shorter file read into the grown buffer: nothing of the longer one's tail is left over.
  const small = `${captured.join('\n')}`;
  writeFileSync(join(root, 'net', 'tcp'), small);
  const s = await sampler.sample({ scope: { mode: 'all' } });
  assert.equal(s.skippedLines, 0);
  assert.equal(s.sockets.length, parseProcNetTcp(small, 'ipv4').sockets.length);
});

test('a /proc/net/tcp that is empty, headerless, garbage or a directory is an unparsable reading, not an empty table', { skip: linuxOnly }, async () => {
  mkdirSync(join(root, 'net'));
  const header = '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n';
  const expectCode = async (content: string | null, code: string, message: RegExp) => {
    rmSync(join(root, 'net', 'tcp'), { recursive: true, force: true });
    if (content === null) mkdirSync(join(root, 'net', 'tcp'));
    else writeFileSync(join(root, 'net', 'tcp'), content);
    const sampler = new SocketSampler({ backend: 'proc', procRoot: root, ssPath: join(root, 'no-ss') });
    await assert.rejects(sampler.sample({ scope: { mode: 'all' } }), (e: unknown) => {
      assert.ok(e instanceof SamplerError && e.code === code, String(e));
      assert.match(e.message, message);
      return true;
    });
  };
  await expectCode('', 'unparsable', /no header line/);
  await expectCode('\x00\x17garbage\nmore garbage\n', 'unparsable', /no header line/);
  await expectCode(`${header}not a row\nnor this\n`, 'unparsable', /no row of 2 parsed/);
  await expectCode(null, 'unparsable', /is a directory.*not the kernel's socket table/);
  // The header alone is a real, empty table.
  rmSync(join(root, 'net', 'tcp'), { recursive: true, force: true });
  writeFileSync(join(root, 'net', 'tcp'), header);
  const ok = await new SocketSampler({ backend: 'proc', procRoot: root, ssPath: join(root, 'no-ss') }).sample({ scope: { mode: 'all' } });
  assert.equal(ok.sockets.length, 0);
});

test("'auto' on its ss fallback tries /proc again after procRetryMs (and at once after retryPreferredBackend)", { skip: linuxOnly }, async () => {
  const ss = join(root, 'fake-ss');
  writeFileSync(ss, "#!/bin/sh\necho 'ESTAB 0 0 127.0.0.1:5001 127.0.0.1:5002 ino:77 sk:1'\n");
  chmodSync(ss, 0o755);
  let now = 1_000_000;
  const sampler = new SocketSampler({ backend: 'auto', procRoot: root, ssPath: ss, procRetryMs: 60_000, now: () => now });
  const all = { scope: { mode: 'all' as const } };
  assert.equal((await sampler.sample(all)).backend, 'ss', 'no /proc/net/tcp yet');
  mkdirSync(join(root, 'net'));
  writeFileSync(join(root, 'net', 'tcp'), '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n');
  now += 59_000;
  assert.equal((await sampler.sample(all)).backend, 'ss', 'not retried before procRetryMs');
  now += 1_000;
  assert.equal((await sampler.sample(all)).backend, 'proc', '/proc works again: taken back');
  // Back on /proc, 'auto' keeps it: a broken /proc is an error again. A new configuration retries /proc at once.
  rmSync(join(root, 'net', 'tcp'));
  await assert.rejects(sampler.sample(all), /net\/tcp/);
  const again = new SocketSampler({ backend: 'auto', procRoot: join(root, 'nowhere'), ssPath: ss, now: () => now });
  assert.equal((await again.sample(all)).backend, 'ss');
  again.retryPreferredBackend();
  assert.equal((await again.sample(all)).backend, 'ss', 'still no /proc: stays on ss');
});

test('an fd folder that was unreadable (EACCES) is listed again UNREADABLE_RETRY_SAMPLES samples later', (t) => {
  addProcess(100, { fds: { '3': 'socket:[1001]' } });
  const denied = join(root, '100', 'fd');
  let deny = true;
  const real = fs.readdirSync;
  // Root reads any folder, so the denial is simulated: what readdir does for another user's process.
  t.mock.method(fs, 'readdirSync', (path: fs.PathLike, options?: unknown) => {
    if (deny && String(path) === denied) throw Object.assign(new Error(`EACCES: permission denied, scandir '${denied}'`), { code: 'EACCES' });
    return (real as (p: fs.PathLike, o?: unknown) => string[])(path, options);
  });
  const table = new ProcessTable(root);
  const attr = new SocketAttributor(root);
  sample(attr, table, [1001]);
  attr.search({ wanted: [1001], candidates: [100], stopEarly: false });
  assert.deepEqual(attr.ownersOf(1001), [], 'denied');
  deny = false; // the process exec'd a program of this user, or dropped privileges
  for (let i = 1; i < UNREADABLE_RETRY_SAMPLES; i++) {
    sample(attr, table, [1001]);
    attr.search({ wanted: [1001], candidates: [100], stopEarly: false });
  }
  assert.deepEqual(attr.ownersOf(1001), [], 'not retried on every sample');
  sample(attr, table, [1001]);
  attr.search({ wanted: [1001], candidates: [100], stopEarly: false });
  assert.deepEqual(attr.ownersOf(1001), [100], 'retried, and read');
});
