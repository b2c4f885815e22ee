//@ts-check
import { request } from './api.js';
import { element, submitOnEnter } from './dom.js';

/**
 * Thumbs up and down under a reply (`PUT`/`DELETE /api/conversations/{id}/messages/{messageId}/feedback`),
 * with an optional comment after a thumbs-down. The rating shows at once, is sent, and every other tab
 * on the conversation gets it as a `feedback` frame; pressing the rating that is on takes it back.
 */

/**
 * @typedef {{ rating: 'up' | 'down', comment?: string | null, updatedAt?: string }} Feedback
 * @typedef {import('./conversation.js').ChatMessage} ChatMessage
 * @typedef {(message: ChatMessage, feedback: Feedback | null) => Promise<string | null>} RateMessage
 * answers null when the server took it, else why not
 */

/** The longest comment the server takes, in characters. */
export const MaxComment = 2000;

/**
 * @param {string} conversationId
 * @param {string} messageId
 * @param {Feedback | null} feedback null removes it
 * @returns {Promise<Feedback | null>} the rating as stored
 */
export async function sendFeedback(conversationId, messageId, feedback) {
  const path = `/api/conversations/${encodeURIComponent(conversationId)}/messages/${encodeURIComponent(messageId)}/feedback`;
  if (feedback === null) {
    await request(path, { method: 'DELETE' });
    return null;
  }
  const response = await request(path, {
    method: 'PUT',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ rating: feedback.rating, ...(feedback.comment ? { comment: feedback.comment } : {}) }),
  });
  return response.json();
}

/**
 * Rates `message` at once on screen, then on the server; puts the old rating back if the server refused.
 * @param {string | null} conversationId
 * @param {ChatMessage} message
 * @param {Feedback | null} feedback
 * @param {() => void} redraw
 * @returns {Promise<string | null>} null when stored, else why not
 */
export async function rateMessage(conversationId, message, feedback, redraw) {
  if (!conversationId) {
    return 'This reply is not saved yet.';
  }
  const before = message.feedback;
  const set = (/** @type {Feedback | null | undefined} */ value) => {
    if (value) {
      message.feedback = value;
    } else {
      delete message.feedback;
    }
    redraw();
  };
  set(feedback);
  try {
    set(await sendFeedback(conversationId, message.id, feedback));
    return null;
  } catch (error) {
    set(before);
    return error instanceof Error ? error.message : 'The rating could not be saved.';
  }
}

/** The rating controls of one reply; `render` follows the message's `feedback`. */
export class FeedbackButtons {
  /**
   * @param {ChatMessage} message
   * @param {RateMessage} rate
   */
  constructor(message, rate) {
    this.message = message;
    this.rate = rate;
    this.up = this.button('👍', 'Good reply', 'up');
    this.down = this.button('👎', 'Bad reply', 'down');
    this.commentButton = element('button', { type: 'button', className: 'feedback-comment', hidden: true }, 'Add a comment');
    this.commentButton.addEventListener('click', () => this.openComment());
    this.element = element('span', { className: 'feedback' }, this.up, this.down, this.commentButton);
    /** @type {HTMLFormElement | null} */
    this.form = null;
  }

  /**
   * @param {string} icon
   * @param {string} label
   * @param {'up' | 'down'} rating
   */
  button(icon, label, rating) {
    const button = element('button', { type: 'button', className: `feedback-${rating}`, 'aria-label': label, 'aria-pressed': 'false' }, icon);
    button.addEventListener('click', () => {
      const current = this.message.feedback?.rating;
      void this.submit(current === rating ? null : { rating });
    });
    return button;
  }

  /** @param {Feedback | null} feedback */
  async submit(feedback) {
    const problem = await this.rate(this.message, feedback);
    if (!problem && feedback?.rating === 'down' && !feedback.comment) {
      this.openComment();
    }
  }

  /** A box under the reply for what was wrong; Enter sends it with the thumbs-down, Esc closes it. */
  openComment() {
    if (this.form) {
      this.form.querySelector('textarea')?.focus();
      return;
    }
    const box = element('textarea', {
      maxLength: MaxComment, rows: 2, placeholder: 'What was wrong? (optional)', 'aria-label': 'Comment on the reply', value: this.message.feedback?.comment ?? '',
    });
    const cancel = element('button', { type: 'button' }, 'Close');
    const error = element('p', { className: 'feedback-error', role: 'alert', hidden: true });
    const form = element('form', { className: 'feedback-form' }, box, element('button', { type: 'submit' }, 'Send'), cancel, error);
    const closeForm = () => {
      form.remove();
      this.form = null;
    };
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      const problem = await this.rate(this.message, { rating: this.message.feedback?.rating ?? 'down', comment: box.value.trim() || null });
      if (problem) {
        error.textContent = problem;
        error.hidden = false;
      } else {
        closeForm();
      }
    });
    submitOnEnter(box, form, closeForm);
    cancel.addEventListener('click', closeForm);
    this.form = form;
    (this.element.closest('.controls') ?? this.element).after(form);
    box.focus();
  }

  render() {
    const rating = this.message.feedback?.rating;
    this.up.setAttribute('aria-pressed', String(rating === 'up'));
    this.down.setAttribute('aria-pressed', String(rating === 'down'));
    this.commentButton.hidden = rating !== 'down' || this.form !== null;
    this.commentButton.textContent = this.message.feedback?.comment ? 'Edit the comment' : 'Add a comment';
  }
}
