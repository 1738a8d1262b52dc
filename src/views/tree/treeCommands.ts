// The Connections view's title actions (scope, group by, filter, pause, empty states) and its context menu on a
// connection (copy, copy as an ss command, show in diagram, tcp_info, stop the owning process).
import * as vscode from 'vscode';
import { currentSettings } from '../../platform/config';
import { checkIdentity, pickIdentity, type ProcessReading } from '../../domain/processGuard';
import { escapeControls } from '../../domain/displayText';
import { GROUP_BYS, connectionLabel, processLabel, ssCommandLine } from '../../domain/treeModel';
import type { GroupBy, TreeNode } from '../../domain/treeModel';
import type { Connection, TcpState } from '../../domain/types';
import { ConnectionsTree, groupByLabel } from './connectionsTree';
import type { ConnectionsTreeApi } from './connectionsTree';
import { registerDebugFollow } from '../../editor/debugFollow';
import { registerWhoUsesPort } from './whoUsesPort';
import { executeCommand, registerCommand } from '../../platform/commands';
import { updateSetting } from '../../platform/config';
import { clockTime } from '../../platform/l10n';
import type { ProcessCheck, TcpModelApi } from '../../model/modelApi';
import { SsError, readTcpInfo } from '../../sampling/tcpInfo';
import type { TcpInfo } from '../../sampling/tcpInfo';
import { TCP_STATES } from '../../domain/states';

const TCP_INFO_SCHEME = 'tcpstateviewer-tcpinfo';

/** A command's argument: the tree element (context menu), a connection id (other callers), or nothing. */
function connectionFrom(arg: unknown, tree: ConnectionsTree, model: TcpModelApi): Connection | undefined {
  if (typeof arg === 'string') return model.connection(arg);
  if (arg !== null && typeof arg === 'object' && 'kind' in arg && (arg as TreeNode).kind === 'connection') return tree.connectionOf(arg as TreeNode);
  const selected = tree.treeView.selection[0];
  return selected ? tree.connectionOf(selected) : undefined;
}

function connectionText(c: Connection, model: TcpModelApi): string {
  const argv = c.owner ? model.process(c.owner.pid)?.commandLine : undefined;
  const owner = c.owner ? processLabel(c.owner, { noProcess: '' }, argv) : '';
  const line = argv ? escapeControls(argv.join(' ')) : undefined;
  const place = c.container ? `[${escapeControls(c.container.name)}]` : c.netns ? `[${c.netns}]` : '';
  return [connectionLabel(c), c.state, owner, line ? `(${line})` : '', place].filter((s) => s !== '').join('  ');
}

/**
 * The ss command that selects the socket. ss reads the namespace it runs in: for another namespace's socket, it
 * runs there through nsenter (root) with a process of that namespace, when one is known.
 */
export function ssCommandFor(c: Connection): string {
  const base = ssCommandLine(c);
  return c.netns !== undefined && c.owner !== null ? `nsenter --target ${c.owner.pid} --net ${base}` : base;
}

// --- filter -------------------------------------------------------------------------------------------------

/** A live filter box: the tree narrows as you type; Escape puts the previous filter back. */
async function editFilter(tree: ConnectionsTree): Promise<void> {
  const before = tree.filter;
  const box = vscode.window.createInputBox();
  box.title = vscode.l10n.t('Filter Connections');
  box.value = before;
  box.placeholder = vscode.l10n.t('e.g. node 8080, state:time-wait, port:5432, pid:4242, -state:listen');
  box.prompt = vscode.l10n.t('Words match addresses, ports, process names and command lines, pids and states. All words must match; "-" excludes.');
  let accepted = false;
  await new Promise<void>((resolve) => {
    box.onDidChangeValue((v) => tree.setFilter(v));
    box.onDidAccept(() => {
      accepted = true;
      box.hide();
    });
    box.onDidHide(() => {
      if (!accepted) tree.setFilter(before);
      box.dispose();
      resolve();
    });
    box.show();
  });
}

