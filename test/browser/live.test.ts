// The browser engine as a page uses it, in headless Chromium: the ten-line example of docs/browser.md run as
// written; files from IndexedDB (MidiFileNode) and WavFileNode recordings as Blobs; MIDI; scopes, meters and
// spectrum as the server's messages; and the server's HTTP calls answered in the page.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordWithoutSkips } from '../helpers/realtime.js';
import { note, writeSmf } from '../midi/smf-writer.js';
import {
  launch,
  missingBrowserPrerequisite,
  openPage,
  ROOT,
  type StaticHost,
  serveStatic,
} from './harness.js';
import { HELPERS, INDEX } from './page.js';

type Lib = typeof import('../../src/browser/index.js');
type Message = import('../../src/browser/index.js').ServerMessage;
interface Helpers {
  capture(
    source: AudioNode,
  ): Promise<{ stop(atFrame: number): Promise<{ left: Float32Array; gaps: number }> }>;
  audioTime(context: BaseAudioContext, seconds: number): Promise<void>;
  frequency(signal: ArrayLike<number>, rate: number): number;
  peak(signal: ArrayLike<number>): number;
}

/** The first ```html block of docs/browser.md, importing the built entry instead of the package name. */
function docsExample(): string {
  const docs = readFileSync(join(ROOT, 'docs', 'browser.md'), 'utf8');
  const block = /```html\n([\s\S]*?)```/.exec(docs)?.[1];
  if (!block) throw new Error('docs/browser.md has no ```html example');
  expect(block).toContain("from 'synchrotron/browser'");
  return block.replace("from 'synchrotron/browser'", "from '../browser/synchrotron-browser.js'");
}

/** A page that notes the engine nodes it creates (so the test can listen to them), then the example. */
function examplePage(): string {
  return `<!doctype html><html><head><meta charset="utf-8"><link rel="icon" href="data:,"></head><body>
<script>
window.engineNodes = [];
const Original = AudioWorkletNode;
window.AudioWorkletNode = class extends Original {
  constructor(context, name, options) {
    super(context, name, options);
    if (name === 'synchrotron-engine') window.engineNodes.push(this);
  }
};
</script>
${docsExample()}
<script type="module">
import * as helpers from './helpers.js';
window.helpers = helpers;
window.ready = true;
</script></body></html>`;
}

