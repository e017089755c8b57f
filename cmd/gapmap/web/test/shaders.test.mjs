// Unit tests of static/shaders.js: every layer of a type gives its
// data-driven paint properties the same way (so MapLibre links one WebGL
// program per kind of layer), with the values the style wrote. MapLibre's
// own expression engine (its style-spec package) is the oracle: it says how
// each value is given (its kind) and evaluates both forms on random
// features at random zooms.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPropertyExpression, latest } from '@maplibre/maplibre-gl-style-spec';
import { DIMENSIONS, plainStyle, style } from '../static/map.js';
import { rulerLayers } from '../static/ruler.js';
import { DEFAULTS, SHARED, sharePaint } from '../static/shaders.js';

const TILEJSON = { tiles: ['/tiles/all/{z}/{x}/{y}.mvt'] };
const BASEMAP = { sources: { tdt: { type: 'raster', tiles: ['https://t0.example/{z}/{x}/{y}'], tileSize: 256 } }, layers: [{ id: 'tdt', type: 'raster', source: 'tdt' }] };

/** styles are the page's layers in every dimension, with and without a basemap: the written ones and the shared ones. */
function styles() {
  const out = [];
  for (const dim of Object.keys(DIMENSIONS)) {
    for (const basemap of [null, BASEMAP]) {
      out.push({ name: `${dim}${basemap ? '+底图' : ''}`, plain: [...plainStyle(TILEJSON, basemap, dim).layers, ...rulerLayers()], shared: [...style(TILEJSON, basemap, dim).layers, ...rulerLayers().map(sharePaint)] });
    }
  }
  return out;
}

const spec = (type, prop) => latest[`paint_${type}`]?.[prop];

/** expression parses a layer's paint property as MapLibre does; an unset one is its default, an unset fill outline the fill's colour. */
function expression(layer, prop) {
  let v = layer.paint?.[prop];
  if (v === undefined && prop === 'fill-outline-color') v = layer.paint?.['fill-color'] ?? spec('fill', 'fill-color').default;
  const e = createPropertyExpression(v === undefined ? spec(layer.type, prop).default : v, `layers.${layer.id}.paint.${prop}`, spec(layer.type, prop));
  assert.equal(e.result, 'success', `${layer.id} ${prop}: ${JSON.stringify(e.value)}`);
  return e.value;
}

// How MapLibre binds a value in the program: a uniform for a constant or a
// function of zoom, attributes for a function of the feature (and zoom).
const binding = { constant: 'uniform', camera: 'uniform', source: 'feature', composite: 'zoom-and-feature' };

test('SHARED and DEFAULTS agree with the style specification', () => {
  for (const [type, props] of Object.entries(SHARED)) {
    for (const prop of Object.keys(props)) {
      assert.equal(spec(type, prop)?.['property-type'], 'data-driven', `${type} ${prop}`);
      if (spec(type, prop).default === undefined) assert.ok(!(prop in DEFAULTS), `${prop} has no default in the specification`);
      else assert.deepEqual(DEFAULTS[prop], spec(type, prop).default, prop);
    }
  }
});

test('every layer of a type gives each data-driven paint property the same way', () => {
  for (const { name, plain, shared } of styles()) {
    const linked = (layers) => {
      const ways = new Map(); // type prop → the set of ways its layers give it
      for (const l of layers) {
        for (const [prop, s] of Object.entries(latest[`paint_${l.type}`] || {})) {
          if (s['property-type'] !== 'data-driven') continue; // the others are never, or always, attributes
          const k = `${l.type} ${prop}`;
          if (!ways.has(k)) ways.set(k, new Set());
          ways.get(k).add(binding[expression(l, prop).kind]);
        }
      }
      return ways;
    };
    for (const [k, ways] of linked(shared)) assert.equal(ways.size, 1, `${name}: ${k} is given ${[...ways].join(' and ')}`);
    // The written style mixes them: the test would pass without sharePaint otherwise.
    assert.ok([...linked(plain).values()].some((w) => w.size > 1), `${name}: the written style gives every property one way`);
  }
});

test('the shared layers draw the values the style wrote, on random features at random zooms', () => {
  const seed = Number(process.env.SEED || Date.now() % 100000);
  let x = seed;
  const rand = () => ((x = (x * 1103515245 + 12345) % 2147483648) / 2147483648);
  const pick = (xs) => xs[Math.floor(rand() * xs.length)];
  // The features carry every property the style reads, with the values it
  // names (every string it holds), numbers, booleans, or nothing.
  const { plain, shared } = styles()[0];
  const names = new Set();
  const strings = new Set();
  JSON.stringify(plain, (k, v) => {
    if (Array.isArray(v) && v[0] === 'get' && typeof v[1] === 'string') names.add(v[1]);
    if (typeof v === 'string') strings.add(v);
    return v;
  });
  const value = () => pick([() => undefined, () => rand() < 0.5, () => Math.round(rand() * 400 * 10) / 10, () => pick([...strings])])();
  let checked = 0;
  for (let i = 0; i < 300; i++) {
    const props = {};
    for (const n of names) props[n] = value();
    const feature = { type: pick([1, 2, 3]), id: i, properties: props, geometry: [] };
    const state = { selected: rand() < 0.5 };
    const zoom = rand() * 22;
    for (const [j, l] of plain.entries()) {
      assert.equal(shared[j].id, l.id);
      for (const prop of Object.keys(SHARED[l.type] || {})) {
        const a = expression(l, prop).evaluate({ zoom }, feature, state);
        const b = expression(shared[j], prop).evaluate({ zoom }, feature, state);
        const same = a === b || (typeof a === 'number' && Math.abs(a - b) < 1e-9) ||
          (a && b && typeof a === 'object' && ['r', 'g', 'b', 'a'].every((c) => Math.abs(a[c] - b[c]) < 1e-9));
        assert.ok(same, `seed ${seed}: ${l.id} ${prop} at zoom ${zoom} on ${JSON.stringify(props)}: ${JSON.stringify(a)} written, ${JSON.stringify(b)} shared`);
        checked++;
      }
    }
  }
  assert.ok(checked > 1000, `${checked} values checked`);
});
