// Held notes in the order they were struck, for last-note priority. Fixed capacity (128: every note
// once), no allocation after construction.

export class NoteStack {
  /** Note numbers, oldest first; entries past `size` are stale. */
  readonly notes = new Uint8Array(128);
  /** Velocity of each held note, 1…127. */
  readonly velocities = new Uint8Array(128);
  size = 0;

  /** A note struck: moves to the top (a note struck again while held is not doubled). */
  press(note: number, velocity: number): void {
    this.release(note);
    this.notes[this.size] = note;
    this.velocities[this.size] = velocity;
    this.size++;
  }

  /** A note released: removed wherever it is. */
  release(note: number): void {
    for (let i = 0; i < this.size; i++) {
      if (this.notes[i] !== note) continue;
      this.notes.copyWithin(i, i + 1, this.size);
      this.velocities.copyWithin(i, i + 1, this.size);
      this.size--;
      return;
    }
  }

  clear(): void {
    this.size = 0;
  }
}

export const CONTROL_ALL_SOUND_OFF = 120;
export const CONTROL_ALL_NOTES_OFF = 123;

/** True for the channel-mode messages that silence every note (CC 120 all sound off, CC 123 all notes off). */
export function isAllNotesOff(status: number, data1: number): boolean {
  return (status & 0xf0) === 0xb0 && (data1 === CONTROL_ALL_NOTES_OFF || data1 === CONTROL_ALL_SOUND_OFF);
}
