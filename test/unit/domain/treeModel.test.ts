// The connections tree as data: grouping, filtering, labels, highlight timing, diffing, status bar text, ss filters.
// Connections mirror what the tracker reports for a small Node server on loopback and a client of it (ports and
// pids as seen in a real capture), with a fixed clock so no test depends on wall time.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEBUGGER_ID, INSIGHTS_ID, buildTree, connectionLabel, connectionMark, diffTrees, insightFilter, insightMembers, matchesFilter, openSocketCount, parseFilter, processName, rowLabel, ssCommandLine, ssFilterArgs, statusBarCounts } from '../../../src/domain/treeModel';
import { CHINESE_UNITS, COMPACT_UNITS, ENGLISH_UNITS, formatDuration } from '../../../src/domain/format';
import type { ConnectionNode, DebuggerNode, GroupNode, TreeInput, TreeOptions, TreeStrings } from '../../../src/domain/treeModel';
import { emptyCounts } from '../../../src/domain/types';
import type { Connection, HistoryEntry, Insight, TcpState } from '../../../src/domain/types';
import { TCP_STATES } from '../../../src/domain/states';

const T0 = 1_750_000_000_000;

const strings: TreeStrings = {
  insights: 'Insights',
  noProcess: 'unknown process',
  countOf: (a, b) => `${a} of ${b}`,
  markNew: 'new',
  markChangedFrom: (s) => `from ${s}`,
  markClosed: 'closed',
  wasState: (s) => `was ${s}`,
  debuggerSockets: 'Debugger',
  hiddenCount: (n) => `${n} hidden`,
  inContainer: (name) => `in container ${name}`,
  inNamespace: (ns) => `in network namespace ${ns}`,
  hostNamespace: 'this machine',
  units: ENGLISH_UNITS,
};

const baseOptions: TreeOptions = { groupBy: 'state', showEmptyStates: false, filter: [], highlightMs: 3000, closedLingerMs: 5000, baseline: T0, showDebuggerSockets: false };

interface ConnSpec {
  id: string;
  local: [string, number];
  remote: [string, number];
  states: [TcpState, number][];
  owner?: [string, number] | null;
  closedAt?: number;
}

function conn(spec: ConnSpec): Connection {
  const history: HistoryEntry[] = spec.states.map(([state, since], i) => ({ state, since, until: i + 1 < spec.states.length ? spec.states[i + 1][1] : null, inferred: false, startSeen: true }));
  const state = spec.states[spec.states.length - 1][0];
  const owner = spec.owner === null ? null : spec.owner ? { command: spec.owner[0], pid: spec.owner[1] } : { command: 'node', pid: 4242 };
  return {
    id: spec.id,
    family: spec.local[0].includes(':') ? 'ipv6' : 'ipv4',
    local: { address: spec.local[0], port: spec.local[1] },
    remote: { address: spec.remote[0], port: spec.remote[1] },
    inode: 1000,
    role: spec.remote[1] === 0 ? 'listener' : spec.local[1] === 8080 ? 'server' : 'client',
    owner,
    state,
    history,
    openedAt: spec.states[0][1],
    closedAt: spec.closedAt ?? null,
    recvQ: 0,
    sendQ: 0,
    timer: null,
  };
}

// A server (node 4242) on :8080 with two clients from curl (pid 5150), one already closing.
const listener = conn({ id: 'L', local: ['0.0.0.0', 8080], remote: ['0.0.0.0', 0], states: [['LISTEN', T0 - 3_600_000]] });
const serverSide = conn({ id: 'S1', local: ['127.0.0.1', 8080], remote: ['127.0.0.1', 54012], states: [['ESTABLISHED', T0 - 3200]] });
const clientSide = conn({ id: 'C1', local: ['127.0.0.1', 54012], remote: ['127.0.0.1', 8080], states: [['ESTABLISHED', T0 - 3200]], owner: ['curl', 5150] });
const timeWait = conn({ id: 'TW', local: ['127.0.0.1', 53990], remote: ['127.0.0.1', 8080], states: [['ESTABLISHED', T0 - 20_000], ['TIME-WAIT', T0 - 12_000]], owner: ['curl', 5149] });
const closeWait = conn({ id: 'CW', local: ['::1', 8080], remote: ['::1', 41000], states: [['ESTABLISHED', T0 - 100_000], ['CLOSE-WAIT', T0 - 90_000]] });
const all = [listener, serverSide, clientSide, timeWait, closeWait];

function input(over: Partial<Omit<TreeInput, 'options'>> & { options?: Partial<TreeOptions> } = {}): TreeInput {
  return { connections: all, insights: [], now: T0, strings, ...over, options: { ...baseOptions, ...over.options } };
}

