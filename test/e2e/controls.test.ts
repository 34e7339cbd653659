/// <reference lib="dom" />
// Knobs and sliders: value nodes and unlinked ranged inputs get a keyboard-accessible slider whose range
// and curve come from the port's declaration; drag, wheel, keys and typing; typed values apply on Enter
// or blur only; changes glide (measured on the server's output: no step larger than a block's ramp);
// MIDI learn maps a controller, and the mapping is saved with the patch.

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { ApiConnection, ApiNode } from '../../src/api/protocol.js';
import { readWav } from '../../src/io/wav-writer.js';
import { maxStep } from '../helpers/analysis.js';
import {
  http,
  launchBrowser,
  missingPrerequisite,
  openEditor,
  type RunningServer,
  runConsole,
  startServer,
  viewSettled,
} from './harness.js';

const missing = missingPrerequisite();

describe.skipIf(!!missing)('knobs and sliders', () => {
  let server: RunningServer;
  let browser: Browser;
  let page: Page;
  let errors: string[];
  let root: string;
  const get = <T>(path: string) => http<T>(server.url, 'GET', path);
  const value = async (name: string) => (await get<ApiNode>(`/nodes/${name}`)).exports.Value as number;
  const slider = (id: string) => page.getByTestId(`control-${id}`);

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'synchrotron-controls-'));
    server = await startServer({ root });
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1280, height: 720 }, acceptDownloads: true });
    errors = await openEditor(page, server.url);
    await runConsole(
      page,
      'new 440 freq; new SineNode osc; new SquareNode sq; new TriggerEnvelopeNode env; new "hello" label; link freq.out -> osc.frequency',
    );
    await page.getByTestId('node-env').waitFor();
    await viewSettled(page);
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    rmSync(root, { recursive: true, force: true });
  });

  test('a value node and every unlinked ranged input get a slider showing value and unit', async () => {
    const freq = slider('freq');
    expect(await freq.getAttribute('role')).toBe('slider');
    // The range is what SineNode.frequency declares (a unit of Hz: 0.1 Hz…20 kHz, logarithmic).
    expect(await freq.getAttribute('aria-valuetext')).toBe('440 Hz');
    expect(Number(await freq.getAttribute('aria-valuemin'))).toBeCloseTo(0.1);
    expect(Number(await freq.getAttribute('aria-valuemax'))).toBe(20000);
    const fill = await freq
      .locator('.value-control-fill')
      .evaluate((el) => Number.parseFloat(el.style.width));
    expect(fill / 100).toBeCloseTo(Math.log(440 / 0.1) / Math.log(20000 / 0.1), 2);
    // Unlinked inputs with a range: sq.pwm (0…1), env.attack and env.decay (seconds), sq.frequency (Hz).
    expect(await slider('sq.pwm').getAttribute('aria-valuetext')).toBe('0.5');
    expect(await slider('env.attack').getAttribute('aria-valuetext')).toBe('10 ms');
    expect(await slider('sq.frequency').count()).toBe(1);
    // A linked input has none (its source has one), nor has a trigger input.
    expect(await slider('osc.frequency').count()).toBe(0);
    expect(await slider('env.trigger').count()).toBe(0);
    // A value that is not a number keeps a text field.
    expect(await page.getByTestId('value-label').inputValue()).toBe('"hello"');
  });

  test('keys move a slider: arrows by 1 % of its travel, Shift finer, Home and End to the ends', async () => {
    const freq = slider('freq');
    await freq.focus();
    await page.keyboard.press('ArrowUp');
    // 1 % of a log travel over 0.1…20 000 Hz is a factor of 200 000^0.01 ≈ 1.130.
    await expect.poll(() => value('freq')).toBeCloseTo(440 * 200000 ** 0.01, -1);
    await page.keyboard.press('Shift+ArrowDown');
    await expect.poll(() => value('freq')).toBeCloseTo(440 * 200000 ** 0.009, -1);
    await page.keyboard.press('End');
    await expect.poll(() => value('freq')).toBe(20000);
    await page.keyboard.press('Home');
    await expect.poll(() => value('freq')).toBeCloseTo(0.1);
    await page.keyboard.press('Enter');
    const input = page.getByTestId('control-freq-input');
    await input.fill('440');
    await input.press('Enter');
    await expect.poll(() => value('freq')).toBe(440);
  });

  test('a slider keeps showing a value until the server has it, and the next key steps from there', async () => {
    // Hold the browser's sets back, as a busy server or a loaded laptop would.
    let release!: () => void;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    await page.route('**/nodes/freq/value', async (route) => {
      await held;
      await route.continue();
    });
    try {
      const freq = slider('freq');
      await freq.focus();
      await page.keyboard.press('ArrowUp');
      const up = 440 * 200000 ** 0.01;
      // The key is up and the set is on its way: the slider shows where it went, not where it was.
      expect(Number(await freq.getAttribute('aria-valuenow'))).toBeCloseTo(up, -1);
      await page.keyboard.press('Shift+ArrowDown');
      expect(Number(await freq.getAttribute('aria-valuenow'))).toBeCloseTo(440 * 200000 ** 0.009, -1);
      expect(await value('freq')).toBe(440);
      release();
      await expect.poll(() => value('freq')).toBeCloseTo(440 * 200000 ** 0.009, -1);
    } finally {
      release();
      await page.unroute('**/nodes/freq/value');
    }
    await page.getByTestId('undo').click();
    await expect.poll(() => value('freq')).toBe(440);
    await expect.poll(() => slider('freq').getAttribute('aria-valuetext')).toBe('440 Hz');
  });

  test('a drag moves a slider (Shift for fine) and is one undo step; the wheel turns it', async () => {
    const freq = slider('freq');
    const box = (await freq.boundingBox())!;
    const y = box.y + box.height / 2;
    await page.mouse.move(box.x + box.width / 2, y);
    await page.mouse.down();
    const dx = box.width / 4;
    for (let i = 1; i <= 8; i++) await page.mouse.move(box.x + box.width / 2 + (i * dx) / 8, y);
    await page.mouse.up();
    // A quarter of the slider's width is a quarter of its travel, on a log curve.
    const expected = 440 * 200000 ** 0.25;
    await expect.poll(() => value('freq')).toBeGreaterThan(expected * 0.9);
    expect(await value('freq')).toBeLessThan(expected * 1.1);
    await page.getByTestId('undo').click();
    await expect.poll(() => value('freq')).toBe(440);
    // Shift: ten times finer.
    await page.mouse.move(box.x + box.width / 2, y);
    await page.keyboard.down('Shift');
    await page.mouse.down();
    for (let i = 1; i <= 8; i++) await page.mouse.move(box.x + box.width / 2 + (i * dx) / 8, y);
    await page.keyboard.up('Shift');
    await page.mouse.up();
    const fine = 440 * 200000 ** 0.025;
    await expect.poll(() => value('freq')).toBeCloseTo(fine, -1);
    await page.getByTestId('undo').click();
    await expect.poll(() => value('freq')).toBe(440);
    await page.mouse.move(box.x + box.width / 2, y);
    await page.mouse.wheel(0, -100);
    await expect.poll(() => value('freq')).toBeCloseTo(440 * 200000 ** 0.01, -1);
    await page.getByTestId('undo').click();
    await expect.poll(() => value('freq')).toBe(440);
  });

  test('typing applies on Enter or leaving the field, never per keystroke; a mistake is refused', async () => {
    await slider('freq').dblclick();
    const input = page.getByTestId('control-freq-input');
    await input.press('Control+a');
    await input.pressSequentially('220', { delay: 40 });
    expect(await value('freq')).toBe(440);
    await page.getByTestId('editor').click({ position: { x: 5, y: 5 } });
    await expect.poll(() => value('freq')).toBe(220);

    const label = page.getByTestId('value-label');
    await label.click();
    await label.press('Control+a');
    await label.pressSequentially('"bye"', { delay: 40 });
    expect((await get<ApiNode>('/nodes/label')).exports.Value).toBe('hello');
    await label.press('Enter');
    await expect.poll(async () => (await get<ApiNode>('/nodes/label')).exports.Value).toBe('bye');
    await label.click();
    await label.press('Control+a');
    await label.pressSequentially('"bad \\q"');
    await label.press('Enter');
    await expect.poll(() => page.locator('.value-error').textContent()).toMatch(/invalid escape/);
    await label.press('Escape');
    expect((await get<ApiNode>('/nodes/label')).exports.Value).toBe('bye');
  });

  test('moving an unlinked input makes its value node, linked in; undo takes it away', async () => {
    const pwm = slider('sq.pwm');
    const box = (await pwm.boundingBox())!;
    await pwm.focus();
    await page.keyboard.press('ArrowUp');
    await page.getByTestId('node-sq_pwm').waitFor();
    const connections = await get<ApiConnection[]>('/connections');
    expect(connections.some((c) => c.source.node_name === 'sq_pwm' && c.sink.port_name === 'pwm')).toBe(true);
    expect(await value('sq_pwm')).toBeCloseTo(0.5, 1);
    expect(box.width).toBeGreaterThan(20);
    await page.keyboard.press('Escape');
    await page.getByTestId('undo').click();
    await page.getByTestId('undo').click();
    await page.getByTestId('node-sq_pwm').waitFor({ state: 'detached' });
    await slider('sq.pwm').waitFor();
  });

  test('a drag glides: the output never steps more than the engine ramps over a block', async () => {
    // g feeds a multiplier of 1, so the output is g itself; a WavFileNode records it on the server.
    await runConsole(
      page,
      'clear; new 0 g; new 1 one; new MultiplyNode m; new WavFileNode rec; new "glide.wav" file; link one.out -> m.a; link g.out -> m.b; link m.out -> rec.signal; link file.out -> rec.path; start',
    );
    const g = slider('g');
    await g.waitFor();
    await viewSettled(page);
    const box = (await g.boundingBox())!;
    const y = box.y + box.height / 2;
    await page.mouse.move(box.x + 2, y);
    await page.mouse.down();
    for (let i = 1; i <= 12; i++) {
      await page.mouse.move(box.x + 2 + (i * (box.width - 4)) / 12, y);
      await page.waitForTimeout(60);
    }
    await page.mouse.up();
    await expect.poll(() => value('g')).toBeGreaterThan(0.9);
    // Hold the last value until the take holds it (its header is rewritten about once a second), then stop:
    // the file closes, valid. A fixed wait here raced the render worker on a loaded machine.
    const peakSoFar = () => {
      try {
        return readWav(join(root, 'glide.wav')).channels[0].reduce((a, b) => Math.max(a, b), 0);
      } catch {
        return 0;
      }
    };
    await expect.poll(peakSoFar).toBeGreaterThan(0.9);
    await runConsole(page, 'stop');
    const recorded = readWav(join(root, 'glide.wav')).channels[0];
    const sent = recorded.reduce((a, b) => Math.max(a, b), 0);
    const step = maxStep(recorded);
    console.log(
      `glide: ${recorded.length} samples, reached ${sent.toFixed(3)}, largest step ${step.toExponential(2)}`,
    );
    expect(sent).toBeGreaterThan(0.9);
    // The drag sent ≥ 12 changes of up to ~0.1 each; each is spread over a 128-frame block (≤ 0.1 / 128
    // per sample). An unramped change would step by ~0.08 at once.
    expect(step).toBeLessThan(0.004);
  });

  test('MIDI learn: arm a slider, move a controller, and it follows; saved with the patch and read back', async () => {
    await runConsole(page, 'clear; new 440 freq; new SineNode osc; link freq.out -> osc.frequency');
    await slider('freq').waitFor();
    await page.getByTestId('midi-learn').click();
    await slider('freq').click();
    await expect.poll(() => slider('freq').getAttribute('class')).toContain('armed');
    // A controller reaching the server's virtual port (a hardware bridge, the console, another app).
    await http(server.url, 'POST', '/midi', { data: [0xb0, 74, 127] });
    await page.getByTestId('mapping-freq').waitFor();
    await page.getByTestId('midi-learn').click();
    await http(server.url, 'POST', '/midi', { data: [0xb0, 74, 0] });
    await expect.poll(() => value('freq')).toBeCloseTo(0.1);
    await http(server.url, 'POST', '/midi', { data: [0xb0, 74, 127] });
    await expect.poll(() => value('freq')).toBe(20000);
    // Another controller number, or another channel, does nothing.
    await http(server.url, 'POST', '/midi', { data: [0xb0, 75, 0, 0xb1, 74, 0] });
    await page.waitForTimeout(200);
    expect(await value('freq')).toBe(20000);

    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('save').click()]);
    const text = readFileSync((await download.path())!, 'utf8');
    const header = JSON.parse(/^\/\*\*\*(.*?)\*\*\*\//s.exec(text)![1]);
    expect(header.midi).toEqual([
      expect.objectContaining({
        channel: 1,
        cc: 74,
        node: 'freq',
        range: expect.objectContaining({ min: 0.1, max: 20000, curve: 'log' }),
      }),
    ]);
    expect(header.positions.freq).toBeDefined();

    // A fresh page has no mapping until the file is opened.
    await page.reload();
    await page.getByTestId('link-state').filter({ hasText: 'connected' }).waitFor();
    expect(await page.getByTestId('mapping-freq').count()).toBe(0);
    const chooser = page.waitForEvent('filechooser');
    await page.getByTestId('open').click();
    await (await chooser).setFiles({ name: 'mapped.sui', mimeType: 'text/plain', buffer: Buffer.from(text) });
    await page.getByTestId('mapping-freq').waitFor();
    await http(server.url, 'POST', '/midi', { data: [0xb0, 74, 64] });
    await expect.poll(() => value('freq')).toBeCloseTo(0.1 * 200000 ** (64 / 127), -1);
  });

  test('MIDI learn on an unlinked input makes its value node and maps it', async () => {
    await runConsole(page, 'new TriggerEnvelopeNode env');
    await slider('env.decay').waitFor();

    await page.getByTestId('midi-learn').click();
    await slider('env.decay').click();
    await http(server.url, 'POST', '/midi', { data: [0xb2, 20, 127] });
    await page.getByTestId('mapping-env_decay').waitFor();
    await page.getByTestId('midi-learn').click();
    await http(server.url, 'POST', '/midi', { data: [0xb2, 20, 127] });
    await expect.poll(() => value('env_decay')).toBe(30);
    expect(errors).toEqual([]);
  });
});
