// Benchmark patches, built with the library API exactly as a user would.

import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { NodeDefinition } from '../src/engine/definition.js';
import type { NodeRegistry } from '../src/engine/registry.js';
import { createRegistry, Synchrotron } from '../src/engine/synchrotron.js';
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
  ];
}
