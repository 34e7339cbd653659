// Master limiter: keeps the stereo output within ±ceiling whatever the patch does, so a sum of loud
// PlaybackNodes never clips the device or deafens a listener. Pure TypeScript, no allocation per block.
//
// Peak limiter with instant attack and exponential release, linked across both channels (the stereo
// image does not wander). Instant attack means the gain is never above ceiling / |sample|, so the output
// is bounded by construction; release lets the gain recover smoothly so quiet passages are untouched.

export interface LimiterOptions {
  /** Largest absolute output sample, default 1. */
  ceiling?: number;
  /** Time for the gain to recover most (1 − 1/e) of the way back to unity, in seconds; default 0.05 s. */
  release?: number;
}

export class MasterLimiter {
  readonly ceiling: number;
  /** Current gain (1 = untouched), for meters and tests. */
  gain = 1;
  private readonly releaseCoefficient: number;

  constructor(sampleRate: number, options: LimiterOptions = {}) {
    this.ceiling = options.ceiling ?? 1;
    const release = options.release ?? 0.05;
    // One-pole smoothing per sample: after `release` seconds the gap to the target is e⁻¹ of what it was.
    this.releaseCoefficient = 1 - Math.exp(-1 / Math.max(1, release * sampleRate));
  }

  /** Limits `frames` frames of both channels in place (render side). */
  process(left: Float32Array, right: Float32Array, frames: number): void {
    const ceiling = this.ceiling;
    const release = this.releaseCoefficient;
    let gain = this.gain;
    for (let i = 0; i < frames; i++) {
      let l = left[i];
      let r = right[i];
      // Non-finite samples are scrubbed upstream; treat any that slip through as silence.
      if (l - l !== 0) l = 0;
      if (r - r !== 0) r = 0;
      const al = l < 0 ? -l : l;
      const ar = r < 0 ? -r : r;
      const level = Math.max(al, ar);
      const target = level > ceiling ? ceiling / level : 1;
      if (target < gain) gain = target;
      else gain += (target - gain) * release;
      // Float rounding of gain × sample may exceed the ceiling by an ulp; clamp for a hard guarantee.
      let outL = l * gain;
      let outR = r * gain;
      if (outL > ceiling) outL = ceiling;
      else if (outL < -ceiling) outL = -ceiling;
      if (outR > ceiling) outR = ceiling;
      else if (outR < -ceiling) outR = -ceiling;
      left[i] = outL;
      right[i] = outR;
    }
    this.gain = gain;
  }

  reset(): void {
    this.gain = 1;
  }
}
