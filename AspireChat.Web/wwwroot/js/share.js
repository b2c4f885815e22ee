//@ts-check
import { ApiError, request } from './api.js';

/**
 * Share links of the open conversation: a Share button in the top bar opens a dialog that makes a link
 * (`POST /api/conversations/{id}/share`: a read-only snapshot of the branch on screen), copies it, and
 * lists the conversation's links with a Revoke button each (`GET /api/shares`, `DELETE /api/shares/{id}`).
 */

/**
 * @typedef {{ shareId: string, url: string, conversationId: string, title: string, createdAt: string, expiresAt: string }} ShareSummary
 */

/** @param {string} conversationId */
export async function createShare(conversationId) {
  const response = await request(`/api/conversations/${encodeURIComponent(conversationId)}/share`, { method: 'POST' });
  return /** @type {Promise<{ shareId: string, url: string, expiresAt: string }>} */ (response.json());
}

/** @returns {Promise<ShareSummary[]>} the user's shares, newest first */
export async function listShares() {
  return (await request('/api/shares')).json();
}

/** @param {string} shareId */
export async function revokeShare(shareId) {
  await request(`/api/shares/${encodeURIComponent(shareId)}`, { method: 'DELETE' });
}

/**
 * Builds the Share button (placed before `before`) and its dialog.
 * @param {{ before: Element }} options
 * @returns {{ setConversation: (id: string | null) => void }}
 */
export function initShare({ before }) {
  /** @type {string | null} */
  let conversationId = null;
  const open = document.createElement('button');
  open.type = 'button';
  open.className = 'share-open';
  open.textContent = 'Share';
  open.hidden = true;
  before.before(open);

  const dialog = document.createElement('dialog');
  dialog.className = 'share-dialog';
  dialog.setAttribute('aria-labelledby', 'share-heading');
  const heading = document.createElement('h2');
  heading.id = 'share-heading';
  heading.textContent = 'Share this conversation';
  const explain = document.createElement('p');
  explain.className = 'share-explain';
  explain.textContent = 'Anyone with the link can read the branch on screen now, without signing in, until the link expires or you revoke it. Later messages and other branches are not shared.';
  const create = document.createElement('button');
  create.type = 'button';
  create.className = 'share-create';
  create.textContent = 'Create a link';
  const created = document.createElement('div');
  created.className = 'share-created';
  created.hidden = true;
  const link = document.createElement('input');
  link.type = 'text';
  link.readOnly = true;
  link.setAttribute('aria-label', 'Share link');
  const copy = document.createElement('button');
  copy.type = 'button';
  copy.textContent = 'Copy link';
  created.append(link, copy);
  const status = document.createElement('p');
  status.className = 'share-status';
  status.setAttribute('role', 'status');
  const listHeading = document.createElement('h3');
  listHeading.textContent = 'Links to this conversation';
  const list = document.createElement('ul');
  list.className = 'share-list';
  const close = document.createElement('button');
  close.type = 'button';
  close.className = 'share-close';
  close.textContent = 'Close';
  dialog.append(heading, explain, create, created, status, listHeading, list, close);
  document.body.append(dialog);

  const refresh = async () => {
    try {
      const shares = (await listShares()).filter((s) => s.conversationId === conversationId);
      listHeading.hidden = shares.length === 0;
      list.replaceChildren(...shares.map((share) => {
        const item = document.createElement('li');
        const url = document.createElement('span');
        url.className = 'share-url';
        url.textContent = share.url;
        const expires = document.createElement('span');
        expires.className = 'share-expires';
        expires.textContent = `until ${new Date(share.expiresAt).toLocaleDateString()}`;
        const revoke = document.createElement('button');
        revoke.type = 'button';
        revoke.textContent = 'Revoke';
        revoke.setAttribute('aria-label', `Revoke ${share.url}`);
        revoke.addEventListener('click', async () => {
          try {
            await revokeShare(share.shareId);
            status.textContent = 'Revoked: the link no longer opens.';
            if (link.value === share.url) {
              created.hidden = true;
            }
          } catch (error) {
            status.textContent = error instanceof ApiError ? error.message : 'The link could not be revoked.';
          }
          await refresh();
        });
        item.append(url, expires, revoke);
        return item;
      }));
    } catch {
      status.textContent = 'Your links could not be listed.';
    }
  };

  open.addEventListener('click', async () => {
    status.textContent = '';
    created.hidden = true;
    dialog.showModal();
    create.focus();
    await refresh();
  });
  create.addEventListener('click', async () => {
    if (!conversationId) {
      return;
    }
    create.disabled = true;
    try {
      const share = await createShare(conversationId);
      link.value = share.url;
      created.hidden = false;
      status.textContent = `Link created; it works until ${new Date(share.expiresAt).toLocaleDateString()}.`;
      link.select();
    } catch (error) {
      status.textContent = error instanceof ApiError && error.status === 429
        ? 'You have made many links in the last hour; try again later.'
        : error instanceof ApiError ? error.message : 'The link could not be created.';
    } finally {
      create.disabled = false;
    }
    await refresh();
  });
  copy.addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText(link.value);
      copy.textContent = 'Copied';
    } catch {
      link.select();
      copy.textContent = 'Press Ctrl+C';
    }
    setTimeout(() => { copy.textContent = 'Copy link'; }, 1500);
  });
  close.addEventListener('click', () => dialog.close());

  return {
    setConversation(id) {
      conversationId = id;
      open.hidden = id === null;
    },
  };
}
