// End-to-end test of the review map on an offline PMTiles pack: `gapmap
// tiles pack --page` writes the archive and the page into a folder, a plain
// static file server (this file's, with HTTP range requests and nothing of
// gapmap) hosts it, and the page opened as index.html?pmtiles=county.pmtiles
// must draw the same map as the page on the served tiles of the same
// database: the same features of every layer at several views, and the same
// pixels. It runs after review.test.mjs (file order), on the database that
// test leaves; both pages read it at the same moment.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createReadStream, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { BIN, DB, missing, skip, startGapmap, stop, launchBrowser, idle, mapPixels } from './harness.mjs';

const ARTIFACTS = new URL('./artifacts/', import.meta.url).pathname;
const VIEWPORT = { width: 1366, height: 768 };
// The static server's content types: a module script must come as JavaScript.
const TYPES = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.mjs': 'text/javascript', '.css': 'text/css',
  '.txt': 'text/plain; charset=utf-8', '.json': 'application/json',
};

let playwright;
let browser;
let server; // gapmap on the e2e database, reading public
let site; // the static server: {url, seen (paths asked), close}
let dir; // the folder tiles pack --page wrote

/**
 * staticSite serves the files below root as any static web server does:
 * GET with single byte ranges (which PMTiles readers need), 404 for
 * anything else. seen collects the paths asked for.
 */
function staticSite(root) {
  const seen = [];
  const srv = createServer((req, res) => {
    const { pathname } = new URL(req.url, 'http://site');
    seen.push(pathname);
    const file = path.join(root, decodeURIComponent(pathname));
    let st;
    try {
      st = file.startsWith(root) ? statSync(file) : null;
    } catch {
      st = null;
    }
    if (!st || !st.isFile() || req.method !== 'GET') {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found');
      return;
    }
    const type = TYPES[path.extname(file)] || 'application/octet-stream';
    const m = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range || '');
    if (m) {
      const start = Number(m[1]);
      const end = Math.min(m[2] ? Number(m[2]) : st.size - 1, st.size - 1);
      res.writeHead(206, { 'Content-Type': type, 'Content-Range': `bytes ${start}-${end}/${st.size}`, 'Content-Length': end - start + 1, 'Accept-Ranges': 'bytes' });
      createReadStream(file, { start, end }).pipe(res);
      return;
    }
    res.writeHead(200, { 'Content-Type': type, 'Content-Length': st.size, 'Accept-Ranges': 'bytes' });
    createReadStream(file).pipe(res);
  });
  return new Promise((resolve) => {
    srv.listen(0, '127.0.0.1', () => resolve({ url: `http://127.0.0.1:${srv.address().port}`, seen, close: () => srv.close() }));
  });
}

