// The engine client against a local HTTP server on a unix socket that replays answers recorded from a real
// dockerd 20.10 (test/unit/fixtures/docker/README.md), and against the failures a real socket gives: no socket,
// a path nobody listens on, permission denied, garbage, oversize answers, silence.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EngineClient, EngineError, socketPathFromEnv, DEFAULT_SOCKET, type EngineEvent } from '../../../src/sampling/containers/engineApi';
import { containerInfoFromDetails, containerInfoFromList } from '../../../src/sampling/containers/containerInfo';
import { REPO_ROOT, UNIT_FIXTURES } from '../../common/paths';

const fixtures = join(UNIT_FIXTURES, 'docker');

interface Recorded {
  name: string;
  path: string;
  status: number;
  headers: Record<string, string>;
  body: string;
}
interface Manifest {
  web: { id: string; pid: number };
  worker: { id: string };
  responses: Recorded[];
}
const manifest = JSON.parse(readFileSync(join(fixtures, 'responses.json'), 'utf8')) as Manifest;
const recorded = (name: string): Recorded & { bytes: Buffer } => {
  const r = manifest.responses.find((x) => x.name === name);
  assert.ok(r, `fixture ${name}`);
  return { ...r, bytes: readFileSync(join(fixtures, r.body)) };
};

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/** Replays a recorded answer: its status, the headers recorded, its body byte for byte. */
function replay(name: string): Handler {
  const r = recorded(name);
  return (_req, res) => {
    res.writeHead(r.status, { ...r.headers, 'content-length': String(r.bytes.length) });
    res.end(r.bytes);
  };
}

let dir = '';
let server: Server;
let socketPath = '';
/** Paths (with query) the fake engine was asked for, in order. */
let asked: string[] = [];
let routes = new Map<string, Handler>();

function serve(table: Record<string, Handler>): void {
  asked = [];
  routes = new Map(Object.entries(table));
}

/** The recorded engine: ping, list, inspect (and its 404), events. */
function recordedEngine(): Record<string, Handler> {
  const t: Record<string, Handler> = {};
  for (const name of ['ping', 'containers-json', 'container-inspect', 'container-inspect-404']) t[recorded(name).path] = replay(name);
  return t;
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tcpsv-engine-'));
  socketPath = join(dir, 'engine.sock');
  server = createServer((req, res) => {
    asked.push(req.url ?? '');
    const h = routes.get(req.url ?? '');
    if (h) h(req, res);
    else {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ message: `page not found: ${req.url}` }));
    }
  });
  await new Promise<void>((r) => server.listen(socketPath, r));
});

after(async () => {
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
  rmSync(dir, { recursive: true, force: true });
});

async function rejection(p: Promise<unknown>): Promise<EngineError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof EngineError, `an EngineError, not ${String(e)}`);
    return e;
  }
  assert.fail('expected the call to fail');
}

test('list: the recorded container with its labels; the API version is asked once and used', async () => {
  serve(recordedEngine());
  const client = new EngineClient({ socketPath });
  const list = await client.listContainers();
  assert.equal(list.length, 1);
  const [c] = list;
  assert.equal(c.id, manifest.web.id);
  assert.deepEqual(c.names, ['/demo-web-1']);
  assert.equal(c.image, 'tcpsv-busybox:test');
  assert.equal(c.state, 'running');
  assert.deepEqual(c.labels, {
    'com.docker.compose.project': 'demo',
    'com.docker.compose.project.working_dir': '/home/dev/demo',
    'com.docker.compose.service': 'web',
    'devcontainer.local_folder': '/home/dev/demo',
  });
  assert.deepEqual(containerInfoFromList(c), {
    id: manifest.web.id,
    shortId: manifest.web.id.slice(0, 12),
    name: 'demo-web-1',
    image: 'tcpsv-busybox:test',
    composeProject: 'demo',
    composeService: 'web',
    composeWorkingDir: '/home/dev/demo',
    devContainerLocalFolder: '/home/dev/demo',
    pid: null,
  });
  assert.equal(await client.apiVersion(), '1.41');
  await client.listContainers();
  assert.deepEqual(asked, ['/_ping', '/v1.41/containers/json', '/v1.41/containers/json']);
});

