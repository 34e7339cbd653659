import { type DataSlot, data, defineNode, midi } from '../../engine/definition.js';
import { MIDI_BUFFER_CAPACITY, NOTE_OFF } from '../../engine/midi.js';
import type { DataSlotValue } from '../../engine/types.js';
import { parseMidiFile } from './smf.js';

const CHANNELS = 16;
const NOTES = 128;

/**
 * Plays a Standard MIDI File (format 0 or 1, with its tempo changes) in time from the moment it is
 * loaded, each message at its exact frame; optionally looping at the end of its longest track. The
 * file is read through the host (`readFile`, confined like WAV paths) when `path` changes, never per
 * block. Notes still sounding when the file loops, ends, or is replaced get their note-offs.
 */
export const MidiFileNode = defineNode({
  type: 'MidiFileNode',
  category: 'midi',
  description:
    'Plays a Standard MIDI File (format 0/1, tempo changes) in time from when it is loaded; loops when `loop` is true.',
  inputs: {
    path: data(
      "Path of the .mid file, relative to the server's --root folder (default: the current directory).",
      {
        default: null,
      },
    ),
    loop: data('Start again at the end of the file.', { default: false }),
  },
  outputs: { out: midi('The messages of the file, at their frames.') },
  initialExports: () => ({ 'File Path': null }),
  create(ctx, io) {
    const { path, loop } = io.inputs;
    const out = io.outputs.out.buf;
    let frames = new Float64Array(0); // frame of each message from the start of the file
    let status: Uint8Array = new Uint8Array(0);
    let data1: Uint8Array = new Uint8Array(0);
    let data2: Uint8Array = new Uint8Array(0);
    let count = 0;
    let length = 0; // frames in one pass of the file
    let cursor = 0; // next message to play
    let position = 0; // frames since the start of the current pass
    // Sounding notes per (channel, note), so none is left hanging.
    const sounding = new Uint8Array(CHANNELS * NOTES);
    let soundingCount = 0;
    let releasePending = false;
    let seenSlot: DataSlot | null = null;
    let seenVersion = -1;

    const releaseAll = (frame: number) => {
      if (soundingCount === 0) return;
      for (let key = 0; key < sounding.length; key++) {
        if (sounding[key] === 0) continue;
        sounding[key] = 0;
        out.push(frame, NOTE_OFF | ((key / NOTES) | 0), key % NOTES, 0);
      }
      soundingCount = 0;
    };

    const load = (value: DataSlotValue) => {
      releasePending = true;
      count = 0;
      length = 0;
      cursor = 0;
      position = 0;
      if (value === null || value === '') {
        ctx.publish({ 'File Path': null });
        return;
      }
      if (typeof value !== 'string') {
        ctx.publish({ 'File Path': null, Error: '`path` must be a string' });
        ctx.warn(`\`path\` must be the path of a .mid file, got ${JSON.stringify(value)}`);
        return;
      }
      try {
        if (!ctx.host.readFile) throw new Error('this engine cannot read files');
        const file = parseMidiFile(ctx.host.readFile(value));
        count = file.seconds.length;
        frames = new Float64Array(count);
        for (let i = 0; i < count; i++) frames[i] = Math.round(file.seconds[i] * ctx.sampleRate);
        status = file.status;
        data1 = file.data1;
        data2 = file.data2;
        length = Math.round(file.duration * ctx.sampleRate);
        ctx.publish({
          'File Path': value,
          Duration: Math.round(file.duration * 1000) / 1000,
          Format: file.format,
          Tracks: file.tracks,
          Messages: count,
        });
      } catch (error) {
        count = 0;
        const message = error instanceof Error ? error.message : String(error);
        ctx.publish({ 'File Path': value, Error: message });
        ctx.warn(`could not play \`${value}\`: ${message}`);
      }
    };

    return {
      process(blockFrames) {
        out.clear();
        const slot = path.source;
        if (slot !== seenSlot || slot.version !== seenVersion) {
          seenSlot = slot;
          seenVersion = slot.version;
          load(slot.value);
        }
        if (releasePending) {
          releaseAll(0);
          releasePending = false;
        }
        const looping = loop.value === true || (typeof loop.value === 'number' && loop.value !== 0);
        let offset = 0; // frames of this block already played
        while (offset < blockFrames) {
          const end = position + (blockFrames - offset); // end of this block in file frames
          // A block carries at most MIDI_BUFFER_CAPACITY messages; the rest play at the start of the next.
          while (cursor < count && frames[cursor] < end && out.count < MIDI_BUFFER_CAPACITY) {
            const s = status[cursor];
            const kind = s & 0xf0;
            const key = (s & 0x0f) * NOTES + data1[cursor];
            if (kind === 0x90 && data2[cursor] > 0) {
              if (sounding[key] === 0) soundingCount++;
              sounding[key] = 1;
            } else if (kind === 0x80 || kind === 0x90) {
              if (sounding[key] !== 0) soundingCount--;
              sounding[key] = 0;
            }
            out.push(offset + Math.max(0, frames[cursor] - position), s, data1[cursor], data2[cursor]);
            cursor++;
          }
          if (cursor < count || end < length) {
            position = end;
            break;
          }
          // Every message is played and the file ends within this block (at `endAt`, ≤ blockFrames).
          const endAt = offset + Math.max(0, length - position);
          if (!looping || length < 1) {
            if (endAt < blockFrames) releaseAll(endAt); // else at frame 0 of the next block
            position = end;
            break;
          }
          if (endAt >= blockFrames) {
            position = end; // wraps at frame 0 of the next block
            break;
          }
          releaseAll(endAt);
          cursor = 0;
          position = 0;
          offset = endAt;
        }
      },
      dispose() {
        count = 0;
      },
    };
  },
});
