// The extension-tests module: VS Code's extension host (the real one, inside code-server or a downloaded
// desktop build) loads it and awaits run(); a rejection marks the run failed.
// Runs every out/test/vscode/suite/**/*.test.js with mocha (from the project's node_modules, not bundled) and
// writes {passed, failed, skipped, ...} to $TCPSV_RESULTS_FILE for scripts/test.mjs.
import { readdirSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import Mocha from 'mocha';
import { collectFacts } from '../facts';

export function run(): Promise<void> {
  // TCPSV_GREP (a regular expression over full test titles) runs a subset while working on one suite.
  const grep = process.env.TCPSV_GREP;
  const mocha = new Mocha({ ui: 'bdd', color: false, timeout: 60_000, reporter: 'spec', ...(grep ? { grep: new RegExp(grep) } : {}) });
  const files = readdirSync(__dirname, { recursive: true })
    .map(String)
    .filter((f) => f.endsWith('.test.js'))
    .sort();
  for (const f of files) mocha.addFile(join(__dirname, f));

  return new Promise((resolve, reject) => {
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    const runner = mocha.run(() => {
      const file = process.env.TCPSV_RESULTS_FILE;
      if (file) {
        mkdirSync(dirname(file), { recursive: true });
        writeFileSync(file, JSON.stringify({ passed, failed, skipped, ...collectFacts() }, null, 2));
      }
      if (failed > 0) reject(new Error(`${failed} extension test(s) failed`));
      // Without a grep, a run where nothing passed is broken; with one, the pattern may name only UI checks.
      else if (passed === 0 && !grep) reject(new Error('no extension test ran'));
      else resolve();
    });
    runner.on('pass', () => passed++);
    runner.on('fail', () => failed++);
    runner.on('pending', () => skipped++);
  });
}
