// The status bar item: the scope's socket counts (`$(plug) 12 ESTAB · 3 TIME-WAIT`), a warning background while an
// insight holds, a click focuses the Connections view. It asks the model for 'summary' samples only while shown.
import * as vscode from 'vscode';
import { insightText } from '../domain/insights';
import { openSocketCount, statusBarCounts } from '../domain/treeModel';
import type { StateCounts } from '../domain/types';
import { markdownProse } from '../domain/displayText';
import { EXTENSION_PREFIX, VIEWS } from '../contributions';
import { affectsSetting, readSetting } from '../platform/config';
import { clockTime, uiLocale } from '../platform/l10n';
import { samplingText } from './samplingText';
import type { TcpModelApi } from '../model/modelApi';
import { SHORT_STATE_NAMES, STATUS_BAR_ORDER } from '../domain/states';

interface StatusBarSettings {
  enabled: boolean;
  hideWhenEmpty: boolean;
}

function readSettings(): StatusBarSettings {
  return { enabled: readSetting('statusBarEnabled'), hideWhenEmpty: readSetting('statusBarHideWhenEmpty') };
}

export class TcpStatusBar implements vscode.Disposable {
  private readonly item: vscode.StatusBarItem;
  private readonly disposables: vscode.Disposable[] = [];
  private settings = readSettings();
  private demand: vscode.Disposable | null = null;
  private shown = false;
  /** What the item shows now: the model updates every second, and each property set is a message to the main process. */
  private rendered: { text: string; tooltip: string; warning: boolean } | null = null;

  constructor(private readonly model: TcpModelApi) {
    // Priority: left of the language/encoding items, near other debug-time items.
    this.item = vscode.window.createStatusBarItem(`${EXTENSION_PREFIX}.counts`, vscode.StatusBarAlignment.Left, 10);
    this.item.name = vscode.l10n.t('TCP Connections');
    this.item.command = { title: vscode.l10n.t('Show Connections'), command: `${VIEWS.connections}.focus` };
    this.disposables.push(
      this.item,
      model.onDidUpdate(() => this.render()),
      model.onDidChangeStatus(() => this.render()),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (affectsSetting(e, 'statusBarEnabled', 'statusBarHideWhenEmpty')) this.applySettings();
      }),
    );
    this.applySettings();
  }

  private applySettings(): void {
    this.settings = readSettings();
    this.render();
  }

  /**
   * Shown when enabled and (the scope has sockets or hiding is off). While enabled it keeps a 'summary' demand
   * even when hidden for emptiness: otherwise nothing would sample and it could never learn the scope filled up.
   */
  private render(): void {
    if (!this.settings.enabled) {
      this.setDemand(false);
      this.setShown(false);
      return;
    }
    this.setDemand(true);
    const counts = this.model.counts();
    const open = openSocketCount(counts);
    const insights = this.model.insights();
    const status = this.model.status();
    const hide = this.settings.hideWhenEmpty && open === 0 && insights.length === 0 && status.error === null;
    if (hide) {
      this.setShown(false);
      return;
    }
    // The rest is a number of sockets, not of states: "+4 more" read as four more states.
    const summary = statusBarCounts(counts, 3, (n) => (n === 1 ? vscode.l10n.t('+1 other socket') : vscode.l10n.t('+{0} other sockets', n)));
    const icon = status.error !== null ? '$(error)' : status.paused ? '$(debug-pause)' : '$(plug)';
    const text = `${icon} ${summary || vscode.l10n.t('no sockets')}`;
    const warning = insights.length > 0 || status.error !== null;
    const tooltip = this.tooltip(counts);
    const last = this.rendered;
    if (last === null || last.text !== text || last.tooltip !== tooltip.value || last.warning !== warning) {
      this.rendered = { text, tooltip: tooltip.value, warning };
      this.item.text = text;
      this.item.backgroundColor = warning ? new vscode.ThemeColor('statusBarItem.warningBackground') : undefined;
      this.item.tooltip = tooltip;
      this.item.accessibilityInformation = { label: vscode.l10n.t('TCP sockets in scope: {0}', summary || vscode.l10n.t('none')) };
    }
    this.setShown(true);
  }

  private tooltip(counts: StateCounts): vscode.MarkdownString {
    const status = this.model.status();
    const md = new vscode.MarkdownString(undefined, true);
    md.appendMarkdown(`**${status.scope === 'all' ? vscode.l10n.t('All TCP sockets on this machine') : vscode.l10n.t("TCP sockets of the workspace's processes")}**\n\n`);
    const rows = STATUS_BAR_ORDER.filter((s) => counts[s] > 0);
    if (rows.length > 0) {
      md.appendMarkdown(`| | |\n|---|---:|\n`);
      for (const s of rows) md.appendMarkdown(`| ${s === SHORT_STATE_NAMES[s] ? s : `${s} (${SHORT_STATE_NAMES[s]})`} | ${counts[s]} |\n`);
      md.appendMarkdown('\n');
    }
    const locale = uiLocale();
    const argv = (pid: number) => this.model.process(pid)?.commandLine;
    for (const insight of this.model.insights()) {
      md.appendMarkdown(`$(warning) ${markdownProse(insightText(insight, locale, argv).title)}\n\n`);
    }
    if (status.error !== null) {
      md.appendMarkdown(`$(error) ${markdownProse(status.error)}\n\n`);
      // The counts are the last good sample's: say so, and since when.
      if (status.lastSampleAt !== null) {
        md.appendMarkdown(`${markdownProse(vscode.l10n.t('Stale: showing the sample taken at {0}.', clockTime(status.lastSampleAt)))}\n\n`);
      }
    }
    // Live on change, held back by the CPU budget, or periodic; and what the table is read with: what to look at
    // first when the counts seem late or the machine busy.
    const reading = samplingText(status);
    md.appendMarkdown(markdownProse(reading.backend === null ? reading.sentence : `${reading.sentence} ${reading.backend}`));
    return md;
  }

  private setDemand(on: boolean): void {
    if (on && this.demand === null) this.demand = this.model.demand('summary');
    else if (!on && this.demand !== null) {
      this.demand.dispose();
      this.demand = null;
    }
  }

  private setShown(shown: boolean): void {
    if (shown === this.shown) return;
    this.shown = shown;
    if (shown) this.item.show();
    else this.item.hide();
  }

  /** For the extension tests: the text while shown, or null when hidden. */
  get visibleText(): string | null {
    return this.shown ? this.item.text : null;
  }

  dispose(): void {
    this.demand?.dispose();
    this.demand = null;
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}

export function registerStatusBar(context: vscode.ExtensionContext, model: TcpModelApi): TcpStatusBar {
  const bar = new TcpStatusBar(model);
  context.subscriptions.push(bar);
  return bar;
}
