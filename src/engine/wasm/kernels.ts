// The WebAssembly SIMD kernels (built from scripts/wasm/kernels.ts) and the linear memory they work in.
// BufferPool owns one Kernels per renderer: stream buffers are Float32Array views into `memory`, so a node
// passes `buf.byteOffset` to a kernel. The memory starts small and grows on demand (by doubling, up to a
// maximum). Growing an ordinary WebAssembly memory detaches every view made on it, and nodes hold their
// views for life, so the growable memory is a *shared* one: growing it gives `memory.buffer` a new, longer
// SharedArrayBuffer while the views on the old ones stay valid (same memory, same byte offsets). Where
// shared memory is unavailable (a browser page without cross-origin isolation) the memory is made at its
// maximum size up front and never grows, as before. Where WebAssembly or SIMD is missing, or kernels are
// switched off, there are no Kernels and nodes run their plain-JS loops.
// No Node APIs here: the binary is embedded as hex text and compiled synchronously (1.5 KB), so this runs in
// Node, workers and browsers alike.

import { SINE_TABLE } from '../../dsp/sine-table.js';
import { KERNELS_WASM_HEX } from './kernels.generated.js';

/** The kernels' exports. Pointers are byte offsets into the memory; frames is a multiple of 16. */
export interface KernelExports {
  add(a: number, b: number, out: number, frames: number): void;
  addConstant(a: number, k: number, out: number, frames: number): void;
  multiply(a: number, b: number, out: number, frames: number): void;
  multiplyConstant(a: number, k: number, out: number, frames: number): void;
  fill(out: number, k: number, frames: number): void;
  /** sin(φ + iω) for i < frames, given cos φ, sin φ and a SineNode's state (cos ω, sin ω, cached rotations). */
  sineConstant(out: number, frames: number, re: number, im: number, state: number): void;
  /**
   * `count` voices into a VoicesNode's mix, in order: their buffer offsets are i32 pairs at `voices`; each
   * one's peak |sample| is written as an f32 at `peaks` + 4·i, NaN (and nothing added) when a sample is not
   * finite.
   */
  mixVoices(left: number, right: number, voices: number, count: number, frames: number, peaks: number): void;
  /** The loudest |sample| of the blocks at `a` and `b`, NaN when a sample is not finite. */
  voicePeak(a: number, b: number, frames: number): number;
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
  grow(pages: number): number;
}
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
  Memory: new (descriptor: { initial: number; maximum: number; shared?: boolean }) => WasmMemory;
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

/** The most pages a memory import may declare (4 GiB), so the shared variant links with any maximum. */
const MAX_PAGES = 65536;

let enabled = true;
let compiled: object | null | undefined;
/** The same module importing a shared memory (see sharedMemoryVariant); null where that is unsupported. */
let compiledShared: object | null | undefined;

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
    const bytes = decodedBinary();
    // validate() is false where SIMD (v128) is unsupported.
    if (api.validate(bytes)) compiled = new api.Module(bytes);
  } catch {
    compiled = null;
  }
  return compiled;
}

/** The module with a shared memory import, or null (no shared memory here: no SharedArrayBuffer, or a page
 * without cross-origin isolation, where making a shared memory throws). */
function compiledSharedModule(): object | null {
  if (compiledShared !== undefined) return compiledShared;
  compiledShared = null;
  const api = wasmApi();
  if (!api || compiledModule() === null || typeof SharedArrayBuffer !== 'function') return compiledShared;
  try {
    const probe = new api.Memory({ initial: 1, maximum: 1, shared: true });
    if (!(probe.buffer instanceof SharedArrayBuffer)) return compiledShared;
    compiledShared = new api.Module(sharedMemoryVariant(decodedBinary()));
  } catch {
    compiledShared = null;
  }
  return compiledShared;
}

/**
 * The kernels binary with its memory import declared shared (limits 0x03: minimum, maximum MAX_PAGES).
 * A module must declare an imported memory shared to accept a shared one, and one embedded binary serves
 * both kinds, so the shared variant is derived here rather than built and embedded twice: the import
 * section is re-encoded and every other section copied as it is, whole (Uint8Array.set: the binary is
 * ~50 kB, and copying it byte by byte through a number[] cost ~7 ms of a render's start-up).
 */
