// The browser engine's RenderHost, as the AudioWorklet (and the offline render) uses it: MIDI input ports
// (0: the virtual port fed by the page's midi() calls; then one per Web MIDI input the page forwards), and
// WavFileNode recordings held in memory and handed on in chunks (to the main thread, which makes WAV Blobs
// of them). `readFile` (control side only) is given where a file store is at hand: the offline render.
// No Node or DOM APIs.

import type { AudioInputSource, MidiSource, RenderHost, WavWriter } from '../engine/definition.js';
import { SynchrotronError } from '../engine/errors.js';
import { OpenPort, VirtualMidiInput } from '../io/virtual-midi.js';
import { normalizeFileName } from './file-names.js';
import type { FromWorklet } from './messages.js';

export interface BrowserRenderHostOptions {
  /** Receives recordings' chunks (`wav` messages), with their buffers to transfer. */
  post: Post;
  /** MIDI input port names: 0 is the virtual port. */
  midiPorts: string[];
  /** Most frames one recording holds before it stops. */
  maxRecordingFrames: number;
  /** Control side: files for nodes' `prepare` (absent in the worklet, where nothing reads files). */
  readFile?(path: string, options?: { maxBytes?: number }): Promise<Uint8Array>;
}

/** What PlaybackNode shows as its device. */
export const BROWSER_DEVICE_NAME = 'browser (Web Audio)';
/** What AudioInputNode shows: whatever the page connects to the engine's node (engine.connectMicrophone()). */
export const BROWSER_INPUT_NAME = 'browser input';

type Post = (message: FromWorklet, transfer?: ArrayBuffer[]) => void;

export class BrowserRenderHost implements RenderHost {
  readonly deviceName = BROWSER_DEVICE_NAME;
  private readonly post: Post;
  private readonly maxRecordingFrames: number;
  /** One input per port number; 0 is the virtual port. */
  private readonly inputs: VirtualMidiInput[] = [];
  private names: string[] = [];
  private nextWavId = 1;
  private readonly openWriters = new Set<MemoryWavWriter>();

  readonly readFile?: (path: string, options?: { maxBytes?: number }) => Promise<Uint8Array>;

  constructor(options: BrowserRenderHostOptions) {
    this.post = options.post;
    this.maxRecordingFrames = options.maxRecordingFrames;
    this.setMidiPorts(options.midiPorts);
    if (options.readFile) this.readFile = options.readFile;
  }

  // ------------------------------------------------------------------------------- MIDI

  midiPorts(): string[] {
    return [...this.names];
  }

  /** The page's list of MIDI inputs changed; ports keep their numbers (the page only appends). */
  setMidiPorts(names: string[]): void {
    this.names = [...names];
    while (this.inputs.length < Math.max(1, names.length)) this.inputs.push(new VirtualMidiInput());
  }

  openMidiInput(index: number, options?: { sampleRate: number }): MidiSource | null {
    if (!Number.isInteger(index) || index < 0 || index >= this.names.length) return null;
    const input = this.inputs[index];
    const port = new OpenPort(options?.sampleRate ?? 44100, 0, (closed) => input.listeners.delete(closed));
    input.listeners.add(port);
    return port;
  }

  /** Between blocks: MIDI bytes for port `port`. Returns why they were refused, if they were. */
  pushMidi(port: number, data: number[], time: number | undefined, sender: string): string | undefined {
    const input = this.inputs[port];
    if (!input) return `no MIDI input port ${port}`;
    return input.push(data, time, sender).error;
  }

  // ------------------------------------------------------------------------------- audio input

  /** The page's audio input (what is connected to the engine's node: the microphone), kept in a ring. */
  private readonly input = new InputRing(INPUT_RING_FRAMES);

  /** Each quantum, before rendering: the node's input channels (`right` = `left` for mono). */
  pushAudioInput(left: Float32Array, right: Float32Array, frames: number): void {
    this.input.push(left, right, frames);
  }

  openAudioInput(): AudioInputSource {
    const ring = this.input;
    ring.readers++;
    let open = true;
    return {
      name: BROWSER_INPUT_NAME,
      read: (left, right, frames) => ring.read(left, right, frames),
      close: () => {
        if (open) ring.readers--;
        open = false;
      },
    };
  }

  // ------------------------------------------------------------------------------- recordings

  openWav(path: string, sampleRate: number): WavWriter {
    const name = normalizeFileName(path);
    const writer = new MemoryWavWriter({
      path: name,
      id: this.nextWavId++,
      sampleRate,
      maxFrames: this.maxRecordingFrames,
      post: this.post,
      onClose: (closed) => this.openWriters.delete(closed),
    });
    this.openWriters.add(writer);
    return writer;
  }

