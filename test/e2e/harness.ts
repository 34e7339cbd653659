// E2E harness: a real server (dist/server, the build `npm test` makes) on loopback with port 0, and real
// headless Chromium driven by playwright-core. Screenshots go to test-artifacts/ (git-ignored).

import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type Browser, chromium, type Page } from 'playwright-core';

export const ROOT = resolve(import.meta.dirname, '..', '..');
export const ARTIFACTS = join(ROOT, 'test-artifacts');
const SERVER_ENTRY = join(ROOT, 'dist', 'server', 'index.js');
const WEB_ENTRY = join(ROOT, 'dist', 'web', 'index.html');
export const CHROMIUM = '/usr/bin/chromium';

/**
 * The e2e tests need the build (server + UI) and Chromium; without them they are skipped, saying why —
 * except in CI (CI=true), where a missing prerequisite is a failure, so browser tests never vanish quietly.
 */
export function missingPrerequisite(): string | null {
  let missing: string | null = null;
  if (!existsSync(SERVER_ENTRY)) missing = `${SERVER_ENTRY} missing: run npm run build`;
  else if (!existsSync(WEB_ENTRY)) missing = `${WEB_ENTRY} missing: run npm run build`;
  else if (!existsSync(CHROMIUM)) missing = `${CHROMIUM} missing: apt-get install chromium`;
  if (missing && process.env.CI) throw new Error(`browser tests cannot run in CI: ${missing}`);
  return missing;
}

export interface RunningServer {
  url: string;
  close(): Promise<void>;
}

/** A real server on loopback; `options` go to createServer (e.g. `patch` text loaded before any page). */
export async function startServer(options: Record<string, unknown> = {}): Promise<RunningServer> {
  const { createServer } = (await import(pathToFileURL(SERVER_ENTRY).href)) as {
    createServer(options: Record<string, unknown>): Promise<RunningServer>;
  };
  return createServer({
    host: '127.0.0.1',
    port: 0,
    audio: 'none',
    start: false,
    log: () => undefined,
    ...options,
  });
}

/** The canvas zoom (React Flow's viewport transform). */
export const zoomOf = (page: Page) =>
  page.locator('.react-flow__viewport').evaluate((el) => new DOMMatrix(getComputedStyle(el).transform).a);

/** Waits until the view has stopped moving (a fit animates for a fraction of a second). */
export async function viewSettled(page: Page) {
  let last = '';
  for (let i = 0; i < 100; i++) {
    const now = await page.locator('.react-flow__viewport').evaluate((el) => getComputedStyle(el).transform);
    if (now === last && now !== 'none') return;
    last = now;
    await page.waitForTimeout(120);
  }
}

/**
 * Runs a line in the editor's console and waits until it has been answered and every node it made has its
 * place on the canvas (a click aimed at a node before the layout has moved it would land elsewhere).
 */
export async function runConsole(page: Page, script: string) {
  const input = page.getByTestId('console-input');
  await input.fill(script);
  await input.press('Enter');
  await consoleSettled(page);
}

/**
 * Until the console has no command running and the editor no node waiting for its place nor a view about
 * to move or moving (a fit to new nodes) — or a dialog asks
 * something first (`demo` over a graph asks before replacing it; the test answers it).
 */
export async function consoleSettled(page: Page) {
  await page.waitForFunction(
    () =>
      (document.querySelector('[data-testid="console-input"]') as HTMLTextAreaElement).value === '' &&
      (!!document.querySelector('.dialog-backdrop') ||
        (!document.querySelector('.console[data-busy]') &&
          !document.querySelector(
            '[data-testid="editor"][data-placing], [data-testid="editor"][data-moving]',
          ))),
  );
}

/** `extraArgs`: more Chromium switches (e.g. the fake microphone of the local-mode test). */
export async function launchBrowser(extraArgs: string[] = []): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      ...extraArgs,
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--autoplay-policy=no-user-gesture-required',
    ],
  });
}

/** Console errors and uncaught exceptions of a page, to assert there are none. */
export function collectErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  page.on('pageerror', (error) => errors.push(error.message));
  return errors;
}