/** open opens url in a context of its own, waits for the map, and collects what goes wrong and every URL asked. */
async function open(url) {
  const p = await browser.newPage({ viewport: VIEWPORT });
  p.problems = [];
  p.requests = [];
  p.on('console', (m) => { if (m.type() === 'error') p.problems.push(`console: ${m.text()}`); });
  p.on('pageerror', (e) => p.problems.push(`page error: ${e.message}`));
  p.on('request', (r) => p.requests.push(r.url()));
  p.on('requestfailed', (r) => {
    if (r.failure()?.errorText !== 'net::ERR_ABORTED') p.problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`);
  });
  p.on('response', (r) => { if (r.status() >= 400) p.problems.push(`HTTP ${r.status()}: ${r.url()}`); });
  await p.goto(url);
  await p.waitForFunction(() => window.gapmap && window.gapmap.ready, null, { timeout: 90_000 });
  await idle(p);
  return p;
}

/**
 * faults are p's problems but an anonymous visitor's session probe (GET
 * /api/v1/session, 401 where reading is public) and as many console lines
 * about a 401.
 */
function faults(p) {
  const probe = (x) => /^HTTP 401: http:\/\/[^/]+\/api\/v1\/session$/.test(x);
  let probes = p.problems.filter(probe).length;
  return p.problems.filter((x) => {
    if (probe(x)) return false;
    if (probes > 0 && /^console: .*status of 401/.test(x)) {
      probes--;
      return false;
    }
    return true;
  });
}

/**
 * features lists, per source layer of the map's tiles, the distinct
 * features the map has loaded for its view: id and properties, sorted.
 */
function features(p) {
  return p.evaluate(() => {
    const { map } = window.gapmap;
    const layers = [...new Set(map.getStyle().layers.filter((l) => l.source === 'gapmap').map((l) => l['source-layer']))].sort();
    const out = {};
    for (const l of layers) {
      const fs = map.querySourceFeatures('gapmap', { sourceLayer: l });
      out[l] = [...new Set(fs.map((f) => `${f.id}|${f.geometry.type}|${JSON.stringify(f.properties)}`))].sort();
    }
    return out;
  });
}

/** view moves the map of p to centre and zoom at once and waits until it has drawn. */
async function view(p, centre, zoom) {
  await p.evaluate(([c, z]) => window.gapmap.map.jumpTo({ center: c, zoom: z }), [centre, zoom]);
  await idle(p);
}

before(async () => {
  if (skip) return;
  assert.deepEqual(missing, [], `the end-to-end test cannot run: missing ${missing.join(', ')}`);
  mkdirSync(ARTIFACTS, { recursive: true });
  playwright = await import('playwright-core');
  // demo loads the county unless it is there (this file may run alone).
  server = await startGapmap(['demo', '--addr', '127.0.0.1:0'], { GAPMAP_PUBLIC_READ: 'true' });
  dir = mkdtempSync(path.join(tmpdir(), 'gapmap-site-'));
  const pack = spawnSync(BIN, ['tiles', 'pack', '--layerset', 'all', '--maxzoom', '14', '--page', '--out', path.join(dir, 'county.pmtiles')],
    { env: { ...process.env, DATABASE_URL: DB, GAPMAP_LOG_LEVEL: 'warn' }, encoding: 'utf8' });
  assert.equal(pack.status, 0, `tiles pack --page: ${pack.stdout}\n${pack.stderr}`);
  assert.match(pack.stdout, /index\.html\?pmtiles=county\.pmtiles/);
  site = await staticSite(dir);
  browser = await launchBrowser(playwright);
});

after(async () => {
  await browser?.close();
  site?.close();
  stop(server);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('the page on a PMTiles pack, without gapmap, draws what the served tiles draw', { skip, timeout: 600_000 }, async (t) => {
  const html = readFileSync(path.join(dir, 'index.html'), 'utf8');
  assert.ok(!html.includes('{{static}}') && html.includes('src="static/app.js"'), 'the copied page names its files relative to itself');

  const served = await open(`${server.url}/`);
  const offline = await open(`${site.url}/index.html?pmtiles=county.pmtiles`);
  try {
    await t.test('offline, the page asks only the static server, and only for files', async () => {
      assert.deepEqual(faults(offline), []);
      const elsewhere = offline.requests.filter((u) => !u.startsWith(`${site.url}/`) && !u.startsWith('data:') && !u.startsWith('blob:'));
      assert.deepEqual(elsewhere, [], 'the offline page reached out of its site');
      const apiLike = site.seen.filter((p) => /^\/(api|tiles|config\.json|auth)/.test(p));
      assert.deepEqual(apiLike, [], 'the offline page asked for the API');
      assert.ok(site.seen.includes('/county.pmtiles'), `the archive was never read: ${site.seen}`);
      assert.ok(site.seen.includes('/static/vendor/pmtiles.js'));
    });

    await t.test('offline, what needs the server says so', async () => {
      assert.match(await offline.textContent('#offline-badge'), /离线瓦片包：county\.pmtiles/);
      assert.match(await offline.textContent('#ranking'), /离线模式不可用/);
      for (const id of ['#open-projects', '#open-village-table', '#open-progress', '#search']) {
        assert.ok(await offline.isDisabled(id), `${id} is enabled offline`);
      }
      assert.ok(await offline.isHidden('#login'), 'the offline page asks for a login');
      // A click on a village says that its panel needs the server, and opens nothing.
      const dot = await offline.evaluate(() => {
        const { map } = window.gapmap;
        const f = map.queryRenderedFeatures({ layers: ['villages-point'] })
          .find((x) => { const q = map.project(x.geometry.coordinates); return q.x > 40 && q.y > 40 && q.x < map.getCanvas().clientWidth - 40 && q.y < map.getCanvas().clientHeight - 40; });
        return f && map.project(f.geometry.coordinates);
      });
      assert.ok(dot, 'no village dot on the offline map');
      const box = await offline.locator('#map canvas').boundingBox();
      await offline.mouse.click(box.x + dot.x, box.y + dot.y);
      await offline.waitForSelector('#notice:not([hidden])');
      assert.match(await offline.textContent('#notice'), /离线模式不可用：村详情需要连接 gapmap 服务/);
      assert.ok(await offline.isHidden('#panel'));
    });

    // The county's centre, and views at the zooms where layers start: the
    // features loaded for each view are the same, layer by layer.
    const bounds = await served.evaluate(() => window.gapmap.countyBounds);
    const centre = [(bounds[0][0] + bounds[1][0]) / 2, (bounds[0][1] + bounds[1][1]) / 2];
    const village = await served.evaluate(() => window.gapmap.villages.find((f) => f.geometry && f.properties.is_poor_village).geometry.coordinates);
    const views = [[centre, 8], [centre, 10], [village, 12], [village, 14], [village, 15.5]];
    for (const [c, z] of views) {
      await t.test(`the same features at zoom ${z}`, async () => {
        await view(served, c, z);
        await view(offline, c, z);
        const [a, b] = [await features(served), await features(offline)];
        assert.deepEqual(Object.keys(b), Object.keys(a));
        const total = Object.values(a).reduce((n, fs) => n + fs.length, 0);
        assert.ok(total > 0, `no feature loaded at zoom ${z}`);
        for (const l of Object.keys(a)) assert.deepEqual(b[l], a[l], `layer ${l} at zoom ${z}: offline ${b[l].length}, served ${a[l].length} features`);
      });
    }

    await t.test('the same pixels', async () => {
      // Labels come from the API on the served page (village offices,
      // township centres), not from the tiles: both pages hide them here.
      // The coordinate readout shows where each page was last clicked.
      const hide = (p) => p.evaluate(() => {
        for (const id of ['villages-label', 'township-labels']) window.gapmap.map.setLayoutProperty(id, 'visibility', 'none');
        document.getElementById('coords').style.visibility = 'hidden';
      });
      for (const [c, z] of [[centre, 10], [village, 13]]) {
        for (const p of [served, offline]) {
          await hide(p);
          await view(p, c, z);
        }
        const [a, b] = [await served.locator('#map canvas').screenshot(), await offline.locator('#map canvas').screenshot()];
        await offline.screenshot({ path: `${ARTIFACTS}offline-z${z}.png` });
        const size = (p) => p.evaluate(() => [window.gapmap.map.getCanvas().width, window.gapmap.map.getCanvas().height]);
        const [w, h] = await size(served);
        assert.deepEqual(await size(offline), [w, h], 'the two maps differ in size');
        const differ = await mapPixels(served, [a, b], [0, 0, w, h]);
        t.diagnostic(`zoom ${z}: ${differ} of ${w * h} pixels differ between the served and the offline map`);
        assert.ok(differ <= w * h * 0.001, `zoom ${z}: ${differ} of ${w * h} pixels differ between the served and the offline map`);
      }
    });
    assert.deepEqual(faults(served), []);
    assert.deepEqual(faults(offline), []);
  } finally {
    await served.close();
    await offline.close();
  }
});
