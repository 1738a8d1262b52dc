// The state-diagram webview on the host: the sidebar view `tcpStateViewer.diagram` and the editor panel of
// `tcpStateViewer.openDiagram`, both serving one bundle (dist/webview.js). Each webview gets a DiagramSession:
// it waits for the webview's `ready`, answers with the full state, then forwards the model's updates as
// deltas, and posts nothing while the webview is hidden (it sends the full state again when it reappears).
// The model samples at full rate only while a diagram is visible (demand('full')).
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import { describeValue } from '../../domain/displayText';
import { diagramHtml } from './diagramHtml';
import { webviewStrings } from './diagramStrings';
import type { TcpModelApi } from '../../model/modelApi';
import { DIAGRAM_PANEL_TYPE, VIEWS } from '../../contributions';
import { focusView, registerCommand } from '../../platform/commands';
import { uiLocale } from '../../platform/l10n';
import { buildFullState, parseSelectionArgument, parseWebviewMessage, type FullState, type HostMessage, type Selection } from '../../shared/protocol';
import { DIAGRAM_EDGES } from '../../domain/diagram';
import { STATE_TEXTS } from '../../domain/stateTexts';

function reduceMotionSetting(): boolean {
  return vscode.workspace.getConfiguration('workbench').get<string>('reduceMotion') === 'on';
}

/** Everything a diagram webview needs to draw from scratch (the `init` message). */
export function fullState(model: TcpModelApi, selection: Selection | null): FullState {
  const status = model.status();
  return buildFullState({
    locale: uiLocale(),
    strings: webviewStrings(vscode.l10n),
    stateInfo: STATE_TEXTS,
    edges: DIAGRAM_EDGES,
    connections: model.connections(),
    counts: model.counts(),
    insights: model.insights(),
    paused: status.paused,
    error: status.error,
    reducedMotion: reduceMotionSetting(),
    now: Date.now(),
    selection,
  });
}

/** One webview (view or panel) attached to the model. */
class DiagramSession implements vscode.Disposable {
  private readonly disposables: vscode.Disposable[] = [];
  private ready = false;
  private demand: vscode.Disposable | undefined;
  private pendingSelection: Selection | null = null;

  constructor(
    private readonly webview: vscode.Webview,
    private readonly isVisible: () => boolean,
    onDidChangeVisibility: vscode.Event<unknown>,
    private readonly model: TcpModelApi,
    private readonly log: vscode.LogOutputChannel,
    private readonly name: string,
  ) {
    this.disposables.push(
      webview.onDidReceiveMessage((raw: unknown) => this.receive(raw)),
      model.onDidUpdate((update) => this.post({ type: 'update', update })),
      model.onDidChangeStatus((s) => this.post({ type: 'status', paused: s.paused, error: s.error })),
      onDidChangeVisibility(() => this.visibilityChanged()),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('workbench.reduceMotion')) this.sendFull();
      }),
    );
    this.visibilityChanged();
  }

  private visibilityChanged(): void {
    if (this.isVisible()) {
      this.demand ??= this.model.demand('full');
      // Updates were not posted while hidden: the webview's copy is stale, so it gets everything again.
      this.sendFull();
    } else {
      this.demand?.dispose();
      this.demand = undefined;
      // Without retainContextWhenHidden VS Code drops a hidden webview's document and loads it afresh when it
      // is shown again; that new document says `ready` before it is sent anything.
      this.ready = false;
    }
  }

  private receive(raw: unknown): void {
    const msg = parseWebviewMessage(raw);
    if (!msg) {
      this.log.warn(`${this.name}: ignored a malformed message from the webview`);
      return;
    }
    switch (msg.type) {
      case 'ready':
        this.ready = true;
        this.log.info(`${this.name}: webview ready${this.isVisible() ? '' : ' (hidden: the full state waits until it is shown)'}`);
        this.sendFull();
        break;
      case 'setPaused':
        if (msg.paused) this.model.pause();
        else this.model.resume();
        break;
      case 'error':
        this.log.error(`${this.name} webview: ${msg.message}`);
        break;
    }
  }

  /** Selects a connection or filters by a state, now if the webview can take it, else with the next full state. */
  select(selection: Selection): void {
    if (this.ready && this.isVisible()) void this.webview.postMessage({ type: 'select', selection } satisfies HostMessage);
    else this.pendingSelection = selection;
  }

  private sendFull(): void {
    if (!this.ready || !this.isVisible()) return;
    const state = fullState(this.model, this.pendingSelection);
    this.pendingSelection = null;
    void this.webview.postMessage({ type: 'init', state } satisfies HostMessage);
  }

  private post(msg: HostMessage): void {
    if (this.ready && this.isVisible()) void this.webview.postMessage(msg);
  }

  dispose(): void {
    this.demand?.dispose();
    this.demand = undefined;
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}

