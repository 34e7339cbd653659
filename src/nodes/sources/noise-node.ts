import { type DataSlot, data, defineNode, stream } from '../../engine/definition.js';
import { STREAM_MAX } from '../../engine/types.js';

const WHITE = 0;
const PINK = 1;
const BROWN = 2;
const COLOURS = ['white', 'pink', 'brown'];

/** Seconds over which a colour change crossfades (equal power: the two noises are nearly uncorrelated). */
const COLOUR_FADE_SECONDS = 0.005;
/** Seconds of noise run through a colour's filter before it is heard: 6 time constants of its 10 Hz pole. */
const WARM_UP_SECONDS = 0.1;

/**
 * Noise in three colours, each at the RMS of uniform white noise of the same amplitude (amplitude/√3):
 * - white: uniform in ±amplitude (a seeded mulberry32 generator);
 * - pink: that white noise through first-order pole–zero pairs, two per decade from 10 Hz to Nyquist
 *   (each pole's zero √(√10) above it), which tilt the spectrum −3.01 dB per octave, plus one zero near
 *   z = −0.08 that straightens the top octave; the zero's place is fitted for the engine's rate when the
 *   first noise node is made, and the filter runs in parallel form (partial fractions) for speed. At
 *   44.1 kHz the slope is within ±0.05 dB of −3.01 dB/octave from 40 Hz to 16 kHz; flat below ~10 Hz;
 * - brown: a leaky integrator (−6.02 dB/octave above its 10 Hz corner, flat below: no DC drift) with the
 *   same kind of top-octave zero; within ±0.15 dB of the slope from 40 Hz to 16 kHz.
 * The generator is seeded from the node's type and name: the same name renders the same samples, two
 * names are uncorrelated. A colour's filter is run on 0.1 s of noise before it is heard, so every colour is
 * at its level from its first sample; a colour change crossfades (equal power) over 5 ms.
 */
