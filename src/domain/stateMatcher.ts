// Finds TCP state names in one line of text (a log, pasted `ss`/`netstat` output, code naming TCP_CLOSE_WAIT,
// a terminal line): the hover provider and the terminal links both ask this module, so they agree.
import { STATE_ALIASES, stateFromProcCode } from './states';
import type { TcpState } from './types';

export interface StateMention {
  /** UTF-16 offsets in the line: [start, end). */
  start: number;
  end: number;
  /** The text as written (`TIME_WAIT`, `06`). */
  text: string;
  state: TcpState;
  /** 'name': a state name or alias; 'proc-st': the `st` hex column of a /proc/net/tcp(6) row. */
  kind: 'name' | 'proc-st';
}

/**
 * A /proc/net/tcp(6) row up to its `st` column: `   0: 0100007F:1F90 00000000:0000 0A ...` (addresses are 8 hex
 * digits for IPv4, 32 for IPv6, ports 4; see proc_net_tcp in the kernel's Documentation/networking/proc_net_tcp.rst).
 */
const PROC_ROW = /^\s*\d+:\s+(?:[0-9A-Fa-f]{8}|[0-9A-Fa-f]{32}):[0-9A-Fa-f]{4}\s+(?:[0-9A-Fa-f]{8}|[0-9A-Fa-f]{32}):[0-9A-Fa-f]{4}\s+([0-9A-Fa-f]{2})(?=\s|$)/;

/**
 * Aliases that are also ordinary English words in any letter case: in code and prose they usually mean something
 * else (`if (state === CLOSED)`, "the shop is CLOSING"), so they count only in a TCP-looking line. STATE_ALIASES
 * marks its mixed-case spellings (`Listen`, `closed`, `Bound`) as commonWord; the upper-case ones are listed here.
 */
const ENGLISH_WORDS = new Set(['LISTEN', 'LISTENING', 'CLOSE', 'CLOSED', 'CLOSING', 'ESTABLISHED', 'BOUND']);

/** Characters that continue a word: a match must not have one of these on either side. */
const WORD_RUN = /[A-Za-z0-9_-]+/g;

/**
 * What makes a line look like it is about TCP: an `address:port` as ss, netstat, lsof and logs print it
 * (IPv4, bracketed IPv6, netstat's bare `:::22`/`::1:631`, `*:*`, `localhost:port`, the /proc hex form), or the word tcp/tcp6.
 */
const TCP_CONTEXT = new RegExp(
  [
    String.raw`(?<![\w.])\d{1,3}(?:\.\d{1,3}){3}:(?:\d{1,5}|\*)(?!\w)`,
    // The part before the first colon excludes ':', so the two runs split in one way only (linear time).
    String.raw`\[[0-9A-Fa-f.%\w]*:[0-9A-Fa-f:.%\w]*\]:(?:\d{1,5}|\*)(?!\w)`,
    String.raw`(?<![\w:])::(?:[0-9A-Fa-f]{1,4}:)*:?\d{1,5}(?![\w:])`,
    String.raw`(?<![\w.])\*:(?:\d{1,5}|\*)(?!\w)`,
    String.raw`\blocalhost:\d{1,5}\b`,
    String.raw`\b(?:[0-9A-F]{8}|[0-9A-F]{32}):[0-9A-F]{4}\b`,
    String.raw`\btcp6?\b`,
  ].join('|'),
  'i',
);

/** Alias text -> state, for the aliases that can be written as a word (hex codes are read only in /proc rows). */
const WORD_ALIASES: ReadonlyMap<string, TcpState> = new Map(
  STATE_ALIASES.filter((a) => /[A-Za-z]/.test(a.alias) && !/^[0-9A-Fa-f]{2}$/.test(a.alias)).map((a) => [a.alias, a.state]),
);

const COMMON_WORD_ALIASES: ReadonlySet<string> = new Set(STATE_ALIASES.filter((a) => a.commonWord).map((a) => a.alias));

function isEnglishWord(text: string): boolean {
  return COMMON_WORD_ALIASES.has(text) || ENGLISH_WORDS.has(text.toUpperCase());
}

/**
 * Leading and trailing hyphens of a word run. A loop, not `/-+$/`: that regex tries every hyphen of a long run as a
 * start and scans to its end from each, quadratic in the run's length (a 16k-character line took 0.35 s).
 */
function hyphenEnds(raw: string): [number, number] {
  let lead = 0;
  while (lead < raw.length && raw.charCodeAt(lead) === 45) lead++;
  let trail = 0;
  while (trail < raw.length - lead && raw.charCodeAt(raw.length - 1 - trail) === 45) trail++;
  return [lead, trail];
}

/** The `st` code of a /proc/net/tcp(6) row, or undefined when the line is not such a row. */
export function procRowState(line: string): StateMention | undefined {
  const m = PROC_ROW.exec(line);
  if (!m) return undefined;
  const text = m[1];
  // 0C (TCP_NEW_SYN_RECV) is a listener's request socket: SYN-RECEIVED; 00 and codes past 0C are no state.
  const state = stateFromProcCode(text);
  if (!state) return undefined;
  const end = m[0].length;
  return { start: end - 2, end, text, state, kind: 'proc-st' };
}

/**
 * Every state mentioned in the line, left to right. A name counts only as a whole word (`TIME_WAITING`, `XESTAB`
 * do not); an alias that is an ordinary English word (LISTEN, CLOSED, CLOSING, ESTABLISHED...) counts only when
 * the same line names a different state, holds an `address:port`, or says `tcp`.
 */
export function findStateMentions(line: string): StateMention[] {
  const proc = procRowState(line);
  if (proc) return [proc];

  const names: StateMention[] = [];
  for (const m of line.matchAll(WORD_RUN)) {
    // Hyphens join the parts of `FIN-WAIT-1` but also draw arrows (`SYN-SENT-->`): trim them off the ends.
    const raw = m[0];
    const [lead, trail] = hyphenEnds(raw);
    const text = raw.slice(lead, raw.length - trail);
    const state = WORD_ALIASES.get(text);
    if (!state) continue;
    const start = (m.index ?? 0) + lead;
    names.push({ start, end: start + text.length, text, state, kind: 'name' });
  }
  if (!names.some((n) => isEnglishWord(n.text))) return names;

  const tcpLine = TCP_CONTEXT.test(line);
  // Some other mention names a different state exactly when the line names two or more states: counted once,
  // not by scanning every mention for every mention (quadratic on a long line of one repeated word).
  const severalStates = new Set(names.map((n) => n.state)).size > 1;
  return names.filter((n) => !isEnglishWord(n.text) || tcpLine || severalStates);
}

/** Lines longer than this (minified code, a log on one line) are searched only this far around the position. */
export const MAX_SEARCHED_LINE = 4000;

/**
 * The mention covering the given character offset (a hover position), if any. In a very long line only a window
 * around the position is read, so the TCP-context rule then looks at that window; offsets are in the whole line.
 */
export function stateMentionAt(line: string, character: number, maxLine = MAX_SEARCHED_LINE): StateMention | undefined {
  let offset = 0;
  let text = line;
  if (line.length > maxLine) {
    offset = Math.max(0, Math.min(line.length - maxLine, character - Math.floor(maxLine / 2)));
    text = line.slice(offset, offset + maxLine);
  }
  const at = character - offset;
  const m = findStateMentions(text).find((x) => at >= x.start && at < x.end);
  return m && { ...m, start: m.start + offset, end: m.end + offset };
}
