//@ts-check
import { createTraceparent } from './ids.js';

/**
 * The REST API through Web's proxy (same origin, so the owner cookie goes along).
 * @typedef {{ id: string, title: string, createdAt: string, updatedAt: string, messageCount: number }} ConversationSummary
 * @typedef {{ id: string, title: string, messages: import('./conversation.js').HistoryMessage[] }} ConversationHistory
 */

export class ApiError extends Error {
  /** @param {number} status */
  constructor(status) {
    super(status === 502 || status === 503 ? 'The chat service is not reachable.' : `The request failed (${status}).`);
    this.status = status;
  }
}

/**
 * @param {string} path
 * @param {RequestInit} [init]
 */
async function request(path, init = {}) {
  const response = await fetch(path, {
    ...init,
    credentials: 'same-origin',
    headers: { Accept: 'application/json', traceparent: createTraceparent(), ...init.headers },
  });
  if (!response.ok) {
    throw new ApiError(response.status);
  }
  return response;
}

/** @returns {Promise<ConversationSummary[]>} most recently updated first */
export async function listConversations() {
  return (await request('/api/conversations')).json();
}

/**
 * @param {string} id
 * @returns {Promise<ConversationHistory | null>} null when it does not exist (or is not ours)
 */
export async function getConversation(id) {
  try {
    return await (await request(`/api/conversations/${encodeURIComponent(id)}`)).json();
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) {
      return null;
    }
    throw error;
  }
}

/** @param {string} id */
export async function deleteConversation(id) {
  try {
    await request(`/api/conversations/${encodeURIComponent(id)}`, { method: 'DELETE' });
  } catch (error) {
    // Already gone is what was asked for.
    if (!(error instanceof ApiError && error.status === 404)) {
      throw error;
    }
  }
}
