// A control smoother for values that arrive now and then (a MIDI controller, an OSC fader): each new
// value glides linearly from where the output is to the new target over a fixed number of frames, so a
// knob never clicks, and the glide ends exactly `rampFrames` after the value arrived. The first value
// is taken at once (a smoother starts at the first value it receives). Allocation-free; state in a
// Float64Array (a fraction kept in a closure or field would be a fresh heap number per block).

const CURRENT = 0;
const STEP = 1;
const REMAINING = 2;
const TARGET = 3;
const STARTED = 4;

export class LinearRamp {
  /** [current, step per frame, frames left, target, started (0/1)]. */
  private readonly state = new Float64Array(5);
  readonly rampFrames: number;

  /** `rampFrames` ≥ 1: frames the glide takes (e.g. 5 ms: `Math.max(1, Math.round(0.005 * rate))`). */
  constructor(rampFrames: number) {
    this.rampFrames = Math.max(1, Math.floor(rampFrames));
  }

  /** The value written last. */
  get value(): number {
    return this.state[CURRENT];
  }

  /** True once a value has arrived. */
  get started(): boolean {
    return this.state[STARTED] === 1;
  }

  /**
   * A new target from the next frame written on: the first value is taken at once, later ones glide over
   * `rampFrames` frames (the last of them is the target itself). Non-finite targets are ignored.
   */
  set(target: number): void {
    if (!Number.isFinite(target)) return;
    const s = this.state;
    if (s[STARTED] === 0) {
      s[STARTED] = 1;
      s[CURRENT] = target;
      s[TARGET] = target;
      s[REMAINING] = 0;
      return;
    }
    s[TARGET] = target;
    s[REMAINING] = this.rampFrames;
    s[STEP] = (target - s[CURRENT]) / this.rampFrames;
  }

  /** Writes frames [from, to) of `out`, advancing the glide. */
  fill(out: Float32Array, from: number, to: number): void {
    const s = this.state;
    let current = s[CURRENT];
    let remaining = s[REMAINING];
    if (remaining <= 0) {
      for (let i = from; i < to; i++) out[i] = current;
      return;
    }
    const step = s[STEP];
    for (let i = from; i < to; i++) {
      if (remaining > 0) {
        remaining--;
        current = remaining === 0 ? s[TARGET] : current + step;
      }
      out[i] = current;
    }
    s[CURRENT] = current;
    s[REMAINING] = remaining;
  }
}
