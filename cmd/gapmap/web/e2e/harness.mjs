// The end-to-end tests' harness: `gapmap demo` on a database of its own,
// Debian's Chromium driven by playwright-core, pages logged in as the demo's
// accounts, the API called with their sessions, and the checks every test
// file shares (no console error or failed request, map pixels). Each test
// file (review.test.mjs, field.test.mjs) runs in a process of its own and
// calls launch() in its before().
//
// Needs GAPMAP_BIN (a built gapmap) and GAPMAP_E2E_DATABASE_URL (a database
// it may load the demo into); `make e2e` provides both. Without them, or
// without /usr/bin/chromium, the tests are skipped, except under CI, where
// they fail: CI must not go green by skipping.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { deflateSync } from 'node:zlib';

export const CHROMIUM = '/usr/bin/chromium';
export const ARTIFACTS = new URL('./artifacts/', import.meta.url).pathname;
export const VIEWPORT = { width: 1366, height: 768 };
export const BIN = process.env.GAPMAP_BIN;
export const DB = process.env.GAPMAP_E2E_DATABASE_URL;

export const missing = [
  !existsSync(CHROMIUM) && `${CHROMIUM} (apt-get install chromium)`,
  !(BIN && existsSync(BIN)) && 'GAPMAP_BIN (a built gapmap binary)',
  !DB && 'GAPMAP_E2E_DATABASE_URL',
].filter(Boolean);
export const skip = missing.length && !process.env.CI ? `missing ${missing.join(', ')}; run make e2e` : false;

let browser;
let page; // the page idle, shot, countyRect and mapShot act on by default (useMainPage)
let server; // the demo gapmap
let base; // its URL
export const problems = []; // console errors, page errors, failed requests

// The demo's accounts (gapmap demo) and their one password.
export const PASSWORD = 'demo-password-2026';
// READER is the account of the main page and of the test's API calls: the
// 乡村振兴局's approver sees the whole county.
export const READER = 'xczx';
const cookies = new Map(); // login → its session cookie, for api()
const csrfs = new Map(); // login → its session's CSRF token, for apiSend()

/**
 * startGapmap runs the binary (GAPMAP_BIN, or bin) with args and env and
 * waits for it to serve and be healthy; onStderr, when given, sees its
 * standard error as it comes (the page-speed bench reads the access log).
 */
