import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  KEY_ORDER,
  SHORT_STATE_NAMES,
  SS_STATES,
  SS_STATE_FILTER_NAMES,
  STATES,
  STATE_ALIASES,
  STATE_ORDER,
  STATUS_BAR_ORDER,
  normalizeState,
  procCodeOf,
  stateFromProcCode,
  stateOfStCode,
  TCP_STATES,
} from '../../../src/domain/states';
import { type TcpState } from '../../../src/domain/types';
import { ST_CODE_STATES } from '../../common/stCodes';
import { DIAGRAM_EDGES, adjacent, inferPath } from '../../../src/domain/diagram';
import { LOCALES, STATE_TEXTS } from '../../../src/domain/stateTexts';
import { REPO_ROOT, UNIT_FIXTURES } from '../../common/paths';

const FIXTURES = UNIT_FIXTURES;
const ROOT = REPO_ROOT;

/** RFC 9293 section 3.5.2's third group: both sides' SYNs are acknowledged, so a reset ends the connection. */
const synchronized = (s: TcpState): boolean => s !== 'CLOSED' && s !== 'LISTEN' && s !== 'SYN-SENT' && s !== 'SYN-RECEIVED';

// RFC 9293 section 3.3.2, Figure 5, read off the figure: from, to, event / action.
const RFC_9293_FIGURE_5: readonly [TcpState, TcpState, string][] = [
  ['CLOSED', 'LISTEN', 'passive OPEN / create TCB'],
  ['CLOSED', 'SYN-SENT', 'active OPEN / create TCB, snd SYN'],
  ['LISTEN', 'SYN-RECEIVED', 'rcv SYN / snd SYN,ACK'],
  ['LISTEN', 'SYN-SENT', 'SEND / snd SYN'],
  ['LISTEN', 'CLOSED', 'CLOSE / delete TCB'],
  ['SYN-SENT', 'SYN-RECEIVED', 'rcv SYN / snd SYN,ACK'],
  ['SYN-SENT', 'ESTABLISHED', 'rcv SYN,ACK / snd ACK'],
  ['SYN-SENT', 'CLOSED', 'CLOSE / delete TCB'],
  ['SYN-RECEIVED', 'ESTABLISHED', 'rcv ACK of SYN'],
  ['SYN-RECEIVED', 'FIN-WAIT-1', 'CLOSE / snd FIN'],
  ['SYN-RECEIVED', 'LISTEN', 'rcv RST (note 1)'],
  ['ESTABLISHED', 'FIN-WAIT-1', 'CLOSE / snd FIN'],
  ['ESTABLISHED', 'CLOSE-WAIT', 'rcv FIN / snd ACK'],
  ['FIN-WAIT-1', 'FIN-WAIT-2', 'rcv ACK of FIN'],
  ['FIN-WAIT-1', 'CLOSING', 'rcv FIN / snd ACK'],
  ['FIN-WAIT-2', 'TIME-WAIT', 'rcv FIN / snd ACK'],
  ['CLOSING', 'TIME-WAIT', 'rcv ACK of FIN'],
  ['CLOSE-WAIT', 'LAST-ACK', 'CLOSE / snd FIN'],
  ['LAST-ACK', 'CLOSED', 'rcv ACK of FIN'],
  ['TIME-WAIT', 'CLOSED', 'Timeout=2MSL / delete TCB'],
];

test('every edge of RFC 9293 Figure 5 is there with its label, and no other edge is marked rfc', () => {
  for (const [from, to, label] of RFC_9293_FIGURE_5) {
    const e = adjacent(from, to);
    assert.ok(e, `missing ${from} -> ${to}`);
    assert.equal(e.kind, 'rfc', `${from} -> ${to}`);
    assert.equal(e.label, label, `${from} -> ${to}`);
  }
  const rfc = DIAGRAM_EDGES.filter((e) => e.kind === 'rfc').map((e) => `${e.from}>${e.to}`);
  assert.deepEqual(rfc.sort(), RFC_9293_FIGURE_5.map(([f, t]) => `${f}>${t}`).sort());
});

