import { defineNode, stream } from '../../engine/definition.js';
import { kernelsFor, nodeState } from '../../engine/wasm/kernels.js';
import { OP_REVERB } from '../../engine/wasm/ops.js';

/** Delay lines of the feedback delay network (a power of two: the Hadamard mix below is 4 butterflies). */
const LINES = 16;
/**
 * Line lengths at size 1, in frames at 44.1 kHz (scaled to the engine's rate): primes spaced about 9 %
 * apart from 25 ms to 95 ms, so echoes never line up and the modes spread evenly.
 */
const BASE_LENGTHS_44K = [
  1103, 1201, 1319, 1433, 1571, 1721, 1877, 2053, 2243, 2447, 2677, 2927, 3203, 3499, 3823, 4177,
];
/** `size` 0…1 scales every line by MIN_SCALE…1. */
const MIN_SCALE = 0.15;
/** The size whose wet level is the reference (the default): other sizes are level-matched to it. */
const REFERENCE_SCALE = MIN_SCALE + (1 - MIN_SCALE) * 0.7;
/**
 * How fast a line's length may change when `size` moves, in frames per frame for the longest line
 * (shorter lines move proportionally slower, so all arrive together): the tail bends in pitch by at most
 * 5 % (under a semitone) instead of clicking, like a tape delay; a full sweep of `size` takes about 1.6 s.
 */
const GLIDE = 0.05;
/**
 * Rows of the 16×16 Hadamard matrix that feed (left, right input) and tap (left, right output) the lines.
 * Taps are orthogonal, so the tails decorrelate. For a mono source (the same signal into both inputs) each
 * line's first echo carries feedL + feedR, squared ∝ 1 + row(FEED_L xor FEED_R), and left·right weighs it
 * by row(TAP_L xor TAP_R): the two XORs differ (15 vs 3), so even the first echoes cancel in the L·R sum.
 */
const FEED_LEFT_ROW = 3;
const FEED_RIGHT_ROW = 12;
const TAP_LEFT_ROW = 5;
const TAP_RIGHT_ROW = 6;
/**
 * Frames rendered as one chunk: parameters are read at a chunk's start and every coefficient and length
 * ramps linearly to its new value across the chunk. Lines are never shorter than a chunk plus two frames.
 */
const CHUNK = 16;
const MIN_LENGTH = CHUNK + 2;
/** Line states below this (−360 dB) are flushed to zero: no denormal slow-down as a tail dies away. */
const FLUSH = 1e-18;
/** Inputs are clipped to ±INPUT_LIMIT (+120 dBFS) and NaN reads as 0, so the network stays finite. */
const INPUT_LIMIT = 1e6;
const DECAY_MIN = 0.1;
const DECAY_MAX = 60;
/** `damping` 1 makes the highest frequencies (Nyquist) die 10^HF_DECADES times faster than the lows. */
const HF_DECADES = 1.5;
/** Time constant of the `mix` and coefficient smoothers (s): a jump settles within 5 ms. */
const SMOOTHING = 0.001;
/** A gliding coefficient this close to its target snaps to it (and the network is at rest again). */
const SETTLED = 1e-9;

// The state block (float64 slots; the same layout as reverbOp's in scripts/wasm/ops-space.ts, which renders
// on it): scalars, then per-line arrays of LINES, the chunk scratch, then the lines themselves (float32).
/** `mix` smoothed. */
const MIX = 0;
/** Wet gain at the chunk's start, at its end, and where it is heading. */
const WET_START = 1;
const WET_END = 2;
const WET_TARGET = 3;
/** `decay`, `damping` and `size` as last read (clamped). */
const DECAY = 4;
const DAMPING = 5;
const SIZE = 6;
/** Write position of every line (frames, a multiple of CHUNK). */
const WRITE = 7;
/** 1 while any line glides; 1 while coefficients ramp; 1 once started (smoothers start at the first value). */
const GLIDING = 8;
const RAMPING = 9;
const STARTED = 10;
/** Constants for the kernel: the sample rate, the lines' total length at size 1, the two smoothers. */
const RATE = 11;
const BASE_TOTAL = 12;
const MIX_COEFFICIENT = 13;
const COEFFICIENT_GLIDE = 14;
/** Per-line arrays (LINES each, in this order from ARRAYS_AT). */
const ARRAYS_AT = 16;
const BASE = 0;
const OFFSET = 1;
const MASK = 2;
const GLIDE_RATE = 3;
const FEED_LEFT = 4;
const FEED_RIGHT = 5;
const LENGTH = 6;
const LENGTH_END = 7;
const TARGET = 8;
const POLE = 9;
const GAIN = 10;
const POLE_END = 11;
const GAIN_END = 12;
const POLE_TARGET = 13;
const GAIN_TARGET = 14;
const FILTERED = 15;
const CHUNK_AT = ARRAYS_AT + 16 * LINES;
const DRY_LEFT_AT = CHUNK_AT + LINES * CHUNK;
const DRY_RIGHT_AT = DRY_LEFT_AT + CHUNK;
/** Where the lines start (float32 from this slot's byte, 16-byte aligned). */
const LINES_AT = DRY_RIGHT_AT + CHUNK;

