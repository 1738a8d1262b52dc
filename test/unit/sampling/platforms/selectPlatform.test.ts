// selectPlatform: one implementation per system, each saying how far it is tested and what its readings hold.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SamplerError } from '../../../../src/sampling/socketSampler';
import { selectPlatform } from '../../../../src/sampling/platforms/platform';
import { LinuxPlatform, LINUX_CAPABILITIES } from '../../../../src/sampling/platforms/linux';
import { DARWIN_CAPABILITIES } from '../../../../src/sampling/platforms/darwin/backend';
import { PLATFORM_IDS, platformSupport } from '../../../../src/sampling/platforms/support';
import { replay } from './replay';

test('each system gets its implementation and its support level; others get one that fails every sample as unsupported', async () => {
  const { run, calls } = replay(() => {
    throw new Error('no program may run while a platform is only selected');
  });
  const linux = selectPlatform('linux', { backend: 'auto', run });
  assert.ok(linux instanceof LinuxPlatform);
  assert.deepEqual([linux.id, linux.support, linux.backendInUse()], ['linux', 'tested', null]);
  assert.equal(linux.capabilities(), LINUX_CAPABILITIES);
  assert.match(linux.describe(), /decided at the first sample/);

  const darwin = selectPlatform('darwin', { backend: 'auto', run });
  assert.deepEqual([darwin.id, darwin.support, darwin.backendInUse()], ['darwin', 'experimental', null]);
  assert.equal(darwin.capabilities(), DARWIN_CAPABILITIES);
  assert.match(darwin.describe(), /^macOS \(experimental\): netstat -anvl -p tcp/);

  const win32 = selectPlatform('win32', { backend: 'auto', run, loadKoffi: () => ({ ok: false, reason: 'test' }) });
  assert.deepEqual([win32.id, win32.support], ['win32', 'experimental']);
  assert.deepEqual(calls, []);

  for (const other of ['freebsd', 'aix', 'sunos', 'openbsd', 'android']) {
    const p = selectPlatform(other, { backend: 'auto' });
    assert.deepEqual([p.id, p.support, p.backendInUse()], [other, 'unsupported', null]);
    await assert.rejects(p.sample({ scope: { mode: 'all' } }), (e: unknown) => e instanceof SamplerError && e.code === 'unsupported-platform' && e.message.includes(other));
    assert.equal(await p.readProcess(1), null);
  }
  assert.deepEqual(PLATFORM_IDS.map(platformSupport), ['tested', 'experimental', 'experimental']);
  assert.equal(platformSupport('freebsd'), 'unsupported');
});

test('what each platform says it cannot do: no TIME-WAIT owners anywhere, exact owners only in the scope on macOS, no folders on Windows', () => {
  const win32 = selectPlatform('win32', { backend: 'auto', loadKoffi: () => ({ ok: false, reason: 'test' }) });
  for (const c of [LINUX_CAPABILITIES, DARWIN_CAPABILITIES, win32.capabilities()]) assert.equal(c.timeWaitOwners, false);
  assert.deepEqual([LINUX_CAPABILITIES.exactOwners, DARWIN_CAPABILITIES.exactOwners, win32.capabilities().exactOwners], ['all', 'scope', 'all']);
  assert.deepEqual([LINUX_CAPABILITIES.processCwd, DARWIN_CAPABILITIES.processCwd, win32.capabilities().processCwd], [true, true, false]);
  assert.deepEqual([LINUX_CAPABILITIES.tcpInfo, DARWIN_CAPABILITIES.tcpInfo, win32.capabilities().tcpInfo], [true, false, false]);
  for (const c of [DARWIN_CAPABILITIES, win32.capabilities()]) assert.equal(c.namespaces, false);
  assert.equal(LINUX_CAPABILITIES.namespaces, true, "Linux reads other network namespaces' tables (containers, unshare -n)");
  assert.deepEqual([LINUX_CAPABILITIES.changeProbes, DARWIN_CAPABILITIES.changeProbes, win32.capabilities().changeProbes], [true, false, false]);
  assert.deepEqual([LINUX_CAPABILITIES.ssCommands, DARWIN_CAPABILITIES.ssCommands, win32.capabilities().ssCommands], [true, false, false], 'ss (Copy as ss Command, tcp_info) is Linux\'s tool');
});
