// parseLsof against the real lsof: this test opens a listener, a connection from a child process, and a half-closed
// connection, runs `lsof -nP -iTCP -Tqs -FpcfnPT0` (and the same with `t`) on its own and the child's pids, and
// checks the parser finds each socket with its state and the pid that holds it. Skipped, with the reason printed,
// when lsof is not installed.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import * as net from 'node:net';
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { parseLsof, type LsofRow } from '../../src/sampling/platforms/lsof';

const probe = spawnSync('lsof', ['-v'], { encoding: 'utf8' });
const skip = probe.error ? `lsof is not installed (${probe.error.message}): apt-get install -y lsof` : false;
if (skip) console.log(`# skipping the lsof kernel test: ${skip}`);

const sockets: net.Socket[] = [];
const servers: net.Server[] = [];
const children: ChildProcess[] = [];
after(() => {
  for (const s of sockets) s.destroy();
  for (const s of servers) s.close();
  for (const c of children) c.kill();
});

function listen(host: string, ipv6Only = false): Promise<{ port: number; accepted: net.Socket[] }> {
  return new Promise((resolve) => {
    const accepted: net.Socket[] = [];
    const server = net.createServer({ allowHalfOpen: true }, (s) => {
      sockets.push(s);
      accepted.push(s);
    });
    servers.push(server);
    server.listen({ host, port: 0, ipv6Only }, () => resolve({ port: (server.address() as net.AddressInfo).port, accepted }));
  });
}

function connect(port: number, host: string): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const c = net.connect({ port, host, allowHalfOpen: true }, () => resolve(c));
    sockets.push(c);
    c.once('error', reject);
  });
}

async function until(what: string, check: () => boolean): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

function lsof(fields: string, pids: number[]): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile('lsof', ['-nP', '-iTCP', '-Tqs', fields, '-a', '-p', pids.join(',')], { encoding: 'latin1', maxBuffer: 16 << 20 }, (err, stdout) =>
      // lsof exits 1 when some selection matched nothing; the output is still what it found.
      err && !stdout ? reject(err) : resolve(stdout),
    ),
  );
}

function row(rows: LsofRow[], local: string, remote: string): LsofRow {
  const key = (r: LsofRow) => [`${r.local.address}:${r.local.port}`, `${r.remote.address}:${r.remote.port}`];
  const found = rows.filter((r) => key(r)[0] === local && key(r)[1] === remote);
  assert.equal(found.length, 1, `one row ${local} -> ${remote} in ${JSON.stringify(rows.map(key))}`);
  return found[0];
}

test('a listener, a child process\'s connection to it and a half-closed connection, as the real lsof lists them', { skip, timeout: 30_000 }, async () => {
  const v4 = await listen('127.0.0.1');
  // The child connects and says its local port; it holds the connection until killed.
  const child = spawn(process.execPath, ['-e', `const c=require('net').connect(${v4.port},'127.0.0.1',()=>console.log(c.localPort));setInterval(()=>{},1e5)`], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  const childPort = await new Promise<number>((r) => child.stdout?.once('data', (d) => r(Number(String(d).trim()))));
  await until('the child\'s connection is accepted', () => v4.accepted.length === 1);

  // Half close: the client sends FIN (FIN-WAIT-2); the server end has read it and stays open (CLOSE-WAIT).
  const half = await listen('127.0.0.1');
  const client = await connect(half.port, '127.0.0.1');
  await until('accept', () => half.accepted.length === 1);
  const sawEnd = new Promise((r) => half.accepted[0].once('end', r));
  half.accepted[0].resume();
  client.end();
  await sawEnd;
  await new Promise((r) => setTimeout(r, 50));

  const me = process.pid;
  const pid = child.pid ?? -1;
  for (const fields of ['-FpcfnPT0', '-FpcfnPtT0']) {
    const p = parseLsof(await lsof(fields, [me, pid]));
    assert.deepEqual(p.unparsed, [], fields);
    const listener = row(p.rows, `127.0.0.1:${v4.port}`, '0.0.0.0:0');
    assert.deepEqual([listener.state, listener.stateWord, listener.family, listener.owners.map((o) => o.pid)], ['LISTEN', 'LISTEN', 'ipv4', [me]], fields);
    const server = row(p.rows, `127.0.0.1:${v4.port}`, `127.0.0.1:${childPort}`);
    assert.deepEqual([server.state, server.owners.map((o) => o.pid)], ['ESTABLISHED', [me]], fields);
    const remoteEnd = row(p.rows, `127.0.0.1:${childPort}`, `127.0.0.1:${v4.port}`);
    assert.deepEqual([remoteEnd.state, remoteEnd.owners], ['ESTABLISHED', [{ pid, command: 'node' }]], `${fields}: the child's end belongs to the child`);
    const fw2 = row(p.rows, `127.0.0.1:${client.localPort}`, `127.0.0.1:${half.port}`);
    const cw = row(p.rows, `127.0.0.1:${half.port}`, `127.0.0.1:${client.localPort}`);
    assert.deepEqual([fw2.state, fw2.stateWord, cw.state, cw.stateWord], ['FIN-WAIT-2', 'FIN_WAIT2', 'CLOSE-WAIT', 'CLOSE_WAIT'], fields);
    assert.ok(p.rows.every((r) => r.owners.every((o) => o.pid === me || o.pid === pid)));
  }
});

test('IPv6 and dual stack: with `t` the `*` listener is IPv6 and its IPv4 peer IPv4-mapped, as in /proc/net/tcp6', { skip, timeout: 30_000 }, async () => {
  const dual = await listen('::');
  const v6 = await listen('::1', true);
  const c4 = await connect(dual.port, '127.0.0.1');
  const c6 = await connect(v6.port, '::1');
  await until('accepts', () => dual.accepted.length === 1 && v6.accepted.length === 1);
  const p = parseLsof(await lsof('-FpcfnPtT0', [process.pid]));
  assert.deepEqual(p.unparsed, []);
  const listener = row(p.rows, `:::${dual.port}`, ':::0');
  assert.deepEqual([listener.state, listener.family, listener.familyKnown], ['LISTEN', 'ipv6', true]);
  assert.equal(row(p.rows, `::ffff:127.0.0.1:${dual.port}`, `::ffff:127.0.0.1:${c4.localPort}`).state, 'ESTABLISHED');
  assert.equal(row(p.rows, `127.0.0.1:${c4.localPort}`, `127.0.0.1:${dual.port}`).family, 'ipv4');
  assert.equal(row(p.rows, `::1:${c6.localPort}`, `::1:${v6.port}`).family, 'ipv6');
});
