// A render thread of ThreadedRenderer (render-threads.ts): renders its parts of the graph each block the
// main thread asks for, into shared memory. Edits arrive on a message port and are taken synchronously
// at the block boundary (the thread sleeps in Atomics.wait between blocks, so its event loop never runs).

import { receiveMessageOnPort, workerData } from 'node:worker_threads';
import { NodeRegistry } from '../engine/registry.js';
import { type RenderEvent, Renderer } from '../engine/renderer.js';
import { builtinNodes } from '../nodes/index.js';
import { decodeKernelsNatively } from './native-hex.js';
import { CONTROL, GO_EXIT, type PartWorkerData, type ToPartWorker } from './render-threads.js';
import { VoiceShareNode } from './voice-threads.js';

decodeKernelsNatively();
const data = workerData as PartWorkerData;
const control = new Int32Array(data.control);
const clock = new Float64Array(data.clock);
const slots = new Float32Array(data.slots);
const renderer = new Renderer({
  sampleRate: data.sampleRate,
  blockSize: data.blockSize,
  registry: new NodeRegistry([...builtinNodes, VoiceShareNode]),
  onEvent: (event) => data.events.postMessage(event),
});
/** Exported outputs: the part's live buffer and the shared block it is copied to after each block. */
let exports: Array<{ from: Float32Array | undefined; to: Float32Array; node: string; port: string }> = [];
let applied = 0;
let stale = false;

function takeEdits(): void {
  const expected = Atomics.load(control, CONTROL.seq);
  while (applied < expected) {
    const received = receiveMessageOnPort(data.edits);
    if (!received) continue; // posted before the seq was stored: it is on its way
    const message = received.message as ToPartWorker;
    applied = message.seq;
    if (message.kind === 'ops') {
      renderer.enqueue(message.ops);
      stale = true;
    } else if (message.kind === 'transport') {
      if (message.running) renderer.start();
      else renderer.stop();
    } else {
      exports = message.exports.map(([node, port, slot]) => ({
        node,
        port,
        from: undefined,
        to: slots.subarray(slot * data.blockSize, (slot + 1) * data.blockSize),
      }));
      stale = true;
    }
  }
}

function renderBlock(): void {
  takeEdits();
  renderer.clock.frames = clock[0];
  renderer.renderBlock();
  if (stale) {
    // Buffers are bound once the edits are applied (in renderBlock): look the exported ones up again.
    stale = false;
    for (const e of exports) e.from = renderer.streamOutput({ node: e.node, port: e.port });
  }
  for (let i = 0; i < exports.length; i++) {
    const { from, to } = exports[i];
    if (from !== undefined) to.set(from);
    else to.fill(0);
  }
}

let seen = 0;
Atomics.store(control, CONTROL.ready, 1);
for (;;) {
  // Spin briefly before sleeping (a parts' worker): the next block usually comes within microseconds.
  for (let spin = 0; spin < data.spin && Atomics.load(control, CONTROL.go) === seen; spin++);
  Atomics.wait(control, CONTROL.go, seen);
  const go = Atomics.load(control, CONTROL.go);
  if (go === GO_EXIT) break;
  if (go === seen) continue;
  seen = go;
  try {
    renderBlock();
  } catch (error) {
    // The main thread waits for `done` with no event loop to hear of a crash: report it and answer anyway.
    data.events.postMessage({
      kind: 'fault',
      node: '',
      message: `render thread: ${error instanceof Error ? error.message : String(error)}`,
    } satisfies RenderEvent);
  }
  Atomics.store(control, CONTROL.done, go);
  Atomics.notify(control, CONTROL.done);
}
renderer.dispose();
