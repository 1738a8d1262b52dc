// A throwaway Docker daemon for the kernel tests: Debian's docker.io (dockerd 20.10) started offline with every
// path in one temporary folder, a one-layer image made locally from Debian's busybox-static, and containers
// that only ever use their own loopback (`--network none`). Root only.
//
// Facts this relies on, checked on this project's machines (Debian 12, dockerd 20.10.24, containerd 1.6.20,
// cgroup v1, / on ext4):
// - dockerd without --containerd starts and supervises its own containerd, and puts that containerd's state
//   under <exec-root>/containerd (config, sockets, pid) and its root under <data-root>/containerd/daemon, so
//   --exec-root and --data-root are enough to keep both daemons off the host's /run and /var/lib.
// - Outside those folders the pair still touches the host: dockerd writes its "trust key" to
//   /etc/docker/key.json unless the config file names another path (`deprecated-key-path`, a config-file-only
//   key in 20.10); containerd's `opt` plugin creates /opt/containerd/{bin,lib}; dockerd creates /run/docker/plugins
//   (plugin discovery); containerd-shim-runc-v2 puts its sockets in /run/containerd/s; and each container's
//   cgroup is made under --cgroup-parent in every hierarchy. So the config file sets the key path, the cgroup
//   parent is a name of our own, and stop() removes those folders if this process made them and they are empty.
// - Shims outlive containerd by design (they are reparented to the nearest subreaper, else init): dockerd runs
//   under tini as a subreaper, and stop() finds any shim left by its -address argument, which names our
//   exec-root, and kills it by pid.
// - /usr/local/bin/docker on these machines is another (static) client; the CLI used here is the package's own
//   /usr/bin/docker, matching the daemon.
import { execFile, spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readSync, readdirSync, rmSync, rmdirSync, symlinkSync, copyFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const DOCKERD = '/usr/sbin/dockerd';
const DOCKER = '/usr/bin/docker';
const CONTAINERD = '/usr/bin/containerd';
const RUNC = '/usr/sbin/runc';
/** tini, shipped by docker.io as docker-init (`docker run --init`). */
const TINI = '/usr/bin/docker-init';
const BUSYBOX = '/bin/busybox';
/** The applets the image links to busybox: what the tests run inside containers. */
const APPLETS = ['sh', 'httpd', 'nc', 'wget', 'sleep', 'cat', 'ls'];
/** Folders the daemons create on the host outside our temp folder (see the header), innermost first. */
const SHIM_SOCKETS = '/run/containerd/s';
const HOST_DIRS = ['/opt/containerd/bin', '/opt/containerd/lib', '/opt/containerd', '/run/docker/plugins', '/run/docker', '/run/containerd/s', '/run/containerd'];

export interface DockerdTimings {
  /** From spawning dockerd until GET /_ping on its socket answers. */
  startMs: number;
  /** stop(): containers removed, dockerd exited, leftovers swept, folder removed. 0 until stop() ran. */
  stopMs: number;
}

export interface Dockerd {
  socketPath: string;
  /** The temp folder holding data-root, exec-root, socket, pid file, config and log. */
  dir: string;
  /** The cgroup parent our containers are made under (a name of ours, in every hierarchy). */
  cgroupParent: string;
  timings: DockerdTimings;
  /** Kills everything this daemon started (containers, dockerd, containerd, shims), removes the temp folder. */
  stop(): Promise<void>;
}

const env = (dir: string): NodeJS.ProcessEnv => ({
  // dockerd execs containerd, runc and the shim from PATH.
  PATH: '/usr/sbin:/usr/bin:/sbin:/bin',
  HOME: dir,
  // The CLI reads (and may write) ~/.docker: keep it in our folder.
  DOCKER_CONFIG: join(dir, 'cli'),
});

function check(r: SpawnSyncReturns<string>, what: string): string {
  if (r.error) throw new Error(`${what}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${what} exited ${r.status ?? r.signal}: ${(r.stderr || r.stdout).trim()}`);
  return r.stdout;
}

/** Whether an ELF file asks for a program interpreter (PT_INTERP): a dynamically linked binary cannot run in an image without libc. */
function isStaticElf(path: string): boolean | string {
  const fd = openSync(path, 'r');
  try {
    const h = Buffer.alloc(64);
    readSync(fd, h, 0, 64, 0);
    // ELF64, little-endian (x86_64, arm64): e_ident[EI_CLASS]=2, e_ident[EI_DATA]=1.
    if (h.readUInt32BE(0) !== 0x7f454c46 || h[4] !== 2 || h[5] !== 1) return 'not a little-endian ELF64 file';
    const phoff = Number(h.readBigUInt64LE(0x20));
    const phentsize = h.readUInt16LE(0x36);
    const phnum = h.readUInt16LE(0x38);
    const ph = Buffer.alloc(phentsize * phnum);
    readSync(fd, ph, 0, ph.length, phoff);
    for (let i = 0; i < phnum; i++) if (ph.readUInt32LE(i * phentsize) === 3 /* PT_INTERP */) return false;
    return true;
  } finally {
    closeSync(fd);
  }
}

/** Why dockerd cannot be started here, or null when it can be tried. */
export function dockerSkipReason(): string | null {
  if (process.platform !== 'linux') return 'dockerd is Linux only here';
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return 'needs root (dockerd)';
  for (const bin of [DOCKERD, DOCKER, CONTAINERD, RUNC, TINI]) if (!existsSync(bin)) return `${bin} is not installed (apt-get install docker.io)`;
  if (!existsSync(BUSYBOX)) return `${BUSYBOX} is not installed (apt-get install busybox-static)`;
  const s = isStaticElf(BUSYBOX);
  if (s !== true) return `${BUSYBOX} is ${s === false ? 'dynamically linked' : s} (install busybox-static, not busybox)`;
  return null;
}

/** GET path on a unix socket: the status code, or the error's code (ENOENT, ECONNREFUSED...). */
function ping(socketPath: string): Promise<number | string> {
  return new Promise((resolve) => {
    const req = request({ socketPath, path: '/_ping', timeout: 2000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
    req.end();
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Whether pid is a live process: there, and not a zombie (a zombie is dead, only not yet reaped). */
function running(pid: number): boolean {
  const stat = readText(`/proc/${pid}/stat`);
  if (!stat) return false;
  return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
}

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

/** Pids of processes whose command line mentions `needle` (dockerd, containerd and shims name our folder). */
function pidsMentioning(needle: string): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    const pid = Number(name);
    if (!(pid > 0) || pid === process.pid) continue;
    if (readText(`/proc/${pid}/cmdline`).split('\0').some((a) => a.includes(needle))) out.push(pid);
  }
  return out;
}

/** cgroup v1 hierarchies and/or the v2 mount: folders under which `parent` may have been made. */
function cgroupRoots(): string[] {
  const roots: string[] = [];
  for (const line of readText('/proc/self/mountinfo').split('\n')) {
    const f = line.split(' ');
    const dash = f.indexOf('-');
    if (dash > 0 && (f[dash + 1] === 'cgroup' || f[dash + 1] === 'cgroup2')) roots.push(f[4]);
  }
  return roots;
}

/** Pids in our cgroup parent (any container process, whatever its parent is now). */
function pidsInCgroup(parent: string): number[] {
  const pids = new Set<number>();
  for (const root of cgroupRoots()) {
    const base = join(root, parent);
    if (!existsSync(base)) continue;
    const walk = (dir: string): void => {
      for (const p of readText(join(dir, 'cgroup.procs')).split('\n').map(Number)) if (p > 0) pids.add(p);
      for (const e of readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) walk(join(dir, e.name));
    };
    try {
      walk(base);
    } catch {
      // removed while walking
    }
  }
  return [...pids];
}

/** Removes our cgroup parent and the container cgroups under it, deepest first (rmdir: only empty cgroups go). */
function removeCgroups(parent: string): void {
  for (const root of cgroupRoots()) {
    const base = join(root, parent);
    if (!existsSync(base)) continue;
    const rm = (dir: string): void => {
      try {
        for (const e of readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) rm(join(dir, e.name));
        rmdirSync(dir);
      } catch {
        // busy or gone: reported by the caller's leftover check
      }
    };
    rm(base);
  }
}

/** Mount points at or under dir, deepest first (dockerd bind-mounts its data-root, overlay and nsfs mounts). */
function mountsUnder(dir: string): string[] {
  return readText('/proc/self/mountinfo')
    .split('\n')
    .map((l) => l.split(' ')[4])
    .filter((m): m is string => !!m && (m === dir || m.startsWith(`${dir}/`)))
    .sort((a, b) => b.length - a.length);
}

/** Daemons of this process by socket path, so runContainer can register containers for stop() to remove. */
const registry = new Map<string, { containers: Set<string>; dir: string }>();

/** Live daemons of this process: the host folders are removed only when the last one stops. */
const live = new Set<{ stopSync(): void }>();
let hostDirsBefore: Set<string> | null = null;
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const d of [...live]) d.stopSync();
  });
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(sig, () => {
      for (const d of [...live]) d.stopSync();
      process.kill(process.pid, sig);
    });
  }
}

