/// <reference lib="dom" />
// The gestures every node editor has: select all, copy/paste/duplicate with the links among the copies,
// pasting a fragment from the system clipboard, pulling a cable off an input (or onto another), being
// told when a new cable replaces one, quick-add at the pointer, context menus on nodes, cables and the
// canvas, and Space for start/stop. Each is checked on the server's graph, and undone.

import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { ApiConnection, ApiNode, EngineStatus } from '../../src/api/protocol.js';
import {
  centre,
  dragMouse,
  http,
  launchBrowser,
  missingPrerequisite,
  openEditor,
  type RunningServer,
  runConsole,
  screenshot,
  startServer,
  viewSettled,
} from './harness.js';

const missing = missingPrerequisite();
const handle = (node: string, port: string) =>
  `.react-flow__handle[data-nodeid="${node}"][data-handleid="${port}"]`;
const PATCH =
  'clear; new 220 f; new SineNode osc; new MultiplyNode amp; new 0.5 g; new PlaybackNode out; ' +
  'link f.out -> osc.frequency; link osc.out -> amp.a; link g.out -> amp.b; link amp.out -> out.left';

describe.skipIf(!!missing)('gestures', () => {
  let server: RunningServer;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let errors: string[];
  const nodes = async () => (await http<ApiNode[]>(server.url, 'GET', '/nodes')).map((n) => n.name).sort();
  const links = async () =>
    (await http<ApiConnection[]>(server.url, 'GET', '/connections'))
      .map((c) => `${c.source.node_name}.${c.source.port_name}->${c.sink.node_name}.${c.sink.port_name}`)
      .sort();
  const undo = () => page.keyboard.press('Control+z');

  /** A spot of empty canvas: right of the graph, inside the editor. */
  async function emptySpot() {
    const editor = (await page.getByTestId('editor').boundingBox())!;
    return { x: editor.x + editor.width - 40, y: editor.y + editor.height - 40 };
  }

  /**
   * Waits until the editor draws a cable: the server may already hold a link (what `links` reads) that the
   * page has not drawn yet, and a drag starting from that input would then pull nothing.
   */
  const cableDrawn = (id: string) =>
    page.locator(`.react-flow__edge[data-id="${id}"]`).waitFor({ state: 'attached' });

  /**
   * Screen point half-way along a cable, once the cable is what a click there would hit: after an undo the
   * page may still be re-drawing the restored node, which can sit over the cable for a moment.
   */
  async function cablePoint(id: string) {
    const handle = await page.waitForFunction((edge) => {
      const path = document.querySelector<SVGPathElement>(
        `.react-flow__edge[data-id="${CSS.escape(edge)}"] path.react-flow__edge-path`,
      );
      if (!path) return null;
      const p = path.getPointAtLength(path.getTotalLength() / 2);
      const m = path.getScreenCTM()!;
      const point = { x: p.x * m.a + p.y * m.c + m.e, y: p.x * m.b + p.y * m.d + m.f };
      const hit = document.elementFromPoint(point.x, point.y)?.closest<HTMLElement>('.react-flow__edge');
      return hit?.dataset.id === edge ? point : null;
    }, id);
    return (await handle.jsonValue()) as { x: number; y: number };
  }

  beforeAll(async () => {
    server = await startServer();
    browser = await launchBrowser();
    context = await browser.newContext({ viewport: { width: 1280, height: 720 } });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url });
    page = await context.newPage();
    errors = await openEditor(page, server.url);
    await runConsole(page, PATCH);
    await page.getByTestId('node-out').waitFor();
    await viewSettled(page);
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  test('Ctrl+A selects every node', async () => {
    const spot = await emptySpot();
    await page.mouse.click(spot.x, spot.y);
    await page.keyboard.press('Control+a');
    await expect.poll(() => page.locator('.synth-node.selected').count()).toBe(5);
    await page.mouse.click(spot.x, spot.y);
    await expect.poll(() => page.locator('.synth-node.selected').count()).toBe(0);
    // An unrelated update afterwards (a value set elsewhere) leaves the cleared selection cleared.
    await http(server.url, 'PUT', '/nodes/g/value', '0.25');
    await page.waitForFunction(() =>
      document.querySelector('[data-testid="node-g"]')?.innerHTML.includes('0.25'),
    );
    expect(await page.locator('.synth-node.selected').count()).toBe(0);
    await http(server.url, 'PUT', '/nodes/g/value', '0.5');
  });

  test('copy and paste bring the links between the copied nodes, at the pointer; one undo step', async () => {
    await page
      .getByTestId('node-f')
      .locator('.node-header')
      .click({ position: { x: 3, y: 3 } });
    await page
      .getByTestId('node-osc')
      .locator('.node-header')
      .click({ position: { x: 3, y: 3 }, modifiers: ['Control'] });
    await expect.poll(() => page.locator('.synth-node.selected').count()).toBe(2);
    await page.keyboard.press('Control+c');
    // The system clipboard holds the copy as a patch fragment.
    const copied = await page.evaluate(() => navigator.clipboard.readText());
    expect(copied).toContain('new 220 f;');
    expect(copied).toContain('link f.out -> osc.frequency;');
    const spot = await emptySpot();
    await page.mouse.move(spot.x - 150, spot.y - 120);
    await page.keyboard.press('Control+v');
    await page.getByTestId('node-osc2').waitFor();
    expect(await nodes()).toEqual(['amp', 'f', 'f2', 'g', 'osc', 'osc2', 'out']);
    expect(await links()).toContain('f2.out->osc2.frequency');
    // Only links among the copies: osc2 feeds nothing.
    expect((await links()).filter((l) => l.startsWith('osc2'))).toEqual([]);
    expect((await http<ApiNode>(server.url, 'GET', '/nodes/f2')).exports.Value).toBe(220);
    // Landed near the pointer, and selected.
    const box = (await page.getByTestId('node-f2').boundingBox())!;
    expect(Math.abs(box.x - (spot.x - 150))).toBeLessThan(60);
    await expect.poll(() => page.locator('.synth-node.selected').count()).toBe(2);
    await undo();
    await page.getByTestId('node-osc2').waitFor({ state: 'detached' });
    expect(await nodes()).toEqual(['amp', 'f', 'g', 'osc', 'out']);
  });

  test('a fragment of Synchrolang from another program pastes as nodes', async () => {
    await page.evaluate(() =>
      navigator.clipboard.writeText(
        '// from a text file\nnew SawtoothNode saw\nnew 3 rate\nlink rate.out -> saw.frequency\n',
      ),
    );
    const spot = await emptySpot();
    await page.mouse.click(spot.x, spot.y);
    await page.keyboard.press('Control+v');
    await page.getByTestId('node-saw').waitFor();
    expect(await links()).toContain('rate.out->saw.frequency');
    await undo();
    await page.getByTestId('node-saw').waitFor({ state: 'detached' });
  });

  test('Ctrl+D duplicates beside the original; undo removes the copy', async () => {
    await page
      .getByTestId('node-amp')
      .locator('.node-header')
      .click({ position: { x: 3, y: 3 } });
    await page.keyboard.press('Control+d');
    await page.getByTestId('node-amp2').waitFor();
    expect((await http<ApiNode>(server.url, 'GET', '/nodes/amp2')).type).toBe('MultiplyNode');
    await undo();
    await page.getByTestId('node-amp2').waitFor({ state: 'detached' });
  });

  test('a cable dragged off an input is unplugged; onto another input, it moves there', async () => {
    const spot = await emptySpot();
    await cableDrawn('osc.out->amp.a');
    await dragMouse(page, await centre(page, handle('amp', 'a')), spot);
    await expect.poll(links).not.toContain('osc.out->amp.a');
    await undo();
    await expect.poll(links).toContain('osc.out->amp.a');
    await cableDrawn('osc.out->amp.a');
    await dragMouse(page, await centre(page, handle('amp', 'a')), await centre(page, handle('out', 'right')));
    await expect.poll(links).toContain('osc.out->out.right');
    expect(await links()).not.toContain('osc.out->amp.a');
    await undo();
    await expect.poll(links).toContain('osc.out->amp.a');
    expect(await links()).not.toContain('osc.out->out.right');
  });

  test('linking into an occupied input says which cable it replaced; undo puts it back', async () => {
    await dragMouse(
      page,
      await centre(page, handle('osc', 'out')),
      await centre(page, handle('out', 'left')),
    );
    await expect
      .poll(() => page.getByTestId('toast').textContent())
      .toMatch(/Replaced amp\.out → out\.left by osc\.out/);
    expect(await links()).toContain('osc.out->out.left');
    await screenshot(page, 'gestures-replaced');
    await undo();
    await expect.poll(links).toContain('amp.out->out.left');
  });

  test('quick-add: double-click the canvas or press N, search, Enter adds the node there', async () => {
    const spot = await emptySpot();
    await page.mouse.dblclick(spot.x - 100, spot.y - 60);
    await page.getByTestId('quick-add').waitFor();
    await page.keyboard.type('sawt');
    await page.keyboard.press('Enter');
    await page.getByTestId('node-sawtooth1').waitFor();
    const box = (await page.getByTestId('node-sawtooth1').boundingBox())!;
    expect(Math.abs(box.x - (spot.x - 100))).toBeLessThan(30);
    await undo();
    await page.getByTestId('node-sawtooth1').waitFor({ state: 'detached' });
    // N at the pointer; Escape closes without adding.
    await page.mouse.move(spot.x - 100, spot.y - 60);
    await page.keyboard.press('n');
    await page.getByTestId('quick-add').waitFor();
    await page.keyboard.press('Escape');
    await page.getByTestId('quick-add').waitFor({ state: 'detached' });
  });

  test('a new cable dropped on empty canvas offers the types it can feed, and links the one chosen', async () => {
    const spot = await emptySpot();
    await dragMouse(page, await centre(page, handle('osc', 'out')), { x: spot.x - 60, y: spot.y - 60 });
    await page.getByTestId('quick-add').waitFor();
    expect(await page.getByLabel('add a node: search types').getAttribute('placeholder')).toContain(
      'osc.out',
    );
    // MIDI-only types cannot take a signal: not offered.
    expect(await page.locator('#quick-add-MidiTriggerNode').count()).toBe(0);
    await page.keyboard.type('multiply');
    await page.keyboard.press('Enter');
    await page.getByTestId('node-multiply1').waitFor();
    await expect.poll(links).toContain('osc.out->multiply1.a');
    await undo();
    await undo();
    await page.getByTestId('node-multiply1').waitFor({ state: 'detached' });
  });

  test('context menus on a node, a cable and the canvas', async () => {
    await page
      .getByTestId('node-g')
      .locator('.node-header')
      .click({ button: 'right', position: { x: 3, y: 3 } });
    const menu = page.getByTestId('context-menu');
    await menu.waitFor();
    expect(await menu.getByRole('menuitem').allTextContents()).toEqual(
      expect.arrayContaining([expect.stringContaining('Duplicate'), expect.stringContaining('Delete')]),
    );
    await screenshot(page, 'gestures-node-menu');
    await menu.getByRole('menuitem', { name: /^Delete/ }).click();
    await page.getByTestId('node-g').waitFor({ state: 'detached' });
    await undo();
    await page.getByTestId('node-g').waitFor();
    await expect.poll(links).toContain('g.out->amp.b');

    const point = await cablePoint('osc.out->amp.a');
    await page.mouse.click(point.x, point.y, { button: 'right' });
    await menu.getByRole('menuitem', { name: /Delete cable/ }).click();
    await expect.poll(links).not.toContain('osc.out->amp.a');
    await undo();
    await expect.poll(links).toContain('osc.out->amp.a');

    const spot = await emptySpot();
    await page.mouse.click(spot.x, spot.y, { button: 'right' });
    await menu.getByRole('menuitem', { name: /Select all/ }).click();
    await expect.poll(() => page.locator('.synth-node.selected').count()).toBe(5);
    await page.mouse.click(spot.x, spot.y, { button: 'right' });
    // The keyboard works in menus too.
    await page.keyboard.press('Enter');
    await page.getByTestId('quick-add').waitFor();
    await page.keyboard.press('Escape');
  });

  test('Space starts and stops rendering, except while typing', async () => {
    const running = async () => (await http<EngineStatus>(server.url, 'GET', '/status')).running;
    const spot = await emptySpot();
    await page.mouse.click(spot.x, spot.y);
    expect(await running()).toBe(false);
    await page.keyboard.press('Space');
    await expect.poll(running).toBe(true);
    await page.getByTestId('render-state').filter({ hasText: 'rendering' }).waitFor();
    await page.keyboard.press('Space');
    await expect.poll(running).toBe(false);
    const input = page.getByTestId('console-input');
    await input.click();
    await page.keyboard.press('Space');
    expect(await input.inputValue()).toBe(' ');
    expect(await running()).toBe(false);
    await input.fill('');
    expect(errors).toEqual([]);
  });
});
