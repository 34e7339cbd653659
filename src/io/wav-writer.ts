// Streaming 32-bit float WAV files on Node's fs: samples go straight to the file (synchronous writes into
// an open fd, through a 64 KiB buffer), and the header's sizes are rewritten on close and after about
// every second of audio, so a crash leaves a readable file with all but the last second.

import { closeSync, fstatSync, ftruncateSync, openSync, readFileSync, readSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import type * as wavefileModule from 'wavefile';
import type { WavWriter } from '../engine/definition.js';
import { SynchrotronError } from '../engine/errors.js';
import { formatBytes, limitError } from '../engine/limits.js';
import type { OpenedFile } from './secure-files.js';
import { floatWavHeader, WAV_HEADER_BYTES, WAV_MAX_DATA_BYTES } from './wav-header.js';

// The header (wav-header.ts): 'RIFF' size 'WAVE', fmt chunk of 18 bytes (IEEE float), fact chunk, data chunk.
const HEADER_BYTES = WAV_HEADER_BYTES;
const BUFFER_BYTES = 64 * 1024;
const MAX_DATA_BYTES = WAV_MAX_DATA_BYTES;

export interface StreamingWavWriter extends WavWriter {
  readonly sampleRate: number;
  readonly channels: number;
  /** Frames written so far. */
  readonly frames: number;
  /** Mono: append `frames` samples (other channel counts: the same samples on every channel). */
  write(samples: Float32Array, frames: number): void;
  /** Append `frames` frames of interleaved samples (frames × channels values). */
  writeInterleaved(samples: Float32Array, frames: number): void;
  /** Stereo: append `frames` frames from two channel buffers. */
  writeChannels(left: Float32Array, right: Float32Array, frames: number): void;
  /** Write everything buffered and correct the header (the file is then complete up to here). */
  flush(): void;
  close(): void;
}

function checkFormat(sampleRate: number, channels: number): void {
  if (!Number.isInteger(channels) || channels < 1 || channels > 64) {
    throw new SynchrotronError('invalid', `a WAV file has 1 to 64 channels, got ${channels}`);
  }
  if (!Number.isFinite(sampleRate) || sampleRate <= 0) {
    throw new SynchrotronError('invalid', `invalid sample rate ${sampleRate}`);
  }
}

/**
 * Opens (creates or truncates) `path` and writes a header at once: an empty file is already valid. For
 * paths the user gave on the command line (`render --out`); nodes' files go through `wavWriterForFile`.
 */
export function createWavWriter(path: string, sampleRate: number, channels = 1): StreamingWavWriter {
  checkFormat(sampleRate, channels);
  let fd: number;
  try {
    fd = openSync(path, 'w');
  } catch (error) {
    throw new SynchrotronError('io', `cannot open \`${path}\` for writing: ${(error as Error).message}`);
  }
  return new FloatWavWriter(fd, path, Math.round(sampleRate), channels, () => closeSync(fd));
}

/**
 * A WAV writer on a file the security module opened (FileGuard.openForWriting), which it closes, and at
 * most `maxDataBytes` of samples (the maxRecordBytes limit): past it the writer keeps what fits, leaves a
 * valid file and throws a `limit` error.
 */
export function wavWriterForFile(
  file: OpenedFile,
  sampleRate: number,
  channels: number,
  options: { maxDataBytes?: number } = {},
): StreamingWavWriter {
  try {
    checkFormat(sampleRate, channels);
  } catch (error) {
    file.close();
    throw error;
  }
  const rate = Math.round(sampleRate);
  let existing = 0;
  if (file.resume) {
    try {
      existing = samplesToContinue(file.fd, rate, channels);
    } catch (error) {
      file.close();
      throw new SynchrotronError('io', `cannot continue \`${file.path}\`: ${(error as Error).message}`);
    }
  }
  const writer = new FloatWavWriter(
    file.fd,
    file.path,
    rate,
    channels,
    () => file.close(),
    options.maxDataBytes,
    existing,
  );
  writer.keptExisting = file.keptExisting;
  if (file.resume) writer.resumedFrames = existing / (4 * channels);
  return writer;
}

/**
 * Bytes of whole frames after the header of a take this server was writing when its render worker was
 * replaced, cut to them: the header may lag behind the samples by up to a second (it is rewritten about
 * once a second), so the file's size counts, not the header's. A file whose header is not ours in this
 * format is started afresh (0).
 */
function samplesToContinue(fd: number, sampleRate: number, channels: number): number {
  const header = Buffer.alloc(HEADER_BYTES);
  const read = readSync(fd, header, 0, HEADER_BYTES, 0);
  const expected = floatWavHeader(sampleRate, channels, 0);
  // Everything but the three size fields (RIFF size 4…8, fact frames 46…50, data size 54…58) must match.
  const sizeField = (i: number) => (i >= 4 && i < 8) || (i >= 46 && i < 50) || i >= 54;
  let same = read === HEADER_BYTES;
  for (let i = 0; same && i < HEADER_BYTES; i++) if (!sizeField(i) && header[i] !== expected[i]) same = false;
  const frameBytes = 4 * channels;
  const size = fstatSync(fd).size;
  const bytes = same ? Math.min(MAX_DATA_BYTES, size - HEADER_BYTES) : 0;
  const whole = Math.max(0, bytes - (bytes % frameBytes));
  ftruncateSync(fd, HEADER_BYTES + whole);
  return whole;
}

class FloatWavWriter implements StreamingWavWriter {
  readonly path: string;
  keptExisting?: string;
  resumedFrames?: number;
  readonly sampleRate: number;
  readonly channels: number;
  private fd: number | null;
  private readonly buffer = Buffer.alloc(BUFFER_BYTES);
  private readonly view: DataView;
  private used = 0;
  private dataBytes = 0;
  private bytesSinceHeader = 0;
  private readonly headerInterval: number;
  private readonly closeFile: () => void;
  /** Largest data chunk: the RIFF format's, or a recording limit (then `limited`). */
  private readonly maxDataBytes: number;
  private readonly limited: boolean;

  constructor(
    fd: number,
    path: string,
    sampleRate: number,
    channels: number,
    closeFile: () => void,
    maxDataBytes?: number,
    /** Bytes of samples already in the file (a continued take), written after the header. */
    existingBytes = 0,
  ) {
    this.fd = fd;
    this.dataBytes = existingBytes;
    this.path = path;
    this.sampleRate = sampleRate;
    this.channels = channels;
    this.closeFile = closeFile;
    this.limited = maxDataBytes !== undefined && maxDataBytes < MAX_DATA_BYTES;
    this.maxDataBytes = this.limited ? (maxDataBytes as number) : MAX_DATA_BYTES;
    this.view = new DataView(this.buffer.buffer, this.buffer.byteOffset, this.buffer.byteLength);
    this.headerInterval = sampleRate * channels * 4; // about one second of audio
    try {
      this.writeHeader();
    } catch (error) {
      this.closeQuietly();
      throw new SynchrotronError('io', `cannot write \`${path}\`: ${(error as Error).message}`);
    }
  }

  get frames(): number {
    return (this.dataBytes + this.used) / (4 * this.channels);
  }

  write(samples: Float32Array, frames: number): void {
    const channels = this.channels;
    if (channels === 1) {
      this.append(samples, 0, 1, frames);
      return;
    }
    for (let i = 0; i < frames; i++) for (let c = 0; c < channels; c++) this.appendSample(samples[i]);
    this.afterAppend();
  }

  writeInterleaved(samples: Float32Array, frames: number): void {
    this.append(samples, 0, 1, frames * this.channels);
  }

  writeChannels(left: Float32Array, right: Float32Array, frames: number): void {
    if (this.channels !== 2)
      throw new SynchrotronError(
        'invalid',
        `writeChannels needs a stereo file, ${this.path} has ${this.channels} channel(s)`,
      );
    for (let i = 0; i < frames; i++) {
      this.appendSample(left[i]);
      this.appendSample(right[i]);
    }
    this.afterAppend();
  }

  flush(): void {
    if (this.fd === null) return;
    this.flushBuffer();
    this.writeHeader();
    this.bytesSinceHeader = 0;
  }

  close(): void {
    if (this.fd === null) return;
    try {
      this.flush();
    } finally {
      this.closeQuietly();
    }
  }

  private append(samples: Float32Array, start: number, stride: number, count: number): void {
    for (let i = 0, j = start; i < count; i++, j += stride) this.appendSample(samples[j]);
    this.afterAppend();
  }

  private appendSample(x: number): void {
    if (this.used === BUFFER_BYTES) this.flushBuffer();
    // Non-finite samples would poison every reader: written as 0.
    this.view.setFloat32(this.used, x - x === 0 ? x : 0, true);
    this.used += 4;
  }

  private afterAppend(): void {
    if (this.bytesSinceHeader + this.used >= this.headerInterval) this.flush();
  }

  private flushBuffer(): void {
    if (this.fd === null) throw new SynchrotronError('io', `\`${this.path}\` is closed`);
    if (this.used === 0) return;
    const room = Math.max(0, this.maxDataBytes - this.dataBytes);
    const full = this.used > room;
    if (full) this.used = room - (room % (4 * this.channels)); // whole frames that fit, then stop
    let offset = 0;
    while (offset < this.used) {
      offset += writeSync(
        this.fd,
        this.buffer,
        offset,
        this.used - offset,
        HEADER_BYTES + this.dataBytes + offset,
      );
    }
    this.dataBytes += this.used;
    this.bytesSinceHeader += this.used;
    this.used = 0;
    if (full) {
      this.writeHeader(); // what fitted stays a valid file
      if (this.limited) {
        throw limitError(
          'maxRecordBytes',
          `\`${this.path}\` holds ${formatBytes(this.dataBytes)}, the most one recording may: recording stopped there`,
        );
      }
      throw new SynchrotronError('io', `\`${this.path}\` reached the 4 GiB limit of WAV files`);
    }
  }

  private writeHeader(): void {
    if (this.fd === null) return;
    writeSync(this.fd, floatWavHeader(this.sampleRate, this.channels, this.dataBytes), 0, HEADER_BYTES, 0);
  }

  private closeQuietly(): void {
    const fd = this.fd;
    this.fd = null;
    if (fd !== null) {
      try {
        this.closeFile();
      } catch {
        // already closed by the OS; nothing left to save
      }
    }
  }
}

export interface WavData {
  sampleRate: number;
  /** One array per channel. */
  channels: Float64Array[];
  /** Bits per sample and format as the file states them ('32f', '16', …). */
  bitDepth: string;
}

/** Reads a whole WAV file (any format wavefile understands) as float channels — for tests and tools. */
export function readWav(path: string): WavData {
  // wavefile (CommonJS, 41 KB) is required on first use: only tests and tools read WAVs this way, and
  // importing it made every render and server parse it at start-up.
  const { WaveFile } = createRequire(import.meta.url)('wavefile') as typeof wavefileModule;
  const wav = new WaveFile(readFileSync(path));
  const fmt = wav.fmt as { numChannels: number; sampleRate: number };
  const samples = wav.getSamples(false, Float64Array) as unknown as Float64Array | Float64Array[];
  const channels = fmt.numChannels === 1 ? [samples as Float64Array] : (samples as Float64Array[]);
  return { sampleRate: fmt.sampleRate, channels, bitDepth: wav.bitDepth };
}
