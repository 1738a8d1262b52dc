// The diagram webview bundle in real headless Chromium, fed a scripted host message stream.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { TCP_STATES } from '../../src/domain/states';
import { formatEndpoint, type Connection, type Insight, type ModelUpdate, type TcpState } from '../../src/domain/types';
import { canvasData, until, update, withPage } from './drive';
import { closeBrowser, connection, countsOf, fullState, translator, type WebviewPage } from './harness';
import { T0, clientInTimeWait, scene } from './fixtures';
import { DIAGRAM_EDGES } from '../../src/domain/diagram';
import { STATE_TEXTS } from '../../src/domain/stateTexts';
after(() => closeBrowser());

async function init(w: WebviewPage, connections: Connection[] = scene(), over: Parameters<typeof fullState>[0] = {}): Promise<void> {
  await w.send({ type: 'init', state: fullState({ connections, counts: countsOf(connections), ...over }) });
  await w.page.locator('.node').first().waitFor();
}

const rowsAre = (w: WebviewPage, n: number): Promise<void> => until(`${n} list rows`, async () => (await w.page.locator('.conn-row').count()) === n);
const hasClass = async (w: WebviewPage, selector: string, cls: string): Promise<boolean> => ((await w.page.locator(selector).first().getAttribute('class')) ?? '').split(/\s+/).includes(cls);

interface CanvasLike {
  width: number;
  height: number;
  getContext(kind: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: ArrayLike<number> } } | null;
}

/** How many pixels of the animation canvas are painted, and their centre (device pixels). */
const painted = (w: WebviewPage): Promise<{ n: number; x: number; y: number }> =>
  w.page.locator('canvas.tokens').evaluate((el) => {
    const c = el as unknown as CanvasLike;
    const data = c.getContext('2d')?.getImageData(0, 0, c.width, c.height).data ?? [];
    let n = 0;
    let sx = 0;
    let sy = 0;
    for (let i = 3; i < data.length; i += 4) {
      if (data[i] > 0) {
        const p = (i - 3) / 4;
        n++;
        sx += p % c.width;
        sy += Math.floor(p / c.width);
      }
    }
    return { n, x: n ? sx / n : 0, y: n ? sy / n : 0 };
  });

const countOf = (w: WebviewPage, s: TcpState): Promise<string | null> => w.page.locator(`.node[data-state="${s}"] .count`).textContent();

test('the webview says ready first, and nothing else until the host answers', async () => {
  await withPage(async (w) => {
    await w.page.waitForTimeout(200);
    assert.deepEqual(await w.posted(), [{ type: 'ready' }]);
    assert.equal(await w.page.locator('.node').count(), 0, 'nothing is drawn before the full state arrives');
  });
});

test('the full state draws the 11 states and every edge of the diagram with its label', async () => {
  await withPage(async (w) => {
    await init(w);
    const states = await w.page.locator('.nodes .node').evaluateAll((els) => els.map((e) => e.getAttribute('data-state')));
    assert.deepEqual([...states].sort(), [...TCP_STATES].sort());
    for (const s of TCP_STATES) assert.equal(await w.page.locator(`.node[data-state="${s}"] .node-name`).textContent(), s);

    const edgeIds = await w.page.locator('.edges .edge').evaluateAll((els) => els.map((e) => e.getAttribute('data-edge')));
    assert.deepEqual(edgeIds, DIAGRAM_EDGES.map((e) => e.id));
    for (const e of DIAGRAM_EDGES) {
      const g = w.page.locator(`.edges .edge[data-edge="${e.id}"]`);
      assert.ok((await g.getAttribute('class'))?.includes(`kind-${e.kind}`), `${e.id} drawn as ${e.kind}`);
      assert.match((await g.locator('.edge-line').getAttribute('d')) ?? '', /^M[\d.]+,[\d.]+ /, `${e.id} has a path`);
      const aria = (await g.getAttribute('aria-label')) ?? '';
      assert.ok(aria.includes(e.event), `${e.id}'s label names its event`);
    }
    // Labels on the figure: every RFC and Linux edge has its own; aborts share one per rail.
    const labels = await w.page.locator('.edge-labels .edge-label').evaluateAll((els) => els.map((e) => [e.getAttribute('data-edge'), e.textContent ?? '']));
    const byId = new Map(labels as [string, string][]);
    for (const e of DIAGRAM_EDGES.filter((x) => x.kind !== 'abort')) {
      const text = byId.get(e.id) ?? '';
      assert.ok(text.includes(e.event), `label of ${e.id} shows "${e.event}" (got "${text}")`);
      if (e.action) assert.ok(text.includes(e.action), `label of ${e.id} shows "${e.action}"`);
    }
    const abortLabels = DIAGRAM_EDGES.filter((x) => x.kind === 'abort').map((e) => byId.get(e.id) ?? '');
    assert.ok(abortLabels.filter((t) => t.includes('rcv RST')).length >= 2, 'the abort event is written on the figure');
    assert.equal(await countOf(w, 'ESTABLISHED'), '2');
    assert.equal(await countOf(w, 'LISTEN'), '1');
  });
});

