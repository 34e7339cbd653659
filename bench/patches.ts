// Benchmark patches, built with the library API exactly as a user would.

import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { NodeDefinition } from '../src/engine/definition.js';
import type { NodeRegistry } from '../src/engine/registry.js';
import { createNodeHost } from '../src/io/node-host.js';
import { createWavWriter } from '../src/io/wav-writer.js';
import { createRegistry, Synchrotron } from '../src/synchrotron.js';
import { instrumentPatches } from './instruments.js';
import { dynamicsChain, reverbChain } from './space-dynamics.js';

export interface BenchPatch {
  synth: Synchrotron;
  /** Nodes that render every block (DataNodes excluded: they do nothing per block). */
  renderingNodes: number;
}

export interface PatchSpec {
  name: string;
  /** Why it is skipped, when it cannot be built here. */
  skip?: string;
  build(blockSize: number, registry: NodeRegistry): BenchPatch;
}

const SQUARE_NODE_FILE = fileURLToPath(new URL('../src/nodes/oscillators/square-node.ts', import.meta.url));
// Not a literal, so the bench still typechecks while another helper is writing (or has not yet written) it.
const SQUARE_NODE_MODULE = '../src/nodes/oscillators/square-node.js';

/** The built-in registry, plus SquareNode when its file exists but is not registered yet. */
export async function benchRegistry(): Promise<NodeRegistry> {
  const registry = createRegistry();
  if (!registry.has('SquareNode') && existsSync(SQUARE_NODE_FILE)) {
    const module = (await import(SQUARE_NODE_MODULE)) as { SquareNode: NodeDefinition };
    registry.register(module.SquareNode);
  }
  return registry;
}

/** Sums `terms` outputs with a chain of AddNodes, scales by `gain`, plays on both channels. */
function sumScaleAndPlay(synth: Synchrotron, terms: string[], gain: number): number {
  let sum = terms[0];
  for (let i = 1; i < terms.length; i++) {
    const add = synth.add('AddNode', `add${i}`).name;
    synth.link(sum, `${add}.a`);
    synth.link(terms[i], `${add}.b`);
    sum = `${add}.out`;
  }
  synth.addValue(gain, 'gain');
  synth.add('MultiplyNode', 'scale');
  synth.link(sum, 'scale.a');
  synth.link('gain.out', 'scale.b');
  synth.add('PlaybackNode', 'play');
  synth.link('scale.out', 'play.left');
  synth.link('scale.out', 'play.right');
  return terms.length - 1 + 2;
}

/** N sines, each with its own constant frequency from its own DataNode, summed, scaled, played. */
export function sines(count: number): PatchSpec {
  return {
    name: `sines-${count}`,
    build(blockSize, registry) {
      const synth = new Synchrotron({ sampleRate: 44100, blockSize, registry });
      let renderingNodes = count;
      synth.transaction(() => {
        const terms: string[] = [];
        for (let i = 0; i < count; i++) {
          synth.addValue(110 + i * 7.31, `f${i}`);
          synth.add('SineNode', `sine${i}`);
          synth.link(`f${i}.out`, `sine${i}.frequency`);
          terms.push(`sine${i}.out`);
        }
        renderingNodes += sumScaleAndPlay(synth, terms, 1 / count);
      });
      return { synth, renderingNodes };
    },
  };
}

/**
 * N pulse waves whose duty cycles are swept by their own sine LFOs: pwm = 0.5 + 0.4·sin(lfo).
 * Per voice: SquareNode, SineNode (LFO), MultiplyNode (depth), AddNode (centre), and DataNodes.
 */
