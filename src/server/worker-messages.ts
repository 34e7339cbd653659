// Messages between the server's main thread (authoritative Graph, HTTP, WebSockets) and the render
// worker (its own Renderer, the audio output and the real-time clock).

import type { RenderOp } from '../engine/prepare.js';
import type { RenderEvent } from '../engine/renderer.js';
import type { ScopeView, TapReport } from '../engine/taps.js';
import type { DataValue, PortRef } from '../engine/types.js';
import type { OutgoingMidi } from '../io/virtual-midi.js';

export type AudioMode = 'auto' | 'device' | 'none';

export interface WorkerConfig {
  sampleRate: number;
  blockSize: number;
  audio: AudioMode;
  /** Folder WavFileNode paths are confined to. */
  root: string;
  /** Lookahead of the `none` clock and of device scheduling, in seconds. */
  latency: number;
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
}

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
}

export type { TapReport };

/** Worker → main. */
export type FromWorker =
  | { kind: 'ready'; audio: string; fallback?: string; midiPorts: string[]; midiOutputPorts: string[] }
  | { kind: 'failed'; message: string }
  | { kind: 'event'; event: RenderEvent }
  | { kind: 'status'; status: WorkerStatus }
  /** Interleaved stereo float32 PCM of the master (after the limiter). */
  | { kind: 'audio'; sequence: number; frames: number; pcm: Float32Array }
  | { kind: 'taps'; report: TapReport }
  /** What MidiOutputNodes sent to the virtual output; `time` is when its frame plays (Unix ms), if known. */
  | { kind: 'midiOut'; messages: Array<OutgoingMidi & { time?: number }>; dropped: number }
  /** Scheduled messages (OSC bundles) whose frame was already rendered: applied at once. */
  | { kind: 'late'; count: number; worstMs: number }
  | { kind: 'disposed' };