test('counts, list rows and aria labels follow the deltas; a reset replaces the connections', async () => {
  await withPage(async (w) => {
    const conns = scene();
    await init(w, conns);
    assert.equal(await w.page.locator('.conn-row').count(), conns.length);
    // Rows are worded as the Connections tree words them (ports first; `:a → :b` when both ends share an address),
    // both ends whole in the tooltip.
    for (const c of conns) {
      const row = w.page.locator(`.conn-row[data-id="${c.id}"]`);
      const shown = (await row.locator('.endpoints').textContent()) ?? '';
      const whole = `${formatEndpoint(c.local)} → ${formatEndpoint(c.remote)}`;
      assert.equal(await row.getAttribute('title'), whole);
      if (c.remote.port === 0) assert.equal(shown, formatEndpoint(c.local));
      else if (c.local.address === c.remote.address) assert.equal(shown, `:${c.local.port} → :${c.remote.port}`);
      else assert.equal(shown, `:${c.local.port} → ${formatEndpoint(c.remote)}`);
    }
    assert.ok(conns.some((c) => c.remote.port !== 0 && c.local.address === c.remote.address), 'the scene has a loopback pair');

    const opened = connection('new-1', 'server', [['ESTABLISHED', Date.now()]]);
    const moved = { ...conns[1], state: 'CLOSE-WAIT' as const, history: [...conns[1].history, { state: 'CLOSE-WAIT' as const, since: Date.now(), until: null, inferred: false, startSeen: true }] };
    const after1 = [...conns.filter((c) => c.id !== moved.id), moved, opened];
    await w.send({
      type: 'update',
      update: update({
        events: [
          { kind: 'opened', at: Date.now(), connection: opened },
          { kind: 'changed', at: Date.now(), id: moved.id, from: 'ESTABLISHED', to: 'CLOSE-WAIT', path: [{ from: 'ESTABLISHED', to: 'CLOSE-WAIT', inferred: false }], msInFrom: 1000 },
        ],
        changed: [opened, moved],
        counts: countsOf(after1),
      }),
    });
    await until('CLOSE-WAIT count 2', async () => (await countOf(w, 'CLOSE-WAIT')) === '2');
    assert.equal(await countOf(w, 'ESTABLISHED'), '2');
    assert.match((await w.page.locator('.node[data-state="CLOSE-WAIT"]').getAttribute('aria-label')) ?? '', /^CLOSE-WAIT, 2 connections\./);
    await rowsAre(w, after1.length);

    await w.send({ type: 'update', update: update({ events: [{ kind: 'closed', at: Date.now(), id: 'new-1', from: 'ESTABLISHED', inferred: true, path: [{ from: 'ESTABLISHED', to: 'CLOSED', inferred: true }] }], removed: ['new-1'], counts: countsOf(after1.filter((c) => c.id !== 'new-1')) }) });
    await rowsAre(w, after1.length - 1);
    assert.equal(await countOf(w, 'ESTABLISHED'), '1');

    const only = [clientInTimeWait()];
    await w.send({ type: 'update', update: update({ reset: true, changed: only, counts: countsOf(only) }) });
    await rowsAre(w, 1);
    assert.equal(await countOf(w, 'ESTABLISHED'), '0');
    assert.equal(await countOf(w, 'TIME-WAIT'), '1');
  });
});

test('malformed messages are ignored and leave the view as it was', async () => {
  await withPage(async (w) => {
    await init(w);
    const bad: unknown[] = [
      'init',
      null,
      { type: 'update' },
      { type: 'update', update: update({ counts: { LISTEN: 99 } as never }) },
      { type: 'init', state: { locale: 'en' } },
      { type: 'select', selection: { kind: 'state', state: 'NOT-A-STATE' } },
      { type: 'eval', code: 'document.body.remove()' },
    ];
    for (const m of bad) await w.send(m);
    await w.page.waitForTimeout(100);
    assert.equal(await countOf(w, 'LISTEN'), '1');
    assert.equal(await w.page.locator('.node').count(), 11);
    // Junk is ignored quietly; a message that claims a host type but is malformed is reported for the log.
    const posted = await w.posted();
    assert.deepEqual(posted[0], { type: 'ready' });
    assert.deepEqual(
      posted.slice(1),
      ["update", "update", "init", "select"].map((t) => ({ type: 'error', message: `ignored a malformed '${t}' message from the host` })),
    );
  });
});

