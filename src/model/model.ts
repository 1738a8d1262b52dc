// The host's live model (TcpModelApi): a mirror of the sampler worker's connections, kept current from the deltas
// the worker posts, plus the scope's roots, the settings, demand, pause, and telling the user about errors once.
import { join } from 'node:path';
import * as vscode from 'vscode';
import { currentSettings, readSetting, updateSetting, watchSettings } from '../platform/config';
import { setContext } from '../platform/commands';
import { settingId } from '../contributions';
import type { Settings } from '../platform/config';
import { ModelMirror } from '../domain/modelDelta';
import { emptyCounts } from '../domain/types';
import { ErrorReports } from '../domain/errorReports';
import type { Connection, ConnectionId, Insight, ModelUpdate, ProcessInfo, SampleScope, ScopeMode, ScopedSample, StateCounts } from '../domain/types';
import type { DemandLevel, LoopStatus, ModelStatus, ProcessCheck, TcpModelApi } from './modelApi';
import { SampleFailure, SamplerHost } from '../sampling/samplerHost';
import { WorkspaceRootCollector, workspaceFolderPaths } from './scopeRoots';
import { ContainerHintReporter } from './containerHint';
import type { SampledMessage, SampleError, SampleErrorCode, WorkerSettings } from '../sampling/workerProtocol';
import type { ProcessIdentity } from '../sampling/platforms/platform';

/**
 * What createTcpModel needs from the extension context (tests build a second model from the installed extension).
 * With `workspaceState`, the connections' lifecycles outlive a window reload.
 */
export type ModelContext = Pick<vscode.ExtensionContext, 'extensionUri' | 'extension'> & { workspaceState?: vscode.Memento };

/** Workspace memento key of the lifecycles kept across a window reload. */
const LIFECYCLES_KEY = 'tcpStateViewer.lifecycles';
/** Kept lifecycles older than this are not continued (the table has moved on: ids and ages would mislead). */
const LIFECYCLES_MAX_AGE_MS = 10 * 60_000;
/** At most this many connections are kept (listeners first, then the oldest live ones, then closed ones). */
const LIFECYCLES_MAX = 400;
/** How often changed lifecycles are written (and once more on dispose). */
const LIFECYCLES_SAVE_MS = 10_000;

interface KeptLifecycles {
  savedAt: number;
  connections: Connection[];
}

/** The loop's way of reading, as the UI words it (the read counters are not news). */
function sameLoop(a: LoopStatus | null, b: LoopStatus | null): boolean {
  if (a === null || b === null) return a === b;
  return a.changeDriven === b.changeDriven && a.probePeriodMs === b.probePeriodMs && a.heartbeatMs === b.heartbeatMs && a.stretched === b.stretched && (a.throttledMs === null) === (b.throttledMs === null);
}

function isKeptLifecycles(v: unknown): v is KeptLifecycles {
  return typeof v === 'object' && v !== null && typeof (v as KeptLifecycles).savedAt === 'number' && Array.isArray((v as KeptLifecycles).connections);
}

/** The connections worth keeping across a reload, bounded: listeners, then the oldest live ones, then closed ones. */
function lifecyclesToKeep(connections: readonly Connection[]): Connection[] {
  const rank = (c: Connection): number => (c.closedAt !== null ? 2 : c.state === 'LISTEN' ? 0 : 1);
  return [...connections].sort((a, b) => rank(a) - rank(b) || a.openedAt - b.openedAt).slice(0, LIFECYCLES_MAX);
}

/** What the last sample cost, for the log and the tests. */
export interface SamplerDiagnostics {
  /** Kernel thread id of the worker thread that answered (gone after dispose). */
  workerTid: number | null;
  /** CPU the sample cost off the main thread (SampleStats.costMs). */
  costMs: number | null;
  /** Main-thread time to apply the delta to the mirror and notify every onDidUpdate listener, ms. */
  hostMs: number | null;
  /** Connections the delta carried. */
  changed: number;
  /** The container-labels hint shown this session (once per kind), or null. */
  containerHint: string | null;
}

