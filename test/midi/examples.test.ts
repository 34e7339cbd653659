// The MIDI example patches, played through the virtual port and measured offline.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { noteToFrequency } from '../../src/engine/midi.js';
import { peak, rms, spectrum } from '../helpers/analysis.js';
import { midiEngine } from './harness.js';

const RATE = 48000;

function load(name: string) {
  // The examples' folder is the root, as `synchrotron render`/`check` make it: chord.syn names its voice
  // patch (chord-voice.syn) relative to its own folder.
  const root = fileURLToPath(new URL('../../examples/midi/', import.meta.url));
  const { engine, midi, events } = midiEngine({ sampleRate: RATE, blockSize: 128, root });
  engine.execute(readFileSync(new URL(`../../examples/midi/${name}`, import.meta.url), 'utf8'));
  engine.renderBlock(); // opens the virtual port
  return { engine, midi, events };
}

/** Frequencies of the strongest spectral peaks below `maxHz`, ascending. */
function fundamentals(signal: Float32Array, count: number, maxHz: number): number[] {
  const { magnitudes, binHz } = spectrum(signal, RATE);
  const found: Array<{ hz: number; m: number }> = [];
  for (let i = 2; i < Math.min(magnitudes.length - 1, maxHz / binHz); i++) {
    if (magnitudes[i] > magnitudes[i - 1] && magnitudes[i] >= magnitudes[i + 1]) {
      const a = Math.log(magnitudes[i - 1]);
      const b = Math.log(magnitudes[i]);
      const c = Math.log(magnitudes[i + 1]);
      found.push({ hz: (i + (0.5 * (a - c)) / (a - 2 * b + c)) * binHz, m: magnitudes[i] });
    }
  }
  return found
    .sort((x, y) => y.m - x.m)
    .slice(0, count)
    .map((p) => p.hz)
    .sort((a, b) => a - b);
}

describe('examples/midi/keyboard.syn', () => {
  it('sounds the held note, returns to the previous one, and is silent once every key is up', () => {
    const { engine, midi, events } = load('keyboard.syn');
    expect(events.filter((e) => e.kind === 'fault')).toEqual([]);
    expect(peak(engine.renderFrames(4800).left)).toBe(0); // nothing held: silence

    midi.virtualMidi.push([0x90, 57, 100]); // A3
    let { left } = engine.renderFrames(RATE / 4);
    expect(peak(left)).toBeGreaterThan(0.1);
    expect(peak(left)).toBeLessThanOrEqual(0.35);
    expect(fundamentals(left, 1, 300)[0]).toBeCloseTo(220, 0);

    midi.virtualMidi.push([0x90, 64, 100]); // E4 on top: last-note priority
    ({ left } = engine.renderFrames(RATE / 4));
    expect(fundamentals(left, 1, 400)[0]).toBeCloseTo(noteToFrequency(64), 0);

    midi.virtualMidi.push([0x80, 64, 0]); // back to A3 (held all along)
    ({ left } = engine.renderFrames(RATE / 8));
    expect(fundamentals(left, 1, 300)[0]).toBeCloseTo(220, 0);

    midi.virtualMidi.push([0x80, 57, 0]);
    engine.renderBlock();
    expect(peak(engine.renderFrames(4800).left)).toBe(0);
  });
});

describe('examples/midi/chord.syn', () => {
  it('is a VoicesNode patch of a dozen commands or fewer', () => {
    const text = readFileSync(new URL('../../examples/midi/chord.syn', import.meta.url), 'utf8');
    const commands = text.split('\n').filter((line) => line.trim() !== '' && !line.trim().startsWith('//'));
    expect(commands.length).toBeLessThanOrEqual(12);
    expect(text).toContain('VoicesNode');
  });

  it('sounds a chord as a chord: three voices at the notes’ frequencies', () => {
    const { engine, midi, events } = load('chord.syn');
    expect(events.filter((e) => e.kind === 'fault')).toEqual([]);
    midi.virtualMidi.push([0x90, 60, 100, 0x90, 64, 100, 0x90, 67, 100]); // C major
    const { left, right } = engine.renderFrames(RATE / 2);
    expect(left).toEqual(right);
    expect(peak(left)).toBeLessThan(1);
    const found = fundamentals(left.subarray(0, 16384), 3, 450);
    expect(found.map((hz) => Math.round(hz))).toEqual([262, 330, 392]);
    midi.virtualMidi.push([0x80, 60, 0, 0x80, 64, 0, 0x80, 67, 0]);
    engine.renderBlock();
    // The release (0.3 s) fades the chord out; then its voices are idle and the output is exactly silent.
    const tail = engine.renderFrames(RATE / 2).left;
    expect(rms(tail.subarray(0, 4800))).toBeGreaterThan(0);
    expect(rms(tail.subarray(0, 4800))).toBeLessThan(rms(left.subarray(RATE / 4)));
    expect(rms(engine.renderFrames(4800).left)).toBe(0);
  });
});
