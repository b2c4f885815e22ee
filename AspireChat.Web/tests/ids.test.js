import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createClientId, createTraceparent, isTraceparent } from '../wwwroot/js/ids.js';

test('a traceparent is W3C version 00, sampled, with a 16-byte trace id and an 8-byte span id', () => {
  const traceparent = createTraceparent();
  assert.match(traceparent, /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
  assert.ok(isTraceparent(traceparent));
});

test('each message starts a new trace', () => {
  const traces = new Set(Array.from({ length: 100 }, () => createTraceparent().split('-')[1]));
  assert.equal(traces.size, 100);
});

test('an all-zero id, which the spec forbids, is drawn again', () => {
  let calls = 0;
  const fill = (bytes) => {
    calls += 1;
    // The first draw of each id is all zeros.
    if (calls % 2 === 1) {
      return bytes.fill(0);
    }
    return bytes.fill(0xab);
  };
  const traceparent = createTraceparent(fill);
  assert.equal(traceparent, `00-${'ab'.repeat(16)}-${'ab'.repeat(8)}-01`);
  assert.ok(!isTraceparent(`00-${'0'.repeat(32)}-${'ab'.repeat(8)}-01`));
});

test('client ids are short, distinct and fit the protocol limit of 128 characters', () => {
  const ids = new Set(Array.from({ length: 100 }, () => createClientId()));
  assert.equal(ids.size, 100);
  for (const id of ids) {
    assert.match(id, /^c-[0-9a-f]{16}$/);
  }
});
