// End-to-end test of the review map's accessibility and its failures, on
// `gapmap demo` of its own (harness.mjs) at 1366×768:
//   - axe-core (npm) finds no serious or critical WCAG 2.1 AA violation in
//     the page's main states;
//   - the keyboard alone goes from the login to a village's panel, through
//     the ranking, the village table and the 项目库 (Tab, Enter, Space, Esc),
//     always with a visible focus;
//   - the login keeps the keyboard (Tab and Shift+Tab cycle in it) and Esc
//     closes no required or expired login, nor the panel under it;
//   - the 项目库 is fetched once at start, gzip-compressed;
//   - loading shows (a spinner, aria-busy, the map's indicator);
//   - with the server stopped mid-session every failure says so in Chinese
//     with 重试, never in English, never 正在加载… for ever, and 重试 works
//     once the server is back; so do a 503 with Retry-After and a tile's 500.
// Every wait is bounded and says what it waited for: a step that cannot
// go on fails with that, rather than hanging until the test's own limit.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { missing, skip, PASSWORD, startGapmap, stop, stopped, launchBrowser, idle } from './harness.mjs';

const ARTIFACTS = new URL('./artifacts/', import.meta.url).pathname;
const VIEWPORT = { width: 1366, height: 768 };
const READER = 'xczx'; // the 乡村振兴局's approver: the whole county
// AXE is axe-core's browser bundle, injected into the page.
const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
// ENGLISH are the words of the browser's and MapLibre's own errors, which the user must never read.
const ENGLISH = /Failed to fetch|AJAXError|NetworkError|Load failed|TypeError|Unexpected token|HTTP \d{3}|undefined|null\b/;

let playwright;
let browser;
let server;

before(async () => {
  if (skip) return;
  assert.deepEqual(missing, [], `the end-to-end test cannot run: missing ${missing.join(', ')}`);
  mkdirSync(ARTIFACTS, { recursive: true });
  playwright = await import('playwright-core');
  server = await startGapmap(['demo', '--addr', '127.0.0.1:0'], {});
  browser = await launchBrowser(playwright);
});

after(async () => {
  await browser?.close();
  stop(server);
});

/**
 * open opens the page in a context of its own and reports its problems
 * (console errors, page errors, failed requests, 4xx/5xx) into
 * p.problems; while p.expectFailures, failures are what the step provokes
 * and are kept apart (p.provoked).
 */
async function open(viewport = VIEWPORT) {
  const p = await browser.newPage({ viewport });
  // Every click, fill and read gives up after 30 s, naming its selector.
  p.setDefaultTimeout(30_000);
  p.problems = [];
  p.provoked = [];
  const report = (x) => (p.expectFailures || /\b401\b/.test(x) && p.loggedOut ? p.provoked : p.problems).push(x);
  p.loggedOut = true;
  p.on('console', (m) => { if (m.type() === 'error') report(`console: ${m.text()}`); });
  p.on('pageerror', (e) => report(`page error: ${e.message}`));
  p.on('requestfailed', (r) => { if (r.failure()?.errorText !== 'net::ERR_ABORTED') report(`request failed: ${r.url()} ${r.failure()?.errorText}`); });
  p.on('response', (r) => { if (r.status() >= 400) report(`HTTP ${r.status()}: ${r.url()}`); });
  await p.goto(`${server.url}/`);
  await p.waitForSelector('#login:not([hidden])', { timeout: 60_000 });
  return p;
}

/** ready waits until the page has loaded the map for a logged-in user. */
async function ready(p) {
  await p.waitForFunction(() => window.gapmap && window.gapmap.ready, null, { timeout: 90_000 });
  p.loggedOut = false;
  await idle(p);
}

/** logIn logs in with the mouse and the keyboard, as most users do. */
async function logIn(p) {
  await p.fill('#login-user', READER);
  await p.fill('#login-password', PASSWORD);
  await p.click('#login-submit');
  await ready(p);
}

/**
 * axe runs axe-core's WCAG 2.0/2.1 A and AA rules on the page and returns
 * its serious and critical violations as readable lines.
 */
