/// <reference lib="dom" />
// Offline rendering for pages: a patch to a WAV Blob, faster than real time, with progress — in the offline
// worker (dist/browser/synchrotron-offline-worker.js, found next to this module) or, when asked or when no
// worker can be made, on the page's own thread in slices. Either way the samples equal `synchrotron render`
// of the same patch.

import { SynchrotronError } from '../engine/errors.js';
import type { RenderEvent } from '../engine/renderer.js';
import { deserializeError, serializeError } from './errors.js';
import type { FileStore } from './file-store.js';
import { type FromOfflineWorker, OFFLINE_WORKER_FILE, type ToOfflineWorker } from './messages.js';
import { offlineFrames } from './offline-limits.js';
import type { OfflineRenderData } from './offline-render.js';
import type * as OfflineModule from './offline-worker.js';
import { WavAssembler } from './wav.js';

export interface OfflineProgress {
  frames: number;
  totalFrames: number;
  /** frames / totalFrames, 0…1. */
  fraction: number;
}

export interface RenderOfflineOptions {
  /** Length in seconds (the WAV has exactly round(seconds × sampleRate) frames). */
  seconds: number;
  /** Hz, default 44100 (the CLI's default; an engine passes its own). */
  sampleRate?: number;
  /** Frames per block, default 128. */
  blockSize?: number;
  /** Where nodes read files (MidiFileNode, SamplerNode) — and where recordings are saved when asked. */
  files?: FileStore;
  /** Save the WavFileNodes' recordings into `files` under their paths (default false). */
  saveRecordings?: boolean;
  /** Called about ten times a second and once at the end. */
  onProgress?(progress: OfflineProgress): void;
  /** Faults, warnings and debug values of the render. */
  onEvent?(event: RenderEvent): void;
  /** Aborts the render (the promise rejects). */
  signal?: AbortSignal;
  /**
   * Where to render: `true` (default) in the offline worker next to this module, a URL for a worker
   * elsewhere, `false` on this thread in slices (the page stays responsive, the render is slower).
   */
  worker?: boolean | string | URL;
  /**
   * Where the offline worker's file is, when `worker` is `false` (the render on this thread imports it as a
   * module: the renderer lives there, not in this bundle). Default: `worker` if it is a URL, else the file
   * next to this module.
   */
  moduleUrl?: string | URL;
}

export interface OfflineRecording {
  path: string;
  /** A mono 32-bit float WAV file. */
  blob: Blob;
  frames: number;
  sampleRate: number;
}

export interface OfflineRenderResult {
  /** The master mix: a stereo 32-bit float WAV file, as `synchrotron render` writes it. */
  wav: Blob;
  frames: number;
  sampleRate: number;
  /** WavFileNode recordings made during the render. */
  recordings: OfflineRecording[];
  /** Wall-clock time the render took, in ms. */
  elapsedMs: number;
}

/** Renders `script` (Synchrolang or a .sui patch) offline into a WAV Blob. */
export async function renderOffline(
  script: string,
  options: RenderOfflineOptions,
): Promise<OfflineRenderResult> {
  const settings = {
    seconds: options.seconds,
    sampleRate: options.sampleRate ?? 44100,
    blockSize: options.blockSize ?? 128,
  };
  offlineFrames(settings); // refuse bad lengths here, before a worker starts
  options.signal?.throwIfAborted();
  const started = performance.now();
  const worker = options.worker ?? true;
  const data =
    worker === false
      ? await renderHere(script, settings, options, options.moduleUrl ?? defaultWorkerUrl())
      : await renderInWorker(script, settings, options, worker === true ? defaultWorkerUrl() : worker);
  const wav = new WavAssembler(data.sampleRate, 2);
  for (const chunk of data.chunks) wav.appendInterleaved(chunk);
  const recordings: OfflineRecording[] = data.recordings.map((recording) => {
    const file = new WavAssembler(recording.sampleRate, 1);
    for (const chunk of recording.chunks) file.appendMono(chunk);
    return { path: recording.path, blob: file.blob(), frames: file.frames, sampleRate: recording.sampleRate };
  });
  if (options.saveRecordings && options.files) {
    for (const recording of recordings) await options.files.put(recording.path, recording.blob, 'audio/wav');
  }
  return {
    wav: wav.blob(),
    frames: data.frames,
    sampleRate: data.sampleRate,
    recordings,
    elapsedMs: performance.now() - started,
  };
}

