//@ts-check
/**
 * The browser's own span for each message the page sends (message, regenerate, edit): from the key
 * press to the rendered end of its reply, under the `traceparent` the frame carries, so ChatApi's
 * reply is its child. This module only keeps the record (times, events, attributes; never the text
 * of a message); telemetry.js turns finished records into OpenTelemetry spans. No DOM, no SDK.
 */

/** @typedef {import('./conversation.js').ChatMessage} ChatMessage */
/** @typedef {import('./protocol.js').ServerFrame} ServerFrame */
/** @typedef {Record<string, string | number | boolean>} Attributes */

/**
 * @typedef {object} TraceEvent
 * @property {string} name
 * @property {number} time epoch milliseconds
 * @property {Attributes} [attributes]
 */

/**
 * A message's span, finished: what telemetry.js exports.
 * @typedef {object} ReplyTrace
 * @property {'message' | 'regenerate' | 'edit'} name
 * @property {string} traceId 32 hex digits, from the frame's traceparent
 * @property {string} spanId 16 hex digits, from the frame's traceparent
 * @property {number} start epoch milliseconds: the key press (or click) that sent it
 * @property {number} end epoch milliseconds: the reply's end on screen
 * @property {TraceEvent[]} events
 * @property {Attributes} attributes
 * @property {boolean} failed the reply did not arrive whole (error, interrupted, refused, not sent)
 */

/** How a traced message ended: a reply's status on screen, or what stopped it before one began. */
const failedOutcomes = new Set(['error', 'interrupted', 'refused', 'not_sent', 'connection_lost']);

/** Names of the span's events and attributes (documented in docs/web.md). */
export const TraceNames = {
  start: 'aspirechat.reply.start',
  firstChunkShown: 'aspirechat.reply.first_chunk_shown',
  end: 'aspirechat.reply.end',
  connectionLost: 'aspirechat.connection.lost',
  connectionReopened: 'aspirechat.connection.reopened',
  resume: 'aspirechat.reply.resume',
  outcome: 'aspirechat.reply.outcome',
  chunks: 'aspirechat.reply.chunks',
  resumed: 'aspirechat.reply.resumed',
  timeToFirstChunkShown: 'aspirechat.reply.time_to_first_chunk_shown',
  conversationId: 'gen_ai.conversation.id',
  messageId: 'aspirechat.reply.message_id',
  errorType: 'error.type',
};

const defaultNow = () => performance.timeOrigin + performance.now();

/**
 * @typedef {object} OpenTrace
 * @property {ReplyTrace} record
 * @property {string} clientId the frame's `id`: the reply's `replyTo`
 * @property {string | null} messageId the reply's id, once its start frame came
 * @property {boolean} shown the first chunk has been on screen
 */

export class ReplyTraces {
  /**
   * @param {{ now?: () => number, finished?: (trace: ReplyTrace) => void }} [options]
   * now: epoch milliseconds; finished: called once per message, when its span ends
   */
  constructor({ now = defaultNow, finished = () => {} } = {}) {
    this.now = now;
    this.finished = finished;
    /** @type {Map<string, OpenTrace>} by client id */
    this.open = new Map();
  }

  /**
   * A message was sent (or is about to be): its span starts now.
   * @param {'message' | 'regenerate' | 'edit'} kind the frame's type
   * @param {string} clientId the frame's `id`
   * @param {string} traceparent the frame's `traceparent`
   */
  begin(kind, clientId, traceparent) {
    const [, traceId, spanId] = traceparent.split('-');
    this.open.set(clientId, {
      clientId,
      messageId: null,
      shown: false,
      record: {
        name: kind,
        traceId,
        spanId,
        start: this.now(),
        end: 0,
        events: [],
        attributes: { [TraceNames.resumed]: false, [TraceNames.chunks]: 0 },
        failed: false,
      },
    });
  }

  /** Messages whose span is still open. */
  get size() {
    return this.open.size;
  }

  /**
   * The frame never left: the socket was down.
   * @param {string} clientId
   */
  notSent(clientId) {
    const trace = this.open.get(clientId);
    if (trace) {
      this.finish(trace, 'not_sent', 'offline');
    }
  }