async function axe(p) {
  if (!(await p.evaluate(() => Boolean(window.axe)))) await p.addScriptTag({ path: AXE });
  const res = await p.evaluate(() => window.axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } }));
  return res.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.slice(0, 5).map((n) => `${n.target.join(' ')} ${n.failureSummary.replace(/\s+/g, ' ')}`).join(' | ')}`);
}

/** focused describes the focused element: tag, id, data-code, text, and whether its focus is visible. */
function focused(p) {
  return p.evaluate(() => {
    const e = document.activeElement;
    const s = getComputedStyle(e);
    const row = e.closest('tr');
    return {
      tag: e.tagName, id: e.id, text: (e.textContent || '').trim().slice(0, 40),
      code: e.closest('li[data-code]')?.dataset.code || row?.dataset.code || '', project: row?.dataset.id || '',
      inRanking: Boolean(e.closest('#ranking li[data-code]')), header: e.tagName === 'TH' ? e.closest('table').id : '',
      visible: s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2,
    };
  });
}

/** tabTo presses Tab until match(focused) holds, at most n times; it returns what is focused then. */
async function tabTo(p, match, n = 80, what = 'the target') {
  for (let i = 0; i < n; i++) {
    await p.keyboard.press('Tab');
    const f = await focused(p);
    if (match(f)) return f;
  }
  assert.fail(`${n} presses of Tab never reached ${what}`);
}

// Routes of the page's requests, for page.route: the vector tiles, the ranking, a village's gaps.
const TILES = (u) => u.pathname.startsWith('/tiles/') && u.pathname.endsWith('.mvt');
const RANKING = (u) => u.pathname === '/api/v1/gaps';
const VILLAGE_GAPS = (u) => /^\/api\/v1\/villages\/[^/]+\/gaps$/.test(u.pathname);

/** bodyText is every text the user can read on the page, with the values of buttons. */
const bodyText = (p) => p.evaluate(() => document.body.innerText);

/**
 * shown waits at most timeout ms for selector on p, or fails saying what
 * was awaited (what) and what the part of the page in `where` showed.
 */
async function shown(p, selector, what, timeout = 30_000, where = 'body') {
  await p.waitForSelector(selector, { timeout }).catch(async (err) => {
    const text = await p.locator(where).first().innerText({ timeout: 5_000 }).catch(() => '(unreadable)');
    throw new Error(`${what}: ${selector} did not show within ${timeout / 1000} s (${err.message.split('\n')[0]})\n${where} shows: ${text.slice(0, 400)}`);
  });
}

/** until waits at most timeout ms for fn(arg) to hold in p, or fails saying what was awaited. */
async function until(p, fn, arg, what, timeout = 30_000) {
  await p.waitForFunction(fn, arg, { timeout }).catch((err) => {
    throw new Error(`${what} within ${timeout / 1000} s (${err.message.split('\n')[0]})`);
  });
}

test('accessibility, keyboard and loading of the review map', { skip, timeout: 900_000 }, async (t) => {
  await t.test('the 项目库 is fetched once at start, gzip-compressed like the other JSON answers', async () => {
    const p = await open();
    const library = [];
    p.on('response', (r) => {
      const u = new URL(r.url());
      if (u.pathname === '/api/v1/projects' && !u.searchParams.has('village')) library.push(r);
    });
    await logIn(p);
    await p.waitForSelector('#project-table tbody tr[data-id]', { state: 'attached' });
    assert.equal(library.length, 1, `the project list was fetched ${library.length} times at start: ${library.map((r) => r.url())}`);
    const headers = await library[0].allHeaders();
    assert.equal(headers['content-encoding'], 'gzip', `the project list is not compressed: ${JSON.stringify(headers)}`);
    // The browser's own measure: bytes on the wire against the JSON decoded.
    const sizes = await p.evaluate((url) => {
      const e = performance.getEntriesByName(url)[0];
      return { transfer: e.encodedBodySize, decoded: e.decodedBodySize };
    }, library[0].url());
    assert.ok(sizes.decoded > 100_000 && sizes.transfer * 4 < sizes.decoded, `project list: ${sizes.transfer} bytes on the wire for ${sizes.decoded}`);
    console.log(`# the 项目库 at start: one request, ${sizes.decoded} bytes of JSON in ${sizes.transfer} gzipped`);
    // The other projects' fields the panel reads come from that one answer.
    const ranks = await p.evaluate(() => window.gapmap.drawer.byId.size);
    const total = await p.evaluate(() => fetch('/api/v1/projects?page_size=1').then((r) => r.json()).then((b) => b.total));
    assert.equal(ranks, Math.min(total, 1000), 'the ranks of the panel are not every project\'s');
    assert.deepEqual(p.problems, []);
    await p.close();
  });

  await t.test('axe-core finds no serious or critical WCAG 2.1 AA violation in the main states', async () => {
    const p = await open();
    assert.deepEqual(await axe(p), [], 'the login');
    await logIn(p);
    const found = {};
    found['map and ranking'] = await axe(p);
    await p.click('#ranking li[data-code] button');
    await p.waitForSelector('#village-name');
    await p.waitForFunction(() => !document.querySelector('#panel [aria-busy="true"]'));
    found['village panel'] = await axe(p);
    await p.keyboard.press('Escape');
    await p.click('#open-village-table');
    await p.waitForSelector('#vt-table tbody tr[data-code]');
    found['village table'] = await axe(p);
    await p.click('#open-projects');
    await p.waitForSelector('#project-table tbody tr[data-id]');
    found['项目库'] = await axe(p);
    const id = await p.getAttribute('#project-table tbody tr[data-id]', 'data-id');
    // The row's first cell: its village's name is a link of its own.
    await p.click(`#project-table tbody tr[data-id="${id}"] td:first-child`);
    await p.waitForSelector('#project-status', { timeout: 90_000 });
    found['project panel'] = await axe(p);
    await p.screenshot({ path: `${ARTIFACTS}a11y-project-panel.png` });
    for (const [state, v] of Object.entries(found)) assert.deepEqual(v, [], `axe-core in the state "${state}"`);
    assert.deepEqual(p.problems, []);
    await p.close();
  });

  await t.test('the keyboard alone reaches a village\'s panel, the village table and the 项目库, with visible focus; Esc closes', async () => {
    const p = await open();
    // The login by keyboard: the account field has the focus; type, Tab, type, Enter.
    assert.equal((await focused(p)).id, 'login-user', 'the login does not focus the account field');
    await p.keyboard.type(READER);
    await p.keyboard.press('Tab');
    await p.keyboard.type(PASSWORD);
    await p.keyboard.press('Enter');
    await ready(p);
    // From the top of the page (as after a click on its background) to the first village of the ranking.
    await p.evaluate(() => { document.body.tabIndex = -1; document.body.focus(); });
    const row = await tabTo(p, (f) => f.inRanking, 80, 'the ranking');
    assert.ok(row.visible, `the focused ranking row shows no focus ring: ${JSON.stringify(row)}`);
    const name = await p.evaluate((code) => window.gapmap.byCode.get(code).properties.name, row.code);
    await p.keyboard.press('Enter');
    await p.waitForFunction((n) => document.querySelector('#village-name')?.textContent === n, name);
    await p.screenshot({ path: `${ARTIFACTS}a11y-keyboard-panel.png` });
    // Esc closes the panel and the focus returns to the row it came from.
    await p.keyboard.press('Escape');
    assert.ok(await p.isHidden('#panel'), 'Esc left the village panel open');
    assert.equal((await focused(p)).code, row.code, 'the focus did not return to the ranking');
    // Again: Tab goes on into the panel, where a score card switches the dimension with Space.
    await p.keyboard.press(' ');
    await p.waitForFunction((n) => document.querySelector('#village-name')?.textContent === n, name);
    const card = await tabTo(p, (f) => f.tag === 'DIV' && f.text.startsWith('通路'), 20, 'the 通路 card');
    assert.ok(card.visible, 'the focused score card shows no focus ring');
    await p.keyboard.press(' ');
    await p.waitForFunction(() => window.gapmap.dim === '通路');
    await p.keyboard.press('Escape');
    assert.ok(await p.isHidden('#panel'), 'Esc left the village panel open');

    // The village table: a sort header by Enter and Space, a row by Enter.
    await p.focus('#open-village-table');
    await p.keyboard.press('Enter');
    await p.waitForSelector('#vt-table tbody tr[data-code]');
    await p.focus('#vt-complete'); // the last filter: the headers follow
    const head = await tabTo(p, (f) => f.header === 'vt-table', 40, 'a header of the village table');
    assert.ok(head.visible, 'the focused sort header shows no focus ring');
    const sorted = await p.evaluate(() => document.activeElement.dataset.key);
    await p.keyboard.press('Enter');
    await p.waitForFunction((k) => document.querySelector(`#vt-table th[data-key="${k}"]`)?.getAttribute('aria-sort') === 'descending', sorted);
    assert.equal((await focused(p)).header, 'vt-table', 'sorting lost the focus');
    await p.keyboard.press(' ');
    await p.waitForFunction((k) => document.querySelector(`#vt-table th[data-key="${k}"]`)?.getAttribute('aria-sort') === 'ascending', sorted);
    const vtRow = await tabTo(p, (f) => Boolean(f.code) && f.tag === 'TR', 40, 'a row of the village table');
    assert.ok(vtRow.visible, 'the focused table row shows no focus ring');
    await p.keyboard.press('Enter');
    const vtName = await p.evaluate((code) => window.gapmap.byCode.get(code).properties.name, vtRow.code);
    await p.waitForFunction((n) => document.querySelector('#village-name')?.textContent === n, vtName);
    await p.keyboard.press('Escape');
    await p.keyboard.press('Escape');
    assert.ok(await p.isHidden('#panel') && await p.isHidden('#village-table'), 'two Esc leave the panel or the table open');

    // The 项目库: a header sorts, a row opens the project.
    await p.focus('#open-projects');
    await p.keyboard.press('Enter');
    await p.waitForSelector('#project-table tbody tr[data-id]');
    await p.focus('#f-year');
    const ph = await tabTo(p, (f) => f.header === 'project-table', 10, 'a header of the 项目库');
    await p.keyboard.press('Enter');
    await p.waitForFunction(() => document.querySelector('#project-table th[aria-sort]'));
    const pr = await tabTo(p, (f) => Boolean(f.project), 40, 'a row of the 项目库');
    assert.ok(ph.visible && pr.visible, 'the 项目库 header or row shows no focus ring');
    await p.keyboard.press('Enter');
    await p.waitForFunction((id) => document.querySelector('#project-status') && window.gapmap.projectPanel.id === Number(id), pr.project);
    await p.keyboard.press('Escape');
    assert.ok(await p.isHidden('#project-panel'), 'Esc left the project panel open');
    await p.keyboard.press('Escape');
    assert.ok(await p.isHidden('#projects'), 'Esc left the 项目库 open');
    assert.deepEqual(p.problems, []);
    await p.close();
  });

  await t.test('the login keeps the keyboard: Tab and Shift+Tab stay in it, Esc closes no required login', async () => {
    const p = await open();
    try {
      // The demo has no single sign-on and a required login has no 取消: its controls, in order, are these.
      const config = await p.evaluate(() => fetch('/config.json').then((r) => r.json()));
      assert.ok(!config.sso && !config.public_read, `the demo's config changed: ${JSON.stringify(config)}`);
      const ring = ['login-user', 'login-password', 'login-submit'];
      const where = () => p.evaluate(() => ({ id: document.activeElement.id, inLogin: Boolean(document.activeElement.closest('#login')) }));
      // press presses key n times and returns the ids focused after each press, failing on one outside the login.
      const press = async (key, n) => {
        const ids = [];
        for (let i = 0; i < n; i++) {
          await p.keyboard.press(key);
          const f = await where();
          assert.ok(f.inLogin, `${key} press ${i + 1} left the login (focus on #${f.id || 'the page'})`);
          ids.push(f.id);
        }
        return ids;
      };
      assert.equal((await where()).id, 'login-user', 'the login does not focus the account field');
      assert.deepEqual(await press('Tab', 7), [...ring.slice(1), ...ring, ...ring.slice(0, 2)], 'Tab does not cycle in the login');
      assert.deepEqual(await press('Shift+Tab', 4), ['login-user', 'login-submit', 'login-password', 'login-user'], 'Shift+Tab does not cycle in the login');
      // A click on the backdrop takes the focus off the form: Tab brings it back to the first field, Shift+Tab to the last.
      await p.mouse.click(5, 5);
      assert.equal((await where()).inLogin, false, 'a click on the backdrop kept the focus in a field');
      assert.deepEqual(await press('Tab', 1), ['login-user']);
      await p.mouse.click(5, 5);
      assert.deepEqual(await press('Shift+Tab', 1), ['login-submit']);
      await p.keyboard.press('Escape');
      assert.ok(await p.isVisible('#login'), 'Esc closed the required login');

      // The same over a loaded page whose session expired: the panel under it stays, and so does the login on Esc.
      await logIn(p);
      await p.click('#ranking li[data-code] button');
      await shown(p, '#village-name', 'the village panel');
      await p.evaluate(() => window.gapmap.auth.show('expired'));
      assert.equal((await where()).id, 'login-password', 'the expired login does not focus the password');
      assert.deepEqual(await press('Tab', 3), ['login-submit', 'login-user', 'login-password']);
      await p.keyboard.press('Escape');
      assert.ok(await p.isVisible('#login'), 'Esc closed the login of an expired session');
      assert.ok(await p.isVisible('#panel'), 'Esc in the login closed the village panel under it');
      await p.keyboard.type(PASSWORD);
      await p.keyboard.press('Enter');
      await until(p, () => document.getElementById('login').hidden, null, 'the login to close after the right password');
      assert.ok(await p.isVisible('#panel'), 'logging in again closed the village panel');
      assert.deepEqual(p.problems, []);
    } finally {
      await p.close();
    }
  });

  await t.test('loading shows: the map\'s indicator while tiles load, 正在加载… with a spinner and aria-busy in the panel', async () => {
    const p = await open();
    await logIn(p);
    // Slow tiles and a slow village answer, as on a county's 4G link.
    const hold = [];
    await p.route(TILES, (route) => { hold.push(route); });
    await p.evaluate(() => window.gapmap.map.jumpTo({ zoom: 12.4 }));
    await p.waitForSelector('#map-loading:not([hidden])', { timeout: 10_000 });
    assert.match(await p.textContent('#map-loading'), /正在加载地图/);
    assert.equal(await p.getAttribute('#map', 'aria-busy'), 'true');
    await p.unroute(TILES);
    // A tile the map gave up meanwhile (it cancels what it no longer shows) cannot go on.
    for (const r of hold) await r.continue().catch(() => {});
    await idle(p);
    assert.ok(await p.isHidden('#map-loading'), 'the map still says it is loading when idle');
    assert.equal(await p.getAttribute('#map', 'aria-busy'), null);

    let release;
    const held = new Promise((r) => { release = r; });
    await p.route(VILLAGE_GAPS, async (route) => { await held; await route.continue(); });
    const code = await p.getAttribute('#ranking li[data-code]', 'data-code');
    await p.click(`#ranking li[data-code="${code}"] button`);
    await p.waitForSelector('#panel[aria-busy="true"] .loading .spinner');
    assert.match(await p.textContent('#panel'), /正在加载…/);
    await p.screenshot({ path: `${ARTIFACTS}a11y-loading.png` });
    release();
    await p.waitForSelector('#village-name');
    assert.equal(await p.getAttribute('#panel', 'aria-busy'), null);
    await p.unroute(VILLAGE_GAPS);
    assert.deepEqual(p.problems, []);
    await p.close();
  });

});

