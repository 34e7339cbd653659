import {
  type DecodedAudio,
  FORMAT_NAMES,
  parseWav,
  sniffAudioFormat,
  TooLongError,
} from '../../dsp/audio-files.js';
import { resampleInSlices } from '../../dsp/resample.js';
import { data, defineNode, midi, type PrepareContext, stream } from '../../engine/definition.js';
import { NOTE_OFF, NOTE_ON } from '../../engine/midi.js';
import type { DataValue } from '../../engine/types.js';
import { STREAM_MAX } from '../../engine/types.js';
import { MAX_GAIN_DB, SILENT_BELOW_DB } from '../mixing/gain-node.js';
import { SMOOTHING_SNAP, smoothingCoefficient } from '../mixing/smoothing.js';

/**
 * Largest sample file read (bytes), checked before reading, where the host names no limit of its own (the
 * server and `render` take theirs from --max-sample-bytes, whose default is this too).
 */
export const MAX_SAMPLE_BYTES = 64 * 1024 * 1024;
/**
 * Longest sample decoded (seconds at the file's rate): 10 minutes of stereo at 48 kHz is 230 MB of floats.
 * Decoding stops as soon as a file proves longer, before it takes that memory.
 */
export const MAX_SAMPLE_SECONDS = 600;
/** Time in which a replaced or released sound fades out (s). */
export const SAMPLER_FADE_SECONDS = 0.005;
/** |rate| is held at this at most (four octaves up). */
export const MAX_SAMPLER_RATE = 16;
/** Voices: the one playing and up to three still fading out after quick retriggers. */
const VOICES = 4;

/** What `prepare` hands the render side: the file at the engine rate, one or two channels. */
export interface PreparedSample {
  /** One or two channels (a mono file plays on both outputs), each `frames` long. */
  channels: Float32Array[];
  frames: number;
}

const NO_SAMPLE: PreparedSample = { channels: [new Float32Array(0)], frames: 0 };

/**
 * Plays a sample file — WAV, FLAC, MP3 or Ogg Vorbis — decoded and resampled to the engine rate by `prepare`
 * on the control side (path is structural), never on the render thread.
 *
 * Each rise of `trigger` (or a MIDI note-on) plays from `start`; one sound at a time: the one before fades
 * out over 5 ms while the new one begins at full level at once (no fade-in, so the first frame is the
 * file's first sample). A note-on plays at rate·2^((note − root)/12) with gain velocity/127; its note-off
 * fades it out over 5 ms. `rate` is followed frame by frame: negative plays backwards (a trigger with a
 * negative rate starts at the end and plays back to `start`). `loop` repeats the stretch from `start` to
 * the end, either way. Interpolation is 4-point cubic Hermite (Catmull–Rom): at rate 1 from a whole frame
 * the output is the decoded samples themselves.
 */
