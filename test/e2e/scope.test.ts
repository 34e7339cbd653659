/// <reference lib="dom" />
// The scope as an instrument: timebase from 1 ms to 10 s, rising/auto/free trigger and a rolling mode,
// and a frequency readout from 20 Hz to 20 kHz (41 Hz measured within 1 %), with the picture checked
// in the canvas's own pixels.

import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
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
const KEY = 'osc.out';

describe.skipIf(!!missing)('scope', () => {
  let server: RunningServer;
  let browser: Browser;
  let page: Page;
  let errors: string[];
  const canvas = () => page.getByTestId(`scope-canvas-${KEY}`);
  const readout = async (key = KEY) =>
    Number(await page.getByTestId(`scope-freq-${key}`).getAttribute('data-frequency'));
  const setFrequency = (hz: number) => http(server.url, 'PUT', '/nodes/f/value', hz);
  /** Waits for a readout within `tolerance` (a fraction) of `hz`, and answers it. */
  async function reads(hz: number, tolerance: number, key = KEY) {
    await expect.poll(async () => Math.abs((await readout(key)) / hz - 1)).toBeLessThan(tolerance);
    return readout(key);
  }

  beforeAll(async () => {
    server = await startServer();
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
    errors = await openEditor(page, server.url);
    await runConsole(
      page,
      'new 41 f; new SineNode osc; link f.out -> osc.frequency; new 0.5 rate; new SineNode lfo; link rate.out -> lfo.frequency; start',
    );
    await page.getByTestId('node-lfo').waitFor();
    await viewSettled(page);
    await page.getByTestId(`scope-toggle-${KEY}`).click();
    await page.getByTestId(`scope-${KEY}`).waitFor();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  test('reads 41 Hz within 1 %, and 20 Hz and 20 kHz at the ends of hearing', async () => {
    const hz = await reads(41, 0.01);
    console.log(`scope readout: ${hz} Hz for 41 Hz`);
    await setFrequency(20);
    await reads(20, 0.01);
    await setFrequency(20000);
    await reads(20000, 0.01);
    await setFrequency(41);
    await reads(41, 0.01);
  });

  test('at 100 ms a 41 Hz sine shows four periods standing still (rising-edge trigger)', async () => {
    await page.getByTestId(`scope-timebase-${KEY}`).selectOption('0.1');
    await page.getByTestId(`scope-mode-${KEY}-rising`).click();
    await expect.poll(async () => Number(await canvas().getAttribute('data-seconds'))).toBeCloseTo(0.1, 3);
    // Frames come 25 times a second; each begins at the same phase, a tenth before an upward crossing.
    const firsts: number[] = [];
    let frame = '';
    for (let i = 0; i < 5; i++) {
      await expect.poll(() => canvas().getAttribute('data-frame')).not.toBe(frame);
      frame = (await canvas().getAttribute('data-frame'))!;
      expect(await canvas().getAttribute('data-triggered')).toBe('true');
      firsts.push(Number(await canvas().getAttribute('data-first')));
    }
    for (const first of firsts) expect(first).toBeCloseTo(firsts[0], 1);
    // The picture: rising mid-line crossings of the trace, in canvas pixels.
    const drawn = await canvas().evaluate((el: HTMLCanvasElement) => {
      const ctx = el.getContext('2d')!;
      const { width, height } = el;
      const pixels = ctx.getImageData(0, 0, width, height).data;
      const traceY: number[] = [];
      for (let x = 0; x < width; x++) {
        let sum = 0;
        let count = 0;
        for (let y = 0; y < height; y++) {
          const i = (y * width + x) * 4;
          if (pixels[i + 3] > 128 && pixels[i + 1] - pixels[i] > 60) {
            sum += y;
            count++;
          }
        }
        traceY.push(count ? sum / count : Number.NaN);
      }
      const mid = height / 2;
      const rising: number[] = [];
      for (let x = 1; x < width; x++) if (traceY[x - 1] > mid && traceY[x] <= mid) rising.push(x);
      return { width, rising };
    });
    expect(drawn.rising.length).toBe(4);
    const periodPx = (drawn.rising.at(-1)! - drawn.rising[0]) / (drawn.rising.length - 1);
    const hz = 1 / ((periodPx / drawn.width) * 0.1);
    expect(hz).toBeGreaterThan(41 * 0.97);
    expect(hz).toBeLessThan(41 * 1.03);
    // The first crossing sits a tenth of the way in (the trigger point).
    expect(drawn.rising[0] / drawn.width).toBeCloseTo(0.1, 1);
    await screenshot(page, 'scope-41hz-100ms-rising');
  });

  test('timebase from 1 ms (raw samples) to 10 s (min/max columns)', async () => {
    await page.getByTestId(`scope-mode-${KEY}-auto`).click();
    await page.getByTestId(`scope-timebase-${KEY}`).selectOption('0.001');
    await expect.poll(async () => Number(await canvas().getAttribute('data-seconds'))).toBeCloseTo(0.001, 4);
    expect(Number(await canvas().getAttribute('data-points'))).toBe(44);
    await page.getByTestId(`scope-timebase-${KEY}`).selectOption('10');
    await expect.poll(async () => Number(await canvas().getAttribute('data-seconds'))).toBe(10);
    expect(Number(await canvas().getAttribute('data-points'))).toBeLessThanOrEqual(512);
    const options = await page.getByTestId(`scope-timebase-${KEY}`).locator('option').allTextContents();
    expect(options[0]).toBe('1 ms');
    expect(options.at(-1)).toBe('10 s');
    await page.getByTestId(`scope-timebase-${KEY}`).selectOption('0.02');
  });

  test('free-running frames start anywhere; a rolling scope shows an LFO and reads its rate', async () => {
    await page.getByTestId(`scope-mode-${KEY}-free`).click();
    // Frames of the old mode may still be on their way: from the first untriggered one on.
    await expect.poll(() => canvas().getAttribute('data-triggered')).toBe('false');
    const firsts = new Set<string>();
    let frame = '';
    for (let i = 0; i < 6; i++) {
      await expect.poll(() => canvas().getAttribute('data-frame')).not.toBe(frame);
      frame = (await canvas().getAttribute('data-frame'))!;
      expect(await canvas().getAttribute('data-triggered')).toBe('false');
      firsts.add(Number(await canvas().getAttribute('data-first')).toFixed(2));
    }
    expect(firsts.size).toBeGreaterThan(1);

    await page.getByTestId('scope-toggle-lfo.out').click();
    await page.getByTestId('scope-timebase-lfo.out').selectOption('5');
    await page.getByTestId('scope-mode-lfo.out-roll').click();
    const lfo = page.getByTestId('scope-canvas-lfo.out');
    await expect.poll(async () => Number(await lfo.getAttribute('data-seconds'))).toBe(5);
    // 0.5 Hz: below the raw window, read from the long ring once it holds three periods (6 s).
    await reads(0.5, 0.02, 'lfo.out');
    await screenshot(page, 'scope-roll-lfo');
    expect(errors).toEqual([]);
  });
});
