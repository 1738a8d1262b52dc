// Insights over the socket table captured from this machine (fixtures/loopback-ss-tanoeH.txt: a listener with
// listen(1) and two unaccepted connections, a client stuck in SYN-SENT behind it, CLOSE-WAIT on both families,
// TIME-WAIT on the client side), run through the real tracker, plus made-up storms for the TIME-WAIT counts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { computeInsights, insightText, type InsightThresholds } from '../../../src/domain/insights';
import { ConnectionTracker } from '../../../src/domain/tracker';
import { parseSsOutput } from '../../../src/sampling/ssOutput';
import type { Insight, InsightKind, SocketRecord } from '../../../src/domain/types';
import { LOCALES } from '../../../src/domain/stateTexts';
import { UNIT_FIXTURES } from '../../common/paths';

const FIXTURES = UNIT_FIXTURES;
const T0 = 1_700_000_000_000;
const DEFAULTS: InsightThresholds = { closeWaitSeconds: 30, timeWaitPerEndpoint: 200, synSentSeconds: 5 };
/** The capture's listening ports (loopback-manifest.json): their sockets belong to the "server" process. */
const SERVER_PORTS = new Set([37565, 39919, 43075, 36931, 41659, 40407]);

/** The captured table, with owners as attribution would give them (none for sockets without a file). */
function capturedSample(): SocketRecord[] {
  const { sockets, skipped } = parseSsOutput(readFileSync(join(FIXTURES, 'loopback-ss-tanoeH.txt'), 'utf8'));
  assert.equal(skipped, 0);
  for (const s of sockets) {
    if (s.inode === 0) continue;
    s.owners = SERVER_PORTS.has(s.local.port) ? [{ pid: 100, command: 'server' }] : [{ pid: 200, command: 'client' }];
  }
  return sockets;
}

/** The tracker after seeing the captured table at T0 and again `seconds` later. */
function trackedFor(seconds: number): ConnectionTracker {
  const t = new ConnectionTracker();
  t.update({ takenAt: T0, sockets: capturedSample() });
  t.update({ takenAt: T0 + seconds * 1000, sockets: capturedSample() });
  return t;
}

const kinds = (xs: readonly Insight[]): InsightKind[] => xs.map((i) => i.kind);

test('on the captured table a minute on: a CLOSE-WAIT leak, a stuck SYN-SENT and a full accept queue, nothing else', () => {
  const t = trackedFor(60);
  const insights = computeInsights({ connections: t.connections(), now: T0 + 60_000, thresholds: DEFAULTS });
  assert.deepEqual(kinds(insights), ['close-wait-leak', 'syn-sent-stuck', 'accept-queue-full']);
  const [leak, syn, queue] = insights as [Insight, Insight, Insight];

  assert.equal(leak.pid, 100);
  assert.equal(leak.command, 'server');
  assert.equal(leak.count, 2, 'the IPv4 and the IPv6 CLOSE-WAIT');
  assert.equal(leak.oldestMs, 60_000);
  assert.equal(leak.threshold, 30);
  for (const id of leak.connectionIds) assert.equal(t.get(id)?.state, 'CLOSE-WAIT');

  assert.deepEqual(syn.endpoint, { address: '127.0.0.1', port: 41659 });
  assert.equal(syn.count, 1);
  assert.equal(syn.pid, 200);
  assert.equal(syn.oldestMs, 60_000);
  assert.equal(syn.threshold, 5);

  // listen(1) with two connections waiting: Recv-Q 2 >= Send-Q 1. The other listeners show 0 of 511.
  assert.deepEqual(queue.endpoint, { address: '127.0.0.1', port: 41659 });
  assert.equal(queue.count, 2);
  assert.equal(queue.threshold, 1);
  assert.equal(queue.pid, 100);
  assert.equal(t.get(queue.connectionIds[0] as string)?.state, 'LISTEN');
  assert.equal(queue.oldestMs, null);
});