export const SamplerNode = defineNode({
  type: 'SamplerNode',
  category: 'samples',
  description:
    'Plays a WAV, FLAC, MP3 or Ogg Vorbis file on each trigger or MIDI note (pitched by rate and note − root), forwards or backwards, once or looping.',
  inputs: {
    path: data(
      "Path of the sample file (WAV, FLAC, MP3 or Ogg Vorbis), relative to the root folder (the server's --root, the patch's folder for render).",
      { default: null, structural: true },
    ),
    trigger: stream(
      'Each rise above 0 plays the sample from `start` (the sound before fades out in 5 ms); a trigger already high when the first file has loaded plays it then.',
      {
        default: 0,
        unit: 'trigger',
      },
    ),
    rate: stream(
      'Playback speed: 1 the file’s own pitch, 2 an octave up, 0.5 down, negative backwards. Held within ±16; NaN reads 1.',
      { default: 1, min: -4, max: 4 },
    ),
    start: stream('Where a trigger starts playing, seconds from the beginning of the file (clamped to it).', {
      default: 0,
      unit: 's',
      min: 0,
    }),
    loop: data('true: repeat from `start` to the end of the file until the next trigger or note-off.', {
      default: false,
    }),
    gain: stream('Level in dB (below −120 dB: silence; above +40 dB counts as +40), gliding over ≤ 5 ms.', {
      default: 0,
      unit: 'dB',
      min: SILENT_BELOW_DB,
      max: MAX_GAIN_DB,
    }),
    midi: midi(
      'A note-on plays from `start` at rate·2^((note − root)/12), its velocity as gain (velocity/127); its note-off fades out in 5 ms.',
    ),
    root: data('The MIDI note at which the sample plays at its own pitch.', {
      default: 60,
      unit: 'MIDI note',
      min: 0,
      max: 127,
    }),
  },
  outputs: {
    left: stream('Left channel (a mono file plays on both).', { unit: '-1…1' }),
    right: stream('Right channel.', { unit: '-1…1' }),
  },
  initialExports: () => ({ File: null, Duration: null, Channels: null, 'Sample Rate': null }),
  prepare: (values, ctx) => loadSample(values.path ?? null, ctx),
  create(ctx, io) {
    const { trigger, rate, start, gain, loop, root } = io.inputs;
    const left = io.outputs.left.buf;
    const right = io.outputs.right.buf;
    const sampleRate = ctx.sampleRate;
    const glide = smoothingCoefficient(sampleRate);
    const fadeStep = 1 / Math.max(1, SAMPLER_FADE_SECONDS * sampleRate);
    let sample = NO_SAMPLE;
    // Per voice: the sample it plays (a replaced file's voices fade out on the old one) and, in `state`,
    // FIELDS numbers — typed, since fractions in objects or closures would be fresh heap numbers:
    const POSITION = 0; // frame in the sample (fractional)
    const RATIO = 1; // pitch ratio of its note (1 for a trigger)
    const LEVEL = 2; // velocity gain
    const FADE = 3; // 1 while playing; falls to 0 while fading out
    const FADING = 4; // 1 while fading out
    const FROM = 5; // frame where its stretch starts (`start` at its trigger)
    const ACTIVE = 6; // 1 while it sounds
    const FIELDS = 7;
    const state = new Float64Array(VOICES * FIELDS);
    const samples: PreparedSample[] = [];
    for (let v = 0; v < VOICES; v++) samples.push(NO_SAMPLE);
    /** Arguments and result of hermiteAtEdge (EDGE_* slots). */
    const edge = new Float64Array(EDGE_SLOTS);
    /** [the linear gain now, last dB value seen, its linear gain, previous trigger value]. */
    const levels = Float64Array.of(1, Number.NaN, 1, 0);
    let current = -1; // the voice that plays (not fading), or -1
    let currentNote = -1; // its MIDI note, or -1 for a trigger's sound
    let started = false;
    /** The first file arrived while the trigger was high: it plays from the next block's first frame. */
    let playOnArrival = false;

    /** Moves `voice` into its fade-out (it keeps playing, falling to 0 in 5 ms). */
    const fadeOut = (voice: number) => {
      state[voice * FIELDS + FADING] = 1;
    };

    /** A voice slot for a new sound: a silent one, else the quietest fading one. */
    const freeVoice = (): number => {
      let best = 0;
      let quietest = 2;
      for (let v = 0; v < VOICES; v++) {
        const base = v * FIELDS;
        if (state[base + ACTIVE] === 0) return v;
        if (state[base + FADING] === 1 && state[base + FADE] < quietest) {
          quietest = state[base + FADE];
          best = v;
        }
      }
      return best;
    };

    /** Starts a sound at frame `i` of this block with pitch ratio `ratio` and gain `level`. */
    const play = (i: number, ratio: number, level: number) => {
      if (current >= 0) fadeOut(current);
      current = -1;
      const frames = sample.frames;
      if (frames === 0) return;
      const voice = freeVoice();
      const base = voice * FIELDS;
      const k = i < 0 ? 0 : i < start.buf.length ? i : start.buf.length - 1; // MIDI stamped past the block
      const seconds = start.buf[k];
      // The nearest frame: seconds arrive as float32, so 600/44100 s is 599.99999 frames, meant as 600.
      const from = seconds > 0 ? Math.min(frames - 1, Math.round(seconds * sampleRate)) : 0;
      const speed = readRate(rate.buf[k]) * ratio;
      samples[voice] = sample;
      state[base + POSITION] = speed < 0 ? frames - 1 : from;
      state[base + RATIO] = ratio;
      state[base + LEVEL] = level;
      state[base + FADE] = 1;
      state[base + FADING] = 0;
      state[base + FROM] = from;
      state[base + ACTIVE] = 1;
      current = voice;
    };

    const handleMidi = (at: number) => {
      const messages = io.inputs.midi.source;
      const kind = messages.status[at] & 0xf0;
      const note = messages.data1[at];
      const velocity = messages.data2[at];
      if (kind === NOTE_ON && velocity > 0) {
        const r = root.value;
        const rootNote = typeof r === 'number' && Number.isFinite(r) ? Math.min(127, Math.max(0, r)) : 60;
        play(messages.frame[at], 2 ** ((note - rootNote) / 12), velocity / 127);
        currentNote = current >= 0 ? note : -1;
      } else if ((kind === NOTE_OFF || kind === NOTE_ON) && note === currentNote && current >= 0) {
        fadeOut(current);
        current = -1;
        currentNote = -1;
      }
    };

    return {
      configure(prepared) {
        // A new file: what the old one was playing fades out; the new one waits for a trigger.
        if (current >= 0) fadeOut(current);
        current = -1;
        currentNote = -1;
        // A trigger held high since before the first file arrived (a `1` linked in the same script as the
        // path, while the file was still being read) would otherwise never rise again: it plays now.
        playOnArrival = sample.frames === 0 && prepared.frames > 0 && levels[3] > 0;
        sample = prepared;
      },
      process(frames) {
        const trig = trigger.buf;
        const rates = rate.buf;
        const db = gain.buf;
        const looping = loop.value === true || (typeof loop.value === 'number' && loop.value !== 0);
        const messages = io.inputs.midi.source;
        const count = messages.count;
        let next = 0; // next MIDI message
        if (!started) {
          levels[0] = gainOf(db[0]);
          started = true;
        }
        let g = levels[0];
        let target = levels[2];
        if (gain.constant) {
          if (db[0] !== levels[1]) {
            levels[1] = db[0];
            levels[2] = gainOf(db[0]);
          }
          target = levels[2];
        }
        let previous = levels[3];
        if (playOnArrival) {
          playOnArrival = false;
          if (trig[0] > 0) play(0, 1, 1);
        }
        for (let i = 0; i < frames; i++) {
          while (next < count && messages.frame[next] <= i) handleMidi(next++);
          const t = trig[i];
          if (t > 0 && !(previous > 0)) {
            play(i, 1, 1);
            currentNote = -1;
          }
          previous = t;
          if (!gain.constant) target = gainOf(db[i]);
          const gap = target - g;
          g = gap > SMOOTHING_SNAP || gap < -SMOOTHING_SNAP ? g + gap * glide : target;
          let l = 0;
          let r = 0;
          const speedNow = readRate(rates[i]);
          for (let v = 0; v < VOICES; v++) {
            const base = v * FIELDS;
            if (state[base + ACTIVE] === 0) continue;
            const s = samples[v];
            const n = s.frames;
            const from = state[base + FROM];
            let p = state[base + POSITION];
            let amp = state[base + LEVEL];
            if (state[base + FADING] === 1) {
              const fade = state[base + FADE] - fadeStep;
              if (fade <= 0) {
                state[base + ACTIVE] = 0;
                continue;
              }
              state[base + FADE] = fade;
              amp *= fade;
            }
            const index = Math.floor(p);
            const f = p - index;
            const channels = s.channels;
            const a = channels[0];
            const b = channels.length > 1 ? channels[1] : a;
            if (index >= 1 && index + 2 < n && (!looping || index - 1 >= from)) {
              l += amp * hermite(a[index - 1], a[index], a[index + 1], a[index + 2], f);
              r += amp * hermite(b[index - 1], b[index], b[index + 1], b[index + 2], f);
            } else {
              // Near an end (rarely: once a pass): through a typed array, so that this cold call, which V8
              // does not inline, passes and returns no doubles (each would be a heap number).
              edge[EDGE_INDEX] = index;
              edge[EDGE_FRACTION] = f;
              edge[EDGE_FROM] = from;
              edge[EDGE_FRAMES] = n;
              edge[EDGE_LOOPING] = looping ? 1 : 0;
              hermiteAtEdge(a, edge);
              l += amp * edge[EDGE_OUT];
              hermiteAtEdge(b, edge);
              r += amp * edge[EDGE_OUT];
            }
            // Advance; past either end of its stretch a sound ends, or wraps when looping.
            p += speedNow * state[base + RATIO];
            if (p >= n || p < from) {
              if (looping && n - from >= 1) {
                const length = n - from;
                p = from + ((((p - from) % length) + length) % length);
              } else {
                state[base + ACTIVE] = 0;
                if (v === current) {
                  current = -1;
                  currentNote = -1;
                }
              }
            }
            state[base + POSITION] = p;
          }
          const outL = l * g;
          const outR = r * g;
          left[i] = Math.min(STREAM_MAX, Math.max(outL, -STREAM_MAX));
          right[i] = Math.min(STREAM_MAX, Math.max(outR, -STREAM_MAX));
        }
        // MIDI stamped past the block's end (never, from well-behaved sources) still counts.
        while (next < count) handleMidi(next++);
        levels[0] = g;
        levels[3] = previous;
      },
    };
  },
});

