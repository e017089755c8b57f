// One WebGL program per kind of layer.
//
// MapLibre compiles a program for each layer type and for each way the
// layer gives its data-driven paint properties: as a uniform (a constant,
// or a function of the zoom alone), as an attribute (a function of the
// feature) or as a pair of attributes (of the feature and the zoom). The
// style mixed the three, so the demo's first view linked 12 programs and
// the first click on a village 10 more (MapLibre's program cache, counted in
// Chromium). Each link is a wait of 10–130 ms on a PC without a GPU, and the
// click's came just as the village panel opened.
//
// SHARED fixes, per layer type, how every layer gives the properties that
// any layer of the type gives by feature. sharePaint writes a layer's paint
// that way with the same values, so the map draws the same and links one
// program per kind of layer (line, dashed line, fill, pattern, circle …).

/**
 * SHARED is how every layer of a type gives these paint properties: by the
 * feature, or by the feature and the zoom. A property not listed is given as
 * a uniform (a constant, or by zoom) in every layer of its type; the test
 * (test/shaders.test.mjs) checks that against the whole style.
 */
export const SHARED = {
  line: { 'line-color': 'feature', 'line-width': 'zoom-and-feature' },
  fill: { 'fill-color': 'feature', 'fill-outline-color': 'feature' },
  circle: { 'circle-color': 'feature', 'circle-radius': 'feature', 'circle-stroke-color': 'feature', 'circle-stroke-width': 'feature' },
};

/**
 * DEFAULTS are the style specification's defaults of SHARED's properties,
 * for the layers that leave one unset (the test checks them against the
 * specification). fill-outline-color has none: unset, it is the fill's
 * colour, which SHARED gives by feature too.
 */
export const DEFAULTS = {
  'line-color': '#000000', 'line-width': 1,
  'fill-color': '#000000',
  'circle-color': '#000000', 'circle-radius': 5, 'circle-stroke-color': '#000000', 'circle-stroke-width': 0,
};

// The expression operators whose value depends on the feature.
const FEATURE_OPS = new Set(['get', 'has', 'feature-state', 'geometry-type', 'id', 'properties']);
const ZOOM_OPS = new Set(['zoom']);

/** uses reports whether expression v calls one of ops (literals are data, not calls). */
function uses(v, ops) {
  if (!Array.isArray(v) || v[0] === 'literal') return false;
  return ops.has(v[0]) || v.some((x) => uses(x, ops));
}

// byFeature gives v by feature: a test of the feature whose answer does not
// matter, both branches being v. MapLibre cannot tell it returns v always.
const byFeature = (v) => (uses(v, FEATURE_OPS) ? v : ['case', ['has', 'gapmap:shared'], v, v]);

/** byZoomAndFeature gives v by the feature and the zoom, with the same values. */
function byZoomAndFeature(v) {
  if (!uses(v, ZOOM_OPS)) return ['step', ['zoom'], byFeature(v), 24, byFeature(v)];
  if (uses(v, FEATURE_OPS)) return v;
  // By zoom alone: MapLibre allows the zoom only as the input of the
  // outermost interpolate or step, whose outputs are then given by feature.
  const first = { interpolate: 4, step: 2 }[v[0]];
  if (!first) throw new Error(`shaders: cannot give ${JSON.stringify(v)} by zoom and feature`);
  return v.map((x, i) => (i >= first && (i - first) % 2 === 0 ? byFeature(x) : x));
}

/** paintValue is v, layer type's paint property prop, given the way SHARED says. */
export function paintValue(type, prop, v) {
  const how = SHARED[type]?.[prop];
  if (!how) return v;
  if (how === 'zoom-and-feature') return byZoomAndFeature(v);
  if (uses(v, ZOOM_OPS)) throw new Error(`shaders: ${type} ${prop} is given by zoom; SHARED must give it by zoom and feature`);
  return byFeature(v);
}

/** sharePaint is layer with its paint given the way SHARED says for its type. */
export function sharePaint(layer) {
  const shared = SHARED[layer.type];
  if (!shared) return layer;
  const paint = { ...layer.paint };
  for (const prop of Object.keys(shared)) {
    const v = paint[prop] ?? DEFAULTS[prop];
    if (v !== undefined) paint[prop] = paintValue(layer.type, prop, v);
  }
  return { ...layer, paint };
}
