// Containers and other network namespaces, for real: a throwaway offline dockerd (test/common/docker.ts) runs a
// compose-labelled busybox container whose httpd listens on its own loopback, and a plain `unshare -n` process
// listens on the loopback of an anonymous namespace. Checked: the engine client finds the container with its
// labels and init pid; /proc/<pid>/net/tcp{,6} shows that namespace's table (parsed by the product's parser),
// also to an unprivileged reader, while /proc/<pid>/fd is closed to it; the namespace module groups the pids
// apart from ours. Root only; skipped with the reason when dockerd cannot start. Only loopback is used.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdtempSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { BUSYBOX_TAG, dockerSkipReason, importBusyboxImage, leftovers, removeContainer, runContainer, startDockerd, type Dockerd } from '../common/docker';
import { waitFor } from '../common/netns';
import { EngineClient, type EngineEvent } from '../../src/sampling/containers/engineApi';
import { containerInfoFromDetails, containerInfoFromList } from '../../src/sampling/containers/containerInfo';
import { groupByNetNamespace, type NamespaceGrouping, type OwnNamespace } from '../../src/sampling/namespaces';
import { parseProcNetTcp } from '../../src/sampling/procNetTcp';
import type { SocketRecord } from '../../src/domain/types';

const NOBODY = 65534;
const isRoot = process.platform === 'linux' && process.getuid?.() === 0;
const IMAGE = BUSYBOX_TAG;
const HTTPD_AND_CLIENT = 'httpd -f -p 8080 & while true; do wget -q -O- http://127.0.0.1:8080/ >/dev/null; sleep 0.2; done';

/** Both tables of the namespace of `pid`, parsed, read as this process or (uid) as another user. */
function tablesOf(pid: number | 'self', uid?: number): SocketRecord[] {
  const out: SocketRecord[] = [];
  for (const [file, family] of [
    ['tcp', 'ipv4'],
    ['tcp6', 'ipv6'],
  ] as const) {
    const path = `/proc/${pid}/net/${file}`;
    let text: string;
    if (uid === undefined) text = readFileSync(path, 'latin1');
    else {
      const r = spawnSync('/bin/cat', [path], { uid, gid: uid, encoding: 'latin1' });
      assert.equal(r.status, 0, `cat ${path} as uid ${uid}: ${r.stderr}`);
      text = r.stdout;
    }
    const parsed = parseProcNetTcp(text, family);
    assert.equal(parsed.skipped, 0, `${path}: every row parsed`);
    out.push(...parsed.sockets);
  }
  return out;
}

const listeners = (rows: readonly SocketRecord[], port: number): SocketRecord[] => rows.filter((s) => s.state === 'LISTEN' && s.local.port === port);

