// `npm run bench` (last step): how smooth the diagram webview stays at 1,000 state transitions per second.
//
// The real bundle runs in headless Chromium (the page and CSP of test/webview/harness.ts) holding 2,000
// connections. The host's stream is prepared up front and replayed from inside the page with window.postMessage,
// so each message is structured-cloned and dispatched as VS Code delivers it, and no DevTools round trip sits
// between messages. Every 100 ms one update carries 100 transitions (the model batches what a sample saw) with
// the full records of the connections it changed, as ModelUpdate does: openings, state changes (some with
// inferred hops), closings. While it plays, a requestAnimationFrame loop records the time between frames.
// Reported, not asserted: frame-interval percentiles (a 60 Hz display has 16.7 ms per frame), long tasks, and
// the transitions the animator drew.
//   node out/test/webview/frameBench.js [--seconds 6] [--rate 1000] [--connections 2000] [--narrow] [--reduced-motion]
// BENCH_PROFILE=1 adds the page's CPU profile (top functions by self time) from the DevTools protocol.
import { emptyCounts, type Connection, type ModelUpdate, type StateCounts, type TcpState, type TrackerEvent } from '../../src/domain/types';
import { closeBrowser, connection, fullState, openWebview } from './harness';
import { DIAGRAM_EDGES } from '../../src/domain/diagram';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}
const SECONDS = arg('seconds', 6);
const RATE = arg('rate', 1000);
const CONNECTIONS = arg('connections', 2000);
const TICK_MS = 100;
const NARROW = process.argv.includes('--narrow');
const REDUCED = process.argv.includes('--reduced-motion');

/** The usual lifecycles, as the next state after each one (undefined = the socket leaves the table). */
const CLIENT_NEXT: Partial<Record<TcpState, TcpState>> = { 'SYN-SENT': 'ESTABLISHED', ESTABLISHED: 'FIN-WAIT-1', 'FIN-WAIT-1': 'FIN-WAIT-2', 'FIN-WAIT-2': 'TIME-WAIT' };
const SERVER_NEXT: Partial<Record<TcpState, TcpState>> = { 'SYN-RECEIVED': 'ESTABLISHED', ESTABLISHED: 'CLOSE-WAIT', 'CLOSE-WAIT': 'LAST-ACK' };

/** Deterministic pseudo-random numbers (xorshift32), so every run replays the same stream. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 4294967296;
  };
}

function counts(conns: Map<string, Connection>): StateCounts {
  const c = emptyCounts();
  for (const x of conns.values()) c[x.state]++;
  return c;
}

function script(): { initial: Connection[]; updates: ModelUpdate[] } {
  const rand = rng(9293);
  const live = new Map<string, Connection>();
  let serial = 0;
  const open = (at: number): Connection => {
    const client = rand() < 0.5;
    const c = connection(`b${serial++}`, client ? 'client' : 'server', [[client ? 'SYN-SENT' : 'SYN-RECEIVED', at]]);
    live.set(c.id, c);
    return c;
  };
  const t0 = Date.now();
  for (let i = 0; i < CONNECTIONS; i++) {
    const c = open(t0 - 60_000);
    // Spread the starting population over the lifecycle.
    const next = c.role === 'client' ? CLIENT_NEXT : SERVER_NEXT;
    for (let k = Math.floor(rand() * 4); k > 0; k--) {
      const to = next[c.state];
      if (!to) break;
      c.history.push({ state: to, since: t0 - 30_000, until: null, inferred: false, startSeen: true });
      c.history[c.history.length - 2].until = t0 - 30_000;
      c.state = to;
    }
  }
  const initial = [...live.values()].map((c) => structuredClone(c));

  const updates: ModelUpdate[] = [];
  const perTick = Math.round((RATE * TICK_MS) / 1000);
  for (let tick = 0; tick < (SECONDS * 1000) / TICK_MS; tick++) {
    const at = t0 + tick * TICK_MS;
    const events: TrackerEvent[] = [];
    const changed = new Map<string, Connection>();
    const removed: string[] = [];
    const ids = [...live.keys()];
    for (let i = 0; i < perTick; i++) {
      const c = live.get(ids[Math.floor(rand() * ids.length)]);
      if (!c || changed.has(c.id) || removed.includes(c.id)) continue;
      const next = (c.role === 'client' ? CLIENT_NEXT : SERVER_NEXT)[c.state];
      if (!next) {
        events.push({ kind: 'closed', at, id: c.id, from: c.state, inferred: c.state !== 'TIME-WAIT' && c.state !== 'LAST-ACK', path: [{ from: c.state, to: 'CLOSED', inferred: c.state !== 'TIME-WAIT' && c.state !== 'LAST-ACK' }] });
        live.delete(c.id);
        removed.push(c.id);
        const n = open(at);
        events.push({ kind: 'opened', at, connection: n });
        changed.set(n.id, n);
        continue;
      }
      // One in five steps skips a state a sample would miss (FIN-WAIT-1 is usually that short).
      const skip = c.state === 'ESTABLISHED' && c.role === 'client' && rand() < 0.2;
      const to = skip ? 'FIN-WAIT-2' : next;
      const path = skip
        ? [
            { from: c.state, to: 'FIN-WAIT-1' as TcpState, inferred: true },
            { from: 'FIN-WAIT-1' as TcpState, to: 'FIN-WAIT-2' as TcpState, inferred: false },
          ]
        : [{ from: c.state, to, inferred: false }];
      events.push({ kind: 'changed', at, id: c.id, from: c.state, to, path, msInFrom: 100 });
      c.history[c.history.length - 1].until = at;
      if (skip) c.history.push({ state: 'FIN-WAIT-1', since: at, until: at, inferred: true, startSeen: true });
      c.history.push({ state: to, since: at, until: null, inferred: false, startSeen: true });
      if (c.history.length > 16) c.history.splice(0, c.history.length - 16);
      c.state = to;
      changed.set(c.id, c);
    }
    updates.push({ at, events, changed: [...changed.values()].map((c) => structuredClone(c)), removed, counts: counts(live), insights: [] });
  }
  return { initial, updates };
}

/** What the in-page replay and frame recorder touch (this file compiles without the DOM library). */
interface BenchGlobals {
  postMessage(m: unknown, origin: string): void;
  setTimeout(f: () => void, ms: number): number;
  requestAnimationFrame(f: (t: number) => void): number;
  performance: { now(): number };
  PerformanceObserver: new (cb: (list: { getEntries(): { duration: number }[] }) => void) => { observe(o: { type: string; buffered?: boolean }): void };
}

