// The server's master output as an AudioNode, through the shared browser client (src/client/listener.ts:
// /ws/audio → AudioWorklet jitter buffer). Its own path to the speakers is cut, so that everything goes
// through this UI's volume and limiter first.

import { AudioStreamListener, type ListenerLevel } from '../../src/client/listener.js';
import { serverBase, serverToken } from './api';
import { store } from './store';

export class Listener {
  output!: AudioNode;
  private inner: AudioStreamListener | null = null;
  private context: AudioContext | null = null;

  /** Call from a user gesture: the AudioContext is made before the first await. */
  async start(): Promise<AudioContext> {
    const sampleRate = store.state.status?.sampleRate;
    const context = new AudioContext({ latencyHint: 'interactive', ...(sampleRate ? { sampleRate } : {}) });
    this.context = context;
    const inner = new AudioStreamListener({
      url: serverBase(),
      token: serverToken() ?? undefined,
      context,
      volume: 1,
      latency: 0.12,
    });
    this.inner = inner;
    await inner.start();
    if (!inner.output) throw new Error('the audio stream did not start');
    inner.output.disconnect();
    this.output = inner.output;
    return context;
  }

  async stop() {
    await this.inner?.stop().catch(() => undefined);
    this.inner = null;
    await this.context?.close().catch(() => undefined);
    this.context = null;
  }

  stats(): ListenerLevel | null {
    return this.inner?.level ?? null;
  }
}