test('hovering a node explains the state, who acts next, what a long stay means, and the live count', async () => {
  await withPage(async (w) => {
    await init(w);
    await w.page.hover('.node[data-state="CLOSE-WAIT"]');
    const tip = w.page.locator('#diagram-tooltip');
    await tip.waitFor({ state: 'visible' });
    const info = STATE_TEXTS['CLOSE-WAIT'];
    assert.equal(await tip.locator('.tip-summary').textContent(), info.summary.en);
    assert.equal(await tip.locator('.tip-next').textContent(), info.nextActor.en);
    assert.equal(await tip.locator('.tip-long').textContent(), info.longStay.en);
    assert.equal(await tip.locator('.tip-live').textContent(), '1');
    assert.match((await tip.textContent()) ?? '', /Who acts next/);
  });
});

test('hovering an edge shows its event and action', async () => {
  await withPage(async (w) => {
    await init(w);
    const e = DIAGRAM_EDGES.find((x) => x.id === 'LISTEN>SYN-RECEIVED');
    assert.ok(e);
    await w.page.locator(`.edge-labels .edge-label[data-edge="${e.id}"]`).hover();
    const tip = w.page.locator('#diagram-tooltip');
    await tip.waitFor({ state: 'visible' });
    assert.equal(await tip.locator('.tip-title').textContent(), 'LISTEN → SYN-RECEIVED');
    assert.equal(await tip.locator('.tip-event').textContent(), 'rcv SYN');
    assert.equal(await tip.locator('.tip-action').textContent(), 'snd SYN,ACK');
    assert.match((await tip.locator('.tip-kind').textContent()) ?? '', /RFC 9293 transition · server side/);

    const linux = DIAGRAM_EDGES.find((x) => x.kind === 'linux');
    assert.ok(linux);
    await w.page.locator(`.edge-labels .edge-label[data-edge="${linux.id}"]`).hover();
    await until('tooltip of the Linux edge', async () => (await tip.locator('.tip-event').textContent()) === linux.event);
    assert.match((await tip.locator('.tip-kind').textContent()) ?? '', /Linux shortcut/);
  });
});

test('the UI language comes from the host: Chinese strings and explanations in zh-cn', async () => {
  await withPage(async (w) => {
    await init(w, scene(), { locale: 'zh-cn' });
    await w.page.hover('.node[data-state="TIME-WAIT"]');
    const tip = w.page.locator('#diagram-tooltip');
    await tip.waitFor({ state: 'visible' });
    assert.equal(await tip.locator('.tip-summary').textContent(), STATE_TEXTS['TIME-WAIT'].summary['zh-cn']);
    assert.match((await tip.textContent()) ?? '', new RegExp(translator('zh-cn').t('Who acts next')));
    assert.equal(await w.page.locator('html').getAttribute('lang'), 'zh-cn');
    assert.equal(await w.page.locator('.pause').textContent(), '暂停');
  });
});

