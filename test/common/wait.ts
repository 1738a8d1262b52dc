// Waiting in tests: one sleep and one poll-until-ready for every tier (kernel, webview, vscode, UI checks).

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export interface WaitOptions {
  /** Give up after this long (default 10 s). */
  timeoutMs?: number;
  /** Poll this often (default 50 ms). */
  everyMs?: number;
  /** Extra detail for the timeout message (what the test last saw). */
  detail?: () => string;
}

/**
 * Polls `probe` until it returns something other than undefined, null or false (sync or async), and returns that;
 * throws after the timeout with `what` in the message. A number as the third argument is the timeout.
 */
export async function waitFor<T>(what: string, probe: () => T | undefined | null | false | Promise<T | undefined | null | false>, options: WaitOptions | number = {}): Promise<T> {
  const o: WaitOptions = typeof options === 'number' ? { timeoutMs: options } : options;
  const timeoutMs = o.timeoutMs ?? 10_000;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== null && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${o.detail ? `; ${o.detail()}` : ''}`);
    await sleep(o.everyMs ?? 50);
  }
}
