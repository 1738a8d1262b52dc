// The real VS Code without a VS Code download: code-server (VS Code 1.100.3's server and web workbench, from npm)
// installed on demand into .vscode-test/, started on 127.0.0.1, and driven by headless Chromium.
// Used by scripts/vscode-web (the `vscodeExecutablePath` handed to @vscode/test-electron's runTests),
// scripts/start.mjs, scripts/package.mjs and test/vscode/workbench.ts. Types: scripts/code-server.d.mts.
//
//   node scripts/code-server.mjs install     install (if missing) and print the entry script's path
import { spawn, spawnSync, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, openSync, closeSync, readdirSync, readFileSync, realpathSync, symlinkSync, writeFileSync, rmSync, copyFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, dirname, resolve } from 'node:path';
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';

export const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));
// code-server 4.100.x is the last line that runs on Node 20 (later ones need Node 22): VS Code 1.100.3.
export const CODE_SERVER_VERSION = '4.100.3';
// The @vscode/ripgrep version VS Code 1.100.3 pins, and the asset its postinstall would fetch from GitHub.
const RIPGREP_PKG_VERSION = '1.15.11';
const RIPGREP_ASSET = 'ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz';
// Native modules of the VS Code server that must load for the remote extension host, terminals and watchers.
const NATIVE_MODULES = ['node-pty', '@vscode/spdlog', '@parcel/watcher', 'kerberos', 'native-watchdog'];

export const INSTALL_DIR = join(ROOT, '.vscode-test', `code-server-${CODE_SERVER_VERSION}`);
const PACKAGE_DIR = join(INSTALL_DIR, 'node_modules', 'code-server');
const ENTRY = join(PACKAGE_DIR, 'out', 'node', 'entry.js');
const COMPLETE_MARKER = join(INSTALL_DIR, '.complete');
const LOCK_FILE = `${INSTALL_DIR}.lock`;

/** Flags for Debian's chromium in a container without a GPU or a user namespace sandbox. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-dev-shm-usage',
];
export const CHROMIUM_PATH = process.env.TCPSV_CHROMIUM ?? '/usr/bin/chromium';

/** User settings for quiet, deterministic runs: no welcome page, trust prompt, git scan, telemetry or updates. */
export const QUIET_SETTINGS = {
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'security.workspace.trust.enabled': false,
  'git.enabled': false,
  'telemetry.telemetryLevel': 'off',
  'extensions.autoUpdate': false,
  'extensions.autoCheckUpdates': false,
  'extensions.ignoreRecommendations': true,
  'update.mode': 'none',
};

const processAlive = (pid) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return e.code === 'EPERM';
  }
};

/** The environment for npm and code-server without the npm_* variables of an enclosing `npm test`/`npm start`:
 *  npm exports its config (npm_config_local_prefix among them) to scripts, which would point a nested
 *  `npm install` at this project instead of the cache folder. VSCODE_* variables of an enclosing VS Code
 *  terminal would make code-server talk to that editor. */
function cleanEnv(extra = {}) {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^npm_/i.test(k) || /^VSCODE_/.test(k) || k === 'ELECTRON_RUN_AS_NODE' || k === 'INIT_CWD') continue;
    env[k] = v;
  }
  return { ...env, ...extra };
}

/** Takes the install lock (a file created with O_EXCL holding our pid); a lock whose process is gone is stale. */
async function withInstallLock(log, fn) {
  mkdirSync(dirname(LOCK_FILE), { recursive: true });
  const deadline = Date.now() + 15 * 60_000;
  let announced = false;
  for (;;) {
    try {
      const fd = openSync(LOCK_FILE, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      break;
    } catch (e) {
      if (e.code !== 'EEXIST') throw e;
      const holder = Number(readFileSync(LOCK_FILE, 'utf8').trim() || 0);
      if (holder && !processAlive(holder)) {
        rmSync(LOCK_FILE, { force: true });
        continue;
      }
      if (Date.now() > deadline) throw new Error(`code-server install lock ${LOCK_FILE} held by pid ${holder} for too long`);
      if (!announced) log(`waiting for another code-server install (pid ${holder}) to finish`);
      announced = true;
      await sleep(1000);
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(LOCK_FILE, { force: true });
  }
}

function runChecked(cmd, args, opts, log) {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(cmd, args, { ...opts, stdio: ['ignore', 'pipe', 'pipe'] });
    let tail = '';
    const keep = (d) => {
      tail = (tail + d).slice(-8000);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code === 0) resolvePromise();
      else {
        log(tail);
        reject(new Error(`${cmd} ${args.join(' ')} failed (${code ?? signal})`));
      }
    });
  });
}