test('keyboard: arrows move between states, Enter filters the list, Tab reaches the edges', async () => {
  await withPage(async (w) => {
    await init(w);
    await w.page.locator('.node[data-state="CLOSED"]').focus();
    const focused = async (): Promise<string | null> => {
      const el = w.page.locator(':focus');
      return (await el.getAttribute('data-state')) ?? (await el.getAttribute('data-edge'));
    };
    // Arrow keys go to the nearest state in that direction on the figure.
    for (const [key, expected] of [
      ['ArrowDown', 'ESTABLISHED'],
      ['ArrowLeft', 'FIN-WAIT-1'],
      ['ArrowUp', 'SYN-SENT'],
      ['ArrowRight', 'LISTEN'],
      ['ArrowDown', 'SYN-RECEIVED'],
      ['ArrowDown', 'CLOSE-WAIT'],
      ['ArrowDown', 'LAST-ACK'],
    ] as const) {
      await w.page.keyboard.press(key);
      assert.equal(await focused(), expected, `${key} reaches ${expected}`);
    }
    assert.ok(await w.page.locator('#diagram-tooltip').isVisible(), 'focus shows the explanation');
    assert.equal(await w.page.locator('#diagram-tooltip .tip-summary').textContent(), STATE_TEXTS['LAST-ACK'].summary.en);
    // Roving tabindex: exactly one node is in the tab order, the focused one.
    assert.deepEqual(await w.page.locator('.node[tabindex="0"]').evaluateAll((els) => els.map((e) => e.getAttribute('data-state'))), ['LAST-ACK']);

    await w.page.keyboard.press('Enter');
    assert.equal(await w.page.locator('.node[data-state="LAST-ACK"]').getAttribute('aria-pressed'), 'true');
    await rowsAre(w, 1);
    assert.equal(await w.page.locator('.conn-row .pill').textContent(), 'LAST-ACK');
    await w.page.keyboard.press('Enter');
    assert.equal(await w.page.locator('.node[data-state="LAST-ACK"]').getAttribute('aria-pressed'), 'false');

    // The transitions are the next tab stop, walked with the arrows.
    await w.page.keyboard.press('Tab');
    const first = await focused();
    assert.ok(first && first.includes('>'), `Tab moved to an edge (got ${first})`);
    await w.page.keyboard.press('ArrowDown');
    const second = await focused();
    assert.notEqual(second, first);
    assert.equal(await w.page.locator('#diagram-tooltip .tip-event').textContent(), DIAGRAM_EDGES.find((e) => e.id === second)?.event);
  });
});

test('selecting a connection shows its ladder: lanes, states with durations, segments observed and inferred', async () => {
  await withPage(async (w) => {
    const c = clientInTimeWait();
    await init(w, [c, ...scene().filter((x) => x.id !== c.id)]);
    await w.page.locator(`.conn-row[data-id="${c.id}"]`).click();
    await w.page.locator('.ladder').waitFor({ state: 'visible' });
    const rows = await w.page.locator('.ladder-row').evaluateAll((els) =>
      els.map((e) => ({
        kind: [...e.classList].find((k) => k.startsWith('ladder-') && k !== 'ladder-row'),
        dir: e.classList.contains('out') ? 'out' : e.classList.contains('in') ? 'in' : '',
        inferred: e.classList.contains('inferred'),
        text: (e.querySelector('.pill, .seg-label')?.textContent ?? '').trim(),
      })),
    );
    const compact = rows.map((r) => `${r.kind === 'ladder-state' ? 'S' : 'G'}:${r.text}${r.dir ? `:${r.dir}` : ''}${r.inferred ? '~' : ''}`);
    assert.deepEqual(compact, [
      'S:CLOSED~', // before the first sample, reconstructed
      'G:SYN:out~',
      'S:SYN-SENT',
      'G:SYN-ACK:in',
      'G:ACK:out',
      'S:ESTABLISHED',
      'G:FIN:out~', // into FIN-WAIT-1, which no sample saw
      'S:FIN-WAIT-1~',
      'G:ACK:in~',
      'S:FIN-WAIT-2',
      'G:FIN:in',
      'G:ACK:out',
      'S:TIME-WAIT',
    ]);
    const est = w.page.locator('.ladder-state').filter({ hasText: 'ESTABLISHED' });
    // 4,960 ms: durations are cut to the tenth below (formatDuration), so a row's text never runs ahead.
    assert.match((await est.locator('.when').textContent()) ?? '', /for 4\.9 s/);
    assert.match((await w.page.locator('.ladder-state').last().locator('.when').textContent()) ?? '', /now, for \d+ min/);
    assert.match((await w.page.locator('.lane-head.local').textContent()) ?? '', new RegExp(`Local 127\\.0\\.0\\.1:${c.local.port}`));
    // The path lights up on the diagram.
    for (const s of ['SYN-SENT', 'ESTABLISHED', 'FIN-WAIT-2', 'TIME-WAIT'] as const) {
      assert.ok((await w.page.locator(`.node[data-state="${s}"]`).getAttribute('class'))?.includes('on-path'), `${s} on the path`);
    }
    assert.ok((await w.page.locator('.edge[data-edge="FIN-WAIT-2>TIME-WAIT"]').getAttribute('class'))?.includes('on-path'));
    assert.ok(!(await w.page.locator('.node[data-state="LISTEN"]').getAttribute('class'))?.includes('on-path'));
  });
});

