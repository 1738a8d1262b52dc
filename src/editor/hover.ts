// Hover docs on TCP state names in any document: what the state means, how a connection gets in and out of it,
// how many sockets are in it now, and links to the diagram and the tree.
import * as vscode from 'vscode';
import { COMPACT_UNITS, formatDuration } from '../domain/format';
import { stateMentionAt, type StateMention } from '../domain/stateMatcher';
import { normalizeState, TCP_STATES } from '../domain/states';
import { type TcpState } from '../domain/types';
import { COMMANDS } from '../contributions';
import { readSetting } from '../platform/config';
import { executeCommand, focusView, registerCommand } from '../platform/commands';
import { uiLocale } from '../platform/l10n';
import type { TcpModelApi } from '../model/modelApi';
import { DIAGRAM_EDGES, type DiagramEdge } from '../domain/diagram';
import { STATE_TEXTS, type Locale } from '../domain/stateTexts';

export interface HoverSettings {
  enabled: boolean;
  /** Language ids the hover is limited to; empty = every language. */
  languages: readonly string[];
}

/** The hover settings in force for a document (language-specific settings apply). */
export function hoverSettings(scope?: vscode.ConfigurationScope): HoverSettings {
  return { enabled: readSetting('hoverEnabled', scope), languages: readSetting('hoverLanguages', scope) };
}

function commandLink(title: string, command: string, state: TcpState): string {
  return `[${title}](command:${command}?${encodeURIComponent(JSON.stringify([state]))})`;
}

/**
 * Plain text as Markdown. MarkdownString.appendText would also turn every space into `&nbsp;`, which keeps long
 * explanations from wrapping in the hover; escaping the punctuation Markdown reacts to is enough.
 */
function plain(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+\-.!|<>~$]/g, '\\$&').replace(/\r?\n/g, ' ');
}

/** Markdown inline code for a string of the diagram's labels (no backticks in them). */
function code(text: string): string {
  return `\`${text.replace(/`/g, "'")}\``;
}

/** One line per edge; the RST/abort edges, all with the same label, are folded into one line. */
function edgeLines(edges: readonly DiagramEdge[], other: (e: DiagramEdge) => TcpState): string[] {
  const lines: string[] = [];
  for (const e of edges.filter((x) => x.kind !== 'abort')) {
    const note = e.kind === 'linux' ? ` ${vscode.l10n.t('(Linux, not drawn in RFC 9293)')}` : '';
    lines.push(`- **${other(e)}** — ${code(e.label)}${note}`);
  }
  const aborts = edges.filter((x) => x.kind === 'abort');
  if (aborts.length > 0) {
    lines.push(`- **${aborts.map(other).join(', ')}** — ${code(aborts[0].label)}`);
  }
  return lines;
}

function liveCountText(model: TcpModelApi, state: TcpState, now: number): string {
  const status = model.status();
  if (status.lastSampleAt === null) {
    return vscode.l10n.t('Live count: not sampling while the TCP views are closed. "Show those sockets" starts it.');
  }
  const scope = status.scope === 'all' ? vscode.l10n.t('whole machine') : vscode.l10n.t('workspace processes');
  const age = formatDuration(Math.max(0, now - status.lastSampleAt), COMPACT_UNITS);
  const count = model.counts()[state];
  return status.paused
    ? vscode.l10n.t('Live count: {0} in {1} (scope: {2}), sampled {3} ago; sampling is paused.', count, state, scope, age)
    : vscode.l10n.t('Live count: {0} in {1} (scope: {2}), sampled {3} ago.', count, state, scope, age);
}

