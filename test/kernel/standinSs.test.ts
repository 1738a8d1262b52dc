// Stand-in `ss` programs (shell scripts in a temp folder) that hang, ignore SIGTERM, fork children that hang, print
// garbage, fail, or die mid-output: the sampler, the worker host and the CLI must fail cleanly, recover, and leave
// no process behind. Every stand-in process carries TSV_STANDIN=<token> in its environment (each script first
// re-executes itself with it, and its children inherit it), so the leftovers are counted from /proc/*/environ.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { SamplerError, SocketSampler } from '../../src/sampling/socketSampler';
import { SamplerPipeline } from '../../src/sampling/samplerWorker';
import { SamplerHost } from '../../src/sampling/samplerHost';
import type { SampleError, WorkerSettings } from '../../src/sampling/workerProtocol';

const token = randomBytes(6).toString('hex');
const marker = `TSV_STANDIN=${token}`;
let dir = '';
let cli = '';
const workerPath = join(__dirname, '..', '..', '..', 'dist', 'samplerWorker.js');
const builtCli = join(__dirname, '..', '..', '..', 'dist', 'cli.js');

const ROW = 'ESTAB 0 0 127.0.0.1:5001 127.0.0.1:5002 ino:77 sk:1 cgroup:/ <->';
const SCRIPTS: Record<string, string> = {
  hang: 'exec sleep 1000',
  'hang-ignoring-sigterm': "trap '' TERM\nwhile :; do sleep 1; done",
  'hang-with-children': 'sleep 1000 &\nsleep 1000 &\n(trap "" TERM; sleep 1000) &\nwait',
  garbage: 'head -c 5000000 /dev/urandom',
  'exit-non-zero': 'echo "Cannot open netlink socket: Operation not permitted" >&2\nexit 3',
  'killed-mid-output': `printf '%s\\n' '${ROW}'\nkill -9 $$`,
  // Good rows twice, then garbage once, then good rows again (a counter file beside the script).
  flaky: `n=$(cat "$0.count" 2>/dev/null || echo 0); echo $((n + 1)) > "$0.count"\nif [ "$n" = 2 ]; then head -c 100000 /dev/urandom; else printf '%s\\n' '${ROW}'; fi`,
};

const ss = (name: string): string => join(dir, name);

/** Pids of live stand-in processes (and their children), found by the marker in their environment. */
function leftovers(): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      const env = readFileSync(`/proc/${name}/environ`, 'latin1');
      const stat = readFileSync(`/proc/${name}/stat`, 'latin1');
      if (env.split('\0').includes(marker) && stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z') out.push(Number(name));
    } catch {
      // exited meanwhile, or a kernel thread
    }
  }
  return out;
}

async function until(what: string, check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Leftovers once `ms` passed (a killed group's members are reaped by init a moment after the signal). */
async function leftoversAfter(ms = 300): Promise<number[]> {
  const deadline = Date.now() + ms;
  let left = leftovers();
  while (left.length > 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 20));
    left = leftovers();
  }
  return left;
}

const figures: string[] = [];

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'tsv-standin-'));
  for (const [name, body] of Object.entries(SCRIPTS)) {
    writeFileSync(ss(name), `#!/bin/bash\n[ "$TSV_STANDIN" = ${token} ] || exec env TSV_STANDIN=${token} "$0" "$@"\n${body}\n`);
    chmodSync(ss(name), 0o755);
  }
  if (existsSync(builtCli)) {
    cli = join(dir, 'cli.js');
    copyFileSync(builtCli, cli);
  }
});

after(() => {
  for (const pid of leftovers()) process.kill(pid, 'SIGKILL');
  rmSync(dir, { recursive: true, force: true });
  if (figures.length > 0) console.log(`stand-in ss figures:\n  ${figures.join('\n  ')}`);
});

test('SocketSampler: each stand-in fails with its own code, in time, and leaves no process', async () => {
  const cases: [string, string, number][] = [
    ['hang', 'timeout', 300],
    ['hang-ignoring-sigterm', 'timeout', 300],
    ['hang-with-children', 'timeout', 300],
    ['garbage', 'unparsable', 5000],
    ['exit-non-zero', 'ss-failed', 5000],
    ['killed-mid-output', 'ss-failed', 5000],
  ];
  for (const [name, code, timeoutMs] of cases) {
    const sampler = new SocketSampler({ backend: 'ss', ssPath: ss(name), ssTimeoutMs: timeoutMs });
    const t0 = Date.now();
    await assert.rejects(sampler.sample({ scope: { mode: 'all' } }), (e: unknown) => {
      assert.ok(e instanceof SamplerError, String(e));
      assert.equal(e.code, code, `${name}: ${e.message}`);
      return true;
    });
    const ms = Date.now() - t0;
    const left = await leftoversAfter();
    figures.push(`sampler ${name}: failed (${code}) after ${ms} ms, ${left.length} processes left`);
    assert.deepEqual(left, [], `${name}: no process left`);
    // A timeout ends the group at once, or after the SIGTERM grace (500 ms) for what ignores SIGTERM.
    if (code === 'timeout') assert.ok(ms < timeoutMs + 1500, `${name}: ${ms} ms`);
  }
  // The exit status and ss's stderr say what went wrong.
  await assert.rejects(new SocketSampler({ backend: 'ss', ssPath: ss('exit-non-zero') }).sample({ scope: { mode: 'all' } }), /Cannot open netlink socket/);
});

