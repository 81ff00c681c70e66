import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll } from 'vitest';

/** Debian's Chromium (scripts/ensure-chromium.js installs it before the tests run). */
const CHROMIUM = process.env.STEPFLOW_CHROMIUM ?? '/usr/bin/chromium';

/**
 * Where screenshots go: the README's (docs/screenshots) only with `npm run screenshots`
 * (STEPFLOW_SCREENSHOTS=1), so the test run leaves the clone as it found it; a temp dir otherwise
 * (the pages are still rendered and captured, so a screenshot that fails still fails the test).
 */
const SCREENSHOT_DIR =
  process.env.STEPFLOW_SCREENSHOTS === '1'
    ? path.resolve(import.meta.dirname, '../../../docs/screenshots')
    : path.join(os.tmpdir(), 'stepflow-screenshots');

// The machine's network is closed: without these, Chromium keeps trying to reach Google.
const ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

export interface BrowserKit {
  /** A fresh page (own context: storage, theme) at `baseUrl + path`. */
  open(
    baseUrl: string,
    urlPath?: string,
    options?: { colorScheme?: 'light' | 'dark'; viewport?: { width: number; height: number } },
  ): Promise<Page>;
}

/**
 * One headless Chromium per test file; each `open()` gets its own context (closed after the test),
 * sized like a 1366×768 laptop unless told otherwise. Console errors and uncaught page errors fail loudly in the log.
 */
export function useBrowser(): BrowserKit {
  let browser: Browser | undefined;
  const contexts: BrowserContext[] = [];
  let userDataDir = '';
  beforeAll(async () => {
    if (!fs.existsSync(CHROMIUM)) {
      throw new Error(
        `Chromium not found at ${CHROMIUM}: run node scripts/ensure-chromium.js (or set STEPFLOW_CHROMIUM)`,
      );
    }
    userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'stepflow-chromium-'));
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS });
  }, 60_000);
  afterEach(async () => {
    for (const context of contexts.splice(0)) await context.close();
  });
  afterAll(async () => {
    await browser?.close();
    if (userDataDir) fs.rmSync(userDataDir, { recursive: true, force: true });
  });
  return {
    async open(baseUrl, urlPath = '/', options = {}) {
      if (!browser) throw new Error('useBrowser(): the browser is not started (call open() inside a test)');
      const context = await browser.newContext({
        viewport: options.viewport ?? { width: 1366, height: 768 },
        colorScheme: options.colorScheme ?? 'light',
        acceptDownloads: true,
      });
      contexts.push(context);
      const page = await context.newPage();
      page.setDefaultTimeout(15_000);
      page.on('pageerror', (error) => console.error(`[page error] ${error.message}`));
      await page.goto(baseUrl + urlPath);
      return page;
    },
  };
}

/** Saves a screenshot as <SCREENSHOT_DIR>/<name>.png (docs/screenshots: shown in the README). */
export async function saveScreenshot(
  page: Page,
  name: string,
  options: { fullPage?: boolean } = {},
): Promise<void> {
  fs.mkdirSync(SCREENSHOT_DIR, { recursive: true });
  // fullPage: everything below the fold too, laid out at the viewport's size (a laptop's).
  await page.screenshot({ path: path.join(SCREENSHOT_DIR, `${name}.png`), fullPage: options.fullPage });
}
