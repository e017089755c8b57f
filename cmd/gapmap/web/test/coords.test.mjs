// Unit tests of the coordinate readout's formats (static/coords.js): 度分秒
// with its hemisphere, including the rounding that carries 59.99995″ into
// the minute and 59′ into the degree, and decimal degrees.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dms, decimal, dmsPair } from '../static/coords.js';

// deg builds decimal degrees from 度, 分, 秒 as written (the table's oracle).
const deg = (d, m, s) => d + m / 60 + s / 3600;

test('dms writes 度分秒 to 0.1″ with the hemisphere', () => {
  const cases = [
    // [value, axis, want]
    [deg(113, 12, 34.5), 'lon', '113°12′34.5″E'],
    [deg(29, 28, 34), 'lat', '29°28′34.0″N'],
    [deg(113, 2, 4.5), 'lon', '113°02′04.5″E'],
    [-deg(33, 51, 24.48), 'lat', '33°51′24.5″S'],
    [-deg(0, 30, 0), 'lon', '0°30′00.0″W'],
    [0, 'lon', '0°00′00.0″E'],
    [0, 'lat', '0°00′00.0″N'],
    [deg(29, 0, 0.04), 'lat', '29°00′00.0″N'],
    [deg(29, 0, 0.06), 'lat', '29°00′00.1″N'],
    // Rounding carries: seconds into the minute, minutes into the degree.
    [deg(113, 12, 59.99995), 'lon', '113°13′00.0″E'],
    [deg(113, 12, 59.96), 'lon', '113°13′00.0″E'],
    [deg(113, 12, 59.94), 'lon', '113°12′59.9″E'],
    [deg(12, 59, 59.99995), 'lat', '13°00′00.0″N'],
    [-deg(12, 59, 59.96), 'lat', '13°00′00.0″S'],
    [deg(179, 59, 59.99), 'lon', '180°00′00.0″E'],
    [deg(90, 0, 0), 'lat', '90°00′00.0″N'],
  ];
  for (const [v, axis, want] of cases) assert.equal(dms(v, axis), want, `dms(${v}, ${axis})`);
});

test('decimal and dmsPair put longitude first', () => {
  const p = [deg(113, 12, 34.5), deg(29, 28, 34)];
  assert.equal(decimal(p), '113.209583, 29.476111');
  assert.equal(dmsPair(p), '113°12′34.5″E 29°28′34.0″N');
  assert.equal(decimal([-70.5, -33.25]), '-70.500000, -33.250000');
});
