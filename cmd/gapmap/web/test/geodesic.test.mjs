// Unit tests of the ground lengths (static/geodesic.js) the ruler and 出图's
// scale bar use, against lengths known independently of the code: the
// equator's arc (a·Δλ), Vincenty's own published example, and PostGIS 3.3's
// ST_Distance on geography (GeographicLib on WGS84), computed beforehand.
// The e2e test (e2e/field.test.mjs) asks PostGIS live for what the page measures.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { distanceM, pathM, lengthText } from '../static/geodesic.js';

const dms = (d, m, s) => Math.sign(d) * (Math.abs(d) + m / 60 + s / 3600);

test('distanceM is the ellipsoid geodesic, to a millimetre', () => {
  const cases = [
    // [name, a, b, metres, source]
    ['one degree along the equator', [0, 0], [1, 0], (6378137 * Math.PI) / 180, 'a·Δλ: the equator is a geodesic'],
    ['Flinders Peak to Buninyong', [dms(144, 25, 29.5244), dms(-37, 57, 3.7203)], [dms(143, 55, 35.3839), dms(-37, 39, 10.1561)], 54972.271, 'Vincenty (1975), GRS80 = CGCS2000'],
    ['one degree of meridian from the equator', [0, 0], [0, 1], 110574.388558, 'PostGIS'],
    ['across the demo county', [113.45, 29.47], [113.5321, 29.3987], 11221.281546, 'PostGIS'],
    ['Beijing to Ürümqi', [116.391, 39.907], [87.617, 43.793], 2415523.174040, 'PostGIS'],
    ['the same point', [113.2, 29.5], [113.2, 29.5], 0, 'PostGIS'],
  ];
  for (const [name, a, b, want, source] of cases) {
    const got = distanceM(a, b);
    assert.ok(Math.abs(got - want) < 0.001, `${name}: ${got} m, ${source} ${want} m`);
    assert.ok(Math.abs(distanceM(b, a) - got) < 1e-6, `${name}: not symmetric`);
  }
});

test('nearly antipodal points, where Vincenty does not converge, get the great circle within 0.5 %', () => {
  const got = distanceM([0, 0], [179.5, 0.5]);
  const postgis = 19936288.578965;
  assert.ok(Math.abs(got - postgis) / postgis < 0.005, `${got} m, PostGIS ${postgis} m`);
});

test('pathM adds up the segments', () => {
  const pts = [[113.45, 29.47], [113.5321, 29.3987], [113.45, 29.47]];
  assert.ok(Math.abs(pathM(pts) - 2 * 11221.281546) < 0.002);
  assert.equal(pathM([[113, 29]]), 0);
  assert.equal(pathM([]), 0);
});

test('lengthText writes metres below a kilometre, then kilometres', () => {
  const cases = [[0, '0 m'], [12.4, '12 m'], [999.4, '999 m'], [999.6, '1.000 km'], [1234.6, '1.235 km'], [9999.4, '9.999 km'], [12345, '12.35 km'], [2415523.17, '2415.52 km']];
  for (const [m, want] of cases) assert.equal(lengthText(m), want, `lengthText(${m})`);
});
