// End-to-end test of the review map in field and office use: the basemap
// switch (天地图 矢量 / 影像, refused with a hint without a key, never fetched
// from the internet), the ruler against PostGIS's geodesic lengths, the
// coordinate readout, and the phone layout at 390×844 (the side bar a bottom
// sheet, a village's panel opened in view, nothing wider than the screen).
// The harness (harness.mjs) starts the demo and Chromium, and stops any
// request that would leave the machine as a problem of the test.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  VIEWPORT, DB, skip, problems, READER, startGapmap, stop, newPage, idle, shot, mapPixels, mapShot, solidPNG, launch, shutdown,
} from './harness.mjs';

const PHONE = { width: 390, height: 844 };
const BACKGROUND = [233, 236, 229]; // the style's background, #e9ece5
let base;

before(async () => {
  if (skip) return;
  ({ base } = await launch());
});

after(() => shutdown());

/** basemapSources are the basemap's source ids and tile URLs in the map's style now. */
const basemapSources = (p) => p.evaluate(() => Object.entries(window.gapmap.map.getStyle().sources)
  .filter(([id]) => id.startsWith('basemap-')).map(([id, s]) => [id, s.tiles[0]]));

/** shows is the colour a raster of colour c gives at the basemap's opacity (0.85) over the background. */
const shows = (c) => c.map((v, i) => v * 0.85 + BACKGROUND[i] * 0.15);

// Outside the county, at the top left of the map: only the background or the basemap is drawn there.
const CORNER = [5, 60, 40, 40];

test('without a 天地图 key the 天地图 choices say so and fetch nothing', { skip, timeout: 300_000 }, async () => {
  const before = problems.length;
  const p = await newPage(`${base}/`, READER);
  try {
    const config = await p.evaluate(() => fetch('/config.json').then((r) => r.json()));
    assert.deepEqual(config.basemaps.map((b) => [b.id, b.name, b.tiles.length]), [['tianditu-vec', '天地图 矢量', 0], ['tianditu-img', '天地图 影像', 0]]);
    assert.equal(config.default_basemap, '');
    await p.click('#basemap-open');
    assert.ok(await p.isVisible('#basemap-list'));
    const choices = await p.$$eval('#basemap-list button', (bs) => bs.map((b) => [b.textContent, b.getAttribute('aria-pressed'), b.getAttribute('aria-disabled')]));
    assert.deepEqual(choices, [['无底图', 'true', null], ['天地图 矢量', 'false', 'true'], ['天地图 影像', 'false', 'true']]);
    assert.match(await p.textContent('#basemap-hint'), /^需要配置天地图密钥.*GAPMAP_TIANDITU_KEY/);
    assert.ok(await p.isVisible('#basemap-hint'));
    for (const id of ['tianditu-vec', 'tianditu-img']) {
      // aria-disabled: announced as unavailable, yet it takes a press and answers with the hint.
      await p.focus(`#basemap-list button[data-basemap="${id}"]`);
      await p.keyboard.press('Enter');
      await p.waitForFunction(() => /需要配置天地图密钥/.test(document.getElementById('notice').textContent) && !document.getElementById('notice').hidden);
      assert.equal(await p.evaluate(() => window.gapmap.basemap), '');
      assert.deepEqual(await basemapSources(p), []);
    }
    await idle(p);
    const bare = await mapPixels(p, [await mapShot(p)], CORNER, BACKGROUND);
    assert.ok(bare < 50, `${bare} of 1600 corner pixels are not the bare background`);
    await shot('field-basemap-no-key', p);
    // The harness stops and reports any request off this machine: none was made.
    assert.deepEqual(problems.slice(before), []);
  } finally {
    await p.close();
  }
});

