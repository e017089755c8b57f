// The coordinate readout: where the pointer is, in CGCS2000 longitude and
// latitude (the data's datum and the map's; a GCJ-02 basemap is warped onto
// it, never the reverse), in decimal degrees and in 度分秒. It follows the
// pointer over the map; a click on the map keeps that place, which the
// readout shows once the pointer leaves the map (on a phone, after a tap),
// and a click on either figure copies it.
import { el } from './format.js';

/**
 * dms writes deg (decimal degrees) as 度分秒 with the hemisphere, seconds
 * to 0.1″ (about 3 m): dms(113.2095833, 'lon') is "113°12′34.5″E". The
 * rounding is done once on the whole count of tenths of a second, so that
 * 59.99995″ carries into the minute (and 59′ into the degree) instead of
 * showing 60.0″.
 */
export function dms(deg, axis) {
  const hemi = axis === 'lat' ? (deg < 0 ? 'S' : 'N') : (deg < 0 ? 'W' : 'E');
  const tenths = Math.round(Math.abs(deg) * 36000);
  const d = Math.floor(tenths / 36000);
  const m = Math.floor((tenths % 36000) / 600);
  const s = (tenths % 600) / 10;
  return `${d}°${String(m).padStart(2, '0')}′${s.toFixed(1).padStart(4, '0')}″${hemi}`;
}

/** decimal writes [lon, lat] in decimal degrees to 6 places (about 0.1 m), longitude first as GIS software reads it. */
export function decimal([lon, lat]) {
  return `${lon.toFixed(6)}, ${lat.toFixed(6)}`;
}

/** dmsPair writes [lon, lat] as 度分秒, longitude first. */
export function dmsPair([lon, lat]) {
  return `${dms(lon, 'lon')} ${dms(lat, 'lat')}`;
}

/**
 * copyText puts text on the clipboard: the Clipboard API where the page is
 * a secure context (https, or 127.0.0.1), else the older copy command, which
 * still works on a county intranet served over plain http.
 */
export async function copyText(text) {
  if (navigator.clipboard && window.isSecureContext) {
    await navigator.clipboard.writeText(text);
    return;
  }
  const area = el('textarea', { readonly: true, style: 'position:fixed;left:-9999px;top:0' });
  area.value = text;
  document.body.append(area);
  area.select();
  const ok = document.execCommand('copy');
  area.remove();
  if (!ok) throw new Error('浏览器不允许复制，请手动选择文字复制');
}

/** CoordsReadout is the readout, a MapLibre control. app.coords is the [lon, lat] it shows. */
export class CoordsReadout {
  constructor(app, { notice }) {
    this.app = app;
    this.notice = notice;
    this.kept = null; // [lon, lat] of the last click on the map
  }

  onAdd(map) {
    this.map = map;
    const copy = (what, text) => async () => {
      if (!this.app.coords) return;
      try {
        const t = text(this.app.coords);
        await copyText(t);
        this.notice(`已复制${what}：${t}`);
      } catch (err) {
        this.notice(`复制失败：${err.message}`, true);
      }
    };
    this.label = el('span', { class: 'coords-label' }, 'CGCS2000');
    this.dec = el('button', { type: 'button', id: 'coords-decimal', title: '点击复制经纬度（十进制度，经度在前）', onclick: copy('经纬度', decimal) }, '—');
    this.dms = el('button', { type: 'button', id: 'coords-dms', title: '点击复制度分秒', onclick: copy('度分秒', dmsPair) }, '在地图上移动或点击');
    this.root = el('div', { class: 'maplibregl-ctrl coords-readout', id: 'coords', role: 'group', 'aria-label': '坐标（CGCS2000）' },
      this.label, this.dec, this.dms);
    const canvas = map.getCanvas();
    this.onMove = (e) => { if (e.originalEvent.target === canvas) this.show(e.lngLat, '指针'); };
    this.onClick = (e) => {
      this.kept = e.lngLat;
      this.show(e.lngLat, '点击处');
    };
    this.onLeave = () => { if (this.kept) this.show(this.kept, '点击处'); };
    map.on('mousemove', this.onMove);
    map.on('click', this.onClick);
    canvas.addEventListener('mouseleave', this.onLeave);
    return this.root;
  }

  onRemove() {
    this.map.off('mousemove', this.onMove);
    this.map.off('click', this.onClick);
    this.map.getCanvas().removeEventListener('mouseleave', this.onLeave);
    this.root.remove();
  }

  /** show puts lngLat in the readout; what says whose place it is (指针, 点击处). */
  show(lngLat, what) {
    const { lng, lat } = lngLat.wrap();
    this.app.coords = [lng, lat];
    this.label.textContent = `${what} CGCS2000`;
    this.dec.textContent = decimal(this.app.coords);
    this.dms.textContent = dmsPair(this.app.coords);
  }
}
