// The ways the webview draws (webview/history.ts) are the tracker's: checked in plain Node against the real
// ConnectionTracker fed synthetic socket tables.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { adjacent } from '../../src/domain/diagram';
import type { Connection, TcpState, TrackerEvent } from '../../src/domain/types';
import { closingHops, openingHops, type HopSpec } from '../../webview/history';
import { connection } from './harness';
import { T0 } from './fixtures';
import { TrackedHost, socket } from './tracked';

const text = (hops: readonly HopSpec[]): string => hops.map((h) => `${h.from}>${h.to}${h.inferred ? '~' : ''}`).join(' | ');

const LISTENER = socket('LISTEN', ['0.0.0.0', 8080], ['0.0.0.0', 0], 100);

function opened(events: readonly TrackerEvent[]): Connection {
  const ev = events.find((e) => e.kind === 'opened');
  assert.ok(ev && ev.kind === 'opened', 'an opened event');
  return ev.connection;
}

test('an opening follows the history the tracker recorded: a server first seen in TIME-WAIT passes ESTABLISHED, never CLOSING', () => {
  const host = new TrackedHost();
  host.sample(T0, [LISTENER]);
  const u = host.sample(T0 + 1000, [LISTENER, socket('TIME-WAIT', ['127.0.0.1', 8080], ['127.0.0.1', 51000], 0)]);
  const c = opened(u.events);
  assert.equal(c.role, 'server');
  // Every hop inferred, the last one too: no sample saw the connection enter TIME-WAIT either.
  assert.equal(
    text(openingHops(c)),
    'LISTEN>SYN-RECEIVED~ | SYN-RECEIVED>ESTABLISHED~ | ESTABLISHED>FIN-WAIT-1~ | FIN-WAIT-1>FIN-WAIT-2~ | FIN-WAIT-2>TIME-WAIT',
  );
});

test('a client first seen in FIN-WAIT-2 opened through SYN-SENT and ESTABLISHED, never SYN-RECEIVED', () => {
  const host = new TrackedHost();
  host.sample(T0, [LISTENER]);
  const c = opened(host.sample(T0 + 1000, [LISTENER, socket('FIN-WAIT-2', ['127.0.0.1', 41000], ['127.0.0.1', 80], 700)]).events);
  assert.equal(c.role, 'client');
  assert.equal(text(openingHops(c)), 'CLOSED>SYN-SENT~ | SYN-SENT>ESTABLISHED~ | ESTABLISHED>FIN-WAIT-1~ | FIN-WAIT-1>FIN-WAIT-2');
});

test('a one-entry history has no opening: the webview adds no state of its own', () => {
  const one = (role: Connection['role'], state: TcpState): string => text(openingHops(connection(`${role}-${state}`, role, [[state, T0]])));
  for (const [role, state] of [['client', 'CLOSED'], ['server', 'ESTABLISHED'], ['client', 'TIME-WAIT'], ['listener', 'LISTEN']] as const) assert.equal(one(role, state), '');
});

test('a closing is the tracker\'s way to CLOSED, as its event carries it', () => {
  const host = new TrackedHost();
  const rows = {
    tw: socket('TIME-WAIT', ['127.0.0.1', 8080], ['127.0.0.1', 51000], 0),
    est: socket('ESTABLISHED', ['127.0.0.1', 41001], ['127.0.0.1', 80], 701),
    fw2: socket('FIN-WAIT-2', ['127.0.0.1', 41002], ['127.0.0.1', 80], 702),
    closing: socket('CLOSING', ['127.0.0.1', 41003], ['127.0.0.1', 80], 0),
  };
  host.sample(T0, [LISTENER, ...Object.values(rows)]);
  const u = host.sample(T0 + 1000, [LISTENER]);
  const ways = new Map<TcpState, string>();
  for (const ev of u.events) {
    assert.equal(ev.kind, 'closed');
    if (ev.kind === 'closed') ways.set(ev.from, text(closingHops(ev)));
  }
  assert.equal(ways.get('TIME-WAIT'), 'TIME-WAIT>CLOSED', 'the expected end: one hop');
  assert.equal(ways.get('ESTABLISHED'), 'ESTABLISHED>CLOSE-WAIT~ | CLOSE-WAIT>LAST-ACK~ | LAST-ACK>CLOSED~');
  assert.equal(ways.get('FIN-WAIT-2'), 'FIN-WAIT-2>CLOSED~', 'TIME-WAIT would have been seen: an abort');
  assert.equal(ways.get('CLOSING'), 'CLOSING>TIME-WAIT~ | TIME-WAIT>CLOSED', 'as the tracker recorded it, not the abort beside it');
});

test('every hop drawn for the tracker\'s records is an edge of the diagram', () => {
  const host = new TrackedHost();
  host.sample(T0, [LISTENER]);
  const firstSeen: [TcpState, [string, number], [string, number], number][] = [
    ['ESTABLISHED', ['127.0.0.1', 8080], ['127.0.0.1', 52000], 800],
    ['CLOSE-WAIT', ['127.0.0.1', 8080], ['127.0.0.1', 52001], 801],
    ['TIME-WAIT', ['127.0.0.1', 8080], ['127.0.0.1', 52002], 0],
    ['SYN-SENT', ['127.0.0.1', 42000], ['127.0.0.1', 80], 802],
    ['ESTABLISHED', ['127.0.0.1', 42001], ['127.0.0.1', 80], 803],
    ['FIN-WAIT-2', ['127.0.0.1', 42002], ['127.0.0.1', 80], 804],
    ['TIME-WAIT', ['127.0.0.1', 42003], ['127.0.0.1', 80], 0],
  ];
  const u = host.sample(T0 + 1000, [LISTENER, ...firstSeen.map(([s, l, r, i]) => socket(s, l, r, i))]);
  const all: HopSpec[] = [];
  for (const ev of u.events) if (ev.kind === 'opened') all.push(...openingHops(ev.connection));
  const gone = host.sample(T0 + 2000, [LISTENER]);
  for (const ev of gone.events) if (ev.kind === 'closed') all.push(...closingHops(ev));
  assert.ok(all.length > 20);
  for (const h of all) assert.ok(adjacent(h.from, h.to), `${h.from}>${h.to} is an edge`);
});