function rows(tree: ReturnType<typeof buildTree>, groupId: string): ConnectionNode[] {
  return (tree.children.get(groupId) ?? []) as ConnectionNode[];
}

test('grouped by state: diagram order, counts as descriptions, empty states hidden', () => {
  const tree = buildTree(input());
  assert.deepEqual(tree.roots.map((r) => r.id), ['state/LISTEN', 'state/ESTABLISHED', 'state/CLOSE-WAIT', 'state/TIME-WAIT']);
  const est = tree.roots[1] as GroupNode;
  assert.equal(est.label, 'ESTABLISHED');
  assert.equal(est.description, '2');
  assert.equal(est.state, 'ESTABLISHED');
  assert.deepEqual(rows(tree, 'state/ESTABLISHED').map((r) => r.label), [':8080 → :54012', ':54012 → :8080']);
  assert.equal(rows(tree, 'state/ESTABLISHED')[1].description, 'curl 5150 · 3.2 s');
  assert.equal(rows(tree, 'state/LISTEN')[0].label, '0.0.0.0:8080', 'a listener has no peer to show');
  assert.equal(rows(tree, 'state/CLOSE-WAIT')[0].label, ':8080 → :41000');
  assert.equal(rows(tree, 'state/CLOSE-WAIT')[0].description, 'node 4242 · 1 min 30 s');
  assert.equal(tree.shown, 5);
});

test('the toggle shows all 11 states, empty ones with 0', () => {
  const tree = buildTree(input({ options: { showEmptyStates: true } }));
  assert.deepEqual(tree.roots.map((r) => r.id), TCP_STATES.map((s) => `state/${s}`));
  assert.equal((tree.nodes.get('state/SYN-SENT') as GroupNode).description, '0');
  assert.deepEqual(tree.children.get('state/SYN-SENT'), []);
});

test('an Insights node comes first while any insight holds', () => {
  const insight: Insight = { kind: 'close-wait-leak', key: 'close-wait-leak/4242', connectionIds: ['CW'], pid: 4242, command: 'node', endpoint: null, count: 1, oldestMs: 90_000, threshold: 30 };
  const tree = buildTree(input({ insights: [insight] }));
  assert.equal(tree.roots[0].id, INSIGHTS_ID);
  assert.equal(tree.roots[0].kind, 'insights');
  const kids = tree.children.get(INSIGHTS_ID) ?? [];
  assert.equal(kids.length, 1);
  assert.equal(kids[0].kind === 'insight' && kids[0].insight.key, 'close-wait-leak/4242');
  assert.equal(buildTree(input()).roots.some((r) => r.id === INSIGHTS_ID), false);
});

test('grouped by process: one group per owner, state in the row description instead of the process', () => {
  const tree = buildTree(input({ options: { groupBy: 'process' } }));
  assert.deepEqual(tree.roots.map((r) => [r.id, r.kind === 'group' ? r.label : '', r.kind === 'group' ? r.description : '']), [
    ['pid/5150', 'curl 5150', '1'],
    ['pid/5149', 'curl 5149', '1'],
    ['pid/4242', 'node 4242', '3'],
  ].sort((a, b) => (a[1] < b[1] ? -1 : 1)));
  const nodeRows = rows(tree, 'pid/4242');
  assert.deepEqual(nodeRows.map((r) => r.state), ['LISTEN', 'ESTABLISHED', 'CLOSE-WAIT'], 'rows in diagram order');
  assert.equal(nodeRows[1].description, 'ESTAB · 3.2 s');
  const unowned = conn({ id: 'U', local: ['127.0.0.1', 1], remote: ['127.0.0.1', 2], states: [['TIME-WAIT', T0 - 1000]], owner: null });
  const withUnowned = buildTree(input({ connections: [...all, unowned], options: { groupBy: 'process' } }));
  assert.equal(withUnowned.roots[withUnowned.roots.length - 1].id, 'pid/none', 'unknown owners last');
  assert.equal((withUnowned.roots[withUnowned.roots.length - 1] as GroupNode).label, 'unknown process');
});

test('grouped by local port: numeric order, process and state in the description', () => {
  const tree = buildTree(input({ options: { groupBy: 'localPort' } }));
  assert.deepEqual(tree.roots.map((r) => (r as GroupNode).label), [':8080', ':53990', ':54012']);
  assert.equal((tree.roots[0] as GroupNode).description, '3');
  assert.equal(rows(tree, 'port/54012')[0].description, 'curl 5150 · ESTAB · 3.2 s');
});

test('a connection that moves to another group gets another row id (no duplicate ids across groups)', () => {
  const tree = buildTree(input());
  const ids = [...tree.nodes.keys()];
  assert.equal(new Set(ids).size, ids.length);
  assert.ok(ids.includes('state/ESTABLISHED/S1'));
});

