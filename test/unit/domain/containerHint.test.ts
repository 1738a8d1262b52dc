// When the container-labels hint is given: only while sockets of other namespaces are shown unlabelled because the
// engine could not be asked, and each kind once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ContainerHints, containerHintFor } from '../../../src/domain/containerHint';
import type { ContainerEngineStatus } from '../../../src/domain/types';

const status = (state: ContainerEngineStatus['state']): ContainerEngineStatus => ({ state, socketPath: '/var/run/docker.sock', containers: 0, message: state === 'ok' ? null : 'x' });

test('a hint only when the engine could not be asked and unlabelled sockets of other namespaces are shown', () => {
  assert.equal(containerHintFor(status('permission'), 3), 'permission');
  for (const s of ['no-engine', 'timeout', 'bad-response'] as const) assert.equal(containerHintFor(status(s), 1), 'unreachable', s);
  for (const s of ['ok', 'off', 'starting'] as const) assert.equal(containerHintFor(status(s), 5), null, s);
  assert.equal(containerHintFor(status('permission'), 0), null, 'nothing unlabelled in view: nothing to say');
  assert.equal(containerHintFor(undefined, 4), null);
});

test('each kind of hint once per session', () => {
  const h = new ContainerHints();
  assert.equal(h.next(status('no-engine'), 0), null);
  assert.equal(h.next(status('no-engine'), 2), 'unreachable');
  assert.equal(h.next(status('timeout'), 2), null, 'the same kind again');
  assert.equal(h.next(status('ok'), 2), null);
  assert.equal(h.next(status('permission'), 2), 'permission', 'another kind is news');
  assert.equal(h.next(status('permission'), 2), null);
});
