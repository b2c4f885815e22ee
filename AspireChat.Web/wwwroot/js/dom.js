//@ts-check

/**
 * Builds an element in one expression: `element('button', { type: 'button', className: 'share-close',
 * 'aria-label': 'Close' }, 'Close')`. A name with a dash, and `role`, is set as an attribute; any other as the
 * element's property. Children are elements or strings, and a string stays text: nothing here parses markup.
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {Record<string, unknown>} [properties]
 * @param {...(Node | string)} children
 * @returns {HTMLElementTagNameMap[K]}
 */
export function element(tag, properties = {}, ...children) {
  const created = document.createElement(tag);
  for (const [name, value] of Object.entries(properties)) {
    if (name.includes('-') || name === 'role') {
      created.setAttribute(name, String(value));
    } else {
      /** @type {any} */ (created)[name] = value;
    }
  }
  created.append(...children);
  return created;
}

/**
 * In a text box: Enter (without Shift, and not while an input method is composing) submits its form, Escape calls
 * `onEscape` and goes no further (a dialog around it stays open).
 * @param {HTMLTextAreaElement} box
 * @param {HTMLFormElement} form
 * @param {() => void} onEscape
 */
export function submitOnEnter(box, form, onEscape) {
  box.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit();
    } else if (event.key === 'Escape') {
      event.stopPropagation();
      onEscape();
    }
  });
}
