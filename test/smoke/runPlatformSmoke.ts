// Runs the platform smoke test (platformSmoke.ts) as a program: exit status 0 when it passed, 1 when not.
//   node out/test/smoke/runPlatformSmoke.js
import { runSmoke } from './platformSmoke';

runSmoke().then(
  (r) => {
    console.log(`platform smoke test passed: ${r.platform} (${r.support}), ${r.backend}\n${r.lines.join('\n')}`);
    // The platform's programs ran in process groups of their own and are gone: nothing is left to wait for.
    process.exit(0);
  },
  (e: unknown) => {
    console.error(`platform smoke test FAILED: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  },
);
