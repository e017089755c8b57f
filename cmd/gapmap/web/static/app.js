// The review map: the entry module. It loads the page's settings, asks who
// is logged in (the login shows on the first 401, auth.js), loads the
// county's villages, builds the map when MapLibre is built in, and wires the
// side bar, the village panel, the project panel and the 项目库 drawer
// together. Opened on a PMTiles archive (?pmtiles=, offline.js), it shows
// only the map, without the server.
import { get, mapError } from './api.js';
import { el, score, gapStyle, isUnknown, RAMP, HATCH_CSS } from './format.js';
import { loadingText, failure, errorText, retriable, busy } from './loading.js';
import {
  DIMENSIONS, LAYER_GROUPS, SURFACE_COLOURS, VOLTAGE_COLOURS, PROJECT_STATUS_COLOURS, PROPOSED, PROJECT_LAYERS,
  style, setDimension, applyVillageFilter, addHatchImages, watchLoading, bbox, empty,
} from './map.js';
import { BasemapControl, isBasemapSource } from './basemap.js';
import { VillagePanel } from './panel.js';
import { ProjectsDrawer } from './projects.js';
import { Locator, refreshTiles } from './locate.js';
import { Auth } from './auth.js';
import { ProjectPanel } from './project.js';
import { VillageTable } from './villagetable.js';
import { AsOfControl, tileURL } from './asof.js';
import { ProgressView } from './progress.js';
import { PrintDialog } from './print.js';
import { packURL, packTileJSON, markOffline } from './offline.js';
import { Ruler } from './ruler.js';
import { CoordsReadout } from './coords.js';
import { BottomSheet } from './sheet.js';

const STATIC = new URL('.', import.meta.url).pathname.replace(/\/$/, '');
const $ = (id) => document.getElementById(id);

/** app is the page's state; window.gapmap exposes it to the end-to-end test. */
const app = {
  map: null,
  dim: '综合',
  township: '', // name, as the village tiles carry it
  townshipCode: '',
  poorOnly: false,
  villages: [], // GeoJSON features of /api/v1/villages (村委会 points)
  byCode: new Map(),
  townships: [], // {code, name, bounds, centre}
  session: null, // {user, csrf, expires_at} of GET /api/v1/session; null: nobody is logged in
  offline: false, // the map reads a PMTiles archive and there is no API (offline.js)
  ready: false,
};
window.gapmap = app;
app.notice = (msg, isError) => notice(msg, isError);

let noticeTimer;
/**
 * notice shows msg at the bottom of the page for a while. With retry, it
 * is an error with a 重试 button, and stays until 重试 or 关闭.
 */
function notice(msg, isError = false, retry = null) {
  const n = $('notice');
  n.className = isError ? 'error' : '';
  n.hidden = false;
  clearTimeout(noticeTimer);
  if (!retry) {
    n.replaceChildren(msg);
    noticeTimer = setTimeout(() => { n.hidden = true; }, isError ? 10000 : 5000);
    return;
  }
  const close = () => { n.hidden = true; };
  n.replaceChildren(el('span', {}, msg),
    el('button', { type: 'button', class: 'retry', onclick: () => { close(); retry(); } }, '重试'),
    el('button', { type: 'button', class: 'icon', 'aria-label': '关闭提示', title: '关闭', onclick: close }, '×'));
}

/**
 * fail reports an error the user must see, in Chinese (loading.js), with
 * 重试 when the failed step can be repeated and repeating may help.
 */
function fail(err, retry = null) {
  console.warn(err);
  notice(errorText(err), true, retry && retriable(err) ? retry : null);
}

/**
 * retrying resolves with load()'s answer, as soon as there is one: each
 * failure waits for the user's 重试 before trying again. The page's first
 * requests use it, so that a server that is down at start is only a wait.
 */
async function retrying(load) {
  for (;;) {
    try {
      return await load();
    } catch (err) {
      if (!retriable(err)) throw err; // a refusal stays one
      await new Promise((resolve) => { fail(err, resolve); });
    }
  }
}

