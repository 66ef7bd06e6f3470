// The harness shared by the end-to-end tests and the screenshot script:
// it builds and starts the real binary on a fresh data directory and a
// free port, and drives Debian's Chromium through playwright-core.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { root } from './paths.mjs';

export { root };
export const admin = { email: 'owner@reelforge.test', password: 'console-e2e-pass' };

const chromiumPath = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

function freePort() {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.on('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => ok(port));
    });
  });
}

async function waitReady(url, child, ms) {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (child.exitCode !== null) throw new Error(`reelforge exited with ${child.exitCode}`);
    try {
      const res = await fetch(`${url}/readyz`);
      if (res.ok) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`reelforge did not become ready at ${url}`);
}

/**
 * startServer builds ./cmd/reelforge into a temporary directory and runs
 * `reelforge serve` with a first owner and a fast simulator. stop() ends
 * it and removes its files.
 */
export async function startServer() {
  const dir = mkdtempSync(join(tmpdir(), 'reelforge-e2e-'));
  const bin = join(dir, 'reelforge');
  execFileSync('go', ['build', '-o', bin, './cmd/reelforge'], { cwd: root, stdio: 'inherit' });
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const log = [];
  const child = spawn(bin, ['serve', '--addr', `127.0.0.1:${port}`, '--data', join(dir, 'data')], {
    cwd: dir,
    env: {
      ...process.env,
      REELFORGE_ADMIN_EMAIL: admin.email,
      REELFORGE_ADMIN_PASSWORD: admin.password,
      SIM_QUEUE_DELAY: '200ms',
      SIM_RENDER_DELAY: '500ms',
      APP_URL: '',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.on('data', (b) => log.push(String(b)));
  child.stderr.on('data', (b) => log.push(String(b)));
  try {
    await waitReady(url, child, 30000);
  } catch (err) {
    child.kill('SIGKILL');
    throw new Error(`${err.message}\n${log.join('')}`);
  }
  return {
    url,
    log,
    async stop() {
      if (child.exitCode === null) {
        const done = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 10000);
        await done;
        clearTimeout(timer);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * launchBrowser starts Chromium headless with a new empty profile; the
 * result is a browser context, and close() also removes the profile.
 */
export async function launchBrowser({ width = 1280, height = 860, locale = 'en-US' } = {}) {
  const profile = mkdtempSync(join(tmpdir(), 'reelforge-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath,
    headless: true,
    locale,
    viewport: { width, height },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--autoplay-policy=no-user-gesture-required'],
  });
  const close = context.close.bind(context);
  context.close = async () => {
    await close();
    rmSync(profile, { recursive: true, force: true });
  };
  return context;
}

/**
 * watch records what a page reports as broken: console errors, uncaught
 * exceptions and Content-Security-Policy violations.
 */
export async function watch(page) {
  const problems = [];
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`exception: ${e.message}`));
  await page.exposeFunction('__reportCSP', (v) => problems.push(`csp: ${v}`));
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      window.__reportCSP(`${e.violatedDirective} ${e.blockedURI}`);
    });
  });
  return problems;
}

/** signIn fills the sign-in form and waits for the projects page. */
export async function signIn(page, base) {
  await page.goto(`${base}/`);
  await page.getByLabel(/Email|邮箱/).fill(admin.email);
  await page.getByLabel(/Password|密码/).fill(admin.password);
  await page.locator('form button[type=submit]').click();
  await page.waitForURL(/\/projects$/);
}
