// The extension's sampler loop (the real SamplerHost and worker, dist/samplerWorker.js) as the model runs it, inside
// a network namespace: scope 'all', the heartbeat and demand given. Prints one JSON line per answer with the time
// it arrived, the table's rows as `STATE local remote` and the transitions it carried (observed or inferred); on a
// line `stats` on stdin, the loop's status; ends when stdin closes. Mode `periodic:N` runs the loop this replaced
// instead (a read every N ms, the sampler and tracker on this thread), for comparison. Scope `workspace:PID` takes
// the workspace scope with that root instead of 'all' (a process in another namespace: that namespace is read).
//   nsenter --net=/var/run/netns/NS node out/test/common/netnsLoopMain.js <heartbeat ms> [full|summary|none] [live|periodic:N] [all|workspace:PID]
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { formatEndpoint, type TrackerEvent } from '../../src/domain/types';
import { ConnectionTracker } from '../../src/domain/tracker';
import { SamplerHost } from '../../src/sampling/samplerHost';
import { SocketSampler } from '../../src/sampling/socketSampler';
import { REPO_ROOT } from './paths';

export interface LoopLine {
  kind: 'sampled';
  /** Date.now() when the answer arrived on the host's thread. */
  at: number;
  rows: string[];
  /** CPU the read cost (SampleStats.costMs), ms. */
  costMs: number;
  /** Transitions in this answer's events: seen by two reads, or filled in along the diagram. */
  hops: { observed: number; inferred: number };
  /** Network namespaces the read took in, ours included, and how many of them kept their last rows (not read again). */
  namespaces?: number;
  kept?: number;
}

/** Observed and inferred transitions in tracker events: a first sighting's way there is all inferred. */
export function countHops(events: readonly TrackerEvent[]): { observed: number; inferred: number } {
  const n = { observed: 0, inferred: 0 };
  for (const e of events) {
    if (e.kind === 'opened') n.inferred += Math.max(0, e.connection.history.length - 1);
    else for (const h of e.path) n[h.inferred ? 'inferred' : 'observed']++;
  }
  return n;
}

async function periodic(everyMs: number): Promise<void> {
  const sampler = new SocketSampler({ backend: 'proc' });
  const tracker = new ConnectionTracker({ closedRetentionMs: 0, maxClosed: 0 });
  let running = true;
  process.stdin.on('end', () => (running = false)).resume();
  while (running) {
    const t0 = Date.now();
    const sample = await sampler.sample({ scope: { mode: 'all' } });
    const events = tracker.update({ takenAt: sample.takenAt, sockets: sample.table });
    const rows = tracker.connections().filter((c) => c.closedAt === null).map((c) => `${c.state} ${formatEndpoint(c.local)} ${formatEndpoint(c.remote)}`).sort();
    const line: LoopLine = { kind: 'sampled', at: Date.now(), rows, costMs: Math.round(sample.cpuMs), hops: countHops(events) };
    process.stdout.write(`${JSON.stringify(line)}\n`);
    await new Promise((r) => setTimeout(r, Math.max(0, everyMs - (Date.now() - t0))));
  }
}

async function main(): Promise<void> {
  const heartbeat = Number(process.argv[2] ?? 30_000);
  const demand = process.argv[3] ?? 'full';
  const mode = process.argv[4] ?? 'live';
  const scopeArg = process.argv[5] ?? 'all';
  const root = /^workspace:(\d+)$/.exec(scopeArg);
  if (mode.startsWith('periodic:')) return periodic(Number(mode.slice('periodic:'.length)));
  const live = new Map<string, string>();
  const host = new SamplerHost({
    workerPath: join(REPO_ROOT, 'dist', 'samplerWorker.js'),
    settings: { backend: 'proc', ssPath: 'ss', tracker: { closedRetentionMs: 0, maxClosed: 0 }, insights: { closeWaitSeconds: 30, timeWaitPerEndpoint: 200, synSentSeconds: 5 } },
    intervalMs: heartbeat,
    scope: () => (root ? { mode: 'workspace', rootPids: [Number(root[1])], folders: [] } : { mode: 'all' }),
    onSampled: (m) => {
      const u = m.update;
      if (u !== null) {
        if (u.reset) live.clear();
        for (const id of u.removed) live.delete(id);
        for (const c of u.changed) {
          if (c.closedAt !== null) live.delete(c.id);
          else live.set(c.id, `${c.state} ${formatEndpoint(c.local)} ${formatEndpoint(c.remote)}`);
        }
      }
      const line: LoopLine = {
        kind: 'sampled',
        at: Date.now(),
        rows: [...live.values()].sort(),
        costMs: Math.round(m.stats.costMs),
        hops: countHops(u?.events ?? []),
        namespaces: m.stats.namespaces,
        kept: m.stats.keptNamespaces,
      };
      process.stdout.write(`${JSON.stringify(line)}\n`);
    },
    onFailed: (e) => process.stderr.write(`sample failed: ${e.code}: ${e.message}\n`),
  });
  if (demand === 'full' || demand === 'summary') host.setDemand(demand);
  const input = createInterface({ input: process.stdin });
  input.on('line', (l) => {
    if (l.trim() === 'stats') process.stdout.write(`${JSON.stringify({ kind: 'stats', loop: host.loop })}\n`);
  });
  await new Promise<void>((resolve) => input.once('close', resolve));
  await host.dispose();
}

main().catch((e: Error) => {
  process.stderr.write(`${e.stack ?? e.message}\n`);
  process.exitCode = 1;
});
