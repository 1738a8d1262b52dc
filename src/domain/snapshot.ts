// A snapshot of the socket table for people and programs: the JSON shape the CLI prints with --format json, and
// plain-text and Markdown renderings (the CLI, and the "TCP: Take Snapshot" command, which passes localized labels).
// Pure: no I/O.
import { emptyCounts, formatEndpoint, type ContainerLabel, type Endpoint, type ScopeMode, type SampleBackend, type ScopedSample, type SocketRecord, type SocketTimer, type StateCounts } from './types';
import { COMPACT_UNITS, formatDuration } from './format';
import { STATE_ORDER, TCP_STATES } from './states';
import { escapeControls } from './displayText';

/** One socket of the JSON snapshot: the record's fields that make the published shape (listed, so a field added to SocketRecord does not change the CLI's output). */
export type SnapshotSocket = Pick<SocketRecord, 'state' | 'family' | 'local' | 'remote' | 'inode' | 'uid' | 'recvQ' | 'sendQ' | 'timer' | 'owners'> & {
  /** The socket's network namespace (`net:[<inode>]`, or `net-tcp:<inode>`), ours included; null when unknown. */
  netns: string | null;
  /** The container whose namespace it is, when the container engine told us; else null. */
  container: ContainerLabel | null;
};

export interface SnapshotJson {
  /** ISO 8601 time of the reading. */
  takenAt: string;
  host: string;
  backend: SampleBackend;
  scope: ScopeMode;
  /** The reader's own network namespace; sockets with another `netns` were read from other namespaces. */
  netns: string | null;
  /** Every state, in diagram order (TCP_STATES), zeros included. */
  counts: StateCounts;
  /** Sorted by state (diagram order), then local endpoint, then remote endpoint. */
  sockets: SnapshotSocket[];
}

/** What a snapshot renders: a sample, possibly filtered (the CLI's --port); `netns`: the reader's own namespace. */
export type SnapshotInput = Pick<ScopedSample, 'takenAt' | 'backend' | 'scope' | 'sockets'> & Partial<Pick<ScopedSample, 'netns'>>;

/** Headings and column names; English by default, the VS Code command passes translated ones. */
export interface SnapshotLabels {
  title: string;
  host: string;
  takenAt: string;
  backend: string;
  scope: string;
  scopeAll: string;
  scopeWorkspace: string;
  total: string;
  counts: string;
  connections: string;
  state: string;
  count: string;
  local: string;
  remote: string;
  recvQ: string;
  sendQ: string;
  timer: string;
  process: string;
  /** The column naming each socket's container, or its network namespace when no container is known. */
  container: string;
  noSockets: string;
}

export const ENGLISH_SNAPSHOT_LABELS: SnapshotLabels = {
  title: 'TCP sockets',
  host: 'Host',
  takenAt: 'Taken at',
  backend: 'Backend',
  scope: 'Scope',
  scopeAll: 'whole machine',
  scopeWorkspace: 'workspace processes',
  total: 'Sockets',
  counts: 'Sockets per state',
  connections: 'Sockets',
  state: 'State',
  count: 'Count',
  local: 'Local',
  remote: 'Remote',
  recvQ: 'Recv-Q',
  sendQ: 'Send-Q',
  timer: 'Timer',
  process: 'Process',
  container: 'Container / netns',
  noSockets: 'No sockets.',
};

function compareEndpoint(a: Endpoint, b: Endpoint): number {
  if (a.address !== b.address) return a.address < b.address ? -1 : 1;
  return a.port - b.port;
}

/** Diagram order, then local endpoint, then remote endpoint: stable output to diff two snapshots. */
export function sortSockets<T extends Pick<SocketRecord, 'state' | 'local' | 'remote'>>(sockets: readonly T[]): T[] {
  return [...sockets].sort(
    (a, b) => (STATE_ORDER.get(a.state) ?? 99) - (STATE_ORDER.get(b.state) ?? 99) || compareEndpoint(a.local, b.local) || compareEndpoint(a.remote, b.remote),
  );
}

export function countStates(sockets: readonly Pick<SocketRecord, 'state'>[]): StateCounts {
  const counts = emptyCounts();
  for (const s of sockets) counts[s.state]++;
  return counts;
}

function labelCopy(c: ContainerLabel | undefined): ContainerLabel | null {
  return c === undefined ? null : { id: c.id, name: c.name, image: c.image, composeProject: c.composeProject, composeService: c.composeService };
}

export function toSnapshotJson(sample: SnapshotInput, host: string): SnapshotJson {
  const own = sample.netns ?? null;
  return {
    takenAt: new Date(sample.takenAt).toISOString(),
    host,
    backend: sample.backend,
    scope: sample.scope,
    netns: own,
    counts: countStates(sample.sockets),
    sockets: sortSockets(sample.sockets).map((s) => ({
      state: s.state,
      family: s.family,
      local: { address: s.local.address, port: s.local.port },
      remote: { address: s.remote.address, port: s.remote.port },
      inode: s.inode,
      uid: s.uid,
      recvQ: s.recvQ,
      sendQ: s.sendQ,
      timer: s.timer === null ? null : { kind: s.timer.kind, remainingMs: s.timer.remainingMs, retransmits: s.timer.retransmits },
      owners: s.owners.map((o) => ({ pid: o.pid, command: o.command })),
      netns: s.netns ?? own,
      container: labelCopy(s.container),
    })),
  };
}

