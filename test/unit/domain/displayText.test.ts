import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { describeValue, escapeControls, keepStateNamesWhole, markdownProse, NON_BREAKING_HYPHEN } from '../../../src/domain/displayText';
import { renderSnapshotMarkdown, renderSnapshotText } from '../../../src/domain/snapshot';
import { processLabel } from '../../../src/domain/treeModel';
import { formatWatchLine } from '../../../src/cli/cli';
import type { ScopedSample } from '../../../src/domain/types';

test('escapeControls: C0, DEL and C1 become escapes; other text, other scripts included, is kept', () => {
  assert.equal(escapeControls('ev\x1b]0;T\x07\nrow'), String.raw`ev\x1b]0;T\x07\nrow`);
  assert.equal(escapeControls('a\tb\rc\x00d\x7fe\x9bf\x85'), String.raw`a\tb\rc\x00d\x7fe\x9bf\x85`);
  assert.equal(escapeControls('node 服务器 é ✓'), 'node 服务器 é ✓');
});

test('property: escaped text holds no control character, and text without any is unchanged', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'binary', maxLength: 60 }), (s) => {
      const e = escapeControls(s);
      // eslint-disable-next-line no-control-regex -- finding control characters is the point
      assert.doesNotMatch(e, /[\u0000-\u001f\u007f-\u009f]/);
      // eslint-disable-next-line no-control-regex -- finding control characters is the point
      if (!/[\u0000-\u001f\u007f-\u009f]/.test(s)) assert.equal(e, s);
    }),
    { numRuns: 2000 },
  );
});

test('describeValue never throws: BigInt, cycles, functions, undefined; control characters escaped; bounded', () => {
  const cycle: Record<string, unknown> = {};
  cycle.self = cycle;
  assert.equal(describeValue(10n), '10n');
  assert.equal(describeValue(cycle), '[object [object Object]]');
  assert.equal(describeValue({ a: 1n }), '[object [object Object]]');
  assert.equal(describeValue(undefined), 'undefined');
  assert.equal(describeValue(() => 1), 'function');
  assert.equal(describeValue('a\nb'), String.raw`"a\nb"`); // JSON's own escape
  assert.equal(describeValue('x'.repeat(500)).length, 200);
});

const sample: ScopedSample = {
  takenAt: 0,
  backend: 'proc',
  scope: 'all',
  scopePids: [],
  processes: [],
  totalSockets: 1,
  netns: 'net:[4026531840]',
  namespaces: [{ key: 'net:[4026531840]', own: true, pid: null, sockets: 1 }],
  containers: { state: 'off', socketPath: null, containers: 0, message: null },
  skippedLines: 0,
  durationMs: 0,
  cpuMs: 0,
  sockets: [
    {
      state: 'LISTEN',
      family: 'ipv4',
      local: { address: '127.0.0.1', port: 80 },
      remote: { address: '0.0.0.0', port: 0 },
      inode: 1,
      uid: 0,
      recvQ: 0,
      sendQ: 0,
      timer: null,
      owners: [{ pid: 7, command: 'x\x1b[8m\nLISTEN' }],
    },
  ],
};

test('process names are escaped in snapshot text and Markdown, tree labels and watch lines', () => {
  // Markdown escapes the escapes' backslashes (its cell()), so they render as typed.
  for (const [out, bs] of [[renderSnapshotText(sample, 'host\x07'), '\\'], [renderSnapshotMarkdown(sample, 'host\x07'), '\\\\']]) {
    assert.ok(out.includes(`7 x${bs}x1b[8m${bs}nLISTEN`), out);
    assert.ok(out.includes(`host${bs}x07`), out);
    // eslint-disable-next-line no-control-regex -- finding control characters is the point
    assert.doesNotMatch(out, /[\x00-\x09\x0b-\x1f\x7f-\x9f]/);
  }
  assert.equal(processLabel({ pid: 7, command: 'a\x1bb' }, { noProcess: '' }), String.raw`a\x1bb 7`);
  const line = formatWatchLine({ at: 0, pid: 7, command: 'a\nb', local: '1.1.1.1:1', remote: '1.1.1.1:2', from: 'CLOSED', to: 'LISTEN', msInFrom: null, inferred: false });
  assert.ok(line.includes(String.raw`a\nb`) && !line.includes('\n'), line);
});

test('tooltip prose: spaces stay breakable, state names never break at their hyphen, Markdown and controls escaped', () => {
  const nb = NON_BREAKING_HYPHEN;
  assert.equal(keepStateNamesWhole('56 CLOSE-WAIT sockets; the peer in FIN-WAIT-2 (ss: SYN-RECV, TIME-WAIT)'), `56 CLOSE${nb}WAIT sockets; the peer in FIN${nb}WAIT${nb}2 (ss: SYN${nb}RECV, TIME${nb}WAIT)`);
  assert.equal(keepStateNamesWhole('SYN-RECEIVED'), `SYN${nb}RECEIVED`, 'the longer name, not SYN-RECV and a rest');
  assert.equal(keepStateNamesWhole('end-of-file, well-known, LISTEN'), 'end-of-file, well-known, LISTEN', 'other hyphens may break');
  const md = markdownProse('node leak-server.js 3774 has 56 CLOSE-WAIT sockets *not* closed\n`x` <b> $(zap)\x1b[2J');
  assert.ok(!md.includes('&nbsp;') && md.includes(' has 56 '), md);
  assert.ok(md.includes(`CLOSE${nb}WAIT`), md);
  assert.ok(md.includes('leak\\-server\\.js') && md.includes('\\*not\\*') && md.includes('\\`x\\`') && md.includes('\\<b\\>') && md.includes('\\$\\(zap\\)'), md);
  assert.ok(!md.includes('\n') && md.includes('\\\\x1b'), md);
});
