//@ts-check
/**
 * The page's keyboard shortcuts: one table, read by the key handler and by the list that `?` opens.
 * To add one, add a row here (keys, label, the action's name) and give app.js's `installShortcuts`
 * call a function of that name. Rows without an action are listed only (keys the composer or a
 * dialog handles itself).
 */

/**
 * @typedef {object} Shortcut
 * @property {string[]} keys 'Mod' is Cmd on a Mac and Ctrl elsewhere; then 'Shift', 'Alt', and the key (KeyboardEvent.key)
 * @property {string} label what it does, as the list shows it
 * @property {string} [action] the name of the function app.js gives for it
 * @property {boolean} [outsideTextBoxes] only when the focus is not in a text box (keys that type a character)
 * @property {string} [where] where it works, when not everywhere
 */

/** @type {Shortcut[]} */
export const shortcuts = [
  { keys: ['Mod', 'Shift', 'O'], label: 'Start a new chat', action: 'newChat' },
  { keys: ['Mod', 'Shift', 'C'], label: 'Copy the last reply', action: 'copyLastReply' },
  { keys: ['Mod', 'Shift', 'Backspace'], label: 'Regenerate the last reply', action: 'regenerateLastReply' },
  { keys: ['Mod', 'K'], label: 'Search your conversations', action: 'search' },
  { keys: ['?'], label: 'Show these shortcuts', action: 'showShortcuts', outsideTextBoxes: true },
  { keys: ['Enter'], label: 'Send the message', where: 'in the message box' },
  { keys: ['Shift', 'Enter'], label: 'Start a new line', where: 'in the message box' },
  { keys: ['Esc'], label: 'Stop the reply, or close a dialog or the list' },
];

/** @param {string} platform navigator.userAgentData.platform or navigator.platform */
export const isMacPlatform = (platform) => /mac|iphone|ipad/i.test(platform);

const modifiers = new Set(['Mod', 'Shift', 'Alt']);

/**
 * @param {{ key: string, ctrlKey: boolean, metaKey: boolean, shiftKey: boolean, altKey: boolean }} event
 * @param {Shortcut} shortcut
 * @param {boolean} isMac
 */
export function matches(event, shortcut, isMac) {
  const key = shortcut.keys.find((k) => !modifiers.has(k)) ?? '';
  const mod = shortcut.keys.includes('Mod');
  // Shift is part of a key that types a character ('?' is Shift+/ on many layouts): it counts only for letters and named keys.
  const shiftCounts = key.length > 1 || /^[a-z]$/i.test(key);
  return event.key.toLowerCase() === key.toLowerCase()
    && (isMac ? event.metaKey : event.ctrlKey) === mod
    && (isMac ? !event.ctrlKey : !event.metaKey)
    && event.altKey === shortcut.keys.includes('Alt')
    && (!shiftCounts || event.shiftKey === shortcut.keys.includes('Shift'));
}

/**
 * The keys as the list shows them: "Ctrl+Shift+O", or "⌘ Shift O" on a Mac.
 * @param {Shortcut} shortcut
 * @param {boolean} isMac
 */
export function keyNames(shortcut, isMac) {
  return shortcut.keys.map((k) => (k === 'Mod' ? (isMac ? '⌘' : 'Ctrl') : k));
}

/** @param {EventTarget | null} target */
const isTextBox = (target) => target instanceof HTMLElement
  && (target.isContentEditable || target.tagName === 'TEXTAREA' || target.tagName === 'SELECT'
    || (target.tagName === 'INPUT' && !['button', 'checkbox', 'radio', 'submit', 'reset'].includes(/** @type {HTMLInputElement} */ (target).type)));

/**
 * Runs the shortcut a key press matches, if its action is given.
 * @param {Document} document
 * @param {Record<string, () => void>} actions by the table's action names
 * @param {boolean} isMac
 */
export function installShortcuts(document, actions, isMac) {
  document.addEventListener('keydown', (event) => {
    if (event.defaultPrevented || event.isComposing) {
      return;
    }
    const shortcut = shortcuts.find((s) => s.action && matches(event, s, isMac));
    const run = shortcut?.action ? actions[shortcut.action] : undefined;
    if (!shortcut || !run || (shortcut.outsideTextBoxes && isTextBox(event.target))) {
      return;
    }
    event.preventDefault();
    run();
  });
}

/**
 * The list of every shortcut, as a modal dialog: Esc or Close closes it, and `onClose` puts the
 * focus back where the user types.
 * @param {Document} document
 * @param {boolean} isMac
 * @param {() => void} onClose
 * @returns {HTMLDialogElement}
 */
export function createShortcutsDialog(document, isMac, onClose) {
  const dialog = document.createElement('dialog');
  dialog.id = 'shortcuts';
  dialog.className = 'shortcuts';
  dialog.setAttribute('aria-labelledby', 'shortcuts-title');
  const title = document.createElement('h2');
  title.id = 'shortcuts-title';
  title.textContent = 'Keyboard shortcuts';
  const list = document.createElement('dl');
  for (const shortcut of shortcuts) {
    const keys = document.createElement('dt');
    keys.append(...keyNames(shortcut, isMac).flatMap((name, i) => {
      const kbd = document.createElement('kbd');
      kbd.textContent = name;
      return i === 0 ? [kbd] : [document.createTextNode(isMac ? ' ' : '+'), kbd];
    }));
    const what = document.createElement('dd');
    what.textContent = shortcut.where ? `${shortcut.label} (${shortcut.where})` : shortcut.label;
    list.append(keys, what);
  }
  const close = document.createElement('button');
  close.type = 'button';
  close.textContent = 'Close';
  close.addEventListener('click', () => dialog.close());
  dialog.append(title, list, close);
  dialog.addEventListener('close', onClose);
  document.body.append(dialog);
  return dialog;
}
