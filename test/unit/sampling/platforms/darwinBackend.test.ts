// The macOS backend's command lines and parsing glue, on recorded output: macOS netstat of the three -v layouts
// (darwin-netstat-*.txt), lsof -F (lsof-linux-*.txt: lsof's field output is lsof's own on both systems), and ps
// with the backend's arguments (ps-linux-*.txt: procps prints the same columns; capture-ps.mjs). The programs are
// not run: a replaying runner answers with the recordings and records what the backend asked for.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SamplerError } from '../../../../src/sampling/socketSampler';
import { ChildError } from '../../../../src/sampling/childProcesses';
import { CWD_REFRESH_MS, DarwinSource, NETSTAT_ARGS, PS_TABLE_ARGS, createDarwinPlatform } from '../../../../src/sampling/platforms/darwin/backend';
import { lstartSeconds, parseLsofCwd, parsePs, parsePsArgs } from '../../../../src/sampling/platforms/darwin/processes';
import { commandLine, replay, type Call } from './replay';
import { fixtureJson, fixtureText } from './fixtures';

interface PsManifest {
  commands: Record<'table' | 'one' | 'args' | 'cwd' | 'cwdWarn', string[]>;
  processes: { pid: number; ppid: number; comm: string; cwd: string; args?: string[] }[];
}
const manifest = fixtureJson<PsManifest>('ps-linux-tree.manifest.json');
const psTree = fixtureText('ps-linux-tree.txt');
const psOne = fixtureText('ps-linux-one-stat.txt');
const psArgs = fixtureText('ps-linux-args.txt');
const cwdW = fixtureText('lsof-linux-cwd-w.txt');
const cwdAll = fixtureText('lsof-linux-cwd.txt');
const lsofHolders = fixtureText('lsof-linux-loopback-FpcfnPtT0.txt');
const tahoe = fixtureText('darwin-netstat-anv-tahoe.txt');
const sequoia = fixtureText('darwin-netstat-anv-sequoia.txt');
const mojave = fixtureText('darwin-netstat-v-mojave.txt');
const plain = fixtureText('darwin-netstat-an-plain.txt');
const [me, child, grandchild] = manifest.processes;

test('ps and lsof cwd parsers on real output with the backend\'s arguments: names with spaces, start times, folders', () => {
  const tree = parsePs(psTree);
  assert.deepEqual(tree.unparsed, []);
  assert.deepEqual(
    tree.processes.map((p) => [p.pid, p.ppid, p.command, p.stat]),
    manifest.processes.map((p) => [p.pid, p.ppid, p.comm, null]),
  );
  // The three started within a second or two of one another; the start is whole seconds of the local clock.
  const starts = tree.processes.map((p) => p.startTime);
  assert.ok(Math.max(...starts) - Math.min(...starts) <= 2, JSON.stringify(starts));
  const first = psTree.split('\n').find((l) => l.trim() !== '') ?? '';
  const words = first.trim().split(/\s+/).slice(3, 8);
  const d = new Date(starts[0] * 1000);
  assert.deepEqual([d.getFullYear(), d.getDate(), d.toTimeString().slice(0, 8)], [Number(words[4]), Number(words[2]), words[3]]);

  const one = parsePs(psOne, true);
  assert.deepEqual(one.unparsed, []);
  assert.deepEqual(one.processes.map((p) => [p.pid, p.command, p.stat]), [[child.pid, 'tcp sv helper', 'Sl']]);
  // Without the stat column asked for, the same line would take the stat word as part of the name: the flag matters.
  assert.equal(parsePs(psOne).processes[0].command, 'Sl   tcp sv helper');

  const args = parsePsArgs(psArgs);
  assert.deepEqual(args.get(child.pid), child.args);
  assert.deepEqual(args.get(grandchild.pid), grandchild.args);

  for (const text of [cwdW, cwdAll]) {
    const cwd = parseLsofCwd(text);
    assert.deepEqual([...cwd.entries()].sort((a, b) => a[0] - b[0]), manifest.processes.map((p) => [p.pid, p.cwd]));
  }
  assert.ok(cwdAll.includes('tunknown'), 'the recording without -w holds the unreadable folder, which is not taken for one');
});

