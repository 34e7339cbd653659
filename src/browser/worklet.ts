// The AudioWorklet module (built to dist/browser/synchrotron-worklet.js, one self-contained file): registers
// the processor that hosts the render loop. Everything else lives in render-loop.ts; this is the glue to
// the AudioWorkletGlobalScope, whose few globals are declared here (TypeScript ships no typings for it).

import type { ToWorklet, WorkletConfig } from './messages.js';
import { PROCESSOR_NAME } from './messages.js';
import { WorkletRenderLoop } from './render-loop.js';

interface WorkletPort {
  postMessage(message: unknown, transfer?: ArrayBuffer[]): void;
  onmessage: ((event: { data: unknown }) => void) | null;
}

declare class AudioWorkletProcessor {
  readonly port: WorkletPort;
}
declare function registerProcessor(
  name: string,
  processor: new (options: { processorOptions: WorkletConfig }) => AudioWorkletProcessor,
): void;
/** The AudioContext's sample rate, in Hz. */
declare const sampleRate: number;
/** The context frame at which the quantum being rendered starts. */
declare const currentFrame: number;

class SynchrotronProcessor extends AudioWorkletProcessor {
  private readonly loop: WorkletRenderLoop;

  constructor(options: { processorOptions: WorkletConfig }) {
    super();
    const port = this.port;
    this.loop = new WorkletRenderLoop({
      config: options.processorOptions,
      sampleRate,
      post: (message, transfer) => port.postMessage(message, transfer ?? []),
    });
    port.onmessage = (event) => this.loop.handle(event.data as ToWorklet);
  }

  /**
   * One render quantum. `inputs[0]` is the node's input (two channels, none while nothing is connected):
   * the microphone's way in — engine.useMicrophone() connects a MediaStreamAudioSourceNode from
   * getUserMedia() to the engine's node, and AudioInputNodes read these channels through the render host,
   * at most one engine block behind.
   */
  process(inputs: Float32Array[][], outputs: Float32Array[][]): boolean {
    const channels = outputs[0];
    const left = channels[0];
    const right = channels[1] ?? channels[0];
    const input = inputs[0];
    this.loop.process(left, right, left.length, currentFrame, input?.[0], input?.[1]);
    return !this.loop.isDisposed;
  }
}

registerProcessor(PROCESSOR_NAME, SynchrotronProcessor);