export async function startGapmap(args, env, { bin = BIN, onStderr } = {}) {
  const proc = spawn(bin, args, { env: { ...process.env, DATABASE_URL: DB, GAPMAP_LOG_LEVEL: 'warn', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  proc.stderr.on('data', (d) => { err += d; if (onStderr) onStderr(d); });
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`gapmap ${args.join(' ')} did not serve within 180 s\n${out}\n${err}`)), 180_000);
    proc.stdout.on('data', (d) => {
      out += d;
      const m = /serving on (http:\/\/\S+?)\/?\s/.exec(out);
      if (m) { clearTimeout(timer); resolve(m[1]); }
    });
    proc.on('exit', (code) => { clearTimeout(timer); reject(new Error(`gapmap ${args.join(' ')} exited ${code}\n${out}\n${err}`)); });
  });
  for (let i = 0; ; i++) {
    const res = await fetch(`${url}/healthz`).catch(() => null);
    if (res && res.ok) break;
    if (i > 100) throw new Error(`${url}/healthz never answered 200\n${err}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  proc.stderrText = () => err;
  return { proc, url };
}

export function stop(s) {
  if (s && s.proc.exitCode === null) s.proc.kill('SIGTERM');
}

/**
 * stopped ends s and resolves once its process has exited, so that its
 * port is free. The server drains its requests for at most 10 s; one that
 * has not exited within timeout ms is killed and the step fails.
 */
export async function stopped(s, timeout = 30_000) {
  if (!s || s.proc.exitCode !== null) return;
  const exit = new Promise((resolve) => { s.proc.once('exit', resolve); });
  s.proc.kill('SIGTERM');
  let timer;
  const late = new Promise((resolve) => { timer = setTimeout(() => resolve('late'), timeout); });
  const how = await Promise.race([exit, late]);
  clearTimeout(timer);
  if (how === 'late') {
    s.proc.kill('SIGKILL');
    await exit;
    throw new Error(`gapmap did not exit within ${timeout / 1000} s of SIGTERM; killed`);
  }
}

/**
 * launchBrowser starts headless Chromium through playwright-core. No GPU
 * here: WebGL runs on SwiftShader. The network flags keep Chromium from
 * calling home on a machine without internet. extraArgs are more flags
 * (the page-speed bench's software compositing).
 */
export function launchBrowser(playwright, extraArgs = []) {
  return playwright.chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--use-angle=swiftshader', '--enable-unsafe-swiftshader', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-quic', ...extraArgs],
  });
}

/** sessionCookie logs account in through the API (on server url) and returns its session cookie. */
export async function sessionCookie(account, url = base) {
  const key = `${url} ${account}`;
  if (!cookies.has(key)) {
    const res = await fetch(`${url}/api/v1/session`, {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ login: account, password: PASSWORD }),
    });
    const text = await res.text();
    assert.equal(res.status, 201, `login ${account}: HTTP ${res.status} ${text}`);
    const set = res.headers.getSetCookie().map((c) => c.split(';')[0]);
    assert.ok(set.length > 0, `login ${account} set no cookie`);
    cookies.set(key, set.join('; '));
    csrfs.set(key, JSON.parse(text).csrf);
  }
  return cookies.get(key);
}

/**
 * apiSend sends body (JSON, or FormData as multipart) to path with method
 * as account, with its session's CSRF token, and returns {status, body}.
 */
export async function apiSend(method, path, body, as) {
  const headers = { Cookie: await sessionCookie(as), 'X-CSRF-Token': csrfs.get(`${base} ${as}`) };
  if (!(body instanceof FormData)) headers['Content-Type'] = 'application/json';
  const res = await fetch(base + path, { method, headers, body: body instanceof FormData ? body : JSON.stringify(body) });
  return { status: res.status, body: await res.json() };
}

/** api GETs path as READER (or as), answered 200. */
export async function api(path, as = READER) {
  const res = await fetch(base + path, { headers: { Cookie: await sessionCookie(as) } });
  assert.equal(res.status, 200, `GET ${path} as ${as}: HTTP ${res.status}`);
  return res.json();
}

/**
 * newPage opens url in a browser context of its own and, with account,
 * logs in on the page's login view; device holds more of the context's
 * options (hasTouch and isMobile for a phone's touch screen). While a page is logged out
 * (p.loggedOut), the 401s it draws, and Chromium's console lines about
 * them, are expected (p.unauthorized); once logged in, a 401 is a problem
 * like any other.
 */
export async function newPage(url, account, viewport = VIEWPORT, setup = null, device = {}) {
  const p = await openPage(url, viewport, setup, device);
  await p.waitForSelector('#login:not([hidden])', { timeout: 60_000 });
  if (account) await logIn(p, account);
  return p;
}

/** LOCAL matches the URLs of this machine: the page must never reach further. */
const LOCAL = /^https?:\/\/(127\.0\.0\.1|localhost|\[::1\])(:\d+)?\//;

/**
 * openPage opens url in a browser context of its own, logged out, and
 * reports its problems. A request that would leave the machine is one: it
 * is stopped in the browser and reported, so that no test fetches from the
 * internet and each proves the page does not. setup(p), if given, runs
 * before the page loads (a test stubs a remote service there: its routes
 * take precedence over this guard).
 */
export async function openPage(url, viewport = VIEWPORT, setup = null, device = {}) {
  const p = await browser.newPage({ ...device, viewport, acceptDownloads: true });
  p.loggedOut = true;
  p.unauthorized = [];
  // While p.refusing, the refusals a step provokes on purpose (400, 409:
  // a payment the ledger's checks turn down) are expected (p.refused).
  p.refused = [];
  const report = (x) => (p.loggedOut && /\b401\b/.test(x) ? p.unauthorized
    : p.refusing && /\b(400|409|422)\b/.test(x) ? p.refused : problems).push(x);
  p.on('console', (m) => { if (m.type() === 'error') report(`console: ${m.text()}`); });
  p.on('pageerror', (e) => report(`page error: ${e.message}`));
  p.on('requestfailed', (r) => {
    // Tiles the map no longer needs are cancelled as it zooms: not a fault.
    if (r.failure()?.errorText !== 'net::ERR_ABORTED') report(`request failed: ${r.url()} ${r.failure()?.errorText}`);
  });
  p.on('response', (r) => { if (r.status() >= 400 && r.url().startsWith(url)) report(`HTTP ${r.status()}: ${r.url()}`); });
  await p.route((u) => /^https?:/.test(u.protocol) && !LOCAL.test(u.href), (route) => {
    report(`request to the internet: ${route.request().url()}`);
    return route.abort('blockedbyclient');
  });
  if (setup) await setup(p);
  await p.goto(url);
  return p;
}

/** logIn fills the page's login view with account and waits for the map to load. */
export async function logIn(p, account) {
  await p.waitForSelector('#login:not([hidden])', { timeout: 60_000 });
  await p.fill('#login-user', account);
  await p.fill('#login-password', PASSWORD);
  await p.click('#login-submit');
  await p.waitForFunction(() => window.gapmap && window.gapmap.ready, null, { timeout: 90_000 });
  p.loggedOut = false;
  assert.equal(await p.evaluate(() => window.gapmap.session.user.login), account);
  assert.ok(await p.isHidden('#login'), 'the login view stays over the map');
  await idle(p);
}

/** switchUser logs the page out with 退出登录 and in again as account. */
export async function switchUser(p, account) {
  p.loggedOut = true;
  await Promise.all([p.waitForEvent('load'), p.click('#logout')]);
  await logIn(p, account);
}

/** pageAPI GETs path from within the page, with its session, as the page's scripts would, answered 200. */
export async function pageAPI(p, path) {
  const { status, body } = await p.evaluate(async (u) => {
    const res = await fetch(u);
    return { status: res.status, body: await res.json() };
  }, path);
  assert.equal(status, 200, `GET ${path} in the page: HTTP ${status}`);
  return body;
}

/**
 * idle waits until the map has drawn everything it is loading, at most
 * timeout ms: a map that never settles (a tile that never answers) fails
 * the step with what the map was still doing, rather than hanging the run.
 */
export async function idle(p = page, timeout = 60_000) {
  const stuck = await p.evaluate((ms) => new Promise((resolve) => {
    const { map } = window.gapmap;
    if (!map) { resolve(''); return; }
    const timer = setTimeout(() => {
      resolve(`style loaded ${map.isStyleLoaded()}, tiles loaded ${map.areTilesLoaded()}, moving ${map.isMoving()}`);
    }, ms);
    // A repaint makes sure 'idle' follows the latest change.
    map.once('idle', () => { clearTimeout(timer); resolve(''); });
    map.triggerRepaint();
  }), timeout);
  if (stuck) throw new Error(`the map did not become idle within ${timeout / 1000} s (${stuck})`);
}

export async function shot(name, p = page) {
  await p.screenshot({ path: `${ARTIFACTS}${name}.png` });
}

/**
 * mapPixels decodes PNG screenshots of the map in the page and compares them
 * over rect [x, y, w, h]: for each pair (a, b) the number of pixels that
 * differ by more than tolerance (default 40) in a channel; for a single PNG
 * and a colour, the number of pixels farther than tolerance from it.
 */
export async function mapPixels(p, pngs, rect, colour, tolerance = 40) {
  return p.evaluate(async ({ pngs, rect, colour, tolerance }) => {
    const load = async (b64) => {
      const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
      const bmp = await createImageBitmap(new Blob([bytes], { type: 'image/png' }));
      const c = new OffscreenCanvas(bmp.width, bmp.height);
      const ctx = c.getContext('2d');
      ctx.drawImage(bmp, 0, 0);
      return ctx.getImageData(rect[0], rect[1], rect[2], rect[3]).data;
    };
    const imgs = await Promise.all(pngs.map(load));
    const far = (d, i, r, g, b) => Math.max(Math.abs(d[i] - r), Math.abs(d[i + 1] - g), Math.abs(d[i + 2] - b)) > tolerance;
    let n = 0;
    const [a, b] = imgs;
    for (let i = 0; i < a.length; i += 4) {
      if (b ? far(a, i, b[i], b[i + 1], b[i + 2]) : far(a, i, ...colour)) n++;
    }
    return n;
  }, { pngs: pngs.map((b) => b.toString('base64')), rect, colour, tolerance });
}

/** countyRect is the county's extent on screen, within the map, as [x, y, w, h]. */
export async function countyRect(p = page) {
  return p.evaluate(() => {
    const { map, countyBounds } = window.gapmap;
    const a = map.project(countyBounds[0]);
    const b = map.project(countyBounds[1]);
    const c = map.getCanvas();
    const x0 = Math.max(0, Math.round(Math.min(a.x, b.x)));
    const y0 = Math.max(0, Math.round(Math.min(a.y, b.y)));
    const x1 = Math.min(c.clientWidth, Math.round(Math.max(a.x, b.x)));
    const y1 = Math.min(c.clientHeight, Math.round(Math.max(a.y, b.y)));
    return [x0, y0, x1 - x0, y1 - y0];
  });
}

export const mapShot = (p = page) => p.locator('#map').screenshot();

/**
 * launch starts `gapmap demo` on the test database (loading the demo if it
 * is not there yet) and Chromium; the harness's functions use both.
 */
export async function launch() {
  assert.deepEqual(missing, [], `the end-to-end test cannot run: missing ${missing.join(', ')}`);
  mkdirSync(ARTIFACTS, { recursive: true });
  const playwright = await import('playwright-core');
  server = await startGapmap(['demo', '--addr', '127.0.0.1:0'], {});
  base = server.url;
  browser = await launchBrowser(playwright);
  return { server, base, browser };
}

/** useMainPage makes p the page idle, shot, countyRect and mapShot act on when given none. */
export function useMainPage(p) {
  page = p;
}

/** shutdown closes Chromium and stops the demo. */
export async function shutdown() {
  await browser?.close();
  stop(server);
}

/** solidPNG encodes a size×size PNG of one colour: RGB, or RGBA with a fourth value (alpha, 0 transparent). */
export function solidPNG(size, colour) {
  const n = colour.length; // bytes a pixel
  const row = Buffer.alloc(1 + size * n);
  for (let i = 0; i < size; i++) row.set(colour, 1 + i * n);
  const raw = Buffer.concat(Array.from({ length: size }, () => row));
  const chunk = (type, data) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(td));
    return Buffer.concat([len, td, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr.set([8, n === 4 ? 6 : 2, 0, 0, 0], 8); // 8-bit RGBA or RGB
  return Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

function crc32(buf) {
  let c = ~0;
  for (const byte of buf) {
    c ^= byte;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return ~c >>> 0;
}
