// The records that flow from the sampler through the tracker to every view, the CLI and the webview.
// Pure types and constants: no I/O, no `vscode`, safe to import from the webview bundle.
import { TCP_STATES } from './states';

/** The eleven connection states of RFC 9293 section 3.3.2, under the RFC's own names. */
export type TcpState =
  | 'CLOSED'
  | 'LISTEN'
  | 'SYN-SENT'
  | 'SYN-RECEIVED'
  | 'ESTABLISHED'
  | 'FIN-WAIT-1'
  | 'FIN-WAIT-2'
  | 'CLOSE-WAIT'
  | 'CLOSING'
  | 'LAST-ACK'
  | 'TIME-WAIT';

export type AddressFamily = 'ipv4' | 'ipv6';

export interface Endpoint {
  /** Textual address: dotted quad, or RFC 5952 IPv6 without brackets (`::1`, `::ffff:127.0.0.1`, `fe80::1%eth0`). `*` never appears: the wildcard is `0.0.0.0` or `::`. */
  address: string;
  port: number;
}

/** The kernel timer running on a socket, as `/proc/net/tcp` `tr` and `ss -o` `timer:(...)` report it. */
export type TimerKind = 'retransmit' | 'keepalive' | 'timewait' | 'persist' | 'probe';

export interface SocketTimer {
  kind: TimerKind;
  /** Milliseconds until the timer fires (0 when already due). */
  remainingMs: number;
  /** Retransmits or probes so far, where the source reports it. */
  retransmits: number;
}

export interface Owner {
  pid: number;
  /** Short command name (`/proc/<pid>/comm`; the process table's name on other systems). */
  command: string;
  /**
   * How the owner was found when the socket itself has no file to read it from: 'listener' for a server's socket
   * without a file (TIME-WAIT, a request socket, one waiting to be accept()ed) on a port the process listens on.
   * Absent when the process holds the socket's file (or held it, for the same 4-tuple).
   */
  via?: 'listener';
  /**
   * True when `pid` is only the last process that used the socket (macOS netstat's so_last_pid), not one known to
   * hold it: a socket passed to another process, or used on its behalf, names the user. Absent where owners are the
   * holders (Linux's /proc/<pid>/fd, lsof, Windows' owning pid).
   */
  lastUser?: boolean;
}

/**
 * The container a socket's network namespace belongs to, as the container engine names it (Docker, Podman): what
 * views, snapshots and the CLI show on its sockets. One object per container while its details stay the same.
 */
export interface ContainerLabel {
  /** The full id (64 hex digits); views show its first 12, as `docker ps` does. */
  id: string;
  /** Without the leading '/'. */
  name: string;
  /** The image as the user named it (`busybox:latest`). */
  image: string;
  composeProject: string | null;
  composeService: string | null;
}

/** One row of the kernel's TCP socket table, whichever backend read it. */
export interface SocketRecord {
  state: TcpState;
  family: AddressFamily;
  local: Endpoint;
  remote: Endpoint;
  /** Socket inode; 0 for sockets without a file (TIME-WAIT, request sockets, orphans). */
  inode: number;
  uid: number;
  /** Bytes queued to read (LISTEN rows: the current accept queue). */
  recvQ: number;
  /** Bytes queued to send (LISTEN rows: the backlog). */
  sendQ: number;
  timer: SocketTimer | null;
  /** Processes holding the socket open (several after fork), or last seen holding this 4-tuple; empty when unknown. */
  owners: Owner[];
  /**
   * The network namespace the row was read from, when it is not the reader's own: `net:[<inode>]` (as
   * /proc/<pid>/ns/net reads), or `net-tcp:<inode>` when the namespace is known only by its table's inode (another
   * user's processes). Absent for the reader's own namespace, which holds most sockets. Part of a socket's
   * identity: two namespaces can each have 127.0.0.1:8080.
   */
  netns?: string;
  /** The container whose network namespace this is, when a container engine told us. */
  container?: ContainerLabel;
}

export type BackendName = 'proc' | 'ss';

/**
 * How a sample's table was read: Linux's backends, macOS `netstat -anvl` (with lsof for the workspace's owners),
 * Windows' GetExtendedTcpTable or `netstat -ano` (src/sampling/platforms/).
 */
export type SampleBackend = BackendName | 'netstat' | 'GetExtendedTcpTable';

/** What the user may pick: a backend, or 'auto' (/proc when it can be read, else ss). */
export type BackendSetting = 'auto' | BackendName;