test('filter terms: anywhere, by field, negated, and by the names ss and netstat print', () => {
  assert.deepEqual(parseFilter('  node  -state:listen port:8080 '), [
    { field: 'any', text: 'node', negated: false },
    { field: 'state', text: 'listen', negated: true },
    { field: 'port', text: '8080', negated: false },
  ]);
  const f = (text: string, c: Connection, line?: string) => matchesFilter(c, parseFilter(text), line);
  assert.equal(f('curl', clientSide), true);
  assert.equal(f('curl', serverSide), false);
  assert.equal(f('54012', serverSide), true, 'a plain number finds an endpoint');
  assert.equal(f('port:5401', serverSide), false, 'port: is exact');
  assert.equal(f('port::54012', serverSide), true);
  assert.equal(f('pid:4242', serverSide), true);
  assert.equal(f('4242', serverSide), true);
  assert.equal(f('424', serverSide), false, 'a pid is matched whole');
  assert.equal(f('estab', serverSide), true, 'ss prints ESTAB');
  assert.equal(f('TIME_WAIT', timeWait), true);
  assert.equal(f('state:timewait', timeWait), true);
  assert.equal(f('state:time', serverSide), false);
  assert.equal(f('[::1]', closeWait), true);
  assert.equal(f('addr:::1', closeWait), true);
  assert.equal(f('addr:::1', serverSide), false);
  assert.equal(f('-state:listen', listener), false);
  assert.equal(f('-state:listen', serverSide), true);
  assert.equal(f('srv.js', serverSide, 'node /work/srv.js --port 8080'), true, 'the command line counts as the process');
  assert.equal(f('node 8080 estab', serverSide), true, 'all terms must match');
  assert.equal(f('node 8080 listen', serverSide), false);
  assert.deepEqual(parseFilter(''), []);
});

test('a filter hides non-matching rows and empty groups, and says "N of M"', () => {
  const tree = buildTree(input({ options: { filter: parseFilter('curl'), showEmptyStates: true } }));
  assert.deepEqual(tree.roots.map((r) => r.id), ['state/ESTABLISHED', 'state/TIME-WAIT']);
  assert.equal((tree.roots[0] as GroupNode).description, '1 of 2');
  assert.equal(tree.shown, 2);
  assert.equal(tree.total, 5);
  const none = buildTree(input({ options: { filter: parseFilter('nothing-matches-this') } }));
  assert.deepEqual(none.roots, []);
});

test('new and changed rows are marked for highlightMs, but not what the first sample already showed', () => {
  const fresh = conn({ id: 'N', local: ['127.0.0.1', 54100], remote: ['127.0.0.1', 8080], states: [['SYN-SENT', T0 + 1000], ['ESTABLISHED', T0 + 1000]] });
  const changed = conn({ id: 'X', local: ['127.0.0.1', 54013], remote: ['127.0.0.1', 8080], states: [['ESTABLISHED', T0 - 5000], ['FIN-WAIT-2', T0 + 2000]] });
  const opts = { ...baseOptions };
  assert.deepEqual(connectionMark(fresh, T0 + 1500, opts), { mark: 'new', until: T0 + 4000 });
  assert.deepEqual(connectionMark(fresh, T0 + 4000, opts), { mark: null, until: null });
  assert.deepEqual(connectionMark(changed, T0 + 2500, opts), { mark: 'changed', until: T0 + 5000 });
  assert.deepEqual(connectionMark(serverSide, T0, opts), { mark: null, until: null }, 'older than the baseline');
  assert.deepEqual(connectionMark(fresh, T0 + 1500, { ...opts, baseline: T0 + 1000 }), { mark: null, until: null }, 'in the first sample after a scope switch');

  const tree = buildTree(input({ connections: [...all, fresh, changed], now: T0 + 2500 }));
  const est = rows(tree, 'state/ESTABLISHED').find((r) => r.connectionId === 'N');
  assert.equal(est?.mark, 'new');
  assert.equal(est?.description, '● new · node 4242 · 1.5 s');
  const fw2 = rows(tree, 'state/FIN-WAIT-2')[0];
  assert.equal(fw2.mark, 'changed');
  assert.equal(fw2.description, '● from ESTABLISHED · node 4242 · 500 ms');
});

test('a state change after the first sample outranks "new"', () => {
  const spec: ConnSpec = { id: 'Y', local: ['127.0.0.1', 8080], remote: ['127.0.0.1', 54200], states: [['ESTABLISHED', T0 + 1000]] };
  assert.deepEqual(connectionMark(conn(spec), T0 + 1500, baseOptions), { mark: 'new', until: T0 + 4000 });
  const later = conn({ ...spec, states: [['ESTABLISHED', T0 + 1000], ['TIME-WAIT', T0 + 2500]] });
  assert.deepEqual(connectionMark(later, T0 + 2600, baseOptions), { mark: 'changed', until: T0 + 5500 });
});

