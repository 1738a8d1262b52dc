// The sampler-facing contract on a platform that is not Linux: a fake PlatformSource (canned socket and process
// tables, as a program would print them after parsing) through the shared ToolSampler, then the same tracker and
// snapshot code the worker and the CLI use. Nothing here reads /proc: scope, owners, lifecycles and the snapshot
// come from the platform interface alone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConnectionTracker } from '../../../../src/domain/tracker';
import { renderSnapshotText, toSnapshotJson } from '../../../../src/domain/snapshot';
import type { Owner, SampleScope, ScopedSample } from '../../../../src/domain/types';
import { ChildError } from '../../../../src/sampling/childProcesses';
import { SamplerError } from '../../../../src/sampling/socketSampler';
import { emptyParse, type ToolRow } from '../../../../src/sampling/platforms/common';
import { toolRow } from './fixtures';
import type { PlatformCapabilities } from '../../../../src/sampling/platforms/platform';
import { ToolSampler, toolError, type PlatformSource, type ProcessDetails, type ToolProcess, type ToolTable } from '../../../../src/sampling/platforms/toolSampler';

const CAPABILITIES: PlatformCapabilities = {
  exactOwners: 'scope',
  timeWaitOwners: false,
  namespaces: false,
  processCwd: true,
  commandLines: true,
  queues: false,
  timers: false,
  tcpInfo: false,
  startTimes: true,
  changeProbes: false,
  ssCommands: false,
};

const row = toolRow;

/** A platform whose tables are set by the test, sample by sample. */
class FakeSource implements PlatformSource {
  readonly id = 'fake';
  rows: ToolRow[] = [];
  /** Holders by the test: when set, readHolders answers with these rows (as lsof would for the asked pids). */
  holders: ToolRow[] | null = null;
  unparsed: string[] = [];
  unknown: ToolRow[] = [];
  processes: ToolProcess[] = [];
  detailReads: number[][] = [];
  holderAsks: number[][] = [];
  cwdAsked: boolean[] = [];
  readHolders?: (pids: readonly number[]) => Promise<ToolTable>;

  constructor(withHolders: boolean) {
    if (withHolders) {
      this.readHolders = (pids) => {
        this.holderAsks.push([...pids]);
        const parse = emptyParse<ToolRow>();
        parse.rows.push(...(this.holders ?? []).map((r) => ({ ...r, owners: r.owners.filter((o) => pids.includes(o.pid)) })).filter((r) => r.owners.length > 0));
        return Promise.resolve({ backend: 'netstat', source: 'fake-lsof', parse });
      };
    }
  }

  capabilities(): PlatformCapabilities {
    return CAPABILITIES;
  }
  describe(): string {
    return 'fake: canned tables';
  }
  readTable(): Promise<ToolTable> {
    const parse = emptyParse<ToolRow>();
    // Fresh copies every time, as a parser makes them.
    parse.rows.push(...this.rows.map((r) => ({ ...r, owners: [...r.owners] })));
    parse.unparsed.push(...this.unparsed);
    parse.unknownState.push(...this.unknown.map((r) => ({ ...r, state: null })));
    return Promise.resolve({ backend: 'netstat', source: 'fake-netstat -an', parse });
  }
  readProcesses(options: { cwd: boolean }): Promise<ToolProcess[]> {
    this.cwdAsked.push(options.cwd);
    return Promise.resolve(this.processes.map((p) => ({ ...p, cwd: options.cwd ? p.cwd : undefined })));
  }
  readDetails(pids: readonly number[]): Promise<Map<number, ProcessDetails>> {
    this.detailReads.push([...pids]);
    return Promise.resolve(new Map(pids.map((pid) => [pid, { commandLine: ['prog', String(pid)], cwd: null }])));
  }
  readProcess(): Promise<null> {
    return Promise.resolve(null);
  }
  sampleTimeoutMs(): number {
    return 1000;
  }
  takeChildMs(): number {
    return 0;
  }
}

const proc = (pid: number, ppid: number, command: string, cwd: string | null = null, startTime = 1_700_000_000 + pid): ToolProcess => ({ pid, ppid, command, startTime, uid: 501, cwd });

// A workspace: the debug session 100 started the server 101 (listening on 8080); 200 is a client outside the scope
// that connects to it; 300 is unrelated; 400 runs in the workspace folder.
function workspace(source: FakeSource): void {
  source.processes = [proc(1, 0, 'launchd'), proc(100, 1, 'node'), proc(101, 100, 'node'), proc(200, 1, 'curl'), proc(300, 1, 'Safari'), proc(400, 1, 'python3', '/Users/me/ws/tools')];
}
const scope: SampleScope = { mode: 'workspace', rootPids: [100], folders: ['/Users/me/ws'] };

let clock = 1_000_000;
const now = () => clock;

