// examples/instruments: the subtractive, FM and sampler voices played by tune.mid through a VoicesNode, as a user
// runs them (`synchrotron render examples/instruments/play-fm.syn`), and measured.

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { noteToFrequency } from '../../src/engine/midi.js';
import type { RenderEvent } from '../../src/engine/renderer.js';
import { createNodeHost } from '../../src/io/node-host.js';
import { Synchrotron } from '../../src/synchrotron.js';
import {
  allFinite,
  bandPowerDb,
  dominantFrequency,
  peak,
  rms,
  spectrum,
  welch,
} from '../helpers/analysis.js';

const RATE = 44100;
const FOLDER = fileURLToPath(new URL('../../examples/instruments/', import.meta.url));

function engine() {
  const host = createNodeHost({ root: FOLDER, midi: { hardware: false } });
  const s = new Synchrotron({ sampleRate: RATE, blockSize: 128, host });
  const events: RenderEvent[] = [];
  s.onEvent((event) => events.push(event));
  return { s, host, events };
}

/** Runs an example player as `synchrotron render` does (its folder as the root, files read first). */
async function render(name: string, seconds: number) {
  const { s, events } = engine();
  s.execute(readFileSync(`${FOLDER}${name}`, 'utf8'));
  await s.ready();
  s.start();
  const out = s.renderSeconds(seconds);
  return { s, out, events };
}

const dominant = (signal: Float32Array) => dominantFrequency(signal, RATE);

/** Magnitude (linear) at `hz`: the largest bin within ±2 bins. */
function at(signal: Float32Array, hz: number): number {
  const { magnitudes, binHz } = spectrum(signal, RATE);
  const k = Math.round(hz / binHz);
  return Math.max(...magnitudes.slice(k - 2, k + 3));
}

describe('examples/instruments', () => {
  for (const voice of ['subtractive', 'fm', 'sampler']) {
    it(`play-${voice}.syn: tune.mid's first chord and melody note sound, in time, finite and below full scale`, async () => {
      const { s, out, events } = await render(`play-${voice}.syn`, 2);
      expect(events.filter((e) => e.kind === 'fault' || e.kind === 'warning')).toEqual([]);
      expect(out.left).toEqual(out.right);
      expect(allFinite(out.left)).toBe(true);
      expect(peak(out.left)).toBeLessThan(1);
      // C major (C3 C4 E4 G4) under C5 for the first beat (0.5 s at 120 bpm).
      const first = out.left.subarray(2048, 2048 + 16384);
      const floor = at(first, 200); // between the notes
      for (const note of [48, 60, 64, 67, 72])
        expect(at(first, noteToFrequency(note)), `note ${note}`).toBeGreaterThan(10 * floor);
      // The second chord (A minor: A2 A3 C4 E4) from 1 s: A2 sounds, C3 does not any more.
      const second = out.left.subarray(RATE + 4096, RATE + 4096 + 16384);
      expect(at(second, noteToFrequency(45))).toBeGreaterThan(10 * at(second, noteToFrequency(48)));
      expect(s.graph.node('poly').exports['Voices Sounding']).toBeGreaterThan(1); // polyphony
      s.dispose();
    });
  }

  it('subtractive.syn: the ladder filter takes the top off the saw; `cutoff` is shared by every voice', async () => {
    const closed = await render('play-subtractive.syn', 2);
    const open = engine();
    open.s.execute(
      `${readFileSync(`${FOLDER}play-subtractive.syn`, 'utf8')}\nnew 18000 open\nlink open.out -> poly.cutoff`,
    );
    await open.s.ready();
    const bright = open.s.renderSeconds(2);
    const tilt = (signal: Float32Array) => {
      const { power, binHz } = welch(signal, RATE, 4096);
      return bandPowerDb(power, binHz, 5000, 10000) - bandPowerDb(power, binHz, 100, 1000);
    };
    // A sawtooth loses 6 dB an octave; the 4-pole ladder at 1.8 kHz takes ≥ 24 dB an octave more above it.
    expect(tilt(closed.out.left) - tilt(bright.left)).toBeLessThan(-25);
    closed.s.dispose();
    open.s.dispose();
  });

  it('fm.syn: ratio 2 gives odd harmonics only; the brightness envelope mellows the tone', async () => {
    const { s, host } = engine();
    s.execute(
      'new MidiInputNode keys\nnew VoicesNode(patch: "fm.syn", voices: 2) poly\nlink keys.out -> poly.midi\nnew PlaybackNode speakers\nlink poly.left -> speakers.left',
    );
    s.renderBlock(); // opens the virtual port
    host.virtualMidi.push([0x90, 57, 127]); // A3, 220 Hz
    const attack = s.renderFrames(8192).left;
    const sustained = s.renderFrames(RATE).left.subarray(RATE - 16384);
    for (const signal of [attack, sustained]) {
      const fundamental = at(signal, 220);
      for (const odd of [660, 1100]) expect(at(signal, odd)).toBeGreaterThan(0.02 * fundamental);
      for (const even of [440, 880, 1320]) expect(at(signal, even)).toBeLessThan(0.01 * fundamental);
    }
    // Index 3 at the attack, 3 × 0.3 once the brightness envelope has decayed: fewer, weaker sidebands.
    const relative = (signal: Float32Array, hz: number) => at(signal, hz) / at(signal, 220);
    expect(relative(sustained, 1100)).toBeLessThan(0.3 * relative(attack, 1100));
    expect(rms(sustained)).toBeGreaterThan(0.1);
    s.dispose();
  });

  it('sampler.syn: tine.wav (C4) played at each note’s pitch; each note starts the sample again', async () => {
    const { s, host } = engine();
    s.execute(
      'new MidiInputNode keys\nnew VoicesNode(patch: "sampler.syn", voices: 4) poly\nlink keys.out -> poly.midi\nnew PlaybackNode speakers\nlink poly.left -> speakers.left',
    );
    await s.ready(); // every voice's SamplerNode has read and decoded tine.wav
    s.renderBlock();
    host.virtualMidi.push([0x90, 69, 127]); // A4: the C4 sample at rate 440 / 261.63
    const a4 = s.renderFrames(8192).left;
    expect(Math.abs(dominant(a4) - 440)).toBeLessThan(3);
    host.virtualMidi.push([0x80, 69, 0, 0x90, 48, 127]); // C3: an octave below the sample
    s.renderFrames(2048); // A4's release
    const c3 = s.renderFrames(8192).left;
    expect(Math.abs(dominant(c3) - noteToFrequency(48))).toBeLessThan(2);
    expect(peak(c3)).toBeGreaterThan(0.3);
    s.dispose();
  });
});
