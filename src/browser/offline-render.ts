// Offline rendering in the page: the same steps as `synchrotron render` (run the script, wait for its files,
// start, render whole blocks, keep the first `seconds` of the master), so a patch rendered here equals the
// CLI's render of it. Portable (no DOM, no Node): the offline worker runs it, and so can the main thread,
// in slices that yield to the page between them.

import { SynchrotronError } from '../engine/errors.js';
import type { RenderEvent } from '../engine/renderer.js';
import { parseSui } from '../lang/index.js';
import { Synchrotron } from '../synchrotron.js';
import type { FromWorklet } from './messages.js';
import { MAX_RECORDING_SECONDS, type OfflineRenderSettings, offlineFrames } from './offline-limits.js';
import { BrowserRenderHost } from './render-host.js';

export interface OfflineRenderIo {
  /** Control side: the files nodes read (the engine's file store). */
  readFile?(path: string, options?: { maxBytes?: number }): Promise<Uint8Array>;
  /** Frames rendered so far, at most every `progressMs` (and once at the end). */
  onProgress?(frames: number, totalFrames: number): void;
  /** Faults, warnings and debug values of the render, as they happen. */
  onEvent?(event: RenderEvent): void;
  /** Between slices of `sliceMs` of work: return a promise to let the page breathe (main-thread renders). */
  yieldToPage?(): Promise<void>;
  /** Checked between slices: true stops the render with an AbortError-like SynchrotronError. */
  cancelled?(): boolean;
  progressMs?: number;
  sliceMs?: number;
}

export interface OfflineRecordingData {
  path: string;
  sampleRate: number;
  /** Mono float32 chunks, in order. */
  chunks: Float32Array[];
}

export interface OfflineRenderData {
  sampleRate: number;
  frames: number;
  /** The master, interleaved stereo float32, in chunks of whole frames. */
  chunks: Float32Array[];
  /** WavFileNode recordings made during the render, by path (the last one of a path wins). */
  recordings: OfflineRecordingData[];
}

/** Renders `script` (Synchrolang, or a .sui patch's text) offline; see the module comment. */
export async function renderScriptOffline(
  script: string,
  settings: OfflineRenderSettings,
  io: OfflineRenderIo = {},
): Promise<OfflineRenderData> {
  if (typeof script !== 'string')
    throw new SynchrotronError('invalid', 'the patch to render must be a string');
  const totalFrames = offlineFrames(settings);
  const recordings = new Map<number, OfflineRecordingData>();
  const collect = (message: FromWorklet) => {
    if (message.kind !== 'wav') return;
    let recording = recordings.get(message.id);
    if (!recording) {
      recording = { path: message.path, sampleRate: message.sampleRate, chunks: [] };
      recordings.set(message.id, recording);
    }
    if (message.samples && message.samples.length > 0) recording.chunks.push(message.samples);
  };
  const sampleRate = settings.sampleRate ?? 44100;
  const host = new BrowserRenderHost({
    post: collect,
    midiPorts: ['Synchrotron virtual'],
    maxRecordingFrames: Math.round(MAX_RECORDING_SECONDS * sampleRate),
    readFile: io.readFile,
  });
  const engine = new Synchrotron({ sampleRate, blockSize: settings.blockSize ?? 128, host });
  const blockSize = engine.blockSize;
  const unsubscribe = io.onEvent ? engine.onEvent(io.onEvent) : undefined;
  const chunks: Float32Array[] = [];
  try {
    engine.execute(parseSui(script).script);
    // Files that structural inputs name are read before the first block, so a render is repeatable.
    await engine.ready();
    engine.start();
    const now = () => (typeof performance === 'undefined' ? Date.now() : performance.now());
    const sliceMs = io.sliceMs ?? 50;
    const progressMs = io.progressMs ?? 100;
    let lastProgress = now();
    let done = 0;
    // Chunks of about a second, so the result is a few hundred arrays rather than one per block.
    const chunkFrames = Math.max(blockSize, Math.ceil(sampleRate / blockSize) * blockSize);
    let chunk = new Float32Array(Math.min(chunkFrames, totalFrames) * 2);
    let used = 0;
    while (done < totalFrames) {
      const sliceStart = now();
      do {
        const { left, right } = engine.renderBlock();
        const frames = Math.min(blockSize, totalFrames - done);
        for (let i = 0; i < frames; i++) {
          chunk[2 * (used + i)] = left[i];
          chunk[2 * (used + i) + 1] = right[i];
        }
        used += frames;
        done += frames;
        if (used * 2 === chunk.length) {
          chunks.push(chunk);
          chunk = new Float32Array(Math.min(chunkFrames, totalFrames - done) * 2);
          used = 0;
        }
      } while (done < totalFrames && now() - sliceStart < sliceMs);
      if (io.onProgress && (done === totalFrames || now() - lastProgress >= progressMs)) {
        lastProgress = now();
        io.onProgress(done, totalFrames);
      }
      if (done < totalFrames) {
        if (io.yieldToPage) await io.yieldToPage();
        if (io.cancelled?.()) throw new SynchrotronError('io', 'the offline render was cancelled');
      }
    }
    engine.stop(); // WavFileNodes finish their recordings
  } finally {
    unsubscribe?.();
    engine.dispose();
  }
  // The last recording of each path wins, as the file on disk would be overwritten.
  const byPath = new Map<string, OfflineRecordingData>();
  for (const recording of recordings.values()) byPath.set(recording.path, recording);
  return { sampleRate, frames: totalFrames, chunks, recordings: [...byPath.values()] };
}
