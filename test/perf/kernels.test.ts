// The WebAssembly SIMD kernels and the plain-JS fallback render the same signal (within 1e-5) for every
// block size, and the sine is within 1e-5 of an exact float64 reference, phase-continuous across blocks and
// frequency changes. Correctness only: speed is `npm run bench`.

import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { BufferPool } from '../../src/engine/buffers.js';
import {
  BUFFERS_OFFSET,
  kernelsFor,
  setWasmKernelsEnabled,
  wasmKernelsAvailable,
} from '../../src/engine/wasm/kernels.js';
import {
  createRegistry,
  Graph,
  type NodeContext,
  type NodeIO,
  Renderer,
  StreamInput,
  StreamOutput,
  Synchrotron,
} from '../../src/index.js';
import { AddNode } from '../../src/nodes/math/add-node.js';
import { MultiplyNode } from '../../src/nodes/math/multiply-node.js';
import { maxDifference } from '../helpers/analysis.js';

const SAMPLE_RATE = 44100;
const BLOCK_SIZES = [16, 32, 64, 128, 256, 512, 1024, 2048, 4096];
const TOLERANCE = 1e-5;

afterEach(() => setWasmKernelsEnabled(true));

type Build = (s: Synchrotron) => void;

/** Renders `frames` frames of the left master channel, with or without the WebAssembly kernels. */
function render(
  wasm: boolean,
  blockSize: number,
  build: Build,
  frames: number,
  midway?: Build,
): Float32Array {
  setWasmKernelsEnabled(wasm);
  const s = new Synchrotron({ sampleRate: SAMPLE_RATE, blockSize });
  setWasmKernelsEnabled(true);
  expect(kernelsFor(s.renderer.master.left) !== null).toBe(wasm);
  build(s);
  s.add('PlaybackNode', 'play');
  s.link('probe.out', 'play.left');
  const half = Math.ceil(frames / 2 / blockSize) * blockSize;
  const first = s.renderFrames(half).left;
  midway?.(s);
  const second = s.renderFrames(frames - half).left;
  const out = new Float32Array(frames);
  out.set(first);
  out.set(second, half);
  return out;
}

/** Frames to render for a block size: at least 4 blocks and 8192 frames. */
const framesFor = (blockSize: number) => Math.max(4 * blockSize, 8192);

function sineOf(hz: number, name = 'probe'): Build {
  return (s) => {
    s.addValue(hz, `${name}Hz`);
    s.add('SineNode', name);
    s.link(`${name}Hz.out`, `${name}.frequency`);
  };
}

/**
 * Exact sine for a frequency that is `from` Hz, then (from the block at `changeAt`) glides over one block to
 * `to` Hz as the renderer's data→stream ramp does, then stays.
 */
function referenceSine(frames: number, blockSize: number, from: number, to: number, changeAt: number) {
  const out = new Float64Array(frames);
  let phase = 0;
  const step = (to - from) / blockSize;
  for (let n = 0; n < frames; n++) {
    out[n] = Math.sin(2 * Math.PI * phase);
    let hz = n < changeAt ? from : to;
    if (n >= changeAt && n < changeAt + blockSize) hz = Math.fround(from + step * (n - changeAt + 1));
    phase += hz / SAMPLE_RATE;
    phase -= Math.floor(phase);
  }
  return out;
}

describe('WebAssembly kernels', () => {
  it('are available on this Node (SIMD)', () => {
    expect(wasmKernelsAvailable()).toBe(true);
  });

  it('the embedded binary is up to date with scripts/wasm/kernels.ts', () => {
    const script = fileURLToPath(new URL('../../scripts/build-wasm.mjs', import.meta.url));
    expect(() => execFileSync(process.execPath, [script, '--check'], { stdio: 'pipe' })).not.toThrow();
  });
});

