import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { DeltaEncoder, ModelMirror } from '../../../src/domain/modelDelta';
import type { EncodedDelta } from '../../../src/domain/modelDelta';
import { emptyCounts } from '../../../src/domain/types';
import type { Connection, Insight, ProcessInfo, SocketRecord, StateCounts, TcpState } from '../../../src/domain/types';
import { ConnectionTracker } from '../../../src/domain/tracker';
import { TCP_STATES } from '../../../src/domain/states';
import { ScopeView } from '../../../src/domain/scopeView';

function connection(id: number, state: TcpState, patch: Partial<Connection> = {}): Connection {
  return {
    id: `ipv4|127.0.0.1:${40000 + id}|127.0.0.1:8080|${1000 + id}`,
    family: 'ipv4',
    local: { address: '127.0.0.1', port: 40000 + id },
    remote: { address: '127.0.0.1', port: 8080 },
    inode: 1000 + id,
    role: 'client',
    owner: { pid: 500, command: 'node' },
    state,
    history: [{ state, since: 1, until: null, inferred: false, startSeen: true }],
    openedAt: 1,
    closedAt: null,
    recvQ: 0,
    sendQ: 0,
    timer: null,
    ...patch,
  };
}

function proc(pid: number, cwd = '/w'): ProcessInfo {
  return { pid, ppid: 1, command: `p${pid}`, commandLine: [`p${pid}`, '--serve'], cwd, startTime: pid * 10, uid: 1000 };
}

function countsOf(conns: Connection[]): StateCounts {
  const c = emptyCounts();
  for (const x of conns) c[x.state]++;
  return c;
}

/** What crosses the thread boundary: postMessage clones with the structured clone algorithm. */
function acrossThreads(d: EncodedDelta): EncodedDelta {
  return structuredClone(d);
}

/** Connections without the timer: the tracker refreshes it on every sample without calling that a change. */
function comparable(conns: readonly Connection[]): Connection[] {
  return [...conns]
    .map((c) => ({ ...c, timer: null }))
    .sort((a, b) => a.id.localeCompare(b.id));
}

/** One update from `previous` to `table`; `reset` (the first update, or the host starting over) sends the whole table. */
function encodeTable(enc: DeltaEncoder, at: number, table: Connection[], previous: Connection[], processes: Map<number, ProcessInfo> = new Map(), insights: Insight[] = [], reset = previous.length === 0): EncodedDelta {
  const before = new Map(previous.map((c) => [c.id, JSON.stringify(c)] as const));
  const ids = new Set(table.map((c) => c.id));
  return enc.encode({
    at,
    events: [],
    changed: reset ? table : table.filter((c) => before.get(c.id) !== JSON.stringify(c)),
    removed: reset ? [] : previous.filter((c) => !ids.has(c.id)).map((c) => c.id),
    reset,
    counts: countsOf(table),
    insights,
    processes,
  });
}

test('an update with nothing changed is no update at all; the first one is the full state', () => {
  const enc = new DeltaEncoder();
  const table = [connection(1, 'ESTABLISHED'), connection(2, 'LISTEN')];
  const procs = new Map([[500, proc(500)]]);
  const first = encodeTable(enc, 1, table, [], procs);
  assert.equal(first.update?.reset, true);
  assert.equal(first.update?.changed.length, 2);
  assert.deepEqual(first.processes.upserted.map((p) => p.pid), [500]);
  const second = encodeTable(enc, 2, table, table, procs);
  assert.equal(second.update, null);
  assert.deepEqual(second.processes, { upserted: [], removed: [] });
});

test('a process leaves the delta when no connection refers to it, and is sent again when its pid is reused', () => {
  const enc = new DeltaEncoder();
  const a = connection(1, 'ESTABLISHED', { owner: { pid: 500, command: 'node' } });
  encodeTable(enc, 1, [a], [], new Map([[500, proc(500)]]));
  const reused = { ...proc(500), startTime: 99_999 };
  const d = encodeTable(enc, 2, [a], [a], new Map([[500, reused]]));
  assert.deepEqual(d.processes.upserted, [reused]);
  const gone = encodeTable(enc, 3, [], [a], new Map([[500, reused]]));
  assert.deepEqual(gone.processes.removed, [500]);
  assert.deepEqual(gone.update?.removed, [a.id]);
});

