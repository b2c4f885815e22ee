//@ts-check
import { ApiError, request } from './api.js';
import { element } from './dom.js';

/**
 * Search across the user's conversations (`GET /api/search`): a dialog opened by Ctrl/Cmd+K (shortcuts.js) or
 * the sidebar's button, results as the user types, newest first. A result shows its snippet with the
 * matched words marked: the server sends plain text and where the words are, and the page builds the
 * marks itself, so nothing from a message ever becomes markup. Picking a result opens the conversation
 * at that message (the caller's `open`).
 */

/**
 * @typedef {{ start: number, length: number }} Highlight
 * @typedef {{ conversationId: string, messageId?: string, title: string, role: 'user' | 'assistant' | 'title', snippet: string, createdAt: string, highlights: Highlight[] }} SearchResult
 * @typedef {{ results: SearchResult[], truncated: boolean }} SearchResponse
 * @typedef {(conversationId: string, messageId: string | null) => void | Promise<void>} OpenResult
 */

/** Milliseconds after the last keystroke before a search is sent. */
const Debounce = 180;

/**
 * @param {string} query
 * @param {AbortSignal} [signal]
 * @returns {Promise<SearchResponse>}
 */
export async function search(query, signal) {
  return (await request(`/api/search?q=${encodeURIComponent(query)}`, { signal })).json();
}

/**
 * Splits a snippet into plain and marked parts, in order. Highlights out of range or overlapping are
 * clipped, so whatever the server sends, the parts are exactly the snippet's text.
 * @param {string} snippet
 * @param {Highlight[]} highlights
 * @returns {{ text: string, marked: boolean }[]}
 */
export function snippetParts(snippet, highlights) {
  /** @type {{ text: string, marked: boolean }[]} */
  const parts = [];
  let at = 0;
  for (const { start, length } of [...highlights].sort((a, b) => a.start - b.start)) {
    const from = Math.max(start, at);
    const to = Math.min(start + length, snippet.length);
    if (!Number.isInteger(start) || !Number.isInteger(length) || to <= from) {
      continue;
    }
    if (from > at) {
      parts.push({ text: snippet.slice(at, from), marked: false });
    }
    parts.push({ text: snippet.slice(from, to), marked: true });
    at = to;
  }
  if (at < snippet.length) {
    parts.push({ text: snippet.slice(at), marked: false });
  }
  return parts;
}

/**
 * Builds the search dialog and wires `openButton` to it; `show` opens it (the Ctrl/Cmd+K shortcut's action).
 * @param {{ open: OpenResult, openButton?: HTMLElement | null }} options
 */
export function initSearch({ open, openButton }) {
  const input = element('input', {
    type: 'search', id: 'search-input', placeholder: 'Search your conversations', autocomplete: 'off', spellcheck: false, maxLength: 400,
  });
  const close = element('button', { type: 'button', className: 'search-close', 'aria-label': 'Close search' }, 'Esc');
  const form = element('form', { method: 'dialog', className: 'search-form' },
    element('label', { className: 'visually-hidden', htmlFor: 'search-input' }, 'Search your conversations'), input, close);
  const status = element('p', { className: 'search-status', role: 'status' });
  const list = element('ul', { className: 'search-results', 'aria-label': 'Results' });
  const dialog = element('dialog', { className: 'search-dialog', 'aria-label': 'Search your conversations' }, form, status, list);
  document.body.append(dialog);

  /** @type {AbortController | null} */
  let inFlight = null;
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let timer;

  const show = () => {
    if (!dialog.open) {
      dialog.showModal();
    }
    input.select();
  };

  const run = async () => {
    inFlight?.abort();
    const query = input.value;
    if (query.trim() === '') {
      status.textContent = '';
      list.replaceChildren();
      return;
    }
    const controller = new AbortController();
    inFlight = controller;
    try {
      const response = await search(query, controller.signal);
      if (controller.signal.aborted) {
        return;
      }
      renderResults(list, response.results, pick);
      status.textContent = describe(response);
    } catch (error) {
      if (controller.signal.aborted) {
        return;
      }
      list.replaceChildren();
      status.textContent = error instanceof ApiError ? error.message : 'Search failed. Try again shortly.';
    }
  };

  /** @param {SearchResult} result */
  const pick = async (result) => {
    dialog.close();
    await open(result.conversationId, result.messageId ?? null);
  };

  input.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(run, Debounce);
  });
  input.addEventListener('keydown', (event) => {
    if (event.key === 'ArrowDown') {
      event.preventDefault();
      /** @type {HTMLElement | null} */ (list.querySelector('button'))?.focus();
    } else if (event.key === 'Enter') {
      event.preventDefault();
      /** @type {HTMLButtonElement | null} */ (list.querySelector('button'))?.click();
    }
  });
  list.addEventListener('keydown', (event) => {
    const buttons = [...list.querySelectorAll('button')];
    const at = buttons.indexOf(/** @type {HTMLButtonElement} */ (document.activeElement));
    if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
      event.preventDefault();
      const next = at + (event.key === 'ArrowDown' ? 1 : -1);
      (next < 0 ? input : buttons[Math.min(next, buttons.length - 1)]).focus();
    }
  });
  close.addEventListener('click', () => dialog.close());
  // A click on the backdrop (the dialog itself, outside its content) closes it.
  dialog.addEventListener('click', (event) => {
    if (event.target === dialog) {
      dialog.close();
    }
  });
  openButton?.addEventListener('click', show);
  return { show };
}

/**
 * @param {HTMLElement} list
 * @param {SearchResult[]} results
 * @param {(result: SearchResult) => void} pick
 */
function renderResults(list, results, pick) {
  list.replaceChildren(...results.map((result) => {
    const role = result.role === 'user' ? 'You' : result.role === 'assistant' ? 'Assistant' : 'Title';
    const head = element('span', { className: 'search-result-head' },
      element('span', { className: 'search-result-title' }, result.title || 'Untitled'),
      element('span', { className: 'search-result-meta' }, `${role} · ${new Date(result.createdAt).toLocaleDateString()}`));
    const snippet = element('span', { className: 'search-result-snippet' },
      ...snippetParts(result.snippet, result.highlights ?? []).map((part) => (part.marked ? element('mark', {}, part.text) : part.text)));
    const button = element('button', { type: 'button', className: 'search-result' }, head, snippet);
    button.dataset.conversationId = result.conversationId;
    if (result.messageId) {
      button.dataset.messageId = result.messageId;
    }
    button.addEventListener('click', () => pick(result));
    return element('li', {}, button);
  }));
}

/** @param {SearchResponse} response */
function describe({ results, truncated }) {
  const count = results.length === 0 ? 'No results.' : results.length === 1 ? '1 result.' : `${results.length} results.`;
  return truncated ? `${count} Only your most recent conversations were searched; add a word to narrow it down.` : count;
}