async function main() {
  const pack = packURL();
  if (pack) {
    await mainOffline(pack);
    return;
  }
  const config = await retrying(() => get('/config.json'));
  // MapLibre (1.1 MB, preloaded by index.html) is evaluated while the
  // session and the villages load, not after them: the map is most of the
  // wait for the page.
  const maplibre = config.maplibre ? loadMapLibre() : null;
  maplibre?.catch(() => {}); // its failure is reported where it is awaited
  app.auth = new Auth(app, config);
  await app.auth.start();
  app.unknownShare = config.unknown_share;
  // The page's parts need no data to be made, only to be filled: they exist
  // before the map, whose handlers call them.
  app.sheet = new BottomSheet(app);
  app.panel = new VillagePanel(app, { onDimension: selectDimension, onProject: (id) => app.drawer.showProject(id) });
  app.drawer = new ProjectsDrawer(app, { onVillage: (code) => openVillage(code) });
  app.projectPanel = new ProjectPanel(app, {
    onVillage: (code) => openVillage(code), onChanged: projectChanged, onFunds: fundsChanged, notice,
  });
  app.openVillage = openVillage;
  app.villageTable = new VillageTable(app, { onVillage: (code) => openVillage(code) });
  app.locator = new Locator(app, { onLocated: villageLocated, notice, fail });
  app.asOfControl = new AsOfControl(app, { onChange: asOfChanged });
  // The map is made as soon as MapLibre and the tiles' TileJSON are here,
  // while the villages load: on a PC without a GPU, making its WebGL
  // context and compiling its shaders is the longest part of the wait. The
  // villages' labels follow them onto it.
  const mapBuilt = config.maplibre ? Promise.all([servedTiles(), maplibre]).then(([tilejson, m]) => buildMap(config, tilejson, m)) : null;
  mapBuilt?.catch(() => {}); // reported where it is awaited
  // Anonymous without public reading, this 401s: the login shows, and the
  // request goes out again once the user has logged in.
  const villages = await retrying(() => get('/api/v1/villages', { page_size: 1000 }));
  app.villages = villages.features;
  for (const f of app.villages) app.byCode.set(f.properties.code, f);
  app.townships = townshipsOf(app.villages);
  if (app.map) setLabels();
  if (config.basemap_error) notice(config.basemap_error, true);

  app.asOfControl.render();
  app.progress = new ProgressView(app, { fail });
  buildDimensions();
  buildLegend();
  buildSearch();
  buildTownships();
  buildLayerList();
  refreshRanking();
  app.drawer.init(app.townships).catch(fail);
  app.villageTable.init(app.townships);

  if (!config.maplibre) {
    $('map').append(el('div', { class: 'fatal' },
      '地图组件 MapLibre 没有打包进本程序，地图无法显示（项目库和村详情仍可使用）。',
      el('br'), '请在源码目录运行 make build 或 make demo：它们会用 npm 安装 MapLibre 并重新编译 gapmap。'));
    app.locator.render();
    app.ready = true;
    return;
  }
  await mapBuilt;
  app.locator.render();
}

/**
 * mainOffline shows the map of the PMTiles archive at url with no gapmap
 * server behind the page: no login, no API request; what needs the API
 * says so (offline.js).
 */
async function mainOffline(url) {
  app.offline = true;
  app.sheet = new BottomSheet(app); // buildMap pads the map for it on a phone
  app.locator = new Locator(app, { onLocated: villageLocated, notice, fail });
  buildDimensions();
  buildLegend();
  buildTownships();
  buildLayerList();
  const maplibregl = await loadMapLibre();
  const tilejson = await packTileJSON(maplibregl, STATIC, url);
  markOffline(document, url, tilejson);
  await buildMap({}, tilejson, maplibregl);
}

/**
 * offlineRefusal says, on an offline page, that what needs the server, and
 * reports whether it did.
 */
function offlineRefusal(what) {
  if (app.offline) notice(`离线模式不可用：${what}需要连接 gapmap 服务。`);
  return app.offline;
}

/**
 * projectChanged follows a move, an edit or a deletion: the 项目库 table
 * and ranks, the village panel's project list and the map's projects
 * layer (whose tiles reload on the new data version).
 */
function projectChanged() {
  app.drawer.refresh().catch(fail);
  if (app.panel.code) app.panel.open(app.panel.code, { show: false }).catch(fail);
  refreshTiles(app).catch(fail);
}

/**
 * fundsChanged follows a 资金台账 entry: the village panel's 资金 summary
 * (open under the project panel) and the 资金台账 tab's roll-up.
 */
function fundsChanged() {
  app.panel.reloadFunds();
  app.drawer.fundsChanged();
}

