// The live smoke test the hosted-runner workflow runs on Ubuntu, macOS and Windows (test/smoke/platformSmoke.ts),
// run here on Linux: this system's platform lists a loopback server and its client's connection with the right pids.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runSmoke } from '../smoke/platformSmoke';

test('platform smoke test on this system (the one .github/workflows/platforms.yml runs on each hosted runner)', { timeout: 60_000 }, async () => {
  const report = await runSmoke();
  assert.equal(report.platform, process.platform);
  assert.equal(report.support, 'tested');
  assert.ok(report.backend === 'proc' || report.backend === 'ss', String(report.backend));
});