/** A rate read from the stream: NaN reads 1, held within ±MAX_SAMPLER_RATE. */
function readRate(value: number): number {
  if (value >= -MAX_SAMPLER_RATE && value <= MAX_SAMPLER_RATE) return value;
  return value > MAX_SAMPLER_RATE ? MAX_SAMPLER_RATE : value < -MAX_SAMPLER_RATE ? -MAX_SAMPLER_RATE : 1;
}

/** Linear gain of `db` decibels: 0 below −120 dB, +40 dB at most, NaN reads 0 dB. */
function gainOf(db: number): number {
  if (db >= SILENT_BELOW_DB) return 10 ** (Math.min(db, MAX_GAIN_DB) / 20);
  return db < SILENT_BELOW_DB ? 0 : 1;
}

/** 4-point cubic Hermite (Catmull–Rom) between x1 and x2 at fraction f; f = 0 gives x1 exactly. */
function hermite(x0: number, x1: number, x2: number, x3: number, f: number): number {
  const c1 = 0.5 * (x2 - x0);
  const c2 = x0 - 2.5 * x1 + 2 * x2 - 0.5 * x3;
  const c3 = 0.5 * (x3 - x0) + 1.5 * (x1 - x2);
  return ((c3 * f + c2) * f + c1) * f + x1;
}

