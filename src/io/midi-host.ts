// MIDI ports for the Node render host. Inputs: the virtual port fed over the API (POST /midi, WebSocket
// 'midi' messages, the console's :play, OSC /midi) and hardware ports through the optional native
// @julusian/midi. Outputs (MidiOutputNode): the virtual output clients read (the server posts it to /ws as
// `midiOut` and keeps the recent ones for GET /midi/out) and hardware outputs, sent when their frame plays.
//
// Port numbering (what MidiInputNode's `port` means): 0 is always the virtual port "Synchrotron
// virtual", hardware inputs follow from 1 in the order the system lists them. So a patch that asks for
// port 1 gets the first hardware input, and without hardware it reports cleanly that there is none.
//
// The virtual ports, the timing of incoming messages and the byte parser need no Node APIs and live in
// virtual-midi.ts (the browser engine uses them too); this file adds the hardware and the services.

import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import type { MidiSink, MidiSource } from '../engine/definition.js';
import {
  MessageRing,
  messageBytes,
  OpenPort,
  parseMidiBytes,
  VIRTUAL_PORT_NAME,
  VirtualMidiInput,
  VirtualMidiOutput,
} from './virtual-midi.js';

export {
  MAX_MIDI_PUSH_BYTES,
  messageBytes,
  type OutgoingMidi,
  parseMidiBytes,
  VIRTUAL_PORT_NAME,
  VirtualMidiInput,
  VirtualMidiOutput,
} from './virtual-midi.js';

export interface MidiHostOptions {
  /** Look for hardware ports through @julusian/midi (default true; the engine runs without it). */
  hardware?: boolean;
  /** Extra delay (ms) given to timed messages so network jitter does not bunch them at frame 0. */
  latencyMs?: number;
}

/** Messages one hardware output holds until their frame plays. */
const HARDWARE_OUTPUT_CAPACITY = 4096;

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
