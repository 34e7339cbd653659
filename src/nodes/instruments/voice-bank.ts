// VoicesNode's voice allocation (SPEC §7), render side: which voice plays which note, and what each voice's
// inlets (frequency, gate, velocity, pressure, bend) hear frame by frame. All state is plain typed arrays
// indexed by voice (no closures, no objects per voice), allocated once, so a block allocates nothing and the
// bank could be run elsewhere (issue 14: WebAssembly, other threads).
//
// A note takes, in this order: an idle voice (silent and released: costs nothing), else a released voice
// still ringing (its tail is faded out), else — by the `steal` policy — a held one (`oldest` struck,
// `quietest` last block, or with `none` the note is dropped). Taking a voice that still sounds fades it
// out over FADE_SECONDS (a raised cosine) and starts the new note when the fade ends, fading it back in
// over the same time: a stealing note starts at most FADE_SECONDS late and nothing jumps.

import type { MidiBuffer } from '../../engine/midi.js';
import { noteToFrequency } from '../../engine/midi.js';
import type { Kernels } from '../../engine/wasm/kernels.js';

export const MAX_VOICES = 128;
/** Inlets of a voice patch that each voice hears on its own, in this order. */
export const VOICE_INLETS = ['frequency', 'gate', 'velocity', 'pressure', 'bend'] as const;
export const FREQUENCY = 0;
export const GATE = 1;
export const VELOCITY = 2;
export const PRESSURE = 3;
export const BEND = 4;

export const STEAL_OLDEST = 0;
export const STEAL_QUIETEST = 1;
export const STEAL_NONE = 2;

/** A stolen voice fades out in this time before its new note starts (SPEC: at most 5 ms). */
export const FADE_SECONDS = 0.005;
/** A released voice whose output stays below this (−90 dB) for IDLE_SECONDS becomes idle. */
export const IDLE_LEVEL = 10 ** (-90 / 20);
export const IDLE_SECONDS = 0.05;

const NONE = -1;
const CONTROL_SUSTAIN = 64;
const CONTROL_ALL_SOUND_OFF = 120;
const CONTROL_ALL_NOTES_OFF = 123;

export class VoiceBank {
  /** Voices in use (≤ MAX_VOICES); the arrays are sized for all of them. */
  count = 0;
  readonly fadeFrames: number;
  /** Raised cosine from 1 (index 0) to 0 (index fadeFrames). */
  readonly fadeCurve: Float32Array;
  readonly idleFrames: number;

  // The note each voice belongs to.
  readonly note = new Int16Array(MAX_VOICES).fill(NONE);
  readonly channel = new Uint8Array(MAX_VOICES);
  /** Its key is down. */
  readonly keyDown = new Uint8Array(MAX_VOICES);
  /** Its key is up but the sustain pedal holds it. */
  readonly sustained = new Uint8Array(MAX_VOICES);
  readonly velocity = new Float64Array(MAX_VOICES);
  /** When (a running count of events) its note was struck and released, for choosing what to take. */
  readonly startOrder = new Float64Array(MAX_VOICES);
  readonly releaseOrder = new Float64Array(MAX_VOICES);

  // What its inlets hear: the note's, except while a stolen voice fades (then the old note's, released).
  readonly heardFrequency = new Float64Array(MAX_VOICES);
  readonly heardChannel = new Uint8Array(MAX_VOICES);
  readonly heardGate = new Uint8Array(MAX_VOICES);
  readonly heardVelocity = new Float64Array(MAX_VOICES);
  readonly pressure = new Float64Array(MAX_VOICES);

  /** Rendered this block (not idle). */
  readonly active = new Uint8Array(MAX_VOICES);
  /** Taken by a new note that starts when its fade ends, at `startAt` (absolute frame). */
  readonly starting = new Uint8Array(MAX_VOICES);
  readonly startAt = new Float64Array(MAX_VOICES);
  /** Absolute frame its fade (out, then back in) began; −1 for none. */
  readonly fadeAt = new Float64Array(MAX_VOICES).fill(NONE);
  /** Frames its output has stayed below IDLE_LEVEL with the gate off. */
  readonly silentFrames = new Int32Array(MAX_VOICES);
  /** Peak of its output in its last block (for `quietest`). */
  readonly level = new Float64Array(MAX_VOICES);
  /** First frame of this block not yet written to its inlets. */
  private readonly from = new Int32Array(MAX_VOICES);

