//@ts-check
import { Announcer } from './announcer.js';
import { ApiError, deleteConversation, exportUrl, getConversation, listConversations, renameConversation } from './api.js';
import { ChatSocket } from './chat-socket.js';
import { Conversation } from './conversation.js';
import { rateMessage } from './feedback.js';
import { createClientId, createTraceparent } from './ids.js';
import { MessageView } from './message-view.js';
import { editFrame, messageFrame, regenerateFrame, resumeFrame, stopFrame, switchFrame, switchToMessageFrame } from './protocol.js';
import { ReplyTraces } from './reply-traces.js';
import { ScrollFollower } from './scroll-follow.js';
import { initSearch } from './search.js';
import { initShare } from './share.js';
import { createShortcutsDialog, installShortcuts, isMacPlatform } from './shortcuts.js';
import { renderSidebar } from './sidebar.js';
import { startTelemetry } from './telemetry.js';

/** @typedef {import('./conversation.js').ChatMessage} ChatMessage */

/**
 * @template {HTMLElement} T
 * @param {string} selector
 * @returns {T}
 */
const $ = (selector) => /** @type {T} */ (document.querySelector(selector));

const ui = {
  log: $('#log'),
  scroller: $('#scroller'),
  empty: $('#empty'),
  form: /** @type {HTMLFormElement} */ ($('#composer')),
  input: /** @type {HTMLTextAreaElement} */ ($('#input')),
  send: /** @type {HTMLButtonElement} */ ($('#send')),
  stop: /** @type {HTMLButtonElement} */ ($('#stop')),
  jump: /** @type {HTMLButtonElement} */ ($('#jump')),
  status: $('#connection'),
  statusText: $('#connection-text'),
  reconnect: /** @type {HTMLButtonElement} */ ($('#reconnect')),
  list: $('#conversations'),
  newChat: /** @type {NodeListOf<HTMLButtonElement>} */ (document.querySelectorAll('[data-action="new-chat"]')),
  menu: /** @type {HTMLButtonElement} */ ($('#menu')),
  sidebar: $('#sidebar'),
  backdrop: $('#backdrop'),
  notice: $('#notice'),
  exportMenu: /** @type {HTMLDetailsElement} */ ($('#export')),
};

