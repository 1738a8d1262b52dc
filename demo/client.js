// Demo client for the TCP State Viewer demo workspace: keeps a few connections to the demo server open and,
// in a loop, opens short connections that end in each way the server's commands allow (see server.js):
//   keep-alive  3 connections that stay ESTABLISHED and PING every few seconds
//   client-close  PING, then the client closes first: TIME-WAIT on the client's side
//   server-close  BYE: the server closes first, TIME-WAIT on the server's side
//   leak          LEAK, then the client closes: CLOSE-WAIT on the server, FIN-WAIT-2 here, for ~20 s
import net from 'node:net';

const HOST = process.env.DEMO_HOST || '127.0.0.1';
const PORT = Number(process.env.DEMO_PORT || 8080);
const KEEP_OPEN = 3;
const MAX_LEAKED = 3;
const INTERVAL_MS = 1500;

const counts = { 'client-close': 0, 'server-close': 0, leak: 0, refused: 0 };
let leaked = 0;

/** One connection that sends `command`, waits for the first reply line, then lets `after` decide. */
function exchange(command, after) {
  return new Promise((resolve) => {
    const socket = net.connect({ host: HOST, port: PORT, allowHalfOpen: true });
    let replied = false;
    socket.setEncoding('utf8');
    socket.on('connect', () => socket.write(`${command}\n`));
    socket.on('data', () => {
      if (replied) return;
      replied = true;
      after(socket);
    });
    // The server's FIN: answer with ours (unless we already sent it).
    socket.on('end', () => socket.end());
    socket.on('error', (e) => {
      if (e.code === 'ECONNREFUSED') counts.refused++;
    });
    socket.on('close', resolve);
  });
}

const keepers = new Set();
function keepOpen() {
  while (keepers.size < KEEP_OPEN) {
    const socket = net.connect({ host: HOST, port: PORT });
    keepers.add(socket);
    const timer = setInterval(() => socket.writable && socket.write('PING\n'), 3000);
    socket.on('data', () => undefined);
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearInterval(timer);
      keepers.delete(socket);
    });
  }
}

function tick() {
  keepOpen();
  const r = Math.random();
  if (r < 0.45) {
    counts['client-close']++;
    exchange('PING', (s) => s.end());
  } else if (r < 0.85 || leaked >= MAX_LEAKED) {
    counts['server-close']++;
    exchange('BYE', () => undefined);
  } else {
    counts.leak++;
    leaked++;
    exchange('LEAK', (s) => s.end()).then(() => leaked--);
  }
}

console.log(`demo client -> ${HOST}:${PORT} (pid ${process.pid})`);
setInterval(tick, INTERVAL_MS);
setInterval(() => console.log(`demo client: ${JSON.stringify(counts)}, ${keepers.size} kept open, ${leaked} in CLOSE-WAIT on the server`), 10_000);
tick();

for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(0));
