// Every program this extension runs (`ss` for the socket table, the listen backlogs and tcp_info) runs through
// runChild: never through a shell, in a process group of its own (spawn's `detached`), so that what it started
// goes with it. execFile's timeout signals the direct child only: an `ss` stand-in that ignores SIGTERM, or that
// waits on a child of its own, outlived the sampler and the editor. Here a timeout, a dispose, the worker's end and
// the process's exit signal the whole group: SIGTERM, then SIGKILL after a short grace.
//
// Each thread keeps a registry of the groups it started (liveGroups). Worker threads have no `process.on('exit')`
// and are ended by the host's terminate() without running any code, so the sampler worker reports its groups to
// the host as they come and go (onGroupsChanged), and the host kills them when it drops the worker.
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { isMainThread } from 'node:worker_threads';

/** Time between SIGTERM and SIGKILL for a group being stopped. */
export const KILL_GRACE_MS = 500;

export type ChildFailure = 'missing' | 'permission' | 'timeout' | 'too-much-output' | 'exit' | 'signal' | 'spawn';

export class ChildError extends Error {
  override readonly name = 'ChildError';
  constructor(
    readonly kind: ChildFailure,
    message: string,
    readonly stderr = '',
    readonly code: number | null = null,
    readonly signal: NodeJS.Signals | null = null,
  ) {
    super(message);
  }
}

export interface RunOptions {
  /** The group is stopped after this long, ms. */
  timeoutMs: number;
  /** Output (stdout) beyond this many bytes stops the group and fails the run. */
  maxBytes: number;
  encoding: BufferEncoding;
  env?: NodeJS.ProcessEnv;
  /** SIGTERM to SIGKILL, ms (default KILL_GRACE_MS). */
  graceMs?: number;
  /**
   * An exit status other than 0 that still means the output is the answer (lsof exits 1 when a pid or file it was
   * asked for has nothing to list, and says nothing on stderr then). Default: only 0.
   */
  allowExit?: (code: number, stderr: string) => boolean;
}

/** Groups started by this thread and not known to be gone, by pgid (= the leader's pid). */
const groups = new Set<number>();
/** Children runChild started in this thread so far: whoever measures their CPU reads it only when this moved. */
let childrenStarted = 0;

export function childrenStartedCount(): number {
  return childrenStarted;
}

let listener: ((pgids: readonly number[]) => void) | null = null;
let exitHook = false;

function changed(): void {
  listener?.([...groups]);
}

/** The pgids of the groups this thread started that may still have members. */
export function liveGroups(): number[] {
  return [...groups];
}

/**
 * What process.kill is given for a group: -pgid, except on Windows, which has no process groups to signal (libuv
 * answers ESRCH for a negative pid there): the leader, the child itself, is signalled, i.e. terminated
 * (TerminateProcess). The programs run on Windows (netstat, PowerShell) start no children that would outlive it.
 */
const groupTarget = (pgid: number): number => (process.platform === 'win32' ? pgid : -pgid);

/** Called with the whole list each time a group is added or known gone (the sampler worker posts it to the host). */
export function onGroupsChanged(fn: ((pgids: readonly number[]) => void) | null): void {
  listener = fn;
}

/**
 * Whether a process other than a zombie is still in the group. kill(-pgid, 0) also finds zombies (a killed member
 * whose parent has not reaped it yet, or an orphan waiting for init): those run nothing, so /proc says whether
 * anything else is left.
 */