test('workspace scope on a fake platform: the root\'s tree, the folder rule, loopback peers; nothing else', async () => {
  const source = new FakeSource(false);
  workspace(source);
  source.rows = [
    row('LISTEN', '0.0.0.0 8080', '0.0.0.0 0', [{ pid: 101, command: '' }]),
    row('ESTABLISHED', '127.0.0.1 8080', '127.0.0.1 50000', [{ pid: 101, command: '' }]),
    row('ESTABLISHED', '127.0.0.1 50000', '127.0.0.1 8080', [{ pid: 200, command: '' }]),
    row('ESTABLISHED', '192.168.1.5 50001', '17.0.0.1 443', [{ pid: 300, command: '' }]),
    row('LISTEN', '127.0.0.1 9000', '0.0.0.0 0', [{ pid: 400, command: '' }]),
  ];
  const platform = new ToolSampler(source, now);
  const sample = await platform.sample({ scope });
  const keys = sample.sockets.map((s) => `${s.state} ${s.local.address}:${s.local.port} ${s.owners.map((o) => `${o.pid}/${o.command}`).join(',')}`);
  assert.deepEqual(keys, ['LISTEN 0.0.0.0:8080 101/node', 'ESTABLISHED 127.0.0.1:8080 101/node', 'ESTABLISHED 127.0.0.1:50000 200/curl', 'LISTEN 127.0.0.1:9000 400/python3']);
  assert.equal(sample.totalSockets, 5);
  assert.equal(sample.backend, 'netstat');
  assert.equal(sample.scope, 'workspace');
  // Scope pids: the roots' tree, the folder's process, and the peer's owner (as SocketSampler reports them).
  assert.deepEqual(sample.scopePids, [100, 101, 200, 400]);
  assert.deepEqual(
    sample.processes.map((p) => [p.pid, p.ppid, p.command, p.commandLine.join(' ')]),
    [
      [100, 1, 'node', 'prog 100'],
      [101, 100, 'node', 'prog 101'],
      [200, 1, 'curl', 'prog 200'],
      [400, 1, 'python3', 'prog 400'],
    ],
  );
  assert.equal(sample.processes.find((p) => p.pid === 400)?.cwd, '/Users/me/ws/tools');
  assert.deepEqual(source.cwdAsked, [true], 'folders in the scope: working folders are read');

  // The whole table goes on for the tracker; the scope's rows are the same objects.
  assert.equal(sample.table.length, 5);
  assert.ok(sample.sockets.every((s) => sample.table.includes(s)));

  // 'all': every socket, folders not read, no scope pids.
  const all = await platform.sample({ scope: { mode: 'all' } });
  assert.equal(all.sockets.length, 5);
  assert.deepEqual([all.scope, all.scopePids], ['all', []]);
  assert.deepEqual(source.cwdAsked, [true, false]);
  // Command lines and folders were read once per process: only Safari (300) is new to the second sample.
  assert.deepEqual(source.detailReads, [[100, 101, 200, 400], [300]]);
});

test('holders replace the table\'s last user for the scope\'s sockets; TIME-WAIT keeps the owner it had, and the tracker follows one connection', async () => {
  const source = new FakeSource(true);
  workspace(source);
  // netstat names 999 (a helper that used the socket last) for the server's connection; lsof says 101 holds it.
  const last = (pid: number): Owner => ({ pid, command: '', lastUser: true });
  source.rows = [
    row('LISTEN', ':: 8080', ':: 0', [last(101)]),
    row('ESTABLISHED', '127.0.0.1 8080', '127.0.0.1 50000', [last(999)]),
    row('ESTABLISHED', '127.0.0.1 50000', '127.0.0.1 8080', [last(200)]),
  ];
  // lsof's view (its dual-stack peer is IPv4-mapped: it must still match netstat's tcp4 row).
  source.holders = [row('LISTEN', ':: 8080', ':: 0', [{ pid: 101, command: 'node' }]), row('ESTABLISHED', '::ffff:127.0.0.1 8080', '::ffff:127.0.0.1 50000', [{ pid: 101, command: 'node' }])];
  source.processes.push(proc(999, 1, 'helper'));
  const platform = new ToolSampler(source, now);
  const tracker = new ConnectionTracker();

  clock += 1000;
  const first = await platform.sample({ scope });
  assert.deepEqual(source.holderAsks, [[100, 101, 400]], 'lsof is asked for the scope\'s live pids');
  const server = first.sockets.find((s) => s.local.port === 8080 && s.state === 'ESTABLISHED');
  assert.deepEqual(server?.owners, [{ pid: 101, command: 'node' }], 'the holder, exact (no lastUser mark)');
  const client = first.sockets.find((s) => s.local.port === 50000);
  assert.deepEqual(client?.owners, [{ pid: 200, command: 'curl', lastUser: true }], 'outside the scope: netstat\'s last user, marked, named from ps');
  const opened = tracker.update(first).filter((e) => e.kind === 'opened');
  assert.equal(opened.length, 3);

  // The server closes first: its socket goes to TIME-WAIT with no holder and no pid; the client's to CLOSE-WAIT.
  clock += 1000;
  source.rows = [row('LISTEN', ':: 8080', ':: 0', [last(101)]), row('TIME-WAIT', '127.0.0.1 8080', '127.0.0.1 50000'), row('CLOSE-WAIT', '127.0.0.1 50000', '127.0.0.1 8080', [last(200)])];
  source.holders = [source.holders[0]];
  const second = await platform.sample({ scope });
  const tw = second.sockets.find((s) => s.state === 'TIME-WAIT');
  assert.deepEqual(tw?.owners, [{ pid: 101, command: 'node' }], 'the owner remembered for the 4-tuple');
  const events = tracker.update(second);
  const changed = events.filter((e) => e.kind === 'changed').map((e) => (e.kind === 'changed' ? `${e.from}>${e.to}` : ''));
  assert.deepEqual(changed.sort(), ['ESTABLISHED>CLOSE-WAIT', 'ESTABLISHED>TIME-WAIT'], 'the same connections changed state (no close and reopen)');
  assert.equal(events.filter((e) => e.kind === 'closed' || e.kind === 'opened').length, 0);

  // The snapshot of that sample: the fake platform's backend, owners, counts.
  const json = toSnapshotJson(second, 'mac');
  assert.equal(json.backend, 'netstat');
  assert.equal(json.counts['TIME-WAIT'], 1);
  assert.equal(json.counts['CLOSE-WAIT'], 1);
  assert.deepEqual(
    json.sockets.find((s) => s.state === 'TIME-WAIT')?.owners,
    [{ pid: 101, command: 'node' }],
  );
  const text = renderSnapshotText(second, 'mac');
  assert.match(text, /^Backend: netstat$/m);
  assert.match(text, /TIME-WAIT\s+127\.0\.0\.1:8080\s+127\.0\.0\.1:50000 .*101 node/);
});

