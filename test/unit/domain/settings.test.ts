import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SETTINGS, SETTINGS_SECTION, changedSettings, readSettings } from '../../../src/domain/settings';
import type { SettingDef, SettingName } from '../../../src/domain/settings';

const root = join(__dirname, '..', '..', '..', '..');
const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  contributes: { configuration: { properties: Record<string, { default: unknown; minimum?: number; maximum?: number; enum?: string[]; markdownDescription?: string; type: string }> } };
};
const nls = JSON.parse(readFileSync(join(root, 'package.nls.json'), 'utf8')) as Record<string, string>;
const nlsZh = JSON.parse(readFileSync(join(root, 'package.nls.zh-cn.json'), 'utf8')) as Record<string, string>;
const names = Object.keys(SETTINGS) as SettingName[];

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
    const key = /^%(.+)%$/.exec(prop.markdownDescription ?? '')?.[1];
    assert.ok(key && nls[key] && nlsZh[key], `${def.key}: description in English and Chinese`);
  }
});

test('unset settings read as their defaults', () => {
  const s = readSettings(() => undefined);
  for (const name of names) assert.equal(s[name], SETTINGS[name].default);
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
