// The ten palette types of issue 11 under abuse: every stream input fed NaN/±∞ (a broken upstream node),
// ±1e30, −1 (negative times) and audio-rate noise, absurd and typical; and every parameter changed by a
// DataNode while it plays, with the largest step measured against the steady sound before and after.

import { describe, expect, it } from 'vitest';
import { createRegistry } from '../../src/synchrotron.js';
import { allFinite, maxStep } from '../helpers/analysis.js';
import { node, RATE, type Rig, rigsCleanedAfterEachTest, SpecialValuesNode } from './render.js';

const make = rigsCleanedAfterEachTest();
const registry = createRegistry();

/** Typical constants for each type's inputs; signal inputs (absent here) get a 220 Hz sine. */
const TYPICAL: Record<string, Record<string, number | string>> = {
  TriangleNode: { frequency: 440 },
  NoiseNode: { color: 'pink', amplitude: 1 },
  MathNode: { op: 'power', b: 0.5 },
  ADSRNode: { attack: 0.01, decay: 0.1, sustain: 0.7, release: 0.3 },
  LagNode: { rise: 0.05, fall: 0.05 },
  SampleAndHoldNode: {},
  GainNode: { gain: -6 },
  PanNode: { pan: 0.3 },
  MixerNode: { level1: 1, level2: 0.5 },
  CrossfadeNode: { mix: 0.3 },
};
const TYPES = Object.keys(TYPICAL);
/** Inputs that carry the signal (a 220 Hz sine); or a gate (0.1 s on, 0.1 s off): a lag smooths steps. */
const SIGNALS = ['input', 'a', 'b', 'input1', 'input2'];
const isSignal = (port: string) => SIGNALS.includes(port) || /^input\d$/.test(port);
const GATED: Record<string, string[]> = {
  ADSRNode: ['gate'],
  SampleAndHoldNode: ['trigger'],
  LagNode: ['input'],
};
/**
 * Types whose signal inputs pass NaN and ±∞ through, frame by frame, like AddNode and MultiplyNode: the
 * renderer mutes the node that made them (the first in render order), not these. Their parameters never do.
 */
const PASS_THROUGH = ['GainNode', 'PanNode', 'MixerNode', 'CrossfadeNode'];

/** Builds `dut` of `type` with typical inputs, leaving `except` unlinked; returns its stream outputs. */
function build(r: Rig, type: string, except?: string): string[] {
  const definition = registry.get(type);
  const typical = TYPICAL[type];
  r.s.add(type, 'dut');
  for (const [port, spec] of Object.entries(definition.inputs)) {
    if (port === except) continue;
    if (GATED[type]?.includes(port)) {
      node(r, 'ClockNode', 'gate_clock', { frequency: 10 });
      node(r, 'SequenceNode', 'gate', { sequence: [1, 0] });
      r.s.link('gate_clock.out', 'gate.step');
      r.s.link('gate.out', `dut.${port}`);
    } else if (port in typical) {
      r.s.addValue(typical[port], `dut_${port}`);
      r.s.link(`dut_${port}.out`, `dut.${port}`);
    } else if (SIGNALS.includes(port) && spec.kind === 'stream') {
      if (!r.s.graph.hasNode('sine')) node(r, 'SineNode', 'sine', { frequency: 220 });
      r.s.link('sine.out', `dut.${port}`);
    }
  }
  return Object.entries(definition.outputs)
    .filter(([, spec]) => spec.kind === 'stream')
    .map(([port]) => `dut.${port}`);
}

function expectSane(type: string, outputs: Float32Array[], what: string) {
  const definition = registry.get(type);
  const specs = Object.values(definition.outputs).filter((s) => s.kind === 'stream');
  outputs.forEach((out, i) => {
    expect(allFinite(out), `${what}: finite`).toBe(true);
    if (specs[i].unit === '0…1') {
      expect(Math.min(...out), what).toBeGreaterThanOrEqual(0);
      expect(Math.max(...out), what).toBeLessThanOrEqual(1);
    }
    if (specs[i].unit === '-1…1') expect(Math.max(...out.map(Math.abs)), what).toBeLessThanOrEqual(1.01);
  });
}

