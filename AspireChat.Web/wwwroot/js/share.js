//@ts-check
import { ApiError, request } from './api.js';
import { element } from './dom.js';

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
  const open = element('button', { type: 'button', className: 'share-open', hidden: true }, 'Share');
  before.before(open);

  const create = element('button', { type: 'button', className: 'share-create' }, 'Create a link');
  const link = element('input', { type: 'text', readOnly: true, 'aria-label': 'Share link' });
  const copy = element('button', { type: 'button' }, 'Copy link');
  const created = element('div', { className: 'share-created', hidden: true }, link, copy);
  const status = element('p', { className: 'share-status', role: 'status' });
  const listHeading = element('h3', {}, 'Links to this conversation');
  const list = element('ul', { className: 'share-list' });
  const close = element('button', { type: 'button', className: 'share-close' }, 'Close');
  const dialog = element('dialog', { className: 'share-dialog', 'aria-labelledby': 'share-heading' },
    element('h2', { id: 'share-heading' }, 'Share this conversation'),
    element('p', { className: 'share-explain' },
      'Anyone with the link can read the branch on screen now, without signing in, until the link expires or you revoke it. Later messages and other branches are not shared.'),
    create, created, status, listHeading, list, close);
  document.body.append(dialog);

  const refresh = async () => {
    try {
      const shares = (await listShares()).filter((s) => s.conversationId === conversationId);
      listHeading.hidden = shares.length === 0;
      list.replaceChildren(...shares.map((share) => {
        const revoke = element('button', { type: 'button', 'aria-label': `Revoke ${share.url}` }, 'Revoke');
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
        return element('li', {},
          element('span', { className: 'share-url' }, share.url),
          element('span', { className: 'share-expires' }, `until ${new Date(share.expiresAt).toLocaleDateString()}`),
          revoke);
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
