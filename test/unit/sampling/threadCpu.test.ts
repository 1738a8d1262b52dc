// threadCpuMs counts the calling thread's CPU only: a worker that waits while the main thread spins has used almost
// none, and a worker that spins has used about what it spun. Wall time or process.cpuUsage() would fail the first.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Worker, isMainThread, parentPort } from 'node:worker_threads';
import { threadCpuMs } from '../../../src/sampling/threadCpu';

// The worker runs this same file (the test files are bundled, so it cannot require the source by path).
if (!isMainThread) {
  parentPort?.on('message', (what: 'wait' | 'spin') => {
    const a = threadCpuMs();
    const done = (): void => parentPort?.postMessage(threadCpuMs() - a);
    if (what === 'wait') setTimeout(done, 300);
    else {
      const end = Date.now() + 150;
      while (Date.now() < end) { /* spin */ }
      done();
    }
  });
}

function inWorker(what: 'wait' | 'spin', whileMainSpins: boolean): Promise<number> {
  return new Promise((resolve, reject) => {
    const w = new Worker(__filename);
    w.once('error', reject);
    w.once('message', (ms: number) => {
      void w.terminate();
      resolve(ms);
    });
    w.once('online', () => {
      w.postMessage(what);
      if (whileMainSpins) {
        const end = Date.now() + 250;
        while (Date.now() < end) { /* the main thread burns CPU the worker must not be charged for */ }
      }
    });
  });
}

if (isMainThread) {
  test('a worker waiting while the main thread spins is charged (almost) nothing', async () => {
    const ms = await inWorker('wait', true);
    assert.ok(ms >= 0 && ms < 60, `charged ${ms.toFixed(1)} ms for a 300 ms wait while another thread spun 250 ms`);
  });

  test('a worker that spins 150 ms is charged at most what it spun, and a good part of it', async () => {
    const ms = await inWorker('spin', false);
    // Under load the thread gets less than 150 ms of CPU in 150 ms of wall time; never more.
    assert.ok(ms > 5 && ms < 200, `charged ${ms.toFixed(1)} ms for 150 ms of spinning`);
  });

  test('threadCpuMs is monotonic in one thread', () => {
    const a = threadCpuMs();
    let x = 0;
    for (let i = 0; i < 1e6; i++) x += i;
    assert.ok(x > 0 && threadCpuMs() >= a);
  });
}
