// The snapshot's JSON shape and its text and Markdown renderings, over the loopback capture (fixtures/README.md).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseProcNetTcp } from '../../../src/sampling/procNetTcp';
import { ENGLISH_SNAPSHOT_LABELS, countStates, displayEndpoint, renderSnapshotMarkdown, renderSnapshotText, sortSockets, toSnapshotJson, type SnapshotInput } from '../../../src/domain/snapshot';
import { type ContainerLabel, type SocketRecord } from '../../../src/domain/types';
import { TCP_STATES } from '../../../src/domain/states';
import { UNIT_FIXTURES } from '../../common/paths';

const fixtures = UNIT_FIXTURES;
const read = (name: string): string => readFileSync(join(fixtures, name), 'latin1');

function input(): SnapshotInput {
  const sockets: SocketRecord[] = [...parseProcNetTcp(read('loopback-proc-net-tcp.txt'), 'ipv4').sockets, ...parseProcNetTcp(read('loopback-proc-net-tcp6.txt'), 'ipv6').sockets];
  for (const s of sockets) if (s.inode !== 0) s.owners = [{ pid: 4000 + (s.local.port % 7), command: s.local.port % 2 ? 'node' : 'a|b `x`' }];
  return { takenAt: Date.UTC(2026, 10, 23, 21, 0, 0, 5), backend: 'proc', scope: 'all', sockets, netns: 'net:[4026531840]' };
}

test('JSON: exactly the documented shape, counts in diagram order, sockets sorted', () => {
  const sample = input();
  const json = toSnapshotJson(sample, 'devbox');
  assert.deepEqual(Object.keys(json), ['takenAt', 'host', 'backend', 'scope', 'netns', 'counts', 'sockets']);
  assert.equal(json.netns, 'net:[4026531840]');
  assert.equal(json.takenAt, '2026-11-23T21:00:00.005Z');
  assert.deepEqual([json.host, json.backend, json.scope], ['devbox', 'proc', 'all']);
  assert.deepEqual(Object.keys(json.counts), [...TCP_STATES]);
  assert.equal(Object.values(json.counts).reduce((a, b) => a + b, 0), sample.sockets.length);
  assert.equal(json.counts['TIME-WAIT'], 2);
  for (const s of json.sockets) {
    assert.deepEqual(Object.keys(s), ['state', 'family', 'local', 'remote', 'inode', 'uid', 'recvQ', 'sendQ', 'timer', 'owners', 'netns', 'container']);
    assert.equal(s.netns, 'net:[4026531840]', 'our own namespace, named');
    assert.equal(s.container, null);
    assert.deepEqual(Object.keys(s.local), ['address', 'port']);
    for (const o of s.owners) assert.deepEqual(Object.keys(o), ['pid', 'command']);
  }
  const order = json.sockets.map((s) => TCP_STATES.indexOf(s.state));
  assert.deepEqual(order, [...order].sort((a, b) => a - b));
  // A round trip through JSON text loses nothing (no undefined, no class instances).
  assert.deepEqual(JSON.parse(JSON.stringify(json)), json);
  // The sample itself is left as it was.
  assert.notEqual(json.sockets[0], sample.sockets[0]);
});

test('sorting is stable for diffing: state, then local, then remote endpoint, whatever the input order', () => {
  const sockets = input().sockets;
  const sorted = sortSockets(sockets);
  assert.deepEqual(sortSockets([...sockets].reverse()), sorted);
  for (let i = 1; i < sorted.length; i++) {
    const [a, b] = [sorted[i - 1], sorted[i]];
    const d = TCP_STATES.indexOf(a.state) - TCP_STATES.indexOf(b.state);
    assert.ok(d < 0 || (d === 0 && (a.local.address < b.local.address || (a.local.address === b.local.address && a.local.port <= b.local.port))), `${i}`);
  }
});

test('text: a header, all eleven states with counts, then one aligned line per socket', () => {
  const sample = input();
  const text = renderSnapshotText(sample, 'devbox');
  const lines = text.trimEnd().split('\n');
  assert.equal(lines[0], 'TCP sockets');
  assert.ok(lines.includes('Host: devbox'));
  assert.ok(lines.includes('Taken at: 2026-11-23T21:00:00.005Z'));
  assert.ok(lines.includes(`Sockets: ${sample.sockets.length}`));
  const countsStart = lines.indexOf('State         Count');
  assert.ok(countsStart > 0, text);
  const counts = countStates(sample.sockets);
  TCP_STATES.forEach((s, i) => assert.match(lines[countsStart + 1 + i], new RegExp(`^${s} +${counts[s]}$`)));
  const table = lines.slice(countsStart + TCP_STATES.length + 3);
  assert.equal(table.length, sample.sockets.length);
  // Listeners show the wildcard remote end as ss does; IPv6 in brackets.
  assert.ok(table.some((l) => /^LISTEN +\[::1\]:\d+ +\[::\]:\* /.test(l)));
  assert.ok(table.some((l) => /^TIME-WAIT .* timewait \d+(\.\d)?s +-$/.test(l)), 'TIME-WAIT with its timer and no owner');
  // Columns line up: every row has its remote column where the header has it.
  const header = lines[countsStart + TCP_STATES.length + 2];
  const col = header.indexOf('Remote');
  for (const l of table) assert.notEqual(l[col - 1], undefined);
});

