// The container registry against a fake engine on a unix socket that answers with the answers recorded from a real
// dockerd 20.10 (test/unit/fixtures/docker/README.md) and streams the recorded start/die events when the test says:
// the first list and inspect, events adding and removing a container, a die that overtakes its start's inspect,
// the stream ending (the engine restarting), and no engine at all.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ContainerRegistry } from '../../../src/sampling/containers/registry';
import { UNIT_FIXTURES } from '../../common/paths';
import { waitFor } from '../../common/wait';

const fixtures = join(UNIT_FIXTURES, 'docker');
/** The fake engine listens on a unix socket path, which Windows' Node takes as no such thing (named pipes only). */
const unixSockets = process.platform === 'win32' ? 'the engine API is served on a unix socket' : false;

interface Recorded {
  name: string;
  path: string;
  status: number;
  headers: Record<string, string>;
  body: string;
}
const manifest = JSON.parse(readFileSync(join(fixtures, 'responses.json'), 'utf8')) as { web: { id: string; pid: number }; worker: { id: string }; responses: Recorded[] };
const recorded = (name: string): Recorded & { text: string } => {
  const r = manifest.responses.find((x) => x.name === name);
  assert.ok(r, `fixture ${name}`);
  return { ...r, text: readFileSync(join(fixtures, r.body), 'utf8') };
};
const eventLines = recorded('events').text.split('\n').filter((l) => l.trim() !== '');
const [startLine, dieLine] = eventLines;
assert.match(startLine, /"Action":"start"/);
assert.match(dieLine, /"Action":"die"/);

/** The worker container's inspect, made from the recorded web one: its id, name, labels and a pid of its own. */
const WORKER_PID = 3001;
function workerInspect(): string {
  const d = JSON.parse(recorded('container-inspect').text) as { Id: string; Name: string; State: { Pid: number }; Config: { Labels: Record<string, string> } };
  d.Id = manifest.worker.id;
  d.Name = '/demo-worker-1';
  d.State.Pid = WORKER_PID;
  d.Config.Labels['com.docker.compose.service'] = 'worker';
  return JSON.stringify(d);
}

let dir = '';
let socketPath = '';
let server: Server;
/** Open events responses, to write recorded lines into or end. */
let streams: ServerResponse[] = [];
let listBody = '';
/** When set, the worker's inspect waits for this before answering. */
let holdWorkerInspect: Promise<void> | null = null;
let asked: string[] = [];

before(async () => {
  if (unixSockets) return;
  dir = mkdtempSync(join(tmpdir(), 'tcpsv-registry-'));
  socketPath = join(dir, 'engine.sock');
  server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = req.url ?? '';
    asked.push(url.split('?')[0]);
    const json = (status: number, body: string): void => {
      res.writeHead(status, { 'content-type': 'application/json', 'api-version': '1.41' });
      res.end(body);
    };
    if (url === '/_ping') return json(200, 'OK');
    if (url === '/v1.41/containers/json') return json(200, listBody);
    if (url === `/v1.41/containers/${manifest.web.id}/json`) return json(200, recorded('container-inspect').text);
    if (url === `/v1.41/containers/${manifest.worker.id}/json`) {
      const answer = (): void => json(200, workerInspect());
      if (holdWorkerInspect) void holdWorkerInspect.then(answer);
      else answer();
      return;
    }
    if (url.startsWith('/v1.41/events?')) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.flushHeaders();
      streams.push(res);
      return;
    }
    json(404, JSON.stringify({ message: `page not found: ${url}` }));
  });
  await new Promise<void>((r) => server.listen(socketPath, r));
});

after(async () => {
  if (unixSockets) return;
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
  rmSync(dir, { recursive: true, force: true });
});

function fresh(): void {
  for (const s of streams) s.destroy();
  streams = [];
  listBody = recorded('containers-json').text;
  holdWorkerInspect = null;
  asked = [];
}

const names = (r: ContainerRegistry): string[] => r.containers().map((c) => `${c.info.name}@${c.info.pid}`);

