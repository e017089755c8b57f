// The map: the style of every layer, the dimension colouring, the village
// filters and the overlays the panels draw (explaining geometry, the chosen
// village, the chosen project).
import { RAMP, NO_DATA_COLOUR, hatchImage, inkOn } from './format.js';
import { paintValue, sharePaint } from './shaders.js';

/** DIMENSIONS maps each selectable dimension to its field in the village tiles. */
export const DIMENSIONS = { 综合: 'composite', 通路: 'gap_road', 饮水: 'gap_water', 农网: 'gap_grid', 光伏: 'gap_pv' };

export const PROJECT_STATUS_COLOURS = [
  ['需求摸底', '#9e9e9e'], ['村级申报', '#80cbc4'], ['乡镇审核', '#4db6ac'], ['县级论证', '#26a69a'],
  ['县级审定', '#00897b'], ['已入库', '#1e88e5'], ['纳入年度计划', '#3949ab'], ['实施中', '#fb8c00'],
  ['已完工', '#43a047'], ['已验收', '#2e7d32'], ['绩效评价', '#1b5e20'], ['已出库', '#6d4c41'],
];

/** statusStyle is the CSS of a project status chip: the status's colour, with legible text on it. */
export function statusStyle(status) {
  const bg = PROJECT_STATUS_COLOURS.find(([s]) => s === status)?.[1] || '#9e9e9e';
  return `background:${bg};color:${inkOn(bg)}`;
}

/**
 * PROPOSED are the states before 已入库: a proposal, not yet a project the
 * county has approved. Their lines are dashed and every project line has a
 * dark casing, so that no project reads as a built road.
 */
export const PROPOSED = ['需求摸底', '村级申报', '乡镇审核', '县级论证', '县级审定'];

export const SURFACE_COLOURS = [['沥青', '#3a3a3a'], ['水泥', '#8a8a8a'], ['砂石', '#d08c2c'], ['土', '#8c510a']];
export const VOLTAGE_COLOURS = [[110, '#7b1fa2', '110 kV 及以上'], [35, '#c2185b', '35 kV'], [10, '#f57c00', '10 kV'], [0, '#fbc02d', '0.4 kV 及以下']];

/**
 * unknownFor is true for a village whose dim gap the tiles list in
 * "unknown" (数据不足: no data, or resting mostly on missing data).
 */
export function unknownFor(dim) {
  return ['in', dim, ['coalesce', ['get', 'unknown'], '']];
}

/** gapExpression colours a village by the field of dimension dim; a 数据不足 gap is grey, whatever its number. */
export function gapExpression(dim) {
  const field = DIMENSIONS[dim];
  return ['case', unknownFor(dim), NO_DATA_COLOUR, ['==', ['typeof', ['get', field]], 'number'],
    ['interpolate', ['linear'], ['get', field], ...RAMP.flat()], NO_DATA_COLOUR];
}

/** HATCH_IMAGES are the 数据不足 patterns the village layers draw, by image id, made on demand. */
export const HATCH_IMAGES = {
  'unknown-hatch': () => hatchImage(8), // fill-pattern of village outlines
  'unknown-dot': () => hatchImage(32, true), // icon over village dots
};

/** addHatchImages adds the 数据不足 patterns when the map asks for them. */
export function addHatchImages(map) {
  map.on('styleimagemissing', (e) => {
    const make = HATCH_IMAGES[e.id];
    if (make && !map.hasImage(e.id)) map.addImage(e.id, make(), { pixelRatio: 2 });
  });
}

const isPoint = ['==', ['geometry-type'], 'Point'];
const isPolygon = ['==', ['geometry-type'], 'Polygon'];
const unpaved = ['match', ['get', 'surface'], ['土', '砂石'], true, false];
const proposed = ['match', ['get', 'status'], PROPOSED, true, false];

/** PROJECT_LAYERS are the map layers of the 项目库, the ones a click on a project hits. */
export const PROJECT_LAYERS = ['projects-casing', 'projects-line', 'projects-line-proposed', 'projects-point'];

/**
 * LAYER_GROUPS are the toggles of the layer list: a Chinese name, the map
 * layers it switches, whether it starts on, and the zoom the tiles show it
 * from (the tile server's choice).
 */