/**
 * asOfChanged follows the 日期 control: the tiles reload with the date's
 * as_of, and the ranking and the open village panel show its scores.
 */
function asOfChanged() {
  if (app.map) app.map.getSource('gapmap').setTiles([app.tilesURL]);
  refreshRanking();
  if (app.panel.code) app.panel.open(app.panel.code, { show: false }).catch(fail);
}

/** villageLocated puts a village the page placed on the map into the page's state. */
function villageLocated(f) {
  const i = app.villages.findIndex((v) => v.properties.code === f.properties.code);
  if (i >= 0) app.villages[i] = f;
  app.byCode.set(f.properties.code, f);
  if (app.map) setVillageLabels();
}

/** setVillageLabels labels the located villages' 村委会 points anew. */
function setVillageLabels() {
  app.map.getSource('village-labels').setData(villageLabels());
}

/**
 * setLabels puts the villages' and townships' labels on a map made before
 * the villages came; one whose style is not loaded yet gets them then.
 */
function setLabels() {
  const map = app.map;
  const set = () => {
    setVillageLabels();
    map.getSource('township-labels').setData(townshipLabels());
  };
  if (map.getSource('village-labels')) set();
  else map.once('style.load', set);
}

/** villageLabels are the labels of the located villages' 村委会 points (none before the villages came). */
function villageLabels() {
  return {
    type: 'FeatureCollection',
    features: (app.villages || []).filter((f) => f.geometry).map((f) => ({
      type: 'Feature', geometry: f.geometry,
      properties: { name: f.properties.name, township: f.properties.township_name, is_poor: f.properties.is_poor_village },
    })),
  };
}

/** townshipLabels label each township at its villages' centre. */
function townshipLabels() {
  return {
    type: 'FeatureCollection',
    features: (app.townships || []).filter((t) => t.centre).map((t) => ({ type: 'Feature', geometry: { type: 'Point', coordinates: t.centre }, properties: { name: t.name } })),
  };
}

/**
 * townshipsOf groups the villages by township: name, code, bounds and label
 * point, from the located villages only (a 未定位 village has no geometry;
 * a township with none located has neither bounds nor label point).
 */
function townshipsOf(features) {
  const by = new Map();
  for (const f of features) {
    const p = f.properties;
    if (!by.has(p.township_code)) by.set(p.township_code, { code: p.township_code, name: p.township_name, points: [] });
    if (f.geometry) by.get(p.township_code).points.push(f.geometry);
  }
  return [...by.values()].sort((a, b) => a.code.localeCompare(b.code)).map((t) => {
    const b = bbox(t.points);
    const c = t.points.length ? t.points.reduce((s, g) => [s[0] + g.coordinates[0] / t.points.length, s[1] + g.coordinates[1] / t.points.length], [0, 0]) : null;
    return { code: t.code, name: t.name, bounds: b, centre: c };
  });
}

/** loadMapLibre loads MapLibre GL JS and its stylesheet from the page's vendor files. */
async function loadMapLibre() {
  document.head.prepend(el('link', { rel: 'stylesheet', href: `${STATIC}/vendor/maplibre-gl.css` }));
  const maplibregl = await import(`${STATIC}/vendor/maplibre-gl.mjs`);
  maplibregl.prewarm(); // its workers start loading now, not when the map is made
  return maplibregl;
}

/** servedTiles is the TileJSON of the server's tiles. */
async function servedTiles() {
  const tilejson = await retrying(() => get('/tiles/all.json'));
  app.tilesURL = tilejson.tiles[0]; // carries the data version (locate.js reloads on a change)
  return tilejson;
}

/**
 * buildMap builds the map on tilejson's tiles (the served tiles or an
 * offline pack) with config's basemap.
 */
