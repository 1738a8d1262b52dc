// CPU and wall time per call of every cheap "did the TCP table change?" probe, next to the full read it would
// save. Plain Node, no build needed:
//   node bench/probes/probeCost.mjs [--runs 5] [--quick]
// Each probe is timed over R runs of N calls (after a warm-up); a run's figure is (user+system CPU of this
// process) / N from process.cpuUsage(), and wall time / N from performance.now(). The table prints the range
// (min-max) and median over the runs. Spawned programs (`ss`) are charged their own CPU too: the growth of
// cutime+cstime in /proc/self/stat (clock ticks of 10 ms, so their loop runs for at least ~1 s of child CPU).
// The machine is shared and noisy: compare CPU, not wall, and re-run the script to see run-to-run spread.
import { closeSync, fstatSync, openSync, readdirSync, readFileSync, readlinkSync, readSync, statSync } from 'node:fs';
import { spawn, spawnSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { createServer, connect } from 'node:net';

const argv = process.argv.slice(2);
const RUNS = Number(argv[argv.indexOf('--runs') + 1]) || 5;
const QUICK = argv.includes('--quick');
const CLK_TCK = 100; // USER_HZ: `getconf CLK_TCK` on every Linux userland

function childTicks() {
  const s = readFileSync('/proc/self/stat', 'latin1');
  const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
  return Number(f[13]) + Number(f[14]); // cutime, cstime (fields 16, 17 of proc(5))
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const fmt = (us) => (us >= 100 ? us.toFixed(0) : us >= 10 ? us.toFixed(1) : us.toFixed(2));
const rows = [];

/** Times fn over RUNS runs of n calls; records CPU µs/call (this process + reaped children) and wall µs/call. */
function measure(name, n, fn, note = '') {
  for (let i = 0; i < Math.min(n, 50); i++) fn(); // warm-up: JIT, page cache, dentries
  const cpu = [];
  const wall = [];
  for (let r = 0; r < RUNS; r++) {
    const t0 = childTicks();
    const c0 = process.cpuUsage();
    const w0 = performance.now();
    for (let i = 0; i < n; i++) fn();
    const w = performance.now() - w0;
    const c = process.cpuUsage(c0);
    const kids = ((childTicks() - t0) / CLK_TCK) * 1e6;
    cpu.push((c.user + c.system + kids) / n);
    wall.push((w * 1000) / n);
  }
  const row = { name, n, cpuMin: Math.min(...cpu), cpuMed: median(cpu), cpuMax: Math.max(...cpu), wallMed: median(wall), note };
  rows.push(row);
  console.log(`${name.padEnd(58)} CPU ${fmt(row.cpuMin)}-${fmt(row.cpuMax)} µs (median ${fmt(row.cpuMed)}), wall median ${fmt(row.wallMed)} µs  [${RUNS}x${n}]${note ? '  ' + note : ''}`);
  return row;
}

const buf = Buffer.allocUnsafe(64 * 1024);
/**
 * A kept fd re-read from offset 0 with pread(2) (fs.readSync with a position): no open/close per probe. One pread
 * returns the whole text of a single_open seq_file (sockstat, snmp, netstat); toEof adds the pread at the end
 * offset that a read-until-0 loop makes, which has the kernel generate the text again (fs/seq_file.c traverse).
 */
function keptReader(path, toEof = false) {
  const fd = openSync(path, 'r');
  return {
    fd,
    read() {
      let n = 0;
      for (;;) {
        const k = readSync(fd, buf, n, buf.length - n, n);
        n += k;
        if (k === 0 || (!toEof && n < buf.length)) return n;
      }
    },
  };
}

// --- 1. Does a pread at offset 0 of a kept /proc seq_file fd see fresh content? (fs/seq_file.c seq_read_iter
// resets its iterator when the read position is 0.) Checked by opening a listener between two reads.
{
  const r = keptReader('/proc/net/sockstat');
  const inuse = () => {
    const n = r.read();
    return Number(/TCP: inuse (\d+)/.exec(buf.toString('latin1', 0, n))[1]);
  };
  const before = inuse();
  const srv = createServer();
  await new Promise((res) => srv.listen(0, '127.0.0.1', res));
  const afterListen = inuse();
  await new Promise((res) => srv.close(res));
  const afterClose = inuse();
  console.log(`pread(fd, 0) of a kept /proc/net/sockstat fd: TCP inuse ${before} -> listen() -> ${afterListen} -> close() -> ${afterClose} (fresh on every pread at 0: ${afterListen !== before && afterClose !== afterListen ? 'yes' : 'NOT SEEN (other sockets moved too? re-run)'})`);
  closeSync(r.fd);
}

// --- 2. The namespace-wide counter files, readFileSync (open+read+close) vs kept fd + pread.
const N = QUICK ? 2000 : 20000;
for (const path of ['/proc/net/sockstat', '/proc/net/sockstat6', '/proc/net/snmp', '/proc/net/netstat']) {
  const size = readFileSync(path).length;
  measure(`readFileSync ${path} (${size} B)`, N, () => readFileSync(path));
  const k = keptReader(path);
  measure(`kept fd + one pread ${path}`, N, () => k.read());
  closeSync(k.fd);
  const e = keptReader(path, true);
  measure(`kept fd + pread until 0 (2 preads) ${path}`, N, () => e.read());
  closeSync(e.fd);
}
{
  const ks = ['/proc/net/sockstat', '/proc/net/sockstat6', '/proc/net/snmp'].map(keptReader);
  measure('probe set: one pread each of sockstat + sockstat6 + snmp', N, () => {
    for (const k of ks) k.read();
  });
  const kn = keptReader('/proc/net/netstat');
  measure('probe set + netstat (TcpExt)', N, () => {
    for (const k of ks) k.read();
    kn.read();
  });
  for (const k of [...ks, kn]) closeSync(k.fd);
}

// --- 3. The full read the probes are meant to save: the whole /proc/net/tcp + tcp6 (kernel walks every
// bucket of the established hash, tcp_seq_next / established_get_next in net/ipv4/tcp_ipv4.c).
{
  const k4 = keptReader('/proc/net/tcp', true);
  const k6 = keptReader('/proc/net/tcp6', true);
  measure('full read /proc/net/tcp + tcp6 (kept fds, 64 KiB reads)', QUICK ? 30 : 200, () => {
    k4.read();
    k6.read();
  }, `(${readFileSync('/proc/net/tcp', 'latin1').split('\n').length - 2} + ${readFileSync('/proc/net/tcp6', 'latin1').split('\n').length - 2} rows)`);
  closeSync(k4.fd);
  closeSync(k6.fd);
}

// --- 4. Per-process fd probes on a child holding F descriptors (half unbound TCP sockets, half /dev/null).
async function holder(fds) {
  const py = `
import os, socket, sys
want = int(sys.argv[1])
keep = []
while len(os.listdir('/proc/self/fd')) - 1 < want:
    keep.append(socket.socket() if len(keep) % 2 == 0 else open('/dev/null'))
print(os.getpid(), flush=True)
sys.stdin.read()
`;
  const child = spawn('python3', ['-c', py, String(fds)], { stdio: ['pipe', 'pipe', 'inherit'] });
  const pid = await new Promise((res) => child.stdout.once('data', (d) => res(Number(String(d).trim()))));
  return { child, pid };
}
for (const F of [20, 200]) {
  const { child, pid } = await holder(F);
  const dir = `/proc/${pid}/fd`;
  const count = readdirSync(dir).length;
  const n = QUICK ? 500 : F === 20 ? 5000 : 1000;
  measure(`pid with ${count} fds: readdirSync(fd).length`, n, () => readdirSync(dir).length);
  measure(`pid with ${count} fds: readdir + readlink each (socket inodes)`, n, () => {
    let sig = 0;
    for (const name of readdirSync(dir)) {
      let t;
      try {
        t = readlinkSync(`${dir}/${name}`);
      } catch {
        continue; // closed between readdir and readlink
      }
      if (t.startsWith('socket:[')) sig = (sig * 31 + Number(t.slice(8, -1))) >>> 0;
    }
    return sig;
  });
  measure(`pid with ${count} fds: readdirSync(fdinfo).length`, n, () => readdirSync(`/proc/${pid}/fdinfo`).length);
  measure(`pid with ${count} fds: statSync(fd).size (= fd count, Linux >= 6.2)`, n * 5, () => statSync(dir).size);
  const dfd = openSync(dir, 'r');
  measure(`pid with ${count} fds: fstatSync(kept dir fd).size`, n * 5, () => fstatSync(dfd).size);
  const s0 = fstatSync(dfd).size;
  const st0 = statSync(dir).size;
  console.log(`  ${dir}: stat size ${st0}, readdir count ${count}, kept-fd fstat size ${s0}`);
  closeSync(dfd);
  child.kill('SIGKILL');
}
{
  // Freshness of st_size (a kept dir fd and a fresh stat) on our own fd table, which we can change at will.
  const dfd = openSync('/proc/self/fd', 'r');
  const a = fstatSync(dfd).size;
  const extra = openSync('/dev/null', 'r');
  const b = fstatSync(dfd).size;
  const bStat = statSync('/proc/self/fd').size;
  closeSync(extra);
  const c = fstatSync(dfd).size;
  console.log(`/proc/self/fd st_size: ${a} -> open() -> kept fd ${b}, fresh stat ${bStat} -> close() -> ${c}; readdir count now ${readdirSync('/proc/self/fd').length} (readdir opens one fd of its own)`);
  closeSync(dfd);
}

// --- 5. LISTEN-only detection through netlink: spawn `ss -tlnH` (NETLINK_SOCK_DIAG, state filter in the
// request, so the kernel dumps the listening hash only). Parent CPU (spawnSync) + the reaped child's CPU.
{
  const ssN = QUICK ? 30 : 300;
  measure('spawnSync ss -tlnH (parent + child CPU)', ssN, () => spawnSync('ss', ['-tlnH'], { encoding: 'latin1' }));
  measure('spawnSync ss -tnH state close-wait (parent + child CPU)', ssN, () => spawnSync('ss', ['-tnH', 'state', 'close-wait'], { encoding: 'latin1' }));
  measure('spawnSync /bin/true (the spawn floor)', ssN, () => spawnSync('/bin/true'));
}

// Keeps a loopback connection around so the table is not empty of ESTABLISHED rows (no effect on the probes).
const srv = createServer((s) => s.resume());
await new Promise((res) => srv.listen(0, '127.0.0.1', res));
const c = connect(srv.address().port, '127.0.0.1');
await new Promise((res) => c.once('connect', res));
c.destroy();
srv.close();

console.log(`\nLinux ${readFileSync('/proc/sys/kernel/osrelease', 'latin1').trim()}, Node ${process.version}, load ${readFileSync('/proc/loadavg', 'latin1').split(' ').slice(0, 3).join(' ')}`);
