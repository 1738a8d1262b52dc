// The state diagram in the real VS Code extension host: the commands open one editor panel (not a new one
// each time), showInDiagram takes a state, a connection id or a tree row and ignores anything else, and the
// webview assets the page loads are in the folders the webview may read.
// What the webview shows is checked from the outside, in the web workbench (test/vscode/ui/diagram.ui.ts).
import * as assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';

const EXTENSION_ID = 'tcp-state-viewer.tcp-state-viewer';

function diagramTabs(): vscode.Tab[] {
  return vscode.window.tabGroups.all
    .flatMap((g) => g.tabs)
    .filter((t) => t.input instanceof vscode.TabInputWebview && t.input.viewType.endsWith('tcpStateViewer.diagramPanel'));
}

async function until(what: string, check: () => boolean, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
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
