// The running containers, kept current in the background for the sampler: one list and one inspect per container
// when it starts (the list does not carry the init pid), then the engine's start/die events, and a slow re-list in
// case an event was missed (the stream is re-opened after the engine restarts, and events between the two are
// lost). No command is spawned and nothing is asked per sample: the sampler reads what this holds.
//
// Failures are states, not exceptions: no engine at the socket, permission denied on it, no answer, an answer we
// cannot read. Each is retried, backing off, and the containers known before are forgotten (an engine that is gone
// took its containers with it; one we may not ask gives us nothing to trust).
import { EngineClient, EngineError, socketPathFromEnv, type EngineClientOptions, type EngineEvent } from './engineApi';
import { containerInfoFromDetails, type ContainerInfo } from './containerInfo';
import type { ContainerEngineStatus, ContainerLabel } from '../../domain/types';

export interface ContainerRegistryOptions {
  /** The engine's unix socket; default DOCKER_HOST (unix://PATH), else /var/run/docker.sock. */
  socketPath?: string;
  /** Per call, ms (EngineClientOptions.timeoutMs). Default 5000. */
  timeoutMs?: number;
  /** The whole list is asked again this often while the events stream runs, ms. Default 60 s. */
  resyncMs?: number;
  /** After a failure the engine is asked again after this long, doubling per failure in a row, ms. Default 2 s. */
  retryMs?: number;
  /** The longest wait between two tries, ms. Default 60 s. */
  maxRetryMs?: number;
  /** Client options for tests (apiVersion). */
  client?: Omit<EngineClientOptions, 'socketPath' | 'timeoutMs'>;
}

/** A running container and the label its sockets get. */
export interface KnownContainer {
  info: ContainerInfo;
  label: ContainerLabel;
}

export class ContainerRegistry {
  private readonly client: EngineClient | null;
  private readonly socketPath: string | null;
  private readonly resyncMs: number;
  private readonly retryMs: number;
  private readonly maxRetryMs: number;
  private readonly known = new Map<string, KnownContainer>();
  private current: ContainerEngineStatus;
  private started = false;
  private disposed = false;
  private failures = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private stream: { dispose(): void } | null = null;
  /** Bumped by each sync and each (re)connection: an answer for an older one is dropped. */
  private generation = 0;
  private firstAnswer: Promise<void>;
  private resolveFirst!: () => void;
  /** Containers whose inspect is in flight after a start event (a die may arrive before it answers). */
  private readonly pendingStart = new Set<string>();
  private readonly changeListeners = new Set<() => void>();

  constructor(options: ContainerRegistryOptions = {}) {
    const resolved = options.socketPath ?? socketPathFromEnv();
    this.firstAnswer = new Promise((r) => (this.resolveFirst = r));
    this.resyncMs = options.resyncMs ?? 60_000;
    this.retryMs = options.retryMs ?? 2000;
    this.maxRetryMs = options.maxRetryMs ?? 60_000;
    if (typeof resolved === 'string') {
      this.socketPath = resolved;
      this.client = new EngineClient({ ...options.client, socketPath: resolved, timeoutMs: options.timeoutMs ?? 5000 });
      this.current = { state: 'starting', socketPath: resolved, containers: 0, message: null };
    } else {
      // DOCKER_HOST names something other than a unix socket (tcp://, ssh://): its containers' processes are not
      // on this machine, so there is nothing to label.
      this.socketPath = null;
      this.client = null;
      this.current = { state: 'no-engine', socketPath: null, containers: 0, message: resolved.message };
      this.resolveFirst();
    }
  }

  /** Starts asking the engine (once); later calls do nothing. */
  start(): void {
    if (this.started || this.disposed || this.client === null) return;
    this.started = true;
    this.connect();
  }

  /** Resolves once the engine first answered (or failed), or after `waitMs`, whichever is first. Starts if needed. */
  async ready(waitMs: number): Promise<void> {
    this.start();
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([this.firstAnswer, new Promise<void>((r) => (timer = setTimeout(r, waitMs)))]);
    clearTimeout(timer);
  }

  status(): ContainerEngineStatus {
    return { ...this.current, containers: this.known.size };
  }

  /** The running containers with a known init pid, by name. */
  containers(): KnownContainer[] {
    return [...this.known.values()].sort((a, b) => (a.info.name < b.info.name ? -1 : a.info.name > b.info.name ? 1 : 0));
  }

  /** Called after the set of containers or the engine's state changed (tests wait on it). */
  onDidChange(listener: () => void): { dispose(): void } {
    this.changeListeners.add(listener);
    return { dispose: () => this.changeListeners.delete(listener) };
  }

  dispose(): void {
    this.disposed = true;
    clearTimeout(this.timer);
    this.stream?.dispose();
    this.stream = null;
    this.known.clear();
    this.changeListeners.clear();
    this.resolveFirst();
  }

