// SocketSampler against the real kernel: loopback sockets held by child processes (so owners have distinct pids),
// driven into LISTEN, SYN-SENT, ESTABLISHED, FIN-WAIT-1, FIN-WAIT-2, CLOSE-WAIT, LAST-ACK and TIME-WAIT, read
// through both backends. Only 127.0.0.1 and ::1 are used. No wall-clock assertions: the test polls until the
// kernel shows what it drove, with a bounded number of tries.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { sleep } from '../common/wait';
import { SamplerError, SocketSampler } from '../../src/sampling/socketSampler';
import type { SampleScope } from '../../src/domain/types';
import { ProcessTable } from '../../src/sampling/processes';
import { formatEndpoint, type ScopedSample, type SocketRecord, type TcpState } from '../../src/domain/types';

/**
 * A child process that holds sockets on command. Requests and replies are JSON lines over stdin/stdout.
 * Accepted sockets are registered like connected ones, so the test can end, write to or pause either side.
 */
const HOLDER = String.raw`
const net = require('net');
const socks = new Map(); const servers = new Map(); let next = 1;
const reply = (id, o) => process.stdout.write(JSON.stringify({ id, ...o }) + '\n');
const add = (s) => { const n = next++; socks.set(n, s); s.on('error', () => {}); return n; };
const until = (check, done) => { const t = setInterval(() => { if (check()) { clearInterval(t); done(); } }, 5); };
const big = Buffer.alloc(512 * 1024, 97);
const ops = {
  listen(m) {
    const srv = net.createServer({ allowHalfOpen: true, pauseOnConnect: !!m.pauseOnConnect });
    const n = next++; const entry = { srv, accepted: [] }; servers.set(n, entry);
    srv.on('connection', (s) => entry.accepted.push(add(s)));
    srv.listen({ host: m.host, port: 0, backlog: m.backlog, ipv6Only: m.ipv6Only }, () => reply(m.id, { server: n, port: srv.address().port }));
  },
  connect(m) {
    const s = net.connect({ host: m.host, port: m.port, allowHalfOpen: true }); const n = add(s);
    if (m.wait === false) setTimeout(() => reply(m.id, { sock: n, localPort: s.localPort }), 50);
    else s.once('connect', () => reply(m.id, { sock: n, localPort: s.localPort }));
  },
  accepted(m) { const e = servers.get(m.server); until(() => e.accepted.length >= m.count, () => reply(m.id, { socks: e.accepted.slice() })); },
  end(m) { socks.get(m.sock).end(); reply(m.id, {}); },
  endOnEnd(m) { const s = socks.get(m.sock); s.on('end', () => s.end()); s.resume(); reply(m.id, {}); },
  pause(m) { socks.get(m.sock).pause(); reply(m.id, {}); },
  // Data beyond the peer's receive window, all taken by the kernel, then a FIN that must queue behind it.
  writeThenEnd(m) { const s = socks.get(m.sock); s.write(big); until(() => s.writableLength === 0, () => { s.end(); reply(m.id, {}); }); },
  closed(m) { const s = socks.get(m.sock); if (s.destroyed) reply(m.id, {}); else s.once('close', () => reply(m.id, {})); },
};
require('readline').createInterface({ input: process.stdin }).on('line', (line) => { const m = JSON.parse(line); ops[m.op](m); });
`;

interface Reply {
  id: number;
  port?: number;
  server?: number;
  sock?: number;
  localPort?: number;
  socks?: number[];
}

class Holder {
  readonly child: ChildProcess;
  private nextId = 1;
  private readonly waiting = new Map<number, (r: Reply) => void>();

  constructor(cwd?: string) {
    this.child = spawn(process.execPath, ['-e', HOLDER], { stdio: ['pipe', 'pipe', 'inherit'], cwd });
    createInterface({ input: this.child.stdout! }).on('line', (line) => {
      const r = JSON.parse(line) as Reply;
      this.waiting.get(r.id)?.(r);
      this.waiting.delete(r.id);
    });
  }

  get pid(): number {
    return this.child.pid as number;
  }

