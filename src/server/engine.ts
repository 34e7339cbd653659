// The live engine as the server's main thread sees it: the authoritative Graph (every edit validated
// here), a render worker that mirrors it, and a stream of ServerMessages for clients.

import { existsSync, type FSWatcher, watch } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { EngineStatus, MidiOutMessage, ServerMessage } from '../api/protocol.js';
import { apiNodeMaker, toApiConnection, toApiNodes } from '../api/shapes.js';
import { decodeCompressedAudio } from '../dsp/audio-decoders.js';
import { Graph, type GraphOp, type ReloadReport } from '../engine/graph.js';
import type { Limits } from '../engine/limits.js';
import { Preparer } from '../engine/prepare.js';
import type { NodeRegistry } from '../engine/registry.js';
import { validateBlockSize, validateSampleRate } from '../engine/render-settings.js';
import type { ScopeView } from '../engine/taps.js';
import type { DataValue, PortRef } from '../engine/types.js';
import { autoThreads } from '../io/render-threads.js';
import type { FileRecord } from '../io/secure-files.js';
import { readFileInside, readFileInsideSync } from '../io/secure-files.js';
import { DEFAULT_LIMITS } from '../io/security.js';
import { PatchLoader, type PatchView, type ScriptHost } from '../lang/index.js';
import { createRegistry } from '../synchrotron.js';
import { registerNodeModules } from './node-modules.js';
import {
  type AudioMode,
  type FromWorker,
  HEARTBEAT,
  HEARTBEAT_SLOTS,
  PHASE_APPLYING,
  type TapReport,
  type ToWorker,
  type WorkerConfig,
} from './worker-messages.js';

export interface EngineOptions {
  sampleRate?: number;
  blockSize?: number;
  audio?: AudioMode;
  /** Folder WavFileNode paths are confined to (default: the current directory). */
  root?: string;
  /** Least render-ahead in seconds (default 0.05; a device at least 0.1). */
  latency?: number;
  /** Most render-ahead in seconds (default 0.5): it grows after underruns up to this, and shrinks back. */
  maxLatency?: number;
  /**
   * Nice value the render thread asks for (default -10; 0 leaves it alone): on Linux with root,
   * CAP_SYS_NICE or an RLIMIT_NICE it then gets the CPU before ordinary programs. Without, it says so.
   */
  renderNice?: number;
  /**
   * Threads the render worker renders on (default: autoThreads(), the cores up to 4): independent chains
   * large enough to gain render in parallel (src/io/render-threads.ts). 1: the render thread alone.
   */
  threads?: number;
  /** Also render a large VoicesNode's voices on those threads (default false; see ThreadedRendererOptions). */
  splitVoices?: boolean;
  /** node-web-audio-api sink id for `device` mode (tests: 'none'). */
  sinkId?: string;
  /** Log lines (default: stderr). */
  log?: (line: string) => void;
  /** Render from the start (default true); false waits for start(). */
  running?: boolean;
  /** Where OscSendNodes may send: this machine only (default), or anywhere (opened with --host). */
  oscSend?: 'loopback' | 'any';
  /** Limits on nodes, values, results and files (default: src/io/security.ts DEFAULT_LIMITS). */
  limits?: Partial<Limits>;
  /** Paths nodes may never write, e.g. the session file (see FileGuard.reserve). */
  reservedPaths?: string[];
  /**
   * Modules (URLs or paths the render worker can import) whose exported node definitions are registered
   * besides the built-in types, here and in every render worker: an embedding application's own nodes.
   */
  nodeModules?: string[];
  /** Watch the patch files PatchNodes and VoicesNodes use and reload them when they change (default true). */
  watchPatches?: boolean;
}

/** Messages of the virtual MIDI output kept for GET /midi/out. */
export const MIDI_OUT_HISTORY = 1024;
/** Patch files watched at most (each holds a file descriptor or an inotify watch). */
const MAX_WATCHED_PATCHES = 256;
/** Quiet time after a patch file changes before reloading: an editor's save is several writes. */
const PATCH_RELOAD_DEBOUNCE_MS = 150;

/** The worker is compiled to dist/ with the rest; when running from sources (tests), use the build. */
function workerUrl(): URL {
  const here = import.meta.url;
  const url = here.endsWith('.ts')
    ? new URL('../../dist/server/render-worker.js', here)
    : new URL('./render-worker.js', here);
  if (!existsSync(fileURLToPath(url))) {
    throw new Error(`render worker not found at ${fileURLToPath(url)}: run \`npm run build\` first`);
  }
  return url;
}

type WorkerReady = {
  audio: string;
  fallback?: string;
  midiPorts: string[];
  midiOutputPorts: string[];
  priority: string;
};

