// The "Connections" tree view: the scope's sockets grouped by state (or process, or local port), with TCPView-style
// highlights for new, changed and closed connections. Tree elements are the plain nodes of core/treeModel (one
// stable object per id, so reveal, selection and targeted refresh work); TreeItems are made only in getTreeItem.
import * as vscode from 'vscode';
import { insightText } from '../../domain/insights';
import { GROUP_BYS, buildTree, currentStateSince, diffTrees, insightFilter, parseFilter, processName } from '../../domain/treeModel';
import type { ConnectionNode, DebuggerNode, FilterTerm, GroupBy, GroupNode, TreeModel, TreeNode, TreeOptions, TreeStrings } from '../../domain/treeModel';
import { formatEndpoint } from '../../domain/types';
import { escapeControls, keepStateNamesWhole, markdownProse } from '../../domain/displayText';
import type { Connection, ContainerLabel, ModelUpdate, TcpState } from '../../domain/types';
import { COLORS, COMMANDS, VIEWS } from '../../contributions';
import { affectsSetting, readSetting } from '../../platform/config';
import { setContext } from '../../platform/commands';
import { clockTime, durationUnits, uiLocale } from '../../platform/l10n';
import { samplingText } from '../samplingText';
import type { ModelStatus, TcpModelApi } from '../../model/modelApi';
import { formatDuration, type DurationUnits } from '../../domain/format';
import { STATES } from '../../domain/states';
import { STATE_TEXTS, type Locale } from '../../domain/stateTexts';

/** Memento keys (workspace state): the grouping and filter survive a reload, per workspace. */
const STATE_KEYS = { groupBy: 'tcpStateViewer.tree.groupBy', filter: 'tcpStateViewer.tree.filter' } as const;

/** URI scheme of the rows' resourceUri: it carries the highlight, which the decoration provider colours. */
export const ROW_SCHEME = 'tcpstateviewer-row';

/** How often durations and highlights are redrawn while the view is visible. */
const TICK_MS = 1000;

/** At most this long a reveal waits for the view to fetch the refreshed rows (it never does while hidden). */
const FETCH_WAIT_MS = 1500;

/** Groups with more rows than this start collapsed (a TIME-WAIT storm should not push everything else away). */
const EXPAND_LIMIT = 200;

/** Codicon per state: the shape tells the phase (handshake, data, closing, timer) without relying on colour. */
export function stateIcon(state: TcpState, greyed = false): vscode.ThemeIcon {
  return new vscode.ThemeIcon(STATES[state].icon, new vscode.ThemeColor(STATES[greyed ? 'CLOSED' : state].colorId));
}

function treeStrings(): TreeStrings {
  return {
    insights: vscode.l10n.t('Insights'),
    noProcess: vscode.l10n.t('unknown process'),
    countOf: (shown, total) => vscode.l10n.t('{0} of {1}', shown, total),
    markNew: vscode.l10n.t('new'),
    markChangedFrom: (from) => vscode.l10n.t('from {0}', from),
    markClosed: vscode.l10n.t('closed'),
    wasState: (state) => vscode.l10n.t('was {0}', state),
    debuggerSockets: vscode.l10n.t('Debugger'),
    hiddenCount: (n) => vscode.l10n.t('{0} hidden', n),
    inContainer: (name) => vscode.l10n.t('in container {0}', name),
    inNamespace: (netns) => vscode.l10n.t('in network namespace {0}', netns),
    hostNamespace: vscode.l10n.t('this machine (no container)'),
    units: durationUnits(),
  };
}

export function groupByLabel(g: GroupBy): string {
  switch (g) {
    case 'state':
      return vscode.l10n.t('State');
    case 'process':
      return vscode.l10n.t('Process');
    case 'localPort':
      return vscode.l10n.t('Local port');
    case 'container':
      return vscode.l10n.t('Container');
  }
}

function readTreeSettings(): { showEmptyStates: boolean; highlightMs: number; showDebuggerSockets: boolean } {
  return { showEmptyStates: readSetting('showEmptyStates'), highlightMs: readSetting('highlightSeconds') * 1000, showDebuggerSockets: readSetting('showDebuggerSockets') };
}

