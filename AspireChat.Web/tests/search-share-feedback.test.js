import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Conversation } from '../wwwroot/js/conversation.js';
import { parseFrame, switchToMessageFrame } from '../wwwroot/js/protocol.js';
import { snippetParts } from '../wwwroot/js/search.js';
import { matches, shortcuts } from '../wwwroot/js/shortcuts.js';

test('a snippet splits into text and marked words exactly, whatever the highlights say', () => {
  assert.deepEqual(snippetParts('the capital is Paris, not Lyon', [{ start: 15, length: 5 }]), [
    { text: 'the capital is ', marked: false },
    { text: 'Paris', marked: true },
    { text: ', not Lyon', marked: false },
  ]);
  // Out of range, overlapping, unsorted or not numbers: clipped or skipped, never more or less text.
  const text = '<script>alert(1)</script> hello';
  const parts = snippetParts(text, [{ start: 26, length: 99 }, { start: -5, length: 9 }, { start: 2, length: 3 }, { start: 'x', length: 1 }]);
  assert.equal(parts.map((p) => p.text).join(''), text);
  assert.deepEqual(parts.filter((p) => p.marked).map((p) => p.text), ['<scr', 'i', 'hello']);
  assert.deepEqual(snippetParts('no marks', []), [{ text: 'no marks', marked: false }]);
});

test('Ctrl+K and Cmd+K open search, with no other modifier, and the shortcut list names it', () => {
  const press = (key, modifiers) => ({ key, ctrlKey: false, metaKey: false, shiftKey: false, altKey: false, ...modifiers });
  const find = (event, isMac) => shortcuts.find((s) => s.action && matches(event, s, isMac))?.action;
  assert.equal(find(press('k', { ctrlKey: true }), false), 'search');
  assert.equal(find(press('K', { metaKey: true }), true), 'search');
  assert.equal(find(press('K', { ctrlKey: true, shiftKey: true }), false), undefined);
  assert.equal(find(press('k', { metaKey: true }), false), undefined);
  assert.equal(find(press('k', {}), false), undefined);
  assert.equal(shortcuts.find((s) => s.action === 'search')?.label, 'Search your conversations');
});

test('feedback frames are read, and a switch can name the message to show', () => {
  assert.deepEqual(parseFrame('{"type":"feedback","conversationId":"k","messageId":"a1","feedback":{"rating":"down","updatedAt":"2026-01-01T00:00:00Z"}}')?.feedback,
    { rating: 'down', updatedAt: '2026-01-01T00:00:00Z' });
  assert.equal(parseFrame('{"type":"feedback","conversationId":"k","messageId":"a1","feedback":null}')?.feedback, null);
  assert.equal(parseFrame('{"type":"feedback","conversationId":"k","messageId":"a1","feedback":{"rating":"meh"}}'), null);
  assert.deepEqual(JSON.parse(switchToMessageFrame('k', 'u5')), { type: 'switch', conversationId: 'k', messageId: 'u5' });
});

test('a feedback frame rates the reply it names, and takes the rating back', () => {
  const conversation = Conversation.fromHistory({
    id: 'k',
    messages: [
      { id: 'u1', role: 'user', content: 'Hi' },
      { id: 'a1', role: 'assistant', content: 'Hello', parentId: 'u1', feedback: { rating: 'up' } },
    ],
  });
  assert.deepEqual(conversation.find('a1')?.feedback, { rating: 'up' });

  const changed = conversation.apply({ type: 'feedback', conversationId: 'k', messageId: 'a1', feedback: { rating: 'down', comment: 'wrong' } });
  assert.deepEqual(changed.map((m) => m.id), ['a1']);
  assert.deepEqual(conversation.find('a1')?.feedback, { rating: 'down', comment: 'wrong' });

  conversation.apply({ type: 'feedback', conversationId: 'k', messageId: 'a1', feedback: null });
  assert.equal(conversation.find('a1')?.feedback, undefined);
  // Another conversation's frame, or a user message, changes nothing.
  assert.deepEqual(conversation.apply({ type: 'feedback', conversationId: 'other', messageId: 'a1', feedback: { rating: 'up' } }), []);
  assert.deepEqual(conversation.apply({ type: 'feedback', conversationId: 'k', messageId: 'u1', feedback: { rating: 'up' } }), []);
});
