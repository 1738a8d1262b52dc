// State names in terminal output (`ss`, `netstat`, server logs) become links to the state's explanation on the
// diagram. The same matcher as the hover decides what is a state name, so both agree. The address:port of a "port
// already in use" error (EADDRINUSE) becomes a link to "Who Uses Port…" for that port.
import * as vscode from 'vscode';
import { findStateMentions } from '../domain/stateMatcher';
import { findPortInUseMentions, type PortQuery } from '../domain/portUsers';
import type { TcpState } from '../domain/types';
import { readSetting } from '../platform/config';
import { executeCommand } from '../platform/commands';
import { uiLocale } from '../platform/l10n';
import { STATE_TEXTS } from '../domain/stateTexts';

class StateTerminalLink extends vscode.TerminalLink {
  constructor(
    startIndex: number,
    length: number,
    tooltip: string,
    readonly state: TcpState,
  ) {
    super(startIndex, length, tooltip);
  }
}

export function terminalLinksEnabled(): boolean {
  return readSetting('terminalLinksEnabled');
}

/** The links for one line of terminal output. Exported for the extension tests. */
export function stateTerminalLinks(line: string): StateTerminalLink[] {
  const locale = uiLocale();
  return findStateMentions(line).map(
    (m) =>
      new StateTerminalLink(
        m.start,
        m.end - m.start,
        vscode.l10n.t('{0}: {1} (open on the TCP state diagram)', m.state, STATE_TEXTS[m.state].summary[locale]),
        m.state,
      ),
  );
}

export class StateTerminalLinkProvider implements vscode.TerminalLinkProvider<StateTerminalLink> {
  constructor(private readonly log: vscode.LogOutputChannel) {}

  provideTerminalLinks(context: vscode.TerminalLinkContext): StateTerminalLink[] {
    if (!terminalLinksEnabled()) return [];
    return stateTerminalLinks(context.line);
  }

  async handleTerminalLink(link: StateTerminalLink): Promise<void> {
    this.log.debug(`terminal link: ${link.state}`);
    await executeCommand('showInDiagram', link.state);
  }
}

class PortInUseTerminalLink extends vscode.TerminalLink {
  constructor(
    startIndex: number,
    length: number,
    tooltip: string,
    readonly text: string,
    readonly query: PortQuery,
  ) {
    super(startIndex, length, tooltip);
  }
}

/** The links for one line of terminal output that says a port is in use. Exported for the extension tests. */
export function portInUseTerminalLinks(line: string): PortInUseTerminalLink[] {
  return findPortInUseMentions(line).map((m) => new PortInUseTerminalLink(m.start, m.end - m.start, vscode.l10n.t('Who uses port {0}? (TCP State Viewer)', m.query.port), m.text, m.query));
}

export class PortInUseTerminalLinkProvider implements vscode.TerminalLinkProvider<PortInUseTerminalLink> {
  constructor(private readonly log: vscode.LogOutputChannel) {}

  provideTerminalLinks(context: vscode.TerminalLinkContext): PortInUseTerminalLink[] {
    if (!terminalLinksEnabled()) return [];
    return portInUseTerminalLinks(context.line);
  }

  async handleTerminalLink(link: PortInUseTerminalLink): Promise<void> {
    this.log.debug(`terminal link: who uses ${link.text}`);
    await executeCommand('whoUsesPort', link.text);
  }
}

export function registerTerminalLinks(context: vscode.ExtensionContext, log: vscode.LogOutputChannel): void {
  context.subscriptions.push(
    vscode.window.registerTerminalLinkProvider(new StateTerminalLinkProvider(log)),
    vscode.window.registerTerminalLinkProvider(new PortInUseTerminalLinkProvider(log)),
  );
}
