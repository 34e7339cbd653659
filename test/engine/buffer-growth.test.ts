// The stream-buffer memory starts small and grows while a patch is edited (issue 14, item 5): views made
// before a growth stay valid, buffers made after it are still WebAssembly buffers, and the sound across the
// block where it grew is what it would have been without growing (and what the plain-JS path renders).

import { afterEach, describe, expect, it } from 'vitest';
import { BufferPool } from '../../src/engine/buffers.js';
import {
  BUFFERS_OFFSET,
  kernelsBinary,
  kernelsFor,
  setWasmKernelsEnabled,
  sharedMemoryVariant,
  wasmKernelsAvailable,
} from '../../src/engine/wasm/kernels.js';
import { createRegistry, Graph, Renderer } from '../../src/index.js';

const SAMPLE_RATE = 44100;
const BLOCK = 128;
const TOLERANCE = 1e-5;

afterEach(() => setWasmKernelsEnabled(true));

describe.skipIf(!wasmKernelsAvailable())('growing the buffer memory', () => {
  it('derives a module that links with a shared memory, leaving the plain one as it was', () => {
    const plain = kernelsBinary();
    const shared = sharedMemoryVariant(plain);
    expect(WebAssembly.validate(shared)).toBe(true);
    const memory = new WebAssembly.Memory({ initial: 2, maximum: 4, shared: true });
    expect(() => new WebAssembly.Instance(new WebAssembly.Module(shared), { env: { memory } })).not.toThrow();
    expect(() => new WebAssembly.Instance(new WebAssembly.Module(plain), { env: { memory } })).toThrow();
  });

  it('hands out buffers past the first memory by growing it; earlier views stay valid and usable', () => {
    const pool = new BufferPool(BLOCK, { initialBuffers: 1, maxBuffers: 600 });
    const kernels = pool.kernels!;
    const initialBytes = kernels.byteLength;
    const firstCapacity = pool.capacity;
    expect(kernels.maxByteLength).toBeGreaterThan(initialBytes);
    const early = pool.alloc();
    early.fill(0.5);
    const buffers = [early];
    while (buffers.length < 590) buffers.push(pool.alloc());
    expect(kernels.byteLength).toBeGreaterThan(initialBytes);
    expect(pool.capacity).toBeGreaterThan(firstCapacity);
    expect(pool.capacity).toBeLessThanOrEqual(600);
    // The view made before growing is not detached and still aliases the memory the kernels see.
    expect(early.length).toBe(BLOCK);
    expect(early[BLOCK - 1]).toBe(0.5);
    const late = buffers[buffers.length - 1];
    expect(pool.offsetOf(late)).toBeGreaterThanOrEqual(initialBytes - BLOCK * 4);
    kernels.exports.addConstant(pool.offsetOf(early), 1, pool.offsetOf(late), BLOCK);
    expect([...late].every((x) => x === 1.5)).toBe(true);
    early[3] = 2;
    expect(new Float32Array(kernels.heap, pool.offsetOf(early), BLOCK)[3]).toBe(2);
    const offsets = buffers.map((b) => pool.offsetOf(b));
    expect(offsets.every((offset) => offset >= BUFFERS_OFFSET)).toBe(true);
    expect(buffers.every((b) => kernelsFor(b) === kernels)).toBe(true);
    const sorted = [...offsets].sort((a, b) => a - b);
    for (let i = 1; i < sorted.length; i++)
      expect(sorted[i] - sorted[i - 1]).toBeGreaterThanOrEqual(BLOCK * 4);
    // Past the maximum, plain-JS buffers as before.
    while (buffers.length < 600) buffers.push(pool.alloc());
    const extra = pool.alloc();
    expect(pool.offsetOf(extra)).toBe(-1);
    expect(kernelsFor(extra)).toBeNull();
  });

  /**
   * Renders 12 blocks of one sine, then adds 120 more sines summed into the output (an edit that needs far
   * more buffers than the first memory holds) and renders 12 more. Returns the master output, the first
   * sine's output block by block, and the memory's size before and after.
   */
  function renderAcrossGrowth(wasm: boolean) {
    setWasmKernelsEnabled(wasm);
    const registry = createRegistry();
    const renderer = new Renderer({ sampleRate: SAMPLE_RATE, blockSize: BLOCK, registry, initialBuffers: 1 });
    const graph = new Graph(registry);
    graph.on({ batch: (ops) => renderer.enqueue(ops) });
    const port = (node: string, name: string) => ({ node, port: name });
    graph.addNode('DataNode', 'f0', 440);
    graph.addNode('SineNode', 's0');
    graph.link(port('f0', 'out'), port('s0', 'frequency'));
    graph.addNode('PlaybackNode', 'play');
    graph.link(port('s0', 'out'), port('play', 'left'));
    const master = new Float32Array(BLOCK * 24);
    const first = new Float32Array(BLOCK * 24);
    const bytesBefore = kernelsFor(renderer.master.left)?.byteLength ?? 0;
    const s0 = () => renderer.streamOutput(port('s0', 'out'))!;
    for (let b = 0; b < 24; b++) {
      if (b === 12) {
        graph.transaction(() => {
          graph.addNode('AddNode', 'sum0');
          graph.link(port('s0', 'out'), port('sum0', 'a'));
          for (let i = 1; i <= 120; i++) {
            graph.addNode('DataNode', `f${i}`, 100 + 7 * i);
            graph.addNode('SineNode', `s${i}`);
            graph.link(port(`f${i}`, 'out'), port(`s${i}`, 'frequency'));
            graph.addNode('AddNode', `sum${i}`);
            graph.link(port(`sum${i - 1}`, 'out'), port(`sum${i}`, 'a'));
            graph.link(port(`s${i}`, 'out'), port(`sum${i}`, 'b'));
          }
          graph.addNode('MultiplyNode', 'gain');
          graph.addNode('DataNode', 'level', 1 / 121);
          graph.link(port('sum120', 'out'), port('gain', 'a'));
          graph.link(port('level', 'out'), port('gain', 'b'));
          graph.link(port('gain', 'out'), port('play', 'right'));
        });
      }
      renderer.renderBlock();
      master.set(renderer.master.right, b * BLOCK);
      first.set(s0(), b * BLOCK);
    }
    const bytesAfter = kernelsFor(renderer.master.left)?.byteLength ?? 0;
    const late = renderer.streamOutput(port('sum120', 'out'))!;
    return { master, first, bytesBefore, bytesAfter, late, s0: s0() };
  }

  it('an edit that outgrows the memory renders on: the sine before it is continuous, the result matches plain JS', () => {
    const grown = renderAcrossGrowth(true);
    expect(grown.bytesAfter).toBeGreaterThan(grown.bytesBefore);
    // The new nodes' buffers are WebAssembly buffers in the grown part, not the plain-JS overflow.
    expect(kernelsFor(grown.late)).not.toBeNull();
    expect(grown.late.byteOffset).toBeGreaterThanOrEqual(grown.bytesBefore);
    // The first sine's view survived the growth (a detached view has length 0).
    expect(grown.s0.length).toBe(BLOCK);
    // Phase-continuous across the block where the memory grew: the exact sine at every frame.
    let worst = 0;
    for (let i = 0; i < grown.first.length; i++) {
      worst = Math.max(worst, Math.abs(grown.first[i] - Math.sin((2 * Math.PI * 440 * i) / SAMPLE_RATE)));
    }
    expect(worst).toBeLessThan(TOLERANCE);
    const js = renderAcrossGrowth(false);
    expect(js.bytesAfter).toBe(0);
    let difference = 0;
    for (let i = 0; i < js.master.length; i++)
      difference = Math.max(difference, Math.abs(js.master[i] - grown.master[i]));
    expect(difference).toBeLessThan(TOLERANCE);
    // The summed sines sound after the edit (a silent output would match trivially).
    expect(Math.max(...grown.master.subarray(13 * BLOCK).map(Math.abs))).toBeGreaterThan(0.05);
  });
});
