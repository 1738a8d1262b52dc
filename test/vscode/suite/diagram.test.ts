// The state diagram in the real VS Code extension host: the commands open one editor panel (not a new one
// each time), showInDiagram takes a state, a connection id or a tree row and ignores anything else, and the
// webview assets the page loads are in the folders the webview may read.
// What the webview shows is checked from the outside, in the web workbench (test/vscode/ui/diagram.ui.ts).
import * as assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { ModelUpdate } from '../../../src/domain/types';
import { fullState } from '../../../src/views/diagram/diagramView';
import type { ExtensionApi } from '../../../src/extension';
import { parseHostMessage } from '../../../src/shared/protocol';
import { waitFor } from '../../common/wait';

const EXTENSION_ID = 'tcp-state-viewer.tcp-state-viewer';

// Prints the client's port, and closes the client (first, so its end goes to TIME-WAIT) on a line of stdin.
const PAIR_JS = `
const net = require('net');
const server = net.createServer((s) => s.resume());
server.listen(0, '127.0.0.1', () => {
  const c = net.connect(server.address().port, '127.0.0.1', () => console.log(c.localPort));
  process.stdin.once('data', () => c.end());
});
`;

function diagramTabs(): vscode.Tab[] {
  return vscode.window.tabGroups.all
    .flatMap((g) => g.tabs)
    .filter((t) => t.input instanceof vscode.TabInputWebview && t.input.viewType.endsWith('tcpStateViewer.diagramPanel'));
}

async function until(what: string, check: () => boolean, timeoutMs = 20_000): Promise<void> {
  await waitFor(what, check, timeoutMs);
}

describe('state diagram webview', () => {
  before(async () => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(ext);
    await ext.activate();
  });

  after(async () => {
    for (const t of diagramTabs()) await vscode.window.tabGroups.close(t);
  });

  it('ships its bundle and stylesheet in dist/, the only folder besides media/ the webview may read', () => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(ext);
    for (const f of ['webview.js', 'webview.css']) assert.ok(existsSync(join(ext.extensionPath, 'dist', f)), `dist/${f}`);
  });

  it('TCP: Open State Diagram opens one editor panel and reveals it again instead of opening another', async () => {
    await vscode.commands.executeCommand('tcpStateViewer.openDiagram');
    await until('a diagram tab', () => diagramTabs().length === 1);
    const tab = diagramTabs()[0];
    assert.ok(tab.isActive, 'the panel is the active editor');
    assert.equal(tab.label, vscode.l10n.t('TCP State Diagram'));

    await vscode.commands.executeCommand('workbench.action.files.newUntitledFile');
    await until('the untitled editor in front', () => !diagramTabs()[0]?.isActive);
    await vscode.commands.executeCommand('tcpStateViewer.openDiagram');
    await until('the diagram in front again', () => diagramTabs()[0]?.isActive === true);
    assert.equal(diagramTabs().length, 1, 'still one diagram panel');
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('the full state and the updates built from the live model pass the webview\'s own validation', async () => {
    const api = (await vscode.extensions.getExtension<ExtensionApi>(EXTENSION_ID)?.activate()) as ExtensionApi;
    const model = api.model;
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
    assert.ok(folder, 'a workspace folder is open');
    const updates: ModelUpdate[] = [];
    const sub = model.onDidUpdate((u) => updates.push(u));
    const demand = model.demand('full');
    // A process working in the workspace (so in scope): a server and its client, which hangs up when told.
    const child = spawn(process.execPath, ['-e', PAIR_JS], { cwd: folder, stdio: ['pipe', 'pipe', 'inherit'] });
    try {
      const clientPort = await new Promise<number>((resolve, reject) => {
        child.once('error', reject);
        child.stdout?.once('data', (d: Buffer) => resolve(Number(String(d).trim())));
      });
      const seen = async (state: string): Promise<void> => {
        for (let i = 0; i < 60; i++) {
          if (model.connections().some((c) => c.local.port === clientPort && c.state === state)) return;
          await new Promise((r) => setTimeout(r, 250));
        }
        throw new Error(`the client never showed as ${state} (${JSON.stringify(model.status())})`);
      };
      await seen('ESTABLISHED');
      child.stdin?.write('close\n');
      await seen('TIME-WAIT');
      // What postMessage delivers is the JSON form.
      const roundTrip = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;
      const init = parseHostMessage(roundTrip({ type: 'init', state: fullState(model, { kind: 'state', state: 'TIME-WAIT' }) }));
      assert.ok(init && init.type === 'init', 'the full state is accepted');
      assert.ok(init.state.connections.some((c) => c.local.port === clientPort));
      assert.ok(updates.length > 0, 'updates were fired');
      for (const update of updates) assert.ok(parseHostMessage(roundTrip({ type: 'update', update })), `update at ${update.at} is accepted`);
      assert.ok(
        updates.some((u) => u.events.some((e) => e.kind === 'changed' && e.to === 'TIME-WAIT' && e.id === init.state.connections.find((c) => c.local.port === clientPort)?.id)),
        'the close was among them',
      );
    } finally {
      child.kill();
      demand.dispose();
      sub.dispose();
    }
  });

  it('showInDiagram accepts a state, a connection id and a tree row, and shrugs off anything else', async () => {
    // With the panel open it selects there.
    await vscode.commands.executeCommand('tcpStateViewer.openDiagram');
    await until('a diagram tab', () => diagramTabs().length === 1);
    await vscode.commands.executeCommand('tcpStateViewer.showInDiagram', 'LISTEN');
    await vscode.commands.executeCommand('tcpStateViewer.showInDiagram', { kind: 'connection', id: 'state:ESTABLISHED/x', connectionId: 'x' });
    assert.equal(diagramTabs().length, 1);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    // Without it, the sidebar view is revealed.
    await vscode.commands.executeCommand('tcpStateViewer.showInDiagram', 'TIME-WAIT');
    for (const bad of [undefined, 42, {}, { state: 'NOPE' }, ['LISTEN']]) await vscode.commands.executeCommand('tcpStateViewer.showInDiagram', bad);
    assert.equal(diagramTabs().length, 0, 'no panel was opened for the sidebar case or for bad arguments');
  });
});
