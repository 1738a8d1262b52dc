// The extension in the real VS Code extension host: it activates from its contributions, registers every
// command its manifest contributes, and both views of the "TCP" container open.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { reportFact } from '../facts';
import { platformNoticeKey, showPlatformNotice } from '../../../src/views/platformNotice';

const EXTENSION_ID = 'tcp-state-viewer.tcp-state-viewer';

interface ContributedCommand {
  command: string;
}
interface ContributedView {
  id: string;
}
interface Manifest {
  contributes: { commands: ContributedCommand[]; views: Record<string, ContributedView[]> };
}

describe('extension in VS Code', () => {
  let ext: vscode.Extension<{ activationMs: number }>;

  before(() => {
    const found = vscode.extensions.getExtension<{ activationMs: number }>(EXTENSION_ID);
    assert.ok(found, `${EXTENSION_ID} is not loaded`);
    ext = found;
  });

  it('activates and reports how long activate() took', async () => {
    const api = await ext.activate();
    assert.equal(ext.isActive, true);
    assert.equal(typeof api.activationMs, 'number');
    assert.ok(Number.isFinite(api.activationMs) && api.activationMs >= 0, `activationMs = ${api.activationMs}`);
    reportFact('activationMs', Number(api.activationMs.toFixed(1)));
    reportFact('vscodeVersion', vscode.version);
    reportFact('appName', vscode.env.appName);
    console.log(`activate() took ${api.activationMs.toFixed(1)} ms in ${vscode.env.appName} ${vscode.version}`);
  });

  it('registers every command the manifest contributes', async () => {
    const manifest = ext.packageJSON as Manifest;
    const contributed = manifest.contributes.commands.map((c) => c.command);
    assert.ok(contributed.length > 0);
    const registered = new Set(await vscode.commands.getCommands(true));
    const missing = contributed.filter((c) => !registered.has(c));
    assert.deepEqual(missing, [], `contributed but not registered: ${missing.join(', ')}`);
    // And the reverse: nothing registered under the extension's prefix that the manifest does not contribute
    // (VS Code's own per-view commands, `<viewId>.focus` and the like, aside).
    const views = Object.values(manifest.contributes.views).flat().map((v) => v.id);
    const extra = [...registered].filter((c) => c.startsWith('tcpStateViewer.') && !contributed.includes(c) && !views.some((v) => c.startsWith(`${v}.`)));
    assert.deepEqual(extra, [], `registered but not contributed: ${extra.join(', ')}`);
  });

  it('opens both views of the TCP container', async () => {
    const manifest = ext.packageJSON as Manifest;
    const views = manifest.contributes.views.tcpStateViewer.map((v) => v.id);
    assert.deepEqual(views, ['tcpStateViewer.connections', 'tcpStateViewer.diagram']);
    // `<viewId>.focus` is the command VS Code generates for every contributed view; it rejects for a view
    // that does not exist.
    for (const id of views) await vscode.commands.executeCommand(`${id}.focus`);
  });

  it('sees the variables runTests passes through extensionTestsEnv', () => {
    assert.ok(process.env.TCPSV_RESULTS_FILE, 'TCPSV_RESULTS_FILE did not reach the extension host');
  });

  it('says once per system that macOS and Windows are experimental, logging it every time; never on Linux', async () => {
    // The extension's global state is its own; an in-memory one stands in for a fresh installation's.
    const values = new Map<string, unknown>();
    const state: vscode.Memento = {
      keys: () => [...values.keys()],
      get: <T>(key: string, fallback?: T) => (values.has(key) ? (values.get(key) as T) : fallback),
      update: (key: string, value: unknown) => {
        values.set(key, value);
        return Promise.resolve();
      },
    };
    // What the notice writes to the log, line by line.
    const logged: string[] = [];
    const log = { warn: (message: string) => logged.push(message), show: () => undefined };
    try {
      assert.equal(showPlatformNotice(state, log, 'linux'), false);
      assert.deepEqual([state.keys(), logged], [[], []]);
      assert.equal(showPlatformNotice(state, log, 'darwin'), true);
      assert.equal(showPlatformNotice(state, log, 'darwin'), false, 'once');
      assert.equal(state.get(platformNoticeKey('darwin')), true);
      assert.equal(showPlatformNotice(state, log, 'win32'), true, 'each system once');
      assert.equal(showPlatformNotice(state, log, 'freebsd'), false, 'no backend: the sampler says unsupported instead');
      assert.equal(logged.length, 3, 'logged at every activation on macOS and Windows');
      assert.match(logged[0], /on macOS is experimental/);
      assert.match(logged[2], /on Windows is experimental/);
    } finally {
      await vscode.commands.executeCommand('notifications.clearAll');
    }
  });
});
