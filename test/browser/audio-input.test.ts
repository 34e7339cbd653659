// The browser engine's live input: the AudioWorklet's input channels (what the page connects, e.g.
// engine.useMicrophone()) reach AudioInputNodes at most one engine block behind, for any block size; the
// offline render has no live input and says so. The render loop is driven in Node as the worklet drives it.

import { describe, expect, it } from 'vitest';
import type { FromWorklet, WorkletConfig } from '../../src/browser/messages.js';
import { renderScriptOffline } from '../../src/browser/offline-render.js';
import { WorkletRenderLoop } from '../../src/browser/render-loop.js';
import { Graph } from '../../src/engine/graph.js';
import { execute } from '../../src/lang/index.js';
import { createRegistry } from '../../src/synchrotron.js';
import { peak } from '../helpers/analysis.js';

const RATE = 48000;
const QUANTUM = 128;
const input = (frame: number) => 0.5 * Math.sin(frame * 0.05) + 0.1 * Math.sin(frame * 1.3);

function warningsOf(messages: FromWorklet[]): string[] {
  return messages.flatMap((m) => (m.kind === 'event' && m.event.kind === 'warning' ? [m.event.message] : []));
}

function worklet(blockSize: number) {
  const messages: FromWorklet[] = [];
  const config: WorkletConfig = {
    blockSize,
    running: true,
    limiter: false,
    midiPorts: ['Synchrotron virtual'],
    maxRecordingFrames: RATE,
  };
  const loop = new WorkletRenderLoop({ config, sampleRate: RATE, post: (message) => messages.push(message) });
  const graph = new Graph(createRegistry());
  let batch = 1;
  graph.on({ batch: (ops) => loop.handle({ kind: 'ops', id: batch++, ops: [...ops] }) });
  execute(
    { graph, sampleRate: RATE, blockSize, clock: () => 0, start() {}, stop() {} },
    'new AudioInputNode mic\nnew PlaybackNode out\nlink mic.left -> out.left\nlink mic.right -> out.right',
  );
  return { loop, messages };
}

describe('browser engine: live input', () => {
  for (const blockSize of [64, 128, 512]) {
    it(`${blockSize}-frame blocks: the worklet's input plays through AudioInputNode, at most a block behind`, () => {
      const { loop, messages } = worklet(blockSize);
      const quanta = 40;
      const left = new Float32Array(quanta * QUANTUM);
      const right = new Float32Array(quanta * QUANTUM);
      const inLeft = new Float32Array(QUANTUM);
      const inRight = new Float32Array(QUANTUM);
      for (let q = 0; q < quanta; q++) {
        for (let i = 0; i < QUANTUM; i++) {
          inLeft[i] = input(q * QUANTUM + i);
          inRight[i] = -inLeft[i];
        }
        loop.process(
          left.subarray(q * QUANTUM, (q + 1) * QUANTUM),
          right.subarray(q * QUANTUM, (q + 1) * QUANTUM),
          QUANTUM,
          q * QUANTUM,
          inLeft,
          inRight,
        );
      }
      expect(warningsOf(messages)).toEqual([]);
      // Each quantum's input is written before the blocks it needs are rendered: a block no longer than the
      // quantum hears it at once; a longer one is rendered when its first quantum is due, so it lags by the
      // rest of the block.
      const lag = Math.max(0, blockSize - QUANTUM);
      for (let i = 2 * blockSize + QUANTUM; i < left.length; i++) {
        expect(left[i], `frame ${i}`).toBeCloseTo(input(i - lag), 6);
        expect(right[i]).toBeCloseTo(-input(i - lag), 6);
      }
      expect(peak(left)).toBeGreaterThan(0.5);
    });
  }

  it('with nothing connected to the node (no input channels): silence, no warning', () => {
    const { loop, messages } = worklet(128);
    const left = new Float32Array(QUANTUM);
    const right = new Float32Array(QUANTUM);
    for (let q = 0; q < 10; q++) loop.process(left, right, QUANTUM, q * QUANTUM);
    expect(peak(left)).toBe(0);
    expect(warningsOf(messages)).toEqual([]);
  });

  it('an offline render has no live input: one warning, silence', async () => {
    const events: Array<{ kind: string; message?: string }> = [];
    const result = await renderScriptOffline(
      'new AudioInputNode mic\nnew PlaybackNode out\nlink mic.left -> out.left',
      { seconds: 0.1, sampleRate: RATE },
      { onEvent: (event) => events.push(event) },
    );
    expect(result.chunks.every((chunk) => peak(chunk) === 0)).toBe(true);
    expect(events.filter((e) => e.kind === 'warning').map((e) => e.message)).toEqual([
      'no audio input: live input is not available in an offline render: silence',
    ]);
  });
});
