// Live smoke test of this system's backend (selectPlatform(process.platform)): a loopback server in this process, a
// client in a child process, and the platform must list the listener and both ends of the connection, ESTABLISHED,
// each with the pid that holds it, in the whole-machine scope and in a workspace scope rooted at this process (the
// client's end joining as its loopback peer). It also reads the child as one process (its parent is this one).
//   node out/test/smoke/runPlatformSmoke.js         (after `node scripts/build.mjs --tests`)
// .github/workflows/platforms.yml runs it on hosted Ubuntu, macOS and Windows runners; the kernel tier runs it here
// on Linux (test/kernel/platformSmoke.test.ts). It prints what it saw, so a failure on a system this project cannot
// run says what the backend read.
import * as net from 'node:net';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { SampleScope, ScopedSample, SocketRecord } from '../../src/domain/types';
import { selectPlatform, type Platform } from '../../src/sampling/platforms/platform';

/** Tries per scope: a connection made just before a sample may not be in that sample's table yet. */
const TRIES = 20;

const CLIENT = String.raw`
const c = require('net').connect(Number(process.argv[1]), '127.0.0.1', () => process.stdout.write(c.localPort + '\n'));
c.on('error', (e) => { console.error(e.message); process.exit(2); });
setInterval(() => {}, 60000);
`;

export interface SmokeReport {
  platform: string;
  support: string;
  backend: string | null;
  lines: string[];
}

function describe(s: SocketRecord): string {
  const owners = s.owners.map((o) => `${o.pid}${o.command ? `/${o.command}` : ''}${o.lastUser ? ' (last user)' : ''}`).join(', ') || '-';
  return `${s.state} ${s.local.address}:${s.local.port} -> ${s.remote.address}:${s.remote.port} [${owners}]`;
}

/** What is missing from `sample` for the three sockets, or null when all three are there with their pids. */
function missing(sample: ScopedSample, serverPort: number, clientPort: number, serverPid: number, clientPid: number): string | null {
  const has = (s: SocketRecord, pid: number) => s.owners.some((o) => o.pid === pid);
  const find = (pred: (s: SocketRecord) => boolean) => sample.sockets.filter(pred);
  const listeners = find((s) => s.state === 'LISTEN' && s.local.port === serverPort);
  const serverEnds = find((s) => s.local.port === serverPort && s.remote.port === clientPort);
  const clientEnds = find((s) => s.local.port === clientPort && s.remote.port === serverPort);
  const problems: string[] = [];
  if (!listeners.some((s) => has(s, serverPid))) problems.push(`no LISTEN on ${serverPort} owned by ${serverPid} (${listeners.map(describe).join('; ') || 'none'})`);
  if (!serverEnds.some((s) => s.state === 'ESTABLISHED' && has(s, serverPid))) problems.push(`no ESTABLISHED server end ${serverPort}->${clientPort} owned by ${serverPid} (${serverEnds.map(describe).join('; ') || 'none'})`);
  if (!clientEnds.some((s) => s.state === 'ESTABLISHED' && has(s, clientPid))) problems.push(`no ESTABLISHED client end ${clientPort}->${serverPort} owned by ${clientPid} (${clientEnds.map(describe).join('; ') || 'none'})`);
  return problems.length === 0 ? null : problems.join('; ');
}

/** Runs the smoke test on `platform` (default: this system's); throws with what it saw when a socket or pid is wrong. */
export async function runSmoke(platform: Platform = selectPlatform(process.platform, { backend: 'auto' })): Promise<SmokeReport> {
  const report: SmokeReport = { platform: platform.id, support: platform.support, backend: null, lines: [] };
  const server = net.createServer((s) => s.on('error', () => undefined));
  await new Promise<void>((resolve) => server.listen({ host: '127.0.0.1', port: 0 }, resolve));
  const serverPort = (server.address() as net.AddressInfo).port;
  const accepted = new Promise<void>((resolve) => server.once('connection', () => resolve()));
  const child = spawn(process.execPath, ['-e', CLIENT, String(serverPort)], { stdio: ['ignore', 'pipe', 'inherit'], windowsHide: true });
  try {
    const clientPid = child.pid;
    if (clientPid === undefined) throw new Error('the client process did not start');
    const clientPort = await new Promise<number>((resolve, reject) => {
      createInterface({ input: child.stdout }).once('line', (l) => resolve(Number(l)));
      child.once('exit', (code) => reject(new Error(`the client exited (${code})`)));
    });
    await accepted;
    report.lines.push(`server ${process.pid} on 127.0.0.1:${serverPort}, client ${clientPid} on 127.0.0.1:${clientPort}`);
    const scopes: SampleScope[] = [{ mode: 'all' }, { mode: 'workspace', rootPids: [process.pid], folders: [] }];
    for (const scope of scopes) {
      let problem: string | null = 'no sample taken';
      let sample: ScopedSample | null = null;
      for (let i = 0; i < TRIES && problem !== null; i++) {
        if (i > 0) await new Promise((r) => setTimeout(r, 250));
        sample = await platform.sample({ scope });
        problem = missing(sample, serverPort, clientPort, process.pid, clientPid);
      }
      report.backend = platform.backendInUse();
      const mine = (sample?.sockets ?? []).filter((s) => [serverPort, clientPort].includes(s.local.port));
      report.lines.push(`${scope.mode}: ${sample?.sockets.length ?? 0} of ${sample?.totalSockets ?? 0} sockets through ${report.backend}; ours: ${mine.map(describe).join('; ')}`);
      if (problem !== null) throw new Error(`${platform.id} (${report.backend}), scope ${scope.mode}: ${problem}\n${report.lines.join('\n')}`);
      if (scope.mode === 'workspace' && !(sample?.scopePids ?? []).includes(clientPid)) {
        throw new Error(`workspace scope: the client ${clientPid} is the loopback peer of the scope's server, but not among the scope pids ${JSON.stringify(sample?.scopePids)}`);
      }
    }
    const clientProcess = await platform.readProcess(clientPid);
    report.lines.push(`client process: ${JSON.stringify(clientProcess)}`);
    if (clientProcess === null || clientProcess.ppid !== process.pid) throw new Error(`readProcess(${clientPid}) should give the client with parent ${process.pid}: ${JSON.stringify(clientProcess)}`);
    report.lines.push(`reads: ${platform.describe()}`);
    report.lines.push(`capabilities: ${JSON.stringify(platform.capabilities())}`);
    return report;
  } finally {
    child.kill();
    server.close();
  }
}
