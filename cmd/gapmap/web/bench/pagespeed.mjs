// pagespeed measures the review map's two speeds of issue 21: navigation
// start → the first map drawn, and a click on a village → its panel shown
// with its indicators. It is a benchmark, run by hand (make bench-page), not
// a test: it asserts nothing about the figures, it prints them.
//
//   node bench/pagespeed.mjs [--runs N] [--software-compositing] label=/path/to/gapmap [label=/path/to/gapmap …]
//
// Each binary runs `gapmap demo` on GAPMAP_E2E_DATABASE_URL (loaded once by
// the first) with its access log on; the runs alternate between the
// binaries, so that two builds (before/after a change) meet the same machine
// load. A run is a fresh browser context, logged in by its session cookie:
// a cold load (empty HTTP cache), then a warm one (a second tab of the same
// context: what the browser cached is reused). Chromium is Debian's, headless,
// WebGL on SwiftShader (the CPU): there is no GPU on the machines this runs
// on, so the figures are an upper bound for an office PC with one.
// On SwiftShader the browser's own compositing is costly too: each frame of
// the page takes the GPU process 0.1–0.4 s to put on screen, and WebGL
// waits behind it (one GPU thread). --software-compositing adds a second
// browser that composites on the CPU (--disable-gpu-compositing), WebGL
// still on SwiftShader; its runs alternate with the first's. The page's own
// layers then cost SwiftShader nothing, but every WebGL frame is read back
// to the CPU, and the main thread waits on that read (traced: 0.79 s for the
// first full draw) where it waited on shader links before. Neither browser
// stands for a PC with a GPU; the two show what compositing costs.
//
// "Map drawn" is the first MapLibre 'idle' once the village layer has
// rendered features: every tile of the first view loaded and drawn. "Panel"
// is from the mousedown on a village's dot to the first frame after the
// panel holds the village's title and indicator rows.
import { loadavg, cpus } from 'node:os';
import { launchBrowser, PASSWORD, READER, startGapmap, VIEWPORT } from '../e2e/harness.mjs';

const args = process.argv.slice(2);
let runs = 5;
let profile = false; // --profile: a CPU profile of the main thread up to the map drawn, by script
const browsers = [{ name: 'SwiftShader', args: [] }];
const builds = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--runs') runs = Number(args[++i]);
  else if (args[i] === '--profile') profile = true;
  else if (args[i] === '--software-compositing') browsers.push({ name: 'software compositing', args: ['--disable-gpu-compositing'] });
  else if (/^[^=]+=.+/.test(args[i])) builds.push({ label: args[i].split('=')[0], bin: args[i].slice(args[i].indexOf('=') + 1) });
  else throw new Error(`pagespeed: unknown argument ${args[i]}; usage: pagespeed.mjs [--runs N] label=/path/to/gapmap …`);
}
const DB = process.env.GAPMAP_E2E_DATABASE_URL;
if (!builds.length || !DB || !(runs > 0)) {
  throw new Error('pagespeed: needs GAPMAP_E2E_DATABASE_URL and at least one label=/path/to/gapmap (make bench-page provides both)');
}

/** start runs bin's demo with the access log on and resolves with its URL and the log's durations by request id. */
async function start(build) {
  const served = new Map(); // request id → {route, ms}
  let rest = '';
  const accessLog = (d) => {
    const lines = (rest + d).split('\n');
    rest = lines.pop();
    for (const l of lines) {
      if (!l.includes('"msg":"http"')) continue;
      const e = JSON.parse(l);
      served.set(e.request_id, { route: e.route, ms: e.dur_ms });
    }
  };
  const { proc, url } = await startGapmap(['demo', '--addr', '127.0.0.1:0'], { GAPMAP_LOG_LEVEL: 'info' }, { bin: build.bin, onStderr: accessLog });
  const res = await fetch(`${url}/api/v1/session`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ login: READER, password: PASSWORD }),
  });
  if (res.status !== 201) throw new Error(`${build.label}: login ${READER}: HTTP ${res.status}`);
  const cookies = res.headers.getSetCookie().map((c) => {
    const [name, ...v] = c.split(';')[0].split('=');
    return { name, value: v.join('='), url };
  });
  return { ...build, proc, url, served, seen: new Set(), cookies };
}

