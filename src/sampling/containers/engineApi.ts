// A small Docker Engine API client: Node's own http over the engine's unix socket, three calls (list, inspect,
// events), each answer checked against the shape we read before it is used. Podman serves the same API on its
// socket (`podman system service`), so the client works with either.
//
// API version. The client asks the engine first (`GET /_ping`, unversioned on every engine, answers with an
// `Api-Version` header) and then calls `/v<that version>/...`. No single pinned version works everywhere:
// Debian 12's Docker 20.10 serves at most 1.41 and answers `/v1.44/...` with 400 "client version 1.44 is too new"
// (checked against dockerd 20.10.24), while Docker 29 serves at least 1.44 and answers `/v1.41/...` with 400
// "client version 1.41 is too old". Unversioned paths use the engine's own version too, but Docker documents
// them as deprecated, to be removed. Using the engine's version means fields can come and go with it, which is
// why every answer is validated and only fields that have been stable since API 1.24 (the oldest any supported
// engine still serves) are read: Id, Names, Image, Labels, State; Name, State.Pid, Config.Labels/Image; and the
// events' Type, Action, Actor.ID, Actor.Attributes (not the old status/id/from, which API 1.52 dropped).
import { request, type ClientRequest, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';

export type EngineErrorCode = 'no-engine' | 'permission' | 'timeout' | 'bad-response';

/** Why an engine call failed. `message` is English and says what happened; hosts localize by `code`. */
export class EngineError extends Error {
  override readonly name = 'EngineError';
  constructor(
    readonly code: EngineErrorCode,
    message: string,
    /** What the user can do about it (permission: join the docker group). */
    readonly hint?: string,
    /** The HTTP status when the engine answered with one that is not success. */
    readonly status?: number,
  ) {
    super(message);
  }
}

/** A container as `GET /containers/json` lists it (running containers only). */
export interface EngineContainer {
  id: string;
  /** Each with a leading '/'; a container linked under other names lists those as '/other/alias'. */
  names: string[];
  /** The image as the user named it (`busybox:latest`), or its id when that name no longer points to it. */
  image: string;
  labels: Record<string, string>;
  /** created, running, paused, restarting, removing, exited, dead. */
  state: string;
}

/** The part of `GET /containers/{id}/json` we read. */
export interface EngineContainerDetails {
  id: string;
  /** With a leading '/'. */
  name: string;
  /** The container's init process as the host sees it; 0 when it is not running. */
  pid: number;
  running: boolean;
  /** Config.Image: the image as the user named it. */
  image: string;
  labels: Record<string, string>;
}

/** One `start` or `die` of a container, from `GET /events`. */
export interface EngineEvent {
  action: string;
  id: string;
  /** Actor.Attributes: the container's name and image, its labels, and for `die` its exitCode. */
  attributes: Record<string, string>;
  /** Nanoseconds since the epoch, when the engine gave it. */
  timeNano: number | null;
}

export interface Disposable {
  dispose(): void;
}

export interface EngineClientOptions {
  /** Default: DOCKER_HOST when it is unix://PATH, else /var/run/docker.sock. */
  socketPath?: string;
  /** Per call (list, inspect, _ping), and for the events stream until its headers arrive. Default 5000 ms. */
  timeoutMs?: number;
  /** Largest response body read; larger ones fail with bad-response. Default 8 MiB. */
  maxBodyBytes?: number;
  /** Largest single event line on the events stream. Default 256 KiB. */
  maxEventBytes?: number;
  /** Skip the /_ping negotiation: call /v<apiVersion>/..., or unversioned paths when null. */
  apiVersion?: string | null;
}

export const DEFAULT_SOCKET = '/var/run/docker.sock';
const PERMISSION_HINT = 'add your user to the docker group (sudo usermod -aG docker $USER), then log in again';
/** Oldest API version whose answers carry every field we read (State in /containers/json came with 1.23). */
const MIN_MINOR = 24;
const EVENTS_FILTER = JSON.stringify({ type: ['container'], event: ['start', 'die'] });

/** The engine's socket from the environment: DOCKER_HOST=unix://PATH, else the default; other schemes are refused. */
export function socketPathFromEnv(env: Readonly<Record<string, string | undefined>> = process.env): string | EngineError {
  const host = env.DOCKER_HOST?.trim();
  if (!host) return DEFAULT_SOCKET;
  if (host.startsWith('unix://')) return host.slice('unix://'.length) || DEFAULT_SOCKET;
  return new EngineError('no-engine', `DOCKER_HOST is ${host}: only unix:// sockets are supported (the container's processes must be on this machine)`);
}

// ---- run-time shape checks: JSON.parse gives `unknown`, and nothing is used before it is checked ----

class ShapeError extends Error {}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function obj(v: unknown, where: string): Record<string, unknown> {
  if (!isObject(v)) throw new ShapeError(`${where} is not an object`);
  return v;
}

function str(o: Record<string, unknown>, key: string, where: string): string {
  const v = o[key];
  if (typeof v !== 'string') throw new ShapeError(`${where}.${key} is not a string`);
  return v;
}

function int(o: Record<string, unknown>, key: string, where: string): number {
  const v = o[key];
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw new ShapeError(`${where}.${key} is not an integer`);
  return v;
}

/** A string-to-string map; absent or null (engines send null for "no labels") is an empty one. */
function strMap(v: unknown, where: string): Record<string, string> {
  if (v === undefined || v === null) return {};
  const o = obj(v, where);
  const out: Record<string, string> = {};
  for (const [k, x] of Object.entries(o)) {
    if (typeof x !== 'string') throw new ShapeError(`${where}[${JSON.stringify(k)}] is not a string`);
    out[k] = x;
  }
  return out;
}

/** A container id: 64 lowercase hex digits (Docker and Podman alike). */
function containerId(o: Record<string, unknown>, key: string, where: string): string {
  const id = str(o, key, where);
  if (!/^[0-9a-f]{64}$/.test(id)) throw new ShapeError(`${where}.${key} is not a container id: ${JSON.stringify(id.slice(0, 80))}`);
  return id;
}

export function parseContainerList(v: unknown): EngineContainer[] {
  if (!Array.isArray(v)) throw new ShapeError('the container list is not an array');
  return v.map((item, i) => {
    const where = `containers[${i}]`;
    const o = obj(item, where);
    const names = o.Names;
    if (!Array.isArray(names) || !names.every((n): n is string => typeof n === 'string')) throw new ShapeError(`${where}.Names is not a list of strings`);
    return { id: containerId(o, 'Id', where), names, image: str(o, 'Image', where), labels: strMap(o.Labels, `${where}.Labels`), state: str(o, 'State', where) };
  });
}

export function parseContainerDetails(v: unknown): EngineContainerDetails {
  const o = obj(v, 'container');
  const state = obj(o.State, 'container.State');
  const config = obj(o.Config, 'container.Config');
  const running = state.Running;
  if (typeof running !== 'boolean') throw new ShapeError('container.State.Running is not a boolean');
  return {
    id: containerId(o, 'Id', 'container'),
    name: str(o, 'Name', 'container'),
    pid: int(state, 'Pid', 'container.State'),
    running,
    image: str(config, 'Image', 'container.Config'),
    labels: strMap(config.Labels, 'container.Config.Labels'),
  };
}

export function parseEvent(v: unknown): EngineEvent {
  const o = obj(v, 'event');
  const actor = obj(o.Actor, 'event.Actor');
  const t = o.timeNano;
  return {
    action: str(o, 'Action', 'event'),
    id: containerId(actor, 'ID', 'event.Actor'),
    attributes: strMap(actor.Attributes, 'event.Actor.Attributes'),
    timeNano: typeof t === 'number' && Number.isFinite(t) ? t : null,
  };
}

// ---- the client ----

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export class EngineClient {
  readonly socketPath: string;
  private readonly socketError: EngineError | null;
  private readonly timeoutMs: number;
  private readonly maxBodyBytes: number;
  private readonly maxEventBytes: number;
  private readonly fixedVersion: string | null | undefined;
  private negotiated: Promise<string> | undefined;

  constructor(opts: EngineClientOptions = {}) {
    const resolved = opts.socketPath ?? socketPathFromEnv();
    this.socketPath = typeof resolved === 'string' ? resolved : '';
    this.socketError = typeof resolved === 'string' ? null : resolved;
    this.timeoutMs = opts.timeoutMs ?? 5000;
    this.maxBodyBytes = opts.maxBodyBytes ?? 8 * 1024 * 1024;
    this.maxEventBytes = opts.maxEventBytes ?? 256 * 1024;
    this.fixedVersion = opts.apiVersion;
  }

  /** The API version in use: the engine's own (from /_ping) unless fixed by the options; '' for unversioned paths. */
  apiVersion(): Promise<string> {
    if (this.fixedVersion !== undefined) return Promise.resolve(this.fixedVersion ?? '');
    if (this.negotiated) return this.negotiated;
    const p = this.get('/_ping').then((a) => {
      if (a.status !== 200) throw new EngineError('bad-response', `GET /_ping answered ${a.status}: ${engineMessage(a.body)}`, undefined, a.status);
      const header = a.headers['api-version'];
      const v = Array.isArray(header) ? header[0] : header;
      // An engine that names no version gets unversioned paths: whatever it speaks, checked answer by answer.
      if (v === undefined) return '';
      const m = /^1\.(\d+)$/.exec(v.trim());
      if (!m) throw new EngineError('bad-response', `the engine's API version is ${JSON.stringify(v)}, not 1.N`);
      if (Number(m[1]) < MIN_MINOR) throw new EngineError('bad-response', `the engine speaks API ${v}; 1.${MIN_MINOR} or later is needed`);
      return `1.${Number(m[1])}`;
    });
    this.negotiated = p;
    // A failed negotiation is not remembered: the engine may be started later.
    p.catch(() => {
      if (this.negotiated === p) this.negotiated = undefined;
    });
    return p;
  }

  /** The running containers. */
  async listContainers(): Promise<EngineContainer[]> {
    const a = await this.get(`${await this.prefix()}/containers/json`);
    return checked(a, 'GET /containers/json', parseContainerList);
  }

  /** One container's details; undefined when the engine no longer knows it (removed since it was listed). */
  async inspect(id: string): Promise<EngineContainerDetails | undefined> {
    if (!/^[0-9a-zA-Z_.-]+$/.test(id)) throw new EngineError('bad-response', `not a container id or name: ${JSON.stringify(id)}`);
    const a = await this.get(`${await this.prefix()}/containers/${id}/json`);
    if (a.status === 404) return undefined;
    return checked(a, `GET /containers/${id}/json`, parseContainerDetails);
  }

  /**
   * Streams container start and die events to onEvent until disposed. onEnd is called once, when the stream
   * ends without dispose(): with null when the engine closed it (it stopped, say), else with the error.
   */
  events(onEvent: (e: EngineEvent) => void, onEnd?: (error: EngineError | null) => void): Disposable {
    let disposed = false;
    let ended = false;
    let req: ClientRequest | undefined;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const end = (error: EngineError | null): void => {
      clearTimeout(timer);
      req?.destroy();
      if (disposed || ended) return;
      ended = true;
      onEnd?.(error);
    };
    const ready = this.socketError ? Promise.reject(this.socketError) : this.prefix();
    ready.then(
      (prefix) => {
        if (disposed) return;
        const path = `${prefix}/events?filters=${encodeURIComponent(EVENTS_FILTER)}`;
        timer = setTimeout(() => end(new EngineError('timeout', `GET /events: no answer from ${this.socketPath} within ${this.timeoutMs} ms`)), this.timeoutMs);
        req = this.open(path, (res) => {
          clearTimeout(timer);
          if (res.statusCode !== 200) {
            readBounded(res, 64 * 1024).then((body) => end(new EngineError('bad-response', `GET /events answered ${res.statusCode}: ${engineMessage(body)}`, undefined, res.statusCode)), () => end(new EngineError('bad-response', `GET /events answered ${res.statusCode}`, undefined, res.statusCode)));
            return;
          }
          // Newline-delimited JSON (the engine writes each event with a JSON encoder, which ends it with '\n'). A
          // raw newline cannot occur inside a JSON text, so splitting on it is exact; setEncoding keeps a UTF-8
          // character that is split across two chunks whole.
          res.setEncoding('utf8');
          let pending = '';
          res.on('data', (chunk: string) => {
            if (disposed || ended) return;
            pending += chunk;
            let nl: number;
            while ((nl = pending.indexOf('\n')) >= 0) {
              const line = pending.slice(0, nl).trim();
              pending = pending.slice(nl + 1);
              if (!line) continue;
              let event: EngineEvent;
              try {
                event = parseEvent(JSON.parse(line));
              } catch (e) {
                end(new EngineError('bad-response', `GET /events: ${e instanceof Error ? e.message : String(e)} in ${JSON.stringify(line.slice(0, 120))}`));
                return;
              }
              onEvent(event);
              if (disposed || ended) return;
            }
            if (Buffer.byteLength(pending) > this.maxEventBytes) end(new EngineError('bad-response', `GET /events: an event longer than ${this.maxEventBytes} bytes`));
          });
          res.on('end', () => end(null));
          res.on('error', (e) => end(errorOf(e, this.socketPath)));
          // A connection cut without an end or an error (end() reports only the first of the three).
          res.on('close', () => end(null));
        });
        req.on('error', (e) => end(errorOf(e, this.socketPath)));
      },
      (e: unknown) => end(e instanceof EngineError ? e : new EngineError('bad-response', String(e))),
    );
    return {
      dispose: () => {
        disposed = true;
        clearTimeout(timer);
        req?.destroy();
      },
    };
  }

  private async prefix(): Promise<string> {
    const v = await this.apiVersion();
    return v ? `/v${v}` : '';
  }

  private open(path: string, onResponse: (res: IncomingMessage) => void): ClientRequest {
    // Without a socket path http.request would connect to TCP localhost:80 instead.
    if (!this.socketPath) throw new Error('EngineClient: no socket path');
    // agent: false, one connection per call: nothing pooled keeps the process alive or outlives a dispose().
    const req = request({ socketPath: this.socketPath, path, method: 'GET', agent: false, headers: { Accept: 'application/json' } }, onResponse);
    req.end();
    return req;
  }

  /** One GET: the whole body (at most maxBodyBytes), within timeoutMs. */
  private get(path: string): Promise<Answer> {
    if (this.socketError) return Promise.reject(this.socketError);
    return new Promise((resolve, reject) => {
      let done = false;
      const fail = (e: EngineError): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        req.destroy();
        reject(e);
      };
      const timer = setTimeout(() => fail(new EngineError('timeout', `GET ${path}: no answer from ${this.socketPath} within ${this.timeoutMs} ms`)), this.timeoutMs);
      const req = this.open(path, (res) => {
        const tooBig = (): EngineError => new EngineError('bad-response', `GET ${path}: the answer is larger than ${this.maxBodyBytes} bytes`);
        const declared = Number(res.headers['content-length']);
        if (declared > this.maxBodyBytes) return fail(tooBig());
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > this.maxBodyBytes) fail(tooBig());
          else chunks.push(c);
        });
        res.on('end', () => {
          if (done) return;
          done = true;
          clearTimeout(timer);
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) });
        });
        res.on('error', (e) => fail(errorOf(e, this.socketPath)));
      });
      req.on('error', (e) => fail(errorOf(e, this.socketPath)));
    });
  }
}

