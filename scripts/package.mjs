// `npm run package`: a production build (minified, no sourcemaps) and platform-specific VSIXs of it with
// @vscode/vsce (`vsce package --target`), one per VS Code target the extension ships for.
//   node scripts/package.mjs                      every target in TARGETS, into the project folder
//   node scripts/package.mjs --target win32-x64   only the named targets (repeat --target for more)
//   node scripts/package.mjs --out FILE.vsix      one VSIX: the --target given, else this machine's
// Prints each VSIX's path and size and fails when one is over its limit: 1 MB for every target but Windows (the
// extension ships bundles only, so a bigger one means something that should not be there got in: check
// `npx vsce ls --no-dependencies`), 3 MB for Windows, whose VSIXs also carry koffi and its native binary.
//
// Why one VSIX per target: the Windows backend calls GetExtendedTcpTable through koffi, whose binary is per OS and
// CPU (~1.1-1.3 MB each). Only the win32 VSIXs carry it, each the one for its CPU; the others stay as small as one
// universal VSIX would be. koffi's JavaScript is copied from node_modules (the optional dependency); the Windows
// binaries, which npm does not install on other systems, are fetched with `npm pack` from the npm registry and
// checked against package-lock.json's integrity before use.
//
// It builds in a staging copy of the sources, so the development build in dist/ (with sourcemaps, possibly
// loaded by a running VS Code or test) is left alone.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { layKoffi } from './koffi-layout.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const MB = 1024 * 1024;
// VS Code's targets (vsce's list) that the extension runs on: a workspace extension, so not `web`; win32-ia32
// has no VS Code build any more.
const TARGETS = ['linux-x64', 'linux-arm64', 'linux-armhf', 'alpine-x64', 'alpine-arm64', 'darwin-x64', 'darwin-arm64', 'win32-x64', 'win32-arm64'];
const LIMIT = (target) => (target.startsWith('win32-') ? 3 * MB : 1 * MB);
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

function usage(problem) {
  console.error(`${problem}\nusage: node scripts/package.mjs [--target T]... [--out FILE.vsix]; targets: ${TARGETS.join(', ')}`);
  process.exit(2);
}
const args = process.argv.slice(2);
const targets = [];
let out = null;
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--target' && i + 1 < args.length) targets.push(args[++i]);
  else if (args[i] === '--out' && i + 1 < args.length) out = resolve(args[++i]);
  else usage(`unknown argument ${args[i]}`);
}
for (const t of targets) if (!TARGETS.includes(t)) usage(`unknown target ${t}`);
if (out !== null && targets.length > 1) usage('--out names one VSIX: give at most one --target');
const { name, version, repository } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8'));

/** This machine's VS Code target (musl Linux is alpine). */
function hostTarget() {
  const arch = process.arch === 'arm' ? 'armhf' : process.arch;
  if (process.platform !== 'linux') return `${process.platform}-${arch}`;
  const musl = !process.report?.getReport().header.glibcVersionRuntime;
  return `${musl ? 'alpine' : 'linux'}-${arch}`;
}

const wanted = out !== null ? [targets[0] ?? hostTarget()] : targets.length > 0 ? targets : TARGETS;
const fileOf = (target) => out ?? join(ROOT, `${name}-${target}-${version}.vsix`);

