// The change watcher's per-namespace bookkeeping (src/sampling/changeWatcher.ts) on net folders made of a real
// kernel's sockstat, sockstat6 and snmp (test/unit/fixtures/probes/proc-net): which namespaces a read the probes
// asked for must read again (those whose counts moved, or whose probe cannot tell), that another namespace's
// probe that cannot read never makes the loop periodic, and how the probed set follows the samples. The same
// against real namespaces and the worker: test/kernel/namespaces.test.ts.
import { test, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ChangeWatcher, type WatchedNamespace } from '../../../src/sampling/changeWatcher';
import { namespacesToReread, type TriggerDecision } from '../../../src/domain/changeTrigger';
import { UNIT_FIXTURES } from '../../common/paths';

const procNet = join(UNIT_FIXTURES, 'probes', 'proc-net');
const sockstat = readFileSync(join(procNet, 'sockstat'), 'latin1');

let root = '';
beforeEach(() => (root = mkdtempSync(join(tmpdir(), 'tsv-watch-'))));
afterEach(() => rmSync(root, { recursive: true, force: true }));

/** A net folder with the recorded counters. */
function netDir(name: string): string {
  const d = join(root, name);
  mkdirSync(d, { recursive: true });
  for (const f of ['sockstat', 'sockstat6', 'snmp']) copyFileSync(join(procNet, f), join(d, f));
  return d;
}

/** A socket entered the namespace's hash: `TCP: inuse` moves by one. */
function listen(dir: string, inuse: number): void {
  writeFileSync(join(dir, 'sockstat'), sockstat.replace(/TCP: inuse \d+/, `TCP: inuse ${inuse}`));
}

function watcherOver(own: string): { w: ChangeWatcher; changes: TriggerDecision[]; availability: boolean[] } {
  const changes: TriggerDecision[] = [];
  const availability: boolean[] = [];
  const w = new ChangeWatcher({ change: (d) => changes.push(d), availability: (a) => availability.push(a) }, own);
  // A long period: the test ticks by hand; running, so the readings count.
  w.start(3_600_000);
  return { w, changes, availability };
}

test('namespacesToReread: every namespace the last sample read except the quiet ones', () => {
  assert.deepEqual([...namespacesToReread(['ours', 'a', 'b'], new Set(['ours', 'b']))], ['a']);
  assert.deepEqual([...namespacesToReread(['ours', 'a'], new Set())], ['ours', 'a']);
  assert.deepEqual([...namespacesToReread([], new Set(['a']))], []);
});

test('a count moving in one namespace: one change reported, that namespace alone not quiet; the baseline makes all quiet again', (t) => {
  const own = netDir('own');
  const a = netDir('a');
  const b = netDir('b');
  const { w, changes } = watcherOver(own);
  t.after(() => w.close());
  const namespaces: WatchedNamespace[] = [
    { key: 'net:[1]', netDir: own, own: true },
    { key: 'net:[2]', netDir: a, own: false },
    { key: 'net:[3]', netDir: b, own: false },
  ];
  w.setNamespaces(namespaces);
  assert.deepEqual(w.watched.map((x) => [x.key, x.available]), [['net:[1]', true], ['net:[2]', true], ['net:[3]', true]]);
  w.tick();
  assert.equal(changes.length, 0);
  assert.deepEqual([...w.quietSinceBaseline()].sort(), ['net:[1]', 'net:[2]', 'net:[3]']);

  listen(b, 3);
  w.tick();
  assert.equal(changes.length, 1);
  assert.match(changes[0].reason, /^net:\[3\]: tcpInuse 2 -> 3/, 'the reason names the namespace');
  assert.deepEqual([...w.quietSinceBaseline()].sort(), ['net:[1]', 'net:[2]']);
  assert.deepEqual([...namespacesToReread(['net:[1]', 'net:[2]', 'net:[3]'], w.quietSinceBaseline())], ['net:[3]']);
  // Another namespace moving afterwards joins it without a second report (one per baseline).
  listen(a, 5);
  w.tick();
  assert.equal(changes.length, 1);
  assert.deepEqual([...w.quietSinceBaseline()], ['net:[1]']);

  w.baseline();
  assert.deepEqual([...w.quietSinceBaseline()].sort(), ['net:[1]', 'net:[2]', 'net:[3]']);
  w.tick();
  assert.equal(changes.length, 1, 'nothing moved since the baseline');
  listen(own, 7);
  w.tick();
  assert.equal(changes.length, 2);
  assert.match(changes[1].reason, /^tcpInuse 2 -> 7/, 'ours is not named');
  assert.deepEqual([...w.quietSinceBaseline()].sort(), ['net:[2]', 'net:[3]']);
});