test('inspect: init pid, running, labels and name of the recorded container; a removed one is undefined', async () => {
  serve(recordedEngine());
  const client = new EngineClient({ socketPath });
  const d = await client.inspect(manifest.web.id);
  assert.ok(d);
  assert.equal(d.id, manifest.web.id);
  assert.equal(d.name, '/demo-web-1');
  assert.equal(d.pid, manifest.web.pid);
  assert.equal(d.running, true);
  assert.equal(d.image, 'tcpsv-busybox:test');
  assert.equal(d.labels['com.docker.compose.service'], 'web');
  const info = containerInfoFromDetails(d);
  assert.equal(info.pid, manifest.web.pid);
  assert.equal(info.name, 'demo-web-1');
  assert.equal(info.composeProject, 'demo');
  assert.equal(await client.inspect('0'.repeat(64)), undefined, 'the recorded 404 "No such container"');
  await assert.rejects(client.inspect('../../_ping'), (e: unknown) => e instanceof EngineError && e.code === 'bad-response', 'an id that would leave the path is refused');
});

/** Subscribes and collects until onEnd (or until `stopAfter` events, then disposes). */
function collectEvents(client: EngineClient, stopAfter = Infinity): Promise<{ events: EngineEvent[]; end: EngineError | null | 'disposed' }> {
  return new Promise((resolve) => {
    const events: EngineEvent[] = [];
    const sub = client.events(
      (e) => {
        events.push(e);
        if (events.length >= stopAfter) {
          sub.dispose();
          resolve({ events, end: 'disposed' });
        }
      },
      (end) => resolve({ events, end }),
    );
  });
}

/** Writes `bytes` in the given chunk sizes (cycled), each chunk on its own turn of the event loop. */
function chunked(bytes: Buffer, sizes: readonly number[], thenEnd = true): Handler {
  return (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.flushHeaders();
    let at = 0;
    let i = 0;
    const next = (): void => {
      if (res.destroyed) return;
      if (at >= bytes.length) {
        if (thenEnd) res.end();
        return;
      }
      const n = sizes[i++ % sizes.length];
      res.write(bytes.subarray(at, at + n));
      at += n;
      setTimeout(next, 1);
    };
    next();
  };
}

test('events: the recorded start and die, split across chunks at every kind of boundary', async () => {
  const ev = recorded('events');
  // 1, 7 and 333 bytes: lines split mid-key, mid-value, and a chunk holding the end of one event and the start of the next.
  for (const sizes of [[1], [7], [333], [ev.bytes.length]]) {
    serve({ '/_ping': replay('ping'), [ev.path]: chunked(ev.bytes, sizes) });
    const { events, end } = await collectEvents(new EngineClient({ socketPath }));
    assert.equal(end, null, `chunks of ${sizes}: the stream ended cleanly`);
    assert.deepEqual(
      events.map((e) => [e.action, e.id]),
      [
        ['start', manifest.worker.id],
        ['die', manifest.worker.id],
      ],
      `chunks of ${sizes}`,
    );
    assert.equal(events[0].attributes.name, 'demo-worker-1');
    assert.equal(events[0].attributes['com.docker.compose.service'], 'worker');
    assert.equal(events[1].attributes.exitCode, '137', 'removed with rm -f: SIGKILL');
    assert.ok(events[1].timeNano !== null && events[0].timeNano !== null && events[1].timeNano >= events[0].timeNano);
    assert.deepEqual(asked, ['/_ping', ev.path], 'the recorded filter query, byte for byte');
  }
});

test('events: a UTF-8 character split between two chunks stays whole (a label value outside ASCII)', async () => {
  const ev = recorded('events');
  // Not recorded: the recorded stream with one label value changed to hold a two-byte character.
  const text = ev.bytes.toString('utf8').replaceAll('"worker"', '"wörker"');
  const bytes = Buffer.from(text, 'utf8');
  const split = bytes.indexOf(Buffer.from('ö', 'utf8')) + 1; // between the two bytes of ö
  serve({ '/_ping': replay('ping'), [ev.path]: chunked(bytes, [split, bytes.length]) });
  const { events } = await collectEvents(new EngineClient({ socketPath }));
  assert.equal(events[0].attributes['com.docker.compose.service'], 'wörker');
});

