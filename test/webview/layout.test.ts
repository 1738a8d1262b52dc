// The diagram's geometry and the ladder's reconstruction, in plain Node (both are DOM-free modules).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { layoutDiagram, neighbourInDirection, pointAt, type LayoutMode } from '../../webview/layout';
import { findPeer, ladderRows, segmentsOf } from '../../webview/ladder';
import { connection } from './harness';
import { T0 } from './fixtures';
import { DIAGRAM_EDGES } from '../../src/domain/diagram';
import { TCP_STATES } from '../../src/domain/states';

type Rect = { x: number; y: number; w: number; h: number };
const overlaps = (a: Rect, b: Rect): boolean => a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;

for (const mode of ['wide', 'narrow'] as LayoutMode[]) {
  test(`${mode} layout: 11 separate nodes inside the view, every edge routed between its own nodes`, () => {
    const L = layoutDiagram(mode, DIAGRAM_EDGES);
    const boxes = TCP_STATES.map((s) => ({ s, r: { x: L.nodes[s].x - L.nodes[s].w / 2, y: L.nodes[s].y - L.nodes[s].h / 2, w: L.nodes[s].w, h: L.nodes[s].h } }));
    assert.equal(boxes.length, 11);
    for (const a of boxes) {
      assert.ok(a.r.x >= 0 && a.r.y >= 0 && a.r.x + a.r.w <= L.width && a.r.y + a.r.h <= L.height, `${a.s} inside the view`);
      for (const b of boxes) if (a.s < b.s) assert.ok(!overlaps(a.r, b.r), `${a.s} and ${b.s} do not overlap`);
    }
    assert.deepEqual([...L.edges.keys()], DIAGRAM_EDGES.map((e) => e.id));
    for (const e of DIAGRAM_EDGES) {
      const g = L.edges.get(e.id);
      assert.ok(g);
      const start = g.samples[0];
      const end = g.samples[g.samples.length - 1];
      const near = (p: { x: number; y: number }, s: (typeof TCP_STATES)[number], pad: number): boolean =>
        Math.abs(p.x - L.nodes[s].x) <= L.nodes[s].w / 2 + pad && Math.abs(p.y - L.nodes[s].y) <= L.nodes[s].h / 2 + pad;
      assert.ok(near(start, e.from, 3), `${e.id} starts at ${e.from}`);
      assert.ok(near(end, e.to, 8), `${e.id} ends at ${e.to}`);
      // The path does not run through a third node.
      for (let f = 0.08; f <= 0.92; f += 0.02) {
        const p = pointAt(g, f);
        for (const s of TCP_STATES) if (s !== e.from && s !== e.to) assert.ok(!near(p, s, 0), `${e.id} crosses ${s} at ${f.toFixed(2)}`);
      }
      for (const l of g.labelLines) assert.ok(l.length > 0);
    }
  });

  test(`${mode} layout: edge labels stay clear of the state boxes and inside the view`, () => {
    const L = layoutDiagram(mode, DIAGRAM_EDGES);
    for (const g of L.edges.values()) {
      if (!g.labelLines.length) continue;
      const b = g.labelBox;
      assert.ok(b.x >= 0 && b.y >= 0 && b.x + b.w <= L.width && b.y + b.h <= L.height, `label of ${g.id} inside the view`);
      for (const s of TCP_STATES) {
        const n = L.nodes[s];
        assert.ok(!overlaps(b, { x: n.x - n.w / 2, y: n.y - n.h / 2, w: n.w, h: n.h }), `label of ${g.id} clear of ${s}`);
      }
    }
  });
}

test('arrow keys find the nearest state in their direction', () => {
  const L = layoutDiagram('wide', DIAGRAM_EDGES);
  assert.equal(neighbourInDirection(L, 'CLOSED', 'down'), 'ESTABLISHED');
  assert.equal(neighbourInDirection(L, 'CLOSED', 'up'), null);
  assert.equal(neighbourInDirection(L, 'LISTEN', 'down'), 'SYN-RECEIVED');
  assert.equal(neighbourInDirection(L, 'FIN-WAIT-2', 'down'), 'TIME-WAIT');
  // Every state can be reached from every other by arrow keys.
  for (const from of TCP_STATES) {
    const seen = new Set([from]);
    const queue = [from];
    while (queue.length) {
      const s = queue.shift() as (typeof TCP_STATES)[number];
      for (const d of ['up', 'down', 'left', 'right'] as const) {
        const n = neighbourInDirection(L, s, d);
        if (n && !seen.has(n)) {
          seen.add(n);
          queue.push(n);
        }
      }
    }
    assert.equal(seen.size, 11, `all states reachable from ${from}`);
  }
});

