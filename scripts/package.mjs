// `npm run package`: a production build (minified, no sourcemaps) and a VSIX of it with @vscode/vsce.
//   node scripts/package.mjs [--out FILE.vsix]
// Prints the VSIX's path and size and fails when it is over 1 MB (the extension ships bundles only, so a
// bigger one means something that should not be there got in: check `npx vsce ls`).
import { spawnSync } from 'node:child_process';
import { statSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const ROOT = new URL('..', import.meta.url).pathname;
const LIMIT_BYTES = 1024 * 1024;
const args = process.argv.slice(2);
const outIndex = args.indexOf('--out');
const { name, version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
const out = outIndex >= 0 ? resolve(args[outIndex + 1]) : join(ROOT, `${name}-${version}.vsix`);

function run(cmd, cmdArgs) {
  const r = spawnSync(cmd, cmdArgs, { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.status !== 0) {
    console.error(`${[cmd, ...cmdArgs].join(' ')} failed (${r.status ?? r.signal})`);
    process.exit(1);
  }
}

const t0 = Date.now();
run(process.execPath, ['scripts/build.mjs', '--production']);
// --no-dependencies: esbuild bundled every runtime dependency into dist/, node_modules stays out.
// --allow-missing-repository: the project has no public repository URL to name yet.
run(join(ROOT, 'node_modules', '.bin', 'vsce'), ['package', '--no-dependencies', '--allow-missing-repository', '--out', out]);
const bytes = statSync(out).size;
console.log(`VSIX ${out}: ${(bytes / 1024).toFixed(1)} KB (${Date.now() - t0} ms)`);
if (bytes > LIMIT_BYTES) {
  console.error(`the VSIX is over ${LIMIT_BYTES / 1024} KB: see what it holds with \`npx vsce ls --no-dependencies\``);
  process.exit(1);
}
