import assert from 'node:assert/strict';
import { test } from 'node:test';
import { plainText, sentences, speakableUnits } from '../wwwroot/js/announcer.js';

/** What a screen reader hears over a reply streamed in `chunks`: each call announces the units that became whole. */
function announce(chunks) {
  const heard = [];
  let content = '';
  for (const chunk of chunks) {
    content += chunk;
    heard.push(...speakableUnits(content, false).slice(heard.length));
  }
  heard.push(...speakableUnits(content, true).slice(heard.length));
  return heard;
}

/** Word by word, as the offline model streams: a word with the spaces after it. */
const words = (text) => text.match(/\S+\s*|\s+/g);

const offlineReply = "I'm AspireChat's **offline model**: I run inside ChatApi with no network and no API key, so the whole app works anywhere. You wrote:\n\n> Hello there\n\nThis is the first message of our conversation.\n\nTo talk to a real model, set `Model__ApiKey` (OpenAI), or `Model__Endpoint` and `Model__Name` for any OpenAI-compatible server such as Ollama or vLLM. Under the AppHost, set the `openai-api-key` parameter once in user secrets.";

test('prose is announced a sentence at a time, each once it is complete, as it streams word by word', () => {
  const heard = announce(words(offlineReply));
  assert.deepEqual(heard, [
    "I'm AspireChat's offline model: I run inside ChatApi with no network and no API key, so the whole app works anywhere.",
    'You wrote:',
    'Hello there',
    'This is the first message of our conversation.',
    'To talk to a real model, set Model__ApiKey (OpenAI), or Model__Endpoint and Model__Name for any OpenAI-compatible server such as Ollama or vLLM.',
    'Under the AppHost, set the openai-api-key parameter once in user secrets.',
  ]);
});

test('a sentence is not announced while it is still being written', () => {
  assert.deepEqual(speakableUnits('The first sentence is done. The second is still', false), ['The first sentence is done.']);
  assert.deepEqual(speakableUnits('The first sentence is done. The second is still', true), ['The first sentence is done.', 'The second is still']);
  assert.deepEqual(speakableUnits('Half a senten', false), []);
});

test('a list item is announced once whole, and a code block once it is closed', () => {
  const reply = 'Steps:\n\n- Install **Redis**\n- Run the `AppHost`\n  and wait\n- Open the page\n\n```bash\ndotnet run --project AspireChat.AppHost\necho done\n```\n\nThat is all.';
  // Mid-way through the second item's continuation: only the first item is whole.
  assert.deepEqual(speakableUnits('Steps:\n\n- Install **Redis**\n- Run the `AppHost`\n  and wa', false), ['Steps:', 'Install Redis']);
  // Inside the open code block: nothing of it yet.
  assert.deepEqual(speakableUnits(reply.slice(0, reply.indexOf('echo done')), false), ['Steps:', 'Install Redis', 'Run the AppHost and wait', 'Open the page']);
  assert.deepEqual(announce(words(reply)), [
    'Steps:',
    'Install Redis',
    'Run the AppHost and wait',
    'Open the page',
    'Code, bash: dotnet run --project AspireChat.AppHost\necho done',
    'That is all.',
  ]);
});

test('the same reply in chunks of any size is heard the same', () => {
  const reply = '# Title\n\nOne. Two? Three!\n\n1. first\n2. second\n\n```\ncode\n```\nAfter.';
  const whole = speakableUnits(reply, true);
  assert.deepEqual(whole, ['Title', 'One.', 'Two?', 'Three!', 'first', 'second', 'Code: code', 'After.']);
  for (const size of [1, 2, 3, 7, 50]) {
    const chunks = [];
    for (let i = 0; i < reply.length; i += size) {
      chunks.push(reply.slice(i, i + size));
    }
    assert.deepEqual(announce(chunks), whole, `chunks of ${size}`);
  }
});

test('markup is not read out, and numbers do not end sentences', () => {
  assert.equal(plainText('See [the docs](https://example.com) and **bold** _words_ with `code`.'), 'See the docs and bold words with code.');
  assert.deepEqual(sentences('Pi is 3.14 roughly. Yes.'), ['Pi is 3.14 roughly.', 'Yes.']);
});
