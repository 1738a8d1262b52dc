// tcp-states: the extension's socket sampler from a terminal, for CI logs, bug reports and servers without VS Code.
//   tcp-states snapshot [--format text|markdown|json] [--scope all|workspace] [--pid N]... [--port N]... [--container NAME]...
//   tcp-states watch [--json] [--interval ms] [--pid N]... [--port N]... [--container NAME]...
// Exit status: 0 success, 1 the socket table could not be read, 2 bad arguments, 130/143 ended by SIGINT/SIGTERM.
import { hostname } from 'node:os';
import { parseArgs } from 'node:util';
import { displayEndpoint, placeText, renderSnapshotMarkdown, renderSnapshotText, toSnapshotJson } from '../domain/snapshot';
import { SamplerError } from '../sampling/socketSampler';
import { selectPlatform, type Platform } from '../sampling/platforms/platform';
import { ChangeWatcher, PERIODIC_INTERVAL_MS, PROBE_PERIOD_MS } from '../sampling/changeWatcher';
import { ReadBudget } from '../domain/backoff';
import { namespacesToReread } from '../domain/changeTrigger';
import { ContainerRegistry } from '../sampling/containers/registry';
import type { SampleScope } from '../domain/types';
import { killGroupsNow, liveGroups } from '../sampling/childProcesses';
import { ConnectionTracker } from '../domain/tracker';
import { clock } from '../domain/format';
import { escapeControls } from '../domain/displayText';
import { type Connection, type ContainerLabel, type HistoryEntry, type ScopedSample, type SocketRecord, type TcpState, type TrackerEvent } from '../domain/types';

/** watch's default --interval: the longest time between two reads when the change probes work. */
export const WATCH_INTERVAL_MS = 30_000;

export const USAGE = `Usage:
  tcp-states snapshot [--format text|markdown|json] [--scope all|workspace] [--pid N]... [--port N]... [--container NAME]...
  tcp-states watch [--json] [--interval MS] [--scope all|workspace] [--pid N]... [--port N]... [--container NAME]...

Shows the kernel's TCP sockets (Linux; macOS and Windows experimental), grouped by RFC 9293 state, with the processes that own them: those of
every network namespace it can read (containers, unshare -n, ip netns), each with its namespace, and with the
container's name when a Docker or Podman engine answers on DOCKER_HOST (unix://) or /var/run/docker.sock.
Exit status: 0 done, 1 the socket table could not be read, 2 bad arguments, 130/143 interrupted (SIGINT/SIGTERM).

Commands:
  snapshot            print the sockets once: counts per state, then one line per socket
  watch               print one line per state change until interrupted (like bcc's tcpstates):
                      time, pid, command, local, remote, OLD -> NEW, ms spent in OLD

Options:
  --format FORMAT     snapshot output: text (default), markdown or json
  --json              snapshot: same as --format json; watch: one JSON object per line
  --scope SCOPE       all (default): the whole machine; workspace: processes whose working directory is
                      inside the current directory, and their descendants
  --pid N             only this process, its descendants and the other ends of their loopback connections
                      (repeatable; implies --scope workspace)
  --port N            only sockets with this local or remote port (repeatable)
  --container NAME    only sockets of this container: its name, or its id or a prefix of it (repeatable)
  --interval MS       watch: the longest time between two reads of the socket table, 100 to 60000
                      (default 30000). Between reads the kernel's TCP counters are checked every 250 ms and
                      the table is read as soon as they move (a connection opens or closes, most state
                      changes), within 2 % of a core; this bounds how late the rest shows (a remote peer's
                      FIN: CLOSE-WAIT). Where the counters cannot be read, the table is read every second
                      (or --interval, if shorter). A failed read is reported on stderr and retried after
                      1 s, doubling up to 30 s
  --backend NAME      auto (default), proc (/proc/net/tcp) or ss
  --ss-path PATH      the ss executable for --backend ss (default: ss on PATH)
  -h, --help          show this help
`;

export class UsageError extends Error {}

export interface CliOptions {
  command: 'snapshot' | 'watch' | 'help';
  format: 'text' | 'markdown' | 'json';
  json: boolean;
  scope: 'all' | 'workspace';
  pids: number[];
  ports: number[];
  containers: string[];
  intervalMs: number;
  backend: 'auto' | 'proc' | 'ss';
  ssPath: string | undefined;
}

