// "TCP: Who Uses Port…": the listener and connections of one port on the whole machine, with their owners, and the
// guarded Stop Process. One look at the whole machine (model.sampleNow('all')): the views keep their own scope.
// Terminal links on EADDRINUSE lines (src/editor/terminalLinks.ts) run it with the port the line names.
import * as vscode from 'vscode';
import { connectionLabel, processLabel } from '../../domain/treeModel';
import { formatEndpoint } from '../../domain/types';
import type { Owner, ProcessInfo, ScopedSample } from '../../domain/types';
import { escapeControls } from '../../domain/displayText';
import { parsePortQuery, portUsers, type PortQuery, type PortUse } from '../../domain/portUsers';
import { focusView, registerCommand } from '../../platform/commands';
import { clockTime } from '../../platform/l10n';
import type { TcpModelApi } from '../../model/modelApi';
import { sampleWithProgress } from '../../snapshots/snapshotCommands';
import { stopProcess } from './treeCommands';
import type { ConnectionsTreeApi } from './connectionsTree';

/** One socket on the port as the command found it (what the extension tests read). */
export interface PortUserRow {
  kind: PortUse['kind'];
  state: string;
  local: string;
  remote: string;
  /** Owners named as the tree names them (`node srv.js 4242`), with their pids. */
  owners: { pid: number; label: string }[];
}

/** What the command found; it shows the pick without waiting for it, so callers (tests) get this at once. */
export interface PortUsersResult {
  port: number;
  takenAt: number;
  totalSockets: number;
  users: PortUserRow[];
}

function ownerLabel(o: Owner, processes: ReadonlyMap<number, ProcessInfo>): string {
  return processLabel(o, { noProcess: '' }, processes.get(o.pid)?.commandLine);
}

/** `in container demo-web-1`, `in network namespace net:[…]`, or '' for a socket of our own namespace. */
function placeText(s: PortUse['socket']): string {
  if (s.container !== undefined) return vscode.l10n.t('in container {0}', escapeControls(s.container.name));
  return s.netns !== undefined ? vscode.l10n.t('in network namespace {0}', s.netns) : '';
}

function ownersText(u: PortUse, processes: ReadonlyMap<number, ProcessInfo>): string {
  const place = placeText(u.socket);
  // Another namespace's socket may be held by a process whose files we cannot read (another user's container).
  if (u.socket.owners.length === 0 && place !== '') return place;
  if (place !== '') return `${u.socket.owners.map((o) => ownerLabel(o, processes)).join(', ')} · ${place}`;
  if (u.socket.owners.length === 0) {
    // TIME-WAIT and orphaned sockets have no file, so no process: the kernel holds them until their timer ends.
    return vscode.l10n.t('no process (the kernel holds it until it times out)');
  }
  return u.socket.owners.map((o) => ownerLabel(o, processes)).join(', ');
}

interface UserItem extends vscode.QuickPickItem {
  use?: PortUse;
}

const STOP_BUTTON = (): vscode.QuickInputButton => ({ iconPath: new vscode.ThemeIcon('debug-stop'), tooltip: vscode.l10n.t('Stop Process…') });

/** The port to look up: the argument (a number, `:8080`, `127.0.0.1:8080`), or one the user types. */
async function portFrom(arg: unknown): Promise<PortQuery | undefined> {
  if (typeof arg === 'number') return parsePortQuery(String(arg)) ?? undefined;
  if (typeof arg === 'string') {
    const q = parsePortQuery(arg);
    if (q) return q;
  }
  const typed = await vscode.window.showInputBox({
    title: vscode.l10n.t('Who Uses Port'),
    prompt: vscode.l10n.t('The listener and connections of this port on the whole machine, with their processes.'),
    placeHolder: vscode.l10n.t('e.g. 3000, :8080, 127.0.0.1:5432'),
    validateInput: (v) => (v.trim() === '' || parsePortQuery(v) ? undefined : vscode.l10n.t('A port from 1 to 65535, alone or as address:port.')),
  });
  return typed ? (parsePortQuery(typed) ?? undefined) : undefined;
}

async function actOn(use: PortUse, port: number, sample: ScopedSample, model: TcpModelApi, tree: ConnectionsTreeApi, log: vscode.LogOutputChannel): Promise<void> {
  const processes = new Map(sample.processes.map((p) => [p.pid, p] as const));
  type Action = vscode.QuickPickItem & { run: () => Promise<unknown> | Thenable<unknown> };
  const actions: Action[] = use.socket.owners.map((o) => {
    const info = processes.get(o.pid);
    return {
      label: `$(debug-stop) ${vscode.l10n.t('Stop {0}…', ownerLabel(o, processes))}`,
      detail: info && info.commandLine.length > 0 ? escapeControls(info.commandLine.join(' ')) : undefined,
      run: () => stopProcess({ pid: o.pid, command: o.command, startTime: info?.startTime, commandLine: info?.commandLine }, model, log),
    };
  });
  const inModel = model.connections().some((c) => c.local.port === port || c.remote.port === port);
  actions.push(
    {
      label: `$(list-filter) ${inModel ? vscode.l10n.t('Show port {0} in the Connections view', port) : vscode.l10n.t('Show port {0} in the Connections view (all sockets)', port)}`,
      run: async () => {
        if (!inModel && model.status().scope !== 'all') await model.setScope('all');
        tree.setFilter(`port:${port}`);
        await focusView('connections');
      },
    },
    {
      label: `$(copy) ${vscode.l10n.t('Copy')}`,
      run: () => vscode.env.clipboard.writeText(`${connectionLabel(use.socket)}  ${use.socket.state}  ${ownersText(use, processes)}`),
    },
  );
  const chosen = await vscode.window.showQuickPick(actions, { title: `${use.socket.state} ${connectionLabel(use.socket)}`, placeHolder: ownersText(use, processes) });
  await chosen?.run();
}