/** A process as read from /proc/<pid> (on macOS and Windows, from their process tables: src/sampling/platforms/). */
export interface ProcessInfo {
  pid: number;
  ppid: number;
  /** `/proc/<pid>/comm`. */
  command: string;
  /** `/proc/<pid>/cmdline` split on NUL; empty for kernel threads or when unreadable. */
  commandLine: string[];
  /** `/proc/<pid>/cwd`, or null when unreadable (another user's process). */
  cwd: string | null;
  /**
   * Field 22 of /proc/<pid>/stat (clock ticks after boot): with pid, identifies a process across pid reuse. Other
   * systems give their own unit (macOS: seconds since the epoch; Windows: ms since the epoch): compare, never subtract.
   */
  startTime: number;
  /** -1 when unknown (Windows has no uids). */
  uid: number;
}

/** One reading of the socket table. */
export interface Sample {
  /** Wall-clock time (ms since the epoch) when the reading was taken. */
  takenAt: number;
  backend: SampleBackend;
  sockets: SocketRecord[];
  /** Lines that could not be parsed and were skipped. */
  skippedLines: number;
  /** Wall time and CPU time the sample cost, in ms. */
  durationMs: number;
  cpuMs: number;
}

/** Identity of a connection: family + 4-tuple + the first nonzero inode seen for it. */
export type ConnectionId = string;

export type ConnectionRole = 'client' | 'server' | 'listener';

export interface HistoryEntry {
  state: TcpState;
  /** ms since the epoch when the connection entered the state (for an observed entry: the sample that first saw it). */
  since: number;
  /** ms since the epoch when it left, or null while current. */
  until: number | null;
  /** True when no sample saw this state: filled in along the diagram's most likely path. */
  inferred: boolean;
  /**
   * Whether a sample saw the state begin (to within one sampling gap). False for the states of a connection that
   * already existed when sampling started (its `since` is when it was first seen: it may be much older) and for
   * inferred entries before a first sighting; time in such a state is a lower bound, and no duration is claimed.
   */
  startSeen: boolean;
}

export interface Connection {
  id: ConnectionId;
  family: AddressFamily;
  local: Endpoint;
  remote: Endpoint;
  inode: number;
  role: ConnectionRole;
  owner: Owner | null;
  state: TcpState;
  /** Oldest first; the last entry is the current state. Capped in length (oldest entries dropped). */
  history: HistoryEntry[];
  openedAt: number;
  /** Set when the connection left the socket table (its state is then CLOSED). */
  closedAt: number | null;
  recvQ: number;
  sendQ: number;
  timer: SocketTimer | null;
  /** As SocketRecord.netns: absent in the reader's own network namespace. */
  netns?: string;
  /** As SocketRecord.container. */
  container?: ContainerLabel;
}

/** One edge of the state diagram that a connection took (or, when `inferred`, most likely took between two samples). */
export interface PathHop {
  from: TcpState;
  to: TcpState;
  inferred: boolean;
}

/** Which sockets a sample keeps: the whole machine, or the workspace's process trees (roots and folders). */
export type SampleScope = { mode: 'all' } | { mode: 'workspace'; rootPids: number[]; folders: string[] };

/** What the tracker reports for one sample. */
export type TrackerEvent =
  /**
   * A connection seen for the first time. Its history starts with inferred entries along the diagram's most likely
   * way to the state it was seen in (a client from CLOSED through SYN-SENT, a server's connection from LISTEN
   * through SYN-RECEIVED), then the observed state.
   */
  | { kind: 'opened'; at: number; connection: Connection }
  | {
      kind: 'changed';
      at: number;
      id: ConnectionId;
      from: TcpState;
      to: TcpState;
      /** Every hop from `from` to `to`, in order; hops not seen by a sample are marked inferred. */
      path: PathHop[];
      /** ms spent in `from`, when a sample saw it begin; null when it was already in `from` when first seen. */
      msInFrom: number | null;
    }
  | {
      kind: 'closed';
      at: number;
      id: ConnectionId;
      from: TcpState;
      /** True when the way to CLOSED was not seen (it left the table from a state that does not end by itself). */
      inferred: boolean;
      /** The hops from `from` to CLOSED: the states between are inferred; the last hop is inferred when `inferred` is. */
      path: PathHop[];
    };

export type StateCounts = Record<TcpState, number>;