function integer(name: string, text: string, min: number, max: number): number {
  if (!/^\d+$/.test(text)) throw new UsageError(`${name} needs a whole number, got '${text}'`);
  const n = Number(text);
  if (n < min || n > max) throw new UsageError(`${name} must be between ${min} and ${max}, got ${n}`);
  return n;
}

function oneOf<T extends string>(name: string, text: string | undefined, allowed: readonly T[], fallback: T): T {
  if (text === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(text)) throw new UsageError(`${name} must be one of ${allowed.join(', ')}, got '${text}'`);
  return text as T;
}

/** Parses the command line (without `node cli.js`); throws UsageError on anything it does not understand. */
export function parseCli(argv: readonly string[]): CliOptions {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        format: { type: 'string' },
        json: { type: 'boolean' },
        scope: { type: 'string' },
        pid: { type: 'string', multiple: true },
        port: { type: 'string', multiple: true },
        container: { type: 'string', multiple: true },
        interval: { type: 'string' },
        backend: { type: 'string' },
        'ss-path': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (e) {
    throw new UsageError(e instanceof Error ? e.message : String(e));
  }
  const { values, positionals } = parsed;
  if (values.help || positionals[0] === 'help') return { ...defaults(), command: 'help' };
  if (positionals.length !== 1) throw new UsageError(positionals.length === 0 ? 'missing command: snapshot or watch' : `unexpected argument '${positionals[1]}'`);
  const command = positionals[0];
  if (command !== 'snapshot' && command !== 'watch') throw new UsageError(`unknown command '${command}'`);
  if (command === 'watch' && values.format !== undefined) throw new UsageError('--format applies to snapshot; watch takes --json');
  if (command === 'snapshot' && values.interval !== undefined) throw new UsageError('--interval applies to watch');
  let format = oneOf('--format', values.format, ['text', 'markdown', 'json'] as const, 'text');
  if (values.json) {
    if (values.format !== undefined && values.format !== 'json') throw new UsageError('--json conflicts with --format ' + values.format);
    format = 'json';
  }
  const pids = (values.pid ?? []).map((p) => integer('--pid', p, 1, 2 ** 31 - 1));
  const ports = (values.port ?? []).map((p) => integer('--port', p, 1, 65535));
  const containers = (values.container ?? []).map((c) => {
    // Docker's own rule for names ([a-zA-Z0-9][a-zA-Z0-9_.-]*), which ids and their prefixes also follow.
    if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(c)) throw new UsageError(`--container needs a container name or id, got '${c}'`);
    return c;
  });
  let scope = oneOf('--scope', values.scope, ['all', 'workspace'] as const, pids.length > 0 ? 'workspace' : 'all');
  if (scope === 'all' && pids.length > 0) throw new UsageError('--pid narrows to a process tree; it cannot be combined with --scope all');
  if (pids.length > 0) scope = 'workspace';
  return {
    command,
    format,
    json: values.json ?? false,
    scope,
    pids,
    ports,
    containers,
    intervalMs: values.interval === undefined ? WATCH_INTERVAL_MS : integer('--interval', values.interval, 100, 60_000),
    backend: oneOf('--backend', values.backend, ['auto', 'proc', 'ss'] as const, 'auto'),
    ssPath: values['ss-path'],
  };
}

function defaults(): CliOptions {
  return { command: 'help', format: 'text', json: false, scope: 'all', pids: [], ports: [], containers: [], intervalMs: WATCH_INTERVAL_MS, backend: 'auto', ssPath: undefined };
}

/** The sampler's scope for these options: the current directory is the workspace unless --pid names the roots. */
export function scopeFor(options: CliOptions, cwd: string): SampleScope {
  if (options.scope === 'all') return { mode: 'all' };
  return { mode: 'workspace', rootPids: options.pids, folders: options.pids.length > 0 ? [] : [cwd] };
}

export function filterPorts<T extends Pick<SocketRecord, 'local' | 'remote'>>(sockets: T[], ports: readonly number[]): T[] {
  if (ports.length === 0) return sockets;
  const set = new Set(ports);
  return sockets.filter((s) => set.has(s.local.port) || set.has(s.remote.port));
}

/** Whether a container matches --container: by name, or by its id or a prefix of it (as `docker` takes them). */
export function containerMatches(c: ContainerLabel | undefined, wanted: string): boolean {
  return c !== undefined && (c.name === wanted || (/^[0-9a-f]+$/.test(wanted) && c.id.startsWith(wanted)));
}