/** Now in ms on a clock every thread of the process shares (the worker's heartbeat uses it too). */
function sharedNow(): number {
  return performance.timeOrigin + performance.now();
}

/**
 * A render worker with what the supervisor shares with it. (Files it opened are closed by Node when the
 * thread ends — also after terminate() — so a replaced worker leaks no descriptors once it is gone.)
 */
interface RenderThread {
  worker: Worker;
  /** HEARTBEAT slots, written by the worker every block. */
  heartbeat: Float64Array;
}

/** What a worker's config takes besides the engine's options: the shared memory and what it goes on from. */
type SpawnState = Pick<WorkerConfig, 'running' | 'startClock' | 'knownFiles'>;

/**
 * Starts a render worker and waits for it to open its output; rejects with a clear message if it cannot,
 * or if it does not say it is ready within `timeoutMs`.
 */
async function spawnWorker(
  base: Omit<WorkerConfig, 'heartbeat' | keyof SpawnState>,
  state: SpawnState,
  timeoutMs: number,
): Promise<{ thread: RenderThread; ready: WorkerReady }> {
  const heartbeat = new SharedArrayBuffer(HEARTBEAT_SLOTS * Float64Array.BYTES_PER_ELEMENT);
  const config: WorkerConfig = { ...base, ...state, heartbeat };
  const worker = new Worker(workerUrl(), { workerData: config });
  const ready = await new Promise<WorkerReady>((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      void worker.terminate();
      reject(new Error(`render worker did not start within ${timeoutMs / 1000} s`));
    }, timeoutMs);
    const onMessage = (message: FromWorker) => {
      if (message.kind === 'ready') {
        cleanup();
        resolve(message);
      } else if (message.kind === 'failed') {
        cleanup();
        void worker.terminate();
        reject(new Error(message.message));
      }
    };
    const onError = (error: Error) => {
      cleanup();
      reject(new Error(`render worker failed to start: ${error.message}`));
    };
    const onExit = (code: number) => {
      cleanup();
      reject(new Error(`render worker exited during start-up (code ${code})`));
    };
    const cleanup = () => {
      clearTimeout(timer);
      worker.off('message', onMessage);
      worker.off('error', onError);
      worker.off('exit', onExit);
    };
    worker.on('message', onMessage);
    worker.on('error', onError);
    worker.on('exit', onExit);
  });
  const thread: RenderThread = { worker, heartbeat: new Float64Array(heartbeat) };
  thread.heartbeat[HEARTBEAT.beat] = sharedNow(); // the watchdog counts from here
  return { thread, ready };
}

/** Restarts allowed within RESTART_WINDOW_MS before the engine gives up (a worker that dies at once). */
const MAX_RESTARTS = 5;
const RESTART_WINDOW_MS = 60_000;
/** A worker that finishes no block for this long (ms) has hung: a node or a host call that never returns. */
const HANG_MS = 1000;
/** The same while it applies edits (builds nodes, compiles): a huge graph is slow, not hung. */
const APPLY_HANG_MS = 30_000;
const WATCHDOG_MS = 250;
/** A worker that does not say it is ready within this long is given up (ms). */
const STARTUP_TIMEOUT_MS = 30_000;
/** Records of files written, kept for replacement workers (oldest forgotten first). */
const MAX_FILE_RECORDS = 10_000;