const sharing = initShare({ before: ui.exportMenu });
const socket = new ChatSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`);
const follower = new ScrollFollower(ui.scroller, ui.jump);
// Each message sent is a span, from the key press to its reply's end on screen (off unless Web relays spans).
const telemetry = startTelemetry();
const traces = new ReplyTraces({ finished: telemetry.finished });
// Screen readers hear a streaming reply sentence by sentence, and connection changes once each.
const announcer = new Announcer(document, $('main'));

let conversation = new Conversation();
/** @type {Map<string, MessageView>} */
let views = new Map();
/** @type {import('./api.js').ConversationSummary[]} */
let summaries = [];
/** Stop was pressed before the reply's start frame (and so its conversation id) arrived. */
let stopWhenStarted = false;
/** The ids of the branch on screen, to know when a frame moved to another branch. */
let shownPath = '';
let shownBusy = false;

// ---- Rendering -------------------------------------------------------------

/** @type {import('./message-view.js').MessageActions} */
const messageActions = {
  retry: (message) => retry(message),
  regenerate: (message) => regenerate(message),
  edit: (message, content) => edit(message, content),
  switchSibling: (message, offset) => switchSibling(message, offset),
  position: (message) => {
    const siblings = conversation.siblings(message);
    return { index: siblings.indexOf(message) + 1, count: siblings.length };
  },
  busy: () => conversation.busy,
  rate: (message, feedback) => rateMessage(conversation.id, message, feedback, () => views.get(message.id)?.update()),
};

/** @param {ChatMessage} message */
function viewFor(message) {
  let view = views.get(message.id);
  if (!view) {
    view = new MessageView(message, messageActions);
    view.onRendered = () => {
      follower.contentChanged();
      shown(view.message);
    };
    views.set(message.id, view);
  }
  return view;
}

/**
 * A message was drawn (its content, its end): what follows a reply on screen hears of it.
 * @param {ChatMessage} message
 */
function shown(message) {
  traces.shown(message);
  announcer.shown(message);
}

/**
 * Draws the branch on screen: the path from the root to the active leaf (on open, a switch, a new
 * branch). Views are kept per message, so a branch shown again is not rendered again.
 * @param {{ follow?: boolean }} [options] follow: scroll with new content (a new conversation, a new reply)
 */
function renderConversation({ follow = true } = {}) {
  const path = conversation.messages;
  shownPath = path.map((m) => m.id).join(' ');
  ui.log.replaceChildren(...path.map((m) => {
    const view = viewFor(m);
    view.render();
    shown(m);
    return view.element;
  }));
  if (follow) {
    follower.following = true;
  }
  renderState();
}

/** @param {ChatMessage[]} changed */
function renderChanged(changed) {
  if (conversation.messages.map((m) => m.id).join(' ') !== shownPath) {
    renderConversation();
    return;
  }
  for (const message of changed) {
    viewFor(message).update();
  }
  renderState();
}

/** The composer's and the page's state: generating or not, empty or not. */
function renderState() {
  const busy = conversation.busy;
  ui.form.dataset.state = busy ? 'generating' : 'idle';
  ui.send.hidden = busy;
  ui.stop.hidden = !busy;
  ui.empty.hidden = conversation.messages.length > 0;
  if (busy !== shownBusy) {
    // Regenerate and edit wait while a reply is on its way.
    shownBusy = busy;
    for (const message of conversation.messages) {
      views.get(message.id)?.render();
    }
  }
  ui.exportMenu.hidden = conversation.id === null;
  sharing.setConversation(conversation.id);
  if (conversation.id) {
    for (const link of ui.exportMenu.querySelectorAll('a')) {
      link.href = exportUrl(conversation.id, link.dataset.format === 'json' ? 'json' : 'md', link.dataset.branches === 'all');
    }
  }
  const title = summaries.find((s) => s.id === conversation.id)?.title;
  document.title = title ? `${title} · AspireChat` : 'AspireChat';
  follower.contentChanged();
}

async function refreshSidebar() {
  try {
    summaries = await listConversations();
  } catch {
    // The connection indicator already tells that the service is away; the list stays as it was.
  }
  renderSidebar(ui.list, summaries, conversation.id, sidebarActions);
  renderState();
}

/** @param {string} text */
function showNotice(text) {
  ui.notice.textContent = text;
  ui.notice.hidden = text === '';
}

// ---- Actions ---------------------------------------------------------------

/**
 * @param {string | null} id null: a new chat
 * @param {{ push?: boolean, keep?: ChatMessage[] }} [options] push: a new history entry (a click), not a
 * replacement; keep: local messages the server never got (failed sends), shown after the history
 */
async function openConversation(id, { push = false, keep = [] } = {}) {
  closeSidebar();
  showNotice('');
  stopWhenStarted = false;
  if (id === null) {
    conversation = new Conversation();
  } else {
    try {
      const history = await getConversation(id);
      conversation = history ? Conversation.fromHistory(history) : new Conversation();
      if (!history) {
        showNotice('That conversation does not exist (any more).');
      }
    } catch (error) {
      conversation = new Conversation(id);
      showNotice(error instanceof ApiError ? error.message : 'The conversation could not be loaded.');
    }
  }
  for (const message of keep) {
    conversation.nodes.push(message);
    conversation.leafId = message.id;
  }
  views = new Map();
  announcer.reset();
  watch();
  setUrl(conversation.id, push);
  renderConversation();
  // What is not on screen now will not end here: its span ends as it is.
  traces.abandon('abandoned');
  renderSidebar(ui.list, summaries, conversation.id, sidebarActions);
  ui.input.focus();
}

/**
 * Asks for the open conversation's live reply (from its start: history holds a reply only once it
 * ended) and for what other tabs send there. Does nothing while the socket is down; the socket's
 * open event asks again.
 */
function watch() {
  if (conversation.id) {
    socket.send(resumeFrame(conversation.id));
  }
}

/**
 * @param {string | null} id
 * @param {boolean} push
 */
function setUrl(id, push) {
  const url = id ? `?c=${encodeURIComponent(id)}` : location.pathname;
  if (url !== `${location.search || location.pathname}`) {
    history[push ? 'pushState' : 'replaceState'](null, '', url);
  }
}

/** @param {string} text */
function send(text) {
  const id = createClientId();
  const traceparent = createTraceparent();
  traces.begin('message', id, traceparent);
  const message = conversation.addUserMessage(id, text);
  const sent = socket.send(messageFrame({ content: text, conversationId: conversation.id, id, traceparent }));
  if (!sent) {
    traces.notSent(id);
    conversation.fail(message, 'offline', 'Not sent: the connection is down. It will be back shortly.');
  }
  follower.following = true;
  renderChanged([message]);
}

function stop() {
  const streaming = conversation.streaming;
  if (streaming && conversation.id) {
    socket.send(stopFrame(conversation.id));
  } else if (conversation.busy) {
    stopWhenStarted = true;
  }
}

/** @param {ChatMessage} message */
function retry(message) {
  const text = conversation.retryText(message);
  if (text === undefined || conversation.busy) {
    return;
  }
  if (message.role === 'user') {
    // The failed message was never stored: it is replaced by the new attempt.
    conversation.remove(message.id);
    views.get(message.id)?.element.remove();
    views.delete(message.id);
  }
  send(text);
}

/**
 * A new reply to the message `message` answers (or to `message`, a user's), beside the old ones.
 * @param {ChatMessage} message
 */
function regenerate(message) {
  if (conversation.busy || !conversation.id) {
    return;
  }
  const id = createClientId();
  const traceparent = createTraceparent();
  traces.begin('regenerate', id, traceparent);
  conversation.awaiting = id;
  if (!socket.send(regenerateFrame({ conversationId: conversation.id, messageId: message.id, id, traceparent }))) {
    traces.notSent(id);
    conversation.awaiting = null;
    showNotice('Not sent: the connection is down. It will be back shortly.');
  }
  follower.following = true;
  renderState();
  // The button pressed is disabled while the reply streams: the focus goes where the user types.
  ui.input.focus();
}

/**
 * Sends `content` as a new version of the user message `message`: beside it, with a reply below.
 * @param {ChatMessage} message
 * @param {string} content
 */
function edit(message, content) {
  if (conversation.busy || !conversation.id) {
    return;
  }
  const id = createClientId();
  const traceparent = createTraceparent();
  traces.begin('edit', id, traceparent);
  const edited = conversation.addUserMessage(id, content, conversation.parentOf(message));
  if (!socket.send(editFrame({ conversationId: conversation.id, messageId: message.id, content, id, traceparent }))) {
    traces.notSent(id);
    conversation.fail(edited, 'offline', 'Not sent: the connection is down. It will be back shortly.');
  }
  follower.following = true;
  renderChanged([edited]);
  ui.input.focus();
}

/**
 * Shows the previous (-1) or next (+1) version of `message`, and moves the server's active leaf there.
 * @param {ChatMessage} message
 * @param {number} offset
 */
function switchSibling(message, offset) {
  const moved = conversation.switchSibling(message, offset);
  if (!moved) {
    return;
  }
  if (conversation.id) {
    socket.send(switchFrame(conversation.id, moved.parentId, moved.index));
  }
  renderConversation({ follow: false });
}

/**
 * @param {string} id
 * @param {string} title
 * @returns {Promise<string | null>} null when renamed, else why not
 */
async function rename(id, title) {
  try {
    await renameConversation(id, title);
  } catch (error) {
    return error instanceof ApiError ? error.message : 'The conversation could not be renamed.';
  }
  await refreshSidebar();
  return null;
}

/**
 * Opens a conversation at one of its messages (a search result): shows that message's branch the way a
 * click on ‹ › does (here and, through `switch`, in every tab) and scrolls it into view.
 * @param {string} conversationId
 * @param {string | null} messageId null: the conversation as it was left (a title matched)
 */
async function reveal(conversationId, messageId) {
  await openConversation(conversationId, { push: true });
  const message = messageId ? conversation.find(messageId) : undefined;
  if (!message) {
    if (messageId && conversation.id === conversationId) {
      showNotice('That message is no longer in the conversation.');
    }
    return;
  }
  if (!conversation.messages.includes(message) && conversation.id) {
    conversation.leafId = conversation.newestLeafUnder(message.id);
    socket.send(switchToMessageFrame(conversation.id, message.id));
    renderConversation({ follow: false });
  }
  follower.following = false;
  const element = views.get(message.id)?.element;
  element?.scrollIntoView({ block: 'center' });
  element?.classList.add('found');
  setTimeout(() => element?.classList.remove('found'), 2500);
}

const sidebarActions = {
  /** @param {string} id */
  open: (id) => openConversation(id, { push: true }),
  remove: (/** @type {string} */ id) => remove(id),
  rename,
};

/** @param {string} id */
async function remove(id) {
  try {
    await deleteConversation(id);
  } catch (error) {
    showNotice(error instanceof ApiError ? error.message : 'The conversation could not be deleted.');
    return;
  }
  if (conversation.id === id) {
    await openConversation(null);
  }
  await refreshSidebar();
}

function closeSidebar() {
  document.body.classList.remove('sidebar-open');
  ui.menu.setAttribute('aria-expanded', 'false');
}

// ---- Socket ----------------------------------------------------------------

socket.addEventListener('frame', (event) => {
  const frame = /** @type {CustomEvent<import('./protocol.js').ServerFrame>} */ (event).detail;
  const wasNew = conversation.id === null;
  traces.frame(frame);
  const changed = conversation.apply(frame);
  if (changed.length > 0) {
    renderChanged(changed);
  }
  if (frame.type === 'start' && changed.length > 0) {
    if (wasNew) {
      setUrl(conversation.id, false);
      // Watch it from now on: what other tabs send or switch there shows here too.
      watch();
    }
    if (stopWhenStarted) {
      stopWhenStarted = false;
      socket.send(stopFrame(frame.conversationId));
    }
    // A new conversation (or a new title order) shows in the list at once.
    void refreshSidebar();
  } else if (frame.type === 'end') {
    void refreshSidebar();
  } else if (frame.type === 'error' && frame.replyTo && changed.length === 0 && !conversation.find(frame.replyTo)) {
    // A regenerate refused (busy, not found): nothing changed here but the composer's state.
    showNotice(frame.message || frame.code);
    renderState();
  } else if (frame.type === 'error' && frame.messageId && (frame.code === 'not_found' || frame.code === 'invalid_seq') && conversation.find(frame.messageId)?.status === 'streaming') {
    // The reply cannot be resumed (it ended long ago, or the server lost it): history has what was kept.
    void openConversation(conversation.id);
  } else if (frame.type === 'error' && changed.length === 0 && frame.code !== 'history_not_saved') {
    showNotice(frame.message || frame.code);
  }
});

socket.addEventListener('close', () => {
  stopWhenStarted = false;
  traces.disconnected();
  renderChanged(conversation.interrupt());
});

socket.addEventListener('open', async (event) => {
  const { reconnected } = /** @type {CustomEvent<{ reconnected: boolean }>} */ (event).detail;
  if (!reconnected) {
    watch();
    return;
  }
  showNotice('');
  traces.reconnected();
  const cut = conversation.cutOff;
  if (conversation.id && cut) {
    // The reply went on without us: ask for the rest of it, after the last chunk shown.
    traces.resumed(cut.id, cut.seq);
    renderChanged(conversation.resume(cut));
    socket.send(resumeFrame(conversation.id, { messageId: cut.id, lastSeq: cut.seq }));
    void refreshSidebar();
    return;
  }
  // What happened while away (a reply that finished, or was lost with the server) is in history.
  await refreshSidebar();
  if (conversation.id && !conversation.busy) {
    // Failed sends stay on screen, with their retry, after the history reloads.
    await openConversation(conversation.id, { keep: conversation.messages.filter((m) => m.status === 'failed') });
  } else {
    watch();
  }
});

/** @type {ReturnType<typeof setInterval> | undefined} */
let countdown;
socket.addEventListener('status', (event) => {
  const status = /** @type {CustomEvent<import('./chat-socket.js').SocketStatus>} */ (event).detail;
  ui.status.dataset.state = status.state;
  clearInterval(countdown);
  ui.reconnect.hidden = status.state !== 'waiting';
  if (status.state === 'open') {
    ui.statusText.textContent = 'Connected';
  } else if (status.state === 'connecting') {
    ui.statusText.textContent = status.attempt > 0 ? 'Reconnecting…' : 'Connecting…';
  } else {
    // The countdown below changes every second; the status region hears only that the page is offline.
    announcer.status('Offline. Retrying shortly.');
    const until = Date.now() + (status.retryInMs ?? 0);
    const tick = () => {
      const seconds = Math.max(1, Math.ceil((until - Date.now()) / 1000));
      ui.statusText.textContent = `Offline · retrying in ${seconds} s`;
    };
    tick();
    countdown = setInterval(tick, 1000);
    return;
  }
  announcer.status(ui.statusText.textContent ?? '');
});

// ---- Composer and page -----------------------------------------------------

function resizeInput() {
  // Fallback for browsers without `field-sizing: content`: grow with the text up to the CSS max-height.
  if (!CSS.supports('field-sizing', 'content')) {
    ui.input.style.height = 'auto';
    ui.input.style.height = `${ui.input.scrollHeight}px`;
  }
}

ui.form.addEventListener('submit', (event) => {
  event.preventDefault();
  const text = ui.input.value.trim();
  if (text === '' || conversation.busy) {
    return;
  }
  ui.input.value = '';
  resizeInput();
  send(text);
  // Sent with the button: the next message is typed where the last one was.
  ui.input.focus();
});

ui.input.addEventListener('keydown', (event) => {
  if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
    event.preventDefault();
    ui.form.requestSubmit();
  } else if (event.key === 'Escape' && conversation.busy) {
    stop();
  }
});
ui.input.addEventListener('input', resizeInput);
ui.stop.addEventListener('click', () => { stop(); ui.input.focus(); });
ui.reconnect.addEventListener('click', () => socket.connect());
for (const button of ui.newChat) {
  button.addEventListener('click', () => openConversation(null, { push: true }));
}
ui.menu.addEventListener('click', () => {
  const open = document.body.classList.toggle('sidebar-open');
  ui.menu.setAttribute('aria-expanded', String(open));
  if (open) {
    /** @type {HTMLElement | null} */ (ui.sidebar.querySelector('a, button'))?.focus();
  }
});
ui.backdrop.addEventListener('click', closeSidebar);
$('.skip-link').addEventListener('click', (event) => {
  // Focus the box itself (a #fragment would only scroll, and would change the address).
  event.preventDefault();
  ui.input.focus();
});
document.addEventListener('keydown', (event) => {
  if (event.key === 'Escape' && document.body.classList.contains('sidebar-open')) {
    closeSidebar();
    ui.menu.focus();
  }
});
window.addEventListener('popstate', () => openConversation(new URLSearchParams(location.search).get('c')));
window.addEventListener('online', () => socket.connect());
window.addEventListener('pagehide', () => {
  // The export is a keepalive request: it outlives the page.
  traces.abandon('page_closed');
  telemetry.flush();
});

// ---- Keyboard shortcuts (shortcuts.js holds the table) ------------------------

const isMac = isMacPlatform(/** @type {any} */ (navigator).userAgentData?.platform ?? navigator.platform);
const shortcutList = createShortcutsDialog(document, isMac, () => ui.input.focus());
const showShortcuts = () => {
  if (!shortcutList.open) {
    shortcutList.showModal();
  }
};

/** The reply at the end of the branch on screen, if it has ended. */
function lastReply() {
  const reply = conversation.messages.findLast((m) => m.role === 'assistant');
  return reply && reply.status !== 'streaming' ? reply : undefined;
}

const searchDialog = initSearch({ open: reveal, openButton: document.querySelector('[data-action="search"]') });

installShortcuts(document, {
  newChat: () => openConversation(null, { push: true }),
  search: searchDialog.show,
  copyLastReply: async () => {
    const reply = lastReply();
    if (!reply) {
      announcer.status('There is no reply to copy yet.');
      return;
    }
    try {
      await navigator.clipboard.writeText(reply.content);
      announcer.status('The last reply is copied.');
    } catch {
      announcer.status('The reply could not be copied.');
    }
  },
  regenerateLastReply: () => {
    const reply = lastReply();
    if (reply && !conversation.busy) {
      regenerate(reply);
    } else {
      announcer.status(conversation.busy ? 'Wait for the reply to end.' : 'There is no reply to regenerate yet.');
    }
  },
  showShortcuts,
}, isMac);
for (const button of document.querySelectorAll('[data-action="shortcuts"]')) {
  button.addEventListener('click', showShortcuts);
}

// ---- Start -----------------------------------------------------------------

// The list comes first: its response sets the owner cookie the socket's handshake then carries.
await refreshSidebar();
await openConversation(new URLSearchParams(location.search).get('c'));
socket.connect();
