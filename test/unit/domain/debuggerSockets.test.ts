// Telling the debugger's sockets from the program's: js-debug's watchdog by its script, an inspector port by the
// command line or by the watchdog connecting to it. Command lines as /proc/<pid>/cmdline gives them here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { debuggerConnectionIds, inspectorPort, isJsDebugWatchdog } from '../../../src/domain/debuggerSockets';
import type { Connection, TcpState } from '../../../src/domain/types';

test('js-debug\'s watchdog, built in or a nightly build, and nothing else named watchdog', () => {
  // As sampled in the vscode tier (code-server 4.100.3, js-debug 1.100.1).
  assert.equal(isJsDebugWatchdog(['/usr/bin/node', '/work/main/.vscode-test/code-server-4.100.3/node_modules/code-server/lib/vscode/extensions/ms-vscode.js-debug/src/watchdog.js']), true);
  assert.equal(isJsDebugWatchdog(['/usr/share/code/code', '/home/me/.vscode/extensions/ms-vscode.js-debug-nightly-2025.5.1/dist/src/watchdog.js']), true);
  assert.equal(isJsDebugWatchdog(['node', '/work/app/watchdog.js']), false, 'an application\'s own watchdog');
  assert.equal(isJsDebugWatchdog(['node', 'srv.js', '/x/ms-vscode.js-debug/src/watchdog.js']), false, 'a script argument, not the script');
  assert.equal(isJsDebugWatchdog(undefined), false);
});

test('the inspector port a command line asks for: 9229 by default, none for port 0 or after the script', () => {
  assert.equal(inspectorPort(['node', '--inspect', 'app.js']), 9229);
  assert.equal(inspectorPort(['node', '--inspect-brk=9230', 'app.js']), 9230);
  assert.equal(inspectorPort(['node', '--inspect=127.0.0.1:9331', 'app.js']), 9331);
  assert.equal(inspectorPort(['node', '--inspect=[::1]:9332', 'app.js']), 9332);
  assert.equal(inspectorPort(['node', '--inspect-wait', '--inspect-port=9333', 'app.js']), 9333);
  assert.equal(inspectorPort(['node', '--inspect-port=9333', 'app.js']), null, '--inspect-port alone opens nothing');
  assert.equal(inspectorPort(['node', '--inspect=0', 'app.js']), null, 'the kernel picks the port');
  assert.equal(inspectorPort(['node', 'app.js', '--inspect']), null, 'the script\'s own argument');
  assert.equal(inspectorPort(['node', 'app.js']), null);
});

let n = 0;
function c(state: TcpState, local: [string, number], remote: [string, number], pid: number, role: Connection['role'] = state === 'LISTEN' ? 'listener' : 'client'): Connection {
  const id = `c${++n}`;
  return {
    id,
    family: local[0].includes(':') ? 'ipv6' : 'ipv4',
    local: { address: local[0], port: local[1] },
    remote: { address: remote[0], port: remote[1] },
    inode: n,
    role,
    owner: { pid, command: 'node' },
    state,
    history: [{ state, since: 0, until: null, inferred: false, startSeen: true }],
    openedAt: 0,
    closedAt: null,
    recvQ: 0,
    sendQ: 0,
    timer: null,
  };
}

test('node --inspect attached from the editor: the listener, the accepted side and the editor\'s client are the debugger\'s', () => {
  const app = c('LISTEN', ['0.0.0.0', 3000], ['0.0.0.0', 0], 100);
  const inspector = c('LISTEN', ['127.0.0.1', 9229], ['0.0.0.0', 0], 100);
  const accepted = c('ESTABLISHED', ['127.0.0.1', 9229], ['127.0.0.1', 41000], 100, 'server');
  const editor = c('ESTABLISHED', ['127.0.0.1', 41000], ['127.0.0.1', 9229], 200);
  const appClient = c('ESTABLISHED', ['127.0.0.1', 3000], ['127.0.0.1', 41001], 100, 'server');
  const elsewhere = c('ESTABLISHED', ['10.0.0.5', 50000], ['10.0.0.9', 9229], 300);
  const argv = (pid: number) => (pid === 100 ? ['node', '--inspect', 'server.js'] : ['node', 'x.js']);
  const ids = debuggerConnectionIds([app, inspector, accepted, editor, appClient, elsewhere], argv);
  assert.deepEqual([...ids].sort(), [inspector.id, accepted.id, editor.id].sort());
  assert.equal(ids.has(elsewhere.id), false, 'port 9229 on another machine is someone else\'s');
  // Without a listener the flag is only intent: nothing is the debugger's.
  assert.equal(debuggerConnectionIds([app, appClient], argv).size, 0);
});

test('js-debug\'s launch: the watchdog tells the ephemeral inspector port', () => {
  const inspector = c('LISTEN', ['127.0.0.1', 53087], ['0.0.0.0', 0], 24550);
  const app = c('LISTEN', ['127.0.0.1', 34621], ['0.0.0.0', 0], 24550);
  const accepted = c('ESTABLISHED', ['127.0.0.1', 53087], ['127.0.0.1', 59498], 24550, 'server');
  const watchdog = c('ESTABLISHED', ['127.0.0.1', 59498], ['127.0.0.1', 53087], 24610);
  const argv = (pid: number) => (pid === 24610 ? ['/usr/bin/node', '/opt/vscode/extensions/ms-vscode.js-debug/src/watchdog.js'] : ['/usr/bin/node', './srv.cjs']);
  assert.deepEqual([...debuggerConnectionIds([inspector, app, accepted, watchdog], argv)].sort(), [inspector.id, accepted.id, watchdog.id].sort());
});
