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
