// tcp-states argument parsing, port filtering and the watch lines made from the real ConnectionTracker's events.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError, containerMatches, filterContainers, filterPorts, formatWatchLine, main, parseCli, scopeFor, watchLines, type WatchLine } from '../../../src/cli/cli';
import { ConnectionTracker } from '../../../src/domain/tracker';
import { parseProcNetTcp } from '../../../src/sampling/procNetTcp';
import type { SocketRecord } from '../../../src/domain/types';
import { UNIT_FIXTURES } from '../../common/paths';
import { adjacent } from '../../../src/domain/diagram';

const fixtures = UNIT_FIXTURES;
const read = (name: string): string => readFileSync(join(fixtures, name), 'latin1');

test('snapshot options: format, --json, scope, repeated --pid and --port', () => {
  const o = parseCli(['snapshot']);
  assert.deepEqual([o.command, o.format, o.scope, o.pids, o.ports, o.backend], ['snapshot', 'text', 'all', [], [], 'auto']);
  assert.equal(parseCli(['snapshot', '--format', 'markdown']).format, 'markdown');
  assert.equal(parseCli(['snapshot', '--json']).format, 'json');
  assert.equal(parseCli(['snapshot', '--format=json', '--json']).format, 'json');
  const p = parseCli(['snapshot', '--pid', '12', '--pid=34', '--port', '80', '--port', '443']);
  assert.deepEqual([p.scope, p.pids, p.ports], ['workspace', [12, 34], [80, 443]]);
  assert.deepEqual(scopeFor(p, '/w'), { mode: 'workspace', rootPids: [12, 34], folders: [] });
  assert.deepEqual(scopeFor(parseCli(['snapshot', '--scope', 'workspace']), '/w'), { mode: 'workspace', rootPids: [], folders: ['/w'] });
  assert.deepEqual(scopeFor(parseCli(['snapshot', '--scope', 'all']), '/w'), { mode: 'all' });
  assert.equal(parseCli(['--help']).command, 'help');
  assert.equal(parseCli(['help']).command, 'help');
  const w = parseCli(['watch', '--json', '--interval', '250', '--backend', 'ss', '--ss-path', '/sbin/ss']);
  assert.deepEqual([w.command, w.json, w.intervalMs, w.backend, w.ssPath], ['watch', true, 250, 'ss', '/sbin/ss']);
});

test('bad arguments are usage errors', () => {
  const bad = [
    [],
    ['frobnicate'],
    ['snapshot', 'extra'],
    ['snapshot', '--format', 'xml'],
    ['snapshot', '--format', 'text', '--json'],
    ['snapshot', '--pid', 'abc'],
    ['snapshot', '--pid', '0'],
    ['snapshot', '--pid', '-5'],
    ['snapshot', '--port', '70000'],
    ['snapshot', '--port'],
    ['snapshot', '--scope', 'galaxy'],
    ['snapshot', '--scope', 'all', '--pid', '3'],
    ['snapshot', '--interval', '500'],
    ['snapshot', '--verbose'],
    ['watch', '--format', 'json'],
    ['watch', '--interval', '5'],
    ['watch', '--backend', 'netstat'],
    ['snapshot', '--container'],
    ['snapshot', '--container', '../x'],
    ['snapshot', '--container', ''],
  ];
  for (const args of bad) assert.throws(() => parseCli(args), UsageError, args.join(' '));
});

test('main: usage on stderr and exit 2 for bad arguments; help on stdout and exit 0', async () => {
  const run = async (argv: string[]) => {
    let out = '';
    let err = '';
    const code = await main(argv, { stdout: (t) => (out += t), stderr: (t) => (err += t), cwd: '/', host: 'h', stopped: new Promise(() => {}) });
    return { code, out, err };
  };
  const bad = await run(['snapshot', '--port', 'x']);
  assert.equal(bad.code, 2);
  assert.equal(bad.out, '');
  assert.match(bad.err, /--port needs a whole number/);
  assert.match(bad.err, /Usage:/);
  const help = await run(['--help']);
  assert.equal(help.code, 0);
  assert.match(help.out, /tcp-states snapshot/);
  assert.equal(help.err, '');
});

test('--port keeps sockets with that local or remote port', () => {
  const sockets = parseProcNetTcp(read('loopback-proc-net-tcp.txt'), 'ipv4').sockets;
  const port = sockets.find((s) => s.state === 'LISTEN')!.local.port;
  const kept = filterPorts(sockets, [port]);
  assert.ok(kept.length > 1);
  for (const s of kept) assert.ok(s.local.port === port || s.remote.port === port);
  assert.equal(kept.length, sockets.filter((s) => s.local.port === port || s.remote.port === port).length);
  assert.equal(filterPorts(sockets, []), sockets);
});