test('negative cases on the same table: young sockets, high thresholds, closed connections', () => {
  // 10 s: the CLOSE-WAITs are under 30 s; the SYN-SENT is over 5 s.
  assert.deepEqual(kinds(computeInsights({ connections: trackedFor(10).connections(), now: T0 + 10_000, thresholds: DEFAULTS })), ['syn-sent-stuck', 'accept-queue-full']);
  // 2 s: only the queue, which is full whatever its age.
  assert.deepEqual(kinds(computeInsights({ connections: trackedFor(2).connections(), now: T0 + 2000, thresholds: DEFAULTS })), ['accept-queue-full']);
  // Thresholds above the ages.
  const t = trackedFor(60);
  assert.deepEqual(kinds(computeInsights({ connections: t.connections(), now: T0 + 60_000, thresholds: { closeWaitSeconds: 61, timeWaitPerEndpoint: 200, synSentSeconds: 61 } })), ['accept-queue-full']);
  // Once the table is empty, everything is closed and nothing is reported.
  t.update({ takenAt: T0 + 61_000, sockets: [] });
  assert.ok(t.connections().length > 0, 'closed connections are still retained');
  assert.deepEqual(computeInsights({ connections: t.connections(), now: T0 + 61_000, thresholds: { closeWaitSeconds: 1, timeWaitPerEndpoint: 0, synSentSeconds: 1 } }), []);
});

test('an accept queue is full from Recv-Q >= Send-Q with something queued, listen(0) included; not when empty', () => {
  const listener = (recvQ: number, sendQ: number): SocketRecord => ({
    state: 'LISTEN',
    family: 'ipv4',
    local: { address: '127.0.0.1', port: 9000 + recvQ * 10 + sendQ },
    remote: { address: '0.0.0.0', port: 0 },
    inode: 1 + recvQ * 10 + sendQ,
    uid: 0,
    recvQ,
    sendQ,
    timer: null,
    owners: [],
  });
  const t = new ConnectionTracker();
  t.update({ takenAt: T0, sockets: [listener(0, 0), listener(1, 0), listener(0, 4), listener(3, 4), listener(4, 4), listener(5, 4)] });
  const full = computeInsights({ connections: t.connections(), now: T0, thresholds: DEFAULTS }).map((i) => `${i.count}/${i.threshold}`);
  assert.deepEqual(full.sort(), ['1/0', '4/4', '5/4']);
});

test('TIME-WAIT storms: per remote endpoint for a client closing first, per local endpoint for a server', () => {
  const t = trackedFor(1);
  // The capture holds one client-side TIME-WAIT towards each of two servers.
  assert.deepEqual(computeInsights({ connections: t.connections(), now: T0 + 1000, thresholds: { ...DEFAULTS, timeWaitPerEndpoint: 1 } }).filter((i) => i.kind === 'time-wait-storm'), []);
  const storms = computeInsights({ connections: t.connections(), now: T0 + 1000, thresholds: { ...DEFAULTS, timeWaitPerEndpoint: 0 } }).filter((i) => i.kind === 'time-wait-storm');
  assert.deepEqual(
    storms.map((i) => [i.endpointSide, i.endpoint?.address, i.endpoint?.port, i.count]),
    [
      ['remote', '127.0.0.1', 37565, 1],
      ['remote', '::1', 39919, 1],
    ],
  );

  // A server that closes first: 250 TIME-WAIT sockets on its port, the listener seen with them.
  const rows: SocketRecord[] = [
    { state: 'LISTEN', family: 'ipv4', local: { address: '0.0.0.0', port: 8080 }, remote: { address: '0.0.0.0', port: 0 }, inode: 7, uid: 0, recvQ: 0, sendQ: 511, timer: null, owners: [{ pid: 300, command: 'api' }] },
  ];
  for (let i = 0; i < 250; i++) {
    rows.push({
      state: 'TIME-WAIT',
      family: 'ipv4',
      local: { address: '10.0.0.1', port: 8080 },
      remote: { address: `10.0.1.${i % 200}`, port: 40000 + i },
      inode: 0,
      uid: 0,
      recvQ: 0,
      sendQ: 0,
      timer: { kind: 'timewait', remainingMs: 50_000, retransmits: 0 },
      owners: [{ pid: 300, command: 'api' }],
    });
  }
  const srv = new ConnectionTracker();
  srv.update({ takenAt: T0, sockets: rows });
  const [storm, ...rest] = computeInsights({ connections: srv.connections(), now: T0, thresholds: DEFAULTS });
  assert.deepEqual(rest, []);
  assert.equal(storm?.kind, 'time-wait-storm');
  assert.equal(storm?.endpointSide, undefined, 'local');
  assert.deepEqual(storm?.endpoint, { address: '10.0.0.1', port: 8080 });
  assert.equal(storm?.count, 250);
  assert.equal(storm?.threshold, 200);
  assert.equal(storm?.pid, 300);
  assert.deepEqual(computeInsights({ connections: srv.connections(), now: T0, thresholds: { ...DEFAULTS, timeWaitPerEndpoint: 250 } }), [], 'not above 250');
});

