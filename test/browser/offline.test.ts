// Offline rendering in the page equals `synchrotron render`: the same patch — one that plays a MIDI file from
// the browser's file store (IndexedDB) through four voices and records one of them with a WavFileNode —
// rendered by the CLI on disk and in headless Chromium (in the offline worker, and on the page's thread),
// compared sample by sample.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readWav } from '../../src/io/wav-writer.js';
import { maxDifference } from '../helpers/analysis.js';
import { note, tempo, writeSmf } from '../midi/smf-writer.js';
import {
  DIST,
  launch,
  missingBrowserPrerequisite,
  openPage,
  ROOT,
  type StaticHost,
  serveStatic,
} from './harness.js';
import { HELPERS, INDEX } from './page.js';

const SECONDS = 3;

/** examples/midi/chord-by-hand.syn (PolyphonicNode) with its keyboard replaced by a MIDI file, and voice 1 recorded to a file. */
function filePatch(): string {
  const chord = readFileSync(join(ROOT, 'examples', 'midi', 'chord-by-hand.syn'), 'utf8');
  const patch = chord
    .replace('new MidiInputNode keys', 'new MidiFileNode keys')
    .replace(
      'link port.out -> keys.port',
      'new "songs/tune.mid" tune\nnew true looping\nlink tune.out -> keys.path\nlink looping.out -> keys.loop',
    );
  expect(patch).toContain('MidiFileNode keys');
  expect(patch).toContain('link tune.out -> keys.path');
  return `${patch}\nnew "voice1.wav" take\nnew WavFileNode rec\nlink take.out -> rec.path\nlink voice1.out -> rec.signal\n`;
}

/** Two bars of chords at 150 bpm, a tempo change halfway. */
function tune(): Uint8Array {
  const events = [
    tempo(0, 150),
    ...note(0, 400, 60),
    ...note(0, 400, 64),
    ...note(0, 400, 67),
    ...note(480, 300, 65),
    ...note(480, 300, 69),
    tempo(960, 110),
    ...note(960, 480, 62, 90),
    ...note(1200, 240, 74, 70),
    ...note(1440, 200, 59),
  ];
  return writeSmf(0, 480, [events]);
}

interface PageRender {
  wav: string;
  recordings: Array<{ path: string; wav: string; frames: number }>;
  fractions: number[];
  faults: string[];
  elapsedMs: number;
  stored: string[];
}