function run(cwd, cmd, cmdArgs) {
  const r = spawnSync(cmd, cmdArgs, { cwd, stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.status !== 0) throw new Error(`${[cmd, ...cmdArgs].join(' ')} failed (${r.status ?? r.signal ?? r.error?.message})`);
}

/** The folder of @koromix/koffi-win32-<arch> at the locked version, fetched once from the npm registry and checked. */
function koffiBinaryPackage(arch) {
  const pkg = `@koromix/koffi-win32-${arch}`;
  const locked = lock.packages[`node_modules/${pkg}`];
  if (!locked?.integrity) throw new Error(`${pkg} is not in package-lock.json (koffi's optional dependencies)`);
  const cache = join(ROOT, 'node_modules', '.cache', 'tcpsv-package', `${pkg.replace('/', '+')}-${locked.version}`);
  const unpacked = join(cache, 'package');
  if (!existsSync(join(unpacked, 'package.json'))) {
    rmSync(cache, { recursive: true, force: true });
    mkdirSync(cache, { recursive: true });
    run(cache, 'npm', ['pack', `${pkg}@${locked.version}`, '--silent', '--pack-destination', cache]);
    const tgz = readdirSync(cache).find((f) => f.endsWith('.tgz'));
    const [algorithm, expected] = locked.integrity.split('-');
    const actual = createHash(algorithm).update(readFileSync(join(cache, tgz))).digest('base64');
    if (actual !== expected) {
      rmSync(cache, { recursive: true, force: true });
      throw new Error(`${pkg}@${locked.version}: the registry's tarball does not match package-lock.json's integrity`);
    }
    run(cache, 'tar', ['-xzf', tgz]);
  }
  return unpacked;
}

/** Puts koffi and the Windows binary for `arch` in dist/ (next to the worker bundle that loads them), or removes them. */
function stageKoffi(stage, target) {
  const dist = join(stage, 'dist');
  rmSync(join(dist, 'koffi'), { recursive: true, force: true });
  rmSync(join(dist, '@koromix'), { recursive: true, force: true });
  if (!target.startsWith('win32-')) return;
  const arch = target.slice('win32-'.length);
  layKoffi(dist, join(ROOT, 'node_modules', 'koffi'), koffiBinaryPackage(arch), `win32-${arch}`);
}

const t0 = Date.now();
const made = [];
const stage = mkdtempSync(join(tmpdir(), 'tcpsv-package-stage-'));
try {
  const nls = readdirSync(ROOT).filter((f) => /^package\.nls(\.[\w-]+)?\.json$/.test(f));
  for (const p of [...STAGED, ...nls]) {
    if (existsSync(join(ROOT, p))) cpSync(join(ROOT, p), join(stage, p), { recursive: true });
  }
  symlinkSync(join(ROOT, 'node_modules'), join(stage, 'node_modules'), 'dir');
  run(stage, process.execPath, ['scripts/build.mjs', '--production']);
  // vsce makes the README's relative links (the screenshots in docs/images/, which the VSIX does not hold) absolute
  // on the `repository` of package.json, and without one refuses to package them: until there is one they stay relative.
  const links = repository ? [] : ['--no-rewrite-relative-links'];
  if (!repository) console.warn('package.json names no repository: the README\'s images (docs/images/) stay relative links, which the Marketplace and the Extensions view cannot show');
  for (const target of wanted) {
    stageKoffi(stage, target);
    // --no-dependencies: esbuild bundled every runtime dependency into dist/ (koffi is copied there), node_modules
    // stays out. --allow-missing-repository: the project names no public repository yet.
    run(stage, join(ROOT, 'node_modules', '.bin', 'vsce'), ['package', '--target', target, '--no-dependencies', '--allow-missing-repository', ...links, '--out', fileOf(target)]);
    made.push(target);
  }
} catch (e) {
  console.error(e instanceof Error ? e.message : e);
  process.exitCode = 1;
} finally {
  rmSync(stage, { recursive: true, force: true });
}
if (made.length > 0) {
  console.log(`\nVSIX per target (built and packaged in ${Date.now() - t0} ms):`);
  for (const target of made) {
    const bytes = statSync(fileOf(target)).size;
    const over = bytes > LIMIT(target);
    console.log(`  ${target.padEnd(13)} ${(bytes / 1024).toFixed(1).padStart(8)} KB  ${fileOf(target)}${over ? `  OVER ${LIMIT(target) / MB} MB` : ''}`);
    if (over) process.exitCode = 1;
  }
  if (process.exitCode) console.error('a VSIX is over its limit: see what it holds with `npx vsce ls --no-dependencies`');
}
