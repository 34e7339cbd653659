// A tiny Standard MIDI File writer for test fixtures: tracks of (tick, bytes) events.

export interface SmfEvent {
  /** Absolute time in ticks. */
  tick: number;
  /** A channel message (e.g. [0x90, 60, 100]) or a meta event ([0xff, type, ...data]). */
  bytes: number[];
}

function varLength(value: number): number[] {
  const out = [value & 0x7f];
  let rest = Math.floor(value / 128);
  while (rest > 0) {
    out.unshift((rest & 0x7f) | 0x80);
    rest = Math.floor(rest / 128);
  }
  return out;
}

/** Tempo meta event: `bpm` quarter notes per minute. */
export function tempo(tick: number, bpm: number): SmfEvent {
  const us = Math.round(60_000_000 / bpm);
  return { tick, bytes: [0xff, 0x51, (us >> 16) & 0xff, (us >> 8) & 0xff, us & 0xff] };
}

export function note(tick: number, length: number, key: number, velocity = 100, channel = 0): SmfEvent[] {
  return [
    { tick, bytes: [0x90 | channel, key, velocity] },
    { tick: tick + length, bytes: [0x80 | channel, key, 0] },
  ];
}

/** Writes a format 0 (one track) or 1 file; `endTicks` sets each track's end (default: its last event). */
export function writeSmf(
  format: 0 | 1,
  division: number,
  tracks: SmfEvent[][],
  endTicks: number[] = [],
): Uint8Array {
  const bytes: number[] = [];
  const u16 = (v: number) => bytes.push((v >> 8) & 0xff, v & 0xff);
  const u32 = (v: number) => bytes.push((v >>> 24) & 0xff, (v >> 16) & 0xff, (v >> 8) & 0xff, v & 0xff);
  bytes.push(...Buffer.from('MThd'));
  u32(6);
  u16(format);
  u16(tracks.length);
  u16(division);
  tracks.forEach((events, t) => {
    const sorted = [...events].sort((a, b) => a.tick - b.tick);
    const body: number[] = [];
    let last = 0;
    for (const event of sorted) {
      body.push(...varLength(event.tick - last));
      const [status, ...rest] = event.bytes;
      if (status === 0xff) body.push(0xff, rest[0], ...varLength(rest.length - 1), ...rest.slice(1));
      else body.push(status, ...rest);
      last = event.tick;
    }
    const end = Math.max(endTicks[t] ?? last, last);
    body.push(...varLength(end - last), 0xff, 0x2f, 0x00);
    bytes.push(...Buffer.from('MTrk'));
    u32(body.length);
    bytes.push(...body);
  });
  return Uint8Array.from(bytes);
}
