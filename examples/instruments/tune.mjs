// Writes tune.mid: a Standard MIDI File (format 0, 480 ticks a beat, 120 bpm by default) — four chords of two
// beats (C, Am, F, G) under a melody, for the instrument examples. `node examples/instruments/tune.mjs`.
import { writeFileSync } from 'node:fs';

const chords = [
  [48, 60, 64, 67],
  [45, 57, 60, 64],
  [41, 57, 60, 65],
  [43, 55, 59, 62],
];
const melody = [
  [72, 71],
  [72, 76],
  [77, 76],
  [74, 71],
];
const events = []; // [tick, status, note, velocity]
chords.forEach((chord, i) => {
  const at = i * 960;
  for (const n of chord) events.push([at, 0x90, n, 80], [at + 900, 0x80, n, 0]);
  melody[i].forEach((n, j) => {
    events.push([at + j * 480, 0x90, n, 100], [at + j * 480 + 420, 0x80, n, 0]);
  });
});
events.sort((a, b) => a[0] - b[0] || (a[1] === 0x80 ? -1 : 1));
const vlq = (n) => {
  const out = [n & 0x7f];
  for (let rest = n >> 7; rest > 0; rest >>= 7) out.unshift((rest & 0x7f) | 0x80);
  return out;
};
const track = [];
let last = 0;
for (const [tick, status, note, velocity] of events) {
  track.push(...vlq(tick - last), status, note, velocity);
  last = tick;
}
track.push(...vlq(3840 - last), 0xff, 0x2f, 0x00);
const u32 = (n) => [(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255];
const header = [0x4d, 0x54, 0x68, 0x64, ...u32(6), 0, 0, 0, 1, 0x01, 0xe0];
const chunk = [0x4d, 0x54, 0x72, 0x6b, ...u32(track.length), ...track];
writeFileSync(new URL('tune.mid', import.meta.url), Uint8Array.from([...header, ...chunk]));