export function pwmSquares(count: number, available: boolean): PatchSpec {
  return {
    name: `pwm-squares-${count}`,
    skip: available ? undefined : 'SquareNode does not exist yet (src/nodes/oscillators/square-node.ts)',
    build(blockSize, registry) {
      const synth = new Synchrotron({ sampleRate: 44100, blockSize, registry });
      let renderingNodes = 0;
      synth.transaction(() => {
        synth.addValue(0.4, 'depth');
        synth.addValue(0.5, 'centre');
        const terms: string[] = [];
        for (let i = 0; i < count; i++) {
          synth.addValue(55 + i * 3.7, `f${i}`);
          synth.addValue(0.2 + i * 0.013, `lfoRate${i}`);
          synth.add('SineNode', `lfo${i}`);
          synth.link(`lfoRate${i}.out`, `lfo${i}.frequency`);
          synth.add('MultiplyNode', `lfoDepth${i}`);
          synth.link(`lfo${i}.out`, `lfoDepth${i}.a`);
          synth.link('depth.out', `lfoDepth${i}.b`);
          synth.add('AddNode', `pwm${i}`);
          synth.link(`lfoDepth${i}.out`, `pwm${i}.a`);
          synth.link('centre.out', `pwm${i}.b`);
          synth.add('SquareNode', `square${i}`);
          synth.link(`f${i}.out`, `square${i}.frequency`);
          synth.link(`pwm${i}.out`, `square${i}.pwm`);
          terms.push(`square${i}.out`);
        }
        renderingNodes = count * 4 + sumScaleAndPlay(synth, terms, 1 / count);
      });
      return { synth, renderingNodes };
    },
  };
}

/** Sums `terms` with MixerNodes (8 to a mixer, then mixers of mixers), plays on both channels. */
function mixAndPlay(synth: Synchrotron, left: string[], right: string[] = left): number {
  let mixers = 0;
  const mixDown = (terms: string[], side: string): string => {
    let level = terms;
    let depth = 0;
    while (level.length > 1) {
      const next: string[] = [];
      for (let i = 0; i < level.length; i += 8) {
        const name = `mix_${side}${depth}_${i / 8}`;
        synth.add('MixerNode', name);
        for (const [k, term] of level.slice(i, i + 8).entries()) synth.link(term, `${name}.input${k + 1}`);
        next.push(`${name}.out`);
        mixers++;
      }
      level = next;
      depth++;
    }
    return level[0];
  };
  const l = mixDown(left, 'l');
  const r = right === left ? l : mixDown(right, 'r');
  synth.add('PlaybackNode', 'play');
  synth.link(l, 'play.left');
  synth.link(r, 'play.right');
  return mixers + 1;
}

/**
 * `palette-mix`: N noise → gain → pan chains (colours and pan positions spread), mixed 8 to a MixerNode
 * per side. Per chain: NoiseNode, GainNode, PanNode.
 */
export function paletteMix(count: number): PatchSpec {
  return {
    name: `palette-mix-${count}`,
    build(blockSize, registry) {
      const synth = new Synchrotron({ sampleRate: 44100, blockSize, registry });
      let renderingNodes = 0;
      synth.transaction(() => {
        const left: string[] = [];
        const right: string[] = [];
        const colours = ['white', 'pink', 'brown'];
        for (let i = 0; i < count; i++) {
          synth.add('NoiseNode', `noise${i}`);
          synth.addValue(colours[i % 3], `colour${i}`);
          synth.link(`colour${i}.out`, `noise${i}.color`);
          synth.add('GainNode', `gain${i}`);
          synth.addValue(-20 - (i % 7), `db${i}`);
          synth.link(`db${i}.out`, `gain${i}.gain`);
          synth.link(`noise${i}.out`, `gain${i}.input`);
          synth.add('PanNode', `pan${i}`);
          synth.addValue(-1 + (2 * i) / Math.max(1, count - 1), `position${i}`);
          synth.link(`position${i}.out`, `pan${i}.pan`);
          synth.link(`gain${i}.out`, `pan${i}.input`);
          left.push(`pan${i}.left`);
          right.push(`pan${i}.right`);
        }
        renderingNodes = 3 * count + mixAndPlay(synth, left, right);
      });
      return { synth, renderingNodes };
    },
  };
}

/**
 * `palette-adsr`: N ADSR envelopes on 10 gates of different rates (a ClockNode stepping a [1, 0]
 * SequenceNode each), with times spread so that envelopes are in every stage, mixed by MixerNodes.
 */
