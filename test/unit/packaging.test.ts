// koffi laid out as the Windows VSIXs carry it (scripts/koffi-layout.mjs: dist/koffi and dist/@koromix/koffi-<os>-<cpu>,
// no node_modules) loads in a plain Node outside this project. Here with this machine's binary package (the same
// lookup koffi makes on Windows for koffi-win32-<cpu>); the Windows packages themselves are fetched and checked by
// scripts/package.mjs, which this tier does not run (it needs the npm registry).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../common/paths';

const osCpu = `${process.platform}-${process.arch}`;
const binary = join(REPO_ROOT, 'node_modules', '@koromix', `koffi-${osCpu}`);
const skip = existsSync(binary) ? false : `koffi has no binary package installed for ${osCpu}`;

test('koffi in the VSIX layout loads by path with no node_modules around it', { skip }, async () => {
  const { layKoffi, KOFFI_FILES } = (await import(join(REPO_ROOT, 'scripts', 'koffi-layout.mjs'))) as {
    layKoffi: (dist: string, koffiDir: string, binaryDir: string, osCpu: string) => void;
    KOFFI_FILES: string[];
  };
  const dir = mkdtempSync(join(tmpdir(), 'tcpsv-koffi-layout-'));
  try {
    const dist = join(dir, 'dist');
    layKoffi(dist, join(REPO_ROOT, 'node_modules', 'koffi'), binary, osCpu);
    for (const f of KOFFI_FILES) assert.ok(existsSync(join(dist, 'koffi', f)), f);
    // As the worker bundle does (createRequire(__filename) of dist/samplerWorker.js, then dist/koffi by path).
    const script = `const k = require('node:module').createRequire(${JSON.stringify(join(dist, 'samplerWorker.js'))})(${JSON.stringify(join(dist, 'koffi'))}); console.log(k.version, typeof k.load)`;
    const r = spawnSync(process.execPath, ['-e', script], { cwd: dir, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const { version } = JSON.parse(readFileSync(join(REPO_ROOT, 'node_modules', 'koffi', 'package.json'), 'utf8')) as { version: string };
    assert.equal(r.stdout.trim(), `${version} function`);
    // Without the binary package next to it, the same require fails: the layout is what makes it load.
    rmSync(join(dist, '@koromix'), { recursive: true });
    const without = spawnSync(process.execPath, ['-e', script], { cwd: dir, encoding: 'utf8' });
    assert.notEqual(without.status, 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