export class LiveEngine {
  readonly graph: Graph;
  readonly registry: NodeRegistry;
  readonly sampleRate: number;
  readonly blockSize: number;
  /** The render worker; null while a dead or hung one is being replaced (posts are dropped, then replayed). */
  private current: RenderThread | null;
  private readonly config: Omit<WorkerConfig, 'heartbeat' | keyof SpawnState>;
  readonly limits: Limits;
  /** Runs structural inputs' `prepare` here on the main thread; results go to the worker as ops. */
  private readonly preparer: Preparer;
  private restarts: number[] = [];
  /** The restart limit was reached: no worker renders until start() tries again. */
  private failed = false;
  /** Why the engine is not running although nobody stopped it (a failure, an unclean session), for status. */
  private reason: string | undefined;
  /** Files the workers wrote and were writing (real path → record), for a replacement worker's host. */
  private readonly files = new Map<string, FileRecord>();
  /** The clock never goes backwards: the most any worker reported. */
  private clockFloor = 0;
  /** Underruns counted by workers that are gone, and silence while they were replaced (blocks). */
  private underrunsBefore = 0;
  /** Underruns the current worker reported. */
  private workerUnderruns = 0;
  /** Heartbeat of the last worker lost (ms, sharedNow): the output plays silence from about then. */
  private lostAt: number | undefined;
  private readonly watchdog: NodeJS.Timeout;
  private lastWatch = sharedNow();
  /** What the worker has been told besides the graph, to tell a replacement the same. */
  private watching: { ports: PortRef[]; spectrum: boolean; master: boolean; views: ScopeView[] } | null =
    null;
  private readonly log: (line: string) => void;
  private statusValue: EngineStatus;
  private readonly messageListeners = new Set<(message: ServerMessage) => void>();
  private readonly tapListeners = new Set<(report: TapReport) => void>();
  private readonly audioListeners = new Set<(sequence: number, frames: number, pcm: Float32Array) => void>();
  private closed: Promise<void> | undefined;
  private lastDebugLog = new Map<string, number>();
  /** While a scheduled action runs (an OSC bundle's time tag, Unix ms): what posts to the worker carry. */
  private scheduledAt: number | undefined;
  /** The virtual MIDI output's recent messages (for GET /midi/out), numbered from 1. */
  private readonly midiOutHistory: MidiOutMessage[] = [];
  private midiOutSequence = 0;
  private midiOutDropped = 0;
  /** Scheduled messages the worker applied late (their frame was already rendered). */
  private lateScheduled = 0;
  private readonly jsonCache = new Map<string, string>();
  private jsonRevision = -1;
  private hello: { key: string; buffer: Buffer } | undefined;
  /** Patch files (PatchNode, VoicesNode), read on this thread through the confined reader. */
  readonly patches: PatchLoader;
  private readonly watchers = new Map<string, FSWatcher>();
  private reloadTimer: NodeJS.Timeout | undefined;
  private readonly watchPatches: boolean;

  private constructor(
    thread: RenderThread,
    options: Required<Pick<EngineOptions, 'sampleRate' | 'blockSize'>> & {
      config: LiveEngine['config'];
      running: boolean;
      registry: NodeRegistry;
      limits: Limits;
      audio: string;
      midiPorts: string[];
      midiOutputPorts: string[];
      log: (line: string) => void;
      watchPatches: boolean;
    },
  ) {
    this.current = thread;
    this.config = options.config;
    this.sampleRate = options.sampleRate;
    this.blockSize = options.blockSize;
    this.log = options.log;
    this.registry = options.registry;
    // The control side's view of the worker's host, for exports shown before a node renders.
    const { midiPorts, midiOutputPorts } = options;
    this.limits = options.limits;
    const root = options.config.root;
    this.watchPatches = options.watchPatches;
    this.patches = new PatchLoader({
      registry: this.registry,
      readFile: (path, readOptions) => readFileInsideSync(root, path, readOptions),
      limits: options.limits,
      sampleRate: options.sampleRate,
      blockSize: options.blockSize,
      onFile: (path) => this.watchPatch(path),
    });
    const loadPatch = (path: string) => this.patches.load(path);
    this.graph = new Graph(this.registry, {
      host: {
        deviceName: options.audio,
        midiPorts: () => midiPorts,
        midiOutputPorts: () => midiOutputPorts,
        loadPatch,
      },
      limits: options.limits,
    });
    this.statusValue = {
      running: options.running,
      sampleRate: options.sampleRate,
      blockSize: options.blockSize,
      clock: 0,
      cpuLoad: 0,
      underruns: 0,
      audio: options.audio,
      latency: options.config.latency,
      tempo: this.graph.tempo,
    };
    this.preparer = new Preparer({
      graph: this.graph,
      sampleRate: options.sampleRate,
      blockSize: options.blockSize,
      host: {
        readFile: (path, readOptions) => readFileInside(root, path, readOptions),
        maxSampleBytes: options.limits.maxSampleBytes,
        decodeAudio: decodeCompressedAudio,
        loadPatch,
      },
      deliver: (ops) => this.post({ kind: 'ops', ops }),
      onEvent: (event) => this.onWorker({ kind: 'event', event }),
    });
    this.graph.on({
      batch: (ops) => {
        this.post({ kind: 'ops', ops: this.preparer.process(ops) });
        this.announce(ops);
      },
      exports: (name, exports) => this.emit({ type: 'exports', name, exports }),
    });
    this.attach(thread);
    this.watchdog = setInterval(this.checkHeartbeat, WATCHDOG_MS);
    this.watchdog.unref();
  }

  private attach(thread: RenderThread): void {
    const { worker } = thread;
    worker.on('message', (message: FromWorker) => {
      // Records of files are facts whoever reports them; everything else only from the current worker.
      if (message.kind === 'file') this.recordFile(message.target, message.record);
      else if (this.current === thread) this.onWorker(message);
    });
    worker.on('error', (error) => this.log(`render worker error: ${error.message}`));
    worker.on('exit', (code) => {
      if (this.closed || this.current !== thread) return;
      this.lose(thread);
      void this.replaceWorker(`stopped (code ${code})`);
    });
  }

