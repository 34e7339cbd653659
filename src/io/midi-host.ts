// MIDI ports for the Node render host. Inputs: the virtual port fed over the API (POST /midi, WebSocket
// 'midi' messages, the console's :play, OSC /midi) and hardware ports through the optional native
// @julusian/midi. Outputs (MidiOutputNode): the virtual output clients read (the server posts it to /ws as
// `midiOut` and keeps the recent ones for GET /midi/out) and hardware outputs, sent when their frame plays.
//
// Port numbering (what MidiInputNode's `port` means): 0 is always the virtual port "Synchrotron
// virtual", hardware inputs follow from 1 in the order the system lists them. So a patch that asks for
// port 1 gets the first hardware input, and without hardware it reports cleanly that there is none.
//
// Timing: a message pushed with a time (ms on the sender's clock, e.g. performance.now()) lands at the
// matching frame. Each open port keeps, per sender, an anchor pairing one sender time with one render
// frame (set by the first timed message: it lands at frame 0 of the next block, plus `latencyMs`);
// later messages land at anchor + elapsed time, so their spacing is kept to the frame. A message that
// maps too far into the past or future (the sender's clock jumped or drifted) re-anchors. A message
// without a time lands at frame 0 of the next block.
//
// Threads: push() is called on the thread that renders (the render worker), between blocks; drain() is
// called by MidiInputNode while rendering. Neither blocks.

import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import type { MidiSink, MidiSource } from '../engine/definition.js';
import { SynchrotronError } from '../engine/errors.js';
import { MIDI_BUFFER_CAPACITY, type MidiBuffer } from '../engine/midi.js';

export const VIRTUAL_PORT_NAME = 'Synchrotron virtual';
/** Largest number of bytes one push may carry. */
export const MAX_MIDI_PUSH_BYTES = 4096;
/** Messages waiting in one open port before the oldest are dropped (nobody renders, or a flood). */
const MAX_PENDING = 8192;
/** A timed message later than this (ms) behind its anchor re-anchors instead of piling up at frame 0. */
const LATE_TOLERANCE_MS = 250;
/** A timed message further ahead than this (ms) re-anchors: the sender's clock jumped. */
const MAX_AHEAD_MS = 5000;

export interface MidiHostOptions {
  /** Look for hardware ports through @julusian/midi (default true; the engine runs without it). */
  hardware?: boolean;
  /** Extra delay (ms) given to timed messages so network jitter does not bunch them at frame 0. */
  latencyMs?: number;
}

interface PendingMessage {
  status: number;
  data1: number;
  data2: number;
  /** Sender's clock, ms; undefined = as soon as possible. */
  time: number | undefined;
  sender: string;
  /** An engine frame (global clock) to land on, when the sender scheduled one (OSC bundles). */
  frame?: number;
}

/** One open port as seen by one MidiInputNode: its own queue and its own sender → frame anchors. */
class OpenPort implements MidiSource {
  readonly queue: PendingMessage[] = [];
  dropped = 0;
  private framesDrained = 0;
  private readonly anchors = new Map<string, { time: number; frame: number }>();
  private readonly framesPerMs: number;
  private readonly latencyFrames: number;
  private readonly onClose: (port: OpenPort) => void;

  constructor(sampleRate: number, latencyMs: number, onClose: (port: OpenPort) => void) {
    this.framesPerMs = sampleRate / 1000;
    this.latencyFrames = Math.round(latencyMs * this.framesPerMs);
    this.onClose = onClose;
  }

  enqueue(message: PendingMessage): void {
    if (this.queue.length >= MAX_PENDING) {
      this.queue.shift();
      this.dropped++;
    }
    this.queue.push(message);
  }

