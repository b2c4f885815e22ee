import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ChatSocket } from '../wwwroot/js/chat-socket.js';

/** A WebSocket stand-in the test opens and closes by hand. */
class FakeSocket {
  readyState = 0;
  sent = [];
  onopen = null;
  onmessage = null;
  onclose = null;
  onerror = null;
  send(data) { this.sent.push(data); }
  close() {}
  open() { this.readyState = 1; this.onopen?.({}); }
  drop() { this.readyState = 3; this.onerror?.({}); this.onclose?.({ code: 1006 }); }
  receive(data) { this.onmessage?.({ data }); }
}

function harness() {
  const sockets = [];
  const timers = [];
  const socket = new ChatSocket('ws://page/ws', {
    createSocket: () => { const s = new FakeSocket(); sockets.push(s); return s; },
    schedule: (callback, ms) => { timers.push({ callback, ms }); return timers.length; },
    cancel: () => {},
    random: () => 0,
  });
  const statuses = [];
  socket.addEventListener('status', (e) => statuses.push(e.detail));
  return { socket, sockets, timers, statuses };
}

test('a closed socket is reopened after a delay that grows with each failure', () => {
  const { socket, sockets, timers, statuses } = harness();
  socket.connect();
  sockets[0].drop();
  sockets.length = 0;
  timers.shift().callback();
  sockets[0].drop();
  timers.shift();
  assert.deepEqual(statuses.filter((s) => s.state === 'waiting').map((s) => s.retryInMs), [250, 500]);
});

test('an open socket resets the backoff and says it reconnected', () => {
  const { socket, sockets, timers, statuses } = harness();
  const opens = [];
  socket.addEventListener('open', (e) => opens.push(e.detail.reconnected));
  socket.connect();
  sockets[0].open();
  sockets[0].drop();
  timers.shift().callback();
  sockets[1].drop();
  timers.shift().callback();
  sockets[2].open();
  sockets[2].drop();
  assert.deepEqual(opens, [false, true]);
  assert.equal(statuses.at(-1).retryInMs, 250, 'the first retry after an open is quick again');
});

test('frames are parsed and unknown ones dropped; sending needs an open socket', () => {
  const { socket, sockets } = harness();
  const frames = [];
  socket.addEventListener('frame', (e) => frames.push(e.detail.type));
  socket.connect();
  assert.equal(socket.send('x'), false);
  sockets[0].open();
  sockets[0].receive('{"type":"start","conversationId":"k","messageId":"m"}');
  sockets[0].receive('{"type":"mystery"}');
  sockets[0].receive('garbage');
  assert.deepEqual(frames, ['start']);
  assert.equal(socket.send('{"type":"stop"}'), true);
  assert.deepEqual(sockets[0].sent, ['{"type":"stop"}']);
});

test('connect during a scheduled wait reconnects at once, and only once', () => {
  const { socket, sockets } = harness();
  socket.connect();
  sockets[0].drop();
  socket.connect();
  socket.connect();
  assert.equal(sockets.length, 2);
});