/**
 * HOOK runs in the page before its scripts: it catches window.gapmap and its
 * map as app.js sets them, and marks (performance.now(), from navigation
 * start) when app.js ran, the map was made, loaded, and first drawn with
 * villages.
 */
const HOOK = () => {
  const b = { marks: {} };
  window.__bench = b;
  const mark = (k) => { if (!(k in b.marks)) b.marks[k] = performance.now(); };
  let app;
  Object.defineProperty(window, 'gapmap', {
    configurable: true,
    get: () => app,
    set: (a) => {
      app = a;
      mark('app.js ran');
      // The panel's render: the DOM it builds from the village's answers, timed.
      let panel = a.panel;
      Object.defineProperty(a, 'panel', {
        configurable: true, enumerable: true,
        get: () => panel,
        set: (p) => {
          panel = p;
          const render = p.render;
          p.render = function timed(...args) {
            const t0 = performance.now();
            try { return render.apply(this, args); } finally { b.panelRenderMs = performance.now() - t0; }
          };
        },
      });
      let map = a.map;
      Object.defineProperty(a, 'map', {
        configurable: true, enumerable: true,
        get: () => map,
        set: (m) => {
          map = m;
          if (!m) return;
          mark('map made');
          // MapLibre's frames (its internal _render, unchanged since v1): how
          // many, and their time, between a click and the panel shown.
          b.frames = 0;
          b.frameMs = 0;
          const frame = m._render;
          m._render = function timed(...args) {
            const t0 = performance.now();
            try { return frame.apply(this, args); } finally { b.frames++; b.frameMs += performance.now() - t0; }
          };
          m.on('resize', () => { b.resizes = (b.resizes || 0) + 1; });
          m.once('load', () => mark('map load'));
          const drawn = () => {
            const n = m.queryRenderedFeatures({ layers: ['villages-point'] }).length;
            if (n > 0 && m.areTilesLoaded()) { mark('map drawn'); b.villagesDrawn = n; m.off('idle', drawn); }
          };
          m.on('idle', drawn);
        },
      });
    },
  });
  document.addEventListener('mousedown', () => {
    b.clickAt = performance.now();
    Object.assign(b, { framesAtClick: b.frames, frameMsAtClick: b.frameMs, resizesAtClick: b.resizes || 0, programsAtClick: b.programs, shaderMsAtClick: b.shaderMs });
  }, true);
  // WebGL programs: how many the map links, and the time spent in the calls
  // that wait for a shader's compilation or a program's link (on SwiftShader,
  // the CPU compiles them; a GPU's driver does it in a fraction of the time).
  b.programs = 0;
  b.shaderMs = 0;
  const proto = window.WebGL2RenderingContext && WebGL2RenderingContext.prototype;
  for (const name of ['compileShader', 'linkProgram', 'getShaderParameter', 'getProgramParameter', 'getUniformBlockIndex', 'getUniformLocation', 'getAttribLocation']) {
    const f = proto && proto[name];
    if (!f) continue;
    proto[name] = function timed(...a) {
      const t0 = performance.now();
      try { return f.apply(this, a); } finally {
        b.shaderMs += performance.now() - t0;
        if (name === 'linkProgram') b.programs++;
      }
    };
  }
};

/** panelShown resolves, in the page, with the time of the first frame after the panel shows village code's indicators. */
const panelShown = (code) => new Promise((resolve) => {
  const panel = document.getElementById('panel');
  const done = () => {
    const name = document.getElementById('village-name');
    return !panel.hidden && name && panel.querySelector('.sub')?.textContent.includes(code) && panel.querySelector('table.ind tr[data-indicator]');
  };
  const ob = new MutationObserver(() => {
    if (!done()) return;
    ob.disconnect();
    requestAnimationFrame(() => resolve(performance.now()));
  });
  ob.observe(panel, { childList: true, subtree: true, attributes: true });
});

