/// <reference lib="dom" />
// Local mode (issue 16): the built editor (dist/web) served by a plain static file server — node:http, no
// Synchrotron server, no cross-origin isolation headers — runs the engine in the page. Measured from the
// engine's AudioWorklet output: 440 Hz within 0.5 %, an edit made in the editor heard within one block
// (in frames), ten seconds without a dropout while values move (counted, not timed); the master meter,
// scopes, the keyboard, files kept in IndexedDB, offline render with progress, Record, the switch to a
// server and back; and the size of what the page loads to play.

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Browser, BrowserContext, Download, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { decodeWav } from '../../src/browser/wav.js';
import { type StaticHost, serveStatic } from '../browser/harness.js';
import { HELPERS } from '../browser/page.js';
import { peak, zeroCrossingFrequency } from '../helpers/analysis.js';
import { pcmWav } from '../helpers/pcm-wav.js';
import { recordWithoutSkips } from '../helpers/realtime.js';
import { note, writeSmf } from '../midi/smf-writer.js';
import {
  collectErrors,
  explainFailure,
  launchBrowser,
  missingPrerequisite,
  openScope,
  ROOT,
  type RunningServer,
  runConsole,
  screenshot,
  startServer,
  viewSettled,
} from './harness.js';

const missing = missingPrerequisite();
const SINE =
  'clear; new 440 f; new SineNode s; new 0.5 level; new MultiplyNode amp; new PlaybackNode out\n' +
  'link f.out -> s.frequency; link s.out -> amp.a; link level.out -> amp.b\n' +
  'link amp.out -> out.left; link amp.out -> out.right';

/** What the tests reach in the page: the editor's engine (window.synchrotron) and the test helpers. */
interface InPage {
  synchrotron: {
    engine: import('../../src/browser/index.js').BrowserEngine;
  };
  helpers: {
    capture(source: AudioNode): Promise<{
      stop(atFrame: number): Promise<{ left: Float32Array; start: number; gaps: number }>;
    }>;
    audioTime(context: BaseAudioContext, seconds: number): Promise<void>;
    frequency(signal: ArrayLike<number>, rate: number): number;
    peak(signal: ArrayLike<number>): number;
    windowFrequencies(signal: ArrayLike<number>, rate: number, size: number): number[];
    worstResidual(signal: ArrayLike<number>, rate: number, hz: number): { worst: number; at: number };
  };
  recorder?: Awaited<ReturnType<InPage['helpers']['capture']>>;
}

async function wavOf(download: Download) {
  const path = await download.path();
  return decodeWav(readFileSync(path!).buffer as ArrayBuffer);
}

