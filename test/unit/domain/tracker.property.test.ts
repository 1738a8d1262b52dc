// Property tests of the tracker and the diagram paths it fills in, with fast-check.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ConnectionTracker, type TrackerOptions } from '../../../src/domain/tracker';
import { type Connection, type ConnectionId, type SocketRecord, type TcpState, type TrackerEvent } from '../../../src/domain/types';
import { adjacent, inferPath } from '../../../src/domain/diagram';
import { TCP_STATES } from '../../../src/domain/states';

const stateArb = fc.constantFrom(...TCP_STATES);

function assertValidPath(path: readonly TcpState[], what: string): void {
  for (let i = 0; i + 1 < path.length; i++) {
    assert.ok(adjacent(path[i] as TcpState, path[i + 1] as TcpState), `${what}: ${path.join(' -> ')} is not a path of the diagram`);
  }
}

test('inferPath always returns a valid path of the diagram from `from` to `to`', () => {
  fc.assert(
    fc.property(stateArb, stateArb, fc.subarray([...TCP_STATES]), (from, to, avoid) => {
      const p = inferPath(from, to, { avoid });
      assert.equal(p[0], from);
      assert.equal(p[p.length - 1], to);
      assert.ok(p.length <= TCP_STATES.length);
      assertValidPath(p, `${from} -> ${to}`);
    }),
    { numRuns: 2000 },
  );
});

/** Four-tuples the random samples draw from: few, so rows collide, reuse 4-tuples and share buckets. */
const SLOTS = 6;

interface SlotRow {
  slot: number;
  state: TcpState;
  /** 0, or one of three inodes per slot (so inodes repeat, change, and vanish). */
  inode: number;
  owner: number;
  recvQ: number;
}

const rowArb = fc.record({
  slot: fc.integer({ min: 0, max: SLOTS - 1 }),
  state: stateArb,
  inode: fc.integer({ min: 0, max: 3 }),
  owner: fc.integer({ min: 0, max: 2 }),
  recvQ: fc.integer({ min: 0, max: 1 }),
});

function toRecord(r: SlotRow): SocketRecord {
  // Slots 0-2 are IPv4 and share one port pair (same bucket, different addresses); 3-5 are IPv6.
  const v6 = r.slot >= 3;
  return {
    state: r.state,
    family: v6 ? 'ipv6' : 'ipv4',
    local: { address: v6 ? '::1' : `127.0.0.${1 + r.slot}`, port: v6 ? 6000 + r.slot : 8080 },
    remote: { address: v6 ? '::1' : '127.0.0.1', port: 40000 },
    inode: r.inode === 0 ? 0 : r.slot * 10 + r.inode,
    uid: 0,
    recvQ: r.recvQ,
    sendQ: 0,
    timer: null,
    owners: r.owner === 0 ? [] : [{ pid: r.owner, command: `p${r.owner}` }],
  };
}

/**
 * Replays the events into a mirror and checks them against the tracker after every update:
 * nothing lost (the mirror's live set and states equal the tracker's), nothing duplicated (an id opens once,
 * closes once, changes only from the state the mirror has), every path valid, every cap held.
 */
class Checker {
  readonly mirror = new Map<ConnectionId, TcpState>();
  readonly everOpened = new Set<ConnectionId>();
  readonly everClosed = new Set<ConnectionId>();
  events = 0;

  constructor(
    readonly tracker: ConnectionTracker,
    readonly options: TrackerOptions,
  ) {}

  step(takenAt: number, sockets: SocketRecord[]): void {
    const events = this.tracker.update({ takenAt, sockets });
    this.events += events.length;
    const changedIds = new Set(this.tracker.lastChanges().changed.map((c) => c.id));
    let seenOpenOrChange = false;
    for (const e of events) this.apply(e, changedIds, () => (seenOpenOrChange = true), seenOpenOrChange);

    const live = this.tracker.connections().filter((c) => c.closedAt === null);
    assert.equal(live.length, sockets.length, 'every row is one live connection');
    assert.equal(this.mirror.size, live.length, 'the events account for every live connection');
    for (const c of live) assert.equal(this.mirror.get(c.id), c.state, `mirror state of ${c.id}`);

    const counts = this.tracker.counts();
    for (const s of TCP_STATES) assert.equal(counts[s], live.filter((c) => c.state === s).length, `count of ${s}`);

    const all = this.tracker.connections();
    const closed = all.filter((c) => c.closedAt !== null);
    assert.ok(closed.length <= this.options.maxClosed, `${closed.length} closed kept, cap ${this.options.maxClosed}`);
    for (const c of closed) {
      assert.equal(c.state, 'CLOSED');
      assert.ok((c.closedAt ?? 0) + this.options.closedRetentionMs >= takenAt, 'kept past its retention');
    }
    assert.equal(new Set(all.map((c) => c.id)).size, all.length, 'ids are unique');
    for (const c of all) this.checkHistory(c);
  }