  /**
   * The watchdog: a worker that finished no block for HANG_MS (a node or a host call that never returns,
   * a blocking read) is ended and replaced, as a crashed one is. It judges only when its own timer ran on
   * time, so a stall of this thread (or of the whole process) is not taken for a hung worker.
   */
  private readonly checkHeartbeat = (): void => {
    const now = sharedNow();
    const gap = now - this.lastWatch;
    this.lastWatch = now;
    const thread = this.current;
    if (!thread || this.closed || gap > 4 * WATCHDOG_MS) return;
    const silent = now - thread.heartbeat[HEARTBEAT.beat];
    const limit = thread.heartbeat[HEARTBEAT.phase] === PHASE_APPLYING ? APPLY_HANG_MS : HANG_MS;
    if (silent <= limit) return;
    this.lose(thread);
    // A thread stuck in a system call ends (and its files close) only when the call returns.
    void thread.worker.terminate().catch(() => {});
    void this.replaceWorker(`did not finish a block for ${(silent / 1000).toFixed(1)} s (a node hung?)`);
  };

  /** The current worker is gone (dead, or hung and being ended): what it counted goes on without it. */
  private lose(thread: RenderThread): void {
    this.current = null;
    this.clockFloor = Math.max(this.clockFloor, thread.heartbeat[HEARTBEAT.clock]);
    this.lostAt ??= thread.heartbeat[HEARTBEAT.beat];
    this.underrunsBefore += this.workerUnderruns;
    this.workerUnderruns = 0;
  }

  private recordFile(target: string, record: FileRecord): void {
    this.files.delete(target); // re-inserted last: the oldest are forgotten first
    this.files.set(target, record);
    if (this.files.size > MAX_FILE_RECORDS) this.files.delete(this.files.keys().next().value as string);
  }

  /**
   * The render worker died (a crash in native audio code, an out-of-memory, a bug) or hung: start another
   * and rebuild the graph in it from the authoritative copy here, so the sound comes back and nothing a
   * client made is lost. Node state (phases, envelopes) starts afresh; the clock goes on; a WAV take that
   * was recording goes on in the same file (the new worker's host knows it as this server's).
   */
  private async replaceWorker(why: string): Promise<void> {
    const now = performance.now();
    this.restarts = this.restarts.filter((at) => now - at < RESTART_WINDOW_MS);
    if (this.restarts.length >= MAX_RESTARTS) {
      this.fail(`the render worker ${why}: ${MAX_RESTARTS + 1} failures within a minute`);
      return;
    }
    this.restarts.push(now);
    const message = `render worker ${why}; restarting it with the current graph`;
    this.log(message);
    this.emit({ type: 'warning', node: '', message });
    await this.spawnReplacement();
  }

  /** Starts a worker in place of none and replays the graph, transport, watches and stream into it. */
  private async spawnReplacement(): Promise<void> {
    const began = performance.now();
    let thread: RenderThread;
    try {
      ({ thread } = await spawnWorker(
        this.config,
        { running: this.statusValue.running, startClock: this.clock(), knownFiles: [...this.files] },
        STARTUP_TIMEOUT_MS,
      ));
    } catch (error) {
      if (this.closed || this.failed) return;
      await this.replaceWorker(`could not be started (${(error as Error).message})`);
      return;
    }
    if (this.closed || this.failed) {
      await thread.worker.terminate();
      return;
    }
    this.current = thread;
    this.attach(thread);
    if (this.lostAt !== undefined && this.statusValue.running) {
      // The output played silence from when the old worker's render-ahead ran out until now.
      const silentMs = sharedNow() - this.lostAt - (this.statusValue.latency ?? 0) * 1000;
      const blockMs = (this.blockSize / this.sampleRate) * 1000;
      this.underrunsBefore += Math.max(0, Math.ceil(silentMs / blockMs));
      this.statusValue = { ...this.statusValue, underruns: this.underrunsBefore };
    }
    this.lostAt = undefined;
    this.log(`render worker: a new one is running (started in ${Math.round(performance.now() - began)} ms)`);
    // Prepared structures were handed to the old worker: prepare them again for this one.
    this.post({ kind: 'ops', ops: this.preparer.prepareAll(this.graph.snapshotOps()) });
    this.post({ kind: 'transport', running: this.statusValue.running });
    if (this.watching) this.post({ kind: 'watch', ...this.watching });
    if (this.audioListeners.size > 0) this.post({ kind: 'stream', enabled: true });
    this.emit({ type: 'status', status: this.status() });
  }