export const LAYER_GROUPS = [
  { id: 'villages', name: '村（按缺口着色）', layers: ['villages-fill', 'villages-unknown-fill', 'villages-outline', 'villages-point', 'villages-unknown-point', 'villages-label'], on: true, minzoom: 8 },
  { id: 'townships', name: '乡镇界', layers: ['townships-line', 'township-labels'], on: true, minzoom: 7 },
  { id: 'roads', name: '道路（按路面、等级）', layers: ['roads-casing', 'roads', 'roads-unpaved'], on: true, minzoom: 7 },
  { id: 'power', name: '电力线路（按电压）', layers: ['power_lines', 'substations', 'transformers'], on: false, minzoom: 8 },
  { id: 'water', name: '供水工程、管网、水库', layers: ['reservoirs', 'water_mains', 'water_works'], on: true, minzoom: 8 },
  { id: 'pv', name: '光伏电站', layers: ['pv_stations'], on: true, minzoom: 10 },
  { id: 'tourism', name: '旅游景点', layers: ['tourism_sites'], on: false, minzoom: 9 },
  { id: 'projects', name: '项目库（按状态）', layers: PROJECT_LAYERS, on: false, minzoom: 8 },
  { id: 'bus', name: '客运站点', layers: ['bus_stops'], on: false, minzoom: 12 },
  { id: 'bridges', name: '桥梁（危桥为红色）', layers: ['bridges'], on: false, minzoom: 12 },
];

const match = (field, pairs, fallback) => ['match', ['get', field], ...pairs.flatMap(([k, v]) => [k, v]), fallback];

/**
 * enableOnLoad keeps a map control's button disabled until map has loaded
 * its style: the field tools add sources and layers, which MapLibre refuses
 * before. app.js adds the controls right after creating the map.
 */
export function enableOnLoad(map, button) {
  button.disabled = true;
  map.once('load', () => { button.disabled = false; });
}

/** BASEMAP_BEFORE is the layer the basemap's layers go under: the first of the data's. */
export const BASEMAP_BEFORE = 'county-fill';

/** countyFillOpacity is the county's white wash: it hides a bare background, never a basemap. */
export const countyFillOpacity = (hasBasemap) => (hasBasemap ? 0 : 0.7);

/**
 * vectorSource is the map's vector source with its TileJSON inline. Given
 * the TileJSON's URL instead, MapLibre fetches what the page already has,
 * and asks for tiles only in a frame after that answer; inline, its first
 * frame asks for them, before it waits on the GPU to compile its shaders
 * (traced without a GPU: the tiles went out 0.8 s later by URL).
 */
export function vectorSource(tilejson) {
  const keys = ['tiles', 'bounds', 'minzoom', 'maxzoom', 'attribution', 'scheme'];
  return { type: 'vector', ...Object.fromEntries(keys.filter((k) => tilejson[k] !== undefined).map((k) => [k, tilejson[k]])) };
}

/**
 * style returns the whole MapLibre style on the data's TileJSON; basemap
 * is the {sources, layers} of basemap.js basemapParts, or null. Its layers
 * share their WebGL programs (shaders.js).
 */
export function style(tilejson, basemap, dim) {
  const s = plainStyle(tilejson, basemap, dim);
  return { ...s, layers: s.layers.map(sharePaint) };
}

/**
 * plainStyle is style with each layer's paint as written here; the test of
 * shaders.js checks that style's layers draw the same values.
 */
