// "TCP: Take Snapshot", "TCP: Take Snapshot as JSON" and "TCP: Compare Snapshots". Each snapshot opens as an
// untitled document (named after its time, so Save proposes a useful file name) and is also kept, read-only and
// unchanged, for the rest of the session under the tcp-snapshot: scheme, which is what Compare diffs.
import * as os from 'node:os';
import * as vscode from 'vscode';
import { toSnapshotJson } from '../domain/snapshot';
import { renderSnapshotDocument, type SnapshotDocumentLabels } from '../domain/snapshotDocument';
import type { ScopedSample } from '../domain/types';
import { registerCommand } from '../platform/commands';
import { uiLocale } from '../platform/l10n';
import type { TcpModelApi } from '../model/modelApi';

export const SNAPSHOT_SCHEME = 'tcp-snapshot';

/** A sample quicker than this needs no progress notification (it would only flash). */
const PROGRESS_AFTER_MS = 300;
/** Snapshots kept for Compare; the oldest are forgotten first. */
const MAX_KEPT = 50;

export interface KeptSnapshot {
  /** tcp-snapshot:/<n>/<file name>: read-only, the text as taken. */
  uri: vscode.Uri;
  /** The untitled document the command opened. */
  document: vscode.TextDocument;
  format: 'markdown' | 'json';
  takenAt: number;
  sockets: number;
  scope: ScopedSample['scope'];
  text: string;
}

function documentLabels(): SnapshotDocumentLabels {
  const labels: SnapshotDocumentLabels = {
    title: vscode.l10n.t('TCP snapshot'),
    host: vscode.l10n.t('Host'),
    takenAt: vscode.l10n.t('Taken at'),
    backend: vscode.l10n.t('Backend'),
    scope: vscode.l10n.t('Scope'),
    scopeAll: vscode.l10n.t('whole machine'),
    scopeWorkspace: vscode.l10n.t('workspace processes'),
    total: vscode.l10n.t('Sockets'),
    counts: vscode.l10n.t('Sockets per state'),
    connections: vscode.l10n.t('Connections'),
    state: vscode.l10n.t('State'),
    count: vscode.l10n.t('Count'),
    local: vscode.l10n.t('Local'),
    remote: vscode.l10n.t('Remote'),
    recvQ: 'Recv-Q',
    sendQ: 'Send-Q',
    timer: vscode.l10n.t('Timer'),
    process: vscode.l10n.t('Process'),
    noSockets: vscode.l10n.t('No sockets in scope.'),
    kernel: vscode.l10n.t('Kernel'),
    insights: vscode.l10n.t('Insights'),
    noInsights: vscode.l10n.t('Nothing unusual.'),
    timeInState: vscode.l10n.t('In state'),
    socketsOfMachine: vscode.l10n.t('{0} in scope, {1} on the machine'),
    scopePids: vscode.l10n.t('root and member pids: {0}'),
    timeNote: vscode.l10n.t(
      'Time in state counts from the first sample that saw the socket in that state; "≥" marks sockets already in it when first seen, "—" sockets first seen by this snapshot.',
    ),
  };
  return labels;
}