describe.skipIf(!!missingBrowserPrerequisite())('offline render in the page (headless Chromium)', () => {
  let host: StaticHost;
  let browser: Browser;
  let page: Page;
  let errors: string[];
  let work: string;

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'synchrotron-offline-'));
    host = await serveStatic({ '/test/index.html': INDEX, '/test/helpers.js': HELPERS });
    browser = await launch();
    ({ page, errors } = await openPage(browser, `${host.url}/test/index.html`));
  });

  afterAll(async () => {
    await browser?.close();
    await host?.close();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  /** The CLI's render of `patch` (files under `work`), as channels. */
  function cliRender(name: string, patch: string): { master: Float64Array[]; dir: string } {
    const dir = join(work, name);
    execFileSync('mkdir', ['-p', join(dir, 'songs')]);
    writeFileSync(join(dir, 'songs', 'tune.mid'), tune());
    writeFileSync(join(dir, 'patch.syn'), patch);
    execFileSync(
      process.execPath,
      [join(DIST, 'cli', 'main.js'), 'render', 'patch.syn', '--seconds', String(SECONDS), '--out', 'cli.wav'],
      { cwd: dir, stdio: 'pipe' },
    );
    return { master: readWav(join(dir, 'cli.wav')).channels, dir };
  }

  async function pageRender(patch: string, worker: boolean): Promise<PageRender> {
    return page.evaluate(
      async ({ patch, worker, seconds, midi }) => {
        const { lib, helpers } = window as never as {
          lib: typeof import('../../src/browser/index.js');
          helpers: { blobToBase64(blob: Blob): Promise<string> };
        };
        const files = new lib.IndexedDbFileStore(`offline-test-${Math.random()}`);
        await files.put('songs/tune.mid', new Uint8Array(midi), 'audio/midi');
        const fractions: number[] = [];
        const faults: string[] = [];
        const result = await lib.renderOffline(patch, {
          seconds,
          files,
          worker,
          saveRecordings: true,
          onProgress: (progress) => fractions.push(progress.fraction),
          onEvent: (event) => {
            if (event.kind === 'fault' || event.kind === 'warning') faults.push(event.message);
          },
        });
        return {
          wav: await helpers.blobToBase64(result.wav),
          recordings: await Promise.all(
            result.recordings.map(async (r) => ({
              path: r.path,
              wav: await helpers.blobToBase64(r.blob),
              frames: r.frames,
            })),
          ),
          fractions,
          faults,
          elapsedMs: result.elapsedMs,
          stored: (await files.list()).map((file) => file.name),
        };
      },
      { patch, worker, seconds: SECONDS, midi: [...tune()] },
    );
  }

  function decode(base64: string, name: string): Float64Array[] {
    const path = join(work, name);
    writeFileSync(path, Buffer.from(base64, 'base64'));
    return readWav(path).channels;
  }

  function peakOf(channel: ArrayLike<number>): number {
    let m = 0;
    for (let i = 0; i < channel.length; i++) m = Math.max(m, Math.abs(channel[i]));
    return m;
  }

  for (const worker of [true, false]) {
    it(`a MIDI-file patch rendered ${worker ? 'in the offline worker' : "on the page's thread"} equals synchrotron render within 1e-5`, async () => {
      const patch = filePatch();
      const cli = cliRender(worker ? 'worker' : 'main', patch);
      const rendered = await pageRender(patch, worker);
      expect(rendered.faults).toEqual([]);
      const master = decode(rendered.wav, `page-${worker}.wav`);
      expect(master).toHaveLength(2);
      expect(master[0].length).toBe(SECONDS * 44100);
      expect(peakOf(cli.master[0])).toBeGreaterThan(0.05); // the file played: not a comparison of silences
      expect(maxDifference(master[0], cli.master[0])).toBeLessThanOrEqual(1e-5);
      expect(maxDifference(master[1], cli.master[1])).toBeLessThanOrEqual(1e-5);
      // The WavFileNode's recording, a Blob in the page and a file from the CLI, and saved into the store.
      expect(rendered.recordings.map((r) => r.path)).toEqual(['voice1.wav']);
      const recorded = decode(rendered.recordings[0].wav, `voice1-${worker}.wav`);
      const cliRecorded = readWav(join(cli.dir, 'voice1.wav')).channels;
      expect(peakOf(cliRecorded[0])).toBeGreaterThan(0.05);
      expect(maxDifference(recorded[0], cliRecorded[0])).toBeLessThanOrEqual(1e-5);
      expect(rendered.stored.sort()).toEqual(['songs/tune.mid', 'voice1.wav']);
      // Progress: non-decreasing, ending at 1.
      expect(rendered.fractions.length).toBeGreaterThan(0);
      expect(rendered.fractions.at(-1)).toBe(1);
      expect(rendered.fractions.every((f, i) => i === 0 || f >= rendered.fractions[i - 1])).toBe(true);
      process.stdout.write(
        `offline render (${worker ? 'worker' : 'main thread'}): ${SECONDS} s in ${rendered.elapsedMs.toFixed(0)} ms ` +
          `(${((SECONDS * 1000) / rendered.elapsedMs).toFixed(1)}x real time)\n`,
      );
    });
  }

  it('renders the example patches equal to the CLI, and refuses a bad script saying where', async () => {
    for (const example of ['megalovania.syn', 'pwm.syn']) {
      const patch = readFileSync(join(ROOT, 'examples', example), 'utf8');
      const cli = cliRender(example, patch);
      const rendered = await pageRender(patch, true);
      const master = decode(rendered.wav, `${example}.wav`);
      expect(peakOf(cli.master[0])).toBeGreaterThan(0.5);
      expect(maxDifference(master[0], cli.master[0])).toBeLessThanOrEqual(1e-5);
      expect(maxDifference(master[1], cli.master[1])).toBeLessThanOrEqual(1e-5);
    }
    const failure = await page.evaluate(async () => {
      const { lib } = window as never as { lib: typeof import('../../src/browser/index.js') };
      try {
        await lib.renderOffline('new SineNode s\nlink s.out -> nowhere.left', { seconds: 1 });
        return null;
      } catch (error) {
        const e = error as { message: string; line?: number; column?: number };
        return {
          script: error instanceof lib.SynchrolangError,
          message: e.message,
          line: e.line,
          column: e.column,
        };
      }
    });
    expect(failure).toMatchObject({ script: true, line: 2 });
    expect(failure?.message).toMatch(/nowhere/);
    expect(errors).toEqual([]);
  });
});