  private changed(): void {
    for (const l of [...this.changeListeners]) l();
  }

  /** Opens the events stream first, then lists: a container started in between is in one or the other. */
  private connect(): void {
    if (this.disposed || this.client === null) return;
    const gen = ++this.generation;
    this.stream?.dispose();
    this.stream = this.client.events(
      (e) => this.onEvent(e, gen),
      (error) => {
        if (gen !== this.generation || this.disposed) return;
        // The stream ended: the engine stopped or restarted, or refused us. Try again (list and stream) later.
        this.stream = null;
        this.fail(error ?? new EngineError('no-engine', `the engine at ${this.socketPath} closed its events stream`));
      },
    );
    void this.sync(gen);
  }

  /** Lists the running containers and inspects those not known yet (for their init pid). */
  private async sync(gen: number): Promise<void> {
    const client = this.client;
    if (client === null) return;
    try {
      const list = await client.listContainers();
      if (gen !== this.generation || this.disposed) return;
      const running = list.filter((c) => c.state === 'running');
      const ids = new Set(running.map((c) => c.id));
      let changed = false;
      for (const id of [...this.known.keys()]) {
        if (!ids.has(id)) {
          this.known.delete(id);
          changed = true;
        }
      }
      for (const c of running) {
        if (this.known.has(c.id)) continue;
        if (await this.inspectInto(c.id, gen)) changed = true;
        if (gen !== this.generation || this.disposed) return;
      }
      const wasOk = this.current.state === 'ok';
      this.current = { state: 'ok', socketPath: this.socketPath, containers: this.known.size, message: null };
      this.failures = 0;
      this.resolveFirst();
      if (changed || !wasOk) this.changed();
      this.schedule(this.resyncMs, () => void this.sync(this.generation));
    } catch (e) {
      if (gen !== this.generation || this.disposed) return;
      this.fail(e instanceof EngineError ? e : new EngineError('bad-response', e instanceof Error ? e.message : String(e)));
    }
  }

  /** Inspects one container and keeps it if it runs; whether anything changed. */
  private async inspectInto(id: string, gen: number): Promise<boolean> {
    const client = this.client;
    if (client === null) return false;
    const details = await client.inspect(id);
    if (gen !== this.generation || this.disposed) return false;
    if (details === undefined || !details.running || details.pid <= 0) return this.known.delete(id);
    const info = containerInfoFromDetails(details);
    const before = this.known.get(id);
    if (before !== undefined && sameInfo(before.info, info)) return false;
    this.known.set(id, { info, label: labelOf(info) });
    return true;
  }

  private onEvent(e: EngineEvent, gen: number): void {
    if (gen !== this.generation || this.disposed) return;
    if (e.action === 'die') {
      this.pendingStart.delete(e.id);
      if (this.known.delete(e.id)) this.changed();
      return;
    }
    if (e.action !== 'start') return;
    this.pendingStart.add(e.id);
    this.inspectInto(e.id, gen).then(
      (changed) => {
        // A die that came while the inspect was asked wins: the container is gone.
        if (!this.pendingStart.delete(e.id)) {
          if (this.known.delete(e.id)) this.changed();
          return;
        }
        if (changed) this.changed();
      },
      (error: unknown) => {
        this.pendingStart.delete(e.id);
        if (gen === this.generation && !this.disposed) this.fail(error instanceof EngineError ? error : new EngineError('bad-response', String(error)));
      },
    );
  }

  private fail(error: EngineError): void {
    this.generation++;
    this.stream?.dispose();
    this.stream = null;
    this.known.clear();
    this.pendingStart.clear();
    const before = this.current;
    this.current = { state: error.code, socketPath: this.socketPath, containers: 0, message: error.hint ? `${error.message}: ${error.hint}` : error.message };
    this.failures++;
    this.resolveFirst();
    if (before.state !== this.current.state || before.message !== this.current.message) this.changed();
    const wait = Math.min(this.maxRetryMs, this.retryMs * 2 ** Math.min(10, this.failures - 1));
    this.schedule(wait, () => this.connect());
  }

  private schedule(ms: number, run: () => void): void {
    clearTimeout(this.timer);
    if (this.disposed) return;
    this.timer = setTimeout(run, ms);
    // Waiting for the next try must not keep a process (the CLI) alive.
    this.timer.unref?.();
  }
}

function sameInfo(a: ContainerInfo, b: ContainerInfo): boolean {
  return a.id === b.id && a.name === b.name && a.image === b.image && a.pid === b.pid && a.composeProject === b.composeProject && a.composeService === b.composeService && a.composeWorkingDir === b.composeWorkingDir && a.devContainerLocalFolder === b.devContainerLocalFolder;
}

export function labelOf(info: ContainerInfo): ContainerLabel {
  return { id: info.id, name: info.name, image: info.image, composeProject: info.composeProject, composeService: info.composeService };
}
