/// <reference lib="dom" />
// The engine in a web page. The page's main thread holds the control side — the authoritative Graph (every
// edit validated here), Synchrolang, the Preparer (files read from the browser's store) — and an
// AudioWorkletNode renders: its processor (worklet.ts) keeps its own Renderer, built from the op batches
// posted to it, exactly as the server's main thread drives its render worker (src/server/engine.ts).
//
// For clients (the editor's local mode), the engine speaks the server's protocol: `onMessage` delivers the
// same ServerMessages as the server's /ws (hello, nodeAdded, exports, status, scope, meter, spectrum …), and
// `localApi` (local-api.ts) answers the HTTP routes' calls with the same JSON shapes.
//
// Threads: every method runs on the page's main thread.

import type { EngineStatus, ServerMessage } from '../api/protocol.js';
import type { DecodedAudio } from '../dsp/audio-files.js';
import type { RenderHost } from '../engine/definition.js';
import { SynchrotronError } from '../engine/errors.js';
import { Graph, type GraphOp } from '../engine/graph.js';
import { Preparer, type RenderOp } from '../engine/prepare.js';
import { NodeRegistry } from '../engine/registry.js';
import { validateBlockSize } from '../engine/render-settings.js';
import type { RenderEvent } from '../engine/renderer.js';
import { MAX_VIEW_SECONDS, MIN_VIEW_SECONDS, type ScopeView, type TapReport } from '../engine/taps.js';
import type { PortRef } from '../engine/types.js';
import { parseMidiBytes, VIRTUAL_PORT_NAME } from '../io/virtual-midi.js';
import {
  type ExecuteResult,
  execute,
  exportScript,
  loadPatch,
  type Positions,
  type ScriptHost,
  toApiConnection,
  toApiNode,
  toApiNodes,
  toApiPort,
} from '../lang/index.js';
import { builtinNodes } from '../nodes/index.js';
import { type FileStore, IndexedDbFileStore } from './file-store.js';
import {
  type FromWorklet,
  PROCESSOR_NAME,
  type ToWorklet,
  WORKLET_FILE,
  type WorkletConfig,
  type WorkletStatus,
} from './messages.js';
import { type OfflineRenderResult, type RenderOfflineOptions, renderOffline } from './offline.js';
import { MAX_RECORDING_SECONDS } from './offline-limits.js';
import { BROWSER_DEVICE_NAME } from './render-host.js';
import { WavAssembler } from './wav.js';
import { WebMidiForwarder, type WebMidiOptions } from './web-midi.js';

/** Most stream outputs watched at once (scope + meter each), as the server allows one client. */
export const MAX_WATCHED_PORTS = 64;

const TRIGGERS: readonly string[] = ['rising', 'auto', 'free'];

export interface BrowserEngineOptions {
  /** Frames per engine block: a power of two 16…4096, default 128 (the render quantum). */
  blockSize?: number;
  /** Render from the start (default false: call start(), which also resumes the AudioContext). */
  running?: boolean;
  /** Files nodes read and recordings are saved to (default: IndexedDB, database 'synchrotron-files'). */
  files?: FileStore;
  /** Save WavFileNode recordings into `files` under their paths when they finish (default true). */
  saveRecordings?: boolean;
  /** Keep the output within ±1 with the server's master limiter (default true). */
  limiter?: boolean;
  /** Where the output goes: the context's destination (default), another node, or false (connect it yourself). */
  connect?: boolean | AudioNode;
  /** The worklet module (default: synchrotron-worklet.js next to this module). */
  workletUrl?: string | URL;
  /** The offline render worker (default: synchrotron-offline-worker.js next to this module). */
  offlineWorkerUrl?: string | URL;
}

/** A WavFileNode's finished recording. */
export interface Recording {
  path: string;
  /** A mono 32-bit float WAV file. */
  blob: Blob;
  frames: number;
  sampleRate: number;
}

/** When a batch of edits reached the audio (see `settled`). */
export interface AppliedBatch {
  /** Engine frame ($clock) of the block that first rendered it. */
  frame: number;
  /** AudioContext frame at which the engine's output of that block begins. */
  contextFrame: number;
  /** AudioContext frame of the first quantum rendered after the batch arrived in the worklet. */
  received: number;
}