function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function main(): Promise<void> {
  const { initial, updates } = script();
  const transitions = updates.reduce((n, u) => n + u.events.length, 0);
  const w = await openWebview({ width: NARROW ? 300 : 1280, height: NARROW ? 1000 : 800, reducedMotion: REDUCED });
  try {
    await w.send({ type: 'init', state: fullState({ connections: initial, counts: counts(new Map(initial.map((c) => [c.id, c]))) }) });
    await w.page.locator('.node').first().waitFor();
    await w.page.waitForTimeout(500);

    const cdp = process.env.BENCH_PROFILE ? await w.page.context().newCDPSession(w.page) : null;
    if (cdp) {
      await cdp.send('Profiler.enable');
      await cdp.send('Profiler.start');
    }
    const result = await w.page.evaluate(
      ({ messages, tickMs }) =>
        new Promise<{ frames: number[]; longTasks: number[] }>((resolve) => {
          const g = globalThis as unknown as BenchGlobals;
          const frames: number[] = [];
          const longTasks: number[] = [];
          new g.PerformanceObserver((list) => {
            for (const e of list.getEntries()) longTasks.push(e.duration);
          }).observe({ type: 'longtask' });
          let last = -1;
          let done = false;
          const onFrame = (t: number): void => {
            if (last >= 0) frames.push(t - last);
            last = t;
            if (!done) g.requestAnimationFrame(onFrame);
          };
          g.requestAnimationFrame(onFrame);
          const start = g.performance.now();
          let i = 0;
          const next = (): void => {
            if (i >= messages.length) {
              // Let the last tokens land before stopping the recorder.
              g.setTimeout(() => {
                done = true;
                resolve({ frames, longTasks });
              }, 800);
              return;
            }
            g.postMessage(messages[i++], '*');
            // Keep to the schedule even if a message took long to handle.
            g.setTimeout(next, Math.max(0, start + i * tickMs - g.performance.now()));
          };
          next();
        }),
      { messages: updates.map((update) => ({ type: 'update', update })), tickMs: TICK_MS },
    );
    if (cdp) {
      const { profile } = await cdp.send('Profiler.stop');
      const self = new Map<string, number>();
      const dt = profile.timeDeltas ?? [];
      const byId = new Map(profile.nodes.map((n) => [n.id, n]));
      (profile.samples ?? []).forEach((id, i) => {
        const n = byId.get(id);
        if (!n) return;
        const key = `${n.callFrame.functionName || '(anon)'} ${n.callFrame.url.split('/').pop()}:${n.callFrame.lineNumber}`;
        self.set(key, (self.get(key) ?? 0) + (dt[i] ?? 0) / 1000);
      });
      for (const [k, v] of [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, 25)) console.log(`${v.toFixed(0).padStart(7)} ms  ${k}`);
    }
    const sorted = [...result.frames].sort((a, b) => a - b);
    const over = (ms: number): number => result.frames.filter((f) => f > ms).length;
    // rAF timestamps jitter by a fraction of a millisecond around 16.7 ms; a frame that took more than one and a
    // half vsync intervals is a dropped one.
    const dropped = over(25);
    const report = {
      scenario: `${RATE} transitions/s for ${SECONDS} s over ${CONNECTIONS} connections, ${NARROW ? 'narrow (300 px sidebar)' : 'wide (1280 px panel)'}${REDUCED ? ', reduced motion' : ''}`,
      transitions,
      edges: DIAGRAM_EDGES.length,
      frames: result.frames.length,
      frameMs: { p50: percentile(sorted, 50), p95: percentile(sorted, 95), p99: percentile(sorted, 99), max: sorted[sorted.length - 1] },
      droppedFrames: dropped,
      framesOver33ms: over(33.4),
      longTasks: result.longTasks.length,
      longestTaskMs: result.longTasks.length ? Math.max(...result.longTasks) : 0,
      problems: w.problems,
    };
    const f = (n: number): string => n.toFixed(1);
    console.log(
      `webview frames @ ${report.scenario}: p50 ${f(report.frameMs.p50)} ms, p95 ${f(report.frameMs.p95)} ms (target ≤ 16 ms), p99 ${f(report.frameMs.p99)} ms, max ${f(report.frameMs.max)} ms; ` +
        `${report.droppedFrames}/${report.frames} frames over 25 ms; ${report.longTasks} long tasks (longest ${f(report.longestTaskMs)} ms)`,
    );
    console.log(JSON.stringify(report));
  } finally {
    await w.close();
    await closeBrowser();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
