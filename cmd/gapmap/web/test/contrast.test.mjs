// Unit tests of the colours the page writes text on (format.js, map.js):
// the WCAG 2.1 contrast ratio against the figures the standard's formula
// gives by hand, and every status chip and gap score legible at AA (4.5:1),
// which white text on 村级申报's #80cbc4 (1.87:1) was not.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { contrast, inkOn, gapStyle, gapColour } from '../static/format.js';
import { PROJECT_STATUS_COLOURS, statusStyle } from '../static/map.js';

const near = (a, b) => Math.abs(a - b) < 0.01;

test('contrast is the WCAG ratio', () => {
  assert.ok(near(contrast('#000000', '#ffffff'), 21));
  assert.ok(near(contrast('#ffffff', '#ffffff'), 1));
  assert.ok(near(contrast('#ffffff', '#80cbc4'), 1.87), `${contrast('#ffffff', '#80cbc4')}`);
  // #767676 on white is the well-known smallest grey at 4.5:1 (4.54).
  assert.ok(near(contrast('#767676', '#ffffff'), 4.54), `${contrast('#767676', '#ffffff')}`);
});

test('every status chip and every gap score is legible at WCAG AA', () => {
  const css = (style) => Object.fromEntries(style.split(';').map((d) => d.split(':')));
  for (const [status, colour] of PROJECT_STATUS_COLOURS) {
    const s = css(statusStyle(status));
    assert.equal(s.background, colour);
    assert.ok(contrast(s.background, s.color) >= 4.5, `${status}: ${s.color} on ${colour} is ${contrast(s.background, s.color).toFixed(2)}:1`);
  }
  for (let v = 0; v <= 100; v += 0.5) {
    const s = css(gapStyle(v));
    assert.equal(s.background, gapColour(v));
    assert.ok(contrast(s.background, s.color) >= 4.5, `gap ${v}: ${s.color} on ${s.background}`);
  }
  assert.equal(inkOn('#80cbc4'), '#000000');
  assert.equal(inkOn('#3949ab'), '#ffffff');
});
