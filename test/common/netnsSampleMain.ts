// Prints one sample of the socket table, as the product's sampler reads it, as JSON on stdout:
//   nsenter --net=/var/run/netns/NS node out/test/common/netnsSampleMain.js <proc|ss>
// or, given a count, takes that many samples and prints how many listed some socket more than once:
//   ... netnsSampleMain.js <proc|ss> <samples>   ->  {"samples":N,"withDuplicates":N,"example":"..."|null}
// A separate process because /proc/net/tcp and ss show the reader's own network namespace, and a Node process
// cannot move itself into another one: the kernel tests run this inside the namespace they built. The 'all' scope
// also reads the other namespaces' tables through their processes (the host's, from in here): only the rows of
// this process's own namespace (no `netns`) are printed, the table these tests drive.
import type { ScopedSample } from '../../src/domain/types';
import { SocketSampler } from '../../src/sampling/socketSampler';
import { rowKey, type DuplicateReport } from './netns';

async function main(): Promise<void> {
  const backend = process.argv[2];
  const count = process.argv[3] === undefined ? 0 : Number(process.argv[3]);
  if ((backend !== 'proc' && backend !== 'ss') || !(count >= 0)) throw new Error('usage: netnsSampleMain.js <proc|ss> [samples]');
  const sampler = new SocketSampler({ backend, containers: null });
  const ownTable = async (): Promise<ScopedSample> => {
    const sample = await sampler.sample({ scope: { mode: 'all' } });
    return { ...sample, sockets: sample.sockets.filter((s) => s.netns === undefined) };
  };
  if (count === 0) {
    process.stdout.write(JSON.stringify(await ownTable()));
    return;
  }
  const report: DuplicateReport = { samples: count, withDuplicates: 0, rows: 0, example: null };
  for (let i = 0; i < count; i++) {
    const sample = await ownTable();
    report.rows += sample.sockets.length;
    const seen = new Set<string>();
    let duplicate: string | null = null;
    for (const s of sample.sockets) {
      const k = rowKey(s);
      if (seen.has(k)) duplicate ??= k;
      seen.add(k);
    }
    if (duplicate !== null) {
      report.withDuplicates++;
      report.example ??= duplicate;
    }
  }
  process.stdout.write(JSON.stringify(report));
}

main().catch((e: Error) => {
  process.stderr.write(`${e.stack ?? e.message}\n`);
  process.exitCode = 1;
});