export interface TcpModel extends TcpModelApi, vscode.Disposable {
  /** Stops sampling and ends the worker thread; resolves once the thread has exited. */
  dispose(): Promise<void>;
  diagnostics(): SamplerDiagnostics;
}

export function createTcpModel(context: ModelContext, log: vscode.LogOutputChannel): TcpModel {
  return new Model(context, log);
}

function workerSettings(s: Settings): WorkerSettings {
  return {
    backend: s.backend,
    ssPath: s.ssPath,
    tracker: { closedRetentionMs: s.closedRetentionSeconds * 1000, maxClosed: s.maxClosedConnections },
    insights: { closeWaitSeconds: s.closeWaitSeconds, timeWaitPerEndpoint: s.timeWaitPerEndpoint, synSentSeconds: s.synSentSeconds },
  };
}

/** The user-facing text for a failed sample: one message per kind, localized. */
function describeError(error: SampleError, settings: Settings): string {
  switch (error.code) {
    case 'unsupported-platform':
      return vscode.l10n.t('TCP State Viewer reads the socket tables of Linux, macOS and Windows; this operating system is not supported. Use it in a Linux workspace (a container, SSH or a dev container).');
    case 'no-proc':
      return vscode.l10n.t('/proc cannot be read, so the socket table cannot be sampled. Mount /proc, or install iproute2 and set "{0}" to "ss".', settingId('backend'));
    case 'permission':
      return vscode.l10n.t('Permission denied while reading the socket table: {0}', error.message);
    case 'ss-missing':
      return vscode.l10n.t('The ss executable was not found at "{0}". Install iproute2, set "{1}", or set "{2}" to "proc".', settings.ssPath, settingId('ssPath'), settingId('backend'));
    case 'ss-failed':
      return vscode.l10n.t('ss failed: {0}', error.message);
    case 'unparsable':
      return vscode.l10n.t('The socket table could not be read: {0} The view shows the last good sample.', error.message);
    case 'tool-missing':
      return vscode.l10n.t('A program needed to read the socket table was not found: {0}', error.message);
    case 'tool-failed':
      return vscode.l10n.t('A program reading the socket table failed: {0}', error.message);
    case 'timeout':
      return vscode.l10n.t('Sampling the socket table took longer than {0} s; the sampler was restarted.', Math.round((error.timeoutMs ?? 0) / 1000));
    case 'worker-crashed':
      return vscode.l10n.t('The socket sampler stopped unexpectedly ({0}); it was restarted.', error.message);
    case 'internal':
      return vscode.l10n.t('Sampling the socket table failed: {0}', error.message);
  }
}

function backendDescription(message: SampledMessage, settings: Settings): string {
  switch (message.stats.backend) {
    case 'proc':
      return 'sampling with /proc/net/tcp and /proc/net/tcp6 (in-process)';
    case 'ss':
      return `sampling with ss (${settings.ssPath})`;
    case 'netstat':
      return 'sampling with netstat';
    case 'GetExtendedTcpTable':
      return 'sampling with GetExtendedTcpTable (iphlpapi.dll, through koffi)';
  }
}

class Model implements TcpModel {
  private readonly updateEmitter = new vscode.EventEmitter<ModelUpdate>();
  private readonly statusEmitter = new vscode.EventEmitter<ModelStatus>();
  readonly onDidUpdate = this.updateEmitter.event;
  readonly onDidChangeStatus = this.statusEmitter.event;

  private readonly mirror = new ModelMirror(emptyCounts());
  private readonly disposables: vscode.Disposable[] = [];
  /** pid -> (token -> reason): a pid stays a root while any of its registrations lives. */
  private readonly roots = new Map<number, Map<number, string>>();
  private readonly demands = new Map<number, DemandLevel>();
  private readonly reportedErrors = new ErrorReports<SampleErrorCode>();
  private nextToken = 1;
  private settings: Settings;
  private scopeMode: ScopeMode;
  private current: ModelStatus;
  private readonly host: SamplerHost;
  /** Connections kept by the window before a reload, until the first worker takes them. */
  private restored: Connection[] | null = null;
  private lifecyclesDirty = false;
  private disposed: Promise<void> | null = null;
  private lastDiagnostics: SamplerDiagnostics = { workerTid: null, costMs: null, hostMs: null, changed: 0, containerHint: null };
  private readonly containerHint: ContainerHintReporter;