/** One row as the view shows it: what the vscode-tier tests read (through the provider, like the view does). */
export interface RenderedNode {
  id: string;
  label: string;
  description: string;
  contextValue: string;
  /** The hover text (resolveTreeItem), when render() was asked for tooltips. */
  tooltip?: string;
  /** What a click runs (TreeItem.command), when anything. */
  command?: { command: string; arguments: unknown[] };
  children: RenderedNode[];
}

/** What the extension tests drive the tree with (ExtensionApi.connectionsTree). */
export interface ConnectionsTreeApi {
  readonly treeView: vscode.TreeView<TreeNode>;
  readonly groupBy: GroupBy;
  readonly filter: string;
  setGroupBy(groupBy: GroupBy): void;
  setFilter(text: string): void;
  /** Filters to an insight's sockets (`insight:<key>`) and reveals the first of them, selected. False when it no longer holds. */
  showInsight(key: string): Promise<boolean>;
  /** Rebuilds from the model now and walks getChildren/getTreeItem (and resolveTreeItem) from the root, as the view would. */
  render(options?: { tooltips?: boolean }): Promise<RenderedNode[]>;
  /** The model record behind a row. */
  connectionOf(node: TreeNode): Connection | undefined;
}

export class ConnectionsTree implements vscode.TreeDataProvider<TreeNode>, ConnectionsTreeApi, vscode.Disposable {
  private readonly changeEmitter = new vscode.EventEmitter<TreeNode | TreeNode[] | undefined>();
  readonly onDidChangeTreeData = this.changeEmitter.event;
  readonly treeView: vscode.TreeView<TreeNode>;

  private readonly disposables: vscode.Disposable[] = [];
  /** One object per node id for as long as the id exists: VS Code keys elements by identity. */
  private readonly elements = new Map<string, TreeNode>();
  private rootElements: TreeNode[] = [];
  private childElements = new Map<string, TreeNode[]>();
  private current: TreeModel | null = null;
  // The UI language is fixed for the window's life (changing it reloads the window): translated once.
  private readonly strings = treeStrings();
  private readonly locale: Locale = uiLocale();
  private settings = readTreeSettings();
  private groupByValue: GroupBy;
  private filterText: string;
  /** filterText parsed: once per change of the text, not once per build. */
  private filterTerms: FilterTerm[];
  private baseline = Number.NEGATIVE_INFINITY;
  private awaitingBaseline = true;
  private lastScope: ModelStatus['scope'];
  private demand: vscode.Disposable | null = null;
  private ticker: ReturnType<typeof setInterval> | null = null;
  private dirty = true;
  /** Who waits for the view to fetch which children (showInsight reveals only after the refresh landed). */
  private readonly fetchWaiters = new Set<{ parentId: string | null; done: () => void }>();