test("Linux's FIN-WAIT-1 -> TIME-WAIT (note 2) is the one linux edge", () => {
  const linux = DIAGRAM_EDGES.filter((e) => e.kind === 'linux');
  assert.equal(linux.length, 1);
  assert.equal(linux[0]?.from, 'FIN-WAIT-1');
  assert.equal(linux[0]?.to, 'TIME-WAIT');
  assert.match(linux[0]?.label ?? '', /^rcv FIN,ACK of FIN \/ snd ACK$/);
});

test('abort edges go to CLOSED, and every state but CLOSED has some way to CLOSED', () => {
  const aborts = DIAGRAM_EDGES.filter((e) => e.kind === 'abort');
  assert.ok(aborts.length > 0);
  for (const e of aborts) {
    assert.equal(e.to, 'CLOSED');
    assert.match(e.event, /RST/);
    assert.ok(synchronized(e.from) || e.from === 'SYN-RECEIVED', `${e.from} is not a state a reset can end`);
  }
  for (const s of TCP_STATES) if (s !== 'CLOSED') assert.ok(adjacent(s, 'CLOSED'), `${s} has no edge to CLOSED`);
  // Synchronized states each get a reset edge of their own unless the figure already draws one to CLOSED.
  for (const s of TCP_STATES.filter(synchronized)) {
    const e = adjacent(s, 'CLOSED');
    assert.ok(e && (e.kind === 'abort' || e.kind === 'rfc'), s);
  }
});

test('edges are unique per ordered pair, ids are unique, and labels are event / action', () => {
  const pairs = new Set(DIAGRAM_EDGES.map((e) => `${e.from}>${e.to}`));
  assert.equal(pairs.size, DIAGRAM_EDGES.length);
  assert.equal(new Set(DIAGRAM_EDGES.map((e) => e.id)).size, DIAGRAM_EDGES.length);
  for (const e of DIAGRAM_EDGES) {
    assert.equal(e.label, e.action ? `${e.event} / ${e.action}` : e.event);
    assert.ok(['client', 'server', 'both'].includes(e.path));
    assert.equal(adjacent(e.from, e.to), e);
  }
  assert.equal(adjacent('ESTABLISHED', 'SYN-SENT'), undefined);
});

// The spellings issue 4 names, and those of the tools and APIs it means by "and the like".
const EXPECTED_ALIASES: Record<string, TcpState> = {
  TIME_WAIT: 'TIME-WAIT',
  'TIME-WAIT': 'TIME-WAIT',
  TIMEWAIT: 'TIME-WAIT',
  TimeWait: 'TIME-WAIT',
  TCP_TIME_WAIT: 'TIME-WAIT',
  'time-wait': 'TIME-WAIT',
  TIMED_WAIT: 'TIME-WAIT',
  ESTAB: 'ESTABLISHED',
  ESTABLISHED: 'ESTABLISHED',
  TCP_ESTABLISHED: 'ESTABLISHED',
  MIB_TCP_STATE_ESTAB: 'ESTABLISHED',
  'SYN-RECV': 'SYN-RECEIVED',
  SYN_RECV: 'SYN-RECEIVED',
  SYN_RCVD: 'SYN-RECEIVED',
  NEW_SYN_RECV: 'SYN-RECEIVED',
  TCP_NEW_SYN_RECV: 'SYN-RECEIVED',
  'SYN-RECEIVED': 'SYN-RECEIVED',
  SynReceived: 'SYN-RECEIVED',
  FIN_WAIT1: 'FIN-WAIT-1',
  FIN_WAIT_1: 'FIN-WAIT-1',
  'FIN-WAIT1': 'FIN-WAIT-1',
  'FIN-WAIT-1': 'FIN-WAIT-1',
  FinWait1: 'FIN-WAIT-1',
  FIN_WAIT2: 'FIN-WAIT-2',
  FIN_WAIT_2: 'FIN-WAIT-2',
  'FINWAIT-2': 'FIN-WAIT-2',
  TCPS_FIN_WAIT_2: 'FIN-WAIT-2',
  LISTENING: 'LISTEN',
  LISTEN: 'LISTEN',
  Listen: 'LISTEN',
  CLOSE_WAIT: 'CLOSE-WAIT',
  CloseWait: 'CLOSE-WAIT',
  'close-wait': 'CLOSE-WAIT',
  TCP_CLOSE_WAIT: 'CLOSE-WAIT',
  LAST_ACK: 'LAST-ACK',
  LastAck: 'LAST-ACK',
  SYN_SEND: 'SYN-SENT',
  SYN_SENT: 'SYN-SENT',
  'SYN-SENT': 'SYN-SENT',
  SynSent: 'SYN-SENT',
  CLOSE: 'CLOSED',
  CLOSED: 'CLOSED',
  UNCONN: 'CLOSED',
  TCP_CLOSE: 'CLOSED',
  DELETE_TCB: 'CLOSED',
  CLOSING: 'CLOSING',
  TCPSTATE_CLOSING: 'CLOSING',
};