/** pid -> { ppid, start } for every process, from /proc/<pid>/stat (fields 4 and 22, proc(5)). */
function processTable() {
  const table = new Map();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      // comm (field 2) may hold spaces and parentheses: the fields after it follow the last ')'.
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      table.set(Number(name), { ppid: Number(rest[1]), start: rest[19] });
    } catch {
      // exited while we read
    }
  }
  return table;
}

/**
 * Every live descendant of pid, with its start time (so a reused pid is not mistaken for it later).
 * Killing the process group is not enough: terminals' shells run in their own sessions (node-pty calls
 * setsid), and so do some debuggees.
 */
export function descendants(pid) {
  const table = processTable();
  const children = new Map();
  for (const [p, { ppid }] of table) {
    if (!children.has(ppid)) children.set(ppid, []);
    children.get(ppid).push(p);
  }
  const out = [];
  const queue = [...(children.get(pid) ?? [])];
  while (queue.length) {
    const p = queue.shift();
    out.push({ pid: p, start: table.get(p).start });
    queue.push(...(children.get(p) ?? []));
  }
  return out;
}

/** Sends signal to each recorded process that is still the same process (same start time). */
export function signalProcesses(procs, signal) {
  const table = processTable();
  for (const { pid, start } of procs) {
    if (table.get(pid)?.start !== start) continue;
    try {
      process.kill(pid, signal);
    } catch {
      // gone meanwhile
    }
  }
}

/** True when the pinned code-server is installed and its native modules were verified. */
export function codeServerInstalled() {
  return existsSync(COMPLETE_MARKER) && existsSync(ENTRY);
}

/**
 * Installs code-server@CODE_SERVER_VERSION into .vscode-test/ unless it is already there; returns the path of
 * its entry script. Concurrent callers wait for one install.
 */
