// The browser player (src/client/listener.ts) in real headless Chromium: a 440 Hz patch on the server
// arrives through /ws/audio, the AudioWorklet jitter buffer and the volume node as 440 Hz.

import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SynchrotronServer } from '../../src/server/index.js';
import { launchBrowser, missingPrerequisite } from '../e2e/harness.js';
import { startServer } from './helpers.js';

const DIST = join(import.meta.dirname, '..', '..', 'dist');

// A test page served by the server itself (as its web root): it plays the stream with the listener
// and measures what comes out of the volume node with an AnalyserNode.
const PAGE = `<!doctype html><html><head><meta charset="utf-8"><title>listener test</title></head><body>
<script type="module">
import { AudioStreamListener, listen } from './client/listener.js';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
function frequency(signal, rate) {
  const crossings = [];
  for (let i = 1; i < signal.length; i++) {
    const a = signal[i - 1], b = signal[i];
    if (a < 0 && b >= 0) crossings.push(i - 1 + a / (a - b));
  }
  if (crossings.length < 2) return 0;
  return ((crossings.length - 1) * rate) / (crossings[crossings.length - 1] - crossings[0]);
}
function peak(signal) { let m = 0; for (const x of signal) m = Math.max(m, Math.abs(x)); return m; }
window.measure = async () => {
  const levels = [];
  const player = await listen({ url: location.origin, latency: 0.1, onLevel: (l) => levels.push(l) });
  const analyser = player.context.createAnalyser();
  analyser.fftSize = 16384;
  player.output.connect(analyser);
  const signal = new Float32Array(analyser.fftSize);
  // Waits (up to a minute: a loaded machine is slow to start audio) for a whole analyser window that
  // passes \`test\`, and returns the last measurement either way: the test judges it.
  const measureUntil = async (test) => {
    const started = performance.now();
    for (;;) {
      analyser.getFloatTimeDomainData(signal);
      const m = { frequency: frequency(signal, player.context.sampleRate), peak: peak(signal) };
      if (test(m) || performance.now() - started > 60000) return m;
      await sleep(100);
    }
  };
  const tone = (m) => m.frequency > 436 && m.frequency < 444;
  const before = await measureUntil((m) => tone(m) && m.peak > 0.45 && m.peak < 0.55);
  player.volume = 0.5; // glides (20 ms time constant); then a whole analyser window at the new level
  const after = await measureUntil((m) => tone(m) && m.peak > 0.2 && m.peak < 0.28);
  const waited = performance.now();
  while (levels.length <= 10 && performance.now() - waited < 60000) await sleep(50);
  const result = { before, after, level: player.level, levelReports: levels.length, state: player.state,
    contextRate: player.context.sampleRate, streamRate: player.streamRate, volume: player.volume };
  await player.stop();
  return result;
};
// A server that is not up yet: the first start() fails, and once it is up the same listener connects.
window.retry = async (url) => {
  const player = new AudioStreamListener({ url, latency: 0.1 });
  let firstError = '';
  await player.start().catch((error) => { firstError = error.message; });
  const afterFailure = { state: player.state, context: player.context === undefined };
  await window.serverUp();
  await player.start();
  const started = performance.now();
  while (player.level.peak < 0.1 && performance.now() - started < 60000) await sleep(50);
  const result = { firstError, afterFailure, peak: player.level.peak, streamRate: player.streamRate };
  await player.stop();
  return result;
};
window.ready = true;
</script></body></html>`;

interface Measurement {
  before: { frequency: number; peak: number };
  after: { frequency: number; peak: number };
  level: { peak: number; rms: number };
  levelReports: number;
  streamRate: number;
}

describe.skipIf(!!missingPrerequisite())('browser listener (headless Chromium)', () => {
  let server: SynchrotronServer;
  let browser: Browser;
  let webRoot: string;

  beforeAll(async () => {
    if (!existsSync(join(DIST, 'client', 'listener.js'))) throw new Error('run `npm run build` first');
    webRoot = mkdtempSync(join(tmpdir(), 'synchrotron-listener-'));
    mkdirSync(join(webRoot, 'client'));
    mkdirSync(join(webRoot, 'api'));
    copyFileSync(join(DIST, 'client', 'listener.js'), join(webRoot, 'client', 'listener.js'));
    copyFileSync(join(DIST, 'api', 'protocol.js'), join(webRoot, 'api', 'protocol.js'));
    writeFileSync(join(webRoot, 'index.html'), PAGE);
    server = await startServer({
      webRoot,
      patch:
        'new 440 freq\nnew SineNode sine\nnew 0.5 half\nnew MultiplyNode quiet\nnew PlaybackNode out\n' +
        'link freq.out -> sine.frequency\nlink sine.out -> quiet.a\nlink half.out -> quiet.b\n' +
        'link quiet.out -> out.left\nlink quiet.out -> out.right',
    });
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    if (webRoot) rmSync(webRoot, { recursive: true, force: true });
  });

  it('plays a 440 Hz patch as 440 Hz, reports its level and follows the volume', async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(`${server.url}/`);
    await page.waitForFunction(() => (window as unknown as { ready?: boolean }).ready === true);
    const result = await page.evaluate(() =>
      (window as unknown as { measure(): Promise<Measurement> }).measure(),
    );
    expect(errors).toEqual([]);
    expect(result.streamRate).toBe(44100);
    expect(result.before.frequency).toBeGreaterThan(436);
    expect(result.before.frequency).toBeLessThan(444);
    expect(result.before.peak).toBeGreaterThan(0.45);
    expect(result.before.peak).toBeLessThan(0.55);
    expect(result.level.peak).toBeGreaterThan(0.45);
    expect(result.level.rms).toBeGreaterThan(0.3);
    expect(result.levelReports).toBeGreaterThan(10);
    expect(result.after.frequency).toBeGreaterThan(436);
    expect(result.after.frequency).toBeLessThan(444);
    expect(result.after.peak).toBeGreaterThan(0.2);
    expect(result.after.peak).toBeLessThan(0.28);
  });

  it('a listener whose first start() failed connects on the next one', async () => {
    // A free port for a second server that starts only after the first attempt failed.
    const probe = createNetServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as { port: number }).port;
    await new Promise((resolve) => probe.close(resolve));
    let late: SynchrotronServer | undefined;
    const page = await browser.newPage();
    try {
      await page.exposeFunction('serverUp', async () => {
        late = await startServer({
          port,
          patch:
            'new 440 f\nnew SineNode s\nnew PlaybackNode o\nlink f.out -> s.frequency\nlink s.out -> o.left',
        });
      });
      await page.goto(`${server.url}/`);
      await page.waitForFunction(() => (window as unknown as { ready?: boolean }).ready === true);
      const result = await page.evaluate(
        (url) =>
          (
            window as unknown as {
              retry(url: string): Promise<{
                firstError: string;
                afterFailure: { state: string; context: boolean };
                peak: number;
                streamRate: number;
              }>;
            }
          ).retry(url),
        `http://127.0.0.1:${port}`,
      );
      expect(result.firstError).toMatch(/cannot connect/);
      expect(result.afterFailure).toEqual({ state: 'error', context: true });
      expect(result.streamRate).toBe(44100);
      expect(result.peak).toBeGreaterThan(0.9);
    } finally {
      await page.close();
      await late?.close();
    }
  });
});
