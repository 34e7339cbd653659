// The server's render thread (node:worker_threads). It keeps its own Renderer, built from the GraphOp
// batches the main thread posts, renders ahead of the audio output's clock, limits the master, and
// sends back render events, status, taps and (for listening browsers) the PCM of the master.

import { parentPort, workerData } from 'node:worker_threads';
import { type RenderEvent, Renderer } from '../engine/renderer.js';
import { createRegistry } from '../engine/synchrotron.js';
import { Taps } from '../engine/taps.js';
import { type AudioOutput, DeviceOutput, NullOutput, probablyHasAudioDevice } from '../io/audio-output.js';
import { MasterLimiter } from '../io/limiter.js';
import { createNodeHost } from '../io/node-host.js';
import { oscDestinationProblem } from '../io/security.js';
import { FrameClock } from './frame-clock.js';
import type { FromWorker, ToWorker, WorkerConfig } from './worker-messages.js';

const STATUS_INTERVAL_MS = 250;
const TAP_INTERVAL_MS = 40; // 25 updates/s
const DEBUG_INTERVAL_MS = 50; // at most 20 debug values/s per node
/** Frames of master PCM per /ws/audio message (≈ 23 ms at 44.1 kHz). */
const STREAM_CHUNK_FRAMES = 1024;

type NodeHost = ReturnType<typeof createNodeHost>;
/** Messages that keep their order with edits, and may be scheduled (`at`). */
type Ordered = Extract<ToWorker, { kind: 'ops' | 'transport' | 'midi' | 'osc' }>;

const port = parentPort!;
const config = workerData as WorkerConfig;

function post(message: FromWorker, transfer?: ArrayBuffer[]): void {
  port.postMessage(message, transfer ?? []);
}

/** A device's clock advances in bursts of its own buffer size; schedule further ahead than the bare clock. */
function deviceLatency(): number {
  return Math.max(config.latency, 0.1);
}

async function openOutput(): Promise<{ output: AudioOutput; fallback?: string }> {
  if (config.audio === 'none') return { output: new NullOutput(config.sampleRate) };
  if (config.audio === 'auto' && !probablyHasAudioDevice()) {
    return { output: new NullOutput(config.sampleRate), fallback: 'no sound card found on this machine' };
  }
  try {
    const output = await DeviceOutput.open(config.sampleRate, {
      sinkId: config.sinkId,
      latency: deviceLatency(),
    });
    return { output };
  } catch (error) {
    if (config.audio === 'device') throw error;
    const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
    const reason = cause instanceof Error ? cause.message : String(cause);
    return { output: new NullOutput(config.sampleRate), fallback: reason };
  }
}

class RenderLoop {
  private readonly renderer: Renderer;
  private readonly output: AudioOutput;
  private readonly limiter: MasterLimiter;
  private readonly taps = new Taps(config.sampleRate);
  private readonly host: NodeHost;
  /** Wall clock ↔ engine frames, for scheduled messages and MIDI out times. */
  private readonly frameClock: FrameClock;
  /** Ordered messages waiting for their frame (or behind one that waits), oldest first. */
  private readonly deferred: Ordered[] = [];
  /** Scheduled messages applied after their frame had been rendered, since the last report. */
  private lateCount = 0;
  private lateWorstMs = 0;
  private readonly blockFrames: number;
  private readonly latencyFrames: number;
  private readonly blockMs: number;
  /** Output frames produced so far. */
  private written = 0;
  private primed = false;
  private running = true;
  private underruns = 0;
  private disposed = false;
  private timer: NodeJS.Timeout | undefined;
  // CPU load over the last second, in four quarter-second windows.
  private renderMs = [0, 0, 0, 0];
  private blocks = [0, 0, 0, 0];
  private window = 0;
  private lastStatus = performance.now();
  private lastTaps = performance.now();
  // Listening browsers.
  private streaming = false;
  private streamChunk = new Float32Array(STREAM_CHUNK_FRAMES * 2);
  private streamFrames = 0;
  private sequence = 0;
  // Latest debug value per node, flushed at most every DEBUG_INTERVAL_MS.
  private debugValues = new Map<string, unknown>();
  private debugTimer: NodeJS.Timeout | undefined;

  constructor(host: NodeHost, output: AudioOutput) {
    this.host = host;
    this.output = output;
    this.frameClock = new FrameClock(config.sampleRate);
    // Hardware MIDI outputs send each message when its frame plays (on this thread's performance clock).
    host.setMidiFrameTime((frame) =>
      this.frameClock.anchored ? this.frameClock.timeOf(frame) - performance.timeOrigin : undefined,
    );
    this.renderer = new Renderer({
      sampleRate: config.sampleRate,
      blockSize: config.blockSize,
      registry: createRegistry(),
      host,
      onEvent: (event) => this.onRenderEvent(event),
    });
    this.limiter = new MasterLimiter(config.sampleRate);
    this.blockFrames = config.blockSize;
    this.blockMs = (config.blockSize / config.sampleRate) * 1000;
    const latency = output instanceof DeviceOutput ? deviceLatency() : config.latency;
    this.latencyFrames = Math.max(2 * config.blockSize, Math.round(latency * config.sampleRate));
    this.running = config.running ?? true;
    if (this.running) this.renderer.start();
  }