test('after a reset the mirror reports every connection it had that the new state lacks as removed', () => {
  const enc = new DeltaEncoder();
  const mirror = new ModelMirror(emptyCounts());
  const t1 = [connection(1, 'ESTABLISHED'), connection(2, 'ESTABLISHED')];
  const d1 = acrossThreads(encodeTable(enc, 1, t1, []));
  mirror.apply(d1.update, d1.processes);
  const t2 = [connection(2, 'CLOSE-WAIT'), connection(3, 'LISTEN')];
  const d2 = acrossThreads(encodeTable(enc, 2, t2, t1, new Map(), [], true));
  const seen = mirror.apply(d2.update, d2.processes);
  assert.equal(seen?.reset, true);
  assert.deepEqual(seen?.removed, [t1[0].id]);
  assert.deepEqual(comparable(mirror.connections()), comparable(t2));
});

// Random socket tables fed to the real tracker: each step, each of a few 4-tuples is absent or present in some state,
// with its inode, a lost inode (TIME-WAIT, orphans) or a new one (4-tuple reuse), an owner, and queues; a listener
// comes and goes. After every step the mirror, fed only the cloned deltas, must hold what the tracker holds.
const SLOTS = 6;
const slotArb = fc.record({
  present: fc.boolean(),
  state: fc.constantFrom(...TCP_STATES.filter((s) => s !== 'LISTEN' && s !== 'CLOSED')),
  inode: fc.constantFrom('same', 'zero', 'new'),
  owner: fc.constantFrom(null, 500, 501),
  recvQ: fc.nat(2),
  timerMs: fc.nat(60_000),
});
const stepArb = fc.record({
  slots: fc.array(slotArb, { minLength: SLOTS, maxLength: SLOTS }),
  listening: fc.boolean(),
  cwd: fc.constantFrom('/w', '/x'),
  /** The scope: which slots (and the listener, slot -1) are in it this step; `startOver` as after a scope switch. */
  inScope: fc.array(fc.boolean(), { minLength: SLOTS + 1, maxLength: SLOTS + 1 }),
  startOver: fc.boolean(),
});

interface Slot {
  state: TcpState;
  owner: number | null;
  recvQ: number;
  timerMs: number;
}

function socket(slot: number, s: Slot, inode: number): SocketRecord {
  return {
    state: s.state,
    family: 'ipv4',
    local: { address: '127.0.0.1', port: 8080 },
    remote: { address: '127.0.0.1', port: 40000 + slot },
    inode,
    uid: 1000,
    recvQ: s.recvQ,
    sendQ: 0,
    timer: s.state === 'TIME-WAIT' ? { kind: 'timewait', remainingMs: s.timerMs, retransmits: 0 } : null,
    owners: s.owner === null ? [] : [{ pid: s.owner, command: `p${s.owner}` }],
  };
}