test('with a 天地图 key, 矢量 and 影像 draw 天地图 with its 注记 (stubbed in the browser), and 无底图 takes it away', { skip, timeout: 300_000 }, async () => {
  const KEY = 'e2e-test-key';
  const colours = { vec: [200, 120, 40], img: [40, 160, 90] };
  const requested = [];
  // 天地图's tiles come from the browser's own stub: the request never leaves the machine.
  const stub = (p) => p.route(/^https:\/\/t0\.tianditu\.gov\.cn\//, (route) => {
    const u = new URL(route.request().url());
    requested.push(u);
    const layer = u.searchParams.get('LAYER');
    // The map layers are opaque; the 注记 layers are transparent here, so the map shows through them.
    const body = colours[layer] ? solidPNG(256, colours[layer]) : solidPNG(256, [0, 0, 0, 0]);
    return route.fulfill({ status: 200, contentType: 'image/png', headers: { 'Access-Control-Allow-Origin': '*' }, body });
  });
  const second = await startGapmap(['serve', '--addr', '127.0.0.1:0'], { GAPMAP_TIANDITU_KEY: KEY });
  const before = problems.length;
  let p;
  try {
    p = await newPage(`${second.url}/`, READER, VIEWPORT, stub);
    const layersOf = (since) => [...new Set(requested.slice(since).map((u) => u.searchParams.get('LAYER')))].sort();
    // 矢量 is the default with a key: the map, then its annotation, under the data.
    assert.equal(await p.evaluate(() => window.gapmap.basemap), 'tianditu-vec');
    assert.deepEqual(layersOf(0), ['cva', 'vec']);
    for (const u of requested) {
      assert.equal(u.searchParams.get('tk'), KEY, `${u} lacks the key`);
      assert.equal(u.searchParams.get('TILEMATRIXSET'), 'w', `${u} is not the Web-Mercator matrix`);
      assert.match(u.pathname, new RegExp(`^/${u.searchParams.get('LAYER')}_w/wmts$`));
    }
    const order = await p.evaluate(() => window.gapmap.map.getStyle().layers.map((l) => l.id));
    assert.deepEqual(order.slice(0, 4), ['background', 'basemap-0', 'basemap-1', 'county-fill'], 'the basemap is not under the data, annotation over the map');
    assert.deepEqual((await basemapSources(p)).map(([id, url]) => [id, new URL(url).searchParams.get('LAYER')]), [['basemap-0', 'vec'], ['basemap-1', 'cva']]);
    const corner = async (c) => mapPixels(p, [await mapShot(p)], CORNER, c);
    let off = await corner(shows(colours.vec));
    assert.ok(off < 100, `${off} of 1600 corner pixels do not show 天地图 矢量`);
    await shot('field-tianditu-vec', p);

    // 影像: its own tiles and annotation, and the imagery shows.
    await p.click('#basemap-open');
    let n = requested.length;
    await p.click('#basemap-list button[data-basemap="tianditu-img"]');
    await idle(p);
    assert.deepEqual(layersOf(n), ['cia', 'img']);
    assert.equal(await p.getAttribute('#basemap-list button[data-basemap="tianditu-img"]', 'aria-pressed'), 'true');
    off = await corner(shows(colours.img));
    assert.ok(off < 100, `${off} of 1600 corner pixels do not show 天地图 影像`);
    await shot('field-tianditu-img', p);

    // The choice is remembered across a reload.
    await p.reload();
    await p.waitForFunction(() => window.gapmap && window.gapmap.ready, null, { timeout: 90_000 });
    assert.equal(await p.evaluate(() => window.gapmap.basemap), 'tianditu-img');

    // 无底图: nothing of 天地图 is drawn or asked for any more.
    await p.click('#basemap-open');
    await p.click('#basemap-list button[data-basemap=""]');
    await idle(p);
    n = requested.length;
    await p.evaluate(() => window.gapmap.map.panBy([300, 200], { duration: 0 }));
    await idle(p);
    assert.equal(requested.length, n, 'tiles of 天地图 were asked for with 无底图 chosen');
    assert.deepEqual(await basemapSources(p), []);
    off = await corner(BACKGROUND);
    assert.ok(off < 50, `${off} of 1600 corner pixels are not the bare background`);
    assert.deepEqual(problems.slice(before), []);
  } finally {
    await p?.close();
    stop(second);
  }
});