export function filterContainers<T extends Pick<SocketRecord, 'container'>>(sockets: T[], wanted: readonly string[]): T[] {
  if (wanted.length === 0) return sockets;
  return sockets.filter((s) => wanted.some((w) => containerMatches(s.container, w)));
}

export function renderSnapshot(sample: ScopedSample, options: CliOptions, host: string): string {
  const filtered = { ...sample, sockets: filterContainers(filterPorts(sample.sockets, options.ports), options.containers) };
  if (options.format === 'json') return `${JSON.stringify(toSnapshotJson(filtered, host), null, 2)}\n`;
  if (options.format === 'markdown') return renderSnapshotMarkdown(filtered, host);
  return renderSnapshotText(filtered, host);
}

export interface WatchLine {
  at: number;
  pid: number | null;
  command: string | null;
  local: string;
  remote: string;
  from: TcpState;
  to: TcpState;
  /** ms spent in `from`; null unless a sample saw `from` begin (inferred states, and what existed when watch started). */
  msInFrom: number | null;
  /** No sample saw this hop: filled in along the diagram (polling misses states that last microseconds). */
  inferred: boolean;
  /** The connection's network namespace, when it is not ours. */
  netns?: string;
  /** Its container, when known. */
  container?: ContainerLabel;
}

/**
 * A tracker event as watch lines: one per hop of the diagram, like tcpstates. A connection seen for the first time
 * comes along the tracker's inferred way from its start (a client from CLOSED through SYN-SENT, a server's
 * connection from LISTEN through SYN-RECEIVED), every hop marked inferred: no sample saw it happen.
 */
export function watchLines(event: TrackerEvent, lookup: (id: string) => Connection | undefined): WatchLine[] {
  const conn = event.kind === 'opened' ? event.connection : lookup(event.id);
  const base = {
    at: event.at,
    pid: conn?.owner?.pid ?? null,
    command: conn?.owner?.command ?? null,
    local: conn ? displayEndpoint(conn.local) : '?',
    remote: conn ? displayEndpoint(conn.remote) : '?',
    ...(conn?.netns !== undefined ? { netns: conn.netns } : {}),
    ...(conn?.container !== undefined ? { container: conn.container } : {}),
  };
  if (event.kind === 'opened') {
    const h = event.connection.history;
    const out: WatchLine[] = [];
    for (let i = 0; i + 1 < h.length; i++) out.push({ ...base, from: (h[i] as HistoryEntry).state, to: (h[i + 1] as HistoryEntry).state, msInFrom: null, inferred: true });
    return out;
  }
  if (event.kind === 'closed') {
    const entry = conn?.history.filter((h) => h.state === event.from && !h.inferred).pop();
    const ms = entry === undefined || !entry.startSeen ? null : Math.max(0, (entry.until ?? event.at) - entry.since);
    const hops = event.path.length > 0 ? event.path : [{ from: event.from, to: 'CLOSED' as const, inferred: event.inferred }];
    return hops.map((hop, i) => ({ ...base, from: hop.from, to: hop.to, msInFrom: i === 0 ? ms : null, inferred: hop.inferred }));
  }
  const hops = event.path.length > 0 ? event.path : [{ from: event.from, to: event.to, inferred: false }];
  return hops.map((h, i) => ({ ...base, from: h.from, to: h.to, msInFrom: i === 0 ? event.msInFrom : null, inferred: h.inferred }));
}

export function formatWatchLine(l: WatchLine): string {
  const ms = l.msInFrom === null ? '-' : l.msInFrom.toFixed(0);
  const line = [clock(l.at), String(l.pid ?? '-').padStart(7), escapeControls(l.command ?? '-').padEnd(15), l.local.padEnd(23), l.remote.padEnd(23), `${l.from} -> ${l.to}${l.inferred ? ' (inferred)' : ''}`.padEnd(36), ms.padStart(8)].join(' ');
  // Where it happened, after the columns: only for another namespace's connection, so host lines read as before.
  const place = placeText(l);
  return (place === '' ? line : `${line}  ${place}`).trimEnd();
}

/** The first sample waits this long at most for the container engine's first answer (labels for --container). */
const CLI_ENGINE_WAIT_MS = 3000;