test('every alias named by the issue and the tools maps to its state, in STATE_ALIASES and through normalizeState', () => {
  const listed = new Map(STATE_ALIASES.map((a) => [a.alias, a.state]));
  for (const [alias, state] of Object.entries(EXPECTED_ALIASES)) {
    assert.equal(normalizeState(alias), state, alias);
    assert.equal(listed.get(alias), state, `${alias} is not in STATE_ALIASES`);
  }
});

test('every entry of STATE_ALIASES normalizes to its own state, in any letter case', () => {
  assert.equal(new Set(STATE_ALIASES.map((a) => a.alias)).size, STATE_ALIASES.length, 'duplicate aliases');
  for (const { alias, state } of STATE_ALIASES) {
    assert.equal(normalizeState(alias), state, alias);
    assert.equal(normalizeState(alias.toLowerCase()), state, alias.toLowerCase());
    assert.equal(normalizeState(alias.toUpperCase()), state, alias.toUpperCase());
    assert.equal(normalizeState(`  ${alias} `), state, 'surrounding blanks');
  }
  for (const s of TCP_STATES) assert.ok(STATE_ALIASES.some((a) => a.alias === s && a.state === s), `${s} itself is missing`);
});

test('everyday English words among the aliases are marked, so a text matcher can require their exact spelling', () => {
  const common = STATE_ALIASES.filter((a) => a.commonWord).map((a) => a.alias);
  for (const word of ['Listen', 'Closed', 'closed', 'Established', 'established', 'Closing', 'listening']) assert.ok(common.includes(word), word);
  for (const a of STATE_ALIASES) if (/^[A-Z0-9_-]+$/.test(a.alias) && a.alias.length > 3) assert.ok(!a.commonWord, `${a.alias} is upper case and needs no marking`);
});

test('/proc/net/tcp st codes map to states; 0C (NEW_SYN_RECV) is SYN-RECEIVED; each state\'s usual code maps back', () => {
  for (const [code, state] of Object.entries(ST_CODE_STATES)) {
    assert.equal(normalizeState(code), state, code);
    assert.equal(normalizeState(code.toLowerCase()), state, code.toLowerCase());
    assert.equal(normalizeState(`0x${code}`), state, `0x${code}`);
    assert.equal(stateFromProcCode(code), state);
  }
  assert.equal(normalizeState('0x6'), 'TIME-WAIT');
  for (const s of TCP_STATES) assert.equal(stateFromProcCode(procCodeOf(s)), s);
  assert.equal(procCodeOf('SYN-RECEIVED'), '03');
  assert.equal(procCodeOf('LISTEN'), '0A');
  for (let code = 1; code <= 0x0c; code++) assert.ok(stateOfStCode(code), `st ${code} has a state`);
  assert.equal(stateOfStCode(0), undefined);
  assert.equal(stateOfStCode(0x0d), undefined);
});

