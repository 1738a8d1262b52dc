// Samples the socket table every INTERVAL ms with the product's SocketSampler and ConnectionTracker, and prints
// each tracker event as one JSON line (connection endpoints included), until stdin closes:
//   nsenter --net=/var/run/netns/NS node out/test/common/netnsWatchMain.js <proc|ss> <interval ms>
// Run inside a namespace for the reason given in netnsSampleMain.ts, which also says why only the rows of this
// process's own namespace are kept.
import { SocketSampler } from '../../src/sampling/socketSampler';
import { ConnectionTracker } from '../../src/domain/tracker';
import { formatEndpoint, type Connection } from '../../src/domain/types';
import { rowKey } from './netns';

export interface WatchLine {
  kind: 'opened' | 'changed' | 'closed';
  /** `family local remote`, as netns-states.test.ts keys sockets. */
  key: string;
  id: string;
  inode: number;
  ownerPid: number | null;
  /**
   * The states entered, in order: the opened state; for a change, the states its path passes through (inferred:
   * no sample saw them) and the state the sample saw; CLOSED for a close (inferred unless the expected end).
   */
  hops: { to: string; inferred: boolean }[];
}

const keyOf = (c: Connection): string => `${c.family} ${formatEndpoint(c.local)} ${formatEndpoint(c.remote)}`;

async function main(): Promise<void> {
  const backend = process.argv[2];
  const interval = Number(process.argv[3] ?? 100);
  if (backend !== 'proc' && backend !== 'ss') throw new Error('usage: netnsWatchMain.js <proc|ss> <interval ms>');
  const sampler = new SocketSampler({ backend, containers: null });
  const tracker = new ConnectionTracker({ closedRetentionMs: 60_000 });
  let running = true;
  process.stdin.on('end', () => (running = false)).resume();
  while (running) {
    const sample = await sampler.sample({ scope: { mode: 'all' } });
    // A socket listed twice in one sample (a /proc read racing the table, see netns-states.test.ts) is reported
    // and given to the tracker once: the transition test checks the tracker, the duplicate test the sampler.
    const seen = new Set<string>();
    const sockets = sample.sockets.filter((s) => {
      if (s.netns !== undefined) return false;
      const k = rowKey(s);
      if (!seen.has(k)) return seen.add(k);
      process.stdout.write(JSON.stringify({ kind: 'duplicate', row: k }) + '\n');
      return false;
    });
    for (const e of tracker.update({ ...sample, sockets })) {
      const c = e.kind === 'opened' ? e.connection : tracker.get(e.id);
      if (c === undefined) continue;
      const hops =
        e.kind === 'opened'
          ? [{ to: e.connection.state, inferred: false }]
          : e.kind === 'changed'
            ? e.path.map((h, i) => ({ to: h.to, inferred: i < e.path.length - 1 }))
            : [{ to: 'CLOSED', inferred: e.inferred }];
      const line: WatchLine = { kind: e.kind, key: keyOf(c), id: c.id, inode: c.inode, ownerPid: c.owner?.pid ?? null, hops };
      process.stdout.write(JSON.stringify(line) + '\n');
    }
    process.stdout.write(JSON.stringify({ kind: 'tick', at: sample.takenAt }) + '\n');
    await new Promise((r) => setTimeout(r, interval));
  }
}

main().catch((e: Error) => {
  process.stderr.write(`${e.stack ?? e.message}\n`);
  process.exitCode = 1;
});
