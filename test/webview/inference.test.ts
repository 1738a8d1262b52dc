// The webview draws the tracker's paths and none of its own: host messages made by the real ConnectionTracker
// (tracked.ts) played into the bundle in headless Chromium, and the tokens' routes, the lit edges and the ladder
// read back from the page.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ConnectionId, SocketRecord } from '../../src/domain/types';
import { canvasData, recordRoutes, routesSeen, until, withPage } from './drive';
import { closeBrowser, connection, countsOf, type WebviewPage } from './harness';
import { TrackedHost, socket } from './tracked';

after(() => closeBrowser());

const LISTENER = socket('LISTEN', ['0.0.0.0', 8080], ['0.0.0.0', 0], 100);
/** An HTTP server's end of a connection it closed first, first seen in TIME-WAIT (no inode left). */
const SERVER_TIME_WAIT = socket('TIME-WAIT', ['127.0.0.1', 8080], ['127.0.0.1', 51000], 0);
/** A client that closed first, first seen in FIN-WAIT-2. */
const CLIENT_FIN_WAIT_2 = socket('FIN-WAIT-2', ['127.0.0.1', 41000], ['127.0.0.1', 80], 700);

const SERVER_OPENING = 'LISTEN>SYN-RECEIVED~|SYN-RECEIVED>ESTABLISHED~|ESTABLISHED>FIN-WAIT-1~|FIN-WAIT-1>FIN-WAIT-2~|FIN-WAIT-2>TIME-WAIT';
const CLIENT_OPENING = 'CLOSED>SYN-SENT~|SYN-SENT>ESTABLISHED~|ESTABLISHED>FIN-WAIT-1~|FIN-WAIT-1>FIN-WAIT-2';

/** A tracker that has seen the listener, and a page initialised from it that records its tokens' routes. */
async function start(w: WebviewPage, t0: number): Promise<TrackedHost> {
  const host = new TrackedHost();
  host.sample(t0, [LISTENER]);
  await w.send({ type: 'init', state: host.init() });
  await w.page.locator('.node').first().waitFor();
  await recordRoutes(w);
  return host;
}

/** Plays one sample into the page; returns the ids of the connections it opened. */
async function play(w: WebviewPage, host: TrackedHost, at: number, sockets: SocketRecord[]): Promise<ConnectionId[]> {
  const u = host.sample(at, sockets);
  await w.send({ type: 'update', update: u });
  return u.events.flatMap((e) => (e.kind === 'opened' ? [e.connection.id] : []));
}

/**
 * Waits until the tokens of `expected` routes have moved and landed; returns every route a token took meanwhile
 * (and clears the record). A route is its hops in order, `~` marking inferred ones, a leading `f` a closing.
 */
async function tokensOn(w: WebviewPage, expected: string[]): Promise<string[]> {
  await until(`tokens on ${expected.join(', ')}`, async () => {
    const seen = await routesSeen(w);
    return expected.every((r) => seen.includes(r)) && (await canvasData(w, 'routes')) === '';
  }, 8000);
  return (await routesSeen(w, true)).sort();
}

/** The ladder's rows, compact: `S:state`, `G:segment:dir`, `~` when inferred. */
const ladder = (w: WebviewPage): Promise<string[]> =>
  w.page.locator('.ladder-row').evaluateAll((els) =>
    els.map((e) => {
      const state = e.classList.contains('ladder-state');
      const dir = e.classList.contains('out') ? ':out' : e.classList.contains('in') ? ':in' : '';
      return `${state ? 'S' : 'G'}:${(e.querySelector('.pill, .seg-label')?.textContent ?? '').trim()}${dir}${e.classList.contains('inferred') ? '~' : ''}`;
    }),
  );

/** The diagram's edges lit as the selected connection's path. */
const pathEdges = (w: WebviewPage): Promise<string[]> => w.page.locator('.edge.on-path').evaluateAll((els) => els.map((e) => e.getAttribute('data-edge') ?? '').sort());

