// 测距: the ruler. The map's 测距 button starts it; each click on the map
// adds a point, the line and each segment's length are drawn on the map and
// listed with the total; a double click, Esc or 结束 ends it and 清除 wipes
// it. Lengths are geodesics on the CGCS2000 ellipsoid (geodesic.js), not
// Web-Mercator distances, which at the demo county's 29°N are 14 % long.
import { el } from './format.js';
import { distanceM, lengthText } from './geodesic.js';
import { enableOnLoad } from './map.js';
import { sharePaint } from './shaders.js';

const SOURCE = 'ruler';

/**
 * Ruler is the 测距 map control. app.ruler is it; app.js hands it the
 * map's clicks first (click) and keeps hover popups off while it is active.
 */
export class Ruler {
  constructor(app) {
    this.app = app;
    this.active = false; // clicks add points
    this.points = []; // [lon, lat] of the clicked points
    this.pointer = null; // [lon, lat] under the pointer while active
    this.onKey = (e) => { if (e.key === 'Escape' && this.active) this.end(); };
  }

  onAdd(map) {
    this.map = map;
    this.button = el('button', {
      type: 'button', id: 'ruler-open', class: 'field-tool', 'aria-pressed': 'false', 'aria-controls': 'ruler-panel',
      title: '测量距离：在地图上依次点击', onclick: () => (this.active ? this.end() : this.start()),
    }, '测距');
    enableOnLoad(map, this.button);
    this.total = el('div', { id: 'ruler-total', class: 'ruler-total', role: 'status' });
    this.segments = el('ol', { id: 'ruler-segments', class: 'ruler-segments' });
    this.hint = el('p', { class: 'muted ruler-hint' });
    this.panel = el('div', { id: 'ruler-panel', class: 'ruler-panel', hidden: true },
      this.hint, this.total, this.segments,
      el('div', { class: 'moves' },
        this.endButton = el('button', { type: 'button', id: 'ruler-end', onclick: () => this.end() }, '结束'),
        el('button', { type: 'button', id: 'ruler-clear', onclick: () => this.clear() }, '清除')));
    this.root = el('div', { class: 'maplibregl-ctrl maplibregl-ctrl-group field-ctrl' }, this.button, this.panel);
    this.onMove = (e) => {
      if (!this.active || !this.points.length) return;
      this.pointer = wrapped(e.lngLat);
      this.draw();
    };
    this.onDblClick = (e) => {
      if (!this.active) return;
      e.preventDefault();
      // A double click is two clicks first: the second added the same place again.
      const [a, b] = this.points.slice(-2);
      if (a && b && distanceM(a, b) < 0.01) this.points.pop();
      this.end();
    };
    map.on('mousemove', this.onMove);
    map.on('dblclick', this.onDblClick);
    document.addEventListener('keydown', this.onKey);
    return this.root;
  }

  onRemove() {
    this.map.off('mousemove', this.onMove);
    this.map.off('dblclick', this.onDblClick);
    document.removeEventListener('keydown', this.onKey);
    this.root.remove();
  }

  /** start begins a new measurement: the map's clicks add points, its double click no longer zooms. */
  start() {
    this.points = [];
    this.pointer = null;
    this.active = true;
    this.zoomOnDblClick = this.map.doubleClickZoom.isEnabled();
    this.map.doubleClickZoom.disable();
    document.getElementById('map').classList.add('measuring');
    this.draw();
  }

  /** end stops adding points and keeps the line and its lengths until 清除. */
  end() {
    if (!this.active) return;
    this.active = false;
    this.pointer = null;
    document.getElementById('map').classList.remove('measuring');
    // Later, so that the double click that ended the measurement does not zoom.
    if (this.zoomOnDblClick) setTimeout(() => this.map.doubleClickZoom.enable(), 0);
    if (this.points.length < 2) this.clear();
    else this.draw();
  }

  /** clear wipes the measurement; a measurement under way goes on from nothing. */
  clear() {
    this.points = [];
    this.pointer = null;
    this.draw();
  }

  /** click takes a map click while measuring and says whether it took it. */
  click(lngLat) {
    if (!this.active) return false;
    this.points.push(wrapped(lngLat));
    this.draw();
    return true;
  }