test('processes are named by their script: every Node or Python process has the same comm', () => {
  assert.equal(processName('node', ['/usr/bin/node', '/work/app/srv.js', '--port', '8080']), 'node srv.js');
  assert.equal(processName('node', ['node', '--inspect-brk=9229', 'dist/server.mjs']), 'node server.mjs');
  assert.equal(processName('python3', ['python3', '-m', 'http.server', '8000']), 'python3 -m http.server');
  assert.equal(processName('node', ['node', '-e', 'require("net").createServer().listen(0)']), 'node', 'inline code is not a script name');
  assert.equal(processName('nginx', ['nginx: worker process']), 'nginx');
  assert.equal(processName('curl', undefined), 'curl');
  const tree = buildTree(input({ commandLine: (pid) => (pid === 4242 ? ['node', '/work/srv.js'] : undefined), options: { groupBy: 'process' } }));
  assert.equal((tree.nodes.get('pid/4242') as GroupNode).label, 'node srv.js 4242');
  const byState = buildTree(input({ commandLine: (pid) => (pid === 4242 ? ['node', '/work/srv.js'] : undefined) }));
  assert.equal(rows(byState, 'state/LISTEN')[0].description, 'node srv.js 4242 · 1 h');
  const filtered = buildTree(input({ commandLine: (pid) => (pid === 4242 ? ['node', '/work/srv.js'] : undefined), options: { filter: parseFilter('srv.js') } }));
  assert.equal(filtered.shown, 3, 'the filter matches the command line');
});

test('a closed connection stays greyed under CLOSED for closedLingerMs, then leaves', () => {
  const closed = conn({ id: 'G', local: ['127.0.0.1', 54014], remote: ['127.0.0.1', 8080], states: [['ESTABLISHED', T0 - 9000], ['TIME-WAIT', T0 - 4000], ['CLOSED', T0 + 1000]], closedAt: T0 + 1000 });
  const during = buildTree(input({ connections: [...all, closed], now: T0 + 3000 }));
  const row = rows(during, 'state/CLOSED')[0];
  assert.equal(row.mark, 'closed');
  assert.equal(row.lastOpenState, 'TIME-WAIT');
  assert.equal(row.description, 'closed · node 4242 · was TIME-WAIT');
  const after = buildTree(input({ connections: [...all, closed], now: T0 + 6000 }));
  assert.equal(after.nodes.has('state/CLOSED'), false);
  assert.equal(after.total, 5);
});

test('durations get coarser as they grow', () => {
  const cases: [number, string][] = [
    [0, '0 ms'],
    [850, '850 ms'],
    [3249, '3.2 s'],
    [9999, '9.9 s'],
    [42_000, '42 s'],
    [60_000, '1 min'],
    [303_000, '5 min 3 s'],
    [12 * 60_000 + 5000, '12 min'],
    [2 * 3_600_000, '2 h'],
    [2 * 3_600_000 + 5 * 60_000, '2 h 5 min'],
    [3 * 86_400_000 + 4 * 3_600_000, '3 d 4 h'],
    [-5, '0 ms'],
  ];
  for (const [ms, text] of cases) assert.equal(formatDuration(ms), text, `${ms} ms`);
  assert.equal(formatDuration(3249, CHINESE_UNITS), '3.2 秒');
  assert.equal(formatDuration(61_000, CHINESE_UNITS), '1 分 1 秒');
  assert.equal(formatDuration(7_200_000, CHINESE_UNITS), '2 小时');
  // Compact units for table cells: no space, one letter for minutes.
  assert.equal(formatDuration(850, COMPACT_UNITS), '850ms');
  assert.equal(formatDuration(59_270, COMPACT_UNITS), '59s');
  assert.equal(formatDuration(125_000, COMPACT_UNITS), '2m5s');
  assert.equal(formatDuration(2 * 3_600_000 + 5 * 60_000, COMPACT_UNITS), '2h5m');
});

