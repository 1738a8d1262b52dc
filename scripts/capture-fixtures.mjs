// Captures the unit tests' netns fixtures from real kernel output: it builds a private network namespace,
// drives sockets into all ten observable TCP states over IPv4, IPv6 and IPv4-mapped IPv6
// (test/common/netns.ts), then saves what `ss -tanoeH`, /proc/net/tcp and /proc/net/tcp6 print inside it,
// plus netns-expected.json: every socket the scenario made, with the state it must parse to.
//   sudo node scripts/capture-fixtures.mjs        (re-runnable; overwrites test/unit/fixtures/netns-*)
import * as esbuild from 'esbuild';
import { mkdirSync, writeFileSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { release } from 'node:os';

const root = new URL('..', import.meta.url).pathname;
const fixtures = join(root, 'test/unit/fixtures');
const bundle = join(root, 'out/capture/netns.cjs');

// Only the harness is bundled (not the whole test build), so a half-written file elsewhere can't stop a capture.
await esbuild.build({ absWorkingDir: root, entryPoints: ['test/common/netns.ts'], bundle: true, platform: 'node', format: 'cjs', outfile: bundle, logLevel: 'warning' });
const require = createRequire(import.meta.url);
const netns = require(bundle);

const support = netns.netnsSupport();
if (!support.ok) {
  console.error(`cannot capture: ${support.reason}`);
  process.exit(1);
}

const world = await netns.buildAllStatesWorld({ ipv6: true, mapped: true });
try {
  // Read all three as close together as possible so they describe the same moment.
  const ss = world.ns.run('/usr/bin/ss', ['-tanoeH']);
  const tcp = world.ns.run('/bin/cat', ['/proc/net/tcp']);
  const tcp6 = world.ns.run('/bin/cat', ['/proc/net/tcp6']);

  // The capture is only worth keeping if every driven socket is in it, in its state.
  const rows = netns.parseSsForHarness(ss);
  const missing = world.expected.filter((e) => !rows.some((r) => r.state === e.state && netns.sameEndpoint(r.local, e.local) && netns.sameEndpoint(r.remote, e.remote)));
  if (missing.length) throw new Error(`capture lacks: ${missing.map((m) => m.label).join(', ')}`);

  const holderOf = (pid) => (pid === world.server.pid ? 'server' : pid === world.client.pid ? 'client' : null);
  const states = netns.DIAGRAM_ORDER.filter((s) => world.expected.some((e) => e.state === s));
  const expected = {
    capturedAt: new Date().toISOString(),
    kernel: release(),
    ss: spawnSync('/usr/bin/ss', ['-V'], { encoding: 'utf8' }).stdout.trim(),
    command: 'ss -tanoeH; cat /proc/net/tcp; cat /proc/net/tcp6 (inside the namespace)',
    uid: 0,
    states,
    counts: Object.fromEntries(states.map((s) => [s, world.expected.filter((e) => e.state === s).length])),
    sockets: world.expected.map((e) => ({ label: e.label, state: e.state, family: e.family, local: e.local, remote: e.remote, inode: e.inode, holder: holderOf(e.pid) })),
  };

  mkdirSync(fixtures, { recursive: true });
  writeFileSync(join(fixtures, 'netns-ss.txt'), ss);
  writeFileSync(join(fixtures, 'netns-proc-net-tcp.txt'), tcp);
  writeFileSync(join(fixtures, 'netns-proc-net-tcp6.txt'), tcp6);
  // One socket per line keeps the file readable and its diffs small.
  const { sockets, ...head } = expected;
  const json = JSON.stringify(head, null, 2).replace(/\n}$/, `,\n  "sockets": [\n${sockets.map((s) => `    ${JSON.stringify(s)}`).join(',\n')}\n  ]\n}\n`);
  writeFileSync(join(fixtures, 'netns-expected.json'), json);
  const lines = (f) => readFileSync(join(fixtures, f), 'utf8').trim().split('\n').length;
  console.log(`captured ${world.expected.length} sockets in ${states.length} states: ss ${lines('netns-ss.txt')} rows, tcp ${lines('netns-proc-net-tcp.txt') - 1}, tcp6 ${lines('netns-proc-net-tcp6.txt') - 1}`);
} finally {
  await world.dispose();
}
