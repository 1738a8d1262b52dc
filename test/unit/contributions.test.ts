import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { COLORS, COMMANDS, CONTEXT_KEYS, DIAGRAM_PANEL_TYPE, SETTINGS, SETTINGS_SECTION, VIEWS, VIEW_CONTAINER, changedSettings, readSettings } from '../../src/contributions';
import type { SettingDef, SettingName } from '../../src/contributions';
import { STATES, TCP_STATES } from '../../src/domain/states';
import { REPO_ROOT } from '../common/paths';

const root = REPO_ROOT;
interface Manifest {
  activationEvents?: string[];
  contributes: {
    configuration: { properties: Record<string, { default: unknown; minimum?: number; maximum?: number; enum?: string[]; markdownDescription?: string; type: string }> };
    commands: { command: string; title: string }[];
    viewsContainers: { activitybar: { id: string }[] };
    views: Record<string, { id: string; type?: string }[]>;
    viewsWelcome: { view: string; contents: string; when?: string }[];
    menus: Record<string, { command: string; when?: string }[]>;
    colors: { id: string }[];
  };
}
const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as Manifest;
const sourceText = (dir: string): string =>
  readdirSync(join(root, dir), { recursive: true })
    .map(String)
    .filter((f) => f.endsWith('.ts'))
    .map((f) => readFileSync(join(root, dir, f), 'utf8'))
    .join('\n');
const nls = JSON.parse(readFileSync(join(root, 'package.nls.json'), 'utf8')) as Record<string, string>;
const nlsZh = JSON.parse(readFileSync(join(root, 'package.nls.zh-cn.json'), 'utf8')) as Record<string, string>;
const names = Object.keys(SETTINGS) as SettingName[];

test('commands: every command in package.json is in COMMANDS and the reverse', () => {
  const contributed: string[] = manifest.contributes.commands.map((c) => c.command).sort();
  assert.deepEqual([...contributed], Object.values(COMMANDS).sort());
  // Menus name only contributed commands.
  for (const [menu, items] of Object.entries(manifest.contributes.menus)) {
    for (const item of items) assert.ok(contributed.includes(item.command), `${menu}: ${item.command} is not a contributed command`);
  }
});

test('views: the container and views in package.json are VIEW_CONTAINER and VIEWS, and the reverse', () => {
  assert.deepEqual(manifest.contributes.viewsContainers.activitybar.map((c) => c.id), [VIEW_CONTAINER]);
  assert.deepEqual(Object.keys(manifest.contributes.views), [VIEW_CONTAINER]);
  assert.deepEqual(manifest.contributes.views[VIEW_CONTAINER].map((v) => v.id).sort(), Object.values(VIEWS).sort());
  for (const w of manifest.contributes.viewsWelcome) assert.ok((Object.values(VIEWS) as string[]).includes(w.view), w.view);
});

test('context keys: every tcpStateViewer.* name in a when clause is a view or a key of CONTEXT_KEYS, and every key is used', () => {
  const whens = [...Object.values(manifest.contributes.menus).flat(), ...manifest.contributes.viewsWelcome].map((i) => i.when ?? '');
  const named = new Set(whens.flatMap((w) => w.match(/tcpStateViewer\.[A-Za-z.]+/g) ?? []));
  const known = new Set<string>([...Object.values(CONTEXT_KEYS), ...Object.values(VIEWS)]);
  for (const n of named) assert.ok(known.has(n), `${n} is neither a view nor a context key`);
  for (const k of Object.values(CONTEXT_KEYS)) assert.ok(named.has(k), `${k} is set but no when clause reads it`);
});

test('colours: package.json contributes exactly the states\' colours and COLORS', () => {
  const expected = [...TCP_STATES.map((s) => STATES[s].colorId), ...Object.values(COLORS)].sort();
  assert.deepEqual(manifest.contributes.colors.map((c) => c.id).sort(), expected);
});