function defaultWorkerUrl(): URL {
  return new URL(OFFLINE_WORKER_FILE, import.meta.url);
}

function progressOf(frames: number, totalFrames: number): OfflineProgress {
  return { frames, totalFrames, fraction: totalFrames > 0 ? frames / totalFrames : 1 };
}

function abortError(signal: AbortSignal): unknown {
  return signal.reason ?? new SynchrotronError('io', 'the offline render was cancelled');
}

/** On this thread: slices of ≈ 30 ms with a yield to the page between them. */
async function renderHere(
  script: string,
  settings: { seconds: number; sampleRate: number; blockSize: number },
  options: RenderOfflineOptions,
  moduleUrl: string | URL,
): Promise<OfflineRenderData> {
  const signal = options.signal;
  try {
    // The renderer lives in the offline worker's file, which is also a module: loading it here keeps the
    // engine and its kernels out of the page's own bundle until a render on this thread needs them.
    const offline = (await import(/* @vite-ignore */ String(moduleUrl))) as typeof OfflineModule;
    return await offline.renderScriptOffline(script, settings, {
      readFile: options.files ? (path, o) => options.files!.readFile(path, o) : undefined,
      onProgress: (frames, total) => options.onProgress?.(progressOf(frames, total)),
      onEvent: options.onEvent,
      yieldToPage: () => new Promise((resolve) => setTimeout(resolve, 0)),
      cancelled: () => signal?.aborted === true,
      sliceMs: 30,
    });
  } catch (error) {
    if (signal?.aborted) throw abortError(signal);
    throw error;
  }
}

/** In the offline worker, which asks this thread for files. */
function renderInWorker(
  script: string,
  settings: { seconds: number; sampleRate: number; blockSize: number },
  options: RenderOfflineOptions,
  url: string | URL,
): Promise<OfflineRenderData> {
  let worker: Worker;
  try {
    worker = new Worker(url, { type: 'module', name: 'synchrotron offline render' });
  } catch (error) {
    return Promise.reject(
      new SynchrotronError(
        'io',
        `cannot start the offline render worker (${String(url)}): ${(error as Error).message}`,
      ),
    );
  }
  return new Promise<OfflineRenderData>((resolve, reject) => {
    const signal = options.signal;
    const finish = () => {
      worker.terminate();
      signal?.removeEventListener('abort', onAbort);
    };
    const onAbort = () => {
      finish();
      reject(abortError(signal!));
    };
    signal?.addEventListener('abort', onAbort);
    worker.onerror = (event) => {
      finish();
      reject(
        new SynchrotronError(
          'io',
          `the offline render worker failed${event.message ? `: ${event.message}` : ` to load from ${String(url)}`}`,
        ),
      );
    };
    worker.onmessage = (event: MessageEvent<FromOfflineWorker>) => {
      const message = event.data;
      switch (message.kind) {
        case 'progress':
          options.onProgress?.(progressOf(message.frames, message.totalFrames));
          break;
        case 'event':
          options.onEvent?.(message.event);
          break;
        case 'readFile':
          void answerFile(worker, options.files, message);
          break;
        case 'done':
          finish();
          resolve(message);
          break;
        case 'failed':
          finish();
          reject(deserializeError(message.error));
          break;
      }
    };
    worker.postMessage({ kind: 'render', script, ...settings } satisfies ToOfflineWorker);
  });
}

async function answerFile(
  worker: Worker,
  files: FileStore | undefined,
  request: { id: number; path: string; maxBytes?: number },
): Promise<void> {
  let answer: ToOfflineWorker;
  try {
    if (!files)
      throw new SynchrotronError('io', `cannot read \`${request.path}\`: this render has no file store`);
    const bytes = await files.readFile(request.path, { maxBytes: request.maxBytes });
    answer = { kind: 'file', id: request.id, bytes };
  } catch (error) {
    answer = { kind: 'file', id: request.id, error: serializeError(error) };
  }
  worker.postMessage(answer, answer.bytes ? [answer.bytes.buffer as ArrayBuffer] : []);
}
