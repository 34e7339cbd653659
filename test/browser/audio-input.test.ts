// AudioInputNode (issue 16): the engine node's input — the microphone a page connects — reaches the node
// through the worklet's render loop, driven here in Node as the worklet drives it (128-frame quanta with
// their input channels). Measured: the node's output is the input, delayed by nothing at blocks up to 128 frames
// and by one block less a quantum at larger ones, continuous across blocks; silence where no input is connected,
// and on a host without an input (the server's, an offline render), which says so.

import { describe, expect, it } from 'vitest';
import type { FromWorklet, WorkletConfig } from '../../src/browser/messages.js';
import { WorkletRenderLoop } from '../../src/browser/render-loop.js';
import { Graph } from '../../src/engine/graph.js';
import { Preparer } from '../../src/engine/prepare.js';
import { createRegistry, Synchrotron } from '../../src/engine/synchrotron.js';
import { execute } from '../../src/lang/index.js';
import { maxStep, peak } from '../helpers/analysis.js';

const RATE = 48000;
const QUANTUM = 128;
const PATCH =
  'new AudioInputNode mic; new PlaybackNode out; link mic.left -> out.left; link mic.out -> out.right';

/** The worklet with a patch, fed `input(frame)` on its left input channel and its negation on the right. */
function worklet(blockSize: number, script: string) {
  const messages: FromWorklet[] = [];
  const config: WorkletConfig = {
    blockSize,
    running: true,
    limiter: false,
    midiPorts: ['Synchrotron virtual'],
    maxRecordingFrames: RATE * 10,
  };
  const loop = new WorkletRenderLoop({ config, sampleRate: RATE, post: (m) => messages.push(m) });
  const graph = new Graph(createRegistry());
  let batch = 1;
  const preparer = new Preparer({
    graph,
    sampleRate: RATE,
    blockSize,
    host: {},
    deliver: (ops) => loop.handle({ kind: 'ops', id: batch++, ops }),
  });
  graph.on({ batch: (ops) => loop.handle({ kind: 'ops', id: batch++, ops: preparer.process(ops) }) });
  execute({ graph, sampleRate: RATE, blockSize, clock: () => 0, start() {}, stop() {} }, script);
  let frame = 0;
  return {
    messages,
    /** Renders `quanta` quanta with the input given (or none connected); returns the output. */
    quanta(quanta: number, input: ((frame: number) => number) | null) {
      const left = new Float32Array(quanta * QUANTUM);
      const right = new Float32Array(quanta * QUANTUM);
      for (let q = 0; q < quanta; q++) {
        const inLeft = new Float32Array(QUANTUM);
        const inRight = new Float32Array(QUANTUM);
        if (input)
          for (let i = 0; i < QUANTUM; i++) {
            inLeft[i] = input(frame + i);
            inRight[i] = -inLeft[i];
          }
        loop.process(
          left.subarray(q * QUANTUM, (q + 1) * QUANTUM),
          right.subarray(q * QUANTUM, (q + 1) * QUANTUM),
          QUANTUM,
          frame,
          input ? [inLeft, inRight] : [],
        );
        frame += QUANTUM;
      }
      return { left, right };
    },
  };
}

/** A ramp that never repeats within a test: the delay between input and output can be read off exactly. */
const ramp = (frame: number) => ((frame % 9973) + 1) / 10000;

describe('AudioInputNode in the browser engine', () => {
  for (const blockSize of [128, 512, 64]) {
    it(`plays the page's input through, continuous across ${blockSize}-frame blocks`, () => {
      const w = worklet(blockSize, PATCH);
      w.quanta(8, ramp); // settle: the node opens its input on the first block
      const { left, right } = w.quanta(64, ramp);
      const start = 8 * QUANTUM;
      // Output frame n is input frame n − delay, the same delay throughout.
      const delay = start - Math.round(left[0] * 10000 - 1);
      for (let n = 0; n < left.length; n++) expect(left[n]).toBeCloseTo(ramp(start + n - delay), 6);
      // Larger blocks are rendered ahead of the quantum that plays them: one block less a quantum.
      expect(delay).toBe(Math.max(0, blockSize - QUANTUM));
      // `out` mixes both channels: the right input is the left negated, so it is silent.
      expect(peak(right)).toBeLessThan(1e-6);
      expect(maxStep(left.subarray(0, 9000))).toBeLessThan(0.002);
    });
  }

  it('gives silence while nothing is connected, and the input from the moment it is', () => {
    const w = worklet(128, PATCH);
    expect(peak(w.quanta(16, null).left)).toBe(0);
    const { left } = w.quanta(16, () => 0.25);
    expect(peak(left)).toBeCloseTo(0.25, 6);
    expect(left[0]).toBeCloseTo(0.25, 6); // no stale input from before, no gap
  });

  it("shows the browser's input as its device", () => {
    const w = worklet(128, PATCH);
    w.quanta(2, null);
    const exports = w.messages.filter(
      (m): m is Extract<FromWorklet, { kind: 'event' }> =>
        m.kind === 'event' && m.event.kind === 'exports' && m.event.node === 'mic',
    );
    expect(exports.at(-1)?.event).toMatchObject({ exports: { Device: 'browser input' } });
  });
});

describe('AudioInputNode where there is no input', () => {
  it('renders silence offline and warns once that this engine has no input', () => {
    const engine = new Synchrotron({ sampleRate: RATE, blockSize: 128 });
    const warnings: string[] = [];
    engine.onEvent((event) => {
      if (event.kind === 'warning') warnings.push(event.message);
    });
    engine.execute(PATCH);
    engine.start();
    const { left, right } = engine.renderFrames(RATE / 10);
    expect(peak(left)).toBe(0);
    expect(peak(right)).toBe(0);
    expect(warnings.filter((w) => /no audio input/.test(w))).toHaveLength(1);
    expect(engine.graph.node('mic').exports.Device).toBe('none');
  });
});
