// The figure takes the shape of the space it is given, in real headless Chromium, from a narrow sidebar to a wide
// editor panel: measured on screen (getBoundingClientRect, getScreenCTM), never computed from the layout's numbers.
// Editor-panel sizes: the figure fills its box on both axes and every label is drawn at 11 px or more inside it.
// Sidebar sizes: the figure is seen whole without scrolling; labels that would be squeezed or drawn under 9 px
// show on hover and focus only, and a hint under the figure says so.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Connection } from '../../src/domain/types';
import { until, withPage } from './drive';
import { closeBrowser, countsOf, fullState, type WebviewPage } from './harness';
import { scene } from './fixtures';
after(() => closeBrowser());

async function init(w: WebviewPage, connections: Connection[] = scene()): Promise<void> {
  await w.send({ type: 'init', state: fullState({ connections, counts: countsOf(connections) }) });
  await w.page.locator('.node').first().waitFor();
}

interface Measure {
  viewport: { w: number; h: number };
  /** The figure's box (.diagram) and the figure drawn in it (the union of its nodes and edges). */
  box: { x: number; y: number; w: number; h: number };
  figure: { x: number; y: number; w: number; h: number };
  onDemand: boolean;
  hintShown: boolean;
  /** Edge label lines drawn (visible), with their boxes and on-screen font sizes. */
  edgeLines: { text: string; x: number; y: number; w: number; h: number; font: number }[];
  hiddenEdgeLines: number;
  /** State names with their boxes, on-screen font sizes, and the state box they must sit in. */
  names: { text: string; x: number; y: number; w: number; h: number; font: number; inBox: boolean }[];
  pageScrolls: boolean;
}

function measure(w: WebviewPage): Promise<Measure> {
  return w.page.locator('.diagram').evaluate((diagram) => {
    type El = typeof diagram;
    const doc = diagram.ownerDocument;
    const view = doc.defaultView;
    const rect = (e: El): { x: number; y: number; w: number; h: number } => {
      const r = e.getBoundingClientRect();
      return { x: r.left, y: r.top, w: r.width, h: r.height };
    };
    const svg = diagram.querySelector<El>('svg.diagram-svg');
    const scale = (svg as unknown as { getScreenCTM(): { a: number } | null } | null)?.getScreenCTM()?.a ?? 0;
    const font = (e: El): number => Number.parseFloat(view?.getComputedStyle(e).fontSize ?? '0') * scale;
    let x0 = Infinity;
    let y0 = Infinity;
    let x1 = -Infinity;
    let y1 = -Infinity;
    for (const g of diagram.querySelectorAll<El>('g.nodes, g.edges')) {
      const r = g.getBoundingClientRect();
      x0 = Math.min(x0, r.left);
      y0 = Math.min(y0, r.top);
      x1 = Math.max(x1, r.right);
      y1 = Math.max(y1, r.bottom);
    }
    const lines = [...diagram.querySelectorAll<El>('.edge-label tspan')].filter((t) => (t.textContent ?? '') !== '');
    const shown = lines.filter((t) => view?.getComputedStyle(t).visibility === 'visible');
    const hint = doc.querySelector<El>('.labels-hint');
    return {
      viewport: { w: doc.documentElement.clientWidth, h: doc.documentElement.clientHeight },
      box: rect(diagram),
      figure: { x: x0, y: y0, w: x1 - x0, h: y1 - y0 },
      onDemand: svg?.classList.contains('labels-on-demand') ?? false,
      hintShown: hint !== null && view?.getComputedStyle(hint).display !== 'none',
      edgeLines: shown.map((t) => ({ text: t.textContent ?? '', ...rect(t), font: font(t) })),
      hiddenEdgeLines: lines.length - shown.length,
      names: [...diagram.querySelectorAll<El>('.node')].map((g) => {
        const name = g.querySelector<El>('.node-name');
        const boxEl = g.querySelector<El>('.node-box');
        const n = name ? rect(name) : { x: 0, y: 0, w: 0, h: 0 };
        const b = boxEl ? rect(boxEl) : { x: 0, y: 0, w: 0, h: 0 };
        return { text: name?.textContent ?? '', ...n, font: name ? font(name) : 0, inBox: n.x >= b.x - 0.5 && n.x + n.w <= b.x + b.w + 0.5 && n.y >= b.y - 0.5 && n.y + n.h <= b.y + b.h + 0.5 };
      }),
      pageScrolls: doc.documentElement.scrollHeight > doc.documentElement.clientHeight + 1,
    };
  });
}

