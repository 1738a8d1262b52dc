// The /proc reader stops without the read(2) that would return 0 (src/sampling/seqFile.ts), which saves a walk of
// the kernel's TCP hash per file. Here, in a private network namespace, from 0 to 60 loopback connections (1 to 121
// rows of /proc/net/tcp, 150 B to 18 KB: one to five seq_file pages), the sampler's table is the table read to
// EOF, and a file that fits one read costs exactly one read(2). The namespace has no IPv6 socket, so its empty tcp6
// is not read at all (sockstat, src/sampling/namespaces.ts tcpTablesToRead); the second test steps through the cases
// that decide that.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { NetNamespace, netnsSupport } from '../common/netns';

const support = netnsSupport();
const skip = support.ok ? false : support.reason;
const runner = join(__dirname, '..', 'common', 'seqReadMain.js');
const planRunner = join(__dirname, '..', 'common', 'tablePlanMain.js');

interface Step {
  connections: number;
  rows: number;
  bytes: number;
  readCalls: number;
  same: boolean;
  missing: string[];
  extra: string[];
}

test('/proc/net/tcp{,6} read without the final empty read: the same rows as reading to EOF at every size, one read(2) per small file', { skip, timeout: 120_000 }, async (t) => {
  const ns = NetNamespace.create('tcpsvseq');
  t.after(() => ns.dispose());
  const [cmd, args] = ns.argv(process.execPath, [runner, '60']);
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 90_000 });
  assert.equal(r.status, 0, r.stderr);
  const steps = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Step);
  assert.equal(steps.length, 61);
  for (const s of steps) {
    assert.ok(s.same, `${s.connections} connections (${s.rows} rows): missing ${s.missing.join(', ')}; extra ${s.extra.join(', ')}`);
    assert.equal(s.rows, 1 + 2 * s.connections, 'the listener and both ends of each connection');
  }
  // tcp6 is not read (no IPv6 socket, no TIME-WAIT); tcp fits one read up to 22 rows (3,450 bytes with the header).
  for (const s of steps.filter((x) => x.rows <= 22)) assert.equal(s.readCalls, 1, `${s.rows} rows: one read(2), no read returning 0, no tcp6`);
  // Larger tables take a read per page and, when the last page is nearly full (23-27 rows of 150 B), the empty read.
  for (const s of steps) {
    const v4Bytes = 150 * (1 + s.rows);
    const pages = Math.ceil(v4Bytes / 4050);
    assert.ok(s.readCalls >= pages && s.readCalls <= 1 + pages, `${s.rows} rows: ${s.readCalls} reads for ${pages} pages of /proc/net/tcp`);
  }
});

interface PlanStep {
  step: string;
  readCalls: number;
  v6Rows: number;
  same: boolean;
  missing: string[];
  extra: string[];
}

test('our namespace\'s tcp6 is read only when sockstat says it may hold a row: an IPv6 socket, or a TIME-WAIT tcp does not hold', { skip, timeout: 60_000 }, async (t) => {
  const ns = NetNamespace.create('tcpsvplan');
  t.after(() => ns.dispose());
  const [cmd, args] = ns.argv(process.execPath, [planRunner]);
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 50_000 });
  assert.equal(r.status, 0, r.stderr);
  const steps = new Map(r.stdout.trim().split('\n').map((l) => JSON.parse(l) as PlanStep).map((s) => [s.step, s]));
  for (const s of steps.values()) assert.ok(s.same, `${s.step}: missing ${s.missing.join(', ')}; extra ${s.extra.join(', ')}`);
  const calls = (name: string): number => steps.get(name)?.readCalls ?? -1;
  assert.equal(calls('empty'), 0, 'no socket, no TIME-WAIT: neither table is read');
  assert.equal(calls('ipv4 listener and connection'), 1, 'tcp only');
  assert.equal(calls('ipv4 time-wait'), 1, 'the TIME-WAIT sockstat counts is in tcp: tcp6 not read');
  assert.equal(calls('ipv6 listener'), 2, 'an IPv6 socket: both');
  assert.equal(steps.get('ipv6 time-wait, no ipv6 socket')?.v6Rows, 1, 'the IPv6 TIME-WAIT is there');
  assert.equal(calls('ipv6 time-wait, no ipv6 socket'), 2, 'a TIME-WAIT tcp does not hold: tcp6 is read, and its row is in the sample');
});
