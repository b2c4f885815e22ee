//@ts-check
/**
 * The open conversation as the page knows it: every message of its tree (each names its parent),
 * the active leaf that ends the branch on screen, the user's messages on their way, and the reply
 * streaming now. Frames are applied here (no DOM), and each call says which messages changed so
 * the view redraws only those; the branch shown is `messages`, root first.
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
 * @property {string | null} [parentId] the message it follows; null or missing: a root
 * @property {string} [replyTo] for a reply: the user message it answers
 * @property {Usage} [usage]
 * @property {{ code: string, message: string, retryAfterMs?: number }} [error]
 * @property {import('./feedback.js').Feedback} [feedback] the owner's rating of a reply
 */

/**
 * @typedef {object} HistoryMessage
 * @property {string} id
 * @property {'user' | 'assistant'} role
 * @property {string} content
 * @property {string} [finishReason]
 * @property {Usage} [usage]
 * @property {string} [parentId]
 * @property {import('./feedback.js').Feedback} [feedback]
 */

/** @type {Record<string, MessageStatus>} */
const endStatus = { stop: 'done', length: 'length', cancelled: 'cancelled', error: 'error', interrupted: 'interrupted' };

export class Conversation {
  /**
   * @param {string | null} [id] null for a new conversation: its id arrives with the first reply
   * @param {ChatMessage[]} [messages] a tree; a message without `parentId` follows the one before it
   * @param {string | null} [leafId] the active leaf; default: the last message
   */
  constructor(id = null, messages = [], leafId = null) {
    /** @type {string | null} */
    this.id = id;
    /** @type {ChatMessage[]} every message, oldest first */
    this.nodes = messages.map((m, i) => ('parentId' in m ? m : { ...m, parentId: i > 0 ? messages[i - 1].id : null }));
    /** @type {string | null} */
    this.leafId = leafId ?? this.nodes.at(-1)?.id ?? null;
    /** @type {string | null} the client id of a regenerate sent and not yet started (or refused) */
    this.awaiting = null;
  }

  /**
   * @param {{ id: string, messages: HistoryMessage[], activeLeafId?: string | null }} history `GET /api/conversations/{id}`
   */
  static fromHistory(history) {
    return new Conversation(
      history.id,
      history.messages.map((m) => ({
        id: m.id,
        role: m.role,
        content: m.content,
        parentId: m.parentId ?? null,
        seq: 0,
        status: m.role === 'user' ? 'sent' : endStatus[m.finishReason ?? 'stop'] ?? 'done',
        ...(m.usage ? { usage: m.usage } : {}),
        ...(m.feedback ? { feedback: m.feedback } : {}),
        ...(m.finishReason === 'error' ? { error: { code: 'model_error', message: 'The reply failed before it was complete.' } } : {}),
        ...(m.finishReason === 'interrupted' ? { error: { code: 'interrupted', message: 'The server stopped before the reply was complete.' } } : {}),
      })),
      history.activeLeafId ?? null,
    );
  }

  /** The branch on screen: the path from a root down to the active leaf. */
  get messages() {
    /** @type {ChatMessage[]} */
    const path = [];
    for (let m = this.leafId ? this.find(this.leafId) : undefined; m && path.length <= this.nodes.length; m = m.parentId ? this.find(m.parentId) : undefined) {
      path.push(m);
    }
    return path.reverse();
  }

  /**
   * The messages that share `message`'s parent (roots share none), oldest first.
   * @param {ChatMessage} message
   */
  siblings(message) {
    const parent = this.parentOf(message);
    return this.nodes.filter((m) => this.parentOf(m) === parent);
  }

  /**
   * The parent's id if the parent is known here, else null (a root, or a parent trimmed away).
   * @param {ChatMessage} message
   */
  parentOf(message) {
    return message.parentId && this.find(message.parentId) ? message.parentId : null;
  }

  /**
   * Follows the newest child down from `id`: the branch that a switch to it shows.
   * @param {string} id
   */
  newestLeafUnder(id) {
    let leaf = id;
    for (let steps = 0; steps <= this.nodes.length; steps++) {
      const children = this.nodes.filter((m) => m.parentId === leaf);
      if (children.length === 0) {
        break;
      }
      leaf = children[children.length - 1].id;
    }
    return leaf;
  }

