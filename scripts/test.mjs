// Runs every test tier and ends with one line: `N passed, N failed` (all tiers summed).
//   node scripts/test.mjs                      every tier
//   node scripts/test.mjs unit kernel          only the named tiers (lint, typecheck, unit, kernel, webview, vscode)
//   node scripts/test.mjs unit --grep tracker  only the tests whose name matches (a regular expression)
// Exit status is non-zero when anything failed.
import { spawn } from 'node:child_process';
import { readdirSync, existsSync, readFileSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const ALL = ['lint', 'typecheck', 'unit', 'kernel', 'webview', 'vscode'];
const argv = process.argv.slice(2);
let grep = null;
const wanted = [];
for (let i = 0; i < argv.length; i++) {
  const a = argv[i];
  if (a === '--grep') grep = argv[++i] ?? null;
  else if (a.startsWith('--grep=')) grep = a.slice('--grep='.length);
  else if (!a.startsWith('-')) wanted.push(a);
}
for (const w of wanted) {
  if (!ALL.includes(w)) {
    console.error(`unknown tier '${w}'; tiers: ${ALL.join(', ')}`);
    process.exit(2);
  }
}
const tiers = wanted.length ? ALL.filter((t) => wanted.includes(t)) : ALL;
const bin = (name) => join(root, 'node_modules', '.bin', name);

/** Runs a command, streaming its output, and resolves with its exit code and captured stdout+stderr. */
function run(cmd, args, env = {}) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      process.stdout.write(d);
    });
    child.stderr.on('data', (d) => {
      out += d;
      process.stderr.write(d);
    });
    child.on('close', (code, signal) => resolve({ code: code ?? (signal ? 1 : 0), out }));
  });
}

function testFiles(dir) {
  const abs = join(root, dir);
  if (!existsSync(abs)) return [];
  return readdirSync(abs, { recursive: true })
    .map(String)
    .filter((f) => f.endsWith('.test.js'))
    .sort()
    .map((f) => join(dir, f));
}

/** Counts from node:test's spec reporter summary (`ℹ pass N`, `ℹ fail N`, `ℹ cancelled N`). */
function nodeTestCounts(out, code) {
  const num = (label) => Number((out.match(new RegExp(`ℹ ${label} (\\d+)`)) ?? [])[1] ?? 0);
  const passed = num('pass');
  let failed = num('fail') + num('cancelled');
  if (code !== 0 && failed === 0) failed = 1; // crashed before reporting
  return { passed, failed, skipped: num('skipped') };
}

const results = [];
let built = false;
async function build() {
  if (built) return true;
  const r = await run(process.execPath, ['scripts/build.mjs', '--tests']);
  built = r.code === 0;
  if (!built) results.push({ tier: 'build', passed: 0, failed: 1, skipped: 0 });
  return built;
}

async function nodeTier(tier, extraArgs = []) {
  if (!(await build())) return;
  const files = testFiles(`out/test/${tier}`);
  if (files.length === 0) {
    console.log(`[${tier}] no test files`);
    results.push({ tier, passed: 0, failed: 1, skipped: 0 });
    return;
  }
  const pattern = grep === null ? [] : [`--test-name-pattern=${grep}`];
  const r = await run(process.execPath, ['--enable-source-maps', '--test', '--test-reporter=spec', ...pattern, ...extraArgs, ...files]);
  results.push({ tier, ...nodeTestCounts(r.out, r.code) });
}

const started = Date.now();
for (const tier of tiers) {
  const t0 = Date.now();
  console.log(`\n=== ${tier} ===`);
  switch (tier) {
    case 'lint': {
      const r = await run(bin('eslint'), ['.', '--max-warnings=0']);
      results.push({ tier, passed: r.code === 0 ? 1 : 0, failed: r.code === 0 ? 0 : 1, skipped: 0 });
      break;
    }
    case 'typecheck': {
      const host = await run(bin('tsc'), ['-p', '.', '--noEmit']);
      const web = await run(bin('tsc'), ['-p', 'webview', '--noEmit']);
      const ok = [host, web].filter((r) => r.code === 0).length;
      results.push({ tier, passed: ok, failed: 2 - ok, skipped: 0 });
      break;
    }
    case 'unit':
      await nodeTier('unit');
      break;
    case 'kernel':
      // Real sockets and, as root, network namespaces: one file at a time so they don't disturb each other.
      await nodeTier('kernel', ['--test-concurrency=1']);
      break;
    case 'webview':
      await nodeTier('webview', ['--test-concurrency=1']);
      break;
    case 'vscode': {
      if (!(await build())) break;
      const resultsFile = join(root, 'out', 'test-results', 'vscode.json');
      mkdirSync(join(root, 'out', 'test-results'), { recursive: true });
      rmSync(resultsFile, { force: true });
      const r = await run(process.execPath, ['--enable-source-maps', 'out/test/vscode/runTest.js'], { TCPSV_RESULTS_FILE: resultsFile, ...(grep === null ? {} : { TCPSV_GREP: grep }) });
      let counts = { passed: 0, failed: 1, skipped: 0 };
      if (existsSync(resultsFile)) {
        const j = JSON.parse(readFileSync(resultsFile, 'utf8'));
        counts = { passed: j.passed ?? 0, failed: j.failed ?? 0, skipped: j.skipped ?? 0 };
        if (r.code !== 0 && counts.failed === 0) counts.failed = 1;
      }
      results.push({ tier, ...counts });
      break;
    }
  }
  const last = results[results.length - 1];
  if (last) console.log(`[${tier}] ${last.passed} passed, ${last.failed} failed${last.skipped ? `, ${last.skipped} skipped` : ''} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
}

console.log('\n=== summary ===');
for (const r of results) console.log(`${r.tier.padEnd(10)} ${r.passed} passed, ${r.failed} failed${r.skipped ? `, ${r.skipped} skipped` : ''}`);
console.log(`total time ${((Date.now() - started) / 1000).toFixed(1)} s`);
const passed = results.reduce((a, r) => a + r.passed, 0);
const failed = results.reduce((a, r) => a + r.failed, 0);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);