  // Per MIDI channel: pitch bend (semitones) and channel pressure (0…1); the sustain pedal (any channel).
  readonly bend = new Float64Array(16);
  /** Per MIDI channel: 2^(bend/12), the frequency ratio, made when the bend changes (not per voice per block). */
  private readonly bendRatio = new Float64Array(16).fill(1);
  readonly channelPressure = new Float64Array(16);
  private pedal = 0;
  /** [events counted, pitch bend range in semitones]: doubles live in typed arrays (no heap numbers). */
  private readonly numbers = new Float64Array(2);
  /** What one voice hears, by inlet, while it is written (flush). */
  private readonly values = new Float64Array(VOICE_INLETS.length);

  /** Each voice's inlet buffers, written by the bank: drive[inlet][voice] (null: the patch has no such inlet). */
  readonly drive: Array<Array<Float32Array | null>> = VOICE_INLETS.map(() =>
    Array.from({ length: MAX_VOICES }, () => null),
  );
  /**
   * By inlet·MAX_VOICES + voice: the value that frames 0 … heldFrames − 1 of that inlet buffer already hold.
   * A held note writes the same values block after block; flush skips what is already there (it was a
   * tenth of poly-32's render time).
   */
  private readonly heldValue = new Float64Array(VOICE_INLETS.length * MAX_VOICES);
  /**
   * By inlet·MAX_VOICES + voice: 1 once flush wrote any frame of that inlet buffer. Only set here; whoever
   * reads it clears it (voices on another thread: only written blocks are copied there, see voice-threads.ts).
   */
  readonly written = new Uint8Array(VOICE_INLETS.length * MAX_VOICES);
  private readonly heldFrames = new Int32Array(VOICE_INLETS.length * MAX_VOICES);
  /**
   * Frames that every sounding voice's inlet buffers hold whole after the last block (0: not known). A
   * block without messages or pending starts changes nothing flush would write, so while this covers the
   * block, `run` skips the per-voice flush pass (32 voices × 5 inlets of comparisons in poly-32).
   */
  private settledFrames = 0;
  /** Set by flush: every inlet it wrote holds its value through `to`. */
  private allHeld = true;

  constructor(sampleRate: number) {
    this.fadeFrames = Math.max(1, Math.floor(FADE_SECONDS * sampleRate));
    this.idleFrames = Math.ceil(IDLE_SECONDS * sampleRate);
    this.fadeCurve = new Float32Array(this.fadeFrames + 1);
    for (let i = 0; i <= this.fadeFrames; i++)
      this.fadeCurve[i] = 0.5 + 0.5 * Math.cos((Math.PI * i) / this.fadeFrames);
  }

  /** Control of the bank's size (at a block boundary): voices past `count` are forgotten. */
  resize(count: number): void {
    for (let v = count; v < this.count; v++) this.reset(v);
    this.count = count;
    this.settledFrames = 0;
  }

  /** Voice `v`'s inlet buffers (drive) were bound again: write them whole from now on (control side). */
  driveChanged(v: number): void {
    for (let k = 0; k < VOICE_INLETS.length; k++) this.heldFrames[k * MAX_VOICES + v] = 0;
    this.settledFrames = 0;
  }

  /** A voice as new: no note, idle. */
  reset(v: number): void {
    this.settledFrames = 0;
    this.note[v] = NONE;
    this.keyDown[v] = 0;
    this.sustained[v] = 0;
    this.heardGate[v] = 0;
    this.active[v] = 0;
    this.starting[v] = 0;
    this.fadeAt[v] = NONE;
    this.silentFrames[v] = 0;
    this.level[v] = 0;
  }

