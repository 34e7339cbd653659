// Note names for the console's :play command: `C4` = 60 (scientific pitch, A4 = 69 = 440 Hz),
// sharps `C#4`, flats `Bb3`, or plain MIDI numbers; `C4+E4+G4` is a chord.

const STEPS: Record<string, number> = { c: 0, d: 2, e: 4, f: 5, g: 7, a: 9, b: 11 };

/** A note name or number → MIDI note 0…127; throws with what was wrong. */
export function parseNote(text: string): number {
  let note: number;
  if (/^\d+$/.test(text)) {
    note = Number(text);
  } else {
    const match = /^([a-gA-G])([#b]?)(-?\d+)$/.exec(text);
    if (!match) throw new Error(`\`${text}\` is not a note (write C4, F#3, Bb2 or a MIDI number 0…127)`);
    const accidental = match[2] === '#' ? 1 : match[2] === 'b' ? -1 : 0;
    note = (Number(match[3]) + 1) * 12 + STEPS[match[1].toLowerCase()] + accidental;
  }
  if (note < 0 || note > 127) throw new Error(`\`${text}\` is outside the MIDI notes 0…127`);
  return note;
}

/** `C4 E4+G4 60` → [[60], [64, 67], [60]]: the steps of a :play, each a chord of one or more notes. */
export function parseSteps(words: string[]): number[][] {
  return words.map((word) => {
    const notes = word.split('+');
    if (notes.some((note) => note === '')) {
      throw new Error(`\`${word}\` has an empty note: join a chord's notes with +, e.g. C4+E4+G4`);
    }
    return notes.map(parseNote);
  });
}
