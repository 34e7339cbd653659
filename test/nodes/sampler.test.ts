// SamplerNode, measured: real files (WAV written by the project's writer; FLAC, MP3 and Ogg Vorbis fixtures
// made once by test/fixtures/samples/make-fixtures.sh) read through the real Node host, decoded, resampled,
// and played by the real engine. Pitch, direction, loop points, fades, identity, bad files.

import {
  copyFileSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeCompressedAudio } from '../../src/dsp/audio-decoders.js';
import { parseWav } from '../../src/dsp/audio-files.js';
import { data, defineNode, stream } from '../../src/engine/definition.js';
import type { RenderEvent } from '../../src/engine/renderer.js';
import { createNodeHost } from '../../src/io/node-host.js';
import { createWavWriter } from '../../src/io/wav-writer.js';
import { MAX_SAMPLE_BYTES, SAMPLER_FADE_SECONDS } from '../../src/nodes/samples/sampler-node.js';
import { Synchrotron } from '../../src/synchrotron.js';
import { allFinite, maxStep, peak, rms, zeroCrossingFrequency } from '../helpers/analysis.js';
import { note, writeSmf } from '../midi/smf-writer.js';
import { RATE, type Rig, rigsCleanedAfterEachTest } from './render.js';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'samples');
const FADE_FRAMES = Math.ceil(SAMPLER_FADE_SECONDS * RATE);

/** Test source: 1 at the listed absolute frames, 0 elsewhere (exact trigger times). */
const TriggerAtNode = defineNode({
  type: 'TriggerAtNode',
  category: 'debug',
  description: 'Test source: a one-frame trigger at each listed frame.',
  inputs: { frames: data('Absolute frames.', { default: [] }) },
  outputs: { out: stream('Triggers.') },
  create(ctx, io) {
    const out = io.outputs.out.buf;
    return {
      process(frames) {
        const at = ctx.clock.frames;
        const list = io.inputs.frames.value as number[];
        out.fill(0, 0, frames);
        for (const f of list) if (f >= at && f < at + frames) out[f - at] = 1;
      },
    };
  },
});

const make = rigsCleanedAfterEachTest();
const newRig = (blockSize = 128) => make(blockSize, { types: [TriggerAtNode] });

/** Writes a float WAV with the project's writer into the rig's root; returns its name. */
function writeWav(r: Rig, name: string, channels: Float32Array[], sampleRate = RATE): string {
  const writer = createWavWriter(join(r.root, name), sampleRate, channels.length);
  if (channels.length === 1) writer.write(channels[0], channels[0].length);
  else writer.writeChannels(channels[0], channels[1], channels[0].length);
  writer.close();
  return name;
}

function sine(hz: number, seconds: number, amplitude = 0.5, rate = RATE): Float32Array {
  const out = new Float32Array(Math.round(seconds * rate));
  for (let i = 0; i < out.length; i++) out[i] = amplitude * Math.sin((2 * Math.PI * hz * i) / rate);
  return out;
}

/** Deterministic broadband material (a few sines and a hash): every sample different. */
function material(frames: number, seed = 1): Float32Array {
  const out = new Float32Array(frames);
  let x = seed;
  for (let i = 0; i < frames; i++) {
    x = (x * 1103515245 + 12345) % 2147483648;
    out[i] = 0.3 * Math.sin(i * 0.05) + 0.2 * Math.sin(i * 0.71) + 0.2 * (x / 2147483648 - 0.5);
  }
  return out;
}

function ramp(frames: number): Float32Array {
  return Float32Array.from({ length: frames }, (_, i) => (i + 1) / frames);
}

interface SamplerOptions {
  path: string;
  triggers?: number[];
  rate?: number;
  start?: number;
  loop?: boolean;
  gain?: number;
  root?: number;
}

/** A sampler named `s` playing `path`, triggered at exact frames; waits for the file. */
async function sampler(r: Rig, options: SamplerOptions): Promise<void> {
  r.s.addValue(options.path, 'file');
  r.s.add('SamplerNode', 's');
  r.s.link('file.out', 's.path');
  if (options.triggers) {
    r.s.addValue(options.triggers, 'when');
    r.s.add('TriggerAtNode', 'trig');
    r.s.link('when.out', 'trig.frames');
    r.s.link('trig.out', 's.trigger');
  }
  for (const port of ['rate', 'start', 'loop', 'gain', 'root'] as const) {
    const value = options[port];
    if (value === undefined) continue;
    r.s.addValue(value, `${port}Value`);
    r.s.link(`${port}Value.out`, `s.${port}`);
  }
  await r.s.ready();
}