  /**
   * Too many failures: stop trying, and say so everywhere (status, a warning, the transport) rather than
   * claim to play. The graph stays here, edits go on being accepted (and saved with a session); start()
   * tries again.
   */
  private fail(why: string): void {
    this.failed = true;
    this.lostAt = undefined;
    const reason = `rendering stopped: ${why}. The graph is kept; press Start (GET /start) to try again.`;
    this.reason = reason;
    this.log(reason);
    this.emit({ type: 'warning', node: '', message: reason });
    if (this.statusValue.running) {
      this.statusValue = { ...this.statusValue, running: false };
      this.emit({ type: 'transport', running: false });
    }
    this.emit({ type: 'status', status: this.status() });
  }

  /** Resolves when no structural input is being prepared (files read), e.g. before measuring. */
  ready(): Promise<void> {
    return this.preparer.ready();
  }

  /** For tests and diagnostics: end the render worker as a crash would. */
  async killWorkerForTest(): Promise<void> {
    await this.current?.worker.terminate();
  }

  /** Starts the render worker and opens the audio output; rejects with a clear message if it cannot. */
  static async create(options: EngineOptions = {}): Promise<LiveEngine> {
    const sampleRate = options.sampleRate ?? 44100;
    const blockSize = options.blockSize ?? 128;
    validateSampleRate(sampleRate);
    validateBlockSize(blockSize);
    const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
    const limits: Limits = { ...DEFAULT_LIMITS, ...options.limits };
    const nodeModules = options.nodeModules ?? [];
    const registry = createRegistry();
    await registerNodeModules(registry, nodeModules);
    const latency = options.latency ?? 0.05;
    const config: LiveEngine['config'] = {
      sampleRate,
      blockSize,
      audio: options.audio ?? 'auto',
      root: options.root ?? process.cwd(),
      latency,
      maxLatency: Math.max(latency, options.maxLatency ?? 0.5),
      renderNice: options.renderNice ?? -10,
      threads: options.threads ?? autoThreads(),
      splitVoices: options.splitVoices ?? false,
      sinkId: options.sinkId,
      oscSend: options.oscSend ?? 'loopback',
      limits: { maxOpenFiles: limits.maxOpenFiles, maxRecordBytes: limits.maxRecordBytes },
      reservedPaths: options.reservedPaths ?? [],
      nodeModules,
    };
    const running = options.running ?? true;
    const { thread, ready } = await spawnWorker(
      config,
      { running, startClock: 0, knownFiles: [] },
      STARTUP_TIMEOUT_MS,
    );
    if (ready.fallback)
      log(
        `audio: no output device (${ready.fallback}); rendering in real time without one, as with --audio none`,
      );
    else log(`audio: ${ready.audio === 'none' ? 'none (real-time clock, no device)' : ready.audio}`);
    log(`render thread: ${ready.priority}`);
    return new LiveEngine(thread, {
      config,
      running,
      registry,
      limits,
      sampleRate,
      blockSize,
      audio: ready.audio,
      midiPorts: ready.midiPorts,
      midiOutputPorts: ready.midiOutputPorts,
      log,
      watchPatches: options.watchPatches ?? true,
    });
  }

  // ------------------------------------------------------------------------------- state

  status(): EngineStatus {
    const status = { ...this.statusValue, clock: this.clock(), tempo: this.graph.tempo };
    return this.reason === undefined ? status : { ...status, reason: this.reason };
  }

  /**
   * How far ahead of the output the worker renders now (seconds): at least the configured latency (more
   * with a sound card), more while the machine is busy (see the render worker's adaptLatency).
   */
  get renderAhead(): number {
    const least =
      this.statusValue.audio === 'none' ? this.config.latency : Math.max(this.config.latency, 0.1);
    return Math.max(least, this.statusValue.latency ?? 0);
  }

  /** Scheduled messages (OSC bundles) applied after their frame had been rendered, since start-up. */
  get lateCount(): number {
    return this.lateScheduled;
  }

  get running(): boolean {
    return this.statusValue.running;
  }

  /**
   * Says why the engine is not running although nobody stopped it (shown by /status, /ws and the editor
   * until the next start), e.g. a session restored stopped after an unclean exit.
   */
  setReason(reason: string | undefined): void {
    this.reason = reason;
    this.emit({ type: 'status', status: this.status() });
  }

  /**
   * Frames rendered (the worker's clock, read from its heartbeat). It never goes backwards: a replacement
   * worker goes on from here.
   */
  clock(): number {
    const thread = this.current;
    if (thread) this.clockFloor = Math.max(this.clockFloor, thread.heartbeat[HEARTBEAT.clock]);
    return this.clockFloor;
  }

