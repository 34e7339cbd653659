// Audio files as float channels, without Node or DOM APIs (control side: a node's `prepare`): which format a
// file is (by its first bytes, not its name), and WAV read here exactly — integer PCM of 8, 16, 24 and 32
// bits, IEEE float of 32 and 64, plain or WAVE_FORMAT_EXTENSIBLE. FLAC, MP3 and Ogg Vorbis are decoded by
// the WebAssembly decoders in audio-decoders.ts, which hosts load (src/io/node-host.ts), so that the
// AudioWorklet bundle, which never decodes, does not carry them.

/** A decoded file: one Float32Array per channel (all the same length), at the file's own rate. */
export interface DecodedAudio {
  channels: Float32Array[];
  /** Frames per second of the file (Hz). */
  sampleRate: number;
}

export type AudioFileFormat = 'wav' | 'flac' | 'mp3' | 'ogg';

/** The format of a file from its first bytes; null when it is none that SamplerNode plays. */
export function sniffAudioFormat(bytes: Uint8Array): AudioFileFormat | null {
  const text = (at: number, length: number) => String.fromCharCode(...bytes.subarray(at, at + length));
  if (bytes.length >= 12 && text(0, 4) === 'RIFF' && text(8, 4) === 'WAVE') return 'wav';
  if (bytes.length >= 4 && text(0, 4) === 'fLaC') return 'flac';
  if (bytes.length >= 4 && text(0, 4) === 'OggS') return 'ogg';
  // MP3: an ID3v2 tag, or an MPEG audio frame header (11 sync bits, layer bits not 00).
  if (bytes.length >= 3 && text(0, 3) === 'ID3') {
    // A FLAC file may also start with an ID3 tag: look past it.
    if (bytes.length >= 10) {
      const size =
        ((bytes[6] & 0x7f) << 21) | ((bytes[7] & 0x7f) << 14) | ((bytes[8] & 0x7f) << 7) | (bytes[9] & 0x7f);
      const after = 10 + size + (bytes[5] & 0x10 ? 10 : 0);
      if (bytes.length >= after + 4 && text(after, 4) === 'fLaC') return 'flac';
    }
    return 'mp3';
  }
  if (bytes.length >= 2 && bytes[0] === 0xff && (bytes[1] & 0xe0) === 0xe0 && (bytes[1] & 0x06) !== 0)
    return 'mp3';
  return null;
}

/** What a format is called in messages. */
export const FORMAT_NAMES: Readonly<Record<AudioFileFormat, string>> = {
  wav: 'WAV',
  flac: 'FLAC',
  mp3: 'MP3',
  ogg: 'Ogg Vorbis',
};

const FORMAT_PCM = 1;
const FORMAT_FLOAT = 3;
const FORMAT_EXTENSIBLE = 0xfffe;

/**
 * A WAV file's samples as float channels (integer PCM scaled so full scale is ±1). Throws an Error saying
 * what is wrong with a file it cannot read (no fmt chunk, a compressed format, a truncated header…).
 * A data chunk that claims more bytes than the file has (a recording cut short) is read as far as it goes.
 * `maxSeconds` refuses longer files before their samples are allocated. NaN and ±∞ samples read as 0.
 */