const warnings = (r: Rig) => r.events.filter((e) => e.kind === 'warning').map((e) => e.message);
const faults = (r: Rig) => r.events.filter((e) => e.kind === 'fault');
const exportsOf = (r: Rig) => r.s.graph.node('s').exports;
const db = (x: number) => 20 * Math.log10(x);

describe('SamplerNode: identity and formats', () => {
  it('a float WAV at the engine rate, rate 1: the output is the file, sample for sample, from the trigger frame', async () => {
    const r = newRig();
    const left = material(5000, 1);
    const right = material(5000, 2);
    await sampler(r, { path: writeWav(r, 'noise.wav', [left, right]), triggers: [300] });
    const [l, rr] = r.capture(['s.left', 's.right'], 6000);
    expect(l.subarray(0, 300).every((x) => x === 0)).toBe(true);
    for (let k = 0; k < 5000; k++) {
      expect(Math.abs(l[300 + k] - left[k]), `left ${k}`).toBeLessThanOrEqual(1e-6);
      expect(Math.abs(rr[300 + k] - right[k]), `right ${k}`).toBeLessThanOrEqual(1e-6);
    }
    expect(l.subarray(5300).every((x) => x === 0)).toBe(true); // then it ends
    expect(exportsOf(r)).toMatchObject({
      File: 'noise.wav',
      Duration: 0.113,
      Channels: 2,
      'Sample Rate': RATE,
    });
    expect(warnings(r)).toEqual([]);
  });

  it('a mono file plays on both outputs', async () => {
    const r = newRig();
    const x = material(2000, 3);
    await sampler(r, { path: writeWav(r, 'mono.wav', [x]), triggers: [0] });
    const [l, rr] = r.capture(['s.left', 's.right'], 2000);
    expect(Array.from(l)).toEqual(Array.from(x));
    expect(Array.from(rr)).toEqual(Array.from(x));
    expect(exportsOf(r).Channels).toBe(1);
  });

  it('FLAC (lossless, 44.1 kHz): the output equals the decoded samples, which equal the 16-bit WAV it was made from', async () => {
    const flac = new Uint8Array(readFileSync(join(FIXTURES, 'tone.flac')));
    const decoded = await decodeCompressedAudio(flac, 'flac');
    const wav = parseWav(new Uint8Array(readFileSync(join(FIXTURES, 'tone-16.wav'))));
    expect(decoded.sampleRate).toBe(44100);
    expect(decoded.channels).toHaveLength(2);
    expect(Array.from(decoded.channels[0])).toEqual(Array.from(wav.channels[0]));
    expect(Array.from(decoded.channels[1])).toEqual(Array.from(wav.channels[1]));
    const r = newRig();
    copyFileSync(join(FIXTURES, 'tone.flac'), join(r.root, 'tone.flac'));
    await sampler(r, { path: 'tone.flac', triggers: [77] });
    const frames = decoded.channels[0].length;
    const [l, rr] = r.capture(['s.left', 's.right'], frames + 200);
    for (let k = 0; k < frames; k++) {
      expect(Math.abs(l[77 + k] - decoded.channels[0][k])).toBeLessThanOrEqual(1e-6);
      expect(Math.abs(rr[77 + k] - decoded.channels[1][k])).toBeLessThanOrEqual(1e-6);
    }
    // And it is what make-fixtures.sh says: 440 Hz left, 660 Hz right, amplitude 0.5.
    expect(zeroCrossingFrequency(l.subarray(77, 77 + frames), RATE)).toBeCloseTo(440, 0);
    expect(zeroCrossingFrequency(rr.subarray(77, 77 + frames), RATE)).toBeCloseTo(660, 0);
    expect(peak(l)).toBeCloseTo(0.5, 2);
    expect(exportsOf(r)).toMatchObject({
      File: 'tone.flac',
      Duration: 0.25,
      Channels: 2,
      'Sample Rate': 44100,
    });
  });

  it('MP3 (48 kHz mono) is decoded, its encoder delay trimmed, and resampled: 440 Hz, 0.5 s, at its level', async () => {
    const r = newRig();
    copyFileSync(join(FIXTURES, 'tone.mp3'), join(r.root, 'tone.mp3'));
    await sampler(r, { path: 'tone.mp3', triggers: [0] });
    const [l, rr] = r.capture(['s.left', 's.right'], RATE);
    expect(exportsOf(r)).toMatchObject({
      File: 'tone.mp3',
      Duration: 0.5,
      Channels: 1,
      'Sample Rate': 48000,
    });
    const body = l.subarray(2000, 20000);
    expect(zeroCrossingFrequency(body, RATE) / 440 - 1).toBeLessThan(0.001);
    expect(Math.abs(db(rms(body) / (0.5 / Math.SQRT2)))).toBeLessThan(0.5);
    expect(Array.from(rr)).toEqual(Array.from(l));
    // Sound for 0.5 s (gapless: LAME's padding is gone), then silence.
    expect(rms(l.subarray(21000, 22000))).toBeGreaterThan(0.2);
    expect(peak(l.subarray(22200))).toBe(0);
  });

  it('Ogg Vorbis (22.05 kHz mono) is decoded and resampled: 440 Hz, 0.5 s', async () => {
    const r = newRig();
    copyFileSync(join(FIXTURES, 'tone.ogg'), join(r.root, 'tone.ogg'));
    await sampler(r, { path: 'tone.ogg', triggers: [0] });
    const [l] = r.capture(['s.left'], RATE);
    expect(exportsOf(r)).toMatchObject({
      File: 'tone.ogg',
      Duration: 0.5,
      Channels: 1,
      'Sample Rate': 22050,
    });
    const body = l.subarray(2000, 20000);
    expect(zeroCrossingFrequency(body, RATE) / 440 - 1).toBeLessThan(0.001);
    expect(Math.abs(db(rms(body) / (0.5 / Math.SQRT2)))).toBeLessThan(0.5);
    expect(peak(l.subarray(22200))).toBe(0);
  });

  it('WAV of 8, 16 and 24-bit integers: scaled to ±1 and resampled to the engine rate', async () => {
    for (const [file, hz, rate] of [
      ['tone-8.wav', 440, 22050],
      ['tone-16.wav', 440, 44100],
      ['tone-24.wav', 1000, 48000],
    ] as const) {
      const r = newRig();
      copyFileSync(join(FIXTURES, file), join(r.root, file));
      await sampler(r, { path: file, triggers: [0] });
      const [l] = r.capture(['s.left'], 4000);
      expect(exportsOf(r)['Sample Rate'], file).toBe(rate);
      const body = l.subarray(500, 3500);
      expect(Math.abs(zeroCrossingFrequency(body, RATE) / hz - 1), file).toBeLessThan(0.002);
      expect(Math.abs(db(peak(body) / 0.5)), file).toBeLessThan(0.2);
      r.cleanup();
    }
  });
});