/** visit loads the page in a new tab of ctx and measures both speeds; it returns the figures and the requests made. */
async function visit(s, ctx, cold) {
  const page = await ctx.newPage();
  const cdp = await ctx.newCDPSession(page);
  await cdp.send('Performance.enable');
  // Every request, the worker's (tiles) too, which the page's Resource Timing does not see.
  const requests = [];
  page.on('requestfinished', async (r) => {
    const t = r.timing();
    // A request that finishes as the tab closes has nothing more to tell.
    const res = await r.response().catch(() => null);
    const h = res ? await res.allHeaders().catch(() => ({})) : {};
    const sizes = await r.sizes().catch(() => null);
    requests.push({
      name: r.url().replace(s.url, ''), at: t.startTime, end: t.startTime + t.responseEnd,
      kb: sizes ? sizes.responseBodySize / 1024 : 0,
      // A cached answer repeats the headers, request id included, of the one it was stored from.
      cached: s.seen.has(h['x-request-id']),
      server: s.served.get(h['x-request-id'])?.ms,
    });
    s.seen.add(h['x-request-id']);
  });
  if (profile) { await cdp.send('Profiler.enable'); await cdp.send('Profiler.setSamplingInterval', { interval: 200 }); await cdp.send('Profiler.start'); }
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(s.url, { waitUntil: 'commit' });
  await page.waitForFunction(() => window.__bench && window.__bench.marks['map drawn'], null, { timeout: 180_000, polling: 50 });
  const metrics = Object.fromEntries((await cdp.send('Performance.getMetrics')).metrics.map((m) => [m.name, m.value]));
  const cpu = profile ? topOf((await cdp.send('Profiler.stop')).profile, s.url) : null;
  const load = await page.evaluate(() => ({
    marks: window.__bench.marks,
    villages: window.__bench.villagesDrawn,
    programs: window.__bench.programs,
    shaderMs: window.__bench.shaderMs,
    origin: performance.timeOrigin,
    nav: performance.getEntriesByType('navigation')[0].toJSON(),
  }));
  // The village: the top of the ranking, clicked on its dot.
  await page.waitForSelector('#ranking li[data-code]', { timeout: 60_000 });
  const target = await page.evaluate(() => {
    const { map, byCode } = window.gapmap;
    const code = document.querySelector('#ranking li[data-code]').dataset.code;
    const p = map.project(byCode.get(code).geometry.coordinates);
    const r = map.getCanvas().getBoundingClientRect();
    return { code, x: r.left + p.x, y: r.top + p.y };
  });
  const before = performance.now();
  const shown = page.evaluate(panelShown, target.code);
  await page.mouse.click(target.x, target.y);
  const shownAt = await Promise.race([shown, new Promise((_, reject) => setTimeout(() => reject(new Error('the panel did not show within 60 s')), 60_000))]);
  const panel = await page.evaluate((t) => {
    const b = window.__bench;
    return {
      clickAt: b.clickAt, shownAt: t, renderMs: b.panelRenderMs,
      frames: b.frames - b.framesAtClick, frameMs: b.frameMs - b.frameMsAtClick, resizes: (b.resizes || 0) - b.resizesAtClick,
      programs: b.programs - b.programsAtClick, shaderMs: b.shaderMs - b.shaderMsAtClick,
    };
  }, shownAt);
  const wall = performance.now() - before;
  await page.close();
  // From epoch milliseconds to the page's clock (ms after navigation start).
  const rel = (r, zero) => ({ ...r, start: r.at - load.origin - zero, end: r.end - load.origin - zero });
  const drawn = load.marks['map drawn'];
  return {
    cold,
    mapMs: load.marks['map drawn'],
    panelMs: panel.shownAt - panel.clickAt,
    panelWallMs: wall,
    panelRenderMs: panel.renderMs,
    panelMapFrames: panel.frames,
    panelMapFrameMs: panel.frameMs,
    panelResizes: panel.resizes,
    panelPrograms: panel.programs,
    panelShaderMs: panel.shaderMs,
    marks: { html: load.nav.responseEnd, domContentLoaded: load.nav.domContentLoadedEventEnd, ...load.marks },
    scriptMs: metrics.ScriptDuration * 1000,
    programs: load.programs,
    shaderMs: load.shaderMs,
    taskMs: metrics.TaskDuration * 1000,
    layoutMs: (metrics.LayoutDuration + metrics.RecalcStyleDuration) * 1000,
    requests: requests.map((r) => rel(r, 0)).filter((r) => r.start <= drawn),
    panelRequests: requests.map((r) => rel(r, panel.clickAt)).filter((r) => r.start >= 0 && r.start <= panel.shownAt - panel.clickAt),
    cpu,
    errors,
  };
}

