//@ts-check
/**
 * Browser telemetry: exports each finished ReplyTrace (reply-traces.js) as an OpenTelemetry span with
 * the OpenTelemetry JS SDK, over OTLP/HTTP JSON to Web's same-origin relay (`otlp/v1/traces`), which
 * forwards it to the dashboard or a collector. Off unless Web says it relays (`GET otlp/config`): then
 * the SDK is never loaded and nothing is sent. The SDK's modules come through index.html's import map.
 *
 * A collector that is down or slow costs the page nothing: exports run in the background with a short
 * time-out, at most two at once, and the span queue is bounded; what does not fit is dropped.
 */

/** @typedef {import('./reply-traces.js').ReplyTrace} ReplyTrace */

/**
 * @typedef {object} TelemetryConfig what `GET otlp/config` answers
 * @property {boolean} enabled
 * @property {string} [tracesUrl] relative to the page
 * @property {string} [serviceName]
 */

/**
 * The bounds that keep a dead or slow collector from costing the page memory or time.
 * maxQueueSize: spans waiting for export (more are dropped); exportTimeoutMillis: one request,
 * its retries included; concurrencyLimit: exports in flight.
 */
export const exportLimits = {
  maxQueueSize: 64,
  maxExportBatchSize: 16,
  scheduledDelayMillis: 500,
  exportTimeoutMillis: 4000,
  concurrencyLimit: 2,
};

/** Finished spans kept while the SDK loads (the page's first message can end before it has). */
const pendingLimit = 16;

/**
 * @param {typeof fetch} [fetchImpl]
 * @returns {Promise<TelemetryConfig>} disabled when Web does not say otherwise, or cannot be asked
 */
export async function loadConfig(fetchImpl = fetch) {
  try {
    const response = await fetchImpl('otlp/config', { headers: { Accept: 'application/json' } });
    const config = response.ok ? await response.json() : null;
    return config && config.enabled === true && typeof config.tracesUrl === 'string' ? config : { enabled: false };
  } catch {
    return { enabled: false };
  }
}

/**
 * A tracer provider that gives each span the trace and span ids the page already sent in its
 * frame's traceparent (so ChatApi's reply is its child), with a bounded batch processor.
 * @param {{ serviceName: string, exporter: any }} options exporter: any OpenTelemetry SpanExporter
 */
export async function createTracing({ serviceName, exporter }) {
  const [{ TracerProvider, BatchSpanProcessor, RandomIdGenerator }, { resourceFromAttributes }, api] = await Promise.all([
    import('@opentelemetry/sdk-trace'),
    import('@opentelemetry/resources'),
    import('@opentelemetry/api'),
  ]);
  const random = new RandomIdGenerator();
  /** @type {{ traceId: string, spanId: string } | null} */
  let next = null;
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': serviceName }),
    idGenerator: {
      generateTraceId: () => next?.traceId ?? random.generateTraceId(),
      generateSpanId: () => next?.spanId ?? random.generateSpanId(),
    },
    spanProcessors: [new BatchSpanProcessor({ exporter, ...exportLimits })],
  });
  const tracer = provider.getTracer('AspireChat.Web.Page');

  /** @param {ReplyTrace} trace */
  const exportTrace = (trace) => {
    next = { traceId: trace.traceId, spanId: trace.spanId };
    let span;
    try {
      span = tracer.startSpan(trace.name, { kind: api.SpanKind.CLIENT, startTime: trace.start, attributes: trace.attributes, root: true });
    } finally {
      next = null;
    }
    for (const event of trace.events) {
      span.addEvent(event.name, event.attributes ?? {}, event.time);
    }
    if (trace.failed) {
      span.setStatus({ code: api.SpanStatusCode.ERROR });
    }
    span.end(trace.end);
  };
  return { exportTrace, flush: () => provider.forceFlush().catch(() => {}) };
}

/**
 * Starts browser telemetry: asks Web whether it relays spans and, if so, loads the SDK.
 * @returns {{ finished: (trace: ReplyTrace) => void, flush: () => void }} finished: hand it each
 * finished trace; it is exported, or dropped when telemetry is off
 */
export function startTelemetry() {
  /** @type {ReplyTrace[] | null} null once the SDK is ready or telemetry is off */
  let pending = [];
  /** @type {((trace: ReplyTrace) => void) | null} */
  let exportTrace = null;
  let flush = () => {};

  void (async () => {
    const config = await loadConfig();
    if (!config.enabled || !config.tracesUrl) {
      pending = null;
      return;
    }
    try {
      const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-http');
      const exporter = new OTLPTraceExporter({ url: config.tracesUrl, timeoutMillis: exportLimits.exportTimeoutMillis, concurrencyLimit: exportLimits.concurrencyLimit });
      const tracing = await createTracing({ serviceName: config.serviceName ?? 'browser', exporter });
      exportTrace = tracing.exportTrace;
      flush = tracing.flush;
      for (const trace of pending ?? []) {
        exportTrace(trace);
      }
    } catch {
      // The SDK could not load (a blocked import map, a missing file): the page goes on without spans.
    }
    pending = null;
  })();

  return {
    finished: (trace) => {
      if (exportTrace) {
        exportTrace(trace);
      } else if (pending && pending.length < pendingLimit) {
        pending.push(trace);
      }
    },
    flush: () => flush(),
  };
}
