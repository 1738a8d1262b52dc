// Host messages made by the real ConnectionTracker (src/domain/tracker.ts) from synthetic socket tables, so
// the webview is tested on the tracker's own paths: the first sample is the `init` state, each later one a
// ModelUpdate built from the tracker as the host builds it (its events, the records it changed and dropped,
// its counts). Records are copied when sent, as postMessage copies them (the tracker updates its own in place).
import { inferPath } from '../../src/domain/states';
import { ConnectionTracker } from '../../src/domain/tracker';
import type { Connection, ConnectionRole, HistoryEntry, ModelUpdate, SocketRecord, TcpState } from '../../src/domain/types';
import type { FullState } from '../../src/shared/protocol';
import { fullState } from './harness';

/** A row of the socket table. `inode` 0 is a socket without a file (TIME-WAIT, a request socket, an orphan). */
export function socket(state: TcpState, local: [string, number], remote: [string, number], inode: number): SocketRecord {
  return {
    state,
    family: 'ipv4',
    local: { address: local[0], port: local[1] },
    remote: { address: remote[0], port: remote[1] },
    inode,
    uid: 1000,
    recvQ: 0,
    sendQ: 0,
    timer: null,
    owners: inode === 0 ? [] : [{ pid: 4242, command: 'node' }],
  };
}

/**
 * The opening the tracker records for a connection first seen mid-life: the inferred states from where its
 * life began (LISTEN for an accepted connection, CLOSED for a client) up to the state first seen, along the
 * core's most likely path (states.ts inferPath). Written out by hand, mirroring the tracker's first-sighting
 * paths, for as long as the tracker does not record them itself; history.test.ts checks that each is
 * inferPath's, and that the tracker's own agree once it records them.
 */
export const FIRST_SIGHTING_OPENINGS: Partial<Record<ConnectionRole, Partial<Record<TcpState, readonly TcpState[]>>>> = {
  server: {
    ESTABLISHED: ['LISTEN', 'SYN-RECEIVED'],
    'CLOSE-WAIT': ['LISTEN', 'SYN-RECEIVED', 'ESTABLISHED'],
    'TIME-WAIT': ['LISTEN', 'SYN-RECEIVED', 'ESTABLISHED', 'FIN-WAIT-1', 'FIN-WAIT-2'],
  },
  client: {
    ESTABLISHED: ['CLOSED', 'SYN-SENT'],
    'FIN-WAIT-2': ['CLOSED', 'SYN-SENT', 'ESTABLISHED', 'FIN-WAIT-1'],
    'TIME-WAIT': ['CLOSED', 'SYN-SENT', 'ESTABLISHED', 'FIN-WAIT-1', 'FIN-WAIT-2'],
  },
};

/** The role's origin and the hand-written opening's states, as inferPath would find them (for the check). */
export function openingByInferPath(role: ConnectionRole, firstSeen: TcpState): readonly TcpState[] {
  return inferPath(role === 'server' ? 'LISTEN' : 'CLOSED', firstSeen).slice(0, -1);
}

/**
 * Gives a newly opened connection the opening above when the tracker recorded none (its history is the one
 * observed entry), in the tracker's records themselves so that later updates carry it. Once the tracker
 * records openings (its first entries inferred) this changes nothing, and can go.
 */
function recordOpening(c: Connection): void {
  const h = c.history;
  if (h.length !== 1 || h[0].inferred) return;
  const states = FIRST_SIGHTING_OPENINGS[c.role]?.[h[0].state];
  if (!states) return;
  const at = h[0].since;
  h.unshift(...states.map((state): HistoryEntry => ({ state, since: at, until: at, inferred: true })));
}

export class TrackedHost {
  readonly tracker = new ConnectionTracker({ closedRetentionMs: 60_000 });

  /** Feeds one reading of the socket table to the tracker; returns the update the host would send for it. */
  sample(at: number, sockets: SocketRecord[]): ModelUpdate {
    const events = this.tracker.update({ takenAt: at, sockets });
    for (const ev of events) if (ev.kind === 'opened') recordOpening(ev.connection);
    const changes = this.tracker.lastChanges();
    const dropped = new Set(changes.removed);
    return structuredClone({
      at,
      events,
      changed: changes.changed.filter((c) => !dropped.has(c.id)),
      removed: [...changes.removed],
      counts: this.tracker.counts(),
      insights: [],
    });
  }

  /** The `init` state after the samples so far. */
  init(over: Partial<FullState> = {}): FullState {
    return fullState({ connections: structuredClone(this.tracker.connections()), counts: this.tracker.counts(), now: Date.now(), ...over });
  }

  /** The tracker's record of the connection on `local` -> `remote` (the newest, if the 4-tuple was reused). */
  find(localPort: number, remotePort: number): Connection {
    const all = this.tracker.connections().filter((c) => c.local.port === localPort && c.remote.port === remotePort);
    const c = all[all.length - 1];
    if (!c) throw new Error(`no connection ${localPort} -> ${remotePort}`);
    return c;
  }
}