async function pickGroupBy(tree: ConnectionsTree): Promise<void> {
  type Item = vscode.QuickPickItem & { value: GroupBy };
  const details: Record<GroupBy, string> = {
    state: vscode.l10n.t('One group per TCP state, in the order of the state diagram'),
    process: vscode.l10n.t('One group per owning process'),
    localPort: vscode.l10n.t('One group per local port: a server port gathers its listener and every accepted connection'),
    container: vscode.l10n.t('One group per container or network namespace, then this machine\'s own sockets'),
  };
  const items: Item[] = GROUP_BYS.map((g) => ({ label: groupByLabel(g), detail: details[g], value: g, description: g === tree.groupBy ? vscode.l10n.t('current') : undefined }));
  const picked = await vscode.window.showQuickPick(items, { title: vscode.l10n.t('Group Connections By'), placeHolder: groupByLabel(tree.groupBy) });
  if (picked) tree.setGroupBy(picked.value);
}

// --- tcp_info -----------------------------------------------------------------------------------------------

function n(v: number | null): string {
  return v === null ? '—' : v.toLocaleString('en-US');
}

function bytes(v: number | null): string {
  if (v === null) return '—';
  if (v < 1024) return `${v} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let x = v / 1024;
  let i = 0;
  while (x >= 1024 && i < units.length - 1) {
    x /= 1024;
    i++;
  }
  return `${v.toLocaleString('en-US')} B (${x.toFixed(1)} ${units[i]})`;
}

function ms(v: number | null): string {
  return v === null ? '—' : `${v} ms`;
}

function rate(bps: number | null): string {
  if (bps === null) return '—';
  const units: [number, string][] = [
    [1e9, 'Gbit/s'],
    [1e6, 'Mbit/s'],
    [1e3, 'kbit/s'],
  ];
  for (const [scale, unit] of units) if (bps >= scale) return `${(bps / scale).toFixed(1)} ${unit}`;
  return `${bps} bit/s`;
}

function mdCell(s: string): string {
  return s.replace(/\|/g, '\\|');
}

/** The tcp_info page: the numbers a developer asks about first, then everything ss printed. */
export function tcpInfoMarkdown(c: Connection, info: TcpInfo | null, command: string, output: string, takenAt: number): string {
  const lines: string[] = [];
  lines.push(`# tcp_info: ${connectionLabel(c)}`, '');
  const owner = c.owner ? processLabel(c.owner, { noProcess: '' }) : vscode.l10n.t('unknown process');
  lines.push(`${c.state} · ${owner} · ${vscode.l10n.t('read at {0} with', clockTime(takenAt))} \`${command}\``, '');
  if (info === null) {
    lines.push(vscode.l10n.t('The socket is no longer in the kernel\'s table (it closed after the last sample).'), '');
  } else if (info.congestion === null && Object.keys(info.fields).length === 0) {
    lines.push(vscode.l10n.t('The kernel keeps no tcp_info for this socket: a TIME-WAIT socket is a small placeholder that only holds the 4-tuple until its timer ends.'), '');
  } else {
    const row = (label: string, value: string) => lines.push(`| ${mdCell(label)} | ${mdCell(value)} |`);
    lines.push(`| ${vscode.l10n.t('Measure')} | ${vscode.l10n.t('Value')} |`, '|---|---|');
    row(vscode.l10n.t('Round-trip time (smoothed / variation / minimum)'), `${ms(info.rttMs)} / ${ms(info.rttVarMs)} / ${ms(info.minRttMs)}`);
    row(vscode.l10n.t('Retransmission timeout'), `${ms(info.rtoMs)}${info.backoff ? ` (${vscode.l10n.t('backed off {0}×', info.backoff)})` : ''}`);
    row(vscode.l10n.t('Congestion window'), `${n(info.cwnd)} ${vscode.l10n.t('segments')} × ${n(info.mss)} B MSS${info.congestion ? ` · ${info.congestion}` : ''}${info.ssthresh !== null ? ` · ssthresh ${info.ssthresh}` : ''}`);
    row(vscode.l10n.t('Retransmits (unacknowledged now / total)'), `${n(info.retransNow ?? 0)} / ${n(info.retransTotal ?? 0)}${info.bytesRetrans !== null ? ` · ${bytes(info.bytesRetrans)}` : ''}`);
    row(vscode.l10n.t('Bytes sent'), bytes(info.bytesSent ?? 0));
    row(vscode.l10n.t('Bytes acknowledged by the peer'), bytes(info.bytesAcked ?? 0));
    row(vscode.l10n.t('Bytes received'), bytes(info.bytesReceived ?? 0));
    row(vscode.l10n.t('Segments out / in'), `${n(info.segsOut)} / ${n(info.segsIn)}`);
    row(vscode.l10n.t('Queues (receive / send)'), `${bytes(info.recvQ)} / ${bytes(info.sendQ)}`);
    if (info.notSent !== null) row(vscode.l10n.t('Written but not sent yet'), bytes(info.notSent));
    if (info.unacked !== null) row(vscode.l10n.t('Segments in flight (unacknowledged)'), n(info.unacked));
    if (info.lost !== null) row(vscode.l10n.t('Segments considered lost'), n(info.lost));
    if (info.rwndLimitedMs !== null) row(vscode.l10n.t('Time limited by the peer\'s receive window'), ms(info.rwndLimitedMs));
    row(vscode.l10n.t('Delivery rate / pacing rate'), `${rate(info.deliveryRateBps)} / ${rate(info.pacingRateBps)}`);
    row(vscode.l10n.t('Last send / receive / ACK'), `${ms(info.lastSendMs)} / ${ms(info.lastRecvMs)} / ${ms(info.lastAckMs)} ${vscode.l10n.t('ago')}`);
    if (info.flags.length > 0) row(vscode.l10n.t('Flags'), info.flags.join(' '));
    lines.push('');
  }
  lines.push(`## ${vscode.l10n.t('ss output')}`, '', '```', output.trimEnd(), '```', '');
  return lines.join('\n');
}