  constructor(
    private readonly context: ModelContext,
    private readonly log: vscode.LogOutputChannel,
  ) {
    this.settings = currentSettings();
    this.containerHint = new ContainerHintReporter(log);
    this.scopeMode = this.settings.scope;
    this.current = { backend: null, platform: null, scope: this.scopeMode, paused: false, error: null, lastSampleAt: null, intervalMs: this.settings.sampleIntervalMs, loop: null };
    this.host = new SamplerHost({
      workerPath: join(context.extensionUri.fsPath, 'dist', 'samplerWorker.js'),
      settings: workerSettings(this.settings),
      intervalMs: this.settings.sampleIntervalMs,
      scope: () => this.workerScope(),
      onSampled: (message) => this.onSampled(message),
      onFailed: (error) => this.onFailed(error),
      seed: () => this.seedForWorker(),
      onLoopChanged: () => this.updateStatus({}),
      onChunk: (changed) => this.mirror.stage(changed),
      onPlatform: (notice) => {
        this.log.info(`platform: ${notice.id} (${notice.support}): ${notice.description}`);
        // The commands its readings allow (package.json when clauses).
        setContext('tcpInfo', notice.capabilities.tcpInfo);
        setContext('ssCommands', notice.capabilities.ssCommands);
        this.updateStatus({ platform: notice.id });
      },
    });
    const kept = context.workspaceState?.get<unknown>(LIFECYCLES_KEY);
    if (isKeptLifecycles(kept) && Date.now() - kept.savedAt < LIFECYCLES_MAX_AGE_MS) this.restored = kept.connections;
    if (context.workspaceState) {
      const timer = setInterval(() => void this.saveLifecycles(), LIFECYCLES_SAVE_MS);
      this.disposables.push(new vscode.Disposable(() => clearInterval(timer)));
    }
    this.setContextKeys();
    this.disposables.push(
      this.updateEmitter,
      this.statusEmitter,
      watchSettings((settings, changed) => this.onSettings(settings, changed)),
      vscode.workspace.onDidChangeWorkspaceFolders(() => this.host.poke()),
      new WorkspaceRootCollector(this, log),
    );
  }

  /** Runs at startup (everything marked changed; each step is a no-op for what the constructor set) and on each change. */
  private onSettings(settings: Settings, changed: ReadonlySet<keyof Settings>): void {
    this.settings = settings;
    if (changed.has('sampleIntervalMs')) this.host.setIntervalMs(settings.sampleIntervalMs);
    if (changed.has('backend') || changed.has('ssPath')) {
      // The user changed how sampling is done: a problem that comes back is news again.
      this.reportedErrors.clear();
    }
    const forWorker: (keyof Settings)[] = ['backend', 'ssPath', 'closedRetentionSeconds', 'maxClosedConnections', 'closeWaitSeconds', 'timeWaitPerEndpoint', 'synSentSeconds'];
    if (forWorker.some((k) => changed.has(k))) this.host.configure(workerSettings(settings));
    if (changed.has('scope')) this.applyScope(settings.scope);
    this.updateStatus({});
  }

  private workerScope(): SampleScope {
    return this.scopeMode === 'all' ? { mode: 'all' } : this.workspaceScope();
  }

  /** The workspace scope, whatever the views show. */
  private workspaceScope(): Extract<SampleScope, { mode: 'workspace' }> {
    return { mode: 'workspace', rootPids: [...this.roots.keys()], folders: workspaceFolderPaths() };
  }

