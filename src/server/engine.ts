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
import { validateBlockSize, validateSampleRate } from '../engine/renderer.js';
import { createRegistry } from '../engine/synchrotron.js';
import type { ScopeView } from '../engine/taps.js';
import type { DataValue, PortRef } from '../engine/types.js';
import { readFileInside, readFileInsideSync } from '../io/secure-files.js';
import { DEFAULT_LIMITS } from '../io/security.js';
import { PatchLoader, type PatchView, type ScriptHost } from '../lang/index.js';
import type { AudioMode, FromWorker, TapReport, ToWorker, WorkerConfig } from './worker-messages.js';

export interface EngineOptions {
  sampleRate?: number;
  blockSize?: number;
  audio?: AudioMode;
  /** Folder WavFileNode paths are confined to (default: the current directory). */
  root?: string;
  /** Render lookahead in seconds (default 0.05). */
  latency?: number;
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

type WorkerReady = { audio: string; fallback?: string; midiPorts: string[]; midiOutputPorts: string[] };

/** Starts a render worker and waits for it to open its output; rejects with a clear message if it cannot. */
async function spawnWorker(config: WorkerConfig): Promise<{ worker: Worker; ready: WorkerReady }> {
  const worker = new Worker(workerUrl(), { workerData: config });
  const ready = await new Promise<WorkerReady>((resolve, reject) => {
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
      worker.off('message', onMessage);
      worker.off('error', onError);
      worker.off('exit', onExit);
    };
    worker.on('message', onMessage);
    worker.on('error', onError);
    worker.on('exit', onExit);
  });
  return { worker, ready };
}

/** Restarts allowed within RESTART_WINDOW_MS before the engine gives up (a worker that dies at once). */
const MAX_RESTARTS = 5;
const RESTART_WINDOW_MS = 60_000;

