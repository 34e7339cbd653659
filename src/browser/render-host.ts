// The browser engine's RenderHost, as the AudioWorklet (and the offline render) uses it: MIDI input ports
// (0: the virtual port fed by the page's midi() calls; then one per Web MIDI input the page forwards), and
// WavFileNode recordings held in memory and handed on in chunks (to the main thread, which makes WAV Blobs
// of them). `readFile` (control side only) is given where a file store is at hand: the offline render.
// No Node or DOM APIs.

import type { AudioInputSource, MidiSource, RenderHost, WavWriter } from '../engine/definition.js';
import { SynchrotronError } from '../engine/errors.js';
import type { DataValue } from '../engine/types.js';
import { AudioInputRing } from '../io/audio-input-ring.js';
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
  /**
   * True in the AudioWorklet: the node's input (what the page connects, e.g. engine.useMicrophone()) feeds
   * AudioInputNodes. False in the offline render, where AudioInputNode warns and plays silence.
   */
  liveInput?: boolean;
}

/** What PlaybackNode shows as its device. */
export const BROWSER_DEVICE_NAME = 'browser (Web Audio)';

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
  private readonly liveInput: boolean;
  /** The worklet's input, made when the first AudioInputNode opens it. */
  private input: AudioInputRing | null = null;

  constructor(options: BrowserRenderHostOptions) {
    this.post = options.post;
    this.maxRecordingFrames = options.maxRecordingFrames;
    this.setMidiPorts(options.midiPorts);
    if (options.readFile) this.readFile = options.readFile;
    this.liveInput = options.liveInput ?? false;
  }

  // ------------------------------------------------------------------------------- audio input

  /**
   * Render side: a reader of the engine node's input, at most one engine block behind it. `device` is not chosen
   * here: the page decides what it connects to the node (engine.useMicrophone() picks the device).
   */
  openAudioInput(
    _device: DataValue,
    options: { sampleRate: number; blockSize: number },
  ): AudioInputSource | string {
    if (!this.liveInput) return 'live input is not available in an offline render: silence';
    this.input ??= new AudioInputRing(options.sampleRate);
    return this.input.reader(options.blockSize, options.blockSize + 256);
  }

  /** Render side, each render quantum before it renders: the node's input channels (none connected: none). */
  writeInput(left: Float32Array | undefined, right: Float32Array | undefined, frames: number): void {
    if (!this.input || this.input.readerCount === 0 || !left) return;
    this.input.write(left, right ?? null, frames);
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