  drain(into: MidiBuffer, frames: number, blockStartFrame?: number): void {
    const blockStart = this.framesDrained;
    this.framesDrained += frames;
    const queue = this.queue;
    if (queue.length === 0) return;
    const first = into.count;
    let keep = 0;
    for (let i = 0; i < queue.length; i++) {
      const message = queue[i];
      if (into.count >= MIDI_BUFFER_CAPACITY) {
        // The block is full (a burst of more messages than one block carries): keep the rest for the
        // next blocks rather than drop them, so no note-off is lost and no note hangs.
        queue[keep++] = message;
        continue;
      }
      let frame = 0;
      if (message.frame !== undefined) {
        // Scheduled for an engine frame: exact, or as soon as possible when it is already past.
        frame = blockStartFrame === undefined ? 0 : message.frame - blockStartFrame;
        if (frame >= frames) {
          queue[keep++] = message;
          continue;
        }
        if (frame < 0) frame = 0;
      } else if (message.time !== undefined) {
        let anchor = this.anchors.get(message.sender);
        if (!anchor) {
          anchor = { time: message.time, frame: blockStart + this.latencyFrames };
          this.anchors.set(message.sender, anchor);
        }
        let target = anchor.frame + Math.round((message.time - anchor.time) * this.framesPerMs);
        if (
          target < blockStart - LATE_TOLERANCE_MS * this.framesPerMs ||
          target > blockStart + MAX_AHEAD_MS * this.framesPerMs
        ) {
          anchor.time = message.time;
          anchor.frame = blockStart + this.latencyFrames;
          target = anchor.frame;
        }
        frame = target - blockStart;
        if (frame >= frames) {
          queue[keep++] = message; // for a later block
          continue;
        }
        if (frame < 0) frame = 0; // a little late: as soon as possible
      }
      into.push(frame, message.status, message.data1, message.data2);
    }
    queue.length = keep;
    sortByFrame(into, first);
  }

  close(): void {
    this.queue.length = 0;
    this.onClose(this);
  }
}

/** Stable insertion sort of messages [from, count) by frame: a buffer's frames must not decrease. */
function sortByFrame(buffer: MidiBuffer, from: number): void {
  for (let i = from + 1; i < buffer.count; i++) {
    const frame = buffer.frame[i];
    if (frame >= buffer.frame[i - 1]) continue;
    const status = buffer.status[i];
    const data1 = buffer.data1[i];
    const data2 = buffer.data2[i];
    let j = i - 1;
    while (j >= from && buffer.frame[j] > frame) {
      buffer.frame[j + 1] = buffer.frame[j];
      buffer.status[j + 1] = buffer.status[j];
      buffer.data1[j + 1] = buffer.data1[j];
      buffer.data2[j + 1] = buffer.data2[j];
      j--;
    }
    buffer.frame[j + 1] = frame;
    buffer.status[j + 1] = status;
    buffer.data1[j + 1] = data1;
    buffer.data2[j + 1] = data2;
  }
}

/** Real-time messages carried through the engine (clock sync); others (active sensing, reset) are dropped. */
function carriedRealTime(status: number): boolean {
  return status === 0xf8 || status === 0xfa || status === 0xfb || status === 0xfc;
}

/**
 * Raw MIDI bytes (running status allowed) → messages: channel messages, the real-time Clock, Start,
 * Continue and Stop (for clock sync; running status survives them) and Song Position Pointer. Other system
 * messages (SysEx, active sensing, MTC …) are skipped.
 */