/** watch: a failed sample is retried after this long, doubling per failure in a row up to the cap. */
const WATCH_RETRY_MIN_MS = 1000;
const WATCH_RETRY_MAX_MS = 30_000;

const WATCH_HEADER = `${'TIME'.padEnd(12)} ${'PID'.padStart(7)} ${'COMMAND'.padEnd(15)} ${'LOCAL'.padEnd(23)} ${'REMOTE'.padEnd(23)} ${'OLD -> NEW'.padEnd(36)} ${'MS'.padStart(8)}`;

interface Io {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  cwd: string;
  host: string;
  /** Resolves when watch should stop (SIGINT/SIGTERM). */
  stopped: Promise<void>;
  /** How the table is read (default: this system's platform, selectPlatform); tests pass another. */
  platform?: (options: CliOptions, containers: ContainerRegistry) => Platform;
}

/** This system's platform for the command line's options. */
function systemPlatform(options: CliOptions, containers: ContainerRegistry): Platform {
  return selectPlatform(process.platform, { backend: options.backend, ssPath: options.ssPath, containers, engineWaitMs: CLI_ENGINE_WAIT_MS });
}

/** The kernel's TCP counters between reads where the platform has them; null where reads are periodic. */
function changeWatcherFor(platform: Platform, events: ConstructorParameters<typeof ChangeWatcher>[0]): ChangeWatcher | null {
  return platform.capabilities().changeProbes ? new ChangeWatcher(events) : null;
}

async function watch(options: CliOptions, sampler: Platform, io: Io): Promise<number> {
  const tracker = new ConnectionTracker();
  const scope = scopeFor(options, io.cwd);
  let stop = false;
  void io.stopped.then(() => (stop = true));
  let first = true;
  let failures = 0;
  // Between reads, the kernel's TCP counters say when one is needed (as in the extension's sampler worker).
  let wake: (() => void) | null = null;
  let changed = false;
  /** Segment counters moved since the last read of every namespace began. */
  let segments = false;
  /** The next read is one the probes asked for (it reads only the namespaces whose counters moved). */
  let byChangeRead = false;
  let lastFullRead = 0;
  const watcher = changeWatcherFor(sampler, {
    change: () => {
      changed = true;
      wake?.();
    },
    segments: () => (segments = true),
  });
  watcher?.start(PROBE_PERIOD_MS.full);
  const probing = () => watcher?.isAvailable === true;
  const budget = new ReadBudget();
  let reads = 0;
  if (!options.json) io.stdout(`${WATCH_HEADER}\n`);
  while (!stop) {
    let sample: ScopedSample;
    try {
      // As the worker does (src/sampling/samplerWorker.ts): a read the probes asked for reads again only the
      // namespaces whose counters moved, unless a heartbeat is owed (segments moved and the interval passed).
      const onlyMoved = watcher !== null && byChangeRead && !(segments && Date.now() - lastFullRead >= options.intervalMs);
      const quiet = watcher?.quietSinceBaseline() ?? new Set<string>();
      watcher?.baseline();
      changed = false;
      let reread = onlyMoved ? namespacesToReread(sampler.namespacesRead().map((n) => n.key), quiet) : undefined;
      if (reread !== undefined && reread.size === 0) reread = undefined;
      if (reread === undefined) {
        segments = false;
        lastFullRead = Date.now();
      }
      sample = await sampler.sample({ scope, reread });
      watcher?.setNamespaces(sampler.namespacesRead().map((n) => ({ key: n.key, own: n.own, netDir: n.own ? '/proc/self/net' : `/proc/${n.pid}/net` })));
    } catch (e) {
      if (!(e instanceof SamplerError)) throw e;
      // One failed sample (a hung or broken ss, a busy machine) does not end the watch: say so and retry, backing off.
      failures++;
      const retryMs = Math.min(WATCH_RETRY_MAX_MS, WATCH_RETRY_MIN_MS * 2 ** Math.min(10, failures - 1));
      io.stderr(`tcp-states: sample failed: ${escapeControls(e.message)} (${e.code}); retrying in ${(retryMs / 1000).toFixed(0)} s\n`);
      await Promise.race([new Promise((r) => setTimeout(r, retryMs)), io.stopped]);
      continue;
    }
    if (failures > 0) io.stderr(`tcp-states: sampling works again after ${failures} failed ${failures === 1 ? 'sample' : 'samples'}\n`);
    failures = 0;
    const sockets = filterContainers(filterPorts(sample.sockets, options.ports), options.containers);
    const events = tracker.update({ takenAt: sample.takenAt, sockets });
    for (const e of events) {
      // The first sample only establishes what exists: its "opened" events are not transitions.
      if (first && e.kind === 'opened') continue;
      for (const l of watchLines(e, (id) => tracker.get(id))) io.stdout(options.json ? `${JSON.stringify(l)}\n` : `${formatWatchLine(l)}\n`);
    }
    first = false;
    // The first read lists every process's fds (cold caches): it says nothing of what reads cost.
    if (reads++ > 0) budget.spend(Date.now(), sample.cpuMs);
    // The next read: when the counters move (as soon as the budget allows), else after the interval if a segment
    // moved meanwhile (without one, nothing changed that the counters would not show); every second at most where
    // the counters cannot be read.
    const interval = probing() ? options.intervalMs : Math.min(options.intervalMs, PERIODIC_INTERVAL_MS);
    let timer: ReturnType<typeof setTimeout> | undefined;
    let woke = false;
    await Promise.race([
      new Promise<void>((resolve) => {
        let byChange = false;
        const until = (ms: number) => {
          if (timer !== undefined) clearTimeout(timer);
          timer = setTimeout(() => {
            if (!byChange && !changed && !segments && probing()) until(interval);
            else resolve();
          }, Math.max(0, ms));
        };
        // The heartbeat counts from the last read of every namespace: reads of some only do not put it off.
        until(lastFullRead + interval - Date.now());
        const onChange = () => {
          byChange = true;
          woke = true;
          until(budget.delayMs(Date.now(), sample.cpuMs));
        };
        wake = onChange;
        if (changed) onChange();
      }),
      io.stopped,
    ]);
    wake = null;
    byChangeRead = woke;
    if (timer !== undefined) clearTimeout(timer);
  }
  watcher?.close();
  return 0;
}

