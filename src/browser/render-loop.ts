// The render side of the browser engine, as the AudioWorklet runs it (worklet.ts is only the glue): the
// same Renderer, nodes and WebAssembly kernels as the server's render worker, built from the op batches the
// main thread posts, rendered block by block into the worklet's render quanta (128 frames in today's
// browsers). An engine block size other than the quantum is buffered: larger blocks are rendered whole and
// played out over several quanta, smaller ones several to a quantum. Plain TypeScript: no Node or DOM APIs,
// so tests run this class in Node.
//
// Thread: everything here runs on the audio rendering thread. `handle` runs between quanta (message events),
// `process` once per quantum; neither blocks. Steady-state processing allocates nothing; recordings and
// reports allocate their messages at their own bounded rates.

import { NodeRegistry } from '../engine/registry.js';
import { type RenderEvent, Renderer } from '../engine/renderer.js';
import { Taps } from '../engine/taps.js';
import type { PortRef } from '../engine/types.js';
import { wasmKernelsAvailable } from '../engine/wasm/kernels.js';
import { MasterLimiter } from '../io/limiter.js';
import { builtinNodes } from '../nodes/index.js';
import type { FromWorklet, ToWorklet, WorkletConfig } from './messages.js';
import { BrowserRenderHost } from './render-host.js';

/** Seconds of audio between status reports, taps reports and debug-value flushes. */
const STATUS_SECONDS = 0.25;
const TAPS_SECONDS = 0.04; // 25 reports a second
const DEBUG_SECONDS = 0.05; // at most 20 debug values a second per node
/** Seconds of master audio per recorded chunk sent to the main thread. */
const RECORD_CHUNK_SECONDS = 0.25;

type Post = (message: FromWorklet, transfer?: ArrayBuffer[]) => void;

export interface RenderLoopOptions {
  config: WorkletConfig;
  /** The AudioContext's rate, in Hz. */
  sampleRate: number;
  post: Post;
  /** Node types (the built-ins by default). */
  registry?: NodeRegistry;
}

interface MasterRecording {
  left: Float32Array;
  right: Float32Array;
  used: number;
  /** Context frame of the chunk's first sample. */
  contextFrame: number;
}

export class WorkletRenderLoop {
  readonly renderer: Renderer;
  readonly host: BrowserRenderHost;
  readonly sampleRate: number;
  readonly blockSize: number;
  private readonly post: Post;
  private readonly limiter: MasterLimiter | null;
  private readonly taps = new Taps();
  private running: boolean;
  private disposed = false;
  /** Frames of the current block already played out; blockSize when none is left. */
  private offset: number;
  /** Context frame at which the next quantum starts. */
  private nextContextFrame = 0;
  /** Batches received but not yet rendered: their ids and the context frame at which each arrived. */
  private pendingIds: number[] = [];
  private pendingReceived: number[] = [];
  private readonly statusFrames: number;
  private readonly tapsFrames: number;
  private readonly debugFrames: number;
  private sinceStatus = 0;
  private sinceTaps = 0;
  private sinceDebug = 0;
  private readonly debugValues = new Map<string, unknown>();
  private recording: MasterRecording | null = null;
  /** Made once: a closure per block would allocate on the render path. */
  private readonly streamOutput = (ref: PortRef) => this.renderer.streamOutput(ref);

  constructor(options: RenderLoopOptions) {
    const { config, sampleRate } = options;
    this.post = options.post;
    this.sampleRate = sampleRate;
    this.blockSize = config.blockSize;
    this.host = new BrowserRenderHost({
      post: options.post,
      midiPorts: config.midiPorts,
      maxRecordingFrames: config.maxRecordingFrames,
      liveInput: true,
    });
    this.renderer = new Renderer({
      sampleRate,
      blockSize: config.blockSize,
      registry: options.registry ?? new NodeRegistry(builtinNodes),
      host: this.host,
      onEvent: (event) => this.onRenderEvent(event),
    });
    this.limiter = config.limiter ? new MasterLimiter(sampleRate) : null;
    this.offset = this.blockSize;
    this.statusFrames = Math.round(STATUS_SECONDS * sampleRate);
    this.tapsFrames = Math.round(TAPS_SECONDS * sampleRate);
    this.debugFrames = Math.round(DEBUG_SECONDS * sampleRate);
    this.running = config.running;
    if (this.running) this.renderer.start();
    this.post({ kind: 'ready', sampleRate, blockSize: this.blockSize, wasm: wasmKernelsAvailable() });
  }

