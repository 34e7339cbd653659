// Server mode's Listen: the server's master output as an AudioNode, through the shared browser client
// (src/client/listener.ts: /ws/audio → AudioWorklet jitter buffer). Its own path to the speakers is cut,
// so that everything goes through this UI's volume and limiter first.

import { AudioStreamListener } from '../../src/client/listener.js';
import type { ServerAddress } from './api';
import type { ListenSource } from './backend';

/** Call from a user gesture: the AudioContext is made before the first await. */
export async function listenToServer(server: ServerAddress, sampleRate?: number): Promise<ListenSource> {
  const context = new AudioContext({ latencyHint: 'interactive', ...(sampleRate ? { sampleRate } : {}) });
  const inner = new AudioStreamListener({
    url: server.base,
    token: server.token ?? undefined,
    context,
    volume: 1,
    latency: 0.12,
  });
  const stop = async () => {
    await inner.stop().catch(() => undefined);
    await context.close().catch(() => undefined);
  };
  try {
    await inner.start();
    if (!inner.output) throw new Error('the audio stream did not start');
  } catch (error) {
    await stop();
    throw error;
  }
  inner.output.disconnect();
  return { context, output: inner.output, stop, stats: () => inner.level ?? null };
}