describe('SineNode: WebAssembly and JS agree, and both match an exact sine', () => {
  for (const blockSize of BLOCK_SIZES) {
    it(`constant frequencies and a frequency change, ${blockSize} frames per block`, () => {
      const frames = framesFor(blockSize);
      const half = Math.ceil(frames / 2 / blockSize) * blockSize;
      for (const [from, to] of [
        [440, 1234.5],
        [0.5, 17000],
        [-300, 20],
        [22050, 3],
        [0, 440],
      ]) {
        const change: Build = (s) => s.setValue('probeHz', to);
        const wasm = render(true, blockSize, sineOf(from), frames, change);
        const js = render(false, blockSize, sineOf(from), frames, change);
        const exact = referenceSine(frames, blockSize, from, to, half);
        expect(maxDifference(wasm, js), `${from}→${to} Hz`).toBeLessThan(TOLERANCE);
        expect(maxDifference(wasm, exact), `${from}→${to} Hz vs exact`).toBeLessThan(TOLERANCE);
        expect(maxDifference(js, exact), `${from}→${to} Hz JS vs exact`).toBeLessThan(TOLERANCE);
      }
    });

    it(`audio-rate frequency (FM), ${blockSize} frames per block`, () => {
      const frames = framesFor(blockSize);
      // frequency = 440 + 300·sin(2π·7t): an audio-rate buffer into the carrier.
      const fm: Build = (s) => {
        sineOf(7, 'lfo')(s);
        s.addValue(300, 'depth');
        s.addValue(440, 'centre');
        s.add('MultiplyNode', 'swing');
        s.link('lfo.out', 'swing.a');
        s.link('depth.out', 'swing.b');
        s.add('AddNode', 'hz');
        s.link('swing.out', 'hz.a');
        s.link('centre.out', 'hz.b');
        s.add('SineNode', 'probe');
        s.link('hz.out', 'probe.frequency');
      };
      const wasm = render(true, blockSize, fm, frames);
      const js = render(false, blockSize, fm, frames);
      expect(maxDifference(wasm, js)).toBeLessThan(TOLERANCE);
      // Continuity: no step larger than the fastest sine (740 Hz) can make, plus rounding.
      let steepest = 0;
      for (let i = 1; i < frames; i++) steepest = Math.max(steepest, Math.abs(wasm[i] - wasm[i - 1]));
      expect(steepest).toBeLessThan((2 * Math.PI * 740) / SAMPLE_RATE + 1e-4);
    });
  }
});

describe('AddNode and MultiplyNode: WebAssembly and JS agree for every constant/audio combination', () => {
  const sources: Record<string, Build> = {
    constant: (s) => s.addValue(0.375, 'src'),
    audio: sineOf(311.1, 'src'),
    unconnected: () => {},
  };
  const others: Record<string, Build> = {
    constant: (s) => s.addValue(-1.25, 'other'),
    audio: sineOf(97.3, 'other'),
    unconnected: () => {},
  };
  for (const type of ['AddNode', 'MultiplyNode']) {
    for (const blockSize of BLOCK_SIZES) {
      it(`${type}, ${blockSize} frames per block`, () => {
        const frames = framesFor(blockSize);
        for (const [aKind, buildA] of Object.entries(sources)) {
          for (const [bKind, buildB] of Object.entries(others)) {
            const build: Build = (s) => {
              buildA(s);
              buildB(s);
              s.add(type, 'probe');
              if (aKind !== 'unconnected') s.link('src.out', 'probe.a');
              if (bKind !== 'unconnected') s.link('other.out', 'probe.b');
            };
            // Midway, a value change makes a constant input ramp for one block (audio rate), then settle.
            const change: Build = (s) => {
              if (aKind === 'constant') s.setValue('src', 0.5);
              if (bKind === 'constant') s.setValue('other', 2);
            };
            const wasm = render(true, blockSize, build, frames, change);
            const js = render(false, blockSize, build, frames, change);
            expect(maxDifference(wasm, js), `a ${aKind}, b ${bKind}`).toBeLessThan(TOLERANCE);
            if (aKind !== 'unconnected' && bKind !== 'unconnected') {
              expect(
                Math.max(...wasm.subarray(0, 64).map(Math.abs)),
                `a ${aKind}, b ${bKind}`,
              ).toBeGreaterThan(0);
            }
          }
        }
      });
    }
  }
});

