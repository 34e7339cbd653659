import { describe, expect, it } from 'vitest';
import { noteToFrequency } from '../../src/engine/midi.js';
import { parseMidiBytes } from '../../src/io/midi-host.js';
import { POLYPHONIC_VOICES } from '../../src/nodes/midi/polyphonic-node.js';
import { Synchrotron } from '../../src/synchrotron.js';
import { dominantFrequency, rms, spectrum, zeroCrossingFrequency } from '../helpers/analysis.js';
import { midiEngine, nonZeroFrames, record } from './harness.js';

const ON = 0x90;
const OFF = 0x80;

describe('MidiTriggerNode', () => {
  it('puts a 1 at the exact frame of each note-on, and only there', () => {
    const { engine, midi } = midiEngine({ sampleRate: 48000, blockSize: 128 });
    engine.add('MidiInputNode', 'keys');
    engine.add('MidiTriggerNode', 'trig');
    engine.link('keys.out', 'trig.midi');
    record(engine, 'trig.trigger', 1); // opens the virtual port
    midi.virtualMidi.push([ON, 60, 100], 5000);
    midi.virtualMidi.push([OFF, 60, 0], 5001); // note-offs do not trigger
    midi.virtualMidi.push([ON, 62, 100], 5010); // +10 ms = 480 frames
    midi.virtualMidi.push([ON, 64, 0], 5011); // velocity 0 = note-off
    midi.virtualMidi.push([ON, 64, 90], 5012.5); // +12.5 ms = 600 frames
    const trigger = record(engine, 'trig.trigger', 10);
    expect(nonZeroFrames(trigger)).toEqual([0, 480, 600]);
    expect(trigger[480]).toBe(1);
  });
});

describe('virtual MIDI timing', () => {
  it('maps the sender clock to frames; untimed messages land at frame 0 of the next block', () => {
    const { engine, midi } = midiEngine({ sampleRate: 44100, blockSize: 64 });
    engine.add('MidiInputNode', 'keys');
    engine.add('MidiTriggerNode', 'trig');
    engine.link('keys.out', 'trig.midi');
    record(engine, 'trig.trigger', 3);
    midi.virtualMidi.push([ON, 60, 100]);
    let trigger = record(engine, 'trig.trigger', 2);
    expect(nonZeroFrames(trigger)).toEqual([0]);
    // Timed: the first message anchors at the next block; the rest keep their spacing to the frame,
    // even when they arrive in a later block than the anchor and fall mid-block.
    midi.virtualMidi.push([ON, 60, 100], 100_000);
    trigger = record(engine, 'trig.trigger', 1);
    expect(nonZeroFrames(trigger)).toEqual([0]);
    midi.virtualMidi.push([ON, 61, 100], 100_020); // 20 ms = 882 frames after the anchor (block 0 of 1st)
    midi.virtualMidi.push([ON, 62, 100], 100_030.5); // 1345.05 → 1345
    trigger = record(engine, 'trig.trigger', 40);
    // This recording starts 64 frames after the anchor.
    expect(nonZeroFrames(trigger)).toEqual([882 - 64, 1345 - 64]);
  });

  it('re-anchors when the sender clock jumps, and orders messages by frame within a block', () => {
    const { engine, midi } = midiEngine({ sampleRate: 48000, blockSize: 256 });
    engine.add('MidiInputNode', 'keys');
    engine.add('MonophonicRenderNode', 'mono');
    engine.link('keys.out', 'mono.midi');
    record(engine, 'mono.gate', 1);
    midi.virtualMidi.push([ON, 60, 100], 1000);
    midi.virtualMidi.push([ON, 64, 100], 1002); // 96 frames later
    midi.virtualMidi.push([ON, 67, 100]); // untimed: frame 0, before the timed one at 96
    const frequency = record(engine, 'mono.frequency', 1);
    expect(frequency[0]).toBeCloseTo(noteToFrequency(67), 3);
    expect(frequency[95]).toBeCloseTo(noteToFrequency(67), 3);
    expect(frequency[96]).toBeCloseTo(noteToFrequency(64), 3);
    midi.virtualMidi.push([OFF, 64, 0], 900_000); // the sender's clock jumped 15 minutes
    const after = record(engine, 'mono.frequency', 1);
    expect(after[0]).toBeCloseTo(noteToFrequency(67), 3);
  });

  it('refuses bytes that are not MIDI with a clear error, without throwing inside the renderer', () => {
    const { midi } = midiEngine();
    expect(() => parseMidiBytes([0x90, 300, 1])).toThrow(/byte 1 must be an integer 0…255/);
    expect(() => parseMidiBytes([60, 100])).toThrow(/status byte was expected/);
    expect(() => parseMidiBytes([0x90, 60])).toThrow(/lacks its data bytes/);
    expect(midi.virtualMidi.push([60, 100])).toEqual({
      taken: 0,
      error: expect.stringMatching(/status byte/),
    });
    expect(midi.virtualMidi.push([0x90, 60, 1], Number.NaN).error).toMatch(/finite number of ms/);
    // Running status, a real-time byte (a MIDI clock, carried for clock sync) in between, velocity-0 note-offs.
    expect(midi.virtualMidi.push([0x90, 60, 100, 64, 100, 0xf8, 0x80, 60, 0])).toEqual({ taken: 4 }); // the clock too
  });
});

