// Containers for real (root): a throwaway offline dockerd (test/common/docker.ts) runs a compose-labelled busybox
// container whose working_dir label is this test's workspace folder (httpd on its own loopback :8080 and a wget
// loop against it), and one of another project. The product's sampler, following the engine with its
// ContainerRegistry, lists the workspace container's listener and connections in the workspace scope, labelled
// (name, id, image, compose project and service); labels a container started later from its start event, and
// drops it on its removal; the worker and the CLI (--container) carry the labels. Without an engine, and as a
// user the engine's socket refuses, the same sockets are listed by namespace, unlabelled, with the hint for that
// case. Skipped with the reason when dockerd cannot start. Only loopback inside containers (--network none).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdtempSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BUSYBOX_TAG, dockerSkipReason, importBusyboxImage, removeContainer, runContainer, startDockerd, type Dockerd } from '../common/docker';
import { waitFor } from '../common/wait';
import { ContainerRegistry } from '../../src/sampling/containers/registry';
import { SocketSampler } from '../../src/sampling/socketSampler';
import { SamplerPipeline } from '../../src/sampling/samplerWorker';
import { containerHintFor } from '../../src/domain/containerHint';
import type { SnapshotJson } from '../../src/domain/snapshot';
import type { ContainerEngineStatus, ContainerLabel, NetNamespaceSummary, SampleScope, ScopedSample, SocketRecord } from '../../src/domain/types';

const NOBODY = 65534;
const HTTPD_AND_CLIENT = 'httpd -f -p 8080 & while true; do wget -q -O- http://127.0.0.1:8080/ >/dev/null; sleep 0.2; done';
const skip = dockerSkipReason() ?? false;

const ofNs = (s: ScopedSample, netns: string): SocketRecord[] => s.sockets.filter((x) => x.netns === netns);
const describe = (rows: readonly SocketRecord[]): string => rows.map((s) => `${s.state} ${s.local.port}>${s.remote.port} ${s.netns ?? 'ours'} ${s.container?.name ?? '-'}`).join('; ');
/** httpd listening on :8080 and at least one connection to it (ESTABLISHED, or the TIME-WAIT a request leaves). */
const served = (rows: readonly SocketRecord[]): boolean => rows.some((s) => s.state === 'LISTEN' && s.local.port === 8080) && rows.some((s) => s.state !== 'LISTEN' && (s.local.port === 8080 || s.remote.port === 8080));

async function sampleUntil(sampler: SocketSampler, scope: SampleScope, ok: (s: ScopedSample) => boolean, what: string, timeoutMs = 15_000): Promise<ScopedSample> {
  let last: ScopedSample | undefined;
  return waitFor(
    what,
    async () => {
      last = await sampler.sample({ scope });
      return ok(last) ? last : undefined;
    },
    { timeoutMs, everyMs: 200, detail: () => (last ? `engine ${last.containers.state}; other namespaces: ${describe(last.sockets.filter((s) => s.netns !== undefined))}` : 'no sample') },
  );
}

/** What test/common/containerSampleMain.js prints. */
interface ProbeOutput {
  uid: number | null;
  own: string | null;
  containers: ContainerEngineStatus;
  hint: string | null;
  namespaces: NetNamespaceSummary[];
  sockets: (Pick<SocketRecord, 'state' | 'local' | 'remote' | 'inode' | 'owners'> & { netns: string; container: ContainerLabel | null })[];
}

