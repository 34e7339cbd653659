/// <reference lib="dom" />
// Browser player for the server's master output (/ws/audio): receives PCM frames over a WebSocket,
// feeds an AudioWorklet ring buffer with a jitter buffer, and plays it with a volume control and a level
// report. Browser code only: no Node APIs, no bundler-specific imports (the worklet is a Blob URL).

import { AUDIO_HEADER_BYTES } from '../api/protocol.js';

export interface ListenerLevel {
  /** Peak and RMS of the stream (before volume) over the last ≈ 50 ms, 0…1. */
  peak: number;
  rms: number;
  /** Seconds of audio waiting in the jitter buffer. */
  buffered: number;
  /** Times the buffer ran dry since start (each one re-buffers `latency` seconds). */
  underflows: number;
}

export type ListenerState = 'idle' | 'connecting' | 'buffering' | 'playing' | 'closed' | 'error';

export interface ListenerOptions {
  /** The server (`http://127.0.0.1:2031`) or the stream itself (`ws://127.0.0.1:2031/ws/audio`). */
  url: string;
  /** Token when the server requires one (sent as `?token=`). */
  token?: string;
  /** Seconds buffered before playing, and again after the buffer runs dry (default 0.15). */
  latency?: number;
  /** Initial volume, a gain factor (default 1). */
  volume?: number;
  /** Sample rate for the AudioContext (pass the server's, from /status, to avoid resampling). */
  sampleRate?: number;
  /** Play through this context instead of making one. */
  context?: AudioContext;
  onLevel?: (level: ListenerLevel) => void;
  onState?: (state: ListenerState, detail?: string) => void;
}

const PROCESSOR_NAME = 'synchrotron-stream-player';

// The AudioWorklet side: a stereo ring buffer read at (stream rate ÷ context rate), linear interpolation
// when the two differ. It waits for `target` frames before playing, and drops the oldest audio when
// latency has grown well past the target (network bursts), so delay stays bounded.
const PROCESSOR_SOURCE = `
class SynchrotronStreamPlayer extends AudioWorkletProcessor {
  constructor(options) {
    super();
    const o = options.processorOptions;
    this.capacity = o.capacity;
    this.left = new Float32Array(this.capacity);
    this.right = new Float32Array(this.capacity);
    this.written = 0;
    this.read = 0;
    this.target = o.targetFrames;
    this.ratio = 1;
    this.streamRate = sampleRate;
    this.playing = false;
    this.underflows = 0;
    this.peak = 0;
    this.sum = 0;
    this.count = 0;
    this.reportEvery = Math.round(sampleRate * 0.05);
    this.sinceReport = 0;
    this.port.onmessage = (event) => this.receive(event.data);
  }
  receive(message) {
    if (message.rate && message.rate !== this.streamRate) {
      this.streamRate = message.rate;
      this.ratio = message.rate / sampleRate;
      this.target = Math.round(message.latency * message.rate);
    }
    const pcm = message.pcm;
    const frames = pcm.length >> 1;
    const capacity = this.capacity;
    for (let i = 0; i < frames; i++) {
      const at = (this.written + i) % capacity;
      this.left[at] = pcm[2 * i];
      this.right[at] = pcm[2 * i + 1];
    }
    this.written += frames;
    const buffered = this.written - this.read;
    if (buffered > capacity - 1 || buffered > this.target * 3 + frames) {
      this.read = this.written - this.target; // too far behind: catch up, keep the target delay
    }
  }
  process(inputs, outputs) {
    const out = outputs[0];
    const outL = out[0];
    const outR = out[1] || out[0];
    const n = outL.length;
    let i = 0;
    if (!this.playing && this.written - this.read >= this.target) this.playing = true;
    if (this.playing) {
      const capacity = this.capacity;
      for (; i < n; i++) {
        if (this.read + 1 >= this.written) {
          this.playing = false;
          this.underflows++;
          break;
        }
        const i0 = Math.floor(this.read);
        const frac = this.read - i0;
        const a = i0 % capacity;
        const b = (i0 + 1) % capacity;
        const l = this.left[a] + (this.left[b] - this.left[a]) * frac;
        const r = this.right[a] + (this.right[b] - this.right[a]) * frac;
        outL[i] = l;
        outR[i] = r;
        const m = Math.abs(l) > Math.abs(r) ? Math.abs(l) : Math.abs(r);
        if (m > this.peak) this.peak = m;
        this.sum += (l * l + r * r) * 0.5;
        this.read += this.ratio;
      }
    }
    for (; i < n; i++) {
      outL[i] = 0;
      outR[i] = 0;
    }
    this.count += n;
    this.sinceReport += n;
    if (this.sinceReport >= this.reportEvery) {
      this.port.postMessage({
        peak: this.peak,
        rms: Math.sqrt(this.sum / Math.max(1, this.count)),
        buffered: Math.max(0, this.written - this.read) / this.streamRate,
        underflows: this.underflows,
        playing: this.playing,
      });
      this.peak = 0;
      this.sum = 0;
      this.count = 0;
      this.sinceReport = 0;
    }
    return true;
  }
}
registerProcessor('${PROCESSOR_NAME}', SynchrotronStreamPlayer);
`;