test('another namespace`s probe that cannot read is never quiet and never makes the loop periodic', (t) => {
  const own = netDir('own');
  const a = netDir('a');
  const { w, changes, availability } = watcherOver(own);
  t.after(() => w.close());
  // A reader that exited before the probe opened: /proc/<pid>/net with no such process.
  const gone = join(root, 'proc', '999999', 'net');
  w.setNamespaces([
    { key: 'net:[1]', netDir: own, own: true },
    { key: 'net:[2]', netDir: a, own: false },
    { key: 'net:[9]', netDir: gone, own: false },
  ]);
  assert.deepEqual(w.watched.map((x) => x.available), [true, true, false]);
  assert.equal(w.isAvailable, true);
  assert.deepEqual(availability, [true]);
  w.tick();
  assert.equal(changes.length, 0, 'unreadable from the start: no change to report');
  assert.deepEqual([...w.quietSinceBaseline()].sort(), ['net:[1]', 'net:[2]'], 'the unreadable one is read again by any read');

});

test('a reader that exits: its probe is lost, which asks for one read of that namespace; the loop stays change-driven', { skip: process.platform === 'linux' ? false : 'reads /proc' }, async (t) => {
  const own = netDir('own');
  const reader = spawn('/bin/sleep', ['600'], { stdio: 'ignore' });
  t.after(() => reader.kill('SIGKILL'));
  const pid = reader.pid as number;
  const { w, changes, availability } = watcherOver(own);
  t.after(() => w.close());
  // Our own namespace, read through a child of ours: what a container's process is to the worker.
  w.setNamespaces([
    { key: 'net:[1]', netDir: own, own: true },
    { key: 'net:[2]', netDir: `/proc/${pid}/net`, own: false },
  ]);
  assert.deepEqual(w.watched.map((x) => x.available), [true, true]);
  w.tick();
  const quietBefore = [...w.quietSinceBaseline()].sort();
  assert.ok(quietBefore.includes('net:[2]'), `the child's namespace probed and quiet (${quietBefore.join(', ')})`);
  await new Promise((r) => {
    reader.once('exit', r);
    reader.kill('SIGKILL');
  });
  // Until reaped the pid may linger as a zombie; the kept /proc/<pid>/fd fd fails once it is gone.
  for (let i = 0; i < 50 && w.watched[1].available; i++) {
    w.tick();
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.equal(w.watched[1].available, false, 'the probe is lost');
  assert.ok(changes.some((c) => /^net:\[2\]: probe lost/.test(c.reason)), `a change for it: ${changes.map((c) => c.reason).join(' | ')}`);
  assert.ok(!w.quietSinceBaseline().has('net:[2]'));
  assert.equal(w.isAvailable, true);
  assert.deepEqual(availability, [true]);
});

test('setNamespaces keeps a probe (and its news) while the namespace is read through the same folder, replaces it otherwise, closes the gone', (t) => {
  const own = netDir('own');
  const a = netDir('a');
  const a2 = netDir('a2');
  const b = netDir('b');
  const { w } = watcherOver(own);
  t.after(() => w.close());
  w.setNamespaces([
    { key: 'net:[1]', netDir: own, own: true },
    { key: 'net:[2]', netDir: a, own: false },
    { key: 'net:[3]', netDir: b, own: false },
  ]);
  listen(a, 4);
  w.tick();
  assert.ok(!w.quietSinceBaseline().has('net:[2]'));
  // The next sample (a read of some namespaces) still lists both: the news about net:[2] is kept for the next read.
  w.setNamespaces([
    { key: 'net:[1]', netDir: own, own: true },
    { key: 'net:[2]', netDir: a, own: false },
    { key: 'net:[3]', netDir: b, own: false },
  ]);
  assert.ok(!w.quietSinceBaseline().has('net:[2]'));
  // Read through another process now, and net:[3] gone.
  w.setNamespaces([
    { key: 'net:[1]', netDir: own, own: true },
    { key: 'net:[2]', netDir: a2, own: false },
  ]);
  assert.deepEqual(w.watched.map((x) => [x.key, x.netDir]), [['net:[1]', own], ['net:[2]', a2]]);
  assert.deepEqual([...w.quietSinceBaseline()].sort(), ['net:[1]', 'net:[2]'], 'a fresh probe starts from its own reading');
});

test('not running: nothing is quiet (a read then reads every namespace)', (t) => {
  const own = netDir('own');
  const w = new ChangeWatcher({ change: () => undefined }, own);
  t.after(() => w.close());
  w.setNamespaces([{ key: 'net:[1]', netDir: own, own: true }]);
  assert.equal(w.quietSinceBaseline().size, 0);
  w.start(3_600_000);
  assert.deepEqual([...w.quietSinceBaseline()], ['net:[1]']);
  w.stop();
  assert.equal(w.quietSinceBaseline().size, 0);
});
