//@ts-check
import { renderMarkdown } from './markdown.js';

/** @typedef {import('./conversation.js').ChatMessage} ChatMessage */

/**
 * One message in the log. The user's text is set as text; the model's is rendered markdown,
 * sanitized. Redraws are coalesced to one per animation frame while a reply streams.
 */
export class MessageView {
  /**
   * @param {ChatMessage} message
   * @param {(message: ChatMessage) => void} onRetry
   */
  constructor(message, onRetry) {
    this.message = message;
    this.element = document.createElement('article');
    this.element.className = `message ${message.role}`;
    this.element.dataset.id = message.id;
    this.element.setAttribute('aria-label', message.role === 'user' ? 'You said' : 'Assistant replied');

    this.body = document.createElement('div');
    this.body.className = 'body';
    this.meta = document.createElement('div');
    this.meta.className = 'meta';
    this.errorBox = document.createElement('div');
    this.errorBox.className = 'error';
    this.errorBox.setAttribute('role', 'alert');
    this.errorBox.hidden = true;
    this.errorText = document.createElement('span');
    const retry = document.createElement('button');
    retry.type = 'button';
    retry.className = 'retry';
    retry.textContent = 'Retry';
    retry.addEventListener('click', () => onRetry(this.message));
    this.errorBox.append(this.errorText, retry);
    this.element.append(this.body, this.errorBox, this.meta);

    /** @type {number | null} */
    this.frame = null;
    this.renderedLength = -1;
    this.render();
  }

  /** Asks for a redraw on the next animation frame (several chunks in one frame draw once). */
  update() {
    this.frame ??= requestAnimationFrame(() => {
      this.frame = null;
      this.render();
      this.onRendered?.();
    });
  }

  /** @type {(() => void) | undefined} called after a coalesced redraw (the scroll follower) */
  onRendered = undefined;

  render() {
    const m = this.message;
    this.element.dataset.status = m.status;
    this.element.classList.toggle('streaming', m.status === 'streaming');
    // Screen readers wait for a streaming reply to finish before reading it out.
    this.element.setAttribute('aria-busy', String(m.status === 'streaming'));

    if (m.content.length !== this.renderedLength) {
      this.renderedLength = m.content.length;
      if (m.role === 'user') {
        this.body.textContent = m.content;
      } else {
        renderMarkdown(this.body, m.content);
      }
    }

    this.errorBox.hidden = !m.error || !(m.status === 'failed' || m.status === 'error' || m.status === 'interrupted');
    this.errorText.textContent = m.error ? describeError(m.error) : '';
    this.meta.textContent = describeMeta(m);
    this.meta.hidden = this.meta.textContent === '';
  }
}

/** @param {{ code: string, message: string, retryAfterMs?: number }} error */
function describeError(error) {
  const wait = error.retryAfterMs ? ` Try again in ${Math.ceil(error.retryAfterMs / 1000)} s.` : '';
  return (error.message || error.code) + (error.message.includes('again in') ? '' : wait);
}

/** @param {ChatMessage} m */
function describeMeta(m) {
  if (m.role === 'user') {
    return m.status === 'pending' ? 'Sending…' : '';
  }
  const parts = [];
  if (m.status === 'cancelled') {
    parts.push('Stopped');
  } else if (m.status === 'length') {
    parts.push('Cut off at the length limit');
  }
  const usage = m.usage;
  if (usage && (usage.outputTokens !== undefined || usage.inputTokens !== undefined)) {
    parts.push(`${usage.inputTokens ?? '?'} in · ${usage.outputTokens ?? '?'} out tokens`);
  }
  return parts.join(' · ');
}
