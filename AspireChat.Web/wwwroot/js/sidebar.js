//@ts-check

/** @typedef {import('./api.js').ConversationSummary} ConversationSummary */

/**
 * The list of the user's conversations: open one, or delete it.
 * @param {HTMLElement} list the <ul>
 * @param {ConversationSummary[]} conversations
 * @param {string | null} openId
 * @param {{ open: (id: string) => void, remove: (id: string) => void }} actions
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

    item.append(link, remove);
    return item;
  });
  list.replaceChildren(...items);
  list.dataset.empty = String(items.length === 0);
}