test('names that are not TCP states are refused', () => {
  for (const bad of ['', ' ', 'FOO', 'WAIT', 'TCP_', 'STATE', 'ESTABLISHEDX', 'TIME WAIT X', '0D', '00', '6', '0x', 'LISTEN;', 'SYN-', '1.2.3.4']) {
    assert.equal(normalizeState(bad), undefined, JSON.stringify(bad));
  }
});

test('every state word in captured ss, netstat and /proc output normalizes', () => {
  const ss = readFileSync(join(FIXTURES, 'loopback-ss-tanoeH.txt'), 'utf8') + readFileSync(join(FIXTURES, 'netns-ss.txt'), 'utf8');
  const ssWords = ss.split('\n').filter((l) => l.trim()).map((l) => l.trim().split(/\s+/)[0] ?? '');
  assert.ok(ssWords.length > 50);
  for (const w of ssWords) assert.ok(normalizeState(w), `ss: ${w}`);
  const netstat = readFileSync(join(FIXTURES, 'stateMatcher', 'netstat-tan.txt'), 'utf8').split('\n').filter((l) => l.startsWith('tcp'));
  assert.deepEqual(
    netstat.map((l) => normalizeState(l.trim().split(/\s+/).at(-1) ?? '')),
    ['LISTEN', 'ESTABLISHED', 'FIN-WAIT-2', 'TIME-WAIT', 'ESTABLISHED', 'CLOSE-WAIT'],
  );
  const proc = readFileSync(join(FIXTURES, 'netns-proc-net-tcp.txt'), 'utf8').split('\n').slice(1).filter((l) => l.trim());
  for (const l of proc) assert.ok(normalizeState(l.trim().split(/\s+/)[3] ?? ''), `proc: ${l}`);
});

test('every state has all four texts in both languages, non-empty, and each language in its own script', () => {
  const cjk = /[\u4e00-\u9fff]/;
  assert.deepEqual([...LOCALES].sort(), ['en', 'zh-cn']);
  assert.deepEqual(Object.keys(STATE_TEXTS).sort(), [...TCP_STATES].sort());
  for (const s of TCP_STATES) {
    const info = STATE_TEXTS[s];
    assert.equal(info.state, s);
    for (const field of ['summary', 'detail', 'nextActor', 'longStay'] as const) {
      for (const locale of LOCALES) {
        const text = info[field][locale];
        assert.equal(typeof text, 'string', `${s}.${field}.${locale}`);
        assert.ok(text.trim().length > 10, `${s}.${field}.${locale} is empty or too short`);
      }
      assert.ok(cjk.test(info[field]['zh-cn']), `${s}.${field} zh-cn has no Chinese`);
      assert.ok(!cjk.test(info[field].en), `${s}.${field} en has Chinese`);
      assert.notEqual(info[field].en, info[field]['zh-cn']);
    }
    assert.ok(info.detail.en.length > info.summary.en.length, `${s}: detail is not longer than the summary`);
  }
});

