// Parser for Windows `netstat -ano -p TCP` (and `-an`, `-ano -p TCPv6`, `-ano`: UDP rows are reported unparsed).
// Pure: no I/O, and no decoding of bytes: the caller decodes the console output (see the ABHÖREN spellings below).
//
// The output is a title line, a column header and one row per socket:
//
//   Active Connections
//
//     Proto  Local Address          Foreign Address        State           PID
//     TCP    0.0.0.0:135            0.0.0.0:0              LISTENING       896
//     TCP    [::1]:49155            [::1]:49156            ESTABLISHED     1234
//
// - Title and header are translated with the display language (`Aktive Verbindungen` / `Proto  Lokale Adresse
//   Remoteadresse  Status  PID`, `活动连接` / `协议  本地地址  外部地址  状态  PID`, ...): up to two non-blank lines
//   before the first row are taken as title and header, whatever their words, unless they start with `TCP` or
//   `UDP`, which are not translated (a row that does not parse is never taken for a header).
// - The state word is translated in some languages (German) and not in others (Chinese, Korean print English). A
//   word in none of the tables below is reported as an unknown state, with the word: never guessed from its look.
//   One rule holds in every language: a socket whose foreign address is `0.0.0.0:0` or `[::]:0` is listening
//   (without -q netstat prints no other unconnected TCP socket), so such a row is LISTEN even when its word is not
//   known (stateFromForeignAddress).
// - The PID column is there with -o; TIME_WAIT rows, which no process owns any more, show PID 0 (no owner here).
// - IPv6 addresses are in brackets, link-local with the interface index: `[fe80::1%12]:139`.
import type { AddressFamily, Endpoint, TcpState } from '../../../domain/types';
import { addRow, count, emptyParse, ipv4Text, ipv6Text, portNumber, stateTable, type ToolParse, type ToolRow } from '../common';

export interface WinNetstatRow extends ToolRow {
  /** The PID column (0 for sockets no process owns, e.g. TIME_WAIT), or null when netstat ran without -o. */
  pid: number | null;
  /** True when the state came from the `0.0.0.0:0` / `[::]:0` foreign address because the word is unknown. */
  stateFromForeignAddress: boolean;
}

export interface WinNetstatParse extends ToolParse<WinNetstatRow> {
  /** The title and column header lines, as printed (they are localised). */
  header: string[];
}

/**
 * English: what netstat prints (LISTENING, SYN_SENT, TIME_WAIT ...), and the spellings of the netstat reference
 * page (learn.microsoft.com windows-commands/netstat: LISTEN, SYN_SEND, TIMED_WAIT). BOUND is printed with -q.
 */
export const WIN_ENGLISH_STATES: ReadonlyMap<string, TcpState> = stateTable([
  'CLOSED',
  'LISTENING',
  'LISTEN',
  'SYN_SENT',
  'SYN_SEND',
  'SYN_RECEIVED',
  'ESTABLISHED',
  'FIN_WAIT_1',
  'FIN_WAIT_2',
  'CLOSE_WAIT',
  'CLOSING',
  'LAST_ACK',
  'TIME_WAIT',
  'TIMED_WAIT',
  'BOUND',
  'DELETE_TCB',
]);

// German: words seen in real German netstat output (test/unit/fixtures/platforms/win32-netstat-an-de.txt), whose
// meaning is fixed by the states of both ends of a connection shown in it (HERGESTELLT on both ends; FIN_WARTEN_2
// facing SCHLIESSEN_WARTEN; WARTEND on the closing client's side), and by sebhildebrandt/systeminformation
// lib/network.js, which maps HERGESTELLT, ABH*, SCHLIESSEN_WARTEN, WARTEND and SYN_GESENDET. Other German words
// (for FIN_WAIT_1, LAST_ACK, CLOSING, SYN_RECEIVED, CLOSED) are not in any source we could check: reported unknown.
// ABHÖREN is encoded by the console code page (850): read as Windows-1252 its Ö (0x99) becomes ™, read as Latin-1
// U+0099, read as UTF-8 U+FFFD. Those spellings are the same word, not guesses.
export const WIN_GERMAN_STATES: ReadonlyMap<string, TcpState> = new Map<string, TcpState>([
  ['ABHÖREN', 'LISTEN'],
  ['ABH™REN', 'LISTEN'],
  ['ABH\u0099REN', 'LISTEN'],
  ['ABH\uFFFDREN', 'LISTEN'],
  ['HERGESTELLT', 'ESTABLISHED'],
  ['WARTEND', 'TIME-WAIT'],
  ['SCHLIESSEN_WARTEN', 'CLOSE-WAIT'],
  ['FIN_WARTEN_2', 'FIN-WAIT-2'],
  ['SYN_GESENDET', 'SYN-SENT'],
]);

