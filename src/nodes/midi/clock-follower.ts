// Following an incoming MIDI clock (a DAW, a drum machine): 24 Clock messages per quarter note, Start
// (from the top), Continue (from where it stopped), Stop, and Song Position Pointer (where Continue resumes,
// in sixteenth notes). Shared by MidiClockNode and TransportNode. Render side, allocation-free: every
// number lives in typed arrays.

import {
  CLOCK,
  CLOCKS_PER_BEAT,
  CONTINUE,
  type MidiBuffer,
  SONG_POSITION,
  START,
  STOP,
} from '../../engine/midi.js';

/** Tick intervals averaged for the tempo: one beat's worth. */
const WINDOW = CLOCKS_PER_BEAT;
/** The published tempo moves only when the estimate has moved this far (bpm): hardware jitter does not churn it. */
const TEMPO_HYSTERESIS = 0.05;
/** A gap longer than this (seconds) between two clocks starts the tempo estimate afresh (a stopped source). */
const MAX_TICK_GAP_SECONDS = 1;

/** What one message did, for the caller to act on at its frame. */
export const TICK = 1;
export const BEAT = 2;

export class ClockFollower {
  /** True between Start/Continue and Stop. */
  running = false;
  /** True once any clock message (Clock, Start, Continue, Stop, Song Position) has arrived. */
  engaged = false;
  /** Clocks since Start (Song Position sets it): the index of the next tick to play. */
  position = 0;
  /** Published tempo (bpm, rounded to 0.01), 0 until two clocks have arrived. */
  bpm = 0;
  private readonly sampleRate: number;
  /** Absolute frames of the last WINDOW + 1 clocks (a ring). */
  private readonly tickFrames = new Float64Array(WINDOW + 1);
  private ticksSeen = 0;

  constructor(sampleRate: number) {
    this.sampleRate = sampleRate;
  }

  /**
   * Message i of `messages`, at absolute engine frame `frame`: updates the state. Returns TICK | BEAT flags
   * for a Clock that plays (while running; BEAT on every 24th from Start), 0 otherwise.
   */
  handle(messages: MidiBuffer, i: number, frame: number): number {
    const status = messages.status[i];
    switch (status) {
      case CLOCK: {
        this.engaged = true;
        this.measure(frame);
        if (!this.running) return 0;
        const beat = this.position % CLOCKS_PER_BEAT === 0;
        this.position++;
        return beat ? TICK | BEAT : TICK;
      }
      case START:
        this.engaged = true;
        this.running = true;
        this.position = 0;
        return 0;
      case CONTINUE:
        this.engaged = true;
        this.running = true;
        return 0;
      case STOP:
        this.engaged = true;
        this.running = false;
        return 0;
      case SONG_POSITION:
        this.engaged = true;
        // In sixteenth notes (6 clocks each): where the next Continue plays from.
        this.position = (messages.data1[i] | (messages.data2[i] << 7)) * (CLOCKS_PER_BEAT / 4);
        return 0;
      default:
        return 0;
    }
  }

  /** True when message i is one this follower reads. */
  static isClockMessage(messages: MidiBuffer, i: number): boolean {
    const status = messages.status[i];
    return (
      status === CLOCK ||
      status === START ||
      status === CONTINUE ||
      status === STOP ||
      status === SONG_POSITION
    );
  }

  /** Beats played since Start (position / 24). */
  get beats(): number {
    return this.position / CLOCKS_PER_BEAT;
  }

  /** Forget everything (the input was unlinked). */
  reset(): void {
    this.running = false;
    this.engaged = false;
    this.position = 0;
    this.bpm = 0;
    this.ticksSeen = 0;
  }

  private measure(frame: number): void {
    const ring = this.tickFrames;
    const size = ring.length;
    if (this.ticksSeen > 0) {
      const previous = ring[(this.ticksSeen - 1) % size];
      if (frame - previous > MAX_TICK_GAP_SECONDS * this.sampleRate) this.ticksSeen = 0;
    }
    ring[this.ticksSeen % size] = frame;
    this.ticksSeen++;
    const intervals = Math.min(this.ticksSeen - 1, WINDOW);
    if (intervals < 1) return;
    const oldest = ring[(this.ticksSeen - 1 - intervals) % size];
    const framesPerTick = (frame - oldest) / intervals;
    if (!(framesPerTick > 0)) return;
    const estimate = (60 * this.sampleRate) / (CLOCKS_PER_BEAT * framesPerTick);
    if (this.bpm === 0 || Math.abs(estimate - this.bpm) > TEMPO_HYSTERESIS) {
      this.bpm = Math.round(estimate * 100) / 100;
    }
  }
}