test('lstart: the five words of ctime in the C locale, the day padded; anything else is not a time', () => {
  const s = lstartSeconds(['Wed', 'Dec', '2', '06:13:52', '2026']);
  assert.equal(s, new Date(2026, 11, 2, 6, 13, 52).getTime() / 1000);
  assert.equal(lstartSeconds(['Mi', 'Dez', '2', '06:13:52', '2026']), null, 'another locale: LC_ALL=C is what the backend asks for');
  assert.equal(lstartSeconds(['Wed', 'Dec', '2', '6:13', '2026']), null);
  assert.equal(lstartSeconds(['Wed', 'Dec', '2', '06:13:52']), null);
  const p = parsePs(' 17   1   501 Wed Dec  2 06:13:52 2026 /Applications/Visual Studio Code.app/Contents/MacOS/Electron\n');
  assert.deepEqual(p.processes.map((x) => [x.pid, x.ppid, x.uid, x.command]), [[17, 1, 501, 'Electron']], 'macOS prints the path: its last segment is the name');
  assert.deepEqual(parsePs('  PID  PPID\n').unparsed, ['  PID  PPID'], 'a header line is not a process');
});

/** Answers the macOS backend's programs from the recordings. */
function answers(netstat: string) {
  return (c: Call): string => {
    if (c.file === 'netstat') return netstat;
    if (c.file === 'ps' && c.args.includes('args=')) return psArgs;
    if (c.file === 'ps' && c.args.includes('stat=')) return psOne;
    if (c.file === 'ps') return psTree;
    if (c.file === 'lsof' && c.args.includes('cwd')) return cwdW;
    if (c.file === 'lsof') return lsofHolders;
    throw new Error(`unexpected ${commandLine(c)}`);
  };
}

test('the table from each recorded netstat layout; every program without a shell, in the C locale, with a deadline and a cap', async () => {
  for (const [name, text, rows] of [
    ['legacy (Mojave)', mojave, 7],
    ['sequoia', sequoia, 4],
    ['tahoe', tahoe, 2],
  ] as const) {
    const { run, calls } = replay(answers(text));
    const platform = createDarwinPlatform({ run });
    const sample = await platform.sample({ scope: { mode: 'all' } });
    assert.equal(sample.backend, 'netstat', name);
    assert.equal(sample.sockets.length, rows, name);
    assert.ok(sample.sockets.every((s) => s.owners.length === 1 && s.owners[0].lastUser === true), `${name}: every owner is netstat's last user, marked`);
    assert.deepEqual(calls.slice(0, 2).map(commandLine).sort(), [`netstat ${NETSTAT_ARGS.join(' ')}`, `ps ${PS_TABLE_ARGS.join(' ')}`].sort(), name);
    for (const c of calls) {
      assert.equal(c.options.env?.LC_ALL, 'C', commandLine(c));
      assert.equal(c.options.encoding, 'utf8');
      assert.ok(c.options.timeoutMs > 0 && c.options.maxBytes > 0);
    }
    assert.equal(platform.backendInUse(), 'netstat');
    assert.deepEqual(platform.capabilities().exactOwners, 'scope');
  }
  // Tahoe names the process in the row (a name with a space); the older layouts leave it to ps (not in our recording).
  const { run } = replay(answers(tahoe));
  const s = await createDarwinPlatform({ run }).sample({ scope: { mode: 'all' } });
  assert.deepEqual(s.sockets[0].owners, [{ pid: 22712, command: 'Autodesk Fusion', lastUser: true }]);
});