describe('MidiInputNode', () => {
  it('lists the virtual port first, reports a missing hardware port cleanly, and switches ports', () => {
    // hardware: true probes @julusian/midi, which on a machine without ALSA throws: caught, no ports.
    const { engine, midi, events } = midiEngine({ hardware: true });
    expect(midi.midiPorts()[0]).toBe('Synchrotron virtual');
    engine.addValue(midi.midiPorts().length, 'port'); // one past the last port
    engine.add('MidiInputNode', 'keys');
    engine.add('MidiTriggerNode', 'trig');
    engine.link('keys.out', 'trig.midi');
    engine.link('port.out', 'keys.port');
    expect(engine.graph.node('keys').exports['Available Ports']).toEqual(midi.midiPorts());
    record(engine, 'trig.trigger', 2);
    const warning = events.find((e) => e.kind === 'warning');
    expect(warning?.kind === 'warning' && warning.message).toMatch(
      /no MIDI port \d+ is open \(available: 0 "Synchrotron virtual"/,
    );
    expect(engine.graph.node('keys').exports['Selected Port']).toBe(null);
    midi.virtualMidi.push([ON, 60, 100]);
    expect(nonZeroFrames(record(engine, 'trig.trigger', 2))).toEqual([]);

    engine.setValue('port', 0);
    record(engine, 'trig.trigger', 1);
    expect(engine.graph.node('keys').exports['Selected Port']).toBe('Synchrotron virtual');
    midi.virtualMidi.push([ON, 60, 100]);
    expect(nonZeroFrames(record(engine, 'trig.trigger', 2))).toEqual([0]);

    engine.setValue('port', 'virtual'); // by (part of) its name
    record(engine, 'trig.trigger', 1);
    expect(engine.graph.node('keys').exports['Selected Port']).toBe('Synchrotron virtual');
    expect(midi.virtualMidi.listeners.size).toBe(1); // the old one was closed
    engine.remove('keys');
    record(engine, 'trig.trigger', 1);
    expect(midi.virtualMidi.listeners.size).toBe(0);
  });

  it('says "no MIDI ports" on an engine without MIDI, and the graph keeps rendering', () => {
    const engine = new Synchrotron({ sampleRate: 48000, blockSize: 128 });
    const warnings: string[] = [];
    engine.onEvent((e) => e.kind === 'warning' && warnings.push(e.message));
    engine.add('MidiInputNode', 'keys');
    engine.addValue(440, 'f');
    engine.add('SineNode', 'sine');
    engine.add('PlaybackNode', 'out');
    engine.link('f.out', 'sine.frequency');
    engine.link('sine.out', 'out.left');
    const { left } = engine.renderFrames(4800);
    expect(warnings).toEqual([
      'no MIDI ports: this engine has no MIDI input (no virtual port and no device)',
    ]);
    expect(engine.graph.node('keys').exports).toEqual({ 'Available Ports': [], 'Selected Port': null });
    expect(zeroCrossingFrequency(left, 48000)).toBeCloseTo(440, 0);
  });
});

describe('MidiTranspositionNode', () => {
  it('shifts notes, passes other messages, ends the note it started, drops notes outside 0…127', () => {
    const { engine, midi } = midiEngine({ sampleRate: 48000, blockSize: 128 });
    engine.add('MidiInputNode', 'keys');
    engine.addValue(12, 'shift');
    engine.add('MidiTranspositionNode', 'tr');
    engine.add('MonophonicRenderNode', 'mono');
    engine.add('SineNode', 'sine');
    engine.link('keys.out', 'tr.midi');
    engine.link('shift.out', 'tr.transposition');
    engine.link('tr.out', 'mono.midi');
    engine.link('mono.frequency', 'sine.frequency');
    record(engine, 'sine.out', 1);
    midi.virtualMidi.push([ON, 57, 100]); // A3 + 12 = A4
    const sound = record(engine, 'sine.out', 200);
    expect(zeroCrossingFrequency(sound.subarray(1000), 48000)).toBeCloseTo(440, 0);

    engine.setValue('shift', -5); // transposition changes while the note is held
    record(engine, 'mono.frequency', 1); // (a data change glides over one block)
    midi.virtualMidi.push([ON, 60, 100]); // C4 - 5 = G3
    let frequency = record(engine, 'mono.frequency', 2);
    expect(frequency[200]).toBeCloseTo(noteToFrequency(55), 3);
    midi.virtualMidi.push([OFF, 57, 0]); // ends A4 (69), not 52: G3 stays
    frequency = record(engine, 'mono.frequency', 2);
    expect(frequency[200]).toBeCloseTo(noteToFrequency(55), 3);
    midi.virtualMidi.push([OFF, 60, 0]);
    frequency = record(engine, 'mono.frequency', 2);
    expect(frequency[200]).toBe(0);

    engine.setValue('shift', 40);
    record(engine, 'mono.frequency', 1);
    midi.virtualMidi.push([ON, 100, 100]); // 140: out of range, dropped
    midi.virtualMidi.push([0xb0, 123, 0]); // a control change passes through (all notes off)
    frequency = record(engine, 'mono.frequency', 2);
    expect(frequency[200]).toBe(0);
    midi.virtualMidi.push([OFF, 100, 0]);
    midi.virtualMidi.push([ON, 80, 100]); // 120 is fine
    frequency = record(engine, 'mono.frequency', 2);
    expect(frequency[200]).toBeCloseTo(noteToFrequency(120), 1);
    expect(rms(record(engine, 'sine.out', 20))).toBeGreaterThan(0.5);
  });
});

describe('MonophonicRenderNode', () => {
  it('plays the last held note, returns to the previous one on release, 0 and gate 0 when all are up', () => {
    const { engine, midi } = midiEngine({ sampleRate: 48000, blockSize: 128 });
    engine.add('MidiInputNode', 'keys');
    engine.add('MonophonicRenderNode', 'mono');
    engine.link('keys.out', 'mono.midi');
    record(engine, 'mono.frequency', 1);
    const step = (bytes: number[]) => {
      midi.virtualMidi.push(bytes);
      engine.renderBlock();
      const f = engine.renderer.streamOutput({ node: 'mono', port: 'frequency' })!;
      const g = engine.renderer.streamOutput({ node: 'mono', port: 'gate' })!;
      const v = engine.renderer.streamOutput({ node: 'mono', port: 'velocity' })!;
      return { frequency: f[64], gate: g[64], velocity: v[64] };
    };
    expect(step([ON, 60, 127])).toEqual({ frequency: expect.closeTo(261.626, 2), gate: 1, velocity: 1 });
    expect(step([ON, 64, 100]).frequency).toBeCloseTo(329.628, 2);
    expect(step([ON, 69, 64]).frequency).toBe(440);
    expect(step([OFF, 69, 0]).frequency).toBeCloseTo(329.628, 2); // back to E
    expect(step([OFF, 60, 0]).frequency).toBeCloseTo(329.628, 2); // releasing an older note changes nothing
    expect(step([ON, 67, 0])).toMatchObject({ gate: 1 }); // velocity 0 of a note not held: nothing
    expect(step([OFF, 64, 0])).toEqual({ frequency: 0, gate: 0, velocity: 0 });
  });

  it('changes at the exact frame of the message', () => {
    const { engine, midi } = midiEngine({ sampleRate: 48000, blockSize: 512 });
    engine.add('MidiInputNode', 'keys');
    engine.add('MonophonicRenderNode', 'mono');
    engine.link('keys.out', 'mono.midi');
    record(engine, 'mono.gate', 1);
    midi.virtualMidi.push([ON, 69, 100], 0);
    midi.virtualMidi.push([OFF, 69, 0], 5); // 240 frames
    const gate = record(engine, 'mono.gate', 1);
    expect(nonZeroFrames(gate)).toEqual(Array.from({ length: 240 }, (_, i) => i));
  });
});

describe('PolyphonicNode', () => {
  function chordPatch() {
    const { engine, midi } = midiEngine({ sampleRate: 48000, blockSize: 128 });
    engine.add('MidiInputNode', 'keys');
    engine.add('PolyphonicNode', 'poly');
    engine.link('keys.out', 'poly.midi');
    engine.add('PlaybackNode', 'out');
    for (let v = 1; v <= POLYPHONIC_VOICES; v++) {
      engine.add('SineNode', `sine${v}`);
      engine.add('MultiplyNode', `amp${v}`);
      engine.link(`poly.frequency${v}`, `sine${v}.frequency`);
      engine.link(`sine${v}.out`, `amp${v}.a`);
      engine.link(`poly.gate${v}`, `amp${v}.b`);
    }
    // amp1 + amp2 → sum12; amp3 + amp4 → sum34; both into the left channel via a final add.
    engine.add('AddNode', 'sum12');
    engine.add('AddNode', 'sum34');
    engine.add('AddNode', 'sum');
    engine.link('amp1.out', 'sum12.a');
    engine.link('amp2.out', 'sum12.b');
    engine.link('amp3.out', 'sum34.a');
    engine.link('amp4.out', 'sum34.b');
    engine.link('sum12.out', 'sum.a');
    engine.link('sum34.out', 'sum.b');
    engine.link('sum.out', 'out.left');
    engine.renderBlock();
    return { engine, midi };
  }

  /** The strongest local maxima of the spectrum, in Hz, strongest first. */
  function peaks(signal: Float32Array, sampleRate: number, count: number): number[] {
    const { magnitudes, binHz } = spectrum(signal, sampleRate);
    const found: Array<{ hz: number; magnitude: number }> = [];
    for (let i = 2; i < magnitudes.length - 1; i++) {
      if (magnitudes[i] > magnitudes[i - 1] && magnitudes[i] >= magnitudes[i + 1]) {
        const a = Math.log(magnitudes[i - 1]);
        const b = Math.log(magnitudes[i]);
        const c = Math.log(magnitudes[i + 1]);
        found.push({ hz: (i + (0.5 * (a - c)) / (a - 2 * b + c)) * binHz, magnitude: magnitudes[i] });
      }
    }
    found.sort((x, y) => y.magnitude - x.magnitude);
    const max = found[0]?.magnitude ?? 0;
    return found
      .filter((p) => p.magnitude > max / 10)
      .slice(0, count)
      .map((p) => p.hz);
  }

  it('sounds a chord as a chord: three voices at the right frequencies (FFT)', () => {
    const { engine, midi } = chordPatch();
    midi.virtualMidi.push([ON, 60, 100, ON, 64, 100, ON, 67, 100]);
    const { left } = engine.renderFrames(48000);
    const found = peaks(left.subarray(4800), 48000, 4).sort((a, b) => a - b);
    expect(found).toHaveLength(3);
    for (const [i, note] of [60, 64, 67].entries()) {
      expect(Math.abs(found[i] - noteToFrequency(note))).toBeLessThan(0.5);
    }
    // Gates: three voices held, the fourth free.
    engine.renderBlock();
    const gates = [1, 2, 3, 4].map(
      (v) => engine.renderer.streamOutput({ node: 'poly', port: `gate${v}` })![0],
    );
    expect(gates.sort()).toEqual([0, 1, 1, 1]);
  });

  it('releases the voice of the released note, reuses free voices, steals the oldest when full', () => {
    const { engine, midi } = chordPatch();
    midi.virtualMidi.push([ON, 60, 100, ON, 64, 100, ON, 67, 100, ON, 71, 100]);
    engine.renderFrames(4800);
    midi.virtualMidi.push([OFF, 64, 0]);
    let { left } = engine.renderFrames(48000);
    let found = peaks(left.subarray(4800), 48000, 4).sort((a, b) => a - b);
    expect(found.map(Math.round)).toEqual([60, 67, 71].map((n) => Math.round(noteToFrequency(n))));
    midi.virtualMidi.push([ON, 72, 100, ON, 76, 100]); // one free voice (E's), then steal C (the oldest)
    ({ left } = engine.renderFrames(48000));
    found = peaks(left.subarray(4800), 48000, 5).sort((a, b) => a - b);
    expect(found.map(Math.round)).toEqual([67, 71, 72, 76].map((n) => Math.round(noteToFrequency(n))));
    expect(dominantFrequency(left, 48000)).toBeGreaterThan(300);
  });

  it('puts a trigger on the voice at the frame its note starts', () => {
    const { engine, midi } = chordPatch();
    midi.virtualMidi.push([ON, 60, 100], 0);
    midi.virtualMidi.push([ON, 64, 100], 1); // +48 frames
    engine.renderBlock();
    const t1 = engine.renderer.streamOutput({ node: 'poly', port: 'trigger1' })!;
    const t2 = engine.renderer.streamOutput({ node: 'poly', port: 'trigger2' })!;
    expect([nonZeroFrames(t1), nonZeroFrames(t2)]).toEqual([[0], [48]]);
    engine.renderBlock();
    expect(nonZeroFrames(t1).length + nonZeroFrames(t2).length).toBe(0);
  });
});