export function parseMidiBytes(bytes: readonly unknown[]): Array<[number, number, number]> {
  if (!Array.isArray(bytes)) throw new SynchrotronError('invalid', 'MIDI data must be an array of bytes');
  if (bytes.length > MAX_MIDI_PUSH_BYTES) {
    throw new SynchrotronError(
      'invalid',
      `MIDI data has ${bytes.length} bytes; at most ${MAX_MIDI_PUSH_BYTES} at once`,
    );
  }
  const messages: Array<[number, number, number]> = [];
  let running = 0;
  let i = 0;
  const byteAt = (index: number): number => {
    const value = bytes[index];
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 255) {
      throw new SynchrotronError(
        'invalid',
        `MIDI byte ${index} must be an integer 0…255, got ${JSON.stringify(value)}`,
      );
    }
    return value;
  };
  while (i < bytes.length) {
    let status = byteAt(i);
    if (status >= 0xf8) {
      // Real-time: one byte, leaves running status alone.
      if (carriedRealTime(status)) messages.push([status, 0, 0]);
      i++;
      continue;
    }
    if (status === 0xf2) {
      // Song Position Pointer: two data bytes (LSB, MSB) in sixteenth notes; cancels running status.
      running = 0;
      if (i + 2 >= bytes.length) {
        throw new SynchrotronError('invalid', `MIDI Song Position at byte ${i} lacks its data bytes`);
      }
      const lsb = byteAt(i + 1);
      const msb = byteAt(i + 2);
      if (lsb > 127 || msb > 127) {
        throw new SynchrotronError('invalid', `MIDI data bytes must be 0…127 (Song Position at byte ${i})`);
      }
      messages.push([status, lsb, msb]);
      i += 3;
      continue;
    }
    if (status >= 0xf0) {
      // System common / SysEx: skip it and its data bytes; it cancels running status.
      running = 0;
      i++;
      while (i < bytes.length && byteAt(i) < 0x80) i++;
      if (status === 0xf0 && i < bytes.length && byteAt(i) === 0xf7) i++;
      continue;
    }
    if (status < 0x80) {
      if (running === 0)
        throw new SynchrotronError(
          'invalid',
          `MIDI byte ${i} (${status}) is data where a status byte was expected`,
        );
      status = running;
    } else {
      running = status;
      i++;
    }
    const kind = status & 0xf0;
    const size = kind === 0xc0 || kind === 0xd0 ? 1 : 2;
    if (i + size > bytes.length) {
      throw new SynchrotronError(
        'invalid',
        `MIDI message 0x${status.toString(16)} at byte ${i - 1} lacks its data bytes`,
      );
    }
    const data1 = byteAt(i);
    const data2 = size === 2 ? byteAt(i + 1) : 0;
    if (data1 > 127 || data2 > 127) {
      throw new SynchrotronError(
        'invalid',
        `MIDI data bytes must be 0…127 (message 0x${status.toString(16)} at byte ${i - 1})`,
      );
    }
    messages.push([status, data1, data2]);
    i += size;
  }
  return messages;
}

/** The virtual port: MIDI fed over the API, delivered to every MidiInputNode listening on port 0. */
export class VirtualMidiInput {
  readonly listeners = new Set<OpenPort>();

  /**
   * Pushes raw MIDI bytes (one or more messages, running status allowed). `timeMs` is the sender's clock
   * (ms); without it, the messages land at frame 0 of the next block. Never throws (it runs inside the
   * render worker): bytes that are not MIDI are refused whole and the reason returned, so the caller can
   * report it. APIs should check bytes with `parseMidiBytes` first, to answer the sender with the error.
   */
  push(bytes: readonly number[], timeMs?: number, sender = 'api'): { taken: number; error?: string } {
    let messages: Array<[number, number, number]>;
    try {
      messages = parseMidiBytes(bytes);
      if (timeMs !== undefined && (typeof timeMs !== 'number' || !Number.isFinite(timeMs))) {
        throw new SynchrotronError(
          'invalid',
          `MIDI time must be a finite number of ms, got ${JSON.stringify(timeMs)}`,
        );
      }
    } catch (error) {
      return { taken: 0, error: error instanceof Error ? error.message : String(error) };
    }
    for (const [status, data1, data2] of messages) {
      for (const port of this.listeners) port.enqueue({ status, data1, data2, time: timeMs, sender });
    }
    return { taken: messages.length };
  }

