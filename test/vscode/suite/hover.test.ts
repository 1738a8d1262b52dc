// Hover docs on state names, through VS Code's own hover pipeline (vscode.executeHoverProvider), and the links
// that hovers and terminal links lead to.
import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as vscode from 'vscode';
import { normalizeState } from '../../../src/domain/states';
import type { ExtensionApi } from '../../../src/extension';
import type { TcpState } from '../../../src/domain/types';
import { STATE_TEXTS, type Locale } from '../../../src/domain/stateTexts';

const EXTENSION_ID = 'tcp-state-viewer.tcp-state-viewer';
const locale: Locale = vscode.env.language.toLowerCase() === 'zh-cn' ? 'zh-cn' : 'en';

function text(content: vscode.MarkdownString | vscode.MarkedString): string {
  if (typeof content === 'string') return content;
  return content.value;
}

/** Markdown with its backslash escapes removed (MarkdownString.appendText escapes punctuation). */
function unescape(markdown: string): string {
  return markdown.replace(/\\([!-/:-@[-`{-~])/g, '$1');
}

interface StateHover {
  state: TcpState;
  /** The hover's Markdown, unescaped. */
  markdown: string;
  range?: vscode.Range;
}

/** Our hovers at the position: those that start with a state name in bold and carry that state's summary. */
async function stateHovers(doc: vscode.TextDocument, position: vscode.Position): Promise<StateHover[]> {
  const hovers = (await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', doc.uri, position)) ?? [];
  const out: StateHover[] = [];
  for (const h of hovers) {
    const markdown = unescape(h.contents.map(text).join('\n'));
    const state = /^\*\*([A-Z12-]+)\*\*/.exec(markdown)?.[1] as TcpState | undefined;
    if (state && state in STATE_TEXTS && markdown.includes(STATE_TEXTS[state].summary[locale])) out.push({ state, markdown, range: h.range });
  }
  return out;
}

async function open(content: string, language: string): Promise<vscode.TextDocument> {
  return vscode.workspace.openTextDocument({ content, language });
}

/** Sets a user setting for the test and gives back a function that restores it. */
async function setSetting(key: string, value: unknown, language?: string): Promise<() => Promise<void>> {
  const config = vscode.workspace.getConfiguration('tcpStateViewer', language ? { languageId: language } : undefined);
  await config.update(key, value, vscode.ConfigurationTarget.Global, language !== undefined);
  return () => Promise.resolve(config.update(key, undefined, vscode.ConfigurationTarget.Global, language !== undefined));
}

describe('hover on state names', function () {
  this.timeout(60_000);
  let api: ExtensionApi;

  before(async () => {
    const ext = vscode.extensions.getExtension<ExtensionApi>(EXTENSION_ID);
    assert.ok(ext);
    api = await ext.activate();
  });

  after(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('explains TIME_WAIT in a plain text file, with transitions, a live count and trusted command links', async () => {
    const line = 'The client socket sat in TIME_WAIT for a minute after close().';
    const doc = await open(line, 'plaintext');
    const at = line.indexOf('TIME_WAIT') + 3;
    const hovers = await stateHovers(doc, new vscode.Position(0, at));
    assert.equal(hovers.length, 1, JSON.stringify(hovers));
    const [h] = hovers;
    assert.equal(h.state, 'TIME-WAIT');
    assert.ok(h.markdown.includes(STATE_TEXTS['TIME-WAIT'].summary[locale]));
    // Transitions in (FIN-WAIT-2, CLOSING, and Linux's FIN-WAIT-1) and out (to CLOSED).
    for (const from of ['FIN-WAIT-2', 'CLOSING', 'FIN-WAIT-1', 'CLOSED']) assert.ok(h.markdown.includes(`**${from}**`), from);
    assert.ok(h.markdown.includes('`rcv FIN / snd ACK`'));
    assert.ok(h.markdown.includes(`command:tcpStateViewer.showInDiagram?${encodeURIComponent(JSON.stringify(['TIME-WAIT']))}`));
    assert.ok(h.markdown.includes(`command:tcpStateViewer.showState?${encodeURIComponent(JSON.stringify(['TIME-WAIT']))}`));
    // The hover covers exactly the word.
    assert.equal(h.range?.start.character, line.indexOf('TIME_WAIT'));
    assert.equal(h.range?.end.character, line.indexOf('TIME_WAIT') + 'TIME_WAIT'.length);
  });

  it('the live count is the model\'s count once a sample exists', async () => {
    await api.model.sampleNow();
    const doc = await open('ESTAB', 'plaintext');
    const [h] = await stateHovers(doc, new vscode.Position(0, 1));
    assert.ok(h);
    const count = api.model.counts().ESTABLISHED;
    assert.match(h.markdown, new RegExp(`: ${count} (in|个处于) ESTABLISHED`));
  });

  it('explains the st column of a /proc/net/tcp row', async () => {
    // A row as captured from /proc/net/tcp (a TIME-WAIT socket on loopback).
    const row = '   7: 0100007F:BE04 0100007F:B5C3 06 00000000:00000000 03:00001746 00000000     0        0 0 3 000000005950fd84';
    const doc = await open(`  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n${row}`, 'plaintext');
    const st = row.indexOf(' 06 ') + 1;
    const hovers = await stateHovers(doc, new vscode.Position(1, st));
    assert.deepEqual(hovers.map((h) => h.state), ['TIME-WAIT']);
    assert.ok(hovers[0].markdown.includes('st 06'));
    // The address columns are not states.
    assert.deepEqual(await stateHovers(doc, new vscode.Position(1, row.indexOf('0100007F'))), []);
  });

  it('gives nothing for CLOSED in ordinary code, but explains it in ss output', async () => {
    const code = await open('function done(state: number) {\n  if (state === CLOSED) return;\n}\n', 'typescript');
    const codeLine = code.lineAt(1).text;
    assert.deepEqual(await stateHovers(code, new vscode.Position(1, codeLine.indexOf('CLOSED') + 2)), []);

    const ss = await open('CLOSED 0 0 127.0.0.1:5000 127.0.0.1:8080', 'plaintext');
    assert.deepEqual((await stateHovers(ss, new vscode.Position(0, 2))).map((h) => h.state), ['CLOSED']);
  });

  it('follows tcpStateViewer.hover.enabled (per language) and tcpStateViewer.hover.languages', async () => {
    const doc = await open('socket in CLOSE_WAIT', 'plaintext');
    const pos = new vscode.Position(0, 12);
    assert.equal((await stateHovers(doc, pos)).length, 1);

    let restore = await setSetting('hover.enabled', false);
    try {
      assert.deepEqual(await stateHovers(doc, pos), []);
    } finally {
      await restore();
    }
    restore = await setSetting('hover.enabled', false, 'plaintext');
    try {
      assert.deepEqual(await stateHovers(doc, pos), []);
      const md = await open('socket in CLOSE_WAIT', 'markdown');
      assert.equal((await stateHovers(md, pos)).length, 1, 'other languages keep the hover');
    } finally {
      await restore();
    }
    restore = await setSetting('hover.languages', ['log']);
    try {
      assert.deepEqual(await stateHovers(doc, pos), []);
      const log = await open('socket in CLOSE_WAIT', 'log');
      assert.equal((await stateHovers(log, pos)).length, 1);
    } finally {
      await restore();
    }
    assert.equal((await stateHovers(doc, pos)).length, 1);
  });

  it('"Show those sockets" filters the Connections tree to the state', async () => {
    await vscode.commands.executeCommand('tcpStateViewer.showState', 'TIME_WAIT');
    const tree = (api as ExtensionApi & { connectionsTree?: { filter: string; setFilter(t: string): void } }).connectionsTree;
    assert.ok(tree, 'the extension exposes its tree');
    assert.equal(tree.filter, 'state:TIME-WAIT');
    tree.setFilter('');
  });
});

describe('terminal links on state names', function () {
  this.timeout(60_000);

  it('links each State column of real ss output, and nothing when the setting is off', async () => {
    const ext = vscode.extensions.getExtension<ExtensionApi>(EXTENSION_ID);
    await ext?.activate();
    const { StateTerminalLinkProvider } = await import('../../../src/editor/terminalLinks');
    const log = vscode.window.createOutputChannel('terminal link test', { log: true });
    const provider = new StateTerminalLinkProvider(log);
    const terminal = vscode.window.createTerminal({ name: 'links' });
    const ss = await new Promise<string>((resolve, reject) =>
      execFile('ss', ['-tan'], (err, out) => (err ? reject(err) : resolve(out))),
    );
    const rows = ss.split('\n').slice(1).filter((l) => l.trim() !== '');
    assert.ok(rows.length > 0, 'the extension host has sockets (at least its connection to the server)');
    for (const line of rows) {
      const links = provider.provideTerminalLinks({ line, terminal });
      assert.equal(links.length, 1, line);
      const first = line.split(/\s+/)[0];
      assert.equal(line.substr(links[0].startIndex, links[0].length ?? 0), first);
      assert.equal(links[0].state, normalizeState(first));
    }
    await provider.handleTerminalLink(provider.provideTerminalLinks({ line: rows[0], terminal })[0]);

    const restore = await setSetting('terminalLinks.enabled', false);
    try {
      assert.deepEqual(provider.provideTerminalLinks({ line: rows[0], terminal }), []);
    } finally {
      await restore();
      terminal.dispose();
      log.dispose();
    }
  });
});