export const NoiseNode = defineNode({
  type: 'NoiseNode',
  category: 'sources',
  description:
    'White, pink (−3 dB/octave) or brown (−6 dB/octave) noise, all at RMS amplitude/√3; deterministic per node name.',
  inputs: {
    color: data(
      '`white`, `pink` or `brown` (not case-sensitive). Anything else is a warning and plays white. A change crossfades over 5 ms.',
      { default: 'white' },
    ),
    amplitude: stream(
      'Scale: every colour has RMS amplitude/√3 (uniform white noise in ±amplitude). Negative flips the sign; NaN is 0; the output is held within the float32 range.',
      { default: 1, min: 0, max: 1 },
    ),
  },
  outputs: { out: stream('Noise (pink and brown peak above amplitude: their samples are near-Gaussian).') },
  create(ctx, io) {
    const colorInput = io.inputs.color;
    const amplitude = io.inputs.amplitude;
    const out = io.outputs.out.buf;
    const design = noiseDesign(ctx.sampleRate);
    const { pinkPoles, pinkResidues, pinkDirect, pinkDelayed, brownPole, brownZero, brownGain } = design;
    const poles = pinkPoles.length;
    const fadeFrames = Math.max(1, Math.round(COLOUR_FADE_SECONDS * ctx.sampleRate));
    // Filter memories: pink[k] is pole k's one-pole state, pink[poles] the previous white sample; brown[0]
    // the integrator. Typed arrays: fractions in closure variables would be fresh heap numbers.
    const pink = new Float64Array(poles + 1);
    const brown = new Float64Array(1);
    const random = Int32Array.of(seed(`${ctx.type}:${ctx.name}`));
    let colour = -1; // not read yet
    let fadingFrom = WHITE;
    let fadeLeft = 0;
    let seenSlot: DataSlot | null = null;
    let seenVersion = -1;
    let seenValue: unknown;

    /**
     * One sample of `which` colour (unit amplitude) for the white sample `white`; advances that filter.
     * Used while colours crossfade and to warm a filter up (a call returning a fraction may box it);
     * steady blocks run the same arithmetic inline in process().
     */
    const coloured = (which: number, white: number): number => {
      if (which === WHITE) return white;
      if (which === BROWN) {
        const previous = brown[0];
        const y = white + brownPole * previous;
        brown[0] = y;
        return (y + brownZero * previous) * brownGain;
      }
      let y = pinkDirect * white + pinkDelayed * pink[poles];
      pink[poles] = white;
      for (let k = 0; k < poles; k++) {
        const state = pinkPoles[k] * pink[k] + pinkResidues[k] * white;
        pink[k] = state;
        y += state;
      }
      return y;
    };

    const readColour = () => {
      const slot = colorInput.source;
      // All compared before the branch (see the ladder filter's note).
      const sameSlot = slot === seenSlot;
      const sameVersion = slot.version === seenVersion;
      const sameValue = slot.value === seenValue;
      if (sameSlot && sameVersion && sameValue) return;
      seenSlot = slot;
      seenVersion = slot.version;
      seenValue = slot.value;
      const value = slot.value;
      const name = typeof value === 'string' ? value.trim().toLowerCase() : '';
      let wanted = COLOURS.indexOf(name);
      if (wanted < 0) {
        const shown = value instanceof Float32Array ? 'a stream' : JSON.stringify(value);
        ctx.warn(`color ${shown} is not one of white, pink, brown: playing white noise`);
        wanted = WHITE;
      }
      if (colour < 0) {
        colour = wanted; // the first value: no fade
        warmUp(wanted);
      } else if (wanted !== colour) {
        warmUp(wanted);
        fadingFrom = colour;
        colour = wanted;
        fadeLeft = fadeFrames;
      }
    };

    /**
     * Brings `which` colour's filter to its steady level: its slowest pole (10 Hz) would otherwise take
     * ~50 ms to fill, and a new colour would start quiet in its lows. Runs WARM_UP_SECONDS of white noise
     * from a separate generator (the node's own sequence is untouched) through it: ~4,400 frames at
     * 44.1 kHz, tens of µs, once per colour change.
     */
    const warmUp = (which: number) => {
      if (which === WHITE) return;
      if (which === PINK) pink.fill(0);
      else brown.fill(0);
      const frames = Math.round(WARM_UP_SECONDS * ctx.sampleRate);
      let s = random[0] ^ 0x5bd1e995;
      for (let i = 0; i < frames; i++) {
        s = (s + 0x6d2b79f5) | 0;
        let t = Math.imul(s ^ (s >>> 15), 1 | s);
        t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
        coloured(which, ((t ^ (t >>> 14)) >>> 0) * 4.656612873077393e-10 - 1);
      }
    };

    return {
      process(frames) {
        readColour();
        const a = amplitude.buf;
        let s = random[0];
        for (let i = 0; i < frames; i++) {
          // mulberry32 (as UniformRandomNode), scaled to [−1, 1).
          s = (s + 0x6d2b79f5) | 0;
          let t = Math.imul(s ^ (s >>> 15), 1 | s);
          t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
          const white = ((t ^ (t >>> 14)) >>> 0) * 4.656612873077393e-10 - 1;
          if (fadeLeft > 0) {
            // Equal-power crossfade from the old colour to the new one. Its own output statement: a
            // variable that merged these call results with the loop's other doubles would stay boxed.
            const w = (fadeLeft / fadeFrames) * (Math.PI / 2);
            const faded =
              (coloured(colour, white) * Math.cos(w) + coloured(fadingFrom, white) * Math.sin(w)) * a[i];
            out[i] = Number.isNaN(faded) ? 0 : Math.min(STREAM_MAX, Math.max(-STREAM_MAX, faded));
            fadeLeft--;
            continue;
          }
          let value: number;
          if (colour === WHITE) {
            value = white;
          } else if (colour === BROWN) {
            const previous = brown[0];
            const y = white + brownPole * previous;
            brown[0] = y;
            value = (y + brownZero * previous) * brownGain;
          } else {
            // The poles in parallel, summed into two accumulators: no long chain of dependent
            // multiply-adds (a cascade of sections took ~3× as long).
            let even = pinkDirect * white + pinkDelayed * pink[poles];
            let odd = 0;
            pink[poles] = white;
            let k = 0;
            for (; k + 1 < poles; k += 2) {
              const first = pinkPoles[k] * pink[k] + pinkResidues[k] * white;
              pink[k] = first;
              even += first;
              const second = pinkPoles[k + 1] * pink[k + 1] + pinkResidues[k + 1] * white;
              pink[k + 1] = second;
              odd += second;
            }
            if (k < poles) {
              const last = pinkPoles[k] * pink[k] + pinkResidues[k] * white;
              pink[k] = last;
              even += last;
            }
            value = even + odd;
          }
          const v = value * a[i];
          out[i] = Number.isNaN(v) ? 0 : Math.min(STREAM_MAX, Math.max(-STREAM_MAX, v));
        }
        random[0] = s;
      },
    };
  },
});

