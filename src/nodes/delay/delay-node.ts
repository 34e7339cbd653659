import { data, defineNode, type PrepareContext, stream } from '../../engine/definition.js';
import type { DataValue } from '../../engine/types.js';
import { kernelsFor, nodeSamples, nodeState } from '../../engine/wasm/kernels.js';
import { OP_DELAY } from '../../engine/wasm/ops.js';

/** Longest line a DelayNode may ask for (seconds): 60 s is 10 MB of float32 at 44.1 kHz. */
export const MAX_DELAY_SECONDS = 60;
const DEFAULT_MAX_TIME = 2;
const DEFAULT_TIME = 0.25;
/** Shortest delay (samples): the 4-point interpolator reads one sample newer than the delay, which must
 * already be in the line when feedback writes the current one. */
const MIN_DELAY_SAMPLES = 2;
const MAX_FEEDBACK = 0.99;
/** A NaN feedback reads as 0, from a typed array (see NAN_READS_AS in filters/filter-limits.ts for why). */
const NAN_FEEDBACK = new Float64Array(1);
/**
 * How fast (samples of delay per sample) the read position may follow `time`: up to 1 it reads along
 * (pitch moves between 0 and 2×, as a chorus, flanger or vibrato wants); a faster change — a new value
 * from a DataNode, a jump in a modulator — is crossfaded instead, from the old position to the new one.
 */
const MAX_FOLLOW = 1;
/** Length of that crossfade (seconds). */
const FADE_SECONDS = 0.005;
/** The line's samples are held within ±this (+40 dBFS): no modulation of time can make the loop run away. */
const LINE_LIMIT = 100;
/** A delay within this fraction of a whole number of samples is that whole number: float32 `time` values
 * (0.1 s is 0.100000001…) still return an impulse at exactly time·rate. */
const WHOLE_SNAP = 2 ** -22;

// Indices into the state array (the same layout as delayOp's in scripts/wasm/ops-data.ts).
/** The read position (samples of delay) now, and the one a crossfade goes to. */
const CURRENT = 0;
const NEXT = 1;
/** Longest delay the line allows (samples). */
const LONGEST = 2;
/** The slot written next, frames of a crossfade left, 1 once started (the first `time` read). */
const WRITE = 3;
const FADE_LEFT = 4;
const STARTED = 5;
/** The line's length (0: none yet, silence) and byte offset in the kernels' memory (-1: a plain array). */
const LENGTH = 6;
const LINE_AT = 7;
/** The sample rate and a crossfade's length (frames), for the kernel (process() has them as constants). */
const RATE = 8;
const FADE_FRAMES = 9;
const STATE_SIZE = 10;

/** What `prepare` builds for a maxTime: the line (zeros), sized for the longest delay plus the taps. */
interface DelayLine {
  line: Float32Array;
  /** Longest delay in samples (≥ 2). */
  longest: number;
}

/**
 * A delay line with feedback, wet signal only: out = the input `time` seconds ago, plus `feedback` times
 * the output fed back in. Fractional delays read through 4-point (third-order) Lagrange interpolation,
 * flat within 0.4 dB to 8 kHz at 44.1 kHz and never above 0 dB (so the loop cannot grow); whole ones read
 * the exact sample. The line is built by `prepare` from `maxTime` off the render thread.
 */
