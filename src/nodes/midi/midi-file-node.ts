import { data, defineNode, midi, type PrepareContext } from '../../engine/definition.js';
import { MIDI_BUFFER_CAPACITY, NOTE_OFF } from '../../engine/midi.js';
import type { DataValue } from '../../engine/types.js';
import { MAX_MIDI_FILE_BYTES, parseMidiFile } from './smf.js';

const CHANNELS = 16;
const NOTES = 128;

/** A file's messages as the render side plays them: frame of each from the start, and its bytes. */
interface PreparedMidiFile {
  frames: Float64Array;
  status: Uint8Array;
  data1: Uint8Array;
  data2: Uint8Array;
  /** Frames in one pass of the file. */
  length: number;
}

const NO_FILE: PreparedMidiFile = {
  frames: new Float64Array(0),
  status: new Uint8Array(0),
  data1: new Uint8Array(0),
  data2: new Uint8Array(0),
  length: 0,
};

/**
 * Plays a Standard MIDI File (format 0 or 1, with its tempo changes) in time from the moment it is
 * loaded, each message at its exact frame; optionally looping at the end of its longest track. `path` is
 * structural: the file is read and parsed by `prepare` on the control side (confined like WAV paths, size
 * checked before reading), never on the render thread. Notes still sounding when the file loops, ends, or
 * is replaced get their note-offs.
 */
export const MidiFileNode = defineNode({
  type: 'MidiFileNode',
  category: 'midi',
  description:
    'Plays a Standard MIDI File (format 0/1, tempo changes) in time from when it is loaded; loops when `loop` is true.',
  inputs: {
    path: data(
      "Path of the .mid file, relative to the server's --root folder (default: the current directory).",
      { default: null, structural: true },
    ),
    loop: data('Start again at the end of the file.', { default: false }),
  },
  outputs: { out: midi('The messages of the file, at their frames.') },
  initialExports: () => ({ 'File Path': null }),
  prepare: (values, ctx) => loadMidiFile(values.path ?? null, ctx),
  create(_ctx, io) {
    const { loop } = io.inputs;
    const out = io.outputs.out.buf;
    let file = NO_FILE;
    let count = 0;
    let cursor = 0; // next message to play
    let position = 0; // frames since the start of the current pass
    // Sounding notes per (channel, note), so none is left hanging.
    const sounding = new Uint8Array(CHANNELS * NOTES);
    let soundingCount = 0;
    let releasePending = false;

    const releaseAll = (frame: number) => {
      if (soundingCount === 0) return;
      for (let key = 0; key < sounding.length; key++) {
        if (sounding[key] === 0) continue;
        sounding[key] = 0;
        out.push(frame, NOTE_OFF | ((key / NOTES) | 0), key % NOTES, 0);
      }
      soundingCount = 0;
    };

    return {
      configure(prepared) {
        // A new file (or none) plays from its start; what the old one left sounding is released first.
        file = prepared;
        count = prepared.status.length;
        cursor = 0;
        position = 0;
        releasePending = true;
      },
      process(blockFrames) {
        out.clear();
        const { frames, status, data1, data2, length } = file;
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

/** Control side: reads and parses the file `path` names (null or "" → no file). */
function loadMidiFile(path: DataValue, ctx: PrepareContext): PreparedMidiFile | Promise<PreparedMidiFile> {
  if (path === null || path === '') {
    ctx.publish({ 'File Path': null });
    return NO_FILE;
  }
  if (typeof path !== 'string') {
    ctx.publish({ 'File Path': null, Error: '`path` must be a string' });
    ctx.warn(`\`path\` must be the path of a .mid file, got ${JSON.stringify(path)}`);
    return NO_FILE;
  }
  const refuse = (error: unknown): PreparedMidiFile => {
    const message = error instanceof Error ? error.message : String(error);
    ctx.publish({ 'File Path': path, Error: message });
    ctx.warn(`could not play \`${path}\`: ${message}`);
    return NO_FILE;
  };
  if (!ctx.host.readFile) return refuse(new Error('this engine cannot read files'));
  return ctx.host.readFile(path, { maxBytes: MAX_MIDI_FILE_BYTES }).then((bytes) => {
    try {
      const parsed = parseMidiFile(bytes);
      const count = parsed.seconds.length;
      const frames = new Float64Array(count);
      for (let i = 0; i < count; i++) frames[i] = Math.round(parsed.seconds[i] * ctx.sampleRate);
      ctx.publish({
        'File Path': path,
        Duration: Math.round(parsed.duration * 1000) / 1000,
        Format: parsed.format,
        Tracks: parsed.tracks,
        Messages: count,
      });
      return {
        frames,
        status: parsed.status,
        data1: parsed.data1,
        data2: parsed.data2,
        length: Math.round(parsed.duration * ctx.sampleRate),
      };
    } catch (error) {
      return refuse(error);
    }
  }, refuse);
}
