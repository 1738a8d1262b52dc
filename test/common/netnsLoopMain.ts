// The extension's sampler loop (the real SamplerHost and worker, dist/samplerWorker.js) as the model runs it, inside
// a network namespace: demand 'full', scope 'all', the heartbeat given. Prints one JSON line per answer with the
// time it arrived and the table's rows as `STATE local remote`; on a line `stats` on stdin, the loop's status;
// ends when stdin closes.
//   nsenter --net=/var/run/netns/NS node out/test/common/netnsLoopMain.js <heartbeat ms>
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { formatEndpoint } from '../../src/domain/types';
import { SamplerHost } from '../../src/sampling/samplerHost';
import { REPO_ROOT } from './paths';

export interface LoopLine {
  kind: 'sampled';
  /** Date.now() when the answer arrived on the host's thread. */
  at: number;
  rows: string[];
  /** CPU the read cost (SampleStats.costMs), ms. */
  costMs: number;
}

async function main(): Promise<void> {
  const heartbeat = Number(process.argv[2] ?? 30_000);
  const live = new Map<string, string>();
  const host = new SamplerHost({
    workerPath: join(REPO_ROOT, 'dist', 'samplerWorker.js'),
    settings: { backend: 'proc', ssPath: 'ss', tracker: { closedRetentionMs: 0, maxClosed: 0 }, insights: { closeWaitSeconds: 30, timeWaitPerEndpoint: 200, synSentSeconds: 5 } },
    intervalMs: heartbeat,
    scope: () => ({ mode: 'all' }),
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
      const line: LoopLine = { kind: 'sampled', at: Date.now(), rows: [...live.values()].sort(), costMs: Math.round(m.stats.costMs) };
      process.stdout.write(`${JSON.stringify(line)}\n`);
    },
    onFailed: (e) => process.stderr.write(`sample failed: ${e.code}: ${e.message}\n`),
  });
  host.setDemand('full');
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
