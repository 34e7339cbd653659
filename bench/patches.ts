// Benchmark patches, built with the library API exactly as a user would.

import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { NodeDefinition } from '../src/engine/definition.js';
import type { NodeRegistry } from '../src/engine/registry.js';
import { createRegistry, Synchrotron } from '../src/engine/synchrotron.js';

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

export function allPatches(squaresAvailable: boolean): PatchSpec[] {
  return [
    sines(1),
    sines(10),
    sines(100),
    sines(1000),
    pwmSquares(10, squaresAvailable),
    pwmSquares(100, squaresAvailable),
    ...filterPatches(),
  ];
}