test('diff: nothing changed, one group changed, or the group list changed', () => {
  const a = buildTree(input({ now: T0 }));
  assert.deepEqual(diffTrees(a, buildTree(input({ now: T0 }))), { rootsChanged: false, changedRoots: [] });
  // 40 ms later only the young ESTABLISHED rows could tick, and their text (3.2 s) has not changed yet.
  assert.deepEqual(diffTrees(a, buildTree(input({ now: T0 + 40 }))), { rootsChanged: false, changedRoots: [] });
  // A second later the ESTABLISHED rows read 4.2 s, CLOSE-WAIT 1 min 31 s, TIME-WAIT 13 s; LISTEN still reads 1 h.
  const later = diffTrees(a, buildTree(input({ now: T0 + 1000 })));
  assert.equal(later.rootsChanged, false);
  assert.deepEqual(later.changedRoots, ['state/ESTABLISHED', 'state/CLOSE-WAIT', 'state/TIME-WAIT']);
  const moved = conn({ id: 'C1', local: ['127.0.0.1', 54012], remote: ['127.0.0.1', 8080], states: [['ESTABLISHED', T0 - 3200], ['FIN-WAIT-1', T0]], owner: ['curl', 5150] });
  const b = buildTree(input({ connections: [listener, serverSide, moved, timeWait, closeWait] }));
  const d = diffTrees(a, b);
  assert.equal(d.rootsChanged, true, 'FIN-WAIT-1 appeared');
  assert.ok(d.changedRoots.includes('state/ESTABLISHED'));
  assert.ok(d.changedRoots.includes('state/FIN-WAIT-1'));
  assert.ok(!d.changedRoots.includes('state/LISTEN'));
  assert.deepEqual(diffTrees(null, a), { rootsChanged: true, changedRoots: a.roots.map((r) => r.id) });
});

test('status bar: most important states first, ss short names, at most three then how many more', () => {
  const counts = emptyCounts();
  assert.equal(statusBarCounts(counts), '');
  counts.ESTABLISHED = 12;
  counts['TIME-WAIT'] = 3;
  assert.equal(statusBarCounts(counts), '12 ESTAB · 3 TIME-WAIT');
  counts.LISTEN = 1;
  counts['CLOSE-WAIT'] = 2;
  counts['SYN-RECEIVED'] = 4;
  counts.CLOSED = 7;
  assert.equal(statusBarCounts(counts), '12 ESTAB · 2 CLOSE-WAIT · 4 SYN-RECV · +4 more');
  assert.equal(statusBarCounts(counts, 4, (n) => `另 ${n} 个`), '12 ESTAB · 2 CLOSE-WAIT · 4 SYN-RECV · 3 TIME-WAIT · 另 1 个');
  assert.equal(openSocketCount(counts), 22, 'CLOSED is not an open socket');
});

test('ss filter: one socket by state and 4-tuple, as ss(8) reads it', () => {
  assert.equal(ssCommandLine(clientSide), "ss -tan state established '( sport = :54012 and dport = :8080 and src 127.0.0.1 and dst 127.0.0.1 )'");
  assert.deepEqual(ssFilterArgs(listener), ['state', 'listening', '( sport = :8080 )'], 'wildcards and port 0 are left out');
  assert.deepEqual(ssFilterArgs(closeWait), ['state', 'close-wait', '( sport = :8080 and dport = :41000 and src [::1] and dst [::1] )']);
  assert.deepEqual(ssFilterArgs({ state: 'SYN-RECEIVED', local: { address: 'fe80::1%eth0', port: 22 }, remote: { address: 'fe80::2%eth0', port: 5000 } }), ['state', 'syn-recv', '( sport = :22 and dport = :5000 and src [fe80::1] and dst [fe80::2] )']);
  assert.deepEqual(ssFilterArgs({ state: 'CLOSED', local: clientSide.local, remote: clientSide.remote }), ['( sport = :54012 and dport = :8080 and src 127.0.0.1 and dst 127.0.0.1 )'], 'a closed socket has no state to filter by');
});


test('row labels: the ports alone when both ends share an address, the remote end whole otherwise, a listener as it listens', () => {
  const e = (address: string, port: number) => ({ address, port });
  assert.equal(rowLabel({ local: e('127.0.0.1', 7321), remote: e('127.0.0.1', 35726) }), ':7321 → :35726');
  assert.equal(rowLabel({ local: e('::1', 8080), remote: e('::1', 41000) }), ':8080 → :41000');
  assert.equal(rowLabel({ local: e('::ffff:127.0.0.1', 80), remote: e('::ffff:127.0.0.1', 5000) }), ':80 → :5000');
  assert.equal(rowLabel({ local: e('192.168.1.20', 22), remote: e('192.168.1.20', 50000) }), ':22 → :50000', 'the machine talking to its own address');
  assert.equal(rowLabel({ local: e('10.0.0.5', 54012), remote: e('93.184.216.34', 443) }), ':54012 → 93.184.216.34:443', 'the local address goes to the tooltip');
  assert.equal(rowLabel({ local: e('127.0.0.1', 40000), remote: e('127.0.0.2', 80) }), ':40000 → 127.0.0.2:80', 'two loopback addresses are two ends');
  assert.equal(rowLabel({ local: e('2001:db8::1', 40000), remote: e('2606:4700::6810:84e5', 443) }), ':40000 → [2606:4700::6810:84e5]:443');
  assert.equal(rowLabel({ local: e('0.0.0.0', 8080), remote: e('0.0.0.0', 0) }), '0.0.0.0:8080', 'who can connect to a listener is its address');
  assert.equal(rowLabel({ local: e('127.0.0.1', 3000), remote: e('0.0.0.0', 0) }), '127.0.0.1:3000');
  // The full form stays for what is copied and for the tooltip.
  assert.equal(connectionLabel({ local: e('127.0.0.1', 7321), remote: e('127.0.0.1', 35726) }), '127.0.0.1:7321 → 127.0.0.1:35726');
  // At the sidebar width the old label was cut after 29 characters (`127.0.0.1:7321 → 127.0.0.1:357…`).
  assert.ok(rowLabel({ local: e('127.0.0.1', 7321), remote: e('127.0.0.1', 35726) }).length <= 16);
});

