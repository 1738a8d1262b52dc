// Host messages made by the real ConnectionTracker (src/domain/tracker.ts) from synthetic socket tables, so
// the webview is tested on the tracker's own paths: the first sample is the `init` state, each later one a
// ModelUpdate built from the tracker as the host builds it (its events, the records it changed and dropped,
// its counts). Records are copied when sent, as postMessage copies them (the tracker updates its own in place).
import { ConnectionTracker } from '../../src/domain/tracker';
import type { Connection, ModelUpdate, SocketRecord, TcpState } from '../../src/domain/types';
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

export class TrackedHost {
  readonly tracker = new ConnectionTracker({ closedRetentionMs: 60_000 });

  /** Feeds one reading of the socket table to the tracker; returns the update the host would send for it. */
  sample(at: number, sockets: SocketRecord[]): ModelUpdate {
    const events = this.tracker.update({ takenAt: at, sockets });
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