  constructor(
    private readonly model: TcpModelApi,
    private readonly memento: vscode.Memento,
    private readonly log: vscode.LogOutputChannel,
  ) {
    const savedGroup = memento.get<string>(STATE_KEYS.groupBy);
    this.groupByValue = (GROUP_BYS as readonly string[]).includes(savedGroup ?? '') ? (savedGroup as GroupBy) : 'state';
    this.filterText = memento.get<string>(STATE_KEYS.filter) ?? '';
    this.filterTerms = parseFilter(this.filterText);
    this.lastScope = model.status().scope;
    const lastSample = model.status().lastSampleAt;
    if (lastSample !== null) {
      this.baseline = lastSample;
      this.awaitingBaseline = false;
    }

    this.treeView = vscode.window.createTreeView(VIEWS.connections, { treeDataProvider: this, showCollapseAll: true });
    this.disposables.push(
      this.treeView,
      this.changeEmitter,
      this.treeView.onDidChangeVisibility((e) => this.onVisibility(e.visible)),
      model.onDidUpdate((u) => this.onUpdate(u)),
      model.onDidChangeStatus((s) => this.onStatus(s)),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (affectsSetting(e, 'showEmptyStates', 'highlightSeconds', 'showDebuggerSockets')) this.applySettings();
      }),
      vscode.window.registerFileDecorationProvider(new RowDecorations()),
    );
    this.applySettings();
    this.onVisibility(this.treeView.visible);
  }

  get groupBy(): GroupBy {
    return this.groupByValue;
  }

  get filter(): string {
    return this.filterText;
  }

  /** The one settings handler: at startup and on each change of a setting the tree reads. */
  private applySettings(): void {
    this.settings = readTreeSettings();
    setContext('showEmptyStates', this.settings.showEmptyStates);
    setContext('showDebuggerSockets', this.settings.showDebuggerSockets);
    this.refreshAll();
  }

  setGroupBy(groupBy: GroupBy): void {
    if (groupBy === this.groupByValue) return;
    this.groupByValue = groupBy;
    void this.memento.update(STATE_KEYS.groupBy, groupBy);
    this.log.debug(`tree: group by ${groupBy}`);
    this.refreshAll();
  }

  setFilter(text: string): void {
    const trimmed = text.trim();
    if (trimmed === this.filterText) return;
    this.filterText = trimmed;
    this.filterTerms = parseFilter(trimmed);
    void this.memento.update(STATE_KEYS.filter, trimmed);
    this.log.debug(`tree: filter "${trimmed}"`);
    this.refreshAll();
  }

  async showInsight(key: string): Promise<boolean> {
    const insight = this.model.insights().find((i) => i.key === key);
    if (insight === undefined) return false;
    // The workbench takes a refresh a little later (the extension host batches change events): a reveal sent
    // before it lands walks the old tree ("Data tree node not found"). So reveal once it fetched the new rows.
    const first = () => this.rootElements.find((r) => r.kind === 'group' && r.count > 0);
    const fetchedRoots = this.fetched(null);
    this.setFilter(insightFilter(insight));
    const group = first();
    await fetchedRoots;
    if (group !== undefined && this.treeView.visible) await this.fetched(group.id);
    // The insight's sockets are the filter's rows, and the groups holding them come first: reveal the first row.
    const target = first();
    const row = target ? this.childElements.get(target.id)?.[0] : undefined;
    if (row === undefined) return false;
    await this.treeView.reveal(row, { select: true, focus: true, expand: true });
    return true;
  }

  /** Resolves when the view next asks for the children of `parentId` (null: the roots), or after FETCH_WAIT_MS. */
  private fetched(parentId: string | null): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, FETCH_WAIT_MS);
      const waiters = this.fetchWaiters;
      function done(): void {
        clearTimeout(timer);
        waiters.delete(entry);
        resolve();
      }
      const entry = { parentId, done };
      waiters.add(entry);
    });
  }

  private options(): TreeOptions {
    return {
      groupBy: this.groupByValue,
      showEmptyStates: this.settings.showEmptyStates,
      filter: this.filterTerms,
      highlightMs: this.settings.highlightMs,
      closedLingerMs: this.settings.highlightMs,
      baseline: this.baseline,
      showDebuggerSockets: this.settings.showDebuggerSockets,
    };
  }

  private onVisibility(visible: boolean): void {
    if (visible) {
      this.demand ??= this.model.demand('full');
      this.startTicker();
      if (this.dirty) this.refreshAll();
    } else {
      this.demand?.dispose();
      this.demand = null;
      this.stopTicker();
    }
  }

  private startTicker(): void {
    if (this.ticker !== null || this.model.status().paused) return;
    this.ticker = setInterval(() => this.update(), TICK_MS);
  }

  private stopTicker(): void {
    if (this.ticker !== null) clearInterval(this.ticker);
    this.ticker = null;
  }

  private onUpdate(u: ModelUpdate): void {
    if (this.awaitingBaseline || u.reset) {
      // What the first sample (after start or a scope switch) shows was there before: not "new".
      this.baseline = u.at;
      this.awaitingBaseline = false;
    }
    if (!this.treeView.visible) {
      this.dirty = true;
      this.updateContext(null);
      return;
    }
    this.update();
  }

  private onStatus(s: ModelStatus): void {
    if (s.scope !== this.lastScope) {
      this.lastScope = s.scope;
      this.awaitingBaseline = true;
      this.refreshAll();
    } else {
      this.updateMessage();
    }
    if (s.paused) this.stopTicker();
    else if (this.treeView.visible) this.startTicker();
  }

  /** Whole-tree refresh: grouping, filter, scope or settings changed. */
  private refreshAll(): void {
    this.rebuild();
    this.changeEmitter.fire(undefined);
  }

  /** Rebuilds and fires only for the top-level nodes whose text or rows changed. */
  private update(): void {
    const before = this.current;
    this.rebuild();
    const after = this.current;
    if (after === null) return;
    const diff = diffTrees(before, after);
    if (diff.rootsChanged) {
      this.changeEmitter.fire(undefined);
    } else if (diff.changedRoots.length > 0) {
      const changed = diff.changedRoots.map((id) => this.elements.get(id)).filter((n): n is TreeNode => n !== undefined);
      this.changeEmitter.fire(changed);
    }
  }

  /** Builds the tree from the model and updates the elements in place: callers fire the matching change event. */
  private rebuild(): void {
    const next = buildTree({
      connections: this.model.connections(),
      insights: this.model.insights(),
      now: Date.now(),
      options: this.options(),
      strings: this.strings,
      commandLine: (pid) => this.model.process(pid)?.commandLine,
    });
    // Keep one object per id: update the old element in place so handles VS Code holds stay valid.
    const seen = new Set<string>();
    const stable = (n: TreeNode): TreeNode => {
      seen.add(n.id);
      const old = this.elements.get(n.id);
      if (old !== undefined && old.kind === n.kind) {
        Object.assign(old, n);
        return old;
      }
      const copy = { ...n };
      this.elements.set(n.id, copy);
      return copy;
    };
    this.rootElements = next.roots.map(stable);
    const children = new Map<string, TreeNode[]>();
    for (const [parent, list] of next.children) children.set(parent, list.map(stable));
    this.childElements = children;
    for (const id of [...this.elements.keys()]) if (!seen.has(id)) this.elements.delete(id);
    this.current = next;
    this.dirty = false;
    this.updateContext(next);
    this.updateMessage();
  }

  private updateContext(tree: TreeModel | null): void {
    const sampled = this.model.status().lastSampleAt !== null || this.model.status().error !== null;
    const empty = sampled && (tree ? tree.roots.length === 0 : this.model.connections().length === 0 && this.model.insights().length === 0);
    const filtered = this.filterText !== '';
    setContext('empty', empty);
    setContext('filtered', filtered);
    setContext('groupBy', this.groupByValue);
  }

  private updateMessage(): void {
    const status = this.model.status();
    const parts: string[] = [];
    if (status.error !== null) {
      // The connections stay as the last good sample showed them: say so, and since when.
      parts.push(`$(error) ${escapeControls(status.error)}`);
      if (status.lastSampleAt !== null && !status.paused) parts.push(vscode.l10n.t('Stale: showing the sample taken at {0}.', clockTime(status.lastSampleAt)));
    }
    if (status.paused) {
      parts.push(
        status.lastSampleAt !== null
          ? vscode.l10n.t('Paused: showing the sample taken at {0}.', clockTime(status.lastSampleAt))
          : vscode.l10n.t('Paused.'),
      );
    }
    if (!status.paused && status.loop?.stretched === true) {
      // The back-off stretched the interval past its usual cap to keep sampling within 5 % of a core.
      parts.push(vscode.l10n.t('Sampling every {0} s: the socket table is large and each sample costs more CPU.', Math.round(status.intervalMs / 1000)));
    }
    // Reads held back by the CPU budget, or periodic without the kernel's counters: said here, in a sentence.
    const reading = samplingText(status);
    if (reading.short !== null && !status.paused && status.error === null) parts.push(reading.sentence);
    if (this.filterText !== '' && this.current !== null) {
      const only = this.filterTerms.length === 1 && this.filterTerms[0].field === 'insight' && !this.filterTerms[0].negated ? this.filterTerms[0].text : null;
      const insight = only === null ? undefined : this.model.insights().find((i) => i.key.toLowerCase() === only);
      parts.push(
        insight !== undefined
          ? vscode.l10n.t('Showing the {0} sockets of the insight "{1}". Clear the filter to see all {2}.', this.current.shown, insightText(insight, this.locale, this.argvOf).title, this.current.total)
          : vscode.l10n.t('Filter "{0}": {1} of {2} connections.', this.filterText, this.current.shown, this.current.total),
      );
    }
    const message = parts.length > 0 ? parts.join(' ') : undefined;
    if (this.treeView.message !== message) this.treeView.message = message;
    const scope = status.scope === 'all' ? vscode.l10n.t('all sockets') : vscode.l10n.t('workspace');
    const description = reading.short !== null && !status.paused ? `${scope} · ${reading.short}` : scope;
    if (this.treeView.description !== description) this.treeView.description = description;
  }

  // --- TreeDataProvider -------------------------------------------------------------------------------------

  getChildren(element?: TreeNode): TreeNode[] {
    for (const w of [...this.fetchWaiters]) if (w.parentId === (element?.id ?? null)) w.done();
    // Built here only the first time: after that the elements change only together with an onDidChangeTreeData
    // event, or VS Code's copy of the tree and ours drift apart ("Data tree node not found").
    if (this.current === null) this.rebuild();
    if (element === undefined) return this.rootElements;
    return this.childElements.get(element.id) ?? [];
  }

  getParent(element: TreeNode): TreeNode | undefined {
    if (element.kind === 'connection' || element.kind === 'insight') return this.elements.get(element.parentId);
    return undefined;
  }

  /** The process's command line, so insight texts name it by its script as the rows do. */
  private readonly argvOf = (pid: number): readonly string[] | undefined => this.model.process(pid)?.commandLine;

  getTreeItem(node: TreeNode): vscode.TreeItem {
    switch (node.kind) {
      case 'insights': {
        const item = new vscode.TreeItem(node.label, vscode.TreeItemCollapsibleState.Expanded);
        item.id = node.id;
        item.description = String(node.count);
        item.iconPath = new vscode.ThemeIcon('lightbulb', new vscode.ThemeColor('problemsWarningIcon.foreground'));
        item.contextValue = 'insights';
        return item;
      }
      case 'insight': {
        // The label's age moves in coarse steps (a row redrawn each second loses clicks); the tooltip, built when
        // hovered (resolveTreeItem), has the exact one.
        const text = insightText(node.insight, this.locale, this.argvOf, { coarseAge: true });
        const item = new vscode.TreeItem(text.title, vscode.TreeItemCollapsibleState.None);
        item.id = node.id;
        item.iconPath = new vscode.ThemeIcon('warning', new vscode.ThemeColor('problemsWarningIcon.foreground'));
        item.contextValue = 'insight';
        // A click leads to the sockets: the tree filtered to them, the first one revealed.
        item.command = { title: vscode.l10n.t('Show the Sockets of This Insight'), command: COMMANDS.showInsight, arguments: [node.insight.key] };
        return item;
      }
      case 'group':
        return this.groupItem(node);
      case 'debugger':
        return this.debuggerItem(node);
      case 'connection':
        return this.connectionItem(node);
    }
  }

  private debuggerItem(node: DebuggerNode): vscode.TreeItem {
    const item = new vscode.TreeItem(node.label, node.shown ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.None);
    item.id = node.id;
    item.description = node.description;
    item.iconPath = new vscode.ThemeIcon('debug');
    item.contextValue = node.shown ? 'debuggerShown' : 'debuggerHidden';
    const what = vscode.l10n.t("The debugger's own sockets: the debuggee's inspector port and the connections the debugger (VS Code's JavaScript debugger and its watchdog process) makes to it. They are not your program's.");
    const how = node.shown ? vscode.l10n.t('Hide them with the eye button.') : vscode.l10n.t('Click to show them.');
    item.tooltip = new vscode.MarkdownString(`${markdownProse(what)}\n\n${markdownProse(how)}`);
    if (!node.shown) item.command = { title: vscode.l10n.t("Show the Debugger's Sockets"), command: COMMANDS.showDebuggerSockets };
    return item;
  }

  private groupItem(node: GroupNode): vscode.TreeItem {
    const collapsed = node.count > EXPAND_LIMIT || node.count === 0 ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.Expanded;
    const item = new vscode.TreeItem(node.label, node.count === 0 ? vscode.TreeItemCollapsibleState.None : collapsed);
    item.id = node.id;
    item.description = node.description;
    if (node.state !== null) {
      item.iconPath = stateIcon(node.state);
      item.contextValue = 'stateGroup';
      const md = new vscode.MarkdownString();
      md.appendMarkdown(`**${markdownProse(node.state)}**\n\n`);
      md.appendMarkdown(markdownProse(STATE_TEXTS[node.state].summary[this.locale]));
      md.appendMarkdown('\n\n');
      md.appendMarkdown(markdownProse(STATE_TEXTS[node.state].nextActor[this.locale]));
      item.tooltip = md;
    } else if (node.pid !== null) {
      item.iconPath = new vscode.ThemeIcon('server-process');
      item.contextValue = 'processGroup';
      const info = this.model.process(node.pid);
      if (info && info.commandLine.length > 0) item.tooltip = new vscode.MarkdownString().appendCodeblock(escapeControls(info.commandLine.join(' ')), 'sh');
    } else if (node.groupBy === 'container') {
      item.contextValue = 'containerGroup';
      if (node.container) {
        item.iconPath = new vscode.ThemeIcon('package');
        item.tooltip = containerMarkdown(node.container, node.netns ?? null);
      } else if (node.netns) {
        item.iconPath = new vscode.ThemeIcon('symbol-namespace');
        item.tooltip = new vscode.MarkdownString().appendText(vscode.l10n.t('Network namespace: {0}', node.netns)).appendMarkdown('\n\n').appendText(vscode.l10n.t('Sockets of processes in another network namespace (unshare -n, ip netns, a container no engine named).'));
      } else {
        item.iconPath = new vscode.ThemeIcon('vm');
        item.tooltip = vscode.l10n.t('Sockets of this machine\'s own network namespace.');
      }
    } else if (node.groupBy === 'process') {
      item.iconPath = new vscode.ThemeIcon('question');
      item.contextValue = 'processGroup';
      item.tooltip = vscode.l10n.t('Sockets no process holds (TIME-WAIT, orphaned FIN-WAIT) whose owner was never seen.');
    } else {
      item.iconPath = new vscode.ThemeIcon('plug');
      item.contextValue = 'portGroup';
    }
    return item;
  }

  private connectionItem(node: ConnectionNode): vscode.TreeItem {
    const item = new vscode.TreeItem(node.label, vscode.TreeItemCollapsibleState.None);
    item.id = node.id;
    item.description = node.description;
    const closed = node.mark === 'closed';
    item.iconPath = stateIcon(closed ? node.lastOpenState : node.state, closed);
    item.resourceUri = rowUri(node);
    const flags = ['connection', closed ? 'closed' : 'live'];
    if (!closed && node.pid !== null) flags.push('owned');
    item.contextValue = flags.join(' ');
    item.accessibilityInformation = { label: `${node.state} ${node.label}, ${node.description}` };
    return item;
  }

  /** Tooltips are built only when hovered: the state's explanation, the history with durations, the owner. */
  resolveTreeItem(item: vscode.TreeItem, node: TreeNode): vscode.TreeItem {
    if (node.kind === 'insight') {
      const insight = this.model.insights().find((i) => i.key === node.insight.key) ?? node.insight;
      const text = insightText(insight, this.locale, this.argvOf);
      item.tooltip = new vscode.MarkdownString(`**${markdownProse(text.title)}**\n\n${markdownProse(text.detail)}\n\n${markdownProse(vscode.l10n.t('Click to show these sockets.'))}`);
      return item;
    }
    if (node.kind !== 'connection') return item;
    const c = this.model.connection(node.connectionId);
    if (c) item.tooltip = connectionTooltip(c, this.model, this.locale, this.strings.units);
    return item;
  }

  connectionOf(node: TreeNode): Connection | undefined {
    return node.kind === 'connection' ? this.model.connection(node.connectionId) : undefined;
  }

  get roots(): readonly TreeNode[] {
    return this.rootElements;
  }

  async render(options: { tooltips?: boolean } = {}): Promise<RenderedNode[]> {
    this.update();
    const walk = async (parent?: TreeNode): Promise<RenderedNode[]> => {
      const out: RenderedNode[] = [];
      for (const child of this.getChildren(parent)) {
        let item = this.getTreeItem(child);
        if (options.tooltips) item = this.resolveTreeItem(item, child);
        const label = typeof item.label === 'string' ? item.label : (item.label?.label ?? '');
        const tooltip = typeof item.tooltip === 'string' ? item.tooltip : item.tooltip?.value;
        out.push({
          id: item.id ?? child.id,
          label,
          description: typeof item.description === 'string' ? item.description : '',
          contextValue: item.contextValue ?? '',
          ...(options.tooltips && tooltip !== undefined ? { tooltip } : {}),
          ...(item.command ? { command: { command: item.command.command, arguments: item.command.arguments ?? [] } } : {}),
          children: child.kind === 'connection' || child.kind === 'insight' ? [] : await walk(child),
        });
      }
      return out;
    };
    return walk();
  }

  dispose(): void {
    this.stopTicker();
    this.demand?.dispose();
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}

