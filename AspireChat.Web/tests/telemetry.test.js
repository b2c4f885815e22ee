import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace';
import { createTracing, exportLimits, loadConfig } from '../wwwroot/js/telemetry.js';

const trace = (spanId, overrides = {}) => ({
  name: 'message',
  traceId: '0af7651916cd43dd8448eb211c80319c',
  spanId,
  start: 1_800_000_000_000,
  end: 1_800_000_001_500,
  events: [{ name: 'aspirechat.reply.first_chunk_shown', time: 1_800_000_000_400, attributes: { 'aspirechat.reply.seq': 1 } }],
  attributes: { 'aspirechat.reply.outcome': 'done', 'aspirechat.reply.chunks': 12 },
  failed: false,
  ...overrides,
});

test('a finished trace becomes a client span with the frame\'s trace and span ids, its times, events and attributes', async () => {
  const exporter = new InMemorySpanExporter();
  const tracing = await createTracing({ serviceName: 'browser', exporter });

  tracing.exportTrace(trace('b7ad6b7169203331'));
  tracing.exportTrace(trace('00f067aa0ba902b7', { failed: true, attributes: { 'aspirechat.reply.outcome': 'error', 'error.type': 'model_error' } }));
  await tracing.flush();

  const [ok, failed] = exporter.getFinishedSpans();
  assert.equal(ok.spanContext().traceId, '0af7651916cd43dd8448eb211c80319c');
  assert.equal(ok.spanContext().spanId, 'b7ad6b7169203331');
  assert.equal(ok.parentSpanContext, undefined, 'the browser span is the root of its trace');
  assert.equal(ok.kind, 2 /* CLIENT */);
  assert.equal(ok.name, 'message');
  assert.equal(ok.resource.attributes['service.name'], 'browser');
  assert.deepEqual(ok.startTime, [1_800_000_000, 0]);
  assert.deepEqual(ok.endTime, [1_800_000_001, 500_000_000]);
  assert.deepEqual(ok.events.map((e) => [e.name, e.time]), [['aspirechat.reply.first_chunk_shown', [1_800_000_000, 400_000_000]]]);
  assert.equal(ok.attributes['aspirechat.reply.chunks'], 12);
  assert.equal(ok.status.code, 0);
  assert.equal(failed.spanContext().spanId, '00f067aa0ba902b7');
  assert.equal(failed.status.code, 2 /* ERROR */);
});

test('with the collector away, spans beyond the bounded queue are dropped, not kept', async () => {
  // An exporter that never answers until told to: a collector that is down or slow.
  const held = [];
  let received = 0;
  const exporter = {
    export: (spans, done) => { received += spans.length; held.push(done); },
    shutdown: async () => {},
    forceFlush: async () => {},
  };
  const tracing = await createTracing({ serviceName: 'browser', exporter });

  for (let i = 0; i < 1000; i++) {
    tracing.exportTrace(trace(i.toString(16).padStart(16, '1')));
  }
  // Past the batch delay: the first batch is on its way, and hangs.
  await new Promise((resolve) => setTimeout(resolve, exportLimits.scheduledDelayMillis + 300));
  assert.equal(received, exportLimits.maxExportBatchSize, 'one batch in flight while the collector hangs');

  // The collector answers at last: what was kept goes, what did not fit was dropped.
  while (held.length > 0) {
    held.shift()({ code: 0 });
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  await tracing.flush();
  while (held.length > 0) {
    held.shift()({ code: 0 });
    await tracing.flush();
  }
  // The batch in flight left the queue, which filled again behind it: that much, and no more.
  const bound = exportLimits.maxQueueSize + exportLimits.maxExportBatchSize;
  assert.ok(received <= bound, `at most the queue and one batch (${bound} spans) of 1000 reach the exporter; got ${received}`);
  assert.ok(received >= exportLimits.maxExportBatchSize);
});

test('telemetry is off unless Web says it relays spans', async () => {
  const answer = (status, body) => async () => ({ ok: status === 200, json: async () => body });
  assert.deepEqual(await loadConfig(answer(200, { enabled: false })), { enabled: false });
  assert.deepEqual(await loadConfig(answer(404, {})), { enabled: false });
  assert.deepEqual(await loadConfig(answer(200, { enabled: true })), { enabled: false }, 'no traces URL: off');
  assert.deepEqual(await loadConfig(async () => { throw new TypeError('offline'); }), { enabled: false });
  assert.deepEqual(
    await loadConfig(answer(200, { enabled: true, tracesUrl: 'otlp/v1/traces', serviceName: 'browser' })),
    { enabled: true, tracesUrl: 'otlp/v1/traces', serviceName: 'browser' });
});
