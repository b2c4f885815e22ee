//@ts-check

/** @typedef {import('./api.js').ConversationSummary} ConversationSummary */

/**
 * The list of the user's conversations: open one, rename it in place, or delete it. Titles are
 * always set as text.
 * @param {HTMLElement} list the <ul>
 * @param {ConversationSummary[]} conversations
 * @param {string | null} openId
 * @param {{ open: (id: string) => void, remove: (id: string) => void, rename: (id: string, title: string) => Promise<string | null> }} actions
 * rename answers null when it worked, else the reason it did not
 */
export function renderSidebar(list, conversations, openId, actions) {
  const items = conversations.map((conversation) => {
    const item = document.createElement('li');
    item.className = 'conversation';
    item.dataset.id = conversation.id;

    const link = document.createElement('a');
    link.href = `?c=${encodeURIComponent(conversation.id)}`;
    link.textContent = conversation.title || 'Untitled';
    link.title = conversation.title;
    if (conversation.id === openId) {
      link.setAttribute('aria-current', 'page');
    }
    link.addEventListener('click', (event) => {
      // A plain click opens it here; ctrl/cmd-click still opens a tab.
      if (event.button === 0 && !event.metaKey && !event.ctrlKey && !event.shiftKey) {
        event.preventDefault();
        actions.open(conversation.id);
      }
    });

    const remove = document.createElement('button');
    remove.type = 'button';
    remove.className = 'delete';
    remove.textContent = '×';
    remove.setAttribute('aria-label', `Delete “${conversation.title || 'Untitled'}”`);
    remove.addEventListener('click', () => actions.remove(conversation.id));

    const rename = document.createElement('button');
    rename.type = 'button';
    rename.className = 'rename';
    rename.textContent = '✎';
    rename.setAttribute('aria-label', `Rename “${conversation.title || 'Untitled'}”`);
    rename.addEventListener('click', () => editTitle(item, link, conversation, actions.rename));

    item.append(link, rename, remove);
    return item;
  });
  list.replaceChildren(...items);
  list.dataset.empty = String(items.length === 0);
}

/**
 * Swaps the link for a text box: Enter saves, Escape (or leaving it unchanged) puts the link back.
 * @param {HTMLLIElement} item
 * @param {HTMLAnchorElement} link
 * @param {ConversationSummary} conversation
 * @param {(id: string, title: string) => Promise<string | null>} rename
 */
function editTitle(item, link, conversation, rename) {
  const form = document.createElement('form');
  form.className = 'rename-form';
  const box = document.createElement('input');
  box.type = 'text';
  box.value = conversation.title;
  box.setAttribute('aria-label', 'Conversation title');
  const error = document.createElement('p');
  error.className = 'rename-error';
  error.setAttribute('role', 'alert');
  error.hidden = true;
  form.append(box, error);
  const restore = () => {
    form.remove();
    link.hidden = false;
  };
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (box.value === conversation.title) {
      restore();
      return;
    }
    const problem = await rename(conversation.id, box.value);
    if (problem) {
      error.textContent = problem;
      error.hidden = false;
      box.focus();
    }
  });
  box.addEventListener('keydown', (event) => {
    if (event.key === 'Escape') {
      event.preventDefault();
      event.stopPropagation();
      restore();
    }
  });
  link.hidden = true;
  item.prepend(form);
  box.focus();
  box.select();
}