test('the timeout grows with each timed-out run and resets after a good one', async () => {
  const sampler = new SocketSampler({ backend: 'ss', ssPath: ss('hang'), ssTimeoutMs: 100 });
  assert.equal(sampler.ssTimeoutNowMs, 100);
  await assert.rejects(sampler.sample({ scope: { mode: 'all' } }));
  assert.equal(sampler.ssTimeoutNowMs, 200);
  assert.deepEqual(await leftoversAfter(), []);
});

test('garbage from ss after good readings is an error, not an update that closes every connection; then it recovers', async () => {
  rmSync(`${ss('flaky')}.count`, { force: true });
  const pipeline = new SamplerPipeline();
  const settings: WorkerSettings = {
    backend: 'ss',
    ssPath: ss('flaky'),
    tracker: { closedRetentionMs: 10_000, maxClosed: 500 },
    insights: { closeWaitSeconds: 30, timeWaitPerEndpoint: 200, synSentSeconds: 5 },
  };
  pipeline.configure(settings);
  const answers = [];
  for (let seq = 1; seq <= 4; seq++) answers.push(await pipeline.sample(seq, { mode: 'all' }, false));
  assert.deepEqual(
    answers.map((a) => (a.kind === 'failed' ? a.error.code : 'sampled')),
    ['sampled', 'sampled', 'unparsable', 'sampled'],
  );
  // Only the stand-in's row is looked at: the 'all' scope also reads other network namespaces of the machine (any
  // container or test namespace there), whose connections come and go on their own.
  const ours = (c: { netns?: string }): boolean => c.netns === undefined;
  const first = answers[0];
  assert.ok(first.kind === 'sampled' && first.update !== null);
  const standIn = first.update.changed.filter((c) => ours(c) && c.state === 'ESTABLISHED');
  assert.equal(standIn.length, 1, JSON.stringify(standIn));
  // After the bad reading the connection is still there, never closed.
  for (const a of answers.slice(1)) {
    if (a.kind !== 'sampled' || a.update === null) continue;
    assert.ok(!a.update.events.some((e) => e.kind === 'closed' && e.id === standIn[0].id), JSON.stringify(a.update.events));
    assert.ok(!a.update.changed.some((c) => c.id === standIn[0].id && c.state !== 'ESTABLISHED'), 'the stand-in\'s connection stays ESTABLISHED');
  }
});

test('SamplerHost: dispose during a hung ss leaves no process; so does the host dropping a worker that missed its deadline', async (t) => {
  for (const name of ['hang-ignoring-sigterm', 'hang-with-children']) {
    await t.test(`dispose, ${name}`, async () => {
      const failures: SampleError[] = [];
      const host = new SamplerHost({
        workerPath,
        settings: { backend: 'ss', ssPath: ss(name), tracker: { closedRetentionMs: 10_000, maxClosed: 500 }, insights: { closeWaitSeconds: 30, timeWaitPerEndpoint: 200, synSentSeconds: 5 } },
        intervalMs: 200,
        scope: () => ({ mode: 'all' }),
        onSampled: () => undefined,
        onFailed: (e) => failures.push(e),
      });
      host.setDemand('full');
      await until(`${name} running`, () => leftovers().length >= (name === 'hang-with-children' ? 4 : 2));
      const t0 = Date.now();
      await host.dispose();
      const ms = Date.now() - t0;
      const left = leftovers();
      figures.push(`host dispose ${name}: disposed in ${ms} ms, ${left.length} processes left`);
      assert.deepEqual(left, [], 'nothing left once dispose resolved');
    });
  }
  await t.test('deadline missed, hang-with-children', async () => {
    const failures: SampleError[] = [];
    const host = new SamplerHost({
      workerPath,
      settings: { backend: 'ss', ssPath: ss('hang-with-children'), tracker: { closedRetentionMs: 10_000, maxClosed: 500 }, insights: { closeWaitSeconds: 30, timeWaitPerEndpoint: 200, synSentSeconds: 5 } },
      intervalMs: 200,
      sampleTimeoutMs: 1000,
      scope: () => ({ mode: 'all' }),
      onSampled: () => undefined,
      onFailed: (e) => failures.push(e),
    });
    try {
      host.setDemand('full');
      const t0 = Date.now();
      await until('the deadline to pass', () => failures.length > 0);
      assert.equal(failures[0].code, 'timeout');
      const left = await leftoversAfter(1000);
      figures.push(`host deadline hang-with-children: failed after ${Date.now() - t0} ms, ${left.length} processes left`);
      assert.deepEqual(left, []);
    } finally {
      host.setDemand(null);
      await host.dispose();
    }
  });
});

