// `npm start`: builds the extension, starts the demo workload (demo/server.js and demo/client.js) and opens
// VS Code with the extension under development on demo/:
//   - with the `code` CLI when there is one (desktop VS Code),
//   - otherwise the code-server workbench on http://127.0.0.1:8765 (TCPSV_PORT; a free port if that one is
//     taken), whose URL it prints.
// Ctrl+C (or SIGTERM) stops everything it started: each child runs in its own process group, and the whole
// group is ended. TCPSV_START_WEB=1 uses code-server even when `code` exists.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ROOT, extensionDevelopmentAlias, startCodeServer, workbenchUrl } from './code-server.mjs';

const DEMO = join(ROOT, 'demo');
const groups = []; // { name, child, exited }
let server;

/** True when nothing listens on 127.0.0.1:port (we can bind it ourselves). */
function portFree(port) {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

/** A port the kernel picks (bind to 0), for when the preferred one is taken. */
function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

function startGroup(name, cmd, args, options) {
  const child = spawn(cmd, args, { ...options, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  const prefix = (d) => String(d).replace(/\n(?!$)/g, `\n[${name}] `);
  child.stdout.on('data', (d) => process.stdout.write(`[${name}] ${prefix(d)}`));
  child.stderr.on('data', (d) => process.stderr.write(`[${name}] ${prefix(d)}`));
  groups.push({ name, child, exited });
  return child;
}

async function stopGroup({ child, exited }) {
  const kill = (sig) => {
    try {
      process.kill(-child.pid, sig);
    } catch {
      // already gone
    }
  };
  kill('SIGTERM');
  const done = await Promise.race([exited.then(() => true), sleep(3000).then(() => false)]);
  kill('SIGKILL'); // anything left in the group
  if (!done) await exited;
}

let stopping = false;
async function stopAll(code) {
  if (stopping) return;
  stopping = true;
  console.log('\nstopping what npm start started...');
  await Promise.all([...groups.map(stopGroup), server?.stop()]);
  console.log('stopped');
  process.exit(code);
}
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, () => stopAll(0));

async function main() {
  const build = spawnSync(process.execPath, ['scripts/build.mjs'], { cwd: ROOT, stdio: 'inherit' });
  if (build.status !== 0) process.exit(build.status ?? 1);

  const demoPort = (await portFree(8080)) ? 8080 : await freePort();
  const demoEnv = { ...process.env, DEMO_PORT: String(demoPort) };
  startGroup('demo server', process.execPath, ['server.js'], { cwd: DEMO, env: demoEnv });
  await sleep(300); // let it listen before the client's first connection
  startGroup('demo client', process.execPath, ['client.js'], { cwd: DEMO, env: demoEnv });

  const hasCode = process.env.TCPSV_START_WEB !== '1' && spawnSync('code', ['--version'], { stdio: 'ignore' }).status === 0;
  if (hasCode) {
    // The CLI hands the window to the running VS Code and returns; the demo keeps going until Ctrl+C.
    const r = spawnSync('code', ['--new-window', `--extensionDevelopmentPath=${ROOT}`, DEMO], { stdio: 'inherit' });
    if (r.status !== 0) throw new Error(`code exited with ${r.status ?? r.signal}`);
    console.log(`\nVS Code is opening demo/ with the extension under development; the demo server listens on 127.0.0.1:${demoPort}.`);
    console.log('Press Ctrl+C to stop the demo server and client.');
    return;
  }

  const preferred = Number(process.env.TCPSV_PORT || 8765);
  const port = (await portFree(preferred)) ? preferred : 0;
  // A user data folder kept between runs (layout, open editors), inside the gitignored cache.
  const state = join(ROOT, '.vscode-test', 'start');
  mkdirSync(state, { recursive: true });
  server = await startCodeServer({
    port,
    userDataDir: join(state, 'user-data'),
    extensionsDir: join(state, 'extensions'),
    settings: { 'workbench.startupEditor': 'none' },
  });
  server.exited.then(({ code, signal }) => {
    if (!stopping) {
      console.error(`code-server exited (${code ?? signal})`);
      stopAll(1);
    }
  });
  // Through a symlink outside the project, so the user's colour theme applies (see extensionDevelopmentAlias).
  const url = workbenchUrl(server.url, { folder: DEMO, extensionDevelopmentPath: extensionDevelopmentAlias(ROOT) });
  console.log(`\nVS Code (code-server) with the extension under development on demo/; open this URL in a browser:\n\n  ${url}\n`);
  console.log(`The demo server listens on 127.0.0.1:${demoPort}; its client keeps opening and closing connections.`);
  console.log('Press Ctrl+C to stop code-server and the demo.');
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  stopAll(1);
});
