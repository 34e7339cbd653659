// MIDI inputs for the Node render host: the virtual port fed over the API (POST /midi, WebSocket 'midi'
// messages, the console's :play) and hardware ports through the optional native @julusian/midi.
//
// Port numbering (what MidiInputNode's `port` means): 0 is always the virtual port "Synchrotron
// virtual", hardware inputs follow from 1 in the order the system lists them. So a patch that asks for
// port 1 gets the first hardware input, and without hardware it reports cleanly that there is none.
//
// The virtual port, the timing of messages and the byte parser need no Node APIs and live in
// virtual-midi.ts (the browser engine uses them too); this file adds the hardware.

import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import type { MidiSource } from '../engine/definition.js';
import { OpenPort, parseMidiBytes, VIRTUAL_PORT_NAME, VirtualMidiInput } from './virtual-midi.js';

export {
  MAX_MIDI_PUSH_BYTES,
  parseMidiBytes,
  VIRTUAL_PORT_NAME,
  VirtualMidiInput,
} from './virtual-midi.js';

export interface MidiHostOptions {
  /** Look for hardware ports through @julusian/midi (default true; the engine runs without it). */
  hardware?: boolean;
  /** Extra delay (ms) given to timed messages so network jitter does not bunch them at frame 0. */
  latencyMs?: number;
}

// Minimal shape of @julusian/midi's Input we use (it is optional: typed here, loaded at run time).
interface NativeInput {
  openPort(port: number): void;
  closePort(): void;
  destroy?(): void;
  ignoreTypes(sysex: boolean, timing: boolean, activeSensing: boolean): void;
  on(event: 'message', listener: (deltaTime: number, message: number[]) => void): void;
}
interface NativeMidi {
  Input: { new (): NativeInput; getPortNames?(): string[] };
}

/** Hardware inputs through @julusian/midi; absent library, no sequencer or no device all mean "none". */
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

  names(): string[] {
    const native = this.load();
    if (!native || this.unavailable) return [];
    try {
      if (native.Input.getPortNames) return native.Input.getPortNames();
      const probe = new native.Input() as NativeInput & {
        getPortCount(): number;
        getPortName(i: number): string;
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
    input.ignoreTypes(true, true, true);
    input.on('message', (_deltaTime, message) => onMessage(message));
    input.openPort(index);
    return () => {
      input.closePort();
      input.destroy?.();
    };
  }
}

/** The MIDI part of the Node render host: `midiPorts()`, `openMidiInput()`, `virtualMidi.push()`. */
export class MidiHost {
  readonly virtualMidi = new VirtualMidiInput();
  private readonly hardware: HardwarePorts | null;
  private readonly latencyMs: number;
  private readonly closers = new Set<() => void>();

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
    return [VIRTUAL_PORT_NAME, ...(this.hardware?.names() ?? [])];
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
    const names = this.hardware?.names() ?? [];
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
  midiPorts(): string[];
  openMidiInput(index: number, options?: { sampleRate: number }): MidiSource | null;
  /** Closes hardware ports (shutdown). */
  closeMidi(): void;
}

export function midiHostServices(options: MidiHostOptions = {}): MidiHostServices {
  const midi = new MidiHost(options);
  return {
    virtualMidi: midi.virtualMidi,
    midiPorts: () => midi.midiPorts(),
    openMidiInput: (index, openOptions) => midi.openMidiInput(index, openOptions),
    closeMidi: () => midi.close(),
  };
}
