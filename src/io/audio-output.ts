// Where the server's rendered blocks go in real time, and the clock that paces rendering:
// - NullOutput: no device; the machine's monotonic clock stands in for a sound card consuming frames.
// - DeviceOutput: the system's default output through node-web-audio-api (an optional dependency,
//   imported dynamically), fed by scheduling each rendered chunk back to back on the device timeline.
// Both expose `position()`, the frames the output has consumed; the render loop stays ahead of it.

import { existsSync } from 'node:fs';

export interface AudioOutput {
  /** Device name for PlaybackNode's `Device` export, or 'none'. */
  readonly name: string;
  /** Frames consumed by the output since it opened (fractional). */
  position(): number;
  /** Queue one rendered block at output frame `frame`. Called in order of `frame`. */
  write(left: Float32Array, right: Float32Array, frames: number, frame: number): void;
  /** Hand queued frames to the device (once per render tick). */
  flush(): void;
  close(): Promise<void>;
}

export class NullOutput implements AudioOutput {
  readonly name = 'none';
  private readonly sampleRate: number;
  private readonly started = performance.now();

  constructor(sampleRate: number) {
    this.sampleRate = sampleRate;
  }

  position(): number {
    return ((performance.now() - this.started) / 1000) * this.sampleRate;
  }

  write(): void {}
  flush(): void {}
  async close(): Promise<void> {}
}

// The slice of node-web-audio-api used here (it mirrors the Web Audio API).
interface WebAudioBuffer {
  getChannelData(channel: number): Float32Array;
}
interface WebAudioContext {
  readonly currentTime: number;
  readonly sampleRate: number;
  readonly destination: unknown;
  createBuffer(channels: number, frames: number, sampleRate: number): WebAudioBuffer;
  createBufferSource(): {
    buffer: WebAudioBuffer | null;
    connect(destination: unknown): void;
    start(when?: number): void;
  };
  close(): Promise<void>;
}
interface WebAudioModule {
  AudioContext: new (options?: Record<string, unknown>) => WebAudioContext;
  mediaDevices?: { enumerateDevices(): Promise<Array<{ kind: string; label: string; deviceId: string }>> };
}

/** Loads node-web-audio-api, or explains why it cannot. */
async function loadWebAudio(): Promise<WebAudioModule> {
  const specifier = 'node-web-audio-api';
  try {
    return (await import(specifier)) as WebAudioModule;
  } catch (error) {
    throw new Error(
      `cannot use the audio device: the optional package node-web-audio-api is not installed or does not load here (${error instanceof Error ? error.message : String(error)}); use --audio none`,
    );
  }
}

/**
 * Cheap check before trying a device in `auto` mode, so machines without sound (servers, containers)
 * do not print the audio library's probing noise. Linux only; elsewhere we just try.
 */
export function probablyHasAudioDevice(): boolean {
  if (process.platform !== 'linux') return true;
  return (
    existsSync('/proc/asound') || Boolean(process.env.PULSE_SERVER) || Boolean(process.env.PIPEWIRE_REMOTE)
  );
}

export class DeviceOutput implements AudioOutput {
  readonly name: string;
  private readonly context: WebAudioContext;
  private readonly sampleRate: number;
  /** Device time (s) of output frame 0. */
  private readonly origin: number;
  private pendingLeft: Float32Array;
  private pendingRight: Float32Array;
  private pendingFrames = 0;
  private pendingStart = 0;

  private constructor(context: WebAudioContext, name: string, sampleRate: number, capacity: number) {
    this.context = context;
    this.name = name;
    this.sampleRate = sampleRate;
    // Start a little in the future so the first chunk is not late by construction.
    this.origin = context.currentTime + 0.01;
    this.pendingLeft = new Float32Array(capacity);
    this.pendingRight = new Float32Array(capacity);
  }

  /**
   * Opens the default output (or `sinkId`) at `sampleRate`. Throws an Error with a clear message when
   * the package is missing or there is no device.
   */
  static async open(
    sampleRate: number,
    options: { sinkId?: string; latency: number },
  ): Promise<DeviceOutput> {
    const webAudio = await loadWebAudio();
    let context: WebAudioContext;
    try {
      context = new webAudio.AudioContext({
        sampleRate,
        latencyHint: 'playback',
        ...(options.sinkId !== undefined ? { sinkId: options.sinkId } : {}),
      });
    } catch (error) {
      throw new Error(
        `no audio output device could be opened (${error instanceof Error ? error.message : String(error)}); use --audio none to run without a sound card`,
        { cause: error },
      );
    }
    let name = options.sinkId === 'none' ? 'none (device path, no sink)' : 'default output';
    if (options.sinkId !== 'none') {
      try {
        const devices = (await webAudio.mediaDevices?.enumerateDevices()) ?? [];
        const output = devices.find((d) => d.kind === 'audiooutput' && (d.deviceId === 'default' || d.label));
        if (output?.label) name = output.label;
      } catch {
        // The label is cosmetic; keep the generic name.
      }
    }
    const capacity = Math.ceil(sampleRate * Math.max(options.latency, 0.05) * 4) + 8192;
    return new DeviceOutput(context, name, sampleRate, capacity);
  }

  position(): number {
    return Math.max(0, (this.context.currentTime - this.origin) * this.sampleRate);
  }

  write(left: Float32Array, right: Float32Array, frames: number, frame: number): void {
    if (this.pendingFrames > 0 && frame !== this.pendingStart + this.pendingFrames) this.flush();
    if (this.pendingFrames + frames > this.pendingLeft.length) this.flush();
    if (this.pendingFrames === 0) this.pendingStart = frame;
    this.pendingLeft.set(left.subarray(0, frames), this.pendingFrames);
    this.pendingRight.set(right.subarray(0, frames), this.pendingFrames);
    this.pendingFrames += frames;
  }

  flush(): void {
    const frames = this.pendingFrames;
    if (frames === 0) return;
    const buffer = this.context.createBuffer(2, frames, this.sampleRate);
    buffer.getChannelData(0).set(this.pendingLeft.subarray(0, frames));
    buffer.getChannelData(1).set(this.pendingRight.subarray(0, frames));
    const source = this.context.createBufferSource();
    source.buffer = buffer;
    source.connect(this.context.destination);
    source.start(this.origin + this.pendingStart / this.sampleRate);
    this.pendingFrames = 0;
  }

  async close(): Promise<void> {
    await this.context.close();
  }
}
