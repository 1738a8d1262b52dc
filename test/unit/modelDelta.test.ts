import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { DeltaEncoder, ModelMirror } from '../../src/core/modelDelta';
import type { EncodedDelta } from '../../src/core/modelDelta';
import { TCP_STATES, emptyCounts } from '../../src/core/types';
import type { Connection, Insight, ProcessInfo, StateCounts, TcpState } from '../../src/core/types';

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
    history: [{ state, since: 1, until: null, inferred: false }],
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

/** Connections without the one field the encoder leaves out on purpose. */
function comparable(conns: readonly Connection[]): Connection[] {
  return [...conns]
    .map((c) => ({ ...c, timer: c.timer ? { ...c.timer, remainingMs: 0 } : null }))
    .sort((a, b) => a.id.localeCompare(b.id));
}

test('an unchanged table produces no update at all', () => {
  const enc = new DeltaEncoder();
  const table = [connection(1, 'ESTABLISHED'), connection(2, 'LISTEN')];
  const procs = new Map([[500, proc(500)]]);
  const first = enc.encode({ at: 1, events: [], connections: table, counts: countsOf(table), insights: [], processes: procs });
  assert.equal(first.update?.reset, true);
  assert.equal(first.update?.changed.length, 2);
  assert.deepEqual(first.processes.upserted.map((p) => p.pid), [500]);
  const second = enc.encode({ at: 2, events: [], connections: table, counts: countsOf(table), insights: [], processes: procs });
  assert.equal(second.update, null);
  assert.deepEqual(second.processes, { upserted: [], removed: [] });
});

test('a TIME-WAIT timer counting down is not a change; its retransmit count or a queue is', () => {
  const enc = new DeltaEncoder();
  const tw = (ms: number, retransmits = 0) => connection(1, 'TIME-WAIT', { timer: { kind: 'timewait', remainingMs: ms, retransmits } });
  enc.encode({ at: 1, events: [], connections: [tw(59_000)], counts: emptyCounts(), insights: [], processes: new Map() });
  assert.equal(enc.encode({ at: 2, events: [], connections: [tw(58_000)], counts: emptyCounts(), insights: [], processes: new Map() }).update, null);
  assert.equal(enc.encode({ at: 3, events: [], connections: [tw(57_000, 1)], counts: emptyCounts(), insights: [], processes: new Map() }).update?.changed.length, 1);
  const queued = connection(1, 'TIME-WAIT', { timer: { kind: 'timewait', remainingMs: 56_000, retransmits: 1 }, recvQ: 10 });
  assert.equal(enc.encode({ at: 4, events: [], connections: [queued], counts: emptyCounts(), insights: [], processes: new Map() }).update?.changed.length, 1);
});

test('a process leaves the delta when no connection refers to it, and changes when its pid is reused', () => {
  const enc = new DeltaEncoder();
  const a = connection(1, 'ESTABLISHED', { owner: { pid: 500, command: 'node' } });
  enc.encode({ at: 1, events: [], connections: [a], counts: countsOf([a]), insights: [], processes: new Map([[500, proc(500)]]) });
  const reused = { ...proc(500), startTime: 99_999 };
  const d = enc.encode({ at: 2, events: [], connections: [a], counts: countsOf([a]), insights: [], processes: new Map([[500, reused]]) });
  assert.deepEqual(d.processes.upserted, [reused]);
  const gone = enc.encode({ at: 3, events: [], connections: [], counts: emptyCounts(), insights: [], processes: new Map([[500, reused]]) });
  assert.deepEqual(gone.processes.removed, [500]);
  assert.deepEqual(gone.update?.removed, [a.id]);
});