describe.skipIf(!!missingBrowserPrerequisite())('the browser engine in a page (headless Chromium)', () => {
  let host: StaticHost;
  let browser: Browser;
  let page: Page;
  let errors: string[];

  beforeAll(async () => {
    host = await serveStatic({
      '/test/index.html': INDEX,
      '/test/helpers.js': HELPERS,
      '/test/example.html': examplePage(),
    });
    browser = await launch();
    ({ page, errors } = await openPage(browser, `${host.url}/test/index.html`));
  });

  afterAll(async () => {
    await browser?.close();
    await host?.close();
  });

  it("runs docs/browser.md's example as written: a click, and 440 Hz at 0.3 comes out", async () => {
    const opened = await openPage(browser, `${host.url}/test/example.html`);
    await opened.page.click('#play');
    await opened.page.waitForFunction(
      () => (window as never as { engineNodes: unknown[] }).engineNodes.length > 0,
    );
    const result = await recordWithoutSkips(() =>
      opened.page.evaluate(async () => {
        const { engineNodes, helpers } = window as never as {
          engineNodes: AudioWorkletNode[];
          helpers: Helpers;
        };
        const node = engineNodes[0];
        await helpers.audioTime(node.context, 0.2);
        const recorder = await helpers.capture(node);
        await helpers.audioTime(node.context, 0.5);
        const { left, gaps } = await recorder.stop(0);
        return {
          frequency: helpers.frequency(left, node.context.sampleRate),
          peak: helpers.peak(left),
          gaps,
        };
      }),
    );
    expect(result.gaps).toBe(0);
    expect(Math.abs(result.frequency - 440) / 440).toBeLessThan(0.005);
    expect(result.peak).toBeCloseTo(0.3, 3);
    expect(opened.errors).toEqual([]);
    await opened.page.close();
  });

  it('plays a MIDI file from IndexedDB and hands a WavFileNode recording over as a WAV Blob, saved in the store', async () => {
    const midi = [...writeSmf(0, 480, [note(0, 480 * 16, 69)])]; // A4 for 16 beats at 120 bpm
    const result = await page.evaluate(
      async ({ midi }) => {
        const { lib, helpers } = window as never as { lib: Lib; helpers: Helpers };
        const context = new AudioContext();
        const files = new lib.IndexedDbFileStore(`live-test-${Math.random()}`);
        await files.put('songs/a4.mid', new Uint8Array(midi));
        const engine = await lib.createBrowserEngine(context, { files });
        const warnings: string[] = [];
        engine.onMessage((m) => {
          if (m.type === 'warning' || m.type === 'fault') warnings.push(m.message);
        });
        const recordings: Array<{ path: string; blob: Blob; frames: number }> = [];
        engine.onRecording((r) => recordings.push(r));
        engine.execute(`new "songs/a4.mid" p; new MidiFileNode file; link p.out -> file.path
          new MonophonicRenderNode mono; link file.out -> mono.midi
          new SineNode s; link mono.frequency -> s.frequency
          new MultiplyNode voice; link s.out -> voice.a; link mono.gate -> voice.b
          new PlaybackNode out; link voice.out -> out.left; link voice.out -> out.right
          new "take.wav" tp; new WavFileNode rec; link tp.out -> rec.path; link voice.out -> rec.signal`);
        await engine.ready();
        engine.start();
        await helpers.audioTime(context, 0.8);
        engine.stop();
        while (recordings.length === 0) await new Promise((resolve) => setTimeout(resolve, 20));
        const take = recordings[0];
        const decoded = lib.decodeWav(await take.blob.arrayBuffer());
        const samples = decoded.channels[0];
        const playing = samples.subarray(samples.findIndex((x) => x !== 0));
        // Files the store cannot give: a missing one, a path that leaves it.
        engine.execute('new "nowhere.mid" np; new MidiFileNode missing; link np.out -> missing.path');
        engine.execute('new "/etc/passwd.wav" bad; new WavFileNode badrec; link bad.out -> badrec.path');
        await engine.ready();
        engine.start();
        await helpers.audioTime(context, 0.1);
        let stored = (await files.list()).map((f) => f.name);
        for (let i = 0; i < 100 && !stored.includes('take.wav'); i++) {
          await new Promise((resolve) => setTimeout(resolve, 20));
          stored = (await files.list()).map((f) => f.name);
        }
        const out = {
          path: take.path,
          type: take.blob.type,
          rate: decoded.sampleRate,
          channels: decoded.channels.length,
          frames: take.frames,
          seconds: samples.length / decoded.sampleRate,
          frequency: helpers.frequency(playing, decoded.sampleRate),
          peak: helpers.peak(playing),
          kept: engine.recordings.get('take.wav')?.frames,
          stored,
          storedBytes: (await files.get('take.wav'))?.size,
          blobBytes: take.blob.size,
          exports: engine.graph.node('file').exports,
          warnings,
        };
        await engine.dispose();
        await context.close();
        return out;
      },
      { midi },
    );
    expect(result.path).toBe('take.wav');
    expect(result.type).toBe('audio/wav');
    expect(result.rate).toBe(44100);
    expect(result.channels).toBe(1);
    expect(result.seconds).toBeGreaterThan(0.7);
    expect(result.frames).toBe(result.kept);
    expect(Math.abs(result.frequency - 440) / 440).toBeLessThan(0.005);
    expect(result.peak).toBeGreaterThan(0.99);
    expect(result.stored.sort()).toEqual(['songs/a4.mid', 'take.wav']);
    expect(result.storedBytes).toBe(result.blobBytes);
    expect(result.exports['File Path']).toBe('songs/a4.mid');
    expect(result.warnings.join('\n')).toMatch(
      /cannot read `nowhere.mid`: no such file in the browser's file store/,
    );
    expect(result.warnings.join('\n')).toMatch(/`\/etc\/passwd.wav` is absolute/);
    expect(errors).toEqual([]);
  });

  it('takes MIDI on the virtual port and reports scope, meters and spectrum as the server does', async () => {
    const result = await page.evaluate(async () => {
      const { lib, helpers } = window as never as { lib: Lib; helpers: Helpers };
      const context = new AudioContext();
      const engine = await lib.createBrowserEngine(context, { files: new lib.MemoryFileStore() });
      const messages: Message[] = [];
      engine.onMessage((m) => messages.push(m));
      engine.execute(`new MidiInputNode keys; new MonophonicRenderNode mono; link keys.out -> mono.midi
        new SineNode s; link mono.frequency -> s.frequency
        new PlaybackNode out; link s.out -> out.left; link s.out -> out.right`);
      engine.watch(['s.out'], { spectrum: true });
      engine.start();
      await engine.settled();
      engine.midi([0x90, 81, 100]); // A5: 880 Hz
      await helpers.audioTime(context, 0.5);
      const of = <T extends Message['type']>(type: T) =>
        messages.filter((m): m is Extract<Message, { type: T }> => m.type === type);
      const spectrum = of('spectrum').at(-1)!;
      const loudest = spectrum.bins.indexOf(Math.max(...spectrum.bins));
      const scope = of('scope').at(-1)!;
      const meters = of('meter');
      let refused = '';
      try {
        engine.midi([81, 100]);
      } catch (error) {
        refused = (error as Error).message;
      }
      const out = {
        types: [...new Set(messages.map((m) => m.type))].sort(),
        spectrumHz: (loudest * spectrum.sampleRate) / (2 * spectrum.bins.length),
        binHz: spectrum.sampleRate / (2 * spectrum.bins.length),
        scopePort: scope.port,
        scopeHz: helpers.frequency(scope.samples, scope.sampleRate),
        sinePeak: meters.filter((m) => m.port !== 'master').at(-1)?.peak,
        masterPeak: meters.filter((m) => m.port === 'master').at(-1)?.peak,
        refused,
        hello: engine.hello() as {
          type: string;
          nodes: Array<{ name: string }>;
          status: { running: boolean };
        },
        ports: engine.midiPorts(),
      };
      await engine.dispose();
      await context.close();
      return out;
    });
    expect(result.types).toEqual(
      expect.arrayContaining([
        'exports',
        'linked',
        'meter',
        'nodeAdded',
        'scope',
        'spectrum',
        'status',
        'transport',
      ]),
    );
    expect(Math.abs(result.spectrumHz - 880)).toBeLessThanOrEqual(result.binHz);
    expect(result.scopePort).toEqual({ node_name: 's', port_name: 'out' });
    expect(Math.abs(result.scopeHz - 880) / 880).toBeLessThan(0.03);
    expect(result.sinePeak).toBeGreaterThan(0.99);
    expect(result.masterPeak).toBeGreaterThan(0.99);
    expect(result.refused).toMatch(/status byte was expected/);
    expect(result.hello.type).toBe('hello');
    expect(result.hello.status.running).toBe(true);
    expect(result.hello.nodes.map((n) => n.name).sort()).toEqual(['keys', 'mono', 'out', 's']);
    expect(result.ports).toEqual(['Synchrotron virtual']);
  });

  it('made on a suspended AudioContext, start() resumes it; records its output; renders its graph offline', async () => {
    const result = await page.evaluate(async () => {
      const { lib, helpers } = window as never as { lib: Lib; helpers: Helpers };
      const context = new AudioContext();
      await context.suspend(); // as before a user's first click
      const engine = await lib.createBrowserEngine(context, { files: new lib.MemoryFileStore() });
      const suspended = context.state;
      engine.execute(`new 440 f; new SineNode s; new 0.5 half; new MultiplyNode quiet; new PlaybackNode out
        link f.out -> s.frequency; link s.out -> quiet.a; link half.out -> quiet.b
        link quiet.out -> out.left; link quiet.out -> out.right
        new "tone.wav" tp; new WavFileNode rec; link tp.out -> rec.path; link quiet.out -> rec.signal`);
      engine.start();
      await engine.settled();
      const recorder = engine.record();
      await helpers.audioTime(context, 0.4);
      const recorded = lib.decodeWav(await (await recorder.stop()).arrayBuffer());
      // The current graph, offline, with progress; its WavFileNode's recording comes back too.
      const fractions: number[] = [];
      const offline = await engine.renderOffline({
        seconds: 2,
        onProgress: (p) => fractions.push(p.fraction),
      });
      const rendered = lib.decodeWav(await offline.wav.arrayBuffer());
      // A long render, cancelled at its first progress report.
      const controller = new AbortController();
      const cancelled = await engine
        .renderOffline({ seconds: 600, signal: controller.signal, onProgress: () => controller.abort() })
        .then(
          () => 'finished',
          (error: Error) => error.name,
        );
      const tooLong = await engine.renderOffline({ seconds: 1e6 }).then(
        () => '',
        (error: Error) => error.message,
      );
      const out = {
        suspended,
        running: context.state,
        recordedChannels: recorded.channels.length,
        recordedSeconds: recorded.channels[0].length / recorded.sampleRate,
        recordedHz: helpers.frequency(recorded.channels[0], recorded.sampleRate),
        recordedRight: helpers.peak(recorded.channels[1]),
        offlineFrames: rendered.channels[0].length,
        offlineRate: rendered.sampleRate,
        offlineHz: helpers.frequency(rendered.channels[0], rendered.sampleRate),
        offlinePeak: helpers.peak(rendered.channels[0]),
        offlineRecordings: offline.recordings.map((r) => [r.path, r.frames]),
        fractions,
        cancelled,
        tooLong,
      };
      await engine.dispose();
      await context.close();
      return out;
    });
    expect(result.suspended).toBe('suspended');
    expect(result.running).toBe('running');
    expect(result.recordedChannels).toBe(2);
    expect(result.recordedSeconds).toBeGreaterThan(0.35);
    expect(Math.abs(result.recordedHz - 440) / 440).toBeLessThan(0.005);
    expect(result.recordedRight).toBeCloseTo(0.5, 3);
    expect(result.offlineFrames).toBe(2 * result.offlineRate);
    expect(Math.abs(result.offlineHz - 440) / 440).toBeLessThan(0.001);
    expect(result.offlinePeak).toBeCloseTo(0.5, 3);
    // The recording holds whole blocks, as the CLI's does: the last block is recorded entire.
    expect(result.offlineRecordings).toEqual([['tone.wav', Math.ceil((2 * result.offlineRate) / 128) * 128]]);
    expect(result.fractions.at(-1)).toBe(1);
    expect(result.cancelled).toBe('AbortError');
    expect(result.tooLong).toMatch(/too long to render in the page/);
  });

  it("answers the server's HTTP calls in the page, with the server's shapes and error codes", async () => {
    const result = await page.evaluate(async () => {
      const { lib } = window as never as { lib: Lib };
      const context = new AudioContext();
      const engine = await lib.createBrowserEngine(context, { files: new lib.MemoryFileStore() });
      const api = lib.localApi(engine);
      const failure = (promise: Promise<unknown>) =>
        promise.then(
          () => null,
          (e: { code: string; message: string }) => ({
            status: lib.STATUS_OF_CODE[e.code],
            message: e.message,
          }),
        );
      const added = await api.addNode('SineNode', 'osc');
      await api.execute('new 330 f');
      const linked = await api.link({
        source: { node_name: 'f', port_name: 'out' },
        sink: { node_name: 'osc', port_name: 'frequency' },
      });
      const valued = await api.setValue('f', 220);
      const out = {
        added,
        linked,
        valued: valued.exports,
        nodes: (await api.nodes()).map((n) => n.name),
        types: (await api.types()).length,
        typeNames: engine.registry.names().length,
        exported: await api.exportScript(),
        unknownType: await failure(api.addNode('SineNod')),
        taken: await failure(api.addNode('SineNode', 'osc')),
        badScript: await failure(api.execute('link osc.out ->')),
        removed: (await api.removeNode('osc')).name,
        connections: await api.connections(),
        loaded: engine.load('/*** {"g": [10, 20]} ***/\nnew 2 g').positions,
      };
      await engine.dispose();
      await context.close();
      return out;
    });
    expect(result.added).toMatchObject({ name: 'osc', type: 'SineNode' });
    expect(result.added.inputs[0]).toMatchObject({
      node_name: 'osc',
      port_name: 'frequency',
      type: 'StreamInput',
    });
    expect(result.linked).toEqual({
      source: { node_name: 'f', port_name: 'out' },
      sink: { node_name: 'osc', port_name: 'frequency' },
    });
    expect(result.valued).toMatchObject({ Value: 220 });
    expect(result.nodes.sort()).toEqual(['f', 'osc']);
    expect(result.types).toBe(result.typeNames);
    expect(result.exported).toContain('link f.out -> osc.frequency');
    expect(result.unknownType).toEqual({
      status: 404,
      message: expect.stringMatching(/did you mean `SineNode`/),
    });
    expect(result.taken?.status).toBe(409);
    expect(result.badScript?.status).toBe(400);
    expect(result.removed).toBe('osc');
    expect(result.connections).toEqual([]);
    expect(result.loaded).toEqual({ g: { x: 10, y: 20 } });
  });
});