export function sharedMemoryVariant(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  let at = 8; // magic and version
  const leb = (): number => {
    let value = 0;
    let shift = 0;
    let byte: number;
    do {
      byte = bytes[at++];
      value += (byte & 0x7f) * 2 ** shift;
      shift += 7;
    } while (byte & 0x80);
    return value;
  };
  const encode = (value: number, into: number[]): void => {
    do {
      const byte = value % 128;
      value = Math.floor(value / 128);
      into.push(value > 0 ? byte | 0x80 : byte);
    } while (value > 0);
  };
  // Find the import section; only it changes.
  let sectionStart = -1;
  let contentStart = 0;
  let sectionEnd = 0;
  while (at < bytes.length) {
    const start = at;
    const id = bytes[at++];
    const size = leb();
    if (id === 2) {
      sectionStart = start;
      contentStart = at;
      sectionEnd = at + size;
      break;
    }
    at += size;
  }
  if (sectionStart < 0) return bytes.slice();
  at = contentStart;
  const content: number[] = [];
  const copy = (from: number) => {
    for (let i = from; i < at; i++) content.push(bytes[i]);
  };
  let from = at;
  const count = leb();
  copy(from);
  for (let i = 0; i < count; i++) {
    from = at;
    const moduleName = leb(); // two statements: `at += leb()` would read `at` before leb() moves it
    at += moduleName;
    const fieldName = leb();
    at += fieldName;
    const kind = bytes[at++];
    if (kind === 2) {
      copy(from);
      const flags = bytes[at++];
      const minimum = leb();
      if (flags & 1) leb();
      content.push(0x03);
      encode(minimum, content);
      encode(MAX_PAGES, content);
      continue;
    }
    if (kind === 0 || kind === 4) {
      if (kind === 4) at++;
      leb();
    } else if (kind === 1) {
      at++; // reference type
      if (bytes[at++] & 1) leb();
      leb();
    } else if (kind === 3) at += 2; // value type, mutability
    copy(from);
  }
  const header: number[] = [2];
  encode(content.length, header);
  const out = new Uint8Array(sectionStart + header.length + content.length + (bytes.length - sectionEnd));
  out.set(bytes.subarray(0, sectionStart));
  out.set(header, sectionStart);
  out.set(content, sectionStart + header.length);
  out.set(bytes.subarray(sectionEnd), sectionStart + header.length + content.length);
  return out;
}

const owners = new WeakMap<ArrayBuffer, Kernels>();

/** The Kernels whose memory holds `buf`, or null (plain-JS buffer). Control side: call at create time. */
export function kernelsFor(buf: Float32Array): Kernels | null {
  return owners.get(buf.buffer as ArrayBuffer) ?? null;
}

/**
 * A node's state of `slots` float64s: in `kernels`' memory when there is room (`at` ≥ 0, the offset its op
 * reads it at), else a plain array (`at` = -1). Either way `process()` uses the same array. Control side.
 */
export function nodeState(kernels: Kernels | null, slots: number): { at: number; state: Float64Array } {
  const at = kernels ? kernels.allocState(slots * 8) : -1;
  const state = kernels && at >= 0 ? new Float64Array(kernels.heap, at, slots) : new Float64Array(slots);
  return { at, state };
}

/**
 * A node's own float32 buffer of `length` samples (a fade's scratch block, a delay line), zeroed: in
 * `kernels`' memory when there is room (`at` ≥ 0), else `fallback` or a new plain array (`at` = -1), as
 * `nodeState`. Control side, or an edit's block boundary (it may grow the memory); give it back with
 * `releaseState(at, length * 4)`.
 */
export function nodeSamples(
  kernels: Kernels | null,
  length: number,
  fallback?: Float32Array,
): { at: number; samples: Float32Array } {
  const at = kernels ? kernels.allocState(length * 4) : -1;
  const samples =
    kernels && at >= 0 ? new Float32Array(kernels.heap, at, length) : (fallback ?? new Float32Array(length));
  return { at, samples };
}

export class Kernels {
  /**
   * The memory's buffer as of the last growth, on which new views are made. After a growth, views made
   * earlier sit on an older (shorter) buffer of the same memory: ask `holds`/`offsetOf`, not `=== heap`.
   */
  heap: ArrayBuffer;
  readonly exports: KernelExports;
  /** Bytes of memory now. */
  byteLength: number;
  /** Bytes the memory may grow to (equal to byteLength when it cannot grow). */
  readonly maxByteLength: number;
  readonly sineTable = SINE_TABLE_OFFSET;
  private readonly memory: WasmMemory;

  /** Where the next buffer or state block goes: memory below it is handed out, above it is free. */
  private top = BUFFERS_OFFSET;
  /** Freed state blocks by size, reused before `top` moves. */
  private readonly freeState = new Map<number, number[]>();

  private constructor(memory: WasmMemory, exports: KernelExports, maxByteLength: number) {
    this.memory = memory;
    this.heap = memory.buffer;
    this.exports = exports;
    this.byteLength = this.heap.byteLength;
    this.maxByteLength = maxByteLength;
    if (SINE_TABLE_OFFSET + SINE_TABLE.byteLength > STATIC_DATA_OFFSET)
      throw new Error('sine table overlaps');
    new Float64Array(this.heap, SINE_TABLE_OFFSET, SINE_TABLE.length).set(SINE_TABLE);
    new Int32Array(this.heap, ALWAYS_CONSTANT, 1)[0] = 1;
    owners.set(this.heap, this);
  }

