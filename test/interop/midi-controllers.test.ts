// MidiCCNode, MidiClockNode, MidiClockOutNode and MidiOutputNode, offline and frame-exact, through the
// real Node host's virtual MIDI ports (in: timed pushes; out: what clients would read).

import { describe, expect, it } from 'vitest';
import { midiEngine, nonZeroFrames, record } from '../midi/harness.js';

const CC = 0xb0;
const ON = 0x90;
const OFF = 0x80;

describe('MidiCCNode', () => {
  it('takes the first value at its frame, then glides linearly over 5 ms to each new one', () => {
    const { engine, midi } = midiEngine({ sampleRate: 48000, blockSize: 128 });
    engine.add('MidiInputNode', 'keys');
    engine.add('MidiCCNode', 'knob');
    engine.addValue(74, 'number');
    engine.link('keys.out', 'knob.midi');
    engine.link('number.out', 'knob.controller');
    record(engine, 'knob.out', 1); // opens the port; anchors land at frame 128
    midi.virtualMidi.push([CC, 74, 127], 1000); // frame 128: the first value, taken at once
    midi.virtualMidi.push([CC, 1, 10], 1001); // another controller: ignored
    midi.virtualMidi.push([CC | 3, 74, 0], 1010); // frame 128 + 480: glides to 0 over 240 frames
    const out = record(engine, 'knob.out', 10);
    const at = (frame: number) => out[frame - 128];
    expect(out[0]).toBe(1);
    expect(at(128 + 479)).toBe(1);
    expect(at(128 + 480)).toBeCloseTo(1 - 1 / 240, 6);
    expect(at(128 + 600)).toBeCloseTo(1 - 121 / 240, 5);
    expect(at(128 + 480 + 239)).toBe(0);
    // Linear: equal steps all along the glide; never a jump larger than one step.
    let largest = 0;
    for (let i = 1; i < out.length; i++) largest = Math.max(largest, Math.abs(out[i] - out[i - 1]));
    expect(largest).toBeCloseTo(1 / 240, 6);
  });

  it('listens to one channel when asked (1…16), any channel with 0', () => {
    const { engine, midi } = midiEngine({ sampleRate: 48000, blockSize: 64 });
    engine.add('MidiInputNode', 'keys');
    engine.add('MidiCCNode', 'knob');
    engine.addValue(2, 'channel');
    engine.link('keys.out', 'knob.midi');
    engine.link('channel.out', 'knob.channel');
    record(engine, 'knob.out', 1);
    midi.virtualMidi.push([CC | 0, 1, 64]); // channel 1: not ours
    expect(record(engine, 'knob.out', 4).every((x) => x === 0)).toBe(true);
    midi.virtualMidi.push([CC | 1, 1, 127]); // channel 2
    expect(record(engine, 'knob.out', 1)[0]).toBe(1);
  });

  it('clamps an out-of-range controller and channel to their ranges, as the ports declare', () => {
    const { engine, midi, events } = midiEngine({ sampleRate: 48000, blockSize: 64 });
    engine.add('MidiInputNode', 'keys');
    engine.add('MidiCCNode', 'knob');
    engine.addValue(300, 'number'); // → 127
    engine.addValue(40, 'channel'); // → 16
    engine.link('keys.out', 'knob.midi');
    engine.link('number.out', 'knob.controller');
    engine.link('channel.out', 'knob.channel');
    record(engine, 'knob.out', 1);
    midi.virtualMidi.push([CC | 14, 127, 127]); // channel 15: not ours
    midi.virtualMidi.push([CC | 15, 126, 127]); // controller 126: not ours
    expect(record(engine, 'knob.out', 2).every((x) => x === 0)).toBe(true);
    midi.virtualMidi.push([CC | 15, 127, 127]); // controller 127 on channel 16
    expect(record(engine, 'knob.out', 1)[0]).toBe(1);
    engine.setValue('number', -5); // → 0 (bank select)
    engine.setValue('channel', -1); // → 0: any channel
    midi.virtualMidi.push([CC | 3, 0, 0]);
    expect(record(engine, 'knob.out', 10).at(-1)).toBe(0);
    expect(events.filter((e) => e.kind === 'fault')).toEqual([]);
  });
});

