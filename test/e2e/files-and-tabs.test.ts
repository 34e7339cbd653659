/// <reference lib="dom" />
// The editor against what a new user throws at it: broken patch files, the original users' patches, a
// demo patch on a small screen, and two tabs editing the same graph. One server and one browser for the
// file; every step also checks that no console error appeared.

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { ApiNode } from '../../src/api/protocol.js';
import {
  http,
  launchBrowser,
  missingPrerequisite,
  openEditor,
  type RunningServer,
  screenshot,
  startServer,
  viewSettled,
} from './harness.js';

const missing = missingPrerequisite();
const ORIGINALS = '/work/shared/original-examples';

describe.skipIf(!!missing)('web editor: files, small screens, two tabs', () => {
  let server: RunningServer;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let errors: string[];
  const get = <T>(path: string) => http<T>(server.url, 'GET', path);

  async function runConsole(target: Page, script: string) {
    const input = target.getByTestId('console-input');
    await input.fill(script);
    await input.press('Enter');
    await expect.poll(() => input.inputValue()).toBe('');
  }

  async function open(name: string, text: string) {
    const chooser = page.waitForEvent('filechooser');
    await page.getByTestId('open').click();
    // Unsaved changes: Open asks first (answered "replace" here; files.test.ts checks the question).
    const asked = page.getByTestId('dialog-confirm');
    await Promise.race([chooser, asked.waitFor()]);
    if (await asked.isVisible()) await asked.click();
    await (await chooser).setFiles({ name, mimeType: 'text/plain', buffer: Buffer.from(text) });
    await page.getByTestId('toast').filter({ hasText: name }).waitFor();
    return page.getByTestId('toast').textContent();
  }

  /** The canvas zoom (React Flow's viewport transform). */
  const zoom = (target: Page) =>
    target.locator('.react-flow__viewport').evaluate((el) => new DOMMatrix(getComputedStyle(el).transform).a);

  beforeAll(async () => {
    server = await startServer();
    browser = await launchBrowser();
    context = await browser.newContext({ viewport: { width: 1280, height: 720 } });
    page = await context.newPage();
    errors = await openEditor(page, server.url);
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  test('palette search: Enter adds the best match by name, and each new node lands clear of the others', async () => {
    await runConsole(page, 'clear');
    // Enter pressed three times faster than the server's answers come back: the page's socket hands it
    // every message 150 ms late, so each add must name its node before the one before it has arrived
    // (all three once picked `sine1`, and two of them failed). The other page leaves meanwhile, as it
    // would place the new nodes itself.
    await page.goto('about:blank');
    const slow = await browser.newPage({ viewport: { width: 1280, height: 720 } });
    await slow.routeWebSocket(/\/ws(\?|$)/, (ws) => {
      const toServer = ws.connectToServer();
      toServer.onMessage((message) => {
        setTimeout(() => ws.send(message), 150);
      });
    });
    try {
      const slowErrors = await openEditor(slow, server.url);
      const search = slow.getByLabel('search node types');
      await search.fill('sin');
      await search.press('Enter');
      await search.press('Enter');
      await search.press('Enter');
      for (const name of ['sine1', 'sine2', 'sine3']) await slow.getByTestId(`node-${name}`).waitFor();
      const nodes = await get<ApiNode[]>('/nodes');
      expect(nodes.map((n) => `${n.name} ${n.type}`).sort()).toEqual([
        'sine1 SineNode',
        'sine2 SineNode',
        'sine3 SineNode',
      ]);
      await viewSettled(slow);
      const boxes = await Promise.all(
        ['sine1', 'sine2', 'sine3'].map(async (n) => (await slow.getByTestId(`node-${n}`).boundingBox())!),
      );
      for (let i = 0; i < boxes.length; i++) {
        for (let j = i + 1; j < boxes.length; j++) {
          const [a, b] = [boxes[i], boxes[j]];
          const overlap =
            a.x < b.x + b.width && a.x + a.width > b.x && a.y < b.y + b.height && a.y + a.height > b.y;
          expect(overlap, `sine${i + 1} and sine${j + 1} overlap`).toBe(false);
        }
      }
      expect(await slow.getByTestId('toast').count()).toBe(0);
      expect(slowErrors).toEqual([]);
    } finally {
      await slow.close();
      await page.goto(server.url);
      await page.getByTestId('link-state').filter({ hasText: 'connected' }).waitFor();
    }
  });

  test('a .sui with unusable positions loads, says which, and the canvas stays drawable', async () => {
    const text =
      '/*** {"a": "hello", "b": [null, "x"], "c": {"x": 1e400, "y": -5}, "d": [10, 20]} ***/\n' +
      'new SineNode a; new SineNode b; new SineNode c; new SineNode d;';
    const toast = await open('odd.sui', text);
    expect(toast).toContain('no usable position');
    expect(toast).toContain('a, b, c');
    await expect.poll(() => page.locator('.synth-node').count()).toBe(4);
    const stored = await page.evaluate(
      () =>
        new Promise<Record<string, { x: number; y: number }>>((resolve) =>
          setTimeout(() => resolve(JSON.parse(localStorage.getItem('synchrotron.positions') ?? '{}')), 300),
        ),
    );
    for (const name of ['a', 'b', 'c', 'd']) {
      expect(Number.isFinite(stored[name]?.x) && Number.isFinite(stored[name]?.y)).toBe(true);
    }
    expect(stored.d).toEqual({ x: 10, y: 20 });
    expect(errors).toEqual([]);
  });

  test('a .sui whose header is not JSON still loads its script, and says so', async () => {
    const toast = await open('header.sui', '/*** {not json} ***/\nnew SineNode a;');
    expect(toast).toContain('positions header is not JSON');
    await expect.poll(() => page.locator('.synth-node').count()).toBe(1);
  });

  test('a patch that fails to load changes neither the graph nor where its nodes are drawn', async () => {
    const positions = () =>
      page.evaluate(
        () =>
          new Promise((resolve) =>
            setTimeout(
              () => resolve(JSON.parse(localStorage.getItem('synchrotron.positions') ?? '{}').a),
              300,
            ),
          ),
      );
    const before = await positions();
    const exported = await http<string>(server.url, 'GET', '/export');
    const toast = await open('broken.sui', '/*** {"a": [900, 900]} ***/\nnew SineNode a;\nnew Bogus b;');
    expect(toast).toContain('line 3, column 5');
    expect(toast).toContain('Bogus');
    expect(await http<string>(server.url, 'GET', '/export')).toBe(exported);
    expect(await positions()).toEqual(before);
  });

  test("the original users' patches load from Open and are all drawn", async () => {
    for (const file of readdirSync(ORIGINALS).filter((f) => f.endsWith('.syn'))) {
      const toast = await open(file, readFileSync(join(ORIGINALS, file), 'utf8'));
      expect(toast).toBe(`Loaded ${file}`);
      const count = (await get<ApiNode[]>('/nodes')).length;
      expect(count).toBeGreaterThan(3);
      await expect.poll(() => page.locator('.synth-node').count()).toBe(count);
    }
    expect(errors).toEqual([]);
  });

  test('the demo on a 1280×720 screen is drawn at a readable zoom, and refits when the window grows', async () => {
    // The graph is as the last file left it (nothing unsaved): the demo replaces it without asking.
    await runConsole(page, 'demo');
    await expect.poll(() => page.locator('.synth-node').count()).toBe(21);
    // The fit animates after the nodes arrive: wait for its zoom, then for the view to stop moving.
    await expect.poll(() => zoom(page)).toBeGreaterThanOrEqual(0.7 - 1e-6);
    await viewSettled(page);
    expect(await zoom(page)).toBeGreaterThanOrEqual(0.7 - 1e-6);
    await screenshot(page, '10-demo-1280-readable');
    // The start of the signal flow is in view.
    const editor = (await page.getByTestId('editor').boundingBox())!;
    const tempo = (await page.getByTestId('node-tempo').boundingBox())!;
    expect(tempo.x).toBeGreaterThanOrEqual(editor.x);
    expect(tempo.y).toBeGreaterThanOrEqual(editor.y);
    await page.setViewportSize({ width: 1920, height: 1080 });
    // At 1920×1080 the whole patch fits: the output node is inside the editor.
    await expect
      .poll(async () => {
        const area = (await page.getByTestId('editor').boundingBox())!;
        const out = (await page.getByTestId('node-out').boundingBox())!;
        return out.x + out.width <= area.x + area.width && out.y + out.height <= area.y + area.height;
      })
      .toBe(true);
    await page.setViewportSize({ width: 1280, height: 720 });
  });

  test('undoing a rename that another tab has since renamed again says why, without a failing request', async () => {
    await runConsole(page, 'clear; new SineNode osc; new 220 f; link f.out -> osc.frequency');
    const other = await context.newPage();
    const otherErrors = await openEditor(other, server.url);
    await other.getByTestId('node-osc').waitFor();

    await page.getByTestId('node-osc').locator('.node-name').dblclick();
    await page.getByLabel('node name').fill('lead');
    await page.getByLabel('node name').press('Enter');
    await other.getByTestId('node-lead').waitFor();

    await other.getByTestId('node-lead').locator('.node-name').dblclick();
    await other.getByLabel('node name').fill('bass');
    await other.getByLabel('node name').press('Enter');
    await page.getByTestId('node-bass').waitFor();

    await page.getByTestId('undo').click();
    await expect
      .poll(() => page.getByTestId('toast').textContent())
      .toContain('Cannot undo rename osc → lead');
    expect(await page.getByTestId('toast').textContent()).toContain('no node `lead`');
    expect((await get<ApiNode>('/nodes/bass')).type).toBe('SineNode');
    await other.close();
    expect(otherErrors).toEqual([]);
    expect(errors).toEqual([]);
  });
});