  private apply(e: TrackerEvent, changedIds: ReadonlySet<ConnectionId>, markOpenOrChange: () => void, afterOpenOrChange: boolean): void {
    switch (e.kind) {
      case 'opened':
        markOpenOrChange();
        assert.ok(!this.everOpened.has(e.connection.id), `opened twice: ${e.connection.id}`);
        this.everOpened.add(e.connection.id);
        this.mirror.set(e.connection.id, e.connection.state);
        assert.ok(changedIds.has(e.connection.id));
        break;
      case 'changed': {
        markOpenOrChange();
        assert.equal(this.mirror.get(e.id), e.from, `changed from a state the mirror does not have: ${e.id}`);
        assert.notEqual(e.from, e.to);
        assert.ok(e.path.length >= 1);
        assert.equal(e.path[0]?.from, e.from);
        assert.equal(e.path[e.path.length - 1]?.to, e.to);
        for (let i = 0; i < e.path.length; i++) {
          const hop = e.path[i] as { from: TcpState; to: TcpState; inferred: boolean };
          assert.ok(adjacent(hop.from, hop.to), `hop ${hop.from} -> ${hop.to}`);
          if (i > 0) assert.equal(hop.from, e.path[i - 1]?.to);
          assert.equal(hop.inferred, e.path.length > 1);
        }
        this.mirror.set(e.id, e.to);
        assert.ok(changedIds.has(e.id));
        break;
      }
      case 'closed':
        assert.ok(!afterOpenOrChange, 'closed events come first');
        assert.equal(this.mirror.get(e.id), e.from, `closed from a state the mirror does not have: ${e.id}`);
        assert.ok(!this.everClosed.has(e.id), `closed twice: ${e.id}`);
        this.everClosed.add(e.id);
        this.mirror.delete(e.id);
        assert.equal(e.inferred, !['TIME-WAIT', 'LAST-ACK', 'CLOSING', 'CLOSED'].includes(e.from));
        assert.ok(changedIds.has(e.id));
        break;
    }
  }

  private checkHistory(c: Connection): void {
    const h = c.history;
    assert.ok(h.length >= 1 && h.length <= this.options.maxHistory, `history of ${h.length}, cap ${this.options.maxHistory}`);
    assertValidPath(h.map((x) => x.state), `history of ${c.id}`);
    const last = h[h.length - 1];
    assert.equal(last?.state, c.state);
    assert.equal(last?.until, null);
    for (let i = 0; i + 1 < h.length; i++) {
      const a = h[i] as (typeof h)[number];
      assert.ok(a.until !== null && a.until >= a.since && (h[i + 1]?.since ?? 0) >= a.until, 'history times run forward');
    }
  }
}

test('random samples: no event lost or duplicated, every filled-in path valid, caps held', () => {
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.integer({ min: 1, max: 4000 }), fc.array(rowArb, { maxLength: 8 })), { minLength: 1, maxLength: 40 }),
      fc.integer({ min: 1, max: 6 }),
      fc.integer({ min: 0, max: 4 }),
      fc.integer({ min: 0, max: 5000 }),
      (samples, maxHistory, maxClosed, closedRetentionMs) => {
        const options = { maxHistory, maxClosed, closedRetentionMs };
        const checker = new Checker(new ConnectionTracker(options), options);
        let at = 1_000_000;
        for (const [dt, rows] of samples) checker.step((at += dt), rows.map(toRecord));
      },
    ),
    { numRuns: 300 },
  );
});

/** A small seeded generator (mulberry32), so one fast-check seed drives a long deterministic run. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

test('memory caps hold over 100k random events', () => {
  fc.assert(
    fc.property(fc.integer(), (seed) => {
      const rand = prng(seed);
      const options: TrackerOptions = { maxHistory: 8, maxClosed: 50, closedRetentionMs: 5000 };
      const tracker = new ConnectionTracker(options);
      const checker = new Checker(tracker, options);
      // 400 four-tuples, each with a current row or none; every sample changes, removes or adds some.
      const world = new Map<number, SlotRow>();
      let at = 0;
      let inode = 1;
      let maxLive = 0;
      while (checker.events < 100_000) {
        for (let k = 0; k < 120; k++) {
          const slot = Math.floor(rand() * 400);
          const r = rand();
          if (r < 0.25) world.delete(slot);
          else if (r < 0.35) world.set(slot, { slot, state: 'SYN-SENT', inode: inode++, owner: 1, recvQ: 0 });
          else {
            const cur = world.get(slot);
            const state = TCP_STATES[Math.floor(rand() * TCP_STATES.length)] as TcpState;
            world.set(slot, { slot, state, inode: state === 'TIME-WAIT' ? 0 : (cur?.inode ?? inode++), owner: 1 + Math.floor(rand() * 3), recvQ: 0 });
          }
        }
        const sockets: SocketRecord[] = [...world.values()].map((w) => ({
          state: w.state,
          family: 'ipv4',
          local: { address: '127.0.0.1', port: 1024 + w.slot },
          remote: { address: '127.0.0.1', port: 80 },
          inode: w.inode,
          uid: 0,
          recvQ: 0,
          sendQ: 0,
          timer: null,
          owners: [{ pid: w.owner, command: `p${w.owner}` }],
        }));
        at += 200 + Math.floor(rand() * 1000);
        checker.step(at, sockets);
        maxLive = Math.max(maxLive, tracker.size.live);
      }
      assert.ok(maxLive <= 400);
      assert.ok(tracker.size.closed <= options.maxClosed);
    }),
    { numRuns: 1 },
  );
});
