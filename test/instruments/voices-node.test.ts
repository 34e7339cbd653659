// VoicesNode (SPEC §7): a voice patch played polyphonically from MIDI — measured: chords, notes to the
// frame, frequency held through the release, stealing without a jump, tails, idle voices, sustain pedal,
// pitch bend, MPE, shared inlets, limits.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type DataInput, data, defineNode, midi } from '../../src/engine/definition.js';
import { noteToFrequency } from '../../src/engine/midi.js';
import { setWasmKernelsEnabled } from '../../src/engine/wasm/kernels.js';
import { createNodeHost } from '../../src/io/node-host.js';
import { Synchrotron } from '../../src/synchrotron.js';
import { maxStep, peak, rms, spectrum } from '../helpers/analysis.js';
import { LOUD_VOICE } from '../helpers/voice-patches.js';
import { RATE, type Rig, rigsCleanedAfterEachTest } from '../nodes/render.js';

/**
 * Test-only MIDI source: `events` is a list of [frame, status, data1, data2] at absolute frames (the
 * engine's clock); each message lands in its block at its frame.
 */
const ScriptedMidiNode = defineNode({
  type: 'ScriptedMidiNode',
  category: 'debug',
  description: 'Test source: MIDI messages at given absolute frames.',
  inputs: { events: data('[[frame, status, data1, data2], …]', { default: [] }) },
  outputs: { out: midi('The messages of this block.') },
  create(ctx, io) {
    return {
      process(frames) {
        const out = io.outputs.out.buf;
        out.clear();
        const events = (io.inputs.events as DataInput).value as number[][];
        const start = ctx.clock.frames;
        for (const [frame, status, d1, d2] of events)
          if (frame >= start && frame < start + frames) out.push(frame - start, status, d1, d2);
      },
    };
  },
});

const make = (() => {
  const rigs = rigsCleanedAfterEachTest();
  return (blockSize = 128) => rigs(blockSize, { types: [ScriptedMidiNode] });
})();

/** The voice's gate, frequency, velocity, pressure and bend, on outlets of their own (plus `out` = gate). */
const PROBE = `new InletNode frequency
new InletNode gate
new InletNode velocity
new InletNode pressure
new InletNode bend
new OutletNode out
link gate.out -> out.input
`;

/** A sine voice with an ADSR (release 0.1 s) and velocity. */
const SINE_VOICE = `new InletNode frequency
new InletNode gate
new InletNode velocity
new SineNode osc
new ADSRNode(attack: 0.005, decay: 0.05, sustain: 0.8, release: 0.1) env
new MultiplyNode vca
new MultiplyNode amp
new OutletNode out
link frequency.out -> osc.frequency
link gate.out -> env.gate
link osc.out -> vca.a
link env.envelope -> vca.b
link vca.out -> amp.a
link velocity.out -> amp.b
link amp.out -> out.input
`;

function play(r: Rig, voice: string, events: number[][], options = 'voices: 4') {
  writeFileSync(join(r.root, 'voice.syn'), voice);
  r.s.execute(
    `new VoicesNode(patch: "voice.syn", ${options}) poly\nnew ScriptedMidiNode keys\nlink keys.out -> poly.midi`,
  );
  r.s.setValue(r.s.graph.sourceOf({ node: 'keys', port: 'events' })?.source.node ?? addEvents(r), events);
}

function addEvents(r: Rig): string {
  r.s.addValue([], 'events');
  r.s.link('events.out', 'keys.events');
  return 'events';
}

const on = (frame: number, note: number, velocity = 100, channel = 0) => [
  frame,
  0x90 | channel,
  note,
  velocity,
];
const off = (frame: number, note: number, channel = 0) => [frame, 0x80 | channel, note, 0];

