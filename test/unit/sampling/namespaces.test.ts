// namespaces: the link text parser, and this process's own namespace read from the real /proc (the grouping
// of other processes, containers and unshare'd namespaces is tested with real ones in test/kernel/docker.test.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readlinkSync } from 'node:fs';
import { groupByNetNamespace, ownNamespace, parseNetNsLink } from '../../../src/sampling/namespaces';

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
