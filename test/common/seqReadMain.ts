// Run inside a private network namespace (nsenter): opens loopback connections one by one, from none to `max`, and
// after each compares the product's reading of /proc/net/tcp{,6} (SocketSampler, which skips the read(2) that would
// return 0 when the last one shows the table ended) with the same files read to EOF. Prints one JSON line per step:
//   {"connections":N,"rows":R,"bytes":B,"readCalls":C,"same":true|false,"missing":[...],"extra":[...]}
// The namespace holds only these sockets, idle and ESTABLISHED, so the two readings see the same table.
import { readFileSync } from 'node:fs';
import * as net from 'node:net';
import { SocketSampler } from '../../src/sampling/socketSampler';
import { parseProcNetTcp } from '../../src/sampling/procNetTcp';
import { formatEndpoint, type SocketRecord } from '../../src/domain/types';

const key = (s: SocketRecord): string => `${s.state} ${formatEndpoint(s.local)} ${formatEndpoint(s.remote)} ${s.inode}`;

async function main(): Promise<void> {
  const max = Number(process.argv[2] ?? 60);
  const server = net.createServer((c) => c.pause());
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  const clients: net.Socket[] = [];
  // Our namespace's table only: the host's namespaces, visible through its processes, are not the files read here.
  const sampler = new SocketSampler({ backend: 'proc', otherNamespaces: false });
  for (let n = 0; n <= max; n++) {
    if (n > 0) {
      const c = net.connect(port, '127.0.0.1');
      await new Promise((r) => c.once('connect', r));
      clients.push(c);
      // The server's end is accepted too before reading.
      await new Promise((r) => setTimeout(r, 5));
    }
    const sample = await sampler.sample({ scope: { mode: 'all' } });
    const bytes = readFileSync('/proc/net/tcp').length + readFileSync('/proc/net/tcp6').length;
    const full = [...parseProcNetTcp(readFileSync('/proc/net/tcp', 'latin1'), 'ipv4').sockets, ...parseProcNetTcp(readFileSync('/proc/net/tcp6', 'latin1'), 'ipv6').sockets];
    const ours = new Set(sample.table.map(key));
    const theirs = new Set(full.map(key));
    const missing = [...theirs].filter((k) => !ours.has(k));
    const extra = [...ours].filter((k) => !theirs.has(k));
    const line = { connections: n, rows: full.length, bytes, readCalls: sampler.lastStats?.readCalls ?? -1, same: missing.length === 0 && extra.length === 0, missing, extra };
    process.stdout.write(`${JSON.stringify(line)}\n`);
  }
  for (const c of clients) c.destroy();
  server.close();
}

main().catch((e: Error) => {
  process.stderr.write(`${e.stack ?? e.message}\n`);
  process.exitCode = 1;
});