async function buildMap(config, tilejson, maplibregl = null) {
  maplibregl = maplibregl || await loadMapLibre();
  const bounds = tilejson.bounds ? [[tilejson.bounds[0], tilejson.bounds[1]], [tilejson.bounds[2], tilejson.bounds[3]]] : null;
  if (!bounds) notice('数据库中还没有县域数据：请先运行 gapmap demo 或导入本县数据。', true);
  const basemaps = new BasemapControl(app, maplibregl, config, notice);
  // The labels are in the style from the start: set after 'load', they
  // would cost the map a second layout and drawing before it is complete.
  const initial = style(tilejson, basemaps.firstParts(), app.dim);
  initial.sources['village-labels'].data = villageLabels();
  initial.sources['township-labels'].data = townshipLabels();
  const map = new maplibregl.Map({
    container: 'map',
    style: initial,
    bounds: bounds || [[73, 18], [135, 54]],
    fitBoundsOptions: { padding: 24 },
    maxZoom: 17,
    attributionControl: { compact: false },
    locale: {
      'NavigationControl.ZoomIn': '放大', 'NavigationControl.ZoomOut': '缩小', 'NavigationControl.ResetBearing': '正北朝上',
      'AttributionControl.ToggleAttribution': '显示或隐藏数据来源', 'Map.Title': '地图', 'Popup.Close': '关闭',
      'ScaleControl.Meters': '米', 'ScaleControl.Kilometers': '公里',
    },
    dragRotate: false,
    // The 日期 control: every tile of the chosen date carries as_of (asof.js).
    transformRequest: (url, kind) => ({ url: kind === 'Tile' ? tileURL(url, app.asOf) : url }),
  });
  app.map = map;
  app.maplibregl = maplibregl; // 出图 renders a second map with it
  addHatchImages(map);
  map.touchZoomRotate.disableRotation();
  map.addControl(new maplibregl.NavigationControl({ showCompass: false }), 'top-right');
  map.addControl(new maplibregl.ScaleControl({ unit: 'metric' }), 'bottom-left');
  // Field tools: 底图, 测距 and the coordinate readout.
  map.addControl(basemaps, 'top-right');
  app.ruler = new Ruler(app);
  map.addControl(app.ruler, 'top-right');
  map.addControl(new CoordsReadout(app, { notice }), 'bottom-left');
  app.sheet.attachMap(map);
  app.countyBounds = bounds;

  // failedTiles are the data tiles that failed, by z/x/y, for reloadFailed.
  const failedTiles = new Map();
  // reloadFailed loads the failed tiles again. Not by setUrl: MapLibre (6.17)
  // then marks an errored vector tile 'loading' and waits for a load that
  // never comes, so the tile stays empty and the map never idles.
  const reloadFailed = () => {
    map.refreshTiles('gapmap', [...failedTiles.values()]);
    failedTiles.clear();
  };
  map.on('error', (e) => {
    const source = e.sourceId || (e.source && e.source.id);
    if (e.tile && source === 'gapmap') {
      const { x, y, z } = e.tile.tileID.canonical;
      failedTiles.set(`${z}/${x}/${y}`, { x, y, z });
    }
    if (e.error && e.error.status === 401 && !isBasemapSource(source) && !app.offline) {
      // The session expired under the map: log in again, then reload the tiles.
      app.auth.required().then(reloadFailed).catch(fail);
      return;
    }
    if (isBasemapSource(source)) {
      // A basemap on a machine without internet is expected to fail: say so once, quietly.
      if (!app.basemapWarned) notice('底图瓦片无法加载（离线或地址有误），地图照常显示业务图层。');
      app.basemapWarned = true;
      return;
    }
    // Every tile of a pan fails at once when the server is down: one
    // message while it shows, whose 重试 loads the failed tiles again.
    if (app.mapFailed && !$('notice').hidden) return;
    app.mapFailed = true;
    fail(mapError(e.error), () => {
      app.mapFailed = false;
      reloadFailed();
    });
  });
  watchLoading(map, $('map-loading'));

  const hover = new maplibregl.Popup({ closeButton: false, closeOnClick: false, className: 'hover', offset: 10 });
  const villageLayers = ['villages-point', 'villages-fill'];
  map.on('mousemove', (e) => {
    if (app.locator.placing || app.ruler.active) { hover.remove(); return; } // the crosshair shows placing or measuring (style.css)
    const f = villageAt(e.point);
    map.getCanvas().style.cursor = f || projectAt(e.point) ? 'pointer' : '';
    if (!f) { hover.remove(); return; }
    const p = f.properties;
    const v = p[DIMENSIONS[app.dim]];
    const gap = isUnknown(p.unknown, app.dim) ? `数据不足${v === undefined ? '' : `（${score(v)}，不可信）`}` : score(v);
    hover.setLngLat(e.lngLat).setDOMContent(el('div', {}, el('b', {}, p.name), ` ${p.township}`,
      el('br'), `${app.dim}缺口 ${gap}${p.is_poor ? ' · 贫困村' : ''}`)).addTo(map);
  });
  map.on('mouseout', () => hover.remove());
  map.on('click', (e) => {
    if (app.locator.click(e.lngLat) || app.ruler.click(e.lngLat)) return;
    // A village's dot wins, then a project drawn on the map, then the
    // village outline under both: an outline covers every project in it.
    const dot = villageAt(e.point, ['villages-point']);
    const p = !dot && projectAt(e.point);
    if (p) {
      if (!offlineRefusal('项目详情')) app.drawer.showProject(p.id);
      return;
    }
    const f = dot || villageAt(e.point);
    if (f) openVillage(f.properties.code);
  });
  function villageAt(pt, layers = villageLayers) {
    const r = 6;
    const fs = map.queryRenderedFeatures([[pt.x - r, pt.y - r], [pt.x + r, pt.y + r]], { layers });
    if (!fs.length) return null;
    // The nearest office wins among dots drawn close together.
    const d = (f) => (f.geometry.type === 'Point' ? dist(map.project(f.geometry.coordinates), pt) : r);
    return fs.sort((a, b) => d(a) - d(b))[0];
  }
  function projectAt(pt) {
    if (map.getLayoutProperty('projects-line', 'visibility') === 'none') return null;
    const fs = map.queryRenderedFeatures([[pt.x - 4, pt.y - 4], [pt.x + 4, pt.y + 4]], { layers: PROJECT_LAYERS });
    return fs[0] || null;
  }

  await new Promise((resolve) => map.once('load', resolve));
  // The county and whether its geometry is synthetic come from the API,
  // which reads them from the data's source rows (the demo generator marks
  // its own), never from a county code; offline, the pack's description.
  if (!app.offline) get('/api/v1/county').then((county) => {
    if (county.name) $('county-name').textContent = county.name;
    $('data-note').hidden = !county.synthetic;
    if (county.unlocated > 0) notice(`本县 ${county.unlocated} 个村尚未定位（未定位的村不在地图上，空间指标为暂无数据）。`, false);
  }).catch(fail);
  map.on('zoomend', updateLayerHints);
  updateLayerHints();
  map.once('idle', () => { app.ready = true; });
  // 'idle' can come in the frame that brought 'load', before this line: a
  // repaint brings it again once everything is drawn.
  map.triggerRepaint();
  // 出图 prints what the map shows; its sources are the tiles' attribution, as on the map.
  const sources = (tilejson.attribution || '').replace(/<[^>]*>/g, '');
  const printer = new PrintDialog(app, () => ({
    keys: layerKeys(), county: $('county-name').textContent, sources, synthetic: !$('data-note').hidden,
  }));
  $('open-print').addEventListener('click', () => printer.open());
  $('open-print').hidden = false;
}

