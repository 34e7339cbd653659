/// <reference lib="dom" />
// Capture and share: Record downloads the master as a WAV (measured: its tone, level and length match
// the patch and the elapsed time shown), Share puts the patch in a link that opens it after asking, and
// value snapshots store, recall and morph along each control's curve.

import { readFileSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { ApiNode } from '../../src/api/protocol.js';
import { readWav } from '../../src/io/wav-writer.js';
import { rms, zeroCrossingFrequency } from '../helpers/analysis.js';
import {
  http,
  launchBrowser,
  missingPrerequisite,
  openEditor,
  type RunningServer,
  runConsole,
  screenshot,
  startServer,
} from './harness.js';

const missing = missingPrerequisite();

describe.skipIf(!!missing)('capture and share', () => {
  let server: RunningServer;
  let browser: Browser;
  let page: Page;
  let errors: string[];
  const exported = () => http<string>(server.url, 'GET', '/export');
  const value = async (name: string) =>
    (await http<ApiNode>(server.url, 'GET', `/nodes/${name}`)).exports.Value;

  beforeAll(async () => {
    server = await startServer();
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1280, height: 720 }, acceptDownloads: true });
    errors = await openEditor(page, server.url);
    await runConsole(
      page,
      'new 441 f; new SineNode osc; new 0.5 level; new MultiplyNode amp; new PlaybackNode out; ' +
        'link f.out -> osc.frequency; link osc.out -> amp.a; link level.out -> amp.b; link amp.out -> out.left; link amp.out -> out.right; start',
    );
    await page.getByTestId('node-out').waitFor();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  test('Record shows the time recorded and downloads the master as a WAV', async () => {
    await page.getByTestId('record').click();
    const time = page.getByTestId('record-time');
    // m:ss.s, counting up while recording.
    await expect.poll(async () => (await time.textContent()) ?? '').toMatch(/^0:0[1-9]\.\d$/);
    const shown = await time.textContent();
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('record').click()]);
    expect(download.suggestedFilename()).toMatch(/^synchrotron-\d{8}-\d{6}\.wav$/);
    const wav = readWav((await download.path())!);
    expect(wav.sampleRate).toBe(44100);
    expect(wav.channels).toHaveLength(2);
    const seconds = wav.channels[0].length / wav.sampleRate;
    const shownSeconds = Number(shown!.split(':')[1]);
    console.log(`recorded ${seconds.toFixed(2)} s; the button showed ${shown}`);
    expect(seconds).toBeGreaterThanOrEqual(shownSeconds);
    const [left, right] = wav.channels;
    expect(zeroCrossingFrequency(left, 44100)).toBeCloseTo(441, 0);
    expect(rms(left)).toBeCloseTo(0.5 / Math.SQRT2, 2);
    expect(rms(right)).toBeCloseTo(rms(left), 5);
    expect(await time.textContent()).toBe('Rec');
  });

  test('Share puts the patch in a link that opens it elsewhere, after asking', async () => {
    await page.getByTestId('share').click();
    const url = await page.getByTestId('dialog-input').inputValue();
    expect(url.startsWith(`${server.url}/#patch=`)).toBe(true);
    await screenshot(page, 'capture-share');
    await page.getByTestId('dialog-confirm').click();
    const graph = await exported();
    await runConsole(page, 'stop; clear');

    // Someone opens the link in their own browser (nothing remembered there).
    const other = await browser.newContext({ viewport: { width: 1280, height: 720 } });
    const theirs = await other.newPage();
    const theirErrors = await openEditor(theirs, url);
    await theirs.getByTestId('dialog').waitFor();
    expect(await theirs.getByTestId('dialog').textContent()).toMatch(/shared patch.*5 nodes/s);
    await theirs.getByTestId('dialog-confirm').click();
    await expect.poll(exported).toBe(graph);
    // The fragment is gone once read: a reload does not ask again.
    expect(new URL(theirs.url()).hash).toBe('');
    // Positions came with it.
    const positions = await theirs.evaluate(() =>
      JSON.parse(localStorage.getItem('synchrotron.positions') ?? '{}'),
    );
    expect(Object.keys(positions).sort()).toEqual(['amp', 'f', 'level', 'osc', 'out']);

    // Declined, nothing changes.
    await runConsole(page, 'clear');
    await theirs.goto(url);
    await theirs.getByTestId('dialog-cancel').click();
    expect(await exported()).toBe('');
    // A damaged link says so.
    await theirs.goto(`${server.url}/#patch=AAAA-broken`);
    await theirs.getByTestId('toast').filter({ hasText: 'damaged' }).waitFor();
    await other.close();
    expect(theirErrors).toEqual([]);
  });

  test('snapshots store and recall every value; a morph moves along each control curve', async () => {
    await runConsole(page, 'clear; new 1 a; new 100 b; new SineNode osc; link b.out -> osc.frequency');
    await page.getByTestId('node-osc').waitFor();
    await page.getByTestId('snapshot-1').click();
    await runConsole(page, 'set a 0.2; set b 1000');
    await expect.poll(() => value('b')).toBe(1000);
    await page.getByTestId('snapshot-2').click();
    await page.getByTestId('snapshot-1').click();
    await expect.poll(() => value('b')).toBe(100);
    expect(await value('a')).toBe(1);
    await page.getByTestId('snapshot-2').click();
    await expect.poll(() => value('b')).toBe(1000);

    const morph = page.getByTestId('morph');
    await morph.fill('0.5');
    // a on a linear 0…1 slider: half-way. b feeds a frequency (log curve): the geometric mean.
    await expect.poll(async () => Number(await value('a'))).toBeCloseTo(0.6, 2);
    expect(Number(await value('b'))).toBeCloseTo(Math.sqrt(100 * 1000), -1);
    await morph.fill('0');
    await expect.poll(() => value('b')).toBe(100);
    await morph.fill('1');
    await expect.poll(() => value('b')).toBe(1000);
    await screenshot(page, 'capture-snapshots');

    // Saved with the patch.
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('save').click()]);
    const header = JSON.parse(
      /^\/\*\*\*(.*?)\*\*\*\//s.exec(readFileSync((await download.path())!, 'utf8'))![1],
    );
    expect(header.snapshots).toEqual([
      { slot: 1, values: { a: 1, b: 100 } },
      { slot: 2, values: { a: 0.2, b: 1000 } },
    ]);
    expect(errors).toEqual([]);
  });
});
