// Live audio input between a capture callback and the render loop (AudioInputNode). The device side writes
// whatever it captured, in whatever chunks it comes; each reader (one per AudioInputNode) takes engine
// blocks from its own position, never waiting: what has not arrived yet is silence. A reader starts one
// engine block behind the writer, so a device that delivers in steady chunks never runs it dry; if the
// device runs ahead (clocks drift, the render loop paused), the reader skips forward so the delay stays
// within `maxLatency`. No Node or DOM APIs: the server's render worker and the browser's AudioWorklet both
// use it, each on its own single thread (writes and reads never race).

import type { AudioInputSource } from '../engine/definition.js';

export class AudioInputRing {
  readonly capacity: number;
  private readonly left: Float32Array;
  private readonly right: Float32Array;
  /** Frames written since the ring was made (never wraps: 2^53 frames is 6000 years at 48 kHz). */
  written = 0;
  private readonly readers = new Set<RingReader>();
  /** What went wrong on the device side, for every reader to report once. */
  private problem: string | null = null;
  private problemVersion = 0;

  /**
   * `seconds` of buffer at `sampleRate` (the readers' latency stays well under it). Render side or device
   * side, once: allocates.
   */
  constructor(sampleRate: number, seconds = 0.5) {
    this.capacity = Math.max(1024, Math.ceil(sampleRate * seconds));
    this.left = new Float32Array(this.capacity);
    this.right = new Float32Array(this.capacity);
  }

  /** Device side: `frames` captured frames (`right` null for a mono device: left on both). */
  write(left: Float32Array, right: Float32Array | null, frames: number): void {
    const capacity = this.capacity;
    let at = this.written % capacity;
    const source = right ?? left;
    for (let i = 0; i < frames; i++) {
      this.left[at] = left[i];
      this.right[at] = source[i];
      at = at + 1 === capacity ? 0 : at + 1;
    }
    this.written += frames;
  }

  /** Device side: the device failed or went away; readers report it once and play silence. */
  fail(message: string): void {
    this.problem = message;
    this.problemVersion++;
  }

  get readerCount(): number {
    return this.readers.size;
  }

  /**
   * A reader for one AudioInputNode: starts `delay` frames (an engine block) behind the writer and keeps
   * its delay within `maxLatency` frames. `onClose` runs when it is the last reader to close.
   */
  reader(delay: number, maxLatency: number, onLastClose?: () => void): AudioInputSource {
    const reader = new RingReader(this, delay, Math.min(maxLatency, this.capacity - 1), () => {
      this.readers.delete(reader);
      if (this.readers.size === 0) onLastClose?.();
    });
    this.readers.add(reader);
    return reader;
  }

  /** @internal copies frames [from, from + frames) of the stream into the outputs at `offset`. */
  copy(from: number, frames: number, left: Float32Array, right: Float32Array, offset: number): void {
    const capacity = this.capacity;
    let at = from % capacity;
    for (let i = 0; i < frames; i++) {
      left[offset + i] = this.left[at];
      right[offset + i] = this.right[at];
      at = at + 1 === capacity ? 0 : at + 1;
    }
  }

  /** @internal the current problem and its version. */
  problemSince(version: number): { message: string | null; version: number } {
    return version === this.problemVersion
      ? { message: null, version }
      : { message: this.problem, version: this.problemVersion };
  }
}

class RingReader implements AudioInputSource {
  private readonly ring: AudioInputRing;
  private readonly delay: number;
  private readonly maxLatency: number;
  private readonly onClose: () => void;
  /** Next stream frame to read. */
  private position: number;
  /** After running dry: silence until `delay` frames have arrived again (a jitter buffer refilling). */
  private refilling = false;
  private problemVersion = 0;
  private closed = false;

  constructor(ring: AudioInputRing, delay: number, maxLatency: number, onClose: () => void) {
    this.ring = ring;
    this.delay = delay;
    this.maxLatency = Math.max(delay, maxLatency);
    this.onClose = onClose;
    this.position = ring.written - delay;
  }

  read(left: Float32Array, right: Float32Array, frames: number): number {
    const ring = this.ring;
    const written = ring.written;
    if (this.refilling && written - this.position < this.delay) {
      left.fill(0, 0, frames);
      right.fill(0, 0, frames);
      return 0;
    }
    this.refilling = false;
    // Fallen too far behind (the device ran ahead): skip to the newest frames, one block's delay kept.
    if (written - this.position > this.maxLatency)
      this.position = written - Math.min(frames, this.maxLatency);
    const from = this.position;
    // Frames before the stream began are silence.
    const silent = Math.min(frames, Math.max(0, -from));
    left.fill(0, 0, silent);
    right.fill(0, 0, silent);
    const available = Math.max(0, Math.min(frames - silent, written - (from + silent)));
    ring.copy(from + silent, available, left, right, silent);
    const real = available;
    if (silent + available < frames) {
      // Ran dry (the device is late or gone): silence now, and play on once `delay` frames are there
      // again — neither waiting on this thread nor replaying what was heard.
      left.fill(0, silent + available, frames);
      right.fill(0, silent + available, frames);
      this.position = written;
      this.refilling = true;
      return real;
    }
    this.position = from + frames;
    return real;
  }

  takeProblem(): string | null {
    const { message, version } = this.ring.problemSince(this.problemVersion);
    this.problemVersion = version;
    return message;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.onClose();
  }
}