describe('SamplerNode: pitch, direction, loops', () => {
  it('plays at `rate`: 0.5, 0.75, 1.5 and 2 times the recorded pitch', async () => {
    for (const speed of [0.5, 0.75, 1.5, 2]) {
      const r = newRig();
      await sampler(r, { path: writeWav(r, 'a.wav', [sine(441, 1)]), triggers: [0], rate: speed });
      const [l] = r.capture(['s.left'], 8192);
      const hz = zeroCrossingFrequency(l.subarray(100, 8100), RATE);
      expect(Math.abs(hz / (441 * speed) - 1), `rate ${speed}: ${hz.toFixed(2)} Hz`).toBeLessThan(0.001);
      r.cleanup();
    }
  });

  it('interpolates with 4 points: far closer to the ideal tone than linear interpolation would be', async () => {
    // A 3 kHz tone played at rate 0.7 lands between samples: compare with the exact 2.1 kHz sine.
    const r = newRig();
    const x = sine(3000, 0.5);
    await sampler(r, { path: writeWav(r, 'tone.wav', [x]), triggers: [0], rate: 0.7 });
    const [l] = r.capture(['s.left'], 10000);
    let cubicError = 0;
    let linearError = 0;
    for (let i = 100; i < 10000; i++) {
      const p = i * 0.7;
      const exact = 0.5 * Math.sin((2 * Math.PI * 3000 * p) / RATE);
      const k = Math.floor(p);
      const linear = x[k] + (x[k + 1] - x[k]) * (p - k);
      cubicError = Math.max(cubicError, Math.abs(l[i] - exact));
      linearError = Math.max(linearError, Math.abs(linear - exact));
    }
    expect(db(cubicError / 0.5), 'cubic error').toBeLessThan(-40);
    expect(db(cubicError / linearError), 'against linear').toBeLessThan(-12);
  });

  it('a negative rate plays backwards, from the end down to `start`', async () => {
    const r = newRig();
    const x = ramp(1000);
    await sampler(r, { path: writeWav(r, 'ramp.wav', [x]), triggers: [10], rate: -1 });
    const [l] = r.capture(['s.left'], 1200);
    for (let k = 0; k < 1000; k++) expect(l[10 + k]).toBeCloseTo(x[999 - k], 6);
    expect(l.subarray(1010).every((v) => v === 0)).toBe(true);
    const r2 = newRig();
    await sampler(r2, { path: writeWav(r2, 'ramp.wav', [x]), triggers: [0], rate: -2, start: 500 / RATE });
    const [l2] = r2.capture(['s.left'], 400);
    for (let k = 0; k < 250; k++) expect(l2[k]).toBeCloseTo(x[999 - 2 * k], 6); // 999, 997 … 501
    expect(l2.subarray(250).every((v) => v === 0)).toBe(true);
  });

  it('`loop` repeats from `start` to the end, forwards and backwards', async () => {
    const r = newRig();
    const x = ramp(1000);
    await sampler(r, { path: writeWav(r, 'ramp.wav', [x]), triggers: [0], start: 600 / RATE, loop: true });
    const [l] = r.capture(['s.left'], 2000);
    // 600…999, then 600…999 again and again: period 400.
    for (let i = 0; i < 2000; i++) expect(l[i]).toBeCloseTo(x[600 + (i % 400)], 6);
    const r2 = newRig();
    await sampler(r2, {
      path: writeWav(r2, 'ramp.wav', [x]),
      triggers: [0],
      start: 600 / RATE,
      loop: true,
      rate: -1,
    });
    const [l2] = r2.capture(['s.left'], 2000);
    for (let i = 0; i < 2000; i++) expect(l2[i]).toBeCloseTo(x[999 - (i % 400)], 6);
  });

  it('a looping tone at a fractional rate stays a clean tone across its loop point', async () => {
    // Exactly 10 cycles of 441 Hz in the file: the loop is seamless material, so the output must be too.
    const r = newRig();
    await sampler(r, {
      path: writeWav(r, 'cycle.wav', [sine(441, 1000 / RATE)]),
      triggers: [0],
      loop: true,
      rate: 1.37,
    });
    const [l] = r.capture(['s.left'], 20000);
    expect(Math.abs(zeroCrossingFrequency(l, RATE) / (441 * 1.37) - 1)).toBeLessThan(0.001);
    expect(maxStep(l)).toBeLessThan(((0.5 * 2 * Math.PI * 441 * 1.37) / RATE) * 1.02);
  });

  it('MIDI notes play at rate·2^((note − root)/12) with velocity as gain', async () => {
    const r = newRig();
    // Notes of 0.25 s at 120 bpm (480 ticks a beat = 0.5 s): 60, 67, 72 and 48 with velocities 127 and 64.
    const notes = [
      [60, 127],
      [67, 64],
      [72, 127],
      [48, 64],
    ];
    const smf = writeSmf(0, 480, [notes.flatMap(([key, velocity], k) => note(k * 480, 240, key, velocity))]);
    writeFileSync(join(r.root, 'notes.mid'), smf);
    r.s.addValue('notes.mid', 'song');
    r.s.add('MidiFileNode', 'player');
    r.s.link('song.out', 'player.path');
    await sampler(r, { path: writeWav(r, 'a.wav', [sine(441, 2, 0.5)]), root: 60, rate: 1 });
    r.s.link('player.out', 's.midi');
    await r.s.ready();
    const [l] = r.capture(['s.left'], 2 * RATE);
    notes.forEach(([key, velocity], k) => {
      const from = Math.round(k * 0.5 * RATE);
      const body = l.subarray(from + 500, from + Math.round(0.24 * RATE));
      const hz = zeroCrossingFrequency(body, RATE);
      const expected = 441 * 2 ** ((key - 60) / 12);
      expect(Math.abs(hz / expected - 1), `note ${key}: ${hz.toFixed(2)} Hz`).toBeLessThan(0.001);
      expect(rms(body) / (0.5 / Math.SQRT2), `note ${key}`).toBeCloseTo(velocity / 127, 2);
      // Note-off 0.25 s in: silent 5 ms later, and the fade is no click.
      const off = from + Math.round(0.25 * RATE);
      expect(
        peak(l.subarray(off + FADE_FRAMES + 1, from + Math.round(0.5 * RATE))),
        `after note ${key}`,
      ).toBe(0);
      const slope = 0.5 * (velocity / 127) * ((2 * Math.PI * expected) / RATE);
      expect(maxStep(l.subarray(off - 10, off + FADE_FRAMES + 10))).toBeLessThan(slope * 1.1);
    });
  });

  it('`rate` scales MIDI pitch too: note 72 at rate 0.5 is the recorded pitch', async () => {
    const r = newRig();
    writeFileSync(join(r.root, 'n.mid'), writeSmf(0, 480, [note(0, 960, 72, 127)]));
    r.s.addValue('n.mid', 'song');
    r.s.add('MidiFileNode', 'player');
    r.s.link('song.out', 'player.path');
    await sampler(r, { path: writeWav(r, 'a.wav', [sine(441, 1)]), rate: 0.5 });
    r.s.link('player.out', 's.midi');
    await r.s.ready();
    const [l] = r.capture(['s.left'], 20000);
    expect(Math.abs(zeroCrossingFrequency(l.subarray(1000, 19000), RATE) / 441 - 1)).toBeLessThan(0.001);
  });
});

