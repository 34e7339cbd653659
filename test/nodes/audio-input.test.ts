// AudioInputNode: silence and one clear warning where there is no live input (offline, no device — as on
// the machines these tests run on), and, with input, the captured signal block by block, never waiting.
// No capture device exists here, so the device side is played by the test: it writes the real ring buffer
// in the chunks a device callback delivers (1024 frames), interleaved with the engine's 128-frame blocks.

import { describe, expect, it } from 'vitest';
import type { AudioInputSource, RenderHost } from '../../src/engine/definition.js';
import { AudioInputRing } from '../../src/io/audio-input-ring.js';
import { probablyHasAudioDevice } from '../../src/io/audio-output.js';
import { createNodeHost } from '../../src/io/node-host.js';
import { Synchrotron } from '../../src/synchrotron.js';
import { peak, rms } from '../helpers/analysis.js';

const RATE = 44100;

function engineWith(host: RenderHost, blockSize = 128) {
  const engine = new Synchrotron({ sampleRate: RATE, blockSize, host });
  const events: Array<{ kind: string; message?: string }> = [];
  engine.onEvent((event) => events.push(event as { kind: string; message?: string }));
  engine.execute(`new AudioInputNode mic
new 440 hz
new SineNode tone
new PlaybackNode out
link hz.out -> tone.frequency
link tone.out -> out.left
link mic.left -> out.right`);
  engine.start();
  return { engine, events, warnings: () => events.filter((e) => e.kind === 'warning').map((e) => e.message) };
}

function render(engine: Synchrotron, frames: number) {
  const left = new Float32Array(frames);
  const right = new Float32Array(frames);
  for (let at = 0; at < frames; at += engine.blockSize) {
    const master = engine.renderBlock();
    left.set(master.left.subarray(0, Math.min(engine.blockSize, frames - at)), at);
    right.set(master.right.subarray(0, Math.min(engine.blockSize, frames - at)), at);
  }
  return { left, right };
}

describe('AudioInputNode without live input', () => {
  it('in an offline render (a library engine): one warning saying so, silence, the rest plays on', () => {
    const { engine, warnings } = engineWith(createNodeHost());
    const { left, right } = render(engine, RATE);
    expect(rms(left), 'the sine plays').toBeGreaterThan(0.5);
    expect(peak(right), 'the input is silent').toBe(0);
    expect(warnings()).toEqual([
      'no audio input: live input is not available in an offline render or a library engine: silence',
    ]);
    expect(engine.graph.node('mic').exports).toEqual({ Device: null });
    engine.dispose();
  });

  it.skipIf(probablyHasAudioDevice())(
    'with live input on but no device on the machine: one warning naming why, silence',
    () => {
      const { engine, warnings } = engineWith(createNodeHost({ audioInput: true }));
      const { left, right } = render(engine, RATE / 2);
      expect(rms(left)).toBeGreaterThan(0.5);
      expect(peak(right)).toBe(0);
      expect(warnings()).toEqual([
        'no audio input: no audio input device on this machine (no sound system: /proc/asound, PulseAudio or PipeWire)',
      ]);
      engine.dispose();
    },
  );

  it('a `device` that is no name or number is named in the warning', () => {
    const { engine, warnings } = engineWith(createNodeHost({ audioInput: true }));
    engine.execute('new [1, 2] which\nlink which.out -> mic.device');
    render(engine, 1024);
    expect(warnings().at(-1)).toMatch(/`device` must be a device name or number, or null .* got \[1,2\]/);
    engine.dispose();
  });
});

/** A host whose input is a ring the test writes, as a capture callback would. */
function hostWithRing(
  ring: AudioInputRing,
  delay: number,
  maxLatency: number,
): RenderHost & { opened: number } {
  const host = {
    ...createNodeHost(),
    opened: 0,
    openAudioInput(): AudioInputSource {
      host.opened++;
      return ring.reader(delay, maxLatency);
    },
  };
  return host;
}

const signal = (frame: number) => Math.sin(frame * 0.01) * 0.5 + Math.sin(frame * 0.37) * 0.25;

