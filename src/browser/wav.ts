// WAV files in the page: recordings and offline renders arrive as float32 chunks and leave as a Blob the
// caller can download or store, in the same 32-bit float format (and header) as the CLI writes.

import { SynchrotronError } from '../engine/errors.js';
import { floatWavHeader, WAV_MAX_DATA_BYTES } from '../io/wav-header.js';

/** Typed arrays use the platform's byte order; WAV is little-endian (every browser platform today). */
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Collects float32 audio in chunks (kept as they came, not copied into one array) and makes a WAV Blob. */
export class WavAssembler {
  readonly sampleRate: number;
  readonly channels: number;
  private readonly chunks: Float32Array[] = [];
  private samples = 0;

  constructor(sampleRate: number, channels: number) {
    this.sampleRate = Math.round(sampleRate);
    this.channels = channels;
  }

  /** Frames collected so far. */
  get frames(): number {
    return this.samples / this.channels;
  }

  /** Mono: appends a chunk as it is (the assembler keeps it: do not reuse it). */
  appendMono(samples: Float32Array): void {
    this.push(samples);
  }

  /** Stereo: appends `frames` frames of two channels, interleaved into a new chunk. */
  appendStereo(left: Float32Array, right: Float32Array, frames = left.length): void {
    const interleaved = new Float32Array(frames * 2);
    for (let i = 0; i < frames; i++) {
      interleaved[2 * i] = left[i];
      interleaved[2 * i + 1] = right[i];
    }
    this.push(interleaved);
  }

  /** Appends interleaved samples as they are (the assembler keeps the chunk). */
  appendInterleaved(samples: Float32Array): void {
    this.push(samples);
  }

  /** The WAV file: header and every chunk, without copying the samples again. */
  blob(): Blob {
    const header = floatWavHeader(this.sampleRate, this.channels, this.samples * 4);
    return new Blob([header as Uint8Array<ArrayBuffer>, ...(this.chunks as Float32Array<ArrayBuffer>[])], {
      type: 'audio/wav',
    });
  }

  private push(samples: Float32Array): void {
    if ((this.samples + samples.length) * 4 > WAV_MAX_DATA_BYTES) {
      throw new SynchrotronError('io', 'the recording reached the 4 GiB limit of WAV files');
    }
    this.chunks.push(LITTLE_ENDIAN ? samples : toLittleEndian(samples));
    this.samples += samples.length;
  }
}

function toLittleEndian(samples: Float32Array): Float32Array {
  const bytes = new Uint8Array(samples.length * 4);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < samples.length; i++) view.setFloat32(i * 4, samples[i], true);
  return new Float32Array(bytes.buffer);
}

/** A 32-bit float (or 16-bit PCM) WAV file's channels, for pages and tests that read WAVs back. */
export function decodeWav(bytes: ArrayBuffer): { sampleRate: number; channels: Float32Array[] } {
  const view = new DataView(bytes);
  const tag = (at: number) =>
    String.fromCharCode(
      view.getUint8(at),
      view.getUint8(at + 1),
      view.getUint8(at + 2),
      view.getUint8(at + 3),
    );
  if (bytes.byteLength < 12 || tag(0) !== 'RIFF' || tag(8) !== 'WAVE') {
    throw new SynchrotronError('invalid', 'not a WAV file (no RIFF/WAVE header)');
  }
  let format = 0;
  let channelCount = 0;
  let sampleRate = 0;
  let bits = 0;
  let at = 12;
  while (at + 8 <= bytes.byteLength) {
    const id = tag(at);
    const size = view.getUint32(at + 4, true);
    const body = at + 8;
    if (id === 'fmt ') {
      format = view.getUint16(body, true);
      channelCount = view.getUint16(body + 2, true);
      sampleRate = view.getUint32(body + 4, true);
      bits = view.getUint16(body + 14, true);
    } else if (id === 'data') {
      if (channelCount < 1) throw new SynchrotronError('invalid', 'WAV file: data before its fmt chunk');
      const float = format === 3 && bits === 32;
      const pcm16 = format === 1 && bits === 16;
      if (!float && !pcm16) {
        throw new SynchrotronError(
          'invalid',
          `WAV file: format ${format} with ${bits} bits is not supported`,
        );
      }
      const bytesPerSample = bits / 8;
      const length = Math.min(size, bytes.byteLength - body);
      const frames = Math.floor(length / (bytesPerSample * channelCount));
      const channels = Array.from({ length: channelCount }, () => new Float32Array(frames));
      for (let i = 0; i < frames; i++) {
        for (let c = 0; c < channelCount; c++) {
          const offset = body + (i * channelCount + c) * bytesPerSample;
          channels[c][i] = float ? view.getFloat32(offset, true) : view.getInt16(offset, true) / 32768;
        }
      }
      return { sampleRate, channels };
    }
    at = body + size + (size & 1);
  }
  throw new SynchrotronError('invalid', 'WAV file: no data chunk');
}
