// The macOS backend's ps and lsof runs (src/sampling/platforms/darwin/backend.ts) against the real ps and lsof of
// this Linux machine: the arguments are the same on both systems (procps-ng accepts -A -ww and the empty-header -o
// columns; lsof's -F output is lsof's own), so everything of the backend but netstat runs for real here, through
// runChild: the process tree and start times, working folders, command lines, the holders of a process's sockets,
// and lsof's silent exit 1 for a pid with nothing to list. Skipped, with the reason, when lsof is not installed.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import * as net from 'node:net';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync, readlinkSync } from 'node:fs';
import { waitFor } from '../common/wait';
import { DarwinSource } from '../../src/sampling/platforms/darwin/backend';
import { parseCmdline, parseProcStat } from '../../src/sampling/processes';

const probe = spawnSync('lsof', ['-v'], { encoding: 'utf8' });
const skip = process.platform !== 'linux' ? 'compares with /proc (Linux)' : probe.error ? `lsof is not installed (${probe.error.message}): apt-get install -y lsof` : false;
if (skip) console.log(`# skipping the macOS tools kernel test: ${skip}`);

const children: ChildProcess[] = [];
const sockets: net.Socket[] = [];
const servers: net.Server[] = [];
after(() => {
  for (const s of sockets) s.destroy();
  for (const s of servers) s.close();
  for (const c of children) c.kill('SIGKILL');
});

/** The process's start as seconds since the epoch, from /proc: boot time + start ticks / CLK_TCK (100 on Linux). */
function startSeconds(pid: number): number {
  const btime = Number(/^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'latin1'))?.[1]);
  const stat = parseProcStat(readFileSync(`/proc/${pid}/stat`, 'latin1'));
  return btime + (stat?.startTime ?? NaN) / 100;
}

test('ps with the backend\'s arguments gives the real tree, start times to the second, and names', { skip, timeout: 30_000 }, async () => {
  const source = new DarwinSource();
  const child = spawn('sleep', ['30'], { stdio: 'ignore' });
  children.push(child);
  const list = await source.readProcesses({ cwd: true });
  const me = list.find((p) => p.pid === process.pid);
  const kid = list.find((p) => p.pid === child.pid);
  assert.ok(me && kid, `this process and its child in ${list.length} processes`);
  assert.deepEqual([kid.ppid, kid.command, kid.uid], [process.pid, 'sleep', process.getuid?.()]);
  assert.deepEqual([me.ppid, me.cwd], [process.ppid, readlinkSync(`/proc/${process.pid}/cwd`)]);
  // lstart is whole seconds of the same clock /proc counts from: within a second (rounding, clock steps).
  assert.ok(Math.abs(kid.startTime - startSeconds(kid.pid)) <= 1, `${kid.startTime} vs ${startSeconds(kid.pid)}`);
  assert.ok(source.takeChildMs() > 0, 'the runs\' wall time is counted');

  const one = await source.readProcess(child.pid as number);
  assert.deepEqual(one && [one.pid, one.ppid, one.command, one.startTime, one.cwd], [child.pid, process.pid, 'sleep', kid.startTime, readlinkSync(`/proc/${child.pid}/cwd`)]);
  child.kill('SIGKILL');
  await waitFor('the child gone from ps', async () => (await source.readProcess(child.pid as number)) === null);

  const details = await source.readDetails([process.pid]);
  assert.deepEqual(details.get(process.pid)?.commandLine, parseCmdline(readFileSync(`/proc/${process.pid}/cmdline`, 'utf8')).join(' ').split(' '));
});

test('lsof with the backend\'s arguments gives the holders of a process\'s sockets; a pid with none is an empty answer, not an error', { skip, timeout: 30_000 }, async () => {
  const accepted: net.Socket[] = [];
  const server = net.createServer((s) => {
    sockets.push(s);
    accepted.push(s);
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen({ host: '127.0.0.1', port: 0 }, r));
  const port = (server.address() as net.AddressInfo).port;
  const c = net.connect({ host: '127.0.0.1', port });
  sockets.push(c);
  await new Promise<void>((r) => c.once('connect', r));
  await waitFor('accept', () => accepted.length === 1);

  const source = new DarwinSource();
  const holders = await source.readHolders([process.pid]);
  assert.deepEqual(holders.parse.unparsed, []);
  const mine = holders.parse.rows.filter((r) => r.local.port === port || r.remote.port === port).map((r) => `${r.state} ${r.local.port}>${r.remote.port} ${r.owners.map((o) => o.pid).join(',')}`);
  assert.deepEqual(mine.sort(), [`ESTABLISHED ${c.localPort}>${port} ${process.pid}`, `ESTABLISHED ${port}>${c.localPort} ${process.pid}`, `LISTEN ${port}>0 ${process.pid}`].sort());

  // A process without a TCP socket: lsof exits 1 and prints nothing; runChild's allowExit takes that as the answer.
  const idle = spawn('sleep', ['30'], { stdio: 'ignore' });
  children.push(idle);
  const none = await source.readHolders([idle.pid as number]);
  assert.deepEqual([none.parse.rows, none.parse.unparsed], [[], []]);
});