test('a loopback pair fills the remote lane with the peer\'s own states', async () => {
  await withPage(async (w) => {
    const client = connection('pair-c', 'client', [
      ['SYN-SENT', T0],
      ['ESTABLISHED', T0 + 5],
    ]);
    const server = connection(
      'pair-s',
      'server',
      [
        ['SYN-RECEIVED', T0 + 2],
        ['ESTABLISHED', T0 + 6],
      ],
      { local: client.remote, remote: client.local },
    );
    await init(w, [client, server], { selection: { kind: 'connection', id: 'pair-c' } });
    await w.page.locator('.ladder').waitFor({ state: 'visible' });
    const remote = await w.page.locator('.ladder-state.remote .pill').allTextContents();
    assert.deepEqual(remote, ['SYN-RECEIVED', 'ESTABLISHED']);
  });
});

test('a container`s connection says where it is in the list and the ladder; a twin in our namespace is not its peer', async () => {
  await withPage(async (w) => {
    const web = { id: '4f3c2a1b9d0e'.padEnd(64, '7'), name: 'demo-web-1', image: 'busybox', composeProject: 'demo', composeService: 'web' };
    const inWeb = connection('web-s', 'server', [['ESTABLISHED', T0]], { owner: null, netns: 'net:[4026532301]', container: web });
    // Ours, with the 4-tuple reversed: it would be the peer if namespaces were ignored.
    const twin = connection('our-c', 'client', [['ESTABLISHED', T0]], { local: inWeb.remote, remote: inWeb.local });
    const unshared = connection('ns-l', 'listener', [['LISTEN', T0]], { netns: 'net:[4026532302]' });
    await init(w, [inWeb, twin, unshared]);
    const meta = async (id: string) => (await w.page.locator(`.conn-row[data-id="${id}"] .meta`).textContent()) ?? '';
    assert.match(await meta('web-s'), /^server · in container demo-web-1 · /, 'no "process unknown": the container says whose it is');
    assert.match(await meta('ns-l'), /^listener · node \(4242\) · in network namespace net:\[4026532302\] · /);
    assert.doesNotMatch(await meta('our-c'), /in (container|network)/);
    await w.page.locator('vscode-textfield.search input').fill('demo-web');
    await rowsAre(w, 1);
    await w.page.locator('vscode-textfield.search input').fill('');
    await w.page.locator('.conn-row[data-id="web-s"]').click();
    await w.page.locator('.ladder').waitFor({ state: 'visible' });
    assert.match((await w.page.locator('.lane-head.local').textContent()) ?? '', /^Local 127\.0\.0\.1:8080 · in container demo-web-1$/);
    assert.equal(await w.page.locator('.ladder-state.remote').count(), 0, 'our twin is not the container`s peer');
  });
});

test('search narrows the list; a select message from the host filters by state', async () => {
  await withPage(async (w) => {
    await init(w);
    await w.page.locator('vscode-textfield.search input').fill('8080 → 0.0.0.0');
    await rowsAre(w, 1);
    assert.equal(await w.page.locator('.conn-row .pill').textContent(), 'LISTEN');
    await w.page.locator('vscode-textfield.search input').fill('');
    await w.send({ type: 'select', selection: { kind: 'state', state: 'ESTABLISHED' } });
    await rowsAre(w, 2);
    assert.equal(await w.page.locator('.filter-chip').isVisible(), true);
    await w.page.locator('.filter-chip').click();
    await until('the filter is cleared', async () => (await w.page.locator('.conn-row').count()) > 2);
  });
});

test('pause asks the host; the host\'s status drives the button and freezes the animation', async () => {
  await withPage(async (w) => {
    await init(w);
    await w.page.locator('vscode-button.pause').click();
    assert.deepEqual((await w.posted()).slice(1), [{ type: 'setPaused', paused: true }]);
    await w.send({ type: 'status', paused: true, error: null });
    await until('the button says Resume', async () => (await w.page.locator('vscode-button.pause').textContent()) === 'Resume');
    assert.match((await w.page.locator('.status').textContent()) ?? '', /Paused/);
    await w.page.locator('vscode-button.pause').click();
    assert.deepEqual((await w.posted()).slice(2), [{ type: 'setPaused', paused: false }]);
    await w.send({ type: 'status', paused: false, error: 'ss failed: exit 1' });
    await until('the error is shown', async () => (await w.page.locator('.status').textContent()) === 'ss failed: exit 1');
  });
});

function changed(id: string, from: TcpState, to: TcpState, inferred = false): ModelUpdate['events'][number] {
  return { kind: 'changed', at: Date.now(), id, from, to, path: [{ from, to, inferred }], msInFrom: 10 };
}

