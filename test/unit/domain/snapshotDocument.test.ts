import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { insightText } from '../../../src/domain/insights';
import { renderSnapshotDocument, timeInState, type SnapshotDocumentSample } from '../../../src/domain/snapshotDocument';
import { parseSsOutput } from '../../../src/sampling/ssOutput';
import { normalizeState, TCP_STATES } from '../../../src/domain/states';
import { ConnectionTracker } from '../../../src/domain/tracker';
import { formatEndpoint, type Insight, type SocketRecord, type TcpState } from '../../../src/domain/types';
import { displayEndpoint } from '../../../src/domain/snapshot';
import { STATE_TEXTS } from '../../../src/domain/stateTexts';
import { UNIT_FIXTURES } from '../../common/paths';

// `ss -tanoeH` captured on Linux 6.18 while loopback sockets were held in ten states (see fixtures/README.md).
const fixture = readFileSync(join(UNIT_FIXTURES, 'loopback-ss-tanoeH.txt'), 'utf8');
const captured = parseSsOutput(fixture).sockets;

/** The count per state straight from the fixture's first column, without the parser. */
function columnCounts(): Map<TcpState, number> {
  const counts = new Map<TcpState, number>();
  for (const line of fixture.split('\n')) {
    const first = line.trim().split(/\s+/)[0];
    if (!first) continue;
    const state = normalizeState(first);
    assert.ok(state, first);
    counts.set(state, (counts.get(state) ?? 0) + 1);
  }
  return counts;
}

const T0 = Date.UTC(2025, 4, 1, 12, 0, 0);
const key = (s: SocketRecord) => `${s.family} ${formatEndpoint(s.local)} ${formatEndpoint(s.remote)}`;
const timeWait = captured.find((s) => s.state === 'TIME-WAIT') as SocketRecord;
const synSent = captured.find((s) => s.state === 'SYN-SENT') as SocketRecord;
const listener = captured.find((s) => s.state === 'LISTEN') as SocketRecord;

/**
 * Three samples 5 s and 3 s apart: the TIME-WAIT socket was in FIN-WAIT-2 in the first (the active closer's usual
 * path); the SYN-SENT socket appears only in the last; one listener has an owner whose name holds a pipe.
 */
function run() {
  const owned = (s: SocketRecord): SocketRecord => (s === listener ? { ...s, owners: [{ pid: 4242, command: 'srv|a*b' }] } : s);
  const first = captured.filter((s) => s !== synSent).map((s) => (s === timeWait ? { ...s, state: 'FIN-WAIT-2' as const } : owned(s)));
  const second = captured.filter((s) => s !== synSent).map(owned);
  const last = captured.map(owned);
  const tracker = new ConnectionTracker();
  tracker.update({ takenAt: T0, sockets: first });
  tracker.update({ takenAt: T0 + 5000, sockets: second });
  tracker.update({ takenAt: T0 + 8000, sockets: last });
  const sample: SnapshotDocumentSample = {
    takenAt: T0 + 8000,
    backend: 'ss',
    scope: 'workspace',
    sockets: last,
    totalSockets: last.length + 40,
    scopePids: [4242, 4243],
  };
  return { sample, connections: tracker.connections() };
}

const insight: Insight = {
  kind: 'close-wait-leak',
  key: 'close-wait-leak:4242',
  connectionIds: [],
  pid: 4242,
  command: 'srv',
  endpoint: null,
  count: 1,
  oldestMs: 45_000,
  threshold: 30,
};

test('the counts table lists every state in diagram order with the fixture counts', () => {
  const { sample, connections } = run();
  const doc = renderSnapshotDocument({ sample, host: 'devbox', kernel: 'Linux 6.18.44', connections, insights: [], locale: 'en' });
  const expected = columnCounts();
  const rows = doc.split('\n').filter((l) => /^\| [A-Z12-]+ \| \d+ \|$/.test(l));
  assert.deepEqual(
    rows,
    TCP_STATES.map((s) => `| ${s} | ${expected.get(s) ?? 0} |`),
  );
});

