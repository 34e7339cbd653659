// Linear-phase oversampling by powers of two: a cascade of Kaiser-windowed half-band FIR stages, each
// doubling (or halving) the rate. Used by DistortionNode to run its waveshaper at 8× the engine rate.
// Plain TypeScript; everything is allocated at construction, `up`/`down` allocate nothing (render side).

/** Modified Bessel function of the first kind, order 0 (series; enough terms for β ≤ 20). */
export function besselI0(x: number): number {
  let sum = 1;
  let term = 1;
  const quarter = (x * x) / 4;
  for (let k = 1; k < 64; k++) {
    term *= quarter / (k * k);
    sum += term;
    if (term < sum * 1e-17) break;
  }
  return sum;
}

/** Kaiser β for a stop-band attenuation of `db` decibels (Kaiser's empirical formula). */
export function kaiserBeta(db: number): number {
  if (db > 50) return 0.1102 * (db - 8.7);
  if (db >= 21) return 0.5842 * (db - 21) ** 0.4 + 0.07886 * (db - 21);
  return 0;
}

/**
 * A half-band low-pass (cutoff at a quarter of its rate) of length 2·M + 1, M odd: every tap at an even
 * distance from the centre is zero except the centre itself (0.5). Kaiser window of parameter `beta`.
 */
export function halfbandTaps(m: number, beta: number): Float64Array {
  if (m % 2 !== 1) throw new Error(`half-band half-length must be odd, got ${m}`);
  const taps = new Float64Array(2 * m + 1);
  const norm = besselI0(beta);
  for (let n = 0; n <= 2 * m; n++) {
    const k = n - m;
    const sinc = k === 0 ? 0.5 : Math.sin((Math.PI * k) / 2) / (Math.PI * k);
    const r = k / m;
    taps[n] = (sinc * besselI0(beta * Math.sqrt(Math.max(0, 1 - r * r)))) / norm;
  }
  // Each polyphase branch must pass DC at unity: the centre stays 0.5 and the other taps sum to 0.5
  // (the window disturbs that sum by ~1e-5).
  taps[m] = 0.5;
  let others = 0;
  for (let n = 0; n <= 2 * m; n++) if (n !== m) others += taps[n];
  for (let n = 0; n <= 2 * m; n++) if (n !== m) taps[n] *= 0.5 / others;
  return taps;
}

/** One ×2 stage: interpolator (up) and decimator (down) share the same half-band taps. */
interface Stage {
  /** Half-length M (odd): the filter delays by M samples at the higher rate. */
  readonly m: number;
  /** The non-zero even-phase taps h[2j], j = 0…(M−1)/2 — the rest follow by symmetry (h[2M−2j]). */
  readonly even: Float64Array;
  /** Interpolator history: the last M input samples, then room for a block. */
  readonly upHistory: Float64Array;
  /** Decimator history: the last 2M input samples, then room for a block. */
  readonly downHistory: Float64Array;
}

export interface OversamplerStageSpec {
  /** Half-length (odd). */
  m: number;
  /** Stop-band attenuation in dB (sets the Kaiser β). */
  db: number;
}

/** Round-trip delay (up then down) of an Oversampler built from `specs`, in base-rate frames. */
export function oversamplerLatency(specs: OversamplerStageSpec[]): number {
  // Stage k (0-based) runs at 2^(k+1)× and delays by M samples there, once up and once down.
  return specs.reduce((sum, spec, k) => sum + (2 * spec.m) / 2 ** (k + 1), 0);
}

/**
 * Float64s an Oversampler of `specs` for blocks of `maxFrames` keeps (its taps, histories and buffers), for a
 * caller that hands it one array (`storage`): per stage its even taps, interpolator history and decimator
 * history, then the buffers at 2×, 4×, … — the layout a WebAssembly kernel reads (scripts/wasm/ops-dyn.ts).
 */
export function oversamplerStorage(specs: OversamplerStageSpec[], maxFrames: number): number {
  let length = 0;
  specs.forEach((spec, k) => {
    const inputFrames = maxFrames * 2 ** k;
    length += (spec.m + 1) / 2 + spec.m + inputFrames + 2 * spec.m + 2 * inputFrames + 2 * inputFrames;
  });
  return length;
}

/**
 * Up- and down-sampling by 2^stages.length. `up` turns `frames` samples at the base rate into
 * frames·factor samples; `down` does the reverse. Each direction keeps its own history, so one
 * Oversampler serves one signal path. `latency` is the round trip (up then down) in base-rate frames.
 */
