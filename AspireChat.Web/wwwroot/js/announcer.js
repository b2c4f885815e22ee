//@ts-check
/**
 * What a screen reader hears while a reply streams: each sentence of prose once it is complete,
 * and a list item or a code block once it is whole; never token by token, nor all at once at the
 * end. The pieces are cut from the reply's markdown as it grows (`speakableUnits`, unit-tested);
 * `Announcer` writes each new one into a polite live region. Connection changes go to a status
 * region, only when the state changes (not on every tick of a countdown).
 */

/** @typedef {import('./conversation.js').ChatMessage} ChatMessage */

const fence = /^ {0,3}(`{3,}|~{3,})\s*([^\s`]*)/;
const listItem = /^\s*(?:[-*+]|\d{1,9}[.)])\s+(.*)$/;
const heading = /^ {0,3}#{1,6}\s+(.*?)\s*#*\s*$/;
const quote = /^\s*>\s?/;

const segmenter = typeof Intl !== 'undefined' && 'Segmenter' in Intl ? new Intl.Segmenter('en', { granularity: 'sentence' }) : null;

/**
 * Sentences of `text`, in order; the last one may be incomplete.
 * @param {string} text
 * @returns {string[]}
 */
export function sentences(text) {
  if (segmenter) {
    return Array.from(segmenter.segment(text), (s) => s.segment.trim()).filter((s) => s !== '');
  }
  return (text.match(/[^.!?]+(?:[.!?]+["')\]]*\s+|[.!?]*$)/g) ?? []).map((s) => s.trim()).filter((s) => s !== '');
}

/**
 * Markdown inline syntax removed: what the words say, not how they are marked up.
 * @param {string} text
 */
export function plainText(text) {
  // Code spans are read as they are; emphasis is removed only outside them (Model__Name keeps its underscores).
  return text
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
    .split(/(`+[^`]*`+)/)
    .map((part, i) => (i % 2 === 1
      ? part.replace(/^`+|`+$/g, '')
      : part.replace(/(\*\*|__)(.+?)\1/g, '$2').replace(/(^|[^\w*])[*_]([^*_\s][^*_]*?)[*_](?=[^\w*]|$)/g, '$1$2')))
    .join('')
    .replace(/\s+/g, ' ')
    .trim();
}

/**
 * The pieces of a reply that are whole so far, in order, as plain text: prose sentence by sentence
 * (a sentence is whole once text follows it, or its paragraph ended), a heading or a list item once
 * its line ended, a code block once it is closed. With `complete` (the reply ended), everything.
 * Blockquotes are read as their content.
 * @param {string} markdown the reply so far
 * @param {boolean} complete the reply has ended: the last piece is whole too
 * @returns {string[]}
 */
export function speakableUnits(markdown, complete) {
  /** @type {string[]} */
  const units = [];
  const lines = markdown.split('\n');
  // Without a newline after it, the last line may still grow (unless the reply is complete).
  const lastLineOpen = !complete;
  /** @type {string[]} */
  let paragraph = [];
  /** @type {string | null} */
  let item = null;

  const endParagraph = (/** @type {boolean} */ whole) => {
    const parts = sentences(plainText(paragraph.join(' ')));
    units.push(...(whole ? parts : parts.slice(0, -1)));
    paragraph = [];
  };
  const endItem = () => {
    if (item !== null) {
      const text = plainText(item);
      if (text !== '') {
        units.push(text);
      }
    }
    item = null;
  };

  for (let i = 0; i < lines.length; i++) {
    const open = lastLineOpen && i === lines.length - 1;
    const line = lines[i].replace(quote, '').replace(quote, '');
    const codeStart = fence.exec(line);
    if (codeStart) {
      endParagraph(true);
      endItem();
      const marker = codeStart[1];
      const code = [];
      let closed = false;
      for (i += 1; i < lines.length; i++) {
        const inner = lines[i].replace(quote, '').replace(quote, '');
        if (inner.trim().startsWith(marker) && !(lastLineOpen && i === lines.length - 1)) {
          closed = true;
          break;
        }
        code.push(inner);
      }
      if (closed || complete) {
        units.push(`Code${codeStart[2] ? `, ${codeStart[2]}` : ''}: ${code.join('\n').trim()}`);
        continue;
      }
      return units;
    }
    if (open) {
      // The line being written: only what is whole before it counts. A new item or heading ends the
      // block before it; any other line may still belong to it.
      if (listItem.test(line) || heading.test(line)) {
        endParagraph(true);
        endItem();
      } else if (item === null) {
        paragraph.push(line);
        endParagraph(false);
      }
      return units;
    }
    if (line.trim() === '') {
      endParagraph(true);
      endItem();
      continue;
    }
    const titled = heading.exec(line);
    const listed = listItem.exec(line);
    if (titled) {
      endParagraph(true);
      endItem();
      units.push(plainText(titled[1]));
    } else if (listed) {
      endParagraph(true);
      endItem();
      item = listed[1];
    } else if (item !== null) {
      item += ` ${line.trim()}`;
    } else {
      paragraph.push(line);
    }
  }
  endParagraph(complete);
  if (complete) {
    endItem();
  }
  return units;
}

export class Announcer {
  /**
   * @param {Document} document
   * @param {HTMLElement} parent where the two visually hidden live regions go (inside a landmark)
   */
  constructor(document, parent) {
    this.replies = document.createElement('div');
    this.replies.id = 'announcer';
    this.replies.className = 'visually-hidden';
    this.replies.setAttribute('aria-live', 'polite');
    this.replies.setAttribute('aria-relevant', 'additions');
    this.statusRegion = document.createElement('div');
    this.statusRegion.id = 'announcer-status';
    this.statusRegion.className = 'visually-hidden';
    this.statusRegion.setAttribute('role', 'status');
    parent.append(this.replies, this.statusRegion);
    this.document = document;
    /** @type {Map<string, number>} per reply followed live: how many of its units were announced */
    this.announced = new Map();
    this.lastStatus = '';
  }

  /**
   * A message was drawn: announces what of a live reply became whole since the last call. A reply
   * first seen finished (history) is not announced.
   * @param {ChatMessage} message
   */
  shown(message) {
    if (message.role !== 'assistant') {
      return;
    }
    const streaming = message.status === 'streaming';
    let count = this.announced.get(message.id);
    if (count === undefined) {
      if (!streaming) {
        return;
      }
      count = 0;
    }
    // Cut off by the connection, it may go on after a resume: wait for the rest before the last piece.
    const complete = !streaming && !(message.status === 'interrupted' && message.error?.code === 'connection_lost');
    const units = speakableUnits(message.content, complete);
    for (const unit of units.slice(count)) {
      this.say(unit);
    }
    if (complete) {
      this.announced.delete(message.id);
    } else {
      this.announced.set(message.id, Math.max(count, units.length));
    }
  }

  /** Another conversation is open: what was being followed is no longer on screen. */
  reset() {
    this.announced.clear();
  }

  /**
   * Says `text` in the status region if it differs from what the region says now.
   * @param {string} text
   */
  status(text) {
    if (text !== this.lastStatus) {
      this.lastStatus = text;
      this.statusRegion.textContent = text;
    }
  }

  /** @param {string} text */
  say(text) {
    const line = this.document.createElement('p');
    line.textContent = text;
    this.replies.append(line);
    // Only additions are read; old lines are dropped so the region stays small.
    while (this.replies.childElementCount > 20) {
      this.replies.firstElementChild?.remove();
    }
  }
}