/** A recording of the engine's output (what the node plays, after the limiter). */
export interface MasterRecorder {
  /** Stops and resolves to a stereo 32-bit float WAV file. */
  stop(): Promise<Blob>;
  /** Stops and resolves to the samples, with the AudioContext frame of the first one. */
  stopSamples(): Promise<{ left: Float32Array; right: Float32Array; contextFrame: number }>;
}

type AppliedListener = (ids: number[], applied: AppliedBatch[]) => void;

/**
 * Creates an engine on `context`: loads the worklet module (once per context), makes the AudioWorkletNode
 * and waits until its processor is running. Call from a user gesture, or call `start()` from one later:
 * browsers keep an AudioContext suspended until the user interacts with the page.
 */
export async function createBrowserEngine(
  context: BaseAudioContext,
  options: BrowserEngineOptions = {},
): Promise<BrowserEngine> {
  const blockSize = options.blockSize ?? 128;
  validateBlockSize(blockSize);
  if (!context.audioWorklet) {
    throw new SynchrotronError(
      'io',
      'this AudioContext has no audioWorklet: the page must be served over https or from localhost',
    );
  }
  const workletUrl = options.workletUrl ?? new URL(WORKLET_FILE, import.meta.url);
  try {
    await context.audioWorklet.addModule(String(workletUrl));
  } catch (error) {
    throw new SynchrotronError(
      'io',
      `cannot load the engine's worklet from ${String(workletUrl)}: ${(error as Error).message}`,
    );
  }
  const config: WorkletConfig = {
    blockSize,
    running: options.running ?? false,
    limiter: options.limiter ?? true,
    midiPorts: [VIRTUAL_PORT_NAME],
    maxRecordingFrames: Math.round(MAX_RECORDING_SECONDS * context.sampleRate),
  };
  const node = new AudioWorkletNode(context, PROCESSOR_NAME, {
    numberOfInputs: 1,
    numberOfOutputs: 1,
    outputChannelCount: [2],
    channelCount: 2,
    channelCountMode: 'explicit',
    processorOptions: config,
  });
  const ready = await new Promise<Extract<FromWorklet, { kind: 'ready' }>>((resolve, reject) => {
    node.port.onmessage = (event: MessageEvent<FromWorklet>) => {
      if (event.data.kind === 'ready') resolve(event.data);
    };
    node.onprocessorerror = () =>
      reject(new SynchrotronError('io', "the engine's AudioWorklet processor failed to start"));
  });
  const engine = new BrowserEngine(context, node, config, ready.wasm, options);
  const connect = options.connect ?? true;
  if (connect === true) node.connect(context.destination);
  else if (connect) node.connect(connect);
  return engine;
}

export class BrowserEngine {
  readonly context: BaseAudioContext;
  /** The engine's output (2 channels). Its input feeds AudioInputNode (useMicrophone() connects one). */
  readonly node: AudioWorkletNode;
  readonly graph: Graph;
  readonly registry: NodeRegistry;
  /** Files nodes read (MidiFileNode paths are names in it) and recordings are saved to. */
  readonly files: FileStore;
  readonly sampleRate: number;
  readonly blockSize: number;
  /** True when the worklet runs the WebAssembly SIMD kernels (else their plain-JS equivalents). */
  readonly wasm: boolean;
  /** The latest recording of each WavFileNode path. */
  readonly recordings = new Map<string, Recording>();

  private readonly preparer: Preparer;
  private readonly saveRecordings: boolean;
  private readonly offlineWorkerUrl: string | URL | undefined;
  private midiNames: string[] = [VIRTUAL_PORT_NAME];
  private readonly webMidi: WebMidiForwarder;
  private running: boolean;
  private workletStatus: WorkletStatus;
  private nextBatch = 1;
  private lastApplied = 0;
  private lastAppliedInfo: AppliedBatch | null = null;
  private readonly appliedListeners = new Set<AppliedListener>();
  private readonly messageListeners = new Set<(message: ServerMessage) => void>();
  private readonly tapListeners = new Set<(report: TapReport) => void>();
  private readonly recordingListeners = new Set<(recording: Recording) => void>();
  private watched: PortRef[] = [];
  private views: ScopeView[] = [];
  private watchingSpectrum = false;
  private readonly openRecordings = new Map<number, WavAssembler & { path: string }>();
  private masterRecording: {
    left: Float32Array[];
    right: Float32Array[];
    contextFrame: number;
    done: Promise<void>;
    finish: () => void;
  } | null = null;
  private disposed: Promise<void> | undefined;

