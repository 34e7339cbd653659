// Shared set-up for MIDI tests: an engine whose host has the virtual MIDI port and reads files.
import type { RenderEvent } from '../../src/engine/renderer.js';
import { createNodeHost } from '../../src/io/node-host.js';
import { Synchrotron } from '../../src/synchrotron.js';

export function midiEngine(
  options: { sampleRate?: number; blockSize?: number; hardware?: boolean; root?: string } = {},
) {
  // The real Node host (files confined to `root`, virtual MIDI port 0); hardware only when asked, since
  // probing ALSA prints its complaint to stderr on machines without a sequencer.
  const host = createNodeHost({ root: options.root, midi: { hardware: options.hardware ?? false } });
  const midi = host;
  const engine = new Synchrotron({
    sampleRate: options.sampleRate ?? 48000,
    blockSize: options.blockSize ?? 128,
    host,
  });
  const events: RenderEvent[] = [];
  engine.onEvent((event) => events.push(event));
  return { engine, midi, events };
}

/** Renders `blocks` blocks and returns the concatenated samples of a stream output. */
export function record(engine: Synchrotron, port: string, blocks: number): Float32Array {
  const [node, name] = port.split('.');
  const out = new Float32Array(blocks * engine.blockSize);
  for (let b = 0; b < blocks; b++) {
    engine.renderBlock();
    const buf = engine.renderer.streamOutput({ node, port: name });
    if (!buf) throw new Error(`no stream output ${port}`);
    out.set(buf, b * engine.blockSize);
  }
  return out;
}

/** Frames where a signal is non-zero. */
export function nonZeroFrames(signal: Float32Array): number[] {
  const frames: number[] = [];
  for (let i = 0; i < signal.length; i++) if (signal[i] !== 0) frames.push(i);
  return frames;
}
