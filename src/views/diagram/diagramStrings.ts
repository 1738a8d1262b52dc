// Every user-visible string of the diagram webview, translated on the host and sent in the `init` message.
// No `vscode` import: the host passes `vscode.l10n`; the webview tests pass a translator over the same bundle
// (l10n/bundle.l10n.zh-cn.json) or the identity, so they render exactly what VS Code would.
import type { WebviewStrings } from '../../shared/protocol';

/** The part of `vscode.l10n` used here: `t(message, ...args)` with `{0}` placeholders. */
export interface Translator {
  t(message: string, ...args: (string | number | boolean)[]): string;
}

export function webviewStrings(l10n: Translator): WebviewStrings {
  return {
    diagramLabel: l10n.t('TCP state diagram (RFC 9293, Figure 5)'),
    statesGroupLabel: l10n.t('States'),
    edgesGroupLabel: l10n.t('Transitions'),
    connectionsInState: l10n.t('{0} connections'),
    oneConnection: l10n.t('1 connection'),
    nextActor: l10n.t('Who acts next'),
    longStay: l10n.t('If it stays long'),
    liveCount: l10n.t('Live count'),
    event: l10n.t('Event'),
    action: l10n.t('Action'),
    edgeKindRfc: l10n.t('RFC 9293 transition'),
    edgeKindLinux: l10n.t('Linux shortcut (not drawn in RFC 9293)'),
    edgeKindAbort: l10n.t('Abort (RST or error)'),
    pathClient: l10n.t('client side'),
    pathServer: l10n.t('server side'),
    pathBoth: l10n.t('either side'),
    pause: l10n.t('Pause'),
    resume: l10n.t('Resume'),
    paused: l10n.t('Paused: the socket table is not being sampled.'),
    searchPlaceholder: l10n.t('Search address, port, process or state'),
    connectionsLabel: l10n.t('Connections'),
    filterByState: l10n.t('State: {0}'),
    clearFilter: l10n.t('Clear the state filter'),
    noConnections: l10n.t('No connections match.'),
    moreConnections: l10n.t('{0} more not shown; search to narrow the list.'),
    ladderTitle: l10n.t('Ladder diagram'),
    ladderLocal: l10n.t('Local'),
    ladderRemote: l10n.t('Remote'),
    ladderEmpty: l10n.t('No state changes recorded yet.'),
    observed: l10n.t('observed'),
    inferred: l10n.t('inferred'),
    reconstructedNote: l10n.t('Segments are reconstructed from the state changes (no packets are captured). Observed: both states were seen by a sample; inferred: filled in along the diagram.'),
    durationFor: l10n.t('for {0}'),
    units: { ms: l10n.t('ms'), s: l10n.t('s'), min: l10n.t('min'), h: l10n.t('h'), d: l10n.t('d') },
    current: l10n.t('now'),
    closeLadder: l10n.t('Close the ladder diagram'),
    roleClient: l10n.t('client'),
    roleServer: l10n.t('server'),
    roleListener: l10n.t('listener'),
    unknownProcess: l10n.t('process unknown'),
    inContainer: l10n.t('in container {0}'),
    inNamespace: l10n.t('in network namespace {0}'),
    legendClient: l10n.t('Client path'),
    legendServer: l10n.t('Server path'),
    legendLinux: l10n.t('Linux only'),
    legendAbort: l10n.t('Abort'),
    legendInferred: l10n.t('Inferred hop'),
    timeout: l10n.t('timer expires'),
    keyboardHint: l10n.t('Tab to the diagram, arrow keys move between states, Enter filters the list; Tab again reaches the transitions.'),
    edgeLabelsOnDemand: l10n.t('Too small for the arrows\' labels: hover or focus an arrow to read its event and action.'),
  };
}