  /** Use createBrowserEngine(). */
  constructor(
    context: BaseAudioContext,
    node: AudioWorkletNode,
    config: WorkletConfig,
    wasm: boolean,
    options: BrowserEngineOptions,
  ) {
    this.context = context;
    this.node = node;
    this.sampleRate = context.sampleRate;
    this.blockSize = config.blockSize;
    this.wasm = wasm;
    this.running = config.running;
    this.workletStatus = { running: config.running, clock: 0, contextFrame: 0 };
    this.files = options.files ?? new IndexedDbFileStore();
    this.saveRecordings = options.saveRecordings ?? true;
    this.offlineWorkerUrl = options.offlineWorkerUrl;
    this.registry = new NodeRegistry(builtinNodes);
    // The control side's view of the worklet's host, for exports shown before a node renders.
    const controlHost: RenderHost = { deviceName: BROWSER_DEVICE_NAME, midiPorts: () => [...this.midiNames] };
    this.graph = new Graph(this.registry, { host: controlHost });
    const files = this.files;
    this.preparer = new Preparer({
      graph: this.graph,
      sampleRate: this.sampleRate,
      blockSize: this.blockSize,
      host: {
        readFile: (path, readOptions) => files.readFile(path, readOptions),
        // FLAC, MP3 and Ogg Vorbis samples by the browser's own decoder (WAV needs none): nothing added to
        // the bundle. The samples come at the context's rate, which is the engine's.
        decodeAudio: (bytes) => decodeWithContext(context, bytes),
      },
      deliver: (ops) => this.postOps(ops),
      onEvent: (event) => this.onRenderEvent(event),
    });
    this.graph.on({
      batch: (ops) => {
        this.postOps(this.preparer.process(ops));
        this.announce(ops);
      },
      exports: (name, exports) => this.emit({ type: 'exports', name, exports }),
    });
    this.webMidi = new WebMidiForwarder(
      {
        setMidiPorts: (names) => this.setMidiPorts(names),
        forwardMidi: (port, data, time, sender) => this.post({ kind: 'midi', port, data, time, sender }),
      },
      VIRTUAL_PORT_NAME,
    );
    node.port.onmessage = (event: MessageEvent<FromWorklet>) => this.onWorklet(event.data);
  }

  // ------------------------------------------------------------------------------- language

  /** Runs a Synchrolang script: all its edits or none (throws a SynchrolangError saying where and why). */
  execute(script: string): ExecuteResult {
    this.assertLive();
    return execute(this.scriptHost(), script);
  }

  /** Loads a .syn or .sui patch's text (all or nothing); `positions` are the .sui node positions. */
  load(text: string): ExecuteResult & { positions: Positions | null } {
    this.assertLive();
    return loadPatch(this.scriptHost(), text);
  }

  /** The graph as a Synchrolang script that rebuilds it. */
  export(): string {
    return exportScript(this.graph);
  }

  /** What scripts run against (for tools that call the language module themselves). */
  scriptHost(): ScriptHost {
    return {
      graph: this.graph,
      sampleRate: this.sampleRate,
      blockSize: this.blockSize,
      clock: () => this.clock(),
      start: () => this.start(),
      stop: () => this.stop(),
    };
  }

  /** Resolves when no structural input is being prepared (files read from the store and decoded). */
  ready(): Promise<void> {
    return this.preparer.ready();
  }

  /**
   * Resolves when every edit made so far is being rendered (the worklet applied it at a block boundary and
   * rendered that block), with when that happened; null when there was nothing to wait for. Needs a running
   * AudioContext; while the engine is stopped it waits for start().
   */
  settled(): Promise<AppliedBatch | null> {
    const target = this.nextBatch - 1;
    if (target <= this.lastApplied) return Promise.resolve(this.lastAppliedInfo);
    return new Promise((resolve) => {
      const listener: AppliedListener = (ids, applied) => {
        if (this.lastApplied < target) return;
        this.appliedListeners.delete(listener);
        const index = ids.indexOf(target);
        resolve(index >= 0 ? applied[index] : this.lastAppliedInfo);
      };
      this.appliedListeners.add(listener);
    });
  }

