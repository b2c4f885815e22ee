import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Conversation } from '../wwwroot/js/conversation.js';
import { ReplyTraces, TraceNames } from '../wwwroot/js/reply-traces.js';

const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
const start = (messageId, replyTo) => ({ type: 'start', conversationId: 'k1', messageId, replyTo });
const chunk = (messageId, seq, content) => ({ type: 'chunk', conversationId: 'k1', messageId, seq, content });
const end = (messageId, finishReason) => ({ type: 'end', conversationId: 'k1', messageId, finishReason });

/** A clock the test moves, and the traces it finished. */
function setup() {
  const clock = { now: 1000 };
  const finished = [];
  const traces = new ReplyTraces({ now: () => clock.now, finished: (t) => finished.push(t) });
  const conversation = new Conversation('k1');
  /** Applies a frame as the page does: the traces hear it first, then the view draws what changed. */
  const receive = (frame, at) => {
    clock.now = at;
    traces.frame(frame);
    for (const message of conversation.apply(frame)) {
      traces.shown(message);
    }
  };
  return { clock, finished, traces, conversation, receive };
}

test('a message is one span from the key press to its reply drawn whole, under the frame\'s traceparent', () => {
  const { finished, traces, conversation, receive } = setup();
  traces.begin('message', 'c-1', traceparent);
  conversation.addUserMessage('c-1', 'A secret question');

  receive(start('a1', 'c-1'), 1100);
  receive(chunk('a1', 1, 'The answer'), 1350);
  receive(chunk('a1', 2, ' is 42.'), 1400);
  receive(end('a1', 'stop'), 1500);

  const [trace] = finished;
  assert.equal(finished.length, 1);
  assert.equal(trace.name, 'message');
  assert.equal(trace.traceId, '0af7651916cd43dd8448eb211c80319c');
  assert.equal(trace.spanId, 'b7ad6b7169203331');
  assert.equal(trace.start, 1000);
  assert.equal(trace.end, 1500);
  assert.deepEqual(trace.events.map((e) => [e.name, e.time]), [
    [TraceNames.start, 1100],
    [TraceNames.firstChunkShown, 1350],
    [TraceNames.end, 1500],
  ]);
  assert.equal(trace.attributes[TraceNames.outcome], 'done');
  assert.equal(trace.attributes[TraceNames.chunks], 2);
  assert.equal(trace.attributes[TraceNames.resumed], false);
  assert.equal(trace.attributes[TraceNames.timeToFirstChunkShown], 0.35);
  assert.equal(trace.attributes[TraceNames.conversationId], 'k1');
  assert.equal(trace.failed, false);
  assert.equal(traces.size, 0);
});

test('no span holds the text of the message or of its reply', () => {
  const { finished, traces, conversation, receive } = setup();
  traces.begin('edit', 'c-1', traceparent);
  conversation.addUserMessage('c-1', 'my password is hunter2');
  receive(start('a1', 'c-1'), 1100);
  receive(chunk('a1', 1, 'hunter2 is weak.'), 1200);
  receive(end('a1', 'stop'), 1300);

  const text = JSON.stringify(finished);
  assert.equal(finished.length, 1);
  assert.doesNotMatch(text, /hunter2|password|weak/);
});

test('a reply cut off by the connection and resumed is one span, with the reconnect and the resume as events', () => {
  const { clock, finished, traces, conversation, receive } = setup();
  traces.begin('message', 'c-1', traceparent);
  conversation.addUserMessage('c-1', 'Hi');
  receive(start('a1', 'c-1'), 1100);
  receive(chunk('a1', 1, 'Hel'), 1200);

  clock.now = 1300;
  traces.disconnected();
  for (const message of conversation.interrupt()) {
    traces.shown(message);
  }
  assert.equal(finished.length, 0, 'a reply cut off by the connection is not over');

  clock.now = 1800;
  traces.reconnected();
  const cut = conversation.cutOff;
  traces.resumed(cut.id, cut.seq);
  conversation.resume(cut);
  receive(chunk('a1', 2, 'lo'), 1900);
  receive(end('a1', 'stop'), 2000);

  const [trace] = finished;
  assert.deepEqual(trace.events.map((e) => e.name), [
    TraceNames.start, TraceNames.firstChunkShown, TraceNames.connectionLost, TraceNames.connectionReopened, TraceNames.resume, TraceNames.end,
  ]);
  assert.equal(trace.events[4].attributes['aspirechat.reply.last_seq'], 1);
  assert.equal(trace.attributes[TraceNames.resumed], true);
  assert.equal(trace.attributes[TraceNames.chunks], 2);
  assert.equal(trace.attributes[TraceNames.outcome], 'done');
});

test('a message refused before its reply began ends its span as failed, with the error code', () => {
  const { finished, traces, conversation, receive } = setup();
  traces.begin('message', 'c-1', traceparent);
  conversation.addUserMessage('c-1', 'Hi');
  receive({ type: 'error', code: 'rate_limited', message: 'Slow down', replyTo: 'c-1' }, 1050);

  assert.equal(finished.length, 1);
  assert.equal(finished[0].attributes[TraceNames.outcome], 'refused');
  assert.equal(finished[0].attributes[TraceNames.errorType], 'rate_limited');
  assert.equal(finished[0].failed, true);
});

test('a regenerate lost with the connection before its reply began ends as connection_lost', () => {
  const { finished, traces } = setup();
  traces.begin('regenerate', 'c-9', traceparent);
  traces.disconnected();
  assert.equal(finished.length, 1);
  assert.equal(finished[0].name, 'regenerate');
  assert.equal(finished[0].attributes[TraceNames.outcome], 'connection_lost');
});

test('a message that could not be sent, a stopped reply and a page closed mid-reply each end their span', () => {
  const { finished, traces, conversation, receive } = setup();
  traces.begin('message', 'c-1', traceparent);
  traces.notSent('c-1');

  traces.begin('message', 'c-2', traceparent);
  conversation.addUserMessage('c-2', 'Hi');
  receive(start('a2', 'c-2'), 1100);
  receive(chunk('a2', 1, 'x'), 1200);
  receive(end('a2', 'cancelled'), 1300);

  traces.begin('regenerate', 'c-3', traceparent);
  receive(start('a3', 'c-3'), 1400);
  traces.abandon('page_closed');

  assert.deepEqual(finished.map((t) => [t.attributes[TraceNames.outcome], t.failed]), [
    ['not_sent', true], ['cancelled', false], ['page_closed', false],
  ]);
});

test('replies the page did not ask for (another tab\'s) make no span', () => {
  const { finished, traces, receive } = setup();
  receive({ type: 'user', conversationId: 'k1', id: 'c-7', messageId: 'c-7', content: 'from tab 2' }, 1000);
  receive(start('a7', 'c-7'), 1100);
  receive(end('a7', 'stop'), 1200);
  assert.equal(finished.length, 0);
  assert.equal(traces.size, 0);
});
