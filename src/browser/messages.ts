// Messages between the page's main thread (the authoritative Graph, Synchrolang, the Preparer, files) and
// the AudioWorklet that renders (its own Renderer, built from the op batches posted here) — the browser's
// counterpart of src/server/worker-messages.ts. Plain structured-cloneable data: no SharedArrayBuffer, so
// a static host without cross-origin isolation runs it.

import type { RenderOp } from '../engine/prepare.js';
import type { RenderEvent } from '../engine/renderer.js';
import type { ScopeView, TapReport } from '../engine/taps.js';
import type { PortRef } from '../engine/types.js';

/** The name the worklet module registers its processor under. */
export const PROCESSOR_NAME = 'synchrotron-engine';

/** The built files, side by side in dist/browser/ (the entry finds the others relative to itself). */
export const WORKLET_FILE = 'synchrotron-worklet.js';
export const OFFLINE_WORKER_FILE = 'synchrotron-offline-worker.js';

/** The processor's options (AudioWorkletNode `processorOptions`). */
export interface WorkletConfig {
  /** Frames per engine block: a power of two 16…4096; the worklet buffers between it and the 128-frame
   * render quantum. */
  blockSize: number;
  /** Render from the start (else silence until a `transport` message). */
  running: boolean;
  /** Keep the master within ±1 with the server's limiter (default true). */
  limiter: boolean;
  /** MIDI input port names: 0 is the virtual port; Web MIDI inputs follow. */
  midiPorts: string[];
  /** Most frames one WavFileNode recording may hold in memory before it stops (bounded). */
  maxRecordingFrames: number;
}

/** Main thread → worklet. */
export type ToWorklet =
  /** A committed batch of edits (and `configure` ops of prepared structures); `id` is acknowledged. */
  | { kind: 'ops'; id: number; ops: RenderOp[] }
  | { kind: 'transport'; running: boolean }
  /** Raw MIDI bytes for input port `port` (0: the virtual port), time in ms on the sender's clock. */
  | { kind: 'midi'; port: number; data: number[]; time?: number; sender: string }
  /** The MIDI input port names changed (a Web MIDI device came or went). */
  | { kind: 'midiPorts'; names: string[] }
  /** `views`: scopes with a timebase and trigger (src/engine/taps.ts), besides the plain `ports`. */
  | { kind: 'watch'; ports: PortRef[]; spectrum: boolean; master: boolean; views?: ScopeView[] }
  /** Start or stop recording the master output (what the node outputs, after the limiter). */
  | { kind: 'record'; enabled: boolean }
  | { kind: 'dispose' };

export interface WorkletStatus {
  running: boolean;
  /** Engine frames rendered (the global clock, $clock). */
  clock: number;
  /** The AudioContext frame at which the next quantum starts (to extrapolate the clock between reports). */
  contextFrame: number;
}

/** Worklet → main thread. */
export type FromWorklet =
  | { kind: 'ready'; sampleRate: number; blockSize: number; wasm: boolean }
  /**
   * Batches `ids` were applied at the start of the engine block beginning at engine frame `frame`, which
   * the node outputs from AudioContext frame `contextFrame` on. `received` is the context frame of the
   * first quantum rendered after each batch arrived (the earliest it could have been heard).
   */
  | { kind: 'applied'; ids: number[]; received: number[]; frame: number; contextFrame: number }
  | { kind: 'event'; event: RenderEvent }
  | { kind: 'status'; status: WorkletStatus }
  | { kind: 'taps'; report: TapReport }
  /** A WavFileNode recording: chunks of mono float32 samples, then `done` (closed; the file is complete). */
  | { kind: 'wav'; id: number; path: string; sampleRate: number; samples?: Float32Array; done: boolean }
  /** Master recording: consecutive chunks; `contextFrame` is the AudioContext frame of the first sample. */
  | {
      kind: 'recorded';
      left: Float32Array;
      right: Float32Array;
      frames: number;
      contextFrame: number;
      done: boolean;
    }
  | { kind: 'disposed' };

// ---------------------------------------------------------------------------------------------------
// The offline render worker (offline-worker.ts), which renders faster than real time off the page's thread.

/** Page → offline worker. */
export type ToOfflineWorker =
  | { kind: 'render'; script: string; seconds: number; sampleRate: number; blockSize: number }
  /** The answer to a `readFile`: the bytes, or why not. */
  | { kind: 'file'; id: number; bytes?: Uint8Array; error?: SerializedError };

/** A SynchrotronError as plain data (code, message, details such as line and column). */
export interface SerializedError {
  code: string;
  message: string;
  details: Record<string, unknown>;
}

/** Offline worker → page. */
export type FromOfflineWorker =
  | { kind: 'progress'; frames: number; totalFrames: number }
  | { kind: 'event'; event: RenderEvent }
  /** A node's `prepare` wants a file from the page's file store. */
  | { kind: 'readFile'; id: number; path: string; maxBytes?: number }
  | {
      kind: 'done';
      sampleRate: number;
      frames: number;
      chunks: Float32Array[];
      recordings: Array<{ path: string; sampleRate: number; chunks: Float32Array[] }>;
    }
  | { kind: 'failed'; error: SerializedError };