test('first answer: the recorded container with its init pid and label; one object per container; asked once', { skip: unixSockets }, async (t) => {
  fresh();
  const r = new ContainerRegistry({ socketPath });
  t.after(() => r.dispose());
  await r.ready(5000);
  assert.equal(r.status().state, 'ok');
  assert.equal(r.status().containers, 1);
  assert.deepEqual(names(r), [`demo-web-1@${manifest.web.pid}`]);
  const [web] = r.containers();
  assert.deepEqual(web.label, { id: manifest.web.id, name: 'demo-web-1', image: 'tcpsv-busybox:test', composeProject: 'demo', composeService: 'web' });
  assert.equal(web.info.composeWorkingDir, '/home/dev/demo');
  assert.equal(r.containers()[0].label, web.label, 'the same label object while nothing changed');
  assert.deepEqual(asked.filter((a) => a !== '/_ping'), ['/v1.41/events', '/v1.41/containers/json', `/v1.41/containers/${manifest.web.id}/json`], 'the stream first, then the list');
});

test('events: a start adds the container (inspected for its pid), a die removes it; nothing is listed again', { skip: unixSockets }, async (t) => {
  fresh();
  const r = new ContainerRegistry({ socketPath });
  t.after(() => r.dispose());
  await r.ready(5000);
  await waitFor('the events stream', () => streams.length === 1);
  const listed = asked.filter((a) => a === '/v1.41/containers/json').length;
  streams[0].write(`${startLine}\n`);
  await waitFor('the worker from its start event', () => names(r).includes(`demo-worker-1@${WORKER_PID}`), { detail: () => names(r).join(' ') });
  assert.equal(r.containers().find((c) => c.info.name === 'demo-worker-1')?.label.composeService, 'worker');
  streams[0].write(`${dieLine}\n`);
  await waitFor('the worker gone after its die event', () => !names(r).some((n) => n.startsWith('demo-worker-1')));
  assert.deepEqual(names(r), [`demo-web-1@${manifest.web.pid}`]);
  assert.equal(asked.filter((a) => a === '/v1.41/containers/json').length, listed, 'events, not polling');
});

test('a die that arrives while its start is being inspected wins', { skip: unixSockets }, async (t) => {
  fresh();
  let release!: () => void;
  holdWorkerInspect = new Promise((r) => (release = r));
  const r = new ContainerRegistry({ socketPath });
  t.after(() => r.dispose());
  await r.ready(5000);
  await waitFor('the events stream', () => streams.length === 1);
  streams[0].write(`${startLine}\n`);
  await waitFor('the worker inspect asked', () => asked.includes(`/v1.41/containers/${manifest.worker.id}/json`));
  streams[0].write(`${dieLine}\n`);
  // Let the die be handled before the inspect answers.
  await new Promise((res) => setTimeout(res, 50));
  release();
  await new Promise((res) => setTimeout(res, 100));
  assert.deepEqual(names(r), [`demo-web-1@${manifest.web.pid}`]);
});

test('the engine closing its stream (a restart) forgets its containers, then reconnects and lists again', { skip: unixSockets }, async (t) => {
  fresh();
  const r = new ContainerRegistry({ socketPath, retryMs: 20 });
  t.after(() => r.dispose());
  await r.ready(5000);
  const states: string[] = [];
  r.onDidChange(() => states.push(`${r.status().state}:${r.containers().length}`));
  streams[0].end();
  await waitFor('a reconnection', () => streams.length === 2 && r.status().state === 'ok', { detail: () => states.join(' ') });
  assert.equal(states[0], 'no-engine:0', 'first the loss, with nothing kept');
  assert.deepEqual(names(r), [`demo-web-1@${manifest.web.pid}`]);
});

test('no engine at the socket: the state says so at once, nothing is listed, and nothing keeps the process alive', { skip: unixSockets }, async (t) => {
  const r = new ContainerRegistry({ socketPath: join(dir, 'nobody-listens.sock') });
  t.after(() => r.dispose());
  const t0 = Date.now();
  await r.ready(5000);
  assert.ok(Date.now() - t0 < 2000, 'answered without waiting for the timeout');
  assert.equal(r.status().state, 'no-engine');
  assert.equal(r.status().socketPath, join(dir, 'nobody-listens.sock'));
  assert.match(r.status().message ?? '', /no container engine/);
  assert.deepEqual(r.containers(), []);
});

test('DOCKER_HOST naming a remote engine: nothing to label here, said once, nothing asked', async () => {
  const before = process.env.DOCKER_HOST;
  process.env.DOCKER_HOST = 'tcp://10.0.0.1:2375';
  try {
    const r = new ContainerRegistry();
    await r.ready(100);
    assert.equal(r.status().state, 'no-engine');
    assert.equal(r.status().socketPath, null);
    assert.match(r.status().message ?? '', /only unix:\/\/ sockets/);
    r.dispose();
  } finally {
    if (before === undefined) delete process.env.DOCKER_HOST;
    else process.env.DOCKER_HOST = before;
  }
});