const dist = (a, b) => Math.hypot(a.x - b.x, a.y - b.y);

function buildDimensions() {
  const box = $('dimensions');
  for (const d of Object.keys(DIMENSIONS)) {
    box.append(el('button', { type: 'button', dataset: { dim: d }, 'aria-pressed': String(d === app.dim), onclick: () => selectDimension(d) }, d));
  }
}

/** selectDimension recolours the map, the ranking and the panel by dim. */
function selectDimension(dim) {
  if (!(dim in DIMENSIONS)) return;
  app.dim = dim;
  for (const b of $('dimensions').children) b.setAttribute('aria-pressed', String(b.dataset.dim === dim));
  if (app.map) setDimension(app.map, dim, app.township, app.poorOnly);
  buildLegend();
  refreshRanking();
  if (app.panel) app.panel.setDimension(dim);
}

function buildLegend() {
  const stops = RAMP.map(([v, c]) => `${c} ${v}%`).join(', ');
  $('legend').replaceChildren(
    el('div', { class: 'muted' }, `${app.dim === '综合' ? '综合缺口' : `${app.dim}缺口`}（0 = 达标，100 = 缺口最大）`),
    el('div', { class: 'ramp', style: `background: linear-gradient(to right, ${stops})` }),
    el('div', { class: 'ticks' }, el('span', {}, '0 达标'), el('span', {}, '50'), el('span', {}, '100')),
    el('div', { class: 'keys' },
      el('span', { id: 'legend-unknown', title: '点击村查看缺哪些数据；gapmap projects needs 列出全县的补充数据清单' },
        el('span', { class: 'swatch', style: `background:${HATCH_CSS}` }),
        `数据不足（无数据，或 ${Math.round((app.unknownShare ?? 0.5) * 100)}% 以上的权重缺数据）`),
      el('span', {}, el('span', { class: 'swatch', style: 'background:#fff;border:2px solid #222;width:14px;height:14px' }), '大圆＝贫困村'),
      el('span', {}, el('span', { class: 'swatch', style: 'background:#fff;width:8px;height:8px' }), '小圆＝其他村')),
  );
}