describe('MidiClockNode', () => {
  const TICK_MS = 1000 / 48; // 120 bpm at 48 kHz: a clock every 1000 frames

  it('ticks at each clock frame while running, measures the tempo, follows Stop and Continue', () => {
    const { engine, midi } = midiEngine({ sampleRate: 48000, blockSize: 256 });
    engine.add('MidiInputNode', 'keys');
    engine.add('MidiClockNode', 'clock');
    engine.link('keys.out', 'clock.midi');
    record(engine, 'clock.tick', 1); // frame 256 is where the first timed message lands
    const t0 = 5000;
    for (let k = 0; k < 4; k++) midi.virtualMidi.push([0xf8], t0 + k * TICK_MS); // before Start: no ticks
    midi.virtualMidi.push([0xfa], t0 + 3.5 * TICK_MS);
    for (let k = 4; k < 10; k++) midi.virtualMidi.push([0xf8], t0 + k * TICK_MS);
    midi.virtualMidi.push([0xfc], t0 + 9.5 * TICK_MS);
    midi.virtualMidi.push([0xf8], t0 + 10 * TICK_MS);
    midi.virtualMidi.push([0xf2, 8, 0], t0 + 10.2 * TICK_MS); // Song Position: bar 3 (8 sixteenths)
    midi.virtualMidi.push([0xfb], t0 + 10.5 * TICK_MS); // Continue
    midi.virtualMidi.push([0xf8], t0 + 11 * TICK_MS);
    const tick = record(engine, 'clock.tick', 60);
    // Offsets from frame 256, where the first timed message landed.
    expect(nonZeroFrames(tick)).toEqual([4000, 5000, 6000, 7000, 8000, 9000, 11000]);
    expect(engine.renderer.dataOutput({ node: 'clock', port: 'tempo' })).toBe(120);
    expect(engine.renderer.dataOutput({ node: 'clock', port: 'running' })).toBe(1);
    midi.virtualMidi.push([0xfc]);
    record(engine, 'clock.tick', 1);
    expect(engine.renderer.dataOutput({ node: 'clock', port: 'running' })).toBe(0);
  });
});

describe('MidiClockNode following a change of tempo', () => {
  it("measures the DAW's new tempo within a beat of clocks, and ticks at every clock", () => {
    const { engine, midi } = midiEngine({ sampleRate: 48000, blockSize: 128 });
    engine.add('MidiInputNode', 'keys');
    engine.add('MidiClockNode', 'clock');
    engine.link('keys.out', 'clock.midi');
    record(engine, 'clock.tick', 1);
    const t0 = 5000;
    const slow = 1000 / 48; // 120 bpm
    const fast = 60_000 / 140 / 24; // 140 bpm
    midi.virtualMidi.push([0xfa], t0);
    let t = t0;
    for (let k = 0; k < 30; k++, t += slow) midi.virtualMidi.push([0xf8], t);
    const change = t;
    for (let k = 0; k < 30; k++, t += fast) midi.virtualMidi.push([0xf8], t);
    // Up to the 25th clock at the new tempo: a beat of new intervals.
    const blocks = Math.ceil(((change - t0 + 24.5 * fast) * 48) / 128);
    const ticks = nonZeroFrames(record(engine, 'clock.tick', blocks));
    expect(ticks).toHaveLength(30 + 25);
    expect(engine.renderer.dataOutput({ node: 'clock', port: 'tempo' })).toBeCloseTo(140, 1);
  });
});