test('a server\'s TIME-WAIT never seen with an owner (Windows prints pid 0) gets its listener\'s owner, marked as such, and stays in the scope', async () => {
  const source = new FakeSource(false);
  workspace(source);
  source.rows = [row('LISTEN', '0.0.0.0 8080', '0.0.0.0 0', [{ pid: 101, command: '' }]), row('TIME-WAIT', '127.0.0.1 8080', '127.0.0.1 50123')];
  const sample = await new ToolSampler(source, now).sample({ scope });
  const tw = sample.sockets.find((s) => s.state === 'TIME-WAIT');
  assert.deepEqual(tw?.owners, [{ pid: 101, command: 'node', via: 'listener' }]);
});

test('a table that did not parse whole fails the sample with the line or the word, and the tracker keeps its picture', async () => {
  const source = new FakeSource(false);
  workspace(source);
  source.rows = [row('ESTABLISHED', '127.0.0.1 8080', '127.0.0.1 50000', [{ pid: 101, command: '' }])];
  const platform = new ToolSampler(source, now);
  const tracker = new ConnectionTracker();
  tracker.update(await platform.sample({ scope: { mode: 'all' } }));

  source.unparsed = ['tcp4  0  0  127.0.0.1.8080  garbage\x1b[31m'];
  await assert.rejects(platform.sample({ scope: { mode: 'all' } }), (e: unknown) => {
    assert.ok(e instanceof SamplerError);
    assert.equal(e.code, 'unparsable');
    assert.match(e.message, /fake-netstat -an printed a line this extension cannot read: "tcp4 {2}0 {2}0 {2}127\.0\.0\.1\.8080 {2}garbage\\x1b\[31m"/);
    return true;
  });
  source.unparsed = [];
  source.unknown = [{ ...row('ESTABLISHED', '10.0.0.1 1', '10.0.0.2 2'), stateWord: 'SCHLIESSEND' }];
  await assert.rejects(platform.sample({ scope: { mode: 'all' } }), (e: unknown) => e instanceof SamplerError && e.code === 'unparsable' && /the state "SCHLIESSEND" for 10\.0\.0\.1:1 -> 10\.0\.0\.2:2/.test(e.message));
  assert.equal(tracker.connections().filter((c) => c.closedAt === null).length, 1, 'no sample reached the tracker: nothing was closed');

  // The next good reading carries on.
  source.unknown = [];
  const ok: ScopedSample = await platform.sample({ scope: { mode: 'all' } });
  assert.equal(ok.sockets.length, 1);
});

test('a failed program becomes the error the host reports, naming the program', () => {
  const cases: [ChildError, string, RegExp][] = [
    [new ChildError('missing', 'netstat: spawn netstat ENOENT'), 'tool-missing', /^netstat -anvl -p tcp was not found/],
    [new ChildError('permission', 'x'), 'permission', /^Permission denied running netstat/],
    [new ChildError('timeout', 'netstat did not finish within 10000 ms'), 'timeout', /did not finish in time/],
    [new ChildError('exit', 'netstat exited with status 2', 'netstat: sysctl: net.inet.tcp.pcblist_n: Operation not permitted\nmore'), 'tool-failed', /failed: netstat: sysctl: net\.inet\.tcp\.pcblist_n: Operation not permitted$/],
  ];
  for (const [child, code, message] of cases) {
    const e = toolError(child, 'netstat -anvl -p tcp');
    assert.ok(e instanceof SamplerError);
    assert.equal(e.code, code);
    assert.match(e.message, message);
  }
  const other = new Error('not a child error');
  assert.equal(toolError(other, 'x'), other);
});
