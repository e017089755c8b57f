// The optional raster basemap. None by default, so the page works on a
// machine with no internet; the server's /config.json names one.
import { gcjTileTransform, gcjSourceTiles } from './gcj02.js';

const TILE = 256;

/**
 * basemapSource returns the MapLibre raster source of cfg, registering the
 * gcj02:// protocol when the tiles are drawn in GCJ-02: each WGS84 tile the
 * map asks for is composed from the GCJ-02 tiles under its shifted window,
 * so the basemap lines up with the CGCS2000 data without touching them.
 */
export function basemapSource(maplibregl, cfg) {
  const src = { type: 'raster', tileSize: TILE, maxzoom: cfg.maxzoom || 18, attribution: cfg.attribution || '' };
  if (cfg.crs !== 'gcj02') {
    src.tiles = cfg.tiles;
    return src;
  }
  maplibregl.addProtocol('gcj02', (params, abort) => composeTile(cfg.tiles, params.url, abort));
  src.tiles = cfg.tiles.map((_, i) => `gcj02://${i}/{z}/{x}/{y}`);
  return src;
}

async function composeTile(templates, url, abort) {
  const m = /^gcj02:\/\/(\d+)\/(\d+)\/(\d+)\/(\d+)$/.exec(url);
  if (!m) throw new Error(`无效的底图瓦片地址 ${url}`);
  const [tmpl, z, x, y] = [templates[+m[1]], +m[2], +m[3], +m[4]];
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
