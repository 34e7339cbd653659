import { defineNode, stream } from '../../engine/definition.js';
import { kernelsFor, nodeState } from '../../engine/wasm/kernels.js';
import { OP_TRIGGER_ENVELOPE } from '../../engine/wasm/ops.js';

const IDLE = 0;
const ATTACK = 1;
const DECAY = 2;

// Indices into a TriggerEnvelopeNode's state (the same layout as triggerEnvelopeOp's in
// scripts/wasm/ops-mix.ts).
/** The level to output next. */
const LEVEL = 0;
/** IDLE, ATTACK or DECAY. */
const STAGE = 1;
/** The last trigger sample (NaN read as 0): a rising edge is non-zero after zero. */
const PREVIOUS_TRIGGER = 2;
/** The sample rate, for the kernel. */
const RATE = 3;
const STATE_SIZE = 4;

/**
 * Attack–decay envelope (fix: unfinished in the original). On each trigger — a non-zero frame after a zero
 * frame — it rises linearly to 1 at a rate of 1 per `attack` seconds, then falls linearly to 0 at 1 per
 * `decay` seconds. A retrigger continues rising from the current level, so it never clicks.
 * attack or decay ≤ 0 jumps (a deliberate click).
 */
export const TriggerEnvelopeNode = defineNode({
  type: 'TriggerEnvelopeNode',
  category: 'envelopes',
  description:
    'On each trigger rises 0→1 over `attack` s, then falls to 0 over `decay` s; retriggers from the current level.',
  inputs: {
    trigger: stream('Starts the envelope on each rising edge (non-zero after zero).', {
      default: 0,
      unit: 'trigger',
    }),
    attack: stream('Rise time from 0 to 1.', { default: 0.01, unit: 's', min: 0, max: 10 }),
    decay: stream('Fall time from 1 to 0.', { default: 0.3, unit: 's', min: 0, max: 30 }),
  },
  outputs: { envelope: stream('Envelope level.', { unit: '0…1' }) },
  create(ctx, io) {
    const { trigger, attack, decay } = io.inputs;
    const out = io.outputs.envelope.buf;
    const rate = ctx.sampleRate;
    // With kernels, in their memory, where the plan's op (OP_TRIGGER_ENVELOPE) runs on the same state.
    const kernels = kernelsFor(out);
    const { at: stateAt, state } = nodeState(kernels, STATE_SIZE);
    state[RATE] = rate;
    return {
      encode(writer) {
        if (!kernels) return false;
        return (
          writer.begin(OP_TRIGGER_ENVELOPE, out) &&
          writer.input(trigger) &&
          writer.input(attack) &&
          writer.input(decay) &&
          writer.pointer(stateAt)
        );
      },
      dispose() {
        kernels?.releaseState(stateAt, STATE_SIZE * 8);
      },
      process(frames) {
        const t = trigger.buf;
        const a = attack.buf;
        const d = decay.buf;
        let y = state[LEVEL];
        let s = state[STAGE];
        let previous = state[PREVIOUS_TRIGGER];
        for (let i = 0; i < frames; i++) {
          const x = t[i];
          if (x !== 0 && previous === 0 && !Number.isNaN(x)) s = ATTACK;
          previous = Number.isNaN(x) ? 0 : x;
          // Output, then advance: the trigger frame keeps the current level; 1 is reached `attack` s later.
          out[i] = y;
          if (s === ATTACK) {
            const seconds = a[i];
            y = seconds > 0 ? y + 1 / (seconds * rate) : 1;
            if (y >= 1) {
              y = 1;
              s = DECAY;
            }
          } else if (s === DECAY) {
            const seconds = d[i];
            y = seconds > 0 ? y - 1 / (seconds * rate) : 0;
            if (y <= 0) {
              y = 0;
              s = IDLE;
            }
          }
        }
        state[LEVEL] = y;
        state[STAGE] = s;
        state[PREVIOUS_TRIGGER] = previous;
      },
    };
  },
});