test('after a reset the mirror reports every connection it had that the new state lacks as removed', () => {
  const enc = new DeltaEncoder();
  const mirror = new ModelMirror(emptyCounts());
  const t1 = [connection(1, 'ESTABLISHED'), connection(2, 'ESTABLISHED')];
  const d1 = acrossThreads(enc.encode({ at: 1, events: [], connections: t1, counts: countsOf(t1), insights: [], processes: new Map() }));
  mirror.apply(d1.update, d1.processes);
  enc.reset();
  const t2 = [connection(2, 'CLOSE-WAIT'), connection(3, 'LISTEN')];
  const d = acrossThreads(enc.encode({ at: 2, events: [], connections: t2, counts: countsOf(t2), insights: [], processes: new Map() }));
  const seen = mirror.apply(d.update, d.processes);
  assert.equal(seen?.reset, true);
  assert.deepEqual(seen?.removed, [t1[0].id]);
  assert.deepEqual(comparable(mirror.connections()), comparable(t2));
});

// A random walk over a pool of connections: each step opens, closes, changes state, owner, queues, timers and
// history, and sometimes resets the encoder. After every step the mirror must hold exactly the table.
const stepArb = fc.record({
  present: fc.array(fc.boolean(), { minLength: 12, maxLength: 12 }),
  states: fc.array(fc.constantFrom(...TCP_STATES), { minLength: 12, maxLength: 12 }),
  owners: fc.array(fc.constantFrom(null, 500, 501, 502), { minLength: 12, maxLength: 12 }),
  recvQ: fc.array(fc.nat(3), { minLength: 12, maxLength: 12 }),
  timerMs: fc.nat(60_000),
  historyGrows: fc.array(fc.boolean(), { minLength: 12, maxLength: 12 }),
  cwd: fc.constantFrom('/w', '/x'),
  insight: fc.boolean(),
  reset: fc.boolean(),
});

test('property: a mirror applying the cloned deltas always equals the encoder\'s table', () => {
  fc.assert(
    fc.property(fc.array(stepArb, { minLength: 1, maxLength: 25 }), (steps) => {
      const enc = new DeltaEncoder();
      const mirror = new ModelMirror(emptyCounts());
      const history = new Map<number, Connection['history']>();
      let at = 1000;
      for (const step of steps) {
        at += 1000;
        if (step.reset && at > 3000) enc.reset();
        const table: Connection[] = [];
        for (let i = 0; i < 12; i++) {
          if (!step.present[i]) continue;
          const h = history.get(i) ?? [];
          if (step.historyGrows[i] || h.length === 0) h.push({ state: step.states[i], since: at, until: null, inferred: false });
          history.set(i, h.slice(-4));
          const pid = step.owners[i];
          table.push(
            connection(i, step.states[i], {
              owner: pid === null ? null : { pid, command: `p${pid}` },
              recvQ: step.recvQ[i],
              history: structuredClone(history.get(i) ?? []),
              timer: step.states[i] === 'TIME-WAIT' ? { kind: 'timewait', remainingMs: step.timerMs, retransmits: 0 } : null,
              closedAt: step.states[i] === 'CLOSED' ? at : null,
            }),
          );
        }
        const processes = new Map([500, 501, 502].map((pid) => [pid, proc(pid, step.cwd)] as const));
        const insights: Insight[] = step.insight
          ? [{ kind: 'close-wait-leak', key: 'close-wait-leak|500', connectionIds: [], pid: 500, command: 'p500', endpoint: null, count: 1, oldestMs: at, threshold: 30 }]
          : [];
        const d = acrossThreads(enc.encode({ at, events: [], connections: table, counts: countsOf(table), insights, processes }));
        mirror.apply(d.update, d.processes);
        assert.deepEqual(comparable(mirror.connections()), comparable(table));
        assert.deepEqual(mirror.counts(), countsOf(table));
        assert.deepEqual(mirror.insights(), insights);
        const referenced = new Set(table.flatMap((c) => (c.owner ? [c.owner.pid] : [])));
        assert.equal(mirror.processCount, referenced.size);
        for (const pid of referenced) assert.deepEqual(mirror.process(pid), processes.get(pid));
      }
    }),
    { numRuns: 200 },
  );
});