/** The /ws/audio URL for a server or stream URL, with the token if any. */
export function streamUrl(url: string, token?: string): string {
  const parsed = new URL(url, typeof location !== 'undefined' ? location.href : undefined);
  if (parsed.protocol === 'http:') parsed.protocol = 'ws:';
  else if (parsed.protocol === 'https:') parsed.protocol = 'wss:';
  if (!parsed.pathname.endsWith('/ws/audio'))
    parsed.pathname = `${parsed.pathname.replace(/\/$/, '')}/ws/audio`;
  if (token) parsed.searchParams.set('token', token);
  return parsed.toString();
}

const registered = new WeakSet<BaseAudioContext>();

export class AudioStreamListener {
  /** Latest level report (updated ≈ 20 times a second while playing). */
  level: ListenerLevel = { peak: 0, rms: 0, buffered: 0, underflows: 0 };
  state: ListenerState = 'idle';
  /** The AudioContext playing the stream (available after start()). */
  context: AudioContext | undefined;
  /** The worklet node (stream source) and the volume node after it (connect analysers to `output`). */
  node: AudioWorkletNode | undefined;
  output: GainNode | undefined;
  /** Sample rate announced by the stream (0 until the first frame). */
  streamRate = 0;

  private readonly options: ListenerOptions;
  private socket: WebSocket | undefined;
  private starting: Promise<void> | undefined;
  private gainValue: number;
  private ownsContext = false;

  constructor(options: ListenerOptions) {
    this.options = options;
    this.gainValue = options.volume ?? 1;
  }

  get volume(): number {
    return this.gainValue;
  }

  /** A gain factor (0 = mute, 1 = as rendered); changes glide over ≈ 20 ms so they do not click. */
  set volume(value: number) {
    this.gainValue = Math.max(0, Number.isFinite(value) ? value : 0);
    if (this.output && this.context)
      this.output.gain.setTargetAtTime(this.gainValue, this.context.currentTime, 0.02);
  }

  /**
   * Connects and starts playing. Call it from a user gesture (a click) so the browser allows sound.
   * Calls while connecting share that attempt; after a failure (server not up yet) it can be called again.
   */
  start(): Promise<void> {
    if (this.socket && !this.starting) return Promise.resolve();
    this.starting ??= this.connect().then(
      () => {
        this.starting = undefined;
      },
      async (error: unknown) => {
        // Leave nothing half-open, so the next start() begins afresh.
        this.starting = undefined;
        await this.release();
        throw error;
      },
    );
    return this.starting;
  }