test('namespaces: the same endpoint in two containers is two storms; their owner-less CLOSE-WAITs two leaks', () => {
  const rows: SocketRecord[] = [];
  for (const netns of ['net:[4026532301]', 'net:[4026532302]']) {
    // Each container's server: its listener makes the TIME-WAITs on :8080 server-side (a local-endpoint storm).
    rows.push({ state: 'LISTEN', family: 'ipv4', local: { address: '0.0.0.0', port: 8080 }, remote: { address: '0.0.0.0', port: 0 }, inode: netns.endsWith('1]') ? 901 : 902, uid: 0, recvQ: 0, sendQ: 511, timer: null, owners: [], netns });
    for (let i = 0; i < 3; i++) {
      const base = { family: 'ipv4' as const, inode: 0, uid: 0, recvQ: 0, sendQ: 0, owners: [], netns };
      rows.push({ ...base, state: 'TIME-WAIT', local: { address: '127.0.0.1', port: 8080 }, remote: { address: '127.0.0.1', port: 41000 + i }, timer: { kind: 'timewait', remainingMs: 50_000, retransmits: 0 } });
      rows.push({ ...base, state: 'CLOSE-WAIT', inode: 500 + i + (netns.endsWith('2]') ? 10 : 0), local: { address: '127.0.0.1', port: 8080 }, remote: { address: '127.0.0.1', port: 42000 + i }, timer: null });
    }
  }
  const t = new ConnectionTracker();
  t.update({ takenAt: T0, sockets: rows });
  t.update({ takenAt: T0 + 60_000, sockets: rows });
  const found = computeInsights({ connections: t.connections(), now: T0 + 60_000, thresholds: { ...DEFAULTS, timeWaitPerEndpoint: 2 } });
  assert.deepEqual(
    found.map((i) => [i.kind, i.key, i.count]),
    [
      ['close-wait-leak', 'close-wait-leak:?@net:[4026532301]', 3],
      ['close-wait-leak', 'close-wait-leak:?@net:[4026532302]', 3],
      ['time-wait-storm', 'time-wait-storm:local:ipv4:127.0.0.1:8080@net:[4026532301]', 3],
      ['time-wait-storm', 'time-wait-storm:local:ipv4:127.0.0.1:8080@net:[4026532302]', 3],
    ],
  );
});

test('sockets still held after a debuggee exited: what the process holds, not what the kernel is finishing', () => {
  const t = trackedFor(5);
  const now = T0 + 5000;
  const after = computeInsights({ connections: t.connections(), now: now, thresholds: DEFAULTS, exitedPids: new Map([[100, T0 + 1000]]) }).filter((i) => i.kind === 'open-after-exit');
  const [held, ...rest] = after;
  assert.deepEqual(rest, []);
  assert.equal(held?.pid, 100);
  assert.equal(held?.command, 'server');
  assert.equal(held?.oldestMs, 4000, 'exited 4 s ago');
  // The six listeners, two CLOSE-WAIT and five accepted ESTABLISHED; not its LAST-ACK and FIN-WAIT-2 orphans, and
  // not the two connections still waiting in the accept queue (no file, no owner).
  const states = (held?.connectionIds ?? []).map((id) => t.get(id)?.state).sort();
  assert.deepEqual(states, ['CLOSE-WAIT', 'CLOSE-WAIT', 'ESTABLISHED', 'ESTABLISHED', 'ESTABLISHED', 'ESTABLISHED', 'ESTABLISHED', 'LISTEN', 'LISTEN', 'LISTEN', 'LISTEN', 'LISTEN', 'LISTEN']);
  assert.equal(held?.count, 13);
  // A Set works too (no exit time, so no age); a pid that owns nothing, or no exited pids at all, gives nothing.
  assert.equal(computeInsights({ connections: t.connections(), now: now, thresholds: DEFAULTS, exitedPids: new Set([100]) }).find((i) => i.kind === 'open-after-exit')?.oldestMs, null);
  assert.ok(!kinds(computeInsights({ connections: t.connections(), now: now, thresholds: DEFAULTS, exitedPids: new Set([999]) })).includes('open-after-exit'));
  assert.ok(!kinds(computeInsights({ connections: t.connections(), now: now, thresholds: DEFAULTS })).includes('open-after-exit'));
});