/** Loads the editor in `page`, collecting its errors, and waits until it is connected to the server. */
export async function openEditor(page: Page, url: string): Promise<string[]> {
  // An action that cannot happen fails with Playwright's reason (what covers the element …) well
  // before the test's own timeout, instead of a bare "timed out". Generous: under two CPU hogs a page that
  // plays audio can take over 15 s to answer one click.
  page.setDefaultTimeout(45_000);
  const errors = collectErrors(page);
  await page.goto(url);
  await page.getByTestId('link-state').filter({ hasText: 'connected' }).waitFor();
  return errors;
}

export async function screenshot(page: Page, name: string) {
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`) });
}

/**
 * Opens the scope of `port` ("node.output") with its toggle and waits until the scope is on the panel; if it
 * never shows, the error says what the page showed (an intermittent case seen once in six loaded runs).
 */
export async function openScope(page: Page, port: string) {
  await page.getByTestId(`scope-toggle-${port}`).click();
  await explainFailure(page, `scope-${port}`, () => page.getByTestId(`scope-${port}`).waitFor());
}

/**
 * Runs `steps`; if they fail, saves a screenshot named `name-failed` and adds what the page showed (scopes,
 * the console's last lines, the engine state) to the error, so an intermittent failure says what it saw.
 */
export async function explainFailure(page: Page, name: string, steps: () => Promise<void>) {
  try {
    await steps();
  } catch (error) {
    await screenshot(page, `${name}-failed`).catch(() => undefined);
    const seen = await page
      .evaluate(() => {
        const text = (selector: string) =>
          [...document.querySelectorAll(selector)].map((e) => e.textContent?.trim()).join(' | ');
        return {
          scopes: text('.scope-name'),
          readouts: text('.scope-freq'),
          console: text('.console-entry').slice(-400),
          status: text('[data-testid="link-state"], [data-testid="status"]'),
          focus: document.activeElement?.outerHTML.slice(0, 120),
        };
      })
      .catch((e) => ({ unavailable: String(e) }));
    throw new Error(
      `${error instanceof Error ? error.message : String(error)}\npage showed: ${JSON.stringify(seen)}`,
      {
        cause: error,
      },
    );
  }
}

export async function http<T>(base: string, method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(`${base}${path}`, {
    method,
    headers:
      body === undefined
        ? {}
        : { 'Content-Type': typeof body === 'string' ? 'text/plain' : 'application/json' },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
  return (text ? JSON.parse(text) : null) as T;
}

/** Centre of an element, for mouse drags. */
export async function centre(page: Page, selector: string) {
  await page.locator(selector).first().waitFor();
  // Once a press there would reach it: a node being placed or re-drawn can cover it for a moment.
  const point = await page.waitForFunction((css) => {
    const element = document.querySelector(css);
    if (!element) return null;
    const box = element.getBoundingClientRect();
    if (box.width === 0 && box.height === 0) return null;
    const x = box.x + box.width / 2;
    const y = box.y + box.height / 2;
    const hit = document.elementFromPoint(x, y);
    return hit && (hit === element || element.contains(hit)) ? { x, y } : null;
  }, selector);
  return (await point.jsonValue()) as { x: number; y: number };
}

/** Drags with real mouse events (React Flow listens to pointer/mouse moves). */
export async function dragMouse(page: Page, from: { x: number; y: number }, to: { x: number; y: number }) {
  // The page handles each stage before the next: on a loaded machine a press, the moves and the release
  // can otherwise all arrive before the editor has started the drag.
  const frame = () => page.evaluate(() => new Promise((resolve) => requestAnimationFrame(resolve)));
  await page.mouse.move(from.x, from.y);
  await page.mouse.down();
  await frame();
  for (let i = 1; i <= 10; i++) {
    await page.mouse.move(from.x + ((to.x - from.x) * i) / 10, from.y + ((to.y - from.y) * i) / 10);
  }
  await frame();
  await page.mouse.up();
}