/** geodesicM asks PostGIS for the lengths of the segments through points ([lon, lat]): ST_Distance on geography, the ellipsoid's geodesic. */
function geodesicM(points) {
  const sql = `WITH p AS (SELECT i, (e->>0)::float8 AS lon, (e->>1)::float8 AS lat FROM jsonb_array_elements(:'pts'::jsonb) WITH ORDINALITY AS t(e, i))
SELECT ST_Distance(ST_SetSRID(ST_MakePoint(a.lon, a.lat), 4326)::geography, ST_SetSRID(ST_MakePoint(b.lon, b.lat), 4326)::geography)
FROM p a JOIN p b ON b.i = a.i + 1 ORDER BY a.i;\n`;
  const r = spawnSync('psql', [DB, '-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-v', `pts=${JSON.stringify(points)}`], { input: sql, encoding: 'utf8' });
  assert.equal(r.status, 0, `psql: ${r.stderr}`);
  return r.stdout.trim().split('\n').map(Number);
}

/**
 * measured reads the ended ruler of p: its points must be where the page
 * pixels px ([x, y], a click or tap each) lie on the map, and each segment
 * and the total must equal PostGIS's geodesics within 1 mm. It returns the
 * total, the total as shown, and the zoom.
 */
async function measured(p, px, what) {
  const { points, segments, total, shown, unprojected, zoom } = await p.evaluate((px) => {
    const { map, ruler } = window.gapmap;
    const c = map.getCanvas().getBoundingClientRect();
    return {
      points: ruler.points,
      segments: [...document.querySelectorAll('#ruler-segments li')].map((li) => Number(li.dataset.metres)),
      total: Number(document.getElementById('ruler-total').dataset.metres),
      shown: document.getElementById('ruler-total').textContent,
      unprojected: px.map(([x, y]) => map.unproject([x - c.left, y - c.top]).toArray()),
      zoom: map.getZoom(),
    };
  }, px);
  assert.equal(points.length, px.length, `${px.length} ${what}s left ${points.length} points`);
  points.forEach((pt, i) => assert.ok(Math.abs(pt[0] - unprojected[i][0]) < 1e-6 && Math.abs(pt[1] - unprojected[i][1]) < 1e-6,
    `point ${i} ${pt} is not where the ${what} was (${unprojected[i]})`));
  const want = geodesicM(points);
  assert.equal(segments.length, want.length);
  segments.forEach((m, i) => assert.ok(Math.abs(m - want[i]) < 0.001, `segment ${i + 1}: ${m} m, PostGIS ${want[i]} m`));
  const wantTotal = want.reduce((a, b) => a + b, 0);
  assert.ok(Math.abs(total - wantTotal) < 0.001, `total ${total} m, PostGIS ${wantTotal} m`);
  return { total: wantTotal, shown, zoom };
}

