import { defineNode, stream } from '../../engine/definition.js';
import { kernelsFor, nodeState } from '../../engine/wasm/kernels.js';
import { OP_ADSR } from '../../engine/wasm/ops.js';

// Indices into an ADSRNode's state (the same layout as adsrOp's in scripts/wasm/ops-osc.ts).
/** The level to output next. */
const LEVEL = 0;
/** The decay's or release's progress 0…1, and m = e^(−k·u), advanced by multiplying. */
const PROGRESS = 1;
const CURVE_NOW = 2;
/** The stage's curve k: ln of how far it falls in units of ARRIVED. */
const CURVE = 3;
/** The release's start level. */
const RELEASE_FROM = 4;
/** The stage time the step was computed for (NaN: compute it), the step in u per frame, e^(−k·step). */
const SEEN_TIME = 5;
const STEP = 6;
const STEP_RATIO = 7;
/** IDLE … RELEASE. */
const STAGE = 8;
/** 1 while the gate was high at the last frame. */
const GATE_HIGH = 9;
/** The sample rate, for the op. */
const RATE = 10;
const STATE_SIZE = 11;

const IDLE = 0;
const ATTACK = 1;
const DECAY = 2;
const SUSTAIN = 3;
const RELEASE = 4;

/**
 * Where decay and release count as arrived: within this of their target (0.001 = −60 dBFS). Each falls
 * exponentially — a straight line in dB — from its start to exactly this far from its target at its stage
 * time, and lands on the target there (a last step of at most 0.001, −60 dB: inaudible).
 */
export const ARRIVED = 0.001;

/**
 * ADSR envelope. Stage times are times to *reach* the stage's target, exact to the frame:
 * - the gate rises (a frame > 0 after one ≤ 0; that frame outputs the current level): the level climbs in a
 *   straight line at 1/`attack` per second — from 0 it is 1 exactly `attack` seconds later; a retrigger
 *   starts from the level where it is (no click) and gets there sooner;
 * - decay: from 1 toward `sustain`, exponentially (straight in dB): its distance from `sustain` shrinks from
 *   1 − sustain to 0.001 in `decay` seconds, then it is `sustain`;
 * - sustain: follows `sustain` while the gate is held;
 * - the gate falls (≤ 0, NaN included): from wherever it is — mid-attack too — exponentially down to 0.001
 *   (−60 dBFS) in `release` seconds, then 0. From 1 that is 60 dB in `release` seconds, from 0.1 40 dB.
 * Each stage ends on the frame nearest its exact time (times arrive as float32, so 0.1 s is 4410.00007
 * frames: that is frame 4410), and the next stage starts there, so a stage is never early or late by more
 * than half a frame. Times of a frame or less (≤ 0 and NaN too) are instant; times are read every frame,
 * so modulating them bends the current stage without a jump.
 */