export const DelayNode = defineNode({
  type: 'DelayNode',
  category: 'delay',
  description:
    'Delay line with feedback (wet only): echoes, and chorus or flanger when `time` is modulated; fractional times interpolated.',
  inputs: {
    input: stream('Signal to delay.'),
    time: stream(
      'Delay; clamped to 2 samples…maxTime. Followed sample by sample up to 1 sample per sample (chorus, flanger); faster jumps crossfade over 5 ms.',
      { default: DEFAULT_TIME, unit: 's', min: 0, max: MAX_DELAY_SECONDS },
    ),
    feedback: stream('Part of the output fed back into the line (negative inverts); clamped to −0.99…0.99.', {
      default: 0,
      unit: 'fraction',
      min: -MAX_FEEDBACK,
      max: MAX_FEEDBACK,
    }),
    maxTime: data('Longest delay the line holds, clamped to 0…60 s; a change makes a new, silent line.', {
      default: DEFAULT_MAX_TIME,
      unit: 's',
      min: 0,
      max: MAX_DELAY_SECONDS,
      structural: true,
    }),
  },
  outputs: { out: stream('The delayed signal (wet only).') },
  prepare: (values, ctx) => buildLine(values.maxTime, ctx),
  create(ctx, io) {
    const { input, time, feedback } = io.inputs;
    const out = io.outputs.out.buf;
    const rate = ctx.sampleRate;
    const fadeFrames = Math.max(1, Math.round(FADE_SECONDS * rate));
    const inverseFade = 1 / fadeFrames;
    let line: Float32Array = new Float32Array(0); // none until configure(): silence
    // With kernels the state and the line live in their memory, where the plan's op (OP_DELAY) renders on
    // the same state as process(), so switching paths never jumps. (Doubles live in a typed array either
    // way: a fraction assigned to a closure variable is a fresh heap number.)
    const kernels = kernelsFor(out);
    const { at: stateAt, state } = nodeState(kernels, STATE_SIZE);
    state[LINE_AT] = -1;
    state[RATE] = rate;
    state[FADE_FRAMES] = fadeFrames;

    return {
      configure(prepared: DelayLine) {
        // The line moves into the kernels' memory when there is room (zeros, as prepared): the op reads it
        // at LINE_AT; where there is none, the prepared one renders by process() (the renderer encodes the
        // node again after configure).
        kernels?.releaseState(state[LINE_AT], state[LENGTH] * 4);
        const { at, samples } = nodeSamples(kernels, prepared.line.length, prepared.line);
        line = samples;
        state[LINE_AT] = at;
        state[LENGTH] = line.length;
        state[WRITE] = 0;
        state[FADE_LEFT] = 0;
        state[LONGEST] = prepared.longest;
        state[CURRENT] = Math.min(state[CURRENT], prepared.longest);
      },
      encode(writer) {
        if (!kernels || (state[LENGTH] > 0 && state[LINE_AT] < 0)) return false;
        return (
          writer.begin(OP_DELAY, out) &&
          writer.input(input) &&
          writer.input(time) &&
          writer.input(feedback) &&
          writer.pointer(stateAt)
        );
      },
      dispose() {
        kernels?.releaseState(state[LINE_AT], state[LENGTH] * 4);
        kernels?.releaseState(stateAt, STATE_SIZE * 8);
      },
      process(frames) {
        const length = state[LENGTH];
        if (length === 0) {
          out.fill(0, 0, frames);
          return;
        }
        const x = input.buf;
        const t = time.buf;
        const fb = feedback.buf;
        const longest = state[LONGEST];
        let w = state[WRITE];
        let fadeLeft = state[FADE_LEFT];
        if (state[STARTED] === 0) {
          state[CURRENT] = delaySamples(t[0], rate, longest);
          state[STARTED] = 1;
        }
        if (
          time.constant &&
          feedback.constant &&
          fadeLeft === 0 &&
          delaySamples(t[0], rate, longest) === state[CURRENT]
        ) {
          // Fast path: a fixed read position, its four weights computed once.
          const d = state[CURRENT];
          const whole = Math.floor(d);
          const f = d - whole;
          const g = fb[0];
          const gain = Number.isNaN(g) ? NAN_FEEDBACK[0] : Math.min(MAX_FEEDBACK, Math.max(-MAX_FEEDBACK, g));
          // Lagrange weights for the taps at delays whole−1 … whole+2, read at whole + f.
          const fm1 = f - 1;
          const fm2 = f - 2;
          const fp1 = f + 1;
          const h0 = (-f * fm1 * fm2) / 6;
          const h1 = (fp1 * fm1 * fm2) / 2;
          const h2 = (-fp1 * f * fm2) / 2;
          const h3 = (fp1 * f * fm1) / 6;
          let r = w - whole - 2; // the oldest tap
          if (r < 0) r += length;
          for (let i = 0; i < frames; i++) {
            // Past the end is slot 0 (as in readAt, where the reason is).
            const r1 = r + 1 < length ? r + 1 : 0;
            const r2 = r1 + 1 < length ? r1 + 1 : 0;
            const r3 = r2 + 1 < length ? r2 + 1 : 0;
            const y = f === 0 ? line[r2] : h3 * line[r] + h2 * line[r1] + h1 * line[r2] + h0 * line[r3];
            out[i] = y;
            let v = x[i] + gain * y;
            if (!(v >= -LINE_LIMIT && v <= LINE_LIMIT)) v = v > 0 ? LINE_LIMIT : v < 0 ? -LINE_LIMIT : 0; // NaN → 0
            line[w] = v;
            w = w + 1 < length ? w + 1 : 0;
            r = r1;
          }
        } else {
          let current = state[CURRENT];
          let next = state[NEXT];
          for (let i = 0; i < frames; i++) {
            const target = delaySamples(t[i], rate, longest);
            let y: number;
            if (fadeLeft === 0) {
              if (Math.abs(target - current) <= MAX_FOLLOW) current = target;
              else {
                next = target;
                fadeLeft = fadeFrames;
              }
            } else if (Math.abs(target - next) <= MAX_FOLLOW) next = target;
            const from = readAt(line, length, w, current);
            if (fadeLeft > 0) {
              // Smoothstep from the old position to the new one; both are the same signal, so no dip.
              const p = (fadeFrames - fadeLeft + 1) * inverseFade;
              const weight = p * p * (3 - 2 * p);
              y = from + (readAt(line, length, w, next) - from) * weight;
              fadeLeft--;
              if (fadeLeft === 0) current = next;
            } else y = from;
            out[i] = y;
            const g = fb[i];
            const gain = Number.isNaN(g)
              ? NAN_FEEDBACK[0]
              : Math.min(MAX_FEEDBACK, Math.max(-MAX_FEEDBACK, g));
            let v = x[i] + gain * y;
            if (!(v >= -LINE_LIMIT && v <= LINE_LIMIT)) v = v > 0 ? LINE_LIMIT : v < 0 ? -LINE_LIMIT : 0; // NaN → 0
            line[w] = v;
            w = w + 1 < length ? w + 1 : 0;
          }
          state[CURRENT] = current;
          state[NEXT] = next;
        }
        state[WRITE] = w;
        state[FADE_LEFT] = fadeLeft;
      },
    };
  },
});