export function plainStyle(tilejson, basemap, dim) {
  const groups = Object.fromEntries(LAYER_GROUPS.flatMap((g) => g.layers.map((l) => [l, g.on])));
  const vis = (id) => ({ visibility: groups[id] === false ? 'none' : 'visible' });
  const L = (id, type, sourceLayer, paint, extra = {}) => ({
    id, type, source: 'gapmap', 'source-layer': sourceLayer, paint, ...extra,
    layout: { ...vis(id), ...(extra.layout || {}) },
  });
  const gap = gapExpression(dim);
  const voltage = ['step', ['get', 'voltage_kv'], VOLTAGE_COLOURS[3][1], 10, VOLTAGE_COLOURS[2][1], 35, VOLTAGE_COLOURS[1][1], 110, VOLTAGE_COLOURS[0][1]];
  const projectColour = match('status', PROJECT_STATUS_COLOURS, '#9e9e9e');
  const sources = {
    // Feature ids are the rows' ids: ST_AsMVT writes them as the MVT feature id (not a property).
    gapmap: vectorSource(tilejson),
    explain: { type: 'geojson', data: empty() },
    selected: { type: 'geojson', data: empty() },
    project: { type: 'geojson', data: empty() },
    'explain-labels': { type: 'geojson', data: empty() },
    'township-labels': { type: 'geojson', data: empty() },
    'village-labels': { type: 'geojson', data: empty() },
  };
  const layers = [{ id: 'background', type: 'background', paint: { 'background-color': '#e9ece5' } }];
  if (basemap) {
    Object.assign(sources, basemap.sources);
    layers.push(...basemap.layers);
  }
  layers.push(
    L(BASEMAP_BEFORE, 'fill', 'county', { 'fill-color': '#ffffff', 'fill-opacity': countyFillOpacity(Boolean(basemap)) }),
    L('reservoirs', 'fill', 'reservoirs', { 'fill-color': '#7fb3e0', 'fill-outline-color': '#3d7fbf' }),
    L('villages-fill', 'fill', 'villages', { 'fill-color': gap, 'fill-opacity': ['interpolate', ['linear'], ['zoom'], 11, 0.55, 14, 0.3] }, { filter: isPolygon }),
    // 数据不足 is hatched over its grey so that it never reads as a colour of the ramp.
    L('villages-unknown-fill', 'fill', 'villages', { 'fill-pattern': 'unknown-hatch', 'fill-opacity': 0.6 },
      { filter: villageFilters('', false, dim)['villages-unknown-fill'] }),
    L('villages-outline', 'line', 'villages', {
      'line-color': ['case', ['boolean', ['feature-state', 'selected'], false], '#000000', '#777777'],
      'line-width': ['case', ['boolean', ['feature-state', 'selected'], false], 3, 0.5],
    }, { filter: isPolygon }),
    L('townships-line', 'line', 'townships', { 'line-color': '#6a3d9a', 'line-width': 1.2, 'line-dasharray': [3, 2] }),
    L('county-line', 'line', 'county', { 'line-color': '#333333', 'line-width': 2 }),
    L('water_mains', 'line', 'water_mains', { 'line-color': '#1f78b4', 'line-width': ['interpolate', ['linear'], ['coalesce', ['get', 'diameter_mm'], 50], 50, 1, 300, 3] }),
    L('roads-casing', 'line', 'roads', { 'line-color': '#ffffff', 'line-width': roadWidth(1.5) }, { filter: ['match', ['get', 'grade'], ['高速', '国道', '省道', '县道'], true, false] }),
    L('roads', 'line', 'roads', { 'line-color': match('surface', SURFACE_COLOURS, '#999999'), 'line-width': roadWidth() },
      { filter: ['!', unpaved] }),
    // Unpaved roads are what 通路 projects harden: dashed so they stand out.
    L('roads-unpaved', 'line', 'roads', { 'line-color': match('surface', SURFACE_COLOURS, '#999999'), 'line-width': roadWidth(), 'line-dasharray': [2, 1.5] },
      { filter: unpaved }),
    L('power_lines', 'line', 'power_lines', { 'line-color': voltage, 'line-width': ['step', ['get', 'voltage_kv'], 0.6, 10, 1.2, 35, 2, 110, 3] }),
    // A project is drawn over a dark casing, dashed while it is only proposed: never like a road's solid grey.
    L('projects-casing', 'line', 'projects', { 'line-color': '#212121', 'line-width': 7, 'line-opacity': 0.9 }, { filter: ['!', isPoint] }),
    L('projects-line', 'line', 'projects', { 'line-color': projectColour, 'line-width': 4 }, { filter: ['all', ['!', isPoint], ['!', proposed]] }),
    L('projects-line-proposed', 'line', 'projects', { 'line-color': projectColour, 'line-width': 4, 'line-dasharray': [1.5, 1] },
      { filter: ['all', ['!', isPoint], proposed] }),
    L('projects-point', 'circle', 'projects', {
      'circle-color': projectColour, 'circle-radius': 5, 'circle-stroke-color': '#212121', 'circle-stroke-width': ['case', proposed, 1, 2],
    }, { filter: isPoint }),
    L('substations', 'circle', 'substations', { 'circle-color': '#7b1fa2', 'circle-radius': 5, 'circle-stroke-color': '#fff', 'circle-stroke-width': 1 }),
    L('transformers', 'circle', 'transformers', { 'circle-color': '#f57c00', 'circle-radius': 3 }),
    L('water_works', 'circle', 'water_works', { 'circle-color': '#08519c', 'circle-radius': 5, 'circle-stroke-color': '#fff', 'circle-stroke-width': 1 }),
    L('pv_stations', 'circle', 'pv_stations', { 'circle-color': '#ffd600', 'circle-radius': 5, 'circle-stroke-color': '#6d5d00', 'circle-stroke-width': 1 }),
    L('tourism_sites', 'circle', 'tourism_sites', { 'circle-color': '#d81b60', 'circle-radius': 5, 'circle-stroke-color': '#fff', 'circle-stroke-width': 1 }),
    L('bus_stops', 'circle', 'bus_stops', { 'circle-color': '#00897b', 'circle-radius': 3.5, 'circle-stroke-color': '#fff', 'circle-stroke-width': 1 }),
    L('bridges', 'circle', 'bridges', { 'circle-color': ['case', ['get', 'is_dangerous'], '#e53935', '#546e7a'], 'circle-radius': 4 }),
    L('villages-point', 'circle', 'villages', {
      'circle-color': gap,
      'circle-radius': ['case', ['get', 'is_poor'], 7, 4],
      'circle-stroke-color': ['case', ['boolean', ['feature-state', 'selected'], false], '#000000', ['get', 'is_poor'], '#222222', '#ffffff'],
      'circle-stroke-width': ['case', ['boolean', ['feature-state', 'selected'], false], 3, ['get', 'is_poor'], 1.5, 0.8],
    }, { filter: isPoint, layout: { 'circle-sort-key': ['case', ['get', 'is_poor'], 1, 0] } }),
    // The dots of 数据不足 villages, hatched: an icon (a circle cannot take a pattern) as large as the dot.
    L('villages-unknown-point', 'symbol', 'villages', {}, {
      filter: villageFilters('', false, dim)['villages-unknown-point'],
      layout: {
        'icon-image': 'unknown-dot', 'icon-size': ['case', ['get', 'is_poor'], 14 / 16, 8 / 16],
        'icon-allow-overlap': true, 'icon-ignore-placement': true, 'symbol-sort-key': ['case', ['get', 'is_poor'], 1, 0],
      },
    }),
    {
      id: 'explain-line', type: 'line', source: 'explain', filter: ['!', isPoint],
      paint: { 'line-color': ['match', ['get', 'status'], 'fail', '#c62828', 'pass', '#2e7d32', '#555555'], 'line-width': 4, 'line-dasharray': [2, 1] },
    },
    {
      id: 'explain-point', type: 'circle', source: 'explain', filter: isPointish(),
      paint: { 'circle-color': '#ffffff', 'circle-radius': 6, 'circle-stroke-width': 3, 'circle-stroke-color': ['match', ['get', 'status'], 'fail', '#c62828', 'pass', '#2e7d32', '#555555'] },
    },
    { id: 'selected-outline', type: 'line', source: 'selected', paint: { 'line-color': '#000000', 'line-width': 2.5 } },
    { id: 'project-line', type: 'line', source: 'project', filter: ['!', isPoint], paint: { 'line-color': '#ff6f00', 'line-width': 7, 'line-opacity': 0.85 } },
    { id: 'project-point', type: 'circle', source: 'project', filter: isPoint, paint: { 'circle-color': '#ff6f00', 'circle-radius': 9, 'circle-stroke-color': '#fff', 'circle-stroke-width': 2 } },
    // Labels come from the 村委会 points, not the tiles: a village outline cut
    // by tile edges would be labelled once per piece.
    {
      id: 'villages-label', type: 'symbol', source: 'village-labels', paint: { 'text-color': '#1a1a1a', 'text-halo-color': '#ffffff', 'text-halo-width': 1.5 },
      filter: ['any', ['>=', ['zoom'], 11], ['get', 'is_poor']],
      layout: { ...vis('villages-label'), 'text-field': ['get', 'name'], 'text-size': ['case', ['get', 'is_poor'], 13, 11], 'text-offset': [0, 1.1], 'text-anchor': 'top', 'text-optional': true },
    },
    {
      id: 'township-labels', type: 'symbol', source: 'township-labels', maxzoom: 12, layout: { 'text-field': ['get', 'name'], 'text-size': 14, 'text-letter-spacing': 0.2 },
      paint: { 'text-color': '#4a2a78', 'text-halo-color': '#ffffff', 'text-halo-width': 2, 'text-opacity': 0.85 },
    },
    {
      id: 'explain-label', type: 'symbol', source: 'explain-labels',
      layout: { 'text-field': ['get', 'label'], 'text-size': 12, 'text-offset': [0, -1.3], 'text-max-width': 14 },
      paint: { 'text-color': '#b71c1c', 'text-halo-color': '#fff', 'text-halo-width': 2 },
    },
  );
  return { version: 8, name: 'gapmap 审核图', sources, layers };
}