  /**
   * Shows the sibling `offset` places from `message` (‹ is -1, › is +1), down to its newest leaf.
   * @param {ChatMessage} message
   * @param {number} offset
   * @returns {{ parentId: string | null, index: number } | null} what to tell the server (index from 1), or null at an end
   */
  switchSibling(message, offset) {
    const siblings = this.siblings(message);
    const index = siblings.indexOf(message) + offset;
    if (index < 0 || index >= siblings.length) {
      return null;
    }
    this.leafId = this.newestLeafUnder(siblings[index].id);
    return { parentId: this.parentOf(message), index: index + 1 };
  }

  /** The reply streaming now, if any. */
  get streaming() {
    return this.nodes.find((m) => m.status === 'streaming');
  }

  /** True from the moment a message is sent until its reply ends. */
  get busy() {
    return this.awaiting !== null || this.nodes.some((m) => m.status === 'pending' || m.status === 'streaming');
  }

  /** @param {string} id */
  find(id) {
    return this.nodes.find((m) => m.id === id);
  }

  /**
   * A user message on its way, below the active leaf (or, for an edit, beside the message edited).
   * @param {string} id the client's id, sent as the frame's `id`
   * @param {string} content
   * @param {string | null} [parentId] default: the active leaf
   * @returns {ChatMessage}
   */
  addUserMessage(id, content, parentId = this.leafId) {
    /** @type {ChatMessage} */
    const message = { id, role: 'user', content, status: 'pending', seq: 0, parentId };
    this.nodes.push(message);
    this.leafId = id;
    return message;
  }

  /** @param {string} id */
  remove(id) {
    const message = this.find(id);
    this.nodes = this.nodes.filter((m) => m.id !== id);
    if (message && this.leafId === id) {
      this.leafId = message.parentId && this.find(message.parentId) ? message.parentId : this.nodes.at(-1)?.id ?? null;
    }
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
        const message = { id: frame.id, role: 'user', content: frame.content, status: 'sent', seq: 0, parentId: frame.parentId ?? null };
        this.nodes.push(message);
        this.leafId = message.id;
        return [message];
      }
      case 'feedback': {
        // A rating given (or taken back) in any tab, this one included.
        const reply = this.find(frame.messageId);
        if (!reply || reply.role !== 'assistant') {
          return [];
        }
        if (frame.feedback) {
          reply.feedback = frame.feedback;
        } else {
          delete reply.feedback;
        }
        return [reply];
      }
      case 'branch': {
        if (!this.find(frame.leafId) || this.leafId === frame.leafId) {
          return [];
        }
        this.leafId = frame.leafId;
        return this.messages;
      }
      case 'start': {
        if (this.find(frame.messageId)) {
          return [];
        }
        // A new conversation learns its id from its first reply.
        this.id ??= frame.conversationId;
        if (frame.replyTo && frame.replyTo === this.awaiting) {
          this.awaiting = null;
        }
        // The user message it answers: named by the server, else the one that asked, else the branch's end.
        const parentId = frame.parentId ?? (asked ? asked.id : this.leafId);
        /** @type {ChatMessage} */
        const reply = { id: frame.messageId, role: 'assistant', content: frame.content ?? '', status: 'streaming', seq: 0, parentId };
        if (frame.replyTo) {
          reply.replyTo = frame.replyTo;
        }
        this.nodes.push(reply);
        // Every tab follows a new reply: the server makes it the active leaf when it is saved.
        this.leafId = reply.id;
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
        if (frame.replyTo && frame.replyTo === this.awaiting) {
          // A regenerate refused (busy, not found): nothing was stored; the page shows the error.
          this.awaiting = null;
          return [];
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
    this.awaiting = null;
    for (const message of this.nodes) {
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
    return this.nodes.find((m) => m.role === 'assistant' && m.status === 'interrupted' && m.error?.code === 'connection_lost');
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
    const parent = message.parentId ? this.find(message.parentId) : undefined;
    const asked = parent?.role === 'user' ? parent : message.replyTo ? this.find(message.replyTo) : undefined;
    return asked?.content;
  }
}
