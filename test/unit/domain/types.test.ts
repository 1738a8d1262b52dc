import { test } from 'node:test';
import assert from 'node:assert/strict';
import { emptyCounts, formatEndpoint } from '../../../src/domain/types';
import { TCP_STATES } from '../../../src/domain/states';

test('the diagram order lists each of the 11 RFC 9293 states once', () => {
  assert.equal(TCP_STATES.length, 11);
  assert.equal(new Set(TCP_STATES).size, 11);
  assert.deepEqual(Object.keys(emptyCounts()), [...TCP_STATES]);
});

test('IPv6 endpoints are bracketed, IPv4 ones are not', () => {
  assert.equal(formatEndpoint({ address: '127.0.0.1', port: 80 }), '127.0.0.1:80');
  assert.equal(formatEndpoint({ address: '::1', port: 443 }), '[::1]:443');
});