/** Runs the CLI; resolves with the exit status. */
export async function main(argv: readonly string[], io: Io): Promise<number> {
  let options: CliOptions;
  try {
    options = parseCli(argv);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    io.stderr(`tcp-states: ${e.message}\n\n${USAGE}`);
    return 2;
  }
  if (options.command === 'help') {
    io.stdout(USAGE);
    return 0;
  }
  // Container names come from the engine's socket; one that does not answer costs nothing but the labels.
  const containers = new ContainerRegistry();
  const sampler = (io.platform ?? systemPlatform)(options, containers);
  try {
    if (options.command === 'watch') return await watch(options, sampler, io);
    const sample = await sampler.sample({ scope: scopeFor(options, io.cwd) });
    io.stdout(renderSnapshot(sample, options, io.host));
    return 0;
  } catch (e) {
    if (e instanceof SamplerError) {
      io.stderr(`tcp-states: ${escapeControls(e.message)} (${e.code})\n`);
      return 1;
    }
    throw e;
  } finally {
    // Its events stream would keep the process alive.
    containers.dispose();
  }
}

// Runs as a program only as the dist/cli.js bundle: test bundles that include this module are main modules too.
if (require.main === module && /(^|[\\/])cli\.js$/.test(__filename)) {
  // `tcp-states watch | head`: a closed pipe ends the program quietly.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(0);
    throw e;
  });
  // SIGINT/SIGTERM end the program at once, whatever it waits on (a hung ss), and the process groups of the
  // programs it runs with it: they are in groups of their own, which the terminal's signal does not reach.
  const stopped = new Promise<void>((resolve) => {
    const end = (code: number) => {
      killGroupsNow(liveGroups());
      resolve();
      process.exit(code);
    };
    process.once('SIGINT', () => end(130));
    process.once('SIGTERM', () => end(143));
  });
  main(process.argv.slice(2), {
    stdout: (t) => process.stdout.write(t),
    stderr: (t) => process.stderr.write(t),
    cwd: process.cwd(),
    host: hostname(),
    stopped,
  }).then(
    (code) => {
      process.exitCode = code;
      // Signal listeners would keep the process alive after a snapshot.
      process.removeAllListeners('SIGINT');
      process.removeAllListeners('SIGTERM');
    },
    (e: unknown) => {
      process.stderr.write(`tcp-states: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
      process.exitCode = 1;
    },
  );
}