test('a transition moves a token along its edge; a burst on one edge is one token with a "+N" pulse; inferred hops dashed', async () => {
  await withPage(async (w) => {
    await init(w);
    assert.equal((await painted(w)).n, 0, 'nothing painted while nothing moves');
    await w.send({ type: 'update', update: update({ events: [changed('a', 'ESTABLISHED', 'CLOSE-WAIT')], counts: countsOf(scene()) }) });
    await until('the edge carries the token', async () => (await canvasData(w, 'activeEdges')) === 'ESTABLISHED>CLOSE-WAIT');
    assert.equal(await canvasData(w, 'tokens'), '1');
    const first = await painted(w);
    assert.ok(first.n > 0, 'the token and its edge are painted');
    await until('the token moves', async () => {
      const now = await painted(w);
      return now.n > 0 && Math.hypot(now.x - first.x, now.y - first.y) > 3;
    });
    // It arrives and is put away (≤ 600 ms per transition; waited for generously, no timing asserted).
    await until('the token is put away', async () => (await canvasData(w, 'tokens')) === '0' && (await painted(w)).n === 0);

    const burst = Array.from({ length: 37 }, (_, i) => changed(`b${i}`, 'FIN-WAIT-2', 'TIME-WAIT'));
    await w.send({ type: 'update', update: update({ events: burst, counts: countsOf(scene()) }) });
    await until('a +37 pulse', async () => (await canvasData(w, 'pulses')) === '+37');
    assert.equal(await canvasData(w, 'tokenCounts'), '+37', 'one token carries the count');
    await until('the burst is over', async () => (await canvasData(w, 'tokens')) === '0' && (await canvasData(w, 'pulses')) === '');

    // An inferred hop is drawn dashed (marked ~), the observed one after it solid.
    await w.send({ type: 'update', update: update({ events: [{ kind: 'changed', at: Date.now(), id: 'c', from: 'ESTABLISHED', to: 'FIN-WAIT-2', path: [{ from: 'ESTABLISHED', to: 'FIN-WAIT-1', inferred: true }, { from: 'FIN-WAIT-1', to: 'FIN-WAIT-2', inferred: false }], msInFrom: 5 }], counts: countsOf(scene()) }) });
    await until('the inferred hop', async () => (await canvasData(w, 'activeEdges')) === 'ESTABLISHED>FIN-WAIT-1~');
    await until('then the observed hop', async () => (await canvasData(w, 'activeEdges')) === 'FIN-WAIT-1>FIN-WAIT-2');
  });
});

test('reduced motion: no token moves; the edges light up in place with the count', async () => {
  await withPage(
    async (w) => {
      await init(w);
      const burst = Array.from({ length: 5 }, (_, i) => changed(`r${i}`, 'ESTABLISHED', 'FIN-WAIT-1'));
      await w.send({ type: 'update', update: update({ events: burst, counts: countsOf(scene()) }) });
      await until('the edge lights up', async () => (await canvasData(w, 'activeEdges')) === 'ESTABLISHED>FIN-WAIT-1');
      assert.equal(await canvasData(w, 'tokens'), '0', 'no token');
      assert.equal(await canvasData(w, 'pulses'), '+5');
      assert.ok((await painted(w)).n > 0);
    },
    { reducedMotion: true },
  );
});

test('the layout adapts: portrait diagram with the list below in a 300 px sidebar, side by side in a panel', async () => {
  await withPage(
    async (w) => {
      await init(w);
      assert.ok((await w.page.locator('#app').getAttribute('class'))?.includes('narrow'));
      // Portrait: the figure is reshaped to the sidebar's box (taller than wide).
      const [, , nw, nh] = ((await w.page.locator('svg.diagram-svg').getAttribute('viewBox')) ?? '').split(' ').map(Number);
      assert.ok(nh > nw, `portrait viewBox ${nw}x${nh}`);
      const d = await w.page.locator('.diagram-pane').boundingBox();
      const l = await w.page.locator('.side-pane').boundingBox();
      assert.ok(d && l && l.y >= d.y + d.height - 1, 'the list is below the diagram');
      const svgBox = await w.page.locator('svg.diagram-svg').boundingBox();
      assert.ok(svgBox && svgBox.width <= 300, 'the diagram fits the sidebar width');
      await w.page.setViewportSize({ width: 1200, height: 800 });
      await until('the wide layout', () => hasClass(w, '#app', 'wide'));
      const [, , ww, wh] = ((await w.page.locator('svg.diagram-svg').getAttribute('viewBox')) ?? '').split(' ').map(Number);
      assert.ok(ww > wh, `landscape viewBox ${ww}x${wh}`);
      const d2 = await w.page.locator('.diagram-pane').boundingBox();
      const l2 = await w.page.locator('.side-pane').boundingBox();
      assert.ok(d2 && l2 && l2.x >= d2.x + d2.width - 1, 'the list is beside the diagram');
      assert.equal(await w.page.locator('.node').count(), 11);
    },
    { width: 300, height: 900 },
  );
});