  // ------------------------------------------------------------------------------- transport

  /** Starts rendering and resumes the AudioContext (browsers allow that from a user gesture). */
  start(): void {
    this.assertLive();
    if ('resume' in this.context && this.context.state === 'suspended')
      void (this.context as AudioContext).resume().catch(() => undefined);
    this.setRunning(true);
  }

  stop(): void {
    this.setRunning(false);
  }

  // ------------------------------------------------------------------------------- live input

  /**
   * Plays the microphone (or the input `constraints` choose) into the engine's input, where AudioInputNodes
   * hear it. Asks the browser's permission; resolves once connected, to a function that disconnects it.
   * Needs an AudioContext (not an offline one) on a secure page (https or localhost).
   */
  async useMicrophone(constraints: MediaTrackConstraints | boolean = true): Promise<() => void> {
    this.assertLive();
    if (!(this.context instanceof AudioContext))
      throw new SynchrotronError('invalid', 'live input needs an AudioContext, not an offline one');
    if (!navigator.mediaDevices?.getUserMedia)
      throw new SynchrotronError(
        'io',
        'this page cannot capture audio (it must be served over https or from localhost)',
      );
    const stream = await navigator.mediaDevices.getUserMedia({ audio: constraints });
    const source = new MediaStreamAudioSourceNode(this.context, { mediaStream: stream });
    source.connect(this.node);
    return () => {
      source.disconnect();
      for (const track of stream.getTracks()) track.stop();
    };
  }

  get isRunning(): boolean {
    return this.running;
  }

  /** Engine frames rendered ($clock): the worklet's last report, advanced by the context's time since. */
  clock(): number {
    const status = this.workletStatus;
    if (!this.running) return status.clock;
    const now = Math.floor(this.context.currentTime * this.sampleRate);
    const elapsed = Math.max(0, now - status.contextFrame);
    return status.clock + Math.floor(elapsed / this.blockSize) * this.blockSize;
  }

  /** The status in the server's shape (`GET /status`). */
  status(): EngineStatus {
    return {
      running: this.running,
      sampleRate: this.sampleRate,
      blockSize: this.blockSize,
      clock: this.clock(),
      cpuLoad: 0,
      underruns: 0,
      audio: BROWSER_DEVICE_NAME,
      tempo: this.graph.tempo,
    };
  }

  // ------------------------------------------------------------------------------- MIDI

  /**
   * Virtual MIDI in (port 0): raw bytes, running status allowed; `time` in ms on performance.now()'s clock
   * keeps the spacing of timed messages to the frame. Throws a SynchrotronError on bytes that are not MIDI.
   */
  midi(data: ArrayLike<number>, time?: number): void {
    this.assertLive();
    const bytes = Array.from(data);
    parseMidiBytes(bytes);
    if (time !== undefined && (typeof time !== 'number' || !Number.isFinite(time))) {
      throw new SynchrotronError('invalid', `MIDI time must be a finite number of ms, got ${String(time)}`);
    }
    this.post({ kind: 'midi', port: 0, data: bytes, time, sender: 'page' });
  }

  /** Forwards the browser's MIDI devices (asks the user); resolves to the MIDI port names (0 is virtual). */
  enableWebMidi(options: WebMidiOptions = {}): Promise<string[]> {
    this.assertLive();
    return this.webMidi.enable(options);
  }

  disableWebMidi(): void {
    this.webMidi.disable();
  }

  /** MIDI input port names: 0 is the virtual port, Web MIDI devices follow once enabled. */
  midiPorts(): string[] {
    return [...this.midiNames];
  }

  // ------------------------------------------------------------------------------- taps