test('netstat output that is not a -v table fails the sample and says why, quoting what it printed', async () => {
  const cases: [string, RegExp][] = [
    [plain, /no pid column/],
    ['', /printed no header line/],
    ['netstat: sysctl: net.inet.tcp.pcblist_n: Cannot allocate memory\n', /cannot read: "netstat: sysctl: net\.inet\.tcp\.pcblist_n: Cannot allocate memory"/],
    [tahoe.replace('ESTABLISHED', 'ESTABLISHED?'), /the state "ESTABLISHED\?" for 127\.0\.0\.1:49515 -> 127\.0\.0\.1:49472/],
  ];
  for (const [text, message] of cases) {
    const { run } = replay(answers(text));
    await assert.rejects(createDarwinPlatform({ run }).sample({ scope: { mode: 'all' } }), (e: unknown) => e instanceof SamplerError && e.code === 'unparsable' && message.test(e.message));
  }
  const { run } = replay((c) => {
    if (c.file === 'netstat') throw new ChildError('missing', 'spawn netstat ENOENT');
    return answers(tahoe)(c);
  });
  await assert.rejects(createDarwinPlatform({ run }).sample({ scope: { mode: 'all' } }), (e: unknown) => e instanceof SamplerError && e.code === 'tool-missing' && /^netstat -anvl -p tcp was not found/.test(e.message));
});

test('workspace scope: lsof is asked for the scope\'s pids only, and its silent exit 1 is an answer while anything on stderr is not', async () => {
  const { run, calls } = replay(answers(tahoe));
  const platform = createDarwinPlatform({ run });
  await platform.sample({ scope: { mode: 'workspace', rootPids: [child.pid], folders: [] } });
  const lsof = calls.filter((c) => c.file === 'lsof' && c.args.includes('-iTCP'));
  assert.deepEqual(lsof.map(commandLine), [`lsof -nP -w -a -p ${child.pid},${grandchild.pid} -iTCP -Tqs -FpcfnPtT0`]);
  const allow = lsof[0].options.allowExit;
  assert.ok(allow !== undefined);
  assert.equal(allow(1, ''), true);
  assert.equal(allow(1, 'lsof: illegal option character: Z\n'), false);
  assert.equal(allow(2, ''), false);
  // The processes the sample lists got their command line and folder from one ps and one lsof run.
  const details = calls.filter((c) => c.args.includes('args=') || (c.file === 'lsof' && c.args.includes('cwd')));
  assert.deepEqual(details.map(commandLine).sort(), [`lsof -w -a -d cwd -Fpftn0 -p ${child.pid},${grandchild.pid}`, `ps -ww -o pid= -o args= -p ${child.pid},${grandchild.pid}`].sort());
});

test('working folders for the folder rule: every process at first and every CWD_REFRESH_MS, in between only new ones', async () => {
  let clock = 5_000_000;
  let ps = psTree.split('\n').slice(0, 2).join('\n') + '\n'; // the first two processes of the recording
  const { run, calls } = replay((c) => (c.file === 'ps' ? (c.args.includes('stat=') ? psOne : ps) : cwdW));
  const source = new DarwinSource({ run, now: () => clock });
  const cwdCalls = () => calls.filter((c) => c.file === 'lsof').map((c) => c.args.slice(c.args.indexOf('-Fpftn0') + 1).join(' '));

  const first = await source.readProcesses({ cwd: true });
  assert.deepEqual(first.map((p) => [p.pid, p.cwd]), [
    [me.pid, me.cwd],
    [child.pid, child.cwd],
  ]);
  assert.deepEqual(cwdCalls(), ['']);
  clock += 1000;
  await source.readProcesses({ cwd: true });
  assert.deepEqual(cwdCalls(), [''], 'nothing new: no lsof');
  ps = psTree;
  clock += 1000;
  const third = await source.readProcesses({ cwd: true });
  assert.deepEqual(cwdCalls(), ['', `-p ${grandchild.pid}`], 'only the new process');
  assert.equal(third.find((p) => p.pid === grandchild.pid)?.cwd, grandchild.cwd);
  clock += CWD_REFRESH_MS;
  await source.readProcesses({ cwd: true });
  assert.deepEqual(cwdCalls(), ['', `-p ${grandchild.pid}`, ''], 'every process again');
  await source.readProcesses({ cwd: false });
  assert.equal(cwdCalls().length, 3, 'no folder rule: no lsof');

  const identity = await source.readProcess(child.pid);
  assert.deepEqual(identity && [identity.pid, identity.ppid, identity.command, identity.cwd], [child.pid, me.pid, 'tcp sv helper', child.cwd]);
  assert.equal(source.takeChildMs() >= 0, true);
});
