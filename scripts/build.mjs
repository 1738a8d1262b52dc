// One esbuild script for every bundle: the extension host, its sampler worker, the CLI, the webview,
// and (with --tests) the test tiers and benchmarks under out/.
//   node scripts/build.mjs [--production] [--watch] [--tests]
import * as esbuild from 'esbuild';
import { readdirSync, existsSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const args = new Set(process.argv.slice(2));
const production = args.has('--production');
const watch = args.has('--watch');
const withTests = args.has('--tests');
const root = fileURLToPath(new URL('..', import.meta.url));

const common = {
  bundle: true,
  sourcemap: production ? false : 'linked',
  minify: production,
  logLevel: 'warning',
  target: 'es2022',
};

/** Files under dir (recursively) whose name ends with suffix. */
function find(dir, suffix) {
  const abs = join(root, dir);
  if (!existsSync(abs)) return [];
  return readdirSync(abs, { recursive: true })
    .map(String)
    .filter((f) => f.endsWith(suffix) && !f.includes('node_modules'))
    .map((f) => join(dir, f));
}

const builds = [
  {
    ...common,
    entryPoints: { extension: 'src/extension.ts', samplerWorker: 'src/sampling/samplerWorker.ts' },
    outdir: 'dist',
    platform: 'node',
    format: 'cjs',
    // koffi (optional, Windows backend) loads its native binary from paths next to its own files: it stays a
    // file of its own, in dist/koffi in the Windows VSIXs (scripts/package.mjs), node_modules in development.
    external: ['vscode', 'koffi'],
  },
  {
    ...common,
    entryPoints: { cli: 'src/cli/cli.ts' },
    outdir: 'dist',
    platform: 'node',
    format: 'cjs',
    external: ['koffi'],
    banner: { js: '#!/usr/bin/env node' },
  },
  {
    ...common,
    entryPoints: { webview: 'webview/main.ts' },
    outdir: 'dist',
    platform: 'browser',
    format: 'iife',
    loader: { '.css': 'css' },
  },
];

if (withTests) {
  const testEntries = [
    ...find('test/unit', '.test.ts'),
    ...find('test/kernel', '.test.ts'),
    ...find('test/webview', '.test.ts'),
    ...find('test/webview', 'Bench.ts'),
    ...find('test/vscode', '.ts'),
    ...find('test/common', '.ts'),
    ...find('test/smoke', '.ts'),
    ...find('bench', '.ts'),
  ];
  builds.push({
    ...common,
    sourcemap: 'inline',
    entryPoints: testEntries,
    outbase: '.',
    outdir: 'out',
    platform: 'node',
    format: 'cjs',
    // Dependencies resolve from node_modules at run time; 'vscode' is the extension host's own module.
    packages: 'external',
    external: ['vscode'],
  });
}

// Drop entry points whose source is not there (yet): a bundle group with none left is skipped.
for (const b of builds) {
  if (Array.isArray(b.entryPoints)) continue;
  b.entryPoints = Object.fromEntries(Object.entries(b.entryPoints).filter(([, src]) => existsSync(join(root, src))));
}
const runnable = builds.filter((b) => (Array.isArray(b.entryPoints) ? b.entryPoints.length : Object.keys(b.entryPoints).length) > 0);
builds.length = 0;
builds.push(...runnable);

const started = Date.now();
if (!watch) {
  rmSync(join(root, 'dist'), { recursive: true, force: true });
  await Promise.all(builds.map((b) => esbuild.build({ absWorkingDir: root, ...b })));
  console.log(`built ${builds.length} bundle groups in ${Date.now() - started} ms${production ? ' (production)' : ''}`);
} else {
  const contexts = await Promise.all(builds.map((b) => esbuild.context({ absWorkingDir: root, ...b })));
  await Promise.all(contexts.map((c) => c.watch()));
  console.log(`watching ${contexts.length} bundle groups (${relative(process.cwd(), root) || '.'})`);
}
