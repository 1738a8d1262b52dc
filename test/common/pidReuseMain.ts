// Run as pid 1 of a private pid namespace (`unshare -pf --mount-proc node pidReuseMain.js`) by
// test/kernel/processGuard.test.ts: picks a process, lets it exit, makes the kernel hand its pid to a new process
// (ns_last_pid), then does what the stop command does before signalling. Prints one JSON line.
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { checkIdentity, pickIdentity, type GuardVerdict } from '../../src/domain/processGuard';
import { readProcessIdentity } from '../../src/sampling/processes';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const exited = (c: ChildProcess) => new Promise<void>((r) => (c.exitCode !== null || c.signalCode !== null ? r() : c.once('exit', () => r())));

async function main(): Promise<void> {
  const a = spawn('sleep', ['100'], { stdio: 'ignore' });
  const pid = a.pid as number;
  // The user picks the row: the identity is recorded (the model's start time, here read fresh).
  const first = await readProcessIdentity(pid);
  const picked = pickIdentity(pid, first?.startTime, first);
  a.kill('SIGKILL');
  await exited(a);
  const afterExit: GuardVerdict = checkIdentity(picked.identity, await readProcessIdentity(pid));
  // Start times are in clock ticks (10 ms): let one pass so the new process cannot share it.
  await sleep(50);
  let b: ChildProcess | null = null;
  for (let i = 0; i < 5 && b?.pid !== pid; i++) {
    if (b) {
      b.kill('SIGKILL');
      await exited(b);
    }
    writeFileSync('/proc/sys/kernel/ns_last_pid', String(pid - 1));
    b = spawn('sleep', ['100'], { stdio: 'ignore' });
  }
  const child = b as ChildProcess;
  // What the stop command does once the dialog is confirmed: check again, signal only when it is the same process.
  const verdict = checkIdentity(picked.identity, await readProcessIdentity(pid));
  let signalled = false;
  if (verdict.kind === 'ok') {
    process.kill(pid, 'SIGTERM');
    signalled = true;
  }
  await sleep(100);
  const bAlive = child.exitCode === null && child.signalCode === null;
  // And a process that did not change passes.
  const c = spawn('sleep', ['100'], { stdio: 'ignore' });
  const cFirst = await readProcessIdentity(c.pid as number);
  const same = checkIdentity(pickIdentity(c.pid as number, cFirst?.startTime, cFirst).identity, await readProcessIdentity(c.pid as number));
  process.stdout.write(`${JSON.stringify({ pid, reusedBy: child.pid, initial: picked.verdict, afterExit, verdict, signalled, bAlive, same })}\n`);
  child.kill('SIGKILL');
  c.kill('SIGKILL');
}

void main().then(
  () => process.exit(0),
  (e: unknown) => {
    process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  },
);
