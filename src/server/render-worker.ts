// The server's render thread (node:worker_threads). It keeps its own Renderer, built from the GraphOp
// batches the main thread posts, renders ahead of the audio output's clock, limits the master, and
// sends back render events, status, taps and (for listening browsers) the PCM of the master.

import { readlinkSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import type { NodeRegistry } from '../engine/registry.js';
import { type RenderEvent, Renderer } from '../engine/renderer.js';
import { Taps } from '../engine/taps.js';
import { type AudioOutput, DeviceOutput, NullOutput, probablyHasAudioDevice } from '../io/audio-output.js';
import { MasterLimiter } from '../io/limiter.js';
import { decodeKernelsNatively } from '../io/native-hex.js';
import { createNodeHost, type NodeRenderHost } from '../io/node-host.js';
import { ThreadedRenderer } from '../io/render-threads.js';
import { oscDestinationProblem } from '../io/security.js';
import { createRegistry } from '../synchrotron.js';
import { FrameClock } from './frame-clock.js';
import { registerNodeModules } from './node-modules.js';
import {
  type FromWorker,
  HEARTBEAT,
  PHASE_APPLYING,
  type ToWorker,
  type WorkerConfig,
} from './worker-messages.js';

const STATUS_INTERVAL_MS = 250;
/**
 * Render-ahead adapts (see adaptLatency): after an underrun it grows by half, or to cover twice the
 * shortfall; a wake-up with less than NEAR_MISS of it left grows it by a quarter; after CALM_MS without
 * either it shrinks by SHRINK every SHRINK_EVERY_MS, back towards the configured latency.
 */
const GROWTH = 1.5;
const NEAR_MISS = 0.25;
const NEAR_MISS_GROWTH = 1.25;
const CALM_MS = 20_000;
const SHRINK_EVERY_MS = 5_000;
const SHRINK = 0.85;
const TAP_INTERVAL_MS = 40; // 25 updates/s
const DEBUG_INTERVAL_MS = 50; // at most 20 debug values/s per node
/** Frames of master PCM per /ws/audio message (≈ 23 ms at 44.1 kHz). */
const STREAM_CHUNK_FRAMES = 1024;

type NodeHost = NodeRenderHost;
/** Messages that keep their order with edits, and may be scheduled (`at`). */
type Ordered = Extract<ToWorker, { kind: 'ops' | 'transport' | 'midi' | 'osc' }>;

decodeKernelsNatively();
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

/** Now in ms on a clock every thread of the process shares (the supervisor compares heartbeats with it). */
function sharedNow(): number {
  return performance.timeOrigin + performance.now();
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
  /** Render-ahead now (frames), between minLatencyFrames and maxLatencyFrames: it adapts to underruns. */
  private latencyFrames: number;
  private readonly minLatencyFrames: number;
  private readonly maxLatencyFrames: number;
  private lastUnderrun = performance.now();
  private lastShrink = performance.now();
  /** The supervisor's view of this loop (HEARTBEAT slots). */
  private readonly heartbeat: Float64Array;
  /** Takes of a replaced worker wait for their nodes' first block, then become ordinary files. */
  private filesSettled = false;
  /** The first batch of edits (the graph, replayed into a replacement worker) has arrived. */
  private opsReceived = false;
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

  constructor(host: NodeHost, output: AudioOutput, registry: NodeRegistry) {
    this.host = host;
    this.output = output;
    this.frameClock = new FrameClock(config.sampleRate);
    // Hardware MIDI outputs send each message when its frame plays (on this thread's performance clock).
    host.setMidiFrameTime((frame) =>
      this.frameClock.anchored ? this.frameClock.timeOf(frame) - performance.timeOrigin : undefined,
    );
    const rendererOptions = {
      sampleRate: config.sampleRate,
      blockSize: config.blockSize,
      registry,
      host,
      onEvent: (event: RenderEvent) => this.onRenderEvent(event),
    };
    this.renderer =
      config.threads > 1
        ? new ThreadedRenderer({
            ...rendererOptions,
            threads: config.threads,
            eager: true,
            splitVoices: config.splitVoices === true,
          })
        : new Renderer(rendererOptions);
    // A replacement worker's clock goes on from its predecessor's: the clock never goes backwards.
    this.renderer.clock.frames = config.startClock;
    this.heartbeat = new Float64Array(config.heartbeat);
    this.limiter = new MasterLimiter(config.sampleRate);
    this.blockFrames = config.blockSize;
    this.blockMs = (config.blockSize / config.sampleRate) * 1000;
    const latency = output instanceof DeviceOutput ? deviceLatency() : config.latency;
    this.minLatencyFrames = Math.max(2 * config.blockSize, Math.round(latency * config.sampleRate));
    this.maxLatencyFrames = Math.max(
      this.minLatencyFrames,
      Math.round(Math.max(latency, config.maxLatency) * config.sampleRate),
    );
    this.latencyFrames = this.minLatencyFrames;
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
        this.opsReceived = true;
        this.renderer.enqueue(message.ops);
        // Stopped: apply now, so edits do not pile up and scopes see the new graph.
        if (!this.running) this.applyEdits();
        break;
      case 'transport':
        if (this.running !== message.running) this.frameClock.reset();
        this.heartbeat[HEARTBEAT.phase] = PHASE_APPLYING; // start() applies queued edits too
        this.running = message.running;
        if (message.running) this.renderer.start();
        else this.renderer.stop();
        this.heartbeat[HEARTBEAT.phase] = 0;
        this.beat();
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
      const shortfall = now - this.written;
      this.underruns += Math.ceil(shortfall / this.blockFrames);
      this.written = Math.ceil(now);
      this.adaptLatency(shortfall);
    } else this.adaptLatency(now - this.written);
    const target = now + this.latencyFrames;
    while (this.written < target) this.renderOne();
    this.output.flush();
    this.beat();
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
      // On a fixed cadence (25 a second on average however late the ticks come), never in a burst.
      this.lastTaps = Math.max(this.lastTaps + TAP_INTERVAL_MS, time - TAP_INTERVAL_MS);
      post({ kind: 'taps', report: this.taps.report() });
    }
    // Wake about four times per lookahead; never busy-wait.
    this.timer = setTimeout(
      this.tick,
      Math.max(1, Math.min(10, (this.latencyFrames / config.sampleRate) * 250)),
    );
  };

  /**
   * Render-ahead follows the machine. `behind` (frames) is how far the output is past what was rendered
   * when this thread woke: positive is an underrun (the thread did not get the CPU in time — other
   * programs, a heavy graph), so render-ahead grows to cover it twice over; a wake-up with less than a
   * quarter of it left is a near miss and grows it a little, before anything is heard. After CALM_MS
   * without either it shrinks step by step back towards the configured latency, so edits are heard as
   * soon as the machine allows. Always within [configured latency, maxLatency].
   */
  private adaptLatency(behind: number): void {
    const time = performance.now();
    const latency = this.latencyFrames;
    if (behind > 0 || -behind < NEAR_MISS * latency) {
      this.lastUnderrun = time;
      const grown =
        behind > 0
          ? Math.max(latency * GROWTH, latency + 2 * behind + this.blockFrames)
          : latency * NEAR_MISS_GROWTH;
      this.latencyFrames = Math.min(this.maxLatencyFrames, Math.round(grown));
      return;
    }
    if (latency === this.minLatencyFrames) return;
    if (time - this.lastUnderrun < CALM_MS || time - this.lastShrink < SHRINK_EVERY_MS) return;
    this.lastShrink = time;
    this.latencyFrames = Math.max(this.minLatencyFrames, Math.round(latency * SHRINK));
  }

  /** Tells the supervisor this thread is alive (it replaces a worker whose heartbeat stops). */
  private beat(): void {
    this.heartbeat[HEARTBEAT.clock] = this.renderer.clock.frames;
    this.heartbeat[HEARTBEAT.beat] = sharedNow();
  }

  /**
   * Applies queued edits (creating nodes, compiling the plan) apart from rendering, marked in the
   * heartbeat: a graph of thousands of nodes may take longer than a block, which is not a hang.
   */
  private applyEdits(): void {
    if (!this.renderer.hasPending) return;
    this.heartbeat[HEARTBEAT.phase] = PHASE_APPLYING;
    try {
      this.renderer.applyPending();
    } finally {
      this.heartbeat[HEARTBEAT.phase] = 0;
      this.beat();
    }
  }

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
      let begin = performance.now();
      try {
        if (this.renderer.hasPending) {
          this.applyEdits();
          begin = performance.now(); // CPU load counts rendering, not compiling
        }
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
      if (!this.filesSettled && this.opsReceived) {
        // The graph replayed by the supervisor has had its first block: recording nodes have opened.
        this.filesSettled = true;
        this.host.settleResumedFiles();
      }
    } else {
      left.fill(0);
      right.fill(0);
    }
    this.blocks[this.window]++;
    this.output.write(left, right, frames, this.written);
    this.written += frames;
    this.beat();
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
      latency: Math.round((this.latencyFrames / config.sampleRate) * 1e4) / 1e4,
      ...(this.renderer instanceof ThreadedRenderer && config.splitVoices === true
        ? {
            voiceThreads: {
              workersReady: this.renderer.voiceWorkersReady(),
              split: this.renderer.splitVoicesNodes,
            },
          }
        : {}),
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