  /** The host Synchrolang scripts run against. */
  scriptHost(): ScriptHost {
    return {
      graph: this.graph,
      sampleRate: this.sampleRate,
      blockSize: this.blockSize,
      clock: () => this.clock(),
      start: () => this.start(),
      stop: () => this.stop(),
      maxResultBytes: this.limits.maxResultBytes,
    };
  }

  // ------------------------------------------------------------------------------- control

  start(): void {
    this.setRunning(true);
  }

  stop(): void {
    this.setRunning(false);
  }

  private setRunning(running: boolean): void {
    const changed = this.statusValue.running !== running;
    const hadReason = this.reason !== undefined;
    this.reason = undefined; // started or stopped by someone: whatever stopped it before is history
    this.statusValue = { ...this.statusValue, running };
    if (running && this.failed) {
      // Given up after repeated failures: the user asks to try again.
      this.failed = false;
      this.restarts = [];
      this.log('render worker: starting again on request');
      void this.spawnReplacement();
    } else this.post({ kind: 'transport', running });
    if (changed) this.emit({ type: 'transport', running });
    if (changed || hadReason) this.emit({ type: 'status', status: this.status() });
  }

  /**
   * Virtual MIDI in: forwarded to the worker's RenderHost.virtualMidi. Its control changes are also told
   * to clients (`midi` events), for editors that map controllers to values (MIDI learn); `source` names
   * the sender so it can skip its own.
   */
  midi(data: number[], time?: number, source?: string): void {
    this.post({ kind: 'midi', data, time });
    if (this.messageListeners.size === 0) return;
    const controls = controlChanges(data);
    if (controls.length) this.emit({ type: 'midi', data: controls, ...(source ? { source } : {}) });
  }

  /** An OSC message for OscReceiveNodes listening at `address` (in the worker). */
  osc(address: string, value: DataValue, number: number): void {
    this.post({ kind: 'osc', address, value, number });
  }

  /**
   * Runs `action` (edits, transport, MIDI, OSC values) for the frame that plays at Unix time `atMs` (an OSC
   * bundle's time tag): everything it sends the worker is applied then — edits at that frame's block, MIDI
   * at the frame — or at once, reported, when that frame is already rendered. The graph here changes now.
   */
  scheduled<T>(atMs: number, action: () => T): T {
    const outer = this.scheduledAt;
    this.scheduledAt = atMs;
    try {
      return action();
    } finally {
      this.scheduledAt = outer;
    }
  }

  /** Recent messages of the virtual MIDI output after sequence number `since` (0: all kept). */
  midiOut(since = 0): { messages: MidiOutMessage[]; next: number; missed: number; dropped: number } {
    const history = this.midiOutHistory;
    const first = history.length > 0 ? history[0].seq : this.midiOutSequence + 1;
    const messages = history.filter((m) => m.seq > since);
    return {
      messages,
      next: this.midiOutSequence,
      missed: Math.max(0, first - since - 1),
      dropped: this.midiOutDropped,
    };
  }

  /** Scopes and meters: `ports` with the default view, `views` with a timebase (see taps.ts). */
  watch(ports: PortRef[], spectrum: boolean, master: boolean, views: ScopeView[] = []): void {
    this.watching = { ports, spectrum, master, views };
    this.post({ kind: 'watch', ports, spectrum, master, views });
  }

  // ------------------------------------------------------------------------------- listeners

  onMessage(listener: (message: ServerMessage) => void): () => void {
    this.messageListeners.add(listener);
    return () => this.messageListeners.delete(listener);
  }

  onTaps(listener: (report: TapReport) => void): () => void {
    this.tapListeners.add(listener);
    return () => this.tapListeners.delete(listener);
  }

  /** Master PCM for listening browsers; the worker streams only while someone listens. */
  onAudio(listener: (sequence: number, frames: number, pcm: Float32Array) => void): () => void {
    this.audioListeners.add(listener);
    if (this.audioListeners.size === 1) this.post({ kind: 'stream', enabled: true });
    return () => {
      this.audioListeners.delete(listener);
      if (this.audioListeners.size === 0) this.post({ kind: 'stream', enabled: false });
    };
  }

  /**
   * The `hello` as one UTF-8 buffer, shared by every client that connects while the graph and the transport
   * stay as they are: at 10,000 nodes it is megabytes, and a client that stops reading keeps it queued —
   * shared, that costs nothing per client. Its status is as of when it was built; send `status` after it.
   */
  helloBuffer(): Buffer {
    const key = `${this.graph.revision}:${this.statusValue.running}`;
    if (this.hello?.key !== key) {
      const nodes = this.graphJson('nodes', () => toApiNodes(this.graph));
      const connections = this.graphJson('connections', () => this.graph.connections().map(toApiConnection));
      const status = JSON.stringify(this.status());
      const text = `{"type":"hello","status":${status},"nodes":${nodes},"connections":${connections}}`;
      this.hello = { key, buffer: Buffer.from(text) };
    }
    return this.hello.buffer;
  }