/** `1.2.3.4:80`, `[::1]:80`, `[fe80::1%12]:139`; null when malformed. */
function parseEndpoint(text: string): { endpoint: Endpoint; family: AddressFamily } | null {
  const colon = text.lastIndexOf(':');
  if (colon <= 0) return null;
  const port = portNumber(text.slice(colon + 1));
  if (port === null) return null;
  const host = text.slice(0, colon);
  if (host.startsWith('[') && host.endsWith(']')) {
    const v6 = ipv6Text(host.slice(1, -1));
    return v6 === null ? null : { endpoint: { address: v6, port }, family: 'ipv6' };
  }
  const v4 = ipv4Text(host);
  return v4 === null ? null : { endpoint: { address: v4, port }, family: 'ipv4' };
}

const isUnconnected = (e: Endpoint): boolean => e.port === 0 && (e.address === '0.0.0.0' || e.address === '::');

/** A TCP row's parts, or null when the line is not one. */
function parseRow(line: string): Omit<WinNetstatRow, 'state'> & { state: TcpState | null } | null {
  const tokens = line.trim().split(/\s+/);
  if (tokens[0] !== 'TCP' || tokens.length < 4) return null;
  const local = parseEndpoint(tokens[1]);
  const remote = parseEndpoint(tokens[2]);
  if (local === null || remote === null || local.family !== remote.family) return null;
  // With -o the last column is the PID; the state is what lies between (a word, or words in some languages).
  let pid: number | null = null;
  let stateTokens = tokens.slice(3);
  if (tokens.length >= 5 && /^\d+$/.test(tokens[tokens.length - 1])) {
    pid = count(tokens[tokens.length - 1]);
    if (pid === null) return null;
    stateTokens = tokens.slice(3, -1);
  }
  const stateWord = stateTokens.join(' ');
  if (/^\d+$/.test(stateWord)) return null;
  let state = WIN_ENGLISH_STATES.get(stateWord) ?? WIN_GERMAN_STATES.get(stateWord) ?? null;
  let stateFromForeignAddress = false;
  if (state === null && isUnconnected(remote.endpoint)) {
    state = 'LISTEN';
    stateFromForeignAddress = true;
  }
  return {
    state,
    stateWord,
    family: local.family,
    local: local.endpoint,
    remote: remote.endpoint,
    inode: 0,
    uid: -1,
    recvQ: 0,
    sendQ: 0,
    timer: null,
    owners: pid === null || pid === 0 ? [] : [{ pid, command: '' }],
    pid,
    stateFromForeignAddress,
  };
}

/**
 * Parses netstat's connection table. Up to two non-blank lines before the first row are the (localised) title
 * and header; every other line that is not a TCP row is reported in `unparsed`, and when no row parses at all the
 * lines taken for a header are too (the output was then something else, e.g. an error message). Never throws.
 */
export function parseWinNetstat(text: string): WinNetstatParse {
  const out: WinNetstatParse = { ...emptyParse<WinNetstatRow>(), header: [] };
  if (typeof text !== 'string') return out;
  let seenRow = false;
  for (const line of text.split(/\r?\n/)) {
    if (line.trim() === '') continue;
    const row = parseRow(line);
    if (row !== null) {
      seenRow = true;
      addRow(out, row);
    } else if (!seenRow && out.header.length < 2 && !/^\s*(?:TCP|UDP)\s/.test(line)) {
      out.header.push(line);
    } else {
      out.unparsed.push(line);
    }
  }
  if (!seenRow) {
    out.unparsed.unshift(...out.header);
    out.header = [];
  }
  return out;
}
