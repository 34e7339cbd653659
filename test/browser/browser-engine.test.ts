// The browser engine in real headless Chromium, served as built (dist/browser) by a plain static server:
// what the engine's AudioWorkletNode outputs is recorded by a second worklet after it and measured —
// frequency, level, where an edit lands (in frames), continuity over ten seconds. No timing assertions: the
// tests wait on the audio clock and measure frames.

import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordWithoutSkips } from '../helpers/realtime.js';
import { launch, missingBrowserPrerequisite, openPage, type StaticHost, serveStatic } from './harness.js';
import { HELPERS, INDEX } from './page.js';

const SINE_440 =
  'new 440 f; new SineNode s; new 0.5 half; new MultiplyNode quiet; new PlaybackNode out\n' +
  'link f.out -> s.frequency; link s.out -> quiet.a; link half.out -> quiet.b\n' +
  'link quiet.out -> out.left; link quiet.out -> out.right';

describe.skipIf(!!missingBrowserPrerequisite())('the engine in the browser (headless Chromium)', () => {
  let host: StaticHost;
  let browser: Browser;
  let page: Page;
  let errors: string[];

  beforeAll(async () => {
    host = await serveStatic({ '/test/index.html': INDEX, '/test/helpers.js': HELPERS });
    browser = await launch();
    ({ page, errors } = await openPage(browser, `${host.url}/test/index.html`));
  });

  afterAll(async () => {
    await browser?.close();
    await host?.close();
  });

  it('plays a 440 Hz patch at 440 Hz from its AudioWorkletNode, with nothing but static files', async () => {
    const result = await recordWithoutSkips(() =>
      page.evaluate(async (script) => {
        const { lib, helpers } = window as never as Page440;
        const context = new AudioContext();
        const engine = await lib.createBrowserEngine(context, { files: new lib.MemoryFileStore() });
        engine.execute(script);
        engine.start();
        const recorder = await helpers.capture(engine.node);
        await helpers.audioTime(context, 1.2);
        const { left, right, gaps } = await recorder.stop(0);
        const steady = left.subarray(Math.round(0.1 * context.sampleRate));
        const out = {
          frequency: helpers.frequency(steady, context.sampleRate),
          peak: helpers.peak(steady),
          rightPeak: helpers.peak(right.subarray(Math.round(0.1 * context.sampleRate))),
          frames: left.length,
          gaps,
          state: context.state,
          wasm: engine.wasm,
          rate: context.sampleRate,
          crossOriginIsolated: window.crossOriginIsolated,
        };
        await engine.dispose();
        await context.close();
        return out;
      }, SINE_440),
    );
    expect(result.state).toBe('running');
    expect(result.crossOriginIsolated).toBe(false); // a plain static host: no SharedArrayBuffer needed
    expect(result.wasm).toBe(true); // the same WebAssembly SIMD kernels as in Node
    expect(result.gaps).toBe(0);
    expect(result.frames).toBeGreaterThan(result.rate);
    expect(Math.abs(result.frequency - 440) / 440).toBeLessThan(0.005);
    expect(result.peak).toBeGreaterThan(0.49);
    expect(result.peak).toBeLessThan(0.51);
    expect(result.rightPeak).toBeCloseTo(result.peak, 5);
    expect(errors).toEqual([]);
  });

  for (const blockSize of [128, 512]) {
    it(`an edit is heard within one block of reaching the worklet (${blockSize}-frame blocks), measured in frames`, async () => {
      const result = await recordWithoutSkips(() =>
        page.evaluate(
          async ({ script, blockSize }) => {
            const { lib, helpers } = window as never as Page440;
            const context = new AudioContext();
            const engine = await lib.createBrowserEngine(context, {
              files: new lib.MemoryFileStore(),
              blockSize,
            });
            engine.execute(script);
            engine.start();
            await engine.settled();
            const recorder = await helpers.capture(engine.node);
            await helpers.audioTime(context, 0.3);
            engine.execute('set f 880');
            const applied = (await engine.settled())!;
            const rate = context.sampleRate;
            const { left, start, gaps } = await recorder.stop(applied.contextFrame + Math.round(0.4 * rate));
            // The recording starts at a quantum boundary: windows of one quantum line up with the blocks.
            const windows = helpers.windowFrequencies(left, rate, 128);
            const firstChanged = windows.findIndex((hz) => Math.abs(hz - 440) / 440 > 0.02);
            const before = windows.slice(0, firstChanged);
            const out = {
              applied,
              start,
              gaps,
              changedAt: start + firstChanged * 128,
              worstBefore: Math.max(...before.map((hz) => Math.abs(hz - 440))),
              windowsBefore: before.length,
              after: helpers.frequency(left.subarray(left.length - Math.round(0.2 * rate)), rate),
            };
            await engine.dispose();
            await context.close();
            return out;
          },
          { script: SINE_440, blockSize },
        ),
      );
      expect(result.gaps).toBe(0);
      expect(result.windowsBefore).toBeGreaterThan(10); // the edit landed inside the recording
      expect(result.worstBefore).toBeLessThan(0.5); // 440 Hz right up to the block boundary
      // The first sample that changed is the first of the block that applied the edit…
      expect(result.changedAt).toBe(result.applied.contextFrame);
      // …which began less than one block after the edit reached the worklet.
      const latency = result.applied.contextFrame - result.applied.received;
      expect(latency).toBeGreaterThanOrEqual(0);
      expect(latency).toBeLessThan(blockSize);
      expect(Math.abs(result.after - 880) / 880).toBeLessThan(0.005);
    });
  }

  it('plays ten seconds without a dropout while the graph is being edited', async () => {
    const result = await recordWithoutSkips(() =>
      page.evaluate(async (script) => {
        const { lib, helpers } = window as never as Page440;
        const context = new AudioContext();
        const engine = await lib.createBrowserEngine(context, { files: new lib.MemoryFileStore() });
        engine.execute(script);
        engine.execute('new 1 other; new SineNode idle; link other.out -> idle.frequency');
        engine.start();
        await engine.settled();
        const recorder = await helpers.capture(engine.node);
        const rate = context.sampleRate;
        const begin = context.currentTime;
        // Edits elsewhere in the graph all along (values, nodes added and removed): the sine must not notice.
        let edits = 0;
        while (context.currentTime - begin < 10.2) {
          engine.execute(`set other ${1 + (edits % 7)}`);
          engine.execute(edits % 2 === 0 ? 'new SawtoothNode extra' : 'remove extra');
          edits++;
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
        const { left, gaps } = await recorder.stop(0);
        const steady = left.subarray(Math.round(0.05 * rate));
        const residual = helpers.worstResidual(steady, rate, 440);
        // The quietest 128-frame window: a dropout would be silence.
        let quietest = Infinity;
        for (let at = 0; at + 128 <= steady.length; at += 128)
          quietest = Math.min(quietest, helpers.peak(steady.subarray(at, at + 128)));
        const out = {
          seconds: left.length / rate,
          gaps,
          residual,
          quietest,
          edits,
          frequency: helpers.frequency(steady, rate),
        };
        await engine.dispose();
        await context.close();
        return out;
      }, SINE_440),
    );
    expect(result.seconds).toBeGreaterThanOrEqual(10);
    expect(result.gaps).toBe(0);
    expect(result.edits).toBeGreaterThan(20);
    // An unbroken 0.5 sine: x[n−1] + x[n+1] = 2cos(ω)x[n] to float32 rounding. A lost, repeated or silent
    // quantum breaks it by ~0.1 or more.
    expect(result.residual.worst).toBeLessThan(1e-4);
    expect(result.quietest).toBeGreaterThan(0.3);
    expect(Math.abs(result.frequency - 440) / 440).toBeLessThan(0.001);
  });
});

/** What the test page puts on window (see page.ts). */
interface Page440 {
  lib: typeof import('../../src/browser/index.js');
  helpers: {
    capture(source: AudioNode): Promise<{
      node: AudioWorkletNode;
      stop(
        atFrame: number,
      ): Promise<{ left: Float32Array; right: Float32Array; start: number; gaps: number }>;
    }>;
    audioTime(context: BaseAudioContext, seconds: number): Promise<void>;
    frequency(signal: Float32Array, rate: number): number;
    peak(signal: Float32Array): number;
    windowFrequencies(signal: Float32Array, rate: number, size: number): number[];
    worstResidual(signal: Float32Array, rate: number, hz: number): { worst: number; at: number };
    blobToBase64(blob: Blob): Promise<string>;
  };
}