/** The sidebar view's provider and the singleton editor panel. */
class DiagramViews implements vscode.WebviewViewProvider, vscode.Disposable {
  private view: { view: vscode.WebviewView; session: DiagramSession } | undefined;
  private panel: { panel: vscode.WebviewPanel; session: DiagramSession } | undefined;
  /** A showInDiagram request made before the sidebar view was resolved. */
  private pendingForView: Selection | null = null;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly model: TcpModelApi,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  private options(): vscode.WebviewOptions {
    return {
      enableScripts: true,
      localResourceRoots: [vscode.Uri.joinPath(this.extensionUri, 'dist'), vscode.Uri.joinPath(this.extensionUri, 'media')],
    };
  }

  private html(webview: vscode.Webview): string {
    const dist = vscode.Uri.joinPath(this.extensionUri, 'dist');
    return diagramHtml({
      cspSource: webview.cspSource,
      nonce: randomBytes(18).toString('base64'),
      scriptUri: webview.asWebviewUri(vscode.Uri.joinPath(dist, 'webview.js')).toString(),
      styleUri: webview.asWebviewUri(vscode.Uri.joinPath(dist, 'webview.css')).toString(),
      lang: uiLocale(),
      title: vscode.l10n.t('TCP State Diagram'),
    });
  }

  resolveWebviewView(webviewView: vscode.WebviewView): void {
    this.view?.session.dispose();
    webviewView.webview.options = this.options();
    webviewView.webview.html = this.html(webviewView.webview);
    const session = new DiagramSession(webviewView.webview, () => webviewView.visible, webviewView.onDidChangeVisibility, this.model, this.log, 'diagram view');
    this.view = { view: webviewView, session };
    if (this.pendingForView) {
      session.select(this.pendingForView);
      this.pendingForView = null;
    }
    webviewView.onDidDispose(() => {
      session.dispose();
      if (this.view?.session === session) this.view = undefined;
    });
  }

  openPanel(): vscode.WebviewPanel {
    if (this.panel) {
      this.panel.panel.reveal();
      return this.panel.panel;
    }
    const panel = vscode.window.createWebviewPanel(DIAGRAM_PANEL_TYPE, vscode.l10n.t('TCP State Diagram'), vscode.ViewColumn.Active, this.options());
    this.attachPanel(panel);
    return panel;
  }

  /**
   * A panel VS Code brings back after a window reload (WebviewPanelSerializer): it gets a fresh page, which reads
   * what the previous one kept with setState (filter, selection, search) through getState.
   */
  restorePanel(panel: vscode.WebviewPanel): void {
    if (this.panel) {
      // Only one diagram panel: should VS Code restore a second, the one already open stays.
      panel.dispose();
      this.panel.panel.reveal();
      return;
    }
    panel.webview.options = this.options();
    this.attachPanel(panel);
    this.log.info('diagram panel: restored after a reload');
  }

  private attachPanel(panel: vscode.WebviewPanel): void {
    panel.iconPath = vscode.Uri.joinPath(this.extensionUri, 'media', 'tcp.svg');
    panel.webview.html = this.html(panel.webview);
    const session = new DiagramSession(panel.webview, () => panel.visible, panel.onDidChangeViewState, this.model, this.log, 'diagram panel');
    this.panel = { panel, session };
    panel.onDidDispose(() => {
      session.dispose();
      if (this.panel?.panel === panel) this.panel = undefined;
    });
  }

  /** `tcpStateViewer.showInDiagram`: a connection id selects it, a state name filters by it. */
  async showIn(arg: unknown): Promise<void> {
    const selection = parseSelectionArgument(arg);
    if (!selection) {
      this.log.warn(`showInDiagram: not a connection id or state name: ${describeValue(arg)}`);
      return;
    }
    if (this.panel?.panel.visible) {
      this.panel.panel.reveal();
      this.panel.session.select(selection);
      return;
    }
    if (this.view) this.view.session.select(selection);
    else this.pendingForView = selection;
    await focusView('diagram');
  }

  dispose(): void {
    this.view?.session.dispose();
    this.panel?.panel.dispose();
  }
}

export function registerDiagramView(context: vscode.ExtensionContext, model: TcpModelApi, log: vscode.LogOutputChannel): void {
  const views = new DiagramViews(context.extensionUri, model, log);
  context.subscriptions.push(
    views,
    vscode.window.registerWebviewViewProvider(VIEWS.diagram, views),
    registerCommand('openDiagram', () => {
      views.openPanel();
    }),
    registerCommand('showInDiagram', (arg) => views.showIn(arg)),
    // package.json's activationEvents has onWebviewPanel:<DIAGRAM_PANEL_TYPE>, so this is registered in time.
    vscode.window.registerWebviewPanelSerializer(DIAGRAM_PANEL_TYPE, {
      deserializeWebviewPanel: (panel: vscode.WebviewPanel) => {
        views.restorePanel(panel);
        return Promise.resolve();
      },
    }),
  );
}
