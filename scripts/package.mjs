// `npm run package`: a production build (minified, no sourcemaps) and a VSIX of it with @vscode/vsce.
//   node scripts/package.mjs [--out FILE.vsix]
// Prints the VSIX's path and size and fails when it is over 1 MB (the extension ships bundles only, so a
// bigger one means something that should not be there got in: check `npx vsce ls --no-dependencies`).
// It builds in a staging copy of the sources, so the development build in dist/ (with sourcemaps, possibly
// loaded by a running VS Code or test) is left alone.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = new URL('..', import.meta.url).pathname;
const LIMIT_BYTES = 1024 * 1024;
// What the build reads and what the VSIX holds (the rest of the project plays no part in either).
const STAGED = [
  'src',
  'webview',
  'media',
  'l10n',
  'scripts/build.mjs',
  'tsconfig.json',
  'package.json',
  'README.md',
  'CHANGELOG.md',
  'LICENSE',
  '.vscodeignore',
];

const args = process.argv.slice(2);
const outIndex = args.indexOf('--out');
const { name, version, repository } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
const out = outIndex >= 0 ? resolve(args[outIndex + 1]) : join(ROOT, `${name}-${version}.vsix`);

function run(cwd, cmd, cmdArgs) {
  const r = spawnSync(cmd, cmdArgs, { cwd, stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.status !== 0) throw new Error(`${[cmd, ...cmdArgs].join(' ')} failed (${r.status ?? r.signal})`);
}

const t0 = Date.now();
const stage = mkdtempSync(join(tmpdir(), 'tcpsv-package-stage-'));
try {
  const nls = readdirSync(ROOT).filter((f) => /^package\.nls(\.[\w-]+)?\.json$/.test(f));
  for (const p of [...STAGED, ...nls]) {
    if (existsSync(join(ROOT, p))) cpSync(join(ROOT, p), join(stage, p), { recursive: true });
  }
  symlinkSync(join(ROOT, 'node_modules'), join(stage, 'node_modules'), 'dir');
  run(stage, process.execPath, ['scripts/build.mjs', '--production']);
  // --no-dependencies: esbuild bundled every runtime dependency into dist/, node_modules stays out.
  // --allow-missing-repository: the project names no public repository yet. vsce makes the README's relative
  // links (the screenshots in docs/images/, which the VSIX does not hold) absolute on the `repository` of
  // package.json, and without one refuses to package them: until there is one they stay relative.
  const links = repository ? [] : ['--no-rewrite-relative-links'];
  if (!repository) console.warn('package.json names no repository: the README\'s images (docs/images/) stay relative links, which the Marketplace and the Extensions view cannot show');
  run(stage, join(ROOT, 'node_modules', '.bin', 'vsce'), ['package', '--no-dependencies', '--allow-missing-repository', ...links, '--out', out]);
} catch (e) {
  console.error(e instanceof Error ? e.message : e);
  process.exitCode = 1;
} finally {
  rmSync(stage, { recursive: true, force: true });
}
if (!process.exitCode) {
  const bytes = statSync(out).size;
  console.log(`VSIX ${out}: ${(bytes / 1024).toFixed(1)} KB (built and packaged in ${Date.now() - t0} ms)`);
  if (bytes > LIMIT_BYTES) {
    console.error(`the VSIX is over ${LIMIT_BYTES / 1024} KB: see what it holds with \`npx vsce ls --no-dependencies\``);
    process.exitCode = 1;
  }
}
