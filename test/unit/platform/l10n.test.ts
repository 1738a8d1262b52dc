// Every user-visible string has its Simplified Chinese translation: package.nls keys, the manifest's %key%
// references, and every `l10n.t(...)` literal in the extension's source (the English string is the key, as
// VS Code's bundle.l10n.<locale>.json format defines it).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../../common/paths';

const root = REPO_ROOT;

function readJson(rel: string): Record<string, unknown> {
  return JSON.parse(readFileSync(join(root, rel), 'utf8')) as Record<string, unknown>;
}

function sourceFiles(dir: string): string[] {
  const abs = join(root, dir);
  if (!existsSync(abs)) return [];
  return readdirSync(abs, { recursive: true })
    .map(String)
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))
    .map((f) => join(dir, f));
}

/** Undoes the escapes a JS string literal may hold; `${` in a template makes the key dynamic (null). */
function unescapeLiteral(body: string, quote: string): string | null {
  if (quote === '`' && body.includes('${')) return null;
  return body.replace(/\\(u\{[0-9a-fA-F]+\}|u[0-9a-fA-F]{4}|x[0-9a-fA-F]{2}|\r?\n|.)/g, (_m, e: string) => {
    switch (e[0]) {
      case 'n':
        return '\n';
      case 't':
        return '\t';
      case 'r':
        return '\r';
      case '0':
        return '\0';
      case 'u':
        return String.fromCodePoint(parseInt(e.startsWith('u{') ? e.slice(2, -1) : e.slice(1), 16));
      case 'x':
        return String.fromCharCode(parseInt(e.slice(1), 16));
      case '\r':
      case '\n':
        return '';
      default:
        return e;
    }
  });
}

interface L10nCall {
  file: string;
  line: number;
  key: string | null;
  /** Why the first argument cannot be checked, when key is null. */
  problem?: string;
}

/** Finds `l10n.t(` calls in TypeScript source text and reads their first argument when it is a literal. */
export function findL10nCalls(file: string, text: string): L10nCall[] {
  const calls: L10nCall[] = [];
  const call = /\bl10n\s*\.\s*t\s*\(\s*/g;
  for (let m = call.exec(text); m; m = call.exec(text)) {
    const at = m.index + m[0].length;
    const line = text.slice(0, m.index).split('\n').length;
    const quote = text[at];
    if (quote !== "'" && quote !== '"' && quote !== '`') {
      calls.push({ file, line, key: null, problem: 'first argument is not a string literal' });
      continue;
    }
    let i = at + 1;
    while (i < text.length && text[i] !== quote) i += text[i] === '\\' ? 2 : 1;
    const key = unescapeLiteral(text.slice(at + 1, i), quote);
    const after = /^\s*([,)])/.exec(text.slice(i + 1));
    if (key === null) calls.push({ file, line, key: null, problem: 'template literal with ${...}: use {0} placeholders' });
    else if (!after) calls.push({ file, line, key: null, problem: 'first argument is an expression, not one literal' });
    else calls.push({ file, line, key });
  }
  return calls;
}

/** `{0}`, `{1}`... in a message, sorted: a translation must keep exactly the placeholders of its key. */
function placeholders(s: string): string[] {
  return (s.match(/\{\d+\}/g) ?? []).sort();
}

const nls = readJson('package.nls.json');
const nlsZh = readJson('package.nls.zh-cn.json');
const bundleZhPath = 'l10n/bundle.l10n.zh-cn.json';
const bundleZh: Record<string, unknown> = existsSync(join(root, bundleZhPath)) ? readJson(bundleZhPath) : {};
const calls = sourceFiles('src').flatMap((f) => findL10nCalls(f, readFileSync(join(root, f), 'utf8')));

test('the l10n.t scanner reads literals in every quoting style and flags dynamic keys', () => {
  const src = [
    "vscode.l10n.t('It\\'s {0}', x);",
    'l10n.t("Double \\"quoted\\"")',
    'vscode.l10n.t(`Back\ntick`)',
    'l10n.t(\n  "Wrapped"\n)',
    'l10n.t(`Dyn ${x}`)',
    'l10n.t(key)',
    "l10n.t('a' + b)",
  ].join('\n');
  const found = findL10nCalls('x.ts', src);
  assert.deepEqual(
    found.map((c) => c.key),
    ["It's {0}", 'Double "quoted"', 'Back\ntick', 'Wrapped', null, null, null],
  );
  assert.deepEqual(found.map((c) => c.line), [1, 2, 3, 5, 8, 9, 10]);
});

test('every package.nls.json key has a non-empty Simplified Chinese translation', () => {
  const missing = Object.keys(nls).filter((k) => typeof nlsZh[k] !== 'string' || (nlsZh[k] as string).trim() === '');
  assert.deepEqual(missing, [], `keys missing from package.nls.zh-cn.json: ${missing.join(', ')}`);
});

test('package.nls.zh-cn.json holds no key that package.nls.json lacks', () => {
  const stale = Object.keys(nlsZh).filter((k) => !(k in nls));
  assert.deepEqual(stale, []);
});

test('every %key% in package.json is defined in package.nls.json', () => {
  const manifest = readFileSync(join(root, 'package.json'), 'utf8');
  const used = [...manifest.matchAll(/"%([^"%]+)%"/g)].map((m) => m[1]);
  assert.ok(used.length > 0, 'package.json uses nls keys');
  const undefinedKeys = [...new Set(used)].filter((k) => typeof nls[k] !== 'string');
  assert.deepEqual(undefinedKeys, [], `package.json uses undefined nls keys: ${undefinedKeys.join(', ')}`);
});

test('every l10n.t() call in src has a literal key', () => {
  const bad = calls.filter((c) => c.key === null).map((c) => `${c.file}:${c.line}: ${c.problem}`);
  assert.deepEqual(bad, []);
});

test('l10n.t is only called directly: an alias (`const t = l10n.t`) would hide its strings from these checks', () => {
  const aliased = sourceFiles('src').flatMap((f) =>
    readFileSync(join(root, f), 'utf8')
      .split('\n')
      .flatMap((l, i) =>
        !/^\s*(\/\/|\*|\/\*)/.test(l) && /[=,(:?]\s*(?:vscode\s*\.\s*)?l10n\s*\.\s*t\b(?!\s*\()/.test(l) ? [`${f}:${i + 1}: ${l.trim()}`] : [],
      ),
  );
  assert.deepEqual(aliased, []);
});

test('every l10n.t() string in src has a Simplified Chinese translation in l10n/bundle.l10n.zh-cn.json', () => {
  const missing = [...new Set(calls.flatMap((c) => (c.key === null ? [] : [c.key])))].filter(
    (k) => typeof bundleZh[k] !== 'string' || (bundleZh[k] as string).trim() === '',
  );
  assert.deepEqual(missing, [], `untranslated: ${JSON.stringify(missing, null, 1)}`);
});

test('each translation keeps the {n} placeholders of its English key', () => {
  const wrong = Object.entries(bundleZh)
    .filter(([k, v]) => typeof v !== 'string' || placeholders(k).join() !== placeholders(v).join())
    .map(([k]) => k);
  assert.deepEqual(wrong, []);
});

test('l10n/bundle.l10n.zh-cn.json holds no string the source no longer uses', () => {
  const used = new Set(calls.map((c) => c.key));
  const stale = Object.keys(bundleZh).filter((k) => !used.has(k));
  assert.deepEqual(stale, [], `unused translations: ${JSON.stringify(stale)}`);
});