// A CLOSE-WAIT leak as the issue saw it: the leaking server (node leak-server.js) holds CLOSE-WAIT sockets, its
// peer (the client that closed) holds FIN-WAIT-2 ones, which sort above CLOSE-WAIT in diagram order.
const leakOwner: [string, number] = ['node', 3774];
const peerOwner: [string, number] = ['node', 3800];
const leakRows = [0, 1].map((i) => conn({ id: `LW${i}`, local: ['127.0.0.1', 7321], remote: ['127.0.0.1', 35000 + i], states: [['ESTABLISHED', T0 - 200_000], ['CLOSE-WAIT', T0 - 100_000]], owner: leakOwner }));
const peerRows = [0, 1].map((i) => conn({ id: `FW${i}`, local: ['127.0.0.1', 35000 + i], remote: ['127.0.0.1', 7321], states: [['ESTABLISHED', T0 - 200_000], ['FIN-WAIT-2', T0 - 100_000]], owner: peerOwner }));
const other = conn({ id: 'O', local: ['127.0.0.1', 7321], remote: ['127.0.0.1', 36000], states: [['ESTABLISHED', T0 - 5000]], owner: leakOwner });
const leak: Insight = { kind: 'close-wait-leak', key: 'close-wait-leak:3774', connectionIds: ['LW0', 'LW1'], pid: 3774, command: 'node', endpoint: null, count: 2, oldestMs: 100_000, threshold: 30 };
const leakArgv = (pid: number) => (pid === 3774 ? ['node', '/work/leak-server.js'] : pid === 3800 ? ['node', '/work/client.js'] : undefined);

test('insight: terms: the filter holds exactly the insight\'s sockets, whatever the letter case', () => {
  assert.deepEqual(parseFilter(insightFilter(leak)), [{ field: 'insight', text: 'close-wait-leak:3774', negated: false }]);
  const members = insightMembers([leak]);
  const f = (text: string, c: Connection) => matchesFilter(c, parseFilter(text), undefined, members);
  assert.equal(f('insight:close-wait-leak:3774', leakRows[0]), true);
  assert.equal(f('insight:CLOSE-WAIT-LEAK:3774', leakRows[1]), true);
  assert.equal(f('insight:close-wait-leak:3774', peerRows[0]), false, 'the peer\'s FIN-WAIT-2 is not the leak');
  assert.equal(f('insight:close-wait-leak:3774', other), false);
  assert.equal(f('-insight:close-wait-leak:3774', other), true);
  assert.equal(f('insight:close-wait-leak:9999', leakRows[0]), false, 'an insight that no longer holds matches nothing');
  assert.equal(matchesFilter(leakRows[0], parseFilter('insight:close-wait-leak:3774')), false, 'without the insights, nothing');
  const tree = buildTree(input({ connections: [...leakRows, ...peerRows, other], insights: [leak], commandLine: leakArgv, options: { filter: parseFilter(insightFilter(leak)) } }));
  assert.deepEqual(tree.roots.map((r) => r.id), [INSIGHTS_ID, 'state/CLOSE-WAIT']);
  assert.deepEqual(rows(tree, 'state/CLOSE-WAIT').map((r) => r.connectionId), ['LW0', 'LW1']);
  assert.equal((tree.nodes.get('state/CLOSE-WAIT') as GroupNode).description, '2 of 2');
  assert.equal(tree.shown, 2);
});

