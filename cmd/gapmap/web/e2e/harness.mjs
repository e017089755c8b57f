// What the end-to-end tests share: the gapmap binary and its database
// (GAPMAP_BIN, GAPMAP_E2E_DATABASE_URL, from make e2e), Debian's headless
// Chromium, starting gapmap, and looking at the map in a page.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';

export const CHROMIUM = '/usr/bin/chromium';
export const BIN = process.env.GAPMAP_BIN;
export const DB = process.env.GAPMAP_E2E_DATABASE_URL;

/** missing lists what the tests need and this machine lacks. */
export const missing = [
  !existsSync(CHROMIUM) && `${CHROMIUM} (apt-get install chromium)`,
  !(BIN && existsSync(BIN)) && 'GAPMAP_BIN (a built gapmap binary)',
  !DB && 'GAPMAP_E2E_DATABASE_URL',
].filter(Boolean);

/** skip is why the tests skip (false: they run); under CI nothing skips, so CI cannot go green by skipping. */
export const skip = missing.length && !process.env.CI ? `missing ${missing.join(', ')}; run make e2e` : false;

/** launchBrowser starts headless Chromium through playwright-core. */
export function launchBrowser(playwright) {
  return playwright.chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    // No GPU here: WebGL runs on SwiftShader. The network flags keep
    // Chromium from calling home on a machine without internet.
    args: ['--no-sandbox', '--use-angle=swiftshader', '--enable-unsafe-swiftshader', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-quic'],
  });
}

/** startGapmap runs the binary with args and env and waits for it to serve and be healthy. */
export async function startGapmap(args, env) {
  const proc = spawn(BIN, args, { env: { ...process.env, DATABASE_URL: DB, GAPMAP_LOG_LEVEL: 'warn', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  proc.stderr.on('data', (d) => { err += d; });
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

/** idle waits until the map has drawn everything it is loading. */
export async function idle(p) {
  await p.evaluate(() => new Promise((resolve) => {
    const { map } = window.gapmap;
    if (!map) { resolve(); return; }
    // A repaint makes sure 'idle' follows the latest change.
    map.once('idle', () => resolve());
    map.triggerRepaint();
  }));
}

/**
 * mapPixels decodes PNG screenshots of the map in the page and compares them
 * over rect [x, y, w, h]: for each pair (a, b) the number of pixels that
 * differ by more than 40 in a channel; for a single PNG and a colour, the
 * number of pixels farther than 40 from it.
 */
export async function mapPixels(p, pngs, rect, colour) {
  return p.evaluate(async ({ pngs, rect, colour }) => {
    const load = async (b64) => {
      const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
      const bmp = await createImageBitmap(new Blob([bytes], { type: 'image/png' }));
      const c = new OffscreenCanvas(bmp.width, bmp.height);
      const ctx = c.getContext('2d');
      ctx.drawImage(bmp, 0, 0);
      return ctx.getImageData(rect[0], rect[1], rect[2], rect[3]).data;
    };
    const imgs = await Promise.all(pngs.map(load));
    const far = (d, i, r, g, b) => Math.max(Math.abs(d[i] - r), Math.abs(d[i + 1] - g), Math.abs(d[i + 2] - b)) > 40;
    let n = 0;
    const [a, b] = imgs;
    for (let i = 0; i < a.length; i += 4) {
      if (b ? far(a, i, b[i], b[i + 1], b[i + 2]) : far(a, i, ...colour)) n++;
    }
    return n;
  }, { pngs: pngs.map((b) => b.toString('base64')), rect, colour });
}
