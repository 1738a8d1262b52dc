// The host's live model of the scope's connections, as the views see it. Implemented by src/model/model.ts
// (sampler worker + tracker); consumed by the tree, status bar, diagram, hover and snapshot commands.
import type * as vscode from 'vscode';
import type { Connection, ConnectionId, Insight, ModelUpdate, ProcessInfo, SampleBackend, ScopeMode, ScopedSample, StateCounts } from '../domain/types';

export interface ModelStatus {
  backend: SampleBackend | null;
  /**
   * The system the sampler worker reads (its platform's id: 'linux', 'darwin', 'win32', or another process.platform
   * value it has no backend for), null until the worker says.
   */
  platform: string | null;
  scope: ScopeMode;
  paused: boolean;
  /** A user-facing (localized) description of why sampling does not work, or null. */
  error: string | null;
  lastSampleAt: number | null;
  /** The longest time between two reads now (the heartbeat, or the period without change probes; after back-off), ms. */
  intervalMs: number;
  /** How the sampler reads: on change (and how often it checks) or periodically, and whether the CPU budget holds it back. */
  loop: LoopStatus | null;
}

import type { DemandLevel, LoopStatus, ProcessCheck } from '../sampling/workerProtocol';
import type { ProcessIdentity } from '../sampling/platforms/platform';

export type { DemandLevel, LoopStatus, ProcessCheck };

export interface TcpModelApi {
  /** Fires after every sample that changed anything. */
  readonly onDidUpdate: vscode.Event<ModelUpdate>;
  /** Fires when status() changes (backend picked, scope, pause, error). */
  readonly onDidChangeStatus: vscode.Event<ModelStatus>;
  status(): ModelStatus;
  /** Live connections in scope plus recently closed ones (state CLOSED, closedAt set). */
  connections(): readonly Connection[];
  connection(id: ConnectionId): Connection | undefined;
  counts(): StateCounts;
  insights(): readonly Insight[];
  process(pid: number): ProcessInfo | undefined;
  setScope(mode: ScopeMode): Promise<void>;
  pause(): void;
  resume(): void;
  /** Keep sampling at this level while the returned disposable lives (views call it while visible). */
  demand(level: DemandLevel): vscode.Disposable;
  /**
   * Take one sample now, outside the loop (snapshot commands); it also updates the model. With a scope: one look at
   * that scope ("who uses port X" on the whole machine) that leaves the model and the views' scope as they are.
   */
  sampleNow(scope?: ScopeMode): Promise<ScopedSample>;
  /** Add a root process to the workspace scope (debug sessions, tasks, terminals) until disposed. */
  addRoot(pid: number, reason: string): vscode.Disposable;
  /** Pids whose process tree was a debuggee and has exited (for the open-after-exit insight). */
  markExited(pid: number): void;
  /**
   * Whether a process belongs to the workspace scope (a debug session's, task's or terminal's tree, carried trees,
   * or a workspace folder), by the sampler's own rules, read fresh; the answer holds the start time it saw.
   */
  checkProcess(pid: number): Promise<ProcessCheck>;
  /**
   * One process read now by the sampler worker through its platform (Linux: /proc; macOS: ps; Windows: its process
   * list), null when there is none: the stop command's identity checks, which the host does not read for itself.
   */
  readProcess(pid: number): Promise<ProcessIdentity | null>;
}
