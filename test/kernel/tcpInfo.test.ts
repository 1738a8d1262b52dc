// readTcpInfo against the real kernel: `ss -tani` with the filter of core/treeModel selects exactly one live
// loopback socket (IPv4, IPv6, a listener, CLOSE-WAIT), and its counters match the bytes this test moved.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import * as net from 'node:net';
import { sleep } from '../common/wait';
import { SsError, readTcpInfo } from '../../src/sampling/tcpInfo';
import type { TcpState } from '../../src/domain/types';

const sockets: net.Socket[] = [];
const servers: net.Server[] = [];
after(() => {
  for (const s of sockets) s.destroy();
  for (const s of servers) s.close();
});

function listen(host: string, options: net.ServerOpts = {}): Promise<{ server: net.Server; accepted: Promise<net.Socket> }> {
  return new Promise((resolve) => {
    let accept: (s: net.Socket) => void = () => undefined;
    const accepted = new Promise<net.Socket>((r) => (accept = r));
    const server = net.createServer(options, (s) => {
      sockets.push(s);
      accept(s);
    });
    servers.push(server);
    server.listen(0, host, () => resolve({ server, accepted }));
  });
}

function connect(port: number, host: string, allowHalfOpen = false): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const c = net.connect({ port, host, allowHalfOpen }, () => resolve(c));
    sockets.push(c);
    c.once('error', reject);
  });
}


function ends(s: net.Socket, state: TcpState) {
  return { state, local: { address: s.localAddress ?? '', port: s.localPort ?? 0 }, remote: { address: s.remoteAddress ?? '', port: s.remotePort ?? 0 } };
}

test('an established IPv4 connection: both ends, with the bytes each side moved', async () => {
  const { server, accepted } = await listen('127.0.0.1');
  const port = (server.address() as net.AddressInfo).port;
  const client = await connect(port, '127.0.0.1');
  const serverEnd = await accepted;
  serverEnd.resume();
  await new Promise<void>((r) => client.write(Buffer.alloc(4000, 7), () => r()));
  await new Promise<void>((r) => serverEnd.write(Buffer.alloc(300, 1), () => r()));
  await sleep(100);

  const c = await readTcpInfo('ss', ends(client, 'ESTABLISHED'));
  assert.ok(c.info, c.output);
  assert.deepEqual(c.args.slice(0, 3), ['-tani', 'state', 'established']);
  assert.equal(c.info.local.port, client.localPort);
  assert.equal(c.info.remote.port, port);
  assert.equal(c.info.bytesSent, 4000);
  assert.equal(c.info.bytesReceived, 300);
  assert.ok(c.info.rttMs !== null && c.info.rttMs > 0, `rtt ${c.info.rttMs}`);
  assert.ok(c.info.cwnd !== null && c.info.cwnd >= 1);
  assert.ok(c.info.congestion !== null && /^[a-z0-9_]+$/.test(c.info.congestion));

  const s = await readTcpInfo('ss', ends(serverEnd, 'ESTABLISHED'));
  assert.equal(s.info?.bytesReceived, 4000);
  assert.equal(s.info?.bytesSent, 300);
});

test('IPv6 on ::1, and a listener (no peer in the filter)', async () => {
  const { server, accepted } = await listen('::1');
  const port = (server.address() as net.AddressInfo).port;
  const client = await connect(port, '::1');
  await accepted;
  const c = await readTcpInfo('ss', ends(client, 'ESTABLISHED'));
  assert.ok(c.info, c.output);
  assert.equal(c.info.local.address, '::1');
  assert.ok(c.args[3].includes('src [::1]'), c.args[3]);

  const l = await readTcpInfo('ss', { state: 'LISTEN', local: { address: '::1', port }, remote: { address: '::', port: 0 } });
  assert.ok(l.info, l.output);
  assert.equal(l.info.remote.port, 0);
  assert.ok(l.info.sendQ > 0, 'a listener\'s Send-Q is its backlog');
});

test('CLOSE-WAIT: the end that received the FIN and has not closed', async () => {
  const { server, accepted } = await listen('127.0.0.1', { allowHalfOpen: true });
  const port = (server.address() as net.AddressInfo).port;
  const client = await connect(port, '127.0.0.1', true);
  const serverEnd = await accepted;
  serverEnd.resume();
  client.end('bye');
  await sleep(100);
  const s = await readTcpInfo('ss', ends(serverEnd, 'CLOSE-WAIT'));
  assert.ok(s.info, s.output);
  assert.equal(s.info.bytesReceived, 4, '"bye" and the FIN');
  // Asking for the wrong state finds nothing: the filter names the state.
  const wrong = await readTcpInfo('ss', ends(serverEnd, 'ESTABLISHED'));
  assert.equal(wrong.info, null);
});

test('a socket that is gone reads as null; a missing ss is reported as such', async () => {
  const gone = await readTcpInfo('ss', { state: 'ESTABLISHED', local: { address: '127.0.0.1', port: 1 }, remote: { address: '127.0.0.1', port: 2 } });
  assert.equal(gone.info, null);
  await assert.rejects(readTcpInfo('/nonexistent/ss', { state: 'LISTEN', local: { address: '127.0.0.1', port: 1 }, remote: { address: '0.0.0.0', port: 0 } }), (e: unknown) => e instanceof SsError && e.code === 'missing');
});