  start(): void {
    this.tick();
  }

  handle(message: ToWorker): void {
    switch (message.kind) {
      case 'ops':
      case 'transport':
      case 'midi':
      case 'osc':
        if (message.at !== undefined || this.deferred.length > 0) {
          this.deferred.push(message);
          if (!this.running) this.releaseByWallClock();
        } else {
          this.apply(message, undefined);
        }
        break;
      case 'watch':
        this.taps.watch(message.ports, message.spectrum, message.master, message.views);
        break;
      case 'stream':
        this.streaming = message.enabled;
        this.streamFrames = 0;
        break;
      case 'dispose':
        void this.dispose();
        break;
    }
  }

  /**
   * Applies an ordered message. `frame` is the engine frame a scheduled one belongs to: MIDI and OSC values
   * land on it; edits and transport apply at the start of its block (this one).
   */
  private apply(message: Ordered, frame: number | undefined): void {
    switch (message.kind) {
      case 'ops':
        this.renderer.enqueue(message.ops);
        // Stopped: apply now, so edits do not pile up and scopes see the new graph.
        if (!this.running) this.renderer.order();
        break;
      case 'transport':
        if (this.running !== message.running) this.frameClock.reset();
        this.running = message.running;
        if (message.running) this.renderer.start();
        else this.renderer.stop();
        break;
      case 'midi':
        if (frame !== undefined) this.host.virtualMidi.pushAtFrame(message.data, frame);
        else this.host.virtualMidi.push(message.data, message.time);
        break;
      case 'osc':
        this.host.oscIn.deliver(message.address, message.value, message.number, frame);
        break;
    }
  }

  /** The engine frame the output plays now (fractional), while running. */
  private playingFrame(): number {
    return this.renderer.clock.frames - (this.written - this.output.position());
  }

  /** Running, before a block: applies what is due by the block's end (at their frames), oldest first. */
  private releaseByFrame(): void {
    const blockStart = this.renderer.clock.frames;
    while (this.deferred.length > 0 && this.running) {
      const message = this.deferred[0];
      let frame: number | undefined;
      if (message.at !== undefined) {
        if (!this.frameClock.anchored) this.frameClock.observe(FrameClock.now(), this.playingFrame());
        frame = Math.round(this.frameClock.frameAt(message.at));
        if (frame >= blockStart + this.blockFrames) return; // later: it and everything behind it wait
        if (frame < blockStart) {
          this.lateCount++;
          this.lateWorstMs = Math.max(this.lateWorstMs, ((blockStart - frame) / config.sampleRate) * 1000);
        }
      }
      this.deferred.shift();
      this.apply(message, frame);
    }
  }

  /** Stopped (no frames advance): scheduled messages apply when their wall time comes. */
  private releaseByWallClock(): void {
    const now = FrameClock.now();
    while (this.deferred.length > 0 && !this.running) {
      const message = this.deferred[0];
      if (message.at !== undefined && message.at > now) return;
      this.deferred.shift();
      this.apply(message, undefined);
    }
    if (this.running) this.releaseByFrame();
  }

  private tick = (): void => {
    if (this.disposed) return;
    if (this.running && this.primed) this.frameClock.observe(FrameClock.now(), this.playingFrame());
    else if (!this.running) this.releaseByWallClock();
    const now = this.output.position();
    if (!this.primed) {
      // Start-up (worker boot, first compile) is not an underrun: begin at the output's position.
      this.primed = true;
      this.written = Math.ceil(now);
    } else if (now > this.written) {
      // The output consumed frames that were not rendered in time: it played silence there.
      this.underruns += Math.ceil((now - this.written) / this.blockFrames);
      this.written = Math.ceil(now);
    }
    const target = now + this.latencyFrames;
    while (this.written < target) this.renderOne();
    this.output.flush();
    this.afterRender();
    const time = performance.now();
    if (time - this.lastStatus >= STATUS_INTERVAL_MS) {
      this.lastStatus = time;
      this.window = (this.window + 1) % 4;
      post({ kind: 'status', status: this.status() });
      this.renderMs[this.window] = 0;
      this.blocks[this.window] = 0;
    }
    if (this.taps.active && time - this.lastTaps >= TAP_INTERVAL_MS) {
      this.lastTaps = time;
      post({ kind: 'taps', report: this.taps.report() });
    }
    // Wake about four times per lookahead; never busy-wait.
    this.timer = setTimeout(
      this.tick,
      Math.max(1, Math.min(10, (this.latencyFrames / config.sampleRate) * 250)),
    );
  };

  /** What the blocks just rendered sent out: the virtual MIDI output to clients, hardware MIDI, OSC. */
  private afterRender(): void {
    const host = this.host;
    const { messages, dropped } = host.virtualMidiOut.drain();
    if (messages.length > 0 || dropped > 0) {
      const clock = this.frameClock;
      post({
        kind: 'midiOut',
        messages: clock.anchored
          ? messages.map((m) => ({ ...m, time: Math.round(clock.timeOf(m.frame) * 1000) / 1000 }))
          : messages,
        dropped,
      });
    }
    host.pumpMidiOutputs();
    host.flushOsc();
    if (this.lateCount > 0) {
      post({ kind: 'late', count: this.lateCount, worstMs: Math.round(this.lateWorstMs * 10) / 10 });
      this.lateCount = 0;
      this.lateWorstMs = 0;
    }
  }

