// The engine tempo and TransportNode, offline and frame-exact; `tempo` in Synchrolang.

import { describe, expect, it } from 'vitest';
import { complete, tokenize } from '../../src/lang/index.js';
import { Synchrotron } from '../../src/synchrotron.js';
import { midiEngine, nonZeroFrames, record } from '../midi/harness.js';

function transportRig(blockSize = 128, sampleRate = 44100) {
  const s = new Synchrotron({ sampleRate, blockSize });
  s.add('TransportNode', 'transport');
  return s;
}

describe('TransportNode on the engine tempo', () => {
  it('beats at k·22050 exactly at 120 bpm and 44.1 kHz, for any block size, over a long run', () => {
    for (const blockSize of [16, 128, 4096]) {
      const s = transportRig(blockSize);
      const frames = 200 * 22050; // 200 beats, 100 s
      const beats = nonZeroFrames(
        record(s, 'transport.beat', Math.ceil(frames / blockSize)).subarray(0, frames),
      );
      expect(beats.length, `block size ${blockSize}`).toBe(200);
      expect(beats).toEqual(beats.map((_, k) => k * 22050));
    }
  });

  it('a tempo change lands at a block boundary and continues from the current phase', () => {
    const s = transportRig(128);
    const before = record(s, 'transport.beat', 235); // frames 0 … 30079
    expect(nonZeroFrames(before)).toEqual([0, 22050]);
    expect(s.setTempo(240)).toBe(240); // as `tempo 240` in Synchrolang
    expect(s.execute('tempo').text).toBe('tempo 240 bpm');
    // At frame 30080 the position is 30080/22050 beats; the rest of beat 2 is (44100 − 30080)/22050 beats,
    // which at 240 bpm (11025 frames a beat) takes 7010 frames.
    const after = record(s, 'transport.beat', 400);
    const frames = nonZeroFrames(after).map((frame) => frame + 30080);
    expect(frames).toEqual([37090, 48115, 59140, 70165, 81190]);
    expect(s.renderer.dataOutput({ node: 'transport', port: 'bpm' })).toBe(240);
  });

  it('every TransportNode beats together, wherever it was added; position counts beats to 1/24', () => {
    const s = transportRig(64);
    record(s, 'transport.beat', 1000); // 64000 frames: position 2.90…
    s.add('TransportNode', 'late');
    const late = record(s, 'late.beat', 1000);
    // The late node's first beat is the engine's beat 3 (frame 66150), not the frame it was added at.
    expect(nonZeroFrames(late).map((frame) => frame + 64000)).toEqual([66150, 88200, 110250]);
    const position = s.renderer.dataOutput({ node: 'late', port: 'position' }) as number;
    // At the start of the last block (frame 127936) the position is 5.802… beats: 5 + 19/24 to 1/24.
    expect(position).toBe(5 + 19 / 24);
    expect(s.renderer.dataOutput({ node: 'late', port: 'bpm' })).toBe(120);
  });
});

describe('tempo in Synchrolang', () => {
  it('sets and reads the tempo (case-insensitive keyword, $tempo), all or nothing, and exports it', () => {
    const s = new Synchrotron();
    expect(s.execute('$tempo').results[0].value).toBe(120);
    expect(s.execute('TEMPO 128.5').results[0]).toMatchObject({ command: 'tempo', value: 128.5 });
    expect(s.execute('tempo').text).toBe('tempo 128.5 bpm');
    expect(s.execute('new $tempo t').results[0].value).toMatchObject({ name: 't' });
    expect(s.graph.node('t').value).toBe(128.5);
    // A failing script leaves the tempo as it was.
    expect(() => s.execute('tempo 90\nnew NoSuchNode x')).toThrow(/NoSuchNode/);
    expect(s.graph.tempo).toBe(128.5);
    expect(s.export()).toMatch(/^tempo 128\.5;\nnew 128\.5 t;\n$/);
    const copy = new Synchrotron();
    copy.execute(s.export());
    expect(copy.graph.tempo).toBe(128.5);
  });

  it('refuses a tempo out of range or not a number, saying where and what is allowed', () => {
    const s = new Synchrotron();
    expect(() => s.execute('new 1 a\ntempo 0')).toThrow(
      /line 2, column 7: tempo 0 bpm is out of range: 20…999 bpm/,
    );
    expect(() => s.execute('tempo "fast"')).toThrow(/a tempo is a number of beats per minute \(20…999\)/);
    expect(() => s.execute('tempo ->')).toThrow(
      /expected a tempo in beats per minute \(e\.g\. `tempo 128`\)/,
    );
    expect(s.graph.tempo).toBe(120);
    expect(s.graph.size).toBe(0);
  });

  it('keeps `tempo` contextual: a node may be called tempo', () => {
    const s = new Synchrotron();
    s.execute('new SineNode tempo\nnew PlaybackNode out\nlink tempo.out -> out.left');
    expect(s.graph.connections()).toHaveLength(1);
    expect(s.execute('eval tempo').results[0].kind).toBe('node');
  });

  it('is known to highlighting and completion', () => {
    const s = new Synchrotron();
    expect(tokenize('tempo 128').find((t) => t.text === 'tempo')?.kind).toBe('keyword');
    expect(complete('tem', 3, s.graph).map((c) => c.label)).toContain('tempo');
    expect(complete('tempo $te', 9, s.graph).map((c) => c.label)).toEqual(['$tempo']);
  });
});

