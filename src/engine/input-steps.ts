// Input steps: work done on a node's inputs before it renders, on the render thread, allocation-free.
// Made and armed when a plan is built (plan.ts); `run` is called once per block by the loop (renderer.ts).

import type { DataSlot, StreamInput } from './definition.js';
import { dataToNumber } from './types.js';
import type { Kernels } from './wasm/kernels.js';

/** Work done on a node's inputs before it renders (data→stream conversion, relink crossfades). */
export interface InputStep {
  run(frames: number): void;
}

/** Turns a data value into a stream for one stream input; ramps value changes across one block. */
export class DataToStream implements InputStep {
  slot: DataSlot;
  readonly buf: Float32Array;
  readonly input: StreamInput;
  /**
   * `input.constant` mirrored as an i32 in the kernels' memory, for the op of the node it feeds (op-list.ts):
   * its byte offset, or -1 without kernels (or when their state memory is full).
   */
  readonly constantAt: number;
  private readonly constantFlag: Int32Array;
  private readonly kernels: Kernels | null;
  private current = 0;
  private started = false;
  private filled = false;
  /**
   * The slot and its version when the value last settled into a filled, constant block. Until the slot
   * changes, a block only repeats the flags: most converters feed fixed values, and a large patch has
   * thousands of them, so the common case skips reading and converting the value.
   */
  private settledSlot: DataSlot | null = null;
  private settledVersion = -1;

  constructor(slot: DataSlot, buf: Float32Array, input: StreamInput, kernels: Kernels | null = null) {
    this.slot = slot;
    this.buf = buf;
    this.input = input;
    this.kernels = kernels;
    this.constantAt = kernels ? kernels.allocState(4) : -1;
    this.constantFlag =
      kernels && this.constantAt >= 0 ? new Int32Array(kernels.heap, this.constantAt, 1) : new Int32Array(1);
  }

  /** Gives the flag back (the node is removed). */
  release(): void {
    this.kernels?.releaseState(this.constantAt, 4);
  }

  /** Its value has settled: until the slot changes, a block only repeats the flags. */
  get settled(): boolean {
    return this.slot === this.settledSlot && this.slot.version === this.settledVersion;
  }

  run(frames: number): void {
    const slot = this.slot;
    const input = this.input;
    if (slot === this.settledSlot && slot.version === this.settledVersion) {
      input.constant = true;
      this.constantFlag[0] = 1;
      return;
    }
    const target = dataToNumber(slot.value);
    if (target === this.current && this.started) {
      if (!this.filled) {
        this.buf.fill(target);
        this.filled = true;
      } else {
        this.settledSlot = slot;
        this.settledVersion = slot.version;
      }
      input.constant = true;
      this.constantFlag[0] = 1;
      return;
    }
    if (!this.started) {
      this.started = true;
      this.current = target;
      this.buf.fill(target);
      this.filled = true;
      input.constant = true;
      this.constantFlag[0] = 1;
      return;
    }
    // A control change: glide to the new value over this block instead of jumping (no zipper click).
    const from = this.current;
    const step = (target - from) / frames;
    const buf = this.buf;
    for (let i = 0; i < frames; i++) buf[i] = from + step * (i + 1);
    this.current = target;
    this.filled = false;
    input.constant = false;
    this.constantFlag[0] = 0;
  }
}

/**
 * A stream input that was relinked glides, for one block, from the last value it read to its new source,
 * so that changing what feeds an input never clicks (DESIGN principle 5). Then it reads the source itself.
 */
export class RelinkCrossfade implements InputStep {
  readonly buf: Float32Array;
  private readonly input: StreamInput;
  private state: 'idle' | 'fading' | 'restoring' = 'idle';
  private from = 0;
  private target: Float32Array;
  /** The target's constant flag to restore, or null when a converter manages it every block. */
  private targetConstant: boolean | null = null;

  constructor(buf: Float32Array, input: StreamInput) {
    this.buf = buf;
    this.input = input;
    this.target = input.buf;
  }

  /** Has work left: a block to glide, or the target to restore. */
  get active(): boolean {
    return this.state !== 'idle';
  }

  /** Glides (or glided) to `target`. */
  fadesTo(target: Float32Array): boolean {
    return this.target === target;
  }

  /** Control side, at compile: the input was bound to `target`; it last read `from`. */
  arm(from: number, target: Float32Array, targetConstant: boolean | null): void {
    this.from = Number.isFinite(from) ? from : 0;
    this.target = target;
    this.targetConstant = targetConstant;
    this.state = 'fading';
  }

  run(frames: number): void {
    const input = this.input;
    if (this.state === 'fading') {
      const target = this.target;
      const buf = this.buf;
      const from = this.from;
      const scale = 1 / frames;
      for (let i = 0; i < frames; i++) buf[i] = from + (target[i] - from) * (i + 1) * scale;
      input.buf = buf;
      input.constant = false;
      this.state = 'restoring';
    } else if (this.state === 'restoring') {
      input.buf = this.target;
      if (this.targetConstant !== null) input.constant = this.targetConstant;
      this.state = 'idle';
    }
  }
}