/** Runs the sample probe as `uid` from a copy of its bundle anyone can read; sockets of `port` only. */
function probeAs(uid: number, socketPath: string, port: number): ProbeOutput {
  const dir = mkdtempSync(join(tmpdir(), 'tcpsv-ctrprobe-'));
  try {
    chmodSync(dir, 0o755);
    const probe = join(dir, 'probe.js');
    copyFileSync(join(__dirname, '..', 'common', 'containerSampleMain.js'), probe);
    chmodSync(probe, 0o644);
    const r = spawnSync(process.execPath, [probe, socketPath, String(port)], { uid, gid: uid, encoding: 'utf8', timeout: 30_000, maxBuffer: 64 * 1024 * 1024 });
    assert.equal(r.status, 0, `container probe as uid ${uid}: ${r.stderr}`);
    return JSON.parse(r.stdout) as ProbeOutput;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('containers: the workspace`s compose container listed and labelled, in scope; events, the worker, the CLI; no engine and no permission', { skip, timeout: 300_000 }, async (t) => {
  const started = await startDockerd();
  if ('skip' in started) {
    console.log(`# dockerd could not start: ${started.skip}`);
    t.skip(`dockerd could not start: ${started.skip}`);
    return;
  }
  const d: Dockerd = started;
  const workspace = mkdtempSync(join(tmpdir(), 'tcpsv-workspace-'));
  const elsewhere = mkdtempSync(join(tmpdir(), 'tcpsv-elsewhere-'));
  const registry = new ContainerRegistry({ socketPath: d.socketPath });
  t.after(async () => {
    registry.dispose();
    await d.stop();
    rmSync(workspace, { recursive: true, force: true });
    rmSync(elsewhere, { recursive: true, force: true });
  });
  await importBusyboxImage(d.socketPath);
  const compose = (project: string, service: string, dir: string): Record<string, string> => ({
    'com.docker.compose.project': project,
    'com.docker.compose.service': service,
    'com.docker.compose.project.working_dir': dir,
  });
  const web = await runContainer(d.socketPath, { name: 'demo-web-1', labels: compose('demo', 'web', workspace), workingDir: '/www', cmd: ['sh', '-c', HTTPD_AND_CLIENT] });
  const other = await runContainer(d.socketPath, { name: 'other-db-1', labels: compose('other', 'db', elsewhere), workingDir: '/www', cmd: ['httpd', '-f', '-p', '5432'] });
  const webNs = readlinkSync(`/proc/${web.pid}/ns/net`);
  const otherNs = readlinkSync(`/proc/${other.pid}/ns/net`);
  const WEB: ContainerLabel = { id: web.id, name: 'demo-web-1', image: BUSYBOX_TAG, composeProject: 'demo', composeService: 'web' };
  const sampler = new SocketSampler({ backend: 'proc', containers: registry });
  const workspaceScope: SampleScope = { mode: 'workspace', rootPids: [], folders: [workspace] };

  await t.test('workspace scope: the container whose compose working_dir is the workspace folder, its listener and connections, labelled', async () => {
    const s = await sampleUntil(sampler, workspaceScope, (x) => served(ofNs(x, webNs)), 'httpd`s listener and a connection in the workspace scope');
    assert.equal(s.containers.state, 'ok');
    const rows = ofNs(s, webNs);
    for (const r of rows) assert.deepEqual(r.container, WEB, `${r.state} ${r.local.port}>${r.remote.port} is labelled`);
    const listener = rows.find((r) => r.state === 'LISTEN' && r.local.port === 8080)!;
    // busybox httpd binds [::]:8080; as root its owner is visible through /proc/<pid>/fd.
    assert.equal(listener.local.address, '::');
    assert.deepEqual(listener.owners.map((o) => o.command), ['httpd']);
    assert.equal(s.sockets.filter((x) => x.netns === otherNs).length, 0, 'another project`s container is not the workspace`s');
    assert.ok(s.sockets.every((x) => x.netns === webNs), `nothing else: ${describe(s.sockets.filter((x) => x.netns !== webNs))}`);
    assert.ok(s.scopePids.includes(web.pid), 'the container`s init is a scope member');
    const read = s.namespaces.find((n) => n.key === webNs);
    assert.equal(read?.pid, web.pid, 'read through the container`s init');
    assert.deepEqual(read?.container, WEB);
  });

  await t.test('all: both containers labelled, each in its own namespace; our own sockets unlabelled', async () => {
    const s = await sampleUntil(sampler, { mode: 'all' }, (x) => ofNs(x, otherNs).some((r) => r.state === 'LISTEN' && r.local.port === 5432) && served(ofNs(x, webNs)), 'both containers');
    assert.ok(ofNs(s, otherNs).every((r) => r.container?.name === 'other-db-1' && r.container.composeService === 'db'));
    assert.ok(ofNs(s, webNs).every((r) => r.container?.name === 'demo-web-1'));
    assert.ok(s.sockets.filter((r) => r.netns === undefined).every((r) => r.container === undefined));
  });

  await t.test('a container started later is labelled from its start event; removed, its sockets and label go', async () => {
    const late = await runContainer(d.socketPath, { name: 'demo-late-1', workingDir: '/www', cmd: ['httpd', '-f', '-p', '7070'] });
    const lateNs = readlinkSync(`/proc/${late.pid}/ns/net`);
    // The registry re-lists only every 60 s: a label within this wait came from the events stream.
    const t0 = Date.now();
    const s = await sampleUntil(sampler, { mode: 'all' }, (x) => ofNs(x, lateNs).some((r) => r.state === 'LISTEN' && r.container?.name === 'demo-late-1'), 'the late container labelled', 20_000);
    assert.ok(Date.now() - t0 < 30_000);
    assert.equal(ofNs(s, lateNs).find((r) => r.state === 'LISTEN')?.container?.composeProject, null, 'no compose labels: none shown');
    await removeContainer(d.socketPath, late.id);
    await waitFor('the registry to forget it', () => !registry.containers().some((c) => c.info.id === late.id));
    const after = await sampler.sample({ scope: { mode: 'all' } });
    assert.equal(ofNs(after, lateNs).length, 0);
    assert.ok(!after.namespaces.some((n) => n.key === lateNs));
  });

  await t.test('the worker: connections carry the container; stats say the engine answered and nothing is unlabelled', async () => {
    const pipeline = new SamplerPipeline({ containers: registry });
    pipeline.configure({ backend: 'proc', ssPath: 'ss', tracker: { closedRetentionMs: 10_000, maxClosed: 500 }, insights: { closeWaitSeconds: 30, timeWaitPerEndpoint: 200, synSentSeconds: 5 } });
    const answer = await pipeline.sample(1, workspaceScope, false);
    assert.equal(answer.kind, 'sampled');
    if (answer.kind !== 'sampled') return;
    const conns = answer.update?.changed ?? [];
    assert.ok(conns.some((c) => c.state === 'LISTEN' && c.local.port === 8080 && c.netns === webNs && c.container?.name === 'demo-web-1'));
    assert.ok(conns.every((c) => c.container?.id === web.id));
    assert.equal(answer.stats.containers?.state, 'ok');
    assert.equal(answer.stats.unlabelledForeignSockets, 0);
  });

  await t.test('CLI: snapshot --container demo-web-1 (JSON and text), with the engine from DOCKER_HOST', async () => {
    const built = join(__dirname, '..', '..', '..', 'dist', 'cli.js');
    assert.ok(existsSync(built), `${built} is built`);
    const dir = mkdtempSync(join(tmpdir(), 'tsv-cli-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const cli = join(dir, 'cli.js');
    copyFileSync(built, cli);
    const run = (args: string[]): Promise<{ code: number; stdout: string; stderr: string }> =>
      new Promise((resolve) => {
        execFile(process.execPath, [cli, ...args], { timeout: 30_000, env: { ...process.env, DOCKER_HOST: `unix://${d.socketPath}` } }, (error, stdout, stderr) => {
          resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
        });
      });
    const json = await waitFor('a JSON snapshot with the container`s listener and a connection', async () => {
      const r = await run(['snapshot', '--json', '--container', 'demo-web-1']);
      assert.equal(r.code, 0, r.stderr);
      const j = JSON.parse(r.stdout) as SnapshotJson;
      return j.sockets.some((s) => s.state === 'LISTEN') && j.sockets.some((s) => s.state !== 'LISTEN') ? j : undefined;
    });
    assert.equal(json.netns, readlinkSync('/proc/self/ns/net'));
    for (const s of json.sockets) {
      assert.equal(s.netns, webNs);
      assert.deepEqual(s.container, WEB);
    }
    const byId = JSON.parse((await run(['snapshot', '--json', '--container', web.id.slice(0, 12)])).stdout) as SnapshotJson;
    assert.ok(byId.sockets.length > 0 && byId.sockets.every((s) => s.container?.name === 'demo-web-1'), 'by short id too');
    const text = await run(['snapshot', '--container', 'demo-web-1', '--port', '8080']);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /Container \/ netns\n/);
    assert.match(text.stdout, /^LISTEN +\[::\]:8080 +\[::\]:\* .* demo-web-1$/m);
    const none = JSON.parse((await run(['snapshot', '--json', '--container', 'no-such-container'])).stdout) as SnapshotJson;
    assert.deepEqual(none.sockets, []);
  });

  await t.test('no engine: the container`s sockets still listed by namespace, unlabelled; the state says so; the hint is the "no engine" one', async () => {
    const absent = new ContainerRegistry({ socketPath: join(d.dir, 'no-such-engine.sock') });
    t.after(() => absent.dispose());
    const bare = new SocketSampler({ backend: 'proc', containers: absent });
    const s = await sampleUntil(bare, { mode: 'all' }, (x) => served(ofNs(x, webNs)), 'the container`s sockets without an engine');
    assert.equal(s.containers.state, 'no-engine');
    assert.ok(ofNs(s, webNs).every((r) => r.container === undefined));
    assert.equal(containerHintFor(s.containers, ofNs(s, webNs).length), 'unreachable');
  });

  await t.test('as a user the engine`s socket refuses: sockets listed by namespace (known by their table), unlabelled, ownerless; the docker-group hint', () => {
    const out = probeAs(NOBODY, d.socketPath, 8080);
    assert.equal(out.uid, NOBODY);
    assert.equal(out.containers.state, 'permission', out.containers.message ?? '');
    assert.equal(out.hint, 'permission');
    const theirs = out.sockets.filter((s) => s.state === 'LISTEN' && s.local.port === 8080);
    assert.ok(theirs.length > 0, `the container's listener: ${JSON.stringify(out.sockets.slice(0, 5))}`);
    for (const s of theirs) {
      // Root's ns link is closed to nobody: the namespace is named by its table's inode.
      assert.match(s.netns, /^net-tcp:\d+$/);
      assert.equal(s.container, null);
      assert.deepEqual(s.owners, [], 'root`s fds are closed to nobody');
    }
    assert.ok(out.namespaces.some((n) => n.key === theirs[0].netns && n.pid !== null), 'read through one of its processes');
  });
});
