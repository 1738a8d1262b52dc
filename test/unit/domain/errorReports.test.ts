import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorReports } from '../../../src/domain/errorReports';

test('an error kind is shown once while it lasts, and again when it comes back after a recovery', () => {
  const r = new ErrorReports<string>();
  assert.equal(r.shouldReport('timeout'), true);
  assert.equal(r.shouldReport('timeout'), false, 'the same failure, sample after sample');
  assert.equal(r.shouldReport('ss-failed'), true, 'another kind is news');
  r.recovered();
  assert.equal(r.shouldReport('timeout'), true, 'back after a good sample: news again');
  r.clear();
  assert.equal(r.shouldReport('timeout'), true);
});