/** Control side: the line for a maxTime value (seconds; anything else is the default, with a warning). */
function buildLine(value: DataValue | undefined, ctx: PrepareContext): DelayLine {
  let seconds = DEFAULT_MAX_TIME;
  if (typeof value === 'number') seconds = Math.min(MAX_DELAY_SECONDS, Math.max(0, value));
  else if (value !== undefined && value !== null)
    ctx.warn(
      `\`maxTime\` must be a number of seconds (0…${MAX_DELAY_SECONDS}), got ${JSON.stringify(value)}: using ${DEFAULT_MAX_TIME} s`,
    );
  const longest = Math.max(MIN_DELAY_SAMPLES, seconds * ctx.sampleRate);
  // Taps reach 2 samples past the delay, and the slot being written is read first: + 4 covers both.
  return { line: new Float32Array(Math.ceil(longest) + 4), longest };
}

/** Delay in samples for a `time` value (seconds): clamped to 2…longest, NaN as the default, whole when
 * float32 rounding is all that keeps it from being whole. */
function delaySamples(seconds: number, rate: number, longest: number): number {
  const d = Number.isNaN(seconds)
    ? Math.min(longest, DEFAULT_TIME * rate)
    : Math.min(longest, Math.max(MIN_DELAY_SAMPLES, seconds * rate));
  const nearest = Math.round(d);
  return Math.abs(d - nearest) <= d * WHOLE_SNAP ? nearest : d;
}

/** The line `delay` samples before the slot `write` (about to be written), 4-point Lagrange interpolated. */
function readAt(line: Float32Array, length: number, write: number, delay: number): number {
  const whole = Math.floor(delay);
  const f = delay - whole;
  let r = write - whole - 2; // the oldest of the four taps
  if (r < 0) r += length;
  // A tap past the end is slot 0 (r < length), written as a constant: `r + 1 - length` there, first reached
  // long after V8 had optimized this function (a wrap comes once per pass through the line), deoptimized it.
  const r1 = r + 1 < length ? r + 1 : 0;
  const r2 = r1 + 1 < length ? r1 + 1 : 0;
  if (f === 0) return line[r2];
  const r3 = r2 + 1 < length ? r2 + 1 : 0;
  const fm1 = f - 1;
  const fm2 = f - 2;
  const fp1 = f + 1;
  return (
    ((fp1 * f * fm1) / 6) * line[r] -
    ((fp1 * f * fm2) / 2) * line[r1] +
    ((fp1 * fm1 * fm2) / 2) * line[r2] -
    ((f * fm1 * fm2) / 6) * line[r3]
  );
}
