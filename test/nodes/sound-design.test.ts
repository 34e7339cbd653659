// docs/sound-design.md promises what its recipes sound like: each patch in it is run as written, rendered
// and listened to (not silent, within 0 dBFS, and what the recipe says: pitch, rhythm, panning, the sweep,
// echo times and levels, the room, the compression). Recipes that play samples get examples/samples/ beside them.

import { copyFileSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RenderEvent } from '../../src/engine/renderer.js';
import { allFinite, dominantFrequency, peak, rms, spectrum } from '../helpers/analysis.js';
import { RATE, type Rig, rigsCleanedAfterEachTest } from './render.js';

const doc = readFileSync(new URL('../../docs/sound-design.md', import.meta.url), 'utf8');
/** Each recipe's heading and its patch (the first code block after a `### Recipe:` heading). */
const recipes = new Map(
  [...doc.matchAll(/### Recipe: ([^\n]+)\n[\s\S]*?```\n([\s\S]*?)```/g)].map((m) => [m[1], m[2]]),
);
const make = rigsCleanedAfterEachTest();

const SAMPLES = join(import.meta.dirname, '..', '..', 'examples', 'samples');

/** Runs a recipe and renders `seconds` of it; with `samples`, examples/samples/ is copied beside it first. */
function play(recipe: string, seconds: number): { left: Float32Array; right: Float32Array } {
  return playIn(make(), recipe, seconds);
}

/** The same for recipes that read sample files: the patch's folder gets a copy of examples/samples/. */
async function playWithSamples(
  recipe: string,
  seconds: number,
): Promise<{ left: Float32Array; right: Float32Array; r: Rig }> {
  const r = make();
  mkdirSync(join(r.root, 'samples'));
  for (const name of readdirSync(SAMPLES).filter((n) => n.endsWith('.wav')))
    copyFileSync(join(SAMPLES, name), join(r.root, 'samples', name));
  r.s.execute(recipes.get(recipe) ?? '');
  await r.s.ready();
  return { ...playIn(r, recipe, seconds, false), r };
}

function playIn(
  r: Rig,
  recipe: string,
  seconds: number,
  build = true,
): { left: Float32Array; right: Float32Array } {
  const script = recipes.get(recipe);
  if (!script) throw new Error(`no recipe "${recipe}" in docs/sound-design.md`);
  if (build) r.s.execute(script);
  r.s.start();
  const frames = seconds * RATE;
  const left = new Float32Array(frames);
  const right = new Float32Array(frames);
  for (let at = 0; at < frames; at += r.s.blockSize) {
    const master = r.s.renderBlock();
    left.set(master.left.subarray(0, Math.min(r.s.blockSize, frames - at)), at);
    right.set(master.right.subarray(0, Math.min(r.s.blockSize, frames - at)), at);
  }
  expect(r.events.filter((e: RenderEvent) => e.kind === 'fault' || e.kind === 'warning')).toEqual([]);
  expect(allFinite(left) && allFinite(right)).toBe(true);
  expect(Math.max(peak(left), peak(right)), 'within 0 dBFS').toBeLessThanOrEqual(1);
  expect(rms(left) + rms(right), 'not silent').toBeGreaterThan(0.02);
  return { left, right };
}

const seconds = (s: number) => Math.round(s * RATE);
const db = (x: number) => 20 * Math.log10(x);

describe('docs/sound-design.md recipes', () => {
  it('has the twelve recipes this test listens to', () => {
    expect([...recipes.keys()]).toEqual([
      'a plucked triangle melody',
      'a noise hi-hat',
      'a random melody (sample and hold, portamento)',
      'auto-pan',
      'a mixer with a crossfade',
      'a subtractive voice',
      'a filter sweep',
      'echoes',
      'a pluck in a room',
      'evening out a line',
      'a drum loop',
      'a bass line from one sample',
    ]);
  });

  it('a plucked triangle melody: four notes a second at their pitches, each released half-way', () => {
    const { left } = play('a plucked triangle melody', 2);
    const notes = [220, 261.63, 329.63, 392];
    notes.forEach((hz, k) => {
      const note = left.subarray(seconds(k * 0.25), seconds(k * 0.25 + 0.125));
      const measured = dominantFrequency(note, RATE);
      expect(Math.abs(measured / hz - 1), `note ${k}: ${measured.toFixed(1)} Hz`).toBeLessThan(0.02);
      // Held for the first half, released in the second: the end of the note is far quieter.
      const held = rms(left.subarray(seconds(k * 0.25 + 0.05), seconds(k * 0.25 + 0.12)));
      const released = rms(left.subarray(seconds(k * 0.25 + 0.23), seconds(k * 0.25 + 0.25)));
      expect(db(released / held), `note ${k}`).toBeLessThan(-20);
    });
  });

  it('a noise hi-hat: eight hits a second, each silent again well before the next', () => {
    const { left } = play('a noise hi-hat', 2);
    for (let k = 0; k < 16; k++) {
      const hit = rms(left.subarray(seconds(k / 8), seconds(k / 8 + 0.01)));
      const after = rms(left.subarray(seconds(k / 8 + 0.05), seconds(k / 8 + 0.12)));
      expect(hit, `hit ${k}`).toBeGreaterThan(0.05);
      expect(after, `after hit ${k}`).toBe(0);
    }
  });

  it('a random melody: a new pitch between 300 and 500 Hz every quarter second', () => {
    const { left } = play('a random melody (sample and hold, portamento)', 3);
    const pitches: number[] = [];
    for (let k = 0; k < 12; k++) {
      const settled = left.subarray(seconds(k * 0.25 + 0.1), seconds(k * 0.25 + 0.25));
      pitches.push(dominantFrequency(settled, RATE));
    }
    for (const hz of pitches) {
      expect(hz).toBeGreaterThan(295);
      expect(hz).toBeLessThan(505);
    }
    expect(new Set(pitches.map(Math.round)).size).toBeGreaterThan(8); // it wanders
  });

  it('auto-pan: right for the first second, left for the next', () => {
    const { left, right } = play('auto-pan', 2);
    const side = (from: number, to: number) =>
      db(rms(right.subarray(seconds(from), seconds(to))) / rms(left.subarray(seconds(from), seconds(to))));
    expect(side(0.3, 0.7)).toBeGreaterThan(10);
    expect(side(1.3, 1.7)).toBeLessThan(-10);
    const centre = (t: number) => side(t - 0.01, t + 0.01);
    expect(Math.abs(centre(1))).toBeLessThan(1); // passing the centre: equal on both sides
  });

  it('a mixer with a crossfade: both triangles take turns, with noise underneath', () => {
    const { left } = play('a mixer with a crossfade', 4);
    // The LFO (0.25 Hz) starts mid-way, reaches b (220 Hz) at 1 s and a (110 Hz) at 3 s.
    expect(
      Math.abs(dominantFrequency(left.subarray(seconds(0.8), seconds(1.2)), RATE) / 220 - 1),
    ).toBeLessThan(0.02);
    expect(
      Math.abs(dominantFrequency(left.subarray(seconds(2.8), seconds(3.2)), RATE) / 110 - 1),
    ).toBeLessThan(0.02);
  });

  it('a subtractive voice: the melody at its pitches, the saw’s top taken away by the ladder', () => {
    const { left } = play('a subtractive voice', 2);
    [110, 146.83, 164.81, 220].forEach((hz, k) => {
      const note = left.subarray(seconds(k * 0.25), seconds(k * 0.25 + 0.125));
      const measured = dominantFrequency(note, RATE);
      expect(Math.abs(measured / hz - 1), `note ${k}: ${measured.toFixed(1)} Hz`).toBeLessThan(0.02);
      // A sawtooth has a third of its energy above the 8th harmonic; through a 900 Hz 24 dB/octave
      // lowpass, almost nothing is left above 3 kHz.
      expect(energyAbove(note, 3000), `note ${k}`).toBeLessThan(0.001);
    });
  });

  it('a filter sweep: bright when the LFO is up (1 s), dark when it is down (3 s)', () => {
    const { left } = play('a filter sweep', 4);
    const bright = energyAbove(left.subarray(seconds(0.9), seconds(1.1)), 1000);
    const dark = energyAbove(left.subarray(seconds(2.9), seconds(3.1)), 1000);
    expect(bright).toBeGreaterThan(0.04); // an open sawtooth's share above 1 kHz: ~5 % at 82 Hz
    expect(dark).toBeLessThan(0.001);
    // Through it all the pitch is the saw's, E2.
    expect(
      Math.abs(dominantFrequency(left.subarray(seconds(2.5), seconds(3.5)), RATE) / 82.41 - 1),
    ).toBeLessThan(0.01);
  });

  it('echoes: the blip on the left, its echoes every 0.25 s on the right, each half the one before', () => {
    const { left, right } = play('echoes', 2);
    const hit = (x: Float32Array, t: number) => peak(x.subarray(seconds(t), seconds(t + 0.1)));
    expect(hit(left, 0)).toBeGreaterThan(0.8);
    expect(db(hit(right, 0) / hit(left, 0))).toBeCloseTo(-9.7, 0); // the dry blip is panned left (−0.6)
    expect(peak(right.subarray(seconds(0.07), seconds(0.25)))).toBe(0); // 60 ms, then silence until…
    // Echo k is the blip itself, 0.25·k s (11025·k frames) later, on the right (panned +0.6: the mirror of
    // the dry side, so the same gain): the first as loud as the blip, each after it half the one before.
    for (let k = 1; k <= 4; k++) {
      let error = 0;
      for (let j = 0; j < seconds(0.07); j++)
        error = Math.max(error, Math.abs(right[11025 * k + j] - 0.5 ** (k - 1) * left[j]));
      expect(error, `echo ${k}`).toBeLessThan(1e-5);
    }
  });

  it('a pluck in a room: the arpeggio, then the room ringing on after it in both ears, differently', () => {
    const { left, right } = play('a pluck in a room', 4);
    [392, 523.25, 659.25, 783.99].forEach((hz, k) => {
      const note = left.subarray(seconds(k * 0.5), seconds(k * 0.5 + 0.2));
      expect(Math.abs(dominantFrequency(note, RATE) / hz - 1), `note ${k}`).toBeLessThan(0.02);
    });
    // The last pluck has died by 2.3 s (a 0.25 s fall from 1.5 s); the tail rings on, falling ~24 dB/s (2.5 s).
    const tail = (t: number) => rms(left.subarray(seconds(t), seconds(t + 0.1)));
    expect(tail(2.3)).toBeGreaterThan(0.002);
    expect(db(tail(2.9) / tail(2.3))).toBeGreaterThan(-20);
    expect(db(tail(2.9) / tail(2.3))).toBeLessThan(-10);
    let lr = 0;
    let ll = 0;
    let rr = 0;
    for (let i = seconds(2.1); i < seconds(3); i++) {
      lr += left[i] * right[i];
      ll += left[i] * left[i];
      rr += right[i] * right[i];
    }
    expect(Math.abs(lr / Math.sqrt(ll * rr))).toBeLessThan(0.5); // a wide room from a mono source
  });

  it('evening out a line: notes 18 dB apart in come out less than 6 dB apart', () => {
    const { left } = play('evening out a line', 2);
    // Notes of 0.25 s: loud (−12 dB) at 0 and 1 s, quiet (−30 dB) at 0.25 and 0.75 s; the settled middle.
    const level = (t: number) => rms(left.subarray(seconds(t + 0.1), seconds(t + 0.24)));
    const spread = db(level(1) / level(1.25));
    expect(spread).toBeGreaterThan(0);
    expect(spread).toBeLessThan(6);
  });

  it('a drum loop: kick, snare and hat on their steps, from the sample files, compressed', async () => {
    const { left, r } = await playWithSamples('a drum loop', 2);
    expect(r.s.graph.node('kick').exports).toMatchObject({ File: 'samples/kick.wav', Channels: 1 });
    // The hat on every step: the highs (the signal's first difference) jump at each step.
    const highs = (from: number, to: number) => {
      let sum = 0;
      for (let i = from + 1; i < to; i++) sum += (left[i] - left[i - 1]) ** 2;
      return Math.sqrt(sum / (to - from - 1));
    };
    for (let k = 1; k < 16; k++) {
      const step = Math.ceil((k * RATE) / 8);
      expect(highs(step, step + 400), `step ${k}`).toBeGreaterThan(3 * highs(step - 400, step));
    }
    // The kick's body (48 Hz) is in steps 0 and 6, not 2; the snare's (185 Hz) in step 4.
    const body = (k: number, hz: number) =>
      Math.abs(dominantFrequency(left.subarray(seconds(k / 8 + 0.02), seconds(k / 8 + 0.12)), RATE) / hz - 1);
    expect(body(0, 48)).toBeLessThan(0.1);
    expect(body(6, 48)).toBeLessThan(0.1);
    expect(rms(left.subarray(seconds(2 / 8 + 0.02), seconds(2 / 8 + 0.1)))).toBeLessThan(
      0.3 * rms(left.subarray(seconds(0.02), seconds(0.1))),
    );
    expect(Number(r.s.graph.node('glue').exports['Gain Reduction'] ?? 0)).toBeGreaterThan(0);
  });

  it('a bass line from one sample: the kick’s 48 Hz body at 48, 72, 60 and 96 Hz', async () => {
    const { left } = await playWithSamples('a bass line from one sample', 1);
    [1, 1.5, 1.25, 2].forEach((rate, k) => {
      // The body, after the pitch drop (60 ms at rate 1) and before the next hit.
      const body = left.subarray(seconds(k * 0.25 + 0.08 / rate), seconds(k * 0.25 + 0.24));
      const hz = dominantFrequency(body, RATE);
      expect(Math.abs(hz / (48 * rate) - 1), `hit ${k}: ${hz.toFixed(1)} Hz`).toBeLessThan(0.03);
    });
  });
});

/** Fraction of the energy of `signal` above `hz`. */
function energyAbove(signal: Float32Array, hz: number): number {
  const { magnitudes, binHz } = spectrum(signal, RATE);
  let above = 0;
  let total = 0;
  for (let k = 1; k < magnitudes.length; k++) {
    total += magnitudes[k] ** 2;
    if (k * binHz > hz) above += magnitudes[k] ** 2;
  }
  return above / total;
}