function removeHostDirsIfLast(): void {
  if (live.size > 0 || !hostDirsBefore) return;
  for (const d of HOST_DIRS) {
    if (hostDirsBefore.has(d)) continue;
    try {
      rmdirSync(d); // only if empty: a real daemon's sockets or binaries stay
    } catch {
      // not there, or not empty
    }
  }
  hostDirsBefore = null;
}

/**
 * Starts dockerd in a fresh temp folder and waits until its API answers; `{ skip }` with the reason (tool
 * missing, not root, or dockerd's own last log lines when it exited or never answered).
 */
export async function startDockerd(opts: { timeoutMs?: number } = {}): Promise<Dockerd | { skip: string }> {
  const why = dockerSkipReason();
  if (why) return { skip: why };
  const dir = mkdtempSync(join(tmpdir(), 'tcpsv-docker-'));
  const socketPath = join(dir, 'docker.sock');
  const cgroupParent = `tcpsv-docker-${randomBytes(4).toString('hex')}`;
  mkdirSync(join(dir, 'cli'));
  // The trust key goes here rather than /etc/docker/key.json; an explicit config file also keeps a host
  // /etc/docker/daemon.json (registry mirrors, a default bridge, live-restore...) out of the test.
  writeFileSync(join(dir, 'daemon.json'), `${JSON.stringify({ 'deprecated-key-path': join(dir, 'key.json') })}\n`);
  if (live.size === 0) hostDirsBefore = new Set(HOST_DIRS.filter((d) => existsSync(d)));
  const args = [
    `--config-file=${join(dir, 'daemon.json')}`,
    // No default bridge (docker0) and no firewall rules: containers here use --network none, their own loopback.
    '--bridge=none',
    '--iptables=false',
    '--ip6tables=false',
    // vfs: works on any backing file system (ext4, tmpfs, overlay) and makes no overlay mounts that could
    // outlive a crash; it copies the layer per container, which for a 2 MB image costs nothing. overlay2 also
    // works on these machines (ext4) and starts no faster in our measurements.
    '--storage-driver=vfs',
    `--data-root=${join(dir, 'data')}`,
    `--exec-root=${join(dir, 'exec')}`,
    `--host=unix://${socketPath}`,
    `--pidfile=${join(dir, 'docker.pid')}`,
    // Container cgroups under a name of ours in every hierarchy, removed by stop() (default: /docker).
    `--cgroup-parent=/${cgroupParent}`,
    // Warnings and errors only: the log is read back for a skip reason.
    '--log-level=warn',
  ];
  const logPath = join(dir, 'dockerd.log');
  const logFd = openSync(logPath, 'a');
  const started = Date.now();
  // Under tini as a child subreaper (-s, PR_SET_CHILD_SUBREAPER): each containerd-shim daemonizes, and its
  // parent becomes the nearest subreaper above it, so tini reaps the shims when they exit rather than leaving
  // zombies for the machine's init to collect. tini passes SIGTERM on to dockerd and exits with it.
  const child = spawn(TINI, ['-s', '--', DOCKERD, ...args], { stdio: ['ignore', logFd, logFd], env: env(dir) });
  closeSync(logFd);
  let exited: string | null = null;
  child.once('exit', (code, signal) => (exited = `dockerd exited (${code ?? signal})`));
  child.once('error', (e) => (exited = `dockerd failed to start: ${e.message}`));

  const containers = new Set<string>();
  let stopped = false;
  const tail = (): string => readText(logPath).trim().split('\n').slice(-5).join('\n');

  const cli = (...a: string[]): void => {
    spawnSync(DOCKER, ['-H', `unix://${socketPath}`, ...a], { encoding: 'utf8', env: env(dir), timeout: 20_000 });
  };
  /** After dockerd: whatever is left (a shim, a container whose shim died) by pid, then mounts, cgroups, folders. */
  const sweep = (): number[] => {
    const left = [...new Set([...pidsMentioning(dir), ...pidsInCgroup(cgroupParent)])];
    for (const p of left) {
      try {
        process.kill(p, 'SIGKILL');
      } catch {
        // gone
      }
    }
    return left;
  };
  const finish = (): void => {
    // A shim that had to be killed leaves its socket, /run/containerd/s/<sha256 of "<containerd address>/<namespace>/<id>">
    // (containerd 1.6's shim socket name, checked against a running shim). Only our containers' names are removed.
    const address = join(dir, 'exec', 'containerd', 'containerd.sock');
    for (const id of containers) rmSync(join(SHIM_SOCKETS, createHash('sha256').update(join(address, 'moby', id)).digest('hex')), { force: true });
    for (const m of mountsUnder(dir)) spawnSync('/bin/umount', ['-l', m]);
    removeCgroups(cgroupParent);
    rmSync(dir, { recursive: true, force: true });
    removeHostDirsIfLast();
  };
  const forget = (): void => {
    stopped = true;
    live.delete(daemon);
    registry.delete(socketPath);
  };

  // The same steps as stop(), without awaiting: for the exit hook, when a test ended without stopping us.
  const stopSync = (): void => {
    if (stopped) return;
    for (const id of containers) cli('rm', '-f', id);
    if (child.pid && running(child.pid)) {
      child.kill('SIGTERM');
      const deadline = Date.now() + 15_000;
      while (running(child.pid) && Date.now() < deadline) spawnSync('/bin/sleep', ['0.05']);
      if (running(child.pid)) child.kill('SIGKILL');
    }
    const left = sweep();
    const deadline = Date.now() + 5000;
    while (left.some(running) && Date.now() < deadline) spawnSync('/bin/sleep', ['0.05']);
    forget();
    finish();
  };

  const daemon: Dockerd & { containers: Set<string>; stopSync(): void } = {
    socketPath,
    dir,
    cgroupParent,
    timings: { startMs: 0, stopMs: 0 },
    containers,
    stopSync,
    async stop(): Promise<void> {
      if (stopped) return;
      const t0 = Date.now();
      // 1. Containers first, while dockerd can still stop them cleanly (unmounts, cgroups, the shim's socket).
      for (const id of containers) cli('rm', '-f', id);
      // 2. dockerd (through tini): SIGTERM stops its containerd too; SIGKILL if it hangs.
      if (child.pid && child.exitCode === null && child.signalCode === null) {
        const gone = new Promise<void>((r) => child.once('exit', () => r()));
        child.kill('SIGTERM');
        let timer: ReturnType<typeof setTimeout> | undefined;
        const late = new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), 15_000)));
        const how = await Promise.race([gone.then(() => 'exited' as const), late]);
        clearTimeout(timer);
        if (how === 'timeout') {
          child.kill('SIGKILL');
          await gone;
        }
      }
      // 3. Leftovers by pid, then mounts, cgroups and folders.
      const left = sweep();
      for (let i = 0; i < 100 && left.some(running); i++) await sleep(50);
      forget();
      finish();
      daemon.timings.stopMs = Date.now() - t0;
    },
  };
  live.add(daemon);
  installExitHook();
  registry.set(socketPath, daemon);

  const deadline = started + (opts.timeoutMs ?? 30_000);
  for (;;) {
    if (exited) {
      const reason = `${exited}: ${tail()}`;
      await daemon.stop();
      return { skip: reason };
    }
    if ((await ping(socketPath)) === 200) break;
    if (Date.now() > deadline) {
      const reason = `dockerd did not answer on ${socketPath} within ${opts.timeoutMs ?? 30_000} ms: ${tail()}`;
      await daemon.stop();
      return { skip: reason };
    }
    await sleep(25);
  }
  daemon.timings.startMs = Date.now() - started;
  return daemon;
}

