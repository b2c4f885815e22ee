//@ts-check
import { createTraceparent } from './ids.js';

/**
 * The REST API through Web's proxy (same origin, so the owner cookie goes along).
 * @typedef {{ id: string, title: string, createdAt: string, updatedAt: string, messageCount: number }} ConversationSummary
 * @typedef {{ id: string, title: string, messages: import('./conversation.js').HistoryMessage[], activeLeafId?: string | null }} ConversationHistory
 */

export class ApiError extends Error {
  /**
   * @param {number} status
   * @param {string} [detail] what the server said was wrong, when it said
   */
  constructor(status, detail) {
    super(detail ?? (status === 502 || status === 503 ? 'The chat service is not reachable.' : `The request failed (${status}).`));
    this.status = status;
  }
}

/**
 * A request to the API; a response that is not 2xx throws an ApiError (with the server's reason for a 400).
 * @param {string} path
 * @param {RequestInit} [init]
 */
export async function request(path, init = {}) {
  const response = await fetch(path, {
    ...init,
    credentials: 'same-origin',
    headers: { Accept: 'application/json', traceparent: createTraceparent(), ...init.headers },
  });
  if (!response.ok) {
    throw new ApiError(response.status, response.status === 400 ? await problemDetail(response) : undefined);
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

/**
 * The first validation message of a problem-details answer.
 * @param {Response} response
 * @returns {Promise<string | undefined>}
 */
async function problemDetail(response) {
  try {
    const problem = await response.json();
    const errors = problem?.errors ? Object.values(problem.errors).flat() : [];
    return typeof errors[0] === 'string' ? errors[0] : problem?.detail;
  } catch {
    return undefined;
  }
}

/**
 * @param {string} id
 * @param {string} title
 * @returns {Promise<{ id: string, title: string }>} the title as stored (trimmed, cut to length)
 */
export async function renameConversation(id, title) {
  const response = await request(`/api/conversations/${encodeURIComponent(id)}`, {
    method: 'PATCH',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ title }),
  });
  return response.json();
}

/**
 * Where a conversation downloads from.
 * @param {string} id
 * @param {'md' | 'json'} format
 * @param {boolean} allBranches the whole tree, not only the branch on screen
 */
export function exportUrl(id, format, allBranches) {
  return `/api/conversations/${encodeURIComponent(id)}/export?format=${format}${allBranches ? '&branches=all' : ''}`;
}
