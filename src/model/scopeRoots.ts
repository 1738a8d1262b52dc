// The roots of the workspace scope: processes the developer started from this window. The sampler widens each root
// to its descendants (and their loopback peers); processes whose cwd is inside a workspace folder join on their own.
//   - debug sessions: the DAP `process` event's `systemProcessId` (debugpy and most adapters); for VS Code's
//     JavaScript debugger, which sends no `process` event, the pid in the child session's name (`srv.js [15861]`);
//     failing both, the debug adapter process this extension host started for the session (its children are the
//     debuggee);
//   - tasks: `onDidStartTaskProcess` until `onDidEndTaskProcess`;
//   - integrated terminals: `terminal.processId` (the shell) while the terminal is open.
import { promises as fs } from 'node:fs';
import * as vscode from 'vscode';

/** What the collector needs from the model (TcpModelApi's addRoot and markExited). */
export interface RootSink {
  addRoot(pid: number, reason: string): vscode.Disposable;
  markExited(pid: number): void;
}

/** Debug types of VS Code's built-in JavaScript debugger (js-debug): they name child sessions `<name> [<pid>]`. */
const JS_DEBUG_TYPES: ReadonlySet<string> = new Set(['pwa-node', 'node', 'node-terminal', 'pwa-extensionHost', 'extensionHost']);

/**
 * js-debug names a child session after the debuggee and its pid, then (VS Code 1.100, checked here) the parent
 * session's name after a `«`: `srv.js [15861]` or `debuggee.cjs [16899] « Launch Program`. Processes the debuggee
 * forks get child sessions of their own (`srv.cjs [16956] « ...`).
 */
const SESSION_PID = /\[(\d+)\](?=\s*(?:«|$))/;

/** How long a session may run without naming its process before its adapter's processes stand in for it. */
const ADAPTER_FALLBACK_MS = 3000;

/** After a debug session ends, how long to wait for its debuggee to go (adapters kill it as they disconnect). */
const EXIT_WAIT_MS = 5000;
const EXIT_POLL_MS = 250;

export function workspaceFolderPaths(): string[] {
  return (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === 'file').map((f) => f.uri.fsPath);
}

/** The pid in a js-debug child session's name, or null. */
export function pidFromSessionName(name: string): number | null {
  const m = SESSION_PID.exec(name);
  if (!m) return null;
  const pid = Number(m[1]);
  return Number.isSafeInteger(pid) && pid > 0 ? pid : null;
}

