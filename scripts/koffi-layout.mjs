// How the Windows VSIXs carry koffi (scripts/package.mjs): next to the bundles in dist/, as koffi finds itself there.
//   dist/koffi/                         koffi's loader (index.cjs -> src/koffi/index.cjs -> src/koffi/src/static.cjs)
//   dist/@koromix/koffi-<os>-<cpu>/     the binary package: package.json, index.js, <dir>/koffi.node
// koffi's loader looks for `@koromix/koffi-<os>-<cpu>` three folders above src/koffi, i.e. dist/@koromix, when the
// package cannot be required by name (no node_modules in a VSIX); the worker requires dist/koffi by path
// (src/sampling/platforms/win32/native.ts loadKoffi). test/unit/packaging.test.ts loads this layout for real.
import { cpSync, readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';

/** koffi's files that load it, and its licence. */
export const KOFFI_FILES = ['package.json', 'index.cjs', 'src/koffi/index.cjs', 'src/koffi/src/static.cjs', 'LICENSE.txt'];

/**
 * Copies koffi (from `koffiDir`) and the binary package `@koromix/koffi-<os>-<cpu>` (from `binaryDir`) into `dist`.
 * Of the binary package only package.json, index.js and each `<dir>/koffi.node` are taken (not the link libraries).
 */
export function layKoffi(dist, koffiDir, binaryDir, osCpu) {
  for (const f of KOFFI_FILES) cpSync(join(koffiDir, f), join(dist, 'koffi', f));
  const into = join(dist, '@koromix', `koffi-${osCpu}`);
  for (const f of ['package.json', 'index.js']) cpSync(join(binaryDir, f), join(into, f));
  for (const entry of readdirSync(binaryDir, { withFileTypes: true })) {
    if (entry.isDirectory() && existsSync(join(binaryDir, entry.name, 'koffi.node'))) cpSync(join(binaryDir, entry.name, 'koffi.node'), join(into, entry.name, 'koffi.node'));
  }
}