test('the sockets of an insight come first: their group above the peer\'s FIN-WAIT-2, their rows first in a group', () => {
  const byState = buildTree(input({ connections: [...peerRows, ...leakRows, other], insights: [leak], commandLine: leakArgv }));
  assert.deepEqual(byState.roots.map((r) => r.id), [INSIGHTS_ID, 'state/CLOSE-WAIT', 'state/ESTABLISHED', 'state/FIN-WAIT-2']);
  const none = buildTree(input({ connections: [...peerRows, ...leakRows, other], commandLine: leakArgv }));
  assert.deepEqual(none.roots.map((r) => r.id), ['state/ESTABLISHED', 'state/FIN-WAIT-2', 'state/CLOSE-WAIT'], 'diagram order without an insight');
  const byProcess = buildTree(input({ connections: [...peerRows, ...leakRows, other], insights: [leak], commandLine: leakArgv, options: { groupBy: 'process' } }));
  assert.deepEqual(byProcess.roots.map((r) => r.id), [INSIGHTS_ID, 'pid/3774', 'pid/3800']);
  assert.deepEqual(rows(byProcess, 'pid/3774').map((r) => r.connectionId), ['LW0', 'LW1', 'O'], 'the leaking rows before the process\'s healthy one');
  assert.equal(rows(byProcess, 'pid/3774')[0].description, 'CLOSE-WAIT · 1 min 40 s');
  assert.equal(rows(byState, 'state/CLOSE-WAIT')[0].description, 'node leak-server.js 3774 · 1 min 40 s');
});

// What js-debug's launch of `node srv.cjs` opened, as sampled in the vscode tier (VS Code 1.100.3): the
// debuggee's inspector on an ephemeral port, js-debug's watchdog (a child of the debuggee) connected to it.
const debuggee: [string, number] = ['node', 24550];
const watchdog: [string, number] = ['node', 24610];
const WATCHDOG_ARGV = ['/usr/bin/node', '/usr/lib/code-server/lib/vscode/extensions/ms-vscode.js-debug/src/watchdog.js'];
const appListener = conn({ id: 'APP', local: ['127.0.0.1', 34621], remote: ['0.0.0.0', 0], states: [['LISTEN', T0 - 5000]], owner: debuggee });
const inspector = conn({ id: 'INS', local: ['127.0.0.1', 53087], remote: ['0.0.0.0', 0], states: [['LISTEN', T0 - 5000]], owner: debuggee });
const accepted = { ...conn({ id: 'ACC', local: ['127.0.0.1', 53087], remote: ['127.0.0.1', 59498], states: [['ESTABLISHED', T0 - 5000]], owner: debuggee }), role: 'server' as const };
const watchdogSide = { ...conn({ id: 'WD', local: ['127.0.0.1', 59498], remote: ['127.0.0.1', 53087], states: [['ESTABLISHED', T0 - 5000]], owner: watchdog }), role: 'client' as const };
const debugArgv = (pid: number) => (pid === 24610 ? WATCHDOG_ARGV : pid === 24550 ? ['/usr/bin/node', './srv.cjs', '/tmp/ready.json'] : undefined);

test('the debugger\'s sockets are kept apart: hidden by default, counted in a Debugger row at the end, shown on request', () => {
  const debugSession = [appListener, inspector, accepted, watchdogSide];
  const hidden = buildTree(input({ connections: debugSession, commandLine: debugArgv }));
  assert.deepEqual(hidden.roots.map((r) => r.id), ['state/LISTEN', DEBUGGER_ID]);
  assert.deepEqual(rows(hidden, 'state/LISTEN').map((r) => r.connectionId), ['APP'], 'the application\'s listener alone');
  const node = hidden.nodes.get(DEBUGGER_ID) as DebuggerNode;
  assert.deepEqual([node.label, node.description, node.count, node.shown], ['Debugger', '3 hidden', 3, false]);
  assert.deepEqual(hidden.children.get(DEBUGGER_ID), []);
  assert.equal(hidden.shown, 1);
  assert.equal(hidden.total, 4);

  const shown = buildTree(input({ connections: debugSession, commandLine: debugArgv, options: { showDebuggerSockets: true } }));
  const debuggerRows = rows(shown, DEBUGGER_ID);
  assert.deepEqual(debuggerRows.map((r) => r.connectionId).sort(), ['ACC', 'INS', 'WD']);
  assert.equal(debuggerRows.find((r) => r.connectionId === 'WD')?.description, 'node watchdog.js 24610 · ESTAB · 5.0 s', 'owner and state, as in no other group');
  assert.equal((shown.nodes.get(DEBUGGER_ID) as DebuggerNode).description, '3');
  assert.equal(shown.shown, 4);

  const filtered = buildTree(input({ connections: debugSession, commandLine: debugArgv, options: { filter: parseFilter('watchdog'), showDebuggerSockets: true } }));
  assert.deepEqual(filtered.roots.map((r) => r.id), [DEBUGGER_ID]);
  assert.equal((filtered.nodes.get(DEBUGGER_ID) as DebuggerNode).description, '1 of 3');
  assert.deepEqual(diffTrees(hidden, shown).changedRoots, [DEBUGGER_ID], 'showing them redraws that row alone');
});