export function emptyCounts(): StateCounts {
  const counts = {} as StateCounts;
  for (const s of TCP_STATES) counts[s] = 0;
  return counts;
}

/** `address:port`, with IPv6 addresses in brackets as URLs and `ss` print them. */
export function formatEndpoint(e: Endpoint): string {
  return e.address.includes(':') ? `[${e.address}]:${e.port}` : `${e.address}:${e.port}`;
}

/** Which sockets a sample keeps. */
export type ScopeMode = 'workspace' | 'all';

/** A sample narrowed to a scope, with the processes the views need (owners and scope members). */
export interface ScopedSample extends Sample {
  scope: ScopeMode;
  /** Pids in the scope (workspace mode: roots, their descendants, and loopback peers' owners); empty in 'all' mode. */
  scopePids: number[];
  /** Processes that own a socket of this sample or belong to the scope. */
  processes: ProcessInfo[];
  /** Sockets in the whole table before scoping (every namespace read). */
  totalSockets: number;
  /** The reader's own network namespace (`net:[<inode>]`), which the rows without `netns` are in; null when unknown. */
  netns: string | null;
  /** The network namespaces whose tables this sample read, the reader's own first. */
  namespaces: NetNamespaceSummary[];
  /** Whether container labels could be had, and why not. */
  containers: ContainerEngineStatus;
}

/**
 * A network namespace a sample read: what views group by, and what the sampling loop keeps a change probe for
 * (one per namespace, reading /proc/<pid>/net/ of the process given).
 */
export interface NetNamespaceSummary {
  /** As SocketRecord.netns; for the own namespace its `net:[<inode>]` ('' where /proc/self/ns/net cannot be read). */
  key: string;
  own: boolean;
  /** The process its table was read through (/proc/<pid>/net/tcp{,6}); null for the own namespace (/proc/net, or ss). */
  pid: number | null;
  /** Rows its table held. */
  sockets: number;
  /** Its rows are the last reading's, kept: its counters had not moved (SampleRequest.reread). */
  kept?: true;
  container?: ContainerLabel;
}

/**
 * The container engine as the sampler sees it. `ok`: labels are current. `off`: not asked (nothing needs it, or the
 * caller turned it off). `starting`: the first answer has not come yet. Otherwise the engine's error code: no
 * engine at the socket, permission denied on it, no answer in time, or an answer we could not read.
 */
export interface ContainerEngineStatus {
  state: 'ok' | 'off' | 'starting' | 'no-engine' | 'permission' | 'timeout' | 'bad-response';
  /** The engine's unix socket, when one is configured. */
  socketPath: string | null;
  /** Running containers the engine listed. */
  containers: number;
  /** English detail for the log; null when ok. */
  message: string | null;
}

export type InsightKind = 'close-wait-leak' | 'time-wait-storm' | 'syn-sent-stuck' | 'accept-queue-full' | 'open-after-exit';

/** A pattern worth telling the developer about, found by a pure function over the tracker's state. */
export interface Insight {
  kind: InsightKind;
  /** Stable across samples while the same pattern holds (kind + process or endpoint). */
  key: string;
  connectionIds: ConnectionId[];
  pid: number | null;
  command: string | null;
  endpoint: Endpoint | null;
  /**
   * Which end of the connections `endpoint` is: 'local' (a listener, a server port) or 'remote' (the destination
   * a client keeps connecting to, for a client's TIME-WAIT storm). Absent means 'local'.
   */
  endpointSide?: 'local' | 'remote';
  /** How many sockets show the pattern. */
  count: number;
  /** Age of the oldest socket in the pattern, ms, where time matters (CLOSE-WAIT, SYN-SENT). */
  oldestMs: number | null;
  /** The threshold that was crossed (seconds or a count, per kind), to show in the message. */
  threshold: number;
}

/** What changed in the host's model after one sample: enough for a view to update without re-reading everything. */
export interface ModelUpdate {
  at: number;
  events: TrackerEvent[];
  /** Connections opened or changed (state, owner, queues) by this sample: full current records. */
  changed: Connection[];
  /** Connections dropped from the model (closed and past retention). */
  removed: ConnectionId[];
  counts: StateCounts;
  insights: Insight[];
  /**
   * True when the model was rebuilt from scratch (first sample, scope mode switched, backend or sampler restarted):
   * `changed` then holds every connection, `removed` every one that is gone, and `events` is empty. Views redraw
   * instead of animating.
   */
  reset?: boolean;
}
