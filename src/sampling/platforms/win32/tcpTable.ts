// Decoder of the buffer GetExtendedTcpTable fills with TableClass TCP_TABLE_OWNER_PID_ALL: MIB_TCPTABLE_OWNER_PID
// for AF_INET, MIB_TCP6TABLE_OWNER_PID for AF_INET6 (tcpmib.h). Pure: takes the bytes, returns rows; the call itself
// (koffi or another FFI) is not here.
//
// Layout (learn.microsoft.com, win32/api/tcpmib: ns-tcpmib-mib_tcptable_owner_pid, ns-tcpmib-mib_tcprow_owner_pid,
// ns-tcpmib-mib_tcp6table_owner_pid, ns-tcpmib-mib_tcp6row_owner_pid); a DWORD is 4 bytes in the host's order,
// little-endian on every Windows architecture:
//   table:   DWORD dwNumEntries, then dwNumEntries rows (4-byte aligned: rows start at offset 4)
//   IPv4 row (24 bytes): DWORD dwState, dwLocalAddr, dwLocalPort, dwRemoteAddr, dwRemotePort, dwOwningPid
//   IPv6 row (56 bytes): UCHAR ucLocalAddr[16], DWORD dwLocalScopeId, dwLocalPort, UCHAR ucRemoteAddr[16],
//                        DWORD dwRemoteScopeId, dwRemotePort, dwState, dwOwningPid
// - dwLocalAddr/dwRemoteAddr are IPv4 addresses in network order: their four bytes in memory are a.b.c.d.
// - Ports are in network byte order in the low 16 bits of the DWORD, i.e. its first two bytes in memory; the
//   other two bytes may be uninitialised and are ignored.
// - dwState is MIB_TCP_STATE: 1 CLOSED, 2 LISTEN, 3 SYN_SENT, 4 SYN_RCVD, 5 ESTAB, 6 FIN_WAIT1, 7 FIN_WAIT2,
//   8 CLOSE_WAIT, 9 CLOSING, 10 LAST_ACK, 11 TIME_WAIT, 12 DELETE_TCB (a TCB being deleted: CLOSED).
// - The remote address and port "have no meaning" for a LISTEN row: they are recorded as the wildcard, port 0.
// - The scope ids: the reference pages call them "in network byte order", while .NET's
//   System.Net.NetworkInformation and others pass the DWORD as it is to the address's ScopeId. We record the DWORD
//   as the host reads it (localScopeId/remoteScopeId) and append `%<id>` to a link-local address, as netstat prints
//   `[fe80::1%12]`. No buffer from a real machine was available to settle which reading is right.
// - dwOwningPid 0 is no process (TIME_WAIT): no owner.
import type { AddressFamily, Endpoint, TcpState } from '../../../domain/types';
import { addRow, emptyParse, ipv6FromBytes, stateTable, wildcardAddress, type ToolParse, type ToolRow } from '../common';

export interface TcpTableRow extends ToolRow {
  /** dwOwningPid (0 for no process). */
  pid: number;
  /** The raw MIB_TCP_STATE value. */
  stateCode: number;
  /** IPv6 rows: dwLocalScopeId / dwRemoteScopeId as the host reads the DWORD; null for IPv4 rows. */
  localScopeId: number | null;
  remoteScopeId: number | null;
}

export type TcpTableParse = ToolParse<TcpTableRow>;

export const IPV4_ROW_BYTES = 24;
export const IPV6_ROW_BYTES = 56;

/** MIB_TCP_STATE values 1..12, by name (index = value). */
export const MIB_TCP_STATE_NAMES: readonly string[] = [
  '',
  'MIB_TCP_STATE_CLOSED',
  'MIB_TCP_STATE_LISTEN',
  'MIB_TCP_STATE_SYN_SENT',
  'MIB_TCP_STATE_SYN_RCVD',
  'MIB_TCP_STATE_ESTAB',
  'MIB_TCP_STATE_FIN_WAIT1',
  'MIB_TCP_STATE_FIN_WAIT2',
  'MIB_TCP_STATE_CLOSE_WAIT',
  'MIB_TCP_STATE_CLOSING',
  'MIB_TCP_STATE_LAST_ACK',
  'MIB_TCP_STATE_TIME_WAIT',
  'MIB_TCP_STATE_DELETE_TCB',
];

