/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// Room on a laptop screen: a patch loaded before the page opens is wholly in view on a first visit at
// 1280×720 with node text at least 9 px (measured from the rendered text), nothing covers a node, the
// panels resize and collapse and are remembered, the top bar stays one row at 1024 px. Screenshots at
// 1280×720 and 1920×1080 in both themes go to test-artifacts/.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  launchBrowser,
  missingPrerequisite,
  openEditor,
  ROOT,
  type RunningServer,
  runConsole,
  screenshot,
  startServer,
  viewSettled,
  zoomOf,
} from './harness.js';

const missing = missingPrerequisite();
const PATCH = readFileSync(join(ROOT, 'examples', 'pwm_plus_notes.syn'), 'utf8');

interface Room {
  zoom: number;
  nodes: number;
  /** Nodes not wholly inside the canvas. */
  outside: string[];
  /** Smallest text in a node, screen px: computed font size × zoom, and the rendered line box. */
  smallestFont: number;
  smallestBox: number;
  smallestText: string;
  /** Node spots where something else is on top. */
  covered: string[];
}

/** Measures the canvas as drawn: where nodes are, how big their text is, and what lies on top of them. */
function measureRoom(page: Page): Promise<Room> {
  return page.evaluate(() => {
    const editor = document.querySelector('[data-testid="editor"]')!.getBoundingClientRect();
    const viewport = document.querySelector('.react-flow__viewport')!;
    const zoom = new DOMMatrix(getComputedStyle(viewport).transform).a;
    const room = {
      zoom,
      nodes: 0,
      outside: [] as string[],
      smallestFont: Number.POSITIVE_INFINITY,
      smallestBox: Number.POSITIVE_INFINITY,
      smallestText: '',
      covered: [] as string[],
    };
    for (const node of document.querySelectorAll<HTMLElement>('.synth-node')) {
      room.nodes++;
      const name = node.dataset.testid ?? '?';
      const r = node.getBoundingClientRect();
      if (r.left < editor.left || r.top < editor.top || r.right > editor.right || r.bottom > editor.bottom)
        room.outside.push(name);
      // Corners and centre of the node: the topmost element there must be part of this node.
      for (const [x, y] of [
        [r.left + 3, r.top + 3],
        [r.right - 3, r.top + 3],
        [r.left + 3, r.bottom - 3],
        [r.right - 3, r.bottom - 3],
        [(r.left + r.right) / 2, (r.top + r.bottom) / 2],
      ]) {
        const top = document.elementFromPoint(x, y);
        if (!top || !node.contains(top)) room.covered.push(`${name} at ${Math.round(x)},${Math.round(y)}`);
      }
      const walker = document.createTreeWalker(node, NodeFilter.SHOW_TEXT);
      for (let text = walker.nextNode(); text; text = walker.nextNode()) {
        if (!text.textContent?.trim()) continue;
        const element = text.parentElement!;
        const font = Number.parseFloat(getComputedStyle(element).fontSize) * zoom;
        const range = document.createRange();
        range.selectNodeContents(text);
        const box = range.getBoundingClientRect().height;
        if (font < room.smallestFont) {
          room.smallestFont = font;
          room.smallestText = `${text.textContent.trim()} (${element.className})`;
        }
        room.smallestBox = Math.min(room.smallestBox, box);
      }
      // Value fields show their text inside an input: measured the same way.
      for (const field of node.querySelectorAll<HTMLElement>('input, textarea')) {
        const font = Number.parseFloat(getComputedStyle(field).fontSize) * zoom;
        if (font < room.smallestFont) {
          room.smallestFont = font;
          room.smallestText = `field ${(field as HTMLInputElement).value.slice(0, 20)}`;
        }
      }
    }
    return room;
  });
}