// ---------------------------------------------------------------------------------------------------
// Filter design (control side, once per sample rate)

interface NoiseDesign {
  /**
   * Pink, in parallel form: out = direct·x + delayed·x[n−1] + Σ_k s_k, s_k = pole_k·s_k + residue_k·x — the
   * partial fractions of the cascade below, scaled to RMS 1/√3 for uniform ±1 input.
   */
  pinkPoles: Float64Array;
  pinkResidues: Float64Array;
  pinkDirect: number;
  pinkDelayed: number;
  brownPole: number;
  /** The top-octave zero of the brown filter: y + brownZero·y[n−1]. */
  brownZero: number;
  brownGain: number;
}

/** Lowest pole (Hz) of the pink and brown filters: below it both are flat. */
const LOWEST_POLE_HZ = 10;
/** Pink: pole-to-pole ratio (two pole–zero pairs per decade; ripple ±0.01 dB). */
const POLE_SPACING = Math.sqrt(10);
/** Where the slopes are fitted and promised (Hz; the top is lowered to 0.4·rate at low rates). */
const FIT_LOW_HZ = 40;
const FIT_HIGH_HZ = 16000;

const designs = new Map<number, NoiseDesign>();

function noiseDesign(rate: number): NoiseDesign {
  let design = designs.get(rate);
  if (design) return design;
  // Pink: matched-z poles (below Nyquist: one more above it changed nothing the fitted zero does not) and
  // their zeros.
  const poles: number[] = [];
  const zeros: number[] = [];
  for (let hz = LOWEST_POLE_HZ; hz < rate / 2; hz *= POLE_SPACING) {
    poles.push(Math.exp((-2 * Math.PI * hz) / rate));
    zeros.push(Math.exp((-2 * Math.PI * hz * Math.sqrt(POLE_SPACING)) / rate));
  }
  const pinkPoles = Float64Array.from(poles);
  const pinkZeros = Float64Array.from(zeros);
  const pinkZero = fitTopZero(rate, pinkPoles, pinkZeros, -3.0103);
  const brownPole = Math.exp((-2 * Math.PI * LOWEST_POLE_HZ) / rate);
  const brownPoles = Float64Array.of(brownPole);
  const brownZero = fitTopZero(rate, brownPoles, new Float64Array(1), -6.0206);
  // RMS of uniform ±1 noise is 1/√3 before and after: divide by √(energy of the impulse response).
  const pinkGain = 1 / Math.sqrt(impulseEnergy(pinkPoles, pinkZeros, pinkZero));
  // Brown's impulse response is 1, then (p + c)·p^(n−1): its energy in closed form.
  const brownGain = 1 / Math.sqrt(1 + (brownPole + brownZero) ** 2 / (1 - brownPole * brownPole));
  design = { ...parallelForm(pinkPoles, pinkZeros, pinkZero, pinkGain), brownPole, brownZero, brownGain };
  designs.set(rate, design);
  return design;
}

/** |H(e^jω)| in dB of the cascade Π (1 − z_k e^−jω)/(1 − p_k e^−jω) · (1 + c·e^−jω). */
function responseDb(w: number, poles: Float64Array, zeros: Float64Array, c: number): number {
  const cos = Math.cos(w);
  const sin = Math.sin(w);
  let power = (1 + c * cos) ** 2 + (c * sin) ** 2;
  for (let k = 0; k < poles.length; k++) {
    power *=
      ((1 - zeros[k] * cos) ** 2 + (zeros[k] * sin) ** 2) /
      ((1 - poles[k] * cos) ** 2 + (poles[k] * sin) ** 2);
  }
  return 10 * Math.log10(power);
}