export function paletteAdsr(count: number): PatchSpec {
  return {
    name: `palette-adsr-${count}`,
    build(blockSize, registry) {
      const synth = new Synchrotron({ sampleRate: 44100, blockSize, registry });
      let renderingNodes = 0;
      synth.transaction(() => {
        synth.addValue([1, 0], 'pattern');
        for (let g = 0; g < 10; g++) {
          synth.addValue(2 + g * 0.7, `rate${g}`);
          synth.add('ClockNode', `clock${g}`);
          synth.link(`rate${g}.out`, `clock${g}.frequency`);
          synth.add('SequenceNode', `gate${g}`);
          synth.link('pattern.out', `gate${g}.sequence`);
          synth.link(`clock${g}.out`, `gate${g}.step`);
        }
        const terms: string[] = [];
        for (let i = 0; i < count; i++) {
          synth.add('ADSRNode', `env${i}`);
          synth.link(`gate${i % 10}.out`, `env${i}.gate`);
          for (const [port, value] of [
            ['attack', 0.002 + (i % 5) * 0.01],
            ['decay', 0.05 + (i % 7) * 0.02],
            ['sustain', 0.3 + (i % 3) * 0.2],
            ['release', 0.05 + (i % 4) * 0.05],
          ] as const) {
            synth.addValue(value, `${port}${i}`);
            synth.link(`${port}${i}.out`, `env${i}.${port}`);
          }
          terms.push(`env${i}.envelope`);
        }
        renderingNodes = 20 + count + mixAndPlay(synth, terms);
      });
      return { synth, renderingNodes };
    },
  };
}

/**
 * `palette-each-<Type>`: 100 nodes of one type with typical constant parameters, their signal inputs from
 * one shared source (a sine, or a stepped sequence for LagNode), not mixed: ns per node-sample is then
 * nearly that type's own cost (the shared source adds ~1 %). Outputs are not consumed, so every instance
 * still renders (the renderer renders every node).
 */
export function paletteEach(type: string): PatchSpec {
  const count = 100;
  return {
    name: `palette-each-${type}`,
    build(blockSize, registry) {
      const synth = new Synchrotron({ sampleRate: 44100, blockSize, registry });
      synth.transaction(() => {
        synth.addValue(220, 'sineHz');
        synth.add('SineNode', 'sine');
        synth.link('sineHz.out', 'sine.frequency');
        synth.addValue(10, 'tickHz');
        synth.add('ClockNode', 'tick');
        synth.link('tickHz.out', 'tick.frequency');
        synth.addValue([0, 1, 0.5, 0.25], 'steps');
        synth.add('SequenceNode', 'stepped');
        synth.link('steps.out', 'stepped.sequence');
        synth.link('tick.out', 'stepped.step');
        const constants: Record<string, Record<string, number | string>> = {
          TriangleNode: {},
          NoiseNode: { color: 'pink' },
          MathNode: { op: 'power', b: 0.5 },
          LagNode: { rise: 0.01, fall: 0.05 },
          SampleAndHoldNode: {},
          GainNode: { gain: -6 },
          PanNode: { pan: 0.3 },
          MixerNode: { level1: 1, level2: 0.5, level3: 0.25, level4: 2 },
          CrossfadeNode: { mix: 0.3 },
          TriggerEnvelopeNode: { attack: 0.005, decay: 0.05 },
          CompressorNode: { threshold: -20, ratio: 4 },
        };
        const signals: Record<string, Record<string, string>> = {
          MathNode: { a: 'sine.out' },
          LagNode: { input: 'stepped.out' },
          SampleAndHoldNode: { input: 'sine.out', trigger: 'tick.out' },
          GainNode: { input: 'sine.out' },
          PanNode: { input: 'sine.out' },
          MixerNode: { input1: 'sine.out', input2: 'stepped.out', input3: 'sine.out', input4: 'stepped.out' },
          CrossfadeNode: { a: 'sine.out', b: 'stepped.out' },
          TriggerEnvelopeNode: { trigger: 'tick.out' },
          CompressorNode: { input: 'sine.out' },
        };
        for (const [port, value] of Object.entries(constants[type] ?? {})) synth.addValue(value, `c_${port}`);
        for (let i = 0; i < count; i++) {
          synth.add(type, `n${i}`);
          if (type === 'TriangleNode') {
            synth.addValue(110 + i * 7.31, `f${i}`);
            synth.link(`f${i}.out`, `n${i}.frequency`);
          }
          for (const port of Object.keys(constants[type] ?? {})) synth.link(`c_${port}.out`, `n${i}.${port}`);
          for (const [port, source] of Object.entries(signals[type] ?? {}))
            synth.link(source, `n${i}.${port}`);
        }
      });
      return { synth, renderingNodes: count };
    },
  };
}