test('ids are named through the maps: no tcpStateViewer.* command, view, key or setting literal in src/ outside contributions.ts', () => {
  const ids = new Set<string>([...Object.values(COMMANDS), ...Object.values(VIEWS), ...Object.values(CONTEXT_KEYS), DIAGRAM_PANEL_TYPE]);
  for (const name of Object.keys(SETTINGS) as SettingName[]) ids.add(`${SETTINGS_SECTION}.${SETTINGS[name].key}`);
  // Code only: comments may name an id for the reader.
  const text = sourceText('src')
    .replace(readFileSync(join(root, 'src', 'contributions.ts'), 'utf8'), '')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/^\s*\/\/.*$/gm, '');
  for (const m of text.matchAll(/['"`](tcpStateViewer\.[A-Za-z.]+)['"`]/g)) assert.ok(!ids.has(m[1] as string), `${m[1]} is written as a literal`);
});

test('every typed setting is contributed in package.json with the same default, range and values', () => {
  const props = manifest.contributes.configuration.properties;
  for (const name of names) {
    const def: SettingDef<unknown> = SETTINGS[name];
    const prop = props[`${SETTINGS_SECTION}.${def.key}`];
    assert.ok(prop, `${def.key} is not contributed`);
    assert.deepEqual(prop.default, def.default, def.key);
    assert.equal(prop.minimum, def.minimum, `${def.key} minimum`);
    assert.equal(prop.maximum, def.maximum, `${def.key} maximum`);
    assert.deepEqual(prop.enum, def.values === undefined ? undefined : [...def.values], `${def.key} enum`);
    const key = /^%(.+)%$/.exec(prop.markdownDescription ?? (prop as { description?: string }).description ?? '')?.[1];
    assert.ok(key && nls[key] && nlsZh[key], `${def.key}: description in English and Chinese`);
  }
});

test('every setting in package.json is in SETTINGS', () => {
  const typed = new Set(names.map((n) => `${SETTINGS_SECTION}.${SETTINGS[n].key}`));
  for (const id of Object.keys(manifest.contributes.configuration.properties)) assert.ok(typed.has(id), `${id} is not in SETTINGS`);
});

test('unset settings read as their defaults', () => {
  const s = readSettings(() => undefined);
  for (const name of names) assert.deepEqual(s[name], SETTINGS[name].default);
});

test('malformed values fall back to the default; numbers out of range are clamped and rounded', () => {
  const values: Record<string, unknown> = {
    backend: 'netstat',
    ssPath: '  /usr/sbin/ss ',
    scope: 'all',
    sampleIntervalMs: 10,
    closedRetentionSeconds: 'ten',
    maxClosedConnections: 12.6,
    'insights.closeWaitSeconds': Number.NaN,
    'insights.timeWaitPerEndpoint': 1e12,
    'insights.synSentSeconds': -3,
  };
  const s = readSettings((key) => values[key]);
  assert.equal(s.backend, 'auto');
  assert.equal(s.ssPath, '/usr/sbin/ss');
  assert.equal(s.scope, 'all');
  assert.equal(s.sampleIntervalMs, 200);
  assert.equal(s.closedRetentionSeconds, 10);
  assert.equal(s.maxClosedConnections, 13);
  assert.equal(s.closeWaitSeconds, 30);
  assert.equal(s.timeWaitPerEndpoint, 1_000_000);
  assert.equal(s.synSentSeconds, 1);
  assert.equal(readSettings((key) => (key === 'ssPath' ? '   ' : undefined)).ssPath, 'ss');
});

test('changedSettings names exactly the settings whose values differ', () => {
  const a = readSettings(() => undefined);
  const b = readSettings((key) => (key === 'scope' ? 'all' : key === 'insights.synSentSeconds' ? 9 : undefined));
  assert.deepEqual([...changedSettings(a, b)].sort(), ['scope', 'synSentSeconds']);
  assert.equal(changedSettings(a, readSettings(() => undefined)).size, 0);
});

test('the diagram panel activates the extension when VS Code restores it after a reload (its serializer is registered in activation)', () => {
  assert.ok(manifest.activationEvents?.includes(`onWebviewPanel:${DIAGRAM_PANEL_TYPE}`), `activationEvents: ${JSON.stringify(manifest.activationEvents)}`);
  assert.match(sourceText('src'), /registerWebviewPanelSerializer\(DIAGRAM_PANEL_TYPE,/);
});