/**
 * The zero c (0 ≤ c < 0.5) that makes the response straightest: least half-range of the deviation from
 * `slopeDb` per octave over FIT_LOW_HZ…FIT_HIGH_HZ. A coarse then a fine grid: ~70 evaluations.
 */
function fitTopZero(rate: number, poles: Float64Array, zeros: Float64Array, slopeDb: number): number {
  const high = Math.min(FIT_HIGH_HZ, 0.4 * rate);
  const spread = (c: number) => {
    let lowest = Infinity;
    let highest = -Infinity;
    for (let hz = FIT_LOW_HZ; hz <= high; hz *= 1.05) {
      const deviation = responseDb((2 * Math.PI * hz) / rate, poles, zeros, c) - slopeDb * Math.log2(hz);
      lowest = Math.min(lowest, deviation);
      highest = Math.max(highest, deviation);
    }
    return highest - lowest;
  };
  let best = 0;
  let bestSpread = spread(0);
  const search = (from: number, to: number, step: number) => {
    for (let c = from; c <= to + 1e-12; c += step) {
      const s = spread(c);
      if (s < bestSpread) {
        bestSpread = s;
        best = c;
      }
    }
  };
  search(0, 0.5, 0.01);
  search(Math.max(0, best - 0.01), best + 0.01, 0.0005);
  return best;
}

/**
 * The cascade Π (1 − z_k w)/(1 − p_k w) · (1 + c·w), w = z⁻¹, in partial fractions: direct + delayed·w +
 * Σ r_k/(1 − p_k w), each term times `gain`. The poles are real and distinct (a decade apart per two), so
 * r_k = (1 + c/p_k)·Π_j (1 − z_j/p_k) / Π_{j≠k} (1 − p_j/p_k) is well conditioned; delayed is the limit of
 * H(w)/w (c·Π z_j/p_j), and direct makes H(0) = 1. Same samples as the cascade to ~1e-15 (tested).
 */
export function parallelForm(
  poles: Float64Array,
  zeros: Float64Array,
  c: number,
  gain: number,
): Pick<NoiseDesign, 'pinkPoles' | 'pinkResidues' | 'pinkDirect' | 'pinkDelayed'> {
  const residues = new Float64Array(poles.length);
  let delayed = c;
  let sum = 0;
  for (let k = 0; k < poles.length; k++) {
    const p = poles[k];
    let residue = 1 + c / p;
    for (let j = 0; j < zeros.length; j++) residue *= 1 - zeros[j] / p;
    for (let j = 0; j < poles.length; j++) if (j !== k) residue /= 1 - poles[j] / p;
    residues[k] = residue * gain;
    sum += residue;
    delayed *= zeros[k] / p;
  }
  return {
    pinkPoles: poles,
    pinkResidues: residues,
    pinkDirect: (1 - sum) * gain,
    pinkDelayed: delayed * gain,
  };
}

/** Σ h[n]² of the pink cascade's impulse response, run until it has decayed below 1e-12 of its energy. */
function impulseEnergy(poles: Float64Array, zeros: Float64Array, c: number): number {
  const sections = poles.length;
  const memory = new Float64Array(sections + 1);
  let energy = 0;
  // The slowest pole sets the length: 30 time constants leave e^−60 of the energy.
  const length = Math.ceil(30 / (1 - poles[0])) + 64;
  for (let n = 0; n < length; n++) {
    let x = n === 0 ? 1 : 0;
    let previousInput = memory[0];
    memory[0] = x;
    for (let k = 0; k < sections; k++) {
      const y = x - zeros[k] * previousInput + poles[k] * memory[k + 1];
      previousInput = memory[k + 1];
      memory[k + 1] = y;
      x = y;
    }
    const h = x + c * previousInput;
    energy += h * h;
  }
  return energy;
}

/** FNV-1a hash of the text: a stable 32-bit seed. */
function seed(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  return hash | 0;
}