  private renderOne(): void {
    const frames = this.blockFrames;
    const { left, right } = this.renderer.master;
    if (this.running && this.deferred.length > 0) this.releaseByFrame();
    if (this.running) {
      const begin = performance.now();
      try {
        this.renderer.renderBlock();
      } catch (error) {
        // The renderer isolates node faults itself; this is a last line of defence for the loop.
        left.fill(0);
        right.fill(0);
        this.onRenderEvent({
          kind: 'warning',
          node: '',
          message: `render error: ${error instanceof Error ? error.message : String(error)}`,
        });
      }
      this.renderMs[this.window] += performance.now() - begin;
      this.limiter.process(left, right, frames);
    } else {
      left.fill(0);
      right.fill(0);
    }
    this.blocks[this.window]++;
    this.output.write(left, right, frames, this.written);
    this.written += frames;
    if (this.taps.active) this.taps.afterBlock((ref) => this.renderer.streamOutput(ref), left, right, frames);
    if (this.streaming) this.stream(left, right, frames);
  }

  private stream(left: Float32Array, right: Float32Array, frames: number): void {
    let chunk = this.streamChunk;
    for (let i = 0; i < frames; i++) {
      chunk[2 * this.streamFrames] = left[i];
      chunk[2 * this.streamFrames + 1] = right[i];
      if (++this.streamFrames === STREAM_CHUNK_FRAMES) {
        post({ kind: 'audio', sequence: this.sequence++, frames: STREAM_CHUNK_FRAMES, pcm: chunk }, [
          chunk.buffer as ArrayBuffer,
        ]);
        chunk = this.streamChunk = new Float32Array(STREAM_CHUNK_FRAMES * 2);
        this.streamFrames = 0;
      }
    }
  }

  private status() {
    const renderMs = this.renderMs.reduce((a, b) => a + b, 0);
    const blocks = this.blocks.reduce((a, b) => a + b, 0);
    return {
      running: this.running,
      clock: this.renderer.clock.frames,
      cpuLoad: blocks > 0 ? Math.round((renderMs / (blocks * this.blockMs)) * 1e4) / 1e4 : 0,
      underruns: this.underruns,
      audio: this.output.name,
    };
  }

  private onRenderEvent(event: RenderEvent): void {
    if (event.kind === 'debug') {
      this.debugValues.set(event.node, plain(event.value));
      this.debugTimer ??= setTimeout(() => {
        this.debugTimer = undefined;
        for (const [node, value] of this.debugValues)
          post({ kind: 'event', event: { kind: 'debug', node, value } });
        this.debugValues.clear();
      }, DEBUG_INTERVAL_MS);
      return;
    }
    post({ kind: 'event', event });
  }

  private async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    clearTimeout(this.timer);
    clearTimeout(this.debugTimer);
    try {
      this.renderer.dispose(); // stops the transport: WAV files are closed validly
    } catch (error) {
      post({ kind: 'event', event: { kind: 'warning', node: '', message: `shutdown: ${String(error)}` } });
    }
    try {
      this.host.closeMidi();
      this.host.closeOsc();
    } catch {
      // ports that vanished are closed already
    }
    try {
      await this.output.close();
    } catch {
      // The device is going away anyway.
    }
    post({ kind: 'disposed' });
  }
}

/** A debug value as plain JSON data (a stream block arrives as a Float32Array view that will change). */
function plain(value: unknown): unknown {
  if (ArrayBuffer.isView(value)) return Array.from(value as Float32Array);
  return value;
}

async function main(): Promise<void> {
  let opened: { output: AudioOutput; fallback?: string };
  try {
    opened = await openOutput();
  } catch (error) {
    post({ kind: 'failed', message: error instanceof Error ? error.message : String(error) });
    return;
  }
  // Files confined to root, MIDI ports (the virtual one fed by POST /midi and the WebSocket), OSC (node
  // addresses fed by the OSC server; OscSendNode to where the security rules allow).
  const widened = config.oscSend === 'any';
  const host = createNodeHost({
    root: config.root,
    deviceName: opened.output.name,
    osc: { destination: (name) => oscDestinationProblem(name, widened) },
    limits: config.limits,
    reserved: config.reservedPaths,
    audioInput: true,
  });
  const loop = new RenderLoop(host, opened.output);
  port.on('message', (message: ToWorker) => loop.handle(message));
  let midiPorts: string[] = [];
  let midiOutputPorts: string[] = [];
  try {
    midiPorts = host.midiPorts();
    midiOutputPorts = host.midiOutputPorts();
  } catch {
    // no MIDI library: the virtual port only, as the node itself will say
  }
  post({ kind: 'ready', audio: opened.output.name, fallback: opened.fallback, midiPorts, midiOutputPorts });
  loop.start();
}

void main();