/** Whether any socket is in another network namespace than the reader's: the renderings then add a column for it. */
export function hasOtherNamespaces(sockets: readonly Pick<SocketRecord, 'netns'>[]): boolean {
  return sockets.some((s) => s.netns !== undefined);
}

/**
 * Where a socket lives, for people: its container's name, else its network namespace when not the reader's own,
 * else '' (`-` in a table). Escaped: container names come from the engine.
 */
export function placeText(s: Pick<SocketRecord, 'netns' | 'container'>): string {
  if (s.container !== undefined) return escapeControls(s.container.name);
  return s.netns ?? '';
}

export function formatTimer(t: SocketTimer | null): string {
  if (t === null) return '';
  return `${t.kind} ${formatDuration(t.remainingMs, COMPACT_UNITS)}${t.retransmits > 0 ? ` (${t.retransmits})` : ''}`;
}

export function formatOwners(owners: readonly { pid: number; command: string }[]): string {
  return owners.length === 0 ? '-' : owners.map((o) => `${o.pid} ${escapeControls(o.command)}`).join(', ');
}

/** An endpoint for people: port 0 (a listener's remote end, or an unbound one) is `*`, as ss prints it. */
export function displayEndpoint(e: Endpoint): string {
  return e.port === 0 ? `${formatEndpoint(e).slice(0, -1)}*` : formatEndpoint(e);
}

/** One row per socket; with `place`, a last cell naming its container or namespace. */
function rows(sample: SnapshotInput, place: boolean): string[][] {
  return sortSockets(sample.sockets).map((s) => {
    const r = [s.state, displayEndpoint(s.local), displayEndpoint(s.remote), String(s.recvQ), String(s.sendQ), formatTimer(s.timer), formatOwners(s.owners)];
    if (place) r.push(placeText(s) || '-');
    return r;
  });
}

function header(sample: SnapshotInput, host: string, labels: SnapshotLabels): [string, string][] {
  return [
    [labels.host, escapeControls(host)],
    [labels.takenAt, new Date(sample.takenAt).toISOString()],
    [labels.backend, sample.backend],
    [labels.scope, sample.scope === 'all' ? labels.scopeAll : labels.scopeWorkspace],
    [labels.total, String(sample.sockets.length)],
  ];
}

/** Columns padded to their widest cell; numeric columns (given by index) right-aligned. */
function textTable(head: string[], body: string[][], numeric: ReadonlySet<number>): string[] {
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((r) => r[i].length)));
  const line = (r: string[]) =>
    r
      .map((c, i) => (numeric.has(i) ? c.padStart(widths[i]) : i === r.length - 1 ? c : c.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return [line(head), ...body.map(line)];
}

export function renderSnapshotText(sample: SnapshotInput, host: string, labels: SnapshotLabels = ENGLISH_SNAPSHOT_LABELS): string {
  const out: string[] = [labels.title];
  for (const [k, v] of header(sample, host, labels)) out.push(`${k}: ${v}`);
  out.push('');
  const counts = countStates(sample.sockets);
  out.push(...textTable([labels.state, labels.count], TCP_STATES.map((s) => [s, String(counts[s])]), new Set([1])));
  out.push('');
  const place = hasOtherNamespaces(sample.sockets);
  const head = [labels.state, labels.local, labels.remote, labels.recvQ, labels.sendQ, labels.timer, labels.process];
  if (place) head.push(labels.container);
  if (sample.sockets.length === 0) out.push(labels.noSockets);
  else out.push(...textTable(head, rows(sample, place), new Set([3, 4])));
  return `${out.join('\n')}\n`;
}

/** A Markdown table cell: pipes escaped, line breaks flattened. */
function cell(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/[\r\n]+/g, ' ');
}

/** Inline code that survives backticks inside the text (CommonMark: a longer fence). */
function code(text: string): string {
  if (text === '') return '';
  const fence = text.includes('`') ? '``' : '`';
  return `${fence}${fence.length > 1 ? ' ' : ''}${cell(text)}${fence.length > 1 ? ' ' : ''}${fence}`;
}

export function renderSnapshotMarkdown(sample: SnapshotInput, host: string, labels: SnapshotLabels = ENGLISH_SNAPSHOT_LABELS): string {
  const out: string[] = [`# ${cell(labels.title)}`, ''];
  for (const [k, v] of header(sample, host, labels)) out.push(`- **${cell(k)}**: ${cell(v)}`);
  out.push('', `## ${cell(labels.counts)}`, '', `| ${cell(labels.state)} | ${cell(labels.count)} |`, '| --- | ---: |');
  const counts = countStates(sample.sockets);
  for (const s of TCP_STATES) out.push(`| ${s} | ${counts[s]} |`);
  out.push('', `## ${cell(labels.connections)}`, '');
  if (sample.sockets.length === 0) {
    out.push(cell(labels.noSockets));
  } else {
    // Sockets of other namespaces (containers, `unshare -n`) get a column saying where they are.
    const place = hasOtherNamespaces(sample.sockets);
    const head = [labels.state, labels.local, labels.remote, labels.recvQ, labels.sendQ, labels.timer, labels.process];
    if (place) head.push(labels.container);
    out.push(`| ${head.map(cell).join(' | ')} |`, `| --- | --- | --- | ---: | ---: | --- | --- |${place ? ' --- |' : ''}`);
    for (const r of rows(sample, place)) out.push(`| ${r[0]} | ${code(r[1])} | ${code(r[2])} | ${r[3]} | ${r[4]} | ${cell(r[5])} | ${cell(r[6])} |${place ? ` ${cell(r[7])} |` : ''}`);
  }
  return `${out.join('\n')}\n`;
}
