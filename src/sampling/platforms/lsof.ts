// Parser for lsof's field output: `lsof -nP -iTCP -Tqs -FpcfnPT0` (add `t` to the -F letters, `-FpcfnPtT0`, to
// know the family of a `*` listener and of a dual-stack socket's IPv4 peer). The format is lsof's own, the same on
// macOS and Linux (lsof-org/lsof, Lsof.8 "OUTPUT FOR OTHER PROGRAMS"). Pure: no I/O.
//
// - Each field is one identifying character and its value: `p<pid>` starts a process set, `c<command>`,
//   `u<uid>`; `f<fd>` starts a file set inside it, `t<type>` (IPv4, IPv6), `P<protocol>`, `n<name>`, and one `T`
//   field per TCP/TPI item: `TST=<state>`, `TQR=<receive queue>`, `TQS=<send queue>` (others are ignored).
// - Without -F0 every field ends with a newline; with it every field ends with NUL and each set's line ends with
//   NUL and newline. Both are read.
// - The name is `local` or `local->remote`, each `host:port`: a dotted quad, `[ipv6]`, or `*` for the unspecified
//   address (which lsof prints for IPv4 and IPv6 alike). A dual-stack socket's IPv4 peer prints as a dotted quad
//   with type IPv6: it is recorded IPv4-mapped (`::ffff:a.b.c.d`), as /proc/net/tcp6 and ss show it.
// - State words: Linux lsof (lib/dialects/linux/dsock.c build_IPstates) prints ESTABLISHED SYN_SENT SYN_RECV
//   FIN_WAIT1 FIN_WAIT2 TIME_WAIT CLOSE CLOSE_WAIT LAST_ACK LISTEN CLOSING and CLOSED; macOS lsof prints the BSD
//   tcpstates[] names (SYN_RCVD, FIN_WAIT_1, FIN_WAIT_2 ...). Any other word is reported as an unknown state.
// - lsof lists a socket once per process and descriptor holding it: rows with the same family, endpoints and
//   state are merged into one with every holder in `owners` (as ss lists users), and every (pid, fd) in `fds`.
//   Sockets without a descriptor (TIME_WAIT, request sockets) never appear in lsof's output.
import type { AddressFamily, Endpoint, Owner, TcpState } from '../../domain/types';
import { addRow, count, emptyParse, ipv4Text, ipv6Text, mappedIpv4, portNumber, stateTable, wildcardAddress, type ToolParse, type ToolRow } from './common';

export interface LsofRow extends ToolRow {
  /** Every (pid, fd) lsof listed for this socket. */
  fds: { pid: number; fd: string }[];
  /**
   * False when the family was read from nothing but a `*` address (no `t` field): lsof prints `*` for both the
   * IPv4 and the IPv6 wildcard, so the row says ipv4 / 0.0.0.0 without knowing it. Such rows are never merged.
   */
  familyKnown: boolean;
}

export type LsofParse = ToolParse<LsofRow>;

/** The state words of Linux lsof (dsock.c build_IPstates) and of macOS lsof (tcp_fsm.h tcpstates[]). */
export const LSOF_TCP_STATES: ReadonlyMap<string, TcpState> = stateTable([
  // Linux
  'ESTABLISHED',
  'SYN_SENT',
  'SYN_RECV',
  'FIN_WAIT1',
  'FIN_WAIT2',
  'TIME_WAIT',
  'CLOSE',
  'CLOSE_WAIT',
  'LAST_ACK',
  'LISTEN',
  'CLOSING',
  'CLOSED',
  // macOS (the others are the same words as Linux's)
  'SYN_RCVD',
  'FIN_WAIT_1',
  'FIN_WAIT_2',
]);

/** lsof's field identifiers (Lsof.8, "OUTPUT FOR OTHER PROGRAMS"). */
const FIELD_IDS = new Set('acCdDfFgGikKlLmMnNopPrRsStTuzZ'.split(''));

interface FileSet {
  fields: string[];
  fd: string;
  type: string | null;
  proto: string | null;
  name: string | null;
  state: string | null;
  recvQ: number | null;
  sendQ: number | null;
}

interface HostPort {
  /** null for `*`. */
  host: string | null;
  hostFamily: AddressFamily | null;
  port: number;
}

/** `127.0.0.1:80`, `[::1]:80`, `*:80`, `*:*`; null when malformed. */
function parseHostPort(text: string): HostPort | null {
  const colon = text.lastIndexOf(':');
  if (colon <= 0) return null;
  const portText = text.slice(colon + 1);
  const port = portText === '*' ? 0 : portNumber(portText);
  if (port === null) return null;
  const hostText = text.slice(0, colon);
  if (hostText === '*') return { host: null, hostFamily: null, port };
  if (hostText.startsWith('[') && hostText.endsWith(']')) {
    const v6 = ipv6Text(hostText.slice(1, -1));
    return v6 === null ? null : { host: v6, hostFamily: 'ipv6', port };
  }
  const v4 = ipv4Text(hostText);
  return v4 === null ? null : { host: v4, hostFamily: 'ipv4', port };
}