test("the explanations fix the source article's errors: TIME-WAIT is a fixed 60 s on Linux, no SYC-SENT", () => {
  const tw = STATE_TEXTS['TIME-WAIT'];
  for (const locale of LOCALES) {
    assert.match(tw.detail[locale], /60/);
    assert.match(tw.detail[locale], /TCP_TIMEWAIT_LEN/);
    assert.match(tw.summary[locale], /60/);
  }
  const all = JSON.stringify(STATE_TEXTS);
  assert.doesNotMatch(all, /SYC/);
  // "120" only appears where the article's claim is named as wrong.
  for (const locale of LOCALES) {
    for (const s of TCP_STATES) {
      for (const field of ['summary', 'nextActor', 'longStay'] as const) assert.doesNotMatch(STATE_TEXTS[s][field][locale], /120/);
    }
  }
  assert.match(STATE_TEXTS['CLOSE-WAIT'].summary.en, /close\(\)/);
  assert.match(STATE_TEXTS['SYN-RECEIVED'].detail.en, /tcp_synack_retries/);
  assert.match(STATE_TEXTS['SYN-SENT'].detail.en, /tcp_syn_retries/);
  assert.match(STATE_TEXTS['FIN-WAIT-2'].detail.en, /tcp_fin_timeout/);
  assert.match(STATE_TEXTS.LISTEN.detail.en, /accept-queue length as Recv-Q and the backlog .* as Send-Q/);
  assert.match(STATE_TEXTS.LISTEN.detail['zh-cn'], /Recv-Q 是当前 accept 队列.*Send-Q 是队列上限/);
});

test('inferPath takes the everyday lifecycle', () => {
  assert.deepEqual(inferPath('ESTABLISHED', 'TIME-WAIT'), ['ESTABLISHED', 'FIN-WAIT-1', 'FIN-WAIT-2', 'TIME-WAIT']);
  assert.deepEqual(inferPath('SYN-SENT', 'CLOSE-WAIT'), ['SYN-SENT', 'ESTABLISHED', 'CLOSE-WAIT']);
  assert.deepEqual(inferPath('SYN-SENT', 'TIME-WAIT'), ['SYN-SENT', 'ESTABLISHED', 'FIN-WAIT-1', 'FIN-WAIT-2', 'TIME-WAIT']);
  assert.deepEqual(inferPath('SYN-RECEIVED', 'LAST-ACK'), ['SYN-RECEIVED', 'ESTABLISHED', 'CLOSE-WAIT', 'LAST-ACK']);
  assert.deepEqual(inferPath('SYN-RECEIVED', 'FIN-WAIT-2'), ['SYN-RECEIVED', 'ESTABLISHED', 'FIN-WAIT-1', 'FIN-WAIT-2']);
  // Directly joined states need no inference, whatever the cost of the edge.
  assert.deepEqual(inferPath('FIN-WAIT-1', 'TIME-WAIT'), ['FIN-WAIT-1', 'TIME-WAIT']);
  assert.deepEqual(inferPath('FIN-WAIT-1', 'CLOSING'), ['FIN-WAIT-1', 'CLOSING']);
  assert.deepEqual(inferPath('LISTEN', 'LISTEN'), ['LISTEN']);
  // To CLOSED: a normal close is more likely than a reset, where there is one ...
  assert.deepEqual(inferPath('ESTABLISHED', 'CLOSED'), ['ESTABLISHED', 'CLOSE-WAIT', 'LAST-ACK', 'CLOSED']);
  assert.deepEqual(inferPath('CLOSE-WAIT', 'CLOSED'), ['CLOSE-WAIT', 'LAST-ACK', 'CLOSED']);
  assert.deepEqual(inferPath('FIN-WAIT-2', 'CLOSED'), ['FIN-WAIT-2', 'TIME-WAIT', 'CLOSED']);
  // ... and when TIME-WAIT is ruled out (a sample would have seen its 60 s), the timeout or reset is.
  assert.deepEqual(inferPath('FIN-WAIT-2', 'CLOSED', { avoid: ['TIME-WAIT'] }), ['FIN-WAIT-2', 'CLOSED']);
  assert.deepEqual(inferPath('SYN-RECEIVED', 'CLOSED'), ['SYN-RECEIVED', 'CLOSED']);
  // A reused 4-tuple's path runs through CLOSED.
  assert.deepEqual(inferPath('TIME-WAIT', 'ESTABLISHED'), ['TIME-WAIT', 'CLOSED', 'SYN-SENT', 'ESTABLISHED']);
});

