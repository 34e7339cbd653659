// Standard MIDI File reader (formats 0 and 1, tempo changes, SMPTE time division). Pure: bytes in,
// timed channel messages out; no Node APIs, so it runs wherever the engine runs.

export interface MidiFileEvents {
  format: number;
  tracks: number;
  /** Time of each channel message from the start of the file, seconds, non-decreasing. */
  seconds: Float64Array;
  status: Uint8Array;
  data1: Uint8Array;
  data2: Uint8Array;
  /** Length of the file (the latest end of track), seconds. */
  duration: number;
}

/** A malformed file: says what was wrong and at which byte. */
export class MidiFileError extends Error {}

const DEFAULT_TEMPO = 500_000; // µs per quarter note (120 bpm)

interface RawEvent {
  tick: number;
  /** Order in the merged file for equal ticks: track, then position in the track. */
  order: number;
  /** 0x51 tempo (value in µs per quarter) or a channel message. */
  tempo: number;
  status: number;
  data1: number;
  data2: number;
}

/** Largest file read, bytes: a real song is well under 1 MB; parsing happens between audio blocks. */
export const MAX_MIDI_FILE_BYTES = 4 * 1024 * 1024;

export function parseMidiFile(bytes: Uint8Array): MidiFileEvents {
  if (bytes.length > MAX_MIDI_FILE_BYTES) {
    throw new MidiFileError(
      `the file has ${bytes.length} bytes; at most ${MAX_MIDI_FILE_BYTES} (4 MiB) are played`,
    );
  }
  let pos = 0;
  const fail = (what: string): never => {
    throw new MidiFileError(`not a valid MIDI file: ${what} (at byte ${pos})`);
  };
  const need = (count: number) => {
    if (pos + count > bytes.length) fail('the file ends too early');
  };
  const u8 = () => {
    need(1);
    return bytes[pos++];
  };
  const u16 = () => {
    need(2);
    const value = (bytes[pos] << 8) | bytes[pos + 1];
    pos += 2;
    return value;
  };
  const u32 = () => {
    need(4);
    const value = bytes[pos] * 0x1000000 + ((bytes[pos + 1] << 16) | (bytes[pos + 2] << 8) | bytes[pos + 3]);
    pos += 4;
    return value;
  };
  const tag = () => {
    need(4);
    const text = String.fromCharCode(bytes[pos], bytes[pos + 1], bytes[pos + 2], bytes[pos + 3]);
    pos += 4;
    return text;
  };
  const varLength = () => {
    let value = 0;
    for (let i = 0; i < 4; i++) {
      const byte = u8();
      value = value * 128 + (byte & 0x7f);
      if ((byte & 0x80) === 0) return value;
    }
    return fail('a variable-length number is longer than 4 bytes');
  };

  if (tag() !== 'MThd') fail('it does not start with "MThd"');
  const headerLength = u32();
  if (headerLength < 6) fail('the header is too short');
  const format = u16();
  const trackCount = u16();
  const division = u16();
  pos += headerLength - 6;
  if (format > 1) fail(`format ${format} is not supported (formats 0 and 1 are)`);
  if (division === 0) fail('the time division is 0');
  // SMPTE division: the high byte is -frames per second, the low byte ticks per frame; 0 ticks per
  // frame would make every time infinite.
  if (division & 0x8000 && (division & 0xff) === 0) {
    fail(`the SMPTE time division 0x${division.toString(16)} has 0 ticks per frame`);
  }

  const raw: RawEvent[] = [];
  let endTick = 0;
  let order = 0;
  for (let track = 0; track < trackCount; track++) {
    // Skip chunks that are not tracks (the format allows unknown chunk types).
    let chunk = tag();
    let length = u32();
    while (chunk !== 'MTrk') {
      pos += length;
      chunk = tag();
      length = u32();
    }
    const end = pos + length;
    if (end > bytes.length) fail(`track ${track} is longer than the file`);
    let tick = 0;
    let running = 0;
    while (pos < end) {
      tick += varLength();
      let status = u8();
      if (status < 0x80) {
        if (running === 0) fail(`track ${track} has a data byte where a status byte was expected`);
        status = running;
        pos--;
      }
      if (status === 0xff) {
        const type = u8();
        const size = varLength();
        need(size);
        if (type === 0x51 && size === 3) {
          const tempo = (bytes[pos] << 16) | (bytes[pos + 1] << 8) | bytes[pos + 2];
          if (tempo > 0) raw.push({ tick, order: order++, tempo, status: 0, data1: 0, data2: 0 });
        }
        pos += size;
        if (type === 0x2f) break;
      } else if (status === 0xf0 || status === 0xf7) {
        const size = varLength();
        need(size);
        pos += size;
      } else if (status >= 0xf1) {
        fail(`track ${track} has a system message 0x${status.toString(16)} that files may not contain`);
      } else {
        running = status;
        const kind = status & 0xf0;
        const data1 = u8() & 0x7f;
        const data2 = kind === 0xc0 || kind === 0xd0 ? 0 : u8() & 0x7f;
        raw.push({ tick, order: order++, tempo: 0, status, data1, data2 });
      }
    }
    endTick = Math.max(endTick, tick);
    pos = end;
  }

  raw.sort((a, b) => a.tick - b.tick || a.order - b.order);
  // Ticks → seconds through the tempo map (tempo events apply from their tick on, in every track).
  const smpte = (division & 0x8000) !== 0;
  const smpteSecondsPerTick = smpte ? 1 / ((256 - (division >> 8)) * (division & 0xff)) : 0;
  let tempo = DEFAULT_TEMPO;
  let lastTick = 0;
  let seconds = 0;
  const toSeconds = (tick: number) => {
    const perTick = smpte ? smpteSecondsPerTick : tempo / 1e6 / division;
    seconds += (tick - lastTick) * perTick;
    lastTick = tick;
    return seconds;
  };
  const messages = raw.filter((event) => event.tempo === 0).length;
  const result: MidiFileEvents = {
    format,
    tracks: trackCount,
    seconds: new Float64Array(messages),
    status: new Uint8Array(messages),
    data1: new Uint8Array(messages),
    data2: new Uint8Array(messages),
    duration: 0,
  };
  let i = 0;
  for (const event of raw) {
    const time = toSeconds(event.tick);
    if (event.tempo !== 0) {
      tempo = event.tempo;
      continue;
    }
    result.seconds[i] = time;
    result.status[i] = event.status;
    result.data1[i] = event.data1;
    result.data2[i] = event.data2;
    i++;
  }
  result.duration = toSeconds(Math.max(endTick, lastTick));
  return result;
}
