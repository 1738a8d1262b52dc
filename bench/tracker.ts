// What ConnectionTracker.update() costs per sample at 10k and 50k rows (target: at most 1 µs per unchanged row).
//
// Each sample is built afresh, as the sampler builds it: new record objects and new address strings every time
// (a parser never hands out the same strings twice), so the tracker's lookups pay for hashing and comparing
// strings they have not seen. Building the sample is not timed. Three cases per size:
//   - steady: every row unchanged (the usual second-by-second case);
//   - churn 1%: 1% of the connections changed state (ESTABLISHED -> TIME-WAIT, with the inode going to 0),
//     0.5% closed and 0.5% opened;
//   - first: the first sample, every row a new connection.
// Prints time per sample (median of the repeats) and, for steady, per unchanged row: CPU time of this process
// (process.cpuUsage, so a machine busy with other work does not inflate it; GC threads count), and wall time.
// Asserts nothing about time.
//   node out/bench/tracker.js [--sizes 10000,50000] [--repeats 30]
import { performance } from 'node:perf_hooks';
import { ConnectionTracker } from '../src/domain/tracker';
import type { SocketRecord, TcpState } from '../src/domain/types';

const args = process.argv.slice(2);
function argValue(name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}
const SIZES = (argValue('--sizes') ?? '10000,50000').split(',').map(Number);
const REPEATS = Number(argValue('--repeats') ?? 30);

interface Row {
  /** Index into the address pool for the remote side. */
  remote: number;
  localPort: number;
  remotePort: number;
  inode: number;
  state: TcpState;
}

/**
 * A machine's table: 8 listeners, then connections to and from a handful of addresses, client ports from the
 * ephemeral range, servers on a few well-known ports: the shapes that share port pairs and addresses.
 */
function makeRows(size: number): Row[] {
  const rows: Row[] = [];
  for (let i = 0; i < 8; i++) rows.push({ remote: -1, localPort: 8000 + i, remotePort: 0, inode: 1000 + i, state: 'LISTEN' });
  let inode = 100_000;
  for (let i = rows.length; i < size; i++) {
    const server = i % 3 === 0;
    rows.push({
      remote: i % 50,
      localPort: server ? 8000 + (i % 8) : 32768 + (i % 28000),
      remotePort: server ? 32768 + ((i * 7) % 28000) : [443, 80, 5432, 6379][i % 4] as number,
      inode: inode++,
      state: 'ESTABLISHED',
    });
  }
  return rows;
}

/** The records the sampler would produce for these rows, all freshly allocated. */
function sampleOf(rows: readonly Row[]): SocketRecord[] {
  const out: SocketRecord[] = new Array<SocketRecord>(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i] as Row;
    const listening = r.state === 'LISTEN';
    out[i] = {
      state: r.state,
      family: 'ipv4',
      local: { address: listening ? '0.0.0.0' : `10.0.0.${1 + (i % 2)}`, port: r.localPort },
      remote: { address: listening ? '0.0.0.0' : `10.1.${r.remote >> 8}.${r.remote & 255}`, port: r.remotePort },
      inode: r.inode,
      uid: 1000,
      recvQ: 0,
      sendQ: listening ? 128 : 0,
      timer: r.state === 'TIME-WAIT' ? { kind: 'timewait', remainingMs: 59_000, retransmits: 0 } : null,
      owners: r.inode === 0 ? [] : [{ pid: 4000 + (i % 16), command: 'server' }],
    };
  }
  return out;
}

/** CPU ms of this process so far. */
function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

interface Timing {
  wall: number[];
  cpu: number[];
}

function timed<T>(into: Timing, f: () => T): T {
  const c0 = cpuMs();
  const t0 = performance.now();
  const result = f();
  into.wall.push(performance.now() - t0);
  into.cpu.push(cpuMs() - c0);
  return result;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}

function churn(rows: Row[], round: number, nextInode: { v: number }): void {
  const n = rows.length;
  const k = Math.max(1, Math.floor(n / 100));
  for (let j = 0; j < k; j++) {
    const i = 8 + ((round * 7919 + j * 104729) % (n - 8));
    const r = rows[i] as Row;
    if (j % 2 === 0 && r.state === 'ESTABLISHED') {
      r.state = 'TIME-WAIT';
      r.inode = 0;
    } else {
      // Closed, and a new connection on a new port pair takes its place in the table.
      r.state = 'ESTABLISHED';
      r.inode = nextInode.v++;
      r.localPort = 32768 + ((r.localPort + 1) % 28000);
    }
  }
}

function bench(size: number): void {
  const rows = makeRows(size);
  const tracker = new ConnectionTracker();
  const first: Timing = { wall: [], cpu: [] };
  const firstSockets = sampleOf(rows);
  timed(first, () => tracker.update({ takenAt: 0, sockets: firstSockets }));

  let at = 1000;
  const steady: Timing = { wall: [], cpu: [] };
  for (let i = 0; i < REPEATS; i++) {
    const sockets = sampleOf(rows);
    const events = timed(steady, () => tracker.update({ takenAt: (at += 1000), sockets }));
    if (events.length !== 0) throw new Error(`an unchanged sample produced ${events.length} events`);
  }

  const churned: Timing = { wall: [], cpu: [] };
  const nextInode = { v: 10_000_000 };
  let changedEvents = 0;
  for (let i = 0; i < REPEATS; i++) {
    churn(rows, i, nextInode);
    const sockets = sampleOf(rows);
    changedEvents += timed(churned, () => tracker.update({ takenAt: (at += 1000), sockets })).length;
  }

  const ms = (xs: number[]) => median(xs).toFixed(2).padStart(7);
  const perRow = (xs: number[]) => ((median(xs) * 1000) / size).toFixed(3);
  console.log(
    `${String(size).padStart(6)} rows | steady: cpu ${ms(steady.cpu)} ms, ${perRow(steady.cpu)} µs/unchanged row; ` +
      `wall ${ms(steady.wall)} ms, ${perRow(steady.wall)} µs/row | churn 1% (${Math.round(changedEvents / REPEATS)} events): ` +
      `cpu ${ms(churned.cpu)} ms, wall ${ms(churned.wall)} ms | first sample: cpu ${ms(first.cpu)} ms`,
  );
}

console.log(`ConnectionTracker.update(), median of ${REPEATS} samples per case (node ${process.version})`);
// A warm-up run so the JIT has compiled the tracker before anything is measured.
bench(2000);
for (const size of SIZES) bench(size);
