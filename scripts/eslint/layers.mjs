// An ESLint rule that keeps the layers apart: each file belongs to a layer (by folder) and may import only the
// layers listed for it. Relative imports are resolved against the importing file, so the rule does not depend on
// how deep a file sits. Bare imports are checked for `vscode` and Node's I/O modules where a layer must run
// without them (the pure domain and the webview run in plain Node tests and in the browser).
import { builtinModules } from 'node:module';
import { dirname, relative, resolve, sep } from 'node:path';

const root = resolve(new URL('../..', import.meta.url).pathname);

/** Layer of a project file, by its path from the repository root; null for files outside every layer. */
export function layerOf(rel) {
  const p = rel.split(sep).join('/');
  const rules = [
    ['src/domain/', 'domain'],
    ['src/shared/', 'shared'],
    ['src/sampling/', 'sampling'],
    ['src/cli/', 'cli'],
    ['src/platform/', 'platform'],
    ['src/contributions.ts', 'contributions'],
    ['src/model/', 'model'],
    ['src/views/', 'feature'],
    ['src/editor/', 'feature'],
    ['src/snapshots/', 'feature'],
    ['src/extension.ts', 'extension'],
    ['webview/', 'webview'],
    ['test/unit/', 'unit-test'],
  ];
  for (const [prefix, layer] of rules) if (p === prefix || `${p}.ts` === prefix || p.startsWith(prefix)) return layer;
  return null;
}

/** Which layers each layer may import (its own included). Downward only: nothing imports a layer above it. */
export const ALLOWED = {
  domain: ['domain'],
  shared: ['domain', 'shared'],
  sampling: ['domain', 'sampling'],
  cli: ['domain', 'sampling', 'cli'],
  contributions: ['domain', 'contributions'],
  platform: ['domain', 'contributions', 'platform'],
  model: ['domain', 'sampling', 'contributions', 'platform', 'model'],
  feature: ['domain', 'shared', 'sampling', 'contributions', 'platform', 'model', 'feature'],
  extension: ['domain', 'shared', 'sampling', 'contributions', 'platform', 'model', 'feature'],
  webview: ['domain', 'shared', 'webview'],
  // The unit tier runs in plain Node: the pure layers, the parsers and readers, the CLI, and the contributions maps.
  'unit-test': ['domain', 'shared', 'sampling', 'cli', 'contributions', 'unit-test', null],
};

/** Layers that must not import `vscode` at run time, and those that must not touch Node's I/O either. */
const NO_VSCODE = new Set(['domain', 'shared', 'sampling', 'cli', 'contributions', 'webview', 'unit-test']);
const NO_NODE_IO = new Set(['domain', 'shared', 'contributions', 'webview']);
/** Node's own modules, with or without the `node:` prefix: the pure layers use none of them. */
const NODE_MODULES = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));

export const layersRule = {
  meta: { type: 'problem', schema: [], messages: { layer: '{{from}} may not import {{what}} ({{to}}): {{why}}' } },
  create(context) {
    const file = context.filename ?? context.getFilename();
    const from = layerOf(relative(root, file));
    if (from === null) return {};
    const check = (node, spec, typeOnly) => {
      if (typeof spec !== 'string') return;
      if (!spec.startsWith('.')) {
        if (typeOnly) return;
        if (spec === 'vscode' && NO_VSCODE.has(from)) {
          context.report({ node, messageId: 'layer', data: { from, what: 'vscode', to: 'the editor API', why: 'this layer runs without VS Code (plain Node tests, the worker, the CLI or the browser)' } });
        } else if ((NODE_MODULES.has(spec) || spec.startsWith('node:')) && NO_NODE_IO.has(from)) {
          context.report({ node, messageId: 'layer', data: { from, what: spec, to: 'Node I/O', why: 'this layer is pure: it takes data and returns data' } });
        }
        return;
      }
      const target = relative(root, resolve(dirname(file), spec));
      const to = layerOf(target);
      const allowed = ALLOWED[from];
      if (!allowed.includes(to)) {
        context.report({ node, messageId: 'layer', data: { from, what: spec, to: to ?? 'outside the layers', why: `${from} may import only ${allowed.filter((l) => l !== null).join(', ')}` } });
      }
    };
    const typeOnlyImport = (node) => node.importKind === 'type' || (node.specifiers?.length > 0 && node.specifiers.every((s) => s.importKind === 'type'));
    return {
      ImportDeclaration: (node) => check(node, node.source.value, typeOnlyImport(node)),
      ExportNamedDeclaration: (node) => node.source && check(node, node.source.value, node.exportKind === 'type'),
      ExportAllDeclaration: (node) => check(node, node.source.value, node.exportKind === 'type'),
      ImportExpression: (node) => check(node, node.source.value, false),
    };
  },
};