test('inferPath is a valid path of the diagram for every pair of states and every single avoided state', () => {
  for (const from of TCP_STATES) {
    for (const to of TCP_STATES) {
      for (const avoid of [undefined, ...TCP_STATES.map((s) => [s])]) {
        const p = inferPath(from, to, avoid ? { avoid } : undefined);
        assert.equal(p[0], from);
        assert.equal(p[p.length - 1], to);
        assert.equal(new Set(p).size, p.length, `repeats a state: ${p.join(' ')}`);
        for (let i = 0; i + 1 < p.length; i++) assert.ok(adjacent(p[i] as TcpState, p[i + 1] as TcpState), `${p.join(' ')}`);
        // An avoided state is passed through only when no other path exists.
        const avoided = avoid?.[0];
        if (avoided !== undefined && p.slice(1, -1).includes(avoided)) assert.ok(!reachableWithout(from, to, avoided), `${p.join(' ')} avoids nothing`);
      }
    }
  }
});

/** Whether `to` can be reached from `from` on the diagram without passing through `avoided`. */
function reachableWithout(from: TcpState, to: TcpState, avoided: TcpState): boolean {
  const seen = new Set<TcpState>([from]);
  const queue: TcpState[] = [from];
  while (queue.length > 0) {
    const s = queue.shift() as TcpState;
    for (const e of DIAGRAM_EDGES) {
      if (e.from !== s || seen.has(e.to)) continue;
      if (e.to === to) return true;
      if (e.to === avoided) continue;
      seen.add(e.to);
      queue.push(e.to);
    }
  }
  return false;
}

test('the state table: every derived list holds each state once, in the order the table gives', () => {
  assert.deepEqual([...TCP_STATES], ['LISTEN', 'SYN-SENT', 'SYN-RECEIVED', 'ESTABLISHED', 'FIN-WAIT-1', 'FIN-WAIT-2', 'CLOSE-WAIT', 'CLOSING', 'LAST-ACK', 'TIME-WAIT', 'CLOSED']);
  for (const s of TCP_STATES) assert.equal(STATE_ORDER.get(s), STATES[s].order);
  assert.deepEqual([...KEY_ORDER].sort(), [...TCP_STATES].sort(), 'the keyboard reaches every node');
  assert.equal(KEY_ORDER[0], 'CLOSED');
  assert.deepEqual([...STATUS_BAR_ORDER].sort(), TCP_STATES.filter((s) => s !== 'CLOSED').sort(), 'the status bar counts every open state');
  assert.equal(STATUS_BAR_ORDER[0], 'ESTABLISHED');
  assert.equal(SHORT_STATE_NAMES.ESTABLISHED, 'ESTAB');
  assert.equal(SHORT_STATE_NAMES['SYN-RECEIVED'], 'SYN-RECV');
  assert.equal(SS_STATE_FILTER_NAMES.LISTEN, 'listening');
  // Every name in the table is a name normalizeState knows as that state.
  for (const s of TCP_STATES) {
    const f = STATES[s];
    for (const n of [...f.ssNames, f.shortName, ...f.aliases, ...f.commonWords]) assert.equal(normalizeState(n), s, n);
    for (const n of f.ssNames) assert.equal(SS_STATES[n], s, n);
  }
});

test('the state table: each state\'s colour is contributed in package.json, each icon is a codicon name', () => {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { contributes: { colors: { id: string }[] } };
  const contributed = new Set(pkg.contributes.colors.map((c) => c.id));
  for (const s of TCP_STATES) {
    assert.ok(contributed.has(STATES[s].colorId), `${STATES[s].colorId} is not contributed`);
    assert.match(STATES[s].icon, /^[a-z]+(-[a-z]+)*$/);
  }
  assert.equal(new Set(TCP_STATES.map((s) => STATES[s].colorId)).size, TCP_STATES.length, 'one colour per state');
});