test('测距 measures geodesic lengths as PostGIS does; a double click or Esc ends it, 清除 clears it', { skip, timeout: 300_000 }, async () => {
  const before = problems.length;
  const p = await newPage(`${base}/`, READER);
  try {
    const canvas = await p.locator('#map canvas.maplibregl-canvas').boundingBox();
    const at = (x, y) => [canvas.x + x, canvas.y + y];
    const zoom = await p.evaluate(() => window.gapmap.map.getZoom());
    await p.click('#ruler-open');
    assert.equal(await p.getAttribute('#ruler-open', 'aria-pressed'), 'true');
    assert.match(await p.textContent('#ruler-panel'), /在地图上点击起点/);
    const clicks = [[260, 180], [620, 520], [820, 260]];
    await p.mouse.click(...at(...clicks[0]));
    await p.mouse.click(...at(...clicks[1]));
    // The stretch to the pointer is shown while measuring, not counted.
    await p.mouse.move(...at(500, 300));
    await p.waitForSelector('#ruler-segments li.pending');
    // A double click adds the last point and ends.
    await p.mouse.dblclick(...at(...clicks[2]));
    await p.waitForFunction(() => !window.gapmap.ruler.active);
    const { total, shown, zoom: zoomNow } = await measured(p, clicks.map((c) => at(...c)), 'click');
    assert.equal(zoomNow, zoom, 'the double click that ended the ruler zoomed the map');
    assert.ok(total > 5000, `the test measured only ${total} m`);
    assert.equal(shown, `总长 ${(total / 1000).toFixed(total < 10_000 ? 3 : 2)} km（2 段）`);
    assert.match(await p.textContent('#ruler-segments'), /^第 1 段 [\d.]+ k?m第 2 段 [\d.]+ k?m$/);
    // Measuring clicked no village open.
    assert.ok(await p.isHidden('#panel'), 'a click of the ruler opened a village');
    // The line's features are there once the map has drawn the source's new data.
    await idle(p);
    const drawn = await p.evaluate(() => window.gapmap.map.querySourceFeatures('ruler').length);
    assert.ok(drawn >= 4, `the measured line is not on the map (${drawn} features)`);
    await shot('field-ruler', p);

    // Again, ended by Esc; then 清除.
    await p.click('#ruler-open');
    assert.equal(await p.evaluate(() => window.gapmap.ruler.points.length), 0);
    await p.mouse.click(...at(300, 300));
    await p.mouse.click(...at(400, 420));
    await p.keyboard.press('Escape');
    assert.equal(await p.evaluate(() => window.gapmap.ruler.active), false);
    const [one] = geodesicM(await p.evaluate(() => window.gapmap.ruler.points));
    assert.ok(Math.abs(Number(await p.getAttribute('#ruler-total', 'data-metres')) - one) < 0.001);
    await p.click('#ruler-clear');
    assert.ok(await p.isHidden('#ruler-panel'));
    await idle(p);
    assert.equal(await p.evaluate(() => window.gapmap.map.querySourceFeatures('ruler').length), 0);
    assert.deepEqual(problems.slice(before), []);
  } finally {
    await p.close();
  }
});

test('测距 on a 390×844 touch screen: taps add points, 结束 ends, the lengths are PostGIS\'s geodesics', { skip, timeout: 300_000 }, async () => {
  const before = problems.length;
  const p = await newPage(`${base}/`, READER, PHONE, null, { hasTouch: true, isMobile: true });
  try {
    // tapOn taps the middle of what selector shows, as a finger would.
    const tapOn = async (selector) => {
      const b = await p.locator(selector).boundingBox();
      assert.ok(b, `${selector} is not shown`);
      await p.touchscreen.tap(Math.round(b.x + b.width / 2), Math.round(b.y + b.height / 2));
    };
    await tapOn('#ruler-open');
    await p.waitForFunction(() => window.gapmap.ruler.active, null, { timeout: 10_000 })
      .catch(() => assert.fail('a tap on 测距 did not start the ruler'));
    // Three places on the map, spread over it, where a finger touches the map
    // itself (15 px around is map too): not the controls, the ruler's panel,
    // the readout or the sheet.
    const spots = await p.evaluate((targets) => {
      const c = window.gapmap.map.getCanvas().getBoundingClientRect();
      const onMap = (x, y) => Boolean(document.elementFromPoint(x, y)?.matches('canvas.maplibregl-canvas'));
      const free = [];
      for (let y = c.top + 20; y < c.bottom - 20; y += 10) {
        for (let x = c.left + 20; x < c.right - 20; x += 10) {
          if ([[0, 0], [15, 0], [-15, 0], [0, 15], [0, -15]].every(([dx, dy]) => onMap(x + dx, y + dy))) free.push([Math.round(x), Math.round(y)]);
        }
      }
      const d = ([x, y], [fx, fy]) => Math.hypot(x - (c.left + fx * c.width), y - (c.top + fy * c.height));
      return targets.map((t) => free.reduce((best, q) => (!best || d(q, t) < d(best, t) ? q : best), null));
    }, [[0.15, 0.4], [0.6, 0.75], [0.25, 0.65]]);
    assert.ok(spots.every(Boolean), 'no place on the map is free of controls');
    for (const [x, y] of spots) {
      const on = await p.evaluate(([x, y]) => {
        const e = document.elementFromPoint(x, y);
        return e.matches('canvas.maplibregl-canvas') ? '' : `${e.tagName}#${e.id}.${e.className}`;
      }, [x, y]);
      assert.equal(on, '', `the tap at ${x},${y} would land on ${on}, not the map`);
      const n = await p.evaluate(() => window.gapmap.ruler.points.length);
      await p.touchscreen.tap(x, y);
      await p.waitForFunction((n) => window.gapmap.ruler.points.length === n + 1, n, { timeout: 10_000 })
        .catch(() => assert.fail(`the tap at ${x},${y} added no point`));
    }
    await tapOn('#ruler-end');
    await p.waitForFunction(() => !window.gapmap.ruler.active, null, { timeout: 10_000 })
      .catch(() => assert.fail('a tap on 结束 did not end the ruler'));
    const { total } = await measured(p, spots, 'tap');
    assert.ok(total > 1000, `the test measured only ${total} m`);
    // Measuring opened no village. (A tap that zoomed or panned the map would have failed the points' check above.)
    assert.ok(await p.isHidden('#panel'), 'a tap of the ruler opened a village');
    await shot('field-ruler-touch', p);
    assert.deepEqual(problems.slice(before), []);
  } finally {
    await p.close();
  }
});