function showUsers(result: { query: PortQuery; sample: ScopedSample; users: PortUse[] }, model: TcpModelApi, tree: ConnectionsTreeApi, log: vscode.LogOutputChannel): void {
  const { query, sample, users } = result;
  const port = query.port;
  const time = clockTime(sample.takenAt);
  if (users.length === 0) {
    void vscode.window.showInformationMessage(vscode.l10n.t('No TCP socket on this machine uses port {0} (read at {1}).', port, time));
    return;
  }
  const processes = new Map(sample.processes.map((p) => [p.pid, p] as const));
  const listeners = users.filter((u) => u.kind === 'listener');
  const items: UserItem[] = [];
  const section = (label: string) => items.push({ label, kind: vscode.QuickPickItemKind.Separator });
  const row = (u: PortUse) => {
    const info = u.socket.owners.length === 1 ? processes.get(u.socket.owners[0].pid) : undefined;
    items.push({
      label: `${u.kind === 'listener' ? '$(radio-tower)' : '$(arrow-swap)'} ${u.kind === 'listener' ? formatEndpoint(u.socket.local) : `${u.socket.state}  ${connectionLabel(u.socket)}`}`,
      description: ownersText(u, processes),
      detail: info && info.commandLine.length > 0 ? escapeControls(info.commandLine.join(' ')) : undefined,
      buttons: u.socket.owners.length > 0 ? [STOP_BUTTON()] : [],
      use: u,
    });
  };
  section(listeners.length > 0 ? vscode.l10n.t('Listening on port {0}', port) : vscode.l10n.t('Nothing listens on port {0}', port));
  listeners.forEach(row);
  const others = users.filter((u) => u.kind !== 'listener');
  if (others.length > 0) {
    section(vscode.l10n.t('Connections on port {0}', port));
    others.forEach(row);
  }
  const pick = vscode.window.createQuickPick<UserItem>();
  pick.title = vscode.l10n.t('Port {0}: {1} listening, {2} connections (whole machine, read at {3})', port, listeners.length, others.length, time);
  pick.placeholder = vscode.l10n.t('Pick a socket to stop its process, show it in the Connections view or copy it');
  pick.items = items;
  pick.matchOnDescription = true;
  pick.matchOnDetail = true;
  const act = (use: PortUse | undefined, stopOnly: boolean) => {
    if (use === undefined) return;
    pick.hide();
    const [owner] = use.socket.owners;
    const info = owner ? processes.get(owner.pid) : undefined;
    if (stopOnly && owner && use.socket.owners.length === 1) {
      void stopProcess({ pid: owner.pid, command: owner.command, startTime: info?.startTime, commandLine: info?.commandLine }, model, log);
    } else {
      void actOn(use, port, sample, model, tree, log);
    }
  };
  pick.onDidAccept(() => act(pick.selectedItems[0]?.use, false));
  pick.onDidTriggerItemButton((e) => act(e.item.use, true));
  pick.onDidHide(() => pick.dispose());
  pick.show();
}

export function registerWhoUsesPort(context: vscode.ExtensionContext, model: TcpModelApi, tree: ConnectionsTreeApi, log: vscode.LogOutputChannel): void {
  context.subscriptions.push(
    registerCommand('whoUsesPort', async (arg: unknown): Promise<PortUsersResult | undefined> => {
      const query = await portFrom(arg);
      if (!query) return undefined;
      let sample: ScopedSample;
      try {
        sample = await sampleWithProgress(model, 'all');
      } catch (e) {
        const message = e instanceof Error ? e.message : String(e);
        log.error(`who uses port ${query.port}: ${message}`);
        void vscode.window.showErrorMessage(vscode.l10n.t('Could not read the socket table: {0}', message));
        return undefined;
      }
      const users = portUsers(sample.sockets, query.port);
      log.info(`who uses port ${query.port}: ${users.length} of ${sample.totalSockets} sockets`);
      showUsers({ query, sample, users }, model, tree, log);
      const processes = new Map(sample.processes.map((p) => [p.pid, p] as const));
      return {
        port: query.port,
        takenAt: sample.takenAt,
        totalSockets: sample.totalSockets,
        users: users.map((u) => ({
          kind: u.kind,
          state: u.socket.state,
          local: formatEndpoint(u.socket.local),
          remote: formatEndpoint(u.socket.remote),
          owners: u.socket.owners.map((o) => ({ pid: o.pid, label: ownerLabel(o, processes) })),
        })),
      };
    }),
  );
}