test('events: dispose() closes the connection and no end is reported', async () => {
  const ev = recorded('events');
  let closed!: () => void;
  const connectionClosed = new Promise<void>((r) => (closed = r));
  serve({
    '/_ping': replay('ping'),
    [ev.path]: (req, res) => {
      req.socket.once('close', () => closed());
      chunked(ev.bytes, [ev.bytes.length], false)(req, res);
    },
  });
  let ended = false;
  const got = await new Promise<EngineEvent[]>((resolve) => {
    const events: EngineEvent[] = [];
    const sub = new EngineClient({ socketPath }).events(
      (e) => {
        events.push(e);
        if (events.length === 2) {
          sub.dispose();
          resolve(events);
        }
      },
      () => (ended = true),
    );
  });
  assert.equal(got.length, 2);
  await connectionClosed;
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(ended, false);
});

test('events: a garbage line ends the stream with bad-response; an overlong line too', async () => {
  const ev = recorded('events');
  const first = ev.bytes.subarray(0, ev.bytes.indexOf(10) + 1);
  serve({ '/_ping': replay('ping'), [ev.path]: chunked(Buffer.concat([first, Buffer.from('{"Type":"container",\n')]), [1000]) });
  let r = await collectEvents(new EngineClient({ socketPath }));
  assert.equal(r.events.length, 1, 'the good event before it was delivered');
  assert.ok(r.end instanceof EngineError && r.end.code === 'bad-response', String(r.end));

  serve({ '/_ping': replay('ping'), [ev.path]: chunked(Buffer.alloc(4096, 0x20), [512], false) });
  r = await collectEvents(new EngineClient({ socketPath, maxEventBytes: 1024 }));
  assert.ok(r.end instanceof EngineError && r.end.code === 'bad-response' && /longer than 1024/.test(r.end.message), String(r.end));
});

test('no engine: a missing socket and a path nobody listens on are no-engine', async () => {
  let e = await rejection(new EngineClient({ socketPath: join(dir, 'missing.sock') }).listContainers());
  assert.equal(e.code, 'no-engine');
  assert.match(e.message, /ENOENT/);
  const notListening = join(dir, 'stale.sock');
  writeFileSync(notListening, ''); // connect(2) to a path that is not a listening socket: ECONNREFUSED
  e = await rejection(new EngineClient({ socketPath: notListening }).listContainers());
  assert.equal(e.code, 'no-engine');
  assert.match(e.message, /ECONNREFUSED/);
  // The events stream reports it through onEnd.
  const r = await collectEvents(new EngineClient({ socketPath: join(dir, 'missing.sock') }));
  assert.ok(r.end instanceof EngineError && r.end.code === 'no-engine');
});

test('permission denied: EACCES is permission, with the docker-group hint', async () => {
  // As root: the real case, a socket file owned by root with mode 0600 and a client running as nobody (root
  // itself passes any mode). As another user: a folder it cannot search (mode 000) in front of the socket.
  const isRoot = process.getuid?.() === 0;
  const guarded = mkdtempSync(join(tmpdir(), 'tcpsv-engine-perm-'));
  const sock = join(guarded, 'engine.sock');
  const s = createServer((_req, res) => res.end('[]'));
  await new Promise<void>((r) => s.listen(sock, r));
  try {
    let out: { ok: boolean; code?: string; hint?: string | null; message?: string };
    if (isRoot) {
      chmodSync(guarded, 0o755);
      chmodSync(sock, 0o600);
      // The probe is one self-contained bundle: copied where nobody can read it, whatever the checkout's modes.
      const probe = join(guarded, 'probe.js');
      copyFileSync(join(REPO_ROOT, 'out', 'test', 'common', 'engineProbeMain.js'), probe);
      chmodSync(probe, 0o644);
      const r = spawnSync(process.execPath, [probe, sock], { uid: 65534, gid: 65534, encoding: 'utf8', timeout: 20_000 });
      assert.equal(r.status, 0, `probe as nobody: ${r.stderr}`);
      out = JSON.parse(r.stdout) as typeof out;
    } else {
      chmodSync(guarded, 0o000);
      try {
        out = await new EngineClient({ socketPath: sock })
          .listContainers()
          .then(() => ({ ok: true }))
          .catch((e: EngineError) => ({ ok: false, code: e.code, hint: e.hint ?? null, message: e.message }));
      } finally {
        chmodSync(guarded, 0o755);
      }
    }
    assert.equal(out.ok, false, 'the connection was refused');
    assert.equal(out.code, 'permission', out.message);
    assert.match(out.message ?? '', /EACCES/);
    assert.match(out.hint ?? '', /docker group/);
  } finally {
    await new Promise<void>((r) => s.close(() => r()));
    rmSync(guarded, { recursive: true, force: true });
  }
});

