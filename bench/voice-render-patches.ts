// `npx tsx bench/voice-render-patches.ts DIR`: the patches docs/performance.md's `render --split-voices`
// comparison renders (branch vlive): DIR/{light,heavy}-{16,32,64,128}/patch.syn, a MidiFileNode holding N
// distinct notes (chord.mid, held for 30 s) into a VoicesNode of N voices — the bench's 11-node subtractive
// voice (light) or heavyVoice(4) (29 nodes) — a GainNode and a PlaybackNode. Every voice sounds.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { heavyVoice, SUBTRACTIVE_VOICE } from './instruments.js';

/** A MIDI variable-length quantity. */
function vlq(n: number): number[] {
  const out = [n & 0x7f];
  for (let rest = n >> 7; rest > 0; rest >>= 7) out.unshift((rest & 0x7f) | 0x80);
  return out;
}

/** A format-0 MIDI file: `voices` distinct notes struck at 0 and released after 60 beats (30 s at 120). */
function chord(voices: number): Buffer {
  const events: number[] = [];
  for (let i = 0; i < voices; i++) events.push(0, 0x90, (i * 7) % 128, 100);
  for (let i = 0; i < voices; i++) events.push(...vlq(i === 0 ? 480 * 60 : 0), 0x80, (i * 7) % 128, 0);
  events.push(0, 0xff, 0x2f, 0);
  const n = events.length;
  const header = [0x4d, 0x54, 0x68, 0x64, 0, 0, 0, 6, 0, 0, 0, 1, 0x01, 0xe0];
  const track = [0x4d, 0x54, 0x72, 0x6b, (n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255];
  return Buffer.from([...header, ...track, ...events]);
}

const root = process.argv[2];
if (!root) throw new Error('usage: npx tsx bench/voice-render-patches.ts DIR');
for (const voices of [16, 32, 64, 128])
  for (const kind of ['light', 'heavy']) {
    const dir = join(root, `${kind}-${voices}`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'voice.syn'), kind === 'light' ? SUBTRACTIVE_VOICE : heavyVoice(4));
    writeFileSync(join(dir, 'chord.mid'), chord(voices));
    writeFileSync(
      join(dir, 'patch.syn'),
      `new MidiFileNode(path: "chord.mid") chord
new VoicesNode(patch: "voice.syn", voices: ${voices}) poly
new GainNode(gain: -30) level
new PlaybackNode speakers
link chord.out -> poly.midi
link poly.left -> level.input
link level.out -> speakers.left
link level.out -> speakers.right
`,
    );
  }
