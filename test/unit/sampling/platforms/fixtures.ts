// Reads the platform fixtures (test/unit/fixtures/platforms, see the note at the top of each file).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { UNIT_FIXTURES } from '../../../common/paths';

// Tests run from out/test/unit/sampling/platforms: five levels up is the worktree.
const dir = join(UNIT_FIXTURES, 'platforms');

/** A fixture's bytes, unchanged. */
export function fixtureBytes(name: string): Buffer {
  return readFileSync(join(dir, name));
}

/** A text fixture (UTF-8) without its leading note: the lines starting with "# " before the tool's output. */
export function fixtureText(name: string): string {
  const lines = readFileSync(join(dir, name), 'utf8').split('\n');
  let i = 0;
  while (i < lines.length && lines[i].startsWith('# ')) i++;
  return lines.slice(i).join('\n');
}

/** A JSON fixture. */
export function fixtureJson<T>(name: string): T {
  return JSON.parse(readFileSync(join(dir, name), 'utf8')) as T;
}
