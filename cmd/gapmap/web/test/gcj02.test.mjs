// Unit tests of the GCJ-02 display-edge warp (static/gcj02.js): the datum
// shift against published reference points, and the composed tile against
// the exact shift of points inside it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { wgs84ToGcj02, outOfChina, gcjTileTransform, gcjSourceTiles, tilePixel, worldPixel, pixelLngLat } from '../static/gcj02.js';

test('wgs84ToGcj02 matches the published reference points', () => {
  // [WGS84 lat, lon, GCJ-02 lat, lon]: the reference set every port of the
  // formula (eviltransform and its kin) tests against.
  const cases = [
    [31.1774276, 121.5272106, 31.17530398364597, 121.531541859215], // Shanghai
    [22.543847, 113.912316, 22.540796131694766, 113.9171764808363], // Shenzhen
    [39.911954, 116.377817, 39.91334545536069, 116.38404722455657], // Beijing
  ];
  for (const [lat, lon, glat, glon] of cases) {
    const [gotLon, gotLat] = wgs84ToGcj02([lon, lat]);
    assert.ok(Math.abs(gotLon - glon) < 1e-7 && Math.abs(gotLat - glat) < 1e-7,
      `wgs84ToGcj02(${lon}, ${lat}) = ${gotLon}, ${gotLat}; want ${glon}, ${glat}`);
  }
});

test('outside China GCJ-02 is WGS84', () => {
  assert.ok(outOfChina(2.35, 48.85));
  assert.deepEqual(wgs84ToGcj02([2.35, 48.85]), [2.35, 48.85]);
});

test('a composed tile puts every place where its WGS84 tile has it', () => {
  // Linxiang (the demo county) at the zooms a bureau uses.
  for (let z = 8; z <= 18; z++) {
    const [px, py] = worldPixel([113.5, 29.5], z);
    const x = Math.floor(px / 256);
    const y = Math.floor(py / 256);
    const t = gcjTileTransform(z, x, y);
    const parts = gcjSourceTiles(z, t);
    assert.ok(parts.length >= 1 && parts.length <= 4, `z${z}: ${parts.length} source tiles`);
    // The source tiles cover the output tile's four corners.
    for (const [cx, cy] of [[0, 0], [256, 0], [0, 256], [256, 256]]) {
      assert.ok(parts.some((p) => {
        const [a, b] = tilePixel(t, [t.origin[0] + p.ox, t.origin[1] + p.oy]);
        const [c, d] = tilePixel(t, [t.origin[0] + p.ox + 256, t.origin[1] + p.oy + 256]);
        return cx >= a - 1 && cx <= c + 1 && cy >= b - 1 && cy <= d + 1;
      }), `z${z}: corner ${cx},${cy} not covered`);
    }
    for (const [fx, fy] of [[0.1, 0.1], [0.5, 0.5], [0.9, 0.2], [0.3, 0.95], [1, 1]]) {
      // A place at (fx, fy) of the WGS84 tile is drawn by the GCJ-02 map at
      // its shifted pixel; the warp must bring that pixel back to (fx, fy) within half a pixel.
      const lonlat = pixelLngLat([(x + fx) * 256, (y + fy) * 256], z);
      const [outX, outY] = tilePixel(t, worldPixel(wgs84ToGcj02(lonlat), z));
      assert.ok(Math.abs(outX - fx * 256) < 0.5 && Math.abs(outY - fy * 256) < 0.5,
        `z${z} (${fx}, ${fy}): drawn at ${outX.toFixed(3)}, ${outY.toFixed(3)}; want ${fx * 256}, ${fy * 256}`);
    }
  }
});

test('the datum shift is hundreds of metres, so a GCJ-02 basemap must be warped', () => {
  const [glon, glat] = wgs84ToGcj02([113.5, 29.5]);
  const metres = Math.hypot((glon - 113.5) * 111320 * Math.cos((29.5 * Math.PI) / 180), (glat - 29.5) * 110540);
  assert.ok(metres > 200 && metres < 1000, `shift at Linxiang ${metres.toFixed(0)} m`);
});