class TcpInfoDocuments implements vscode.TextDocumentContentProvider {
  private readonly pages = new Map<string, string>();
  private next = 1;

  add(title: string, markdown: string): vscode.Uri {
    const key = String(this.next++);
    this.pages.set(key, markdown);
    // Keep the last few pages: each is small, and an old preview re-reads its text when revealed again.
    if (this.pages.size > 20) this.pages.delete(this.pages.keys().next().value as string);
    return vscode.Uri.from({ scheme: TCP_INFO_SCHEME, path: `/${title}.md`, query: key });
  }

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.pages.get(uri.query) ?? '';
  }
}

async function showTcpInfo(c: Connection, pages: TcpInfoDocuments, log: vscode.LogOutputChannel): Promise<void> {
  if (c.netns !== undefined) {
    // ss reads the network namespace it runs in; ours does not hold this socket.
    void vscode.window.showInformationMessage(vscode.l10n.t('tcp_info is read with ss, which sees this machine\'s own network namespace; this socket is {0}.', c.container ? vscode.l10n.t('in container {0}', escapeControls(c.container.name)) : vscode.l10n.t('in network namespace {0}', c.netns)));
    return;
  }
  const ssPath = currentSettings().ssPath;
  try {
    const takenAt = Date.now();
    const result = await readTcpInfo(ssPath, c);
    // The arguments readTcpInfo ran (tcpInfoArgs: '-tani' and ssFilterArgs), quoted for a shell.
    const command = ssCommandLine(c, '-tani');
    log.debug(`tcp_info: ${command} -> ${result.info ? 'found' : 'not found'}`);
    const uri = pages.add(`tcp_info ${c.local.port}-${c.remote.port}`, tcpInfoMarkdown(c, result.info, command, result.output, takenAt));
    const hasPreview = (await vscode.commands.getCommands(true)).includes('markdown.showPreview');
    if (hasPreview) await vscode.commands.executeCommand('markdown.showPreview', uri);
    else await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(uri), { preview: true });
  } catch (e) {
    const message = e instanceof SsError && e.code === 'missing'
      ? vscode.l10n.t('tcp_info needs the ss executable (iproute2), which was not found at "{0}".', ssPath)
      : vscode.l10n.t('Reading tcp_info failed: {0}', e instanceof Error ? e.message : String(e));
    log.warn(message);
    void vscode.window.showErrorMessage(message);
  }
}

// --- stopping the owning process ------------------------------------------------------------------------------

/**
 * A process as the sampler worker reads it now through its platform (the host reads no process table of its own:
 * on macOS and Windows there is no /proc), for processGuard; null when it is gone. The worker answers null for a
 * zombie, so a reading is always of a running process.
 */
async function readingOf(pid: number, model: TcpModelApi): Promise<ProcessReading | null> {
  const p = await model.readProcess(pid);
  return p === null ? null : { startTime: p.startTime, state: 'R' };
}