const MIB_STATES: ReadonlyMap<string, TcpState> = stateTable(MIB_TCP_STATE_NAMES.slice(1));

export interface DecodeOptions {
  /** Byte order of the DWORDs. Default: little-endian (every Windows architecture). */
  littleEndian?: boolean;
}

/**
 * Decodes a MIB_TCPTABLE_OWNER_PID (family 'ipv4') or MIB_TCP6TABLE_OWNER_PID ('ipv6') buffer. A buffer shorter
 * than its dwNumEntries says yields the rows that fit, and the shortfall is reported in `unparsed`, as are bytes
 * left over after the last row. A dwState outside 1..12 gives an unknown-state row (stateWord is the number).
 * Never throws.
 */
export function decodeTcpTable(buffer: Uint8Array, family: AddressFamily, options: DecodeOptions = {}): TcpTableParse {
  const out = emptyParse<TcpTableRow>();
  const le = options.littleEndian ?? true;
  if (!(buffer instanceof Uint8Array) || buffer.byteLength < 4) {
    out.unparsed.push(`table: ${buffer instanceof Uint8Array ? buffer.byteLength : 0} bytes, fewer than the 4 of dwNumEntries`);
    return out;
  }
  const view = new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  const dword = (at: number): number => view.getUint32(at, le);
  const port = (at: number): number => (buffer[at] << 8) | buffer[at + 1];
  const rowBytes = family === 'ipv4' ? IPV4_ROW_BYTES : IPV6_ROW_BYTES;
  const entries = dword(0);
  const fit = Math.floor((buffer.byteLength - 4) / rowBytes);
  const rows = Math.min(entries, fit);
  if (fit < entries) {
    out.unparsed.push(`table: dwNumEntries ${entries} needs ${4 + entries * rowBytes} bytes, the buffer has ${buffer.byteLength}: ${fit} rows read`);
  } else if (4 + entries * rowBytes < buffer.byteLength) {
    out.unparsed.push(`table: ${buffer.byteLength - 4 - entries * rowBytes} bytes after the ${entries} rows`);
  }
  for (let i = 0; i < rows; i++) {
    const at = 4 + i * rowBytes;
    let stateCode: number;
    let pid: number;
    let local: Endpoint;
    let remote: Endpoint;
    let localScopeId: number | null = null;
    let remoteScopeId: number | null = null;
    if (family === 'ipv4') {
      stateCode = dword(at);
      local = { address: buffer.subarray(at + 4, at + 8).join('.'), port: port(at + 8) };
      remote = { address: buffer.subarray(at + 12, at + 16).join('.'), port: port(at + 16) };
      pid = dword(at + 20);
    } else {
      localScopeId = dword(at + 16);
      remoteScopeId = dword(at + 40);
      local = { address: ipv6At(buffer, at, localScopeId), port: port(at + 20) };
      remote = { address: ipv6At(buffer, at + 24, remoteScopeId), port: port(at + 44) };
      stateCode = dword(at + 48);
      pid = dword(at + 52);
    }
    const stateWord = MIB_TCP_STATE_NAMES[stateCode] || String(stateCode);
    const state = MIB_STATES.get(stateWord) ?? null;
    if (state === 'LISTEN') remote = { address: wildcardAddress(family), port: 0 };
    addRow(out, {
      state,
      stateWord,
      family,
      local,
      remote,
      inode: 0,
      uid: -1,
      recvQ: 0,
      sendQ: 0,
      timer: null,
      owners: pid === 0 ? [] : [{ pid, command: '' }],
      pid,
      stateCode,
      localScopeId,
      remoteScopeId,
    });
  }
  return out;
}

/** The 16 address bytes at `at`, RFC 5952, with `%scope` on a link-local address whose scope id is not 0. */
function ipv6At(buffer: Uint8Array, at: number, scopeId: number): string {
  return ipv6FromBytes(Array.from(buffer.subarray(at, at + 16)), scopeId === 0 ? '' : `%${scopeId}`);
}
