// The snapshot's JSON shape and its text and Markdown renderings, over the loopback capture (fixtures/README.md).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseProcNetTcp } from '../../../src/sampling/procNetTcp';
import { ENGLISH_SNAPSHOT_LABELS, countStates, displayEndpoint, renderSnapshotMarkdown, renderSnapshotText, sortSockets, toSnapshotJson, type SnapshotInput } from '../../../src/domain/snapshot';
import { type SocketRecord } from '../../../src/domain/types';
import { TCP_STATES } from '../../../src/domain/states';
import { UNIT_FIXTURES } from '../../common/paths';

const fixtures = UNIT_FIXTURES;
const read = (name: string): string => readFileSync(join(fixtures, name), 'latin1');

function input(): SnapshotInput {
  const sockets: SocketRecord[] = [...parseProcNetTcp(read('loopback-proc-net-tcp.txt'), 'ipv4').sockets, ...parseProcNetTcp(read('loopback-proc-net-tcp6.txt'), 'ipv6').sockets];
  for (const s of sockets) if (s.inode !== 0) s.owners = [{ pid: 4000 + (s.local.port % 7), command: s.local.port % 2 ? 'node' : 'a|b `x`' }];
  return { takenAt: Date.UTC(2026, 10, 23, 21, 0, 0, 5), backend: 'proc', scope: 'all', sockets };
}

test('JSON: exactly the documented shape, counts in diagram order, sockets sorted', () => {
  const sample = input();
  const json = toSnapshotJson(sample, 'devbox');
  assert.deepEqual(Object.keys(json), ['takenAt', 'host', 'backend', 'scope', 'counts', 'sockets']);
  assert.equal(json.takenAt, '2026-11-23T21:00:00.005Z');
  assert.deepEqual([json.host, json.backend, json.scope], ['devbox', 'proc', 'all']);
  assert.deepEqual(Object.keys(json.counts), [...TCP_STATES]);
  assert.equal(Object.values(json.counts).reduce((a, b) => a + b, 0), sample.sockets.length);
  assert.equal(json.counts['TIME-WAIT'], 2);
  for (const s of json.sockets) {
    assert.deepEqual(Object.keys(s), ['state', 'family', 'local', 'remote', 'inode', 'uid', 'recvQ', 'sendQ', 'timer', 'owners']);
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
