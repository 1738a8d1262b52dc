// The Markdown document "TCP: Take Snapshot" opens: a header to paste into a bug report (time, host, kernel,
// backend, scope), the counts per state (what `ss -nat | awk 'NR>1 {d[$1]++} END {for (i in d) print i, d[i]}'`
// prints, but scoped and in diagram order), the insights, and the connections grouped by state with their owner
// and how long they have been in that state. Pure: the command passes the sample, the model's connections and
// the translated labels. The JSON variant is B1's toSnapshotJson (the CLI's shape), not repeated here.
import { ENGLISH_SNAPSHOT_LABELS, countStates, displayEndpoint, formatOwners, formatTimer, hasOtherNamespaces, placeText, sortSockets, type SnapshotLabels } from './snapshot';
import { insightText } from './insights';
import { connectionKey } from './tracker';
import { type Connection, type ContainerLabel, type Insight, type ScopedSample, type SocketRecord } from './types';
import { escapeControls } from './displayText';
// `{0}` placeholders as vscode.l10n.t fills them: one implementation for the host and the webview (DOM- and Node-free).
import { COMPACT_UNITS, format, formatDuration } from './format';
import { STATE_TEXTS, type Locale } from './stateTexts';
import { TCP_STATES } from './states';

export interface SnapshotDocumentLabels extends SnapshotLabels {
  kernel: string;
  insights: string;
  noInsights: string;
  timeInState: string;
  /** `{0}` = sockets in scope, `{1}` = sockets on the machine. */
  socketsOfMachine: string;
  /** `{0}` = the pids. */
  scopePids: string;
  /** Explains the time column: counted from the first sample that saw the socket in its state. */
  timeNote: string;
  /** The header line listing the containers the sockets are in. */
  containers: string;
}

export const ENGLISH_DOCUMENT_LABELS: SnapshotDocumentLabels = {
  ...ENGLISH_SNAPSHOT_LABELS,
  title: 'TCP snapshot',
  kernel: 'Kernel',
  insights: 'Insights',
  noInsights: 'Nothing unusual.',
  timeInState: 'In state',
  socketsOfMachine: '{0} in scope, {1} on the machine',
  scopePids: 'root and member pids: {0}',
  timeNote:
    'Time in state counts from the first sample that saw the socket in that state; "≥" marks sockets already in it ' +
    'when first seen, "—" sockets first seen by this snapshot.',
  containers: 'Containers',
};

/** `demo-web-1 (4f3c2a1b9d0e, busybox:latest, compose demo/web)`: what a bug report needs to find the container. */
export function describeContainer(c: ContainerLabel): string {
  const compose = c.composeProject !== null ? `, compose ${c.composeProject}${c.composeService !== null ? `/${c.composeService}` : ''}` : '';
  return `${escapeControls(c.name)} (${c.id.slice(0, 12)}, ${escapeControls(c.image)}${escapeControls(compose)})`;
}

export type SnapshotDocumentSample = Pick<ScopedSample, 'takenAt' | 'backend' | 'scope' | 'sockets' | 'totalSockets' | 'scopePids'>;

export interface SnapshotDocumentInput {
  sample: SnapshotDocumentSample;
  host: string;
  /** `os.type() os.release()`, e.g. `Linux 6.18.44`. */
  kernel: string;
  /** The model's connections after the sample: they carry each socket's history (time in state). */
  connections: readonly Connection[];
  insights: readonly Insight[];
  locale: Locale;
  labels?: SnapshotDocumentLabels;
  /** A process's argv, so insights name it by its script as the tree does (`node leak-server.js 3774`). */
  commandLine?(pid: number): readonly string[] | undefined;
}

/**
 * A table cell or list item: line breaks flattened, and escaped only what would change the table or the text
 * (pipes, backslashes, code spans, emphasis stars, links, HTML), so the raw document stays readable and diffable.
 */
