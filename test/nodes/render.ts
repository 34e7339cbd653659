// Offline rendering helpers for node tests: the real engine, a real host on a temporary directory.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import {
  DataInput,
  data,
  defineNode,
  type NodeDefinition,
  type NodeIO,
  StreamInput,
  StreamOutput,
  stream,
  streamDefault,
} from '../../src/engine/definition.js';
import type { RenderEvent } from '../../src/engine/renderer.js';
import { createTempoState } from '../../src/engine/tempo.js';
import { type DataValue, STREAM_MAX } from '../../src/engine/types.js';
import { createNodeHost } from '../../src/io/node-host.js';
import { createRegistry, Synchrotron, toPortRef } from '../../src/synchrotron.js';
import { spectrum } from '../helpers/analysis.js';

export const RATE = 44100;

export interface Rig {
  s: Synchrotron;
  root: string;
  events: RenderEvent[];
  /** Renders `frames` frames (whole blocks) and returns what each listed stream output produced. */
  capture(ports: string[], frames: number): Float32Array[];
  cleanup(): void;
}

/**
 * Rigs for one test file, each cleaned up (engine disposed, temporary folder removed) after its test.
 * Call at the top level of the file; use the returned function in place of `rig`.
 */
export function rigsCleanedAfterEachTest(): (blockSize?: number, options?: RigOptions) => Rig {
  let open: Rig[] = [];
  afterEach(() => {
    for (const r of open) r.cleanup();
    open = [];
  });
  return (blockSize = 128, options: RigOptions = {}) => {
    const r = rig({ ...options, blockSize });
    open.push(r);
    return r;
  };
}

export interface RigOptions {
  blockSize?: number;
  sampleRate?: number;
  /** Node types to register besides the built-ins (test-only sources such as SpecialValuesNode). */
  types?: NodeDefinition[];
}