export const ADSRNode = defineNode({
  type: 'ADSRNode',
  category: 'envelopes',
  description:
    'Attack–decay–sustain–release envelope 0…1 on a gate: linear attack at 1/attack per second from the current level; decay and release exponential (straight in dB), within 0.001 of their targets exactly at their times, then on them.',
  inputs: {
    gate: stream('Held while > 0: rising starts the attack, falling (≤ 0, NaN) the release.', {
      default: 0,
      unit: 'gate',
    }),
    attack: stream('Time from 0 to 1 (the attack climbs at 1/attack per second). ≤ 0 or NaN: instant.', {
      default: 0.01,
      unit: 's',
      min: 0,
      max: 10,
    }),
    decay: stream('Time from 1 to the sustain level. ≤ 0 or NaN: instant.', {
      default: 0.1,
      unit: 's',
      min: 0,
      max: 30,
    }),
    sustain: stream('Level held while the gate is (clamped to 0…1; NaN reads 0.7).', {
      default: 0.7,
      unit: '0…1',
      min: 0,
      max: 1,
    }),
    release: stream('Time from the level at the gate’s fall to 0 (−60 dBFS, then 0). ≤ 0 or NaN: instant.', {
      default: 0.3,
      unit: 's',
      min: 0,
      max: 30,
    }),
  },
  outputs: { envelope: stream('Envelope level.', { unit: '0…1' }) },
  create(ctx, io) {
    const { gate, attack, decay, sustain, release } = io.inputs;
    const out = io.outputs.envelope.buf;
    const rate = ctx.sampleRate;
    // State in a typed array (fractions in closure variables are fresh heap numbers); with kernels, in
    // their memory, where the plan's op (OP_ADSR) runs on the same state as process().
    const kernels = kernelsFor(out);
    const { at: stateAt, state } = nodeState(kernels, STATE_SIZE);
    resetState(state, rate);
    return {
      encode(writer) {
        return (
          writer.begin(OP_ADSR, out) &&
          writer.input(gate) &&
          writer.input(attack) &&
          writer.input(decay) &&
          writer.input(sustain) &&
          writer.input(release) &&
          writer.pointer(stateAt)
        );
      },
      dispose() {
        kernels?.releaseState(stateAt, STATE_SIZE * 8);
      },
      process(frames) {
        const g = gate.buf;
        const at = attack.buf;
        const dt = decay.buf;
        const st = sustain.buf;
        const rt = release.buf;
        const y = state[LEVEL];
        const s = state[STAGE];
        const high = state[GATE_HIGH] !== 0;
        // Idle, or sustaining with nothing moving: a constant block.
        if (gate.constant && g[0] > 0 === high) {
          if (s === IDLE) {
            out.fill(y, 0, frames);
            return;
          }
          if (s === SUSTAIN && sustain.constant) {
            const level = st[0];
            const target = level >= 0 ? Math.min(level, 1) : level < 0 ? 0 : 0.7;
            if (target === y) {
              out.fill(y, 0, frames);
              return;
            }
          }
        }
        // The loop is a module function, primed at load (see primeAdsrBlock).
        adsrBlock(state, g, at, dt, st, rt, out, frames);
      },
    };
  },
});

/** An idle envelope at level 0 (the state's layout above), for `rate`. */
function resetState(state: Float64Array, rate: number): void {
  state.set([0, 0, 1, 0, 0, Number.NaN, 1, 1, IDLE, 0]);
  state[RATE] = rate;
}

/** One block of the envelope from `state` (the layout above), frame by frame. */
function adsrBlock(
  state: Float64Array,
  g: Float32Array,
  at: Float32Array,
  dt: Float32Array,
  st: Float32Array,
  rt: Float32Array,
  out: Float32Array,
  frames: number,
): void {
  const rate = state[RATE];
  let y = state[LEVEL];
  let s = state[STAGE];
  let high = state[GATE_HIGH] !== 0;
  let u = state[PROGRESS];
  let m = state[CURVE_NOW];
  let k = state[CURVE];
  let from = state[RELEASE_FROM];
  let seen = state[SEEN_TIME];
  let step = state[STEP];
  let ratio = state[STEP_RATIO];
  for (let i = 0; i < frames; i++) {
    const held = g[i] > 0;
    if (held !== high) {
      high = held;
      if (held) {
        s = ATTACK;
      } else {
        s = RELEASE;
        from = y;
        u = 0;
        m = 1;
        k = y > ARRIVED ? Math.log(y / ARRIVED) : 0;
        seen = Number.NaN;
      }
    }
    // Output this frame, then advance to the next.
    out[i] = y;
    if (s === SUSTAIN) {
      const level = st[i];
      y = level >= 0 ? Math.min(level, 1) : level < 0 ? 0 : 0.7;
    } else if (s === ATTACK) {
      const seconds = at[i];
      const climb = seconds * rate > 1 ? 1 / (seconds * rate) : 1; // a frame or less, ≤ 0, NaN: instant
      y += climb;
      // Within half a frame of 1: 1 on this frame (the nearest frame to the exact time).
      if (y >= 1 - 0.5 * climb) {
        const level = st[i];
        const target = level >= 0 ? Math.min(level, 1) : level < 0 ? 0 : 0.7;
        if (1 - target > ARRIVED) {
          s = DECAY;
          y = 1;
          u = 0;
          m = 1;
          k = Math.log((1 - target) / ARRIVED);
          seen = Number.NaN;
        } else {
          s = SUSTAIN;
          y = target;
        }
      }
    } else if (s === DECAY) {
      const d = dt[i];
      if (d !== seen) {
        seen = d;
        step = d * rate > 1 ? 1 / (d * rate) : 1; // a frame or less, ≤ 0, NaN: done next frame
        ratio = Math.exp(-k * step);
      }
      u += step;
      m *= ratio;
      const level = st[i];
      const target = level >= 0 ? Math.min(level, 1) : level < 0 ? 0 : 0.7;
      if (u >= 1 - 0.5 * step) {
        y = target;
        s = SUSTAIN;
      } else {
        y = target + (1 - target) * m;
      }
    } else if (s === RELEASE) {
      const r = rt[i];
      if (r !== seen) {
        seen = r;
        step = r * rate > 1 ? 1 / (r * rate) : 1;
        ratio = Math.exp(-k * step);
      }
      u += step;
      m *= ratio;
      if (u >= 1 - 0.5 * step || k === 0) {
        // Arrived — or started within ARRIVED of 0 (k = 0): nothing left to fall.
        y = 0;
        s = IDLE;
      } else {
        y = from * m;
      }
    }
  }
  state[LEVEL] = y;
  state[PROGRESS] = u;
  state[CURVE_NOW] = m;
  state[CURVE] = k;
  state[RELEASE_FROM] = from;
  state[SEEN_TIME] = seen;
  state[STEP] = step;
  state[STEP_RATIO] = ratio;
  state[STAGE] = s;
  state[GATE_HIGH] = high ? 1 : 0;
}

