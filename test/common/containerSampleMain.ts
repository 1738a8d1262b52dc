// One sample of the whole machine by the product's sampler, with container labels from the engine at the given
// socket, printed as one JSON line: the engine's state, the hint the extension would give, and the sockets of
// other namespaces (where they are, their state and endpoints, their label):
//   node out/test/common/containerSampleMain.js <engine socket path> [port]
// With a port, only the sockets with that local or remote port are printed (other namespaces on a shared machine
// can hold tens of thousands).
// A separate process so a root test can run it as an unprivileged user (spawn's uid/gid): root connects to any
// socket and reads every /proc/<pid>/ns/net, so what another user sees is only seen as another user.
import { ContainerRegistry } from '../../src/sampling/containers/registry';
import { SocketSampler } from '../../src/sampling/socketSampler';
import { containerHintFor } from '../../src/domain/containerHint';

async function main(): Promise<void> {
  const socketPath = process.argv[2];
  if (!socketPath) throw new Error('usage: containerSampleMain.js <engine socket path> [port]');
  const port = process.argv[3] === undefined ? null : Number(process.argv[3]);
  const containers = new ContainerRegistry({ socketPath, timeoutMs: 5000 });
  try {
    const sampler = new SocketSampler({ backend: 'proc', containers, engineWaitMs: 5000 });
    const sample = await sampler.sample({ scope: { mode: 'all' } });
    const foreign = sample.sockets.filter((s) => s.netns !== undefined && (port === null || s.local.port === port || s.remote.port === port));
    const unlabelled = foreign.filter((s) => s.container === undefined).length;
    const out = {
      uid: process.getuid?.() ?? null,
      own: sample.netns,
      containers: sample.containers,
      hint: containerHintFor(sample.containers, unlabelled),
      namespaces: sample.namespaces,
      sockets: foreign.map((s) => ({ netns: s.netns, state: s.state, local: s.local, remote: s.remote, inode: s.inode, owners: s.owners, container: s.container ?? null })),
    };
    process.stdout.write(`${JSON.stringify(out)}\n`);
  } finally {
    containers.dispose();
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
