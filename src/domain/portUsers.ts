// "Which process holds port X?": the port a user types or a terminal line names, and the sockets of a whole-machine
// sample that use it. Pure: the command samples, shows and offers to stop; the terminal link finds the mentions.
import type { SocketRecord } from './types';

export interface PortQuery {
  port: number;
  /** The address as written (`127.0.0.1`, `::`, `::1`), or null when only the port was given. */
  address: string | null;
}

function validPort(text: string): number | null {
  if (!/^\d{1,5}$/.test(text)) return null;
  const port = Number(text);
  return port >= 1 && port <= 65535 ? port : null;
}

/**
 * A port as a user or a program writes it: `8080`, `:8080`, `127.0.0.1:8080`, `[::1]:8080`, `localhost:8080`, and
 * Node's `:::8080` (the IPv6 wildcard `::`, then the port). Null when it is not one.
 */
export function parsePortQuery(text: string): PortQuery | null {
  const t = text.trim();
  const bare = validPort(t);
  if (bare !== null) return { port: bare, address: null };
  const bracketed = /^\[([^\]]+)\]:(\d+)$/.exec(t);
  if (bracketed) {
    const port = validPort(bracketed[2]);
    return port === null ? null : { port, address: bracketed[1] };
  }
  const colon = t.lastIndexOf(':');
  if (colon < 0) return null;
  const port = validPort(t.slice(colon + 1));
  if (port === null) return null;
  const address = t.slice(0, colon);
  if (address === '') return { port, address: null };
  // An IPv4 address, a host name, or an unbracketed IPv6 address (Node prints `:::8080`).
  if (/^[\w.-]+$/.test(address) || /^[0-9a-fA-F:.]*:[0-9a-fA-F:.]*$/.test(address)) return { port, address };
  return null;
}

export type PortUseKind = 'listener' | 'accepted' | 'client';

export interface PortUse {
  /** listener: LISTEN on the port; accepted: a connection whose local end is the port; client: one towards it. */
  kind: PortUseKind;
  socket: SocketRecord;
}

const KIND_ORDER: Readonly<Record<PortUseKind, number>> = { listener: 0, accepted: 1, client: 2 };

/**
 * The sockets that use `port`: its listeners, the connections on it, and those towards it, in that order; within
 * each, ours before those of other network namespaces (a container's port is its own: it does not make a bind
 * here fail). Every address counts: a listener on 0.0.0.0 or :: takes the port from 127.0.0.1 too, which is what a
 * bind that fails with EADDRINUSE runs into (and TIME-WAIT sockets still holding the port are among the connections).
 */
export function portUsers(sockets: readonly SocketRecord[], port: number): PortUse[] {
  const out: PortUse[] = [];
  for (const s of sockets) {
    if (s.state === 'LISTEN') {
      if (s.local.port === port) out.push({ kind: 'listener', socket: s });
    } else if (s.local.port === port) out.push({ kind: 'accepted', socket: s });
    else if (s.remote.port === port) out.push({ kind: 'client', socket: s });
  }
  const elsewhere = (u: PortUse): number => (u.socket.netns === undefined ? 0 : 1);
  return out.sort((a, b) => KIND_ORDER[a.kind] - KIND_ORDER[b.kind] || elsewhere(a) - elsewhere(b) || a.socket.local.port - b.socket.local.port || a.socket.remote.port - b.socket.remote.port);
}

/** Words that say a bind failed because the port is taken: Node's EADDRINUSE, the C library's text (Go, nginx, Python). */
const IN_USE = /EADDRINUSE|address already in use|Address in use/i;

export interface PortMention {
  /** Offsets in the line, end exclusive. */
  start: number;
  end: number;
  query: PortQuery;
  /** The text linked, which parsePortQuery reads back. */
  text: string;
}

/**
 * The `address:port` in a line that says a port is already in use, as programs print it:
 *   Node    `Error: listen EADDRINUSE: address already in use 127.0.0.1:3000` (`:::3000` for the IPv6 wildcard)
 *   Go      `listen tcp :8080: bind: address already in use`
 *   nginx   `bind() to 0.0.0.0:80 failed (98: Address already in use)`
 *   Python  `OSError: [Errno 98] error while attempting to bind on address ('127.0.0.1', 8000): address already in use`
 * Nothing for other lines: a port in a log line is not a question about its owner.
 */
export function findPortInUseMentions(line: string): PortMention[] {
  if (!IN_USE.test(line)) return [];
  const out: PortMention[] = [];
  // Python's asyncio: the address as a tuple.
  for (const m of line.matchAll(/\(\s*'([^']*)'\s*,\s*(\d{1,5})\s*\)/g)) {
    const port = validPort(m[2]);
    if (port !== null && m.index !== undefined) out.push({ start: m.index, end: m.index + m[0].length, query: { port, address: m[1] === '' ? null : m[1] }, text: `${m[1].includes(':') ? `[${m[1]}]` : m[1]}:${port}` });
  }
  for (const m of line.matchAll(/\S+/g)) {
    if (m.index === undefined) continue;
    // Punctuation around the token is not the address's: Go's `:8080:`, a sentence's comma or parentheses.
    const lead = /^[("']*/.exec(m[0])?.[0].length ?? 0;
    let token = m[0].slice(lead).replace(/[)"',;.]+$/, '');
    if (token.endsWith(':')) token = token.slice(0, -1);
    if (!token.startsWith('[')) token = token.replace(/\]+$/, '');
    if (!/\d$/.test(token) || !token.includes(':')) continue;
    const query = parsePortQuery(token);
    if (query === null || (query.address !== null && !/[\d:]/.test(query.address) && query.address !== 'localhost')) continue;
    const start = m.index + lead;
    if (out.some((o) => start < o.end && o.start < start + token.length)) continue;
    out.push({ start, end: start + token.length, query, text: token });
  }
  return out.sort((a, b) => a.start - b.start);
}
