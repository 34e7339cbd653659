// AssemblyScript (not TypeScript; built with kernels.ts, which imports it): the ops of the band-limited
// oscillators and the envelope, opcodes 10–29 of src/engine/wasm/ops.ts. Each op is its node's `process`
// (src/nodes/oscillators, src/nodes/envelopes) step for step, in float64 where JS computes in doubles and on
// the same state in the kernels' memory, so the paths agree to float32 rounding and switching never jumps.
// A record's words: 0 opcode, 1 muted, 2 output (byte 8), then the operands from byte 12 (kernels.ts).

const OP_SQUARE: i32 = 10;
const OP_SAWTOOTH: i32 = 11;
const OP_TRIANGLE: i32 = 12;

/** Runs the op at `op` (opcode `code`, 10–29) for one block into `out`. */
export function runOscOp(code: i32, op: usize, out: usize, frames: i32): void {
  if (code === OP_SQUARE) {
    squareOp(
      out,
      <usize>load<i32>(op, 12),
      <usize>load<i32>(op, 20),
      <usize>load<i32>(op, 28),
      <usize>load<i32>(op, 32),
      frames,
    );
  } else if (code === OP_SAWTOOTH) {
    sawtoothOp(out, <usize>load<i32>(op, 12), <usize>load<i32>(op, 20), <usize>load<i32>(op, 24), frames);
  } else if (code === OP_TRIANGLE) {
    triangleOp(out, <usize>load<i32>(op, 12), <usize>load<i32>(op, 20), <usize>load<i32>(op, 24), frames);
  }
}

// ------------------------------------------------------------------------------------------- BLEP
// As BlepBuffer in src/nodes/oscillators/blep.ts: a ring of 2·DELAY float64 at the start of the state, and
// the step table (TABLE_POINTS float64) followed by the ramp table at `tables`.

const DELAY: i32 = 16;
const TAPS: i32 = 2 * DELAY;
const MASK: i32 = TAPS - 1;
const RESOLUTION: f64 = 256;
/** The ramp table's offset from the step table's (each 2·DELAY·256 + 2 float64). */
const RAMP_TABLE: usize = (<usize>TAPS * 256 + 2) << 3;

// A band-limited oscillator's state after the ring (float64 slots; OSC_* in src/nodes/oscillators/blep.ts).
const POSITION: usize = 8 * 32;
const STARTED: usize = 8 * 33;
const PHASE: usize = 8 * 34;
const DUTY: usize = 8 * 35;
const INVERSE_RATE: usize = 8 * 36;

/** BlepBuffer.edge: a jump of `height` at `fraction` of the way to the frame at ring index `position`. */
function edge(ring: usize, position: i32, tables: usize, fraction: f64, height: f64): void {
  let index = (1 - fraction) * RESOLUTION;
  for (let k = 0; k < DELAY; k++, index += RESOLUTION) {
    const whole = <i32>index; // `index | 0` in JS: index ≥ 0 here
    const at = tables + ((<usize>whole) << 3);
    const a = load<f64>(at);
    const slot = ring + ((<usize>((position + k) & MASK)) << 3);
    store<f64>(slot, load<f64>(slot) + height * (a + (index - <f64>whole) * (load<f64>(at, 8) - a)));
  }
  for (let k = DELAY; k < TAPS; k++, index += RESOLUTION) {
    const whole = <i32>index;
    const at = tables + ((<usize>whole) << 3);
    const a = load<f64>(at);
    const slot = ring + ((<usize>((position + k) & MASK)) << 3);
    store<f64>(slot, load<f64>(slot) + height * (a + (index - <f64>whole) * (load<f64>(at, 8) - a) - 1));
  }
}

/** BlepBuffer.corner: the slope changes by `change` per frame at `fraction` (as edge). */
function corner(ring: usize, position: i32, tables: usize, fraction: f64, change: f64): void {
  const ramp = tables + RAMP_TABLE;
  let index = (1 - fraction) * RESOLUTION;
  for (let k = 0; k < TAPS; k++, index += RESOLUTION) {
    const whole = <i32>index;
    const at = ramp + ((<usize>whole) << 3);
    const a = load<f64>(at);
    const slot = ring + ((<usize>((position + k) & MASK)) << 3);
    store<f64>(slot, load<f64>(slot) + change * (a + (index - <f64>whole) * (load<f64>(at, 8) - a)));
  }
}

/** Adds the naive value of the frame DELAY ahead, writes the output frame `i` from `position`. */
function push(ring: usize, position: i32, naive: f64, out: usize, i: i32): void {
  const ahead = ring + ((<usize>((position + DELAY) & MASK)) << 3);
  store<f64>(ahead, load<f64>(ahead) + naive);
  const now = ring + ((<usize>position) << 3);
  store<f32>(out + ((<usize>i) << 2), <f32>load<f64>(now));
  store<f64>(now, 0);
}

/** Cycles per frame from the frequency input's frame `i`: at most ±0.5 (Nyquist), NaN → 0. */
function incrementAt(frequency: usize, i: i32, inverseRate: f64): f64 {
  let increment = <f64>load<f32>(frequency + ((<usize>i) << 2)) * inverseRate;
  if (!(increment <= 0.5)) increment = increment > 0.5 ? 0.5 : 0;
  else if (increment < -0.5) increment = -0.5;
  return increment;
}

// ------------------------------------------------------------------------------------------- SquareNode

const MIN_PWM: f64 = 0.01;
const MAX_PWM: f64 = 0.99;