/** topOf sums a CPU profile's self time by script (base's files by path) and names the heaviest functions. */
function topOf(prof, base) {
  const dt = new Map(); // node id → self ms
  for (let i = 0; i < prof.samples.length; i++) dt.set(prof.samples[i], (dt.get(prof.samples[i]) || 0) + (prof.timeDeltas[i] || 0) / 1000);
  const byScript = new Map();
  const byFn = new Map();
  for (const n of prof.nodes) {
    const ms = dt.get(n.id) || 0;
    const script = (n.callFrame.url || n.callFrame.functionName || '(native)').replace(base, '').replace(/^\/static\/[0-9a-f]+\//, '').replace(/\?.*/, '');
    byScript.set(script, (byScript.get(script) || 0) + ms);
    const fn = `${n.callFrame.functionName || '(anonymous)'} ${script}:${n.callFrame.lineNumber + 1}`;
    byFn.set(fn, (byFn.get(fn) || 0) + ms);
  }
  const top = (m, k) => [...m].sort((a, b) => b[1] - a[1]).slice(0, k);
  return { byScript: top(byScript, 12), byFn: top(byFn, 15) };
}

const fmt = (x) => (x === undefined || x === null || Number.isNaN(x) ? '—' : x >= 100 ? x.toFixed(0) : x.toFixed(1));
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
const stats = (xs) => `median ${fmt(median(xs))} ms (min ${fmt(Math.min(...xs))}, max ${fmt(Math.max(...xs))}, n=${xs.length})`;

/** waterfall prints one visit's requests: when each started and ended after navigation start, its size and its server time. */
function waterfall(title, requests, marks) {
  console.log(`  ${title}`);
  const rows = requests.map((r) => ({ at: r.start, line: `    ${fmt(r.start).padStart(6)} → ${fmt(r.end).padStart(6)} ms  ${fmt(r.kb).padStart(5)} KB  ${r.cached ? 'browser cache   ' : `server ${fmt(r.server).padStart(5)} ms`}  ${r.name.length > 90 ? `${r.name.slice(0, 87)}…` : r.name}` }));
  for (const [k, v] of Object.entries(marks || {})) rows.push({ at: v, line: `    ${fmt(v).padStart(6)} ms  ── ${k}` });
  for (const r of rows.sort((a, b) => a.at - b.at)) console.log(r.line);
}

const load = () => loadavg().map((x) => x.toFixed(2)).join(' ');
console.log(`pagespeed: ${runs} runs; ${cpus().length} CPUs; load average ${load()}; headless Chromium, WebGL on SwiftShader; compositing: ${browsers.map((b) => b.name).join(', ')}; ${VIEWPORT.width}×${VIEWPORT.height}`);
const servers = [];
const playwright = await import('playwright-core');
for (const b of browsers) b.browser = await launchBrowser(playwright, b.args);
// A variant is a build in a browser; its label names the browser when there are two.
const label = (s, b) => (browsers.length > 1 ? `${s.label} · ${b.name}` : s.label);
try {
  for (const b of builds) servers.push(await start(b)); // one at a time: the first loads the demo
  const results = new Map();
  for (let i = 0; i < runs; i++) {
    for (const s of servers) {
      for (const b of browsers) {
        const ctx = await b.browser.newContext({ viewport: VIEWPORT });
        await ctx.addCookies(s.cookies);
        await ctx.addInitScript(HOOK);
        const cold = await visit(s, ctx, true);
        const warm = await visit(s, ctx, false);
        await ctx.close();
        if (!results.has(label(s, b))) results.set(label(s, b), { s, all: [] });
        results.get(label(s, b)).all.push(cold, warm);
        console.log(`run ${i + 1} ${label(s, b)}: map cold ${fmt(cold.mapMs)} warm ${fmt(warm.mapMs)} ms; panel cold ${fmt(cold.panelMs)} warm ${fmt(warm.panelMs)} ms; load ${load()}`);
      }
    }
  }
  console.log(`\nload average at the end: ${load()}`);
  for (const [name, { s, all }] of results) {
    console.log(`\n== ${name} (${s.bin})`);
    for (const cold of [true, false]) {
      const rs = all.filter((r) => r.cold === cold);
      const kind = cold ? 'cold cache' : 'warm cache';
      console.log(`  ${kind}: first map ${stats(rs.map((r) => r.mapMs))}`);
      console.log(`  ${kind}: village panel ${stats(rs.map((r) => r.panelMs))}`);
      console.log(`  ${kind}: main-thread JS ${stats(rs.map((r) => r.scriptMs))}; all main-thread tasks ${stats(rs.map((r) => r.taskMs))}; style+layout ${stats(rs.map((r) => r.layoutMs))}`);
      console.log(`  ${kind}: WebGL programs linked before the map was drawn ${stats(rs.map((r) => r.programs)).replace(/ ms/g, '')}; time in shader compile and link calls ${stats(rs.map((r) => r.shaderMs))}`);
      const tiles = rs.map((r) => r.requests.filter((q) => q.name.includes('.mvt')));
      console.log(`  ${kind}: tiles before the map was drawn: ${stats(tiles.map((t) => t.length)).replace(/ ms/g, '')}; from the browser cache: ${stats(tiles.map((t) => t.filter((q) => q.cached).length)).replace(/ ms/g, '')}; the slowest's server time ${stats(tiles.map((t) => Math.max(0, ...t.map((q) => (q.cached ? 0 : q.server || 0)))))}`);
      const api = rs.map((r) => r.requests.filter((q) => !q.cached && /^\/(api|tiles|config)/.test(q.name)));
      console.log(`  ${kind}: API and TileJSON answers before the map was drawn: ${stats(api.map((a) => a.length)).replace(/ ms/g, '')}; their server time ${stats(api.map((a) => a.reduce((x, q) => x + (q.server || 0), 0)))} summed`);
      const tail = rs.map((r) => r.mapMs - Math.max(...r.requests.map((q) => q.end)));
      console.log(`  ${kind}: MapLibre after the last response → drawn ${stats(tail)}`);
      // The click's own requests: those sent before the first answer came (the panel's later sections ask after it shows).
      const pr = rs.map((r) => r.panelRequests.filter((x) => x.start < Math.min(...r.panelRequests.map((y) => y.end))));
      console.log(`  ${kind}: panel requests ${stats(pr.map((q) => q.length)).replace(/ ms/g, '')}; the first sent ${stats(pr.map((q) => Math.min(...q.map((x) => x.start))))} after the mousedown; the slowest's server time ${stats(pr.map((q) => Math.max(0, ...q.map((x) => x.server || 0))))}; last answer → panel shown ${stats(rs.map((r, i) => r.panelMs - Math.max(0, ...pr[i].map((x) => x.end))))}, of which the panel's render ${stats(rs.map((r) => r.panelRenderMs))}`);
      console.log(`  ${kind}: between the mousedown and the panel shown, MapLibre drew ${stats(rs.map((r) => r.panelMapFrames)).replace(/ ms/g, '')} frames in ${stats(rs.map((r) => r.panelMapFrameMs))}; the map was resized ${stats(rs.map((r) => r.panelResizes)).replace(/ ms/g, '')} times`);
      console.log(`  ${kind}: between the mousedown and the panel shown, WebGL programs linked ${stats(rs.map((r) => r.panelPrograms)).replace(/ ms/g, '')}; time in shader compile and link calls ${stats(rs.map((r) => r.panelShaderMs))}`);
      for (const k of ['html', 'app.js ran', 'map made', 'map load']) console.log(`  ${kind}: ${k} at ${stats(rs.map((r) => r.marks[k]))}`);
      const errs = rs.flatMap((r) => r.errors);
      if (errs.length) console.log(`  page errors: ${errs.join('; ')}`);
    }
    // The waterfall of the median cold visit, and what its panel click fetched.
    const colds = all.filter((r) => r.cold).sort((a, b) => a.mapMs - b.mapMs);
    const mid = colds[colds.length >> 1];
    waterfall(`waterfall of the median cold visit (map drawn at ${fmt(mid.mapMs)} ms; ms after navigation start):`, mid.requests, mid.marks);
    if (mid.cpu) {
      console.log('  main-thread CPU profile of that visit, self time by script:');
      for (const [k, v] of mid.cpu.byScript) console.log(`    ${fmt(v).padStart(6)} ms  ${k}`);
      console.log('  heaviest functions:');
      for (const [k, v] of mid.cpu.byFn) console.log(`    ${fmt(v).padStart(6)} ms  ${k}`);
    }
    waterfall(`its panel click (panel shown at ${fmt(mid.panelMs)} ms; ms after the mousedown):`, mid.panelRequests, {});
  }
} finally {
  for (const b of browsers) await b.browser.close();
  for (const s of servers) s.proc.kill('SIGTERM');
}
