//@ts-check
import { ApiError, request } from './api.js';
import { renderMarkdown } from './markdown.js';

/**
 * The read-only page of a shared conversation (/s/{id}). Web puts the share in the page as data
 * (`<script type="application/json" id="share-data">`, never run); this module draws it as the chat
 * draws a conversation: the user's text as text, the model's markdown rendered and sanitized. A viewer
 * can copy it into a conversation of their own.
 */

/**
 * @typedef {{ role: 'user' | 'assistant', content: string, createdAt: string }} SharedMessage
 * @typedef {{ title: string, sharedAt: string, expiresAt: string, messages: SharedMessage[] }} SharedConversation
 * @typedef {{ status: number, share?: SharedConversation }} SharePageData
 */

/**
 * The page's data, or a not-found when there is none (the template opened as a plain file).
 * @param {Document} page
 * @returns {SharePageData}
 */
export function readShareData(page) {
  try {
    const data = JSON.parse(page.getElementById('share-data')?.textContent ?? '');
    return typeof data?.status === 'number' ? data : { status: 404 };
  } catch {
    return { status: 404 };
  }
}

/**
 * @param {HTMLElement} log
 * @param {SharedMessage[]} messages
 */
function renderMessages(log, messages) {
  log.replaceChildren(...messages.map((message) => {
    const article = document.createElement('article');
    article.className = `message ${message.role === 'user' ? 'user' : 'assistant'}`;
    article.setAttribute('aria-label', message.role === 'user' ? 'They said' : 'Assistant replied');
    const body = document.createElement('div');
    body.className = 'body';
    if (message.role === 'user') {
      body.textContent = message.content;
    } else {
      renderMarkdown(body, message.content);
    }
    article.append(body);
    return article;
  }));
}

/** @param {string} iso */
const day = (iso) => new Date(iso).toLocaleDateString(undefined, { year: 'numeric', month: 'long', day: 'numeric' });

function main() {
  const title = /** @type {HTMLElement} */ (document.getElementById('share-title'));
  const note = /** @type {HTMLElement} */ (document.getElementById('share-note'));
  const notice = /** @type {HTMLElement} */ (document.getElementById('notice'));
  const log = /** @type {HTMLElement} */ (document.getElementById('log'));
  const copy = /** @type {HTMLButtonElement} */ (document.getElementById('copy-share'));
  const { status, share } = readShareData(document);
  if (status !== 200 || !share) {
    title.textContent = status === 404 ? 'This link does not exist' : 'This conversation could not be loaded';
    notice.textContent = status === 404
      ? 'The link is wrong, or it expired, or the person who shared it revoked it.'
      : 'The chat service is not reachable. Try again shortly.';
    notice.hidden = false;
    return;
  }

  title.textContent = share.title || 'Shared conversation';
  document.title = `${share.title || 'Shared conversation'} · AspireChat`;
  note.textContent = `A read-only copy, shared on ${day(share.sharedAt)}; the link works until ${day(share.expiresAt)}.`;
  renderMessages(log, share.messages);
  copy.hidden = false;
  copy.addEventListener('click', async () => {
    copy.disabled = true;
    const shareId = decodeURIComponent(location.pathname.split('/').pop() ?? '');
    try {
      const response = await request(`/api/shares/${encodeURIComponent(shareId)}/copy`, { method: 'POST' });
      const { conversationId } = await response.json();
      location.assign(`/?c=${encodeURIComponent(conversationId)}`);
    } catch (error) {
      notice.textContent = error instanceof ApiError && error.status === 404
        ? 'This link no longer exists, so it cannot be copied.'
        : 'The conversation could not be copied. Try again shortly.';
      notice.hidden = false;
      copy.disabled = false;
    }
  });
}

if (typeof document !== 'undefined') {
  main();
}