  request(op: string, args: Record<string, unknown> = {}): Promise<Reply> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.waiting.set(id, resolve);
      this.child.stdin!.write(`${JSON.stringify({ id, op, ...args })}\n`);
    });
  }

  async listen(host: string, opts: Record<string, unknown> = {}): Promise<{ server: number; port: number }> {
    const r = await this.request('listen', { host, ...opts });
    return { server: r.server as number, port: r.port as number };
  }

  async connect(host: string, port: number, wait = true): Promise<{ sock: number; port: number }> {
    const r = await this.request('connect', { host, port, wait });
    return { sock: r.sock as number, port: r.localPort as number };
  }

  /** The id of the server's n-th accepted socket (1-based). */
  async accepted(server: number, n: number): Promise<number> {
    const r = await this.request('accepted', { server, count: n });
    return (r.socks as number[])[n - 1];
  }
}


let server: Holder;
let client: Holder;
let stuck: Holder;
let serverCwd = '';
let v4ServerId = 0;
const ports = new Set<number>();
/** The sockets the test drove, by name: [local port, remote port, expected state, expected owner]. */
const driven = new Map<string, { local: number; remote: number; state: TcpState; owner: () => number; family: 'ipv4' | 'ipv6' }>();

function find(sample: ScopedSample, local: number, remote: number): SocketRecord[] {
  return sample.sockets.filter((s) => s.local.port === local && s.remote.port === remote);
}

async function sampleUntil(sampler: SocketSampler, scope: SampleScope, ok: (s: ScopedSample) => boolean, what: string): Promise<ScopedSample> {
  let last: ScopedSample | undefined;
  for (let i = 0; i < 100; i++) {
    last = await sampler.sample({ scope });
    if (ok(last)) return last;
    await sleep(50);
  }
  assert.fail(`the kernel never showed ${what}; last sample had ${last?.sockets.length} sockets`);
}

const ALL: SampleScope = { mode: 'all' };
const memorySampler = new SocketSampler({ backend: 'proc' });

before(async () => {
  serverCwd = realpathSync(mkdtempSync(join(tmpdir(), 'tsv-kernel-')));
  server = new Holder(serverCwd);
  client = new Holder();
  stuck = new Holder();
  const v4 = await server.listen('127.0.0.1');
  v4ServerId = v4.server;
  const v6 = await server.listen('::1');
  const dual = await server.listen('::', { ipv6Only: false });
  const deaf = await server.listen('127.0.0.1', { pauseOnConnect: true });
  for (const l of [v4, v6, dual, deaf]) ports.add(l.port);
  driven.set('listen-v4', { local: v4.port, remote: 0, state: 'LISTEN', owner: () => server.pid, family: 'ipv4' });
  driven.set('listen-v6', { local: v6.port, remote: 0, state: 'LISTEN', owner: () => server.pid, family: 'ipv6' });

  const est = await client.connect('127.0.0.1', v4.port);
  await server.accepted(v4.server, 1);
  driven.set('established-client', { local: est.port, remote: v4.port, state: 'ESTABLISHED', owner: () => client.pid, family: 'ipv4' });
  driven.set('established-server', { local: v4.port, remote: est.port, state: 'ESTABLISHED', owner: () => server.pid, family: 'ipv4' });

  const est6 = await client.connect('::1', v6.port);
  await server.accepted(v6.server, 1);
  driven.set('established-v6', { local: est6.port, remote: v6.port, state: 'ESTABLISHED', owner: () => client.pid, family: 'ipv6' });
  const mapped = await client.connect('127.0.0.1', dual.port);
  await server.accepted(dual.server, 1);
  driven.set('established-mapped-server', { local: dual.port, remote: mapped.port, state: 'ESTABLISHED', owner: () => server.pid, family: 'ipv6' });

  // The client half-closes; the server never does: CLOSE-WAIT on the server, FIN-WAIT-2 on the client.
  const half = await client.connect('127.0.0.1', v4.port);
  await server.accepted(v4.server, 2);
  await client.request('end', { sock: half.sock });
  driven.set('fin-wait-2', { local: half.port, remote: v4.port, state: 'FIN-WAIT-2', owner: () => client.pid, family: 'ipv4' });
  driven.set('close-wait', { local: v4.port, remote: half.port, state: 'CLOSE-WAIT', owner: () => server.pid, family: 'ipv4' });

  // FIN-WAIT-1: the client's FIN waits behind data the server never reads (zero window).
  const fw1 = await client.connect('127.0.0.1', deaf.port);
  await server.accepted(deaf.server, 1);
  await client.request('writeThenEnd', { sock: fw1.sock });
  driven.set('fin-wait-1', { local: fw1.port, remote: deaf.port, state: 'FIN-WAIT-1', owner: () => client.pid, family: 'ipv4' });

  // LAST-ACK: the client half-closes and stops reading; the server answers with more than fits, then closes.
  const la = await client.connect('127.0.0.1', v4.port);
  const laServer = await server.accepted(v4.server, 3);
  await client.request('pause', { sock: la.sock });
  await client.request('end', { sock: la.sock });
  await sleep(50);
  await server.request('writeThenEnd', { sock: laServer });
  driven.set('last-ack', { local: v4.port, remote: la.port, state: 'LAST-ACK', owner: () => server.pid, family: 'ipv4' });

  // SYN-SENT: a stopped process listens with backlog 1 and never accepts. Two connections fill its accept queue
  // (tcp_conn_request drops SYNs once sk_acceptq_is_full), so a third client retransmits its SYN.
  const full = await stuck.listen('127.0.0.1', { backlog: 1 });
  ports.add(full.port);
  stuck.child.kill('SIGSTOP');
  await client.connect('127.0.0.1', full.port);
  await client.connect('127.0.0.1', full.port);
  const syn = await client.connect('127.0.0.1', full.port, false);
  driven.set('syn-sent', { local: syn.port, remote: full.port, state: 'SYN-SENT', owner: () => client.pid, family: 'ipv4' });
  driven.set('listen-full', { local: full.port, remote: 0, state: 'LISTEN', owner: () => stuck.pid, family: 'ipv4' });
});