function socket(state: SocketRecord['state'], inode: number, pid: number | null): SocketRecord {
  return {
    state,
    family: 'ipv4',
    local: { address: '127.0.0.1', port: 40000 },
    remote: { address: '127.0.0.1', port: 8080 },
    inode,
    uid: 0,
    recvQ: 0,
    sendQ: 0,
    timer: null,
    owners: pid === null ? [] : [{ pid, command: 'curl' }],
  };
}

test('watch lines from the tracker: one per hop, inferred hops marked, ms in the old state', () => {
  const tracker = new ConnectionTracker();
  const lines: WatchLine[] = [];
  const feed = (takenAt: number, sockets: SocketRecord[]) => {
    for (const e of tracker.update({ takenAt, sockets })) lines.push(...watchLines(e, (id) => tracker.get(id)));
  };
  feed(750, []); // watch's first sample: nothing yet
  feed(1000, [socket('SYN-SENT', 77, 321)]);
  feed(1250, [socket('ESTABLISHED', 77, 321)]);
  // ESTABLISHED -> TIME-WAIT skips FIN-WAIT-1 and FIN-WAIT-2: the tracker fills them in as inferred.
  feed(3250, [socket('TIME-WAIT', 0, null)]);
  feed(5000, []);
  // First seen in SYN-SENT: the connect() that got it there is inferred, never an observed "CLOSED -> SYN-SENT".
  assert.deepEqual(lines[0], { at: 1000, pid: 321, command: 'curl', local: '127.0.0.1:40000', remote: '127.0.0.1:8080', from: 'CLOSED', to: 'SYN-SENT', msInFrom: null, inferred: true });
  assert.deepEqual([lines[1].from, lines[1].to, lines[1].msInFrom, lines[1].inferred], ['SYN-SENT', 'ESTABLISHED', 250, false]);
  const rest = lines.slice(2);
  assert.deepEqual([rest[0].from, rest[0].msInFrom], ['ESTABLISHED', 2000]);
  for (let i = 1; i < rest.length; i++) {
    assert.equal(rest[i].from, rest[i - 1].to, 'hops chain');
    assert.equal(rest[i].at, rest[i].to === 'CLOSED' ? 5000 : 3250);
  }
  const intoTimeWait = rest.findIndex((l) => l.to === 'TIME-WAIT');
  assert.ok(intoTimeWait > 0, 'the close passed through states no sample saw');
  assert.ok(rest.slice(0, intoTimeWait).every((l) => l.inferred), 'and those hops are marked inferred');
  assert.ok(rest.slice(1, intoTimeWait + 1).every((l) => l.msInFrom === null), 'time in an unseen state is unknown');
  const last = rest[rest.length - 1];
  assert.deepEqual([last.from, last.to, last.msInFrom, last.inferred], ['TIME-WAIT', 'CLOSED', 1750, false]);
  // The owner stays on the connection after its socket lost the file.
  for (const l of rest) assert.equal(l.pid, 321);
  const text = formatWatchLine(lines[1]);
  assert.match(text, /^\d\d:\d\d:\d\d\.\d{3} +321 curl +127\.0\.0\.1:40000 +127\.0\.0\.1:8080 +SYN-SENT -> ESTABLISHED +250$/);
  assert.match(formatWatchLine({ ...lines[1], inferred: true, msInFrom: null }), /SYN-SENT -> ESTABLISHED \(inferred\) +-$/);
});