/** fromDMS reads "113°12′34.5″E 29°28′34.0″N" back as [lon, lat] in degrees. */
function fromDMS(text) {
  return text.split(' ').map((part) => {
    const m = /^(\d+)°(\d\d)′(\d\d\.\d)″([NSEW])$/.exec(part);
    assert.ok(m, `not 度分秒: ${part}`);
    const v = Number(m[1]) + Number(m[2]) / 60 + Number(m[3]) / 3600;
    return m[4] === 'S' || m[4] === 'W' ? -v : v;
  });
}

test('the coordinate readout follows the pointer in CGCS2000, keeps a click, and copies either form', { skip, timeout: 300_000 }, async () => {
  const before = problems.length;
  const p = await newPage(`${base}/`, READER);
  try {
    await p.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: base });
    const canvas = await p.locator('#map canvas.maplibregl-canvas').boundingBox();
    const readout = async () => ({
      label: await p.textContent('#coords .coords-label'),
      decimal: await p.textContent('#coords-decimal'),
      dms: await p.textContent('#coords-dms'),
    });
    const where = (x, y) => p.evaluate(([px, py]) => window.gapmap.map.unproject([px, py]).wrap().toArray(), [x, y]);
    for (const [x, y] of [[200, 150], [731, 402]]) {
      await p.mouse.move(canvas.x + x, canvas.y + y);
      const r = await readout();
      const [lon, lat] = await where(x, y);
      assert.equal(r.label, '指针 CGCS2000');
      assert.equal(r.decimal, `${lon.toFixed(6)}, ${lat.toFixed(6)}`);
      const [dLon, dLat] = fromDMS(r.dms);
      // 0.1″ is the last place: at most half of it off.
      assert.ok(Math.abs(dLon - lon) <= 0.05 / 3600 + 1e-12 && Math.abs(dLat - lat) <= 0.05 / 3600 + 1e-12, `${r.dms} is not ${lon}, ${lat}`);
      assert.match(r.dms, /E .*N$/, 'the demo county is east and north');
    }
    // A click keeps its place: off the map, the readout shows it. The
    // place is outside the county, so that the click opens no village.
    const [cx, cy] = [25, 90];
    await p.mouse.click(canvas.x + cx, canvas.y + cy);
    const clicked = await where(cx, cy);
    await p.mouse.move(canvas.x + 40, canvas.y + 40);
    await p.hover('#coords-dms');
    let r = await readout();
    assert.equal(r.label, '点击处 CGCS2000');
    assert.equal(r.decimal, `${clicked[0].toFixed(6)}, ${clicked[1].toFixed(6)}`);
    await p.click('#coords-dms');
    assert.equal(await p.evaluate(() => navigator.clipboard.readText()), r.dms);
    assert.match(await p.textContent('#notice'), /^已复制度分秒：/);
    await p.click('#coords-decimal');
    r = await readout();
    assert.equal(await p.evaluate(() => navigator.clipboard.readText()), r.decimal);
    await shot('field-coords', p);
    assert.deepEqual(problems.slice(before), []);
  } finally {
    await p.close();
  }
});

