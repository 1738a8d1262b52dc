// The host <-> webview messages: the host acts only on webview messages of exactly the declared shapes, and
// the webview ignores host-looking messages it cannot render.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_ERROR_MESSAGE, WEBVIEW_MESSAGE_TYPES, parseHostMessage, parseSelectionArgument, parseWebviewMessage } from '../../src/shared/protocol';
import { emptyCounts } from '../../src/domain/types';
import { fullState } from './harness';
import { clientInTimeWait } from './fixtures';

test('every declared webview message is accepted as sent', () => {
  const samples = [{ type: 'ready' }, { type: 'setPaused', paused: true }, { type: 'setPaused', paused: false }, { type: 'error', message: 'TypeError: x is undefined' }];
  for (const m of samples) assert.deepEqual(parseWebviewMessage(m), m);
  assert.deepEqual(new Set(samples.map((m) => m.type)), new Set(WEBVIEW_MESSAGE_TYPES));
});

test('malformed webview messages are rejected', () => {
  const bad: unknown[] = [
    null,
    undefined,
    42,
    'ready',
    [],
    [{ type: 'ready' }],
    {},
    { type: 'READY' },
    { type: 'ready', extra: 1 },
    { type: 'setPaused' },
    { type: 'setPaused', paused: 'true' },
    { type: 'setPaused', paused: 1 },
    { type: 'setPaused', paused: true, command: 'workbench.action.terminal.sendSequence' },
    { type: 'error' },
    { type: 'error', message: 42 },
    { type: 'error', message: 'x'.repeat(MAX_ERROR_MESSAGE + 1) },
    { type: 'executeCommand', command: 'tcpStateViewer.showLog' },
    { type: '__proto__' },
    JSON.parse('{"type":"ready","__proto__":{"polluted":true}}'),
  ];
  for (const m of bad) assert.equal(parseWebviewMessage(m), undefined, JSON.stringify(m));
});

test('the parsed message is a fresh object, not the sender\'s', () => {
  const raw = { type: 'setPaused', paused: true };
  const parsed = parseWebviewMessage(raw);
  assert.notEqual(parsed, raw);
});

test('showInDiagram arguments: state names, connection ids, tree rows and Connection records', () => {
  assert.deepEqual(parseSelectionArgument('CLOSE-WAIT'), { kind: 'state', state: 'CLOSE-WAIT' });
  assert.deepEqual(parseSelectionArgument('ipv4 127.0.0.1:5000 127.0.0.1:40000 1234'), { kind: 'connection', id: 'ipv4 127.0.0.1:5000 127.0.0.1:40000 1234' });
  assert.deepEqual(parseSelectionArgument({ kind: 'connection', id: 'state:ESTABLISHED/abc', connectionId: 'abc' }), { kind: 'connection', id: 'abc' });
  assert.deepEqual(parseSelectionArgument({ kind: 'group', id: 'state:LISTEN', state: 'LISTEN' }), { kind: 'state', state: 'LISTEN' });
  const c = clientInTimeWait();
  assert.deepEqual(parseSelectionArgument(c), { kind: 'connection', id: c.id });
  for (const bad of [undefined, null, '', 42, {}, { state: 'TIMEWAIT' }, { id: 'x' }, 'x'.repeat(401), ['LISTEN']]) {
    assert.equal(parseSelectionArgument(bad), undefined, JSON.stringify(bad));
  }
});

test('host messages: well-formed ones pass, broken ones are refused', () => {
  const init = { type: 'init', state: fullState({ connections: [clientInTimeWait()] }) };
  assert.equal(parseHostMessage(init), init);
  const update = { type: 'update', update: { at: 1, events: [{ kind: 'closed', at: 1, id: 'a', from: 'TIME-WAIT', inferred: false }], changed: [], removed: ['a'], counts: emptyCounts(), insights: [] } };
  assert.equal(parseHostMessage(update), update);
  assert.ok(parseHostMessage({ type: 'status', paused: true, error: null }));
  assert.ok(parseHostMessage({ type: 'select', selection: { kind: 'state', state: 'LISTEN' } }));

  const counts = emptyCounts() as Record<string, number>;
  delete counts['TIME-WAIT'];
  const broken: unknown[] = [
    { type: 'init' },
    { type: 'init', state: { ...fullState(), locale: 'fr' } },
    { type: 'init', state: { ...fullState(), edges: [{ id: 'x', from: 'LISTEN', to: 'NOWHERE' }] } },
    { type: 'update', update: { ...update.update, counts } },
    { type: 'update', update: { ...update.update, events: [{ kind: 'changed', at: 1, id: 'a', from: 'LISTEN', to: 'ESTABLISHED' }] } },
    { type: 'update', update: { ...update.update, changed: [{ id: 'a' }] } },
    { type: 'status', paused: 'no' },
    { type: 'select', selection: { kind: 'state', state: 'listen' } },
    { type: 'other' },
    'init',
  ];
  for (const m of broken) assert.equal(parseHostMessage(m), undefined, JSON.stringify(m).slice(0, 120));
});