/**
 * Whether a pid may be stopped from here: it belongs to the workspace scope (the model answers by the sampler's own
 * rules: a debug session's, task's or terminal's process tree, or a process in a workspace folder), and it is never
 * this extension host or one of its ancestors (that would end the editor), never pid 1, never another user's
 * process. Read fresh: the model's copy may be a sample old, and pids get reused.
 */
export async function workspaceProcessCheck(pid: number, model: TcpModelApi): Promise<{ ok: true; check: ProcessCheck } | { ok: false; reason: string }> {
  if (!Number.isSafeInteger(pid) || pid <= 1) return { ok: false, reason: vscode.l10n.t('pid {0} is not a process that can be stopped here.', pid) };
  const protectedPids = new Set<number>([process.pid]);
  for (let p: number | null = process.ppid, i = 0; p !== null && p > 1 && i < 64; i++) {
    protectedPids.add(p);
    p = (await model.readProcess(p))?.ppid ?? null;
  }
  if (protectedPids.has(pid)) return { ok: false, reason: vscode.l10n.t('pid {0} is part of the editor itself.', pid) };
  const check = await model.checkProcess(pid);
  if (check.startTime === null) return { ok: false, reason: vscode.l10n.t('Process {0} has already exited.', pid) };
  const myUid = process.getuid?.() ?? null;
  if (myUid !== null && check.uid !== null && check.uid !== myUid) return { ok: false, reason: vscode.l10n.t('Process {0} belongs to another user.', pid) };
  if (!check.inScope) {
    return { ok: false, reason: vscode.l10n.t('Process {0} was not started from this workspace (no debug session, task or terminal of this window, and it does not run in a workspace folder).', pid) };
  }
  return { ok: true, check };
}

function guardRefusal(pid: number, kind: 'exited' | 'changed'): string {
  return kind === 'exited'
    ? vscode.l10n.t('Process {0} has exited; nothing was sent.', pid)
    : vscode.l10n.t('Process {0} is no longer the process you picked: it exited and its pid now names another process. Nothing was sent.', pid);
}

/** A process as the user picked it: the pid, its command, and the start time the sample saw it with (when known). */
export interface PickedProcess {
  pid: number;
  command: string;
  startTime?: number;
  commandLine?: readonly string[];
}

/**
 * Stops a process after a modal confirmation, with the guard's rules: the pid still names the process picked (its
 * start time), and it belongs to the workspace (workspaceProcessCheck), both checked when picked and again right
 * before the signal. When the guard refuses it says why, and nothing is sent. Resolves with whether SIGTERM was sent.
 */
export async function stopProcess(p: PickedProcess, model: TcpModelApi, log: vscode.LogOutputChannel): Promise<boolean> {
  const { pid, command } = p;
  // The process as picked: its start time, so a pid reused while the dialog is open is not signalled.
  const picked = pickIdentity(pid, p.startTime ?? model.process(pid)?.startTime, await readingOf(pid, model));
  if (picked.verdict.kind !== 'ok') {
    void vscode.window.showWarningMessage(guardRefusal(pid, picked.verdict.kind));
    return false;
  }
  const check = await workspaceProcessCheck(pid, model);
  if (!check.ok) {
    void vscode.window.showWarningMessage(check.reason);
    return false;
  }
  const argv = p.commandLine ?? model.process(pid)?.commandLine;
  const line = escapeControls(argv && argv.length > 0 ? argv.join(' ') : command);
  const stop = vscode.l10n.t('Stop Process');
  const choice = await vscode.window.showWarningMessage(
    vscode.l10n.t('Stop {0} (pid {1})?', escapeControls(command), pid),
    { modal: true, detail: vscode.l10n.t('Sends SIGTERM to:\n{0}\n\nIt may close its connections and exit, or ignore the signal.', line) },
    stop,
  );
  if (choice !== stop) return false;
  // Checked again right before the signal: the dialog may have been open long enough for the process to exit and
  // its pid to name another, or for it to leave the workspace's scope.
  const now = checkIdentity(picked.identity, await readingOf(pid, model));
  const scopeNow = now.kind === 'ok' ? await workspaceProcessCheck(pid, model) : { ok: false as const, reason: guardRefusal(pid, now.kind) };
  if (!scopeNow.ok) {
    const reason = scopeNow.reason;
    log.warn(`not stopping ${pid}: ${reason}`);
    void vscode.window.showWarningMessage(reason);
    return false;
  }
  try {
    process.kill(pid, 'SIGTERM');
    log.info(`sent SIGTERM to ${pid} (${line})`);
    return true;
  } catch (e) {
    const message = vscode.l10n.t('Could not stop process {0}: {1}', pid, e instanceof Error ? e.message : String(e));
    log.warn(message);
    void vscode.window.showErrorMessage(message);
    return false;
  }
}