  async checkProcess(pid: number): Promise<ProcessCheck> {
    try {
      return await this.host.checkProcess(pid, this.workspaceScope());
    } catch (e) {
      if (e instanceof SampleFailure) throw new Error(describeError(e.error, this.settings));
      throw e;
    }
  }

  async readProcess(pid: number): Promise<ProcessIdentity | null> {
    try {
      return await this.host.readProcess(pid);
    } catch (e) {
      if (e instanceof SampleFailure) throw new Error(describeError(e.error, this.settings));
      throw e;
    }
  }

  private applyScope(mode: ScopeMode): void {
    if (mode === this.scopeMode) return;
    this.scopeMode = mode;
    this.log.info(`scope: ${mode}`);
    this.setContextKeys();
    this.updateStatus({});
    this.host.poke();
  }

  private setContextKeys(): void {
    setContext('scope', this.scopeMode);
    setContext('paused', this.current.paused);
  }

  /**
   * What a new worker continues: the mirror, when a worker ran before (it was replaced), else what the last window
   * kept before a reload (once).
   */
  private seedForWorker(): readonly Connection[] {
    if (this.mirror.size > 0) return this.mirror.connections();
    const restored = this.restored ?? [];
    this.restored = null;
    if (restored.length > 0) this.log.info(`continuing ${restored.length} connections from before the reload`);
    return restored;
  }

  /** Writes the lifecycles when they changed since the last write. */
  private saveLifecycles(): Thenable<void> | undefined {
    const memento = this.context.workspaceState;
    if (!memento || !this.lifecyclesDirty) return undefined;
    this.lifecyclesDirty = false;
    const kept: KeptLifecycles = { savedAt: Date.now(), connections: lifecyclesToKeep(this.mirror.connections()) };
    return memento.update(LIFECYCLES_KEY, kept);
  }

  private onSampled(message: SampledMessage): void {
    const started = performance.now();
    const backendBefore = this.current.backend;
    if (message.stats.backend !== backendBefore) this.log.info(backendDescription(message, this.settings));
    const update = this.mirror.apply(message.update, message.processes);
    if (this.current.error !== null) this.log.info('sampling works again');
    // An error that comes back after this is news again.
    this.reportedErrors.recovered();
    this.log.trace(
      `sample: ${message.stats.scopedSockets}/${message.stats.totalSockets} sockets, read ${message.stats.sampleMs.toFixed(1)} ms (cpu ${message.stats.sampleCpuMs.toFixed(1)} ms), track ${message.stats.trackMs.toFixed(1)} ms, ${update ? `${update.changed.length} changed, ${update.removed.length} removed` : 'no change'}`,
    );
    this.updateStatus({ backend: message.stats.backend, lastSampleAt: message.stats.takenAt, error: null });
    if (update !== null) {
      this.lifecyclesDirty = true;
      this.updateEmitter.fire(update);
    }
    this.containerHint.observe(message.stats);
    this.lastDiagnostics = { workerTid: message.stats.workerTid, costMs: message.stats.costMs, hostMs: performance.now() - started, changed: update?.changed.length ?? 0, containerHint: this.containerHint.shown };
  }

  diagnostics(): SamplerDiagnostics {
    return { ...this.lastDiagnostics };
  }

  private onFailed(error: SampleError): void {
    this.mirror.discardStaged();
    const text = describeError(error, this.settings);
    this.updateStatus({ error: text });
    if (!this.reportedErrors.shouldReport(error.code)) {
      this.log.debug(`sample failed again (${error.code}): ${error.message}`);
      return;
    }
    this.log.error(`sample failed (${error.code}): ${error.message}`);
    const showLog = vscode.l10n.t('Show Log');
    const openSettings = vscode.l10n.t('Open Settings');
    void vscode.window.showErrorMessage(text, showLog, openSettings).then((choice) => {
      if (choice === showLog) this.log.show(true);
      else if (choice === openSettings) void vscode.commands.executeCommand('workbench.action.openSettings', `@ext:${this.context.extension.id}`);
    });
  }

