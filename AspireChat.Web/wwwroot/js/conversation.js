//@ts-check
/**
 * The open conversation as the page knows it: its history, the user's messages on their way,
 * and the reply streaming now. Frames are applied here (no DOM), and each call says which
 * messages changed so the view redraws only those.
 */

/** @typedef {import('./protocol.js').ServerFrame} ServerFrame */
/** @typedef {import('./protocol.js').Usage} Usage */

/**
 * pending: sent, no reply yet; sent: the reply started; failed: rejected or never sent.
 * streaming: chunks arriving; done, length, cancelled, error: how the reply ended;
 * interrupted: the connection dropped before the end.
 * @typedef {'pending' | 'sent' | 'failed' | 'streaming' | 'done' | 'length' | 'cancelled' | 'error' | 'interrupted'} MessageStatus
 */

/**
 * @typedef {object} ChatMessage
 * @property {string} id the client's id (user) or the server's messageId (assistant)
 * @property {'user' | 'assistant'} role
 * @property {string} content
 * @property {MessageStatus} status
 * @property {number} seq the last chunk applied
 * @property {string} [replyTo] for a reply: the user message it answers
 * @property {Usage} [usage]
 * @property {{ code: string, message: string, retryAfterMs?: number }} [error]
 */

/**
 * @typedef {object} HistoryMessage
 * @property {string} id
 * @property {'user' | 'assistant'} role
 * @property {string} content
 * @property {string} [finishReason]
 * @property {Usage} [usage]
 */

/** @type {Record<string, MessageStatus>} */
const endStatus = { stop: 'done', length: 'length', cancelled: 'cancelled', error: 'error', interrupted: 'interrupted' };

export class Conversation {
  /**
   * @param {string | null} [id] null for a new conversation: its id arrives with the first reply
   * @param {ChatMessage[]} [messages]
   */
  constructor(id = null, messages = []) {
    /** @type {string | null} */
    this.id = id;
    /** @type {ChatMessage[]} */
    this.messages = messages;
  }

  /**
   * @param {{ id: string, messages: HistoryMessage[] }} history `GET /api/conversations/{id}`
   */
  static fromHistory(history) {
    return new Conversation(
      history.id,
      history.messages.map((m) => ({
        id: m.id,
        role: m.role,
        content: m.content,
        seq: 0,
        status: m.role === 'user' ? 'sent' : endStatus[m.finishReason ?? 'stop'] ?? 'done',
        ...(m.usage ? { usage: m.usage } : {}),
        ...(m.finishReason === 'error' ? { error: { code: 'model_error', message: 'The reply failed before it was complete.' } } : {}),
        ...(m.finishReason === 'interrupted' ? { error: { code: 'interrupted', message: 'The server stopped before the reply was complete.' } } : {}),
      })),
    );
  }

  /** The reply streaming now, if any. */
  get streaming() {
    return this.messages.find((m) => m.status === 'streaming');
  }

  /** True from the moment a message is sent until its reply ends. */
  get busy() {
    return this.messages.some((m) => m.status === 'pending' || m.status === 'streaming');
  }

  /** @param {string} id */
  find(id) {
    return this.messages.find((m) => m.id === id);
  }

  /**
   * @param {string} id the client's id, sent as the frame's `id`
   * @param {string} content
   * @returns {ChatMessage}
   */
  addUserMessage(id, content) {
    /** @type {ChatMessage} */
    const message = { id, role: 'user', content, status: 'pending', seq: 0 };
    this.messages.push(message);
    return message;
  }

  /** @param {string} id */
  remove(id) {
    this.messages = this.messages.filter((m) => m.id !== id);
  }

  /**
   * @param {ChatMessage} message
   * @param {string} code
   * @param {string} text
   * @returns {ChatMessage[]}
   */
  fail(message, code, text) {
    message.status = message.role === 'user' ? 'failed' : 'interrupted';
    message.error = { code, message: text };
    return [message];
  }

