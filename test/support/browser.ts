/// <reference lib="dom" />
/**
 * Headless Chromium (Debian's /usr/bin/chromium) driven by playwright-core, for the viewer's tests and
 * bench: every request other than file:, data: or blob: is aborted and recorded, and page errors and
 * console errors are collected, so a test can require a self-contained, error-free page.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import type { ViewerTestHook } from '../../viewer/model.js';

export type { ViewerTestHook } from '../../viewer/model.js';

declare global {
  interface Window {
    __viewerTest?: ViewerTestHook;
  }
}

export const CHROMIUM = process.env.L4TRACE_CHROMIUM ?? '/usr/bin/chromium';

export function chromiumAvailable(): boolean {
  return existsSync(CHROMIUM);
}

export async function launchBrowser(): Promise<Browser> {
  if (!chromiumAvailable()) throw new Error(`no Chromium at ${CHROMIUM}: install Debian's chromium (.ci/run does) or set L4TRACE_CHROMIUM`);
  return chromium.launch({ executablePath: CHROMIUM, headless: true });
}

export interface ViewerPage {
  page: Page;
  context: BrowserContext;
  /** Requests that were not file:, data: or blob: (aborted). */
  requests: string[];
  /** Page errors and console errors. */
  errors: string[];
  close(): Promise<void>;
}

/** Open a viewer file and wait for its first frame. */
export async function openViewer(browser: Browser, file: string, hash = '', size = { width: 1400, height: 800 }): Promise<ViewerPage> {
  const context = await browser.newContext({ viewport: size, deviceScaleFactor: 1 });
  const requests: string[] = [];
  const errors: string[] = [];
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (/^(file|data|blob):/.test(url)) return route.continue();
    requests.push(url);
    return route.abort();
  });
  const page = await context.newPage();
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    // Warnings are not collected: reading canvas pixels back in tests makes Chromium warn about readbacks.
    if (m.type() === 'error') errors.push(`console.error: ${m.text()}`);
  });
  page.on('dialog', (d) => {
    errors.push(`dialog: ${d.message()}`);
    void d.dismiss();
  });
  await page.goto(`file://${file}${hash}`);
  await page.waitForFunction(() => (window.__viewerTest?.frames ?? 0) > 0, null, { timeout: 60_000 });
  return { page, context, requests, errors, close: () => context.close() };
}

/** The reddest pixel of the overlay canvas within 4 px of (x, y): how a failed message's cross is found. */
export async function reddest(v: ViewerPage, x: number, y: number): Promise<[number, number, number]> {
  return v.page.evaluate(
    ([px, py]) => {
      const d = (document.getElementById('cover') as HTMLCanvasElement).getContext('2d')!.getImageData(Math.round(px!) - 4, Math.round(py!) - 4, 9, 9).data;
      let best: [number, number, number] = [0, 0, 0];
      let score = -Infinity;
      for (let i = 0; i < d.length; i += 4) {
        const s = d[i]! - d[i + 1]! - d[i + 2]! + (d[i + 3]! > 0 ? 0 : -1000);
        if (s > score) {
          score = s;
          best = [d[i]!, d[i + 1]!, d[i + 2]!];
        }
      }
      return best;
    },
    [x, y],
  );
}

/** One browser for a test file: `start` in beforeAll, `open` pages, `stop` in afterAll closes all. */
export class BrowserSession {
  private browser: Browser | undefined;
  private readonly pages: ViewerPage[] = [];

  async start(): Promise<void> {
    this.browser = await launchBrowser();
  }

  async open(file: string, hash = ''): Promise<ViewerPage> {
    const v = await openViewer(this.browser!, file, hash);
    this.pages.push(v);
    return v;
  }

  async stop(): Promise<void> {
    for (const v of this.pages) await v.close().catch(() => {});
    await this.browser?.close();
  }
}
