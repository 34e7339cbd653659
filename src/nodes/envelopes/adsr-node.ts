import { defineNode, stream } from '../../engine/definition.js';

const IDLE = 0;
const ATTACK = 1;
const DECAY = 2;
const SUSTAIN = 3;
const RELEASE = 4;

/**
 * How curved decay and release are: each follows e^(−k·u) for u = 0…1 of the stage time, shifted and
 * scaled so it starts at the stage's start level and lands exactly on its target at u = 1. k = ln 100: the
 * plain exponential would have fallen 40 dB by then. Halfway through a release the level is 10 % (−20 dB)
 * of where it started, at 80 % of the time 1.4 % (−37 dB), at 100 % exactly 0.
 */
export const CURVE = Math.log(100);
const CURVE_END = Math.exp(-CURVE); // e^−k = 0.01
const CURVE_SCALE = 1 / (1 - CURVE_END);

/** Slack so that float rounding in the attack's running sum never costs a frame. */
const EPSILON = 1e-9;

/**
 * ADSR envelope. Stage times are times to *reach* the stage's target, exact to the frame:
 * - the gate rises (a frame > 0 after one ≤ 0; the rising frame outputs the current level): the level
 *   climbs in a straight line at 1/`attack` per second — from 0 it reaches 1 `attack` seconds later; a
 *   retrigger starts from the level where it is (no click) and gets there sooner;
 * - decay: from 1 to `sustain` in `decay` seconds on an exponential-looking curve (CURVE) that lands on
 *   `sustain` exactly;
 * - sustain: follows `sustain` while the gate is held;
 * - the gate falls (≤ 0, NaN included): from wherever it is — mid-attack too — to 0 in `release` seconds on
 *   the same curve, exactly 0 at the end.
 * The fractional frame by which the attack overshoots 1 is carried into the decay, so attack + decay is
 * exact even when attack·rate is not whole. Times ≤ 0 (and NaN) are instant; they are read every frame,
 * so modulating them bends the current stage without a jump.
 */
export const ADSRNode = defineNode({
  type: 'ADSRNode',
  category: 'envelopes',
  description:
    'Attack–decay–sustain–release envelope 0…1 on a gate: linear attack at 1/attack per second from the current level; decay and release exponential-looking, landing on their targets exactly at their times.',
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
    release: stream('Time from the level at the gate’s fall to 0. ≤ 0 or NaN: instant.', {
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
    // Fractional state in a typed array (fractions in closure variables are fresh heap numbers):
    // [0] the level to output at the next frame; [1] u, the decay's or release's progress 0…1; [2] e^(−k·u),
    // advanced by multiplying; [3] the release's start level; [4…6] the last decay time seen, its step in u
    // per frame and e^(−k·step); [7…9] the same for the release (so e^x is computed only when a time changes).
    const state = Float64Array.of(0, 0, 1, 0, -1, 1, 0, -1, 1, 0);
    let stage = IDLE;
    let gateWasHigh = false;
    return {
      process(frames) {
        const g = gate.buf;
        const at = attack.buf;
        const dt = decay.buf;
        const st = sustain.buf;
        const rt = release.buf;
        let y = state[0];
        let s = stage;
        let high = gateWasHigh;
        // Idle or sustaining with nothing moving: a constant block.
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
        let u = state[1];
        let curve = state[2];
        let from = state[3];
        let decaySeen = state[4];
        let decayStep = state[5];
        let decayRatio = state[6];
        let releaseSeen = state[7];
        let releaseStep = state[8];
        let releaseRatio = state[9];
        for (let i = 0; i < frames; i++) {
          const held = g[i] > 0;
          if (held !== high) {
            high = held;
            if (held) {
              s = ATTACK;
            } else {
              s = RELEASE;
              u = 0;
              curve = 1;
              from = y;
            }
          }
          // Output this frame, then advance to the next.
          out[i] = y;
          if (s === SUSTAIN) {
            const level = st[i];
            y = level >= 0 ? Math.min(level, 1) : level < 0 ? 0 : 0.7;
          } else if (s === ATTACK) {
            const seconds = at[i];
            const instant = !(seconds * rate > 1); // ≤ one frame, ≤ 0, NaN
            const step = instant ? 1 : 1 / (seconds * rate);
            y += step;
            if (y >= 1 - EPSILON || instant) {
              // 1 was reached `over` frames ago (part of this step): the decay has run that long already.
              const over = instant ? 0 : Math.max(0, (y - 1) / step);
              s = DECAY;
              const d = dt[i];
              if (d !== decaySeen) {
                decaySeen = d;
                decayStep = d * rate > 1 ? 1 / (d * rate) : 1;
                decayRatio = Math.exp(-CURVE * decayStep);
              }
              u = over * decayStep;
              curve = over > 0 ? Math.exp(-CURVE * u) : 1;
              const level = st[i];
              const target = level >= 0 ? Math.min(level, 1) : level < 0 ? 0 : 0.7;
              y = u >= 1 ? target : target + (1 - target) * (curve - CURVE_END) * CURVE_SCALE;
              if (u >= 1) s = SUSTAIN;
            }
          } else if (s === DECAY) {
            const d = dt[i];
            if (d !== decaySeen) {
              decaySeen = d;
              decayStep = d * rate > 1 ? 1 / (d * rate) : 1; // ≤ one frame, ≤ 0, NaN: done next frame
              decayRatio = Math.exp(-CURVE * decayStep);
            }
            u += decayStep;
            curve *= decayRatio;
            const level = st[i];
            const target = level >= 0 ? Math.min(level, 1) : level < 0 ? 0 : 0.7;
            if (u >= 1 - EPSILON) {
              y = target;
              s = SUSTAIN;
            } else {
              y = target + (1 - target) * (curve - CURVE_END) * CURVE_SCALE;
            }
          } else if (s === RELEASE) {
            const r = rt[i];
            if (r !== releaseSeen) {
              releaseSeen = r;
              releaseStep = r * rate > 1 ? 1 / (r * rate) : 1;
              releaseRatio = Math.exp(-CURVE * releaseStep);
            }
            u += releaseStep;
            curve *= releaseRatio;
            if (u >= 1 - EPSILON) {
              y = 0;
              s = IDLE;
            } else {
              y = from * (curve - CURVE_END) * CURVE_SCALE;
            }
          }
        }
        state[0] = y;
        state[1] = u;
        state[2] = curve;
        state[3] = from;
        state[4] = decaySeen;
        state[5] = decayStep;
        state[6] = decayRatio;
        state[7] = releaseSeen;
        state[8] = releaseStep;
        state[9] = releaseRatio;
        stage = s;
        gateWasHigh = high;
      },
    };
  },
});