/** The endpoint of `hp` in a socket of `family`; null when the address cannot be of that family. */
function endpointIn(hp: HostPort, family: AddressFamily): Endpoint | null {
  if (hp.host === null) return { address: wildcardAddress(family), port: hp.port };
  if (hp.hostFamily === family) return { address: hp.host, port: hp.port };
  if (hp.hostFamily === 'ipv4' && family === 'ipv6') return { address: mappedIpv4(hp.host), port: hp.port };
  return null;
}

interface Built {
  family: AddressFamily;
  familyKnown: boolean;
  local: Endpoint;
  remote: Endpoint;
}

/** The family and endpoints of a file set, or null when its name or type cannot be read. */
function endpoints(f: FileSet): Built | null {
  if (f.name === null) return null;
  const arrow = f.name.indexOf('->');
  const local = parseHostPort(arrow < 0 ? f.name : f.name.slice(0, arrow));
  const remote = arrow < 0 ? null : parseHostPort(f.name.slice(arrow + 2));
  if (local === null || (arrow >= 0 && remote === null)) return null;
  let family: AddressFamily;
  let familyKnown = true;
  if (f.type === 'IPv4') family = 'ipv4';
  else if (f.type === 'IPv6') family = 'ipv6';
  else if (f.type !== null) return null;
  else if (local.hostFamily !== null) family = local.hostFamily;
  else if (remote?.hostFamily) family = remote.hostFamily;
  else {
    family = 'ipv4';
    familyKnown = false;
  }
  const l = endpointIn(local, family);
  const r = remote === null ? { address: wildcardAddress(family), port: 0 } : endpointIn(remote, family);
  if (l === null || r === null) return null;
  return { family, familyKnown, local: l, remote: r };
}

/**
 * Parses lsof -F output (with or without -F0). Process sets without a pid, file sets before a process set, fields
 * that are not lsof fields, non-TCP files and names that do not parse are reported in `unparsed` (a file set as its
 * fields joined by spaces). Never throws.
 */
export function parseLsof(text: string): LsofParse {
  const out = emptyParse<LsofRow>();
  if (typeof text !== 'string') return out;
  const merged = new Map<string, LsofRow | (Omit<LsofRow, 'state'> & { state: null })>();
  let pid: number | null = null;
  let command = '';
  let uid = -1;
  let file: FileSet | null = null;

  const finishFile = (): void => {
    const f = file;
    file = null;
    if (f === null) return;
    const built = pid === null || (f.proto !== null && f.proto !== 'TCP') ? null : endpoints(f);
    if (built === null || pid === null) {
      out.unparsed.push(f.fields.join(' '));
      return;
    }
    const stateWord = f.state ?? '';
    const state = LSOF_TCP_STATES.get(stateWord) ?? null;
    const owner: Owner = { pid, command };
    const key = `${built.family}|${built.local.address}|${built.local.port}|${built.remote.address}|${built.remote.port}|${stateWord}`;
    const seen = built.familyKnown ? merged.get(key) : undefined;
    if (seen !== undefined) {
      if (!seen.owners.some((o) => o.pid === pid)) seen.owners.push(owner);
      seen.fds.push({ pid, fd: f.fd });
      return;
    }
    const row = {
      state,
      stateWord,
      family: built.family,
      local: built.local,
      remote: built.remote,
      inode: 0,
      uid,
      recvQ: f.recvQ ?? 0,
      sendQ: f.sendQ ?? 0,
      timer: null,
      owners: [owner],
      fds: [{ pid, fd: f.fd }],
      familyKnown: built.familyKnown,
    };
    if (built.familyKnown) merged.set(key, row);
    addRow(out, row);
  };

  for (const line of text.split('\n')) {
    const fields = line.split('\0').filter((s) => s !== '' && s !== '\r');
    for (const field of fields) {
      const id = field[0];
      const value = field.slice(1);
      if (!FIELD_IDS.has(id)) {
        out.unparsed.push(field);
        continue;
      }
      if (id === 'p') {
        finishFile();
        pid = count(value);
        command = '';
        uid = -1;
        if (pid === null) out.unparsed.push(field);
        continue;
      }
      if (id === 'f') {
        finishFile();
        file = { fields: [field], fd: value, type: null, proto: null, name: null, state: null, recvQ: null, sendQ: null };
        continue;
      }
      if (file === null) {
        // Process-level fields; anything else before a file set belongs to nothing.
        if (id === 'c') command = value;
        else if (id === 'u') uid = count(value) ?? -1;
        else if (!'gRLKM'.includes(id)) out.unparsed.push(field);
        continue;
      }
      file.fields.push(field);
      if (id === 't') file.type = value;
      else if (id === 'P') file.proto = value;
      else if (id === 'n') file.name = value;
      else if (id === 'T') {
        const eq = value.indexOf('=');
        const key = eq < 0 ? value : value.slice(0, eq);
        const v = eq < 0 ? '' : value.slice(eq + 1);
        if (key === 'ST') file.state = v;
        else if (key === 'QR') file.recvQ = count(v);
        else if (key === 'QS') file.sendQ = count(v);
      }
    }
  }
  finishFile();
  return out;
}
