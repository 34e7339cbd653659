// Voice patches more than one test file plays.

/**
 * Scales its sine by velocity × 1e20 × 1e20: a quiet note (velocity 1, ≈ 1/127) stays finite (≈ 8e37), a
 * loud one (127) overflows float32 to ±Infinity, so its voice's node must be muted.
 */
export const LOUD_VOICE = `new InletNode frequency
new InletNode gate
new InletNode velocity
new SineNode osc
new 1e20 huge
new MultiplyNode scale
new MultiplyNode boom
new MultiplyNode boom2
new OutletNode out
link frequency.out -> osc.frequency
link osc.out -> scale.a
link velocity.out -> scale.b
link scale.out -> boom.a
link huge.out -> boom.b
link boom.out -> boom2.a
link huge.out -> boom2.b
link boom2.out -> out.input
`;