describe.skipIf(!!missing)('local mode: the built editor on a plain static host', () => {
  let host: StaticHost;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let errors: string[];
  /** Every response the page got: a static host answers files, and nothing else is asked of it. */
  const responses: Array<{ url: string; status: number; method: string }> = [];

  beforeAll(async () => {
    host = await serveStatic({ '/test/helpers.js': HELPERS });
    // Chromium's fake capture device stands in for a microphone (AudioInputNode), without asking.
    browser = await launchBrowser(['--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream']);
    context = await browser.newContext({ viewport: { width: 1280, height: 720 }, acceptDownloads: true });
    await context.grantPermissions(['microphone']);
    page = await context.newPage();
    page.setDefaultTimeout(45_000);
    errors = collectErrors(page);
    page.on('response', (r) =>
      responses.push({ url: r.url(), status: r.status(), method: r.request().method() }),
    );
    await page.goto(`${host.url}/web/index.html`);
    await page
      .getByTestId('link-state')
      .and(page.locator('[data-mode="local"]'))
      .filter({ hasText: 'local' })
      .waitFor();
    // A module script of the test's own (as text: the test runner would rewrite an import() in a function).
    await page.addScriptTag({
      type: 'module',
      content: "import * as helpers from '/test/helpers.js'; window.helpers = helpers;",
    });
    await page.waitForFunction(() => 'helpers' in window);
  });

  afterAll(async () => {
    await browser?.close();
    await host?.close();
  });

  const runScript = (script: string) => runConsole(page, script);

  test('opens in local mode with no server and no cross-origin isolation, and says so', async () => {
    expect(await page.evaluate(() => window.crossOriginIsolated)).toBe(false);
    expect(await page.getByTestId('link-state').getAttribute('data-mode')).toBe('local');
    // The palette lists the engine's own node types.
    await page.getByRole('button', { name: 'Sine', exact: true }).first().waitFor();
    // Only files were fetched, each found: no API request went to the static host.
    expect(responses.filter((r) => r.status >= 400)).toEqual([]);
    expect(responses.every((r) => r.method === 'GET')).toBe(true);
    await screenshot(page, 'local-mode-empty');
  });

  test('440 Hz from the worklet within 0.5 %; the scope reads it and the master meter shows −6 dB', async () => {
    await runScript(SINE);
    await page.getByTestId('node-out').waitFor();
    await page.getByTestId('start').click();
    await page.getByTestId('render-state').filter({ hasText: 'rendering' }).waitFor();
    // Start in local mode also makes the engine heard (the click lets the page play audio).
    await expect.poll(() => page.getByTestId('listen').isChecked()).toBe(true);
    const result = await page.evaluate(async () => {
      const { synchrotron, helpers } = window as never as InPage;
      const engine = synchrotron.engine;
      await engine.settled();
      const recorder = await helpers.capture(engine.node);
      await helpers.audioTime(engine.context, 1);
      const { left, gaps } = await recorder.stop(0);
      return {
        frequency: helpers.frequency(left, engine.sampleRate),
        peak: helpers.peak(left),
        gaps,
        frames: left.length,
        rate: engine.sampleRate,
      };
    });
    // (A quantum the browser's audio thread skipped under load would skip the engine too: the samples stay
    // continuous, so the frequency is measured over them whatever `gaps` says. The dropout test counts.)
    expect(result.frames).toBeGreaterThanOrEqual(result.rate);
    expect(Math.abs(result.frequency - 440) / 440).toBeLessThan(0.005);
    expect(result.peak).toBeGreaterThan(0.49);
    expect(result.peak).toBeLessThan(0.51);

    await openScope(page, 's.out');
    await expect
      .poll(async () => Number(await page.getByTestId('scope-freq-s.out').getAttribute('data-frequency')))
      .toBeGreaterThan(0);
    const scopeHz = Number(await page.getByTestId('scope-freq-s.out').getAttribute('data-frequency'));
    expect(Math.abs(scopeHz - 440) / 440).toBeLessThan(0.005);
    // The master meter keeps exposing its level: a 0.5 sine peaks at −6.0 dBFS.
    await expect
      .poll(async () => Number(await page.getByTestId('master-meter').getAttribute('data-peak-db')))
      .toBeCloseTo(-6, 0);
    // The master spectrum peaks at 440 Hz, to the bin (44100 / 2048 ≈ 21.5 Hz).
    await expect
      .poll(async () => Number(await page.getByTestId('spectrum').getAttribute('data-peak-hz')))
      .toBeGreaterThan(400);
    const spectrumHz = Number(await page.getByTestId('spectrum').getAttribute('data-peak-hz'));
    expect(Math.abs(spectrumHz - 440)).toBeLessThan(22);
    // A timebase from the scope's menu reaches the engine in the page: 100 ms of 440 Hz is 44 periods.
    await page.getByTestId('scope-timebase-s.out').selectOption('0.1');
    await expect
      .poll(() =>
        page
          .getByTestId('scope-canvas-s.out')
          .evaluate((el) => Number((el as HTMLElement).dataset.periodSamples ?? 0)),
      )
      .toBeGreaterThan(0);
    await screenshot(page, 'local-mode-440');
  });

  test('the palette adds a node to the engine in the page', async () => {
    const search = page.getByPlaceholder(/Search nodes/);
    await search.fill('triangle');
    await search.press('Enter');
    await expect
      .poll(() =>
        page.evaluate(() =>
          (window as never as InPage).synchrotron.engine.graph.nodes().some((n) => n.type === 'TriangleNode'),
        ),
      )
      .toBe(true);
    const name = await page.evaluate(
      () =>
        (window as never as InPage).synchrotron.engine.graph.nodes().find((n) => n.type === 'TriangleNode')!
          .name,
    );
    await page.getByTestId(`node-${name}`).waitFor();
    await runScript(`remove ${name}`);
  });

  test('a patch node is refused clearly in the page; double-clicking one says its inside needs a server', async () => {
    // Patch files need a server (docs/browser.md): the error says so where the script is run…
    const input = page.getByTestId('console-input');
    await input.fill('new patch "voice.syn" v');
    await input.press('Enter');
    await page
      .locator('[data-testid="console-output"], [data-testid="console-error"]')
      .getByText(/patch files cannot be read here/)
      .first()
      .waitFor();
    await input.fill('');
    // …and a VoicesNode without one opens no inside, with a toast rather than an empty view.
    // A toast lasts 4 s and the next one replaces it: on a loaded machine a poll can miss it, so every toast
    // text is recorded as it appears.
    await page.evaluate(() => {
      const seen: string[] = [];
      (window as never as { toastsSeen: string[] }).toastsSeen = seen;
      // What a double-click reached, for the error if no toast comes.
      const clicks: string[] = [];
      (window as never as { clicksSeen: string[] }).clicksSeen = clicks;
      for (const kind of ['mousedown', 'click', 'dblclick'])
        document.addEventListener(
          kind,
          (e) => {
            const target = e.target as HTMLElement;
            const { clientX, clientY } = e as MouseEvent;
            clicks.push(
              `${kind}@${performance.now().toFixed(0)} (${clientX},${clientY}): ${target.className}`,
            );
          },
          true,
        );
      new MutationObserver(() => {
        for (const el of document.querySelectorAll('[data-testid="toast"]')) {
          const text = el.textContent ?? '';
          if (!seen.includes(text)) seen.push(text);
        }
      }).observe(document.body, { childList: true, subtree: true, characterData: true });
    });
    await runScript('new VoicesNode voices');
    try {
      await page.getByTestId('node-voices').locator('.node-type').dblclick();
      await explainFailure(page, 'local-mode-patch-toast', async () => {
        await expect
          .poll(
            () => page.evaluate(() => (window as never as { toastsSeen: string[] }).toastsSeen.join(' | ')),
            {
              timeout: 20_000,
            },
          )
          .toMatch(/plays no patch files/);
      }).catch(async (error: Error) => {
        const clicks = await page.evaluate(() => (window as never as { clicksSeen: string[] }).clicksSeen);
        throw new Error(`${error.message}\nclicks: ${clicks.join(', ')}`);
      });
      expect(await page.getByTestId('inner-view').count()).toBe(0);
    } finally {
      await runScript('remove voices');
      await page.getByTestId('node-voices').waitFor({ state: 'detached' });
    }
  });

  test('an edit typed in the editor is heard within one block of reaching the worklet, measured in frames', async () => {
    const result = await recordWithoutSkips(async () => {
      await runScript('set f 440');
      await expect
        .poll(() => page.evaluate(() => (window as never as InPage).synchrotron.engine.graph.node('f').value))
        .toBe(440);
      await page.evaluate(async () => {
        const w = window as never as InPage;
        w.recorder = await w.helpers.capture(w.synchrotron.engine.node);
        await w.helpers.audioTime(w.synchrotron.engine.context, 0.3);
      });
      // Typed into the value node's field: applied on Enter.
      await page.getByTestId('node-f').getByRole('slider').dblclick();
      const input = page.getByTestId('control-f-input');
      await input.press('Control+a');
      await input.pressSequentially('660');
      await input.press('Enter');
      await expect
        .poll(() => page.evaluate(() => (window as never as InPage).synchrotron.engine.graph.node('f').value))
        .toBe(660);
      return page.evaluate(async () => {
        const { synchrotron, helpers, recorder } = window as never as InPage;
        const engine = synchrotron.engine;
        const applied = (await engine.settled())!;
        const rate = engine.sampleRate;
        const { left, start, gaps } = await recorder!.stop(applied.contextFrame + Math.round(0.4 * rate));
        const windows = helpers.windowFrequencies(left, rate, 128);
        const firstChanged = windows.findIndex((hz) => Math.abs(hz - 440) / 440 > 0.02);
        return {
          applied,
          gaps,
          changedAt: start + firstChanged * 128,
          windowsBefore: firstChanged,
          after: helpers.frequency(left.subarray(left.length - Math.round(0.2 * rate)), rate),
          blockSize: engine.blockSize,
        };
      });
    });
    expect(result.gaps).toBe(0);
    expect(result.windowsBefore).toBeGreaterThan(10); // the edit landed inside the recording
    // The first changed sample is the first of the block that applied the edit…
    expect(result.changedAt).toBe(result.applied.contextFrame);
    // …which began less than one block after the edit reached the worklet.
    const latency = result.applied.contextFrame - result.applied.received;
    expect(latency).toBeGreaterThanOrEqual(0);
    expect(latency).toBeLessThan(result.blockSize);
    expect(Math.abs(result.after - 660) / 660).toBeLessThan(0.005);
  });

  test('ten seconds without a dropout while the editor moves values (counted, not timed)', async () => {
    await runScript('set f 440; new 1 other; new SineNode idle; link other.out -> idle.frequency');
    const result = await recordWithoutSkips(() =>
      page.evaluate(async () => {
        const { synchrotron, helpers } = window as never as InPage;
        const engine = synchrotron.engine;
        const backend = (
          window as never as {
            synchrotron: { backend: { api: { setValue(n: string, v: number): Promise<unknown> } } };
          }
        ).synchrotron.backend;
        await engine.settled();
        const recorder = await helpers.capture(engine.node);
        const rate = engine.sampleRate;
        const begin = engine.context.currentTime;
        // Edits through the editor's own interface, as a slider drag makes them, all along.
        let edits = 0;
        while (engine.context.currentTime - begin < 10.2) {
          await backend.api.setValue('other', 1 + (edits % 7));
          edits++;
          await new Promise((resolve) => requestAnimationFrame(resolve));
        }
        const { left, gaps } = await recorder.stop(0);
        const steady = left.subarray(Math.round(0.05 * rate));
        let quietest = Number.POSITIVE_INFINITY;
        for (let at = 0; at + 128 <= steady.length; at += 128)
          quietest = Math.min(quietest, helpers.peak(steady.subarray(at, at + 128)));
        return {
          seconds: left.length / rate,
          gaps,
          edits,
          residual: helpers.worstResidual(steady, rate, 440).worst,
          quietest,
        };
      }),
    );
    expect(result.seconds).toBeGreaterThanOrEqual(10);
    expect(result.gaps).toBe(0); // no quantum missing from the worklet's output
    expect(result.edits).toBeGreaterThan(20);
    // An unbroken sine: a lost, repeated or silent block would break the recurrence by ~0.1 or more.
    expect(result.residual).toBeLessThan(1e-4);
    expect(result.quietest).toBeGreaterThan(0.3);
  });

  test('the computer keyboard plays into a MidiInputNode', async () => {
    await runScript(
      'clear\nnew MidiInputNode keys\nnew MonophonicRenderNode mono\nnew SineNode voice\nnew PlaybackNode out\n' +
        'link keys.out -> mono.midi\nlink mono.frequency -> voice.frequency\nlink voice.out -> out.left\nstart',
    );
    // The scope is open before a note is played (its readout is what the test reads).
    await openScope(page, 'voice.out');
    await page.getByTestId('editor').click({ position: { x: 5, y: 5 } });
    await explainFailure(page, 'local-mode-keyboard', async () => {
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
  });

  test('Web MIDI devices play into the engine in the page', async () => {
    // A MIDI device as the browser would hand it over (headless Chromium has none of its own).
    await page.evaluate(() => {
      const input = { id: 'test', name: 'Test keys', onmidimessage: null as null | ((e: unknown) => void) };
      (window as never as { testMidiInput: typeof input }).testMidiInput = input;
      Object.defineProperty(navigator, 'requestMIDIAccess', {
        configurable: true,
        value: async () => ({ inputs: new Map([['test', input]]), onstatechange: null }),
      });
    });
    await page.getByTestId('web-midi').click();
    await expect.poll(() => page.getByTestId('web-midi').textContent()).toBe('MIDI: 1');
    await page.evaluate(() =>
      (window as never as { testMidiInput: { onmidimessage(e: unknown): void } }).testMidiInput.onmidimessage(
        {
          data: new Uint8Array([0x90, 81, 100]), // A5: 880 Hz
        },
      ),
    );
    await expect
      .poll(async () => Number(await page.getByTestId('scope-freq-voice.out').getAttribute('data-frequency')))
      .toBeGreaterThan(870);
    expect(
      Number(await page.getByTestId('scope-freq-voice.out').getAttribute('data-frequency')),
    ).toBeLessThan(890);
    await page.evaluate(() =>
      (window as never as { testMidiInput: { onmidimessage(e: unknown): void } }).testMidiInput.onmidimessage(
        {
          data: new Uint8Array([0x80, 81, 0]),
        },
      ),
    );
  });

  test('MIDI learn maps a Web MIDI controller to a slider of the engine in the page', async () => {
    const cc = (value: number) =>
      page.evaluate(
        (v) =>
          (
            window as never as { testMidiInput: { onmidimessage(e: unknown): void } }
          ).testMidiInput.onmidimessage({
            data: new Uint8Array([0xb0, 74, v]),
          }),
        value,
      );
    const freq = () =>
      page.evaluate(() => (window as never as InPage).synchrotron.engine.graph.node('freq').value);
    await runScript('clear; new 440 freq; new SineNode osc; link freq.out -> osc.frequency');
    await page.getByTestId('control-freq').waitFor();
    await page.getByTestId('midi-learn').click();
    await page.getByTestId('control-freq').click();
    await expect.poll(() => page.getByTestId('control-freq').getAttribute('class')).toContain('armed');
    await cc(127);
    await page.getByTestId('mapping-freq').waitFor();
    await page.getByTestId('midi-learn').click();
    await cc(0);
    await expect.poll(freq).toBeCloseTo(0.1);
    await cc(127);
    await expect.poll(freq).toBe(20000);
  });

  test('a MIDI file picked in Files is kept in IndexedDB and plays; a WavFileNode take lands in Files', async () => {
    // A4 for 64 s at 120 bpm: longer than a loaded machine can take to reach the checks below.
    const midi = writeSmf(0, 480, [note(0, 480 * 128, 69)]);
    await page
      .getByTestId('files-input')
      .setInputFiles({ name: 'a4.mid', mimeType: 'audio/midi', buffer: Buffer.from(midi) });
    await page.getByTestId('file-a4.mid').waitFor();
    await runScript(
      'clear\nnew "a4.mid" p; new MidiFileNode file; link p.out -> file.path\n' +
        'new MonophonicRenderNode mono; link file.out -> mono.midi\nnew SineNode s; link mono.frequency -> s.frequency\n' +
        'new PlaybackNode out; link s.out -> out.left\nnew "take.wav" tp; new WavFileNode rec; link tp.out -> rec.path; link s.out -> rec.signal\nstart',
    );
    await openScope(page, 's.out');
    await expect
      .poll(async () => Number(await page.getByTestId('scope-freq-s.out').getAttribute('data-frequency')))
      .toBeGreaterThan(435);
    expect(Number(await page.getByTestId('scope-freq-s.out').getAttribute('data-frequency'))).toBeLessThan(
      445,
    );
    await page.evaluate(async () => {
      const { synchrotron, helpers } = window as never as InPage;
      await helpers.audioTime(synchrotron.engine.context, 0.5);
    });
    await page.getByTestId('stop').click();
    // Stopping finishes the take: it is kept with the files, and downloads as the WAV it is.
    await page.getByTestId('file-take.wav').waitFor();
    const downloading = page.waitForEvent('download');
    await page.getByTestId('file-take.wav').getByRole('button', { name: 'download take.wav' }).click();
    const wav = await wavOf(await downloading);
    // The take began with the engine, before the file was read from IndexedDB (silence); it ends with at
    // least half a second of the note, heard by the scope before the wait.
    const samples = wav.channels[0];
    const tail = samples.subarray(samples.length - Math.round(0.4 * wav.sampleRate));
    expect(samples.length).toBeGreaterThan(wav.sampleRate * 0.5);
    expect(Math.abs(zeroCrossingFrequency(tail, wav.sampleRate) - 440) / 440).toBeLessThan(0.005);
    expect(peak(tail)).toBeGreaterThan(0.9);
    await screenshot(page, 'local-mode-files');
  });

  test('a WAV picked in Files plays through a SamplerNode in the page', async () => {
    await page.getByTestId('files-input').setInputFiles({
      name: 'tone.wav',
      mimeType: 'audio/wav',
      buffer: Buffer.from(pcmWav(330, 1, 48000, 0.5)),
    });
    await page.getByTestId('file-tone.wav').waitFor();
    await runScript(
      'clear\nnew "tone.wav" file; new true looping; new 1 go; new SamplerNode smp\n' +
        'link file.out -> smp.path; link looping.out -> smp.loop; link go.out -> smp.trigger\n' +
        'new PlaybackNode out; link smp.left -> out.left; link smp.right -> out.right\nstart',
    );
    await openScope(page, 'smp.left');
    // A 48 kHz file in a context at its own rate: resampled, it keeps its pitch.
    await expect
      .poll(async () => Number(await page.getByTestId('scope-freq-smp.left').getAttribute('data-frequency')))
      .toBeGreaterThan(326);
    expect(Number(await page.getByTestId('scope-freq-smp.left').getAttribute('data-frequency'))).toBeLessThan(
      334,
    );
    await page.getByTestId('stop').click();
  });

  test('a file dropped on the canvas is kept in the browser too', async () => {
    await page.evaluate(() => {
      const transfer = new DataTransfer();
      transfer.items.add(new File([new Uint8Array([1, 2, 3, 4])], 'dropped.wav', { type: 'audio/wav' }));
      const pane = document.querySelector('.react-flow__pane')!;
      for (const type of ['dragenter', 'dragover', 'drop'])
        pane.dispatchEvent(new DragEvent(type, { dataTransfer: transfer, bubbles: true, cancelable: true }));
    });
    await page.getByTestId('file-dropped.wav').waitFor();
    const stored = await page.evaluate(async () => {
      const blob = await (window as never as InPage).synchrotron.engine.files.get('dropped.wav');
      return blob ? [...new Uint8Array(await blob.arrayBuffer())] : null;
    });
    expect(stored).toEqual([1, 2, 3, 4]);
    await page.getByRole('button', { name: 'delete dropped.wav' }).click();
    await page.getByTestId('file-dropped.wav').waitFor({ state: 'detached' });
  });

  test('Render to WAV renders the patch in the page with progress, and downloads it', async () => {
    await runScript(SINE);
    await page.getByTestId('render-offline').click();
    await page.getByTestId('dialog-input').fill('60');
    const downloading = page.waitForEvent('download');
    // The progress bar shows while it renders; a fast render may show it only briefly, so its appearance
    // is recorded as it happens rather than polled for.
    await page.evaluate(() => {
      const w = window as never as { progressSeen: boolean };
      w.progressSeen = false;
      new MutationObserver((_, observer) => {
        if (document.querySelector('[data-testid="render-progress"]')) {
          w.progressSeen = true;
          observer.disconnect();
        }
      }).observe(document.body, { childList: true, subtree: true });
    });
    await page.getByTestId('dialog-confirm').click();
    const wav = await wavOf(await downloading);
    expect(await page.evaluate(() => (window as never as { progressSeen: boolean }).progressSeen)).toBe(true);
    expect(wav.channels).toHaveLength(2);
    expect(wav.channels[0].length).toBe(Math.round(60 * wav.sampleRate));
    expect(Math.abs(zeroCrossingFrequency(wav.channels[0], wav.sampleRate) - 440) / 440).toBeLessThan(0.005);
    expect(peak(wav.channels[0])).toBeCloseTo(0.5, 2);
    // The progress bar was there while it rendered, and is gone.
    await page.getByTestId('render-offline').waitFor();
    // Said in the console (the toast may be gone by now on a loaded machine).
    await page
      .getByTestId('console-output')
      .getByText(/Rendered 60 s in/)
      .first()
      .waitFor();
  });

  test('Record downloads what the engine in the page played', async () => {
    await page.getByTestId('start').click();
    await page.getByTestId('record').click();
    await expect.poll(() => page.getByTestId('record-time').textContent()).toMatch(/^0:0[1-9]/);
    const downloading = page.waitForEvent('download');
    await page.getByTestId('record').click();
    const wav = await wavOf(await downloading);
    expect(wav.channels).toHaveLength(2);
    expect(wav.channels[0].length).toBeGreaterThan(wav.sampleRate * 0.9);
    expect(Math.abs(zeroCrossingFrequency(wav.channels[0], wav.sampleRate) - 440) / 440).toBeLessThan(0.005);
    await page.getByTestId('stop').click();
  });

  test("AudioInputNode hears the page's microphone (Chromium's fake capture device)", async () => {
    await runScript(
      'clear\nnew AudioInputNode mic; new PlaybackNode out; link mic.left -> out.left; link mic.right -> out.right\nstart',
    );
    await page.getByTestId('node-mic').waitFor();
    // The editor asked for the microphone when the node appeared; the fake device's tone comes through.
    await expect.poll(() => page.getByText('the microphone is connected').count()).toBeGreaterThan(0);
    const heard = await recordWithoutSkips(() =>
      page.evaluate(async () => {
        const { synchrotron, helpers } = window as never as InPage;
        const recorder = await helpers.capture(synchrotron.engine.node);
        await helpers.audioTime(synchrotron.engine.context, 1.5);
        const { left, gaps } = await recorder.stop(0);
        return { peak: helpers.peak(left), gaps };
      }),
    );
    expect(heard.gaps).toBe(0);
    expect(heard.peak).toBeGreaterThan(0.01);
    expect(await page.getByTestId('node-mic').textContent()).toContain('default input');
    await screenshot(page, 'local-mode-microphone');
    // Removing the last AudioInputNode releases the device; the engine is silent again.
    await runScript('remove mic');
    await page.getByTestId('node-mic').waitFor({ state: 'detached' });
    await page.getByTestId('stop').click();
  });

  describe('switching engines', () => {
    let server: RunningServer;
    beforeAll(async () => {
      server = await startServer();
    });
    afterAll(async () => {
      await server?.close();
    });

    test('the engine pill switches to a server by its address, and back to local', async () => {
      await page.getByTestId('link-state').click();
      await page.getByTestId('dialog-input').fill(server.url);
      await page.getByTestId('dialog-confirm').click();
      // The page's graph has unsaved changes, and leaving local mode leaves it behind: asked first.
      await page.getByTestId('dialog').filter({ hasText: 'not saved' }).waitFor();
      await page.getByTestId('dialog-confirm').click();
      await page.waitForURL(/\?server=/);
      await page
        .getByTestId('link-state')
        .and(page.locator('[data-mode="server"]'))
        .filter({ hasText: 'connected' })
        .waitFor();
      await runScript('new SineNode fromlocal');
      await expect.poll(async () => (await (await fetch(`${server.url}/nodes`)).json()).length).toBe(1);
      await page.getByTestId('link-state').click();
      await page.getByTestId('dialog-input').fill('local');
      await page.getByTestId('dialog-confirm').click();
      await page.waitForURL(/\?local/);
      await page
        .getByTestId('link-state')
        .and(page.locator('[data-mode="local"]'))
        .filter({ hasText: 'local' })
        .waitFor();
      await viewSettled(page);
    });
  });

  test('what the page loads to play: the editor, the engine and its kernels (gzip, reported)', () => {
    const assets = join(ROOT, 'dist', 'web', 'assets');
    const sizes = Object.fromEntries(
      readdirSync(assets).map((file) => {
        const bytes = readFileSync(join(assets, file));
        return [
          file.replace(/-[\w-]{8}\./, '.'),
          { raw: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length },
        ];
      }),
    );
    const kb = (n: number) => `${(n / 1024).toFixed(1)} kB`;
    const engine = ['local-backend.js', 'worklet.js'].map((f) => sizes[f]);
    expect(engine.every(Boolean)).toBe(true);
    const engineGzip = engine.reduce((sum, s) => sum + s.gzip, 0);
    const all = Object.values(sizes).reduce((sum, s) => sum + s.gzip, 0);
    console.log(
      `local mode bundle (gzip): engine + kernels ${kb(engineGzip)} (local-backend ${kb(sizes['local-backend.js'].gzip)}, worklet ${kb(sizes['worklet.js'].gzip)}); offline worker ${kb(sizes['offline-worker.js']?.gzip ?? 0)}; whole editor ${kb(all)}\n` +
        Object.entries(sizes)
          .map(([f, s]) => `  ${f}: ${kb(s.raw)} raw, ${kb(s.gzip)} gzip`)
          .join('\n'),
    );
    expect(engineGzip).toBeLessThan(150 * 1024);
  });

  test('no console errors', () => {
    expect(errors).toEqual([]);
  });
});