describe('BufferPool', () => {
  it('hands out aligned, disjoint views into the kernels memory, at the offsets it reports', () => {
    const pool = new BufferPool(128, { maxBuffers: 64 });
    const kernels = pool.kernels!;
    expect(kernels).not.toBeNull();
    const buffers = Array.from({ length: 64 }, () => pool.alloc());
    const offsets = buffers.map((b) => pool.offsetOf(b));
    offsets.forEach((offset, i) => {
      expect(offset).toBe(buffers[i].byteOffset);
      expect(offset % 16).toBe(0);
      expect(offset).toBeGreaterThanOrEqual(BUFFERS_OFFSET);
      expect(offset + 128 * 4).toBeLessThanOrEqual(kernels.byteLength);
      expect(buffers[i].buffer).toBe(kernels.heap);
      expect(kernelsFor(buffers[i])).toBe(kernels);
    });
    const sorted = [...offsets].sort((a, b) => a - b);
    for (let i = 1; i < sorted.length; i++) expect(sorted[i] - sorted[i - 1]).toBeGreaterThanOrEqual(128 * 4);
    // What a node writes through its view is what a kernel reads at the offset, and the reverse.
    buffers[5].fill(0.25);
    kernels.exports.addConstant(offsets[5], 1, offsets[6], 128);
    expect([...buffers[6]].every((x) => x === 1.25)).toBe(true);
    expect(new Float32Array(kernels.heap, offsets[6], 128)[127]).toBe(1.25);
    expect(pool.inUse).toBe(64);
    // Recycled buffers come back zeroed; past the reserve, buffers are plain JS and report -1.
    pool.release(buffers[6]);
    const again = pool.alloc();
    expect(again).toBe(buffers[6]);
    expect(again.every((x) => x === 0)).toBe(true);
    const extra = pool.alloc();
    expect(extra.length).toBe(128);
    expect(pool.offsetOf(extra)).toBe(-1);
    expect(kernelsFor(extra)).toBeNull();
    expect(pool.inUse).toBe(65);
  });

  it('without WebAssembly, hands out plain buffers and the engine still renders', () => {
    setWasmKernelsEnabled(false);
    const pool = new BufferPool(64);
    expect(pool.kernels).toBeNull();
    const buf = pool.alloc();
    expect(buf.length).toBe(64);
    expect(pool.offsetOf(buf)).toBe(-1);
    const js = render(false, 64, sineOf(440), 1024);
    expect(Math.max(...js.map(Math.abs))).toBeGreaterThan(0.99);
  });

  it('a patch larger than the reserve renders the same, part on WebAssembly buffers, part on plain ones', () => {
    const renderWith = (maxBuffers?: number) => {
      const registry = createRegistry();
      const renderer = new Renderer({ sampleRate: SAMPLE_RATE, blockSize: 64, registry, maxBuffers });
      const graph = new Graph(registry);
      graph.on({ batch: (ops) => renderer.enqueue(ops) });
      const port = (node: string, name: string) => ({ node, port: name });
      for (let i = 0; i < 6; i++) {
        graph.addNode('DataNode', `f${i}`, 200 + 150 * i);
        graph.addNode('SineNode', `s${i}`);
        graph.link(port(`f${i}`, 'out'), port(`s${i}`, 'frequency'));
        graph.addNode('AddNode', `sum${i}`);
        graph.link(port(`s${i}`, 'out'), port(`sum${i}`, 'a'));
        if (i > 0) graph.link(port(`sum${i - 1}`, 'out'), port(`sum${i}`, 'b'));
      }
      graph.addNode('MultiplyNode', 'gain');
      graph.link(port('sum5', 'out'), port('gain', 'a'));
      graph.addNode('DataNode', 'g', 0.1);
      graph.link(port('g', 'out'), port('gain', 'b'));
      graph.addNode('PlaybackNode', 'play');
      graph.link(port('gain', 'out'), port('play', 'left'));
      const out = new Float32Array(64 * 40);
      for (let b = 0; b < 40; b++) {
        renderer.renderBlock();
        out.set(renderer.master.left, b * 64);
      }
      return { out, renderer };
    };
    const small = renderWith(10); // the master bus and a few nodes fit; the rest overflow
    const roomy = renderWith();
    const buffers = ['s0', 's5', 'sum5', 'gain'].map(
      (node) => small.renderer.streamOutput({ node, port: 'out' })!,
    );
    expect(buffers.map((b) => kernelsFor(b) !== null)).toContain(true);
    expect(buffers.map((b) => kernelsFor(b) !== null)).toContain(false);
    expect(maxDifference(small.out, roomy.out)).toBeLessThan(TOLERANCE);
    expect(Math.max(...roomy.out.map(Math.abs))).toBeGreaterThan(0.1);
  });

  it('a node whose input is a plain-JS buffer (pool overflow) falls back to its JS loop', () => {
    const pool = new BufferPool(128);
    const ctx = { sampleRate: SAMPLE_RATE, blockSize: 128 } as NodeContext;
    for (const [definition, expected] of [
      [AddNode, (x: number, y: number) => x + y],
      [MultiplyNode, (x: number, y: number) => x * y],
    ] as const) {
      const out = new StreamOutput(pool.alloc());
      const a = new StreamInput(0, pool.alloc());
      const b = new StreamInput(0, new Float32Array(128)); // outside the kernels memory
      for (let i = 0; i < 128; i++) {
        a.buf[i] = Math.sin(i / 7);
        b.buf[i] = Math.cos(i / 5);
      }
      a.constant = false;
      b.constant = false;
      const node = definition.create(ctx, { inputs: { a, b }, outputs: { out } } as unknown as NodeIO);
      node.process(128);
      for (let i = 0; i < 128; i++) expect(out.buf[i]).toBe(Math.fround(expected(a.buf[i], b.buf[i])));
      // Rebound to pool buffers (a relink), the same node takes the kernel and gives the same result.
      b.buf = pool.alloc();
      for (let i = 0; i < 128; i++) b.buf[i] = Math.cos(i / 5);
      out.buf.fill(0);
      node.process(128);
      for (let i = 0; i < 128; i++) expect(out.buf[i]).toBe(Math.fround(expected(a.buf[i], b.buf[i])));
    }
  });
});
