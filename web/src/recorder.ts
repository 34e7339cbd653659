// Record: the master output as the engine renders it (whether or not this page is listening), kept in
// memory and downloaded as a 32-bit float stereo WAV when stopped. The take comes from the backend: the
// server's /ws/audio stream (streamTake, below) or the engine in the page (its own recorder).

import { useSyncExternalStore } from 'react';
import type { AudioFrame } from './api';
import { backend, type Take } from './backend';
import { download } from './files';
import { store } from './store';

/** Longest take, seconds: 15 minutes of stereo float32 at 48 kHz is ≈ 350 MB of memory. */
export const MAX_RECORD_SECONDS = 15 * 60;

interface State {
  recording: boolean;
  /** Seconds recorded so far. */
  seconds: number;
}

let state: State = { recording: false, seconds: 0 };
const listeners = new Set<() => void>();
const set = (next: State) => {
  state = next;
  for (const listener of listeners) listener();
};

let take: Take | null = null;
let ticker: ReturnType<typeof setInterval> | undefined;

export function useRecording(): State {
  return useSyncExternalStore(
    (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    () => state,
  );
}

/**
 * A take made of the server's /ws/audio frames (`open` starts the stream and answers how to close it).
 * Blocks the server dropped for a slow connection are filled with silence so the timing stays true.
 */
export function streamTake(
  open: (onFrame: (frame: AudioFrame) => void, onClose: (reason: string) => void) => () => void,
  onEnd: (reason: string) => void,
): Take {
  const chunks: Float32Array[] = [];
  let frames = 0;
  let sampleRate = 0;
  let lastSequence: number | null = null;
  let lastFrames = 0;
  let lostBlocks = 0;
  let ended = false;
  const onFrame = (frame: AudioFrame) => {
    if (ended) return;
    if (!sampleRate) sampleRate = frame.sampleRate;
    if (lastSequence !== null) {
      const missed = (frame.sequence - lastSequence - 1) >>> 0;
      if (missed > 0 && missed < 10000) {
        lostBlocks += missed;
        chunks.push(new Float32Array(missed * lastFrames * 2));
        frames += missed * lastFrames;
      }
    }
    lastSequence = frame.sequence;
    lastFrames = frame.frames;
    chunks.push(frame.interleaved.slice());
    frames += frame.frames;
    if (frames / sampleRate >= MAX_RECORD_SECONDS) {
      ended = true;
      onEnd(`it reached ${MAX_RECORD_SECONDS / 60} minutes (the longest take kept in memory)`);
    }
  };
  const close = open(onFrame, (reason) => {
    if (!ended) onEnd(reason);
  });
  return {
    seconds: () => (sampleRate ? frames / sampleRate : 0),
    stop: async () => {
      ended = true;
      close();
      const seconds = sampleRate ? frames / sampleRate : 0;
      if (!frames) return { wav: null, seconds };
      const all = new Float32Array(frames * 2);
      let at = 0;
      for (const chunk of chunks) {
        all.set(chunk, at);
        at += chunk.length;
      }
      return {
        wav: encodeWav(all, sampleRate),
        seconds,
        note: lostBlocks ? `${lostBlocks} blocks lost on a slow connection, filled with silence` : undefined,
      };
    },
  };
}

export function startRecording() {
  if (state.recording) return;
  try {
    take = backend().record((reason) => {
      store.showToast(`Recording stopped: ${reason}; saving what was recorded.`, 'info');
      void stopRecording();
    });
  } catch (error) {
    store.showToast(`Record: ${(error as Error).message}`);
    return;
  }
  set({ recording: true, seconds: 0 });
  // The elapsed time shown moves in tenths of a second (no re-render per block).
  ticker = setInterval(() => {
    if (take) set({ recording: true, seconds: take.seconds() });
  }, 100);
}

/** A WAV file (WAVE_FORMAT_IEEE_FLOAT, stereo) of interleaved samples. */
export function encodeWav(interleaved: Float32Array, rate: number): Blob {
  const header = new DataView(new ArrayBuffer(58));
  const dataBytes = interleaved.byteLength;
  const text = (at: number, s: string) => {
    for (let i = 0; i < s.length; i++) header.setUint8(at + i, s.charCodeAt(i));
  };
  text(0, 'RIFF');
  header.setUint32(4, 50 + dataBytes, true);
  text(8, 'WAVE');
  text(12, 'fmt ');
  header.setUint32(16, 18, true);
  header.setUint16(20, 3, true); // IEEE float
  header.setUint16(22, 2, true);
  header.setUint32(24, rate, true);
  header.setUint32(28, rate * 8, true);
  header.setUint16(32, 8, true);
  header.setUint16(34, 32, true);
  header.setUint16(36, 0, true);
  text(38, 'fact');
  header.setUint32(42, 4, true);
  header.setUint32(46, interleaved.length / 2, true);
  text(50, 'data');
  header.setUint32(54, dataBytes, true);
  return new Blob([header.buffer, interleaved.buffer as ArrayBuffer], { type: 'audio/wav' });
}

function stamp() {
  const d = new Date();
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`;
}

/** Stops and downloads the take; answers its length in seconds (0 when nothing arrived). */
export async function stopRecording(): Promise<number> {
  if (!state.recording || !take) return 0;
  const current = take;
  take = null;
  clearInterval(ticker);
  const { wav, seconds, note } = await current.stop();
  set({ recording: false, seconds });
  if (!wav) {
    store.showToast('Nothing was recorded: is the engine rendering (Start)?', 'info');
    return 0;
  }
  download(`synchrotron-${stamp()}.wav`, wav);
  store.showToast(`Recorded ${formatElapsed(seconds)}${note ? ` (${note})` : ''}.`, 'info');
  return seconds;
}

export function formatElapsed(seconds: number) {
  const m = Math.floor(seconds / 60);
  const s = seconds - m * 60;
  return `${m}:${s.toFixed(1).padStart(4, '0')}`;
}