test('segments follow from the RFC 9293 Figure 5 labels', () => {
  const seg = (id: string): string[] => {
    const e = DIAGRAM_EDGES.find((x) => x.id === id);
    assert.ok(e, id);
    return segmentsOf(e).map((s) => `${s.dir === 'out' ? '>' : '<'}${s.label}`);
  };
  assert.deepEqual(seg('CLOSED>SYN-SENT'), ['>SYN']);
  assert.deepEqual(seg('LISTEN>SYN-RECEIVED'), ['<SYN', '>SYN-ACK']);
  assert.deepEqual(seg('SYN-SENT>ESTABLISHED'), ['<SYN-ACK', '>ACK']);
  assert.deepEqual(seg('SYN-RECEIVED>ESTABLISHED'), ['<ACK']);
  assert.deepEqual(seg('ESTABLISHED>FIN-WAIT-1'), ['>FIN']);
  assert.deepEqual(seg('ESTABLISHED>CLOSE-WAIT'), ['<FIN', '>ACK']);
  assert.deepEqual(seg('FIN-WAIT-1>TIME-WAIT'), ['<FIN-ACK', '>ACK']);
  assert.deepEqual(seg('LAST-ACK>CLOSED'), ['<ACK']);
  assert.deepEqual(seg('TIME-WAIT>CLOSED'), []);
  assert.deepEqual(seg('CLOSED>LISTEN'), []);
  assert.deepEqual(seg('ESTABLISHED>CLOSED'), ['<RST']);
});

const compactRows = (rows: ReturnType<typeof ladderRows>): string[] =>
  rows.map((r) => (r.kind === 'state' ? `${r.state}${r.inferred ? '~' : ''}` : r.kind === 'segment' ? `${r.dir}:${r.label}${r.inferred ? '~' : ''}` : r.text));

test('the ladder draws the opening the tracker recorded for a connection first seen ESTABLISHED, without times', () => {
  // The history mirrors the tracker's first sighting of an accepted connection in ESTABLISHED: its opening from
  // LISTEN recorded as inferred entries.
  const server = connection('s1', 'server', [
    ['LISTEN', T0, true],
    ['SYN-RECEIVED', T0, true],
    ['ESTABLISHED', T0],
    ['CLOSE-WAIT', T0 + 100],
    ['LAST-ACK', T0 + 200],
  ]);
  const rows = ladderRows(server, DIAGRAM_EDGES);
  assert.deepEqual(compactRows(rows), ['LISTEN~', 'in:SYN~', 'out:SYN-ACK~', 'SYN-RECEIVED~', 'in:ACK~', 'ESTABLISHED', 'in:FIN', 'out:ACK', 'CLOSE-WAIT', 'out:FIN', 'LAST-ACK']);
  const times = rows.flatMap((r) => (r.kind === 'state' ? [r.since] : []));
  assert.deepEqual(times, [null, null, T0, T0 + 100, T0 + 200], 'no sample timed the opening');
  const closed = connection('c1', 'client', [
    ['TIME-WAIT', T0],
    ['CLOSED', T0 + 60_000],
  ]);
  const last = ladderRows(closed, DIAGRAM_EDGES).filter((r) => r.kind === 'note');
  assert.equal(last.length, 1, 'the 2MSL timer is shown as a note, not a segment');
});

test('the ladder invents no states: a history starts where the tracker\'s record starts', () => {
  const bare = connection('s2', 'server', [['ESTABLISHED', T0]]);
  assert.deepEqual(compactRows(ladderRows(bare, DIAGRAM_EDGES)), ['ESTABLISHED']);
  const synRecv = connection('s3', 'server', [['SYN-RECEIVED', T0]]);
  assert.deepEqual(compactRows(ladderRows(synRecv, DIAGRAM_EDGES)), ['SYN-RECEIVED']);
  const synSent = connection('c2', 'client', [['CLOSED', T0, true], ['SYN-SENT', T0]]);
  assert.deepEqual(compactRows(ladderRows(synSent, DIAGRAM_EDGES)), ['CLOSED~', 'out:SYN~', 'SYN-SENT'], 'the opening the tracker recorded');
  const listener = connection('l1', 'listener', [['LISTEN', T0]]);
  assert.deepEqual(compactRows(ladderRows(listener, DIAGRAM_EDGES)), ['LISTEN']);
  // Two recorded states the diagram has no edge between: both drawn, nothing drawn between them.
  const gap = connection('c3', 'client', [
    ['SYN-SENT', T0],
    ['TIME-WAIT', T0 + 10],
  ]);
  assert.deepEqual(compactRows(ladderRows(gap, DIAGRAM_EDGES)), ['SYN-SENT', 'TIME-WAIT']);
});

test('the peer of a loopback connection is the reversed 4-tuple', () => {
  const a = connection('a', 'client', [['ESTABLISHED', T0]]);
  const b = connection('b', 'server', [['ESTABLISHED', T0]], { local: a.remote, remote: a.local });
  const other = connection('x', 'server', [['ESTABLISHED', T0]]);
  assert.equal(findPeer(a, [a, other, b])?.id, 'b');
  assert.equal(findPeer(other, [a, other, b]), undefined);
});
