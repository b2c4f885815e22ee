import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Conversation } from '../wwwroot/js/conversation.js';

const start = (messageId, replyTo, conversationId = 'k1') => ({ type: 'start', conversationId, messageId, replyTo });
const chunk = (messageId, seq, content, conversationId = 'k1') => ({ type: 'chunk', conversationId, messageId, seq, content });
const end = (messageId, finishReason, usage) => ({ type: 'end', conversationId: 'k1', messageId, finishReason, usage });

test('a new conversation takes its id from the first reply and streams its chunks in order', () => {
  const conversation = new Conversation();
  const asked = conversation.addUserMessage('c-1', 'Hello');
  assert.equal(conversation.busy, true);

  const changed = conversation.apply(start('a1', 'c-1'));
  assert.equal(conversation.id, 'k1');
  assert.deepEqual(changed.map((m) => m.id), ['c-1', 'a1']);
  assert.equal(asked.status, 'sent');

  conversation.apply(chunk('a1', 1, 'Hel'));
  conversation.apply(chunk('a1', 2, 'lo'));
  assert.equal(conversation.streaming?.content, 'Hello');

  conversation.apply(end('a1', 'stop', { inputTokens: 3, outputTokens: 2, totalTokens: 5 }));
  const reply = conversation.find('a1');
  assert.equal(reply?.status, 'done');
  assert.deepEqual(reply?.usage, { inputTokens: 3, outputTokens: 2, totalTokens: 5 });
  assert.equal(conversation.busy, false);
});

test('a repeated or out-of-order chunk is dropped', () => {
  const conversation = new Conversation('k1');
  conversation.addUserMessage('c-1', 'Hi');
  conversation.apply(start('a1', 'c-1'));
  conversation.apply(chunk('a1', 1, 'A'));
  assert.deepEqual(conversation.apply(chunk('a1', 1, 'A')), []);
  assert.deepEqual(conversation.apply(chunk('a1', 3, 'C')), []);
  conversation.apply(chunk('a1', 2, 'B'));
  assert.equal(conversation.find('a1')?.content, 'AB');
});

test('frames of another conversation change nothing', () => {
  const conversation = new Conversation('k1');
  conversation.addUserMessage('c-1', 'Hi');
  assert.deepEqual(conversation.apply(start('a9', 'c-other', 'k2')), []);
  assert.deepEqual(conversation.apply(chunk('a9', 1, 'x', 'k2')), []);
  assert.equal(conversation.messages.length, 1);
});

test('a stopped reply keeps what was streamed', () => {
  const conversation = new Conversation('k1');
  conversation.addUserMessage('c-1', 'Tell me');
  conversation.apply(start('a1', 'c-1'));
  conversation.apply(chunk('a1', 1, 'Once upon'));
  conversation.apply(end('a1', 'cancelled'));
  assert.equal(conversation.find('a1')?.status, 'cancelled');
  assert.equal(conversation.find('a1')?.content, 'Once upon');
});

test('a rejected message is marked failed with the error, and can be retried with its text', () => {
  const conversation = new Conversation('k1');
  const asked = conversation.addUserMessage('c-1', 'Again');
  const changed = conversation.apply({ type: 'error', code: 'rate_limited', message: 'Too many', retryAfterMs: 1200, conversationId: 'k1', replyTo: 'c-1' });
  assert.deepEqual(changed, [asked]);
  assert.equal(asked.status, 'failed');
  assert.deepEqual(asked.error, { code: 'rate_limited', message: 'Too many', retryAfterMs: 1200 });
  assert.equal(conversation.retryText(asked), 'Again');
});

test('a model error stays beside the reply, which ends as error and retries the question', () => {
  const conversation = new Conversation('k1');
  conversation.addUserMessage('c-1', 'Question');
  conversation.apply(start('a1', 'c-1'));
  conversation.apply({ type: 'error', code: 'model_error', message: 'Boom', conversationId: 'k1', messageId: 'a1', replyTo: 'c-1' });
  conversation.apply(end('a1', 'error'));
  const reply = conversation.find('a1');
  assert.equal(reply?.status, 'error');
  assert.equal(reply?.error?.code, 'model_error');
  assert.equal(conversation.retryText(reply), 'Question');
});

test('a dropped connection interrupts what was in flight', () => {
  const conversation = new Conversation('k1');
  conversation.addUserMessage('c-1', 'One');
  conversation.apply(start('a1', 'c-1'));
  const changed = conversation.interrupt();
  assert.deepEqual(changed.map((m) => [m.id, m.status]), [['a1', 'interrupted']]);
  assert.equal(conversation.busy, false);
});

