// Groups the given pids by network namespace with the product's module and prints the result as JSON:
//   node out/test/common/namespacesProbeMain.js <pid>...
// A separate process so a root test can run it as an unprivileged user (spawn's uid/gid) and see what such a
// user sees: another user's /proc/<pid>/ns/net is unreadable, its /proc/<pid>/net/tcp is not.
import { groupByNetNamespace, ownNamespace } from '../../src/sampling/namespaces';

async function main(): Promise<void> {
  const pids = process.argv.slice(2).map(Number);
  const [own, grouping] = await Promise.all([ownNamespace(), groupByNetNamespace(pids)]);
  process.stdout.write(`${JSON.stringify({ own, ...grouping })}\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