// --- Row highlight (TCPView's green / yellow / grey rows) ------------------------------------------------------

function rowUri(node: ConnectionNode): vscode.Uri {
  return vscode.Uri.from({ scheme: ROW_SCHEME, path: `/${node.mark ?? 'none'}/${encodeURIComponent(node.id)}` });
}

/** Colours a row's label by the mark its resourceUri carries, with a one-letter badge like SCM decorations. */
class RowDecorations implements vscode.FileDecorationProvider {
  provideFileDecoration(uri: vscode.Uri): vscode.FileDecoration | undefined {
    if (uri.scheme !== ROW_SCHEME) return undefined;
    const mark = uri.path.split('/')[1];
    switch (mark) {
      case 'new':
        return new vscode.FileDecoration('+', vscode.l10n.t('New connection'), new vscode.ThemeColor(COLORS.connectionNew));
      case 'changed':
        return new vscode.FileDecoration('~', vscode.l10n.t('State just changed'), new vscode.ThemeColor(COLORS.connectionChanged));
      case 'closed':
        return new vscode.FileDecoration('×', vscode.l10n.t('Closed: no longer in the socket table'), new vscode.ThemeColor(COLORS.connectionClosed));
      default:
        return undefined;
    }
  }
}

// --- Tooltip ---------------------------------------------------------------------------------------------------