export const PALETTE_TYPES = [
  'TriangleNode',
  'NoiseNode',
  'MathNode',
  'LagNode',
  'SampleAndHoldNode',
  'GainNode',
  'PanNode',
  'MixerNode',
  'CrossfadeNode',
  'TriggerEnvelopeNode',
  'CompressorNode',
];

/**
 * N noise sources, each through its own `type` node, summed, scaled, played: the per-type cost of a
 * processing node (the noise, adders and player are shared overhead, the same in every bank). `wire` links
 * the node's parameters (DataNodes: the constant fast path; or modulators: the per-sample path).
 * Per chain: UniformRandomNode, the node, an AddNode into the sum.
 */
function bank(
  name: string,
  count: number,
  type: string,
  output: string,
  wire: (synth: Synchrotron, node: string, i: number) => number,
  input = 'input',
): PatchSpec {
  return {
    name,
    build(blockSize, registry) {
      const synth = new Synchrotron({ sampleRate: 44100, blockSize, registry });
      let renderingNodes = 0;
      synth.transaction(() => {
        const terms: string[] = [];
        for (let i = 0; i < count; i++) {
          synth.add('UniformRandomNode', `noise${i}`);
          synth.add(type, `node${i}`);
          synth.link(`noise${i}.out`, `node${i}.${input}`);
          renderingNodes += 2 + wire(synth, `node${i}`, i);
          terms.push(`node${i}.${output}`);
        }
        renderingNodes += sumScaleAndPlay(synth, terms, 1 / count);
      });
      return { synth, renderingNodes };
    },
  };
}

/** Links a DataNode holding `value` into `node.port`. */
function constant(synth: Synchrotron, node: string, port: string, value: number | string): void {
  synth.addValue(value, `${node}_${port}`);
  synth.link(`${node}_${port}.out`, `${node}.${port}`);
}

/** Links a sine LFO (its own SineNode, MultiplyNode, AddNode) into `node.port`: centre ± depth at `hz`. */
function modulated(
  synth: Synchrotron,
  node: string,
  port: string,
  hz: number,
  centre: number,
  depth: number,
): number {
  const lfo = `${node}_${port}_lfo`;
  synth.add('SineNode', lfo);
  constant(synth, lfo, 'frequency', hz);
  synth.add('MultiplyNode', `${lfo}_depth`);
  constant(synth, `${lfo}_depth`, 'b', depth);
  synth.link(`${lfo}.out`, `${lfo}_depth.a`);
  synth.add('AddNode', `${lfo}_centre`);
  constant(synth, `${lfo}_centre`, 'b', centre);
  synth.link(`${lfo}_depth.out`, `${lfo}_centre.a`);
  synth.link(`${lfo}_centre.out`, `${node}.${port}`);
  return 3;
}