export function groupAlive(pgid: number): boolean {
  try {
    process.kill(groupTarget(pgid), 0);
  } catch (e) {
    // EPERM: it exists but is not ours to signal (cannot happen for our own children, but it is not gone).
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
  let names: string[];
  try {
    names = readdirSync('/proc');
  } catch {
    return true;
  }
  for (const name of names) {
    const c = name.charCodeAt(0);
    if (c < 48 || c > 57) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${name}/stat`, 'latin1');
    } catch {
      continue;
    }
    // After the last ')': state, ppid, pgrp (fields 3-5).
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ', 3);
    if (Number(f[2]) === pgid && f[0] !== 'Z' && f[0] !== 'X') return true;
  }
  return false;
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(groupTarget(pgid), signal);
  } catch {
    // ESRCH: every member is gone already.
  }
}

/**
 * Stops the groups: SIGTERM now, SIGKILL after `graceMs` to what is left. Resolves once each group is gone or was
 * sent SIGKILL. Used by any thread for groups it knows of (the host for its worker's).
 */
export async function stopGroups(pgids: Iterable<number>, graceMs = KILL_GRACE_MS): Promise<void> {
  const list = [...pgids];
  if (list.length === 0) return;
  for (const g of list) signalGroup(g, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  let alive = list.filter(groupAlive);
  while (alive.length > 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 20));
    alive = alive.filter(groupAlive);
  }
  for (const g of alive) signalGroup(g, 'SIGKILL');
}

/** SIGKILL to the groups at once: for paths that cannot wait (process exit, a signal that ends the program). */
export function killGroupsNow(pgids: Iterable<number>): void {
  for (const g of pgids) signalGroup(g, 'SIGKILL');
}

/** Stops every group this thread started (SIGTERM, then SIGKILL after the grace). */
export async function stopAllChildren(graceMs = KILL_GRACE_MS): Promise<void> {
  await stopGroups(liveGroups(), graceMs);
  for (const g of [...groups]) if (!groupAlive(g)) groups.delete(g);
  changed();
}

/** On the main thread: whatever is left when the process exits is killed (a worker thread cannot hook its exit). */
function installExitHook(): void {
  if (exitHook) return;
  exitHook = true;
  if (isMainThread) process.on('exit', () => killGroupsNow(groups));
}

/**
 * Runs `file args` in a new process group and resolves with its stdout once it exited with status 0. Rejects with
 * a ChildError otherwise; whatever the outcome, nothing of the group outlives the run by more than the grace.
 */
export function runChild(file: string, args: readonly string[], options: RunOptions): Promise<string> {
  installExitHook();
  childrenStarted++;
  const grace = options.graceMs ?? KILL_GRACE_MS;
  return new Promise((resolve, reject) => {
    let child;
    try {
      child = spawn(file, [...args], { detached: true, shell: false, windowsHide: true, stdio: ['ignore', 'pipe', 'pipe'], env: options.env });
    } catch (e) {
      reject(new ChildError('spawn', `${file}: ${e instanceof Error ? e.message : String(e)}`));
      return;
    }
    const pgid = child.pid;
    const out: Buffer[] = [];
    let outBytes = 0;
    const err: Buffer[] = [];
    let errBytes = 0;
    let failure: ChildError | null = null;
    let settled = false;
    let killTimer: ReturnType<typeof setTimeout> | undefined;
    if (pgid !== undefined) {
      groups.add(pgid);
      changed();
    }

    /** SIGTERM the group, SIGKILL after the grace (unless it is gone by then). */
    const stop = (why: ChildError): void => {
      failure ??= why;
      if (pgid === undefined || killTimer !== undefined) return;
      signalGroup(pgid, 'SIGTERM');
      killTimer = setTimeout(() => signalGroup(pgid, 'SIGKILL'), grace);
      killTimer.unref?.();
    };
    const timer = setTimeout(() => stop(new ChildError('timeout', `${file} did not finish within ${options.timeoutMs} ms`)), options.timeoutMs);

    /** The leader is gone and its pipes are closed (or the spawn failed): release the group and answer. */
    const finish = (code: number | null, signal: NodeJS.Signals | null, spawnError?: NodeJS.ErrnoException): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (pgid !== undefined) {
        // Members left behind by a leader that exited (a stand-in that forked): they are ours to end.
        void stopGroups(groupAlive(pgid) ? [pgid] : [], grace).then(() => {
          if (killTimer !== undefined) clearTimeout(killTimer);
          groups.delete(pgid);
          changed();
        });
      }
      const stderr = Buffer.concat(err).toString(options.encoding);
      if (spawnError !== undefined) {
        const c = spawnError.code;
        reject(new ChildError(c === 'ENOENT' ? 'missing' : c === 'EACCES' || c === 'EPERM' ? 'permission' : 'spawn', `${file}: ${spawnError.message}`));
      } else if (failure !== null) {
        reject(failure);
      } else if (code === 0 || (code !== null && options.allowExit?.(code, stderr) === true)) {
        resolve(Buffer.concat(out).toString(options.encoding));
      } else if (code !== null) {
        reject(new ChildError('exit', `${file} exited with status ${code}`, stderr, code, null));
      } else {
        reject(new ChildError('signal', `${file} was killed by ${signal ?? 'a signal'}`, stderr, null, signal));
      }
    };

    child.stdout.on('data', (d: Buffer) => {
      outBytes += d.length;
      if (outBytes > options.maxBytes) {
        stop(new ChildError('too-much-output', `${file} printed more than ${options.maxBytes} bytes`));
        return;
      }
      out.push(d);
    });
    child.stderr.on('data', (d: Buffer) => {
      if (errBytes < 64 * 1024) err.push(d);
      errBytes += d.length;
    });
    child.once('error', (e: NodeJS.ErrnoException) => {
      // A failed spawn: no process, no 'close' with a status to wait for.
      if (pgid === undefined) finish(null, null, e);
      else stop(new ChildError('spawn', `${file}: ${e.message}`));
    });
    // 'exit' can come before the pipes are drained; a member of the group may hold them open after the leader
    // exits: stop the group then, so 'close' comes.
    child.once('exit', () => {
      if (pgid !== undefined && groupAlive(pgid)) {
        setTimeout(() => {
          if (!settled) stop(failure ?? new ChildError('signal', `${file} exited but left processes holding its output`));
        }, 100).unref?.();
      }
    });
    child.once('close', (code: number | null, signal: NodeJS.Signals | null) => finish(code, signal));
  });
}
