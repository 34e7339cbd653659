// The server's master output as an AudioNode: /ws/audio frames (12-byte header + interleaved stereo
// float32) → an AudioWorklet ring buffer. Adapter kept small so the shared client (src/client/listener.ts)
// can replace it.

import { AUDIO_HEADER_BYTES } from '../../src/server/protocol.js';
import { wsUrl } from './api';

const WORKLET = `
class RingPlayer extends AudioWorkletProcessor {
  constructor() {
    super();
    this.size = sampleRate * 2;            // 2 s of stereo frames
    this.left = new Float32Array(this.size);
    this.right = new Float32Array(this.size);
    this.read = 0; this.write = 0; this.filled = 0;
    this.target = Math.round(sampleRate * 0.08); // start after 80 ms buffered
    this.playing = false; this.underruns = 0;
    this.port.onmessage = (e) => {
      const pcm = e.data;
      const frames = pcm.length / 2;
      for (let i = 0; i < frames; i++) {
        this.left[this.write] = pcm[2 * i];
        this.right[this.write] = pcm[2 * i + 1];
        this.write = (this.write + 1) % this.size;
      }
      this.filled += frames;
      if (this.filled > this.size) { this.read = (this.write + this.size - this.target) % this.size; this.filled = this.target; }
      // Latency creeping up (clock drift, a burst after a stall): skip ahead to the target.
      if (this.filled > this.target * 4) { this.read = (this.write + this.size - this.target) % this.size; this.filled = this.target; }
    };
  }
  process(_inputs, outputs) {
    const out = outputs[0];
    const n = out[0].length;
    if (!this.playing && this.filled >= this.target) this.playing = true;
    if (this.playing && this.filled < n) { this.playing = false; this.underruns++; this.port.postMessage({ underruns: this.underruns }); }
    if (!this.playing) { for (const ch of out) ch.fill(0); return true; }
    for (let i = 0; i < n; i++) {
      out[0][i] = this.left[this.read];
      if (out[1]) out[1][i] = this.right[this.read];
      this.read = (this.read + 1) % this.size;
    }
    this.filled -= n;
    return true;
  }
}
registerProcessor('synchrotron-ring-player', RingPlayer);
`;

export class Listener {
  output!: AudioNode;
  private context: AudioContext | null = null;
  private socket: WebSocket | null = null;
  private node: AudioWorkletNode | null = null;
  private underruns = 0;
  private frames = 0;

  /** Opens the stream; the AudioContext runs at the server's sample rate (no resampling here). */
  async start(): Promise<AudioContext> {
    const socket = new WebSocket(wsUrl('/ws/audio'));
    socket.binaryType = 'arraybuffer';
    this.socket = socket;
    const first = await new Promise<ArrayBuffer>((resolve, reject) => {
      socket.onmessage = (e) => resolve(e.data as ArrayBuffer);
      socket.onerror = () => reject(new Error('the audio stream (/ws/audio) could not be opened'));
      socket.onclose = () => reject(new Error('the audio stream closed'));
    });
    const sampleRate = new DataView(first).getUint32(4, true);
    const context = new AudioContext({ sampleRate, latencyHint: 'interactive' });
    this.context = context;
    const url = URL.createObjectURL(new Blob([WORKLET], { type: 'text/javascript' }));
    await context.audioWorklet.addModule(url);
    URL.revokeObjectURL(url);
    const node = new AudioWorkletNode(context, 'synchrotron-ring-player', { outputChannelCount: [2] });
    node.port.onmessage = (e) => {
      if (typeof e.data?.underruns === 'number') this.underruns = e.data.underruns;
    };
    this.node = node;
    this.output = node;
    const push = (data: ArrayBuffer) => {
      const view = new DataView(data);
      const frames = view.getUint32(8, true);
      this.frames += frames;
      const pcm = new Float32Array(data, AUDIO_HEADER_BYTES, frames * 2);
      node.port.postMessage(pcm, [data]);
    };
    push(first);
    socket.onmessage = (e) => push(e.data as ArrayBuffer);
    socket.onclose = null;
    await context.resume();
    return context;
  }

  async stop() {
    this.socket?.close();
    this.socket = null;
    this.node?.disconnect();
    await this.context?.close().catch(() => undefined);
    this.context = null;
  }

  stats() {
    return { underruns: this.underruns, frames: this.frames };
  }
}