describe('AudioInputNode with live input (the ring a device callback fills)', () => {
  it('plays the input exactly, one device chunk behind, while the device delivers 1024 frames at a time', () => {
    const ring = new AudioInputRing(RATE);
    const delay = 128 + 1024;
    const { engine, warnings } = engineWith(hostWithRing(ring, delay, 4410));
    const chunk = new Float32Array(1024);
    const out = new Float32Array(64 * 128);
    let captured = 0;
    for (let block = 0; block < 64; block++) {
      // The device delivers a chunk whenever the render has caught up with what it has.
      while (captured < (block + 1) * 128) {
        for (let i = 0; i < 1024; i++) chunk[i] = signal(captured + i);
        ring.write(chunk, null, 1024);
        captured += 1024;
      }
      out.set(engine.renderBlock().right, block * 128);
    }
    expect(warnings()).toEqual([]);
    expect(engine.graph.node('mic').exports).toEqual({ Device: 'default input' });
    // The reader starts `delay` frames before what had been written when it opened (the first chunk).
    const first = 1024 - delay;
    for (let i = 0; i < out.length; i++) {
      const frame = first + i;
      expect(out[i]).toBeCloseTo(frame < 0 ? 0 : signal(frame), 6);
    }
    engine.dispose();
  });

  it('never waits: a device that stops leaves silence, and its return plays on without a growing delay', () => {
    const ring = new AudioInputRing(RATE);
    const { engine } = engineWith(hostWithRing(ring, 128, 1024));
    const block = new Float32Array(128).fill(0.5);
    engine.renderBlock(); // opens the reader
    for (let b = 0; b < 10; b++) {
      ring.write(block, null, 128);
      expect(engine.renderBlock().right[5]).toBeCloseTo(0.5, 6);
    }
    for (let b = 0; b < 10; b++) expect(peak(engine.renderBlock().right)).toBe(0); // stalled: silence
    ring.write(block, null, 128);
    expect(engine.renderBlock().right[5]).toBeCloseTo(0.5, 6); // back at once, not 10 blocks late
    engine.dispose();
  });

  it('a device that runs ahead is caught up with: the delay stays within its bound', () => {
    const ring = new AudioInputRing(RATE);
    const { engine } = engineWith(hostWithRing(ring, 128, 1024));
    engine.renderBlock();
    const chunk = new Float32Array(4096);
    for (let i = 0; i < chunk.length; i++) chunk[i] = i / 4096;
    ring.write(chunk, null, 4096); // 32 blocks at once
    const first = engine.renderBlock().right;
    // Skipped to the newest frames: the block is the last 128 written, not the oldest.
    expect(first[0]).toBeCloseTo((4096 - 128) / 4096, 5);
    engine.dispose();
  });

  it('a stereo input keeps its sides; every AudioInputNode hears it', () => {
    const ring = new AudioInputRing(RATE);
    const { engine } = engineWith(hostWithRing(ring, 128, 1024));
    engine.execute('new AudioInputNode mic2\nnew PlaybackNode out2\nlink mic2.left -> out2.left');
    engine.renderBlock();
    ring.write(new Float32Array(128).fill(0.25), new Float32Array(128).fill(-0.5), 128);
    engine.renderBlock();
    expect(engine.renderer.streamOutput({ node: 'mic', port: 'left' })![3]).toBeCloseTo(0.25, 6);
    expect(engine.renderer.streamOutput({ node: 'mic', port: 'right' })![3]).toBeCloseTo(-0.5, 6);
    expect(engine.renderer.streamOutput({ node: 'mic2', port: 'left' })![3]).toBeCloseTo(0.25, 6);
    engine.dispose();
  });

  it('a device that fails after opening: one warning, then silence', () => {
    const ring = new AudioInputRing(RATE);
    const { engine, warnings } = engineWith(hostWithRing(ring, 128, 1024));
    engine.renderBlock();
    ring.write(new Float32Array(128).fill(0.5), null, 128);
    ring.fail('the audio input could not be opened: permission denied');
    for (let b = 0; b < 5; b++) engine.renderBlock();
    expect(warnings()).toEqual(['no audio input: the audio input could not be opened: permission denied']);
    expect(peak(engine.renderBlock().right)).toBe(0);
    engine.dispose();
  });
});