  /**
   * Render side: one block of MIDI. Every inlet buffer of every voice that will render is written for the
   * whole block; changes land at their message's frame. `clock` is the absolute frame of frame 0.
   */
  run(messages: MidiBuffer, frames: number, clock: number, policy: number, bendRange: number): void {
    this.numbers[1] = bendRange;
    if (messages.count === 0 && frames <= this.settledFrames) {
      let starting = 0;
      for (let v = 0; v < this.count; v++) starting |= this.starting[v];
      if (starting === 0) return;
    }
    this.from.fill(0);
    let m = 0;
    for (;;) {
      // The next thing to happen: a message, or a stolen voice's new note starting after its fade.
      let frame = frames;
      if (m < messages.count) {
        frame = messages.frame[m];
        if (frame < 0) frame = 0;
        if (frame >= frames) frame = frames - 1;
      }
      let pending = NONE;
      for (let v = 0; v < this.count; v++) {
        if (this.starting[v] === 0) continue;
        const at = this.startAt[v] - clock;
        if (at <= frame && at < frames && (pending === NONE || at < this.startAt[pending] - clock))
          pending = v;
      }
      if (pending !== NONE) {
        const at = this.startAt[pending] - clock;
        this.start(pending, Math.max(0, at));
        continue;
      }
      if (m >= messages.count) break;
      this.message(messages.status[m], messages.data1[m], messages.data2[m], frame, clock, policy);
      m++;
    }
    this.allHeld = true;
    for (let v = 0; v < this.count; v++) if (this.active[v] !== 0) this.flush(v, frames);
    this.settledFrames = this.allHeld ? frames : 0;
  }

  /** A voice's output peak for the block just rendered: counts toward idleness (render side). */
  heard(v: number, peak: number, frames: number): void {
    this.level[v] = peak;
    this.heardLevel(v, frames);
  }

  /**
   * `heard` for a peak the caller stored in `level[v]`: a loop over voices that passed each peak (a double)
   * to a call would box it, 16 bytes a voice a block (bench poly-4-of-128: 64 B a block).
   */
  heardLevel(v: number, frames: number): void {
    if (this.heardGate[v] !== 0 || this.starting[v] !== 0 || this.level[v] >= IDLE_LEVEL) {
      this.silentFrames[v] = 0;
      return;
    }
    this.silentFrames[v] += frames;
    if (this.silentFrames[v] >= this.idleFrames) this.active[v] = 0;
  }

  /** The fade gain of voice `v` at absolute frame `t` (1 outside fades). */
  gainAt(v: number, t: number): number {
    const p = t - this.fadeAt[v];
    const f = this.fadeFrames;
    if (p < 0) return 1;
    if (p <= f) return this.fadeCurve[p];
    if (p < 2 * f) return this.fadeCurve[2 * f - p];
    return 1;
  }

  // ------------------------------------------------------------------------------- messages

  private message(
    status: number,
    data1: number,
    data2: number,
    frame: number,
    clock: number,
    policy: number,
  ) {
    const kind = status & 0xf0;
    const ch = status & 0x0f;
    if (kind === 0x90 && data2 > 0) this.noteOn(ch, data1 & 0x7f, data2 / 127, frame, clock, policy);
    else if (kind === 0x80 || kind === 0x90) this.noteOff(ch, data1 & 0x7f, frame);
    else if (kind === 0xe0) {
      const value = ((data2 & 0x7f) << 7) + (data1 & 0x7f) - 8192;
      const range = this.numbers[1];
      this.flushChannel(ch, frame);
      this.bend[ch] = value >= 0 ? (value / 8191) * range : (value / 8192) * range;
      this.bendRatio[ch] = 2 ** (this.bend[ch] / 12);
    } else if (kind === 0xd0) {
      this.flushChannel(ch, frame);
      this.channelPressure[ch] = (data1 & 0x7f) / 127;
      for (let v = 0; v < this.count; v++)
        if (this.heardChannel[v] === ch) this.pressure[v] = this.channelPressure[ch];
    } else if (kind === 0xa0) {
      const v = this.find(ch, data1 & 0x7f);
      if (v !== NONE) {
        this.flush(v, frame);
        this.pressure[v] = (data2 & 0x7f) / 127;
      }
    } else if (kind === 0xb0) {
      if (data1 === CONTROL_SUSTAIN) this.setPedal(data2 >= 64 ? 1 : 0, frame);
      else if (data1 === CONTROL_ALL_NOTES_OFF || data1 === CONTROL_ALL_SOUND_OFF) this.allOff(frame);
    }
  }

