// format.js against what Python writes for the same numbers (tests/js/fixtures/python.json, which
// tests/system/test_browser_code.py keeps equal to Python's own output).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

import { changed, fill, fixed, percent, shadeOf, signed, windowOf } from '../../lstm_viz/ui/stepper_static/format.js';

const python = JSON.parse(readFileSync(new URL('./fixtures/python.json', import.meta.url), 'utf8'));
const numbers = python.numbers.map((row) => ({ ...row, x: Number(row.value) }));

test('the fixture covers exact halves, signed zeros and numbers that are not finite', () => {
  assert.ok(numbers.length > 150);
  for (const value of ['NaN', 'Infinity', '-Infinity', 0.125, 2.5, -0.0]) {
    assert.ok(python.numbers.some((row) => Object.is(row.value, value)), String(value));
  }
});

test('fixed and signed write decimals as Python does, halves to even', () => {
  for (const { x, fixed4, fixed2, signed3, signed2 } of numbers) {
    assert.deepEqual([fixed(x, 4), fixed(x, 2), signed(x, 3), signed(x, 2)], [fixed4, fixed2, signed3, signed2], String(x));
  }
});

test('percent writes f"{x:.0%}" and f"{x:.1%}"', () => {
  for (const { x, percent0, percent1 } of numbers) {
    assert.deepEqual([percent(x, 0), percent(x, 1)], [percent0, percent1], String(x));
  }
});

test('shadeOf picks the shade colours.Scale.shade picks', () => {
  const n = python.shades;
  for (const { x, gate, signedShade, cellShade } of numbers) {
    assert.deepEqual([shadeOf(x, 0, 1, n), shadeOf(x, -1, 1, n), shadeOf(x, -3.5, 3.5, n)], [gate, signedShade, cellShade], String(x));
  }
});

test('changed ends a sentence as equations._changed does', () => {
  for (const row of numbers.filter((r) => r.changed !== null)) assert.equal(changed(0.25, row.x), row.changed, String(row.x));
});

test("windowOf is the token strip's window of strips._window", () => {
  assert.ok(python.windows.length > 50);
  for (const { n, current, window, range } of python.windows) {
    assert.deepEqual(windowOf(n, current, window), range, `${n} tokens, step ${current}, window ${window}`);
  }
});

test('fill fills every sentence of plots/wording.py as str.format does', () => {
  assert.ok(python.sentences.length > 20);
  for (const { template, filled } of python.sentences) assert.equal(fill(template, python.fields), filled, template);
  assert.equal(fill('{a} and {b}', { a: '{b}', b: '$&' }), '{b} and $&'); // a field's value is never read again
});
