// Unit tests of the 数据不足 class of the village layers (static/map.js,
// static/format.js): MapLibre's own expression engine (its style-spec
// package) evaluates the colour and the filters on village features as the
// tiles carry them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createExpression, featureFilter, latest } from '@maplibre/maplibre-gl-style-spec';
import { gapExpression, villageFilters, style, LAYER_GROUPS } from '../static/map.js';
import { NO_DATA_COLOUR, RAMP, hatchImage, isUnknown } from '../static/format.js';

const village = (props, type = 'Point') => ({ type: type === 'Point' ? 1 : 3, properties: { is_poor: true, township: '甲镇', ...props }, geometry: [] });

function colour(dim, props) {
  const e = createExpression(gapExpression(dim), 'layers.villages-point.paint.circle-color', latest.paint_circle['circle-color']);
  assert.equal(e.result, 'success', JSON.stringify(e.value));
  const c = e.value.evaluate({ zoom: 10 }, village(props));
  return `#${[c.r, c.g, c.b].map((v) => Math.round(v * 255).toString(16).padStart(2, '0')).join('')}`;
}

function passes(filter, props, type) {
  return featureFilter(filter, 'layers.villages.filter').filter({ zoom: 12 }, village(props, type));
}

test('a null gap and a gap resting mostly on missing data are grey, a measured one is on the ramp', () => {
  assert.equal(colour('通路', { gap_road: null, unknown: '通路,综合' }), NO_DATA_COLOUR);
  assert.equal(colour('通路', { unknown: '通路' }), NO_DATA_COLOUR); // MVT drops null properties
  // 饮水 100 on 80 % missing data: not the red of a measured failure.
  assert.equal(colour('饮水', { gap_water: 100, unknown: '饮水' }), NO_DATA_COLOUR);
  assert.equal(colour('饮水', { gap_water: 100, unknown: '通路' }), RAMP[RAMP.length - 1][1]);
  assert.equal(colour('综合', { composite: 0 }), RAMP[0][1]);
});

test('the hatched layers hold exactly the 数据不足 villages of the chosen dimension, within the filters', () => {
  const f = villageFilters('', false, '饮水');
  assert.ok(passes(f['villages-unknown-point'], { gap_water: 100, unknown: '饮水' }));
  assert.ok(passes(f['villages-unknown-point'], { unknown: '通路,饮水,综合' }));
  assert.ok(!passes(f['villages-unknown-point'], { gap_water: 100, unknown: '通路' }));
  assert.ok(!passes(f['villages-unknown-point'], { gap_water: 100 }));
  assert.ok(passes(f['villages-unknown-fill'], { unknown: '饮水' }, 'Polygon'));
  assert.ok(!passes(f['villages-unknown-fill'], { unknown: '饮水' }, 'Point'));
  // The township and poor-only filters apply to the hatching too.
  const narrow = villageFilters('乙镇', true, '饮水');
  assert.ok(!passes(narrow['villages-unknown-point'], { unknown: '饮水' }));
  const composite = villageFilters('', false, '综合');
  assert.ok(passes(composite['villages-unknown-point'], { unknown: '综合' }));
  assert.ok(!passes(composite['villages-unknown-point'], { unknown: '饮水' }));
});

test('the style draws the hatching with images the map can add, in the village toggle', () => {
  const s = style({ tiles: ['/tiles/all/{z}/{x}/{y}.mvt'] }, null, '综合');
  const byId = Object.fromEntries(s.layers.map((l) => [l.id, l]));
  assert.equal(byId['villages-unknown-fill'].paint['fill-pattern'], 'unknown-hatch');
  assert.equal(byId['villages-unknown-point'].layout['icon-image'], 'unknown-dot');
  const ids = s.layers.map((l) => l.id);
  assert.ok(ids.indexOf('villages-unknown-point') > ids.indexOf('villages-point'), 'the hatched dots are drawn over the plain ones');
  const group = LAYER_GROUPS.find((g) => g.id === 'villages');
  assert.ok(group.layers.includes('villages-unknown-fill') && group.layers.includes('villages-unknown-point'));
});

test('hatchImage is grey with dark diagonal lines, and a disc when round', () => {
  const img = hatchImage(8);
  assert.equal(img.data.length, 8 * 8 * 4);
  const px = (im, x, y) => Array.from(im.data.slice((y * im.width + x) * 4, (y * im.width + x) * 4 + 4));
  const colours = new Set();
  for (let y = 0; y < 8; y++) for (let x = 0; x < 8; x++) colours.add(px(img, x, y).join());
  assert.equal(colours.size, 2, `two colours, got ${[...colours]}`);
  assert.deepEqual(px(img, 1, 2), px(img, 2, 1), 'lines run diagonally');
  const dot = hatchImage(32, true);
  assert.equal(px(dot, 0, 0)[3], 0, 'corners of the dot are transparent');
  assert.equal(px(dot, 16, 16)[3], 255);
});

test('isUnknown reads the tiles\' text and the API\'s list', () => {
  assert.ok(isUnknown('通路,饮水', '饮水'));
  assert.ok(isUnknown(['综合'], '综合'));
  assert.ok(!isUnknown(null, '饮水'));
  assert.ok(!isUnknown('', '饮水'));
  assert.ok(!isUnknown(['通路'], '饮水'));
});