/**
 * overflowing lists the elements that reach past the sides of the viewport
 * without a scrolling or clipping box (itself inside the viewport) around
 * them: what would make the page wider than the screen.
 */
function overflowing(p) {
  return p.evaluate(() => {
    const vw = document.documentElement.clientWidth;
    const inside = (r) => r.left >= -1 && r.right <= vw + 1;
    const clipped = (e) => {
      for (let a = e.parentElement; a && a !== document.body; a = a.parentElement) {
        if (/auto|scroll|hidden|clip/.test(getComputedStyle(a).overflowX)) return inside(a.getBoundingClientRect());
      }
      return false;
    };
    return [...document.body.querySelectorAll('*')].filter((e) => {
      const r = e.getBoundingClientRect();
      if (!r.width || !r.height || getComputedStyle(e).visibility === 'hidden') return false;
      return !inside(r) && !clipped(e);
    }).map((e) => `${e.tagName.toLowerCase()}#${e.id}.${e.className} ${Math.round(e.getBoundingClientRect().left)}…${Math.round(e.getBoundingClientRect().right)}`);
  });
}

/** onTop is true when the element of selector is what the viewport shows at its centre (nothing covers it). */
function onTop(p, selector) {
  return p.$eval(selector, (e) => {
    const r = e.getBoundingClientRect();
    const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
    return Boolean(hit) && (e === hit || e.contains(hit));
  });
}

/** inViewport asserts that selector's box lies inside the viewport of size vp. */
async function inViewport(p, selector, vp) {
  const b = await p.locator(selector).boundingBox();
  assert.ok(b && b.x >= -1 && b.y >= -1 && b.x + b.width <= vp.width + 1 && b.y + b.height <= vp.height + 1,
    `${selector} lies outside ${vp.width}×${vp.height}: ${JSON.stringify(b)}`);
  return b;
}

