// What every end-to-end test file shares: the gapmap binary and database
// it runs on, starting and stopping it, and Debian's Chromium driven by
// playwright-core.
//
// Needs GAPMAP_BIN (a built gapmap) and GAPMAP_E2E_DATABASE_URL (a database
// it may load the demo into); `make e2e` provides both. Without them, or
// without /usr/bin/chromium, the tests are skipped, except under CI, where
// they fail: CI must not go green by skipping.
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

/** skip is the reason to skip (false: run); under CI nothing is skipped, and a missing tool fails instead. */
export const skip = missing.length && !process.env.CI ? `missing ${missing.join(', ')}; run make e2e` : false;

/** PASSWORD is the one password of the demo's accounts (gapmap demo creates one per role). */
export const PASSWORD = 'demo-password-2026';

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

/** stop ends a gapmap that startGapmap started (SIGTERM: it shuts down cleanly). */
export function stop(s) {
  if (s && s.proc.exitCode === null) s.proc.kill('SIGTERM');
}

/** stopped ends s and resolves once its process has exited, so that its port is free. */
export async function stopped(s) {
  if (!s || s.proc.exitCode !== null) return;
  const exit = new Promise((resolve) => { s.proc.once('exit', resolve); });
  s.proc.kill('SIGTERM');
  await exit;
}

/**
 * launchChromium starts headless Chromium. No GPU here: WebGL runs on
 * SwiftShader. The network flags keep Chromium from calling home on a
 * machine without internet.
 */
export function launchChromium(playwright) {
  return playwright.chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--use-angle=swiftshader', '--enable-unsafe-swiftshader', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-quic'],
  });
}
