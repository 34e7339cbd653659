// The original users' example patches, run unchanged through Synchrolang and the engine, and listened to.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { allFinite, dominantFrequency, rms } from '../helpers/analysis.js';
import { acLevel, RATE, rigsCleanedAfterEachTest, strongestAbove } from './render.js';

const EXAMPLES = join(import.meta.dirname, '..', '..', 'examples');

const trackedRig = rigsCleanedAfterEachTest();

/** Runs a patch file and renders `seconds`; returns the master mix and the rig. */
function play(file: string, seconds = 5, also: string[] = [], allowWarnings = false) {
  const r = trackedRig();
  r.s.execute(readFileSync(join(EXAMPLES, file), 'utf8'));
  r.s.start();
  const frames = seconds * RATE;
  const left = new Float32Array(frames);
  const right = new Float32Array(frames);
  const captured = also.map(() => new Float32Array(frames));
  const block = r.s.blockSize;
  for (let at = 0; at < frames; at += block) {
    const master = r.s.renderBlock();
    const n = Math.min(block, frames - at);
    left.set(master.left.subarray(0, n), at);
    right.set(master.right.subarray(0, n), at);
    also.forEach((port, i) => {
      const [node, name] = port.split('.');
      captured[i].set(r.s.renderer.streamOutput({ node, port: name })!.subarray(0, n), at);
    });
  }
  r.s.stop();
  expect(r.events.filter((e) => e.kind === 'fault' || (e.kind === 'warning' && !allowWarnings))).toEqual([]);
  return { left, right, captured, r };
}

const near = (measured: number, expected: number) => Math.abs(measured / expected - 1) < 0.005;

describe('original example patches', () => {
  it('megalovania.syn: the melody, one note every 0.4 s (17640 frames), first note 293.66 Hz', () => {
    const notes = [
      293.66, 293.66, 587.33, 0, 440, 440, 0, 415.3, 0, 392, 0, 349.23, 349.23, 293.66, 349.23, 392,
    ];
    const { left, right, captured } = play('megalovania.syn', 5, ['_galcu.out']);
    expect(allFinite(left)).toBe(true);
    expect(right.every((x, i) => x === left[i])).toBe(true);
    expect(rms(left)).toBeGreaterThan(0.3);
    // The sequence changes only at step times k·17640.
    const sequence = captured[0];
    for (let i = 1; i < sequence.length; i++) if (sequence[i] !== sequence[i - 1]) expect(i % 17640).toBe(0);
    // Each note sounds at its frequency; in rests (frequency 0) the sine holds still.
    for (let k = 0; k < 12; k++) {
      const note = left.subarray(k * 17640 + 64, (k + 1) * 17640);
      if (notes[k] === 0) {
        expect(acLevel(note.subarray(256)), `rest ${k}`).toBeLessThan(0.01);
      } else {
        const hz = dominantFrequency(note, RATE);
        expect(near(hz, notes[k]), `note ${k}: ${hz.toFixed(2)} Hz, expected ${notes[k]}`).toBe(true);
      }
    }
  });

  it('pwm.syn: a 440 Hz pulse whose width sweeps, on both channels', () => {
    const { left, right } = play('pwm.syn');
    expect(allFinite(left)).toBe(true);
    expect(right.every((x, i) => x === left[i])).toBe(true);
    expect(rms(left)).toBeGreaterThan(0.5);
    expect(near(strongestAbove(left, RATE), 440)).toBe(true);
    // The width changes: the mean (2·duty − 1) follows the 0.2 Hz sine between 0.51 and 0.99 duty.
    const means = [0, 1, 2, 3, 4].map(
      (s) => left.subarray(s * RATE, (s + 1) * RATE).reduce((a, x) => a + x, 0) / RATE,
    );
    expect(Math.max(...means) - Math.min(...means)).toBeGreaterThan(0.2);
  });

  it('pwm_plus.syn: 440 Hz, tremolo at 1.5 Hz, right channel inverted', () => {
    const { left, right } = play('pwm_plus.syn');
    expect(allFinite(left) && allFinite(right)).toBe(true);
    expect(rms(left)).toBeGreaterThan(0.3);
    expect(near(strongestAbove(left, RATE), 440)).toBe(true);
    for (let i = 0; i < left.length; i += 1001) expect(right[i]).toBeCloseTo(-left[i], 5);
    // Tremolo: the level rises and falls between 0.5 and 1 (0.75 ± 0.25).
    const levels = Array.from({ length: 30 }, (_, k) => rms(left.subarray(k * 7350, (k + 1) * 7350)));
    expect(Math.max(...levels) / Math.min(...levels)).toBeGreaterThan(1.5);
  });

  it('pwm_plus_notes.syn: the clocked sequence 440, 660, 880 Hz, one note a second', () => {
    const { left } = play('pwm_plus_notes.syn');
    expect(allFinite(left)).toBe(true);
    expect(rms(left)).toBeGreaterThan(0.3);
    const expected = [440, 660, 880, 440, 660];
    for (let s = 0; s < 5; s++) {
      const hz = strongestAbove(left.subarray(s * RATE + 512, (s + 1) * RATE), RATE);
      expect(near(hz, expected[s]), `second ${s}: ${hz.toFixed(2)} Hz, expected ${expected[s]}`).toBe(true);
    }
  });

  it('midi_in.syn: builds and renders silence without a MIDI device', () => {
    const { left, r } = play('midi_in.syn', 1, [], true);
    expect(allFinite(left)).toBe(true);
    // Port 1 does not exist here: a warning says so; nothing faults.
    expect(r.events.some((e) => e.kind === 'warning' || e.kind === 'exports')).toBe(true);
    expect(rms(left)).toBe(0);
    expect(r.s.graph.size).toBe(5);
  });
});
