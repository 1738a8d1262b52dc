// Driving a loaded webview page from Node in the browser tests: a page per test with its problems checked,
// waiting on conditions read through locators, and what the animation canvas reports about itself.
import assert from 'node:assert/strict';
import { emptyCounts, type ModelUpdate } from '../../src/domain/types';
import { openWebview, type WebviewPage } from './harness';

/** Opens a page, runs `run`, then checks the page logged no errors and broke no CSP rule. */
export async function withPage(run: (w: WebviewPage) => Promise<void>, opts: Parameters<typeof openWebview>[0] = {}): Promise<void> {
  const w = await openWebview(opts);
  try {
    await run(w);
    assert.deepEqual(w.problems, [], 'no console errors or page errors');
    assert.deepEqual(await w.cspViolations(), [], 'no Content-Security-Policy violations');
  } finally {
    await w.close();
  }
}

/** An update with nothing in it but `over`. */
export function update(over: Partial<ModelUpdate>): ModelUpdate {
  return { at: Date.now(), events: [], changed: [], removed: [], counts: emptyCounts(), insights: [], ...over };
}

/** Polls a condition checked from Node (through locators), so no page-side code is needed. */
export async function until(what: string, check: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > end) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The animation canvas' own summary of what it painted (data-* attributes it keeps current). */
export const canvasData = async (w: WebviewPage, key: 'tokens' | 'routes' | 'activeEdges' | 'pulses' | 'tokenCounts'): Promise<string> =>
  (await w.page.locator('canvas.tokens').getAttribute(`data-${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`)) ?? '';

/** What the route recorder touches in the page (this file compiles without the DOM library). */
interface RecorderGlobals {
  __routesSeen?: string[];
  document: { querySelector(selector: string): { dataset: Record<string, string | undefined> } | null };
  MutationObserver: new (callback: () => void) => { observe(target: unknown, options: { attributes: boolean; attributeFilter: string[] }): void };
}

/**
 * Starts keeping, in the page, every token route the canvas reports (data-routes), in the order they first
 * appear: a token that starts and lands between two polls from Node is kept too. Call after `init`.
 */
export async function recordRoutes(w: WebviewPage): Promise<void> {
  await w.page.evaluate(() => {
    const g = globalThis as unknown as RecorderGlobals;
    const seen: string[] = (g.__routesSeen = []);
    const canvas = g.document.querySelector('canvas.tokens');
    if (!canvas) throw new Error('no token canvas yet');
    new g.MutationObserver(() => {
      for (const r of (canvas.dataset.routes ?? '').split(' ')) if (r && !seen.includes(r)) seen.push(r);
    }).observe(canvas, { attributes: true, attributeFilter: ['data-routes'] });
  });
}

/** The routes recorded since recordRoutes or the last clear; `clear` empties the record after reading it. */
export function routesSeen(w: WebviewPage, clear = false): Promise<string[]> {
  return w.page.evaluate((c) => {
    const g = globalThis as unknown as RecorderGlobals;
    const seen = [...(g.__routesSeen ?? [])];
    if (c && g.__routesSeen) g.__routesSeen.length = 0;
    return seen;
  }, clear);
}