export function rig(options: RigOptions = {}): Rig {
  const root = mkdtempSync(join(tmpdir(), 'synchrotron-nodes-'));
  let registry: ReturnType<typeof createRegistry> | undefined;
  if (options.types) {
    registry = createRegistry();
    for (const type of options.types) registry.register(type);
  }
  const s = new Synchrotron({
    sampleRate: options.sampleRate ?? RATE,
    blockSize: options.blockSize ?? 128,
    host: createNodeHost({ root }),
    registry,
  });
  const events: RenderEvent[] = [];
  s.onEvent((event) => events.push(event));
  return {
    s,
    root,
    events,
    capture(ports, frames) {
      const blocks = Math.ceil(frames / s.blockSize);
      const outs = ports.map(() => new Float32Array(blocks * s.blockSize));
      const refs = ports.map(toPortRef);
      for (let b = 0; b < blocks; b++) {
        s.renderBlock();
        refs.forEach((ref, i) => {
          const buf = s.renderer.streamOutput(ref);
          if (!buf) throw new Error(`no stream output ${ref.node}.${ref.port}`);
          outs[i].set(buf, b * s.blockSize);
        });
      }
      return outs.map((o) => o.subarray(0, frames));
    },
    cleanup() {
      s.dispose();
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/** A node of `type` with constant data inputs; returns its name. */
export function node(
  r: Rig,
  type: string,
  name: string,
  inputs: Record<string, number | string | number[]> = {},
): string {
  r.s.add(type, name);
  for (const [port, value] of Object.entries(inputs)) {
    const holder = `${name}_${port}`;
    r.s.addValue(value, holder);
    r.s.link(`${holder}.out`, `${name}.${port}`);
  }
  return name;
}

/** Level in dB of the strongest non-harmonic spectral component relative to the fundamental. */
export function aliasingDb(
  magnitudes: Float64Array,
  binHz: number,
  fundamental: number,
): { db: number; at: number } {
  let fund = 0;
  let worst = 0;
  let at = 0;
  for (let i = 1; i < magnitudes.length; i++) {
    const hz = i * binHz;
    const harmonic = hz / fundamental;
    const distance = Math.abs(harmonic - Math.round(harmonic)) * fundamental; // Hz from the nearest harmonic
    if (Math.abs(hz - fundamental) < 4 * binHz) fund = Math.max(fund, magnitudes[i]);
    else if (distance > 40 && magnitudes[i] > worst) {
      worst = magnitudes[i];
      at = hz;
    }
  }
  return { db: 20 * Math.log10(worst / fund), at };
}

/** Rising-edge times (frames) where the signal goes from ≤ threshold to > threshold. */
export function risingEdges(signal: Float32Array, threshold = 0.5): number[] {
  const edges: number[] = [];
  for (let i = 0; i < signal.length; i++) {
    const before = i === 0 ? 0 : signal[i - 1];
    if (before <= threshold && signal[i] > threshold) edges.push(i);
  }
  return edges;
}

/** Frequency of the strongest spectral peak above `minHz` (ignores DC and slow drifts), interpolated. */
export function strongestAbove(signal: Float32Array, sampleRate: number, minHz = 50): number {
  const { magnitudes, binHz } = spectrum(signal, sampleRate);
  let best = Math.max(1, Math.ceil(minHz / binHz));
  for (let i = best; i < magnitudes.length - 1; i++) if (magnitudes[i] > magnitudes[best]) best = i;
  const a = Math.log(magnitudes[best - 1] + 1e-20);
  const b = Math.log(magnitudes[best] + 1e-20);
  const c = Math.log(magnitudes[best + 1] + 1e-20);
  return (best + (0.5 * (a - c)) / (a - 2 * b + c)) * binHz;
}

/** Standard deviation: the level of what moves, without the DC. */
export function acLevel(signal: Float32Array): number {
  let sum = 0;
  for (const x of signal) sum += x;
  const mean = sum / Math.max(1, signal.length);
  let squares = 0;
  for (const x of signal) squares += (x - mean) * (x - mean);
  return Math.sqrt(squares / Math.max(1, signal.length));
}

/**
 * Values no DataNode can carry (NaN, ±∞) and the extremes of a stream, as a broken upstream node could
 * send them. SpecialValuesNode plays them in turn, one a frame — or each for `hold` frames, so that two of
 * them (hold 1 and hold SPECIAL_VALUES.length) feed a node every pair within 225 frames of values.
 */
export const SPECIAL_VALUES = [
  Number.NaN,
  Number.POSITIVE_INFINITY,
  Number.NEGATIVE_INFINITY,
  STREAM_MAX,
  -STREAM_MAX,
  1e30,
  -1e30,
  1e-30,
  -1e-30,
  0,
  -0,
  1,
  -1,
  0.5,
  -2.5,
];

/** Test-only source of SPECIAL_VALUES (register it with `rig({ types: [SpecialValuesNode] })`). */
export const SpecialValuesNode = defineNode({
  type: 'SpecialValuesNode',
  category: 'debug',
  description: 'Test source: NaN, ±∞, ±the largest float32, ±1e30 … one after another.',
  inputs: { hold: data('Frames each value lasts.', { default: 1 }) },
  outputs: { out: stream('The values in turn.') },
  create(_ctx, io) {
    const out = io.outputs.out.buf;
    let played = 0;
    return {
      process(frames) {
        const hold = Math.max(1, Math.floor(Number(io.inputs.hold.value) || 1));
        // The first and last frame of each block are 0: the renderer's sentinel checks those two and would
        // (rightly) mute this node for a NaN there. The values play on the frames between.
        out[0] = 0;
        out[frames - 1] = 0;
        for (let i = 1; i < frames - 1; i++, played++)
          out[i] = SPECIAL_VALUES[Math.floor(played / hold) % SPECIAL_VALUES.length];
      },
    };
  },
});

/**
 * A node instance outside the engine, for inputs the engine never delivers (NaN and ±Infinity inside a
 * stream block): each stream input reads the given block (or its default), each data input the given value.
 * A definition with `prepare` is prepared (synchronously) and configured first. Renders `blocks` blocks and
 * returns each stream output's samples, concatenated.
 */
export function renderInstance(
  definition: NodeDefinition,
  inputs: Record<string, Float32Array | DataValue>,
  options: { blocks?: number; blockSize?: number; sampleRate?: number; warnings?: string[] } = {},
): Record<string, Float32Array> {
  const blockSize = options.blockSize ?? 128;
  const blocks = options.blocks ?? 1;
  const sampleRate = options.sampleRate ?? RATE;
  const warn = (message: string) => options.warnings?.push(message);
  const streamInputs: Record<string, StreamInput | DataInput> = {};
  for (const [port, spec] of Object.entries(definition.inputs)) {
    const given = inputs[port];
    if (spec.kind === 'stream') {
      const input = new StreamInput(
        streamDefault(spec),
        new Float32Array(blockSize).fill(streamDefault(spec)),
      );
      if (given instanceof Float32Array) {
        input.buf = given;
        input.constant = given.every((x) => Object.is(x, given[0]));
      }
      streamInputs[port] = input;
    } else if (spec.kind === 'data') {
      const input = new DataInput(spec.default ?? null);
      if (given !== undefined) input.source = { value: given as DataValue, version: 1 };
      streamInputs[port] = input;
    }
  }
  const outputs: Record<string, StreamOutput> = {};
  for (const [port, spec] of Object.entries(definition.outputs))
    if (spec.kind === 'stream') outputs[port] = new StreamOutput(new Float32Array(blockSize));
  const context = {
    name: 'direct',
    type: definition.type,
    sampleRate,
    blockSize,
    host: {},
    clock: { frames: 0 },
    tempo: createTempoState(),
    master: { left: new Float32Array(blockSize), right: new Float32Array(blockSize) },
    value: null,
    publish() {},
    debug() {},
    warn,
  };
  const instance = definition.create(context, { inputs: streamInputs, outputs } as unknown as NodeIO);
  if (definition.prepare) {
    const values: Record<string, DataValue> = {};
    for (const [port, spec] of Object.entries(definition.inputs))
      if (spec.structural) values[port] = (inputs[port] as DataValue | undefined) ?? spec.default ?? null;
    instance.configure?.(definition.prepare(values, { ...context, host: {} }));
  }
  const result: Record<string, Float32Array> = {};
  for (const port of Object.keys(outputs)) result[port] = new Float32Array(blocks * blockSize);
  for (let b = 0; b < blocks; b++) {
    instance.process(blockSize);
    context.clock.frames += blockSize;
    for (const [port, output] of Object.entries(outputs)) result[port].set(output.buf, b * blockSize);
  }
  return result;
}
