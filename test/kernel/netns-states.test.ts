// All ten observable TCP states, held by real processes in a private network namespace (test/common/netns.ts),
// read by the product's sampler with each backend. Root only; skipped with the reason otherwise.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { buildAllStatesWorld, netnsSupport, type AllStatesWorld, type NetNamespace } from '../common/netns';
import { TCP_STATES, formatEndpoint, type ScopedSample, type SocketRecord } from '../../src/core/types';

const support = netnsSupport();
const skip = support.ok ? false : support.reason;
const runner = join(__dirname, '..', 'common', 'netnsSampleMain.js');

/** One sample taken inside the namespace by the product's SocketSampler (a child process there). */
function sampleInside(ns: NetNamespace, backend: 'proc' | 'ss'): ScopedSample {
  const [cmd, args] = ns.argv(process.execPath, [runner, backend]);
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, timeout: 30_000 });
  assert.equal(r.status, 0, `sampler (${backend}) in ${ns.name} failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as ScopedSample;
}

const key = (s: Pick<SocketRecord, 'family' | 'local' | 'remote'>): string => `${s.family} ${formatEndpoint(s.local)} ${formatEndpoint(s.remote)}`;

test('every observable TCP state, IPv4, IPv6 and IPv4-mapped, in a private network namespace', { skip, timeout: 120_000 }, async (t) => {
  const world: AllStatesWorld = await buildAllStatesWorld({ ipv6: true, mapped: true });
  const name = world.ns.name;
  t.after(() => world.dispose());

  const samples = new Map<'proc' | 'ss', ScopedSample>();
  for (const backend of ['proc', 'ss'] as const) {
    await t.test(`backend ${backend}: each socket in its state, with its inode and owner`, () => {
      const sample = sampleInside(world.ns, backend);
      samples.set(backend, sample);
      assert.equal(sample.backend, backend);
      assert.equal(sample.skippedLines, 0);
      const byKey = new Map(sample.sockets.map((s) => [key(s), s]));
      for (const e of world.expected) {
        const s = byKey.get(key(e));
        assert.ok(s, `${backend}: ${e.label} (${key(e)}) is in the sample`);
        assert.equal(s.state, e.state, `${backend}: state of ${e.label}`);
        assert.equal(s.inode, e.inode, `${backend}: inode of ${e.label}`);
        if (e.pid !== null) {
          assert.deepEqual(
            s.owners.map((o) => o.pid),
            [e.pid],
            `${backend}: owner of ${e.label}`,
          );
          assert.match(s.owners[0].command, /^python3/, `${backend}: command of ${e.label}`);
        }
      }
      const seen = new Set(sample.sockets.map((s) => s.state));
      for (const state of TCP_STATES.filter((x) => x !== 'CLOSED')) assert.ok(seen.has(state), `${backend}: some socket is ${state}`);
      // Nothing else lives in the namespace.
      assert.equal(sample.sockets.length, world.expected.length, `${backend}: the namespace's table holds only the driven sockets`);
      // The holders are processes the sample describes.
      const pids = new Set(sample.processes.map((p) => p.pid));
      assert.ok(pids.has(world.server.pid) && pids.has(world.client.pid), `${backend}: holder processes are listed`);
    });
  }

  await t.test('both backends see the same socket set', () => {
    const proc = samples.get('proc');
    const ss = samples.get('ss');
    assert.ok(proc && ss, 'both samples were taken');
    const view = (s: ScopedSample): string[] => s.sockets.map((x) => `${key(x)} ${x.state} ${x.inode}`).sort();
    assert.deepEqual(view(ss), view(proc));
  });

  await world.dispose();
  const left = spawnSync('/usr/sbin/ip', ['netns', 'list'], { encoding: 'utf8' }).stdout;
  assert.ok(!left.includes(name), `namespace ${name} was deleted`);
});