// roadWidth widens roads by grade and zoom; casing adds px on both sides.
function roadWidth(casing = 0) {
  const w = (pairs, other) => match('grade', pairs.map(([g, v]) => [g, v + casing]), other + casing);
  return ['interpolate', ['linear'], ['zoom'],
    8, w([['高速', 2.5], ['国道', 2.2], ['省道', 2], ['县道', 1.6], ['乡道', 1.2], ['村道', 0.8]], 0.5),
    14, w([['高速', 6], ['国道', 5], ['省道', 4.5], ['县道', 4], ['乡道', 3], ['村道', 2.2]], 1.5)];
}

function isPointish() {
  return ['match', ['geometry-type'], ['Point', 'MultiPoint'], true, false];
}

export function empty() {
  return { type: 'FeatureCollection', features: [] };
}

/** villageFilter keeps the villages of township (name, '' for all) and, if poorOnly, the poor ones. */
export function villageFilter(township, poorOnly) {
  const f = ['all'];
  if (township) f.push(['==', ['get', 'township'], township]);
  if (poorOnly) f.push(['==', ['get', 'is_poor'], true]);
  return f;
}

/** villageFilters are the filters of every village layer by id: township, poor-only and, on the hatched layers, dim's 数据不足. */
export function villageFilters(township, poorOnly, dim) {
  const f = villageFilter(township, poorOnly);
  return {
    'villages-point': ['all', isPoint, f],
    'villages-unknown-point': ['all', isPoint, f, unknownFor(dim)],
    'villages-fill': ['all', isPolygon, f],
    'villages-unknown-fill': ['all', isPolygon, f, unknownFor(dim)],
    'villages-outline': ['all', isPolygon, f],
    'villages-label': ['all', ['any', ['>=', ['zoom'], 11], ['get', 'is_poor']], f],
  };
}