test('the header names time, host, kernel, backend, scope and both socket totals', () => {
  const { sample, connections } = run();
  const doc = renderSnapshotDocument({ sample, host: 'devbox', kernel: 'Linux 6.18.44', connections, insights: [], locale: 'en' });
  assert.match(doc, /^# TCP snapshot\n/);
  assert.ok(doc.includes(`- **Taken at**: ${new Date(T0 + 8000).toISOString()}`));
  assert.ok(doc.includes('- **Host**: devbox'));
  assert.ok(doc.includes('- **Kernel**: Linux 6.18.44'));
  assert.ok(doc.includes('- **Backend**: ss'));
  assert.ok(doc.includes('- **Scope**: workspace processes (root and member pids: 4242, 4243)'));
  assert.ok(doc.includes(`- **Sockets**: ${captured.length} in scope, ${captured.length + 40} on the machine`));
});

test('connections are grouped by state, each group with its count and explanation, each row once', () => {
  const { sample, connections } = run();
  const doc = renderSnapshotDocument({ sample, host: 'h', kernel: 'k', connections, insights: [], locale: 'en' });
  const expected = columnCounts();
  const headings = [...doc.matchAll(/^### ([A-Z12-]+) \((\d+)\)$/gm)].map((m) => [m[1], Number(m[2])]);
  assert.deepEqual(
    headings,
    TCP_STATES.filter((s) => expected.has(s)).map((s) => [s, expected.get(s)]),
  );
  for (const s of TCP_STATES.filter((x) => expected.has(x))) assert.ok(doc.includes(STATE_TEXTS[s].summary.en), s);
  for (const s of captured) {
    const cells = `| \`${displayEndpoint(s.local)}\` | \`${displayEndpoint(s.remote)}\` |`;
    assert.equal(doc.split(cells).length - 1, 1, key(s));
  }
});

test('time in state: exact after an observed change, a lower bound otherwise, a dash when first seen now', () => {
  const { sample, connections } = run();
  const doc = renderSnapshotDocument({ sample, host: 'h', kernel: 'k', connections, insights: [], locale: 'en' });
  const row = (s: SocketRecord) => doc.split('\n').find((l) => l.startsWith(`| \`${displayEndpoint(s.local)}\` | \`${displayEndpoint(s.remote)}\` |`)) ?? '';
  // Entered TIME-WAIT at the second sample, 3 s before the snapshot.
  assert.match(row(timeWait), /\| 3\.0s \|/);
  // Already listening when first seen, 8 s before.
  assert.match(row(listener), /\| ≥ 8\.0s \|/);
  // First seen by the snapshot's own sample.
  assert.match(row(synSent), /\| — \|/);
  const byKey = new Map(connections.map((c) => [`${c.family} ${formatEndpoint(c.local)} ${formatEndpoint(c.remote)}`, c]));
  assert.equal(timeInState({ state: 'ESTABLISHED' }, byKey.get(key(timeWait)), T0 + 8000), '—', 'a state other than the current one');
  assert.equal(timeInState({ state: 'TIME-WAIT' }, undefined, T0 + 8000), '—');
});

test('owners are listed and Markdown in them is escaped so the table holds', () => {
  const { sample, connections } = run();
  const doc = renderSnapshotDocument({ sample, host: 'h', kernel: 'k', connections, insights: [], locale: 'en' });
  const line = doc.split('\n').find((l) => l.includes('4242 srv')) ?? '';
  assert.ok(line.includes('4242 srv\\|a\\*b'), line);
  // Seven columns: eight unescaped pipes.
  assert.equal(line.replace(/\\\|/g, '').split('|').length - 1, 8);
});

test('insights are listed in the document language; none gives the "nothing unusual" line', () => {
  const { sample, connections } = run();
  const en = renderSnapshotDocument({ sample, host: 'h', kernel: 'k', connections, insights: [insight], locale: 'en' });
  const esc = (t: string) => t.replace(/[\\`*[<|]/g, (c) => `\\${c}`);
  const { title, detail } = insightText(insight, 'en');
  assert.ok(en.includes(`- **${esc(title)}**: ${esc(detail)}\n`), en);
  const none = renderSnapshotDocument({ sample, host: 'h', kernel: 'k', connections, insights: [], locale: 'en' });
  assert.match(none, /## Insights\n\nNothing unusual\.\n/);
  const zh = renderSnapshotDocument({ sample, host: 'h', kernel: 'k', connections, insights: [insight], locale: 'zh-cn' });
  assert.ok(zh.includes(STATE_TEXTS['TIME-WAIT'].summary['zh-cn']));
  assert.ok(zh.includes(esc(insightText(insight, 'zh-cn').title)));
});

test('an empty scope says so instead of an empty table', () => {
  const doc = renderSnapshotDocument({
    sample: { takenAt: T0, backend: 'proc', scope: 'all', sockets: [], totalSockets: 0, scopePids: [] },
    host: 'h',
    kernel: 'k',
    connections: [],
    insights: [],
    locale: 'en',
  });
  assert.ok(doc.includes('- **Scope**: whole machine'));
  assert.match(doc, /## Sockets\n\nNo sockets\.\n$/);
  assert.ok(!doc.includes('###'));
});

test('sockets of a container: the header names it (id, image, compose project and service), a column says where each socket is', () => {
  const web = { id: '4f3c2a1b9d0e'.padEnd(64, '7'), name: 'demo-web-1', image: 'busybox:latest', composeProject: 'demo', composeService: 'web' };
  // The container's namespace holds the same 4-tuple as our listener: its time in state comes from its own connection.
  const theirs: SocketRecord = { ...listener, inode: 9_000_001, owners: [], netns: 'net:[4026532301]', container: web };
  const tracker = new ConnectionTracker();
  tracker.update({ takenAt: T0, sockets: [listener] });
  tracker.update({ takenAt: T0 + 5000, sockets: [listener, theirs] });
  const sample: SnapshotDocumentSample = { takenAt: T0 + 8000, backend: 'proc', scope: 'all', sockets: [listener, theirs], totalSockets: 2, scopePids: [] };
  const doc = renderSnapshotDocument({ sample, host: 'devbox', kernel: 'Linux 6.18.44', connections: tracker.connections(), insights: [], locale: 'en' });
  assert.ok(doc.includes('- **Containers**: demo-web-1 (4f3c2a1b9d0e, busybox:latest, compose demo/web)\n'), doc);
  const rows = doc.split('\n').filter((l) => l.startsWith(`| \`${displayEndpoint(listener.local)}\``));
  assert.equal(rows.length, 2);
  assert.match(rows[0], /\| ≥ 8\.0s \|.* \| - \|$/, 'ours: seen since the first sample, no container');
  assert.match(rows[1], /\| ≥ 3\.0s \|.* \| demo-web-1 \|$/, 'theirs: the time of its own connection (first seen 3 s before), not of ours');
  assert.ok(!renderSnapshotDocument({ sample: { ...sample, sockets: [listener] }, host: 'devbox', kernel: 'Linux', connections: [], insights: [], locale: 'en' }).includes('Container'));
});
