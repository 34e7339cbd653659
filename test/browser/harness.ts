// Browser-engine tests: the built bundles (dist/browser, made by `npm run build`) served by a plain static
// HTTP server on loopback — node:http, no Synchrotron server — to real headless Chromium (playwright-core).
// 127.0.0.1 is a secure context, so AudioWorklet and IndexedDB are there as on any https host.

import { existsSync, readFileSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, resolve, sep } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { CHROMIUM, launchBrowser } from '../e2e/harness.js';

export const ROOT = resolve(import.meta.dirname, '..', '..');
export const DIST = join(ROOT, 'dist');
export const BROWSER_DIST = join(DIST, 'browser');
export const BUNDLES = ['synchrotron-browser.js', 'synchrotron-worklet.js', 'synchrotron-offline-worker.js'];

/** Why the tests cannot run (the build or Chromium missing); in CI that is a failure, not a skip. */
export function missingBrowserPrerequisite(): string | null {
  let missing: string | null = null;
  for (const file of BUNDLES) {
    if (!existsSync(join(BROWSER_DIST, file)))
      missing ??= `${join(BROWSER_DIST, file)} missing: run npm run build`;
  }
  if (!existsSync(CHROMIUM)) missing ??= `${CHROMIUM} missing: apt-get install chromium`;
  if (missing && process.env.CI) throw new Error(`browser tests cannot run in CI: ${missing}`);
  return missing;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.json': 'application/json',
  '.wav': 'audio/wav',
  '.mid': 'audio/midi',
};

export interface StaticHost {
  url: string;
  close(): Promise<void>;
}

/**
 * A plain static file server: `dist/` at `/`, plus `pages` (path → text) kept in memory. No headers beyond
 * the content type — in particular no cross-origin isolation, as on any ordinary static host.
 */
export async function serveStatic(pages: Record<string, string> = {}): Promise<StaticHost> {
  const server: Server = createServer((request, response) => {
    const path = decodeURIComponent(new URL(request.url ?? '/', 'http://localhost').pathname);
    const page = pages[path];
    if (page !== undefined) {
      response.writeHead(200, { 'content-type': TYPES[extname(path)] ?? 'text/html; charset=utf-8' });
      response.end(page);
      return;
    }
    const file = normalize(join(DIST, path));
    if (!file.startsWith(DIST + sep) || !existsSync(file) || !statSync(file).isFile()) {
      response.writeHead(404).end('not found');
      return;
    }
    response.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' });
    response.end(readFileSync(file));
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}

/** Chromium as the e2e tests launch it (autoplay allowed, so an AudioContext runs without a gesture). */
export function launch(): Promise<Browser> {
  return launchBrowser();
}

/** Opens `url` and waits for the page's module script to set `window.ready`; collects page errors. */
export async function openPage(browser: Browser, url: string): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage();
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  await page.goto(url);
  await page.waitForFunction(() => (window as unknown as { ready?: boolean }).ready === true);
  return { page, errors };
}
