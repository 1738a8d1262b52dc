// The Linux platform (src/sampling/platforms/linux.ts) against today's SocketSampler on real loopback sockets: the
// adapter must change nothing. A listener in this process, a client in a child process (its own pid), a
// half-closed pair (FIN-WAIT-2 / CLOSE-WAIT), read through both backends in both scopes by the adapter and by a
// SocketSampler of its own; then the adapter's one-process read against /proc, for a live process, a zombie and a
// pid that is gone.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import * as net from 'node:net';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { waitFor } from '../common/wait';
import { SocketSampler } from '../../src/sampling/socketSampler';
import { LinuxPlatform } from '../../src/sampling/platforms/linux';
import { selectPlatform } from '../../src/sampling/platforms/platform';
import { parseProcStat } from '../../src/sampling/processes';
import type { BackendName, SampleScope, ScopedSample } from '../../src/domain/types';

const skip = process.platform === 'linux' ? false : 'reads /proc (Linux)';
const children: ChildProcess[] = [];
const sockets: net.Socket[] = [];
const servers: net.Server[] = [];
after(() => {
  for (const s of sockets) s.destroy();
  for (const s of servers) s.close();
  for (const c of children) c.kill('SIGKILL');
});

async function listen(): Promise<{ port: number; accepted: net.Socket[] }> {
  const accepted: net.Socket[] = [];
  const server = net.createServer({ allowHalfOpen: true }, (s) => {
    sockets.push(s);
    accepted.push(s);
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen({ host: '127.0.0.1', port: 0 }, r));
  return { port: (server.address() as net.AddressInfo).port, accepted };
}

/** What both readers must agree on, for the sockets on `ports` (the rest of the machine moves meanwhile). */
function ours(sample: ScopedSample, ports: ReadonlySet<number>) {
  const sockets = sample.sockets
    .filter((s) => ports.has(s.local.port))
    .map((s) => `${s.state} ${s.family} ${s.local.address}:${s.local.port} ${s.remote.address}:${s.remote.port} inode=${s.inode > 0} recvQ=${s.recvQ} owners=${s.owners.map((o) => `${o.pid}/${o.command}`).join(',')}`)
    .sort();
  const pids = new Set(sample.sockets.filter((s) => ports.has(s.local.port)).flatMap((s) => s.owners.map((o) => o.pid)));
  const processes = sample.processes.filter((p) => pids.has(p.pid)).map((p) => JSON.stringify(p));
  return { backend: sample.backend, scope: sample.scope, sockets, processes, scopePids: sample.scope === 'workspace' ? sample.scopePids : [] };
}

test('the Linux platform\'s samples equal SocketSampler\'s on real sockets: both backends, both scopes', { skip, timeout: 60_000 }, async () => {
  const main = await listen();
  const client = spawn(process.execPath, ['-e', `const c=require('net').connect(${main.port},'127.0.0.1',()=>console.log(c.localPort));setInterval(()=>{},1e5)`], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(client);
  const clientPort = await new Promise<number>((r) => createInterface({ input: client.stdout! }).once('line', (l) => r(Number(l))));
  await waitFor('the child\'s connection accepted', () => main.accepted.length === 1);
  const half = await listen();
  const c = net.connect({ host: '127.0.0.1', port: half.port, allowHalfOpen: true });
  sockets.push(c);
  await new Promise<void>((r) => c.once('connect', r));
  await waitFor('accept', () => half.accepted.length === 1);
  const ended = new Promise((r) => half.accepted[0].once('end', r));
  half.accepted[0].resume();
  c.end();
  await ended;
  const ports = new Set([main.port, clientPort, half.port, c.localPort as number]);
  // The peer's ACK of our FIN may still be on its way when 'end' fires (FIN-WAIT-1 for a moment): compare once the
  // kernel shows FIN-WAIT-2, or the two readers would differ by when they looked.
  const probe = new SocketSampler({ backend: 'proc' });
  await waitFor('FIN-WAIT-2 on our half-closed end', async () => (await probe.sample({ scope: { mode: 'all' } })).sockets.some((s) => s.state === 'FIN-WAIT-2' && s.local.port === c.localPort));

  for (const backend of ['proc', 'ss'] as BackendName[]) {
    const platform = selectPlatform('linux', { backend });
    assert.ok(platform instanceof LinuxPlatform);
    const sampler = new SocketSampler({ backend });
    for (const scope of [{ mode: 'workspace', rootPids: [process.pid], folders: [] }, { mode: 'all' }] as SampleScope[]) {
      // Twice each: the second sample of a reader works from its caches (fd tables, owner memory), as in the loop.
      for (let round = 0; round < 2; round++) {
        const viaPlatform = ours(await platform.sample({ scope }), ports);
        const direct = ours(await sampler.sample({ scope }), ports);
        assert.deepEqual(viaPlatform, direct, `${backend} ${scope.mode} round ${round}`);
        assert.equal(viaPlatform.sockets.length, 6, JSON.stringify(viaPlatform.sockets));
        assert.ok(viaPlatform.sockets.some((s) => s.startsWith('FIN-WAIT-2')) && viaPlatform.sockets.some((s) => s.startsWith('CLOSE-WAIT')));
        assert.ok(viaPlatform.sockets.some((s) => s.includes(`owners=${client.pid}/node`)), 'the child\'s end is the child\'s');
      }
    }
    assert.equal(platform.backendInUse(), backend);
    // The adapter's deadline is its own sampler's (each sampler scales ss's deadline by the tables it has read).
    assert.equal(platform.sampleTimeoutMs(), platform.sampler.ssTimeoutNowMs);
  }
});

test('the Linux platform reads one process as /proc shows it; a zombie and a gone pid are no process', { skip, timeout: 30_000 }, async () => {
  const platform = new LinuxPlatform({ backend: 'proc' });
  const me = await platform.readProcess(process.pid);
  const stat = parseProcStat(readFileSync(`/proc/${process.pid}/stat`, 'latin1'));
  assert.deepEqual(me, { pid: process.pid, ppid: process.ppid, command: stat?.command, startTime: stat?.startTime, uid: process.getuid?.(), cwd: readlinkSync(`/proc/${process.pid}/cwd`) });

  // sh forks a sleep and execs a longer one, which never reaps it: the short sleep stays a zombie.
  const parent = spawn('sh', ['-c', 'sleep 0.1 & exec sleep 30'], { stdio: 'ignore' });
  children.push(parent);
  const zombie = await waitFor('a zombie child of the exec\'d sleep', () => {
    for (const name of readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
      const s = (() => {
        try {
          return parseProcStat(readFileSync(`/proc/${name}/stat`, 'latin1'));
        } catch {
          return null;
        }
      })();
      if (s !== null && s.ppid === parent.pid && s.state === 'Z') return s.pid;
    }
    return null;
  });
  assert.equal(await platform.readProcess(zombie), null);
  assert.notEqual(await platform.readProcess(parent.pid as number), null);
  parent.kill('SIGKILL');
  await waitFor('the parent gone', () => new Promise<boolean>((r) => (parent.exitCode !== null || parent.signalCode !== null ? r(true) : parent.once('exit', () => r(true)))));
  await waitFor('its pid no process', async () => (await platform.readProcess(parent.pid as number)) === null);
});
