//@ts-check
/** The wire protocol's frames (docs/protocol.md), as the page sends and reads them. */

/**
 * @typedef {{ inputTokens?: number, outputTokens?: number, totalTokens?: number }} Usage
 * @typedef {{ type: 'start', conversationId: string, messageId: string, replyTo?: string, parentId?: string, model?: string, content?: string }} StartFrame
 * @typedef {{ type: 'chunk', conversationId: string, messageId: string, seq: number, content: string }} ChunkFrame
 * @typedef {{ type: 'end', conversationId: string, messageId: string, replyTo?: string, finishReason: string, usage?: Usage, content?: string }} EndFrame
 * @typedef {{ type: 'error', code: string, message: string, retryAfterMs?: number, conversationId?: string, messageId?: string, replyTo?: string }} ErrorFrame
 * @typedef {{ type: 'user', conversationId: string, id: string, messageId: string, content: string, parentId?: string }} UserFrame
 * @typedef {{ type: 'branch', conversationId: string, leafId: string }} BranchFrame
 * @typedef {{ type: 'feedback', conversationId: string, messageId: string, feedback: import('./feedback.js').Feedback | null }} FeedbackFrame
 * @typedef {StartFrame | ChunkFrame | EndFrame | ErrorFrame | UserFrame | BranchFrame | FeedbackFrame} ServerFrame
 */

/**
 * Reads one server frame; anything that is not a known, well-formed frame gives null, so a
 * newer server's extra frame types are ignored rather than breaking the page.
 * @param {unknown} data the WebSocket message's data
 * @returns {ServerFrame | null}
 */
export function parseFrame(data) {
  if (typeof data !== 'string') {
    return null;
  }
  let frame;
  try {
    frame = JSON.parse(data);
  } catch {
    return null;
  }
  if (frame === null || typeof frame !== 'object' || Array.isArray(frame)) {
    return null;
  }
  switch (frame.type) {
    case 'start':
      return typeof frame.conversationId === 'string' && typeof frame.messageId === 'string' ? frame : null;
    case 'chunk':
      return typeof frame.messageId === 'string' && Number.isInteger(frame.seq) && typeof frame.content === 'string' ? frame : null;
    case 'end':
      return typeof frame.messageId === 'string' && typeof frame.finishReason === 'string' ? frame : null;
    case 'error':
      return typeof frame.code === 'string' ? { message: '', ...frame } : null;
    case 'user':
      return typeof frame.conversationId === 'string' && typeof frame.id === 'string' && typeof frame.content === 'string' ? frame : null;
    case 'branch':
      return typeof frame.conversationId === 'string' && typeof frame.leafId === 'string' ? frame : null;
    case 'feedback':
      return typeof frame.conversationId === 'string' && typeof frame.messageId === 'string'
        && (frame.feedback === null || (typeof frame.feedback === 'object' && (frame.feedback.rating === 'up' || frame.feedback.rating === 'down')))
        ? frame
        : null;
    default:
      return null;
  }
}

/**
 * The ids come before the content: a frame over the server's size limit is not read, but its start is, so the
 * refusal still names the message (`replyTo`) and the page marks it failed rather than waiting.
 * @param {{ content: string, conversationId?: string | null, id: string, traceparent: string }} message
 * @returns {string}
 */
export function messageFrame({ content, conversationId, id, traceparent }) {
  return JSON.stringify({ type: 'message', id, ...(conversationId ? { conversationId } : {}), traceparent, content });
}

/** @param {string} conversationId */
export function stopFrame(conversationId) {
  return JSON.stringify({ type: 'stop', conversationId });
}

/**
 * Watch a conversation after a reload or reconnect: with a reply's id, that reply from after
 * `lastSeq`; without, the reply streaming there (from its start) and any that follow.
 * @param {string} conversationId
 * @param {{ messageId: string, lastSeq: number }} [reply]
 */
export function resumeFrame(conversationId, reply) {
  return JSON.stringify({ type: 'resume', conversationId, ...(reply ? { messageId: reply.messageId, lastSeq: reply.lastSeq } : {}) });
}

/**
 * A new reply to a stored message, beside the replies it has: `messageId` is a reply (answered
 * again) or a user message.
 * @param {{ conversationId: string, messageId: string, id: string, traceparent: string }} regenerate
 */
export function regenerateFrame({ conversationId, messageId, id, traceparent }) {
  return JSON.stringify({ type: 'regenerate', conversationId, messageId, id, traceparent });
}

/**
 * A new version of the user message `messageId`, beside it, and a reply below it.
 * @param {{ conversationId: string, messageId: string, content: string, id: string, traceparent: string }} edit
 */
export function editFrame({ conversationId, messageId, content, id, traceparent }) {
  return JSON.stringify({ type: 'edit', id, conversationId, messageId, traceparent, content });
}

/**
 * Shows the branch through the message `messageId`, down to its newest leaf (a search result picked).
 * @param {string} conversationId
 * @param {string} messageId
 */
export function switchToMessageFrame(conversationId, messageId) {
  return JSON.stringify({ type: 'switch', conversationId, messageId });
}

/**
 * Shows the `index`-th (from 1) child of `parentId` (null: the roots), down to its newest leaf.
 * @param {string} conversationId
 * @param {string | null} parentId
 * @param {number} index
 */
export function switchFrame(conversationId, parentId, index) {
  return JSON.stringify({ type: 'switch', conversationId, ...(parentId ? { parentId } : {}), index });
}