async function refreshRanking() {
  if (app.offline) return; // offline.js says the ranking needs the server
  const dim = app.dim;
  const title = `${dim === '综合' ? '综合' : dim}缺口最大的村${app.township ? `（${app.township}）` : ''}${app.asOf ? `（${app.asOf}）` : ''}`;
  $('ranking-title').textContent = title;
  const list = $('ranking');
  // The list shown stays while its successor loads; a first one says 正在加载….
  if (!list.querySelector('li[data-code]')) list.replaceChildren(el('li', { class: 'muted' }, loadingText()));
  busy(list, true);
  try {
    if (app.asOfMissing) {
      // A date without its run has no ranking: never today's instead.
      list.replaceChildren(el('li', { class: 'muted' }, `${app.asOf} 没有评分结果，无法排名（无数据）。`));
      return;
    }
    const asOf = app.asOf;
    // Every village, not a silent top 10: ties at 100 would drop villages. /gaps puts 数据不足 after the measured gaps.
    const res = await get('/api/v1/gaps', { dimension: dim, township: app.townshipCode, poor: app.poorOnly ? 'true' : '', page_size: 1000, as_of: asOf });
    if (dim !== app.dim || asOf !== app.asOf) return;
    $('ranking-title').textContent = `${title}（共 ${res.villages.length} 村${res.total > res.villages.length ? `，显示前 ${res.villages.length}` : ''}）`;
    // A real button in each item: Tab reaches it, Enter and Space open the village.
    list.replaceChildren(...res.villages.map((v, i) => {
      const s = dim === '综合' ? v.composite : v.gaps[dim];
      const unknown = isUnknown(v.unknown, dim);
      return el('li', { dataset: { code: v.code } }, el('button', { type: 'button', title: '查看该村缺口原因和项目', onclick: () => openVillage(v.code) },
        el('span', { class: 'n' }, i + 1),
        el('span', {}, v.name, ' ', el('span', { class: 'muted' }, v.township_name), v.is_poor_village ? el('span', { class: 'badge poor', style: 'margin-left:4px' }, '贫困村') : null),
        el('span', { class: 'sc', style: gapStyle(s, unknown), title: unknown ? '数据不足：缺数据的权重过大，此数不可信' : null, dataset: { unknown: String(unknown) } }, score(s))));
    }));
    if (!res.villages.length) list.append(el('li', { class: 'muted' }, '没有评分结果：请先运行评分（gapmap score）。'));
  } catch (err) {
    list.replaceChildren(el('li', {}, failure(err, refreshRanking)));
  } finally {
    busy(list, false);
  }
}

function buildSearch() {
  const input = $('search');
  const list = $('search-results');
  let matches = [];
  let active = 0;
  const render = () => {
    list.replaceChildren(...matches.map((f, i) => el('li', {
      class: i === active ? 'active' : '', dataset: { code: f.properties.code },
      onmousedown: (e) => { e.preventDefault(); choose(f); },
    }, f.properties.name, ' ', el('span', { class: 'muted' }, `${f.properties.township_name} · ${f.properties.code}`))));
    list.hidden = matches.length === 0;
  };
  const choose = (f) => {
    input.value = f.properties.name;
    list.hidden = true;
    openVillage(f.properties.code);
  };
  input.addEventListener('input', () => {
    const q = input.value.trim();
    active = 0;
    matches = !q ? [] : app.villages.filter((f) => f.properties.name.includes(q) || f.properties.code.startsWith(q))
      .sort((a, b) => Number(b.properties.is_poor_village) - Number(a.properties.is_poor_village)).slice(0, 12);
    if (q && !matches.length) {
      list.replaceChildren(el('li', { class: 'muted' }, '没有找到这个村'));
      list.hidden = false;
      return;
    }
    render();
  });
  input.addEventListener('keydown', (e) => {
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      active = (active + (e.key === 'ArrowDown' ? 1 : -1) + matches.length) % Math.max(matches.length, 1);
      render();
      e.preventDefault();
    } else if (e.key === 'Enter' && matches[active]) {
      choose(matches[active]);
    } else if (e.key === 'Escape' && !list.hidden) {
      e.preventDefault(); // this Esc only closes the list (closeTopmost)
      list.hidden = true;
    }
  });
  input.addEventListener('blur', () => { list.hidden = true; });
}