after(() => {
  for (const h of [server, client, stuck]) h?.child.kill('SIGKILL');
  if (serverCwd) rmSync(serverCwd, { recursive: true, force: true });
});

const drivenSeen = (s: ScopedSample) => [...driven.values()].every((d) => find(s, d.local, d.remote).some((r) => r.state === d.state));

for (const backend of ['proc', 'ss'] as const) {
  test(`${backend}: every driven socket in its state, owned by the process that holds it`, async () => {
    const sampler = new SocketSampler({ backend });
    const sample = await sampleUntil(sampler, ALL, drivenSeen, 'every driven state');
    assert.equal(sampler.backendInUse, backend);
    assert.equal(sample.backend, backend);
    assert.equal(sample.scope, 'all');
    assert.equal(sample.totalSockets, sample.sockets.length);
    for (const [name, d] of driven) {
      const rows = find(sample, d.local, d.remote);
      assert.equal(rows.length, 1, name);
      const r = rows[0];
      assert.equal(r.state, d.state, name);
      assert.equal(r.family, d.family, name);
      // LAST-ACK: Node destroyed the server socket once both sides had ended, so it is an orphan (no fd, inode 0).
      if (name === 'last-ack') {
        assert.equal(r.inode, 0);
        continue;
      }
      assert.ok(r.inode > 0, `${name} has a file`);
      assert.deepEqual(
        r.owners.map((o) => o.pid),
        [d.owner()],
        `${name} owner`,
      );
      assert.equal(r.owners[0].command, 'node', name);
    }
    const full = driven.get('listen-full')!;
    const listener = find(sample, full.local, 0)[0];
    assert.equal(listener.recvQ, 2, 'two connections wait in the accept queue');
    assert.equal(listener.sendQ, 1, 'the backlog (from ss -ltn under the proc backend)');
    assert.ok(find(sample, driven.get('syn-sent')!.local, full.local)[0].timer?.kind === 'retransmit');
    const owners = new Set(sample.processes.map((p) => p.pid));
    for (const pid of [server.pid, client.pid, stuck.pid]) assert.ok(owners.has(pid), `process ${pid} listed`);
    const srv = sample.processes.find((p) => p.pid === server.pid)!;
    assert.equal(srv.ppid, process.pid);
    assert.equal(srv.cwd, serverCwd);
    assert.ok(srv.commandLine.includes('-e'));
    assert.ok(sample.durationMs >= 0 && sample.cpuMs >= 0);
  });
}