/**
 * adsrBlock once at load over every stage and edge — attacks that finish and that are cut short, decays,
 * sustain levels out of range and NaN, releases from 1, from mid-attack and from below ARRIVED, instant and
 * NaN times — so that its type feedback is complete before it is hot: a stage first reached after V8
 * optimized the loop deoptimized it (docs/decisions.md, "Hot JS node functions take every branch before V8
 * optimizes them").
 */
function primeAdsrBlock(): void {
  const rate = 44100;
  // [frames, gate, attack, decay, sustain, release]; times in frames, converted to seconds below.
  const script: [number, number, number, number, number, number][] = [
    [4, 0, 10, 20, 0.5, 30],
    [60, 1, 10, 20, 0.5, 30], // attack, decay, sustain
    [70, 0, 10, 20, 0.5, 30], // release to idle
    [4, 1, 10, 20, 2, 30], // attack cut short
    [40, Number.NaN, 10, 20, -1, Number.NaN], // release from mid-attack, instant
    [20, 1, 0, Number.NaN, Number.NaN, 0], // instant attack and decay, NaN sustain
    [4, 0, 0, 20, 1, 0], // instant release
    [20, 1, 0, 20, 1, 30], // attack straight to a sustain of 1
    [2, 0, 1e6, 20, 0.5, 30],
    [2, 1, 1e6, 20, 0.5, 30], // a slow attack …
    [10, 0, 1e6, 20, 0.5, 30], // … released below ARRIVED
  ];
  const frames = script.reduce((sum, [n]) => sum + n, 0);
  const inputs = [0, 1, 2, 3, 4].map(() => new Float32Array(frames));
  let i = 0;
  for (const [n, gate, attack, decay, sustain, release] of script) {
    for (let k = 0; k < n; k++, i++) {
      inputs[0][i] = gate;
      inputs[1][i] = attack / rate;
      inputs[2][i] = (decay + (k & 1)) / rate; // a decay time that moves
      inputs[3][i] = sustain;
      inputs[4][i] = (release + (k & 1)) / rate;
    }
  }
  const state = new Float64Array(STATE_SIZE);
  resetState(state, rate);
  const out = new Float32Array(frames);
  for (let start = 0; start < frames; start += 64) {
    const n = Math.min(64, frames - start);
    const [g, at, dt, st, rt] = inputs.map((input) => input.subarray(start, start + n));
    adsrBlock(state, g, at, dt, st, rt, out, n);
  }
}
primeAdsrBlock();