/** The filter and delay banks (issue 11): each new processing type on its fast and its per-sample path. */
export function filterPatches(): PatchSpec[] {
  return [
    // The reference: the same chains through a MultiplyNode (×1, SIMD), to subtract from the banks below.
    bank(
      'noise-bank-100',
      100,
      'MultiplyNode',
      'out',
      (synth, node) => {
        constant(synth, node, 'b', 1);
        return 0;
      },
      'a',
    ),
    bank('filter-bank-100', 100, 'BiquadFilterNode', 'out', (synth, node, i) => {
      constant(synth, node, 'cutoff', 200 + i * 50);
      constant(synth, node, 'q', 2);
      constant(synth, node, 'mode', i % 2 === 0 ? 'lowpass' : 'peak');
      constant(synth, node, 'gain', 6);
      return 0;
    }),
    bank('filter-sweep-100', 100, 'BiquadFilterNode', 'out', (synth, node, i) =>
      modulated(synth, node, 'cutoff', 0.5 + i * 0.01, 2000, 1500),
    ),
    bank('svf-bank-100', 100, 'StateVariableFilterNode', 'lowpass', (synth, node, i) => {
      constant(synth, node, 'cutoff', 200 + i * 50);
      constant(synth, node, 'resonance', 0.5);
      return 0;
    }),
    bank('svf-sweep-100', 100, 'StateVariableFilterNode', 'lowpass', (synth, node, i) =>
      modulated(synth, node, 'cutoff', 0.5 + i * 0.01, 2000, 1500),
    ),
    bank('ladder-bank-100', 100, 'LadderFilterNode', 'out', (synth, node, i) => {
      constant(synth, node, 'cutoff', 200 + i * 50);
      constant(synth, node, 'resonance', 0.5);
      return 0;
    }),
    bank('ladder-sweep-100', 100, 'LadderFilterNode', 'out', (synth, node, i) =>
      modulated(synth, node, 'cutoff', 0.5 + i * 0.01, 2000, 1500),
    ),
    bank('delay-bank-100', 100, 'DelayNode', 'out', (synth, node, i) => {
      constant(synth, node, 'time', 0.05 + i * 0.0031);
      constant(synth, node, 'feedback', 0.5);
      constant(synth, node, 'maxTime', 0.5);
      return 0;
    }),
    bank(
      'delay-sweep-100',
      100,
      'DelayNode',
      'out',
      (synth, node, i) => modulated(synth, node, 'time', 0.5 + i * 0.01, 0.02, 0.005), // a chorus
    ),
  ];
}

/**
 * `voice-chain`: 16 subtractive voices, each saw → ladder → VCA (× ADSR) → gain, the ADSR also sweeping the
 * ladder's cutoff (cutoff = 300 Hz + 2500 Hz × envelope: audio-rate modulation, the per-sample path). Gates
 * from 4 clocks stepping [1, 0] sequences at different rates, so envelopes are in every stage. Per voice:
 * SawtoothNode, LadderFilterNode, ADSRNode, MultiplyNode (depth), AddNode (cutoff), MultiplyNode (VCA),
 * GainNode; mixed by MixerNodes.
 */
export function voiceChain(voices = 16): PatchSpec {
  return {
    name: 'voice-chain',
    build(blockSize, registry) {
      const synth = new Synchrotron({ sampleRate: 44100, blockSize, registry });
      let renderingNodes = 0;
      synth.transaction(() => {
        synth.addValue([1, 0], 'pattern');
        for (let g = 0; g < 4; g++) {
          synth.addValue(3 + g * 1.3, `rate${g}`);
          synth.add('ClockNode', `clock${g}`);
          synth.link(`rate${g}.out`, `clock${g}.frequency`);
          synth.add('SequenceNode', `gate${g}`);
          synth.link('pattern.out', `gate${g}.sequence`);
          synth.link(`clock${g}.out`, `gate${g}.step`);
        }
        for (const [name, value] of [
          ['attack', 0.005],
          ['decay', 0.2],
          ['sustain', 0.4],
          ['release', 0.15],
          ['depthHz', 2500],
          ['baseHz', 300],
          ['resonance', 0.6],
          ['level', -12],
        ] as const)
          synth.addValue(value, name);
        const terms: string[] = [];
        for (let i = 0; i < voices; i++) {
          synth.addValue(55 * 2 ** ((i * 7) / 12 / 4), `hz${i}`);
          synth.add('SawtoothNode', `saw${i}`);
          synth.link(`hz${i}.out`, `saw${i}.frequency`);
          synth.add('ADSRNode', `env${i}`);
          synth.link(`gate${i % 4}.out`, `env${i}.gate`);
          for (const port of ['attack', 'decay', 'sustain', 'release'])
            synth.link(`${port}.out`, `env${i}.${port}`);
          synth.add('MultiplyNode', `depth${i}`);
          synth.link(`env${i}.envelope`, `depth${i}.a`);
          synth.link('depthHz.out', `depth${i}.b`);
          synth.add('AddNode', `cutoff${i}`);
          synth.link(`depth${i}.out`, `cutoff${i}.a`);
          synth.link('baseHz.out', `cutoff${i}.b`);
          synth.add('LadderFilterNode', `ladder${i}`);
          synth.link(`saw${i}.out`, `ladder${i}.input`);
          synth.link(`cutoff${i}.out`, `ladder${i}.cutoff`);
          synth.link('resonance.out', `ladder${i}.resonance`);
          synth.add('MultiplyNode', `vca${i}`);
          synth.link(`ladder${i}.out`, `vca${i}.a`);
          synth.link(`env${i}.envelope`, `vca${i}.b`);
          synth.add('GainNode', `gain${i}`);
          synth.link(`vca${i}.out`, `gain${i}.input`);
          synth.link('level.out', `gain${i}.gain`);
          terms.push(`gain${i}.out`);
        }
        renderingNodes = 8 + 7 * voices + mixAndPlay(synth, terms);
      });
      return { synth, renderingNodes };
    },
  };
}