test('TIME-WAIT keeps the owner last seen for its 4-tuple (the active closer)', async () => {
  const v4 = driven.get('listen-v4')!;
  const conn = await client.connect('127.0.0.1', v4.local);
  const accepted = await server.request('accepted', { server: v4ServerId, count: 4 });
  const serverSock = (accepted.socks as number[])[3];
  await server.request('endOnEnd', { sock: serverSock });
  // The sampler sees the connection while it has a file and an owner...
  await sampleUntil(memorySampler, ALL, (s) => find(s, conn.port, v4.local).some((r) => r.owners[0]?.pid === client.pid), 'the new connection');
  await client.request('end', { sock: conn.sock });
  await client.request('closed', { sock: conn.sock });
  // ...and after the close the kernel's TIME-WAIT socket (inode 0) carries that owner on.
  const sample = await sampleUntil(memorySampler, ALL, (s) => find(s, conn.port, v4.local).some((r) => r.state === 'TIME-WAIT'), 'TIME-WAIT');
  const tw = find(sample, conn.port, v4.local)[0];
  assert.equal(tw.inode, 0);
  assert.deepEqual(tw.owners.map((o) => o.pid), [client.pid]);
  assert.equal(tw.timer?.kind, 'timewait');
  // A sampler that never saw the connection open cannot know: the owner stays unknown rather than guessed.
  const fresh = await new SocketSampler({ backend: 'proc' }).sample({ scope: ALL });
  assert.deepEqual(find(fresh, conn.port, v4.local)[0].owners, []);
});

test('both backends agree on the set of sockets, states, inodes and queues', async () => {
  const proc = new SocketSampler({ backend: 'proc' });
  const ss = new SocketSampler({ backend: 'ss' });
  const ours = (s: SocketRecord) => ports.has(s.local.port) || ports.has(s.remote.port);
  const key = (s: SocketRecord) => `${s.family} ${formatEndpoint(s.local)} ${formatEndpoint(s.remote)}`;
  // The same socket can be caught mid-change between the two reads (a retransmit, a window update): retry a few times.
  let mismatch = '';
  for (let attempt = 0; attempt < 10; attempt++) {
    const a = (await proc.sample({ scope: ALL })).sockets.filter(ours);
    const b = (await ss.sample({ scope: ALL })).sockets.filter(ours);
    const left = a.map((s) => `${key(s)} ${s.state} ${s.inode} ${s.recvQ} ${s.sendQ} ${s.uid} ${s.owners.map((o) => o.pid)}`).sort();
    const right = b.map((s) => `${key(s)} ${s.state} ${s.inode} ${s.recvQ} ${s.sendQ} ${s.uid} ${s.owners.map((o) => o.pid)}`).sort();
    if (JSON.stringify(left) === JSON.stringify(right)) {
      assert.ok(left.length >= driven.size);
      return;
    }
    mismatch = `${left.join('\n')}\n---\n${right.join('\n')}`;
    await sleep(100);
  }
  assert.fail(`backends disagree:\n${mismatch}`);
});

test('workspace scope: a root process tree, its sockets, and the other ends of its loopback connections', async () => {
  const sampler = new SocketSampler({ backend: 'proc' });
  const scope: SampleScope = { mode: 'workspace', rootPids: [server.pid], folders: [] };
  // Peers' owners are searched for among at most a few dozen other processes per sample, so it may take a few.
  const sample = await sampleUntil(sampler, scope, (s) => s.scopePids.includes(client.pid), 'the peer attributed');
  assert.equal(sample.scope, 'workspace');
  assert.ok(sample.scopePids.includes(server.pid));
  // The client is in scope only as the peer of the server's connections.
  assert.ok(sample.scopePids.includes(client.pid), 'peer owner listed');
  assert.ok(!sample.scopePids.includes(stuck.pid));
  const est = driven.get('established-client')!;
  assert.deepEqual(find(sample, est.local, est.remote)[0]?.owners.map((o) => o.pid), [client.pid], 'the peer end, with its owner');
  assert.equal(find(sample, est.remote, est.local)[0]?.owners[0].pid, server.pid);
  // Nothing of the stopped listener's, nor the client's connections to it.
  const full = driven.get('listen-full')!;
  assert.ok(!sample.sockets.some((s) => s.local.port === full.local || s.remote.port === full.local));
  assert.ok(sample.totalSockets > sample.sockets.length);
  assert.ok(sample.processes.some((p) => p.pid === client.pid));
});