  /**
   * lengths are the segments' lengths in metres and their total, of the
   * points and, while measuring, the stretch to the pointer.
   */
  lengths() {
    const pts = this.pointer ? [...this.points, this.pointer] : this.points;
    const segments = pts.slice(1).map((p, i) => distanceM(pts[i], p));
    return { segments, total: segments.reduce((s, m) => s + m, 0), pending: Boolean(this.pointer) };
  }

  draw() {
    const { segments, total, pending } = this.lengths();
    const shown = this.active || this.points.length > 1;
    this.panel.hidden = !shown;
    this.button.setAttribute('aria-pressed', String(this.active));
    this.endButton.hidden = !this.active;
    this.hint.textContent = this.active
      ? (this.points.length ? '继续点击添加点；双击、按 Esc 或点“结束”完成。' : '在地图上点击起点。')
      : '测量完成。再点“测距”重新开始。';
    this.hint.hidden = !this.active && !shown;
    const fixed = pending ? segments.slice(0, -1) : segments;
    const fixedTotal = fixed.reduce((s, m) => s + m, 0);
    this.total.dataset.metres = String(fixedTotal);
    this.total.textContent = fixed.length ? `总长 ${lengthText(fixedTotal)}（${fixed.length} 段）` : '';
    this.segments.replaceChildren(...segments.map((m, i) => el('li', {
      dataset: { metres: String(m) }, class: pending && i === segments.length - 1 ? 'pending' : null,
    }, `第 ${i + 1} 段 ${lengthText(m)}${pending && i === segments.length - 1 ? `（到指针处，合计 ${lengthText(total)}）` : ''}`)));
    this.drawMap(segments, pending);
  }

  /** drawMap draws the line, its points and the lengths on the map, over everything. */
  drawMap(segments, pending) {
    const pts = this.pointer ? [...this.points, this.pointer] : this.points;
    const features = [];
    if (pts.length > 1) {
      features.push({ type: 'Feature', geometry: { type: 'LineString', coordinates: this.points }, properties: { kind: 'line' } });
      if (pending) features.push({ type: 'Feature', geometry: { type: 'LineString', coordinates: pts.slice(-2) }, properties: { kind: 'pending' } });
    }
    let sum = 0;
    pts.forEach((p, i) => {
      if (i > 0) sum += segments[i - 1];
      const isPointer = pending && i === pts.length - 1;
      features.push({
        type: 'Feature', geometry: { type: 'Point', coordinates: p },
        properties: { kind: isPointer ? 'pointer' : 'vertex', label: i === 0 ? '起点' : lengthText(sum) },
      });
    });
    const data = { type: 'FeatureCollection', features };
    const src = this.map.getSource(SOURCE);
    if (src) {
      src.setData(data);
      return;
    }
    this.map.addSource(SOURCE, { type: 'geojson', data });
    for (const layer of rulerLayers()) this.map.addLayer(sharePaint(layer));
  }
}

/** rulerLayers are the ruler's layers on its GeoJSON source: the measured line, its points and their running lengths. */
export function rulerLayers() {
  const line = ['==', ['get', 'kind'], 'line'];
  return [
    { id: 'ruler-casing', type: 'line', source: SOURCE, filter: ['in', ['get', 'kind'], ['literal', ['line', 'pending']]], paint: { 'line-color': '#ffffff', 'line-width': 6 } },
    { id: 'ruler-line', type: 'line', source: SOURCE, filter: line, paint: { 'line-color': '#d84315', 'line-width': 3 } },
    { id: 'ruler-pending', type: 'line', source: SOURCE, filter: ['==', ['get', 'kind'], 'pending'], paint: { 'line-color': '#d84315', 'line-width': 2, 'line-dasharray': [2, 2] } },
    {
      id: 'ruler-points', type: 'circle', source: SOURCE, filter: ['==', ['geometry-type'], 'Point'],
      paint: { 'circle-radius': 4, 'circle-color': '#ffffff', 'circle-stroke-color': '#d84315', 'circle-stroke-width': 2 },
    },
    {
      id: 'ruler-labels', type: 'symbol', source: SOURCE, filter: ['==', ['geometry-type'], 'Point'],
      layout: { 'text-field': ['get', 'label'], 'text-size': 12, 'text-offset': [0, -1.2], 'text-allow-overlap': true },
      paint: { 'text-color': '#bf360c', 'text-halo-color': '#ffffff', 'text-halo-width': 2 },
    },
  ];
}

const wrapped = (lngLat) => {
  const { lng, lat } = lngLat.wrap();
  return [lng, lat];
};
