// The CPU floor of an idle Node process that wakes on a timer: what a probe loop costs before it reads anything,
// and with the probe reads. Plain Node, no build needed:
//   node bench/probes/idleFloor.mjs [--seconds 20] [--warmup 10]
// Every variant is its own `node` process, all started together (so a noisy neighbour hits them alike); each
// waits --warmup seconds (start-up, JIT, V8's start-up GCs: with 2 s the 4 Hz no-op figure came out 5x higher),
// then reports over the next --seconds both process.cpuUsage() (getrusage, all threads) and the scheduler's own
// run time (the first field of /proc/self/task/*/schedstat, ns; the kernel here has tick-based accounting,
// CONFIG_TICK_CPU_ACCOUNTING, and getrusage is scaled to the same total, so the two should agree).
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';

const argv = process.argv.slice(2);
const SECONDS = Number(argv[argv.indexOf('--seconds') + 1]) || 20;
const WARMUP = Number(argv[argv.indexOf('--warmup') + 1]) || 10;

// The probe body: the three kept fds of the probe set re-read at offset 0 (see probeCost.mjs).
const PROBE = `
const fs = require('fs');
const fds = ['/proc/net/sockstat', '/proc/net/sockstat6', '/proc/net/snmp'].map((p) => fs.openSync(p, 'r'));
const buf = Buffer.allocUnsafe(8192);
let sink = 0;
const probe = () => { for (const fd of fds) sink += fs.readSync(fd, buf, 0, buf.length, 0); };
`;
const FULL = `
const fs = require('fs');
const fds = ['/proc/net/tcp', '/proc/net/tcp6'].map((p) => fs.openSync(p, 'r'));
const buf = Buffer.allocUnsafe(1 << 20);
let sink = 0;
const full = () => { for (const fd of fds) { let n = 0, k; while ((k = fs.readSync(fd, buf, n, buf.length - n, n)) > 0) n += k; sink += n; } };
`;
const MEASURE = (body) => `
${body}
const schedNs = () => require('fs').readdirSync('/proc/self/task').reduce((a, t) => a + Number(require('fs').readFileSync('/proc/self/task/' + t + '/schedstat', 'latin1').split(' ')[0]), 0);
setTimeout(() => {
  const c0 = process.cpuUsage();
  const s0 = schedNs();
  setTimeout(() => {
    const c = process.cpuUsage(c0);
    const s = schedNs() - s0;
    process.stdout.write(JSON.stringify({ usPerS: (c.user + c.system) / ${SECONDS}, schedUsPerS: s / 1000 / ${SECONDS} }) + '\\n');
    process.exit(0);
  }, ${SECONDS * 1000});
}, ${WARMUP * 1000});
`;

const variants = {
  'no timer (an open handle only)': MEASURE('setInterval(() => {}, 3600e3);'),
  'no-op timer 4 Hz': MEASURE('setInterval(() => {}, 250);'),
  'no-op timer 10 Hz': MEASURE('setInterval(() => {}, 100);'),
  'probe set (3 preads) 4 Hz': MEASURE(`${PROBE} setInterval(probe, 250);`),
  'probe set (3 preads) 10 Hz': MEASURE(`${PROBE} setInterval(probe, 100);`),
  'worker thread: probe set 4 Hz, main idle': MEASURE(`
const { Worker } = require('worker_threads');
new Worker(${JSON.stringify(PROBE)} + 'setInterval(probe, 250);', { eval: true });
`),
  'full read /proc/net/tcp{,6} 1 Hz (no parse)': MEASURE(`${FULL} setInterval(full, 1000);`),
};

const results = await Promise.all(
  Object.entries(variants).map(
    ([name, code]) =>
      new Promise((resolve) => {
        const child = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
        let out = '';
        child.stdout.on('data', (d) => (out += d));
        child.on('close', () => resolve({ name, ...JSON.parse(out.trim() || '{"usPerS":null,"schedUsPerS":null}') }));
      }),
  ),
);
for (const r of results) console.log(`${r.name.padEnd(46)} ${(r.usPerS / 1000).toFixed(3)} ms CPU per second (getrusage), ${(r.schedUsPerS / 1000).toFixed(3)} (schedstat)`);
console.log(`(${SECONDS} s each after ${WARMUP} s, all concurrently; Node ${process.version}; load ${readFileSync('/proc/loadavg', 'latin1').split(' ').slice(0, 3).join(' ')})`);