test('watch: a first sighting mid-life is its inferred way from the start; no duration for a state whose start no sample saw', () => {
  const tracker = new ConnectionTracker();
  const lines: WatchLine[] = [];
  const feed = (takenAt: number, sockets: SocketRecord[], skipOpened = false) => {
    for (const e of tracker.update({ takenAt, sockets })) if (!(skipOpened && e.kind === 'opened')) lines.push(...watchLines(e, (id) => tracker.get(id)));
  };
  // A TIME-WAIT that existed before watch started (the first sample's sightings are not printed, as watch does).
  feed(0, [socket('TIME-WAIT', 0, 321)], true);
  feed(2000, []);
  assert.deepEqual(lines.map((l) => [l.from, l.to, l.msInFrom, l.inferred]), [['TIME-WAIT', 'CLOSED', null, false]], 'its 60 s began before watch: no "2001 ms"');
  lines.length = 0;
  // A client seen for the first time in TIME-WAIT (it connected, talked and closed between two samples).
  feed(3000, [socket('TIME-WAIT', 0, null)]);
  assert.deepEqual(
    lines.map((l) => `${l.from}>${l.to}${l.inferred ? '?' : ''}`),
    ['CLOSED>SYN-SENT?', 'SYN-SENT>ESTABLISHED?', 'ESTABLISHED>FIN-WAIT-1?', 'FIN-WAIT-1>FIN-WAIT-2?', 'FIN-WAIT-2>TIME-WAIT?'],
    'never CLOSED -> TIME-WAIT, which the diagram does not have',
  );
  for (const l of lines) assert.ok(adjacent(l.from, l.to), `${l.from} -> ${l.to} is an edge`);
  lines.length = 0;
  feed(63_000, []);
  assert.deepEqual(lines.map((l) => [l.from, l.to, l.msInFrom, l.inferred]), [['TIME-WAIT', 'CLOSED', 60_000, false]], 'its TIME-WAIT began within the last gap: 60 s');
});

test('--container: by name, or by id or an id prefix; repeatable; other sockets and unlabelled ones left out', () => {
  const o = parseCli(['snapshot', '--container', 'demo-web-1', '--container=4f3c2a']);
  assert.deepEqual(o.containers, ['demo-web-1', '4f3c2a']);
  assert.equal(o.scope, 'all');
  assert.deepEqual(parseCli(['watch', '--container', 'db']).containers, ['db']);
  const web = { id: '4f3c2a1b9d0e'.padEnd(64, '7'), name: 'demo-web-1', image: 'busybox', composeProject: 'demo', composeService: 'web' };
  const db = { ...web, id: 'ab'.repeat(32), name: 'demo-db-1', composeService: 'db' };
  assert.ok(containerMatches(web, 'demo-web-1'));
  assert.ok(containerMatches(web, '4f3c2a1b9d0e'));
  assert.ok(containerMatches(web, web.id));
  assert.ok(!containerMatches(web, 'demo-web'), 'a name matches whole');
  assert.ok(!containerMatches(web, 'web'), 'not by compose service');
  assert.ok(!containerMatches(undefined, 'demo-web-1'));
  const rows = [{ container: web }, { container: db }, {}, { container: web }];
  assert.deepEqual(filterContainers(rows, ['demo-web-1']), [rows[0], rows[3]]);
  assert.deepEqual(filterContainers(rows, ['demo-web-1', 'abab']), [rows[0], rows[1], rows[3]]);
  assert.equal(filterContainers(rows, []), rows);
});

test('watch lines of another namespace say where: the container, else the namespace; JSON carries both', () => {
  const web = { id: 'c'.repeat(64), name: 'demo-web-1', image: 'busybox', composeProject: 'demo', composeService: 'web' };
  const t = new ConnectionTracker();
  const listener: SocketRecord = { state: 'LISTEN', family: 'ipv4', local: { address: '127.0.0.1', port: 8080 }, remote: { address: '0.0.0.0', port: 0 }, inode: 1, uid: 0, recvQ: 0, sendQ: 0, timer: null, owners: [], netns: 'net:[4026532301]', container: web };
  const bare: SocketRecord = { ...listener, inode: 2, netns: 'net:[4026532302]', container: undefined };
  delete bare.container;
  const ev = t.update({ takenAt: 1000, sockets: [listener, bare] });
  const lines = ev.flatMap((e) => watchLines(e, (id) => t.get(id)));
  const closing = t.update({ takenAt: 2000, sockets: [] }).flatMap((e) => watchLines(e, (id) => t.get(id)));
  const text = closing.map(formatWatchLine);
  assert.match(text[0], /LISTEN -> CLOSED.* {2}demo-web-1$/);
  assert.match(text[1], /LISTEN -> CLOSED.* {2}net:\[4026532302\]$/);
  const json = JSON.parse(JSON.stringify(closing[0])) as WatchLine;
  assert.equal(json.netns, 'net:[4026532301]');
  assert.deepEqual(json.container, web);
  assert.deepEqual(
    lines.map((l) => `${l.from}->${l.to} ${l.container?.name ?? l.netns}`),
    ['CLOSED->LISTEN demo-web-1', 'CLOSED->LISTEN net:[4026532302]'],
    'the inferred opening hops too',
  );
});