function buildTownships() {
  const sel = $('township');
  for (const t of app.townships) sel.append(el('option', { value: t.code }, t.name));
  sel.addEventListener('change', () => {
    const t = app.townships.find((x) => x.code === sel.value);
    app.township = t ? t.name : '';
    app.townshipCode = t ? t.code : '';
    filterVillages();
    if (app.map) {
      const b = (t && t.bounds) || app.countyBounds;
      if (b) app.map.fitBounds(b, { padding: app.sheet.fitPadding(60), maxZoom: 13, duration: 600 });
    }
  });
  $('poor-only').addEventListener('change', (e) => {
    app.poorOnly = e.target.checked;
    filterVillages();
  });
}

function filterVillages() {
  if (app.map) applyVillageFilter(app.map, app.township, app.poorOnly, app.dim);
  refreshRanking();
}

/** layerKeys are the legend keys of the layer groups, by group id: label, colour and swatch kind. */
function layerKeys() {
  return {
    roads: SURFACE_COLOURS.map(([k, c]) => [`${k}路面`, c, 'line']),
    power: VOLTAGE_COLOURS.map(([, c, label]) => [label, c, 'line']).concat([['变电站', '#7b1fa2'], ['配变', '#f57c00']]),
    water: [['水库', '#7fb3e0'], ['供水管网', '#1f78b4', 'line'], ['水厂', '#08519c']],
    // Every state, as drawn: dashed lines for proposals, solid from 已入库 on.
    projects: PROJECT_STATUS_COLOURS.map(([s, c]) => [s, c, PROPOSED.includes(s) ? 'line proposed' : 'line project']),
  };
}

function buildLayerList() {
  const keys = layerKeys();
  const list = $('layers');
  for (const g of LAYER_GROUPS) {
    const box = el('input', { type: 'checkbox', dataset: { group: g.id } });
    box.checked = g.on;
    box.addEventListener('change', () => {
      if (!app.map) return;
      for (const l of g.layers) app.map.setLayoutProperty(l, 'visibility', box.checked ? 'visible' : 'none');
    });
    list.append(el('li', { dataset: { group: g.id } },
      el('label', {}, box, ' ', g.name, ' ', el('span', { class: 'hint', dataset: { minzoom: g.minzoom } })),
      keys[g.id] ? el('div', { class: 'keys', dataset: { keys: g.id } }, keys[g.id].map(([label, c, kind]) => el('span', {}, el('span', { class: `swatch ${kind || ''}`, style: `--c:${c};background:${c}` }), label))) : null));
  }
  if (app.map) updateLayerHints(); // the map, made before the villages came, may be at its zoom already
}

function updateLayerHints() {
  const z = app.map.getZoom();
  for (const h of document.querySelectorAll('#layers .hint')) {
    const mz = Number(h.dataset.minzoom);
    h.textContent = z < mz ? `（放大到 ${mz} 级显示）` : '';
  }
}

/**
 * openVillage shows a village's breakdown, its explaining geometry and its
 * projects. The focus moves to the panel's title, so that a keyboard goes
 * on into the panel; Esc brings it back where it was (closeTopmost).
 */
