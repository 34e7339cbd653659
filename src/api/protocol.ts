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
  /** Beside SPEC §4: literal values given to inputs when the node was made (`new PatchNode("v.syn")`);
   * absent when none. */
  args?: Record<string, unknown>;
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
  /** The engine tempo (beats per minute). */
  tempo: number;
  /** The OSC server (`serve --osc PORT`), when it runs: its port and what it counted. */
  osc?: OscStatus;
  /** Voices on threads (`serve --threads N --split-voices`), when on. */
  voiceThreads?: VoiceThreadsStatus;
}

/**
 * Whether the voice workers have started (a VoicesNode splits only at its first block, so one added
 * before then renders on one thread for good), and how many VoicesNodes render on several threads now.
 */
export interface VoiceThreadsStatus {
  workersReady: boolean;
  split: number;
}

/** What the OSC server counted since start-up (GET /status `osc`). */
export interface OscStatus {
  port: number;
  /** Datagrams received, and messages in them that were carried out (or delivered to nodes). */
  packets: number;
  messages: number;
  /** Datagrams refused, by reason: not OSC (truncated, bad tags …), over a bound (bytes, messages in
   * one datagram, nesting), missing or wrong token, from a peer that may not talk to us, over the rate
   * limit. None of them is answered. */
  refused: { malformed: number; huge: number; unauthenticated: number; peer: number; rateLimited: number };
  /** Replies sent, and replies not sent because the sender's reply budget was spent. */
  replies: number;
  repliesDropped: number;
  /** Bundles waiting for their time, and scheduled messages that were applied late. */
  scheduled: number;
  late: number;
}

/** One message of the virtual MIDI output (MidiOutputNode port 0), as /ws `midiOut` and GET /midi/out give it. */
export interface MidiOutMessage {
  /** Numbered from 1 since the server started (GET /midi/out?since=N answers those after N). */
  seq: number;
  /** Engine frame the message belongs to. */
  frame: number;
  /** When that frame plays, Unix time in ms (absent before the engine has played). */
  time?: number;
  /** The bytes: [status, data1, data2], 2 bytes for program change / channel pressure, 1 for real-time. */
  data: number[];
}

/** Server → client on /ws. */
export type ServerMessage =
  | { type: 'hello'; status: EngineStatus; nodes: ApiNode[]; connections: ApiConnection[] }
  | { type: 'nodeAdded'; node: ApiNode }
  | { type: 'nodeRemoved'; name: string }
  | { type: 'nodeRenamed'; from: string; to: string }
  /** A node's ports changed (its patch file was edited or another chosen): the node as it is now. Links to
   * ports that went were announced as `unlinked` first. */
  | { type: 'nodeChanged'; node: ApiNode }
  | { type: 'linked'; connection: ApiConnection }
  | { type: 'unlinked'; connection: ApiConnection }
  | { type: 'exports'; name: string; exports: Record<string, unknown> }
  | { type: 'transport'; running: boolean }
  /** The engine tempo changed (Synchrolang `tempo`, PUT /tempo, OSC /tempo). */
  | { type: 'tempo'; bpm: number }
  /** What MidiOutputNodes sent to the virtual output (port 0), in order. */
  | { type: 'midiOut'; port: 0; messages: MidiOutMessage[] }
  | { type: 'status'; status: EngineStatus }
  | { type: 'debug'; node: string; value: unknown }
  | { type: 'fault'; node: string; message: string }
  | { type: 'warning'; node: string; message: string }
  /**
   * A frame of a watched stream output, for oscilloscopes. Watched without a timebase: its newest 512
   * samples. With one (`ScopeWatch.seconds`): the window, as raw samples (`step` 1, at most 1024) or as
   * 512 min/max columns (`min`, `max`; `samples` their midpoints; `step` samples per column), starting a
   * tenth of the window before the trigger (`trigger` = its index) when one was found; `waiting` when a
   * 'rising' view found no edge (keep the last frame). `frequency` (Hz) is measured over the output's
   * newest ≈ 0.7 s (slower signals: up to 12 s), null when it is not periodic.
   */
  | {
      type: 'scope';
      port: ApiPort;
      sampleRate: number;
      samples: number[];
      min?: number[];
      max?: number[];
      step?: number;
      seconds?: number;
      triggered?: boolean;
      trigger?: number;
      waiting?: boolean;
      frequency?: number | null;
    }
  /** Level of a watched output or of the master ('master' as port). */
  | { type: 'meter'; port: ApiPort | 'master'; peak: number; rms: number }
  /** Node positions in the editor changed (GET/PUT /positions): name → {x, y}, or null when forgotten. */
  | { type: 'positions'; positions: Record<string, { x: number; y: number } | null> }
  /** Magnitude spectrum of the master output in dBFS, bins spaced sampleRate / (2 * bins.length). */
  | { type: 'spectrum'; sampleRate: number; bins: number[] }
  /** Answer to an 'execute': `results` are CommandResults, `text` their readable form; `error` is
   * `{detail, code, line, column, ...}` when the script failed (and changed nothing). */
  | { type: 'result'; id: string | number; ok: boolean; results?: unknown[]; text?: string; error?: unknown }
  /** Control changes that reached the virtual MIDI port (complete 3-byte messages), and who sent them. */
  | { type: 'midi'; data: number[]; source?: string };

/** A watched port with a scope timebase: `seconds` 0.001…10 (clamped), trigger 'auto' by default. */
export interface ScopeWatch extends ApiPort {
  seconds?: number;
  trigger?: 'rising' | 'auto' | 'free';
}

/** Client → server on /ws. */
export type ClientMessage =
  /** Watch these stream outputs (scope + meter); replaces the previous watch list. A port with
   * `seconds` gets scope frames of that timebase (see ScopeWatch and the 'scope' message). */
  | { type: 'watch'; ports: Array<ApiPort | ScopeWatch>; spectrum?: boolean }
  | { type: 'execute'; id: string | number; script: string }
  /** Virtual MIDI in (keyboard, Web MIDI): raw bytes, optional time in ms (performance.now of sender). */
  | { type: 'midi'; source?: string; data: number[]; time?: number };

/**
 * /ws/audio: binary frames, each = 12-byte header + interleaved stereo float32 PCM.
 * Header (little-endian): uint32 sequence number, uint32 sample rate, uint32 frames in this message.
 */
export const AUDIO_HEADER_BYTES = 12;
