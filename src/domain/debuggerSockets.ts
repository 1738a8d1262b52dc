// Which sockets belong to a debugger rather than to the program being debugged. A Node debuggee opens an inspector
// port and the debugger connects to it; those sockets are the tooling's, and mixed in with the application's they
// look like a listener and a connection the program made. Facts they are recognised by (checked against VS Code
// 1.100's built-in JavaScript debugger, js-debug 1.100.1, in the vscode test tier):
//   - js-debug launches the debuggee with `--require .../js-debug/src/bootloader.js` in NODE_OPTIONS; the bootloader
//     opens the inspector on an ephemeral port of 127.0.0.1 and spawns `node .../js-debug/src/watchdog.js`, which
//     connects to that port over TCP (and to js-debug over a Unix socket, which is not in the TCP table). So: every
//     socket of the watchdog is the debugger's, and the port it connects to is an inspector port.
//   - `node --inspect[-brk|-wait][=[host:]port]` (9229 when no port is given) listens on that port: a debugger that
//     attaches connects to it.
// An inspector port's listener, the connections accepted on it, and loopback connections to it are the
// debugger's. NODE_OPTIONS set by hand (`NODE_OPTIONS=--inspect node app.js`) is in the environment, which the
// sampler does not read: such an inspector is found only once js-debug's watchdog connects to it.
// Pure: the caller passes the connections and each owner's command line.
import type { Connection, ConnectionId } from './types';

/** js-debug's watchdog script, in the built-in extension (`.../ms-vscode.js-debug/src/watchdog.js`) or a nightly (`.../dist/src/`). */
const WATCHDOG_SCRIPT = /(?:^|[\\/])[^\\/]*js-debug[^\\/]*[\\/](?:dist[\\/])?src[\\/]watchdog\.js$/;

/** Node's default inspector port (`--inspect` without a port). */
export const DEFAULT_INSPECTOR_PORT = 9229;

/** Whether a command line runs js-debug's watchdog (the helper that connects the debuggee's inspector to js-debug). */
export function isJsDebugWatchdog(argv: readonly string[] | undefined): boolean {
  // The script is the first argument after the options (`node [options] watchdog.js`); later ones are its own.
  const script = argv?.slice(1).find((a) => !a.startsWith('-'));
  return script !== undefined && WATCHDOG_SCRIPT.test(script);
}

/**
 * The inspector port a Node command line asks for: `--inspect`, `--inspect-brk`, `--inspect-wait` (optionally
 * `=[host:]port`) or `--inspect-port=[host:]port`, before the script (later arguments are the script's own). Null
 * when none, or when the port is 0 (the kernel picks one: only a watchdog's connection can tell it then).
 */
export function inspectorPort(argv: readonly string[] | undefined): number | null {
  if (argv === undefined) return null;
  let port: number | null = null;
  let asked = false;
  for (const a of argv.slice(1)) {
    if (!a.startsWith('-')) break; // the script: what follows is its own arguments
    const m = /^--inspect(?:-brk|-wait|-port)?(?:=(?:.*:)?(\d+))?$/.exec(a);
    if (!m) continue;
    asked = asked || !a.startsWith('--inspect-port');
    if (m[1] !== undefined) port = Number(m[1]);
  }
  if (!asked) return null;
  const p = port ?? DEFAULT_INSPECTOR_PORT;
  return p > 0 && p < 65536 ? p : null;
}

function isLoopback(address: string): boolean {
  return address === '::1' || address.startsWith('127.') || address.startsWith('::ffff:127.');
}

/** A connection to an endpoint on this machine: a loopback address, or the local end's own address. */
function remoteIsLocal(c: Pick<Connection, 'local' | 'remote'>): boolean {
  return isLoopback(c.remote.address) || c.remote.address === c.local.address;
}

function listensOn(c: Connection, port: number): boolean {
  return c.state === 'LISTEN' && c.local.port === port;
}

/**
 * The ids of the connections that are a debugger's: the watchdog's, and the inspector ports' listeners, accepted
 * connections and loopback clients. `commandLine` gives an owner's argv (undefined when unknown).
 */
export function debuggerConnectionIds(connections: readonly Connection[], commandLine: (pid: number) => readonly string[] | undefined): Set<ConnectionId> {
  const ids = new Set<ConnectionId>();
  const watchdog = new Map<number, boolean>();
  const isWatchdog = (pid: number): boolean => {
    let w = watchdog.get(pid);
    if (w === undefined) watchdog.set(pid, (w = isJsDebugWatchdog(commandLine(pid))));
    return w;
  };
  const inspectorPorts = new Set<number>();
  const askedPort = new Map<number, number | null>();
  for (const c of connections) {
    if (c.owner === null) continue;
    const pid = c.owner.pid;
    if (isWatchdog(pid)) {
      ids.add(c.id);
      if (c.remote.port !== 0 && remoteIsLocal(c)) inspectorPorts.add(c.remote.port);
      continue;
    }
    let port = askedPort.get(pid);
    if (port === undefined) askedPort.set(pid, (port = inspectorPort(commandLine(pid))));
    if (port !== null && listensOn(c, port)) inspectorPorts.add(port);
  }
  if (inspectorPorts.size === 0) return ids;
  // Only ports someone listens on: a watchdog whose debuggee is gone leaves no inspector to tag others by.
  const listening = new Set<number>();
  for (const c of connections) if (c.state === 'LISTEN' && inspectorPorts.has(c.local.port)) listening.add(c.local.port);
  for (const c of connections) {
    if (ids.has(c.id)) continue;
    if (c.state === 'LISTEN') {
      if (listening.has(c.local.port)) ids.add(c.id);
    } else if (listening.has(c.local.port) && c.role === 'server') {
      ids.add(c.id); // accepted on the inspector port
    } else if (listening.has(c.remote.port) && remoteIsLocal(c)) {
      ids.add(c.id); // a client of the inspector on this machine
    }
  }
  return ids;
}