  /**
   * Pushes raw MIDI bytes to land on engine frame `frame` (global clock) — an OSC bundle's /midi, already
   * mapped from its time tag. A frame already rendered lands at once. Never throws, like push().
   */
  pushAtFrame(bytes: readonly number[], frame: number): { taken: number; error?: string } {
    let messages: Array<[number, number, number]>;
    try {
      messages = parseMidiBytes(bytes);
    } catch (error) {
      return { taken: 0, error: error instanceof Error ? error.message : String(error) };
    }
    const at = Number.isFinite(frame) ? Math.round(frame) : 0;
    for (const [status, data1, data2] of messages) {
      for (const port of this.listeners)
        port.enqueue({ status, data1, data2, time: undefined, sender: 'scheduled', frame: at });
    }
    return { taken: messages.length };
  }
}

/** Messages the virtual output holds for clients before the oldest are dropped (nobody reads). */
export const VIRTUAL_OUTPUT_CAPACITY = 4096;
/** Messages one hardware output holds until their frame plays. */
const HARDWARE_OUTPUT_CAPACITY = 4096;

/** One message sent to the virtual output, as clients get it. */
export interface OutgoingMidi {
  /** Engine frame (global clock) the message belongs to. */
  frame: number;
  /** The bytes: 1 for real-time messages, 2 for program change / channel pressure, else 3. */
  data: number[];
}

/** The bytes of a message as it goes on a wire (real-time: 1 byte; 0xC0/0xD0: 2 bytes). */
export function messageBytes(status: number, data1: number, data2: number): number[] {
  if (status >= 0xf8) return [status];
  const kind = status & 0xf0;
  if (kind === 0xc0 || kind === 0xd0) return [status, data1];
  return [status, data1, data2];
}

/** A fixed ring of (frame, status, data1, data2): written on the render side without allocating. */
class MessageRing {
  readonly frames: Float64Array;
  readonly bytes: Uint8Array;
  head = 0;
  count = 0;
  dropped = 0;
  constructor(readonly capacity: number) {
    this.frames = new Float64Array(capacity);
    this.bytes = new Uint8Array(capacity * 3);
  }
  push(frame: number, status: number, data1: number, data2: number): void {
    if (this.count === this.capacity) {
      this.head = (this.head + 1) % this.capacity; // drop the oldest
      this.count--;
      this.dropped++;
    }
    const slot = (this.head + this.count) % this.capacity;
    this.frames[slot] = frame;
    this.bytes[3 * slot] = status;
    this.bytes[3 * slot + 1] = data1 & 0x7f;
    this.bytes[3 * slot + 2] = data2 & 0x7f;
    this.count++;
  }
  shift(): void {
    this.head = (this.head + 1) % this.capacity;
    this.count--;
  }
}

/**
 * The virtual MIDI output (port 0 of MidiOutputNode): what patches send there is held here for clients —
 * the server posts it to /ws as `midiOut` and keeps the recent ones for GET /midi/out. Bounded: when
 * nobody takes them, the oldest are dropped and counted.
 */
export class VirtualMidiOutput {
  private readonly ring = new MessageRing(VIRTUAL_OUTPUT_CAPACITY);

  /** Render side. */
  send(frame: number, status: number, data1: number, data2: number): void {
    this.ring.push(frame, status, data1, data2);
  }

  /** Loop side: every message sent since the last call, oldest first, and how many were dropped. */
  drain(): { messages: OutgoingMidi[]; dropped: number } {
    const ring = this.ring;
    const messages: OutgoingMidi[] = [];
    while (ring.count > 0) {
      const slot = ring.head;
      messages.push({
        frame: ring.frames[slot],
        data: messageBytes(ring.bytes[3 * slot], ring.bytes[3 * slot + 1], ring.bytes[3 * slot + 2]),
      });
      ring.shift();
    }
    const dropped = ring.dropped;
    ring.dropped = 0;
    return { messages, dropped };
  }
}

