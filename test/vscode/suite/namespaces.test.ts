// Another network namespace in the real extension host: a server started with `unshare -n` in the workspace folder
// (its own loopback, a client connected to it) shows in the Connections tree with its namespace, in the workspace
// scope: rows say `in network namespace net:[...]`, Group By container gives the namespace a group of its own,
// the tooltip names it, and the model's connections carry it. Root only (unshare --net); the extension host runs
// as the test's user.
import * as assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { RenderedNode } from '../../../src/views/tree/connectionsTree';
import type { ExtensionApi } from '../../../src/extension';
import type { TcpModel } from '../../../src/model/model';
import { sleep, waitFor } from '../../common/wait';

const EXTENSION_ID = 'tcp-state-viewer.tcp-state-viewer';
const UNSHARE = '/usr/bin/unshare';
const IP = '/usr/sbin/ip';

// Written as .cjs: the demo workspace's package.json says "type": "module". Listens on 127.0.0.1:8080 of its own
// namespace, connects to itself, writes its pid when both ends are up.
const SERVER_JS = `
const net = require('net');
const kept = [];
const srv = net.createServer((s) => kept.push(s)).listen(8080, '127.0.0.1', () => {
  const c = net.connect(8080, '127.0.0.1', () => {
    kept.push(c);
    require('fs').writeFileSync(process.argv[process.argv.length - 1], JSON.stringify({ pid: process.pid }));
  });
});
setInterval(() => {}, 1 << 30);
`;

function flatten(nodes: RenderedNode[]): RenderedNode[] {
  return nodes.flatMap((n) => [n, ...flatten(n.children)]);
}

const runnable = process.platform === 'linux' && process.getuid?.() === 0 && existsSync(UNSHARE) && existsSync(IP);

describe('Connections tree: another network namespace', function () {
  this.timeout(120_000);
  let api: ExtensionApi;
  let work = '';
  let child: ChildProcess | undefined;

  before(async function () {
    if (!runnable) {
      console.log('# skipped: needs root, unshare (util-linux) and ip (iproute2)');
      this.skip();
    }
    const ext = vscode.extensions.getExtension<ExtensionApi>(EXTENSION_ID);
    assert.ok(ext, `${EXTENSION_ID} is not loaded`);
    api = await ext.activate();
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
    assert.ok(folder, 'the test run opens a workspace folder');
    work = join(folder, '.tcpsv-netns-test');
    mkdirSync(work, { recursive: true });
    writeFileSync(join(work, 'srv.cjs'), SERVER_JS);
    await api.model.setScope('workspace');
    api.connectionsTree.setGroupBy('state');
    api.connectionsTree.setFilter('');
    await vscode.commands.executeCommand('tcpStateViewer.connections.focus');
  });

  after(() => {
    child?.kill('SIGKILL');
    api?.connectionsTree.setGroupBy('state');
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('a server started with `unshare -n` in the workspace folder shows with its namespace, grouped and explained', async () => {
    const ready = join(work, 'ready.json');
    // Its working folder is in the workspace: the folder rule takes it, in whatever namespace it runs.
    child = spawn(UNSHARE, ['--net', '--', '/bin/sh', '-c', `${IP} link set lo up && exec "${process.execPath}" srv.cjs "${ready}"`], { cwd: work, stdio: 'ignore', env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' } });
    const { pid } = await waitFor('the server in its namespace', () => (existsSync(ready) ? (JSON.parse(readFileSync(ready, 'utf8')) as { pid: number }) : undefined), 20_000);
    const netns = readlinkSync(`/proc/${pid}/ns/net`);
    assert.notEqual(netns, readlinkSync('/proc/self/ns/net'));

    const place = `in network namespace ${netns}`;
    let rows: RenderedNode[] = [];
    await waitFor(
      'its listener and both connection ends in the tree',
      async () => {
        rows = flatten(await api.connectionsTree.render({ tooltips: true })).filter((n) => n.description.includes(place));
        return rows.length >= 3 ? rows : undefined;
      },
      { timeoutMs: 45_000, everyMs: 300, detail: () => rows.map((r) => `${r.label}  ${r.description}`).join('\n') },
    );
    const listener = rows.find((r) => r.label === '127.0.0.1:8080');
    assert.ok(listener, rows.map((r) => r.label).join(', '));
    // `● new · node srv.cjs 4242 · in network namespace net:[…] · 308 ms`: the owner, then where it is.
    assert.match(listener.description, new RegExp(`node srv\\.cjs ${pid} · ${place.replace(/[[\]]/g, '\\$&')} · `));
    // Markdown: the brackets come escaped.
    assert.ok(listener.tooltip?.replace(/\\/g, '').includes(`In network namespace ${netns}`), listener.tooltip);
    const conns = api.model.connections().filter((c) => c.netns === netns);
    assert.equal(conns.length, 3);
    assert.ok(conns.every((c) => c.owner?.pid === pid));

    api.connectionsTree.setGroupBy('container');
    await sleep(50);
    const tree = await api.connectionsTree.render();
    const g = tree.find((n) => n.id === `netns/${netns}`);
    assert.ok(g, tree.map((n) => n.id).join(', '));
    assert.equal(g.label, netns);
    assert.equal(g.description, '3');
    assert.equal(g.contextValue, 'containerGroup');
    assert.ok(g.children.every((r) => !r.description.includes('network namespace')), 'the group says it; its rows need not');

    // No container engine labels these (none is named by DOCKER_HOST or at /var/run/docker.sock on a test machine,
    // and an engine would not know this namespace): where none answers, the model said once how to get names.
    const hint = (api.model as unknown as TcpModel).diagnostics().containerHint;
    if (!process.env.DOCKER_HOST && !existsSync('/var/run/docker.sock')) assert.match(hint ?? '', /no container engine answered at \/var\/run\/docker\.sock/);
  });
});