async function select(w: WebviewPage, id: ConnectionId): Promise<void> {
  await w.send({ type: 'select', selection: { kind: 'connection', id } });
  await w.page.locator('.ladder').waitFor({ state: 'visible' });
}

test('a server first seen in TIME-WAIT: its token and its ladder go through ESTABLISHED, as the tracker recorded, never CLOSING', async () => {
  await withPage(async (w) => {
    const t0 = Date.now() - 5000;
    const host = await start(w, t0);
    const [id] = await play(w, host, t0 + 1000, [LISTENER, SERVER_TIME_WAIT]);
    assert.deepEqual(await tokensOn(w, [SERVER_OPENING]), [SERVER_OPENING], 'one token, on the tracker\'s opening alone');

    await select(w, id);
    assert.deepEqual(await ladder(w), [
      'S:LISTEN~',
      'G:SYN:in~',
      'G:SYN-ACK:out~',
      'S:SYN-RECEIVED~',
      'G:ACK:in~',
      'S:ESTABLISHED~',
      'G:FIN:out~',
      'S:FIN-WAIT-1~',
      'G:ACK:in~',
      'S:FIN-WAIT-2~',
      'G:FIN:in~',
      'G:ACK:out~',
      'S:TIME-WAIT',
    ]);
    // The opening has no time (no sample saw it); the state first seen has its own.
    const when = await w.page.locator('.ladder-state .when').allTextContents();
    assert.deepEqual(when.slice(0, 5), ['', '', '', '', '']);
    assert.match(when[5], /now, for/);
    const edges = await pathEdges(w);
    assert.deepEqual(edges, ['ESTABLISHED>FIN-WAIT-1', 'FIN-WAIT-1>FIN-WAIT-2', 'FIN-WAIT-2>TIME-WAIT', 'LISTEN>SYN-RECEIVED', 'SYN-RECEIVED>ESTABLISHED']);
    assert.ok(!edges.includes('SYN-RECEIVED>FIN-WAIT-1'), 'not SYN-RECEIVED -> FIN-WAIT-1');
    assert.equal(await w.page.locator('.node[data-state="CLOSING"].on-path').count(), 0, 'never CLOSING');
  });
});

test('a client first seen in FIN-WAIT-2 is drawn through SYN-SENT, ESTABLISHED and FIN-WAIT-1, never SYN-RECEIVED', async () => {
  await withPage(async (w) => {
    const t0 = Date.now() - 5000;
    const host = await start(w, t0);
    const [id] = await play(w, host, t0 + 1000, [LISTENER, CLIENT_FIN_WAIT_2]);
    assert.deepEqual(await tokensOn(w, [CLIENT_OPENING]), [CLIENT_OPENING]);

    await select(w, id);
    const rows = await ladder(w);
    assert.deepEqual(rows, ['S:CLOSED~', 'G:SYN:out~', 'S:SYN-SENT~', 'G:SYN-ACK:in~', 'G:ACK:out~', 'S:ESTABLISHED~', 'G:FIN:out~', 'S:FIN-WAIT-1~', 'G:ACK:in~', 'S:FIN-WAIT-2']);
    assert.deepEqual(await pathEdges(w), ['CLOSED>SYN-SENT', 'ESTABLISHED>FIN-WAIT-1', 'FIN-WAIT-1>FIN-WAIT-2', 'SYN-SENT>ESTABLISHED']);
    assert.equal(await w.page.locator('.node[data-state="SYN-RECEIVED"].on-path').count(), 0);
  });
});

test('reduced motion: the tracker\'s opening lights up whole and in place, and nothing else', async () => {
  await withPage(
    async (w) => {
      const t0 = Date.now() - 5000;
      const host = await start(w, t0);
      await play(w, host, t0 + 1000, [LISTENER, SERVER_TIME_WAIT]);
      const lit = SERVER_OPENING.split('|').sort().join(' ');
      await until('the opening lit', async () => (await canvasData(w, 'activeEdges')) === lit);
      assert.equal(await canvasData(w, 'tokens'), '0', 'no token moves');
    },
    { reducedMotion: true },
  );
});