  /** Shutdown: every open recording is finished (nodes normally close theirs on stop). */
  closeAll(): void {
    for (const writer of [...this.openWriters]) writer.close();
  }
}

/** Seconds of audio per chunk a recording posts to the main thread. */
const CHUNK_SECONDS = 1;

/** A mono float32 recording in memory: full chunks go to the main thread (transferred), the rest on close. */
class MemoryWavWriter implements WavWriter {
  readonly path: string;
  private readonly id: number;
  private readonly sampleRate: number;
  private readonly maxFrames: number;
  private readonly post: Post;
  private readonly onClose: (writer: MemoryWavWriter) => void;
  private chunk: Float32Array;
  private used = 0;
  private frames = 0;
  private closed = false;

  constructor(options: {
    path: string;
    id: number;
    sampleRate: number;
    maxFrames: number;
    post: Post;
    onClose: (writer: MemoryWavWriter) => void;
  }) {
    this.path = options.path;
    this.id = options.id;
    this.sampleRate = Math.round(options.sampleRate);
    this.maxFrames = options.maxFrames;
    this.post = options.post;
    this.onClose = options.onClose;
    this.chunk = new Float32Array(Math.max(1, Math.round(CHUNK_SECONDS * this.sampleRate)));
  }

  /** Render side. Throws (the node then stops recording and says why) past the memory limit. */
  write(samples: Float32Array, frames: number): void {
    if (this.closed) throw new SynchrotronError('io', `\`${this.path}\` is closed`);
    if (this.frames + frames > this.maxFrames) {
      throw new SynchrotronError(
        'io',
        `the recording reached the limit of ${Math.round(this.maxFrames / this.sampleRate)} s held in the page's memory`,
      );
    }
    let chunk = this.chunk;
    for (let i = 0; i < frames; i++) {
      chunk[this.used++] = samples[i];
      if (this.used === chunk.length) {
        this.send(chunk, false);
        chunk = this.chunk = new Float32Array(chunk.length);
        this.used = 0;
      }
    }
    this.frames += frames;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.send(this.chunk.slice(0, this.used), true);
    this.used = 0;
    this.onClose(this);
  }

  private send(samples: Float32Array, done: boolean): void {
    this.post({ kind: 'wav', id: this.id, path: this.path, sampleRate: this.sampleRate, samples, done }, [
      samples.buffer as ArrayBuffer,
    ]);
  }
}

/** Frames of input kept: far more than a block (4096 frames at most) plus a quantum. */
const INPUT_RING_FRAMES = 16384;

/**
 * The engine node's input, written a quantum at a time and read a block at a time. Reads follow on from
 * each other; a read that finds fewer frames than it needs plays silence for the missing (oldest) part,
 * and one that finds far more (nobody read for a while) skips to the newest, so the input is never late.
 */
class InputRing {
  private readonly left: Float32Array;
  private readonly right: Float32Array;
  private readonly size: number;
  /** Frames written and read since the start (float64: exact for centuries of audio). */
  private readonly counts = new Float64Array(2);
  /** AudioInputNodes reading: nothing is kept while there are none. */
  readers = 0;

  constructor(size: number) {
    this.size = size;
    this.left = new Float32Array(size);
    this.right = new Float32Array(size);
  }

  push(left: Float32Array, right: Float32Array, frames: number): void {
    if (this.readers === 0) return;
    const size = this.size;
    let at = this.counts[0] % size;
    for (let i = 0; i < frames; i++) {
      this.left[at] = left[i];
      this.right[at] = right[i];
      at = at + 1 === size ? 0 : at + 1;
    }
    this.counts[0] += frames;
  }

  read(left: Float32Array, right: Float32Array, frames: number): void {
    const written = this.counts[0];
    let from = this.counts[1];
    // Far behind (no reader for a while, a block's worth and a quantum to spare): start at the newest.
    if (written - from > frames + 128) from = written - frames;
    const available = written - from;
    const missing = available < frames ? frames - available : 0;
    for (let i = 0; i < missing; i++) {
      left[i] = 0;
      right[i] = 0;
    }
    const size = this.size;
    let at = from % size;
    for (let i = missing; i < frames; i++) {
      left[i] = this.left[at];
      right[i] = this.right[at];
      at = at + 1 === size ? 0 : at + 1;
    }
    this.counts[1] = from + frames - missing;
  }
}
