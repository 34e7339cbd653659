// Listening in this browser: the master output (the server's /ws/audio, or the engine in this page) →
// volume → limiter → hard ceiling at 0 dBFS → speakers, with an analyser for the level meter. The limiter sits after the volume so no
// setting of the slider or the patch can send more than full scale to the ears.

import { backend, type ListenSource } from './backend';

export interface ListenLevel {
  peak: number;
  rms: number;
}

class Listening {
  private context: AudioContext | null = null;
  private source: ListenSource | null = null;
  private volume: GainNode | null = null;
  private analyser: AnalyserNode | null = null;
  private buffer: Float32Array<ArrayBuffer> | null = null;
  private gain = 0.8;
  private isOn = false;
  /** The user has used the Listen switch (then local mode leaves it as they set it). */
  chosen = false;
  private readonly listeners = new Set<() => void>();

  get on() {
    return this.isOn;
  }

  private setOn(on: boolean) {
    this.isOn = on;
    for (const listener of this.listeners) listener();
  }

  /** For React (useSyncExternalStore): called when `on` changes. */
  subscribe = (listener: () => void) => {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  };

  /**
   * Local mode: the engine is this page, so starting it (a click or a key, which lets the page play
   * audio) makes it heard too — unless the user has switched Listen off.
   */
  startedLocally() {
    if (!this.isOn && !this.chosen) void this.start().catch(() => undefined);
  }

  async start(): Promise<void> {
    if (this.isOn) return;
    this.setOn(true);
    try {
      this.source = await backend().listen();
      const context = this.source.context;
      this.context = context;
      const volume = new GainNode(context, { gain: this.gain });
      // Limiter: fast compressor just under full scale, then a hard clip so nothing exceeds ±1 ever.
      const limiter = new DynamicsCompressorNode(context, {
        threshold: -3,
        knee: 0,
        ratio: 20,
        attack: 0.002,
        release: 0.15,
      });
      const ceiling = new WaveShaperNode(context, { curve: new Float32Array([-1, 1]) });
      const analyser = new AnalyserNode(context, { fftSize: 2048 });
      this.source.output.connect(volume).connect(limiter).connect(ceiling);
      ceiling.connect(analyser);
      ceiling.connect(context.destination);
      this.volume = volume;
      this.analyser = analyser;
      this.buffer = new Float32Array(analyser.fftSize);
    } catch (error) {
      await this.stop();
      throw error;
    }
  }

  async stop(): Promise<void> {
    this.setOn(false);
    const source = this.source;
    this.source = null;
    this.context = null;
    this.volume = null;
    this.analyser = null;
    await source?.stop();
  }

  setVolume(gain: number) {
    this.gain = gain;
    if (this.volume && this.context) this.volume.gain.setTargetAtTime(gain, this.context.currentTime, 0.02);
  }

  /** Level of what reaches the speakers (after the limiter). */
  level(): ListenLevel | null {
    if (!this.analyser || !this.buffer) return null;
    this.analyser.getFloatTimeDomainData(this.buffer);
    let peak = 0;
    let sum = 0;
    for (const s of this.buffer) {
      peak = Math.max(peak, Math.abs(s));
      sum += s * s;
    }
    return { peak, rms: Math.sqrt(sum / this.buffer.length) };
  }

  stats() {
    return this.source?.stats?.() ?? null;
  }
}

export const listening = new Listening();
