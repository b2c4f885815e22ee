import assert from 'node:assert/strict';
import { test } from 'node:test';
import { messageFrame, parseFrame, resumeFrame, stopFrame } from '../wwwroot/js/protocol.js';

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

test('user frames are read and resume frames name the reply and its last seq', () => {
  assert.equal(parseFrame('{"type":"user","conversationId":"k","id":"c-1","messageId":"m","content":"Hi"}')?.type, 'user');
  assert.equal(parseFrame('{"type":"user","conversationId":"k","id":"c-1"}'), null);
  assert.deepEqual(JSON.parse(resumeFrame('k')), { type: 'resume', conversationId: 'k' });
  assert.deepEqual(JSON.parse(resumeFrame('k', { messageId: 'm', lastSeq: 7 })), { type: 'resume', conversationId: 'k', messageId: 'm', lastSeq: 7 });
});
