// Runs the platform smoke test (platformSmoke.ts) as a program: exit status 0 when it passed, 1 when not.
//   node out/test/smoke/runPlatformSmoke.js [--no-koffi]
// --no-koffi (Windows): as if koffi did not load, so the netstat and PowerShell fallback is what is tested.
import { selectPlatform } from '../../src/sampling/platforms/platform';
import { runSmoke } from './platformSmoke';

const noKoffi = process.argv.includes('--no-koffi');
const platform = selectPlatform(process.platform, { backend: 'auto', loadKoffi: noKoffi ? () => ({ ok: false, reason: '--no-koffi' }) : undefined });

runSmoke(platform).then(
  (r) => {
    console.log(`platform smoke test passed: ${r.platform} (${r.support}), ${r.backend}${noKoffi ? ' (--no-koffi)' : ''}\n${r.lines.join('\n')}`);
    // The platform's programs ran in process groups of their own and are gone: nothing is left to wait for.
    process.exit(0);
  },
  (e: unknown) => {
    console.error(`platform smoke test FAILED${noKoffi ? ' (--no-koffi)' : ''}: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  },
);