test('Markdown: tables with escaped pipes, code spans for endpoints, labels replaceable', () => {
  const sample = input();
  const md = renderSnapshotMarkdown(sample, 'devbox');
  assert.ok(md.startsWith('# TCP sockets\n'));
  assert.ok(md.includes('| State | Count |\n| --- | ---: |\n| LISTEN |'));
  const rows = md.split('\n').filter((l) => /^\| [A-Z0-9-]+ \| `/.test(l));
  assert.equal(rows.length, sample.sockets.length);
  // A command containing a pipe cannot break the table: every row has exactly 7 cells.
  for (const r of rows) assert.equal(r.replace(/\\\|/g, '').split('|').length - 2, 7, r);
  assert.ok(md.includes('a\\|b `x`'));
  const zh = renderSnapshotMarkdown({ ...sample, sockets: [] }, 'devbox', { ...ENGLISH_SNAPSHOT_LABELS, title: 'TCP 套接字', noSockets: '没有套接字。' });
  assert.ok(zh.startsWith('# TCP 套接字\n'));
  assert.ok(zh.includes('没有套接字。'));
});

test('small formatters', () => {
  assert.equal(displayEndpoint({ address: '0.0.0.0', port: 0 }), '0.0.0.0:*');
  assert.equal(displayEndpoint({ address: '::', port: 0 }), '[::]:*');
  assert.equal(displayEndpoint({ address: '::1', port: 22 }), '[::1]:22');
});

const WEB: ContainerLabel = { id: '4f3c2a1b9d0e'.padEnd(64, '7'), name: 'demo-web-1', image: 'busybox:latest', composeProject: 'demo', composeService: 'web' };

/** The loopback capture plus a container's listener and an `unshare -n` namespace's, as a sample of every namespace. */
function withNamespaces(): SnapshotInput {
  const sample = input();
  const listener = sample.sockets.find((s) => s.state === 'LISTEN' && s.family === 'ipv4')!;
  sample.sockets.push(
    { ...listener, inode: 9_000_001, owners: [], netns: 'net:[4026532301]', container: WEB },
    { ...listener, inode: 9_000_002, owners: [{ pid: 777, command: 'python3' }], netns: 'net:[4026532302]' },
  );
  return sample;
}

test('JSON: sockets of other namespaces carry their namespace and container', () => {
  const json = toSnapshotJson(withNamespaces(), 'devbox');
  const theirs = json.sockets.filter((s) => s.netns !== 'net:[4026531840]');
  assert.deepEqual(
    theirs.map((s) => [s.netns, s.container]),
    [
      ['net:[4026532301]', WEB],
      ['net:[4026532302]', null],
    ],
  );
  assert.notEqual(theirs[0].container, WEB, 'a copy: the JSON holds no object of the sample');
  assert.deepEqual(Object.keys(theirs[0].container!), ['id', 'name', 'image', 'composeProject', 'composeService']);
});

test('text and Markdown: a column for the container or namespace, only when some socket is not ours', () => {
  const text = renderSnapshotText(withNamespaces(), 'devbox');
  assert.match(text, /Process +Container \/ netns\n/);
  assert.match(text, /^LISTEN .* - +demo-web-1$/m);
  assert.match(text, /^LISTEN .* 777 python3 +net:\[4026532302\]$/m);
  assert.match(text, /^LISTEN .*\d+ node +-$/m, 'ours: a dash');
  assert.ok(!renderSnapshotText(input(), 'devbox').includes('Container'), 'a host-only snapshot reads as before');
  const md = renderSnapshotMarkdown(withNamespaces(), 'devbox');
  const rows = md.split('\n').filter((l) => /^\| [A-Z0-9-]+ \| `/.test(l));
  for (const r of rows) assert.equal(r.replace(/\\\|/g, '').split('|').length - 2, 8, r);
  assert.ok(rows.some((r) => r.endsWith('| demo-web-1 |')));
  assert.ok(!renderSnapshotMarkdown(input(), 'devbox').includes('netns'));
});