// --- registration ---------------------------------------------------------------------------------------------

function stateFrom(arg: unknown): TcpState | undefined {
  if (typeof arg === 'string' && (TCP_STATES as readonly string[]).includes(arg)) return arg as TcpState;
  if (arg !== null && typeof arg === 'object' && 'kind' in arg && (arg as TreeNode).kind === 'group') {
    const g = arg as TreeNode & { kind: 'group' };
    return g.state ?? undefined;
  }
  return undefined;
}

export function registerTreeCommands(context: vscode.ExtensionContext, model: TcpModelApi, tree: ConnectionsTree, log: vscode.LogOutputChannel): void {
  const pages = new TcpInfoDocuments();
  const setEmptyStates = (show: boolean) => updateSetting('showEmptyStates', show);
  const withConnection = (fn: (c: Connection) => unknown) => (arg: unknown) => {
    const c = connectionFrom(arg, tree, model);
    if (c) return fn(c);
    void vscode.window.showInformationMessage(vscode.l10n.t('Select a connection in the Connections view first.'));
    return undefined;
  };
  const r = registerCommand;
  context.subscriptions.push(
    vscode.workspace.registerTextDocumentContentProvider(TCP_INFO_SCHEME, pages),
    r('showAllSockets', () => model.setScope('all')),
    r('showWorkspaceSockets', () => model.setScope('workspace')),
    r('groupBy', (arg: unknown) => {
      if (typeof arg === 'string' && (GROUP_BYS as readonly string[]).includes(arg)) tree.setGroupBy(arg as GroupBy);
      else return pickGroupBy(tree);
      return undefined;
    }),
    // With a string argument (hover links, tests) the filter is set directly: `state:TIME-WAIT`.
    r('filter', (arg: unknown) => (typeof arg === 'string' ? tree.setFilter(arg) : editFilter(tree))),
    r('editFilter', () => editFilter(tree)),
    r('clearFilter', () => tree.setFilter('')),
    r('pause', () => model.pause()),
    r('resume', () => model.resume()),
    r('showEmptyStates', () => setEmptyStates(true)),
    r('hideEmptyStates', () => setEmptyStates(false)),
    r('copyConnection', withConnection((c) => vscode.env.clipboard.writeText(connectionText(c, model)))),
    r('copySsFilter', withConnection((c) => vscode.env.clipboard.writeText(ssCommandFor(c)))),
    r('revealInDiagram', (arg: unknown) => {
      const state = stateFrom(arg);
      if (state) return executeCommand('showInDiagram', state);
      const c = connectionFrom(arg, tree, model);
      return c ? executeCommand('showInDiagram', c.id) : undefined;
    }),
    r('showTcpInfo', withConnection((c) => showTcpInfo(c, pages, log))),
    r('killProcess', withConnection((c) => (c.owner ? stopProcess(c.owner, model, log) : undefined))),
    r('showInsight', (arg: unknown) => {
      const key = typeof arg === 'string' ? arg : insightKeyFrom(arg);
      return key === undefined ? undefined : tree.showInsight(key);
    }),
    r('showDebuggerSockets', () => updateSetting('showDebuggerSockets', true)),
    r('hideDebuggerSockets', () => updateSetting('showDebuggerSockets', false)),
  );
}

/** The key of an insight tree element (its context menu and inline action pass the element). */
function insightKeyFrom(arg: unknown): string | undefined {
  if (arg !== null && typeof arg === 'object' && 'kind' in arg && (arg as TreeNode).kind === 'insight') return (arg as TreeNode & { kind: 'insight' }).insight.key;
  return undefined;
}


/** The Connections view, its commands and the debug follower: what extension.ts registers in one line. */
export function registerConnectionsTree(context: vscode.ExtensionContext, model: TcpModelApi, log: vscode.LogOutputChannel): ConnectionsTreeApi {
  const tree = new ConnectionsTree(model, context.workspaceState, log);
  context.subscriptions.push(tree);
  registerTreeCommands(context, model, tree, log);
  registerWhoUsesPort(context, model, tree, log);
  registerDebugFollow(context, tree, log);
  return tree;
}