describe('MidiClockOutNode → MidiOutputNode (virtual port)', () => {
  it('sends 24 clocks a beat on the engine grid, Start on the next beat, Stop when switched off', () => {
    const { engine, midi } = midiEngine({ sampleRate: 44100, blockSize: 128 });
    engine.addValue(0, 'run');
    engine.add('MidiClockOutNode', 'clock');
    engine.add('MidiOutputNode', 'out');
    engine.add('TransportNode', 'transport');
    engine.link('run.out', 'clock.run');
    engine.link('clock.midi', 'out.midi');
    record(engine, 'transport.beat', 100); // 12800 frames, run off: nothing sent
    expect(midi.virtualMidiOut.drain().messages).toEqual([]);
    engine.setValue('run', 1); // at frame 12800: Start waits for beat 1 (frame 22050)
    const beats = nonZeroFrames(record(engine, 'transport.beat', 600)).map((frame) => frame + 12800);
    const sent = midi.virtualMidiOut.drain().messages;
    expect(sent[0]).toEqual({ frame: 22050, data: [0xfa] });
    const clocks = sent.filter((m) => m.data[0] === 0xf8).map((m) => m.frame);
    // Clock k after Start at the first frame at or after k·918.75 frames (120 bpm: 22050 / 24).
    expect(clocks.slice(0, 5)).toEqual([22050, 22969, 23888, 24807, 25725]);
    expect(clocks.filter((_, k) => k % 24 === 0)).toEqual(beats.filter((frame) => frame >= 22050));
    engine.setValue('run', 0);
    record(engine, 'transport.beat', 1);
    expect(midi.virtualMidiOut.drain().messages).toEqual([{ frame: 12800 + 600 * 128, data: [0xfc] }]);
  });
});

describe('MidiOutputNode', () => {
  it('sends what it receives at its frames, and releases held notes when removed', () => {
    const { engine, midi, events } = midiEngine({ sampleRate: 48000, blockSize: 128 });
    engine.add('MidiInputNode', 'keys');
    engine.add('MidiOutputNode', 'out');
    engine.link('keys.out', 'out.midi');
    engine.renderBlock(); // opens both ports; timed input lands from frame 128
    midi.virtualMidi.push([ON, 60, 100], 2000);
    midi.virtualMidi.push([ON | 1, 64, 90], 2010); // +480 frames, channel 2
    midi.virtualMidi.push([OFF, 60, 0], 2020);
    midi.virtualMidi.push([0xc0, 5], 2021); // program change: two bytes
    for (let b = 0; b < 10; b++) engine.renderBlock();
    expect(midi.virtualMidiOut.drain().messages).toEqual([
      { frame: 128, data: [ON, 60, 100] },
      { frame: 608, data: [ON | 1, 64, 90] },
      { frame: 1088, data: [OFF, 60, 0] },
      { frame: 1136, data: [0xc0, 5] },
    ]);
    engine.remove('out'); // E4 on channel 2 is still held: released
    engine.renderBlock();
    expect(midi.virtualMidiOut.drain().messages).toEqual([{ frame: 11 * 128, data: [OFF | 1, 64, 0] }]);
    expect(engine.graph.nodes().length).toBe(1);
    expect(events.filter((e) => e.kind === 'fault')).toEqual([]);
  });

  it('lists the virtual output first and reports a port that does not exist', () => {
    const { engine, midi, events } = midiEngine();
    engine.addValue(5, 'port');
    engine.add('MidiOutputNode', 'out');
    expect(engine.graph.node('out').exports['Available Ports']).toEqual(['Synchrotron virtual']);
    engine.link('port.out', 'out.port');
    engine.renderBlock();
    expect(engine.graph.node('out').exports['Selected Port']).toBeNull();
    expect(
      events.some(
        (e) =>
          e.kind === 'warning' && /no MIDI output 5 \(available: 0 "Synchrotron virtual"\)/.test(e.message),
      ),
    ).toBe(true);
    engine.setValue('port', 'virtual'); // a part of a name
    engine.renderBlock();
    expect(engine.graph.node('out').exports['Selected Port']).toBe('Synchrotron virtual');
    expect(midi.midiOutputPorts()).toEqual(['Synchrotron virtual']);
  });
});