describe('SamplerNode: fades, gain, and nothing clicks', () => {
  it('a retrigger fades the sound before out in 5 ms while the new one starts at once: no click', async () => {
    const r = newRig();
    const x = sine(441, 1);
    // 441 Hz: a peak every 100 frames at 25 + 100k. Retrigger on a peak, where a cut would jump by 0.5.
    await sampler(r, { path: writeWav(r, 'a.wav', [x]), triggers: [0, 10025], loop: true });
    const [l] = r.capture(['s.left'], 12000);
    const slope = 0.5 * ((2 * Math.PI * 441) / RATE);
    expect(maxStep(l), 'no click').toBeLessThan(2.05 * slope);
    // Within 5 ms only the new sound is left: exactly the file from its start.
    for (let k = FADE_FRAMES + 1; k < 1900; k++)
      expect(Math.abs(l[10025 + k] - x[k])).toBeLessThanOrEqual(1e-6);
    // During the fade the old sound is still there, falling in a straight line to 0 over 5 ms.
    for (let k = 0; k < FADE_FRAMES; k++) {
      const old = l[10025 + k] - x[k];
      const expected = x[10025 + k] * Math.max(0, 1 - (k + 1) / (SAMPLER_FADE_SECONDS * RATE));
      expect(Math.abs(old - expected), `fade frame ${k}`).toBeLessThan(1e-6);
    }
  });

  it('triggers faster than the fade (every 2 ms) stay bounded and click-free', async () => {
    const r = newRig();
    const triggers = Array.from({ length: 20 }, (_, k) => 25 + k * 88);
    await sampler(r, { path: writeWav(r, 'a.wav', [sine(441, 1)]), triggers, loop: true });
    const [l] = r.capture(['s.left'], 4000);
    expect(allFinite(l)).toBe(true);
    expect(peak(l)).toBeLessThan(2);
    expect(maxStep(l)).toBeLessThan(0.2);
  });

  it('`gain` in dB: −6 dB halves, −∞ below −120 dB, and a change glides instead of clicking', async () => {
    const r = newRig();
    await sampler(r, { path: writeWav(r, 'a.wav', [sine(441, 1)]), triggers: [0], gain: -6.0206 });
    const [l] = r.capture(['s.left'], 4410);
    expect(peak(l)).toBeCloseTo(0.25, 3);
    r.s.setValue('gainValue', 0);
    const [after] = r.capture(['s.left'], 4410);
    expect(peak(after.subarray(1000))).toBeCloseTo(0.5, 3);
    expect(maxStep(after)).toBeLessThan(0.5 * ((2 * Math.PI * 441) / RATE) * 1.2);
    r.s.setValue('gainValue', -200);
    const [silent] = r.capture(['s.left'], 4410);
    expect(peak(silent.subarray(2000))).toBe(0);
  });

  it('a new file fades out what the old one was playing, and plays on the next trigger', async () => {
    const r = newRig();
    await sampler(r, { path: writeWav(r, 'a.wav', [sine(441, 1)]), triggers: [0, 20000], loop: true });
    writeWav(r, 'b.wav', [sine(882, 1)]);
    r.capture(['s.left'], 5000);
    r.s.setValue('file', 'b.wav');
    await r.s.ready();
    const [l] = r.capture(['s.left'], 20000);
    expect(maxStep(l)).toBeLessThan(2 * 0.5 * ((2 * Math.PI * 441) / RATE));
    expect(peak(l.subarray(1000, 14000))).toBe(0); // silent until the next trigger (frame 20000)
    const [next] = r.capture(['s.left'], 5000);
    expect(zeroCrossingFrequency(next.subarray(200, 4800), RATE)).toBeCloseTo(882, 0);
    expect(exportsOf(r).File).toBe('b.wav');
  });
});

