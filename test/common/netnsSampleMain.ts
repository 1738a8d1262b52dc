// Prints one sample of the socket table, as the product's sampler reads it, as JSON on stdout:
//   ip netns exec NS node out/test/common/netnsSampleMain.js <proc|ss>
// A separate process because /proc/net/tcp and ss show the reader's own network namespace, and a Node process
// cannot move itself into another one: the kernel tests run this inside the namespace they built.
import { SocketSampler } from '../../src/core/socketSampler';

async function main(): Promise<void> {
  const backend = process.argv[2];
  if (backend !== 'proc' && backend !== 'ss') throw new Error('usage: netnsSampleMain.js <proc|ss>');
  const sampler = new SocketSampler({ backend });
  const sample = await sampler.sample({ scope: { mode: 'all' } });
  process.stdout.write(JSON.stringify(sample));
}

main().catch((e: Error) => {
  process.stderr.write(`${e.stack ?? e.message}\n`);
  process.exitCode = 1;
});
