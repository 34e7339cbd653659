// `npx tsx bench/voice-render-patches.ts DIR`: the patches docs/performance.md's `render --split-voices`
// comparison renders (branch vlive): DIR/{light,heavy}-{16,32,64,128}/patch.syn, a MidiFileNode holding N
// distinct notes (chord.mid, held for 30 s) into a VoicesNode of N voices — the bench's 11-node subtractive
// voice (light) or heavyVoice(4) (29 nodes) — a GainNode and a PlaybackNode (voicesPatch). Every voice sounds.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { note, type SmfEvent, writeSmf } from '../test/midi/smf-writer.js';
import { heavyVoice, SUBTRACTIVE_VOICE, voicesPatch } from './instruments.js';

/** A format-0 MIDI file: `voices` distinct notes struck at 0 and released after 60 beats (30 s at 120). */
function chord(voices: number): Uint8Array {
  const notes: SmfEvent[] = [];
  for (let i = 0; i < voices; i++) notes.push(...note(0, 480 * 60, (i * 7) % 128));
  return writeSmf(0, 480, [notes]);
}

const root = process.argv[2];
if (!root) throw new Error('usage: npx tsx bench/voice-render-patches.ts DIR');
for (const voices of [16, 32, 64, 128])
  for (const kind of ['light', 'heavy']) {
    const dir = join(root, `${kind}-${voices}`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'voice.syn'), kind === 'light' ? SUBTRACTIVE_VOICE : heavyVoice(4));
    writeFileSync(join(dir, 'chord.mid'), chord(voices));
    writeFileSync(join(dir, 'patch.syn'), voicesPatch('new MidiFileNode(path: "chord.mid") keys', voices));
  }
