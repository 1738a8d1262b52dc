// Where things are, from a test bundle's own location (out/test/<tier>/.../x.test.js) whatever its depth.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

function findRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'src', 'extension.ts'))) return dir;
    if (dirname(dir) === dir) throw new Error(`no project root above ${from}`);
  }
}

/** The repository's root folder. */
export const REPO_ROOT = findRoot(__dirname);

/** Captured fixtures of the unit tier (they stay in the source tree; tests run from out/). */
export const UNIT_FIXTURES = join(REPO_ROOT, 'test', 'unit', 'fixtures');