  /**
   * Scopes and meters for these stream outputs (replacing the previous list), the master's spectrum and
   * level; reported about 25 times a second to `onTaps` and, as `scope`/`meter`/`spectrum` messages, to
   * `onMessage`. Throws when a port is not a stream output.
   */
  watch(
    ports: Array<string | PortRef>,
    options: { spectrum?: boolean; master?: boolean; views?: ScopeView[] } = {},
  ): void {
    this.assertLive();
    const stream = (port: string | PortRef): PortRef => {
      const ref = typeof port === 'string' ? parsePort(port) : port;
      const spec = this.graph.port(ref, 'output');
      if (spec.kind !== 'stream')
        throw new SynchrotronError('invalid', `\`${ref.node}.${ref.port}\` is not a stream output`);
      return { node: ref.node, port: ref.port };
    };
    const refs = ports.map(stream);
    // Views with a timebase (1 ms…10 s) and trigger, as the server's `watch` takes them.
    const views = (options.views ?? []).map((view): ScopeView => {
      const seconds =
        view.seconds === undefined || !Number.isFinite(view.seconds)
          ? undefined
          : Math.min(MAX_VIEW_SECONDS, Math.max(MIN_VIEW_SECONDS, view.seconds));
      const trigger = view.trigger && TRIGGERS.includes(view.trigger) ? view.trigger : undefined;
      return {
        port: stream(view.port),
        ...(seconds === undefined ? {} : { seconds }),
        ...(trigger ? { trigger } : {}),
      };
    });
    if (refs.length + views.length > MAX_WATCHED_PORTS) {
      throw new SynchrotronError('invalid', `at most ${MAX_WATCHED_PORTS} ports can be watched at once`);
    }
    this.watched = refs;
    this.views = views;
    this.watchingSpectrum = options.spectrum === true;
    this.postWatch(options.master ?? (refs.length + views.length > 0 || this.watchingSpectrum));
  }

  onTaps(listener: (report: TapReport) => void): () => void {
    this.tapListeners.add(listener);
    return () => this.tapListeners.delete(listener);
  }

  // ------------------------------------------------------------------------------- events

  /** The server's /ws messages: graph changes, exports, transport, status, debug, faults, warnings, taps. */
  onMessage(listener: (message: ServerMessage) => void): () => void {
    this.messageListeners.add(listener);
    return () => this.messageListeners.delete(listener);
  }

  /** The first message a /ws client gets: status, every node and connection. */
  hello(): ServerMessage {
    return {
      type: 'hello',
      status: this.status(),
      nodes: toApiNodes(this.graph),
      connections: this.graph.connections().map(toApiConnection),
    };
  }

  /** A WavFileNode finished a recording (stopped, removed, its path changed). */
  onRecording(listener: (recording: Recording) => void): () => void {
    this.recordingListeners.add(listener);
    return () => this.recordingListeners.delete(listener);
  }

  /** Batches of edits reaching the audio: their ids (in order) and when. For tools that measure latency. */
  onApplied(listener: AppliedListener): () => void {
    this.appliedListeners.add(listener);
    return () => this.appliedListeners.delete(listener);
  }

  // ------------------------------------------------------------------------------- recording, offline

  /** Records the engine's output from the next quantum on, until `stop()`. One recorder at a time. */
  record(): MasterRecorder {
    this.assertLive();
    if (this.masterRecording) throw new SynchrotronError('conflict', 'the output is already being recorded');
    let finish = () => {};
    const done = new Promise<void>((resolve) => {
      finish = resolve;
    });
    const recording = {
      left: [] as Float32Array[],
      right: [] as Float32Array[],
      contextFrame: -1,
      done,
      finish,
    };
    this.masterRecording = recording;
    this.post({ kind: 'record', enabled: true });
    let stopped: Promise<void> | undefined;
    const stop = () => {
      stopped ??= (async () => {
        this.post({ kind: 'record', enabled: false });
        await recording.done;
      })();
      return stopped;
    };
    const samples = async () => {
      await stop();
      return {
        left: concat(recording.left),
        right: concat(recording.right),
        contextFrame: recording.contextFrame,
      };
    };
    return {
      stop: async () => {
        const { left, right } = await samples();
        const wav = new WavAssembler(this.sampleRate, 2);
        wav.appendStereo(left, right);
        return wav.blob();
      },
      stopSamples: samples,
    };
  }

  /**
   * Renders the current graph (its exported script) offline, faster than real time, into a WAV Blob — the
   * same samples `synchrotron render` makes of it. Files come from this engine's store.
   */
  renderOffline(options: Omit<RenderOfflineOptions, 'files'>): Promise<OfflineRenderResult> {
    return renderOffline(this.export(), {
      sampleRate: this.sampleRate,
      blockSize: this.blockSize,
      worker: this.offlineWorkerUrl,
      moduleUrl: this.offlineWorkerUrl,
      ...options,
      files: this.files,
    });
  }