test('history is read with each reply\'s outcome', () => {
  const conversation = Conversation.fromHistory({
    id: 'k1',
    messages: [
      { id: 'u1', role: 'user', content: 'Hi' },
      { id: 'a1', role: 'assistant', content: 'Hel', finishReason: 'cancelled', usage: { outputTokens: 1 }, parentId: 'u1' },
      { id: 'u2', role: 'user', content: 'Again', parentId: 'a1' },
      { id: 'a2', role: 'assistant', content: '', finishReason: 'error', parentId: 'u2' },
    ],
  });
  assert.deepEqual(conversation.messages.map((m) => m.status), ['sent', 'cancelled', 'sent', 'error']);
  assert.equal(conversation.retryText(conversation.messages[3]), 'Again');
});

test('a reply cut off by the connection resumes after its last seq, and another tab\'s message shows once', () => {
  const conversation = new Conversation('k1');
  conversation.addUserMessage('c-1', 'Hello');
  conversation.apply(start('a1', 'c-1'));
  conversation.apply(chunk('a1', 1, 'Hel'));
  conversation.interrupt();
  const cut = conversation.cutOff;
  assert.equal(cut?.id, 'a1');

  conversation.resume(cut);
  assert.equal(conversation.busy, true);
  assert.deepEqual(conversation.apply(start('a1', 'c-1')), []);
  conversation.apply(chunk('a1', 2, 'lo'));
  conversation.apply(end('a1', 'stop'));
  assert.equal(conversation.find('a1')?.content, 'Hello');
  assert.equal(conversation.find('a1')?.status, 'done');

  const user = { type: 'user', conversationId: 'k1', id: 'c-2', messageId: 'a2', content: 'From tab two' };
  assert.equal(conversation.apply(user).length, 1);
  assert.deepEqual(conversation.apply(user), []);
  assert.equal(conversation.apply({ ...user, conversationId: 'other', id: 'c-3' }).length, 0);
  assert.equal(conversation.find('c-2')?.status, 'sent');
});

test('a reply whose server died ends as interrupted, with the reason', () => {
  const conversation = new Conversation('k1');
  conversation.apply(start('a1'));
  conversation.apply(end('a1', 'interrupted'));
  assert.equal(conversation.find('a1')?.status, 'interrupted');
  assert.equal(conversation.find('a1')?.error?.code, 'interrupted');
});

test('a regenerate adds a sibling reply that becomes the branch shown, and the old one stays a click away', () => {
  const conversation = new Conversation('k1');
  conversation.addUserMessage('c-1', 'Hello');
  conversation.apply({ ...start('a1', 'c-1'), parentId: 'c-1' });
  conversation.apply(end('a1', 'stop'));

  conversation.awaiting = 'r-1';
  assert.equal(conversation.busy, true);
  conversation.apply({ ...start('a2', 'r-1'), parentId: 'c-1' });
  assert.equal(conversation.awaiting, null);
  conversation.apply(end('a2', 'stop'));
  assert.deepEqual(conversation.messages.map((m) => m.id), ['c-1', 'a2']);
  assert.deepEqual(conversation.siblings(conversation.find('a2')).map((m) => m.id), ['a1', 'a2']);

  assert.deepEqual(conversation.switchSibling(conversation.find('a2'), -1), { parentId: 'c-1', index: 1 });
  assert.deepEqual(conversation.messages.map((m) => m.id), ['c-1', 'a1']);
  assert.equal(conversation.switchSibling(conversation.find('a1'), -1), null);
});

test('an edit hangs beside the message it edits, and a branch frame from another tab moves the branch shown', () => {
  const conversation = Conversation.fromHistory({
    id: 'k1',
    activeLeafId: 'a2',
    messages: [
      { id: 'u1', role: 'user', content: 'Hi' },
      { id: 'a1', role: 'assistant', content: 'Hello', parentId: 'u1' },
      { id: 'u2', role: 'user', content: 'France?', parentId: 'a1' },
      { id: 'a2', role: 'assistant', content: 'Paris', parentId: 'u2' },
    ],
  });
  conversation.addUserMessage('c-9', 'Italy?', conversation.parentOf(conversation.find('u2')));
  conversation.apply({ ...start('a3', 'c-9'), parentId: 'c-9' });
  conversation.apply(end('a3', 'stop'));
  assert.deepEqual(conversation.messages.map((m) => m.id), ['u1', 'a1', 'c-9', 'a3']);
  assert.deepEqual(conversation.siblings(conversation.find('c-9')).map((m) => m.id), ['u2', 'c-9']);

  const changed = conversation.apply({ type: 'branch', conversationId: 'k1', leafId: 'a2' });
  assert.deepEqual(changed.map((m) => m.id), ['u1', 'a1', 'u2', 'a2']);
  assert.deepEqual(conversation.apply({ type: 'branch', conversationId: 'k1', leafId: 'unknown' }), []);
});

test('a refused regenerate clears the wait and changes no message', () => {
  const conversation = new Conversation('k1', [{ id: 'u1', role: 'user', content: 'Hi', status: 'sent', seq: 0 }]);
  conversation.awaiting = 'r-2';
  assert.deepEqual(conversation.apply({ type: 'error', code: 'conversation_busy', message: 'busy', conversationId: 'k1', replyTo: 'r-2' }), []);
  assert.equal(conversation.busy, false);
});