/** Measures until two measures 100 ms apart agree (the layout follows a resize within a frame or two). */
async function settled(w: WebviewPage): Promise<Measure> {
  let m = await measure(w);
  for (let i = 0; i < 30; i++) {
    await w.page.waitForTimeout(100);
    const again = await measure(w);
    if (JSON.stringify(again) === JSON.stringify(m)) return m;
    m = again;
  }
  return m;
}

const inside = (r: { x: number; y: number; w: number; h: number }, b: { x: number; y: number; w: number; h: number }): boolean =>
  r.x >= b.x - 0.5 && r.y >= b.y - 0.5 && r.x + r.w <= b.x + b.w + 0.5 && r.y + r.h <= b.y + b.h + 0.5;
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
const min = (xs: number[]): number => Math.min(...xs);
const r1 = (n: number): number => Math.round(n * 10) / 10;

function report(label: string, m: Measure): void {
  const edge = m.edgeLines;
  console.log(
    `webview fact: ${label}: figure ${r1(m.figure.w)}x${r1(m.figure.h)} in a box of ${r1(m.box.w)}x${r1(m.box.h)}; ` +
      (edge.length ? `edge label lines ${edge.length}, height min ${r1(min(edge.map((e) => e.h)))} median ${r1(median(edge.map((e) => e.h)))} px, font min ${r1(min(edge.map((e) => e.font)))} px` : `edge labels on hover/focus (${m.hiddenEdgeLines} lines hidden)`) +
      `; state names font min ${r1(min(m.names.map((n) => n.font)))} px`,
  );
}

/** What holds at every size: the figure and every label inside the figure's box, state names inside their boxes. */
function checkCommon(label: string, m: Measure): void {
  assert.equal(m.names.length, 11, `${label}: 11 states`);
  assert.ok(inside(m.figure, m.box), `${label}: the figure ${JSON.stringify(m.figure)} inside its box ${JSON.stringify(m.box)}`);
  for (const e of m.edgeLines) assert.ok(inside(e, m.box), `${label}: the label line "${e.text}" inside the figure's box`);
  for (const n of m.names) assert.ok(n.inBox, `${label}: the name ${n.text} inside its state box`);
  assert.equal(m.onDemand, m.hintShown, `${label}: the hint says so exactly when the labels show on demand`);
}

const EDITOR_SIZES: [number, number][] = [
  [1052, 808],
  [1200, 800],
  [1400, 900],
];

for (const [width, height] of EDITOR_SIZES) {
  test(`editor panel ${width}x${height}: the figure fills its box on both axes, beside the list, with every label at 11 px or more`, async () => {
    await withPage(
      async (w) => {
        await init(w);
        await until('the wide layout', async () => ((await w.page.locator('#app').getAttribute('class')) ?? '').includes('wide'));
        const m = await settled(w);
        report(`${width}x${height}`, m);
        checkCommon(`${width}x${height}`, m);
        assert.ok(m.figure.w >= 0.9 * m.box.w && m.figure.h >= 0.9 * m.box.h, `the figure ${r1(m.figure.w)}x${r1(m.figure.h)} fills its box ${r1(m.box.w)}x${r1(m.box.h)}`);
        // The box reaches down to the page's end (less its padding and the hint): no empty band under the figure.
        assert.ok(m.box.y + m.box.h >= m.viewport.h - 40, `the figure's box ends at ${r1(m.box.y + m.box.h)} of ${m.viewport.h}`);
        assert.equal(m.pageScrolls, false, 'the panel does not scroll');
        assert.equal(m.onDemand, false, 'the labels are drawn');
        assert.equal(m.hiddenEdgeLines, 0);
        assert.ok(m.edgeLines.length >= 20, `${m.edgeLines.length} label lines`);
        assert.ok(min(m.edgeLines.map((e) => e.font)) >= 11, `edge labels at ${r1(min(m.edgeLines.map((e) => e.font)))} px`);
        assert.ok(min(m.names.map((n) => n.font)) >= 11, `state names at ${r1(min(m.names.map((n) => n.font)))} px`);
        // The list takes what is left beside the figure, down to the bottom too.
        const list = await w.page.locator('.side-pane').boundingBox();
        assert.ok(list && list.x >= m.box.x + m.box.w, 'the list is beside the figure');
        const rows = await w.page.locator('.conn-list').boundingBox();
        assert.ok(rows && rows.y + rows.height >= m.viewport.h - 40, `the list reaches down to ${rows ? r1(rows.y + rows.height) : '?'} of ${m.viewport.h}`);
      },
      { width, height },
    );
  });
}

const SIDEBAR_SIZES: [number, number][] = [
  [250, 600],
  [300, 900],
  [400, 700],
];

