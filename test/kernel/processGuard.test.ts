// The stop command's guard against pid reuse, on a real reuse: a private pid namespace (unshare -pf --mount-proc)
// where writing ns_last_pid makes the kernel hand a dead process's pid to the next process. Root only.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { checkIdentity, pickIdentity } from '../../src/domain/processGuard';

const main = join(__dirname, '..', 'common', 'pidReuseMain.js');
const UNSHARE = '/usr/bin/unshare';
const skip =
  typeof process.getuid !== 'function' || process.getuid() !== 0 ? 'needs root (a pid namespace and ns_last_pid)' : !existsSync(UNSHARE) ? `${UNSHARE} is not installed` : false;

test('a pid reused while the dialog is open: the check right before the signal refuses, and the new process gets nothing', { skip, timeout: 30_000 }, () => {
  const r = spawnSync(UNSHARE, ['-pf', '--mount-proc', process.execPath, '--enable-source-maps', main], { encoding: 'utf8', timeout: 20_000 });
  assert.equal(r.status, 0, `${r.stderr}${r.error?.message ?? ''}`);
  const out = JSON.parse(r.stdout.trim()) as Record<string, unknown>;
  assert.equal(out.reusedBy, out.pid, `the kernel handed pid ${String(out.pid)} to the new process: ${r.stdout}`);
  assert.deepEqual(out.initial, { kind: 'ok' });
  assert.deepEqual(out.afterExit, { kind: 'exited' });
  assert.equal((out.verdict as { kind: string }).kind, 'changed', r.stdout);
  assert.equal(out.signalled, false);
  assert.equal(out.bAlive, true, 'the process that reused the pid was not signalled');
  assert.deepEqual(out.same, { kind: 'ok' });
});

test('checkIdentity: same start time ok, another changed, none or a zombie exited; the model\'s start time is the one held', () => {
  const picked = { pid: 42, startTime: 1000 };
  assert.deepEqual(checkIdentity(picked, { startTime: 1000, state: 'S' }), { kind: 'ok' });
  assert.deepEqual(checkIdentity(picked, { startTime: 2000, state: 'R' }), { kind: 'changed', startTime: 2000 });
  assert.deepEqual(checkIdentity(picked, null), { kind: 'exited' });
  assert.deepEqual(checkIdentity(picked, { startTime: 1000, state: 'Z' }), { kind: 'exited' });
  // The row was sampled before the pid was reused: refused at once.
  assert.equal(pickIdentity(42, 1000, { startTime: 2000, state: 'S' }).verdict.kind, 'changed');
  assert.deepEqual(pickIdentity(42, undefined, { startTime: 2000, state: 'S' }), { identity: { pid: 42, startTime: 2000 }, verdict: { kind: 'ok' } });
});