test('property: a mirror applying the cloned deltas always holds the scope\'s view of the one tracker', () => {
  fc.assert(
    fc.property(fc.array(stepArb, { minLength: 1, maxLength: 30 }), fc.nat(3), (steps, retention) => {
      const tracker = new ConnectionTracker({ closedRetentionMs: retention * 1000, maxClosed: 4, maxHistory: 5 });
      const view = new ScopeView();
      const enc = new DeltaEncoder();
      const mirror = new ModelMirror(emptyCounts());
      const inodes = Array.from({ length: SLOTS }, (_, i) => 1000 + i);
      let nextInode = 5000;
      let at = 1_000_000;
      /** What the host should hold: live connections in scope, and closed ones it held when they closed. */
      const expected = new Set<string>();
      for (const step of steps) {
        at += 1000;
        if (step.startOver) view.startOver(false);
        const sockets: SocketRecord[] = [];
        const rowInScope = new Map<SocketRecord, boolean>();
        if (step.listening) {
          const l = { ...socket(0, { state: 'LISTEN', owner: 500, recvQ: 0, timerMs: 0 }, 999), remote: { address: '0.0.0.0', port: 0 } };
          sockets.push(l);
          rowInScope.set(l, step.inScope[SLOTS] ?? false);
        }
        step.slots.forEach((s, i) => {
          if (!s.present) return;
          if (s.inode === 'new') inodes[i] = nextInode++;
          const r = socket(i, s, s.inode === 'zero' ? 0 : inodes[i]);
          sockets.push(r);
          rowInScope.set(r, step.inScope[i] ?? false);
        });
        const wasHeld = new Set([...expected]);
        const events = tracker.update({ takenAt: at, sockets });
        const changes = tracker.lastChanges();
        const out = view.update({
          live: (visit) => tracker.forEachLive((c, row) => visit(c, rowInScope.get(row) ?? false)),
          changed: changes.changed,
          removed: changes.removed,
          events,
          all: () => tracker.connections(),
        });
        const processes = new Map([500, 501].map((pid) => [pid, proc(pid, step.cwd)] as const));
        const d = acrossThreads(enc.encode({ at, events: out.events, changed: out.changed, removed: out.removed, reset: out.reset, counts: out.counts, insights: [], processes }));
        mirror.apply(d.update, d.processes);

        // The expected view: live in scope; closed ones held before they closed (all dropped on a start-over but
        // those still held), until the tracker drops them.
        const live = new Map<string, boolean>();
        tracker.forEachLive((c, row) => live.set(c.id, rowInScope.get(row) ?? false));
        expected.clear();
        for (const c of tracker.connections()) {
          if (live.has(c.id) ? live.get(c.id) : wasHeld.has(c.id)) expected.add(c.id);
        }
        assert.deepEqual(mirror.connections().map((c) => c.id).sort(), [...expected].sort(), 'the mirror holds the scope\'s connections');
        for (const c of mirror.connections()) assert.deepEqual(comparable([c]), comparable([tracker.get(c.id) as Connection]), 'as the tracker has them');
        const counts = emptyCounts();
        for (const c of tracker.liveConnections()) if (live.get(c.id)) counts[c.state]++;
        assert.deepEqual(mirror.counts(), counts, 'counts of the scope');
        for (const e of out.events) assert.ok(view.has(e.kind === 'opened' ? e.connection.id : e.id) || out.removed.includes(e.kind === 'opened' ? e.connection.id : e.id), 'events only about connections the host holds');
        const owners = new Set(mirror.connections().flatMap((c) => (c.owner ? [c.owner.pid] : [])));
        for (const pid of processes.keys()) if (!owners.has(pid)) assert.equal(mirror.process(pid), undefined, `${pid} is no owner`);
        for (const pid of owners) assert.deepEqual(mirror.process(pid), processes.get(pid));
      }
    }),
    { numRuns: 300 },
  );
});


test('property: with every live connection in scope (the whole machine), the fast path gives the view the look-ups give', () => {
  fc.assert(
    fc.property(fc.array(stepArb, { minLength: 1, maxLength: 30 }), fc.nat(3), (steps, retention) => {
      const tracker = new ConnectionTracker({ closedRetentionMs: retention * 1000, maxClosed: 4, maxHistory: 5 });
      const looked = new ScopeView();
      const fast = new ScopeView();
      looked.startOver(true);
      fast.startOver(true);
      const inodes = Array.from({ length: SLOTS }, (_, i) => 1000 + i);
      let nextInode = 5000;
      let at = 1_000_000;
      for (const step of steps) {
        at += 1000;
        if (step.startOver) {
          looked.startOver(true);
          fast.startOver(true);
        }
        const sockets: SocketRecord[] = [];
        if (step.listening) sockets.push({ ...socket(0, { state: 'LISTEN', owner: 500, recvQ: 0, timerMs: 0 }, 999), remote: { address: '0.0.0.0', port: 0 } });
        step.slots.forEach((s, i) => {
          if (!s.present) return;
          if (s.inode === 'new') inodes[i] = nextInode++;
          sockets.push(socket(i, s, s.inode === 'zero' ? 0 : inodes[i]));
        });
        const events = tracker.update({ takenAt: at, sockets });
        const changes = tracker.lastChanges();
        const input = { live: (visit: (c: Connection, inScope: boolean) => void) => tracker.forEachLive((c) => visit(c, true)), changed: changes.changed, removed: changes.removed, events, all: () => tracker.connections() };
        const a = looked.update(input);
        const b = fast.update({ ...input, everyLiveInScope: true });
        const ids = (cs: readonly Connection[]) => cs.map((c) => c.id).sort();
        assert.deepEqual(ids(b.changed), ids(a.changed));
        assert.deepEqual([...b.removed].sort(), [...a.removed].sort());
        assert.deepEqual(b.counts, a.counts);
        assert.deepEqual(b.events, a.events);
        assert.equal(b.reset, a.reset);
        for (const c of tracker.connections()) assert.equal(fast.has(c.id), looked.has(c.id), c.id);
      }
    }),
    { numRuns: 300 },
  );
});
