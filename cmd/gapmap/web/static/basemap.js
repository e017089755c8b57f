// The basemap under the data: none by default, so the page works on a
// machine with no internet, or a choice the server's /config.json lists
// (天地图 矢量, 天地图 影像, a basemap of one's own). A choice without its
// tiles (天地图 before its key is configured) shows the server's hint and
// fetches nothing. The switch is a map control (BasemapControl).
//
// The map's longitude/latitude are CGCS2000 (≈ WGS84), as the data are.
// 天地图 is drawn in CGCS2000 too, so its tiles go on the map as they come,
// with no GCJ-02 shift; only a basemap the server marks crs "gcj02" is
// warped (gcj02.js).
import { gcjTileTransform, gcjSourceTiles } from './gcj02.js';
import { el } from './format.js';
import { BASEMAP_BEFORE, countyFillOpacity, enableOnLoad } from './map.js';

const TILE = 256;
const PREFIX = 'basemap-'; // of the basemap's source and layer ids
const REMEMBER = 'gapmap.basemap'; // localStorage key of the user's last choice

/** isBasemapSource is true for the id of a basemap's source: its tiles may fail offline without harm. */
export function isBasemapSource(id) {
  return typeof id === 'string' && id.startsWith(PREFIX);
}

/** usable is true for a basemap choice the page can draw (it has tiles). */
const usable = (b) => Boolean(b && b.tiles && b.tiles.length);

/**
 * firstBasemap is the basemap the map starts with: the user's last
 * choice if it is still usable ("" remembers 无底图), else the server's
 * default; null for none.
 */
export function firstBasemap(config) {
  const list = config.basemaps || [];
  let id = config.default_basemap || '';
  try {
    const kept = localStorage.getItem(REMEMBER);
    if (kept === '' || usable(list.find((b) => b.id === kept))) id = kept;
  } catch { /* storage off (private mode): the default */ }
  return list.find((b) => b.id === id && usable(b)) || null;
}

/**
 * basemapParts returns the MapLibre sources and layers of basemap b: one
 * raster source and layer per tile template, each over the previous (天地图:
 * the map, then its 注记). A GCJ-02 basemap goes through the gcj02://
 * protocol: each WGS84 tile the map asks for is composed from the GCJ-02
 * tiles under its shifted window, so the basemap lines up with the
 * CGCS2000 data without touching them.
 */
export function basemapParts(maplibregl, b) {
  const sources = {};
  const layers = [];
  b.tiles.forEach((tmpl, i) => {
    const id = `${PREFIX}${i}`;
    sources[id] = {
      type: 'raster', tileSize: TILE, maxzoom: b.maxzoom || 18, attribution: i === 0 ? b.attribution || '' : '',
      tiles: [b.crs === 'gcj02' ? gcjURL(maplibregl, tmpl) : tmpl],
    };
    // The map itself lets the background through a little; annotation is drawn as it comes.
    layers.push({ id, type: 'raster', source: id, paint: { 'raster-opacity': i === 0 ? 0.85 : 1 } });
  });
  return { sources, layers };
}

/** setBasemap replaces the map's basemap with b (null: none). */
export function setBasemap(map, maplibregl, b) {
  const style = map.getStyle();
  for (const l of style.layers) if (isBasemapSource(l.source)) map.removeLayer(l.id);
  for (const id of Object.keys(style.sources)) if (isBasemapSource(id)) map.removeSource(id);
  if (b) {
    const { sources, layers } = basemapParts(maplibregl, b);
    for (const [id, src] of Object.entries(sources)) map.addSource(id, src);
    for (const l of layers) map.addLayer(l, BASEMAP_BEFORE);
  }
  map.setPaintProperty(BASEMAP_BEFORE, 'fill-opacity', countyFillOpacity(Boolean(b)));
}

/**
 * BasemapControl is the map's 底图 button: it opens the list of choices,
 * 无底图 first. A choice without tiles is offered but refused with the
 * server's hint, which shows under the list. app.basemap is the id shown
 * ("" for none).
 */
export class BasemapControl {
  constructor(app, maplibregl, config, notice) {
    this.app = app;
    this.maplibregl = maplibregl;
    this.choices = [{ id: '', name: '无底图', tiles: [] }, ...(config.basemaps || [])];
    this.notice = notice;
    this.first = firstBasemap(config);
    app.basemap = this.first ? this.first.id : '';
  }