const streamInputs = (type: string) =>
  Object.entries(registry.get(type).inputs)
    .filter(([, spec]) => spec.kind === 'stream')
    .map(([port]) => port);

describe.each(TYPES)('%s under abuse', (type) => {
  it.each(streamInputs(type))(
    'input %s: NaN, ±∞, ±1e30, −1 and audio-rate noise keep it finite, in range',
    (port) => {
      const sources: Array<[string, (r: Rig) => void]> = [
        ['NaN and ±∞', (r) => r.s.add('SpecialValuesNode', 'abuse')],
        ['1e30', (r) => r.s.addValue(1e30, 'abuse')],
        ['−1e30', (r) => r.s.addValue(-1e30, 'abuse')],
        ['−1', (r) => r.s.addValue(-1, 'abuse')],
        ['noise ±1e30', (r) => node(r, 'UniformRandomNode', 'abuse', { min: -1e30, max: 1e30 })],
        ['noise 0…2', (r) => node(r, 'UniformRandomNode', 'abuse', { min: 0, max: 2 })],
      ];
      for (const [what, addSource] of sources) {
        const r = make(128, { types: [SpecialValuesNode] });
        const outputs = build(r, type, port);
        addSource(r);
        r.s.link('abuse.out', `dut.${port}`);
        const streamSource = what === 'NaN and ±∞';
        const captured = r.capture(streamSource ? ['abuse.out', ...outputs] : outputs, RATE / 4);
        const abuse = streamSource ? captured[0] : new Float32Array(0);
        const rendered = streamSource ? captured.slice(1) : captured;
        if (PASS_THROUGH.includes(type) && isSignal(port) && streamSource) {
          // Non-finite exactly where the signal was, finite everywhere else: nothing is held or smeared.
          for (const out of rendered)
            for (let i = 0; i < out.length; i++)
              if (Number.isFinite(abuse[i])) expect(Number.isFinite(out[i]), `frame ${i}`).toBe(true);
          continue;
        }
        expectSane(type, rendered, `${type}.${port} ← ${what}`);
        expect(
          r.events.filter((e) => e.kind === 'fault' && e.node === 'dut'),
          `${type}.${port} ← ${what}`,
        ).toEqual([]);
      }
    },
  );
});

/** [port, from, to]: a DataNode feeding `port` changes from `from` to `to` mid-render. */
const CHANGES: Record<string, Array<[string, number]>> = {
  TriangleNode: [['frequency', 660]],
  MathNode: [['b', 2]],
  ADSRNode: [
    ['attack', 0.05],
    ['decay', 0.5],
    ['sustain', 0.2],
    ['release', 1],
  ],
  LagNode: [
    ['rise', 0.001],
    ['fall', 0.001],
  ],
  GainNode: [['gain', -30]],
  PanNode: [['pan', -1]],
  MixerNode: [
    ['level1', 0],
    ['level2', 2],
  ],
  CrossfadeNode: [['mix', 1]],
};

describe.each(Object.keys(CHANGES))('%s: a DataNode change while it plays', (type) => {
  it.each(CHANGES[type])('%s → %d does not click', (port, to) => {
    // The steady sound's largest step at the old and at the new value sets the bound.
    const steady = (value?: number) => {
      const r = make();
      const outputs = build(r, type);
      if (value !== undefined) r.s.setValue(`dut_${port}`, value);
      return Math.max(...r.capture(outputs, RATE).map((o) => maxStep(o.subarray(4410))));
    };
    const bound = Math.max(steady(), steady(to));
    const r = make();
    const outputs = build(r, type);
    r.capture(outputs, 0.25 * RATE + 64); // mid-gate, mid-block
    r.s.setValue(`dut_${port}`, to);
    const after = r.capture(outputs, RATE / 2);
    for (const out of after) expect(maxStep(out)).toBeLessThanOrEqual(bound * 1.1 + 1e-3);
  });
});