/**
 * Asks the OS to run this thread before ordinary work (config.renderNice), as audio programs do, so a busy
 * machine takes the CPU from others first. Linux only (a thread's id is its own `pid` for setpriority);
 * allowed for root, CAP_SYS_NICE or an RLIMIT_NICE (e.g. the `audio` group's limits). Says what it got.
 */
function raisePriority(): string {
  if (process.platform !== 'linux' || config.renderNice === 0) return 'normal priority';
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (!Number.isInteger(tid) || tid <= 0) return 'normal priority';
    setPriority(tid, config.renderNice);
    return `priority raised (nice ${getPriority(tid)})`;
  } catch {
    return 'normal priority (raising it needs CAP_SYS_NICE or an RLIMIT_NICE, e.g. the audio group)';
  }
}

async function main(): Promise<void> {
  const priority = raisePriority();
  let opened: { output: AudioOutput; fallback?: string };
  try {
    opened = await openOutput();
  } catch (error) {
    post({ kind: 'failed', message: error instanceof Error ? error.message : String(error) });
    return;
  }
  const registry = createRegistry();
  try {
    await registerNodeModules(registry, config.nodeModules);
  } catch (error) {
    await opened.output.close().catch(() => {});
    post({
      kind: 'failed',
      message: `node types: ${error instanceof Error ? error.message : String(error)}`,
    });
    return;
  }
  // Files confined to root, MIDI ports (the virtual one fed by POST /midi and the WebSocket), OSC (node
  // addresses fed by the OSC server; OscSendNode to where the security rules allow). The host's records of
  // files written go to the supervisor, which hands them to a replacement worker.
  const widened = config.oscSend === 'any';
  const host = createNodeHost({
    root: config.root,
    deviceName: opened.output.name,
    osc: { destination: (name) => oscDestinationProblem(name, widened) },
    limits: config.limits,
    reserved: config.reservedPaths,
    knownFiles: config.knownFiles,
    onFileRecord: (target, record) => post({ kind: 'file', target, record }),
    audioInput: true,
  });
  const loop = new RenderLoop(host, opened.output, registry);
  port.on('message', (message: ToWorker) => loop.handle(message));
  let midiPorts: string[] = [];
  let midiOutputPorts: string[] = [];
  try {
    midiPorts = host.midiPorts();
    midiOutputPorts = host.midiOutputPorts();
  } catch {
    // no MIDI library: the virtual port only, as the node itself will say
  }
  post({
    kind: 'ready',
    audio: opened.output.name,
    fallback: opened.fallback,
    midiPorts,
    midiOutputPorts,
    priority,
  });
  loop.start();
}

void main();