  get isDisposed(): boolean {
    return this.disposed;
  }

  /** A message from the main thread (between quanta). */
  handle(message: ToWorklet): void {
    if (this.disposed) return;
    switch (message.kind) {
      case 'ops':
        this.renderer.enqueue(message.ops);
        this.pendingIds.push(message.id);
        this.pendingReceived.push(this.nextContextFrame);
        // Stopped: apply now, so edits do not pile up and scopes see the new graph.
        if (!this.running) this.renderer.order();
        break;
      case 'transport':
        this.running = message.running;
        if (message.running) this.renderer.start();
        else this.renderer.stop();
        this.reportStatus();
        break;
      case 'midi': {
        const error = this.host.pushMidi(message.port, message.data, message.time, message.sender);
        if (error)
          this.post({ kind: 'event', event: { kind: 'warning', node: '', message: `MIDI: ${error}` } });
        break;
      }
      case 'midiPorts':
        this.host.setMidiPorts(message.names);
        break;
      case 'watch':
        this.taps.watch(message.ports, message.spectrum, message.master);
        break;
      case 'record':
        this.setRecording(message.enabled);
        break;
      case 'dispose':
        this.dispose();
        break;
    }
  }

  /**
   * One render quantum: fills `frames` frames of `left` and `right` (the node's output channels) with the
   * master, rendering engine blocks as they are needed. `contextFrame` is the quantum's first frame in the
   * AudioContext's timeline (the worklet scope's `currentFrame`). `inputLeft`/`inputRight` are the node's
   * input channels this quantum (absent when nothing is connected): AudioInputNodes read them.
   */
  process(
    left: Float32Array,
    right: Float32Array,
    frames: number,
    contextFrame: number,
    inputLeft?: Float32Array,
    inputRight?: Float32Array,
  ): void {
    if (this.disposed) {
      left.fill(0);
      right.fill(0);
      return;
    }
    this.host.writeInput(inputLeft, inputRight, frames);
    const blockSize = this.blockSize;
    const master = this.renderer.master;
    let written = 0;
    while (written < frames) {
      if (this.offset >= blockSize) {
        this.renderOne(contextFrame + written);
        this.offset = 0;
      }
      const n = Math.min(blockSize - this.offset, frames - written);
      const from = this.offset;
      const masterLeft = master.left;
      const masterRight = master.right;
      for (let i = 0; i < n; i++) {
        left[written + i] = masterLeft[from + i];
        right[written + i] = masterRight[from + i];
      }
      this.offset += n;
      written += n;
    }
    this.nextContextFrame = contextFrame + frames;
    if (this.recording) this.record(left, right, frames, contextFrame);
    this.sinceStatus += frames;
    if (this.sinceStatus >= this.statusFrames) this.reportStatus();
    if (this.taps.active) {
      this.sinceTaps += frames;
      if (this.sinceTaps >= this.tapsFrames) {
        this.sinceTaps = 0;
        this.post({ kind: 'taps', report: this.taps.report() });
      }
    }
    if (this.debugValues.size > 0) {
      this.sinceDebug += frames;
      if (this.sinceDebug >= this.debugFrames) this.flushDebug();
    }
  }