/** A 1 s stereo WAV at 48 kHz (resampled to 44.1 kHz by prepare) of two detuned partials, once per process. */
let samplerRoot: string | undefined;
function benchSampleRoot(): string {
  if (samplerRoot) return samplerRoot;
  samplerRoot = mkdtempSync(join(tmpdir(), 'synchrotron-bench-'));
  const rate = 48000;
  const left = new Float32Array(rate);
  const right = new Float32Array(rate);
  for (let i = 0; i < rate; i++) {
    left[i] =
      0.4 * Math.sin((2 * Math.PI * 220 * i) / rate) + 0.1 * Math.sin((2 * Math.PI * 1337 * i) / rate);
    right[i] =
      0.4 * Math.sin((2 * Math.PI * 221 * i) / rate) + 0.1 * Math.sin((2 * Math.PI * 1999 * i) / rate);
  }
  const writer = createWavWriter(join(samplerRoot, 'tone.wav'), rate, 2);
  writer.writeChannels(left, right, rate);
  writer.close();
  const root = samplerRoot;
  process.once('exit', () => rmSync(root, { recursive: true, force: true }));
  return samplerRoot;
}

/**
 * `sampler-bank-100`: 100 SamplerNodes looping one stereo file at rates spread over 0.5…2 (fractional
 * positions: the 4-point interpolation on every sample), triggered once, mixed by MixerNodes.
 */
export function samplerBank(count = 100): PatchSpec {
  return {
    name: `sampler-bank-${count}`,
    build(blockSize, registry) {
      const host = createNodeHost({ root: benchSampleRoot() });
      const synth = new Synchrotron({ sampleRate: 44100, blockSize, registry, host });
      let renderingNodes = 0;
      synth.transaction(() => {
        synth.addValue('tone.wav', 'file');
        synth.addValue(true, 'looping');
        synth.addValue(1, 'go');
        synth.addValue(-20, 'level');
        const left: string[] = [];
        const right: string[] = [];
        for (let i = 0; i < count; i++) {
          synth.add('SamplerNode', `s${i}`);
          synth.link('file.out', `s${i}.path`);
          synth.link('looping.out', `s${i}.loop`);
          synth.link('go.out', `s${i}.trigger`);
          synth.link('level.out', `s${i}.gain`);
          synth.addValue(0.5 + (1.5 * i) / count + 0.0013, `rate${i}`);
          synth.link(`rate${i}.out`, `s${i}.rate`);
          left.push(`s${i}.left`);
          right.push(`s${i}.right`);
        }
        renderingNodes = count + mixAndPlay(synth, left, right);
      });
      return { synth, renderingNodes };
    },
  };
}

export function allPatches(squaresAvailable: boolean): PatchSpec[] {
  return [
    sines(1),
    sines(10),
    sines(100),
    sines(1000),
    pwmSquares(10, squaresAvailable),
    pwmSquares(100, squaresAvailable),
    reverbChain(),
    dynamicsChain(),
    paletteMix(50),
    paletteAdsr(100),
    ...PALETTE_TYPES.map(paletteEach),
    ...filterPatches(),
    voiceChain(),
    samplerBank(),
    ...instrumentPatches(),
  ];
}