/**
 * Stereo algorithmic reverb: a 16-line feedback delay network (Jot). Each line's output passes a one-pole
 * absorbent low-pass whose DC gain sets the decay (−60 dB after `decay` seconds whatever the line's
 * length) and whose Nyquist gain sets how much faster the highs die (`damping`); a Hadamard matrix mixes
 * the lines back into each other. Left and right feed and tap the lines with orthogonal sign patterns, so
 * their tails are decorrelated. Parameters are read every 16 frames; `decay` and `damping` glide the
 * coefficients (settled within 5 ms), `size` glides the line lengths (pitch bend ≤ 5 %, no click), `mix`
 * is smoothed per frame (1 ms). Design notes: docs/decisions.md, "ReverbNode".
 */
export const ReverbNode = defineNode({
  type: 'ReverbNode',
  category: 'space',
  description:
    'Stereo algorithmic reverb (16-line feedback delay network): `decay` is the RT60, `mix` crossfades dry and wet.',
  inputs: {
    inputLeft: stream('Left input.', { default: 0 }),
    inputRight: stream('Right input.', { default: 0 }),
    decay: stream(
      `Reverberation time: the tail falls by 60 dB in this many seconds (clamped to ${DECAY_MIN}…${DECAY_MAX}).`,
      { default: 2, unit: 's', min: DECAY_MIN, max: DECAY_MAX },
    ),
    damping: stream(
      'High-frequency damping: 0 bright (all frequencies decay alike), 1 dark (clamped to 0…1).',
      {
        default: 0.5,
        unit: '0…1',
        min: 0,
        max: 1,
      },
    ),
    size: stream('Room size: scales the delay lines; changes glide, without clicks (clamped to 0…1).', {
      default: 0.7,
      unit: '0…1',
      min: 0,
      max: 1,
    }),
    mix: stream('Dry/wet crossfade: 0 dry only, 1 wet only (clamped to 0…1).', {
      default: 0.3,
      unit: '0…1',
      min: 0,
      max: 1,
    }),
  },
  outputs: {
    left: stream('Left output: (1 − mix)·dry + mix·wet.'),
    right: stream('Right output: (1 − mix)·dry + mix·wet.'),
  },
  create(ctx, io) {
    const { inputLeft, inputRight, decay, damping, size, mix } = io.inputs;
    const outLeft = io.outputs.left.buf;
    const outRight = io.outputs.right.buf;
    const rate = ctx.sampleRate;

    // Delay lines: power-of-two rings long enough for size 1, side by side in one array.
    const offsets = new Int32Array(LINES);
    const masks = new Int32Array(LINES);
    let capacityTotal = 0;
    for (let k = 0; k < LINES; k++) {
      const needed = Math.ceil((BASE_LENGTHS_44K[k] * rate) / 44100) + 4;
      let capacity = 1;
      while (capacity < needed) capacity *= 2;
      offsets[k] = capacityTotal;
      masks[k] = capacity - 1;
      capacityTotal += capacity;
    }
    // Everything in one state block (allocated here, once), in the kernels' memory when there is room: the
    // plan's op (OP_REVERB) renders on the same state and lines as process(). The lines are float32 after
    // the float64 slots.
    const kernels = kernelsFor(outLeft);
    const stateSize = LINES_AT + Math.ceil(capacityTotal / 2);
    const { at: stateAt, state } = nodeState(kernels, stateSize);
    const memory = new Float32Array(state.buffer, state.byteOffset + LINES_AT * 8, capacityTotal);
    const line = (array: number) =>
      state.subarray(ARRAYS_AT + array * LINES, ARRAYS_AT + (array + 1) * LINES);
    const base = line(BASE); // length at size 1, frames
    const glide = line(GLIDE_RATE); // per line: frames per frame it may glide
    // Input sign patterns: two rows of the 16×16 Hadamard matrix, ±1/4 (unit norm). The output taps are
    // rows TAP_LEFT_ROW and TAP_RIGHT_ROW of the mixed vector itself (see below).
    const feedLeft = line(FEED_LEFT);
    const feedRight = line(FEED_RIGHT);
    const length = line(LENGTH); // length at the start of the chunk, frames
    const lengthEnd = line(LENGTH_END); // … and at its end (they differ only while gliding)
    const target = line(TARGET); // where a glide is heading: whole frames
    const pole = line(POLE); // one-pole feedback coefficient a (0 at damping 0)
    const gain = line(GAIN); // one-pole input gain b = g0·(1 − a)
    const poleEnd = line(POLE_END); // coefficients at the end of the chunk (ramped linearly)
    const gainEnd = line(GAIN_END);
    const poleTarget = line(POLE_TARGET); // … and where they are heading
    const gainTarget = line(GAIN_TARGET);
    const filtered = line(FILTERED); // one-pole state = the line's last output after absorption
    /** Chunk scratch: LINES rows of CHUNK frames — each line's absorbed output, then the mixed vectors. */
    const chunk = state.subarray(CHUNK_AT, CHUNK_AT + LINES * CHUNK);
    const dryLeft = state.subarray(DRY_LEFT_AT, DRY_LEFT_AT + CHUNK);
    const dryRight = state.subarray(DRY_RIGHT_AT, DRY_RIGHT_AT + CHUNK);
    let longest = 0;
    let baseTotal = 0;
    for (let k = 0; k < LINES; k++) {
      base[k] = (BASE_LENGTHS_44K[k] * rate) / 44100;
      longest = Math.max(longest, base[k]);
      baseTotal += base[k];
      state[ARRAYS_AT + OFFSET * LINES + k] = offsets[k];
      state[ARRAYS_AT + MASK * LINES + k] = masks[k];
      feedLeft[k] = hadamardSign(FEED_LEFT_ROW, k) / 4;
      feedRight[k] = hadamardSign(FEED_RIGHT_ROW, k) / 4;
    }
    for (let k = 0; k < LINES; k++) glide[k] = (GLIDE * base[k]) / longest;
    const mixCoefficient = 1 - Math.exp(-1 / (SMOOTHING * rate));
    const coefficientGlide = 1 - Math.exp(-CHUNK / (SMOOTHING * rate));
    state[RATE] = rate;
    state[BASE_TOTAL] = baseTotal;
    state[MIX_COEFFICIENT] = mixCoefficient;
    state[COEFFICIENT_GLIDE] = coefficientGlide;

    /**
     * Render side, at the start of each chunk (frame i of the block): reads the parameters and sets where
     * lengths and coefficients will be at the chunk's end; the chunk ramps to them linearly. Clamps are
     * written out inline: a helper returning a fraction, when V8 does not inline it, allocates.
     */
    const control = (i: number): void => {
      const started = state[STARTED] === 1;
      const rawSize = size.buf[i];
      const sizeValue = Number.isNaN(rawSize) ? 0 : Math.min(1, Math.max(0, rawSize));
      if (!started || sizeValue !== state[SIZE]) {
        state[SIZE] = sizeValue;
        const scale = MIN_SCALE + (1 - MIN_SCALE) * sizeValue;
        for (let k = 0; k < LINES; k++) {
          target[k] = Math.max(MIN_LENGTH, Math.round(base[k] * scale));
          if (!started) length[k] = target[k];
        }
      }
      let moving = 0;
      for (let k = 0; k < LINES; k++) {
        const now = length[k];
        const difference = target[k] - now;
        const most = glide[k] * CHUNK;
        const next = difference > most ? now + most : difference < -most ? now - most : target[k];
        lengthEnd[k] = next;
        if (next !== now) moving = 1;
      }
      state[GLIDING] = moving;
      const rawDecay = decay.buf[i];
      const seconds = Number.isNaN(rawDecay) ? DECAY_MIN : Math.min(DECAY_MAX, Math.max(DECAY_MIN, rawDecay));
      const rawDamping = damping.buf[i];
      const damp = Number.isNaN(rawDamping) ? 0 : Math.min(1, Math.max(0, rawDamping));
      const retarget = !started || moving === 1 || seconds !== state[DECAY] || damp !== state[DAMPING];
      if (retarget) {
        state[DECAY] = seconds;
        state[DAMPING] = damp;
        // g0 = 10^(−3·L / (T60·rate)): −60 dB per T60 at DC; the highs' T60 is shorter by 10^(1.5·damping).
        const perFrame = (-3 * Math.LN10) / (seconds * rate);
        const highPerFrame = perFrame * 10 ** (HF_DECADES * damp);
        let total = 0;
        for (let k = 0; k < LINES; k++) {
          const at = lengthEnd[k];
          total += at;
          const g0 = Math.exp(perFrame * at);
          const gHigh = Math.exp(highPerFrame * at);
          const a = (g0 - gHigh) / (g0 + gHigh);
          poleTarget[k] = a;
          gainTarget[k] = g0 * (1 - a);
        }
        // The wet level falls as the lines lengthen (the same energy spread thinner): level-match sizes.
        state[WET_TARGET] = Math.sqrt(total / (REFERENCE_SCALE * baseTotal));
      }
      if (!started) {
        pole.set(poleTarget);
        gain.set(gainTarget);
        state[WET_START] = state[WET_TARGET];
        state[RAMPING] = 0;
      } else if (retarget || state[RAMPING] === 1) {
        // Glide every coefficient toward its target (one-pole, τ = 1 ms: settled within 5 ms), so a jump
        // of `decay` or `damping` changes the tail's level smoothly instead of within a chunk.
        let remaining = 0;
        for (let k = 0; k < LINES; k++) {
          let a = pole[k] + coefficientGlide * (poleTarget[k] - pole[k]);
          if (Math.abs(poleTarget[k] - a) < SETTLED) a = poleTarget[k];
          let b = gain[k] + coefficientGlide * (gainTarget[k] - gain[k]);
          if (Math.abs(gainTarget[k] - b) < SETTLED) b = gainTarget[k];
          poleEnd[k] = a;
          gainEnd[k] = b;
          if (a !== pole[k] || b !== gain[k]) remaining = 1;
        }
        let wet = state[WET_START] + coefficientGlide * (state[WET_TARGET] - state[WET_START]);
        if (Math.abs(state[WET_TARGET] - wet) < SETTLED) wet = state[WET_TARGET];
        state[WET_END] = wet;
        if (wet !== state[WET_START]) remaining = 1;
        state[RAMPING] = remaining;
      }
      if (state[RAMPING] === 0) state[WET_END] = state[WET_START];
      if (!started) {
        const rawMix = mix.buf[i];
        state[MIX] = Number.isNaN(rawMix) ? 0 : Math.min(1, Math.max(0, rawMix));
        state[STARTED] = 1;
      }
    };

    /**
     * Renders CHUNK frames from frame i of the block. Every line is longer than a chunk, so what the chunk
     * reads was written before it: each line is read and absorbed for the whole chunk in one loop, then
     * the lines are mixed frame by frame, then written back.
     */
    const renderChunk = (i: number): void => {
      const write = state[WRITE];
      const gliding = state[GLIDING] === 1;
      const ramping = state[RAMPING] === 1;
      for (let k = 0; k < LINES; k++) {
        const offset = offsets[k];
        const mask = masks[k];
        const row = k * CHUNK;
        let y = filtered[k];
        if (!gliding && !ramping) {
          // At rest (the usual case): whole lengths, fixed coefficients.
          const a = pole[k];
          const b = gain[k];
          const start = write - length[k];
          for (let n = 0; n < CHUNK; n++) {
            y = b * memory[offset + ((start + n) & mask)] + a * y;
            if (!(y > FLUSH || y < -FLUSH)) y = 0; // also turns NaN into 0
            chunk[row + n] = y;
          }
        } else {
          // Lengths and coefficients ramp linearly across the chunk; fractional reads interpolate.
          const a0 = pole[k];
          const b0 = gain[k];
          const aStep = (poleEnd[k] - a0) / CHUNK;
          const bStep = (gainEnd[k] - b0) / CHUNK;
          const l0 = length[k];
          const lStep = (lengthEnd[k] - l0) / CHUNK;
          for (let n = 0; n < CHUNK; n++) {
            const delay = l0 + lStep * (n + 1);
            const whole = Math.floor(delay);
            const fraction = delay - whole;
            const at = write + n - whole;
            const x0 = memory[offset + (at & mask)];
            const x1 = memory[offset + ((at - 1) & mask)];
            y = (b0 + bStep * (n + 1)) * (x0 + fraction * (x1 - x0)) + (a0 + aStep * (n + 1)) * y;
            if (!(y > FLUSH || y < -FLUSH)) y = 0;
            chunk[row + n] = y;
          }
          pole[k] = poleEnd[k];
          gain[k] = gainEnd[k];
          length[k] = lengthEnd[k];
        }
        filtered[k] = y;
      }
      // Mix: each frame's vector ← H·vector (unnormalised; the 1/4 that makes it orthogonal comes at the
      // write), as butterflies between whole rows.
      for (let h = 1; h < LINES; h <<= 1) {
        for (let j0 = 0; j0 < LINES; j0 += h << 1) {
          for (let j = j0; j < j0 + h; j++) {
            const p = j * CHUNK;
            const q = (j + h) * CHUNK;
            for (let n = 0; n < CHUNK; n++) {
              const u = chunk[p + n];
              const w = chunk[q + n];
              chunk[p + n] = u + w;
              chunk[q + n] = u - w;
            }
          }
        }
      }
      // Inputs clipped with Math.min/max (NaN → 0): a ternary mixing constants into a fraction makes V8 box it.
      const inL = inputLeft.buf;
      const inR = inputRight.buf;
      for (let n = 0; n < CHUNK; n++) {
        const rawL = inL[i + n];
        const rawR = inR[i + n];
        dryLeft[n] = Number.isNaN(rawL) ? 0.0 : Math.min(INPUT_LIMIT, Math.max(-INPUT_LIMIT, rawL));
        dryRight[n] = Number.isNaN(rawR) ? 0.0 : Math.min(INPUT_LIMIT, Math.max(-INPUT_LIMIT, rawR));
      }
      for (let k = 0; k < LINES; k++) {
        const offset = offsets[k];
        const mask = masks[k];
        const row = k * CHUNK;
        const fl = feedLeft[k];
        const fr = feedRight[k];
        for (let n = 0; n < CHUNK; n++)
          memory[offset + ((write + n) & mask)] = 0.25 * chunk[row + n] + fl * dryLeft[n] + fr * dryRight[n];
      }
      state[WRITE] = (write + CHUNK) & 0x3fffffff;
      // Outputs. Row r of H·y is the tap with the signs of Hadamard row r: the taps cost nothing.
      const tapL = TAP_LEFT_ROW * CHUNK;
      const tapR = TAP_RIGHT_ROW * CHUNK;
      const mixBuf = mix.buf;
      const w0 = state[WET_START];
      const wStep = (state[WET_END] - w0) / CHUNK;
      let smoothMix = state[MIX];
      for (let n = 0; n < CHUNK; n++) {
        const rawMix = mixBuf[i + n];
        const m = Number.isNaN(rawMix) ? 0.0 : Math.min(1, Math.max(0, rawMix));
        smoothMix += mixCoefficient * (m - smoothMix);
        const wet = 0.25 * smoothMix * (w0 + wStep * (n + 1));
        outLeft[i + n] = (1 - smoothMix) * dryLeft[n] + wet * chunk[tapL + n];
        outRight[i + n] = (1 - smoothMix) * dryRight[n] + wet * chunk[tapR + n];
      }
      state[MIX] = smoothMix;
      state[WET_START] = state[WET_END];
    };

    return {
      encode(writer) {
        if (!kernels || stateAt < 0) return false;
        return (
          writer.begin(OP_REVERB, outLeft) &&
          writer.input(inputLeft) &&
          writer.input(inputRight) &&
          writer.input(decay) &&
          writer.input(damping) &&
          writer.input(size) &&
          writer.input(mix) &&
          writer.pointer(kernels.offsetOf(outRight)) &&
          writer.pointer(stateAt)
        );
      },
      dispose() {
        kernels?.releaseState(stateAt, stateSize * 8);
      },
      process(frames) {
        // Block sizes are powers of two ≥ 16, so chunks never straddle blocks and land on the same frames
        // whatever the block size.
        for (let i = 0; i < frames; i += CHUNK) {
          control(i);
          renderChunk(i);
        }
      },
    };
  },
});

/** Sign (±1) of entry (row, column) of the Sylvester–Hadamard matrix: (−1)^popcount(row & column). */
function hadamardSign(row: number, column: number): number {
  let bits = row & column;
  let parity = 0;
  while (bits) {
    parity ^= bits & 1;
    bits >>= 1;
  }
  return parity ? -1 : 1;
}
