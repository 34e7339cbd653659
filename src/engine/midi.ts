// MIDI messages of one block, each stamped with its frame offset within the block (VCV Rack style).
// Preallocated typed arrays: writing and reading allocate nothing.

export const MIDI_BUFFER_CAPACITY = 512;

export const NOTE_OFF = 0x80;
export const NOTE_ON = 0x90;
export const CONTROL_CHANGE = 0xb0;
export const PITCH_BEND = 0xe0;
/** System messages carried through the engine (for clock sync): Song Position Pointer (data1 = LSB,
 * data2 = MSB, in sixteenth notes) and the real-time Clock (24 per quarter note), Start, Continue, Stop. */
export const SONG_POSITION = 0xf2;
export const CLOCK = 0xf8;
export const START = 0xfa;
export const CONTINUE = 0xfb;
export const STOP = 0xfc;
/** MIDI clock ticks per quarter note (beat). */
export const CLOCKS_PER_BEAT = 24;

export class MidiBuffer {
  /** Messages in this block; entries past `count` are stale. */
  count = 0;
  /** Frame offset within the block, 0 ≤ frame < blockSize, in non-decreasing order. */
  readonly frame = new Int32Array(MIDI_BUFFER_CAPACITY);
  readonly status = new Uint8Array(MIDI_BUFFER_CAPACITY);
  readonly data1 = new Uint8Array(MIDI_BUFFER_CAPACITY);
  readonly data2 = new Uint8Array(MIDI_BUFFER_CAPACITY);
  /** Messages dropped because the block was full (render side counts, control side reports). */
  dropped = 0;

  clear(): void {
    this.count = 0;
  }

  /** Append a message; returns false (and counts a drop) when the buffer is full. */
  push(frame: number, status: number, data1: number, data2: number): boolean {
    if (this.count >= MIDI_BUFFER_CAPACITY) {
      this.dropped++;
      return false;
    }
    const i = this.count++;
    this.frame[i] = frame;
    this.status[i] = status;
    this.data1[i] = data1;
    this.data2[i] = data2;
    return true;
  }

  /** True when message i is a note-on with non-zero velocity (velocity 0 means note-off by convention). */
  isNoteOn(i: number): boolean {
    return (this.status[i] & 0xf0) === NOTE_ON && this.data2[i] > 0;
  }

  isNoteOff(i: number): boolean {
    const kind = this.status[i] & 0xf0;
    return kind === NOTE_OFF || (kind === NOTE_ON && this.data2[i] === 0);
  }
}

/** Frequency in Hz of a MIDI note number, A4 = note 69 = 440 Hz, equal temperament. */
export function noteToFrequency(note: number): number {
  return 440 * 2 ** ((note - 69) / 12);
}

/** An always-empty buffer that unconnected MIDI inputs read. Never written to. */
export const EMPTY_MIDI = new MidiBuffer();
