/// <reference lib="dom" />
// The inside of a patch node in the editor (issue 13 item 5, issue 15 item 8): a VoicesNode is one node
// with its ports (the voice's shared inlets among them); double-clicking it opens its inner patch as a
// read-only graph in the same canvas, with a breadcrumb; a patch node inside opens a second level; Escape
// and the crumbs lead back to the main graph exactly as it was (view, selection), and edits the server
// made to the main graph meanwhile are there. Real server, real Chromium; positions measured on screen.

import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  http,
  launchBrowser,
  missingPrerequisite,
  openEditor,
  ROOT,
  type RunningServer,
  screenshot,
  startServer,
  viewSettled,
} from './harness.js';

const missing = missingPrerequisite();
const SUBTRACTIVE = readFileSync(join(ROOT, 'examples', 'instruments', 'subtractive.syn'), 'utf8');

/** Names of the nodes a script makes (`new Type name`, `new Type(…) name`, `new 2 name`). */
function namesIn(script: string): string[] {
  return [...script.matchAll(/^new\s+(?:\w+(?:\([^)]*\))?|\S+|patch\s+"[^"]*")\s+(\w+)/gm)].map((m) => m[1]);
}

/** Two subtractive voices an octave apart; a .sui whose header places its nodes. */
const DUO_POSITIONS = {
  pitch: [0, 0],
  gate: [0, 90],
  two: [0, 180],
  octave: [200, 140],
  low: [420, 0],
  high: [420, 200],
  mix: [660, 100],
  out: [860, 100],
};
const DUO = `/*** ${JSON.stringify(DUO_POSITIONS)} ***/
// Two subtractive voices an octave apart, as one patch
new InletNode pitch
new InletNode gate
new 2 two
new MultiplyNode octave
new patch "../subtractive.syn" low
new patch "../subtractive.syn" high
new AddNode mix
new OutletNode out
link pitch.out -> low.frequency
link pitch.out -> octave.a
link two.out -> octave.b
link octave.out -> high.frequency
link gate.out -> low.gate
link gate.out -> high.gate
link low.out -> mix.a
link high.out -> mix.b
link mix.out -> out.input
`;

const MAIN = `new 220 f
new VoicesNode(patch: "subtractive.syn", voices: 4) poly
new patch "layers/duo.sui" duo
link f.out -> duo.pitch
`;

/** The node names drawn in `scope` (data-testid="node-NAME"). */
async function drawnNames(scope: Locator): Promise<string[]> {
  const ids = await scope
    .locator('.synth-node')
    .evaluateAll((els) => els.map((el) => el.getAttribute('data-testid') ?? ''));
  return ids.map((id) => id.replace(/^node-/, '')).sort();
}

/** On-screen boxes of the nodes drawn in `scope`, by name. */
async function boxes(scope: Locator) {
  return scope.locator('.synth-node').evaluateAll((els) =>
    Object.fromEntries(
      els.map((el) => {
        const r = el.getBoundingClientRect();
        return [
          el.getAttribute('data-testid')?.replace(/^node-/, ''),
          { x: r.x, y: r.y, w: r.width, h: r.height },
        ];
      }),
    ),
  );
}

/** Waits until the view in `scope` has stopped moving (a fit animates for a fraction of a second). */
async function settled(scope: Locator) {
  let last = '';
  for (let i = 0; i < 100; i++) {
    const now = await scope.locator('.react-flow__viewport').evaluate((el) => getComputedStyle(el).transform);
    if (now === last && now !== 'none') return;
    last = now;
    await new Promise((resolve) => setTimeout(resolve, 120));
  }
}

/** What must come back unchanged: the main canvas's view transform, its selection and its nodes. */
async function mainState(page: Page) {
  const editor = page.getByTestId('editor');
  return {
    transform: await editor.locator('.react-flow__viewport').evaluate((el) => getComputedStyle(el).transform),
    selected: await editor
      .locator('.react-flow__node.selected')
      .evaluateAll((els) => els.map((el) => el.getAttribute('data-id')).sort()),
    nodes: await drawnNames(editor),
  };
}

describe.skipIf(!!missing)('the inside of a patch node', () => {
  let dir: string;
  let server: RunningServer;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let errors: string[];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'synchrotron-inner-'));
    writeFileSync(join(dir, 'subtractive.syn'), SUBTRACTIVE);
    mkdirSync(join(dir, 'layers'));
    writeFileSync(join(dir, 'layers', 'duo.sui'), DUO);
    server = await startServer({ root: dir, patch: MAIN });
    browser = await launchBrowser();
    context = await browser.newContext({ viewport: { width: 1280, height: 720 } });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url });
    page = await context.newPage();
    errors = await openEditor(page, server.url);
    await page.getByTestId('node-poly').waitFor();
    await viewSettled(page);
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('a VoicesNode is one node: its own inputs, the voice’s shared inlets, its outputs', async () => {
    const poly = page.getByTestId('editor').getByTestId('node-poly');
    const inputs = await poly
      .locator('.react-flow__handle-left')
      .evaluateAll((els) => els.map((el) => el.getAttribute('data-handleid')));
    const outputs = await poly
      .locator('.react-flow__handle-right')
      .evaluateAll((els) => els.map((el) => el.getAttribute('data-handleid')));
    // The shared inlets of subtractive.syn are ports; frequency, gate and velocity are each voice's own.
    expect(inputs).toEqual(expect.arrayContaining(['patch', 'voices', 'midi', 'cutoff', 'resonance']));
    expect(inputs).not.toContain('frequency');
    expect(inputs).not.toContain('gate');
    expect(outputs).toEqual(['left', 'right']);
    // One node in the main graph: nothing of the inside is drawn there.
    expect(await drawnNames(page.getByTestId('editor'))).toEqual(['duo', 'f', 'poly']);
  });

  test('double-click opens the inner patch as a read-only graph with a breadcrumb; Escape returns', async () => {
    const editor = page.getByTestId('editor');
    // On the node's type label (its name would rename it); the double-click's first click selects it.
    await editor.getByTestId('node-poly').locator('.node-type').dblclick();
    const inner = page.getByTestId('inner-view');
    await inner.waitFor();
    // The main canvas stays mounted underneath: what it shows when the view opens must come back.
    const before = await mainState(page);
    expect(before.selected).toEqual(['poly']);
    await expect
      .poll(() => inner.getByTestId('breadcrumb').textContent())
      .toMatch(/^Graph\s*›\s*poly \(subtractive\.syn\)$/);
    expect(await inner.getByTestId('inner-note').textContent()).toMatch(
      /Read-only.*subtractive\.syn.*edit subtractive\.syn in a text editor and save.*reload/s,
    );
    await inner.locator('.synth-node').first().waitFor();
    expect(await drawnNames(inner)).toEqual(namesIn(SUBTRACTIVE).sort());
    expect(await inner.locator('.react-flow__edge').count()).toBe(SUBTRACTIVE.match(/^link /gm)?.length);
    // Read-only: no name fields, no sliders or value fields, no scope toggles.
    expect(await inner.locator('button.node-name, input, [role="slider"], .scope-toggle').count()).toBe(0);
    // The literals the file gives show on their ports: the envelope's attack.
    expect(await inner.getByTestId('node-env').textContent()).toMatch(/attack\s*0\.005/);

    // Laid out automatically (the file has no positions): nothing overlaps, all of it in view.
    await settled(inner);
    const placed = await boxes(inner);
    const canvas = (await inner.getByTestId('inner-canvas').boundingBox())!;
    const names = Object.keys(placed);
    for (const [i, a] of names.entries()) {
      const p = placed[a];
      expect(p.x).toBeGreaterThanOrEqual(canvas.x - 1);
      expect(p.y).toBeGreaterThanOrEqual(canvas.y - 1);
      expect(p.x + p.w).toBeLessThanOrEqual(canvas.x + canvas.width + 1);
      expect(p.y + p.h).toBeLessThanOrEqual(canvas.y + canvas.height + 1);
      for (const b of names.slice(i + 1)) {
        const q = placed[b];
        const apart = p.x + p.w <= q.x || q.x + q.w <= p.x || p.y + p.h <= q.y || q.y + q.h <= p.y;
        expect(apart, `${a} and ${b} overlap`).toBe(true);
      }
    }
    await screenshot(page, 'inner-patch-voice');

    // Keys of the main canvas stand still inside: Delete does not delete the main graph's selected node.
    await inner.getByTestId('node-osc').locator('.node-header').click();
    await page.keyboard.press('Delete');

    await page.keyboard.press('Escape');
    await inner.waitFor({ state: 'detached' });
    expect(await mainState(page)).toEqual(before);
    expect(errors).toEqual([]);
  });

  test('edits the server makes to the main graph while the inside is shown are there on the way back', async () => {
    const editor = page.getByTestId('editor');
    await editor.getByTestId('node-poly').locator('.node-type').dblclick();
    const inner = page.getByTestId('inner-view');
    await inner.getByTestId('node-osc').waitFor();
    await http(server.url, 'POST', '/execute', 'new SineNode added\nlink f.out -> added.frequency');
    // The main canvas, underneath, took it in while hidden.
    await editor.getByTestId('node-added').waitFor({ state: 'attached' });
    await page.keyboard.press('Escape');
    await inner.waitFor({ state: 'detached' });
    await editor.getByTestId('node-added').waitFor();
    expect(await drawnNames(editor)).toEqual(['added', 'duo', 'f', 'poly']);
    expect(await editor.locator('.react-flow__edge').count()).toBe(2);
    await http(server.url, 'POST', '/execute', 'delete added');
    await editor.getByTestId('node-added').waitFor({ state: 'detached' });
    expect(errors).toEqual([]);
  });

  test('a patch node inside opens a second level; the crumbs and Escape go back level by level', async () => {
    const editor = page.getByTestId('editor');
    await viewSettled(page);
    // A selection of several nodes, kept across the visit.
    await editor.getByTestId('node-f').locator('.node-header').click();
    await page.keyboard.press('Control+a');
    const before = await mainState(page);
    expect(before.selected).toEqual(['duo', 'f', 'poly']);

    // The context menu's item opens it too.
    await editor.getByTestId('node-duo').locator('.node-header').click({ button: 'right' });
    await page.getByRole('menuitem', { name: /Open inner patch \(layers\/duo\.sui\)/ }).click();
    const inner = page.getByTestId('inner-view');
    await expect
      .poll(() => inner.getByTestId('breadcrumb').textContent())
      .toMatch(/^Graph\s*›\s*duo \(layers\/duo\.sui\)$/);
    await inner.locator('.synth-node').first().waitFor();
    expect(await drawnNames(inner)).toEqual(Object.keys(DUO_POSITIONS).sort());
    expect(await inner.getByTestId('inner-note').textContent()).toMatch(/It includes subtractive\.syn/);

    // Placed where the file's .sui header says: offsets on screen are the header's, times the zoom.
    await settled(inner);
    const placed = await boxes(inner);
    const zoom = await inner
      .locator('.react-flow__viewport')
      .evaluate((el) => new DOMMatrix(getComputedStyle(el).transform).a);
    for (const name of ['gate', 'octave', 'low', 'high', 'mix', 'out'] as const) {
      const [x, y] = DUO_POSITIONS[name];
      expect(placed[name].x - placed.pitch.x).toBeCloseTo(x * zoom, 0);
      expect(placed[name].y - placed.pitch.y).toBeCloseTo(y * zoom, 0);
    }
    await screenshot(page, 'inner-patch-level-1');

    // Second level: the PatchNode `low` inside duo plays ../subtractive.syn.
    await inner.getByTestId('node-low').locator('.node-type').dblclick();
    await expect
      .poll(() => inner.getByTestId('breadcrumb').textContent())
      .toMatch(/^Graph\s*›\s*duo \(layers\/duo\.sui\)\s*›\s*low \(subtractive\.syn\)$/);
    await inner.getByTestId('node-filter').waitFor();
    expect(await drawnNames(inner)).toEqual(namesIn(SUBTRACTIVE).sort());
    await screenshot(page, 'inner-patch-level-2');

    // The first level's crumb leads back to it; Escape from there to the main graph.
    await inner.getByTestId('crumb-1').click();
    await inner.getByTestId('node-octave').waitFor();
    expect(await inner.getByTestId('breadcrumb').textContent()).toMatch(
      /^Graph\s*›\s*duo \(layers\/duo\.sui\)$/,
    );
    await page.keyboard.press('Escape');
    await inner.waitFor({ state: 'detached' });
    expect(await mainState(page)).toEqual(before);

    // From two levels down, the first crumb ("Graph") returns to the main graph at once.
    await editor.getByTestId('node-duo').locator('.node-type').dblclick();
    await inner.getByTestId('node-high').waitFor();
    const leaving = await mainState(page);
    await inner.getByTestId('node-high').locator('.node-type').dblclick();
    await inner.getByTestId('crumb-2').waitFor();
    // Both themes, looked at: the other one for a screenshot, then back.
    const theme = await page.evaluate(() => document.documentElement.dataset.theme);
    await page.evaluate((t) => {
      document.documentElement.dataset.theme = t === 'dark' ? 'light' : 'dark';
    }, theme);
    await screenshot(page, 'inner-patch-level-2-other-theme');
    await page.evaluate((t) => {
      document.documentElement.dataset.theme = t;
    }, theme);
    await inner.getByTestId('crumb-0').click();
    await inner.waitFor({ state: 'detached' });
    expect(await mainState(page)).toEqual(leaving);
    expect(errors).toEqual([]);
  });

  test('the view follows the file: edited and reloaded, the inside shows the new version', async () => {
    const editor = page.getByTestId('editor');
    await editor.getByTestId('node-poly').locator('.node-type').dblclick();
    const inner = page.getByTestId('inner-view');
    await inner.getByTestId('node-osc').waitFor();
    const edited = `${SUBTRACTIVE}new InletNode(default: 0.2) drive\nlink drive.out -> filter.drive\n`;
    writeFileSync(join(dir, 'subtractive.syn'), edited);
    try {
      await http(server.url, 'POST', '/patches/reload');
      // The VoicesNode gained a shared port (drawn on the main canvas underneath); the view read the file again.
      await editor.getByTestId('node-poly').locator('[data-handleid="drive"]').waitFor({ state: 'attached' });
      await inner.getByTestId('node-drive').waitFor();
      expect(await drawnNames(inner)).toEqual(namesIn(edited).sort());
      expect(await inner.getByTestId('inner-note').textContent()).toMatch(/6 inlets/);
    } finally {
      writeFileSync(join(dir, 'subtractive.syn'), SUBTRACTIVE);
      await http(server.url, 'POST', '/patches/reload');
    }
    await inner.getByTestId('node-drive').waitFor({ state: 'detached' });
    await editor.getByTestId('node-poly').locator('[data-handleid="drive"]').waitFor({ state: 'detached' });
    await page.keyboard.press('Escape');
    await inner.waitFor({ state: 'detached' });
    expect(errors).toEqual([]);
  });

  test('Copy its script copies the file’s text', async () => {
    await page.getByTestId('editor').getByTestId('node-poly').locator('.node-type').dblclick();
    await page.getByTestId('copy-inner-script').click();
    await expect.poll(() => page.evaluate(() => navigator.clipboard.readText())).toBe(SUBTRACTIVE);
    await page.keyboard.press('Escape');
    await page.getByTestId('inner-view').waitFor({ state: 'detached' });
    expect(errors).toEqual([]);
  });
});