  private renderOne(contextFrame: number): void {
    const frames = this.blockSize;
    const { left, right } = this.renderer.master;
    if (this.pendingIds.length > 0 && this.running) {
      // These batches are rendered from the start of this block (renderBlock applies queued edits first).
      // Stopped, they were applied on arrival but nothing renders: they are acknowledged once something
      // does, so an acknowledged MidiInputNode has opened its port and a note sent then is not lost.
      this.post({
        kind: 'applied',
        ids: this.pendingIds,
        received: this.pendingReceived,
        frame: this.renderer.clock.frames,
        contextFrame,
      });
      this.pendingIds = [];
      this.pendingReceived = [];
    }
    if (this.running) {
      try {
        this.renderer.renderBlock();
      } catch (error) {
        // The renderer isolates node faults itself; this is a last line of defence for the loop.
        left.fill(0);
        right.fill(0);
        this.onRenderEvent({ kind: 'warning', node: '', message: `render error: ${messageOf(error)}` });
      }
      this.limiter?.process(left, right, frames);
    } else {
      left.fill(0);
      right.fill(0);
    }
    if (this.taps.active) this.taps.afterBlock(this.streamOutput, left, right, frames);
  }

  private reportStatus(): void {
    this.sinceStatus = 0;
    this.post({
      kind: 'status',
      status: {
        running: this.running,
        clock: this.renderer.clock.frames,
        contextFrame: this.nextContextFrame,
      },
    });
  }

  private onRenderEvent(event: RenderEvent): void {
    if (event.kind === 'debug') {
      // Only the latest value per node, at most every DEBUG_SECONDS of audio (no timers in a worklet).
      this.debugValues.set(event.node, plain(event.value));
      return;
    }
    this.post({ kind: 'event', event });
  }

  private flushDebug(): void {
    this.sinceDebug = 0;
    for (const [node, value] of this.debugValues)
      this.post({ kind: 'event', event: { kind: 'debug', node, value } });
    this.debugValues.clear();
  }

  // ------------------------------------------------------------------------------- master recording

  private setRecording(enabled: boolean): void {
    if (enabled && !this.recording) {
      this.recording = this.newRecordingChunk(this.nextContextFrame);
    } else if (!enabled && this.recording) {
      const chunk = this.recording;
      this.recording = null;
      this.sendRecording(chunk, true);
    }
  }

  private newRecordingChunk(contextFrame: number): MasterRecording {
    const frames = Math.max(128, Math.round(RECORD_CHUNK_SECONDS * this.sampleRate));
    return { left: new Float32Array(frames), right: new Float32Array(frames), used: 0, contextFrame };
  }

  private record(left: Float32Array, right: Float32Array, frames: number, contextFrame: number): void {
    let chunk = this.recording!;
    for (let i = 0; i < frames; i++) {
      if (chunk.used === chunk.left.length) {
        this.sendRecording(chunk, false);
        chunk = this.recording = this.newRecordingChunk(contextFrame + i);
      }
      chunk.left[chunk.used] = left[i];
      chunk.right[chunk.used] = right[i];
      chunk.used++;
    }
  }

  private sendRecording(chunk: MasterRecording, done: boolean): void {
    const full = chunk.used === chunk.left.length;
    const left = full ? chunk.left : chunk.left.slice(0, chunk.used);
    const right = full ? chunk.right : chunk.right.slice(0, chunk.used);
    this.post({ kind: 'recorded', left, right, frames: chunk.used, contextFrame: chunk.contextFrame, done }, [
      left.buffer as ArrayBuffer,
      right.buffer as ArrayBuffer,
    ]);
  }

  // ------------------------------------------------------------------------------- shutdown

  private dispose(): void {
    if (this.disposed) return;
    this.setRecording(false);
    try {
      this.renderer.dispose(); // stops the transport: WavFileNodes finish their recordings
    } catch (error) {
      this.post({
        kind: 'event',
        event: { kind: 'warning', node: '', message: `shutdown: ${messageOf(error)}` },
      });
    }
    this.host.closeAll();
    this.flushDebug();
    this.disposed = true;
    this.post({ kind: 'disposed' });
  }
}

/** A debug value as plain data (a stream block arrives as a Float32Array view that will change). */
function plain(value: unknown): unknown {
  if (ArrayBuffer.isView(value)) return Array.from(value as Float32Array);
  return value;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
