// Reads the platform fixtures (test/unit/fixtures/platforms, see the note at the top of each file).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { UNIT_FIXTURES } from '../../../common/paths';
import type { AddressFamily, Owner, TcpState } from '../../../../src/domain/types';
import type { ToolRow } from '../../../../src/sampling/platforms/common';

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

/** A parsed tool row for a fake platform's table; endpoints as `address port` (the address may hold colons). */
export function toolRow(state: TcpState, local: string, remote: string, owners: Owner[] = []): ToolRow {
  const ep = (t: string) => {
    const [address, port] = t.split(' ');
    return { address, port: Number(port) };
  };
  const family: AddressFamily = local.includes(':') ? 'ipv6' : 'ipv4';
  return { state, stateWord: state, family, local: ep(local), remote: ep(remote), inode: 0, uid: -1, recvQ: 0, sendQ: 0, timer: null, owners };
}
