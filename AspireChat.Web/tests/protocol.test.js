import assert from 'node:assert/strict';
import { test } from 'node:test';
import { editFrame, messageFrame, parseFrame, resumeFrame, stopFrame } from '../wwwroot/js/protocol.js';

test('known frames are read', () => {
  const chunk = parseFrame('{"type":"chunk","conversationId":"k","messageId":"m","seq":1,"content":"Hel","extra":true}');
  assert.deepEqual(chunk, { type: 'chunk', conversationId: 'k', messageId: 'm', seq: 1, content: 'Hel', extra: true });
  assert.equal(parseFrame('{"type":"end","messageId":"m","finishReason":"stop"}')?.type, 'end');
  assert.equal(parseFrame('{"type":"error","code":"rate_limited"}')?.message, '');
});

test('anything else is ignored, not thrown', () => {
  for (const data of ['not json', '[]', 'null', '42', '{"type":"typing"}', '{"type":"chunk","messageId":"m","seq":"1","content":"x"}', new ArrayBuffer(2)]) {
    assert.equal(parseFrame(data), null, String(data));
  }
});

test('a message frame omits conversationId for a new conversation', () => {
  const frame = JSON.parse(messageFrame({ content: 'Hi', conversationId: null, id: 'c-1', traceparent: 't' }));
  assert.deepEqual(frame, { type: 'message', content: 'Hi', id: 'c-1', traceparent: 't' });
  const next = JSON.parse(messageFrame({ content: 'Again', conversationId: 'k', id: 'c-2', traceparent: 't' }));
  assert.equal(next.conversationId, 'k');
  assert.deepEqual(JSON.parse(stopFrame('k')), { type: 'stop', conversationId: 'k' });
});

test('message and edit frames write their ids before the content, so a frame too large to read is still answered by id', () => {
  const long = 'x'.repeat(40 * 1024);
  const message = messageFrame({ content: long, conversationId: 'k', id: 'c-1', traceparent: 't' });
  assert.ok(message.indexOf('"id":"c-1"') < message.indexOf('"content"'));
  assert.ok(message.indexOf('"conversationId":"k"') < message.indexOf('"content"'));
  assert.ok(message.indexOf('"content"') < 512, 'the server keeps the first 512 bytes of a frame it refuses');
  const edit = editFrame({ conversationId: 'k', messageId: 'm', content: long, id: 'c-2', traceparent: 't' });
  assert.ok(edit.indexOf('"id":"c-2"') < edit.indexOf('"content"'));
  assert.deepEqual(JSON.parse(edit), { type: 'edit', id: 'c-2', conversationId: 'k', messageId: 'm', traceparent: 't', content: long });
});

test('user frames are read and resume frames name the reply and its last seq', () => {
  assert.equal(parseFrame('{"type":"user","conversationId":"k","id":"c-1","messageId":"m","content":"Hi"}')?.type, 'user');
  assert.equal(parseFrame('{"type":"user","conversationId":"k","id":"c-1"}'), null);
  assert.deepEqual(JSON.parse(resumeFrame('k')), { type: 'resume', conversationId: 'k' });
  assert.deepEqual(JSON.parse(resumeFrame('k', { messageId: 'm', lastSeq: 7 })), { type: 'resume', conversationId: 'k', messageId: 'm', lastSeq: 7 });
});