  /**
   * A server frame arrived (before it is drawn).
   * @param {ServerFrame} frame
   */
  frame(frame) {
    if (frame.type === 'start' && frame.replyTo) {
      const trace = this.open.get(frame.replyTo);
      if (trace && trace.messageId === null) {
        trace.messageId = frame.messageId;
        trace.record.attributes[TraceNames.conversationId] = frame.conversationId;
        trace.record.attributes[TraceNames.messageId] = frame.messageId;
        this.event(trace, TraceNames.start);
      }
    } else if (frame.type === 'end') {
      const trace = this.byMessage(frame.messageId);
      if (trace) {
        this.event(trace, TraceNames.end, { 'aspirechat.reply.finish_reason': frame.finishReason });
      }
    } else if (frame.type === 'error' && !frame.messageId && frame.replyTo) {
      // Refused before any reply began (busy, rate limited, not found): nothing more will come.
      const trace = this.open.get(frame.replyTo);
      if (trace && trace.messageId === null) {
        this.finish(trace, 'refused', frame.code);
      }
    }
  }

  /**
   * A message was drawn: the reply's first chunk on screen, or its end on screen, ends the wait.
   * @param {ChatMessage} message
   */
  shown(message) {
    if (message.role === 'user') {
      const trace = this.open.get(message.id);
      if (trace && message.status === 'failed') {
        this.finish(trace, message.error?.code === 'offline' ? 'not_sent' : message.error?.code === 'connection_lost' ? 'connection_lost' : 'refused', message.error?.code);
      }
      return;
    }
    const trace = this.byMessage(message.id);
    if (!trace) {
      return;
    }
    trace.record.attributes[TraceNames.chunks] = message.seq;
    if (!trace.shown && message.content.length > 0) {
      trace.shown = true;
      const time = this.event(trace, TraceNames.firstChunkShown, { 'aspirechat.reply.seq': message.seq });
      trace.record.attributes[TraceNames.timeToFirstChunkShown] = (time - trace.record.start) / 1000;
    }
    if (message.status === 'interrupted' && message.error?.code === 'connection_lost') {
      // Cut off by the connection, not ended: the page asks for the rest once it is back.
      return;
    }
    if (message.status !== 'streaming') {
      this.finish(trace, message.status, message.error?.code);
    }
  }

  /**
   * The socket closed: every open span notes it. A message whose reply had not begun is lost with
   * the connection (the page sends it again only when the user retries): its span ends.
   */
  disconnected() {
    for (const trace of [...this.open.values()]) {
      this.event(trace, TraceNames.connectionLost);
      if (trace.messageId === null) {
        this.finish(trace, 'connection_lost', 'connection_lost');
      }
    }
  }

  /** The socket is open again. */
  reconnected() {
    for (const trace of this.open.values()) {
      this.event(trace, TraceNames.connectionReopened);
    }
  }

  /**
   * The page asked for the rest of a reply cut off by the connection.
   * @param {string} messageId
   * @param {number} lastSeq the last chunk on screen
   */
  resumed(messageId, lastSeq) {
    const trace = this.byMessage(messageId);
    if (trace) {
      trace.record.attributes[TraceNames.resumed] = true;
      this.event(trace, TraceNames.resume, { 'aspirechat.reply.last_seq': lastSeq });
    }
  }

  /**
   * Ends every open span: the page leaves (or opens another conversation) before their replies end.
   * @param {string} outcome
   */
  abandon(outcome) {
    for (const trace of [...this.open.values()]) {
      this.finish(trace, outcome);
    }
  }

  /** @param {string} messageId */
  byMessage(messageId) {
    for (const trace of this.open.values()) {
      if (trace.messageId === messageId) {
        return trace;
      }
    }
    return undefined;
  }

  /**
   * @param {OpenTrace} trace
   * @param {string} name
   * @param {Attributes} [attributes]
   * @returns {number} the event's time
   */
  event(trace, name, attributes) {
    const time = this.now();
    trace.record.events.push(attributes ? { name, time, attributes } : { name, time });
    return time;
  }

  /**
   * @param {OpenTrace} trace
   * @param {string} outcome
   * @param {string} [errorType]
   */
  finish(trace, outcome, errorType) {
    this.open.delete(trace.clientId);
    const record = trace.record;
    record.end = this.now();
    record.attributes[TraceNames.outcome] = outcome;
    record.failed = failedOutcomes.has(outcome);
    if (record.failed) {
      record.attributes[TraceNames.errorType] = errorType ?? outcome;
    }
    this.finished(record);
  }
}