  /** firstParts are the sources and layers of the basemap the map starts with, for its style; null for none. */
  firstParts() {
    return this.first ? basemapParts(this.maplibregl, this.first) : null;
  }

  onAdd(map) {
    this.map = map;
    const hints = [...new Set(this.choices.filter((b) => b.id && !usable(b)).map((b) => b.hint).filter(Boolean))];
    this.list = el('div', { class: 'basemap-list', id: 'basemap-list', role: 'group', 'aria-label': '底图', hidden: true },
      this.choices.map((b) => el('button', {
        type: 'button', dataset: { basemap: b.id }, 'aria-pressed': String(b.id === this.app.basemap),
        'aria-disabled': b.id && !usable(b) ? 'true' : null, title: b.hint || null, onclick: () => this.choose(b),
      }, b.name)),
      hints.map((h) => el('p', { class: 'basemap-hint', id: 'basemap-hint' }, h)));
    this.button = el('button', {
      type: 'button', id: 'basemap-open', class: 'field-tool', 'aria-expanded': 'false', 'aria-controls': 'basemap-list',
      title: '选择底图', onclick: () => this.toggle(),
    }, '底图');
    enableOnLoad(map, this.button);
    this.root = el('div', { class: 'maplibregl-ctrl maplibregl-ctrl-group field-ctrl' }, this.button, this.list);
    return this.root;
  }

  onRemove() {
    this.root.remove();
  }

  toggle(open = this.list.hidden) {
    this.list.hidden = !open;
    this.button.setAttribute('aria-expanded', String(open));
  }

  /** choose shows basemap b, or says why it cannot. */
  choose(b) {
    if (b.id && !usable(b)) {
      this.notice(b.hint || '该底图不可用', true);
      return;
    }
    setBasemap(this.map, this.maplibregl, b.id ? b : null);
    this.app.basemap = b.id;
    for (const x of this.list.querySelectorAll('button')) x.setAttribute('aria-pressed', String(x.dataset.basemap === b.id));
    try { localStorage.setItem(REMEMBER, b.id); } catch { /* not remembered: no harm */ }
  }
}

const gcjTemplates = []; // the GCJ-02 tile templates, by their index in gcj02:// URLs
let gcjProtocol = false;

/** gcjURL names template's tiles under the gcj02:// protocol, registering it once for every map of the page. */
function gcjURL(maplibregl, template) {
  if (!gcjProtocol) {
    maplibregl.addProtocol('gcj02', (params, abort) => composeTile(params.url, abort));
    gcjProtocol = true;
  }
  let i = gcjTemplates.indexOf(template);
  if (i < 0) i = gcjTemplates.push(template) - 1;
  return `gcj02://${i}/{z}/{x}/{y}`;
}

async function composeTile(url, abort) {
  const m = /^gcj02:\/\/(\d+)\/(\d+)\/(\d+)\/(\d+)$/.exec(url);
  if (!m) throw new Error(`无效的底图瓦片地址 ${url}`);
  const [tmpl, z, x, y] = [gcjTemplates[+m[1]], +m[2], +m[3], +m[4]];
  const t = gcjTileTransform(z, x, y);
  const parts = gcjSourceTiles(z, t);
  const images = await Promise.all(parts.map(async (p) => {
    const res = await fetch(tmpl.replace('{z}', z).replace('{x}', p.x).replace('{y}', p.y), { signal: abort.signal, mode: 'cors' });
    if (res.status === 404 || res.status === 204) return null; // outside the provider's coverage
    if (!res.ok) throw new Error(`底图瓦片 ${z}/${p.x}/${p.y}：HTTP ${res.status}`);
    return createImageBitmap(await res.blob());
  }));
  const canvas = new OffscreenCanvas(TILE, TILE);
  const ctx = canvas.getContext('2d');
  const [a, b, c, d] = t.matrix;
  ctx.setTransform(a, b, c, d, 0, 0);
  parts.forEach((p, i) => {
    // Half a pixel of overlap hides the antialiased seams between pieces.
    if (images[i]) ctx.drawImage(images[i], 0, 0, TILE, TILE, p.ox - 0.5, p.oy - 0.5, TILE + 1, TILE + 1);
  });
  return { data: canvas.transferToImageBitmap() };
}