// Minimal shape of @julusian/midi's Input and Output we use (optional: typed here, loaded at run time).
interface NativeInput {
  openPort(port: number): void;
  closePort(): void;
  destroy?(): void;
  ignoreTypes(sysex: boolean, timing: boolean, activeSensing: boolean): void;
  on(event: 'message', listener: (deltaTime: number, message: number[]) => void): void;
}
interface NativeOutput {
  openPort(port: number): void;
  closePort(): void;
  destroy?(): void;
  sendMessage(message: number[]): void;
}
interface NativePortList {
  getPortNames?(): string[];
}
interface NativeMidi {
  Input: { new (): NativeInput } & NativePortList;
  Output: { new (): NativeOutput } & NativePortList;
}

/** Hardware ports through @julusian/midi; absent library, no sequencer or no device all mean "none". */
class HardwarePorts {
  /** Why there is no hardware MIDI (null while it works or has not been probed). */
  unavailable: string | null = null;
  private native: NativeMidi | null = null;
  private probed = false;

  private load(): NativeMidi | null {
    if (this.probed) return this.native;
    this.probed = true;
    // On Linux, ALSA MIDI needs the sequencer device; without it the native library would only print
    // its complaint to stderr on every start, so do not load it at all.
    if (process.platform === 'linux' && !existsSync('/dev/snd/seq')) {
      this.unavailable = 'no MIDI hardware: no ALSA sequencer (/dev/snd/seq)';
      return null;
    }
    try {
      const require = createRequire(import.meta.url);
      this.native = require('@julusian/midi') as NativeMidi;
    } catch (error) {
      this.unavailable = `@julusian/midi is not installed (${error instanceof Error ? error.message : String(error)})`;
    }
    return this.native;
  }

  /** Port names of inputs or outputs. */
  names(direction: 'input' | 'output' = 'input'): string[] {
    const native = this.load();
    if (!native || this.unavailable) return [];
    const kind = direction === 'input' ? native.Input : native.Output;
    try {
      if (kind.getPortNames) return kind.getPortNames();
      const probe = new kind() as unknown as {
        getPortCount(): number;
        getPortName(i: number): string;
        destroy?(): void;
      };
      const names: string[] = [];
      for (let i = 0; i < probe.getPortCount(); i++) names.push(probe.getPortName(i));
      probe.destroy?.();
      return names;
    } catch (error) {
      // e.g. "error creating ALSA sequencer client" on a machine without /dev/snd/seq: no hardware.
      // Not retried: each attempt prints the ALSA library's complaint to stderr.
      this.unavailable = `no MIDI hardware: ${error instanceof Error ? error.message.trim() : String(error)}`;
      return [];
    }
  }

  open(index: number, onMessage: (message: number[]) => void): () => void {
    const native = this.load();
    if (!native) throw new Error(this.unavailable ?? 'no MIDI hardware');
    const input = new native.Input();
    input.ignoreTypes(true, false, true); // SysEx and active sensing ignored; clock (timing) kept
    input.on('message', (_deltaTime, message) => onMessage(message));
    input.openPort(index);
    return () => {
      input.closePort();
      input.destroy?.();
    };
  }

  openOutput(index: number): NativeOutput {
    const native = this.load();
    if (!native) throw new Error(this.unavailable ?? 'no MIDI hardware');
    const output = new native.Output();
    output.openPort(index);
    return output;
  }
}

/**
 * A hardware output. RtMidi sends at once (it takes no timestamps), so messages wait here until the wall
 * time their frame plays — `frameTime` maps engine frames to this thread's performance.now() — and a timer
 * sends them then: within a timer's precision (~1 ms) of their frame, rather than a render-ahead early.
 * Without a frame clock (offline) they go at once.
 */
