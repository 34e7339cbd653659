// The WebAssembly SIMD kernels (built from scripts/wasm/kernels.ts) and the linear memory they work in.
// BufferPool owns one Kernels per renderer: stream buffers are Float32Array views into `memory`, so a node
// passes `buf.byteOffset` to a kernel. The memory has a fixed size and never grows, so the views stay valid
// for the life of the renderer (a grown memory would detach every view). Where WebAssembly or SIMD is
// missing, or kernels are switched off, there are no Kernels and nodes run their plain-JS loops.
// No Node APIs here: the binary is embedded as base64 and compiled synchronously (1.5 KB), so this runs in
// Node, workers and browsers alike.

import { SINE_TABLE } from '../../dsp/sine-table.js';
import { KERNELS_WASM_BASE64 } from './kernels.generated.js';

/** The kernels' exports. Pointers are byte offsets into the memory; frames is a multiple of 16. */
export interface KernelExports {
  add(a: number, b: number, out: number, frames: number): void;
  addConstant(a: number, k: number, out: number, frames: number): void;
  multiply(a: number, b: number, out: number, frames: number): void;
  multiplyConstant(a: number, k: number, out: number, frames: number): void;
  fill(out: number, k: number, frames: number): void;
  /** sin(φ + iω) for i < frames, given cos φ, sin φ, cos ω, sin ω. */
  sineConstant(out: number, frames: number, re: number, im: number, cosStep: number, sinStep: number): void;
  /** Table sine with an audio-rate frequency buffer; returns the phase (cycles) after the block. */
  sineModulated(
    out: number,
    frequency: number,
    frames: number,
    phase: number,
    inverseRate: number,
    table: number,
    tableSize: number,
  ): number;
  /**
   * Runs the `count` ops whose record pointers are at byte offset `ops` (src/engine/op-list.ts) for one
   * block; returns the index of the first op whose output went non-finite (it stopped there), or -1.
   */
  runOps(ops: number, count: number, frames: number, table: number): number;
}

// The few WebAssembly declarations needed, without pulling the DOM typings into the core.
interface WasmMemory {
  readonly buffer: ArrayBuffer;
}
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
  Memory: new (descriptor: { initial: number; maximum: number }) => WasmMemory;
  validate(bytes: Uint8Array): boolean;
}

export const WASM_PAGE_BYTES = 65536;
/** Byte offset of an i32 that is always 1: the "is constant" flag of an input bound to a constant buffer. */
export const ALWAYS_CONSTANT = 16;
/** Byte offset of an i32 that is always 0: the flag of an input bound to another node's output. */
export const NEVER_CONSTANT = 20;
/** Byte offset of the float64 sine table (SINE_TABLE, copied in at creation). */
export const SINE_TABLE_OFFSET = 64;
/**
 * Byte offset of the kernels' static data (tables of Math.exp and the like, placed by the compiler at
 * instantiation: `--memoryBase` in scripts/build-wasm.mjs); page 0 holds it up to BUFFERS_OFFSET.
 */
export const STATIC_DATA_OFFSET = 40960;
/** State memory's allocation unit: every block is 16-byte aligned. */
const STATE_ALIGN = 16;
/** Byte offset of the first stream buffer: page 0 holds the tables, and 0 is never a buffer's offset. */
export const BUFFERS_OFFSET = WASM_PAGE_BYTES;

let enabled = true;
let compiled: object | null | undefined;

/**
 * Turns the WebAssembly kernels on or off for renderers created afterwards (tests and the bench compare the
 * two paths; both produce the same signal within 1e-5).
 */
export function setWasmKernelsEnabled(on: boolean): void {
  enabled = on;
}

/** True when this runtime has WebAssembly with SIMD and the kernels are enabled. */
export function wasmKernelsAvailable(): boolean {
  return enabled && compiledModule() !== null;
}