/** The hover's Markdown for one mention. Exported for the extension tests. */
export function stateHoverMarkdown(mention: StateMention, model: TcpModelApi, locale: Locale, now = Date.now()): vscode.MarkdownString {
  const state = mention.state;
  const info = STATE_TEXTS[state];
  const md = new vscode.MarkdownString('', true);
  md.isTrusted = { enabledCommands: [COMMANDS.showInDiagram, COMMANDS.showState] };

  const spelled =
    mention.kind === 'proc-st'
      ? ` ${vscode.l10n.t('(/proc/net/tcp st {0})', mention.text)}`
      : mention.text !== state
        ? ` (${code(mention.text)})`
        : '';
  md.appendMarkdown(`**${state}**${spelled} — `);
  md.appendMarkdown(plain(info.summary[locale]));
  md.appendMarkdown('\n\n');
  md.appendMarkdown(plain(info.detail[locale]));
  md.appendMarkdown(`\n\n**${vscode.l10n.t('Next to act:')}** `);
  md.appendMarkdown(plain(info.nextActor[locale]));
  md.appendMarkdown(`\n\n**${vscode.l10n.t('If it lasts:')}** `);
  md.appendMarkdown(plain(info.longStay[locale]));

  const incoming = DIAGRAM_EDGES.filter((e) => e.to === state);
  const outgoing = DIAGRAM_EDGES.filter((e) => e.from === state);
  if (incoming.length > 0) {
    md.appendMarkdown(`\n\n**${vscode.l10n.t('Entered from:')}**\n\n${edgeLines(incoming, (e) => e.from).join('\n')}`);
  }
  if (outgoing.length > 0) {
    md.appendMarkdown(`\n\n**${vscode.l10n.t('Leaves to:')}**\n\n${edgeLines(outgoing, (e) => e.to).join('\n')}`);
  }

  md.appendMarkdown('\n\n');
  md.appendMarkdown(plain(liveCountText(model, state, now)));
  md.appendMarkdown(
    `\n\n${commandLink(`$(type-hierarchy) ${vscode.l10n.t('Show in diagram')}`, COMMANDS.showInDiagram, state)}` +
      ` · ${commandLink(`$(list-tree) ${vscode.l10n.t('Show those sockets')}`, COMMANDS.showState, state)}`,
  );
  return md;
}

class StateHoverProvider implements vscode.HoverProvider {
  constructor(private readonly model: TcpModelApi) {}

  provideHover(document: vscode.TextDocument, position: vscode.Position): vscode.Hover | undefined {
    const settings = hoverSettings(document);
    if (!settings.enabled) return undefined;
    if (settings.languages.length > 0 && !settings.languages.includes(document.languageId)) return undefined;
    const mention = stateMentionAt(document.lineAt(position.line).text, position.character);
    if (!mention) return undefined;
    const range = new vscode.Range(position.line, mention.start, position.line, mention.end);
    return new vscode.Hover(stateHoverMarkdown(mention, this.model, uiLocale()), range);
  }
}

/** The state a command argument names (`TIME_WAIT`, `06`...), or one the user picks when there is none. */
async function stateFromArgument(arg: unknown, model: TcpModelApi): Promise<TcpState | undefined> {
  const named = typeof arg === 'string' ? normalizeState(arg) : undefined;
  if (named) return named;
  const locale = uiLocale();
  const counts = model.status().lastSampleAt === null ? undefined : model.counts();
  const picked = await vscode.window.showQuickPick(
    TCP_STATES.map((s) => ({
      label: s,
      description: counts ? String(counts[s]) : undefined,
      detail: STATE_TEXTS[s].summary[locale],
      state: s,
    })),
    { placeHolder: vscode.l10n.t('Show the sockets in which state?'), matchOnDetail: true },
  );
  return picked?.state;
}

/**
 * The showState command: reveals the Connections view (which starts sampling) narrowed to one state's
 * sockets through the tree's filter (`state:TIME-WAIT`).
 */
async function showState(arg: unknown, model: TcpModelApi, log: vscode.LogOutputChannel): Promise<void> {
  const state = await stateFromArgument(arg, model);
  if (!state) return;
  // The tree's filter command takes the filter text as its argument.
  await executeCommand('filter', `state:${state}`);
  await focusView('connections');
  log.info(`showState ${state}`);
}

/** Hovers on state names in every document (the settings decide per language at hover time). */
export function registerHover(context: vscode.ExtensionContext, model: TcpModelApi, log: vscode.LogOutputChannel): void {
  // '*' is every language, in every scheme: files, untitled documents, output channels, git diffs.
  context.subscriptions.push(
    vscode.languages.registerHoverProvider('*', new StateHoverProvider(model)),
    registerCommand('showState', (arg) => showState(arg, model, log)),
  );
  log.debug('hover provider registered for all documents');
}
