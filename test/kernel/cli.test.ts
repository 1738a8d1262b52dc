// dist/cli.js (tcp-states) run as a program against the real kernel: a child process holds loopback sockets,
// the CLI reports them; bad arguments exit 2. Needs the bundles (scripts/test.mjs builds them first).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { SnapshotJson } from '../../src/domain/snapshot';
import { TCP_STATES } from '../../src/domain/states';
import { adjacent } from '../../src/domain/diagram';
import type { TcpState } from '../../src/domain/types';

const built = join(__dirname, '..', '..', '..', 'dist', 'cli.js');
/** A private copy of the bundle: another build of the shared tree (which empties dist/ first) cannot pull it away mid-test. */
let cli = '';

/**
 * Listens on 127.0.0.1, connects to itself once and keeps both ends. Commands on stdin: "open" connects once more
 * and prints {"opened": localPort}; "close N" ends that client (the active close: FIN-WAIT-1, FIN-WAIT-2, then
 * TIME-WAIT once the server, which ends its side on the peer's FIN, answers).
 */
const HOLDER = String.raw`
const net = require('net'); const kept = []; const clients = new Map();
const srv = net.createServer({ allowHalfOpen: true }, (s) => { kept.push(s); s.on('end', () => s.end()); s.resume(); });
srv.listen({ host: '127.0.0.1', port: 0 }, () => {
  const port = srv.address().port;
  const c = net.connect(port, '127.0.0.1', () => { kept.push(c); process.stdout.write(JSON.stringify({ port, client: c.localPort }) + '\n'); });
});
require('readline').createInterface({ input: process.stdin }).on('line', (line) => {
  const [cmd, arg] = line.split(' ');
  if (cmd === 'open') {
    const c = net.connect(srv.address().port, '127.0.0.1', () => { clients.set(c.localPort, c); process.stdout.write(JSON.stringify({ opened: c.localPort }) + '\n'); });
    c.resume();
  } else if (cmd === 'close') clients.get(Number(arg)).end();
});
`;

let holder: ChildProcess;
/** The holder's stdout, line by line (readline's iterator buffers lines that arrive before they are asked for). */
let holderLines: AsyncIterator<string>;
let port = 0;
let clientPort = 0;