function escapeMarkdown(s: string): string {
  return s.replace(/[|\\`*_[\]<>]/g, (m) => `\\${m}`);
}

/** A container: name, short id, image, compose project and service, and its network namespace. */
function containerMarkdown(k: ContainerLabel, netns: string | null): vscode.MarkdownString {
  const md = new vscode.MarkdownString();
  appendContainer(md, k, netns);
  return md;
}

function appendContainer(md: vscode.MarkdownString, k: ContainerLabel, netns: string | null): void {
  md.appendMarkdown(`${escapeMarkdown(vscode.l10n.t('In container {0}', escapeControls(k.name)))}\n\n`);
  const facts = [vscode.l10n.t('id {0}', k.id.slice(0, 12)), vscode.l10n.t('image {0}', escapeControls(k.image))];
  if (k.composeProject !== null) facts.push(vscode.l10n.t('compose project {0}', escapeControls(k.composeProject)));
  if (k.composeService !== null) facts.push(vscode.l10n.t('service {0}', escapeControls(k.composeService)));
  if (netns !== null) facts.push(vscode.l10n.t('network namespace {0}', netns));
  md.appendMarkdown(`${escapeMarkdown(facts.join(' · '))}\n\n`);
}

export function connectionTooltip(c: Connection, model: TcpModelApi, locale: Locale, units: DurationUnits, now = Date.now()): vscode.MarkdownString {
  const md = new vscode.MarkdownString(undefined, true);
  md.supportThemeIcons = true;
  const state = c.state;
  md.appendMarkdown(`**${markdownProse(state)}** · ${escapeMarkdown(formatEndpoint(c.local))} → ${escapeMarkdown(formatEndpoint(c.remote))}\n\n`);
  md.appendMarkdown(markdownProse(STATE_TEXTS[state].summary[locale]));
  md.appendMarkdown('\n\n');
  md.appendMarkdown(markdownProse(`${vscode.l10n.t('Next to act:')} ${STATE_TEXTS[state].nextActor[locale]}`));
  md.appendMarkdown('\n\n');

  const role = c.role === 'client' ? vscode.l10n.t('client (connected out)') : c.role === 'server' ? vscode.l10n.t('server (accepted)') : vscode.l10n.t('listener');
  md.appendMarkdown(`${escapeMarkdown(vscode.l10n.t('Role'))}: ${escapeMarkdown(role)}`);
  if (c.recvQ > 0 || c.sendQ > 0) md.appendMarkdown(` · Recv-Q ${c.recvQ} · Send-Q ${c.sendQ}`);
  if (c.timer) md.appendMarkdown(` · ${escapeMarkdown(vscode.l10n.t('timer'))}: ${c.timer.kind} ${formatDuration(c.timer.remainingMs, units)}`);
  md.appendMarkdown('\n\n');
  if (c.container) appendContainer(md, c.container, c.netns ?? null);
  else if (c.netns) md.appendMarkdown(`${escapeMarkdown(vscode.l10n.t('In network namespace {0}', c.netns))}\n\n`);

  if (c.history.length > 0) {
    md.appendMarkdown(`| ${escapeMarkdown(vscode.l10n.t('State'))} | ${escapeMarkdown(vscode.l10n.t('Entered'))} | ${escapeMarkdown(vscode.l10n.t('For'))} |\n|---|---|---|\n`);
    for (const h of c.history) {
      const state = keepStateNamesWhole(h.state);
      const name = h.inferred ? `${state} *${escapeMarkdown(vscode.l10n.t('(inferred: between two samples)'))}*` : state;
      const duration = h.inferred ? '—' : h.until === null ? `${formatDuration(now - h.since, units)} ${vscode.l10n.t('(now)')}` : formatDuration(h.until - h.since, units);
      md.appendMarkdown(`| ${name} | ${clockTime(h.since)} | ${escapeMarkdown(duration)} |\n`);
    }
    md.appendMarkdown('\n');
  } else {
    md.appendMarkdown(`${escapeMarkdown(vscode.l10n.t('In this state for {0}', formatDuration(now - currentStateSince(c), units)))}\n\n`);
  }

  if (c.owner) {
    const info = model.process(c.owner.pid);
    md.appendMarkdown(`${escapeMarkdown(vscode.l10n.t('Process {0} (pid {1})', processName(c.owner.command, info?.commandLine), c.owner.pid))}\n`);
    if (info && info.commandLine.length > 0) md.appendCodeblock(escapeControls(info.commandLine.join(' ')), 'sh');
    if (info?.cwd) md.appendMarkdown(`${escapeMarkdown(vscode.l10n.t('Working folder: {0}', escapeControls(info.cwd)))}\n`);
  } else if (c.netns !== undefined) {
    md.appendText(vscode.l10n.t('No process was seen holding this socket: the processes of another network namespace may belong to another user, whose open files cannot be read.'));
  } else {
    md.appendText(vscode.l10n.t('No process holds this socket, and none was seen holding it before.'));
  }
  return md;
}
