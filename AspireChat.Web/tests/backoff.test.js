import assert from 'node:assert/strict';
import { test } from 'node:test';
import { backoffDelay } from '../wwwroot/js/backoff.js';

test('the delay doubles with each attempt, between half and all of the step', () => {
  const low = () => 0;
  const high = () => 0.999999;
  assert.equal(backoffDelay(1, { random: low }), 250);
  assert.equal(backoffDelay(1, { random: high }), 500);
  assert.equal(backoffDelay(2, { random: low }), 500);
  assert.equal(backoffDelay(3, { random: low }), 1000);
  assert.equal(backoffDelay(4, { random: high }), 4000);
});

test('the delay stops growing at the ceiling', () => {
  const delays = [10, 20, 50].map((attempt) => backoffDelay(attempt, { random: () => 0.999999, maxMs: 10_000 }));
  assert.deepEqual(delays, [10_000, 10_000, 10_000]);
});

test('jitter spreads the delays of pages that lost the same server', () => {
  const delays = new Set(Array.from({ length: 50 }, () => backoffDelay(5)));
  assert.ok(delays.size > 10, `expected spread delays, got ${[...delays].join(', ')}`);
  for (const delay of delays) {
    assert.ok(delay >= 4000 && delay <= 8000, `delay ${delay} outside [4000, 8000]`);
  }
});