  // ------------------------------------------------------------------------------- shutdown

  /**
   * Stops rendering, finishes WavFileNode recordings (delivered to onRecording) and disconnects the node.
   * The AudioContext stays the caller's.
   */
  dispose(): Promise<void> {
    this.disposed ??= (async () => {
      this.webMidi.disable();
      const finished = new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 2000); // a closed context never answers
        this.disposedResolve = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.node.port.postMessage({ kind: 'dispose' } satisfies ToWorklet);
      await finished;
      this.node.disconnect();
      this.node.port.onmessage = null;
    })();
    return this.disposed;
  }

  private disposedResolve: (() => void) | undefined;

  // ------------------------------------------------------------------------------- internals

  private assertLive(): void {
    if (this.disposed) throw new SynchrotronError('invalid', 'this engine was disposed: create a new one');
  }

  private post(message: ToWorklet): void {
    if (this.disposed) return;
    this.node.port.postMessage(message);
  }

  private postOps(ops: RenderOp[]): void {
    if (ops.length === 0) return;
    this.post({ kind: 'ops', id: this.nextBatch++, ops });
  }

  private postWatch(master: boolean): void {
    this.post({
      kind: 'watch',
      ports: this.watched,
      spectrum: this.watchingSpectrum,
      master,
      views: this.views,
    });
  }

  private setRunning(running: boolean): void {
    const changed = this.running !== running;
    this.workletStatus = { ...this.workletStatus, clock: this.clock() };
    this.running = running;
    this.post({ kind: 'transport', running });
    if (changed) this.emit({ type: 'transport', running });
  }

  private setMidiPorts(names: string[]): void {
    this.midiNames = names;
    this.post({ kind: 'midiPorts', names });
  }

  private emit(message: ServerMessage): void {
    for (const listener of this.messageListeners) listener(message);
  }

  /** A committed batch → graph-change messages for clients (as the server announces them). */
  private announce(ops: readonly GraphOp[]): void {
    let watchChanged = false;
    for (const op of ops) {
      switch (op.op) {
        case 'add':
          if (this.graph.hasNode(op.name))
            this.emit({ type: 'nodeAdded', node: toApiNode(this.graph, this.graph.node(op.name)) });
          break;
        case 'remove':
          this.emit({ type: 'nodeRemoved', name: op.name });
          if ([...this.watched, ...this.views.map((v) => v.port)].some((port) => port.node === op.name)) {
            this.watched = this.watched.filter((port) => port.node !== op.name);
            this.views = this.views.filter((view) => view.port.node !== op.name);
            watchChanged = true;
          }
          break;
        case 'rename':
          this.emit({ type: 'nodeRenamed', from: op.from, to: op.to });
          if ([...this.watched, ...this.views.map((v) => v.port)].some((port) => port.node === op.from)) {
            const follow = (port: PortRef) => (port.node === op.from ? { ...port, node: op.to } : port);
            this.watched = this.watched.map(follow);
            this.views = this.views.map((view) => ({ ...view, port: follow(view.port) }));
            watchChanged = true;
          }
          break;
        case 'link':
          this.emit({ type: 'linked', connection: toApiConnection(op) });
          break;
        case 'unlink':
          this.emit({ type: 'unlinked', connection: toApiConnection(op) });
          break;
        case 'ports':
          if (this.graph.hasNode(op.name))
            this.emit({ type: 'nodeChanged', node: toApiNode(this.graph, this.graph.node(op.name)) });
          break;
        case 'set':
        case 'reload':
          break; // `set` is announced as `exports` by the graph; a reload by its ops
        case 'tempo':
          this.emit({ type: 'tempo', bpm: op.bpm });
          break;
      }
    }
    // Watches follow the graph: a renamed node keeps streaming, a removed one stops.
    if (watchChanged) this.postWatch(this.watched.length + this.views.length > 0 || this.watchingSpectrum);
  }

  private onWorklet(message: FromWorklet): void {
    switch (message.kind) {
      case 'status':
        this.workletStatus = message.status;
        this.emit({ type: 'status', status: this.status() });
        break;
      case 'applied': {
        const info = message.ids.map((_, i) => ({
          frame: message.frame,
          contextFrame: message.contextFrame,
          received: message.received[i],
        }));
        this.lastApplied = message.ids[message.ids.length - 1];
        this.lastAppliedInfo = info[info.length - 1];
        for (const listener of [...this.appliedListeners]) listener(message.ids, info);
        break;
      }
      case 'event':
        this.onRenderEvent(message.event);
        break;
      case 'taps':
        this.onTapReport(message.report);
        break;
      case 'wav':
        this.onWav(message);
        break;
      case 'recorded': {
        const recording = this.masterRecording;
        if (!recording) break;
        if (recording.contextFrame < 0) recording.contextFrame = message.contextFrame;
        recording.left.push(message.left);
        recording.right.push(message.right);
        if (message.done) {
          this.masterRecording = null;
          recording.finish();
        }
        break;
      }
      case 'disposed':
        this.disposedResolve?.();
        break;
      case 'ready':
        break;
    }
  }

  private onRenderEvent(event: RenderEvent | { kind: 'warning'; node: string; message: string }): void {
    if (event.kind === 'exports') this.graph.updateExports(event.node, event.exports);
    else if (event.kind === 'debug') this.emit({ type: 'debug', node: event.node, value: event.value });
    else this.emit({ type: event.kind, node: event.node, message: event.message });
  }

  private onTapReport(report: TapReport): void {
    for (const listener of this.tapListeners) listener(report);
    if (this.messageListeners.size === 0) return;
    // The whole frame, as the server sends it (timebase, trigger, min/max columns, frequency).
    for (const { port, view: _view, ...frame } of report.scopes)
      this.emit({ type: 'scope', port: toApiPort(port), sampleRate: this.sampleRate, ...frame });
    for (const meter of report.meters)
      this.emit({ type: 'meter', port: toApiPort(meter.port), peak: meter.peak, rms: meter.rms });
    if (report.master) this.emit({ type: 'meter', port: 'master', ...report.master });
    if (report.spectrum) this.emit({ type: 'spectrum', sampleRate: this.sampleRate, bins: report.spectrum });
  }

  private onWav(message: Extract<FromWorklet, { kind: 'wav' }>): void {
    let file = this.openRecordings.get(message.id);
    if (!file) {
      file = Object.assign(new WavAssembler(message.sampleRate, 1), { path: message.path });
      this.openRecordings.set(message.id, file);
    }
    try {
      if (message.samples && message.samples.length > 0) file.appendMono(message.samples);
    } catch (error) {
      this.emit({
        type: 'warning',
        node: '',
        message: `recording \`${message.path}\`: ${(error as Error).message}`,
      });
    }
    if (!message.done) return;
    this.openRecordings.delete(message.id);
    const recording: Recording = {
      path: file.path,
      blob: file.blob(),
      frames: file.frames,
      sampleRate: file.sampleRate,
    };
    this.recordings.set(recording.path, recording);
    for (const listener of this.recordingListeners) listener(recording);
    if (this.saveRecordings) {
      this.files.put(recording.path, recording.blob, 'audio/wav').catch((error: Error) =>
        this.emit({
          type: 'warning',
          node: '',
          message: `recording \`${recording.path}\` could not be saved in the browser's file store: ${error.message}`,
        }),
      );
    }
  }
}

function parsePort(text: string): PortRef {
  const dot = text.indexOf('.');
  if (dot <= 0 || dot === text.length - 1)
    throw new SynchrotronError('invalid', `expected a port as \`node.port\`, got \`${text}\``);
  return { node: text.slice(0, dot), port: text.slice(dot + 1) };
}

function concat(chunks: Float32Array[]): Float32Array {
  const out = new Float32Array(chunks.reduce((sum, chunk) => sum + chunk.length, 0));
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}

/** A compressed audio file decoded by the browser (its decodeAudioData), at the context's rate. */
async function decodeWithContext(context: BaseAudioContext, bytes: Uint8Array): Promise<DecodedAudio> {
  // decodeAudioData takes (and detaches) an ArrayBuffer of its own.
  const buffer = await context.decodeAudioData(bytes.slice().buffer);
  const channels: Float32Array[] = [];
  for (let c = 0; c < buffer.numberOfChannels; c++) channels.push(buffer.getChannelData(c));
  return { channels, sampleRate: buffer.sampleRate };
}
