import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { CPU_BUDGET, HARD_MAX_INTERVAL_MS, MAX_CPU_SHARE, MAX_INTERVAL_MS, initialBackoff, intervalCapMs, nextBackoff, rebaseBackoff, ReadBudget } from '../../../src/domain/backoff';
import type { BackoffState } from '../../../src/domain/backoff';

const base = { baseMs: 1000 };

/** A loop past its first (cold-cache) sample, which only seeds the cost estimate. */
function warm(baseMs: number, firstCostMs = 0): BackoffState {
  return nextBackoff(initialBackoff(baseMs), firstCostMs, { baseMs });
}

function run(costs: number[], baseMs = 1000): BackoffState[] {
  const states: BackoffState[] = [];
  let s = warm(baseMs);
  for (const c of costs) {
    s = nextBackoff(s, c, { baseMs });
    states.push(s);
  }
  return states;
}

test('samples within 1 % of a core keep the configured interval', () => {
  // 10 ms of CPU per 1000 ms is exactly the budget: not over it.
  for (const s of run([3, 7, 10, 0, 9.9])) assert.equal(s.intervalMs, 1000);
});

test('one sample over budget stretches the interval at once to what the budget allows', () => {
  const [s] = run([50]);
  assert.equal(s.intervalMs, 50 / CPU_BUDGET);
  assert.ok(50 / s.intervalMs <= CPU_BUDGET);
});

test('after the cost drops the interval shrinks step by step back to the base, never below', () => {
  const states = run([80, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2]);
  assert.equal(states[0].intervalMs, 8000);
  const after = states.slice(1).map((s) => s.intervalMs);
  for (let i = 1; i < after.length; i++) assert.ok(after[i] <= after[i - 1], `interval grew while cheap: ${after.join(',')}`);
  // A single cheap sample does not undo the back-off.
  assert.ok(after[0] > 1000);
  assert.equal(after[after.length - 1], 1000);
});

test('the cap is 10 s while a sample costs under 5 % of it; past that it rises to hold 5 % of a core, up to 5 minutes', () => {
  // 50k sockets: ~0.4 s per sample, 4 % at the 10 s cap.
  assert.equal(run([400])[0].intervalMs, MAX_INTERVAL_MS);
  // ~200k sockets: 1.3-2 s per sample took 13-20 % of a core at a fixed 10 s cap.
  for (const cost of [1300, 2000]) {
    const steady = run([cost, cost, cost]);
    for (const s of steady) assert.ok(cost / s.intervalMs <= MAX_CPU_SHARE + 1e-9, `${cost} ms per ${s.intervalMs} ms`);
    assert.equal(steady[2].intervalMs, cost / MAX_CPU_SHARE);
  }
  assert.equal(run([1e9])[0].intervalMs, HARD_MAX_INTERVAL_MS);
});

test('nonsense costs (negative, NaN, infinite) count as free, not as a reason to stop', () => {
  for (const s of run([-5, Number.NaN, Number.POSITIVE_INFINITY])) assert.equal(s.intervalMs, 1000);
});

test('rebasing to the 5 s summary interval and back keeps a back-off the cost still calls for', () => {
  let s = nextBackoff(warm(1000, 30), 30, base);
  assert.equal(s.intervalMs, 3000);
  s = rebaseBackoff(s, 5000);
  assert.equal(s.intervalMs, 5000);
  s = rebaseBackoff(s, 1000);
  assert.equal(s.intervalMs, 3000);
  // With nothing known about the cost, the new base is taken as is.
  assert.equal(rebaseBackoff(initialBackoff(1000), 200).intervalMs, 200);
});

test('property: the interval stays within [base, cap], and an over-budget sample always leads to a within-budget interval', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 200, max: 60_000 }),
      fc.array(fc.double({ min: 0, max: 5000, noNaN: true }), { minLength: 1, maxLength: 60 }),
      (baseMs, costs) => {
        let s = warm(baseMs, costs[0]);
        assert.equal(s.intervalMs, baseMs, 'the cold first sample does not stretch the interval');
        for (const cost of costs.slice(1)) {
          const before = s.intervalMs;
          const smoothedBefore = s.smoothedCpuMs ?? 0;
          s = nextBackoff(s, cost, { baseMs });
          const cap = Math.max(baseMs, intervalCapMs(Math.max(cost, smoothedBefore)));
          assert.ok(s.intervalMs >= baseMs && s.intervalMs <= cap);
          // Never more than 5 % of a core for this sample's cost, and within the 1 % budget unless at the cap.
          assert.ok(cost / s.intervalMs <= MAX_CPU_SHARE + 1e-9);
          if (cost / before > CPU_BUDGET) assert.ok(cost / s.intervalMs <= CPU_BUDGET + 1e-9 || s.intervalMs === cap);
        }
      },
    ),
  );
});

test('the first sample (cold caches: every fd folder listed) seeds the estimate without stretching the interval', () => {
  const first = nextBackoff(initialBackoff(1000), 400, base);
  assert.equal(first.intervalMs, 1000);
  assert.equal(first.smoothedCpuMs, 400);
  // A steady cost over budget after it still backs off, never past the 10 s cap.
  assert.equal(nextBackoff(first, 50, base).intervalMs, 5000);
  assert.equal(nextBackoff(first, 500, base).intervalMs, MAX_INTERVAL_MS);
  assert.equal(MAX_INTERVAL_MS, 10_000);
});

test('the read budget lets an isolated change be read at once, and spaces reads of changes that keep coming to cost / share', () => {
  const b = new ReadBudget(0.01, 60);
  let now = 0;
  assert.equal(b.delayMs(now, 10), 0, 'a full bucket: read now');
  // Changes every 100 ms, each read costing 10 ms of CPU: the bucket (60 ms) pays for the first reads at once,
  // then one read per 1000 ms (10 ms / 1 %).
  const reads: number[] = [];
  for (let step = 0; step < 200; step++, now += 100) {
    if (b.delayMs(now, 10) === 0) {
      b.spend(now, 10);
      reads.push(now);
    }
  }
  assert.ok(reads.length >= 6 && reads[5] === 500, `the burst: ${reads.slice(0, 7).join(', ')}`);
  const later = reads.slice(10);
  for (let i = 1; i < later.length; i++) assert.ok(later[i] - later[i - 1] >= 900, `then about one per second: ${later.join(', ')}`);
  const spentPerSecond = (reads.filter((t) => t >= 5000).length * 10) / ((now - 5000) / 1000);
  assert.ok(spentPerSecond <= 10.5, `at most 1 % of a core in steady state (${spentPerSecond} ms/s)`);
  assert.equal(b.steadyGapMs(10), 1000);
  // The wait it asks for is what the bucket needs.
  const c = new ReadBudget(0.01, 60);
  c.spend(0, 60);
  assert.equal(c.delayMs(0, 20), 2000);
  assert.equal(c.delayMs(2000, 20), 0);
});
