/// <reference lib="dom" />
// The web node editor end to end: real server on loopback, real headless Chromium, real mouse drags.
// One page walks through the main states in order; each step checks the server's graph (through its
// HTTP API), not just the DOM, and screenshots go to test-artifacts/.

import { readFileSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { ApiConnection, ApiNode, EngineStatus } from '../../src/api/protocol.js';
import {
  centre,
  dragMouse,
  explainFailure,
  http,
  launchBrowser,
  missingPrerequisite,
  openEditor,
  type RunningServer,
  runConsole as runInConsole,
  screenshot,
  startServer,
  viewSettled,
} from './harness.js';

const missing = missingPrerequisite();
if (missing) console.warn(`e2e skipped: ${missing}`);

const handle = (node: string, port: string) =>
  `.react-flow__handle[data-nodeid="${node}"][data-handleid="${port}"]`;

describe.skipIf(!!missing)('web editor', () => {
  let server: RunningServer;
  let browser: Browser;
  let page: Page;
  let errors: string[];
  const get = <T>(path: string) => http<T>(server.url, 'GET', path);

  const runConsole = (script: string) => runInConsole(page, script);

  async function fitView() {
    await page.getByTestId('fit-view').click();
    // Until the view stops moving: its animation takes far longer than its 300 ms when the machine is loaded.
    await viewSettled(page);
  }

  beforeAll(async () => {
    server = await startServer();
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1280, height: 720 }, acceptDownloads: true });
    errors = await openEditor(page, server.url);
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  test('serves the editor at / and lists every node type in the palette', async () => {
    const types = await get<Array<{ type: string }>>('/types');
    expect(types.length).toBeGreaterThanOrEqual(18);
    await expect.poll(() => page.locator('[data-testid^="palette-"]').count()).toBe(types.length);
    await screenshot(page, '01-empty');
  });

  test('adds a node by dragging it from the palette', async () => {
    const editor = await page.getByTestId('editor').boundingBox();
    await page.getByTestId('palette-SineNode').dragTo(page.getByTestId('editor'), {
      targetPosition: { x: editor!.width * 0.55, y: editor!.height * 0.3 },
    });
    await page.getByTestId('node-sine1').waitFor();
    const node = await get<ApiNode>('/nodes/sine1');
    expect(node.type).toBe('SineNode');
  });

  test('adds nodes from the console, laid out automatically', async () => {
    await runConsole('new 441 freq; new PlaybackNode out; new MidiTriggerNode trig');
    for (const name of ['freq', 'out', 'trig']) await page.getByTestId(`node-${name}`).waitFor();
    const names = (await get<ApiNode[]>('/nodes')).map((n) => n.name).sort();
    expect(names).toEqual(['freq', 'out', 'sine1', 'trig']);
    // No two nodes on top of each other, once the layout has placed the new ones (it runs after they appear).
    const overlapping = async () => {
      const boxes = await Promise.all(names.map((n) => page.getByTestId(`node-${n}`).boundingBox()));
      const pairs: string[] = [];
      for (let i = 0; i < boxes.length; i++) {
        for (let j = i + 1; j < boxes.length; j++) {
          const a = boxes[i]!;
          const b = boxes[j]!;
          if (a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height)
            pairs.push(`${names[i]} overlaps ${names[j]}`);
        }
      }
      return pairs;
    };
    await expect.poll(overlapping).toEqual([]);
    await viewSettled(page);
    expect(await overlapping()).toEqual([]);
  });

  test("a script's nodes are laid out together even when its changes reach the page slowly", async () => {
    // A busy page or network can space one script's changes further apart than the layout's pause between
    // changes. A second page whose socket hands it each graph change 80 ms after the one before still
    // places the chain as one, left to right (laid out half-way, it stacked the rest in a column).
    // The other page leaves meanwhile: it would lay the new nodes out itself and share their positions.
    await page.goto('about:blank');
    const slow = await browser.newPage({ viewport: { width: 1280, height: 720 } });
    await slow.routeWebSocket(/\/ws(\?|$)/, (ws) => {
      const toServer = ws.connectToServer();
      let queue = Promise.resolve();
      toServer.onMessage((message) => {
        const graphChange = typeof message === 'string' && /^\{"type":"(nodeAdded|linked)"/.test(message);
        queue = queue
          .then(() => (graphChange ? new Promise((resolve) => setTimeout(resolve, 80)) : undefined))
          .then(() => ws.send(message));
      });
    });
    const chain = ['ch_f', 'ch_osc', 'ch_amp', 'ch_pan', 'ch_out'];
    try {
      await openEditor(slow, server.url);
      const input = slow.getByTestId('console-input');
      await input.fill(
        'new 330 ch_f; new SineNode ch_osc; new GainNode ch_amp; new PanNode ch_pan; new PlaybackNode ch_out; ' +
          'link ch_f.out -> ch_osc.frequency; link ch_osc.out -> ch_amp.input; link ch_amp.out -> ch_pan.input; ' +
          'link ch_pan.left -> ch_out.left',
      );
      await input.press('Enter');
      for (const name of chain) await slow.getByTestId(`node-${name}`).waitFor();
      await expect.poll(() => get<ApiConnection[]>('/connections').then((c) => c.length)).toBeGreaterThan(3);
      await viewSettled(slow);
      const placed = async () => {
        const boxes = await Promise.all(chain.map((n) => slow.getByTestId(`node-${n}`).boundingBox()));
        return chain.slice(1).every((_, i) => boxes[i + 1]!.x > boxes[i]!.x);
      };
      await expect.poll(placed).toBe(true);
    } finally {
      await slow.close();
      await page.goto(server.url);
      await page.getByTestId('link-state').filter({ hasText: 'connected' }).waitFor();
    }
    await runConsole(chain.map((n) => `remove ${n}`).join('; '));
  });

  test('connects by dragging from an output to an input', async () => {
    await fitView();
    await dragMouse(
      page,
      await centre(page, handle('freq', 'out')),
      await centre(page, handle('sine1', 'frequency')),
    );
    await expect
      .poll(async () =>
        (await get<ApiConnection[]>('/connections')).map(
          (c) => `${c.source.node_name}.${c.source.port_name}->${c.sink.node_name}.${c.sink.port_name}`,
        ),
      )
      .toContain('freq.out->sine1.frequency');
    await expect.poll(() => page.locator('.react-flow__edge').count()).toBe(1);
  });

  test('refuses a stream → MIDI connection visibly, and the graph is unchanged', async () => {
    await dragMouse(
      page,
      await centre(page, handle('sine1', 'out')),
      await centre(page, handle('trig', 'midi')),
    );
    await expect
      .poll(() => page.getByTestId('toast').textContent())
      .toMatch(/MIDI ports link only to MIDI ports/);
    await screenshot(page, '02-refused-midi');
    expect((await get<ApiConnection[]>('/connections')).length).toBe(1);
  });

  test('a typed number is applied on Enter, not per keystroke', async () => {
    await page.getByTestId('control-freq').dblclick();
    const field = page.getByTestId('control-freq-input');
    await field.press('Control+a');
    await field.pressSequentially('882', { delay: 30 });
    // Typing "8", "88" … sends nothing: the engine still has the old value until Enter.
    expect((await get<ApiNode>('/nodes/freq')).exports.Value).toBe(441);
    await field.press('Enter');
    await expect.poll(async () => (await get<ApiNode>('/nodes/freq')).exports.Value).toBe(882);
  });

  test('renames a node, and undo/redo walk the edit back and forth', async () => {
    // Every node in view first: a node added off-screen by an earlier test can sit under the top bar.
    await fitView();
    await page.getByTestId('node-sine1').locator('.node-name').dblclick();
    const input = page.getByLabel('node name');
    await input.fill('osc');
    await input.press('Enter');
    await page.getByTestId('node-osc').waitFor();
    expect((await get<ApiNode>('/nodes/osc')).type).toBe('SineNode');
    await page.getByTestId('undo').click();
    await page.getByTestId('node-sine1').waitFor();
    await page.getByTestId('redo').click();
    await page.getByTestId('node-osc').waitFor();
    // The rename kept the connection.
    const connections = await get<ApiConnection[]>('/connections');
    expect(connections.some((c) => c.sink.node_name === 'osc')).toBe(true);
  });

  test('deletes an edge and a node with the Delete key; undo brings each back', async () => {
    const linked = async () =>
      (await get<ApiConnection[]>('/connections')).some(
        (c) => c.source.node_name === 'freq' && c.sink.node_name === 'osc',
      );
    await page.locator('.react-flow__edge').first().click();
    await page.keyboard.press('Delete');
    await expect.poll(linked).toBe(false);
    await page.getByTestId('undo').click();
    await expect.poll(linked).toBe(true);

    await page
      .getByTestId('node-freq')
      .locator('.node-header')
      .click({ position: { x: 3, y: 3 } });
    await page.keyboard.press('Delete');
    await page.getByTestId('node-freq').waitFor({ state: 'detached' });
    expect((await get<ApiNode[]>('/nodes')).some((n) => n.name === 'freq')).toBe(false);
    await page.getByTestId('undo').click();
    await page.getByTestId('node-freq').waitFor();
    expect((await get<ApiNode>('/nodes/freq')).exports.Value).toBe(882);
    await expect.poll(linked).toBe(true);
  });

  test('shows edits made by another client without reloading', async () => {
    const before = Date.now();
    await http(server.url, 'POST', '/nodes/remote?type=SquareNode');
    await page.getByTestId('node-remote').waitFor();
    // How soon is for bench/ and the log (a loaded machine is slow); that it appears is the test.
    console.log(`another client's node appeared after ${Date.now() - before} ms`);
    await http(server.url, 'DELETE', '/nodes/remote');
    await page.getByTestId('node-remote').waitFor({ state: 'detached' });
  });

  test('starts and stops rendering', async () => {
    await runConsole('link osc.out -> out.left\nlink osc.out -> out.right');
    await page.getByTestId('start').click();
    await page.getByTestId('render-state').filter({ hasText: 'rendering' }).waitFor();
    expect((await get<EngineStatus>('/status')).running).toBe(true);
  });

  test('a scope on an output shows a waveform of the right period', async () => {
    await page.getByTestId('scope-toggle-osc.out').click();
    const scope = page.getByTestId('scope-osc.out');
    await scope.waitFor();
    // The label: frequency measured from the samples the server sent (882 Hz = the value typed above).
    await expect
      .poll(async () => Number(await page.getByTestId('scope-freq-osc.out').getAttribute('data-frequency')))
      .toBeGreaterThan(0);
    const labelled = Number(await page.getByTestId('scope-freq-osc.out').getAttribute('data-frequency'));
    expect(labelled).toBeGreaterThan(882 * 0.99);
    expect(labelled).toBeLessThan(882 * 1.01);
    // The picture: find the trace's rising mid-line crossings in the canvas pixels.
    const drawn = await page.getByTestId('scope-canvas-osc.out').evaluate((canvas: HTMLCanvasElement) => {
      const ctx = canvas.getContext('2d')!;
      const { width, height } = canvas;
      const pixels = ctx.getImageData(0, 0, width, height).data;
      const traceY: number[] = [];
      for (let x = 0; x < width; x++) {
        let sum = 0;
        let count = 0;
        for (let y = 0; y < height; y++) {
          const i = (y * width + x) * 4;
          // The trace is the accent colour: strongly green-blue, unlike the grey mid-line.
          if (pixels[i + 3] > 128 && pixels[i + 1] - pixels[i] > 60) {
            sum += y;
            count++;
          }
        }
        traceY.push(count ? sum / count : Number.NaN);
      }
      const mid = height / 2;
      const rising: number[] = [];
      for (let x = 1; x < width; x++) {
        if (traceY[x - 1] > mid && traceY[x] <= mid) rising.push(x);
      }
      return {
        width,
        span: Number(canvas.dataset.span),
        rising,
        drawnColumns: traceY.filter((y) => !Number.isNaN(y)).length,
      };
    });
    expect(drawn.drawnColumns).toBeGreaterThan(drawn.width * 0.9);
    expect(drawn.rising.length).toBeGreaterThanOrEqual(2);
    const periodPx = (drawn.rising[drawn.rising.length - 1] - drawn.rising[0]) / (drawn.rising.length - 1);
    const periodSamples = (periodPx * (drawn.span - 1)) / (drawn.width - 1);
    const hz = 44100 / periodSamples;
    console.log(
      `scope: ${drawn.rising.length} rising crossings, period ${periodSamples.toFixed(1)} samples = ${hz.toFixed(1)} Hz`,
    );
    expect(hz).toBeGreaterThan(882 * 0.97);
    expect(hz).toBeLessThan(882 * 1.03);
    await screenshot(page, '03-scope-running');
  });

  test('the master meter shows the level', async () => {
    await expect
      .poll(async () => Number(await page.getByTestId('master-meter').getAttribute('data-peak-db')))
      .toBeGreaterThan(-20);
  });

  test('stops rendering', async () => {
    await page.getByTestId('stop').click();
    await page.getByTestId('render-state').filter({ hasText: 'stopped' }).waitFor();
    expect((await get<EngineStatus>('/status')).running).toBe(false);
  });

  test('saves .sui and .syn, and loads a .sui back with its positions', async () => {
    const [sui] = await Promise.all([page.waitForEvent('download'), page.getByTestId('save').click()]);
    expect(sui.suggestedFilename()).toBe('patch.sui');
    const suiText = readFileSync((await sui.path())!, 'utf8');
    expect(suiText.startsWith('/*** {')).toBe(true);
    expect(suiText).toContain('new SineNode osc;');
    expect(suiText).toContain('new 882 freq;');
    const saved = JSON.parse(/^\/\*\*\*(.*?)\*\*\*\//s.exec(suiText)![1]) as Record<
      string,
      { x: number; y: number }
    >;
    expect(Object.keys(saved).sort()).toEqual(['freq', 'osc', 'out', 'trig']);

    await page.getByTestId('save-as').click();
    await page.getByTestId('dialog-input').fill('plain');
    await page.getByLabel('.syn').check();
    const [syn] = await Promise.all([
      page.waitForEvent('download'),
      page.getByTestId('dialog-confirm').click(),
    ]);
    expect(syn.suggestedFilename()).toBe('plain.syn');
    const synText = readFileSync((await syn.path())!, 'utf8');
    expect(synText).not.toContain('/***');
    expect(synText).toContain('link freq.out -> osc.frequency;');

    await runConsole('clear');
    await expect.poll(() => page.locator('.synth-node').count()).toBe(0);
    // Positions in the file win over any remembered ones.
    await page.evaluate(() => localStorage.removeItem('synchrotron.positions'));
    const [chooser] = await Promise.all([page.waitForEvent('filechooser'), page.getByTestId('open').click()]);
    await chooser.setFiles({ name: 'saved.sui', mimeType: 'text/plain', buffer: Buffer.from(suiText) });
    await page.getByTestId('node-osc').waitFor();
    expect((await get<ApiNode[]>('/nodes')).length).toBe(4);
    expect((await get<ApiConnection[]>('/connections')).length).toBe(3);
    const positions = await page.evaluate(
      () =>
        new Promise((resolve) =>
          setTimeout(() => resolve(JSON.parse(localStorage.getItem('synchrotron.positions') ?? '{}')), 300),
        ),
    );
    for (const [name, p] of Object.entries(saved)) expect((positions as typeof saved)[name]).toEqual(p);
  });

  test('positions persist across a reload', async () => {
    // The node's place in the graph (React Flow's transform of it), not on the screen: the view may still be
    // moving (a fit after loading) when the screen position would be read.
    const place = () =>
      page.locator('.react-flow__node[data-id="osc"]').evaluate((el) => (el as HTMLElement).style.transform);
    const before = await place();
    expect(before).toMatch(/translate/);
    await page.reload();
    await page.getByTestId('node-osc').waitFor();
    await expect.poll(place).toBe(before);
    await viewSettled(page);
    expect(await place()).toBe(before);
  });

  test('the console marks the position of an error', async () => {
    await runConsole('new SineNod bad');
    const error = page.getByTestId('console-error').last();
    await error.waitFor();
    expect(await error.textContent()).toMatch(/SineNode/);
    expect(await error.locator('mark').textContent()).toBe('SineNod');
    expect((await get<ApiNode[]>('/nodes')).some((n) => n.name === 'bad')).toBe(false);
    await screenshot(page, '04-console-error');
  });

  test('the console completes types, node names and ports with Tab, and recalls history', async () => {
    const input = page.getByTestId('console-input');
    await input.fill('new Sin');
    await input.press('Tab');
    expect(await input.inputValue()).toBe('new SineNode');
    // The language's own completion: after `link`, outputs as node.port (osc has one).
    await input.fill('link os');
    await input.press('Tab');
    expect(await input.inputValue()).toBe('link osc.out');
    await input.pressSequentially(' -> out.');
    await input.press('Tab');
    await page.getByTestId('completions').waitFor();
    expect(await page.getByTestId('completions').textContent()).toMatch(/left.*right/);
    await screenshot(page, '04b-console-completion');
    await input.press('Escape');
    await input.fill('');
    await input.press('ArrowUp');
    expect(await input.inputValue()).toBe('new SineNod bad');
    await input.fill('');
  });

  test('computer keys play notes into a MidiInputNode', async () => {
    await runConsole(
      'clear\nnew MidiInputNode keys\nnew MonophonicRenderNode mono\nnew SineNode voice\nlink keys.out -> mono.midi\nlink mono.frequency -> voice.frequency\nstart',
    );
    await page.getByTestId('scope-toggle-voice.out').click();
    // The scope is open before a note is played (its readout is what the test reads).
    await page.getByTestId('scope-voice.out').waitFor();
    await page.getByTestId('editor').click({ position: { x: 5, y: 5 } });
    await explainFailure(page, 'editor-keyboard', async () => {
      await page.keyboard.down('KeyH'); // A4 in the default octave: 440 Hz
      await expect
        .poll(async () =>
          Number(await page.getByTestId('scope-freq-voice.out').getAttribute('data-frequency')),
        )
        .toBeGreaterThan(435);
    });
    expect(
      Number(await page.getByTestId('scope-freq-voice.out').getAttribute('data-frequency')),
    ).toBeLessThan(445);
    await page.keyboard.up('KeyH');
    await runConsole('stop');
  });

  test('demo loads a positioned patch that plays; light, dark and 4K look right', async () => {
    await runConsole('demo');
    // The graph has unsaved changes: the demo asks before replacing it.
    await page.getByTestId('dialog-confirm').click();
    await expect.poll(() => page.locator('.synth-node').count()).toBe(21);
    await page.getByTestId('start').click();
    await page.getByTestId('scope-toggle-lead_amp.out').click();
    // The master meter shows the demo playing (as soon as its first notes arrive; slow when loaded).
    const masterDb = async () => Number(await page.getByTestId('master-meter').getAttribute('data-peak-db'));
    await expect.poll(masterDb).toBeGreaterThan(-30);
    const theme = await page.evaluate(() => document.documentElement.dataset.theme);
    await screenshot(page, `05-demo-${theme}`);
    await page.getByTestId('theme').click();
    await page.waitForTimeout(300);
    await screenshot(page, `05-demo-${theme === 'dark' ? 'light' : 'dark'}`);
    expect(await masterDb()).toBeLessThanOrEqual(0.01);
    // Listen: the server's output plays in this page, through the limiter (never above 0 dBFS).
    await page.getByText('Listen', { exact: true }).click();
    await expect
      .poll(async () => Number(await page.getByTestId('listen-meter').getAttribute('data-peak-db')))
      .toBeGreaterThan(-40);
    expect(Number(await page.getByTestId('listen-meter').getAttribute('data-peak-db'))).toBeLessThanOrEqual(
      0.01,
    );
    await page.getByText('Listen', { exact: true }).click();
    await page.setViewportSize({ width: 3840, height: 2160 });
    await page.getByTestId('layout').click();
    await page.waitForTimeout(600);
    await screenshot(page, '06-demo-4k');
    await page.setViewportSize({ width: 1280, height: 720 });
    await page.getByTestId('stop').click();
  });

  test('no console errors', () => {
    expect(errors).toEqual([]);
  });
});
