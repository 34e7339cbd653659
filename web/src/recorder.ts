// Record: the master output as the server renders it (its /ws/audio stream, whether or not this page is
// listening), kept in memory and downloaded as a 32-bit float stereo WAV when stopped. Blocks the
// server dropped for a slow connection are filled with silence so the timing stays true, and counted.

import { useSyncExternalStore } from 'react';
import { type AudioFrame, openAudioStream } from './api';
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

let chunks: Float32Array[] = [];
let frames = 0;
let sampleRate = 0;
let lastSequence: number | null = null;
let lastFrames = 0;
let lostBlocks = 0;
let close: (() => void) | null = null;
let lastShown = 0;

export function useRecording(): State {
  return useSyncExternalStore(
    (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    () => state,
  );
}

function onFrame(frame: AudioFrame) {
  if (!sampleRate) sampleRate = frame.sampleRate;
  if (lastSequence !== null) {
    const missed = (frame.sequence - lastSequence - 1) >>> 0;
    if (missed > 0 && missed < 10000) {
      lostBlocks += missed;
      const silence = new Float32Array(missed * lastFrames * 2);
      chunks.push(silence);
      frames += missed * lastFrames;
    }
  }
  lastSequence = frame.sequence;
  lastFrames = frame.frames;
  chunks.push(frame.interleaved.slice());
  frames += frame.frames;
  const seconds = frames / sampleRate;
  if (seconds >= MAX_RECORD_SECONDS) {
    store.showToast(
      `Recording stopped at ${MAX_RECORD_SECONDS / 60} minutes (the longest take kept in memory).`,
      'info',
    );
    void stopRecording();
    return;
  }
  // The elapsed time shown moves in tenths of a second (no re-render per block).
  if (seconds - lastShown >= 0.1) {
    lastShown = seconds;
    set({ recording: true, seconds });
  }
}

export function startRecording() {
  if (state.recording) return;
  chunks = [];
  frames = 0;
  sampleRate = 0;
  lastSequence = null;
  lostBlocks = 0;
  lastShown = 0;
  close = openAudioStream(onFrame, (reason) => {
    store.showToast(`Recording: ${reason}; saving what was recorded.`);
    void stopRecording();
  });
  set({ recording: true, seconds: 0 });
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
  if (!state.recording) return 0;
  close?.();
  close = null;
  const all = new Float32Array(frames * 2);
  let at = 0;
  for (const chunk of chunks) {
    all.set(chunk, at);
    at += chunk.length;
  }
  chunks = [];
  const seconds = sampleRate ? frames / sampleRate : 0;
  set({ recording: false, seconds });
  if (!frames) {
    store.showToast('Nothing was recorded: is the engine rendering (Start)?', 'info');
    return 0;
  }
  download(`synchrotron-${stamp()}.wav`, encodeWav(all, sampleRate));
  store.showToast(
    `Recorded ${formatElapsed(seconds)}${lostBlocks ? ` (${lostBlocks} blocks lost on a slow connection, filled with silence)` : ''}.`,
    'info',
  );
  return seconds;
}

export function formatElapsed(seconds: number) {
  const m = Math.floor(seconds / 60);
  const s = seconds - m * 60;
  return `${m}:${s.toFixed(1).padStart(4, '0')}`;
}