  /** Updates the status record; fires when a field other than the last sample's time changed. */
  private updateStatus(patch: Partial<ModelStatus>): void {
    const before = this.current;
    const next: ModelStatus = { ...before, ...patch, scope: this.scopeMode, intervalMs: this.host.intervalMs, loop: this.host.loop };
    this.current = next;
    const changed =
      before.scope !== next.scope ||
      before.paused !== next.paused ||
      before.backend !== next.backend ||
      before.platform !== next.platform ||
      before.error !== next.error ||
      before.intervalMs !== next.intervalMs ||
      !sameLoop(before.loop, next.loop);
    if (changed && this.disposed === null) this.statusEmitter.fire(next);
  }

  status(): ModelStatus {
    return { ...this.current, intervalMs: this.host.intervalMs, loop: this.host.loop };
  }

  connections(): readonly Connection[] {
    return this.mirror.connections();
  }

  connection(id: ConnectionId): Connection | undefined {
    return this.mirror.connection(id);
  }

  counts(): StateCounts {
    return this.mirror.counts();
  }

  insights(): readonly Insight[] {
    return this.mirror.insights();
  }

  process(pid: number): ProcessInfo | undefined {
    return this.mirror.process(pid);
  }

  async setScope(mode: ScopeMode): Promise<void> {
    this.applyScope(mode);
    const target = vscode.workspace.workspaceFolders?.length ? vscode.ConfigurationTarget.Workspace : vscode.ConfigurationTarget.Global;
    try {
      if (readSetting('scope') !== mode) await updateSetting('scope', mode, target);
    } catch (e) {
      this.log.warn(`could not save the scope setting: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  pause(): void {
    if (this.current.paused) return;
    this.host.setPaused(true);
    this.updateStatus({ paused: true });
    this.setContextKeys();
  }

  resume(): void {
    if (!this.current.paused) return;
    this.host.setPaused(false);
    this.updateStatus({ paused: false });
    this.setContextKeys();
  }

  demand(level: DemandLevel): vscode.Disposable {
    const token = this.nextToken++;
    this.demands.set(token, level);
    this.applyDemand();
    return new vscode.Disposable(() => {
      if (this.demands.delete(token)) this.applyDemand();
    });
  }

  private applyDemand(): void {
    const levels = [...this.demands.values()];
    this.host.setDemand(levels.includes('full') ? 'full' : levels.length > 0 ? 'summary' : null);
    this.updateStatus({});
  }

  async sampleNow(scope?: ScopeMode): Promise<ScopedSample> {
    try {
      return await this.host.sampleNow(scope === undefined ? undefined : scope === 'all' ? { mode: 'all' } : this.workspaceScope());
    } catch (e) {
      // The failure was already reported (once per kind) by onFailed; the caller gets the same localized text.
      if (e instanceof SampleFailure) throw new Error(describeError(e.error, this.settings));
      throw e;
    }
  }

  addRoot(pid: number, reason: string): vscode.Disposable {
    const token = this.nextToken++;
    let reasons = this.roots.get(pid);
    if (!reasons) {
      reasons = new Map();
      this.roots.set(pid, reasons);
      this.log.debug(`scope root ${pid}: ${reason}`);
      this.host.poke();
    }
    reasons.set(token, reason);
    return new vscode.Disposable(() => {
      const r = this.roots.get(pid);
      if (!r?.delete(token) || r.size > 0) return;
      this.roots.delete(pid);
      this.log.debug(`scope root ${pid} removed`);
      this.host.poke();
    });
  }

  markExited(pid: number): void {
    this.log.debug(`debuggee ${pid} exited`);
    this.host.markExited(pid);
  }

  dispose(): Promise<void> {
    if (this.disposed === null) {
      const saved = Promise.resolve(this.saveLifecycles()).catch((e: unknown) => this.log.warn(`could not keep the connections for a reload: ${String(e)}`));
      this.disposed = Promise.all([this.host.dispose(), saved]).then(() => undefined);
      for (const d of this.disposables.splice(0)) d.dispose();
    }
    return this.disposed;
  }
}
