// FLAC, MP3 and Ogg Vorbis to float channels, by the WebAssembly decoders of the audio-decode family
// (@wasm-audio-decoders/flac, @wasm-audio-decoders/ogg-vorbis, mpg123-decoder: libFLAC, libvorbis and
// mpg123 compiled to WebAssembly; no native build; they run in Node, browsers and workers). Control side
// only (a host's `decodeAudio`, called from a node's `prepare`). The file is fed in slices, yielding to the
// event loop between them, so a long file does not stall a server's HTTP answers while it decodes; and
// decoding stops as soon as the file proves longer than allowed, before it can take the memory.
// WAV is read by audio-files.ts without these. Each decoder's package is imported on first use: the three
// are about 50 modules, which every process that merely might read a sample (every `render`, every server)
// would otherwise load and compile at start-up.

import { type AudioFileFormat, type DecodedAudio, FORMAT_NAMES, TooLongError } from './audio-files.js';
import { yieldToEventLoop } from './yield.js';

/** Bytes fed to a decoder at once. */
const SLICE_BYTES = 64 * 1024;

interface Piece {
  channelData: Float32Array[];
  samplesDecoded: number;
  sampleRate: number;
  /** FLAC: bits per sample of the integers it holds. */
  bitDepth?: number;
  errors: Array<{ message: string }>;
}

interface StreamingDecoder {
  readonly ready: Promise<void>;
  decode(bytes: Uint8Array): Piece | Promise<Piece>;
  flush?(): Promise<Piece>;
  free(): void;
}

async function makeDecoder(format: Exclude<AudioFileFormat, 'wav'>): Promise<StreamingDecoder> {
  if (format === 'flac') return new (await import('@wasm-audio-decoders/flac')).FLACDecoder();
  if (format === 'ogg') return new (await import('@wasm-audio-decoders/ogg-vorbis')).OggVorbisDecoder();
  return new (await import('mpg123-decoder')).MPEGDecoder();
}

/**
 * Decodes a FLAC, MP3 or Ogg Vorbis file. Rejects with an Error saying why (not that format, corrupt,
 * longer than `maxSeconds`: a TooLongError).
 */
export async function decodeCompressedAudio(
  bytes: Uint8Array,
  format: Exclude<AudioFileFormat, 'wav'>,
  options: { maxSeconds?: number } = {},
): Promise<DecodedAudio> {
  const maxSeconds = options.maxSeconds ?? Number.POSITIVE_INFINITY;
  const decoder = await makeDecoder(format);
  const pieces: Float32Array[][] = [];
  let frames = 0;
  let sampleRate = 0;
  let channels = 0;
  let firstError: string | undefined;
  const take = (piece: Piece) => {
    if (piece.errors.length > 0) firstError ??= piece.errors[0].message;
    // An empty answer's other fields are not to be trusted (the Vorbis decoder's are left over).
    if (piece.samplesDecoded === 0) return;
    sampleRate = piece.sampleRate;
    channels = Math.max(channels, piece.channelData.length);
    const data = piece.channelData.map((channel) => channel.subarray(0, piece.samplesDecoded));
    if (format === 'flac' && piece.bitDepth) rescaleIntegers(data, piece.bitDepth);
    pieces.push(data);
    frames += piece.samplesDecoded;
    if (frames > maxSeconds * sampleRate) throw new TooLongError(frames / sampleRate, maxSeconds);
  };
  try {
    await decoder.ready;
    for (let at = 0; at < bytes.length; at += SLICE_BYTES) {
      take(await decoder.decode(bytes.subarray(at, at + SLICE_BYTES)));
      await yieldToEventLoop();
    }
    if (decoder.flush) take(await decoder.flush());
  } finally {
    decoder.free();
  }
  if (frames === 0) {
    throw new Error(
      `no ${FORMAT_NAMES[format]} audio could be decoded from it${firstError ? ` (${firstError})` : ''}`,
    );
  }
  // mpg123 always answers in stereo: a mono MP3 (its frame header says so) keeps one channel.
  if (format === 'mp3' && mpegIsMono(bytes)) channels = 1;
  const out: Float32Array[] = [];
  for (let c = 0; c < channels; c++) {
    const channel = new Float32Array(frames);
    let at = 0;
    for (const piece of pieces) {
      const source = piece[Math.min(c, piece.length - 1)];
      channel.set(source, at);
      at += source.length;
    }
    out.push(channel);
  }
  return { channels: out, sampleRate };
}

/** True when the first MPEG audio frame (after any ID3v2 tag) is single-channel. */
function mpegIsMono(bytes: Uint8Array): boolean {
  let at = 0;
  if (bytes.length >= 10 && bytes[0] === 0x49 && bytes[1] === 0x44 && bytes[2] === 0x33) {
    const size =
      ((bytes[6] & 0x7f) << 21) | ((bytes[7] & 0x7f) << 14) | ((bytes[8] & 0x7f) << 7) | (bytes[9] & 0x7f);
    at = 10 + size + (bytes[5] & 0x10 ? 10 : 0);
  }
  for (; at + 3 < bytes.length; at++) {
    if (bytes[at] === 0xff && (bytes[at + 1] & 0xe0) === 0xe0 && (bytes[at + 1] & 0x06) !== 0) {
      return bytes[at + 3] >> 6 === 3;
    }
  }
  return false;
}

/**
 * The FLAC decoder scales b-bit integers by 1/(2^(b−1) − 1); WAV readers (ours, and most) by 1/2^(b−1). The
 * integers are recovered and rescaled, so a FLAC plays exactly as the WAV it was made from.
 */
function rescaleIntegers(channels: Float32Array[], bits: number): void {
  if (bits < 2 || bits > 32) return;
  const decoderScale = 2 ** (bits - 1) - 1;
  const wavScale = 2 ** (bits - 1);
  for (const channel of channels) {
    for (let i = 0; i < channel.length; i++) channel[i] = Math.round(channel[i] * decoderScale) / wavScale;
  }
}