  /**
   * JSON of something built from the graph alone (GET /nodes, /export, the hello's graph), reused until
   * the graph changes: at 10,000 nodes each is a noticeable fraction of a second of this thread, and a
   * room of clients reconnecting at once would ask for it again and again.
   */
  graphJson(key: 'nodes' | 'connections' | 'export', build: () => unknown): string {
    if (this.jsonRevision !== this.graph.revision) {
      this.jsonCache.clear();
      this.jsonRevision = this.graph.revision;
    }
    let text = this.jsonCache.get(key);
    if (text === undefined) {
      text = JSON.stringify(build());
      this.jsonCache.set(key, text);
    }
    return text;
  }

  // ------------------------------------------------------------------------------- patch files

  /**
   * Reads every patch file again and updates the nodes made from one (PatchNode, VoicesNode) at one block
   * boundary; unchanged inner nodes keep their state. Files that no longer load are reported (log and a
   * `warning` to clients) and their instances keep playing the version they have.
   */
  reloadPatches(): ReloadReport {
    const report = this.graph.reloadPatches();
    if (report.reloaded.length > 0) this.log(`reloaded ${report.reloaded.join(', ')}`);
    for (const failure of report.failed) {
      const message = `could not reload: ${failure.message}; it keeps playing the version it has`;
      this.log(`warning ${failure.node}: ${message}`);
      this.emit({ type: 'warning', node: failure.node, message });
    }
    return report;
  }

  /** A patch file's inner graph for a read-only view (GET /patches?path=…). */
  patchView(path: string): PatchView {
    return this.patches.view(path);
  }

  /** Watches a patch file the loader read (once per file; at most MAX_WATCHED_PATCHES). */
  private watchPatch(path: string): void {
    if (!this.watchPatches || this.closed || this.watchers.has(path)) return;
    if (this.watchers.size >= MAX_WATCHED_PATCHES) return;
    try {
      const watcher = watch(join(this.config.root, path), { persistent: false }, (event) => {
        // An editor that saves by replacing the file ends this watch: read again, the file is watched anew.
        if (event === 'rename') {
          watcher.close();
          this.watchers.delete(path);
        }
        this.scheduleReload();
      });
      watcher.on('error', () => {
        watcher.close();
        this.watchers.delete(path);
      });
      this.watchers.set(path, watcher);
    } catch {
      // Not watchable (gone meanwhile, no inotify left): `reload` by hand still works.
    }
  }

  private scheduleReload(): void {
    if (this.closed) return;
    clearTimeout(this.reloadTimer);
    this.reloadTimer = setTimeout(() => {
      this.reloadTimer = undefined;
      if (!this.closed) this.reloadPatches();
    }, PATCH_RELOAD_DEBOUNCE_MS);
  }

