// The op list's vocabulary, shared by the nodes that have a kernel (their `encode`) and the plan that writes
// the list (op-list.ts). Opcodes, record size and operand order must match `runOps` in scripts/wasm/kernels.ts.

import type { StreamInput } from '../definition.js';

/**
 * Bytes of an op record unless its node asks for more (`OpWriter.begin`): 32 i32 words (opcode, muted
 * flag, output, operands).
 */
export const OP_BYTES = 128;

/** Bytes of a record with `streamInputs` inputs (two words each) and `pointers` pointer operands. */
export function opRecordBytes(streamInputs: number, pointers: number): number {
  return (3 + 2 * streamInputs + pointers) * 4;
}

/** SineNode: output, frequency input (buffer, constant flag), state (SINE_STATE_BYTES). */
export const OP_SINE = 1;
/** AddNode: output, a (buffer, constant flag), b (buffer, constant flag). */
export const OP_ADD = 2;
/** MultiplyNode: as OP_ADD. */
export const OP_MULTIPLY = 3;
/** GainNode: output, input (buffer, flag), gain (buffer, flag), state. */
export const OP_GAIN = 4;

// Oscillators and envelopes (opcodes 10–29; kernels in scripts/wasm/ops-osc.ts). `tables`: the BLEP step
// table followed by the ramp table in the kernels' memory (src/nodes/oscillators/blep.ts, blepTablesIn).
/** SquareNode: output, frequency (buffer, flag), pwm (buffer, flag), state (its own: a 64-frame ring), tables. */
export const OP_SQUARE = 10;
/** SawtoothNode: output, frequency (buffer, flag), state (OSC_STATE_BYTES), tables. */
export const OP_SAWTOOTH = 11;
/** TriangleNode: as OP_SAWTOOTH. */
export const OP_TRIANGLE = 12;
/** ADSRNode: output, gate, attack, decay, sustain, release (each buffer, flag), state. */
export const OP_ADSR = 13;

// Filters and mixing (opcodes 30–49; kernels in scripts/wasm/ops-filter.ts, `runFilterOp`).
/** LadderFilterNode: output, input, cutoff, resonance, drive (buffer, flag each), state. */
export const OP_LADDER = 30;
/**
 * StateVariableFilterNode: lowpass output, input, cutoff, resonance (buffer, flag each), the highpass,
 * bandpass and notch outputs (pointers), state.
 */
export const OP_SVF = 31;
/** PanNode: left output, input, pan (buffer, flag each), the right output (pointer), state. */
export const OP_PAN = 32;
/** CrossfadeNode: output, a, b, mix (buffer, flag each), state. */
export const OP_CROSSFADE = 33;

// Nodes with a data input (opcodes 50–69; kernels in scripts/wasm/ops-data.ts, `runDataOp`). Each node's
// `readData` writes what its data input decides into its state before the op runs.
/** MathNode: output, a, b (buffer, flag each), the fade's scratch block (pointer), state. */
export const OP_MATH = 50;
/** BiquadFilterNode: output, input, cutoff, q, gain (buffer, flag each), state. */
export const OP_BIQUAD = 51;
/** DelayNode: output, input, time, feedback (buffer, flag each), state (which holds the line's offset). */
export const OP_DELAY = 52;
// Mixing, envelopes and dynamics (opcodes 70–89; kernels in scripts/wasm/ops-mix.ts, `runMixOp`).
/**
 * MixerNode: output, then per channel its input and its level (buffer, flag each), state (the levels,
 * started flag, glide coefficient, then the float64 sum of a block). Longer than OP_BYTES.
 */
export const OP_MIXER = 70;
/** LagNode: output, input, rise, fall (buffer, flag each), state. */
export const OP_LAG = 71;
/** TriggerEnvelopeNode: output, trigger, attack, decay (buffer, flag each), state. */
export const OP_TRIGGER_ENVELOPE = 72;

// Dynamics (opcodes 90–109; kernels in scripts/wasm/ops-dyn.ts, `runDynOp`).
/**
 * CompressorNode: output, input, detector (the sidechain when linked, else the input), threshold, ratio,
 * knee, attack, release, makeup (buffer, flag each), state (with the peak window after its slots).
 */
export const OP_COMPRESSOR = 90;
/**
 * DistortionNode: output, input, drive, mix (buffer, flag each), state (with its rings, block scratch and
 * the oversampler's taps and histories after its slots). Its `readData` writes the shape into the state.
 */
export const OP_DISTORTION = 91;

// Space (opcodes 110–129; kernels in scripts/wasm/ops-space.ts, `runSpaceOp`).
/**
 * ReverbNode: left output, inputLeft, inputRight, decay, damping, size, mix (buffer, flag each), the right
 * output (pointer), state (its slots, scratch and float32 delay lines in one block).
 */
export const OP_REVERB = 110;

/**
 * What a node's `encode` writes its op with. Each call returns false when the operand cannot be given to a
 * kernel (a buffer outside the kernels' memory): the node then renders by `process`, as without kernels.
 */
export interface OpWriter {
  /**
   * Starts the op: its opcode, the output buffer it writes and, for an op with more operands than OP_BYTES
   * holds, its record's size (`opRecordBytes`). An operand past that size is refused (returns false).
   */
  begin(opcode: number, out: Float32Array, bytes?: number): boolean;
  /** The next operand is a stream input: its bound buffer and its "constant this block" flag. */
  input(input: StreamInput): boolean;
  /** The next operand is a byte offset in the kernels' memory (the node's state from `allocState`). */
  pointer(byteOffset: number): boolean;
}