test('failures of the review map: every one in Chinese with 重试, which works', { skip, timeout: 900_000 }, async (t) => {
  await t.test('the server answers 503 with Retry-After, or a tile 500: Chinese messages with 重试, which works', async () => {
    const p = await open();
    try {
      await logIn(p);
      p.expectFailures = true;
      await p.route(RANKING, (route) => route.fulfill({
        status: 503, headers: { 'Retry-After': '5', 'Content-Type': 'application/json; charset=utf-8' },
        body: JSON.stringify({ error: { code: 'unavailable', message: '服务器繁忙，请稍后重试' } }),
      }));
      await p.click('#dimensions button[data-dim="饮水"]');
      await shown(p, '#ranking .failure button.retry', 'the ranking\'s 503 with 重试', 30_000, '#ranking');
      assert.match(await p.textContent('#ranking .failure'), /服务器繁忙，请稍后重试.*约 5 秒后可重试/);
      await p.unroute(RANKING);
      await p.click('#ranking .failure button.retry');
      await shown(p, '#ranking li[data-code]', 'the ranking after 重试', 30_000, '#ranking');
      assert.match(await p.textContent('#ranking-title'), /饮水缺口最大的村/);

      await p.route(TILES, (route) => route.fulfill({ status: 500, body: '' }));
      await p.evaluate(() => window.gapmap.map.jumpTo({ zoom: 13.2 }));
      await shown(p, '#notice.error:not([hidden]) button.retry', 'the tiles\' 500 with 重试 in the notice', 30_000, '#notice');
      const notice = await p.textContent('#notice');
      assert.match(notice, /地图数据加载失败：服务器出错（状态 500）/);
      assert.doesNotMatch(notice, ENGLISH);
      await p.unroute(TILES);
      await p.click('#notice button.retry');
      await idle(p);
      assert.ok(await p.isHidden('#notice'), 'the map failure stays after 重试 succeeded');
      p.expectFailures = false;
      assert.deepEqual(p.problems, []);
    } finally {
      await p.close();
    }
  });

  await t.test('the server stopped mid-session: Chinese errors with 重试 everywhere, never 正在加载… for ever; 重试 works once it is back', async () => {
    const p = await open();
    try {
      await logIn(p);
      const code = await p.getAttribute('#ranking li[data-code]', 'data-code');
      const name = await p.evaluate((c) => window.gapmap.byCode.get(c).properties.name, code);
      await p.click('#open-projects');
      await shown(p, '#project-table tbody tr[data-id]', 'the 项目库 table');
      // The 项目库 is filtered by the township of its first project: a filter with projects on any demo.
      const township = await p.$$eval('#project-table tbody tr[data-id] td:nth-child(6)', (tds) => tds.map((td) => td.textContent).find(Boolean));
      assert.ok(township, 'no project of the 项目库 has a township');
      const port = new URL(server.url).port;

      p.expectFailures = true;
      await stopped(server);
      // A village, a new dimension, a filter of the 项目库 and tiles of a new zoom, all without a server.
      await p.click(`#ranking li[data-code="${code}"] button`);
      await shown(p, '#panel .failure button.retry', 'the village panel\'s failure with 重试', 30_000, '#panel');
      await p.click('#dimensions button[data-dim="农网"]');
      await shown(p, '#ranking .failure button.retry', 'the ranking\'s failure with 重试', 30_000, '#ranking');
      await p.selectOption('#f-township', { label: township });
      await shown(p, '#project-table .failure button.retry', 'the 项目库\'s failure with 重试', 30_000, '#project-table');
      await p.evaluate(() => window.gapmap.map.jumpTo({ zoom: 12.2 }));
      await shown(p, '#notice.error:not([hidden]) button.retry', 'the map\'s failure with 重试 in the notice', 30_000, '#notice');
      await p.screenshot({ path: `${ARTIFACTS}a11y-server-down.png` });

      for (const where of ['#panel', '#ranking', '#project-table', '#notice']) {
        const text = await p.textContent(where);
        assert.match(text, /无法连接 gapmap 服务|地图数据无法加载/, `${where} says ${text}`);
        assert.doesNotMatch(text, ENGLISH, `${where} says ${text}`);
      }
      const all = await bodyText(p);
      assert.doesNotMatch(all, /Failed to fetch|AJAXError|NetworkError/);
      assert.doesNotMatch(all, /正在加载/, 'something still says 正在加载… with the server down');
      assert.ok(p.provoked.length > 0, 'the stopped server provoked no failed request');

      // The server comes back on the same address; each 重试 repeats its request.
      server = await startGapmap(['serve', '--addr', `127.0.0.1:${port}`], {});
      p.expectFailures = false;
      await p.click('#panel .failure button.retry');
      await until(p, (n) => document.querySelector('#village-name')?.textContent === n, name, `the panel of ${name} after 重试`);
      await p.click('#ranking .failure button.retry');
      await shown(p, '#ranking li[data-code]', 'the ranking after 重试', 30_000, '#ranking');
      assert.match(await p.textContent('#ranking-title'), /农网缺口最大的村/);
      await p.click('#project-table .failure button.retry');
      await shown(p, '#project-table tbody tr[data-id]', 'the 项目库 after 重试', 30_000, '#project-table');
      const shownRows = await p.locator('#project-table tbody tr[data-id]').count();
      const want = await p.evaluate((code) => fetch(`/api/v1/projects?township=${encodeURIComponent(code)}&page_size=1`, { signal: AbortSignal.timeout(30_000) })
        .then((r) => r.json()).then((b) => b.total), await p.inputValue('#f-township'));
      assert.equal(shownRows, want, `the 项目库 after 重试 is not ${township}'s list`);
      await p.click('#notice button.retry');
      await idle(p);
      assert.ok(await p.isHidden('#notice'), 'the map failure stays after 重试 succeeded');
      const drawn = await p.evaluate(() => window.gapmap.map.querySourceFeatures('gapmap', { sourceLayer: 'villages' }).length);
      assert.ok(drawn > 0, 'no village drawn after the map\'s 重试');
      assert.doesNotMatch(await bodyText(p), /无法连接/);
      assert.deepEqual(p.problems, []);
    } finally {
      await p.close();
    }
  });
});