/** The error of a failed connection or transfer, by errno. */
function errorOf(e: NodeJS.ErrnoException, socketPath: string): EngineError {
  switch (e.code) {
    case 'ENOENT':
    case 'ECONNREFUSED':
      return new EngineError('no-engine', `no container engine at ${socketPath} (${e.code}): Docker or Podman is not running, or uses another socket (DOCKER_HOST)`);
    case 'EACCES':
    case 'EPERM':
      return new EngineError('permission', `not allowed to connect to ${socketPath} (${e.code})`, PERMISSION_HINT);
    default:
      return new EngineError('bad-response', `${socketPath}: ${e.code ?? ''} ${e.message}`.trim());
  }
}

/** The engine's error text: its JSON `{"message": ...}`, else the start of the body. */
function engineMessage(body: Buffer): string {
  const text = body.toString('utf8');
  try {
    const v: unknown = JSON.parse(text);
    if (isObject(v) && typeof v.message === 'string') return v.message;
  } catch {
    // not JSON
  }
  return JSON.stringify(text.slice(0, 200));
}

/** Parses and checks a 200 answer; any other status, bad JSON or a wrong shape is a bad-response. */
function checked<T>(a: Answer, what: string, parse: (v: unknown) => T): T {
  if (a.status !== 200) throw new EngineError('bad-response', `${what} answered ${a.status}: ${engineMessage(a.body)}`, undefined, a.status);
  let v: unknown;
  try {
    v = JSON.parse(a.body.toString('utf8'));
  } catch (e) {
    throw new EngineError('bad-response', `${what}: not JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  try {
    return parse(v);
  } catch (e) {
    if (e instanceof ShapeError) throw new EngineError('bad-response', `${what}: ${e.message}`);
    throw e;
  }
}

function readBounded(res: IncomingMessage, max: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    res.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= max) chunks.push(c);
    });
    res.on('end', () => resolve(Buffer.concat(chunks)));
    res.on('error', reject);
  });
}