describe('TransportNode following MIDI clock', () => {
  // 48 kHz and 120 bpm: one clock every 1000 frames (20.8333 ms).
  const TICK_MS = 1000 / 48;

  it('beats on every 24th clock from Start, measures the tempo and stops with Stop', () => {
    const { engine, midi } = midiEngine({ sampleRate: 48000, blockSize: 128 });
    engine.add('MidiInputNode', 'keys');
    engine.add('TransportNode', 'transport');
    engine.link('keys.out', 'transport.midi');
    record(engine, 'transport.beat', 1); // opens the virtual port; the engine grid beat at frame 0
    const t0 = 10_000;
    midi.virtualMidi.push([0xfa], t0); // Start: anchors at frame 128 (the next block)
    for (let k = 0; k < 60; k++) midi.virtualMidi.push([0xf8], t0 + k * TICK_MS);
    midi.virtualMidi.push([0xfc], t0 + 59.5 * TICK_MS); // Stop after 60 clocks
    for (let k = 60; k < 80; k++) midi.virtualMidi.push([0xf8], t0 + k * TICK_MS); // clock while stopped
    const beats = nonZeroFrames(record(engine, 'transport.beat', 700)).map((frame) => frame + 128);
    expect(beats).toEqual([128, 128 + 24_000, 128 + 48_000]);
    expect(engine.renderer.dataOutput({ node: 'transport', port: 'bpm' })).toBe(120);
    expect(engine.renderer.dataOutput({ node: 'transport', port: 'position' })).toBe(60 / 24);
    // Unlinked, it follows the engine tempo again.
    engine.unlink('keys.out', 'transport.midi');
    const again = nonZeroFrames(record(engine, 'transport.beat', 200));
    expect(again.length).toBeGreaterThan(0);
  });

  it('resumes with Continue from where Song Position put it: a beat on the clock that starts a beat', () => {
    const { engine, midi } = midiEngine({ sampleRate: 48000, blockSize: 128 });
    engine.add('MidiInputNode', 'keys');
    engine.add('TransportNode', 'transport');
    engine.link('keys.out', 'transport.midi');
    record(engine, 'transport.beat', 1);
    const t0 = 10_000; // lands at frame 128; clock k at 128 + 1000·k
    midi.virtualMidi.push([0xfa], t0);
    for (let k = 0; k <= 60; k++) midi.virtualMidi.push([0xf8], t0 + k * TICK_MS); // DAWs clock on when stopped
    midi.virtualMidi.push([0xfc], t0 + 29.5 * TICK_MS); // Stop after 30 clocks (position 30)
    midi.virtualMidi.push([0xf2, 8, 0], t0 + 30.2 * TICK_MS); // Song Position: 8 sixteenths = beat 2
    midi.virtualMidi.push([0xfb], t0 + 30.5 * TICK_MS); // Continue: clock 31 plays position 48
    const first = nonZeroFrames(record(engine, 'transport.beat', 237)).map((frame) => frame + 128);
    // Between Song Position and Continue: position is where Continue resumes.
    expect(engine.renderer.dataOutput({ node: 'transport', port: 'position' })).toBe(2);
    const rest = nonZeroFrames(record(engine, 'transport.beat', 300)).map((frame) => frame + 128 + 237 * 128);
    expect([...first, ...rest]).toEqual([128, 128 + 24_000, 128 + 31_000, 128 + 55_000]);
    expect(engine.renderer.dataOutput({ node: 'transport', port: 'position' })).toBe(78 / 24);
    expect(engine.renderer.dataOutput({ node: 'transport', port: 'bpm' })).toBe(120);
  });
});