function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [cli, ...args], { timeout: 30_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

before(async () => {
  for (let i = 0; i < 100 && !existsSync(built); i++) await new Promise((r) => setTimeout(r, 100));
  assert.ok(existsSync(built), `${built} is built`);
  cli = join(mkdtempSync(join(tmpdir(), 'tsv-cli-')), 'cli.js');
  copyFileSync(built, cli);
  holder = spawn(process.execPath, ['-e', HOLDER], { stdio: ['pipe', 'pipe', 'inherit'] });
  holderLines = createInterface({ input: holder.stdout! })[Symbol.asyncIterator]();
  const first = await holderLines.next();
  ({ port, client: clientPort } = JSON.parse(first.value as string) as { port: number; client: number });
});

after(() => {
  holder?.kill('SIGKILL');
  if (cli) rmSync(join(cli, '..'), { recursive: true, force: true });
});

test('snapshot --format json: the documented shape, the held sockets, their owner', async () => {
  const r = await run(['snapshot', '--format', 'json', '--port', String(port)]);
  assert.equal(r.code, 0, r.stderr);
  const all = JSON.parse(r.stdout) as SnapshotJson;
  assert.deepEqual(Object.keys(all), ['takenAt', 'host', 'backend', 'scope', 'netns', 'counts', 'sockets']);
  assert.equal(all.netns, readlinkSync('/proc/self/ns/net'), 'the CLI runs in our namespace');
  // The whole machine is every namespace: another one (a container, a test elsewhere on this machine) may use the
  // same port. The held sockets are in ours.
  const json = { ...all, sockets: all.sockets.filter((s) => s.netns === all.netns) };
  json.counts = { ...all.counts, LISTEN: json.sockets.filter((s) => s.state === 'LISTEN').length };
  assert.ok(!Number.isNaN(Date.parse(json.takenAt)));
  assert.equal(json.scope, 'all');
  assert.ok(json.backend === 'proc' || json.backend === 'ss');
  assert.deepEqual(Object.keys(json.counts), [...TCP_STATES]);
  assert.equal(json.counts.LISTEN, 1);
  const listener = json.sockets.find((s) => s.state === 'LISTEN')!;
  assert.deepEqual(listener.local, { address: '127.0.0.1', port });
  assert.deepEqual(listener.owners, [{ pid: holder.pid, command: 'node' }]);
  const ends = json.sockets.filter((s) => s.state === 'ESTABLISHED' && (s.local.port === clientPort || s.remote.port === clientPort));
  assert.equal(ends.length, 2, 'both ends of the connection');
  for (const e of ends) {
    assert.deepEqual(Object.keys(e), ['state', 'family', 'local', 'remote', 'inode', 'uid', 'recvQ', 'sendQ', 'timer', 'owners', 'netns', 'container']);
    assert.equal(e.container, null);
    assert.equal(e.owners[0].pid, holder.pid);
    assert.ok(e.inode > 0);
  }
  // --port filters: every socket listed touches the port.
  for (const s of json.sockets) assert.ok(s.local.port === port || s.remote.port === port);
});

test('snapshot --pid narrows to that process tree; --backend ss --format markdown renders a table', async () => {
  const mine = await run(['snapshot', '--json', '--pid', String(holder.pid)]);
  assert.equal(mine.code, 0, mine.stderr);
  const json = JSON.parse(mine.stdout) as SnapshotJson;
  assert.equal(json.scope, 'workspace');
  assert.ok(json.sockets.length >= 3);
  for (const s of json.sockets) assert.ok(s.owners.length === 0 || s.owners.some((o) => o.pid === holder.pid), JSON.stringify(s));
  const md = await run(['snapshot', '--backend', 'ss', '--format', 'markdown', '--port', String(port)]);
  assert.equal(md.code, 0, md.stderr);
  assert.match(md.stdout, /^# TCP sockets\n/);
  assert.match(md.stdout, /- \*\*Backend\*\*: ss/);
  assert.match(md.stdout, new RegExp(`\\| LISTEN \\| \`127\\.0\\.0\\.1:${port}\` \\| \`0\\.0\\.0\\.0:\\*\` \\|`));
  const text = await run(['snapshot', '--port', String(port)]);
  assert.equal(text.code, 0);
  assert.match(text.stdout, new RegExp(`ESTABLISHED +127\\.0\\.0\\.1:${clientPort} +127\\.0\\.0\\.1:${port} .* ${holder.pid} node`));
});

test('bad arguments: usage on stderr, nothing on stdout, exit 2; --help exits 0', async () => {
  for (const args of [[], ['snapshot', '--format', 'xml'], ['snapshot', '--pid', 'x'], ['watch', '--interval', '1'], ['bogus']]) {
    const r = await run(args);
    assert.equal(r.code, 2, args.join(' '));
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /^tcp-states: .+\n\nUsage:/);
  }
  const help = await run(['--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /tcp-states watch/);
});

test('watch --json: one JSON line per transition of the connections it sees; SIGINT ends it with 130', async (t) => {
  const watch = spawn(process.execPath, [cli, 'watch', '--json', '--interval', '100', '--port', String(port)], { stdio: ['ignore', 'pipe', 'pipe'] });
  // A failed assertion must not leave the watcher running (the test file would never end).
  t.after(() => {
    if (watch.exitCode === null && watch.signalCode === null) watch.kill('SIGKILL');
  });
  const lines: { from: string; to: string; pid: number | null; command: string | null; local: string; remote: string; msInFrom: number | null; inferred: boolean }[] = [];
  createInterface({ input: watch.stdout! }).on('line', (l) => lines.push(JSON.parse(l)));
  let stderr = '';
  watch.stderr!.on('data', (d) => (stderr += d));
  const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const running = () => watch.exitCode === null && watch.signalCode === null;
  const of = (p: number) => lines.filter((l) => l.local === `127.0.0.1:${p}`);
  // A connection first seen established comes along its inferred connect(): CLOSED -> SYN-SENT -> ESTABLISHED.
  const opened = (p: number) => of(p).some((l) => l.from === 'SYN-SENT' && l.to === 'ESTABLISHED');
  // The watcher's first sample is only a baseline (no lines for what already exists), and when it is taken is not
  // known here: a connection opened before it is never reported as opened. So connections stay open until the
  // watcher has reported one, however slow its samples are; only that one is closed.
  const held: number[] = [];
  let client: number | undefined;
  for (let i = 0; i < 20 && client === undefined && running(); i++) {
    holder.stdin!.write('open\n');
    const next = await holderLines.next();
    held.push((JSON.parse(next.value as string) as { opened: number }).opened);
    for (let j = 0; j < 20 && (client = held.find(opened)) === undefined && running(); j++) await pause(100);
  }
  assert.ok(client !== undefined, `watch reported one of the connections ${held.join(', ')} as opened: ${stderr} ${JSON.stringify(lines)}`);
  holder.stdin!.write(`close ${client}\n`);
  const closed = () => of(client!).some((l) => l.to === 'TIME-WAIT');
  for (let i = 0; i < 300 && !closed() && running(); i++) await pause(100);
  const exit = new Promise<number | null>((resolve) => (running() ? watch.once('exit', (code) => resolve(code)) : resolve(watch.exitCode)));
  watch.kill('SIGINT');
  assert.equal(await exit, 130, stderr);
  // The active closer's whole life, one hop per line (states no sample caught are inferred along RFC 9293 Figure 5).
  const mine = of(client);
  assert.deepEqual(
    mine.slice(0, 2).map((l) => `${l.from} -> ${l.to}${l.inferred ? ' (inferred)' : ''}`),
    ['CLOSED -> SYN-SENT (inferred)', 'SYN-SENT -> ESTABLISHED (inferred)'],
    'its handshake happened before a sample saw it: every hop of it inferred, never an observed CLOSED -> ESTABLISHED',
  );
  // Then its close, which the samples follow (FIN-WAIT-1 may pass between two of them: inferred then).
  assert.deepEqual(mine.slice(2).map((l) => `${l.from} -> ${l.to}`), ['ESTABLISHED -> FIN-WAIT-1', 'FIN-WAIT-1 -> FIN-WAIT-2', 'FIN-WAIT-2 -> TIME-WAIT'], JSON.stringify(lines));
  for (const l of lines) assert.ok(adjacent(l.from as TcpState, l.to as TcpState), `${l.from} -> ${l.to} is an edge of the diagram`);
  // In TIME-WAIT the socket has no file: its owner is the one remembered for the 4-tuple.
  for (const l of mine) {
    assert.equal(l.remote, `127.0.0.1:${port}`);
    assert.deepEqual([l.pid, l.command], [holder.pid, 'node'], JSON.stringify(l));
  }
  // The server's end of the same connection was reported too, with the same owner.
  const server = lines.find((l) => l.local === `127.0.0.1:${port}` && l.remote === `127.0.0.1:${client}` && l.to === 'ESTABLISHED');
  assert.deepEqual([server?.from, server?.pid], ['SYN-RECEIVED', holder.pid], JSON.stringify(lines));
  for (const l of lines) assert.ok(TCP_STATES.includes(l.from as never) && TCP_STATES.includes(l.to as never));
});

test('a process named with ESC, BEL and a newline is shown escaped in text and Markdown, exact in JSON', async () => {
  // comm (15 bytes at most) set through /proc/self/comm: what any local user can do to their own process.
  const name = 'ev\x1b]0;T\x07\nrow';
  const NAMED = String.raw`
const net = require('net');
require('fs').writeFileSync('/proc/self/comm', process.argv[1]);
const srv = net.createServer(() => {}).listen({ host: '127.0.0.1', port: 0 }, () => process.stdout.write(srv.address().port + '\n'));
`;
  const named = spawn(process.execPath, ['-e', NAMED, name], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const first = await createInterface({ input: named.stdout! })[Symbol.asyncIterator]().next();
    const namedPort = Number(first.value);
    // Markdown escapes the escapes' backslashes, so a reader of the rendered page sees them as typed.
    for (const [format, escaped] of [['text', String.raw`ev\x1b]0;T\x07\nrow`], ['markdown', String.raw`ev\\x1b]0;T\\x07\\nrow`]]) {
      const r = await run(['snapshot', '--format', format, '--port', String(namedPort)]);
      assert.equal(r.code, 0, r.stderr);
      assert.ok(r.stdout.includes(`${named.pid} ${escaped}`), `${format}: ${JSON.stringify(r.stdout)}`);
      // eslint-disable-next-line no-control-regex -- finding control characters is the point
      assert.doesNotMatch(r.stdout, /[\x00-\x09\x0b-\x1f\x7f-\x9f]/, `${format} holds no control character but line ends`);
      assert.ok(!r.stdout.includes('\nrow'), `${format}: no faked row`);
    }
    const json = JSON.parse((await run(['snapshot', '--json', '--port', String(namedPort)])).stdout) as SnapshotJson;
    assert.deepEqual(json.sockets.find((s) => s.state === 'LISTEN')?.owners, [{ pid: named.pid, command: name }]);
  } finally {
    named.kill('SIGKILL');
  }
});
