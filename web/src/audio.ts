// Listening in this browser: the server's master output (/ws/audio) → volume → limiter → hard ceiling at
// 0 dBFS → speakers, with an analyser for the level meter. The limiter sits after the volume so no
// setting of the slider or the patch can send more than full scale to the ears.

import { Listener } from './listener-source';

export interface ListenLevel {
  peak: number;
  rms: number;
}

class Listening {
  private context: AudioContext | null = null;
  private source: Listener | null = null;
  private volume: GainNode | null = null;
  private analyser: AnalyserNode | null = null;
  private buffer: Float32Array<ArrayBuffer> | null = null;
  private gain = 0.8;
  on = false;

  async start(): Promise<void> {
    if (this.on) return;
    this.on = true;
    try {
      this.source = new Listener();
      const context = await this.source.start();
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
    this.on = false;
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
    return this.source?.stats() ?? null;
  }
}

export const listening = new Listening();
