// Run inside a private network namespace (nsenter): steps through the cases that decide whether our namespace's
// tcp6 is read (tcpTablesToRead: sockstat's TCP6 inuse, and its tw, which counts both families' TIME-WAITs), and
// after each compares the sampler's table with both files read to EOF. Prints one JSON line per step:
//   {"step":"...","readCalls":C,"v6Rows":N,"same":true|false,"missing":[...],"extra":[...]}
// Every table here fits one read(2), so readCalls is 1 when only tcp was read and 2 when tcp6 was too.
import { readFileSync } from 'node:fs';
import * as net from 'node:net';
import { SocketSampler } from '../../src/sampling/socketSampler';
import { parseProcNetTcp } from '../../src/sampling/procNetTcp';
import { formatEndpoint, type SocketRecord } from '../../src/domain/types';

const key = (s: SocketRecord): string => `${s.state} ${formatEndpoint(s.local)} ${formatEndpoint(s.remote)} ${s.inode}`;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function fullTable(): SocketRecord[] {
  return [...parseProcNetTcp(readFileSync('/proc/net/tcp', 'latin1'), 'ipv4').sockets, ...parseProcNetTcp(readFileSync('/proc/net/tcp6', 'latin1'), 'ipv6').sockets];
}

async function listen(host: string): Promise<net.Server> {
  const server = net.createServer((c) => c.on('end', () => c.end()).resume());
  await new Promise<void>((r) => server.listen(0, host, r));
  return server;
}

/** A connection the client closes first: its end goes to TIME-WAIT once the server answers the FIN with its own. */
async function timeWait(server: net.Server, host: string): Promise<void> {
  const port = (server.address() as net.AddressInfo).port;
  const c = net.connect(port, host);
  await new Promise((r) => c.once('connect', r));
  const local = c.localPort;
  c.resume();
  c.end();
  await new Promise((r) => c.once('close', r));
  for (let i = 0; i < 100 && !fullTable().some((s) => s.state === 'TIME-WAIT' && s.local.port === local); i++) await sleep(10);
}

async function main(): Promise<void> {
  const sampler = new SocketSampler({ backend: 'proc', otherNamespaces: false });
  const step = async (name: string): Promise<void> => {
    const sample = await sampler.sample({ scope: { mode: 'all' } });
    const full = fullTable();
    const ours = new Set(sample.table.map(key));
    const theirs = new Set(full.map(key));
    const missing = [...theirs].filter((k) => !ours.has(k));
    const extra = [...ours].filter((k) => !theirs.has(k));
    const line = { step: name, readCalls: sampler.lastStats?.readCalls ?? -1, v6Rows: full.filter((s) => s.family === 'ipv6').length, same: missing.length === 0 && extra.length === 0, missing, extra };
    process.stdout.write(`${JSON.stringify(line)}\n`);
  };
  await step('empty');
  const v4 = await listen('127.0.0.1');
  const port4 = (v4.address() as net.AddressInfo).port;
  const held = net.connect(port4, '127.0.0.1');
  await new Promise((r) => held.once('connect', r));
  await sleep(20);
  await step('ipv4 listener and connection');
  await timeWait(v4, '127.0.0.1');
  await step('ipv4 time-wait');
  const v6 = await listen('::1');
  await step('ipv6 listener');
  await timeWait(v6, '::1');
  await new Promise<void>((r) => v6.close(() => r()));
  await sleep(20);
  await step('ipv6 time-wait, no ipv6 socket');
  held.destroy();
  v4.close();
}

main().catch((e: Error) => {
  process.stderr.write(`${e.stack ?? e.message}\n`);
  process.exitCode = 1;
});