for (const [width, height] of SIDEBAR_SIZES) {
  test(`sidebar ${width}x${height}: the figure is seen whole without scrolling, the list under it; squeezed labels show on hover and focus`, async () => {
    await withPage(
      async (w) => {
        await init(w);
        await until('the narrow layout', async () => ((await w.page.locator('#app').getAttribute('class')) ?? '').includes('narrow'));
        const m = await settled(w);
        report(`${width}x${height}`, m);
        checkCommon(`${width}x${height}`, m);
        assert.ok(m.box.y + m.box.h <= m.viewport.h, `the whole figure is in the view (its box ends at ${r1(m.box.y + m.box.h)} of ${m.viewport.h})`);
        assert.ok(m.figure.w >= 0.9 * m.box.w || m.figure.h >= 0.9 * m.box.h, 'the figure fills its box on one axis at least');
        const list = await w.page.locator('.side-pane').boundingBox();
        assert.ok(list && list.y >= m.box.y + m.box.h, 'the list is under the figure');
        assert.ok(min(m.names.map((n) => n.font)) >= 9, `state names at ${r1(min(m.names.map((n) => n.font)))} px`);
        if (!m.onDemand) {
          assert.ok(min(m.edgeLines.map((e) => e.font)) >= 9, 'labels drawn always are 9 px or more');
          return;
        }
        assert.equal(m.edgeLines.length, 0, 'no label is drawn until asked for');
        // Hover an arrow: its label shows (and its tooltip); leave it: hidden again.
        const edge = w.page.locator('.edge[data-edge="ESTABLISHED>CLOSE-WAIT"]');
        const label = w.page.locator('.edge-label[data-edge="ESTABLISHED>CLOSE-WAIT"]');
        const visibility = (): Promise<string> => label.evaluate((e) => e.ownerDocument.defaultView?.getComputedStyle(e).visibility ?? '');
        // The middle of the arrow's path, on screen (the middle of its bounding box may be off a curve).
        const at = await edge.locator('.edge-line').evaluate((p) => {
          const path = p as unknown as { getTotalLength(): number; getPointAtLength(l: number): { x: number; y: number }; getScreenCTM(): { a: number; b: number; c: number; d: number; e: number; f: number } | null };
          const q = path.getPointAtLength(path.getTotalLength() / 2);
          const m = path.getScreenCTM();
          return m ? { x: m.a * q.x + m.c * q.y + m.e, y: m.b * q.x + m.d * q.y + m.f } : null;
        });
        assert.ok(at);
        await w.page.mouse.move(at.x, at.y);
        await until('the hovered arrow\'s label', async () => (await visibility()) === 'visible');
        await w.page.locator('#diagram-tooltip').waitFor({ state: 'visible' });
        const shown = await settled(w);
        assert.deepEqual(shown.edgeLines.map((e) => e.text), ['rcv FIN', 'snd ACK'], 'only the hovered arrow\'s label');
        for (const e of shown.edgeLines) assert.ok(inside(e, m.box), `"${e.text}" inside the figure's box`);
        await w.page.mouse.move(1, 1);
        await until('the label hidden again', async () => (await visibility()) === 'hidden');
        // Keyboard: the transitions' tab stop shows the focused arrow's label.
        await w.page.locator('.edge').first().focus();
        const first = w.page.locator('.edge-label').first();
        await until('the focused arrow\'s label', async () => (await first.evaluate((e) => e.ownerDocument.defaultView?.getComputedStyle(e).visibility ?? '')) === 'visible');
      },
      { width, height },
    );
  });
}

test('resizing the panel reshapes the figure: from an editor panel to a sidebar and back, the labels follow', async () => {
  await withPage(
    async (w) => {
      await init(w);
      const wide = await settled(w);
      assert.equal(wide.onDemand, false);
      await w.page.setViewportSize({ width: 280, height: 700 });
      await until('the narrow layout', async () => ((await w.page.locator('#app').getAttribute('class')) ?? '').includes('narrow'));
      const narrow = await settled(w);
      checkCommon('280x700', narrow);
      assert.ok(narrow.box.y + narrow.box.h <= narrow.viewport.h);
      await w.page.setViewportSize({ width: 1400, height: 900 });
      await until('the wide layout', async () => ((await w.page.locator('#app').getAttribute('class')) ?? '').includes('wide'));
      const back = await settled(w);
      checkCommon('1400x900 again', back);
      assert.equal(back.onDemand, false, 'labels drawn again');
      assert.ok(back.figure.w >= 0.9 * back.box.w && back.figure.h >= 0.9 * back.box.h);
    },
    { width: 1052, height: 808 },
  );
});