// hermiteAtEdge's slots in its Float64Array: the frame, the fraction, the loop start, the sample's length,
// looping (1/0), and the result.
const EDGE_INDEX = 0;
const EDGE_FRACTION = 1;
const EDGE_FROM = 2;
const EDGE_FRAMES = 3;
const EDGE_LOOPING = 4;
const EDGE_OUT = 5;
const EDGE_SLOTS = 6;

/**
 * Hermite near an end, into edge[EDGE_OUT]: when looping, neighbours wrap within the stretch from..n (so the
 * loop point is as smooth as the material allows); otherwise frames outside the file are 0.
 */
function hermiteAtEdge(x: Float32Array, edge: Float64Array): void {
  const index = edge[EDGE_INDEX];
  const from = edge[EDGE_FROM];
  const n = edge[EDGE_FRAMES];
  const wrap = edge[EDGE_LOOPING] === 1 && n - from >= 1;
  const length = n - from;
  let x0 = 0;
  let x1 = 0;
  let x2 = 0;
  let x3 = 0;
  for (let j = 0; j < 4; j++) {
    let k = index - 1 + j;
    let value = 0;
    if (wrap) {
      k = from + ((((k - from) % length) + length) % length);
      value = x[k];
    } else if (k >= 0 && k < n) value = x[k];
    if (j === 0) x0 = value;
    else if (j === 1) x1 = value;
    else if (j === 2) x2 = value;
    else x3 = value;
  }
  const f = edge[EDGE_FRACTION];
  const c1 = 0.5 * (x2 - x0);
  const c2 = x0 - 2.5 * x1 + 2 * x2 - 0.5 * x3;
  const c3 = 0.5 * (x3 - x0) + 1.5 * (x1 - x2);
  edge[EDGE_OUT] = ((c3 * f + c2) * f + c1) * f + x1;
}