test('garbage: not JSON, or JSON of the wrong shape, is bad-response', async () => {
  const list = recorded('containers-json').path;
  const inspect = recorded('container-inspect').path;
  const body = (status: number, text: string): Handler => (_req, res) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(text);
  };
  const cases: [string, Record<string, Handler>, RegExp][] = [
    ['not JSON', { [list]: body(200, '[{"Id":') }, /not JSON/],
    ['an object for the list', { [list]: body(200, '{"message":"hi"}') }, /not an array/],
    ['an id that is not one', { [list]: body(200, '[{"Id":"abc","Names":[],"Image":"x","Labels":{},"State":"running"}]') }, /not a container id/],
    ['a label that is not a string', { [list]: body(200, JSON.stringify([{ Id: 'a'.repeat(64), Names: ['/x'], Image: 'x', Labels: { a: 1 }, State: 'running' }])) }, /Labels\["a"\] is not a string/],
    ['Pid missing', { [inspect]: body(200, JSON.stringify({ Id: manifest.web.id, Name: '/x', State: { Running: true }, Config: { Image: 'x' } })) }, /State\.Pid is not an integer/],
    ['HTML from something else on the socket', { [list]: body(502, '<html>bad gateway</html>') }, /answered 502/],
  ];
  for (const [what, routes, message] of cases) {
    serve({ '/_ping': replay('ping'), ...routes });
    const client = new EngineClient({ socketPath });
    const e = await rejection(what === 'Pid missing' ? client.inspect(manifest.web.id) : client.listContainers());
    assert.equal(e.code, 'bad-response', what);
    assert.match(e.message, message, what);
  }
  // null labels are "no labels" (engines send null), not garbage.
  serve({ '/_ping': replay('ping'), [list]: body(200, JSON.stringify([{ Id: 'a'.repeat(64), Names: ['/x'], Image: 'x', Labels: null, State: 'running' }])) });
  assert.deepEqual((await new EngineClient({ socketPath }).listContainers())[0].labels, {});
});

test('oversize: an answer past maxBodyBytes is refused, whether its length is declared or not', async () => {
  const ins = recorded('container-inspect');
  assert.ok(ins.bytes.length > 1024);
  serve({ '/_ping': replay('ping'), [ins.path]: replay('container-inspect') });
  let e = await rejection(new EngineClient({ socketPath, maxBodyBytes: 1024 }).inspect(manifest.web.id));
  assert.equal(e.code, 'bad-response');
  assert.match(e.message, /larger than 1024 bytes/);
  // Chunked, no Content-Length: stopped while reading.
  serve({ '/_ping': replay('ping'), [ins.path]: chunked(ins.bytes, [300]) });
  e = await rejection(new EngineClient({ socketPath, maxBodyBytes: 1024 }).inspect(manifest.web.id));
  assert.match(e.message, /larger than 1024 bytes/);
  // The same answer within the bound is read.
  assert.equal((await new EngineClient({ socketPath, maxBodyBytes: 8192 }).inspect(manifest.web.id))?.pid, manifest.web.pid);
});

