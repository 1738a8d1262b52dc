// A child process of the benchmark that holds ESTABLISHED loopback connections: it listens on one address and
// connects to itself, so each pair is two sockets (client and accepted server) owned by this pid.
//   node out/bench/socketFarm.js <listen address> <port, 0 for any>
// stdin: `grow K` -> holds K pairs, then prints `ok K` (or `error <message>`);
//        `churn K` -> closes the K oldest pairs (client side first, so the client end goes to TIME-WAIT) and opens
//        K new ones, then prints `ok <pairs>`. Exits when stdin closes.
// One listener per child: connect() may reuse a local port for a different destination (the kernel checks the
// whole 4-tuple, net/ipv4/inet_hashtables.c __inet_hash_connect), so each child's listener address gets the
// full ephemeral range (net.ipv4.ip_local_port_range, 28232 ports by default) to itself.
import * as net from 'node:net';
import { createInterface } from 'node:readline';

const [host, portText] = process.argv.slice(2);
let port = Number(portText);
/** Client sockets in the order they connected (churn closes the oldest). */
const clientSockets: net.Socket[] = [];
let accepted = 0;
let clients = 0;

function hold(s: net.Socket): void {
  // Nothing is ever sent: the sockets only have to exist. An error (none expected) must not kill the farm.
  s.on('error', () => undefined);
  s.pause();
}

// Accepted ends keep reading (nothing ever arrives but a churned client's FIN); with allowHalfOpen off, Node answers
// that FIN with its own, so the server end closes through LAST-ACK and the client end ends in TIME-WAIT.
const server = net.createServer((s) => {
  accepted++;
  s.on('error', () => undefined);
});
// The accept queue is capped by net.core.somaxconn (4096 by default); connects are batched well below it.
server.listen({ host, port, backlog: 4096 }, () => {
  port = (server.address() as net.AddressInfo).port;
  process.stdout.write(`listening ${port}\n`);
});
server.on('error', (e) => {
  process.stdout.write(`error ${e.message}\n`);
  process.exit(1);
});

function connectOne(): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host, port });
    s.once('connect', () => {
      clients++;
      hold(s);
      clientSockets.push(s);
      resolve();
    });
    s.once('error', reject);
  });
}

async function grow(target: number): Promise<void> {
  const batch = 512;
  while (clients < target) {
    const n = Math.min(batch, target - clients);
    await Promise.all(Array.from({ length: n }, connectOne));
  }
  // Both ends exist once the accept callbacks have run for every client.
  while (accepted < clients) await new Promise((r) => setTimeout(r, 5));
}

async function churn(k: number): Promise<void> {
  const gone = clientSockets.splice(0, Math.min(k, clientSockets.length));
  clients -= gone.length;
  accepted -= gone.length;
  for (const s of gone) s.destroy();
  await grow(clients + gone.length);
}

let queue = Promise.resolve();
createInterface({ input: process.stdin })
  .on('line', (line) => {
    const [cmd, arg] = line.trim().split(/\s+/);
    const job = cmd === 'grow' ? () => grow(Number(arg)) : cmd === 'churn' ? () => churn(Number(arg)) : null;
    if (job === null) return;
    queue = queue.then(() =>
      job().then(
        () => void process.stdout.write(`ok ${clients}\n`),
        (e: Error) => void process.stdout.write(`error ${e.message}\n`),
      ),
    );
  })
  .on('close', () => process.exit(0));