export class Oversampler {
  readonly factor: number;
  /** Round-trip delay of up() then down(), in base-rate frames (may be fractional). */
  readonly latency: number;
  private readonly stages: Stage[];
  /** Intermediate buffers: rate 2^k · maxFrames for k = 1…stages (index k − 1). */
  private readonly buffers: Float64Array[];

  /** `storage`: one array of `oversamplerStorage(specs, maxFrames)` float64s (zeroed) to keep everything in. */
  constructor(specs: OversamplerStageSpec[], maxFrames: number, storage?: Float64Array) {
    this.factor = 2 ** specs.length;
    let used = 0;
    const take = (length: number): Float64Array => {
      if (storage === undefined) return new Float64Array(length);
      used += length;
      return storage.subarray(used - length, used);
    };
    this.stages = specs.map((spec, k) => {
      const taps = halfbandTaps(spec.m, kaiserBeta(spec.db));
      const count = (spec.m + 1) / 2;
      const even = take(count);
      for (let j = 0; j < count; j++) even[j] = taps[2 * j];
      const inputFrames = maxFrames * 2 ** k;
      return {
        m: spec.m,
        even,
        upHistory: take(spec.m + inputFrames),
        downHistory: take(2 * spec.m + 2 * inputFrames),
      };
    });
    this.buffers = specs.map((_, k) => take(maxFrames * 2 ** (k + 1)));
    this.latency = oversamplerLatency(specs);
  }

  /** The oversampled buffer that up() fills and down() reads: frames·factor long. */
  get buffer(): Float64Array {
    return this.buffers[this.buffers.length - 1];
  }

  /** Render side: input[0…frames) at the base rate → this.buffer[0…frames·factor). */
  up(input: Float64Array, frames: number): void {
    let source = input;
    let count = frames;
    for (let k = 0; k < this.stages.length; k++) {
      const target = this.buffers[k];
      interpolate(this.stages[k], source, count, target);
      source = target;
      count *= 2;
    }
  }

  /** Render side: this.buffer[0…frames·factor) → output[0…frames) at the base rate. */
  down(output: Float64Array, frames: number): void {
    let count = frames * this.factor;
    for (let k = this.stages.length - 1; k >= 0; k--) {
      const source = this.buffers[k];
      count /= 2;
      decimate(this.stages[k], source, count, k === 0 ? output : this.buffers[k - 1]);
    }
  }

  /** Clears the filters' memory (silence in, silence out). */
  reset(): void {
    for (const stage of this.stages) {
      stage.upHistory.fill(0);
      stage.downHistory.fill(0);
    }
    for (const buffer of this.buffers) buffer.fill(0);
  }
}

/**
 * ×2 interpolation of x[0…n) into y[0…2n), gain 2 folded in: y[2i] = 2·Σ h[2j]·x[i−j] over the
 * even taps (j = 0…M), y[2i+1] = x[i − (M−1)/2] (the centre tap, 0.5 × 2).
 */
function interpolate(stage: Stage, x: Float64Array, n: number, y: Float64Array): void {
  const m = stage.m;
  const h = stage.even;
  const half = h.length; // (M + 1) / 2 distinct even taps; h[2j] = h[2(M − j)]
  const history = stage.upHistory;
  for (let i = 0; i < n; i++) history[m + i] = x[i];
  const centre = (m - 1) / 2;
  for (let i = 0; i < n; i++) {
    // history[m + i] is x[i]; x[i − j] is history[m + i − j].
    const newest = m + i;
    let sum = 0;
    for (let j = 0; j < half; j++) sum += h[j] * (history[newest - j] + history[newest - m + j]);
    y[2 * i] = 2 * sum;
    y[2 * i + 1] = history[newest - centre];
  }
  history.copyWithin(0, n, n + m);
}

/** ×2 decimation of v[0…2n) into y[0…n): y[i] = Σ h[k]·v[2i − k]. */
function decimate(stage: Stage, v: Float64Array, n: number, y: Float64Array): void {
  const m = stage.m;
  const h = stage.even;
  const half = h.length;
  const history = stage.downHistory;
  const keep = 2 * m;
  for (let i = 0; i < 2 * n; i++) history[keep + i] = v[i];
  for (let i = 0; i < n; i++) {
    const newest = keep + 2 * i; // v[2i]
    // Even taps h[2j] meet v[2i − 2j]; by symmetry h[2j] = h[2M − 2j] meets v[2i − 2M + 2j].
    let sum = 0;
    for (let j = 0; j < half; j++) sum += h[j] * (history[newest - 2 * j] + history[newest - keep + 2 * j]);
    y[i] = sum + 0.5 * history[newest - m];
  }
  history.copyWithin(0, 2 * n, 2 * n + keep);
}