export async function ensureCodeServer({ log = (m) => console.error(`[code-server] ${m}`) } = {}) {
  if (codeServerInstalled()) return ENTRY;
  return withInstallLock(log, async () => {
    if (codeServerInstalled()) return ENTRY;
    const started = Date.now();
    log(`installing code-server@${CODE_SERVER_VERSION} into ${INSTALL_DIR} (once; about a minute)`);
    rmSync(INSTALL_DIR, { recursive: true, force: true });
    mkdirSync(INSTALL_DIR, { recursive: true });
    const scratch = mkdtempSync(join(tmpdir(), 'tcpsv-code-server-install-'));
    try {
      // @vscode/ripgrep's postinstall downloads rg from GitHub unless this cached asset exists in os.tmpdir();
      // Debian's rg (apt package ripgrep) in that archive makes the install work offline.
      const rg = ['/usr/bin/rg', '/usr/local/bin/rg'].find((p) => existsSync(p));
      if (!rg) throw new Error('ripgrep is missing: apt-get install ripgrep');
      const cache = join(scratch, `vscode-ripgrep-cache-${RIPGREP_PKG_VERSION}`);
      mkdirSync(join(scratch, 'rg'), { recursive: true });
      mkdirSync(cache, { recursive: true });
      copyFileSync(rg, join(scratch, 'rg', 'rg'));
      execFileSync('tar', ['czf', join(cache, RIPGREP_ASSET), '-C', join(scratch, 'rg'), 'rg']);

      const env = cleanEnv({
        TMPDIR: scratch,
        npm_config_unsafe_perm: 'true', // code-server's postinstall refuses to run as root without it
        npm_config_yes: 'true', // node-pty's postinstall runs `npx node-gyp`; a user npmrc with yes=false cancels it
        npm_config_audit: 'false',
        npm_config_fund: 'false',
        npm_config_update_notifier: 'false',
        ...(existsSync('/usr/include/node/node_api.h') ? { npm_config_nodedir: '/usr' } : {}),
      });
      // npm 11 runs a dependency's install scripts only when the project allows them (allowScripts in
      // package.json or allow-scripts in the project's .npmrc; --allow-scripts on the command line or in the
      // environment is refused for project installs). Step 1 fetches the tree without scripts; step 2 allows,
      // in lib/vscode/.npmrc, exactly the packages VS Code's shrinkwrap marks hasInstallScript, because
      // code-server's postinstall runs a nested `npm install` there; step 3 runs the scripts.
      writeFileSync(
        join(INSTALL_DIR, 'package.json'),
        JSON.stringify(
          {
            name: 'tcpsv-code-server',
            private: true,
            description: 'Cache of the VS Code server used by the TCP State Viewer tests; not part of the extension.',
            dependencies: { 'code-server': CODE_SERVER_VERSION },
            allowScripts: { 'code-server': true, argon2: true },
          },
          null,
          2,
        ),
      );
      await runChecked('npm', ['install', '--ignore-scripts', '--no-package-lock'], { cwd: INSTALL_DIR, env }, log);
      const vscodeDir = join(PACKAGE_DIR, 'lib', 'vscode');
      const shrinkwrap = JSON.parse(readFileSync(join(vscodeDir, 'npm-shrinkwrap.json'), 'utf8'));
      const withScripts = Object.entries(shrinkwrap.packages)
        .filter(([path, meta]) => path && meta.hasInstallScript)
        .map(([path]) => path.replace(/^.*node_modules\//, ''));
      writeFileSync(join(vscodeDir, '.npmrc'), `allow-scripts=${[...new Set(withScripts)].join(',')}\n`);
      await runChecked('npm', ['rebuild', '--foreground-scripts'], { cwd: INSTALL_DIR, env }, log);

      // A skipped or failed native build shows up here, not at test time.
      const probe = NATIVE_MODULES.map((m) => `require(${JSON.stringify(m)});`).join('');
      const r = spawnSync(process.execPath, ['-e', probe], { cwd: vscodeDir, env: cleanEnv(), encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`code-server's native modules do not load:\n${r.stderr}`);
      if (!existsSync(join(vscodeDir, 'node_modules', '@vscode', 'ripgrep', 'bin', 'rg'))) throw new Error('code-server install has no rg');
      writeFileSync(COMPLETE_MARKER, JSON.stringify({ version: CODE_SERVER_VERSION, installedMs: Date.now() - started }));
      log(`installed in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      return ENTRY;
    } catch (e) {
      rmSync(INSTALL_DIR, { recursive: true, force: true });
      log('installing code-server failed; its native modules build with these Debian packages:');
      log('  apt-get install build-essential python3 pkg-config libkrb5-dev libx11-dev libxkbfile-dev libsecret-1-dev ripgrep');
      throw e;
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  });
}

/** Writes User/settings.json into a user data dir: QUIET_SETTINGS, then the given settings on top. */
export function writeUserSettings(userDataDir, settings = {}) {
  const dir = join(userDataDir, 'User');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'settings.json');
  let existing = {};
  if (existsSync(file)) {
    try {
      existing = JSON.parse(readFileSync(file, 'utf8'));
    } catch {
      existing = {};
    }
  }
  writeFileSync(file, JSON.stringify({ ...QUIET_SETTINGS, ...existing, ...settings }, null, 2));
}

/** Common flags: no auth (bound to loopback only), no telemetry, update check, trust prompt or last folder. */
function serverArgs({ userDataDir, extensionsDir, configFile }) {
  return [
    '--auth',
    'none',
    '--disable-telemetry',
    '--disable-update-check',
    '--disable-workspace-trust',
    '--disable-getting-started-override',
    '--ignore-last-opened',
    '--user-data-dir',
    userDataDir,
    '--extensions-dir',
    extensionsDir,
    '--config',
    configFile,
  ];
}

/** A private HOME-like area so code-server writes nothing into the real home folder. */
function privateDirs(base) {
  const xdg = join(base, 'xdg');
  mkdirSync(join(xdg, 'config'), { recursive: true });
  mkdirSync(join(xdg, 'data'), { recursive: true });
  const configFile = join(base, 'config.yaml');
  if (!existsSync(configFile)) writeFileSync(configFile, 'auth: none\n');
  return {
    configFile,
    env: { XDG_CONFIG_HOME: join(xdg, 'config'), XDG_DATA_HOME: join(xdg, 'data'), EXTENSIONS_GALLERY: '{}' },
  };
}

/**
 * Starts code-server on 127.0.0.1 (port 0 = a free one) in its own process group.
 * Returns { url, port, pid, stop(), exited } once it listens. `stop()` ends the whole group.
 */
export async function startCodeServer({
  userDataDir,
  extensionsDir,
  folder,
  port = 0,
  locale,
  settings = {},
  env = {},
  log = (m) => console.error(`[code-server] ${m}`),
  onOutput,
  startTimeoutMs = 90_000,
} = {}) {
  const entry = await ensureCodeServer({ log });
  const base = mkdtempSync(join(tmpdir(), 'tcpsv-code-server-'));
  const ownsUserDataDir = !userDataDir;
  userDataDir ??= join(base, 'user-data');
  extensionsDir ??= join(base, 'extensions');
  mkdirSync(userDataDir, { recursive: true });
  mkdirSync(extensionsDir, { recursive: true });
  writeUserSettings(userDataDir, settings);
  const priv = privateDirs(base);
  const args = [entry, ...serverArgs({ userDataDir, extensionsDir, configFile: priv.configFile }), '--bind-addr', `127.0.0.1:${port}`];
  if (locale) args.push('--locale', locale);
  if (folder) args.push(resolve(folder));
  const child = spawn(process.execPath, args, {
    cwd: folder ? resolve(folder) : ROOT,
    env: cleanEnv({ ...priv.env, ...env }),
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true, // its own process group, so stop() reaches the extension host and terminals too
  });
  const pid = child.pid;
  let exitedResolve;
  const exited = new Promise((r) => {
    exitedResolve = r;
  });
  child.on('exit', (code, signal) => exitedResolve({ code, signal }));

  const killGroup = (signal) => {
    try {
      process.kill(-pid, signal);
    } catch {
      // the group is already gone
    }
  };
  // A last resort if the caller dies without stop(): 'exit' handlers must be synchronous.
  const onExit = () => {
    const tree = descendants(pid);
    killGroup('SIGKILL');
    signalProcesses(tree, 'SIGKILL');
  };
  process.on('exit', onExit);

  let stopped = false;
  const stop = async () => {
    if (stopped) return exited;
    stopped = true;
    const tree = descendants(pid);
    killGroup('SIGTERM');
    const result = await Promise.race([exited, sleep(5000).then(() => null)]);
    // Whatever outlived the server: its group (extension host, pty host) and descendants in other sessions.
    killGroup('SIGKILL');
    signalProcesses(tree, 'SIGKILL');
    process.removeListener('exit', onExit);
    if (result === null) await exited;
    rmSync(base, { recursive: true, force: true });
    if (ownsUserDataDir) rmSync(userDataDir, { recursive: true, force: true });
    return exited;
  };

  const listening = new Promise((resolvePromise, reject) => {
    let buf = '';
    const timer = setTimeout(() => reject(new Error(`code-server did not listen within ${startTimeoutMs} ms:\n${buf.slice(-4000)}`)), startTimeoutMs);
    const onData = (d) => {
      const text = String(d);
      onOutput?.(text);
      buf += text;
      const m = buf.match(/HTTP server listening on (http:\/\/127\.0\.0\.1:(\d+)\/)/);
      if (m) {
        clearTimeout(timer);
        resolvePromise({ url: m[1], port: Number(m[2]) });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`code-server exited (${code ?? signal}) before listening:\n${buf.slice(-4000)}`));
    });
  });
  try {
    const { url, port: boundPort } = await listening;
    return { url, port: boundPort, pid, userDataDir, extensionsDir, stop, exited };
  } catch (e) {
    await stop();
    throw e;
  }
}

/**
 * A path outside the project that leads to the extension folder (a symlink in the temp folder), to pass as
 * extensionDevelopmentPath when the workbench's look matters. code-server lives in .vscode-test/ inside the
 * project, so its built-in themes sit inside the extension under development, and VS Code 1.100 then applies
 * the first of those themes (Light+) in place of the user's colour, file icon and product icon themes (it
 * treats themes found under the development path as the ones being developed).
 */
export function extensionDevelopmentAlias(extensionPath) {
  const target = resolve(extensionPath);
  const dir = join(tmpdir(), `tcpsv-dev-${createHash('sha256').update(target).digest('hex').slice(0, 12)}`);
  const link = join(dir, basename(target));
  mkdirSync(dir, { recursive: true });
  try {
    if (realpathSync(link) === realpathSync(target)) return link;
    rmSync(link, { force: true });
  } catch {
    // no link yet
  }
  try {
    symlinkSync(target, link, 'dir');
  } catch (e) {
    if (e.code !== 'EEXIST') throw e; // a concurrent caller made the same link
  }
  return link;
}

/**
 * The workbench URL that opens `folder` with extensions under development and, optionally, extension tests:
 * the code-server CLI rejects --extensionDevelopmentPath, the web workbench reads it from the URL payload.
 */
export function workbenchUrl(baseUrl, { folder, extensionDevelopmentPath = [], extensionTestsPath } = {}) {
  const u = new URL(baseUrl);
  const remote = (p) => `vscode-remote://${u.host}${resolve(p)}`;
  const devPaths = Array.isArray(extensionDevelopmentPath) ? extensionDevelopmentPath : [extensionDevelopmentPath];
  const payload = devPaths.map((p) => ['extensionDevelopmentPath', remote(p)]);
  if (extensionTestsPath) payload.push(['extensionTestsPath', remote(extensionTestsPath)]);
  payload.push(['skipWelcome', 'true']);
  if (folder) u.searchParams.set('folder', resolve(folder));
  u.searchParams.set('payload', JSON.stringify(payload));
  return u.href;
}

/** Installs a VSIX into an extensions dir with code-server's own CLI (the same code path as the UI). */
export async function installExtension(vsix, { userDataDir, extensionsDir, log = (m) => console.error(`[code-server] ${m}`) }) {
  const entry = await ensureCodeServer({ log });
  const base = mkdtempSync(join(tmpdir(), 'tcpsv-code-server-cli-'));
  try {
    const priv = privateDirs(base);
    mkdirSync(userDataDir, { recursive: true });
    mkdirSync(extensionsDir, { recursive: true });
    const r = spawnSync(
      process.execPath,
      [entry, ...serverArgs({ userDataDir, extensionsDir, configFile: priv.configFile }), '--install-extension', resolve(vsix), '--force'],
      { env: cleanEnv(priv.env), encoding: 'utf8', timeout: 120_000 },
    );
    const out = `${r.stdout}${r.stderr}`;
    if (r.status !== 0 || !/successfully installed/i.test(out)) throw new Error(`installing ${vsix} failed (${r.status ?? r.signal}):\n${out}`);
    return out.trim();
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
}

/** Launches headless Chromium through playwright-core (resolved from the project's node_modules). */
export async function launchChromium(options = {}) {
  const { chromium } = await import('playwright-core');
  if (!existsSync(CHROMIUM_PATH)) throw new Error(`${CHROMIUM_PATH} is missing: apt-get install chromium`);
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, timeout: 60_000, ...options });
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const cmd = process.argv[2];
  if (cmd === 'install') {
    const t0 = Date.now();
    const entry = await ensureCodeServer();
    console.log(`${entry} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  } else {
    console.error('usage: node scripts/code-server.mjs install');
    process.exit(2);
  }
}