export function parseWav(bytes: Uint8Array, maxSeconds = Number.POSITIVE_INFINITY): DecodedAudio {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const text = (at: number) => String.fromCharCode(bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]);
  if (bytes.length < 12 || text(0) !== 'RIFF' || text(8) !== 'WAVE') throw new Error('not a WAV file');
  let format = -1;
  let channels = 0;
  let sampleRate = 0;
  let bits = 0;
  let dataAt = -1;
  let dataBytes = 0;
  for (let at = 12; at + 8 <= bytes.length; ) {
    const id = text(at);
    const size = view.getUint32(at + 4, true);
    const body = at + 8;
    if (id === 'fmt ') {
      if (size < 16 || body + 16 > bytes.length) throw new Error('its fmt chunk is too short');
      format = view.getUint16(body, true);
      channels = view.getUint16(body + 2, true);
      sampleRate = view.getUint32(body + 4, true);
      bits = view.getUint16(body + 14, true);
      if (format === FORMAT_EXTENSIBLE) {
        if (size < 40 || body + 26 > bytes.length) throw new Error('its extensible fmt chunk is too short');
        format = view.getUint16(body + 24, true); // the sub-format GUID's first two bytes
      }
    } else if (id === 'data') {
      dataAt = body;
      dataBytes = Math.min(size, bytes.length - body);
      break;
    }
    at = body + size + (size & 1); // chunks are padded to even sizes
  }
  if (format === -1) throw new Error('it has no fmt chunk');
  if (dataAt === -1) throw new Error('it has no data chunk');
  if (channels < 1) throw new Error('it says it has no channels');
  if (!(sampleRate >= 1)) throw new Error(`its sample rate ${sampleRate} Hz is not valid`);
  const integer = format === FORMAT_PCM && (bits === 8 || bits === 16 || bits === 24 || bits === 32);
  const float = format === FORMAT_FLOAT && (bits === 32 || bits === 64);
  if (!integer && !float) {
    throw new Error(
      format === FORMAT_PCM || format === FORMAT_FLOAT
        ? `${bits}-bit ${format === FORMAT_PCM ? 'integer' : 'float'} samples are not supported (8, 16, 24, 32-bit integer or 32, 64-bit float are)`
        : `its encoding (format tag ${format}) is not supported: only uncompressed PCM and float WAV files are`,
    );
  }
  const bytesPerSample = bits / 8;
  const frameBytes = bytesPerSample * channels;
  const frames = Math.floor(dataBytes / frameBytes);
  if (frames > maxSeconds * sampleRate) throw new TooLongError(frames / sampleRate, maxSeconds);
  const out: Float32Array[] = [];
  for (let c = 0; c < channels; c++) out.push(new Float32Array(frames));
  for (let c = 0; c < channels; c++) {
    const channel = out[c];
    let at = dataAt + c * bytesPerSample;
    switch (bits * (float ? -1 : 1)) {
      case 8:
        for (let i = 0; i < frames; i++, at += frameBytes) channel[i] = (bytes[at] - 128) / 128;
        break;
      case 16:
        for (let i = 0; i < frames; i++, at += frameBytes) channel[i] = view.getInt16(at, true) / 32768;
        break;
      case 24:
        for (let i = 0; i < frames; i++, at += frameBytes) {
          const value = bytes[at] | (bytes[at + 1] << 8) | (bytes[at + 2] << 16);
          channel[i] = ((value << 8) >> 8) / 8388608;
        }
        break;
      case 32:
        for (let i = 0; i < frames; i++, at += frameBytes) channel[i] = view.getInt32(at, true) / 2147483648;
        break;
      // Float files may hold NaN or ±∞ (a broken recording): those samples read as 0.
      case -32:
        for (let i = 0; i < frames; i++, at += frameBytes) {
          const value = view.getFloat32(at, true);
          channel[i] = Number.isFinite(value) ? value : 0;
        }
        break;
      case -64:
        for (let i = 0; i < frames; i++, at += frameBytes) {
          const value = Math.fround(view.getFloat64(at, true)); // beyond float32: ∞, read as 0
          channel[i] = Number.isFinite(value) ? value : 0;
        }
        break;
    }
  }
  return { channels: out, sampleRate };
}

/** A file longer than a decoder was allowed to produce. */
export class TooLongError extends Error {
  /** Seconds the file has (at least). */
  readonly seconds: number;
  constructor(seconds: number, limit: number) {
    super(`it is ${seconds.toFixed(1)} s long or more, and samples may be at most ${limit} s`);
    this.seconds = seconds;
  }
}