test('workspace scope by folder: processes whose cwd is inside a workspace folder', async () => {
  const sampler = new SocketSampler({ backend: 'ss' });
  const sample = await sampler.sample({ scope: { mode: 'workspace', rootPids: [], folders: [serverCwd] } });
  assert.ok(sample.scopePids.includes(server.pid));
  assert.ok(!sample.scopePids.includes(stuck.pid));
  const v6 = driven.get('listen-v6')!;
  assert.equal(find(sample, v6.local, 0)[0]?.owners[0].pid, server.pid);
  // A sibling folder whose name extends the workspace folder's is not inside it.
  const other = await sampler.sample({ scope: { mode: 'workspace', rootPids: [], folders: [serverCwd.slice(0, -1)] } });
  assert.ok(!other.scopePids.includes(server.pid));
});

test('the process table reads this process: ppid, comm, start time, cwd', () => {
  const table = new ProcessTable();
  const rows = table.refresh({ cwd: true });
  const me = rows.get(process.pid);
  assert.ok(me);
  assert.equal(me.ppid, process.ppid);
  assert.equal(me.cwd, process.cwd());
  assert.ok(me.startTime > 0);
  const info = table.info(process.pid)!;
  assert.equal(info.uid, process.getuid?.());
  assert.equal(info.commandLine[0], process.argv0);
});

test('errors are typed and say what to do; nothing throws anything else', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tsv-ss-'));
  try {
    const hang = join(dir, 'hang');
    writeFileSync(hang, '#!/bin/sh\nexec sleep 30\n');
    chmodSync(hang, 0o755);
    const cases: [SocketSampler, string][] = [
      [new SocketSampler({ backend: 'ss', ssPath: join(dir, 'missing-ss') }), 'ss-missing'],
      [new SocketSampler({ backend: 'ss', ssPath: '/bin/false' }), 'ss-failed'],
      [new SocketSampler({ backend: 'ss', ssPath: hang, ssTimeoutMs: 200 }), 'timeout'],
      // `yes -tanoeH` prints its argument forever: the output cap stops it.
      [new SocketSampler({ backend: 'ss', ssPath: '/usr/bin/yes', ssMaxBytes: 64 * 1024 }), 'ss-failed'],
      [new SocketSampler({ backend: 'proc', procRoot: join(dir, 'no-proc') }), 'no-proc'],
      [new SocketSampler({ backend: 'auto', procRoot: join(dir, 'no-proc'), ssPath: join(dir, 'missing-ss') }), 'no-proc'],
    ];
    for (const [sampler, code] of cases) {
      await assert.rejects(sampler.sample({ scope: ALL }), (e: unknown) => {
        assert.ok(e instanceof SamplerError, String(e));
        assert.equal(e.code, code, e.message);
        assert.ok(e.message.length > 20);
        return true;
      });
    }
    // auto falls back to ss when /proc has no socket table, and keeps it.
    const auto = new SocketSampler({ backend: 'auto', procRoot: join(dir, 'no-proc') });
    assert.equal(auto.backendInUse, null);
    const s = await auto.sample({ scope: ALL });
    assert.equal(s.backend, 'ss');
    assert.equal(auto.backendInUse, 'ss');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('concurrent sample() calls are queued, never interleaved', async () => {
  const trace: string[] = [];
  class TracingSampler extends SocketSampler {
    override async readTable() {
      trace.push('start');
      try {
        return await super.readTable();
      } finally {
        trace.push('end');
      }
    }
  }
  const sampler = new TracingSampler({ backend: 'ss' });
  const results = await Promise.all([1, 2, 3].map(() => sampler.sample({ scope: ALL })));
  assert.equal(results.length, 3);
  assert.deepEqual(trace, ['start', 'end', 'start', 'end', 'start', 'end']);
});

test('the CPU of ss is counted with the samples that ran it', async () => {
  // ss costs a few ms of CPU per run, counted by the kernel in 10 ms ticks when it is reaped: over 30 runs some
  // ticks must land. (/proc/self/stat, where they show, is read only when a child was started since the last look.)
  const viaSs = new SocketSampler({ backend: 'ss' });
  let ssChildMs = 0;
  for (let i = 0; i < 30; i++) {
    await viaSs.sample({ scope: ALL });
    ssChildMs += viaSs.lastStats?.childCpuMs ?? 0;
  }
  assert.ok(ssChildMs > 0, `ss's CPU over 30 samples: ${ssChildMs} ms`);
});
