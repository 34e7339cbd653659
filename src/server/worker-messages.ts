// Messages between the server's main thread (authoritative Graph, HTTP, WebSockets) and the render
// worker (its own Renderer, the audio output and the real-time clock).

import type { VoiceThreadsStatus } from '../api/protocol.js';
import type { RenderOp } from '../engine/prepare.js';
import type { RenderEvent } from '../engine/renderer.js';
import type { ScopeView, TapReport } from '../engine/taps.js';
import type { DataValue, PortRef } from '../engine/types.js';
import type { FileRecord } from '../io/secure-files.js';
import type { OutgoingMidi } from '../io/virtual-midi.js';

export type AudioMode = 'auto' | 'device' | 'none';

export interface WorkerConfig {
  sampleRate: number;
  blockSize: number;
  audio: AudioMode;
  /** Folder WavFileNode paths are confined to. */
  root: string;
  /** Lookahead of the `none` clock and of device scheduling, in seconds: the least render-ahead. */
  latency: number;
  /** The most render-ahead, in seconds: the lookahead grows after underruns up to this. */
  maxLatency: number;
  /** Nice value the render thread asks for (Linux; 0 leaves it alone). */
  renderNice: number;
  /** Threads to render on, the render worker's own included (src/io/render-threads.ts). */
  threads: number;
  /** Render a large VoicesNode's voices on those threads too (ThreadedRendererOptions.splitVoices). */
  splitVoices?: boolean;
  /** node-web-audio-api sink id for `device` (tests use 'none' to run the device path without a card). */
  sinkId?: string;
  /** Transport at start-up (default true): false renders nothing until a `transport` message. */
  running?: boolean;
  /** Where OscSendNodes may send: this machine only, or anywhere (the server was opened with --host). */
  oscSend?: 'loopback' | 'any';
  /** Files open at once and bytes per recording, for the worker's render host. */
  limits: { maxOpenFiles: number; maxRecordBytes: number };
  /** Paths nodes may never write (the session file). */
  reservedPaths: string[];
  /** Module URLs whose exported node definitions are registered besides the built-in ones. */
  nodeModules: string[];
  /** Frame the renderer's clock starts at: a replacement worker goes on from its predecessor's clock. */
  startClock: number;
  /** Files this server wrote (and was writing), from previous workers: real path → record. */
  knownFiles: Array<[string, FileRecord]>;
  /** Shared Float64Array (HEARTBEAT_SLOTS): the supervisor's view of this worker, written every block. */
  heartbeat: SharedArrayBuffer;
}

/** Slots of the heartbeat: when the worker last finished a block or a tick, the clock then, what it does. */
export const HEARTBEAT = {
  /** `performance.timeOrigin + performance.now()` (ms) of the last block or tick finished. */
  beat: 0,
  /** Frames rendered by then (the renderer's clock). */
  clock: 1,
  /** PHASE_APPLYING while the worker applies edits (creates nodes, compiles the plan), else 0. */
  phase: 2,
} as const;
export const HEARTBEAT_SLOTS = 3;
/** The worker is applying a batch of edits: a large graph may take longer than a block's deadline. */
export const PHASE_APPLYING = 1;

/**
 * Main → worker. `at` (Unix time in ms, from an OSC bundle's time tag) schedules a message for the frame that
 * plays then: edits and transport at the start of that frame's block, MIDI and OSC values at the frame.
 * While one waits, later ops, transport, MIDI and OSC messages wait behind it, so everything still applies
 * in the order the main thread sent it (the graph in the worker mirrors the main thread's).
 */
export type ToWorker =
  | { kind: 'ops'; ops: RenderOp[]; at?: number }
  | { kind: 'transport'; running: boolean; at?: number }
  | { kind: 'midi'; data: number[]; time?: number; at?: number }
  /** An OSC message for OscReceiveNodes at `address`: its arguments as one value and the first number. */
  | { kind: 'osc'; address: string; value: DataValue; number: number; at?: number }
  /** `ports`: meters and the default scope view; `views`: scopes with a timebase (and their meters). */
  | { kind: 'watch'; ports: PortRef[]; spectrum: boolean; master: boolean; views?: ScopeView[] }
  /** Whether any browser listens on /ws/audio (the worker sends PCM only then). */
  | { kind: 'stream'; enabled: boolean }
  | { kind: 'dispose' };

export interface WorkerStatus {
  running: boolean;
  clock: number;
  cpuLoad: number;
  underruns: number;
  audio: string;
  /** Render-ahead now, in seconds (it adapts to underruns). */
  latency: number;
  /** With splitVoices (EngineStatus.voiceThreads). */
  voiceThreads?: VoiceThreadsStatus;
}

export type { TapReport };

/** Worker → main. */
export type FromWorker =
  /** `priority`: what the render thread got (see raisePriority in render-worker.ts), for the log. */
  | {
      kind: 'ready';
      audio: string;
      fallback?: string;
      midiPorts: string[];
      midiOutputPorts: string[];
      priority: string;
    }
  | { kind: 'failed'; message: string }
  | { kind: 'event'; event: RenderEvent }
  | { kind: 'status'; status: WorkerStatus }
  /** Interleaved stereo float32 PCM of the master (after the limiter). */
  | { kind: 'audio'; sequence: number; frames: number; pcm: Float32Array }
  | { kind: 'taps'; report: TapReport }
  /** A file this worker's host opened or closed for writing (to hand to a replacement worker). */
  | { kind: 'file'; target: string; record: FileRecord }
  /** What MidiOutputNodes sent to the virtual output; `time` is when its frame plays (Unix ms), if known. */
  | { kind: 'midiOut'; messages: Array<OutgoingMidi & { time?: number }>; dropped: number }
  /** Scheduled messages (OSC bundles) whose frame was already rendered: applied at once. */
  | { kind: 'late'; count: number; worstMs: number }
  | { kind: 'disposed' };