/** Runs the CLI; resolves with its exit code, output and how long it ran. */
function runCli(args: string[], signalWhen?: { check: (elapsedMs: number) => boolean; signal: NodeJS.Signals }): Promise<{ code: number | null; stdout: string; stderr: string; ms: number; signalledAfterMs: number }> {
  return new Promise((resolve) => {
    const t0 = Date.now();
    let signalledAt = 0;
    const child = spawn(process.execPath, [cli, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    let poll: ReturnType<typeof setInterval> | undefined;
    if (signalWhen) {
      poll = setInterval(() => {
        if (signalWhen.check(Date.now() - t0)) {
          clearInterval(poll);
          signalledAt = Date.now();
          child.kill(signalWhen.signal);
        }
      }, 20);
    }
    child.on('close', (code) => {
      clearInterval(poll);
      const end = Date.now();
      resolve({ code, stdout, stderr, ms: end - t0, signalledAfterMs: signalledAt ? end - signalledAt : 0 });
    });
  });
}

test('CLI: SIGINT and SIGTERM end snapshot and watch at once, with 130/143, and their ss with them', { skip: !existsSync(builtCli) && 'dist/cli.js is not built' }, async () => {
  const cases: [string[], NodeJS.Signals, number, number][] = [
    [['snapshot', '--backend', 'ss', '--ss-path', ss('hang-with-children')], 'SIGINT', 130, 4],
    [['snapshot', '--backend', 'ss', '--ss-path', ss('hang-ignoring-sigterm')], 'SIGTERM', 143, 2],
    [['watch', '--backend', 'ss', '--ss-path', ss('hang-with-children')], 'SIGINT', 130, 4],
    [['watch', '--backend', 'ss', '--ss-path', ss('hang')], 'SIGTERM', 143, 1],
  ];
  for (const [args, signal, code, running] of cases) {
    const r = await runCli(args, { check: () => leftovers().length >= running, signal });
    const left = await leftoversAfter();
    figures.push(`cli ${args[0]} ${args[4].slice(dir.length + 1)} ${signal}: exit ${r.code} ${r.signalledAfterMs} ms after the signal, ${left.length} processes left`);
    assert.equal(r.code, code, `${args.join(' ')}: ${r.stderr}`);
    assert.ok(r.signalledAfterMs < 1000, `${args.join(' ')} ended ${r.signalledAfterMs} ms after ${signal}`);
    assert.deepEqual(left, [], `${args.join(' ')}: no process left`);
  }
});

test('CLI: a hung backend makes snapshot fail with a message after its timeout; watch reports failures and retries', { skip: !existsSync(builtCli) && 'dist/cli.js is not built' }, async () => {
  const snap = await runCli(['snapshot', '--backend', 'ss', '--ss-path', ss('hang-with-children')]);
  figures.push(`cli snapshot hang-with-children: exit ${snap.code} after ${snap.ms} ms, ${(await leftoversAfter()).length} processes left`);
  assert.equal(snap.code, 1);
  assert.match(snap.stderr, /ss did not finish within 5000 ms.*\(timeout\)/);
  assert.ok(snap.ms < 8000, `${snap.ms} ms`);
  assert.deepEqual(await leftoversAfter(), []);

  // watch keeps going over failures and says so on stderr, one line per failure, backing off (1 s, then 2 s).
  const watch = runCli(['watch', '--json', '--backend', 'ss', '--ss-path', ss('exit-non-zero')], { check: (ms) => ms > 3500, signal: 'SIGTERM' });
  const w = await watch;
  assert.equal(w.code, 143, w.stderr);
  const failures = w.stderr.split('\n').filter((l) => /^tcp-states: sample failed: .*Cannot open netlink socket.*\(ss-failed\); retrying in \d+ s$/.test(l));
  assert.ok(failures.length >= 2, w.stderr);
  assert.match(failures[0], /retrying in 1 s/);
  assert.match(failures[1], /retrying in 2 s/);
});
