// The engine tempo: one bpm for the whole engine (Synchrolang `tempo`, $tempo, PUT /tempo, OSC /tempo)
// and the beat grid it draws. The graph holds the tempo on the control side (so a script sets it all or
// nothing, `export` keeps it and a replacement render worker gets it back); the renderer keeps the grid.
// Plain TypeScript: runs in the render worker and the browser.

import { SynchrotronError } from './errors.js';

export const DEFAULT_TEMPO = 120;
/** The range DAWs offer; a tempo outside it is refused with an error, never clamped silently. */
export const MIN_TEMPO = 20;
export const MAX_TEMPO = 999;

/** Indices into the renderer's tempo state (a Float64Array, so reading it per block allocates nothing). */
export const TEMPO_BPM = 0;
/** Beat position (beats, fractional) at the anchor frame. */
export const TEMPO_ANCHOR_BEAT = 1;
/** Engine frame (global clock) where the current tempo took over. */
export const TEMPO_ANCHOR_FRAME = 2;

/** Fresh tempo state: `[bpm, anchor beat, anchor frame]`. */
export function createTempoState(bpm = DEFAULT_TEMPO): Float64Array {
  return Float64Array.of(bpm, 0, 0);
}

/**
 * The beat position (beats since the engine first rendered, fractional) of engine frame `frame`.
 * Computed from the anchor by one multiplication, never accumulated frame by frame, so a beat at
 * 120 bpm and 44.1 kHz falls on k·22050 exactly however long the engine runs.
 */
export function beatAt(state: Float64Array, frame: number, sampleRate: number): number {
  return (
    state[TEMPO_ANCHOR_BEAT] + ((frame - state[TEMPO_ANCHOR_FRAME]) * state[TEMPO_BPM]) / (60 * sampleRate)
  );
}

/**
 * Render side, at a block boundary (`frame` = the first frame of the next block): the new tempo takes over
 * from the current beat phase — no jump, no restart of the bar.
 */
export function changeTempo(state: Float64Array, bpm: number, frame: number, sampleRate: number): void {
  state[TEMPO_ANCHOR_BEAT] = beatAt(state, frame, sampleRate);
  state[TEMPO_ANCHOR_FRAME] = frame;
  state[TEMPO_BPM] = bpm;
}

/** Checks a tempo from any client (script, API, OSC); throws a SynchrotronError saying what is allowed. */
export function validateTempo(bpm: unknown): number {
  if (typeof bpm !== 'number' || !Number.isFinite(bpm)) {
    throw new SynchrotronError(
      'invalid',
      `a tempo is a number of beats per minute (${MIN_TEMPO}…${MAX_TEMPO}), got ${describe(bpm)}`,
    );
  }
  if (bpm < MIN_TEMPO || bpm > MAX_TEMPO) {
    throw new SynchrotronError('invalid', `tempo ${bpm} bpm is out of range: ${MIN_TEMPO}…${MAX_TEMPO} bpm`, {
      min: MIN_TEMPO,
      max: MAX_TEMPO,
    });
  }
  return bpm;
}

function describe(value: unknown): string {
  if (typeof value === 'string') return `the string ${JSON.stringify(value.slice(0, 40))}`;
  if (typeof value === 'number') return String(value);
  if (value === null) return 'null';
  return Array.isArray(value) ? 'an array' : `a ${typeof value}`;
}