// A compose container's httpd on :8080 (another user's: no owner visible) and an `unshare -n` process, beside ours.
const WEB = { id: '4f3c2a1b9d0e'.padEnd(64, '7'), name: 'demo-web-1', image: 'tcpsv-busybox:test', composeProject: 'demo', composeService: 'web' };
const inWeb = (c: Connection): Connection => ({ ...c, id: `${c.id}@web`, owner: null, netns: 'net:[4026532301]', container: WEB });
const webListener = inWeb(listener);
const webServer = inWeb(serverSide);
const unshared = { ...conn({ id: 'U', local: ['127.0.0.1', 9000], remote: ['0.0.0.0', 0], states: [['LISTEN', T0 - 1000]], owner: ['python3', 7007] }), netns: 'net:[4026532302]' };
const namespaced = [...all, webListener, webServer, unshared];

test('rows of other namespaces say where they are: the container, else the namespace; no "unknown process" for a container', () => {
  const tree = buildTree(input({ connections: namespaced }));
  const listen = rows(tree, 'state/LISTEN');
  assert.deepEqual(
    listen.map((r) => r.description),
    ['node 4242 · 1 h', 'in container demo-web-1 · 1 h', 'python3 7007 · in network namespace net:[4026532302] · 1.0 s'],
  );
  // The same 4-tuple in two namespaces: two rows.
  assert.deepEqual(
    rows(tree, 'state/ESTABLISHED')
      .filter((r) => r.label === ':8080 → :54012')
      .map((r) => r.connectionId),
    ['S1', 'S1@web'],
  );
});

test('grouped by container: containers by name, then namespaces without one, then this machine; rows without the place', () => {
  const tree = buildTree(input({ connections: namespaced, options: { groupBy: 'container' } }));
  assert.deepEqual(
    tree.roots.map((r) => [r.id, (r as GroupNode).label, (r as GroupNode).description]),
    [
      [`container/${WEB.id}`, 'demo-web-1', '2'],
      ['netns/net:[4026532302]', 'net:[4026532302]', '1'],
      ['container/host', 'this machine', '5'],
    ],
  );
  const g = tree.roots[0] as GroupNode;
  assert.equal(g.container, WEB);
  assert.equal(g.netns, 'net:[4026532301]');
  assert.equal((tree.roots[2] as GroupNode).netns, null);
  assert.deepEqual(rows(tree, `container/${WEB.id}`).map((r) => r.description), ['LISTEN · 1 h', 'ESTAB · 3.2 s']);
  assert.deepEqual(rows(tree, 'container/host')[0].description, 'node 4242 · LISTEN · 1 h');
});

test('filter: container:NAME, ctr:, netns:, by image or compose service, and bare words match container names', () => {
  const shown = (text: string) =>
    namespaced
      .filter((c) => matchesFilter(c, parseFilter(text)))
      .map((c) => c.id)
      .sort();
  assert.deepEqual(shown('container:demo-web'), ['L@web', 'S1@web']);
  assert.deepEqual(shown('ctr:web'), ['L@web', 'S1@web'], 'the compose service');
  assert.deepEqual(shown('container:busybox'), ['L@web', 'S1@web'], 'the image');
  assert.deepEqual(shown('container:4f3c2a'), ['L@web', 'S1@web'], 'an id prefix');
  assert.deepEqual(shown('netns:4026532302'), ['U']);
  assert.deepEqual(shown('demo-web-1'), ['L@web', 'S1@web']);
  assert.deepEqual(shown('-container:demo state:listen'), ['L', 'U']);
});

test('the Insights group is redrawn when its label would change, not each second of the oldest socket\'s age', () => {
  const at = (oldestMs: number) => buildTree(input({ connections: [...leakRows], insights: [{ ...leak, oldestMs }] }));
  const changed = (a: number, b: number) => diffTrees(at(a), at(b)).changedRoots.includes(INSIGHTS_ID);
  assert.equal(changed(100_000, 101_000), false, '1 min 40 s and 1 min 41 s both read "oldest 1 min"');
  assert.equal(changed(100_000, 119_999), false);
  assert.equal(changed(119_999, 120_000), true, '2 min');
  assert.equal(changed(31_000, 39_000), false, '30 s');
  assert.equal(changed(39_000, 40_000), true, '40 s');
  assert.equal(changed(5_000, 6_000), true, 'under 10 s, by the second');
});