/** applyVillageFilter sets the township, poor-only and dim's 数据不足 filters on every village layer. */
export function applyVillageFilter(map, township, poorOnly, dim) {
  for (const [id, f] of Object.entries(villageFilters(township, poorOnly, dim))) map.setFilter(id, f);
}

/** setDimension recolours the villages by dim and hatches its 数据不足 ones. */
export function setDimension(map, dim, township, poorOnly) {
  map.setPaintProperty('villages-point', 'circle-color', paintValue('circle', 'circle-color', gapExpression(dim)));
  map.setPaintProperty('villages-fill', 'fill-color', paintValue('fill', 'fill-color', gapExpression(dim)));
  applyVillageFilter(map, township, poorOnly, dim);
}

/**
 * watchLoading shows box (正在加载地图…) while the map loads tiles or
 * sources and marks the map aria-busy; 'idle' (every tile loaded or
 * failed) hides it. It shows only after a moment, so that a pan served
 * from the cache does not flicker.
 */
export function watchLoading(map, box) {
  const container = map.getContainer();
  let timer = null;
  map.on('dataloading', () => {
    container.setAttribute('aria-busy', 'true');
    if (timer === null && box.hidden) timer = setTimeout(() => { timer = null; box.hidden = map.loaded() && map.areTilesLoaded(); }, 200);
  });
  map.on('idle', () => {
    clearTimeout(timer);
    timer = null;
    box.hidden = true;
    container.removeAttribute('aria-busy');
  });
}

/** bbox of GeoJSON geometries as [[w, s], [e, n]], or null when empty. */
export function bbox(geoms) {
  let w = Infinity; let s = Infinity; let e = -Infinity; let n = -Infinity;
  const walk = (c) => {
    if (typeof c[0] === 'number') {
      w = Math.min(w, c[0]); e = Math.max(e, c[0]); s = Math.min(s, c[1]); n = Math.max(n, c[1]);
    } else c.forEach(walk);
  };
  for (const g of geoms) {
    if (!g) continue;
    if (g.type === 'GeometryCollection') g.geometries.forEach((x) => walk(x.coordinates));
    else walk(g.coordinates);
  }
  return w === Infinity ? null : [[w, s], [e, n]];
}