/** Frequencies of the strongest spectral peaks, ascending. */
function peaks(signal: Float32Array, count: number): number[] {
  const { magnitudes, binHz } = spectrum(signal, RATE);
  const found: Array<{ hz: number; m: number }> = [];
  for (let i = 2; i < magnitudes.length - 1; i++) {
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

describe('VoicesNode: notes', () => {
  it('a chord sounds as a chord: every fundamental present', () => {
    const r = make();
    play(r, SINE_VOICE, [on(0, 60), on(0, 64), on(0, 67)]);
    const [left, right] = r.capture(['poly.left', 'poly.right'], RATE);
    expect(right).toEqual(left); // a voice with `out` feeds both sides
    const found = peaks(left.subarray(4096), 3);
    [60, 64, 67].forEach((note, i) => {
      expect(Math.abs(found[i] - noteToFrequency(note))).toBeLessThan(0.5);
    });
    expect(peak(left)).toBeLessThan(3 * (100 / 127)); // three voices at velocity 100, the envelope's peak 1
  });

  it('notes start and end at their frame, for any block size; frequency and velocity hold through the release', () => {
    for (const blockSize of [16, 64, 128, 1024]) {
      const r = make(blockSize);
      writeFileSync(join(r.root, 'probe.syn'), PROBE.replace('link gate.out -> out.input\n', ''));
      writeFileSync(
        join(r.root, 'voice.syn'),
        'new InletNode gate\nnew InletNode frequency\nnew OutletNode left\nnew OutletNode right\nlink gate.out -> left.input\nlink frequency.out -> right.input\n',
      );
      r.s.execute(
        'new VoicesNode(patch: "voice.syn", voices: 2) poly\nnew ScriptedMidiNode keys\nlink keys.out -> poly.midi',
      );
      addEvents(r);
      r.s.setValue('events', [on(1000, 69, 64), off(3001, 69)]);
      const [gate, frequency] = r.capture(['poly.left', 'poly.right'], 4096);
      expect(gate[999]).toBe(0);
      expect(gate[1000]).toBe(1);
      expect(gate[3000]).toBe(1);
      expect(gate[3001]).toBe(0);
      expect(frequency[1000]).toBeCloseTo(440, 3);
      expect(frequency[4095]).toBeCloseTo(440, 3); // held through the release
      r.cleanup();
    }
  });

  it('velocity, pressure and bend reach the voice at their frames; pitch bend over bendRange', () => {
    const r = make();
    writeFileSync(
      join(r.root, 'voice.syn'),
      `${PROBE}new OutletNode(kind: "stream") v\nlink velocity.out -> v.input\n`.replace(
        'new OutletNode out\nlink gate.out -> out.input\n',
        'new OutletNode left\nnew OutletNode right\nlink frequency.out -> left.input\nlink velocity.out -> right.input\n',
      ),
    );
    r.s.execute(
      'new VoicesNode(patch: "voice.syn", voices: 2, bendRange: 12) poly\nnew ScriptedMidiNode keys\nlink keys.out -> poly.midi',
    );
    addEvents(r);
    // Note A4 at velocity 127; bend fully up at frame 500 (an octave with bendRange 12), centre at 700.
    r.s.setValue('events', [on(100, 69, 127), [500, 0xe0, 0x7f, 0x7f], [700, 0xe0, 0x00, 0x40]]);
    const [frequency, velocity] = r.capture(['poly.left', 'poly.right'], 1024);
    expect(velocity[100]).toBe(1);
    expect(frequency[499]).toBeCloseTo(440, 3);
    expect(frequency[500]).toBeCloseTo(880, 2);
    expect(frequency[699]).toBeCloseTo(880, 2);
    expect(frequency[700]).toBeCloseTo(440, 3);
  });

  it("a held note's inlets are exact at every frame through bends within and across blocks, any block size", () => {
    // The bank writes only the frames of a driven inlet whose value changed: a stale frame would show here.
    const bends: Array<[number, number]> = [
      [500, 880],
      [700, 440],
      [1023, 880],
      [1024, 440],
      [1500, 880],
      [2047, 440],
    ];
    for (const blockSize of [16, 128, 1024]) {
      const r = make(blockSize);
      writeFileSync(
        join(r.root, 'voice.syn'),
        'new InletNode frequency\nnew InletNode velocity\nnew OutletNode left\nnew OutletNode right\nlink frequency.out -> left.input\nlink velocity.out -> right.input\n',
      );
      r.s.execute(
        'new VoicesNode(patch: "voice.syn", voices: 1, bendRange: 12) poly\nnew ScriptedMidiNode keys\nlink keys.out -> poly.midi',
      );
      addEvents(r);
      const up = [0x7f, 0x7f];
      const centre = [0x00, 0x40];
      r.s.setValue('events', [
        on(100, 69, 127),
        ...bends.map(([frame, hz]) => [frame, 0xe0, ...(hz === 880 ? up : centre)]),
      ]);
      const [frequency, velocity] = r.capture(['poly.left', 'poly.right'], 3072);
      let wrong = 0;
      for (let i = 0; i < 3072; i++) {
        let hz = i < 100 ? 0 : 440;
        for (const [frame, value] of bends) if (i >= frame) hz = value;
        if (Math.abs(frequency[i] - hz) > 1e-3 * hz || velocity[i] !== (i < 100 ? 0 : 1)) wrong++;
      }
      expect(wrong, `block size ${blockSize}`).toBe(0);
      r.cleanup();
    }
  });

  it('sustain pedal (CC 64) holds released notes until it is lifted, at that frame', () => {
    const r = make();
    play(r, PROBE, [on(100, 60), [200, 0xb0, 64, 127], off(300, 60), [900, 0xb0, 64, 0]]);
    const [gate] = r.capture(['poly.left'], 1024);
    expect(gate[299]).toBe(1);
    expect(gate[300]).toBe(1); // held by the pedal
    expect(gate[899]).toBe(1);
    expect(gate[900]).toBe(0);
  });

  it('MPE: pitch bend and pressure per channel reach only that channel’s voice', () => {
    const r = make();
    writeFileSync(
      join(r.root, 'voice.syn'),
      'new InletNode frequency\nnew InletNode pressure\nnew InletNode gate\nnew OutletNode left\nnew OutletNode right\nlink frequency.out -> left.input\nlink pressure.out -> right.input\n',
    );
    r.s.execute(
      'new VoicesNode(patch: "voice.syn", voices: 4, bendRange: 48) poly\nnew ScriptedMidiNode keys\nlink keys.out -> poly.midi',
    );
    addEvents(r);
    // Two notes, one per member channel (2 and 3); bend channel 2 by +12 semitones, press channel 3.
    const bendUp12 = Math.round(8192 + (12 / 48) * 8191);
    r.s.setValue('events', [
      on(0, 60, 100, 1),
      on(0, 64, 100, 2),
      [256, 0xe1, bendUp12 & 0x7f, bendUp12 >> 7],
      [256, 0xd2, 127, 0],
    ]);
    const [frequencies, pressures] = r.capture(['poly.left', 'poly.right'], 512);
    const c4 = noteToFrequency(60);
    const e4 = noteToFrequency(64);
    expect(frequencies[255]).toBeCloseTo(c4 + e4, 2);
    const semitones = ((bendUp12 - 8192) / 8191) * 48;
    expect(semitones).toBeCloseTo(12, 2);
    expect(frequencies[256]).toBeCloseTo(c4 * 2 ** (semitones / 12) + e4, 2);
    expect(pressures[255]).toBe(0);
    expect(pressures[256]).toBe(1); // only channel 3's voice is pressed: the sum is 1
  });
});

describe('VoicesNode: stealing, tails, idle voices', () => {
  it('a stolen voice fades out within 5 ms before its new note: no jump larger than the signal’s own', () => {
    const steal = 22100; // A3 and E4 are mid-cycle here: cutting either dead would jump by ~0.5
    for (const policy of ['oldest', 'quietest']) {
      const r = make();
      // Two voices held (A3 at velocity 100, E4 at 60); a third note (C5) must steal one of them.
      play(r, SINE_VOICE, [on(0, 57), on(0, 64, 60), on(steal, 72)], `voices: 2, steal: "${policy}"`);
      const [left] = r.capture(['poly.left'], RATE);
      // The signal's own largest step: each note's sine at its envelope's peak (1) and its velocity.
      const slope = (note: number, velocity: number) =>
        ((2 * Math.PI * noteToFrequency(note)) / RATE) * (velocity / 127);
      const own = slope(57, 100) + slope(64, 60) + slope(72, 100);
      expect(maxStep(left.subarray(steal - 128, steal + 2048))).toBeLessThanOrEqual(own);
      const after = peaks(left.subarray(26000), 2).map(Math.round);
      // `oldest` steals A3 (struck first); `quietest` the softer E4.
      expect(after).toEqual(policy === 'oldest' ? [330, 523] : [220, 523]);
      r.cleanup();
    }
  });

  it('a stealing note starts when the stolen voice has faded, 5 ms (220 frames) after its message', () => {
    const r = make();
    play(r, PROBE, [on(0, 60), on(0, 62), on(1000, 64)], 'voices: 2');
    const [gates] = r.capture(['poly.left'], 2048);
    // The stolen voice's gate falls at its message and its output fades out (gain 1 → 0 over 220 frames);
    // the new note's gate rises 220 frames later, faded back in over the next 220.
    expect(gates[999]).toBe(2);
    expect(gates[1000]).toBe(1);
    expect(gates[1219]).toBe(1);
    expect(gates[1220]).toBe(1); // its gate is 1 from here, at gain 0
    expect(gates[1221]).toBeGreaterThan(1);
    expect(gates[1330]).toBeCloseTo(1.5, 1);
    expect(gates[1440]).toBe(2);
  });

  it('steal "none" drops a note when every voice is held; released voices are always taken', () => {
    const r = make();
    play(
      r,
      PROBE,
      [on(0, 60), on(0, 62), on(500, 64), off(600, 60), on(700, 65)],
      'voices: 2, steal: "none"',
    );
    const [gates] = r.capture(['poly.left'], 2048);
    expect(gates[499]).toBe(2);
    expect(gates[500]).toBe(2); // E4 dropped
    expect(gates[600]).toBe(1); // C4 released
    // F4 takes C4's released voice, which sounded in its last block: after its 5 ms fade (220 frames),
    // then faded back in.
    expect(gates[919]).toBe(1);
    expect(gates[921]).toBeGreaterThan(1);
    expect(gates[1140]).toBe(2);
  });

  it('release tails continue after note-off; a silent released voice goes idle and costs nothing', () => {
    const r = make();
    play(r, SINE_VOICE, [on(0, 69), off(8820, 69)]);
    const [left] = r.capture(['poly.left'], RATE / 2);
    expect(rms(left.subarray(8820, 8820 + 1764))).toBeGreaterThan(0.05); // the first 40 ms of the tail
    expect(rms(left.subarray(8820 + 4410 + 441, 8820 + 4410 + 882))).toBeLessThan(1e-3); // 0.1 s release done
    const sounding = () => r.s.graph.node('poly').exports['Voices Sounding'];
    expect(sounding()).toBe(0); // idle after −90 dB for 50 ms
    r.s.setValue('events', [on(r.s.frames + 256, 60)]);
    r.capture(['poly.left'], RATE / 5);
    expect(sounding()).toBe(1);
  });
});

describe('VoicesNode: ports and limits', () => {
  it('other inlets of the voice patch become shared ports of the VoicesNode', () => {
    const r = make();
    writeFileSync(
      join(r.root, 'voice.syn'),
      'new InletNode gate\nnew InletNode(default: 0.25) level\nnew MultiplyNode vca\nlink gate.out -> vca.a\nlink level.out -> vca.b\nnew OutletNode out\nlink vca.out -> out.input\n',
    );
    r.s.execute(
      'new VoicesNode(patch: "voice.syn", voices: 3) poly\nnew ScriptedMidiNode keys\nlink keys.out -> poly.midi',
    );
    addEvents(r);
    expect(Object.keys(r.s.graph.node('poly').inputs)).toEqual([
      'patch',
      'voices',
      'steal',
      'midi',
      'bendRange',
      'level',
    ]);
    r.s.setValue('events', [on(0, 60), on(0, 64)]);
    expect(r.capture(['poly.left'], 256)[0][255]).toBeCloseTo(0.5, 6); // two voices × the default 0.25
    r.s.execute('new 0.1 level; link level.out -> poly.level');
    r.capture(['poly.left'], 256);
    expect(r.capture(['poly.left'], 256)[0][255]).toBeCloseTo(0.2, 6);
    // The voices' inlets copy a constant input only when it changed: every change still arrives, whole.
    for (const level of [0.3, 0.25, 0.25, 0.1]) {
      r.s.setValue('level', level);
      r.capture(['poly.left'], 256);
      const block = r.capture(['poly.left'], 256)[0];
      expect(Math.min(...block)).toBeCloseTo(2 * level, 6);
      expect(Math.max(...block)).toBeCloseTo(2 * level, 6);
    }
  });

  it('a voice idle while a shared input changed plays the new value when it sounds again', () => {
    // The VoicesNode writes a changed constant into idle voices' inlets too (it then skips them all while
    // the value holds), so the next note on a voice idle during the change starts at the new value.
    const r = make();
    writeFileSync(
      join(r.root, 'voice.syn'),
      'new InletNode gate\nnew InletNode(default: 0.25) level\nnew MultiplyNode vca\nlink gate.out -> vca.a\nlink level.out -> vca.b\nnew OutletNode out\nlink vca.out -> out.input\n',
    );
    r.s.execute(
      'new VoicesNode(patch: "voice.syn", voices: 1) poly\nnew ScriptedMidiNode keys\nlink keys.out -> poly.midi\nnew 0.25 level\nlink level.out -> poly.level',
    );
    addEvents(r);
    r.s.setValue('events', [on(0, 60), off(1024, 60)]);
    expect(r.capture(['poly.left'], 1024)[0][1000]).toBeCloseTo(0.25, 6);
    r.capture(['poly.left'], RATE / 5); // released and silent: idle
    expect(r.s.graph.node('poly').exports['Voices Sounding']).toBe(0);
    r.s.setValue('level', 0.4);
    r.capture(['poly.left'], 512);
    r.s.setValue('events', [on(r.s.frames, 62)]);
    const block = r.capture(['poly.left'], 512)[0];
    expect(Math.max(...block)).toBeCloseTo(0.4, 6);
    expect(block[511]).toBeCloseTo(0.4, 6);
  });

  it('refuses clashing inlets, a voice patch without outlets, bad voice counts, and patch bombs', () => {
    const r = make();
    writeFileSync(join(r.root, 'clash.syn'), 'new InletNode steal\nnew OutletNode out\n');
    writeFileSync(join(r.root, 'mute.syn'), 'new InletNode gate\n');
    writeFileSync(join(r.root, 'data.syn'), 'new InletNode(kind: "data") gate\nnew OutletNode out\n');
    writeFileSync(join(r.root, 'voice.syn'), SINE_VOICE);
    expect(() => r.s.execute('new VoicesNode(patch: "clash.syn") p')).toThrow(
      /inlet `steal` of clash\.syn clashes with the VoicesNode's own input `steal`/,
    );
    expect(() => r.s.execute('new VoicesNode(patch: "mute.syn") p')).toThrow(
      /needs stream outlets `left` and `right`, or `out`/,
    );
    expect(() => r.s.execute('new VoicesNode(patch: "data.syn") p')).toThrow(
      /`gate` .* must be a stream inlet/,
    );
    expect(() => r.s.execute('new VoicesNode(patch: "voice.syn", voices: 129) p')).toThrow(
      /whole number from 1 to 128/,
    );
    const limited = new Synchrotron({ host: createNodeHost({ root: r.root }), limits: { maxNodes: 500 } });
    limited.execute('new VoicesNode(patch: "voice.syn", voices: 16) ok'); // 1 + 16 × 8
    expect(limited.graph.expandedSize).toBe(129);
    expect(() => limited.execute('new VoicesNode(patch: "voice.syn", voices: 128) bomb')).toThrow(
      /too many nodes.*--max-nodes/,
    );
    expect(() => limited.execute('new 128 n; link n.out -> ok.voices')).toThrow(/too many nodes/);
    expect(limited.graph.expandedSize).toBe(129);
    limited.dispose();
  });

  it('128 voices: the expanded count includes every voice; idle voices are skipped', () => {
    const r = make();
    play(r, SINE_VOICE, [on(0, 60), on(0, 64), on(0, 67), on(0, 71)], 'voices: 128');
    expect(r.s.graph.node('poly').weight).toBe(1 + 128 * 8);
    const [left] = r.capture(['poly.left'], RATE / 4);
    const found = peaks(left.subarray(2048), 4);
    [60, 64, 67, 71].forEach((note, i) => {
      expect(Math.abs(found[i] - noteToFrequency(note))).toBeLessThan(1);
    });
    expect(r.s.graph.node('poly').exports['Voices Sounding']).toBe(4);
  });
});

describe('VoicesNode: reload', () => {
  const levelled = (level: number) =>
    SINE_VOICE.replace(
      'new OutletNode out\n',
      `new OutletNode out\nnew ${level} level\nnew MultiplyNode trim\n`,
    ).replace(
      'link amp.out -> out.input\n',
      'link amp.out -> trim.a\nlink level.out -> trim.b\nlink trim.out -> out.input\n',
    );

  it('a sounding voice keeps its state through a reload of its patch: no click, phase continuous', () => {
    const r = make();
    play(r, levelled(1), [on(0, 69)], 'voices: 4');
    r.s.execute('new 440 f; new SineNode reference; link f.out -> reference.frequency');
    const before = r.capture(['poly.left', 'reference.out'], 100 * 128 + 128); // mid-cycle, in the sustain
    writeFileSync(join(r.root, 'voice.syn'), levelled(0.5));
    expect(r.s.execute('reload').text).toBe('reloaded 1 node: poly');
    const after = r.capture(['poly.left', 'reference.out'], 8192);
    const joined = new Float32Array(before[0].length + after[0].length);
    joined.set(before[0]);
    joined.set(after[0], before[0].length);
    const sustain = 0.8 * (100 / 127);
    expect(maxStep(joined.subarray(4096))).toBeLessThanOrEqual(((2 * Math.PI * 440) / RATE) * sustain);
    // After the level's one-block glide: the same sine, at half the level, in phase with the reference.
    let difference = 0;
    for (let i = 256; i < after[0].length; i++)
      difference = Math.max(difference, Math.abs(after[0][i] - 0.5 * sustain * after[1][i]));
    expect(difference).toBeLessThan(1e-5);
  });
});

describe('VoicesNode: a voice that goes non-finite', () => {
  // LOUD_VOICE: the quiet note stays finite, the loud one overflows float32 to ±Infinity. That voice's node
  // is muted and the voice adds nothing, while the quiet voice plays on — with the kernels (the mix in one
  // SIMD call) and without them (the JS loop), the same.
  for (const kernels of [true, false]) {
    it(`mutes only that voice's node, reports it, and the mix stays finite (kernels ${kernels ? 'on' : 'off'})`, () => {
      setWasmKernelsEnabled(kernels);
      try {
        const r = make();
        play(r, LOUD_VOICE, [on(0, 57, 1), on(4410, 69, 127)]);
        const [left] = r.capture(['poly.left'], RATE / 2);
        expect(left.every(Number.isFinite)).toBe(true);
        // The quiet voice sounds before the loud note and goes on after it.
        expect(peak(left.subarray(0, 4410))).toBeGreaterThan(1e37);
        expect(peak(left.subarray(RATE / 4))).toBeGreaterThan(1e37);
        const faults = r.events.filter((event) => event.kind === 'fault');
        expect(faults.length).toBe(1);
        expect(faults[0].message).toContain('NaN or Infinity');
      } finally {
        setWasmKernelsEnabled(true);
      }
    });
  }
});

describe('VoicesNode: voices rendered together (one kernel call per segment, ladders in SIMD lanes)', () => {
  // The subtractive voice of bench/instruments.ts, its ladder near self-oscillation (small differences
  // would grow). Seven voices: lanes of four, then three; notes start, stop and steal at odd frames; the
  // shared cutoff is constant (ladders in lanes) or swept at audio rate (each ladder alone, per frame).
  const LADDER_VOICE = `new InletNode frequency
new InletNode gate
new InletNode velocity
new InletNode(default: 1800) cutoff
new InletNode(default: 0.9) resonance
new SawtoothNode osc
new LadderFilterNode filter
new ADSRNode(attack: 0.005, decay: 0.02, sustain: 0.6, release: 0.05) env
new MultiplyNode vca
new MultiplyNode amp
new OutletNode out
link frequency.out -> osc.frequency
link osc.out -> filter.input
link cutoff.out -> filter.cutoff
link resonance.out -> filter.resonance
link gate.out -> env.gate
link filter.out -> vca.a
link env.envelope -> vca.b
link vca.out -> amp.a
link velocity.out -> amp.b
link amp.out -> out.input
`;
  const events = [
    ...[40, 47, 52, 55, 59, 62, 64].map((note, i) => on(37 * i, note, 60 + 9 * i)),
    off(3001, 47),
    off(5003, 59),
    on(6007, 71, 90), // a released voice's tail is taken
    on(7011, 74, 100), // every voice busy again: stealing
    off(9013, 40),
  ];
  const render = (kernels: boolean, blockSize: number, sweep: boolean): Float32Array => {
    setWasmKernelsEnabled(kernels);
    try {
      const r = make(blockSize);
      play(r, LADDER_VOICE, events, 'voices: 7');
      if (sweep) {
        r.s.execute(
          'new SawtoothNode(frequency: 3) lfo\nnew MultiplyNode(b: 1500) depth\nnew AddNode(b: 2000) cut',
        );
        r.s.execute('link lfo.out -> depth.a\nlink depth.out -> cut.a\nlink cut.out -> poly.cutoff');
      }
      return r.capture(['poly.left'], 12000)[0];
    } finally {
      setWasmKernelsEnabled(true);
    }
  };
  it('follow a reload that changes the voice mid-chord (the group writes its interleaved ops again)', () => {
    // The group keeps its interleaved op list while the members and their lists stay; a reload with one
    // more op per voice must reach every voice, as the plain-JS voices hear it. The reload's first block
    // too: the relinked outlet glides from its last sample (an inert outlet, never called with kernels,
    // once counted as never rendered, so it jumped: a click of up to 0.89 there).
    const trimmed = LADDER_VOICE.replace(
      'link amp.out -> out.input\n',
      'new MultiplyNode(b: 0.5) trim\nlink amp.out -> trim.a\nlink trim.out -> out.input\n',
    );
    const render = (kernels: boolean): Float32Array[] => {
      setWasmKernelsEnabled(kernels);
      try {
        const r = make(128);
        play(r, LADDER_VOICE, events.slice(0, 7), 'voices: 7');
        const before = r.capture(['poly.left'], 4096)[0];
        writeFileSync(join(r.root, 'voice.syn'), trimmed);
        r.s.execute('reload');
        return [before, r.capture(['poly.left'], 8192)[0]];
      } finally {
        setWasmKernelsEnabled(true);
      }
    };
    const wasm = render(true);
    const js = render(false);
    expect(peak(js[0])).toBeGreaterThan(0.05);
    // The trim halves the level after the reload.
    expect(peak(js[1].subarray(2048))).toBeLessThan(0.75 * peak(js[0].subarray(2048)));
    // No click at the reload: the first sample after it is near the last before (a glide, not a jump).
    for (const [name, parts] of [
      ['wasm', wasm],
      ['js', js],
    ] as const) {
      const jump = Math.abs(parts[1][0] - parts[0][parts[0].length - 1]);
      expect(jump, `${name}: the step into the reload`).toBeLessThan(0.1 * peak(js[0]));
    }
    for (const part of [0, 1]) {
      let difference = 0;
      for (let i = 0; i < js[part].length; i++)
        difference = Math.max(difference, Math.abs(wasm[part][i] - js[part][i]));
      expect(difference, part === 0 ? 'before the reload' : 'after').toBeLessThan(1e-5);
    }
  });

  for (const sweep of [false, true]) {
    it(`equal the plain-JS voices within 1e-5 at 16, 128 and 4096 frames (cutoff ${sweep ? 'swept' : 'constant'})`, () => {
      for (const blockSize of [16, 128, 4096]) {
        const wasm = render(true, blockSize, sweep);
        const js = render(false, blockSize, sweep);
        expect(peak(js)).toBeGreaterThan(0.05);
        let difference = 0;
        for (let i = 0; i < js.length; i++) difference = Math.max(difference, Math.abs(wasm[i] - js[i]));
        expect(difference, `${blockSize} frames per block`).toBeLessThan(1e-5);
      }
    });
  }
});
