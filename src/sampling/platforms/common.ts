// What the macOS and Windows parsers share: the shape of a row read from a platform tool, the shape of a parse,
// and address text (IPv4, RFC 5952 IPv6, the IPv4-mapped form) as the Linux parsers write it. Pure: no I/O.
//
// parseIpv6 and formatIpv6 are the Linux parsers' own (src/sampling/ssOutput.ts, procNetTcp.ts), reused so that every
// backend spells an address the same way.
import type { AddressFamily, Endpoint, SocketRecord, TcpState } from '../../domain/types';
import { normalizeState } from '../../domain/states';
import { formatIpv6 } from '../procNetTcp';
import { parseIpv6 } from '../ssOutput';

/** One socket as a platform tool printed it: a SocketRecord plus the tool's own word for the state. */
export interface ToolRow extends SocketRecord {
  /** The state exactly as the tool printed it (`ESTABLISHED`, `HERGESTELLT`, `MIB_TCP_STATE_ESTAB`, ...). */
  stateWord: string;
}

/** A row whose state word is in none of the parser's tables: everything else was read, the state was not guessed. */
export type UnknownStateRow<R extends ToolRow> = Omit<R, 'state'> & { state: null };

export interface ToolParse<R extends ToolRow> {
  rows: R[];
  /** Rows with a state word the parser does not know, kept with the word so the UI can show it. */
  unknownState: UnknownStateRow<R>[];
  /**
   * Lines (or, for binary input, descriptions of the bytes) that are neither a header, a blank line nor a row the
   * parser understands, verbatim, so the UI can say "cannot parse: <line>". Nothing is dropped silently.
   */
  unparsed: string[];
}

/** An empty parse to fill. */
export function emptyParse<R extends ToolRow>(): ToolParse<R> {
  return { rows: [], unknownState: [], unparsed: [] };
}

/** Puts a row in `rows` or, when its state is unknown, in `unknownState`. */
export function addRow<R extends ToolRow>(out: ToolParse<R>, row: Omit<R, 'state'> & { state: TcpState | null }): void {
  if (row.state === null) out.unknownState.push(row as UnknownStateRow<R>);
  else out.rows.push(row as R);
}

/**
 * A parser's table of state words: each word the tool is known to print, mapped through states.ts's normalizeState.
 * A word normalizeState does not know is a mistake in the table, caught when the module loads.
 */
export function stateTable(words: readonly string[]): ReadonlyMap<string, TcpState> {
  const table = new Map<string, TcpState>();
  for (const w of words) {
    const state = normalizeState(w);
    if (state === undefined) throw new Error(`state table: normalizeState does not know ${w}`);
    table.set(w, state);
  }
  return table;
}

/** A dotted quad with every part 0..255 and no leading zeros beyond a lone 0, or null. */
export function ipv4Text(text: string): string | null {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (!m) return null;
  const parts = [m[1], m[2], m[3], m[4]];
  for (const p of parts) if (Number(p) > 255 || (p.length > 1 && p.startsWith('0'))) return null;
  return parts.join('.');
}

/**
 * IPv6 text (any valid spelling, with an optional `%zone`) in RFC 5952 form, or null. As the Linux parsers do, the
 * zone is kept only on a link-local address, where it is part of the address (RFC 4007 section 11).
 */
export function ipv6Text(text: string): string | null {
  const pct = text.indexOf('%');
  const zone = pct >= 0 ? text.slice(pct) : '';
  if (zone !== '' && !/^%[^\s%[\]]+$/.test(zone)) return null;
  const bytes = parseIpv6(pct >= 0 ? text.slice(0, pct) : text);
  return bytes === null ? null : ipv6FromBytes(bytes, zone);
}

/** RFC 5952 text of 16 address bytes, with `zone` (`%en0`, `%12`) appended when the address is link-local. */
export function ipv6FromBytes(bytes: readonly number[], zone: string): string {
  const address = formatIpv6(bytes);
  return zone !== '' && bytes[0] === 0xfe && ((bytes[1] ?? 0) & 0xc0) === 0x80 ? address + zone : address;
}

/** The IPv4-mapped IPv6 address of a dotted quad, as /proc/net/tcp6 and ss show a dual-stack socket's IPv4 peer. */
export function mappedIpv4(v4: string): string {
  return `::ffff:${v4}`;
}

/** The wildcard address of a family: `*` is never an address in a record. */
export function wildcardAddress(family: AddressFamily): string {
  return family === 'ipv4' ? '0.0.0.0' : '::';
}

/** The endpoint of a socket that is not connected: the family's wildcard, port 0. */
export function wildcardEndpoint(family: AddressFamily): Endpoint {
  return { address: wildcardAddress(family), port: 0 };
}

/** A decimal port 0..65535, or null. */
export function portNumber(text: string): number | null {
  if (!/^\d{1,5}$/.test(text)) return null;
  const n = Number(text);
  return n <= 65535 ? n : null;
}

/** A decimal count that fits a safe integer, or null. */
export function count(text: string): number | null {
  if (!/^\d{1,15}$/.test(text)) return null;
  return Number(text);
}