function text(s: string): string {
  return s.replace(/[\\`*[<|]/g, (c) => `\\${c}`).replace(/[\r\n]+/g, ' ');
}

/** An endpoint in inline code (addresses contain no backticks; the pipe of a table still needs escaping). */
function endpointCell(s: string): string {
  return `\`${s.replace(/\|/g, '\\|')}\``;
}

/** The time-in-state cell for one socket, from its connection's current history entry. */
export function timeInState(socket: Pick<SocketRecord, 'state'>, connection: Connection | undefined, takenAt: number): string {
  const current = connection?.history[connection.history.length - 1];
  if (!connection || !current || current.state !== socket.state || current.until !== null) return '—';
  const ms = takenAt - current.since;
  if (ms <= 0) return '—';
  // Entered before the connection was first seen (or when it was): the time is a lower bound.
  return current.since <= connection.openedAt ? `≥ ${formatDuration(ms, COMPACT_UNITS)}` : formatDuration(ms, COMPACT_UNITS);
}

const MAX_PIDS_LISTED = 20;

export function renderSnapshotDocument(input: SnapshotDocumentInput): string {
  const { sample, locale } = input;
  const labels = input.labels ?? ENGLISH_DOCUMENT_LABELS;
  const live = new Map<string, Connection>();
  for (const c of input.connections) if (c.closedAt === null) live.set(connectionKey(c.family, c.local, c.remote, c.netns), c);

  const out: string[] = [`# ${text(labels.title)}`, ''];
  const scopeText =
    sample.scope === 'all'
      ? labels.scopeAll
      : sample.scopePids.length === 0
        ? labels.scopeWorkspace
        : `${labels.scopeWorkspace} (${format(
            labels.scopePids,
            sample.scopePids.slice(0, MAX_PIDS_LISTED).join(', ') + (sample.scopePids.length > MAX_PIDS_LISTED ? ', …' : ''),
          )})`;
  const header: [string, string][] = [
    [labels.takenAt, new Date(sample.takenAt).toISOString()],
    [labels.host, input.host],
    [labels.kernel, input.kernel],
    [labels.backend, sample.backend],
    [labels.scope, scopeText],
    [labels.total, format(labels.socketsOfMachine, sample.sockets.length, sample.totalSockets)],
  ];
  const containers = new Map<string, ContainerLabel>();
  for (const s of sample.sockets) if (s.container !== undefined) containers.set(s.container.id, s.container);
  if (containers.size > 0) header.push([labels.containers, [...containers.values()].map(describeContainer).join('; ')]);
  for (const [k, v] of header) out.push(`- **${text(k)}**: ${text(v)}`);

  const counts = countStates(sample.sockets);
  out.push('', `## ${text(labels.counts)}`, '', `| ${text(labels.state)} | ${text(labels.count)} |`, '| --- | ---: |');
  for (const s of TCP_STATES) out.push(`| ${s} | ${counts[s]} |`);

  out.push('', `## ${text(labels.insights)}`, '');
  if (input.insights.length === 0) out.push(text(labels.noInsights));
  else
    for (const i of input.insights) {
      const { title, detail } = insightText(i, locale, input.commandLine?.bind(input));
      out.push(`- **${text(title)}**: ${text(detail)}`);
    }

  out.push('', `## ${text(labels.connections)}`, '');
  if (sample.sockets.length === 0) {
    out.push(text(labels.noSockets));
    return `${out.join('\n')}\n`;
  }
  out.push(`_${text(labels.timeNote)}_`);
  // Sockets of other network namespaces (containers, `unshare -n`) get a column saying where they are.
  const place = hasOtherNamespaces(sample.sockets);
  const sorted = sortSockets(sample.sockets);
  for (const state of TCP_STATES) {
    const rows = sorted.filter((s) => s.state === state);
    if (rows.length === 0) continue;
    out.push('', `### ${state} (${rows.length})`, '', text(STATE_TEXTS[state].summary[locale]), '');
    const head = [labels.local, labels.remote, labels.process, labels.timeInState, labels.recvQ, labels.sendQ, labels.timer];
    if (place) head.push(labels.container);
    out.push(`| ${head.map(text).join(' | ')} |`, `| --- | --- | --- | ---: | ---: | ---: | --- |${place ? ' --- |' : ''}`);
    for (const s of rows) {
      const conn = live.get(connectionKey(s.family, s.local, s.remote, s.netns));
      const owners = s.owners.length > 0 ? s.owners : conn?.owner ? [conn.owner] : [];
      out.push(
        `| ${endpointCell(displayEndpoint(s.local))} | ${endpointCell(displayEndpoint(s.remote))} | ${text(formatOwners(owners))} | ` +
          `${timeInState(s, conn, sample.takenAt)} | ${s.recvQ} | ${s.sendQ} | ${text(formatTimer(s.timer))} |${place ? ` ${text(placeText(s) || '-')} |` : ''}`,
      );
    }
  }
  return `${out.join('\n')}\n`;
}
