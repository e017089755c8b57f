// GCJ-02 (the datum of most commercial Chinese web maps) at the display
// edge. gapmap stores and serves CGCS2000 (≈ WGS84) only; a GCJ-02 basemap is
// warped onto the WGS84 tile grid as it is drawn (see basemap.js), so the
// data never move. The forward formula is the published one (Krasovsky
// ellipsoid, the usual eviltransform constants); it needs no inverse here,
// because we only ask where a WGS84 place lies on the GCJ-02 map.

const A = 6378245.0; // Krasovsky 1940 semi-major axis, metres
const EE = 0.00669342162296594323; // its first eccentricity squared

/** True outside the rough box where GCJ-02 applies; there it equals WGS84. */
export function outOfChina(lon, lat) {
  return lon < 72.004 || lon > 137.8347 || lat < 0.8293 || lat > 55.8271;
}

function dLat(x, y) {
  let r = -100 + 2 * x + 3 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * Math.sqrt(Math.abs(x));
  r += ((20 * Math.sin(6 * x * Math.PI) + 20 * Math.sin(2 * x * Math.PI)) * 2) / 3;
  r += ((20 * Math.sin(y * Math.PI) + 40 * Math.sin((y / 3) * Math.PI)) * 2) / 3;
  r += ((160 * Math.sin((y / 12) * Math.PI) + 320 * Math.sin((y * Math.PI) / 30)) * 2) / 3;
  return r;
}

function dLon(x, y) {
  let r = 300 + x + 2 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * Math.sqrt(Math.abs(x));
  r += ((20 * Math.sin(6 * x * Math.PI) + 20 * Math.sin(2 * x * Math.PI)) * 2) / 3;
  r += ((20 * Math.sin(x * Math.PI) + 40 * Math.sin((x / 3) * Math.PI)) * 2) / 3;
  r += ((150 * Math.sin((x / 12) * Math.PI) + 300 * Math.sin((x / 30) * Math.PI)) * 2) / 3;
  return r;
}

/** wgs84ToGcj02 returns [lon, lat] on a GCJ-02 map of the WGS84 [lon, lat]. */
export function wgs84ToGcj02([lon, lat]) {
  if (outOfChina(lon, lat)) return [lon, lat];
  const radLat = (lat / 180) * Math.PI;
  let magic = Math.sin(radLat);
  magic = 1 - EE * magic * magic;
  const sqrtMagic = Math.sqrt(magic);
  const dy = (dLat(lon - 105, lat - 35) * 180) / (((A * (1 - EE)) / (magic * sqrtMagic)) * Math.PI);
  const dx = (dLon(lon - 105, lat - 35) * 180) / ((A / sqrtMagic) * Math.cos(radLat) * Math.PI);
  return [lon + dx, lat + dy];
}

const TILE = 256;

/** Web-Mercator world pixel of [lon, lat] at zoom z (256-pixel tiles). */
export function worldPixel([lon, lat], z) {
  const size = TILE * 2 ** z;
  const s = Math.sin((lat * Math.PI) / 180);
  return [((lon + 180) / 360) * size, (0.5 - Math.log((1 + s) / (1 - s)) / (4 * Math.PI)) * size];
}

/** The [lon, lat] of world pixel [px, py] at zoom z. */
export function pixelLngLat([px, py], z) {
  const size = TILE * 2 ** z;
  const n = Math.PI - (2 * Math.PI * py) / size;
  return [(px / size) * 360 - 180, (180 / Math.PI) * Math.atan(Math.sinh(n))];
}

/**
 * gcjTileTransform says how the GCJ-02 tile pyramid shows the WGS84 tile
 * z/x/y. The tile's corners, moved by the datum shift, span a nearly
 * rectangular window of GCJ-02 world pixels; the shift also shears it
 * slightly, so the window is mapped back onto the 256-pixel tile with a full
 * affine transform (origin, then the 2×2 matrix [a b c d] in canvas order).
 * Inside one tile what is left of the shift's curvature stays under half a
 * pixel at every zoom (test/gcj02.test.mjs).
 */
export function gcjTileTransform(z, x, y) {
  const g = (fx, fy) => worldPixel(wgs84ToGcj02(pixelLngLat([(x + fx) * TILE, (y + fy) * TILE], z)), z);
  const o = g(0, 0);
  const e = g(1, 0);
  const s = g(0, 1);
  const se = g(1, 1);
  const u = [e[0] - o[0], e[1] - o[1]];
  const v = [s[0] - o[0], s[1] - o[1]];
  const det = u[0] * v[1] - u[1] * v[0];
  const xs = [o[0], e[0], s[0], se[0]];
  const ys = [o[1], e[1], s[1], se[1]];
  return {
    origin: o,
    matrix: [(TILE * v[1]) / det, (-TILE * u[1]) / det, (-TILE * v[0]) / det, (TILE * u[0]) / det],
    bounds: [Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)],
  };
}

/** tilePixel is where GCJ-02 world pixel [gx, gy] lands on the WGS84 tile of t. */
export function tilePixel(t, [gx, gy]) {
  const dx = gx - t.origin[0];
  const dy = gy - t.origin[1];
  const [a, b, c, d] = t.matrix;
  return [a * dx + c * dy, b * dx + d * dy];
}

/**
 * gcjSourceTiles lists the GCJ-02 tiles under t's window, each with the
 * place {ox, oy} to draw it at before t's matrix is applied.
 */
export function gcjSourceTiles(z, t) {
  const [x0, y0, x1, y1] = t.bounds;
  const n = 2 ** z;
  const out = [];
  for (let ty = Math.floor(y0 / TILE); ty <= Math.floor((y1 - 1e-9) / TILE); ty++) {
    for (let tx = Math.floor(x0 / TILE); tx <= Math.floor((x1 - 1e-9) / TILE); tx++) {
      if (ty < 0 || ty >= n) continue;
      out.push({ x: ((tx % n) + n) % n, y: ty, ox: tx * TILE - t.origin[0], oy: ty * TILE - t.origin[1] });
    }
  }
  return out;
}
