import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isMacPlatform, keyNames, matches, shortcuts } from '../wwwroot/js/shortcuts.js';

const press = (key, modifiers = {}) => ({ key, ctrlKey: false, metaKey: false, shiftKey: false, altKey: false, ...modifiers });
const find = (event, isMac) => shortcuts.find((s) => s.action && matches(event, s, isMac))?.action;

test('Ctrl+Shift on Windows and Linux, Cmd+Shift on a Mac, start a new chat, copy and regenerate the last reply', () => {
  assert.equal(find(press('O', { ctrlKey: true, shiftKey: true }), false), 'newChat');
  assert.equal(find(press('C', { ctrlKey: true, shiftKey: true }), false), 'copyLastReply');
  assert.equal(find(press('Backspace', { ctrlKey: true, shiftKey: true }), false), 'regenerateLastReply');
  assert.equal(find(press('O', { metaKey: true, shiftKey: true }), true), 'newChat');
  assert.equal(find(press('Backspace', { metaKey: true, shiftKey: true }), true), 'regenerateLastReply');
});

test('near misses do nothing: no Shift, the other platform\'s modifier, an extra Alt, Ctrl+C alone', () => {
  assert.equal(find(press('o', { ctrlKey: true }), false), undefined);
  assert.equal(find(press('O', { metaKey: true, shiftKey: true }), false), undefined);
  assert.equal(find(press('O', { ctrlKey: true, shiftKey: true }), true), undefined);
  assert.equal(find(press('O', { ctrlKey: true, shiftKey: true, altKey: true }), false), undefined);
  assert.equal(find(press('c', { ctrlKey: true }), false), undefined);
  assert.equal(find(press('Backspace'), false), undefined);
});

test('? opens the list whichever Shift it needs on the layout, but not with Ctrl', () => {
  assert.equal(find(press('?', { shiftKey: true }), false), 'showShortcuts');
  assert.equal(find(press('?'), false), 'showShortcuts');
  assert.equal(find(press('?', { ctrlKey: true }), false), undefined);
  assert.equal(shortcuts.find((s) => s.action === 'showShortcuts')?.outsideTextBoxes, true);
});

test('the list names every shortcut in the table, with the platform\'s modifier', () => {
  assert.deepEqual(keyNames(shortcuts[0], false), ['Ctrl', 'Shift', 'O']);
  assert.deepEqual(keyNames(shortcuts[0], true), ['⌘', 'Shift', 'O']);
  assert.ok(shortcuts.every((s) => s.label.length > 0 && s.keys.length > 0));
  assert.equal(new Set(shortcuts.map((s) => s.keys.join('+'))).size, shortcuts.length, 'two rows with the same keys');
  assert.equal(isMacPlatform('macOS'), true);
  assert.equal(isMacPlatform('Linux x86_64'), false);
});