test('a history without a recorded opening is drawn from where it starts: no path of the webview\'s own', async () => {
  await withPage(
    async (w) => {
      const t0 = Date.now() - 5000;
      await start(w, t0);
      // Histories of one observed entry, built by hand (the tracker always records an opening): a server in
      // TIME-WAIT and a client in SYN-SENT get no token. A client whose history holds its opening gets exactly that.
      const bare = connection('bare-tw', 'server', [['TIME-WAIT', t0 + 1000]]);
      const synSent = connection('syn-sent', 'client', [['SYN-SENT', t0 + 1000]]);
      const recorded = connection('recorded', 'client', [['CLOSED', t0 + 1000, true], ['SYN-SENT', t0 + 1000]]);
      const at = t0 + 1000;
      const all = [bare, synSent, recorded];
      await w.send({
        type: 'update',
        update: { at, events: all.map((c) => ({ kind: 'opened' as const, at, connection: c })), changed: all, removed: [], counts: countsOf(all), insights: [] },
      });
      await until('the recorded opening, and nothing else', async () => (await canvasData(w, 'activeEdges')) === 'CLOSED>SYN-SENT');
      await select(w, bare.id);
      assert.deepEqual(await ladder(w), ['S:TIME-WAIT']);
      assert.deepEqual(await pathEdges(w), []);
    },
    { reducedMotion: true },
  );
});

test('changes draw exactly the tracker\'s path, closings its way to CLOSED; a hop off the figure is never drawn as observed', async () => {
  await withPage(async (w) => {
    const t0 = Date.now() - 5000;
    const host = await start(w, t0);
    const est = socket('ESTABLISHED', ['127.0.0.1', 41001], ['127.0.0.1', 80], 701);
    const closing = socket('CLOSING', ['127.0.0.1', 41002], ['127.0.0.1', 80], 0);
    await play(w, host, t0 + 1000, [LISTENER, est, closing, SERVER_TIME_WAIT]);
    // Each first sighting comes along the opening the tracker recorded for it.
    const closingOpening = 'CLOSED>SYN-SENT~|SYN-SENT>ESTABLISHED~|ESTABLISHED>FIN-WAIT-1~|FIN-WAIT-1>CLOSING';
    assert.deepEqual(await tokensOn(w, [SERVER_OPENING, closingOpening]), ['CLOSED>SYN-SENT~|SYN-SENT>ESTABLISHED', closingOpening, SERVER_OPENING].sort());

    // ESTABLISHED -> FIN-WAIT-2 between two samples: the tracker fills in FIN-WAIT-1.
    await play(w, host, t0 + 2000, [LISTENER, { ...est, state: 'FIN-WAIT-2' }, closing, SERVER_TIME_WAIT]);
    const change = 'ESTABLISHED>FIN-WAIT-1~|FIN-WAIT-1>FIN-WAIT-2~';
    assert.deepEqual(await tokensOn(w, [change]), [change]);

    // All three leave the table: each goes to CLOSED the way the tracker recorded in its history.
    await play(w, host, t0 + 3000, [LISTENER]);
    const closings = ['fCLOSING>TIME-WAIT~|TIME-WAIT>CLOSED', 'fFIN-WAIT-2>CLOSED~', 'fTIME-WAIT>CLOSED'];
    assert.deepEqual(await tokensOn(w, closings), closings);

    // The tracker's paths always follow the figure; were a hop to leave it, it would be drawn inferred.
    await w.send({
      type: 'update',
      update: { at: Date.now(), events: [{ kind: 'changed', at: Date.now(), id: 'x', from: 'ESTABLISHED', to: 'TIME-WAIT', path: [{ from: 'ESTABLISHED', to: 'TIME-WAIT', inferred: false }], msInFrom: 1 }], changed: [], removed: [], counts: host.tracker.counts(), insights: [] },
    });
    assert.deepEqual(await tokensOn(w, ['straight:ESTABLISHED>TIME-WAIT~']), ['straight:ESTABLISHED>TIME-WAIT~']);
  });
});