describe.skipIf(!!missing)('room on a laptop screen', () => {
  let server: RunningServer;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let errors: string[];

  beforeAll(async () => {
    server = await startServer({ patch: PATCH });
    browser = await launchBrowser();
    // A fresh context: nothing remembered (positions, panel sizes, theme) — a first visit.
    context = await browser.newContext({ viewport: { width: 1280, height: 720 }, colorScheme: 'dark' });
    page = await context.newPage();
    errors = await openEditor(page, server.url);
    await page.waitForFunction(() => document.querySelectorAll('.synth-node').length === 22);
    await viewSettled(page);
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  test('first visit at 1280×720: the whole 22-node patch is in view, node text ≥ 9 px, nothing on top', async () => {
    const room = await measureRoom(page);
    console.log(
      `room: zoom ${room.zoom.toFixed(3)}, smallest node text ${room.smallestFont.toFixed(2)} px (${room.smallestText}), line box ${room.smallestBox.toFixed(2)} px`,
    );
    expect(room.nodes).toBe(22);
    expect(room.outside).toEqual([]);
    expect(room.smallestFont).toBeGreaterThanOrEqual(9);
    expect(room.smallestBox).toBeGreaterThanOrEqual(9);
    expect(room.covered).toEqual([]);
    await screenshot(page, 'room-1280x720-first-visit');
  });

  test('the zoom controls and the map sit beside the canvas, never over it', async () => {
    const editor = (await page.getByTestId('editor').boundingBox())!;
    const overlaps = (b: { x: number; y: number; width: number; height: number }) =>
      b.x < editor.x + editor.width &&
      b.x + b.width > editor.x &&
      b.y < editor.y + editor.height &&
      b.y + b.height > editor.y;
    const rail = (await page.locator('.canvas-rail').boundingBox())!;
    const map = (await page.locator('.side-map').boundingBox())!;
    expect(overlaps(rail)).toBe(false);
    expect(overlaps(map)).toBe(false);
    // Zoomed in so nodes fill the canvas edge to edge, still nothing lies on a node.
    await page.getByLabel('zoom in').click();
    await page.getByLabel('zoom in').click();
    await viewSettled(page);
    const room = await measureRoom(page);
    const visible = room.covered.filter((spot) => {
      const [x, y] = spot.split(' at ')[1].split(',').map(Number);
      return x > editor.x && x < editor.x + editor.width && y > editor.y && y < editor.y + editor.height;
    });
    expect(visible).toEqual([]);
    await page.getByTestId('fit-view').click();
    await viewSettled(page);
  });

  test('panels resize and collapse, the canvas refits, and all of it is remembered', async () => {
    const before = await zoomOf(page);
    const palette = (await page.locator('.palette').boundingBox())!;
    // Drag the palette's edge 60 px right: wider.
    const splitter = (await page.getByTestId('splitter-palette').boundingBox())!;
    await page.mouse.move(splitter.x + splitter.width / 2, splitter.y + 200);
    await page.mouse.down();
    await page.mouse.move(splitter.x + 30, splitter.y + 200, { steps: 4 });
    await page.mouse.move(splitter.x + 60, splitter.y + 200, { steps: 4 });
    await page.mouse.up();
    await expect
      .poll(async () => (await page.locator('.palette').boundingBox())!.width)
      .toBeGreaterThan(palette.width + 50);
    // The keyboard resizes too (16 px a press).
    const dragged = (await page.locator('.palette').boundingBox())!.width;
    await page.getByTestId('splitter-palette').focus();
    await page.keyboard.press('ArrowLeft');
    const paletteWidth = (await page.locator('.palette').boundingBox())!.width;
    expect(paletteWidth).toBeCloseTo(dragged - 16, 0);
    // Collapse the side panel (double-click its edge) and the console/keyboard (its button).
    await page.getByTestId('splitter-side').dblclick();
    await page.getByTestId('show-side').waitFor();
    await page.getByTestId('hide-dock').click();
    await page.getByTestId('show-dock').waitFor();
    await viewSettled(page);
    expect(await zoomOf(page)).toBeGreaterThan(before);
    expect((await measureRoom(page)).outside).toEqual([]);
    await screenshot(page, 'room-1280x720-panels-collapsed');

    await page.reload();
    await page.getByTestId('link-state').filter({ hasText: 'connected' }).waitFor();
    await page.getByTestId('show-side').waitFor();
    await page.getByTestId('show-dock').waitFor();
    expect(Math.abs((await page.locator('.palette').boundingBox())!.width - paletteWidth)).toBeLessThan(2);

    await page.getByTestId('show-side').click();
    await page.getByTestId('show-dock').click();
    await page.getByTestId('hide-palette').click();
    await page.getByTestId('show-palette').click();
    await page.locator('.looking').waitFor();
    await page.getByTestId('console-input').waitFor();
  });

  test('nothing wraps at 1024 px: the top bar stays one row', async () => {
    await page.setViewportSize({ width: 1024, height: 720 });
    const bar = await page.locator('.topbar').evaluate((el) => {
      const tops = [...el.children].map((c) => Math.round(c.getBoundingClientRect().top));
      const bottoms = [...el.children].map((c) => Math.round(c.getBoundingClientRect().bottom));
      return {
        height: el.getBoundingClientRect().height,
        overflow: el.scrollWidth - el.clientWidth,
        topSpread: Math.max(...tops) - Math.min(...tops),
        bottomSpread: Math.max(...bottoms) - Math.min(...bottoms),
        buttonsWrapped: [...el.querySelectorAll('button')].filter(
          (b) => b.getBoundingClientRect().height > 40,
        ).length,
      };
    });
    expect(bar.overflow).toBeLessThanOrEqual(0);
    expect(bar.height).toBeLessThan(48);
    expect(bar.topSpread).toBeLessThanOrEqual(8);
    expect(bar.buttonsWrapped).toBe(0);
    await screenshot(page, 'room-1024x720');
    await page.setViewportSize({ width: 1280, height: 720 });
  });

  test.each([
    [1280, 720, 'dark'],
    [1280, 720, 'light'],
    [1920, 1080, 'dark'],
    [1920, 1080, 'light'],
  ] as const)(
    'screenshot at %i×%i, %s theme, playing with a scope open',
    async (width, height, theme) => {
      const shots = await browser.newContext({ viewport: { width, height }, colorScheme: theme });
      const shot = await shots.newPage();
      const shotErrors = await openEditor(shot, server.url);
      await expect.poll(() => shot.locator('.synth-node').count()).toBeGreaterThan(20);
      await shot.getByTestId('start').click();
      await shot.getByTestId('scope-toggle-square.out').click();
      await shot
        .getByTestId('scope-freq-square.out')
        .and(shot.locator('[data-frequency]:not([data-frequency=""])'))
        .waitFor();
      await viewSettled(shot);
      expect((await measureRoom(shot)).outside).toEqual([]);
      await screenshot(shot, `screen-${width}x${height}-${theme}`);
      await shot.getByTestId('stop').click();
      // Stopped before the page goes: the next screenshot's page starts the engine again with Start.
      await expect
        .poll(
          async () => ((await (await fetch(`${server.url}/status`)).json()) as { running: boolean }).running,
        )
        .toBe(false);
      await shots.close();
      expect(shotErrors).toEqual([]);
    },
    120_000,
  );
  test('the demo fits as well, at a readable zoom', async () => {
    await runConsole(page, 'demo');
    await expect.poll(() => page.locator('.synth-node').count()).toBe(21);
    await viewSettled(page);
    const room = await measureRoom(page);
    expect(room.outside).toEqual([]);
    expect(room.smallestFont).toBeGreaterThanOrEqual(9);
    expect(errors).toEqual([]);
  });
});