  private noteOn(ch: number, key: number, velocity: number, frame: number, clock: number, policy: number) {
    // The same key struck again: its old voice is released (its tail rings on) and the note takes another.
    const again = this.find(ch, key);
    if (again !== NONE) this.release(again, frame);
    const v = this.choose(policy);
    if (v === NONE) return; // `none`: every voice is held
    const order = ++this.numbers[0];
    const sounding = (this.active[v] !== 0 && this.level[v] >= IDLE_LEVEL) || this.starting[v] !== 0;
    this.note[v] = key;
    this.channel[v] = ch;
    this.keyDown[v] = 1;
    this.sustained[v] = 0;
    this.velocity[v] = velocity;
    this.startOrder[v] = order;
    if (!sounding) {
      this.flush(v, frame);
      this.active[v] = 1;
      this.fadeAt[v] = NONE;
      this.hear(v);
      return;
    }
    if (this.starting[v] !== 0) return; // already fading for a note: this one takes its place
    // Fade the voice out (its gate falls, so its envelope releases meanwhile), then start the note.
    this.flush(v, frame);
    this.heardGate[v] = 0;
    this.starting[v] = 1;
    this.fadeAt[v] = clock + frame;
    this.startAt[v] = clock + frame + this.fadeFrames;
  }

  private noteOff(ch: number, key: number, frame: number) {
    const v = this.find(ch, key);
    if (v === NONE) return;
    this.keyDown[v] = 0;
    if (this.pedal !== 0) this.sustained[v] = 1;
    else this.release(v, frame);
  }

  private setPedal(down: number, frame: number) {
    this.pedal = down;
    if (down !== 0) return;
    for (let v = 0; v < this.count; v++) if (this.sustained[v] !== 0) this.release(v, frame);
  }

  private allOff(frame: number) {
    for (let v = 0; v < this.count; v++)
      if (this.keyDown[v] !== 0 || this.sustained[v] !== 0) this.release(v, frame);
  }

  /** Its note is over (key up and not sustained): the gate falls; frequency and velocity stay. */
  private release(v: number, frame: number) {
    this.keyDown[v] = 0;
    this.sustained[v] = 0;
    this.note[v] = NONE;
    this.releaseOrder[v] = ++this.numbers[0];
    if (this.starting[v] !== 0) return; // it starts released (see start)
    this.flush(v, frame);
    this.heardGate[v] = 0;
  }

  /** A stolen voice's fade ended: its new note starts at `frame` (and fades back in). */
  private start(v: number, frame: number) {
    this.flush(v, frame);
    this.starting[v] = 0;
    if (this.note[v] === NONE) {
      // Released before it could start: nothing to play; the faded-out voice rests.
      this.active[v] = 0;
      this.fadeAt[v] = NONE;
      return;
    }
    this.hear(v);
  }

  /** Its inlets hear its note from the current frame on. */
  private hear(v: number) {
    this.heardFrequency[v] = noteToFrequency(this.note[v]);
    this.heardChannel[v] = this.channel[v];
    this.heardVelocity[v] = this.velocity[v];
    this.heardGate[v] = 1;
    this.pressure[v] = this.channelPressure[this.channel[v]];
    this.silentFrames[v] = 0;
  }

  /** The voice holding key `key` on channel `ch` (down or sustained), or NONE. */
  private find(ch: number, key: number): number {
    for (let v = 0; v < this.count; v++)
      if (
        this.note[v] === key &&
        this.channel[v] === ch &&
        (this.keyDown[v] !== 0 || this.sustained[v] !== 0)
      )
        return v;
    return NONE;
  }

