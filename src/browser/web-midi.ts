/// <reference lib="dom" />
// Web MIDI forwarding (main thread): every MIDI input the browser offers becomes an engine MIDI input port
// (1, 2, … in the order first seen; a device that goes away keeps its number, so patches stay wired), and
// by default also feeds the virtual port 0 — as the editor's "Web MIDI" switch does with a server.

import { SynchrotronError } from '../engine/errors.js';
import { parseMidiBytes } from '../io/virtual-midi.js';

export interface MidiSink {
  /** Port names changed (index = port number; 0 is the virtual port). */
  setMidiPorts(names: string[]): void;
  /** Forward checked MIDI bytes to `port`, stamped with `time` (ms, performance.now() clock). */
  forwardMidi(port: number, data: number[], time: number, sender: string): void;
}

export interface WebMidiOptions {
  /** Also send every device's messages to the virtual port 0 (default true). */
  toVirtualPort?: boolean;
}

interface Slot {
  id: string;
  name: string;
  input: MIDIInput | null;
}

export class WebMidiForwarder {
  private readonly sink: MidiSink;
  private readonly virtualName: string;
  private toVirtualPort = true;
  private access: MIDIAccess | null = null;
  /** Port numbers 1… by device id, never reused while the page lives. */
  private readonly slots: Slot[] = [];

  constructor(sink: MidiSink, virtualName: string) {
    this.sink = sink;
    this.virtualName = virtualName;
  }

  /** Asks the browser for MIDI (it may prompt the user) and forwards every input; resolves to the port names. */
  async enable(options: WebMidiOptions = {}): Promise<string[]> {
    this.toVirtualPort = options.toVirtualPort ?? true;
    if (!this.access) {
      if (typeof navigator === 'undefined' || typeof navigator.requestMIDIAccess !== 'function') {
        throw new SynchrotronError(
          'io',
          'this browser has no Web MIDI (it needs a secure context: https or localhost)',
        );
      }
      try {
        this.access = await navigator.requestMIDIAccess({ sysex: false });
      } catch (error) {
        throw new SynchrotronError('io', `Web MIDI was refused: ${(error as Error).message}`);
      }
      this.access.onstatechange = () => this.refresh();
    }
    this.refresh();
    return this.names();
  }

  /** Stops forwarding (the ports keep their names, marked as closed). */
  disable(): void {
    if (!this.access) return;
    this.access.onstatechange = null;
    for (const slot of this.slots) {
      if (slot.input) slot.input.onmidimessage = null;
      slot.input = null;
    }
    this.access = null;
    this.sink.setMidiPorts(this.names());
  }

  get enabled(): boolean {
    return this.access !== null;
  }

  names(): string[] {
    return [
      this.virtualName,
      ...this.slots.map((slot) => (slot.input ? slot.name : `${slot.name} (disconnected)`)),
    ];
  }

  private refresh(): void {
    const access = this.access;
    if (!access) return;
    const present = new Set<string>();
    access.inputs.forEach((input) => {
      if (input.state === 'disconnected') return;
      present.add(input.id);
      let index = this.slots.findIndex((slot) => slot.id === input.id);
      if (index < 0) {
        this.slots.push({ id: input.id, name: input.name || input.id, input: null });
        index = this.slots.length - 1;
      }
      const slot = this.slots[index];
      if (slot.input !== input) {
        slot.input = input;
        this.listen(input, index + 1);
      }
    });
    for (const slot of this.slots) {
      if (slot.input && !present.has(slot.id)) {
        slot.input.onmidimessage = null;
        slot.input = null;
      }
    }
    this.sink.setMidiPorts(this.names());
  }

  private listen(input: MIDIInput, port: number): void {
    const sender = `webmidi:${input.id}`;
    input.onmidimessage = (event: MIDIMessageEvent) => {
      if (!event.data) return;
      const data = Array.from(event.data);
      try {
        parseMidiBytes(data); // system messages are skipped; anything malformed is dropped here
      } catch {
        return;
      }
      this.sink.forwardMidi(port, data, event.timeStamp, sender);
      if (this.toVirtualPort) this.sink.forwardMidi(0, data, event.timeStamp, sender);
    };
  }
}