  private async connect(): Promise<void> {
    this.setState('connecting');
    // Left over from a stream the server closed: start from nothing.
    if (this.node) await this.release();
    const latency = this.options.latency ?? 0.15;
    // Create (or resume) the context first, while still inside the user gesture.
    let context = this.options.context;
    if (!context) {
      context = new AudioContext(this.options.sampleRate ? { sampleRate: this.options.sampleRate } : {});
      this.ownsContext = true;
    }
    this.context = context;
    const resumed = context.resume().catch(() => {});
    if (!registered.has(context)) {
      const blobUrl = URL.createObjectURL(new Blob([PROCESSOR_SOURCE], { type: 'application/javascript' }));
      try {
        await context.audioWorklet.addModule(blobUrl);
      } finally {
        URL.revokeObjectURL(blobUrl);
      }
      registered.add(context);
    }
    await resumed;
    const node = new AudioWorkletNode(context, PROCESSOR_NAME, {
      numberOfInputs: 0,
      numberOfOutputs: 1,
      outputChannelCount: [2],
      processorOptions: {
        capacity: Math.ceil(context.sampleRate * Math.max(2, latency * 8)),
        targetFrames: Math.round(latency * context.sampleRate),
      },
    });
    const output = context.createGain();
    output.gain.value = this.gainValue;
    node.connect(output).connect(context.destination);
    this.node = node;
    this.output = output;
    node.port.onmessage = (event: MessageEvent<ListenerLevel & { playing: boolean }>) => {
      const { peak, rms, buffered, underflows, playing } = event.data;
      this.level = { peak, rms, buffered, underflows };
      this.options.onLevel?.(this.level);
      const state = playing ? 'playing' : 'buffering';
      if (this.state !== state && (this.state === 'playing' || this.state === 'buffering'))
        this.setState(state);
    };

    const socket = new WebSocket(streamUrl(this.options.url, this.options.token));
    socket.binaryType = 'arraybuffer';
    this.socket = socket;
    await new Promise<void>((resolve, reject) => {
      socket.onopen = () => {
        this.setState('buffering');
        resolve();
      };
      socket.onerror = () => {
        this.setState('error', 'cannot connect to the audio stream');
        reject(new Error(`cannot connect to ${streamUrl(this.options.url)}`));
      };
    });
    socket.onerror = () => this.setState('error', 'audio stream error');
    socket.onclose = () => {
      // The server went away: a later start() reconnects.
      if (this.socket === socket) this.socket = undefined;
      if (this.state !== 'closed') this.setState('closed');
    };
    socket.onmessage = (event: MessageEvent<ArrayBuffer>) => this.receive(event.data, latency);
  }

  /** Stops playing and disconnects (the context is closed if this listener made it). */
  async stop(): Promise<void> {
    this.setState('closed');
    await this.release();
  }

  private async release(): Promise<void> {
    this.socket?.close();
    this.socket = undefined;
    this.node?.disconnect();
    this.output?.disconnect();
    this.node = undefined;
    this.output = undefined;
    if (this.ownsContext) await this.context?.close().catch(() => {});
    this.ownsContext = false;
    this.context = undefined;
  }

  private receive(data: ArrayBuffer, latency: number): void {
    if (!(data instanceof ArrayBuffer) || data.byteLength < AUDIO_HEADER_BYTES) return;
    const header = new DataView(data, 0, AUDIO_HEADER_BYTES);
    const rate = header.getUint32(4, true);
    const frames = header.getUint32(8, true);
    if (data.byteLength < AUDIO_HEADER_BYTES + frames * 8) return;
    this.streamRate = rate;
    const pcm = new Float32Array(data, AUDIO_HEADER_BYTES, frames * 2);
    this.node?.port.postMessage({ pcm, rate, latency }, [data]);
  }

  private setState(state: ListenerState, detail?: string): void {
    this.state = state;
    this.options.onState?.(state, detail);
  }
}

/** Connects and plays the stream; resolves with the playing listener. */
export async function listen(options: ListenerOptions): Promise<AudioStreamListener> {
  const listener = new AudioStreamListener(options);
  await listener.start();
  return listener;
}