  /** The voice a new note takes (see the file's comment), or NONE. */
  private choose(policy: number): number {
    let best = NONE;
    // An idle voice: the one idle longest.
    for (let v = 0; v < this.count; v++) {
      if (this.active[v] !== 0 || this.starting[v] !== 0) continue;
      if (best === NONE || this.releaseOrder[v] < this.releaseOrder[best]) best = v;
    }
    if (best !== NONE) return best;
    // A released voice still ringing: the quietest, or the one released longest ago.
    for (let v = 0; v < this.count; v++) {
      if (this.keyDown[v] !== 0 || this.sustained[v] !== 0 || this.starting[v] !== 0) continue;
      if (best === NONE) best = v;
      else if (
        policy === STEAL_QUIETEST
          ? this.level[v] < this.level[best]
          : this.releaseOrder[v] < this.releaseOrder[best]
      )
        best = v;
    }
    if (best !== NONE || policy === STEAL_NONE) return best;
    // Every voice is held: steal the oldest note, or the quietest voice.
    for (let v = 0; v < this.count; v++) {
      if (best === NONE) best = v;
      else if (
        policy === STEAL_QUIETEST
          ? this.level[v] < this.level[best]
          : this.startOrder[v] < this.startOrder[best]
      )
        best = v;
    }
    return best;
  }

  // ------------------------------------------------------------------------------- inlet buffers

  private flushChannel(ch: number, frame: number) {
    for (let v = 0; v < this.count; v++) if (this.heardChannel[v] === ch) this.flush(v, frame);
  }

  /**
   * Writes what voice `v` hears into its inlet buffers up to (not including) `to`. Plain loops, not
   * `fill`: a fractional number passed to a built-in is boxed (16 B a call, a few per voice per block).
   */
  private flush(v: number, to: number) {
    const from = this.from[v];
    if (to <= from) return;
    this.from[v] = to;
    const drive = this.drive;
    const ch = this.heardChannel[v];
    const values = this.values;
    values[FREQUENCY] = this.heardFrequency[v] * this.bendRatio[ch];
    values[GATE] = this.heardGate[v];
    values[VELOCITY] = this.heardVelocity[v];
    values[PRESSURE] = this.pressure[v];
    values[BEND] = this.bend[ch];
    const heldValue = this.heldValue;
    const heldFrames = this.heldFrames;
    for (let k = 0; k < VOICE_INLETS.length; k++) {
      const buf = drive[k][v];
      if (buf === null) continue;
      const h = k * MAX_VOICES + v;
      let start = from;
      if (values[k] === heldValue[h]) {
        // Frames below heldFrames hold this value already; the run of it grows when this write joins it.
        if (start <= heldFrames[h]) {
          start = heldFrames[h];
          if (to > start) heldFrames[h] = to;
        }
      } else if (start === 0) {
        // Only a finite value is held: a non-finite one gets the inlet muted, which zeroes its buffer.
        heldValue[h] = values[k];
        heldFrames[h] = values[k] - values[k] === 0 ? to : 0;
      } else if (start < heldFrames[h]) heldFrames[h] = start;
      if (start < to) this.written[h] = 1;
      for (let i = start; i < to; i++) buf[i] = values[k];
      if (heldFrames[h] < to) this.allHeld = false;
    }
  }
}

/**
 * Each voice's two output blocks as last seen and their byte offsets in a kernels' memory (-1: not there),
 * so that the memory's owner is looked up (a WeakMap) only when an inner relink or reload changed a block.
 */
export class VoiceOutputOffsets {
  /** The offsets `find` last answered with, by voice. */
  readonly left = new Int32Array(MAX_VOICES).fill(-1);
  readonly right = new Int32Array(MAX_VOICES).fill(-1);
  private readonly seenLeft: Array<Float32Array | null> = Array.from({ length: MAX_VOICES }, () => null);
  private readonly seenRight: Array<Float32Array | null> = Array.from({ length: MAX_VOICES }, () => null);

  /** Voice `v`'s outputs are `left` and `right` now: do both lie in `kernels`' memory? */
  find(kernels: Kernels, v: number, left: Float32Array, right: Float32Array): boolean {
    if (this.seenLeft[v] !== left) {
      this.seenLeft[v] = left;
      this.left[v] = kernels.offsetOf(left);
    }
    if (this.seenRight[v] !== right) {
      this.seenRight[v] = right;
      this.right[v] = kernels.offsetOf(right);
    }
    return this.left[v] >= 0 && this.right[v] >= 0;
  }
}