class HardwareMidiOutput implements MidiSink {
  private readonly ring = new MessageRing(HARDWARE_OUTPUT_CAPACITY);
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly output: NativeOutput,
    private readonly frameTime: () => ((frame: number) => number | undefined) | undefined,
    private readonly onClose: (sink: HardwareMidiOutput) => void,
  ) {}

  /** Render side: queued; `pump()` (the render loop, after rendering) arms the timer. */
  send(frame: number, status: number, data1: number, data2: number): void {
    if (!this.closed) this.ring.push(frame, status, data1, data2);
  }

  /** Loop side: send what is due, arm a timer for the next. */
  pump = (): void => {
    this.timer = undefined;
    if (this.closed) return;
    const ring = this.ring;
    const timeOf = this.frameTime();
    while (ring.count > 0) {
      const slot = ring.head;
      const due = timeOf?.(ring.frames[slot]);
      const wait = due === undefined ? 0 : due - performance.now();
      if (wait > 0.5) {
        this.timer = setTimeout(this.pump, Math.max(1, Math.floor(wait)));
        return;
      }
      const bytes = messageBytes(ring.bytes[3 * slot], ring.bytes[3 * slot + 1], ring.bytes[3 * slot + 2]);
      ring.shift();
      try {
        this.output.sendMessage(bytes);
      } catch {
        // A device unplugged mid-send: the node reports the port when it is reselected.
      }
    }
  };

  /** Loop side: arm the timer if messages wait and none is armed. */
  schedule(): void {
    if (this.timer === undefined && this.ring.count > 0) this.pump();
  }

  close(): void {
    if (this.closed) return;
    // What is queued still goes out (note-offs sent on close must reach the synth), then the port closes.
    this.closed = true;
    clearTimeout(this.timer);
    while (this.ring.count > 0) {
      const slot = this.ring.head;
      try {
        this.output.sendMessage(
          messageBytes(
            this.ring.bytes[3 * slot],
            this.ring.bytes[3 * slot + 1],
            this.ring.bytes[3 * slot + 2],
          ),
        );
      } catch {
        break;
      }
      this.ring.shift();
    }
    try {
      this.output.closePort();
      this.output.destroy?.();
    } catch {
      // already gone
    }
    this.onClose(this);
  }
}

/** The MIDI part of the Node render host: inputs, outputs and the virtual ports. */
export class MidiHost {
  readonly virtualMidi = new VirtualMidiInput();
  readonly virtualMidiOut = new VirtualMidiOutput();
  private readonly hardware: HardwarePorts | null;
  private readonly latencyMs: number;
  private readonly closers = new Set<() => void>();
  private readonly hardwareOutputs = new Set<HardwareMidiOutput>();
  private frameTime: ((frame: number) => number | undefined) | undefined;

  constructor(options: MidiHostOptions = {}) {
    this.hardware = options.hardware === false ? null : new HardwarePorts();
    this.latencyMs = Math.max(0, options.latencyMs ?? 0);
  }

  /** Why hardware ports are missing, for logs and exports (null when hardware works or is off). */
  get hardwareUnavailable(): string | null {
    return this.hardware?.unavailable ?? null;
  }

  /** Port names: the virtual port first, then hardware inputs. */
  midiPorts(): string[] {
    return [VIRTUAL_PORT_NAME, ...(this.hardware?.names('input') ?? [])];
  }

  /** Output port names: the virtual port first, then hardware outputs. */
  midiOutputPorts(): string[] {
    return [VIRTUAL_PORT_NAME, ...(this.hardware?.names('output') ?? [])];
  }

  /** The render loop tells hardware outputs when each engine frame plays (performance.now() ms). */
  setFrameTime(frameTime: ((frame: number) => number | undefined) | undefined): void {
    this.frameTime = frameTime;
  }

  /** Loop side, after rendering: hardware outputs arm their timers. */
  pumpOutputs(): void {
    for (const output of this.hardwareOutputs) output.schedule();
  }

