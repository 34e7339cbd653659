import { type DataSlot, data, defineNode } from '../../engine/definition.js';
import { type DataValue, dataEquals } from '../../engine/types.js';

/** At most one report per this much audio time. */
const REPORT_INTERVAL_SECONDS = 0.1;

/**
 * Reports the value it receives to clients (and the server log) via ctx.debug, and exports it as
 * `{Value: …}` — only when it changed, and at most every 0.1 s of audio time; the latest value is always
 * reported once the interval has passed. A stream block (linked from a stream output) is copied, as an
 * array of numbers, only when it is reported.
 */
export const DebugNode = defineNode({
  type: 'DebugNode',
  category: 'debug',
  description: 'Reports the value it receives (to the server log and to clients); exports it as `Value`.',
  inputs: { input: data('Any value; a stream arrives as its block of samples.', { default: null }) },
  outputs: {},
  initialExports: () => ({ Value: null }),
  create(ctx, io) {
    const input = io.inputs.input;
    const intervalFrames = Math.max(1, Math.round(REPORT_INTERVAL_SECONDS * ctx.sampleRate));
    // Last reported stream block, to notice changes without copying every block.
    const lastBlock = new Float32Array(ctx.blockSize);
    let lastWasBlock = false;
    let lastValue: DataValue = null;
    let reported = false;
    let lastSlot: DataSlot | null = null;
    let lastVersion = -1;
    let lastSlotValue: unknown;
    let framesSinceReport = intervalFrames; // the first value is reported at once

    const report = (value: DataValue) => {
      ctx.debug(value);
      ctx.publish({ Value: value });
      reported = true;
      framesSinceReport = 0;
    };

    return {
      process(frames) {
        framesSinceReport += frames;
        if (framesSinceReport < intervalFrames) return;
        const slot = input.source;
        const value = slot.value;
        if (value instanceof Float32Array) {
          const n = Math.min(frames, value.length);
          if (lastWasBlock && reported && sameBlock(value, lastBlock, n)) return;
          lastBlock.set(value.subarray(0, n));
          lastWasBlock = true;
          lastSlot = null;
          report(Array.from(lastBlock.subarray(0, n), finiteOrNull));
          return;
        }
        // Cheap check first: the same slot at the same version holds the same value.
        if (reported && slot === lastSlot && slot.version === lastVersion && value === lastSlotValue) return;
        lastSlot = slot;
        lastVersion = slot.version;
        lastSlotValue = value;
        if (reported && !lastWasBlock && dataEquals(value, lastValue)) return;
        lastWasBlock = false;
        lastValue = value;
        report(value);
      },
    };
  },
});

function sameBlock(a: Float32Array, b: Float32Array, frames: number): boolean {
  for (let i = 0; i < frames; i++)
    if (a[i] !== b[i] && !(Number.isNaN(a[i]) && Number.isNaN(b[i]))) return false;
  return true;
}

/** JSON has no NaN or Infinity: those samples are reported as null. */
function finiteOrNull(x: number): number | null {
  return x - x === 0 ? x : null;
}