  /**
   * A memory of `bufferBytes` after the table page (stream buffers and state, see `reserve`), growable to
   * `maxBufferBytes` where shared memory is available (else made at `maxBufferBytes` up front), with the
   * kernels bound to it; null when WebAssembly SIMD is unavailable or switched off.
   */
  static create(bufferBytes: number, maxBufferBytes = bufferBytes): Kernels | null {
    const api = wasmApi();
    const module = enabled ? compiledModule() : null;
    if (!api || !module) return null;
    const pages = Math.ceil((BUFFERS_OFFSET + bufferBytes) / WASM_PAGE_BYTES);
    const maxPages = Math.min(
      MAX_PAGES,
      Math.max(pages, Math.ceil((BUFFERS_OFFSET + maxBufferBytes) / WASM_PAGE_BYTES)),
    );
    const shared = maxPages > pages ? compiledSharedModule() : null;
    if (shared) {
      const memory = new api.Memory({ initial: pages, maximum: maxPages, shared: true });
      const instance = new api.Instance(shared, { env: { memory } });
      return new Kernels(memory, instance.exports as KernelExports, maxPages * WASM_PAGE_BYTES);
    }
    const memory = new api.Memory({ initial: maxPages, maximum: maxPages });
    const instance = new api.Instance(module, { env: { memory } });
    return new Kernels(memory, instance.exports as KernelExports, maxPages * WASM_PAGE_BYTES);
  }

  /** True when `buf` is a view into this memory (on its current buffer or one from before a growth). */
  holds(buf: Float32Array): boolean {
    return owners.get(buf.buffer as ArrayBuffer) === this;
  }

  /** `buf`'s byte offset in this memory, or -1 when it lies elsewhere (a plain-JS buffer). */
  offsetOf(buf: Float32Array): number {
    return owners.get(buf.buffer as ArrayBuffer) === this ? buf.byteOffset : -1;
  }

  /**
   * Grows the memory to at least `byteLength` bytes (doubling, up to maxByteLength); false when it cannot.
   * Views made before stay valid (a shared memory never detaches). May allocate: call when applying an
   * edit, not while rendering a block.
   */
  grow(byteLength: number): boolean {
    if (byteLength <= this.byteLength) return true;
    if (byteLength > this.maxByteLength) return false;
    const target = Math.min(this.maxByteLength, Math.max(byteLength, this.byteLength * 2));
    try {
      this.memory.grow(Math.ceil((target - this.byteLength) / WASM_PAGE_BYTES));
    } catch {
      return false;
    }
    this.heap = this.memory.buffer;
    this.byteLength = this.heap.byteLength;
    owners.set(this.heap, this);
    return true;
  }

  /**
   * `bytes` (a multiple of 16) of never-used, zeroed memory at the top, growing the memory when needed; -1
   * when it cannot grow that far. Stream buffers and state blocks come from here, interleaved as made.
   * Control side (it may grow the memory).
   */
  reserve(bytes: number): number {
    if (!this.grow(this.top + bytes)) return -1;
    const at = this.top;
    this.top += bytes;
    return at;
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
    return this.reserve(size);
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

/** The decoded binary, shared by both modules (decoding is the costly part: see setHexDecoder). */
let binary: Uint8Array<ArrayBuffer> | undefined;
let hexDecoder: (text: string) => Uint8Array<ArrayBuffer> = decodeHex;

/**
 * Decodes the embedded binary with `decode` from now on, in place of decodeHex's loop: a host with a native
 * decoder passes it (Node: Buffer's hex), as that loop runs cold in the interpreter, ~7 ms of a render's
 * start-up, where the native one takes ~0.1 ms. Call before the first renderer is made; `decode` must
 * give what decodeHex gives.
 */
export function setHexDecoder(decode: (text: string) => Uint8Array<ArrayBuffer>): void {
  hexDecoder = decode;
}

function decodedBinary(): Uint8Array<ArrayBuffer> {
  binary ??= hexDecoder(KERNELS_WASM_HEX);
  return binary;
}

/** The kernels' WebAssembly binary, decoded from its embedded hex text (a fresh copy each call). */
export function kernelsBinary(): Uint8Array<ArrayBuffer> {
  return decodedBinary().slice();
}

/** Lower-case hex → bytes without Buffer (absent in worklet scopes). */
export function decodeHex(text: string): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(text.length >> 1);
  for (let i = 0; i < bytes.length; i++) {
    const high = text.charCodeAt(2 * i);
    const low = text.charCodeAt(2 * i + 1);
    // '0'…'9' are 48…57, 'a'…'f' 97…102.
    bytes[i] = ((high < 97 ? high - 48 : high - 87) << 4) | (low < 97 ? low - 48 : low - 87);
  }
  return bytes;
}