  openMidiInput(index: number, options?: { sampleRate: number }): MidiSource | null {
    const sampleRate = options?.sampleRate ?? 44100;
    if (index === 0) {
      const port = new OpenPort(sampleRate, this.latencyMs, (closed) =>
        this.virtualMidi.listeners.delete(closed),
      );
      this.virtualMidi.listeners.add(port);
      return port;
    }
    const names = this.hardware?.names('input') ?? [];
    if (!this.hardware || !Number.isInteger(index) || index < 1 || index > names.length) return null;
    let closeDevice: (() => void) | null = null;
    const port = new OpenPort(sampleRate, this.latencyMs, () => {
      if (closeDevice) this.closers.delete(closeDevice);
      closeDevice?.();
      closeDevice = null;
    });
    const sender = `hardware:${index}`;
    closeDevice = this.hardware.open(index - 1, (bytes) => {
      // Stamped on arrival: the device's own clock is not shared with ours.
      for (const [status, data1, data2] of safeParse(bytes)) {
        port.enqueue({ status, data1, data2, time: performance.now(), sender });
      }
    });
    this.closers.add(closeDevice);
    return port;
  }

  openMidiOutput(index: number): MidiSink | null {
    if (index === 0) {
      const virtual = this.virtualMidiOut;
      return { send: (frame, status, data1, data2) => virtual.send(frame, status, data1, data2), close() {} };
    }
    const names = this.hardware?.names('output') ?? [];
    if (!this.hardware || !Number.isInteger(index) || index < 1 || index > names.length) return null;
    const sink = new HardwareMidiOutput(
      this.hardware.openOutput(index - 1),
      () => this.frameTime,
      (closed) => this.hardwareOutputs.delete(closed),
    );
    this.hardwareOutputs.add(sink);
    return sink;
  }

  /** Closes every hardware port (shutdown). */
  close(): void {
    for (const close of this.closers) {
      try {
        close();
      } catch {
        // a device that vanished is already closed
      }
    }
    this.closers.clear();
    for (const output of [...this.hardwareOutputs]) output.close();
    this.virtualMidi.listeners.clear();
  }
}

function safeParse(bytes: number[]): Array<[number, number, number]> {
  try {
    return parseMidiBytes(bytes);
  } catch {
    return [];
  }
}

/** What a Node render host gains from MIDI support (spread into createNodeHost's host). */
export interface MidiHostServices {
  /** The virtual port: `host.virtualMidi.push(bytes, timeMs?)` (POST /midi, WebSocket 'midi'). */
  readonly virtualMidi: VirtualMidiInput;
  /** What MidiOutputNodes send to port 0, for clients: `host.virtualMidiOut.drain()`. */
  readonly virtualMidiOut: VirtualMidiOutput;
  midiPorts(): string[];
  openMidiInput(index: number, options?: { sampleRate: number }): MidiSource | null;
  midiOutputPorts(): string[];
  openMidiOutput(index: number, options?: { sampleRate: number }): MidiSink | null;
  /** Render loop: when each engine frame plays (performance.now() ms), for hardware output timing. */
  setMidiFrameTime(frameTime: ((frame: number) => number | undefined) | undefined): void;
  /** Render loop, after rendering: hardware outputs arm their send timers. */
  pumpMidiOutputs(): void;
  /** Closes hardware ports (shutdown). */
  closeMidi(): void;
}

export function midiHostServices(options: MidiHostOptions = {}): MidiHostServices {
  const midi = new MidiHost(options);
  return {
    virtualMidi: midi.virtualMidi,
    virtualMidiOut: midi.virtualMidiOut,
    midiPorts: () => midi.midiPorts(),
    openMidiInput: (index, openOptions) => midi.openMidiInput(index, openOptions),
    midiOutputPorts: () => midi.midiOutputPorts(),
    openMidiOutput: (index) => midi.openMidiOutput(index),
    setMidiFrameTime: (frameTime) => midi.setFrameTime(frameTime),
    pumpMidiOutputs: () => midi.pumpOutputs(),
    closeMidi: () => midi.close(),
  };
}
