// A workload for bench/live.ts, run inside its network namespace: for SECONDS, a new loopback connection every
// 100-300 ms, each living 50 ms to 5 s (log-uniform), closed first by the client or by the server (half each).
//   node out/bench/liveWorkload.js <seconds>
import { createConnection, createServer, type Socket } from 'node:net';

const seconds = Number(process.argv[2] ?? 30);
const PORT = 7400;

function lifetimeMs(): number {
  return Math.round(Math.exp(Math.log(50) + Math.random() * (Math.log(5000) - Math.log(50))));
}

const server = createServer((s: Socket) => {
  // The client says how long and who closes: "<ms> <server|client>\n".
  s.once('data', (d) => {
    const [ms, who] = d.toString().trim().split(' ');
    if (who === 'server') setTimeout(() => s.end(), Number(ms));
  });
  s.on('end', () => s.end());
  s.on('error', () => undefined);
});

server.listen(PORT, '127.0.0.1', () => {
  const until = Date.now() + seconds * 1000;
  const next = (): void => {
    if (Date.now() >= until) {
      setTimeout(() => server.close(), 6000);
      return;
    }
    const ms = lifetimeMs();
    const who = Math.random() < 0.5 ? 'server' : 'client';
    const c = createConnection({ host: '127.0.0.1', port: PORT }, () => {
      c.write(`${ms} ${who}\n`);
      if (who === 'client') setTimeout(() => c.end(), ms);
    });
    c.on('end', () => c.end());
    c.on('error', () => undefined);
    setTimeout(next, 100 + Math.random() * 200);
  };
  next();
});
