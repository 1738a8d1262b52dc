// A ChangeProbe on /proc/<pid>/net with the product's module: prints one reading as a JSON line at start and on
// each line `read` on stdin; ends when stdin closes:
//   node out/test/common/changeProbeMain.js <pid>
// A separate process so a root test can run it as an unprivileged user (spawn's uid/gid) and see what such a user
// gets for a root process in another namespace (a container's): its /proc/<pid>/ns/net and fd are closed to it.
import { createInterface } from 'node:readline';
import { ChangeProbe } from '../../src/sampling/changeProbe';

const probe = new ChangeProbe({ procRoot: `/proc/${Number(process.argv[2])}/net` });
const print = (): void => {
  process.stdout.write(`${JSON.stringify(probe.read())}\n`);
};
print();
const input = createInterface({ input: process.stdin });
input.on('line', (l) => {
  if (l.trim() === 'read') print();
});
input.once('close', () => probe.close());