/** False once the process is gone or a zombie (exited, not yet reaped): /proc/<pid>/stat field 3 is the state. */
export async function isRunning(pid: number): Promise<boolean> {
  try {
    const stat = await fs.readFile(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X' && state !== 'x';
  } catch {
    return false;
  }
}

/** Direct children of a process, from /proc/<pid>/task/<tid>/children (one file per thread, Linux >= 3.5). */
export async function childrenOf(pid: number): Promise<number[]> {
  let tids: string[];
  try {
    tids = await fs.readdir(`/proc/${pid}/task`);
  } catch {
    return [];
  }
  const out = new Set<number>();
  await Promise.all(
    tids.map(async (tid) => {
      try {
        const text = await fs.readFile(`/proc/${pid}/task/${tid}/children`, 'utf8');
        for (const word of text.split(/\s+/)) if (word) out.add(Number(word));
      } catch {
        // The thread ended while we read: it has no children to add.
      }
    }),
  );
  return [...out];
}

interface SessionRoots {
  session: vscode.DebugSession;
  roots: Map<number, vscode.Disposable>;
  /** This extension host's children when the session started: a new child afterwards is its debug adapter. */
  childrenAtStart: Promise<Set<number>>;
  fallback: ReturnType<typeof setTimeout> | undefined;
}

export class WorkspaceRootCollector implements vscode.Disposable {
  private readonly disposables: vscode.Disposable[] = [];
  private readonly sessions = new Map<string, SessionRoots>();
  private readonly terminals = new Map<vscode.Terminal, vscode.Disposable>();
  private readonly tasks = new Map<vscode.TaskExecution, vscode.Disposable>();
  private readonly exitWaits = new Set<ReturnType<typeof setTimeout>>();
  private disposed = false;

  constructor(
    private readonly sink: RootSink,
    private readonly log: vscode.LogOutputChannel,
  ) {
    this.disposables.push(
      vscode.debug.registerDebugAdapterTrackerFactory('*', {
        // VS Code asks for trackers before it starts an executable adapter (ExtHostDebugService.$startDASession),
        // so the children this host has at this point do not yet include the session's adapter.
        createDebugAdapterTracker: async (session) => {
          await this.sessionRoots(session).childrenAtStart;
          return { onDidSendMessage: (message: unknown) => this.onAdapterMessage(session, message) };
        },
      }),
      vscode.debug.onDidStartDebugSession((s) => this.onSessionStart(s)),
      vscode.debug.onDidTerminateDebugSession((s) => this.onSessionEnd(s)),
      vscode.tasks.onDidStartTaskProcess((e) => this.onTaskStart(e)),
      vscode.tasks.onDidEndTaskProcess((e) => this.onTaskEnd(e.execution)),
      vscode.window.onDidOpenTerminal((t) => this.onTerminalOpen(t)),
      vscode.window.onDidCloseTerminal((t) => this.onTerminalClose(t)),
    );
    for (const t of vscode.window.terminals) this.onTerminalOpen(t);
    if (vscode.debug.activeDebugSession) this.onSessionStart(vscode.debug.activeDebugSession);
  }

  private sessionRoots(session: vscode.DebugSession): SessionRoots {
    let entry = this.sessions.get(session.id);
    if (!entry) {
      entry = { session, roots: new Map(), childrenAtStart: childrenOf(process.pid).then((c) => new Set(c)), fallback: undefined };
      this.sessions.set(session.id, entry);
    }
    return entry;
  }

  private addSessionRoot(session: vscode.DebugSession, pid: number, how: string): void {
    if (this.disposed) return;
    const entry = this.sessionRoots(session);
    if (entry.roots.has(pid)) return;
    entry.roots.set(pid, this.sink.addRoot(pid, `debug session '${session.name}' (${session.type}, ${how})`));
    if (entry.fallback !== undefined) {
      clearTimeout(entry.fallback);
      entry.fallback = undefined;
    }
  }

  private onAdapterMessage(session: vscode.DebugSession, message: unknown): void {
    // DAP `process` event (Debug Adapter Protocol specification): body.systemProcessId is optional.
    if (typeof message !== 'object' || message === null) return;
    const m = message as { type?: unknown; event?: unknown; body?: { systemProcessId?: unknown } };
    if (m.type !== 'event' || m.event !== 'process') return;
    const pid = m.body?.systemProcessId;
    if (typeof pid === 'number' && Number.isSafeInteger(pid) && pid > 0) this.addSessionRoot(session, pid, 'process event');
  }

  private onSessionStart(session: vscode.DebugSession): void {
    if (this.sessions.has(session.id) && this.sessions.get(session.id)?.roots.size) return;
    const entry = this.sessionRoots(session);
    const named = pidFromSessionName(session.name);
    if (named !== null && JS_DEBUG_TYPES.has(session.type)) {
      this.addSessionRoot(session, named, 'pid in session name');
      return;
    }
    // js-debug's parent session has no process of its own: its child session carries the pid.
    if (JS_DEBUG_TYPES.has(session.type)) return;
    entry.fallback = setTimeout(() => {
      entry.fallback = undefined;
      void this.adapterFallback(entry);
    }, ADAPTER_FALLBACK_MS);
  }

  private async adapterFallback(entry: SessionRoots): Promise<void> {
    if (entry.roots.size > 0 || this.disposed || !this.sessions.has(entry.session.id)) return;
    const before = await entry.childrenAtStart;
    const now = await childrenOf(process.pid);
    const adapters = now.filter((pid) => !before.has(pid));
    if (adapters.length === 0) {
      this.log.info(`debug session '${entry.session.name}' (${entry.session.type}) named no process and started no adapter process here; its debuggee joins the scope only through the working-folder rule`);
      return;
    }
    for (const pid of adapters) this.addSessionRoot(entry.session, pid, 'debug adapter process');
  }

  private onSessionEnd(session: vscode.DebugSession): void {
    const entry = this.sessions.get(session.id);
    if (!entry) return;
    this.sessions.delete(session.id);
    if (entry.fallback !== undefined) clearTimeout(entry.fallback);
    for (const [pid, root] of entry.roots) this.awaitExit(pid, root, Date.now());
  }

  /**
   * A session's end does not always end its debuggee (an attach session detaches). Only a process that is gone
   * within a few seconds counts as exited (for the open-after-exit insight); one that lives on simply stops being a
   * root.
   */
  private awaitExit(pid: number, root: vscode.Disposable, since: number): void {
    void isRunning(pid).then((running) => {
      if (this.disposed) return;
      if (!running) {
        this.sink.markExited(pid);
        root.dispose();
      } else if (Date.now() - since >= EXIT_WAIT_MS) {
        this.log.info(`debuggee ${pid} still runs after its debug session ended; it leaves the scope`);
        root.dispose();
      } else {
        const timer = setTimeout(() => {
          this.exitWaits.delete(timer);
          this.awaitExit(pid, root, since);
        }, EXIT_POLL_MS);
        this.exitWaits.add(timer);
      }
    });
  }

  private onTaskStart(e: vscode.TaskProcessStartEvent): void {
    if (this.disposed) return;
    this.tasks.get(e.execution)?.dispose();
    this.tasks.set(e.execution, this.sink.addRoot(e.processId, `task '${e.execution.task.name}'`));
  }

  private onTaskEnd(execution: vscode.TaskExecution): void {
    this.tasks.get(execution)?.dispose();
    this.tasks.delete(execution);
  }

  private onTerminalOpen(terminal: vscode.Terminal): void {
    void Promise.resolve(terminal.processId).then((pid) => {
      // The terminal may have closed while its pid was on the way.
      if (this.disposed || pid === undefined || !vscode.window.terminals.includes(terminal) || this.terminals.has(terminal)) return;
      this.terminals.set(terminal, this.sink.addRoot(pid, `terminal '${terminal.name}'`));
    });
  }

  private onTerminalClose(terminal: vscode.Terminal): void {
    this.terminals.get(terminal)?.dispose();
    this.terminals.delete(terminal);
  }

  dispose(): void {
    this.disposed = true;
    for (const d of this.disposables) d.dispose();
    for (const timer of this.exitWaits) clearTimeout(timer);
    this.exitWaits.clear();
    for (const entry of this.sessions.values()) {
      if (entry.fallback !== undefined) clearTimeout(entry.fallback);
      for (const root of entry.roots.values()) root.dispose();
    }
    this.sessions.clear();
    for (const root of this.terminals.values()) root.dispose();
    this.terminals.clear();
    for (const root of this.tasks.values()) root.dispose();
    this.tasks.clear();
  }
}