describe('SamplerNode: missing, bad and huge files are a warning and silence; the rest plays on', () => {
  async function withBadFile(setup: (r: Rig) => string): Promise<{ r: Rig; warning: string }> {
    const r = newRig();
    r.s.execute(
      'new 440 hz\nnew SineNode tone\nnew PlaybackNode out\nlink hz.out -> tone.frequency\nlink tone.out -> out.left',
    );
    await sampler(r, { path: setup(r), triggers: [0, 1000] });
    r.s.link('s.left', 'out.right');
    r.s.start();
    const [left, right] = [new Float32Array(4096), new Float32Array(4096)];
    for (let at = 0; at < 4096; at += 128) {
      const master = r.s.renderBlock();
      left.set(master.left, at);
      right.set(master.right, at);
    }
    expect(rms(left), 'the sine plays on').toBeGreaterThan(0.5);
    expect(peak(right), 'the sampler is silent').toBe(0);
    expect(faults(r)).toEqual([]);
    const found = warnings(r);
    expect(found).toHaveLength(1);
    expect(exportsOf(r).Error).toBeTypeOf('string');
    return { r, warning: found[0] };
  }

  it('a missing file', async () => {
    const { warning } = await withBadFile(() => 'nowhere.wav');
    expect(warning).toMatch(/could not load the sample `nowhere\.wav`: .*(no such file|ENOENT)/i);
  });

  it('a file that is no audio file', async () => {
    const { warning } = await withBadFile((r) => {
      writeFileSync(join(r.root, 'notes.txt'), 'hello, not a sound');
      return 'notes.txt';
    });
    expect(warning).toMatch(/`notes\.txt`: it is not a WAV, FLAC, MP3 or Ogg Vorbis file/);
  });

  it('a corrupt FLAC and a truncated WAV header', async () => {
    const { warning } = await withBadFile((r) => {
      writeFileSync(join(r.root, 'bad.flac'), Buffer.concat([Buffer.from('fLaC'), Buffer.alloc(2000, 0x5a)]));
      return 'bad.flac';
    });
    expect(warning).toMatch(/`bad\.flac`: no FLAC audio could be decoded/);
    const { warning: wav } = await withBadFile((r) => {
      writeFileSync(join(r.root, 'cut.wav'), Buffer.from('RIFF\x10\x00\x00\x00WAVEfmt '));
      return 'cut.wav';
    });
    expect(wav).toMatch(/`cut\.wav`: it is not a WAV file that can be read: it has no fmt chunk/);
  });

  it('Ogg Opus is named as unsupported', async () => {
    const { warning } = await withBadFile((r) => {
      const page = Buffer.alloc(64);
      page.write('OggS', 0);
      page[26] = 1; // one segment
      page[27] = 19;
      page.write('OpusHead', 28);
      writeFileSync(join(r.root, 'voice.opus'), page);
      return 'voice.opus';
    });
    expect(warning).toMatch(/Ogg Opus, which is not supported/);
  });

  it('a file over the size limit is refused before it is read', async () => {
    const { warning } = await withBadFile((r) => {
      const path = join(r.root, 'huge.wav');
      writeFileSync(path, 'RIFF');
      truncateSync(path, MAX_SAMPLE_BYTES + 1); // sparse: no disk used
      return 'huge.wav';
    });
    expect(warning).toMatch(
      /`huge\.wav`: it is 64 MiB, larger than the limit of 64 MiB \(--max-sample-bytes\)/,
    );
  });

  it('the host sets the limit (--max-sample-bytes): a file over it is refused, one under it beside plays', async () => {
    const root = mkdtempSync(join(tmpdir(), 'synchrotron-sample-limit-'));
    const engine = new Synchrotron({
      sampleRate: RATE,
      blockSize: 128,
      host: createNodeHost({ root, limits: { maxSampleBytes: 4096 } }),
    });
    const events: RenderEvent[] = [];
    engine.onEvent((event) => events.push(event));
    try {
      for (const [name, seconds] of [
        ['small.wav', 0.02],
        ['big.wav', 0.1],
      ] as const) {
        const writer = createWavWriter(join(root, name), RATE, 1);
        writer.write(sine(441, seconds), Math.round(seconds * RATE));
        writer.close();
      }
      expect(statSync(join(root, 'small.wav')).size).toBeLessThan(4096);
      engine.execute(
        'new "small.wav" smallFile\nnew "big.wav" bigFile\nnew 1 hit\nnew SamplerNode small\nnew SamplerNode big\n' +
          'link smallFile.out -> small.path\nlink bigFile.out -> big.path\nlink hit.out -> small.trigger\nlink hit.out -> big.trigger',
      );
      await engine.ready();
      engine.start();
      const small = new Float32Array(1024);
      const big = new Float32Array(1024);
      for (let at = 0; at < 1024; at += 128) {
        engine.renderBlock();
        small.set(engine.renderer.streamOutput({ node: 'small', port: 'left' })!, at);
        big.set(engine.renderer.streamOutput({ node: 'big', port: 'left' })!, at);
      }
      expect(rms(small)).toBeGreaterThan(0.3);
      expect(peak(big)).toBe(0);
      const found = events.filter((e) => e.kind === 'warning').map((e) => e.message);
      expect(found).toEqual([
        expect.stringMatching(
          /could not load the sample `big\.wav`: cannot read `big\.wav`: it is 17\.3 KiB, larger than the limit of 4 KiB \(--max-sample-bytes\); the sampler is silent/,
        ),
      ]);
      expect(engine.graph.node('big').exports.Error).toMatch(/--max-sample-bytes/);
      expect(events.filter((e) => e.kind === 'fault')).toEqual([]);
    } finally {
      engine.dispose();
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('a path leaving the root', async () => {
    const { warning } = await withBadFile(() => '../outside.wav');
    expect(warning).toMatch(/leaves the allowed directory/);
  });

  it('a path that is not a string', async () => {
    const r = newRig();
    r.s.addValue(42, 'file');
    r.s.add('SamplerNode', 's');
    r.s.link('file.out', 's.path');
    await r.s.ready();
    expect(warnings(r)[0]).toMatch(/`path` must be the path of a sample file, got 42/);
    const [l] = r.capture(['s.left'], 256);
    expect(peak(l)).toBe(0);
  });

  it('a trigger held high while the first file loads plays it once it has arrived (not lost)', async () => {
    const r = newRig();
    r.s.add('SamplerNode', 's');
    r.s.addValue(1, 'go');
    r.s.link('go.out', 's.trigger');
    const [before] = r.capture(['s.left'], 512);
    expect(peak(before)).toBe(0);
    r.s.addValue(writeWav(r, 'late.wav', [sine(441, 1)]), 'file');
    r.s.link('file.out', 's.path');
    await r.s.ready();
    const [l] = r.capture(['s.left'], 8192);
    expect(Math.abs(l[0])).toBeLessThan(1e-6); // the sine's first sample: it starts at the block boundary
    expect(zeroCrossingFrequency(l.subarray(0, 8000), RATE)).toBeCloseTo(441, 0);
    expect(peak(l)).toBeGreaterThan(0.49);
    // A second file does not start by itself: it waits for the next rise, as documented.
    writeWav(r, 'other.wav', [sine(882, 1)]);
    r.s.setValue('file', 'other.wav');
    await r.s.ready();
    const [after] = r.capture(['s.left'], 4410);
    expect(peak(after.subarray(1000))).toBe(0);
  });

  it('no path: silent, no warning; triggers before the file is loaded play nothing', async () => {
    const r = newRig();
    r.s.add('SamplerNode', 's');
    r.s.addValue([0, 100], 'when');
    r.s.add('TriggerAtNode', 'trig');
    r.s.link('when.out', 'trig.frames');
    r.s.link('trig.out', 's.trigger');
    const [l] = r.capture(['s.left'], 512);
    expect(peak(l)).toBe(0);
    expect(warnings(r)).toEqual([]);
  });
});
