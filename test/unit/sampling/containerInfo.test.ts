// containerInfo: what a view shows of a container, from the engine's list and inspect answers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { containerInfoFromDetails, containerInfoFromList, primaryName } from '../../../src/sampling/containers/containerInfo';

const id = '706e953550473df86d70e9e655e6789745ef79c1b52f07229501aa82c74f3ece';

test('primaryName: the name without a further slash, leading slash dropped', () => {
  assert.equal(primaryName(['/demo-web-1']), 'demo-web-1');
  // A container another links to (--link demo-web-1:web) is also listed as /other/web, in no fixed order.
  assert.equal(primaryName(['/other/web', '/demo-web-1']), 'demo-web-1');
  assert.equal(primaryName(['/a/b']), 'a/b');
  assert.equal(primaryName([]), '');
});

test('labels: compose and dev container labels; absent or empty ones are null', () => {
  const full = containerInfoFromList({
    id,
    names: ['/demo-web-1'],
    image: 'tcpsv-busybox:test',
    state: 'running',
    labels: {
      'com.docker.compose.project': 'demo',
      'com.docker.compose.service': 'web',
      'com.docker.compose.project.working_dir': '/home/dev/demo',
      'devcontainer.local_folder': '/home/dev/app',
      unrelated: 'x',
    },
  }, 4242);
  assert.deepEqual(full, {
    id,
    shortId: '706e95355047',
    name: 'demo-web-1',
    image: 'tcpsv-busybox:test',
    composeProject: 'demo',
    composeService: 'web',
    composeWorkingDir: '/home/dev/demo',
    devContainerLocalFolder: '/home/dev/app',
    pid: 4242,
  });
  const bare = containerInfoFromList({ id, names: ['/x'], image: 'img', state: 'running', labels: { 'com.docker.compose.project': '' } });
  assert.equal(bare.composeProject, null);
  assert.equal(bare.composeService, null);
  assert.equal(bare.composeWorkingDir, null);
  assert.equal(bare.devContainerLocalFolder, null);
  assert.equal(bare.pid, null);
});

test('details: State.Pid only for a running container (the engine reports 0 otherwise)', () => {
  const base = { id, name: '/demo-web-1', image: 'tcpsv-busybox:test', labels: {} };
  assert.equal(containerInfoFromDetails({ ...base, pid: 31337, running: true }).pid, 31337);
  assert.equal(containerInfoFromDetails({ ...base, pid: 0, running: false }).pid, null);
  assert.equal(containerInfoFromDetails({ ...base, pid: 0, running: true }).pid, null);
  assert.equal(containerInfoFromDetails({ ...base, pid: 31337, running: true }).name, 'demo-web-1');
});
