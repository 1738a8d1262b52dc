// "TCP: Take Snapshot", "TCP: Take Snapshot as JSON", "TCP: Compare Snapshots" and "Save Snapshot As…". Each
// snapshot opens as a read-only document of the tcp-snapshot: scheme, named after its time: nothing to save, so
// closing it asks nothing. It is kept for the rest of the session (Compare diffs these documents); its title bar
// has Save As (a file of the user's choosing) and, for Markdown, VS Code's Open Preview.
import * as os from 'node:os';
import * as vscode from 'vscode';
import { toSnapshotJson } from '../domain/snapshot';
import { renderSnapshotDocument, type SnapshotDocumentLabels } from '../domain/snapshotDocument';
import type { ScopeMode, ScopedSample } from '../domain/types';
import { registerCommand } from '../platform/commands';
import { clockTime, uiLocale } from '../platform/l10n';
import type { TcpModelApi } from '../model/modelApi';

export const SNAPSHOT_SCHEME = 'tcp-snapshot';

/** A sample quicker than this needs no progress notification (it would only flash). */
const PROGRESS_AFTER_MS = 300;
/** Snapshots kept for Compare; the oldest are forgotten first. */
const MAX_KEPT = 50;

export interface KeptSnapshot {
  /** tcp-snapshot:/<n>/<file name>: read-only, the text as taken. */
  uri: vscode.Uri;
  /** The document the command opened (of `uri`). */
  document: vscode.TextDocument;
  /** The file name Save As proposes: `tcp-snapshot 2025-05-01 12-00-05.md`. */
  name: string;
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
    container: vscode.l10n.t('Container / netns'),
    noSockets: vscode.l10n.t('No sockets in scope.'),
    kernel: vscode.l10n.t('Kernel'),
    insights: vscode.l10n.t('Insights'),
    noInsights: vscode.l10n.t('Nothing unusual.'),
    timeInState: vscode.l10n.t('In state'),
    socketsOfMachine: vscode.l10n.t('{0} in scope, {1} on the machine'),
    scopePids: vscode.l10n.t('root and member pids: {0}'),
    containers: vscode.l10n.t('Containers'),
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

/**
 * Runs the sample (of the views' scope, or one look at `scope`); a notification with progress appears only if it
 * takes longer than PROGRESS_AFTER_MS.
 */
export async function sampleWithProgress(model: TcpModelApi, scope?: ScopeMode): Promise<ScopedSample> {
  const sampling = model.sampleNow(scope);
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

/** A snapshot as kept: its text stays here, so its document can be reopened (and diffed) after it was closed. */
type Stored = Omit<KeptSnapshot, 'document'>;

class SnapshotStore implements vscode.TextDocumentContentProvider {
  private readonly kept: Stored[] = [];
  private serial = 0;

  provideTextDocumentContent(uri: vscode.Uri): string | undefined {
    return this.byUri(uri)?.text;
  }

  byUri(uri: vscode.Uri): Stored | undefined {
    return this.kept.find((k) => k.uri.toString() === uri.toString());
  }

  list(): readonly Stored[] {
    return this.kept;
  }

  async open(sample: ScopedSample, format: KeptSnapshot['format'], text: string): Promise<KeptSnapshot> {
    const n = ++this.serial;
    const name = `tcp-snapshot ${fileStamp(sample.takenAt)}.${format === 'json' ? 'json' : 'md'}`;
    // The path's last segment is the tab's title and what Save As proposes; the number keeps two snapshots of the
    // same second apart. The extension gives the language (Markdown or JSON).
    const uri = vscode.Uri.from({ scheme: SNAPSHOT_SCHEME, path: `/${n}/${name}` });
    const stored: Stored = { uri, name, format, takenAt: sample.takenAt, sockets: sample.sockets.length, scope: sample.scope, text };
    this.kept.push(stored);
    this.forgetOld();
    const document = await vscode.workspace.openTextDocument(uri);
    await vscode.window.showTextDocument(document, { preview: false });
    return { ...stored, document };
  }

  /** Forgets the oldest snapshots past MAX_KEPT, except those still open (their editors read the text again when shown). */
  private forgetOld(): void {
    const open = new Set(vscode.workspace.textDocuments.map((d) => d.uri.toString()));
    for (let i = 0; this.kept.length > MAX_KEPT && i < this.kept.length; ) {
      if (open.has(this.kept[i].uri.toString())) i++;
      else this.kept.splice(i, 1);
    }
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
            commandLine: (pid) => sample.processes.find((p) => p.pid === pid)?.commandLine ?? model.process(pid)?.commandLine,
          });
    const kept = await store.open(sample, format, text);
    log.info(`snapshot (${format}): ${sample.sockets.length} sockets in scope ${sample.scope}, sampled in ${sample.durationMs.toFixed(1)} ms`);
    return kept;
  }

  function describe(k: Stored): string {
    const time = clockTime(k.takenAt);
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

  /** Writes a snapshot to a file: the one given (tests), or one the user picks, proposed in the first workspace folder. */
  async function saveAs(arg?: unknown, target?: unknown): Promise<vscode.Uri | undefined> {
    const uri = arg instanceof vscode.Uri ? arg : vscode.window.activeTextEditor?.document.uri;
    const kept = uri ? store.byUri(uri) : undefined;
    if (!kept) {
      void vscode.window.showInformationMessage(vscode.l10n.t('Open a TCP snapshot first (TCP: Take Snapshot).'));
      return undefined;
    }
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri ?? vscode.Uri.file(os.homedir());
    const file =
      target instanceof vscode.Uri
        ? target
        : await vscode.window.showSaveDialog({
            defaultUri: vscode.Uri.joinPath(folder, kept.name),
            saveLabel: vscode.l10n.t('Save Snapshot'),
            filters: kept.format === 'json' ? { JSON: ['json'] } : { Markdown: ['md'] },
          });
    if (!file) return undefined;
    await vscode.workspace.fs.writeFile(file, new TextEncoder().encode(kept.text));
    log.info(`snapshot saved to ${file.toString()}`);
    return file;
  }

  context.subscriptions.push(
    vscode.workspace.registerTextDocumentContentProvider(SNAPSHOT_SCHEME, store),
    registerCommand('takeSnapshot', () => take('markdown')),
    registerCommand('takeSnapshotJson', () => take('json')),
    registerCommand('compareSnapshots', compare),
    registerCommand('saveSnapshotAs', saveAs),
  );
}