/** Control side: reads, decodes and resamples the file `path` names (null or "" → no file). */
function loadSample(path: DataValue, ctx: PrepareContext): PreparedSample | Promise<PreparedSample> {
  if (path === null || path === '') {
    ctx.publish({ File: null, Duration: null, Channels: null, 'Sample Rate': null });
    return NO_SAMPLE;
  }
  if (typeof path !== 'string') {
    ctx.publish({
      File: null,
      Duration: null,
      Channels: null,
      'Sample Rate': null,
      Error: '`path` must be a string',
    });
    ctx.warn(
      `\`path\` must be the path of a sample file, got ${JSON.stringify(path)}; the sampler is silent`,
    );
    return NO_SAMPLE;
  }
  const refuse = (error: unknown): PreparedSample => {
    const message = error instanceof Error ? error.message : String(error);
    ctx.publish({ File: path, Duration: null, Channels: null, 'Sample Rate': null, Error: message });
    ctx.warn(`could not load the sample \`${path}\`: ${message}; the sampler is silent`);
    return NO_SAMPLE;
  };
  const host = ctx.host;
  if (!host.readFile) return refuse(new Error('this engine cannot read files'));
  return (async () => {
    const bytes = await host.readFile!(path, {
      maxBytes: host.maxSampleBytes ?? MAX_SAMPLE_BYTES,
      limit: 'maxSampleBytes',
    });
    const format = sniffAudioFormat(bytes);
    let decoded: DecodedAudio;
    if (format === null) {
      throw new Error('it is not a WAV, FLAC, MP3 or Ogg Vorbis file (its first bytes are none of those)');
    } else if (format === 'wav') {
      try {
        decoded = parseWav(bytes, MAX_SAMPLE_SECONDS);
      } catch (error) {
        if (error instanceof TooLongError) throw error;
        throw new Error(`it is not a WAV file that can be read: ${(error as Error).message}`);
      }
    } else if (format === 'ogg' && isOggOpus(bytes)) {
      throw new Error('it is Ogg Opus, which is not supported (Ogg Vorbis is)');
    } else if (!host.decodeAudio) {
      throw new Error(`${FORMAT_NAMES[format]} files cannot be decoded here (WAV files can)`);
    } else {
      decoded = await host.decodeAudio(bytes, format, { maxSeconds: MAX_SAMPLE_SECONDS });
    }
    const fileFrames = decoded.channels[0]?.length ?? 0;
    if (fileFrames / decoded.sampleRate > MAX_SAMPLE_SECONDS)
      throw new TooLongError(fileFrames / decoded.sampleRate, MAX_SAMPLE_SECONDS);
    // A mono file plays on both sides; more than two channels: the first two (left, right).
    const channels: Float32Array[] = [];
    for (const channel of decoded.channels.slice(0, 2))
      channels.push(await resampleInSlices(channel, decoded.sampleRate, ctx.sampleRate));
    const frames = channels[0]?.length ?? 0;
    ctx.publish({
      File: path,
      Duration: Math.round((fileFrames / decoded.sampleRate) * 1000) / 1000,
      Channels: decoded.channels.length,
      'Sample Rate': decoded.sampleRate,
    });
    return frames > 0 ? { channels, frames } : NO_SAMPLE;
  })().catch(refuse);
}

/** An Ogg stream whose first packet is an Opus header (the page's payload starts "OpusHead"). */
function isOggOpus(bytes: Uint8Array): boolean {
  if (bytes.length < 28) return false;
  const segments = bytes[26];
  const at = 27 + segments;
  return String.fromCharCode(...bytes.subarray(at, at + 8)) === 'OpusHead';
}