function wasmApi(): WasmApi | undefined {
  return (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
}

function compiledModule(): object | null {
  if (compiled !== undefined) return compiled;
  compiled = null;
  const api = wasmApi();
  if (!api) return compiled;
  try {
    const bytes = decodeBase64(KERNELS_WASM_BASE64);
    // validate() is false where SIMD (v128) is unsupported.
    if (api.validate(bytes)) compiled = new api.Module(bytes);
  } catch {
    compiled = null;
  }
  return compiled;
}

const owners = new WeakMap<ArrayBuffer, Kernels>();

/** The Kernels whose memory holds `buf`, or null (plain-JS buffer). Control side: call at create time. */
export function kernelsFor(buf: Float32Array): Kernels | null {
  return owners.get(buf.buffer as ArrayBuffer) ?? null;
}

export class Kernels {
  /** The memory's buffer; a Float32Array lives in this memory when `buf.buffer === heap`. */
  readonly heap: ArrayBuffer;
  readonly exports: KernelExports;
  readonly byteLength: number;
  readonly sineTable = SINE_TABLE_OFFSET;

  /** Where state memory (node state, op lists, flags) begins: after the stream buffers. */
  readonly stateStart: number;
  private stateUsed: number;
  /** Freed state blocks by size, reused before the bump pointer moves. */
  private readonly freeState = new Map<number, number[]>();

  private constructor(memory: WasmMemory, exports: KernelExports, stateStart: number) {
    this.heap = memory.buffer;
    this.exports = exports;
    this.byteLength = this.heap.byteLength;
    this.stateStart = stateStart;
    this.stateUsed = stateStart;
    if (SINE_TABLE_OFFSET + SINE_TABLE.byteLength > STATIC_DATA_OFFSET)
      throw new Error('sine table overlaps');
    new Float64Array(this.heap, SINE_TABLE_OFFSET, SINE_TABLE.length).set(SINE_TABLE);
    new Int32Array(this.heap, ALWAYS_CONSTANT, 1)[0] = 1;
    owners.set(this.heap, this);
  }

  /**
   * A fixed-size memory of `bufferBytes` after the table page, then `stateBytes` of state memory, with the
   * kernels bound to it; null when WebAssembly SIMD is unavailable or switched off.
   */
  static create(bufferBytes: number, stateBytes = 0): Kernels | null {
    const api = wasmApi();
    const module = enabled ? compiledModule() : null;
    if (!api || !module) return null;
    const stateStart = BUFFERS_OFFSET + Math.ceil(bufferBytes / STATE_ALIGN) * STATE_ALIGN;
    const pages = Math.ceil((stateStart + stateBytes) / WASM_PAGE_BYTES);
    const memory = new api.Memory({ initial: pages, maximum: pages });
    const instance = new api.Instance(module, { env: { memory } });
    return new Kernels(memory, instance.exports as KernelExports, stateStart);
  }

  /**
   * `bytes` of zeroed state memory (control side): the byte offset, 16-byte aligned, or -1 when the state
   * memory is full (the caller then keeps its state in JS and renders by its own `process`).
   */
  allocState(bytes: number): number {
    const size = Math.ceil(bytes / STATE_ALIGN) * STATE_ALIGN;
    const recycled = this.freeState.get(size)?.pop();
    if (recycled !== undefined) {
      new Uint8Array(this.heap, recycled, size).fill(0);
      return recycled;
    }
    if (this.stateUsed + size > this.byteLength) return -1;
    const at = this.stateUsed;
    this.stateUsed += size;
    return at;
  }

  /** Gives back a block from `allocState` (same `bytes`). */
  releaseState(at: number, bytes: number): void {
    if (at < 0) return;
    const size = Math.ceil(bytes / STATE_ALIGN) * STATE_ALIGN;
    let list = this.freeState.get(size);
    if (!list) {
      list = [];
      this.freeState.set(size, list);
    }
    list.push(at);
  }
}

const BASE64_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** Base64 → bytes without atob/Buffer (absent in some worklet scopes). */
export function decodeBase64(text: string): Uint8Array {
  const values = new Uint8Array(128);
  for (let i = 0; i < BASE64_ALPHABET.length; i++) values[BASE64_ALPHABET.charCodeAt(i)] = i;
  let length = text.length;
  while (length > 0 && text[length - 1] === '=') length--;
  const bytes = new Uint8Array((length * 3) >> 2);
  let bits = 0;
  let count = 0;
  let at = 0;
  for (let i = 0; i < length; i++) {
    bits = (bits << 6) | values[text.charCodeAt(i)];
    count += 6;
    if (count >= 8) {
      count -= 8;
      bytes[at++] = (bits >> count) & 0xff;
    }
  }
  return bytes;
}