/** `2025-05-01 12-00-05` in local time: readable, sortable, and valid in a file name everywhere. */
function fileStamp(at: number): string {
  const d = new Date(at);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}-${p(d.getMinutes())}-${p(d.getSeconds())}`;
}

/** Runs the sample; a notification with progress appears only if it takes longer than PROGRESS_AFTER_MS. */
export async function sampleWithProgress(model: TcpModelApi): Promise<ScopedSample> {
  const sampling = model.sampleNow();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const slow = new Promise<'slow'>((resolve) => {
    timer = setTimeout(() => resolve('slow'), PROGRESS_AFTER_MS);
  });
  const first = await Promise.race([sampling.then(() => 'done' as const, () => 'done' as const), slow]);
  clearTimeout(timer);
  if (first === 'slow') {
    return vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('Reading the socket table…') },
      () => sampling,
    );
  }
  return sampling;
}

class SnapshotStore implements vscode.TextDocumentContentProvider {
  private readonly kept: KeptSnapshot[] = [];
  private serial = 0;

  provideTextDocumentContent(uri: vscode.Uri): string | undefined {
    return this.kept.find((k) => k.uri.toString() === uri.toString())?.text;
  }

  list(): readonly KeptSnapshot[] {
    return this.kept;
  }

  async open(sample: ScopedSample, format: KeptSnapshot['format'], text: string): Promise<KeptSnapshot> {
    const n = ++this.serial;
    // An untitled document with a path: its tab shows the name and Save proposes it, in the first workspace folder.
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri ?? vscode.Uri.file(os.homedir());
    const open = new Set(vscode.workspace.textDocuments.map((d) => d.uri.toString()));
    let name = '';
    let untitled = folder;
    for (let copy = 1; copy === 1 || open.has(untitled.toString()); copy++) {
      name = `tcp-snapshot ${fileStamp(sample.takenAt)}${copy > 1 ? ` (${copy})` : ''}.${format === 'json' ? 'json' : 'md'}`;
      untitled = vscode.Uri.joinPath(folder, name).with({ scheme: 'untitled' });
    }
    const document = await vscode.workspace.openTextDocument(untitled);
    const edit = new vscode.WorkspaceEdit();
    edit.insert(untitled, new vscode.Position(0, 0), text);
    await vscode.workspace.applyEdit(edit);
    await vscode.window.showTextDocument(document, { preview: false });
    const kept: KeptSnapshot = {
      uri: vscode.Uri.from({ scheme: SNAPSHOT_SCHEME, path: `/${n}/${name}` }),
      document,
      format,
      takenAt: sample.takenAt,
      sockets: sample.sockets.length,
      scope: sample.scope,
      text,
    };
    this.kept.push(kept);
    if (this.kept.length > MAX_KEPT) this.kept.shift();
    return kept;
  }
}

interface SnapshotPick extends vscode.QuickPickItem {
  kind?: vscode.QuickPickItemKind;
  pick: () => Promise<{ uri: vscode.Uri; label: string } | undefined>;
}

export function registerSnapshotCommands(context: vscode.ExtensionContext, model: TcpModelApi, log: vscode.LogOutputChannel): void {
  const store = new SnapshotStore();

  async function take(format: KeptSnapshot['format']): Promise<KeptSnapshot | undefined> {
    let sample: ScopedSample;
    try {
      sample = await sampleWithProgress(model);
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      log.error(`snapshot: ${message}`);
      void vscode.window.showErrorMessage(vscode.l10n.t('Could not take a TCP snapshot: {0}', message));
      return undefined;
    }
    const host = os.hostname();
    const text =
      format === 'json'
        ? `${JSON.stringify(toSnapshotJson(sample, host), null, 2)}\n`
        : renderSnapshotDocument({
            sample,
            host,
            kernel: `${os.type()} ${os.release()}`,
            connections: model.connections(),
            insights: model.insights(),
            locale: uiLocale(),
            labels: documentLabels(),
          });
    const kept = await store.open(sample, format, text);
    log.info(`snapshot (${format}): ${sample.sockets.length} sockets in scope ${sample.scope}, sampled in ${sample.durationMs.toFixed(1)} ms`);
    return kept;
  }

  function describe(k: KeptSnapshot): string {
    const time = new Date(k.takenAt).toLocaleTimeString();
    return vscode.l10n.t('Snapshot {0}', time);
  }

  async function pickOne(placeHolder: string, exclude?: string): Promise<{ uri: vscode.Uri; label: string } | undefined> {
    const items: SnapshotPick[] = [...store.list()]
      .reverse()
      .filter((k) => k.uri.toString() !== exclude)
      .map((k) => ({
        label: `$(device-camera) ${describe(k)}`,
        description: `${k.format === 'json' ? 'JSON' : 'Markdown'} · ${vscode.l10n.t('{0} sockets', k.sockets)} · ${
          k.scope === 'all' ? vscode.l10n.t('whole machine') : vscode.l10n.t('workspace processes')
        }`,
        pick: async () => ({ uri: k.uri, label: describe(k) }),
      }));
    items.push(
      { label: '', kind: vscode.QuickPickItemKind.Separator, pick: async () => undefined },
      {
        label: `$(add) ${vscode.l10n.t('Take a new snapshot now')}`,
        pick: async () => {
          const k = await take('markdown');
          return k && { uri: k.uri, label: describe(k) };
        },
      },
      {
        label: `$(folder-opened) ${vscode.l10n.t('Choose a file…')}`,
        pick: async () => {
          const files = await vscode.window.showOpenDialog({
            canSelectMany: false,
            openLabel: vscode.l10n.t('Compare'),
            filters: { [vscode.l10n.t('Snapshots')]: ['md', 'json', 'txt'], [vscode.l10n.t('All files')]: ['*'] },
          });
          const file = files?.[0];
          return file && { uri: file, label: vscode.workspace.asRelativePath(file) };
        },
      },
    );
    const chosen = await vscode.window.showQuickPick(items, { placeHolder });
    return chosen?.pick();
  }

  async function compare(left?: unknown, right?: unknown): Promise<void> {
    let a = left instanceof vscode.Uri ? { uri: left, label: left.path.split('/').pop() ?? left.toString() } : undefined;
    let b = right instanceof vscode.Uri ? { uri: right, label: right.path.split('/').pop() ?? right.toString() } : undefined;
    a ??= await pickOne(vscode.l10n.t('First snapshot (left side)'));
    if (!a) return;
    b ??= await pickOne(vscode.l10n.t('Second snapshot (right side)'), a.uri.toString());
    if (!b) return;
    await vscode.commands.executeCommand('vscode.diff', a.uri, b.uri, `${a.label} ↔ ${b.label}`);
  }

  context.subscriptions.push(
    vscode.workspace.registerTextDocumentContentProvider(SNAPSHOT_SCHEME, store),
    registerCommand('takeSnapshot', () => take('markdown')),
    registerCommand('takeSnapshotJson', () => take('json')),
    registerCommand('compareSnapshots', compare),
  );
}
