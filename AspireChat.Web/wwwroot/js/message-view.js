//@ts-check
import { submitOnEnter } from './dom.js';
import { FeedbackButtons } from './feedback.js';
import { renderMarkdown } from './markdown.js';

/** @typedef {import('./conversation.js').ChatMessage} ChatMessage */

/**
 * What a message's controls do, and what they need to know.
 * @typedef {object} MessageActions
 * @property {(message: ChatMessage) => void} retry
 * @property {(message: ChatMessage) => void} regenerate
 * @property {(message: ChatMessage, content: string) => void} edit
 * @property {(message: ChatMessage, offset: number) => void} switchSibling
 * @property {(message: ChatMessage) => { index: number, count: number }} position its place among its siblings (index from 1)
 * @property {() => boolean} busy a reply is on its way: regenerate and edit wait
 * @property {import('./feedback.js').RateMessage} [rate] rates a reply (thumbs up or down); none: no rating controls
 */

/**
 * One message in the log. The user's text is set as text; the model's is rendered markdown,
 * sanitized. Redraws are coalesced to one per animation frame while a reply streams. Under it:
 * copy, regenerate (a reply) or edit (the user's), and `‹ 2/3 ›` between its siblings.
 */
export class MessageView {
  /**
   * @param {ChatMessage} message
   * @param {MessageActions} actions
   */
  constructor(message, actions) {
    this.actions = actions;
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
    retry.addEventListener('click', () => actions.retry(this.message));
    this.errorBox.append(this.errorText, retry);

    this.controls = document.createElement('div');
    this.controls.className = 'controls';
    this.nav = document.createElement('span');
    this.nav.className = 'siblings';
    this.previous = button('‹', 'Previous version', () => actions.switchSibling(this.message, -1));
    this.position = document.createElement('span');
    this.position.className = 'position';
    this.next = button('›', 'Next version', () => actions.switchSibling(this.message, +1));
    this.nav.append(this.previous, this.position, this.next);
    const copy = button('Copy', 'Copy the message', async () => {
      try {
        await navigator.clipboard.writeText(this.message.content);
        copy.textContent = 'Copied';
      } catch {
        copy.textContent = 'Copy failed';
      }
      setTimeout(() => { copy.textContent = 'Copy'; }, 1500);
    });
    copy.classList.add('copy-message');
    this.controls.append(this.nav, copy);
    if (message.role === 'assistant') {
      this.regenerate = button('Regenerate', 'Regenerate the reply', () => actions.regenerate(this.message));
      this.regenerate.classList.add('regenerate');
      this.controls.append(this.regenerate);
      if (actions.rate) {
        this.feedback = new FeedbackButtons(message, actions.rate);
        this.controls.append(this.feedback.element);
      }
    } else {
      this.editButton = button('Edit', 'Edit the message', () => this.startEditing());
      this.editButton.classList.add('edit');
      this.controls.append(this.editButton);
    }
    /** @type {HTMLFormElement | null} */
    this.editor = null;
    this.element.append(this.body, this.errorBox, this.meta, this.controls);

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

    // Controls only for what the server has: not for a message on its way or a reply streaming.
    const settled = m.status !== 'pending' && m.status !== 'failed' && m.status !== 'streaming';
    this.controls.hidden = !settled || this.editor !== null;
    const { index, count } = this.actions.position(m);
    this.nav.hidden = count < 2;
    this.position.textContent = `${index}/${count}`;
    this.previous.disabled = index <= 1;
    this.next.disabled = index >= count;
    const busy = this.actions.busy();
    if (this.regenerate) {
      this.regenerate.disabled = busy;
    }
    if (this.editButton) {
      this.editButton.disabled = busy;
    }
    this.feedback?.render();
  }

  /** Replaces the user's text with a box to edit it; saving sends it as a new version beside this one. */
  startEditing() {
    if (this.editor || this.actions.busy()) {
      return;
    }
    const form = document.createElement('form');
    form.className = 'editor';
    const box = document.createElement('textarea');
    box.value = this.message.content;
    box.setAttribute('aria-label', 'Edit your message');
    const save = button('Send', 'Send the edited message', () => {});
    save.type = 'submit';
    const cancel = button('Cancel', 'Cancel editing', () => this.stopEditing());
    form.append(box, save, cancel);
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      const text = box.value.trim();
      if (text !== '' && !this.actions.busy()) {
        this.stopEditing();
        this.actions.edit(this.message, text);
      }
    });
    submitOnEnter(box, form, () => this.stopEditing());
    this.editor = form;
    this.body.hidden = true;
    this.element.insertBefore(form, this.errorBox);
    this.render();
    box.focus();
  }

  stopEditing() {
    this.editor?.remove();
    this.editor = null;
    this.body.hidden = false;
    this.render();
  }
}

/**
 * @param {string} text
 * @param {string} label
 * @param {() => void} onClick
 */
function button(text, label, onClick) {
  const element = document.createElement('button');
  element.type = 'button';
  element.textContent = text;
  element.setAttribute('aria-label', label);
  element.addEventListener('click', onClick);
  return element;
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
