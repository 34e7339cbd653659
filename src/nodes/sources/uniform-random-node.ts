import { defineNode, stream } from '../../engine/definition.js';

/**
 * Uniform white noise between `min` and `max`. A seeded PRNG (mulberry32) seeded from the node's name:
 * the same patch renders the same noise (tests can compare), two noise nodes are uncorrelated.
 */
export const UniformRandomNode = defineNode({
  type: 'UniformRandomNode',
  category: 'sources',
  description: 'Uniform white noise between `min` and `max` (deterministic per node name).',
  inputs: {
    min: stream('Lowest value (default −1).', { default: -1 }),
    max: stream('Highest value (default 1).', { default: 1 }),
  },
  outputs: { out: stream('Noise, min…max.') },
  create(ctx, io) {
    const { min, max } = io.inputs;
    const out = io.outputs.out.buf;
    let state = hashName(ctx.name);
    return {
      process(frames) {
        const lo = min.buf;
        const hi = max.buf;
        let s = state;
        for (let i = 0; i < frames; i++) {
          // mulberry32: 32-bit state, full period 2^32, passes the usual statistical batteries.
          s = (s + 0x6d2b79f5) | 0;
          let t = Math.imul(s ^ (s >>> 15), 1 | s);
          t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
          const uniform = ((t ^ (t >>> 14)) >>> 0) * 2.3283064365386963e-10; // [0, 1)
          const a = lo[i];
          out[i] = a + (hi[i] - a) * uniform;
        }
        state = s;
      },
    };
  },
});

/** FNV-1a hash of the name: a stable 32-bit seed. */
function hashName(name: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) hash = Math.imul(hash ^ name.charCodeAt(i), 0x01000193);
  return hash | 0;
}