test('at 390×844 the side bar is a bottom sheet, a village opens in view, and nothing is wider than the screen', { skip, timeout: 300_000 }, async () => {
  const before = problems.length;
  const p = await newPage(`${base}/`, READER, PHONE);
  try {
    const noOverflow = async (when) => {
      const size = await p.evaluate(() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]);
      assert.ok(size[0] <= PHONE.width, `${when}: the page is ${size[0]} px wide at ${PHONE.width}`);
      assert.deepEqual(await overflowing(p), [], `${when}: elements wider than the screen`);
    };
    await noOverflow('on load');
    // The map fills the screen above the collapsed sheet; its controls are in reach.
    const map = await inViewport(p, '#map', PHONE);
    assert.ok(map.height > 500, `the map is ${map.height} px high`);
    assert.equal(await p.getAttribute('#side', 'data-sheet'), 'collapsed');
    const handle = await inViewport(p, '#sheet-handle', PHONE);
    assert.ok(handle.y + handle.height > PHONE.height - 60, `the sheet's handle is not at the bottom: ${JSON.stringify(handle)}`);
    for (const c of ['.maplibregl-ctrl-zoom-in', '#basemap-open', '#ruler-open', '#coords-dms', '.maplibregl-ctrl-scale']) {
      await inViewport(p, c, PHONE);
      assert.ok(await onTop(p, c), `${c} is covered`);
    }
    await shot('field-phone-map', p);

    // A tap steps the sheet through half and full height back to its handle,
    // each at its height once the transition ends (the header's height taken off full).
    for (const want of ['half', 'full', 'collapsed']) {
      await p.click('#sheet-handle');
      await p.waitForFunction((w) => {
        const side = document.getElementById('side');
        const h = { half: innerHeight / 2, full: innerHeight - document.getElementById('top').offsetHeight, collapsed: 52 }[w];
        return side.dataset.sheet === w && Math.abs(side.getBoundingClientRect().height - h) <= 2;
      }, want, { timeout: 10_000 });
    }
    // A drag puts it at the nearest height: up to about the middle is half.
    const h = await p.locator('#sheet-handle').boundingBox();
    await p.mouse.move(h.x + h.width / 2, h.y + 20);
    await p.mouse.down();
    await p.mouse.move(h.x + h.width / 2, PHONE.height * 0.45, { steps: 8 });
    await p.mouse.up();
    await p.waitForFunction(() => document.getElementById('side').dataset.sheet === 'half');
    await noOverflow('the sheet at half height');
    await shot('field-phone-sheet-half', p);

    // A village from the ranking: its panel opens in view, over the map, the sheet out of its way.
    const code = await p.getAttribute('#ranking li[data-code]', 'data-code');
    await p.click(`#ranking li[data-code="${code}"]`);
    await p.waitForSelector('#village-scores');
    await p.waitForTimeout(1000); // the panel's fitBounds (700 ms)
    await idle(p);
    const panel = await inViewport(p, '#panel', PHONE);
    assert.ok(panel.height > 300, `the panel is ${panel.height} px high`);
    assert.ok(await onTop(p, '#panel') && await onTop(p, '#village-name'), 'the village panel is covered');
    assert.equal(await p.getAttribute('#side', 'data-sheet'), 'collapsed');
    // The village is zoomed to above the panel.
    const office = await p.evaluate((c) => {
      const f = window.gapmap.byCode.get(c);
      return f.geometry ? window.gapmap.map.project(f.geometry.coordinates).y : null;
    }, code);
    const mapTop = (await p.locator('#map').boundingBox()).y;
    if (office !== null) assert.ok(office >= 0 && mapTop + office < panel.y, `the village is drawn at ${mapTop + office}, under the panel at ${panel.y}`);
    await noOverflow('with the village panel open');
    await shot('field-phone-village', p);
    await p.click('#panel button[aria-label="关闭村详情"]');
    assert.ok(await p.isHidden('#panel'));
    assert.equal(await p.evaluate(() => window.gapmap.map.getPadding().bottom), 0);

    // A village from the village table: its panel comes over the table.
    await p.click('#open-village-table');
    await p.waitForFunction(() => document.querySelectorAll('#vt-table tbody tr[data-code]').length > 0);
    await noOverflow('with the village table open');
    const row = p.locator('#vt-table tbody tr[data-code]').first();
    const fromTable = await row.getAttribute('data-code');
    await row.locator('a').first().click(); // the village's name
    await p.waitForFunction((c) => document.getElementById('village-name') && !document.getElementById('panel').hidden
      && document.querySelector('#village-scores') && window.gapmap.panel.code === c, fromTable);
    await inViewport(p, '#panel', PHONE);
    assert.ok(await onTop(p, '#village-name'), 'the village panel opened from the table is covered');
    await noOverflow('with the village panel over the table');
    await shot('field-phone-village-from-table', p);
    assert.deepEqual(problems.slice(before), []);
  } finally {
    await p.close();
  }
});

test('at 1366×768 the side bar stays a column beside the map, with no sheet handle', { skip, timeout: 300_000 }, async () => {
  const p = await newPage(`${base}/`, READER);
  try {
    assert.ok(await p.isHidden('#sheet-handle'));
    const side = await p.locator('#side').boundingBox();
    const map = await p.locator('#map').boundingBox();
    assert.ok(side.x === 0 && Math.round(side.width) === 290 && map.x >= side.width, `side ${JSON.stringify(side)}, map ${JSON.stringify(map)}`);
    assert.equal(await p.evaluate(() => window.gapmap.map.getPadding().bottom), 0);
  } finally {
    await p.close();
  }
});
