// docs/sound-design.md promises what its recipes sound like: each patch in it is run as written, rendered
// and listened to (not silent, within 0 dBFS, and what the recipe says: pitch, rhythm, panning).

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { allFinite, dominantFrequency, peak, rms } from '../helpers/analysis.js';
import { RATE, rigsCleanedAfterEachTest } from './render.js';

const doc = readFileSync(new URL('../../docs/sound-design.md', import.meta.url), 'utf8');
/** Each recipe's heading and its patch (the first code block after a `### Recipe:` heading). */
const recipes = new Map(
  [...doc.matchAll(/### Recipe: ([^\n]+)\n[\s\S]*?```\n([\s\S]*?)```/g)].map((m) => [m[1], m[2]]),
);
const make = rigsCleanedAfterEachTest();

function play(recipe: string, seconds: number): { left: Float32Array; right: Float32Array } {
  const script = recipes.get(recipe);
  if (!script) throw new Error(`no recipe "${recipe}" in docs/sound-design.md`);
  const r = make();
  r.s.execute(script);
  r.s.start();
  const frames = seconds * RATE;
  const left = new Float32Array(frames);
  const right = new Float32Array(frames);
  for (let at = 0; at < frames; at += r.s.blockSize) {
    const master = r.s.renderBlock();
    left.set(master.left.subarray(0, Math.min(r.s.blockSize, frames - at)), at);
    right.set(master.right.subarray(0, Math.min(r.s.blockSize, frames - at)), at);
  }
  expect(r.events.filter((e) => e.kind === 'fault' || e.kind === 'warning')).toEqual([]);
  expect(allFinite(left) && allFinite(right)).toBe(true);
  expect(Math.max(peak(left), peak(right)), 'within 0 dBFS').toBeLessThanOrEqual(1);
  expect(rms(left) + rms(right), 'not silent').toBeGreaterThan(0.02);
  return { left, right };
}

const seconds = (s: number) => Math.round(s * RATE);
const db = (x: number) => 20 * Math.log10(x);

describe('docs/sound-design.md recipes', () => {
  it('has the five recipes this test listens to', () => {
    expect([...recipes.keys()]).toEqual([
      'a plucked triangle melody',
      'a noise hi-hat',
      'a random melody (sample and hold, portamento)',
      'auto-pan',
      'a mixer with a crossfade',
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
});