/** SquareNode.process (src/nodes/oscillators/square-node.ts). */
function squareOp(out: usize, frequency: usize, pwm: usize, state: usize, tables: usize, frames: i32): void {
  const ring = state;
  const inverseRate = load<f64>(state, INVERSE_RATE);
  let position = <i32>load<f64>(state, POSITION);
  if (load<f64>(state, STARTED) === 0) {
    const first = <f64>load<f32>(pwm);
    const duty = Number.isNaN(first) ? 0.5 : Math.min(MAX_PWM, Math.max(MIN_PWM, first));
    store<f64>(state, duty, DUTY);
    edge(ring, position, tables, 1, load<f64>(state, PHASE) < duty ? 1 : -1); // from silence
    store<f64>(state, 1, STARTED);
  }
  let p = load<f64>(state, PHASE);
  let d = load<f64>(state, DUTY);
  for (let i = 0; i < frames; i++) {
    push(ring, position, p < d ? 1 : -1, out, i);
    position = (position + 1) & MASK;
    const increment = incrementAt(frequency, i, inverseRate);
    // Next frame's duty cycle (the pwm of frame i+1 when it is in this block).
    const wanted = <f64>load<f32>(pwm + ((<usize>(i + 1 < frames ? i + 1 : i)) << 2));
    const nextDuty = !Number.isNaN(wanted) ? Math.min(MAX_PWM, Math.max(MIN_PWM, wanted)) : 0.5;
    const next = p + increment;
    // Rising edge where the phase passes a whole cycle.
    if (next >= 1) edge(ring, position, tables, (1 - p) / increment, 2);
    else if (next < 0) edge(ring, position, tables, p / -increment, -2);
    // Falling edges where phase − duty passes a whole number (the duty may move, too).
    const from = p - d;
    const to = next - nextDuty;
    const delta = to - from;
    if (delta > 0) {
      for (let k = Math.floor(from) + 1; k <= to; k++) edge(ring, position, tables, (k - from) / delta, -2);
    } else if (delta < 0) {
      for (let k = Math.floor(from); k > to; k--) edge(ring, position, tables, (from - k) / -delta, 2);
    }
    p = next >= 1 ? next - 1 : next < 0 ? next + 1 : next;
    d = nextDuty;
  }
  store<f64>(state, p, PHASE);
  store<f64>(state, d, DUTY);
  store<f64>(state, <f64>position, POSITION);
}

// ------------------------------------------------------------------------------------------- SawtoothNode

/** SawtoothNode.process (src/nodes/oscillators/sawtooth-node.ts). */
function sawtoothOp(out: usize, frequency: usize, state: usize, tables: usize, frames: i32): void {
  const ring = state;
  const inverseRate = load<f64>(state, INVERSE_RATE);
  let p = load<f64>(state, PHASE);
  let position = <i32>load<f64>(state, POSITION);
  if (load<f64>(state, STARTED) === 0) {
    edge(ring, position, tables, 1, 2 * p - 1); // the ramp starts from silence
    store<f64>(state, 1, STARTED);
  }
  for (let i = 0; i < frames; i++) {
    push(ring, position, 2 * p - 1, out, i);
    position = (position + 1) & MASK;
    const increment = incrementAt(frequency, i, inverseRate);
    const next = p + increment;
    if (next >= 1) {
      edge(ring, position, tables, (1 - p) / increment, -2);
      p = next - 1;
    } else if (next < 0) {
      edge(ring, position, tables, p / -increment, 2);
      p = next + 1;
    } else {
      p = next;
    }
  }
  store<f64>(state, p, PHASE);
  store<f64>(state, <f64>position, POSITION);
}

// ------------------------------------------------------------------------------------------- TriangleNode

/** TriangleNode.process (src/nodes/oscillators/triangle-node.ts). */
function triangleOp(out: usize, frequency: usize, state: usize, tables: usize, frames: i32): void {
  const ring = state;
  const inverseRate = load<f64>(state, INVERSE_RATE);
  let position = <i32>load<f64>(state, POSITION);
  if (load<f64>(state, STARTED) === 0) {
    // From silence the slope jumps from 0 to the wave's: clampIncrement (NaN → 0, at most ±0.5).
    let first = <f64>load<f32>(frequency) * inverseRate;
    first = !(first <= 0.5) ? (first > 0.5 ? 0.5 : 0) : Math.max(first, -0.5);
    corner(ring, position, tables, 1, 4 * first);
    store<f64>(state, 1, STARTED);
  }
  let p = load<f64>(state, PHASE);
  for (let i = 0; i < frames; i++) {
    push(ring, position, p < 0.25 ? 4 * p : p < 0.75 ? 2 - 4 * p : 4 * p - 4, out, i);
    position = (position + 1) & MASK;
    const increment = incrementAt(frequency, i, inverseRate);
    const next = p + increment;
    // Corners between p and next: peaks at 0.25 + k, troughs at 0.75 + k.
    if (increment > 0) {
      const bend = 8 * increment;
      if (p < 0.25 && next >= 0.25) corner(ring, position, tables, (0.25 - p) / increment, -bend);
      if (p < 0.75 && next >= 0.75) corner(ring, position, tables, (0.75 - p) / increment, bend);
      if (next >= 1.25) corner(ring, position, tables, (1.25 - p) / increment, -bend);
      p = next >= 1 ? next - 1 : next;
    } else if (increment < 0) {
      const bend = -8 * increment;
      if (p > 0.75 && next <= 0.75) corner(ring, position, tables, (p - 0.75) / -increment, bend);
      if (p > 0.25 && next <= 0.25) corner(ring, position, tables, (p - 0.25) / -increment, -bend);
      if (next <= -0.25) corner(ring, position, tables, (p + 0.25) / -increment, bend);
      p = next < 0 ? next + 1 : next;
    }
  }
  store<f64>(state, p, PHASE);
  store<f64>(state, <f64>position, POSITION);
}