test('high contrast: the theme class is honoured and edges are drawn opaque', async () => {
  await withPage(
    async (w) => {
      await init(w, scene(), { selection: { kind: 'connection', id: 'c-timewait' } });
      const opacity = await w.page.locator('.edge[data-edge="LISTEN>SYN-RECEIVED"] .edge-line').evaluate((e) => e.ownerDocument.defaultView?.getComputedStyle(e).strokeOpacity);
      assert.equal(opacity, '1');
    },
    { bodyClass: 'vscode-high-contrast' },
  );
});

test('keyboard focus on the ladder\'s close button survives the once-a-second refresh and updates', async () => {
  await withPage(async (w) => {
    const c = clientInTimeWait();
    await init(w, scene(), { selection: { kind: 'connection', id: c.id } });
    await w.page.locator('.ladder').waitFor({ state: 'visible' });
    await w.page.locator('.ladder-close').focus();
    // An update that changes the selected connection: the ladder is redrawn with the new state.
    const moved: Connection = { ...c, state: 'CLOSED', closedAt: Date.now(), history: [...c.history.map((h) => (h.until === null ? { ...h, until: Date.now() } : h)), { state: 'CLOSED', since: Date.now(), until: null, inferred: false, startSeen: true }] };
    await w.send({ type: 'update', update: update({ changed: [moved], counts: countsOf(scene().map((x) => (x.id === c.id ? moved : x))) }) });
    await until('the ladder shows the new state', async () => (await w.page.locator('.ladder-state .pill').last().textContent()) === 'CLOSED');
    assert.equal(await w.page.locator('.ladder-close').evaluate((b) => b === b.ownerDocument.activeElement), true, 'the close button keeps the focus');
    await w.page.keyboard.press('Enter');
    await w.page.locator('.ladder').waitFor({ state: 'hidden' });
  });
});

test('the node tooltip: warnings current with their update, left alone while its count holds, never drawn against a node a redraw removed', async () => {
  await withPage(async (w) => {
    const conns = scene();
    await init(w, conns);
    await w.page.hover('.node[data-state="CLOSE-WAIT"]');
    const tip = w.page.locator('#diagram-tooltip');
    await tip.waitFor({ state: 'visible' });
    assert.equal(await tip.locator('.tip-warning').count(), 0);

    // The insight arrives with an update: the tooltip shows it with that update, not the next one.
    const leak: Insight = { kind: 'close-wait-leak', key: 'close-wait-leak:4242', connectionIds: ['srv-cw'], pid: 4242, command: 'node', endpoint: null, count: 1, oldestMs: 120_000, threshold: 60 };
    await w.send({ type: 'update', update: update({ counts: countsOf(conns), insights: [leak] }) });
    await until('CLOSE-WAIT is marked', () => hasClass(w, '.node[data-state="CLOSE-WAIT"]', 'warn'));
    assert.equal(await tip.locator('.tip-warning').count(), 1, 'the warning is in the tooltip');
    assert.match((await tip.locator('.tip-warning').textContent()) ?? '', /CLOSE-WAIT socket/);

    // Another state's count moves; the hovered one's does not: the tooltip is not rebuilt.
    await tip.locator('.tip-summary').evaluate((e) => e.setAttribute('data-mark', 'kept'));
    const opened = connection('est-3', 'server', [['ESTABLISHED', Date.now()]]);
    await w.send({ type: 'update', update: update({ changed: [opened], counts: countsOf([...conns, opened]), insights: [leak] }) });
    await until('ESTABLISHED count 3', async () => (await countOf(w, 'ESTABLISHED')) === '3');
    assert.equal(await tip.locator('.tip-summary').getAttribute('data-mark'), 'kept');
    // The hovered one's count moves: the tooltip says so.
    const moved = { ...opened, state: 'CLOSE-WAIT' as const };
    await w.send({ type: 'update', update: update({ changed: [moved], counts: countsOf([...conns, moved]), insights: [leak] }) });
    await until('the tooltip counts 2', async () => (await tip.locator('.tip-live').textContent()) === '2');

    // The figure is redrawn for the wide layout under a pointer that stays on it: a tooltip is shown only for
    // the node under the pointer, never drawn against the node the redraw removed.
    await w.page.setViewportSize({ width: 400, height: 900 });
    await until('the narrow layout', () => hasClass(w, '#app', 'narrow'));
    const box = await w.page.locator('.node[data-state="SYN-SENT"]').boundingBox();
    assert.ok(box);
    const at = { x: box.x + box.width / 2, y: box.y + box.height / 2 };
    await w.page.mouse.move(at.x, at.y);
    await until('the tooltip of SYN-SENT', async () => (await tip.isVisible()) && (await tip.locator('strong').textContent()) === 'SYN-SENT');
    await w.page.setViewportSize({ width: 1100, height: 900 });
    await until('the wide layout', () => hasClass(w, '#app', 'wide'));
    const tipMatchesPointer = async (): Promise<boolean> => {
      if (!(await tip.isVisible())) return true;
      const under = await w.page.locator('body').evaluate((b, p) => b.ownerDocument.elementFromPoint(p.x, p.y)?.closest('.node')?.getAttribute('data-state') ?? null, at);
      return under !== null && under === (await tip.locator('strong').textContent());
    };
    assert.ok(await tipMatchesPointer(), 'after the redraw');
    await w.send({ type: 'update', update: update({ changed: [opened], counts: countsOf([...conns, opened]), insights: [leak] }) });
    await until('CLOSE-WAIT count 1', async () => (await countOf(w, 'CLOSE-WAIT')) === '1');
    assert.ok(await tipMatchesPointer(), 'after the next update');
  });
});