export class LiveEngine {
  readonly graph: Graph;
  readonly registry: NodeRegistry;
  readonly sampleRate: number;
  readonly blockSize: number;
  /** The render worker; null while a dead one is being replaced (posts are dropped, then replayed). */
  private worker: Worker | null;
  private readonly config: WorkerConfig;
  readonly limits: Limits;
  /** Runs structural inputs' `prepare` here on the main thread; results go to the worker as ops. */
  private readonly preparer: Preparer;
  private restarts: number[] = [];
  /** What the worker has been told besides the graph, to tell a replacement the same. */
  private watching: { ports: PortRef[]; spectrum: boolean; master: boolean; views: ScopeView[] } | null =
    null;
  private readonly log: (line: string) => void;
  private statusValue: EngineStatus;
  private statusAt = performance.now();
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
    worker: Worker,
    options: Required<Pick<EngineOptions, 'sampleRate' | 'blockSize'>> & {
      config: WorkerConfig;
      limits: Limits;
      audio: string;
      midiPorts: string[];
      midiOutputPorts: string[];
      log: (line: string) => void;
      watchPatches: boolean;
    },
  ) {
    this.worker = worker;
    this.config = options.config;
    this.sampleRate = options.sampleRate;
    this.blockSize = options.blockSize;
    this.log = options.log;
    this.registry = createRegistry();
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
      running: options.config.running ?? true,
      sampleRate: options.sampleRate,
      blockSize: options.blockSize,
      clock: 0,
      cpuLoad: 0,
      underruns: 0,
      audio: options.audio,
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
    this.attach(worker);
  }

  private attach(worker: Worker): void {
    worker.on('message', (message: FromWorker) => this.onWorker(message));
    worker.on('error', (error) => this.log(`render worker error: ${error.message}`));
    worker.on('exit', (code) => {
      if (!this.closed && this.worker === worker) void this.replaceWorker(code);
    });
  }

  /**
   * The render worker died (a crash in native audio code, an out-of-memory, a bug): start another and
   * rebuild the graph in it from the authoritative copy here, so the sound comes back and nothing a client
   * made is lost. Node state (phases, envelopes) starts afresh; a WAV take that was recording goes on
   * in a new file (`take-1.wav`): the new worker does not know the old take as its own, so never overwrites it.
   */
  private async replaceWorker(code: number): Promise<void> {
    this.worker = null;
    const now = performance.now();
    this.restarts = this.restarts.filter((at) => now - at < RESTART_WINDOW_MS);
    if (this.restarts.length >= MAX_RESTARTS) {
      const message = `render worker stopped (code ${code}) ${MAX_RESTARTS} times within a minute; not restarting`;
      this.log(message);
      this.emit({ type: 'warning', node: '', message });
      return;
    }
    this.restarts.push(now);
    const message = `render worker stopped (code ${code}); restarting it with the current graph`;
    this.log(message);
    this.emit({ type: 'warning', node: '', message });
    try {
      const { worker } = await spawnWorker(this.config);
      if (this.closed) {
        await worker.terminate();
        return;
      }
      this.worker = worker;
      this.attach(worker);
      // Prepared structures were handed to the old worker: prepare them again for this one.
      this.post({ kind: 'ops', ops: this.preparer.prepareAll(this.graph.snapshotOps()) });
      this.post({ kind: 'transport', running: this.statusValue.running });
      if (this.watching) this.post({ kind: 'watch', ...this.watching });
      if (this.audioListeners.size > 0) this.post({ kind: 'stream', enabled: true });
    } catch (error) {
      this.log(`render worker could not be restarted: ${(error as Error).message}`);
    }
  }

  /** Resolves when no structural input is being prepared (files read), e.g. before measuring. */
  ready(): Promise<void> {
    return this.preparer.ready();
  }

  /** For tests and diagnostics: end the render worker as a crash would. */
  async killWorkerForTest(): Promise<void> {
    await this.worker?.terminate();
  }

  /** Starts the render worker and opens the audio output; rejects with a clear message if it cannot. */
  static async create(options: EngineOptions = {}): Promise<LiveEngine> {
    const sampleRate = options.sampleRate ?? 44100;
    const blockSize = options.blockSize ?? 128;
    validateSampleRate(sampleRate);
    validateBlockSize(blockSize);
    const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
    const limits: Limits = { ...DEFAULT_LIMITS, ...options.limits };
    const config: WorkerConfig = {
      sampleRate,
      blockSize,
      audio: options.audio ?? 'auto',
      root: options.root ?? process.cwd(),
      latency: options.latency ?? 0.05,
      sinkId: options.sinkId,
      running: options.running ?? true,
      oscSend: options.oscSend ?? 'loopback',
      limits: { maxOpenFiles: limits.maxOpenFiles, maxRecordBytes: limits.maxRecordBytes },
      reservedPaths: options.reservedPaths ?? [],
    };
    const { worker, ready } = await spawnWorker(config);
    if (ready.fallback)
      log(
        `audio: no output device (${ready.fallback}); rendering in real time without one, as with --audio none`,
      );
    else log(`audio: ${ready.audio === 'none' ? 'none (real-time clock, no device)' : ready.audio}`);
    return new LiveEngine(worker, {
      config,
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
    return { ...this.statusValue, clock: this.clock(), tempo: this.graph.tempo };
  }

  /** How far ahead of the output the worker renders (seconds): more with a sound card (see render-worker). */
  get renderAhead(): number {
    return this.statusValue.audio === 'none' ? this.config.latency : Math.max(this.config.latency, 0.1);
  }

  /** Scheduled messages (OSC bundles) applied after their frame had been rendered, since start-up. */
  get lateCount(): number {
    return this.lateScheduled;
  }

  get running(): boolean {
    return this.statusValue.running;
  }

  /** Frames rendered: the worker's last report, advanced by the time since (it reports 4×/s). */
  clock(): number {
    const s = this.statusValue;
    if (!s.running) return s.clock;
    const elapsed = ((performance.now() - this.statusAt) / 1000) * this.sampleRate;
    return s.clock + Math.floor(elapsed / this.blockSize) * this.blockSize;
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
    this.statusValue = { ...this.statusValue, clock: this.clock(), running };
    this.statusAt = performance.now();
    this.post({ kind: 'transport', running });
    if (changed) this.emit({ type: 'transport', running });
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
      const worker = this.worker;
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
    if (this.closed || !this.worker) return;
    if (
      this.scheduledAt !== undefined &&
      (message.kind === 'ops' ||
        message.kind === 'transport' ||
        message.kind === 'midi' ||
        message.kind === 'osc')
    ) {
      this.worker.postMessage({ ...message, at: this.scheduledAt });
      return;
    }
    this.worker.postMessage(message);
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
          clock: message.status.clock,
          cpuLoad: message.status.cpuLoad,
          underruns: message.status.underruns,
          audio: message.status.audio,
        };
        this.statusAt = performance.now();
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