/** The docker CLI against one of our daemons; rejects with its stderr when it fails. */
function docker(socketPath: string, args: readonly string[], timeout = 60_000): Promise<string> {
  const d = registry.get(socketPath);
  if (!d) return Promise.reject(new Error(`no daemon of this process serves ${socketPath}`));
  return new Promise((resolve, reject) => {
    execFile(DOCKER, ['-H', `unix://${socketPath}`, ...args], { encoding: 'utf8', env: env(d.dir), timeout, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`docker ${args[0]} failed: ${stderr.trim() || err.message}`));
      else resolve(stdout);
    });
  });
}

/** The tag importBusyboxImage gives the image unless told otherwise, and runContainer's default image. */
export const BUSYBOX_TAG = 'tcpsv-busybox:test';

/**
 * `docker import` of a root file system made here: Debian's static busybox as /bin/busybox with symlinks for
 * the applets the tests use, an empty /tmp, and /www/index.html for httpd to serve. Returns the time it took (ms).
 */
export async function importBusyboxImage(socketPath: string, tag: string = BUSYBOX_TAG): Promise<number> {
  const t0 = Date.now();
  const work = mkdtempSync(join(tmpdir(), 'tcpsv-rootfs-'));
  try {
    const root = join(work, 'root');
    for (const d of ['bin', 'tmp', 'www', 'etc']) mkdirSync(join(root, d), { recursive: true });
    copyFileSync(BUSYBOX, join(root, 'bin', 'busybox'));
    for (const a of APPLETS) symlinkSync('busybox', join(root, 'bin', a));
    writeFileSync(join(root, 'www', 'index.html'), 'tcp-state-viewer test page\n');
    // wget and httpd look names up; a minimal passwd/group keeps busybox from complaining about uid 0.
    writeFileSync(join(root, 'etc', 'passwd'), 'root:x:0:0:root:/:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/sh\n');
    writeFileSync(join(root, 'etc', 'group'), 'root:x:0:\nnogroup:x:65534:\n');
    const tar = join(work, 'rootfs.tar');
    check(spawnSync('/bin/tar', ['-C', root, '--numeric-owner', '-cf', tar, '.'], { encoding: 'utf8' }), 'tar');
    await docker(socketPath, ['import', tar, tag]);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return Date.now() - t0;
}

export interface RunOptions {
  name: string;
  /** Default: BUSYBOX_TAG. */
  image?: string;
  labels?: Readonly<Record<string, string>>;
  /** Working directory inside the container. */
  workingDir?: string;
  /** argv of the container's first process (its init pid). */
  cmd: readonly string[];
}

export interface RunningContainer {
  id: string;
  /** The container's init process as the host sees it (`State.Pid`). */
  pid: number;
  /** Time from `docker run` to the pid being known (ms). */
  runMs: number;
}

/** `docker run -d --network none` and the container's host pid; stop() of its daemon removes it. */
export async function runContainer(socketPath: string, opts: RunOptions): Promise<RunningContainer> {
  const t0 = Date.now();
  const args = ['run', '-d', '--name', opts.name, '--network', 'none'];
  for (const [k, v] of Object.entries(opts.labels ?? {})) args.push('--label', `${k}=${v}`);
  if (opts.workingDir) args.push('--workdir', opts.workingDir);
  args.push(opts.image ?? BUSYBOX_TAG, ...opts.cmd);
  const id = (await docker(socketPath, args)).trim();
  registry.get(socketPath)?.containers.add(id);
  const pid = Number((await docker(socketPath, ['inspect', '--format', '{{.State.Pid}}', id])).trim());
  if (!(pid > 0)) throw new Error(`container ${opts.name} has no running process (State.Pid=${pid})`);
  return { id, pid, runMs: Date.now() - t0 };
}

/** `docker rm -f`: a container the test wants gone before the daemon stops (its 'die' event, say). */
export async function removeContainer(socketPath: string, id: string): Promise<void> {
  // It stays in the daemon's list: stop() removes it again (a no-op) and clears a stale shim socket of its id.
  await docker(socketPath, ['rm', '-f', id]);
}

/** What of a stopped daemon is still on the host: processes naming its folder, its folder, mounts, cgroups. */
export function leftovers(d: Pick<Dockerd, 'dir' | 'cgroupParent'>): string[] {
  const out: string[] = [];
  for (const p of pidsMentioning(d.dir)) out.push(`process ${p}: ${readText(`/proc/${p}/cmdline`).split('\0').join(' ').trim()}`);
  for (const p of pidsInCgroup(d.cgroupParent)) out.push(`process ${p} in cgroup ${d.cgroupParent}`);
  if (existsSync(d.dir)) out.push(`folder ${d.dir}`);
  for (const m of mountsUnder(d.dir)) out.push(`mount ${m}`);
  for (const root of cgroupRoots()) if (existsSync(join(root, d.cgroupParent))) out.push(`cgroup ${join(root, d.cgroupParent)}`);
  return out;
}