test('a node\'s screen-reader label follows its count above 9,999, where the figure shows thousands ("12k")', async () => {
  await withPage(async (w) => {
    await init(w);
    const counts = (n: number): ModelUpdate['counts'] => ({ ...countsOf(scene()), 'TIME-WAIT': n });
    const label = (): Promise<string | null> => w.page.locator('.node[data-state="TIME-WAIT"]').getAttribute('aria-label');
    await w.send({ type: 'update', update: update({ counts: counts(12_000) }) });
    await until('12k', async () => (await countOf(w, 'TIME-WAIT')) === '12k');
    assert.match((await label()) ?? '', /^TIME-WAIT, 12000 connections\./);
    await w.send({ type: 'update', update: update({ counts: counts(12_345) }) });
    await until('the label says 12345', async () => /^TIME-WAIT, 12345 connections\./.test((await label()) ?? ''));
    assert.equal(await countOf(w, 'TIME-WAIT'), '12k');
  });
});

test('the list keeps the user\'s scroll position while it refreshes; keyboard moves scroll the active row into view', async () => {
  await withPage(
    async (w) => {
      const now = Date.now();
      const many = Array.from({ length: 80 }, (_, i) => connection(`est-${i}`, 'client', [['ESTABLISHED', now - 2000 - i]]));
      await init(w, many);
      await rowsAre(w, many.length);
      const list = w.page.locator('.conn-list');
      await list.focus();
      await w.page.keyboard.press('ArrowDown');
      assert.equal(await w.page.locator('.conn-row.active').getAttribute('data-id'), 'est-0');
      await w.page.keyboard.press('End');
      const last = w.page.locator('.conn-row').last();
      assert.ok(await hasClass(w, '.conn-row >> nth=-1', 'active'));
      const scrolledToEnd = await list.evaluate((e) => e.scrollTop);
      assert.ok(scrolledToEnd > 0, 'End scrolled the last row into view');
      await w.page.keyboard.press('Home');
      assert.equal(await list.evaluate((e) => e.scrollTop), 0, 'Home scrolled back to the first row');

      // The user scrolls with the wheel (the active row stays the first): the refreshes leave the list there.
      await list.evaluate((e) => {
        e.scrollTop = e.scrollHeight;
      });
      const scrolled = await list.evaluate((e) => e.scrollTop);
      assert.ok(scrolled > 0);
      const age = await last.locator('.meta').textContent();
      await until('the ages are redrawn', async () => (await last.locator('.meta').textContent()) !== age);
      assert.equal(await list.evaluate((e) => e.scrollTop), scrolled);
      // Every row, laid out or not (content-visibility), is as tall as the others: the list's height does not move
      // when rows are redrawn (it did, 38 px off screen and 45 on, and a list scrolled to its end jumped 217 px).
      const heights = await list.evaluate((e) => [...new Set([...e.querySelectorAll('.conn-row')].map((r) => r.getBoundingClientRect().height))]);
      assert.equal(heights.length, 1, `row heights ${heights.join('/')}`);
    },
    { height: 600 },
  );
});