/** The product's namespace grouping run as `uid`, from a copy of the probe bundle anyone can read. */
function groupAs(uid: number, pids: readonly number[]): NamespaceGrouping & { own: OwnNamespace } {
  const dir = mkdtempSync(join(tmpdir(), 'tcpsv-nsprobe-'));
  try {
    chmodSync(dir, 0o755);
    const probe = join(dir, 'probe.js');
    copyFileSync(join(__dirname, '..', 'common', 'namespacesProbeMain.js'), probe);
    chmodSync(probe, 0o644);
    const r = spawnSync(process.execPath, [probe, ...pids.map(String)], { uid, gid: uid, encoding: 'utf8', timeout: 20_000 });
    assert.equal(r.status, 0, `namespaces probe as uid ${uid}: ${r.stderr}`);
    return JSON.parse(r.stdout) as NamespaceGrouping & { own: OwnNamespace };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** What an unprivileged user gets for /proc/<pid>/<what> (ls of a folder, readlink of a link). */
function denied(pid: number, what: 'fd' | 'ns/net'): string {
  const r = what === 'fd' ? spawnSync('/bin/ls', [`/proc/${pid}/fd`], { uid: NOBODY, gid: NOBODY, encoding: 'utf8' }) : spawnSync('/bin/readlink', ['-v', `/proc/${pid}/ns/net`], { uid: NOBODY, gid: NOBODY, encoding: 'utf8' });
  assert.notEqual(r.status, 0, `nobody could read /proc/${pid}/${what}: ${r.stdout}`);
  return r.stderr;
}

const skip = dockerSkipReason() ?? false;

test('a compose-labelled container: engine client, its namespace table through its pid, grouped apart from ours', { skip, timeout: 180_000 }, async (t) => {
  const started = await startDockerd();
  if ('skip' in started) {
    // dockerd is installed and we are root, yet it would not start: say why (kernel features, a busy folder).
    console.log(`# dockerd could not start: ${started.skip}`);
    t.skip(`dockerd could not start: ${started.skip}`);
    return;
  }
  const d: Dockerd = started;
  const workspace = mkdtempSync(join(tmpdir(), 'tcpsv-workspace-'));
  const client = new EngineClient({ socketPath: d.socketPath });
  const events: EngineEvent[] = [];
  const sub = client.events((e) => events.push(e));
  let stoppedByTest = false;
  t.after(async () => {
    sub.dispose();
    if (!stoppedByTest) await d.stop();
    rmSync(workspace, { recursive: true, force: true });
  });

  const importMs = await importBusyboxImage(d.socketPath, IMAGE);
  const labels = { 'com.docker.compose.project': 'demo', 'com.docker.compose.service': 'web', 'com.docker.compose.project.working_dir': workspace };
  const web = await runContainer(d.socketPath, { name: 'demo-web-1', image: IMAGE, labels, workingDir: '/www', cmd: ['sh', '-c', HTTPD_AND_CLIENT] });
  t.diagnostic(`dockerd start ${d.timings.startMs} ms, image import ${importMs} ms, container run ${web.runMs} ms`);

  await t.test('the engine client lists it with its labels, and inspect gives its init pid', async () => {
    assert.match(await client.apiVersion(), /^1\.\d+$/);
    const list = await client.listContainers();
    const c = list.find((x) => x.id === web.id);
    assert.ok(c, `listed: ${list.map((x) => x.names.join(',')).join(' ')}`);
    const details = await client.inspect(web.id);
    assert.ok(details);
    assert.equal(details.pid, web.pid, 'State.Pid is the pid the CLI reported');
    const fromList = containerInfoFromList(c, details.pid);
    assert.deepEqual(fromList, containerInfoFromDetails(details));
    assert.equal(fromList.name, 'demo-web-1');
    assert.equal(fromList.shortId, web.id.slice(0, 12));
    assert.equal(fromList.image, IMAGE);
    assert.equal(fromList.composeProject, 'demo');
    assert.equal(fromList.composeService, 'web');
    assert.equal(fromList.composeWorkingDir, workspace);
    assert.equal(fromList.devContainerLocalFolder, null);
    // The host sees the container's init as a process of its own: sh, as started.
    assert.match(readFileSync(`/proc/${web.pid}/cmdline`, 'utf8'), /^sh\0-c\0httpd -f -p 8080/);
    const started = await waitFor('the start event', () => events.find((e) => e.id === web.id && e.action === 'start'));
    assert.equal(started.attributes.name, 'demo-web-1');
    assert.equal(started.attributes['com.docker.compose.project'], 'demo');
  });

  let listenInode = 0;
  await t.test('/proc/<pid>/net/tcp{,6} is the container`s table: httpd listening on :8080 and its client`s connections', async () => {
    // A request's connection, at either end: the client's end lives only for the few ms of a request (httpd closes
    // first), the server's stays 60 s in TIME-WAIT. Waiting for the client's end alone missed it in one run of ten.
    let seen: SocketRecord[] = [];
    const rows = await waitFor(
      'httpd to listen and the client loop to connect',
      () => {
        const r = (seen = tablesOf(web.pid));
        return listeners(r, 8080).length > 0 && r.some((s) => s.state !== 'LISTEN' && (s.remote.port === 8080 || s.local.port === 8080)) ? r : undefined;
      },
      { detail: () => `the container's table last held: ${seen.map((s) => `${s.state} ${s.local.port}->${s.remote.port}`).join(', ') || 'nothing'}` },
    );
    const [l] = listeners(rows, 8080);
    // busybox httpd binds [::]:8080 (dual stack), so the row is in tcp6.
    assert.ok(l.inode > 0);
    listenInode = l.inode;
    for (const s of rows.filter((x) => x.state !== 'LISTEN')) assert.match(s.local.address, /^(127\.0\.0\.1|::ffff:127\.0\.0\.1|::1)$/, 'only loopback inside');
    // Our own table does not hold the container's listener: it is another namespace's socket.
    assert.ok(!tablesOf('self').some((s) => s.inode === listenInode), 'the listener is not in our namespace`s table');
  });

  await t.test('as nobody: the table is readable, the fd folder and the namespace link are not', () => {
    const rows = tablesOf(web.pid, NOBODY);
    assert.ok(listeners(rows, 8080).some((s) => s.inode === listenInode), 'nobody reads the same listener through the pid');
    assert.match(denied(web.pid, 'fd'), /Permission denied/);
    assert.match(denied(web.pid, 'ns/net'), /Permission denied/);
  });

  await t.test('the namespace module groups the container`s processes apart from ours', async () => {
    const httpd = await waitFor('httpd as a child of the container init', () => {
      const kids = readFileSync(`/proc/${web.pid}/task/${web.pid}/children`, 'utf8').trim().split(/\s+/).map(Number);
      return kids.find((k) => k > 0 && readFileSync(`/proc/${k}/comm`, 'utf8').trim() === 'httpd');
    });
    const g = await groupByNetNamespace([web.pid, process.pid, httpd]);
    assert.deepEqual(g.unknown, []);
    assert.equal(g.groups.length, 2);
    const [ours, theirs] = g.groups;
    assert.equal(ours.own, true);
    assert.equal(ours.key, readlinkSync('/proc/self/ns/net'));
    assert.deepEqual(ours.pids, [process.pid]);
    assert.equal(theirs.own, false);
    assert.equal(theirs.key, readlinkSync(`/proc/${web.pid}/ns/net`));
    assert.notEqual(theirs.key, ours.key);
    assert.deepEqual(theirs.pids, [web.pid, httpd]);
    assert.equal(theirs.representative, web.pid);
    assert.equal(theirs.hasTcp6, true);
    assert.ok(listeners(tablesOf(theirs.representative), 8080).some((s) => s.inode === listenInode));

    // As nobody: the links of root's processes are closed, so the container's namespace is known by its table's
    // inode; our (root) process still joins its namespace through the prober's own, which shares the table.
    const n = groupAs(NOBODY, [web.pid, process.pid, httpd]);
    assert.deepEqual(n.unknown, []);
    assert.equal(n.groups.length, 2);
    const [nOurs, nTheirs] = n.groups;
    assert.equal(nOurs.key, ours.key);
    assert.deepEqual(nOurs.pids, [process.pid]);
    assert.match(nTheirs.key, /^net-tcp:\d+$/);
    assert.equal(nTheirs.inode, null);
    assert.equal(nTheirs.own, false);
    assert.deepEqual(nTheirs.pids, [web.pid, httpd]);
    assert.equal(nTheirs.representative, web.pid);
  });

  await t.test('removing it: a die event, then stop() leaves nothing behind', async () => {
    await removeContainer(d.socketPath, web.id);
    const died = await waitFor('the die event', () => events.find((e) => e.id === web.id && e.action === 'die'));
    assert.equal(died.attributes.exitCode, '137');
    assert.equal(existsSync(`/proc/${web.pid}`), false, 'the container init is gone');
    sub.dispose();
    stoppedByTest = true;
    await d.stop();
    t.diagnostic(`dockerd stop ${d.timings.stopMs} ms`);
    assert.deepEqual(leftovers(d), []);
    const ps = spawnSync('/bin/ps', ['-eo', 'pid,stat,args'], { encoding: 'utf8' }).stdout;
    const ours = ps.split('\n').filter((l) => l.includes(d.dir) || l.includes(d.cgroupParent));
    assert.deepEqual(ours, [], 'ps shows no process of ours');
  });
});

test('a process in an anonymous `unshare -n` namespace: found by pid, its loopback listener read through it', { skip: isRoot && existsSync('/usr/bin/unshare') && existsSync('/usr/sbin/ip') ? false : 'needs root, unshare and ip (util-linux, iproute2)', timeout: 60_000 }, async (t) => {
  // unshare(CLONE_NEWNET) then exec: sh brings lo up and execs node, so the child's pid is the listener's.
  const script = "const s=require('net').createServer().listen(0,'127.0.0.1',()=>console.log(s.address().port));process.stdin.on('end',()=>process.exit(0)).resume();";
  const child = spawn('/usr/bin/unshare', ['--net', '--', '/bin/sh', '-c', `/usr/sbin/ip link set lo up && exec ${process.execPath} -e "${script}"`], { stdio: ['pipe', 'pipe', 'inherit'] });
  t.after(() => {
    child.kill('SIGKILL');
  });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`unshare child exited (${code})`)));
    createInterface({ input: child.stdout! }).once('line', (l) => resolve(Number(l)));
  });
  const pid = child.pid!;
  assert.ok(port > 0);

  const g = await groupByNetNamespace([pid, process.pid]);
  assert.equal(g.groups.length, 2);
  const theirs = g.groups.find((x) => !x.own);
  assert.ok(theirs);
  assert.equal(theirs.key, readlinkSync(`/proc/${pid}/ns/net`));
  assert.notEqual(theirs.key, readlinkSync('/proc/self/ns/net'));
  assert.deepEqual(theirs.pids, [pid]);
  assert.equal(theirs.representative, pid);

  const rows = tablesOf(pid);
  const [l] = listeners(rows, port);
  assert.ok(l, `LISTEN 127.0.0.1:${port} in /proc/${pid}/net/tcp`);
  assert.equal(l.local.address, '127.0.0.1');
  assert.equal(l.family, 'ipv4');
  assert.deepEqual(rows.filter((s) => s.state === 'LISTEN'), [l], 'a fresh namespace holds only this listener');
  assert.ok(!tablesOf('self').some((s) => s.inode === l.inode), 'not in our namespace`s table');
  // The same as an unprivileged reader (the listener runs as root).
  assert.ok(listeners(tablesOf(pid, NOBODY), port).some((s) => s.inode === l.inode));

  child.stdin!.end();
  await new Promise((r) => child.once('exit', r));
  assert.equal(existsSync(`/proc/${pid}`), false);
});