  /**
   * Applies a server frame. Frames of other conversations change nothing.
   * @param {ServerFrame} frame
   * @returns {ChatMessage[]} the messages that changed
   */
  apply(frame) {
    const asked = 'replyTo' in frame && frame.replyTo ? this.find(frame.replyTo) : undefined;
    const ours = (frame.conversationId !== undefined && frame.conversationId === this.id) || (asked?.role === 'user');
    if (!ours) {
      return [];
    }
    switch (frame.type) {
      case 'user': {
        // Sent from another tab, or the message of a reply this page resumed after a reload.
        if (this.find(frame.id)) {
          return [];
        }
        /** @type {ChatMessage} */
        const message = { id: frame.id, role: 'user', content: frame.content, status: 'sent', seq: 0 };
        this.messages.push(message);
        return [message];
      }
      case 'start': {
        if (this.find(frame.messageId)) {
          return [];
        }
        // A new conversation learns its id from its first reply.
        this.id ??= frame.conversationId;
        /** @type {ChatMessage} */
        const reply = { id: frame.messageId, role: 'assistant', content: frame.content ?? '', status: 'streaming', seq: 0 };
        if (frame.replyTo) {
          reply.replyTo = frame.replyTo;
        }
        this.messages.push(reply);
        if (asked) {
          asked.status = 'sent';
          return [asked, reply];
        }
        return [reply];
      }
      case 'chunk': {
        const reply = this.find(frame.messageId);
        // seq counts from 1 without gaps: anything else is a repeat and is dropped.
        if (!reply || reply.status !== 'streaming' || frame.seq !== reply.seq + 1) {
          return [];
        }
        reply.content += frame.content;
        reply.seq = frame.seq;
        return [reply];
      }
      case 'end': {
        const reply = this.find(frame.messageId);
        if (!reply) {
          return [];
        }
        reply.status = endStatus[frame.finishReason] ?? 'done';
        reply.content += frame.content ?? '';
        if (frame.finishReason === 'interrupted') {
          reply.error = { code: 'interrupted', message: 'The server stopped before the reply was complete.' };
        }
        if (frame.usage) {
          reply.usage = frame.usage;
        }
        return [reply];
      }
      case 'error': {
        const error = { code: frame.code, message: frame.message, ...(frame.retryAfterMs ? { retryAfterMs: frame.retryAfterMs } : {}) };
        const reply = frame.messageId ? this.find(frame.messageId) : undefined;
        if (reply) {
          // The end frame that follows sets the status; the error is kept to show beside it.
          reply.error = error;
          return [reply];
        }
        if (asked && asked.status === 'pending') {
          // Rejected before any reply began (busy, rate limited, not found, ...): nothing was stored.
          asked.status = 'failed';
          asked.error = error;
          return [asked];
        }
        return [];
      }
      default:
        return [];
    }
  }

  /**
   * The connection dropped: nothing more will arrive for the messages in flight.
   * @returns {ChatMessage[]}
   */
  interrupt() {
    const changed = [];
    for (const message of this.messages) {
      if (message.status === 'streaming') {
        changed.push(...this.fail(message, 'connection_lost', 'The connection dropped before the reply was complete.'));
      } else if (message.status === 'pending') {
        changed.push(...this.fail(message, 'connection_lost', 'The connection dropped before a reply began.'));
      }
    }
    return changed;
  }

  /**
   * A reply cut off by a dropped connection, that the server may still be writing: the page asks
   * for the rest (after its last seq) once it is connected again.
   * @returns {ChatMessage | undefined}
   */
  get cutOff() {
    return this.messages.find((m) => m.role === 'assistant' && m.status === 'interrupted' && m.error?.code === 'connection_lost');
  }

  /**
   * The cut-off reply streams again from where it stopped.
   * @param {ChatMessage} reply
   * @returns {ChatMessage[]}
   */
  resume(reply) {
    reply.status = 'streaming';
    delete reply.error;
    return [reply];
  }

  /**
   * The user's text a retry of `message` sends again: its own (a failed user message) or the
   * one it answered (a failed reply).
   * @param {ChatMessage} message
   * @returns {string | undefined}
   */
  retryText(message) {
    if (message.role === 'user') {
      return message.content;
    }
    const index = this.messages.indexOf(message);
    const asked = message.replyTo ? this.find(message.replyTo) : this.messages.slice(0, index).reverse().find((m) => m.role === 'user');
    return asked?.content;
  }
}
