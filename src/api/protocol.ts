// The WebSocket protocol at /ws (JSON text frames) and /ws/audio (binary PCM). Shared by the server,
// the web UI, the console and Synchrolang's results: this file is the contract. HTTP shapes are those of
// SPEC §4. A leaf module: no imports.

/** `{"node_name": "sine", "port_name": "out"}` */
export interface ApiPort {
  node_name: string;
  port_name: string;
}

export interface ApiInput extends ApiPort {
  type: 'StreamInput' | 'DataInput' | 'MidiInput';
  source: ApiPort | null;
}

export interface ApiOutput extends ApiPort {
  type: 'StreamOutput' | 'DataOutput' | 'MidiOutput';
  sinks: ApiPort[];
}

export interface ApiNode {
  name: string;
  type: string;
  inputs: ApiInput[];
  outputs: ApiOutput[];
  exports: Record<string, unknown>;
}

export interface ApiConnection {
  source: ApiPort;
  sink: ApiPort;
}

export interface EngineStatus {
  running: boolean;
  sampleRate: number;
  blockSize: number;
  /** Frames rendered (global clock). */
  clock: number;
  /** Render time ÷ block time, averaged over the last second (0…1+). */
  cpuLoad: number;
  /** Blocks not ready when the output needed them, since start-up. */
  underruns: number;
  /** Audio output in use: a device name, or 'none'. */
  audio: string;
  /**
   * Render-ahead now, in seconds: the server's grows after underruns (a busy machine) and shrinks back
   * when calm. Always there from the server.
   */
  latency?: number;
  /**
   * Why the engine is not running although nobody pressed Stop: the render worker failed too often, or a
   * session was restored stopped after the server did not exit cleanly. Absent otherwise.
   */
  reason?: string;
}

/** Server → client on /ws. */
export type ServerMessage =
  | { type: 'hello'; status: EngineStatus; nodes: ApiNode[]; connections: ApiConnection[] }
  | { type: 'nodeAdded'; node: ApiNode }
  | { type: 'nodeRemoved'; name: string }
  | { type: 'nodeRenamed'; from: string; to: string }
  | { type: 'linked'; connection: ApiConnection }
  | { type: 'unlinked'; connection: ApiConnection }
  | { type: 'exports'; name: string; exports: Record<string, unknown> }
  | { type: 'transport'; running: boolean }
  | { type: 'status'; status: EngineStatus }
  | { type: 'debug'; node: string; value: unknown }
  | { type: 'fault'; node: string; message: string }
  | { type: 'warning'; node: string; message: string }
  /** Samples of a watched stream output (one block or a decimated window), for oscilloscopes. */
  | { type: 'scope'; port: ApiPort; sampleRate: number; samples: number[] }
  /** Level of a watched output or of the master ('master' as port). */
  | { type: 'meter'; port: ApiPort | 'master'; peak: number; rms: number }
  /** Node positions in the editor changed (GET/PUT /positions): name → {x, y}, or null when forgotten. */
  | { type: 'positions'; positions: Record<string, { x: number; y: number } | null> }
  /** Magnitude spectrum of the master output in dBFS, bins spaced sampleRate / (2 * bins.length). */
  | { type: 'spectrum'; sampleRate: number; bins: number[] }
  /** Answer to an 'execute': `results` are CommandResults, `text` their readable form; `error` is
   * `{detail, code, line, column, ...}` when the script failed (and changed nothing). */
  | { type: 'result'; id: string | number; ok: boolean; results?: unknown[]; text?: string; error?: unknown };

/** Client → server on /ws. */
export type ClientMessage =
  /** Watch these stream outputs (scope + meter); replaces the previous watch list. */
  | { type: 'watch'; ports: ApiPort[]; spectrum?: boolean }
  | { type: 'execute'; id: string | number; script: string }
  /** Virtual MIDI in (keyboard, Web MIDI): raw bytes, optional time in ms (performance.now of sender). */
  | { type: 'midi'; source?: string; data: number[]; time?: number };

/**
 * /ws/audio: binary frames, each = 12-byte header + interleaved stereo float32 PCM.
 * Header (little-endian): uint32 sequence number, uint32 sample rate, uint32 frames in this message.
 */
export const AUDIO_HEADER_BYTES = 12;