test('timeout: an engine that accepts but never answers', async () => {
  serve({ '/_ping': () => undefined });
  const t0 = Date.now();
  let e = await rejection(new EngineClient({ socketPath, timeoutMs: 200 }).listContainers());
  assert.equal(e.code, 'timeout');
  assert.ok(Date.now() - t0 < 5000, 'within the timeout, not a hang');
  // A body that starts and stalls also times out.
  serve({ '/_ping': replay('ping'), [recorded('containers-json').path]: (_req, res) => res.writeHead(200).write('[') });
  e = await rejection(new EngineClient({ socketPath, timeoutMs: 200 }).listContainers());
  assert.equal(e.code, 'timeout');
  // The events stream: headers that never come.
  const ev = recorded('events');
  serve({ '/_ping': replay('ping'), [ev.path]: () => undefined });
  const r = await collectEvents(new EngineClient({ socketPath, timeoutMs: 200 }));
  assert.ok(r.end instanceof EngineError && r.end.code === 'timeout');
});

test('API version: the engine`s own from /_ping; none named is unversioned; too old or a recorded 400 is bad-response', async () => {
  const list = (prefix: string): Record<string, Handler> => ({ [`${prefix}/containers/json`]: replay('containers-json') });
  const ping = (headers: Record<string, string>): Handler => (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', ...headers });
    res.end('OK');
  };
  serve({ '/_ping': ping({ 'api-version': '1.52' }), ...list('/v1.52') });
  assert.equal((await new EngineClient({ socketPath }).listContainers()).length, 1);
  assert.deepEqual(asked, ['/_ping', '/v1.52/containers/json']);

  serve({ '/_ping': ping({}), ...list('') });
  assert.equal((await new EngineClient({ socketPath }).listContainers()).length, 1);
  assert.deepEqual(asked, ['/_ping', '/containers/json']);

  serve({ '/_ping': ping({ 'api-version': '1.12' }) });
  let e = await rejection(new EngineClient({ socketPath }).listContainers());
  assert.match(e.message, /1\.24 or later/);

  // Pinned to a version the engine does not serve: the recorded answer of dockerd 20.10 to /v1.44.
  const tooNew = recorded('ping-v1.44-too-new');
  serve({ '/v1.44/containers/json': replay('ping-v1.44-too-new') });
  e = await rejection(new EngineClient({ socketPath, apiVersion: '1.44' }).listContainers());
  assert.equal(e.code, 'bad-response');
  assert.equal(e.status, tooNew.status);
  assert.match(e.message, /client version 1\.44 is too new\. Maximum supported API version is 1\.41/);

  // A failed negotiation is retried on the next call (the engine may have started since).
  serve({});
  const client = new EngineClient({ socketPath });
  await rejection(client.listContainers());
  serve(recordedEngine());
  assert.equal((await client.listContainers()).length, 1);
});

test('DOCKER_HOST: unix:// paths are used, other schemes refused, unset is the default socket', () => {
  assert.equal(socketPathFromEnv({}), DEFAULT_SOCKET);
  assert.equal(socketPathFromEnv({ DOCKER_HOST: '' }), DEFAULT_SOCKET);
  assert.equal(socketPathFromEnv({ DOCKER_HOST: 'unix:///run/user/1000/podman/podman.sock' }), '/run/user/1000/podman/podman.sock');
  const e = socketPathFromEnv({ DOCKER_HOST: 'tcp://127.0.0.1:2375' });
  assert.ok(e instanceof EngineError && e.code === 'no-engine', String(e));
});

test('fixtures: recorded from dockerd 20.10 at API 1.41 (what the replay stands for)', () => {
  const v = JSON.parse(recorded('version').bytes.toString('utf8')) as { ApiVersion: string; Version: string };
  assert.equal(v.ApiVersion, '1.41');
  assert.match(v.Version, /^20\.10\./);
});

test('a refused DOCKER_HOST fails every call with that reason, and never falls back to TCP', async () => {
  const previous = process.env.DOCKER_HOST;
  process.env.DOCKER_HOST = 'tcp://127.0.0.1:2375';
  try {
    for (const client of [new EngineClient(), new EngineClient({ apiVersion: '1.41' })]) {
      const e = await rejection(client.listContainers());
      assert.equal(e.code, 'no-engine');
      assert.match(e.message, /only unix:\/\/ sockets/);
      const r = await collectEvents(client);
      assert.ok(r.end instanceof EngineError && r.end.code === 'no-engine', String(r.end));
    }
  } finally {
    if (previous === undefined) delete process.env.DOCKER_HOST;
    else process.env.DOCKER_HOST = previous;
  }
});