test('the object form gives the same result as the positional one, and keys are stable across samples', () => {
  const t = trackedFor(60);
  const exited = new Set([200]);
  const a = computeInsights({ connections: t.connections(), now: T0 + 60_000, thresholds: DEFAULTS, exitedPids: exited });
  const b = computeInsights({ connections: t.connections(), now: T0 + 60_000, thresholds: DEFAULTS, exitedPids: exited });
  assert.deepEqual(a, b);
  t.update({ takenAt: T0 + 61_000, sockets: capturedSample() });
  const c = computeInsights({ connections: t.connections(), now: T0 + 61_000, thresholds: DEFAULTS, exitedPids: exited });
  assert.deepEqual(c.map((i) => i.key), a.map((i) => i.key));
  assert.equal(new Set(a.map((i) => i.key)).size, a.length);
});

test('every insight has a title and a detail in both languages, with its numbers', () => {
  const t = trackedFor(125);
  const insights = computeInsights({ connections: t.connections(), now: T0 + 125_000, thresholds: { ...DEFAULTS, timeWaitPerEndpoint: 0 }, exitedPids: new Map([[100, T0]]) });
  assert.deepEqual([...new Set(kinds(insights))], ['close-wait-leak', 'time-wait-storm', 'syn-sent-stuck', 'accept-queue-full', 'open-after-exit']);
  for (const i of insights) {
    for (const locale of LOCALES) {
      const { title, detail } = insightText(i, locale);
      assert.ok(title.length > 10 && detail.length > 40, `${i.kind} ${locale}`);
      assert.ok(title.includes(String(i.count)), `${i.kind} ${locale}: count missing from "${title}"`);
      if (locale === 'zh-cn') assert.match(title + detail, /[\u4e00-\u9fff]/);
      else assert.doesNotMatch(title + detail, /[\u4e00-\u9fff]/);
    }
  }
  const leak = insights.find((i) => i.kind === 'close-wait-leak') as Insight;
  // The process named as the Connections tree names it: by its script when its command line is known.
  assert.equal(insightText(leak, 'en').title, 'server 100 has 2 CLOSE-WAIT sockets not closed (oldest 2 min 5 s)');
  assert.equal(insightText(leak, 'zh-cn').title, 'server 100 有 2 个 CLOSE-WAIT 套接字未关闭（最久 2 分 5 秒）');
  const argv = (pid: number) => (pid === 100 ? ['node', '/srv/leak-server.js', '--port', '7321'] : undefined);
  assert.equal(insightText(leak, 'en', argv).title, 'server leak-server.js 100 has 2 CLOSE-WAIT sockets not closed (oldest 2 min 5 s)');
  // The tree's label: the age in coarse steps, so the row is not redrawn (and a click lost) each second.
  assert.equal(insightText(leak, 'en', argv, { coarseAge: true }).title, 'server leak-server.js 100 has 2 CLOSE-WAIT sockets not closed (oldest 2 min)');
  assert.equal(insightText(leak, 'zh-cn', undefined, { coarseAge: true }).title, 'server 100 有 2 个 CLOSE-WAIT 套接字未关闭（最久 2 分）');
  const queue = insights.find((i) => i.kind === 'accept-queue-full') as Insight;
  assert.equal(insightText(queue, 'en').title, 'Accept queue of 127.0.0.1:41659 is full (2/1)');
  const storm = insights.find((i) => i.kind === 'time-wait-storm' && i.endpoint?.address === '::1') as Insight;
  assert.equal(insightText(storm, 'en').title, '1 TIME-WAIT socket towards [::1]:39919');
});
