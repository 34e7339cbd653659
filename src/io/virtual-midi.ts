// MIDI ports that need no Node APIs: the virtual input fed by clients (the server's POST /midi, WebSocket
// and OSC /midi, the console's :play, the browser engine's midi() and Web MIDI forwarding), the per-node
// queue that turns timed messages into frame offsets, and the virtual output clients read (MidiOutputNode
// port 0). The Node host (midi-host.ts) adds hardware ports on
// top; the browser's AudioWorklet host uses this file alone.
//
// Timing: a message pushed with a time (ms on the sender's clock, e.g. performance.now()) lands at the
// matching frame. Each open port keeps, per sender, an anchor pairing one sender time with one render
// frame (set by the first timed message: it lands at frame 0 of the next block, plus `latencyMs`);
// later messages land at anchor + elapsed time, so their spacing is kept to the frame. A message that
// maps too far into the past or future (the sender's clock jumped or drifted) re-anchors. A message
// without a time lands at frame 0 of the next block.
//
// Threads: push() is called on the thread that renders (the render worker, the AudioWorklet), between
// blocks; drain() is called by MidiInputNode while rendering. Neither blocks.

import type { MidiSource } from '../engine/definition.js';
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

export interface PendingMessage {
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
export class OpenPort implements MidiSource {
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

// ------------------------------------------------------------------------------------ the virtual output

/** Messages the virtual output holds for clients before the oldest are dropped (nobody reads). */
export const VIRTUAL_OUTPUT_CAPACITY = 4096;

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
export class MessageRing {
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
