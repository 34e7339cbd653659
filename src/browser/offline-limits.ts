// What an offline render in the page may be, checked on the control side before any engine loads: the
// page's own bundle carries these, not the renderer (offline-render.ts, in the offline worker's bundle).

import { SynchrotronError } from '../engine/errors.js';
import { WAV_MAX_DATA_BYTES } from '../io/wav-header.js';

/** Longest offline render, in bytes of stereo float32 audio held in memory: 1 GiB (≈ 50 min at 44.1 kHz). */
export const MAX_OFFLINE_BYTES = 1024 * 1024 * 1024;
/** Longest WavFileNode recording in an offline render or in the worklet, in seconds (mono, in memory). */
export const MAX_RECORDING_SECONDS = 30 * 60;

export interface OfflineRenderSettings {
  /** Length to render, in seconds (the output has exactly round(seconds × sampleRate) frames). */
  seconds: number;
  /** Frames per second (default 44100, as the CLI). */
  sampleRate?: number;
  /** Frames per block (default 128, as the CLI). */
  blockSize?: number;
}

/** The render's length in frames, checked as the CLI checks it; throws a SynchrotronError saying why not. */
export function offlineFrames(settings: OfflineRenderSettings): number {
  const { seconds } = settings;
  const sampleRate = settings.sampleRate ?? 44100;
  if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds <= 0) {
    throw new SynchrotronError(
      'invalid',
      `seconds to render must be a positive number, got ${String(seconds)}`,
    );
  }
  const frames = Math.round(seconds * sampleRate);
  if (frames < 1)
    throw new SynchrotronError('invalid', `${seconds} s is less than one frame at ${sampleRate} Hz`);
  const limit = Math.min(MAX_OFFLINE_BYTES, WAV_MAX_DATA_BYTES);
  if (frames * 8 > limit) {
    throw new SynchrotronError(
      'invalid',
      `${seconds} s is too long to render in the page: at most ${Math.floor(limit / 8 / sampleRate)} s of stereo float audio at ${sampleRate} Hz`,
    );
  }
  return frames;
}