async function openVillage(code) {
  if (offlineRefusal('村详情')) return;
  try {
    app.projectPanel.close(false);
    if (!$('panel').contains(document.activeElement)) app.returnFocus = document.activeElement;
    const opening = app.panel.open(code);
    $('panel').querySelector('h2')?.focus({ preventScroll: true });
    const shown = await opening;
    if (shown && app.panel.code === code && !$('panel').contains(document.activeElement)) $('village-name')?.focus({ preventScroll: true });
    if (!app.map || !shown) return;
    const { gaps, outline } = shown;
    const map = app.map;
    if (app.selectedId !== undefined) map.setFeatureState({ source: 'gapmap', sourceLayer: 'villages', id: app.selectedId }, { selected: false });
    app.selectedId = gaps.village.village_id;
    map.setFeatureState({ source: 'gapmap', sourceLayer: 'villages', id: app.selectedId }, { selected: true });
    map.getSource('selected').setData(outline && outline.geometry && outline.geometry.type !== 'Point' ? outline : empty());
    showExplain(gaps.explain, null);
    const office = app.byCode.get(code);
    const b = bbox([outline && outline.geometry, office && office.geometry, ...(gaps.explain ? gaps.explain.features.map((f) => f.geometry) : [])]);
    if (b) map.fitBounds(b, { padding: app.sheet.fitPadding(50), maxZoom: 14, duration: 700 });
  } catch (err) {
    fail(err);
  }
}
app.showExplain = showExplain;

/** showExplain draws the explaining geometry, only indicator's if given. */
function showExplain(fc, indicator) {
  if (!app.map) return;
  const feats = (fc ? fc.features : []).filter((f) => !indicator || f.properties.indicator === indicator);
  app.map.getSource('explain').setData({ type: 'FeatureCollection', features: feats });
  app.map.getSource('explain-labels').setData({
    type: 'FeatureCollection',
    features: feats.map((f) => ({ type: 'Feature', geometry: { type: 'Point', coordinates: labelPoint(f.geometry) }, properties: { label: explainLabel(f.properties) } })),
  });
  if (indicator && feats.length) {
    const b = bbox(feats.map((f) => f.geometry));
    if (b) app.map.fitBounds(b, { padding: app.sheet.fitPadding(80), maxZoom: 15, duration: 600 });
  }
}

// explainLabel names what an explaining geometry shows, by indicator and result.
function explainLabel(p) {
  const fail = p.status === 'fail';
  const what = {
    R1: fail ? '待硬化路段（通乡镇驻地）' : '通乡镇驻地的硬化路',
    R3: fail ? '通乡镇道路中的窄路' : '通乡镇道路',
    R4: '到最近客运站点',
    W1: '供水工程与管网',
    E1: '供电配变',
    E2: '到最近三相电',
  }[p.indicator] || p.name;
  return `${p.indicator} ${what}`;
}

function labelPoint(g) {
  const line = g.type === 'MultiLineString' ? g.coordinates[0] : g.type === 'LineString' ? g.coordinates
    : g.type === 'MultiPoint' ? g.coordinates : g.type === 'Polygon' ? g.coordinates[0] : null;
  if (!line) return g.coordinates;
  return line[Math.floor(line.length / 2)];
}

$('open-projects').addEventListener('click', () => app.drawer.toggle());

/**
 * closeTopmost closes, on Esc, the topmost part open over the map: the
 * project panel, the village panel, then the village table or the 项目库.
 * An Esc already spent (the search list, placing a village) or pressed in
 * 出图 or 逐年进展, which close themselves, is left alone.
 */
function closeTopmost(e) {
  if (e.key !== 'Escape' || e.defaultPrevented || !app.panel) return;
  if (e.target.closest && e.target.closest('#print-dialog, #progress, #login')) return;
  const back = () => {
    const f = app.returnFocus;
    app.returnFocus = null;
    if (!f || f === document.body) return;
    // A list redrawn meanwhile (the ranking after a dimension change) has the same village's row anew.
    const code = f.closest('[data-code]')?.dataset.code;
    const again = f.isConnected ? f : code && document.querySelector(`#ranking li[data-code="${CSS.escape(code)}"] button, tr[data-code="${CSS.escape(code)}"]`);
    if (again) again.focus();
  };
  if (!$('project-panel').hidden) {
    app.projectPanel.close();
    if (!$('panel').hidden) $('panel').querySelector('h2')?.focus();
  } else if (!$('panel').hidden) {
    app.panel.close();
    back();
  } else if (!$('village-table').hidden) {
    app.villageTable.toggle(false);
    $('open-village-table').focus();
  } else if (!$('projects').hidden) {
    app.drawer.toggle(false);
    $('open-projects').focus();
  } else {
    return;
  }
  e.preventDefault();
}
document.addEventListener('keydown', closeTopmost);

main().catch(fail);

