// Demo server for the TCP State Viewer demo workspace: a line protocol over TCP on 127.0.0.1:8080
// (DEMO_PORT overrides). Each command makes one side of a connection close in a different order:
//   PING  -> PONG, and the connection stays open (the client decides when to close)
//   BYE   -> the server closes first: this side goes through FIN-WAIT-1/2 into TIME-WAIT
//   LEAK  -> after the client's FIN the server "forgets" to close for DEMO_LEAK_MS (default 20 s), the classic
//            bug where a handler ignores 'end': this side sits in CLOSE-WAIT, the client's in FIN-WAIT-2
import net from 'node:net';

const HOST = process.env.DEMO_HOST || '127.0.0.1';
const PORT = Number(process.env.DEMO_PORT || 8080);
const LEAK_MS = Number(process.env.DEMO_LEAK_MS || 20_000);

let open = 0;
// allowHalfOpen: Node would otherwise answer the peer's FIN with its own at once, and CLOSE-WAIT would last
// microseconds; with it, this side closes only when the code says so (RFC 9293 section 3.6, "half-closed").
const server = net.createServer({ allowHalfOpen: true }, (socket) => {
  open++;
  let leak = false;
  let buffered = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk) => {
    buffered += chunk;
    let nl;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, nl).trim();
      buffered = buffered.slice(nl + 1);
      if (line === 'PING') socket.write('PONG\n');
      else if (line === 'BYE') socket.end('BYE\n');
      else if (line === 'LEAK') {
        leak = true;
        socket.write('OK\n');
      } else socket.write(`ERR unknown command ${JSON.stringify(line)}\n`);
    }
  });
  socket.on('end', () => {
    if (leak) setTimeout(() => socket.end(), LEAK_MS);
    else socket.end();
  });
  socket.on('error', () => undefined); // a reset peer is part of the demo, not a crash
  socket.on('close', () => open--);
});

server.listen(PORT, HOST, () => {
  console.log(`demo server listening on ${HOST}:${PORT} (pid ${process.pid})`);
});
setInterval(() => console.log(`demo server: ${open} connection(s) open`), 10_000).unref();

for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(0));