  /** Stops rendering, closes WAV files validly and the device, ends the worker. */
  close(): Promise<void> {
    clearTimeout(this.reloadTimer);
    for (const watcher of this.watchers.values()) watcher.close();
    this.watchers.clear();
    this.closed ??= (async () => {
      clearInterval(this.watchdog);
      const worker = this.current?.worker;
      if (!worker) return;
      const disposed = new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 3000);
        worker.on('message', (message: FromWorker) => {
          if (message.kind === 'disposed') {
            clearTimeout(timer);
            resolve();
          }
        });
        worker.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
      });
      worker.postMessage({ kind: 'dispose' } satisfies ToWorker);
      await disposed;
      await worker.terminate();
    })();
    return this.closed;
  }

  // ------------------------------------------------------------------------------- internals

  private post(message: ToWorker): void {
    const worker = this.current?.worker;
    if (this.closed || !worker) return;
    if (
      this.scheduledAt !== undefined &&
      (message.kind === 'ops' ||
        message.kind === 'transport' ||
        message.kind === 'midi' ||
        message.kind === 'osc')
    ) {
      worker.postMessage({ ...message, at: this.scheduledAt });
      return;
    }
    worker.postMessage(message);
  }

  private emit(message: ServerMessage): void {
    for (const listener of this.messageListeners) listener(message);
  }

  /** A committed batch → graph-change messages for clients. */
  private announce(ops: readonly GraphOp[]): void {
    if (this.messageListeners.size === 0) return;
    const shape = apiNodeMaker(this.graph); // one pass over the connections for the whole batch
    for (const op of ops) {
      switch (op.op) {
        case 'add': {
          if (!this.graph.hasNode(op.name)) break;
          this.emit({ type: 'nodeAdded', node: shape(this.graph.node(op.name)) });
          break;
        }
        case 'remove':
          this.emit({ type: 'nodeRemoved', name: op.name });
          break;
        case 'rename':
          this.emit({ type: 'nodeRenamed', from: op.from, to: op.to });
          break;
        case 'link':
          this.emit({ type: 'linked', connection: toApiConnection(op) });
          break;
        case 'unlink':
          this.emit({ type: 'unlinked', connection: toApiConnection(op) });
          break;
        case 'ports':
          if (this.graph.hasNode(op.name))
            this.emit({ type: 'nodeChanged', node: shape(this.graph.node(op.name)) });
          break;
        case 'set':
        case 'reload':
          break; // `set` is announced as `exports` by the graph; a reload by its ops
        case 'tempo':
          this.emit({ type: 'tempo', bpm: op.bpm });
          break;
      }
    }
  }

  private onWorker(message: FromWorker): void {
    switch (message.kind) {
      case 'status':
        this.statusValue = {
          ...this.statusValue,
          cpuLoad: message.status.cpuLoad,
          // Counted by each worker from its start: add what earlier workers counted.
          underruns: this.underrunsBefore + message.status.underruns,
          audio: message.status.audio,
          latency: message.status.latency,
          ...(message.status.voiceThreads ? { voiceThreads: message.status.voiceThreads } : {}),
        };
        this.workerUnderruns = message.status.underruns;
        this.emit({ type: 'status', status: this.status() });
        break;
      case 'event': {
        const event = message.event;
        if (event.kind === 'exports') this.graph.updateExports(event.node, event.exports);
        else if (event.kind === 'debug') {
          this.emit({ type: 'debug', node: event.node, value: event.value });
          const now = performance.now();
          if (now - (this.lastDebugLog.get(event.node) ?? -Infinity) >= 1000) {
            this.lastDebugLog.set(event.node, now);
            this.log(`debug ${event.node}: ${truncate(JSON.stringify(event.value))}`);
          }
        } else {
          this.log(`${event.kind}${event.node ? ` ${event.node}` : ''}: ${event.message}`);
          this.emit({ type: event.kind, node: event.node, message: event.message });
        }
        break;
      }
      case 'taps':
        for (const listener of this.tapListeners) listener(message.report);
        break;
      case 'audio':
        for (const listener of this.audioListeners) listener(message.sequence, message.frames, message.pcm);
        break;
      case 'midiOut': {
        const messages: MidiOutMessage[] = message.messages.map((m) => ({
          seq: ++this.midiOutSequence,
          ...m,
        }));
        this.midiOutHistory.push(...messages);
        if (this.midiOutHistory.length > MIDI_OUT_HISTORY)
          this.midiOutHistory.splice(0, this.midiOutHistory.length - MIDI_OUT_HISTORY);
        this.midiOutDropped += message.dropped;
        this.emit({ type: 'midiOut', port: 0, messages });
        break;
      }
      case 'late': {
        this.lateScheduled += message.count;
        const text = `${message.count} scheduled OSC message${message.count === 1 ? '' : 's'} arrived after ${message.count === 1 ? 'its' : 'their'} frame was rendered (up to ${message.worstMs} ms late): applied at once — send bundles further ahead`;
        this.log(`warning: ${text}`);
        this.emit({ type: 'warning', node: '', message: text });
        break;
      }
      default:
        break;
    }
  }
}

function truncate(text: string | undefined, limit = 200): string {
  if (text === undefined) return 'undefined';
  return text.length > limit ? `${text.slice(0, limit)}…` : text;
}

/** The control-change messages among MIDI bytes (as complete 3-byte messages; running status expanded). */
export function controlChanges(data: readonly number[]): number[] {
  const out: number[] = [];
  let running = 0;
  let i = 0;
  while (i < data.length) {
    const byte = data[i];
    if (byte >= 0xf8) {
      i++;
      continue;
    }
    if (byte >= 0xf0) {
      running = 0;
      i++;
      while (i < data.length && data[i] < 0x80) i++;
      continue;
    }
    if (byte >= 0x80) {
      running = byte;
      i++;
    } else if (!running) {
      i++;
      continue;
    }
    const kind = running & 0xf0;
    const size = kind === 0xc0 || kind === 0xd0 ? 1 : 2;
    if (i + size > data.length) break;
    if (kind === 0xb0) out.push(running, data[i], data[i + 1]);
    i += size;
  }
  return out;
}
