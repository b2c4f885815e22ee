//@ts-check
import { Marked } from '../lib/marked.esm.js';
import DOMPurify from '../lib/purify.es.mjs';
import hljs from '../lib/highlight.min.js';

/**
 * The model's markdown, made safe to put in the page. Two layers: raw HTML in the markdown is
 * escaped, so it shows as the text it is (a model quoting `<script>` shows `<script>`), and the
 * rendered HTML is sanitized by DOMPurify anyway. The CSP is the third: no inline script runs.
 * Code is highlighted after sanitizing, from each block's text: highlight.js escapes what it
 * wraps, and nothing the model wrote reaches the page as markup on the way.
 */

/** @param {string} text */
const escapeHtml = (text) =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);

const marked = new Marked({
  gfm: true,
  renderer: {
    /** @param {{ text: string }} token */
    html({ text }) {
      return escapeHtml(text);
    },
    /** @param {{ text: string, lang?: string }} token */
    code({ text, lang }) {
      const language = (lang ?? '').trim().split(/\s+/)[0].toLowerCase();
      const known = language && hljs.getLanguage(language);
      const label = known ? language : language ? escapeHtml(language) : 'text';
      return `<pre data-language="${label}"><code class="hljs${known ? ` language-${language}` : ''}">${escapeHtml(text)}</code></pre>`;
    },
  },
});

// Links open elsewhere and tell the target nothing about the page.
DOMPurify.addHook('afterSanitizeAttributes', (/** @type {Element} */ node) => {
  if (node.tagName === 'A' && node.hasAttribute('href')) {
    node.setAttribute('target', '_blank');
    node.setAttribute('rel', 'noopener noreferrer');
  }
});

/**
 * Renders `markdown` into `target`, replacing what was there in one step (no flicker while a
 * reply streams), then gives each code block a copy button.
 * @param {HTMLElement} target
 * @param {string} markdown
 */
export function renderMarkdown(target, markdown) {
  const html = /** @type {string} */ (marked.parse(markdown, { async: false }));
  const clean = DOMPurify.sanitize(html, {
    USE_PROFILES: { html: true },
    FORBID_TAGS: ['style', 'form', 'input', 'button', 'textarea', 'select'],
    ADD_ATTR: ['target'],
  });
  const fragment = document.createRange().createContextualFragment(clean);
  for (const pre of fragment.querySelectorAll('pre')) {
    highlight(pre);
    // A long line scrolls sideways: the keyboard can reach and scroll it too.
    pre.querySelector('code')?.setAttribute('tabindex', '0');
    pre.prepend(copyButton(pre));
  }
  target.replaceChildren(fragment);
}

/**
 * Highlights a sanitized code block in place, from its text, when its language is known.
 * @param {HTMLPreElement} pre
 */
function highlight(pre) {
  const code = pre.querySelector('code');
  const language = pre.dataset.language ?? '';
  if (code && language !== 'text' && hljs.getLanguage(language)) {
    // highlight.js escapes the text it wraps in its spans: the result holds no markup from the model.
    code.innerHTML = hljs.highlight(code.textContent ?? '', { language, ignoreIllegals: true }).value;
  }
}

/** @param {HTMLPreElement} pre */
function copyButton(pre) {
  const bar = document.createElement('div');
  bar.className = 'code-bar';
  const language = document.createElement('span');
  language.textContent = pre.dataset.language ?? 'text';
  const button = document.createElement('button');
  button.type = 'button';
  button.className = 'copy';
  button.textContent = 'Copy';
  button.setAttribute('aria-label', 'Copy code');
  button.addEventListener('click', async () => {
    const code = pre.querySelector('code')?.textContent ?? '';
    try {
      await navigator.clipboard.writeText(code);
      button.textContent = 'Copied';
    } catch {
      button.textContent = 'Copy failed';
    }
    setTimeout(() => { button.textContent = 'Copy'; }, 1500);
  });
  bar.append(language, button);
  return bar;
}
