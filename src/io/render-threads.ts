// Multi-core rendering (issue 14 item 3): a Renderer that renders independent parts of the graph on other
// threads. The engine decides which nodes go where (src/engine/partition.ts); this module is the thread
// mechanics, Node-only (worker_threads, SharedArrayBuffer, Atomics), so the DSP core stays portable.
//
// Threads: this renderer (the main one, with the master bus, PlaybackNodes and every node that touches the
// outside) plus parts. Part 0 renders on this thread before the main plan; parts 1… each on a worker
// (render-thread-worker.ts) that holds a Renderer of its own, fed the edits to its nodes. Per block: the
// workers are woken (Atomics.notify), part 0 renders, then the main plan, in which each node a part feeds
// is a stand-in (RemoteOutputsNode, same name) that waits for its part's block and copies its outputs from
// shared memory. The main plan's order and the master's summation are those of one thread, and each part
// computes the same samples on any thread: the output is bit-identical (test/io/render-threads.test.ts).

import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { MessageChannel, type MessagePort, receiveMessageOnPort, Worker } from 'node:worker_threads';
import { defineNode, type NodeDefinition, type NodeInstance, type PortSpecs } from '../engine/definition.js';
import { MAIN, type PlacementGraph, placeGraph, UNPLACED } from '../engine/partition.js';
import type { RenderOp } from '../engine/prepare.js';
import { NodeRegistry } from '../engine/registry.js';
import { type RenderEvent, Renderer, type RendererOptions } from '../engine/renderer.js';
import type { PortRef } from '../engine/types.js';
import { kernelsFor } from '../engine/wasm/kernels.js';
import { builtinNodes } from '../nodes/index.js';
import { VoicesNode, type VoicesPlan } from '../nodes/instruments/voices-node.js';
import {
  autoVoiceWorkers,
  type CoreLoad,
  MIN_AUTO_VOICES_COST,
  MIN_VOICES_COST,
  MIN_VOICES_WORK,
  VoiceShareNode,
  VoiceSplit,
  voicesCanSplit,
  voicesCost,
  voicesWork,
} from './voice-threads.js';

/** Most threads `auto` uses; beyond a few, per-block wake-ups cost more than parts of a patch gain. */
export const MAX_AUTO_THREADS = 4;
/**
 * Least cost (nodes) of a part worth its own thread. Below it, waking a worker and waiting for it each block
 * costs more than the part saves (measured: `npm run bench -- --only threads`, docs/performance.md).
 */
export const MIN_PART_COST = 96;
/** Output blocks a worker can share with the main thread (its parts' outputs the main plan reads). */
export const MAX_SLOTS_PER_WORKER = 1024;

/** The types a render thread knows (an embedding application's own types stay on the main renderer). */
const BUILTIN = new Set(builtinNodes);
/** Categories of node types that never leave the main renderer: files, devices, ports, nested patches. */
const PINNED_CATEGORIES = new Set(['io', 'midi', 'osc', 'instruments', 'debug']);

/** An op that cannot place a node: a value, a configuration, the tempo, a reload. */
function keepsOwners(kind: RenderOp['op']): boolean {
  return kind === 'set' || kind === 'configure' || kind === 'tempo' || kind === 'reload';
}

/** A batch that cannot place a node or change what the model needs for nodes in the main plan. */
function keepsEveryOwner(batch: readonly RenderOp[]): boolean {
  for (let i = 0; i < batch.length; i++) if (!keepsOwners(batch[i].op)) return false;
  return true;
}

/** Whether nodes of a type may render on another thread, worked out once per type (a batch adds thousands). */
const MOVABLE = new WeakMap<NodeDefinition, boolean>();
function movable(definition: NodeDefinition): boolean {
  let known = MOVABLE.get(definition);
  if (known === undefined) {
    known =
      BUILTIN.has(definition) &&
      !PINNED_CATEGORIES.has(definition.category) &&
      !definition.holdsFile &&
      !definition.ports;
    MOVABLE.set(definition, known);
  }
  return known;
}

/** Control words in each worker's shared Int32Array. */
export const CONTROL = { go: 0, done: 1, seq: 2, ready: 3 } as const;
/** `go` value that tells a worker to end. */
export const GO_EXIT = -1;

/** Messages to a worker's edit port, applied at its next block boundary. */
export type ToPartWorker =
  | { seq: number; kind: 'ops'; ops: RenderOp[] }
  | { seq: number; kind: 'exports'; exports: Array<[node: string, port: string, slot: number]> }
  | { seq: number; kind: 'transport'; running: boolean };

/** A message before the worker part numbers it. */
type Unsequenced = ToPartWorker extends infer T ? (T extends unknown ? Omit<T, 'seq'> : never) : never;

export interface PartWorkerData {
  sampleRate: number;
  blockSize: number;
  control: SharedArrayBuffer;
  clock: SharedArrayBuffer;
  slots: SharedArrayBuffer;
  edits: MessagePort;
  events: MessagePort;
  /** Checks of the `go` word before the worker sleeps after a block (see VOICE_WORKER_SPIN). */
  spin: number;
}

/** A parts' worker spins briefly for its next block: it usually comes within microseconds. */
const PART_WORKER_SPIN = 2000;
/**
 * A voices' worker sleeps at once: its next block comes after the main thread has mixed every voice and run
 * the rest of its plan, and spinning meanwhile took CPU from the main thread on this oversubscribed 2-core
 * machine (docs/performance.md, branch vthread).
 */
const VOICE_WORKER_SPIN = 0;

/** Shared memory and Atomics exist here (Node; a cross-origin isolated page). */
export function sharedMemoryAvailable(): boolean {
  return typeof SharedArrayBuffer === 'function' && typeof Atomics === 'object';
}

/** Threads for `auto`: the cores this process may use, at most MAX_AUTO_THREADS; 1 without shared memory. */
export function autoThreads(): number {
  return sharedMemoryAvailable() ? Math.max(1, Math.min(MAX_AUTO_THREADS, availableParallelism())) : 1;
}

/**
 * Threads running or ready to run on the whole machine right now (Linux: /proc/loadavg's fourth field,
 * this one included), or null where that cannot be read.
 */
function runnableNow(): number | null {
  try {
    const field = readFileSync('/proc/loadavg', 'latin1').split(' ')[3];
    const running = Number(field?.slice(0, field.indexOf('/')));
    return Number.isInteger(running) && running >= 1 ? running : null;
  } catch {
    return null;
  }
}

/**
 * Runnable threads when this module loaded (a `render` process: before it parsed and built the patch), and
 * when: a reading older than RUNNABLE_AT_LOAD_MS says nothing of the machine now.
 */
const runnableAtLoad = { count: runnableNow(), at: performance.now() };
const RUNNABLE_AT_LOAD_MS = 10_000;

/**
 * The machine now, for `splitVoices: 'auto'`: its cores and the other work on them, as threads running or
 * ready besides this one (Linux: counted now and when this module loaded, if that was within 10 s, the
 * larger of the two, so that a process that just paused is still seen), or every core busy when threads
 * waited for a CPU in the last 10 s (CPU pressure ≥ MAX_CPU_PRESSURE %). The 1-minute load average, used
 * where that count is not available, lags: a render started right after another heavy process, or right
 * after a render, still sees its load for a minute (docs/decisions.md, branch vlive).
 * SYNCHROTRON_CORE_LOAD="cores,load" sets the answer (tests, diagnostics).
 */
export function coreLoad(): CoreLoad {
  const given = process.env.SYNCHROTRON_CORE_LOAD?.split(',').map(Number);
  if (given?.length === 2 && given.every(Number.isFinite)) return { cores: given[0], load: given[1] };
  const now = runnableNow();
  const early = performance.now() - runnableAtLoad.at < RUNNABLE_AT_LOAD_MS ? runnableAtLoad.count : null;
  return machineFrom({
    cores: availableParallelism(),
    runnable: now === null ? null : [early ?? now, now],
    pressure: now === null ? null : cpuPressure(),
    loadAverage: now === null ? loadavg()[0] : 0,
  });
}

/** What coreLoad reads, for machineFrom (tests give their own). */
export interface MachineReadings {
  cores: number;
  /** Threads running or ready, this one included, at each reading; null: not counted (not Linux). */
  runnable: number[] | null;
  /** CPU pressure, `some avg10` (%); null: unknown. */
  pressure: number | null;
  /** The 1-minute load average, used when `runnable` is null. */
  loadAverage: number;
}

/** coreLoad's answer from its readings. */
export function machineFrom(readings: MachineReadings): CoreLoad {
  const { cores, runnable } = readings;
  if (runnable === null || runnable.length === 0) return { cores, load: readings.loadAverage };
  // A machine whose threads waited for a CPU lately is busy in bursts (a build, tests): it may look free
  // at both readings and take the core back mid-render; splits lost 0.7–0.9× so (docs/performance.md).
  if ((readings.pressure ?? 0) >= MAX_CPU_PRESSURE) return { cores, load: cores };
  return { cores, load: Math.max(...runnable) - 1 };
}

/** Most CPU pressure (PSI `some avg10`, %) under which 'auto' still counts a core as free. */
const MAX_CPU_PRESSURE = 5;

/**
 * Linux's CPU pressure: the share of the last 10 s (%) in which some thread was ready but waited for a
 * CPU (/proc/pressure/cpu, `some avg10`), or null where it cannot be read.
 */
function cpuPressure(): number | null {
  try {
    const match = /some avg10=([\d.]+)/.exec(readFileSync('/proc/pressure/cpu', 'latin1'));
    return match ? Number(match[1]) : null;
  } catch {
    return null;
  }
}

/** Most threads `--threads` may ask for. */
export const MAX_THREADS = 64;

/** The count a `--threads` option asks for (render and serve): `auto` or absent is autoThreads(). */
export function threadsOption(text: string | undefined): number {
  if (text === undefined || text === 'auto') return autoThreads();
  const threads = /^\d+$/.test(text.trim()) ? Number(text) : Number.NaN;
  if (!(threads >= 1 && threads <= MAX_THREADS))
    throw new Error(`--threads must be auto or a whole number from 1 to ${MAX_THREADS}, got \`${text}\``);
  return threads;
}

/** Stand-in on the main renderer for a node rendered by a part: the same name and stream outputs. */
interface RemoteOutputs {
  /** Waits until the part has rendered this block (nothing for part 0, rendered before the main plan). */
  wait: () => void;
  /** Each output port's block as the part wrote it, in `ports` order. */
  sources: Float32Array[];
  ports: string[];
}

export const RemoteOutputsNode = defineNode<PortSpecs, PortSpecs, RemoteOutputs>({
  type: 'RemoteOutputsNode',
  category: 'internal',
  description: "A node rendered on another thread, as the main renderer sees it: that node's stream outputs.",
  inputs: {},
  outputs: {},
  create(_ctx, io) {
    let wait = () => {};
    let sources: Float32Array[] = [];
    let targets: Float32Array[] = [];
    const instance: NodeInstance<RemoteOutputs> = {
      configure(prepared) {
        wait = prepared.wait;
        sources = prepared.sources;
        targets = prepared.ports.map((port) => (io.outputs[port] as unknown as { buf: Float32Array }).buf);
      },
      process(frames) {
        wait();
        for (let i = 0; i < targets.length; i++) {
          const target = targets[i];
          const source = sources[i];
          for (let f = 0; f < frames; f++) target[f] = source[f];
        }
      },
    };
    return instance;
  },
});

/** The compiled worker, also when running from sources (tests): like the server's render worker. */
function workerUrl(): URL {
  const here = import.meta.url;
  const url = here.endsWith('.ts')
    ? new URL('../../dist/io/render-thread-worker.js', here)
    : new URL('./render-thread-worker.js', here);
  if (!existsSync(fileURLToPath(url)))
    throw new Error(`render thread worker not found at ${fileURLToPath(url)}: run \`npm run build\` first`);
  return url;
}

/** A worker thread rendering parts: its shared memory, its edit queue and the stand-ins waiting on it. */
class WorkerPart {
  readonly worker: Worker;
  readonly control: Int32Array;
  readonly clock: Float64Array;
  readonly slots: Float32Array;
  private readonly edits: MessagePort;
  private readonly events: MessagePort;
  private readonly pending: ToPartWorker[] = [];
  private seq = 0;
  private go = 0;
  /** Nodes it renders; a worker with none is not woken. */
  nodes = 0;
  /** Exported outputs, `node.port` → slot. */
  readonly exports = new Map<string, number>();
  private readonly freeSlots: number[] = [];
  private exportsChanged = false;
  /** Wait for this block; a stand-in's `wait`. Bound once, allocation-free per block. */
  readonly wait: () => void;
  private waitedFor = 0;

  constructor(
    private readonly blockSize: number,
    sampleRate: number,
    private readonly onEvent: (event: RenderEvent) => void,
    spin = PART_WORKER_SPIN,
  ) {
    this.control = new Int32Array(new SharedArrayBuffer(4 * 4));
    this.clock = new Float64Array(new SharedArrayBuffer(8));
    this.slots = new Float32Array(new SharedArrayBuffer(MAX_SLOTS_PER_WORKER * blockSize * 4));
    for (let s = MAX_SLOTS_PER_WORKER - 1; s >= 0; s--) this.freeSlots.push(s);
    const edits = new MessageChannel();
    const events = new MessageChannel();
    this.edits = edits.port1;
    this.events = events.port1;
    const data: PartWorkerData = {
      sampleRate,
      blockSize,
      control: this.control.buffer as SharedArrayBuffer,
      clock: this.clock.buffer as SharedArrayBuffer,
      slots: this.slots.buffer as SharedArrayBuffer,
      edits: edits.port2,
      events: events.port2,
      spin,
    };
    this.worker = new Worker(workerUrl(), { workerData: data, transferList: [edits.port2, events.port2] });
    this.worker.unref();
    this.edits.unref();
    this.events.unref();
    this.worker.on('error', (error) =>
      this.onEvent({ kind: 'fault', node: '', message: `render thread: ${error.message}` }),
    );
    this.wait = () => {
      if (this.waitedFor === this.go) return;
      const control = this.control;
      // Spin briefly first: a futex wake-up costs tens of µs on a busy machine, a block often less.
      for (let spin = 0; spin < 2000; spin++) if (Atomics.load(control, CONTROL.done) === this.go) break;
      while (Atomics.load(control, CONTROL.done) !== this.go)
        Atomics.wait(control, CONTROL.done, this.go - 1, 1000);
      this.waitedFor = this.go;
      this.drainEvents();
    };
  }

  post(message: Unsequenced): void {
    this.pending.push({ ...message, seq: ++this.seq } as ToPartWorker);
  }

  get hasPending(): boolean {
    return this.pending.length > 0 || this.exportsChanged;
  }

  /** The worker has started and waits for blocks (it sets the flag itself: no event loop needed here). */
  get ready(): boolean {
    return Atomics.load(this.control, CONTROL.ready) === 1;
  }

  /** A slot for `node.port`'s block (the same one while it is exported); -1 when none is left. */
  exportSlot(node: string, port: string): number {
    const key = `${node}.${port}`;
    const known = this.exports.get(key);
    if (known !== undefined) return known;
    const slot = this.freeSlots.pop();
    if (slot === undefined) return -1;
    this.exports.set(key, slot);
    this.exportsChanged = true;
    return slot;
  }

  /** `node`'s exports end (it was removed or renamed away). */
  unexport(node: string): void {
    for (const [key, slot] of this.exports)
      if (key.slice(0, key.lastIndexOf('.')) === node) {
        this.exports.delete(key);
        this.freeSlots.push(slot);
        this.exportsChanged = true;
      }
  }

  slotView(slot: number): Float32Array {
    return this.slots.subarray(slot * this.blockSize, (slot + 1) * this.blockSize);
  }

  /** Sends queued edits and wakes the worker for the block starting at `frames`. */
  kick(frames: number): void {
    if (this.exportsChanged) {
      this.exportsChanged = false;
      const exports: Array<[string, string, number]> = [];
      for (const [key, slot] of this.exports) {
        const dot = key.lastIndexOf('.');
        exports.push([key.slice(0, dot), key.slice(dot + 1), slot]);
      }
      this.post({ kind: 'exports', exports });
    }
    if (this.pending.length > 0) {
      for (const message of this.pending) this.edits.postMessage(message);
      this.pending.length = 0;
      Atomics.store(this.control, CONTROL.seq, this.seq);
    }
    this.clock[0] = frames;
    this.go++;
    Atomics.store(this.control, CONTROL.go, this.go);
    Atomics.notify(this.control, CONTROL.go);
  }

  private drainEvents(): void {
    for (;;) {
      const received = receiveMessageOnPort(this.events);
      if (!received) return;
      this.onEvent(received.message as RenderEvent);
    }
  }

  dispose(): void {
    Atomics.store(this.control, CONTROL.go, GO_EXIT);
    Atomics.notify(this.control, CONTROL.go);
    this.drainEvents();
    void this.worker.terminate();
    this.edits.close();
    this.events.close();
  }
}

/** What the control model knows of a node: enough to place it, route its edits and rebuild it. */
interface ModelNode {
  add: Extract<RenderOp, { op: 'add' }>;
  configure?: RenderOp;
  movable: boolean;
  owner: number;
  /** Its index in the last placement (placementGraph). */
  at: number;
  /** Its stand-in's stream ports on the main renderer, when a part renders it and the main plan reads it. */
  remote?: string[];
}

export interface ThreadedRendererOptions extends RendererOptions {
  /** Threads to render on, this one included (1: exactly the plain Renderer). */
  threads: number;
  /** Least cost of a part worth its own thread (default MIN_PART_COST). */
  minPartCost?: number;
  /**
   * Whether the voices of a VoicesNode render on worker threads too; bit-identical in every case. false
   * (the default, and the server's): never; paced in real time a split lost at every size on this 2-core
   * machine, and with heavy voices missed as many deadlines as one thread or more (docs/performance.md,
   * branches vauto, vlive). true (`--split-voices`): every VoicesNode that costs at least `minVoicesCost`
   * splits over every thread, whatever the block size and load. 'auto' (`render`'s default): the engine
   * decides when the node is first configured, from its cost (`minAutoVoicesCost`) and a block's voice work
   * against the hand-offs (`minVoicesWork`), the cores the machine's other work leaves free (`coreLoad`)
   * and whether blocks are paced (`eager`: never); see autoVoiceWorkers.
   */
  splitVoices?: boolean | 'auto';
  /** With `splitVoices: true`: least cost (voices × voice nodes) of a VoicesNode whose voices are split (default MIN_VOICES_COST). */
  minVoicesCost?: number;
  /** With 'auto': least voice work a block (voices × voice nodes × frames) worth a split (default MIN_VOICES_WORK). */
  minVoicesWork?: number;
  /** With 'auto': least cost (voices × voice nodes) worth a split (default MIN_AUTO_VOICES_COST). */
  minAutoVoicesCost?: number;
  /** With 'auto': reads the machine's cores and load when a VoicesNode is first configured (tests inject it). */
  coreLoad?: () => CoreLoad;
  /**
   * Start the workers now and give parts only to those that have started (default false: start one when
   * a part first goes to it, and wait for it). A real-time render thread cannot wait for a thread to
   * start (a second or more on a busy machine: the server's supervisor would take it for hung).
   */
  eager?: boolean;
}

/**
 * A Renderer that renders independent parts of its graph on `threads` threads. With one thread, or once an
 * edit joins parts (see partition.ts), it is the plain Renderer: every node in its own plan.
 */
export class ThreadedRenderer extends Renderer {
  /** Threads in use now (1 once collapsed). */
  threads: number;
  private readonly minPartCost: number;
  private readonly model = new Map<string, ModelNode>();
  /** Links by sink port key. */
  private readonly modelLinks = new Map<string, { source: PortRef; sink: PortRef }>();
  private readonly load: number[];
  private local: Renderer | null = null;
  private readonly workers: Array<WorkerPart | null>;
  private readonly options: ThreadedRendererOptions;

  constructor(options: ThreadedRendererOptions) {
    const registry = new NodeRegistry([...options.registry.definitions(), RemoteOutputsNode]);
    super({ ...options, registry });
    this.options = options;
    this.threads = sharedMemoryAvailable() ? Math.max(1, Math.floor(options.threads)) : 1;
    this.minPartCost = options.minPartCost ?? MIN_PART_COST;
    this.voiceMode = options.splitVoices ?? false;
    this.unmodelled = this.voiceMode === false ? [] : null;
    this.minVoicesCost = options.minVoicesCost ?? MIN_VOICES_COST;
    this.minVoicesWork = options.minVoicesWork ?? MIN_VOICES_WORK;
    this.minAutoVoicesCost = options.minAutoVoicesCost ?? MIN_AUTO_VOICES_COST;
    this.coreLoad = options.coreLoad ?? coreLoad;
    this.load = new Array(this.threads).fill(0);
    this.workers = new Array(this.threads).fill(null);
    this.voiceWorkers = new Array(this.threads).fill(null);
    this.eager = options.eager ?? false;
    if (this.eager) for (let w = 1; w < this.threads; w++) this.workerFor(w);
    // Voice workers too, when voices may split: a patch posted once they run splits at once, not later.
    // ('auto' never splits a paced renderer's voices: see autoVoiceWorkers.)
    if (this.eager && this.voiceMode === true) for (let t = 1; t < this.threads; t++) this.voiceWorkerFor(t);
  }

  private readonly eager: boolean;

  /** Nodes each thread renders: [main renderer, part 0, worker 1, …], for tests and diagnostics. */
  placement(): Map<string, number> {
    if (this.unmodelled !== null) this.buildModel();
    const owners = new Map<string, number>();
    for (const [name, node] of this.model) owners.set(name, this.threads > 1 ? node.owner : MAIN);
    return owners;
  }

  override enqueue(batch: readonly RenderOp[]): void {
    if (this.threads === 1) {
      super.enqueue(batch);
      return;
    }
    if (this.unmodelled !== null) {
      // Values, configures and the tempo (a tempo may come before the patch) need no model for nodes in
      // the main plan; the first batch that adds or links is placed from its own ops.
      const routine = keepsEveryOwner(batch);
      if (routine || (this.unmodelled.length === 0 && this.firstBatchStaysHere(batch))) {
        if (!routine) this.unmodelled.push(batch);
        else if (this.unmodelled.length > 0) this.keepLatest(batch);
        this.routeAllToMain(batch, false);
        return;
      }
      this.buildModel();
    }
    this.updateModel(batch);
    let ops = batch;
    // Only a new node, link or port kind can place a node or join parts: other edits keep every owner.
    if (!ops.some((op) => op.op === 'add' || op.op === 'link' || op.op === 'ports')) {
      ops = this.splitVoices(ops);
      if (this.hasParts()) this.route(ops);
      else this.routeAllToMain(ops);
      return;
    }
    // Eager: a worker still starting takes no part (as if full); its load is kept as it was.
    const load = this.placementLoad();
    const placed: ModelNode[] = [];
    const owners = placeGraph(this.placementGraph(placed), {
      threads: this.threads,
      load,
      minPartCost: this.minPartCost,
    });
    for (let t = 0; t < load.length; t++) if (Number.isFinite(load[t])) this.load[t] = load[t];
    if (!owners) {
      // Routing has not run, so `this.owners` is still as before this batch (copied: collapse resets it).
      this.collapse(ops, new Map(this.owners));
      return;
    }
    let parts = this.hasParts();
    for (let i = 0; i < placed.length; i++) {
      placed[i].owner = owners[i];
      if (owners[i] !== MAIN) parts = true;
    }
    ops = this.splitVoices(ops);
    if (parts) this.route(ops);
    else this.routeAllToMain(ops);
  }

  override get hasPending(): boolean {
    return super.hasPending || (this.local?.hasPending ?? false) || this.workers.some((w) => w?.hasPending);
  }

  override applyPending(): void {
    super.applyPending();
    this.local?.applyPending();
  }

  override start(): void {
    this.local?.start();
    for (const worker of this.workers) worker?.post({ kind: 'transport', running: true });
    for (const worker of this.voiceWorkers) worker?.post({ kind: 'transport', running: true });
    super.start();
  }

  override stop(): void {
    this.local?.stop();
    for (const worker of this.workers) worker?.post({ kind: 'transport', running: false });
    for (const worker of this.voiceWorkers) worker?.post({ kind: 'transport', running: false });
    super.stop();
  }

  override renderBlock(): void {
    if (this.waitingVoices.size > 0) this.splitWaitingVoices();
    // Voices configured by now render in this block (or were applied already): from here on they carry
    // state, and stay on the thread they are on (see configureVoices).
    if (this.voicesToRender.size > 0) {
      for (const name of this.voicesToRender) {
        this.unrenderedVoices.delete(name);
        this.waitingVoices.delete(name);
      }
      this.voicesToRender.clear();
    }
    const flushed = this.voiceWorkersToFlush.size > 0 ? this.flushVoiceWorkers() : null;
    const frames = this.clock.frames;
    const workers = this.workers;
    for (let w = 1; w < workers.length; w++) {
      const worker = workers[w];
      // A worker still starting is woken for its parts only: waiting for it for edits alone would stall.
      if (worker !== null && (worker.nodes > 0 || (worker.hasPending && worker.ready))) worker.kick(frames);
    }
    const local = this.local;
    if (local !== null) {
      local.clock.frames = frames;
      local.renderBlock();
    }
    super.renderBlock();
    // A worker no stand-in waited for (its outputs unread this block) still finishes before the next.
    for (let w = 1; w < workers.length; w++) workers[w]?.wait();
    if (flushed !== null) for (const t of flushed) this.voiceWorkers[t]?.wait();
    this.blocksRendered++;
    if (this.retired.length > 0) this.releaseRetired();
  }

  override streamOutput(ref: PortRef): Float32Array | undefined {
    const node = this.model.get(ref.node);
    if (this.threads === 1 || node === undefined || node.owner === MAIN) return super.streamOutput(ref);
    if (node.owner === 0) return this.local?.streamOutput(ref);
    const worker = this.workers[node.owner]!;
    const slot = worker.exportSlot(ref.node, ref.port);
    return slot < 0 ? undefined : worker.slotView(slot);
  }

  override isFaulted(name: string): boolean {
    const node = this.model.get(name);
    if (this.threads > 1 && node?.owner === 0) return this.local?.isFaulted(name) ?? false;
    return super.isFaulted(name);
  }

  override dispose(): void {
    for (const worker of this.workers) worker?.dispose();
    this.workers.fill(null);
    for (const worker of this.voiceWorkers) worker?.dispose();
    this.voiceWorkers.fill(null);
    this.splits.clear();
    this.local?.dispose();
    this.local = null;
    super.dispose();
  }

  // ------------------------------------------------------------------------------- the control model

  /**
   * While not null, the control model is not kept: the first batch (in it, alone) gave no thread a part, so
   * everything renders in the main plan, and no edit since has added, linked or re-ported a node. A patch
   * that cannot split (`render` of sines-1000: one connected graph) then never pays for the model: building
   * it and placing the batch through it cost ~10 % of that render's start-up and ~1 MB (docs/performance.md,
   * branch startup2). The first edit that could place a node builds the model from that batch (buildModel),
   * exactly as enqueue would have, and from then on it is kept. Not with `splitVoices` (voices read the
   * model's configure ops) and never once the model exists.
   */
  private unmodelled: Array<readonly RenderOp[]> | null;

  /**
   * Whether the renderer's first batch leaves every node in the main plan, placed from the batch itself:
   * the same placement (and load) as through the model, for a batch that only adds and links (no VoicesNode,
   * no node added twice) and sets values, configures or sets the tempo. Anything else, or a part for any
   * thread, answers false (and the model is built). Two links into one port would count both here where the
   * model keeps the last; the Graph never sends that without an unlink between, which is not taken here.
   */
  private firstBatchStaysHere(batch: readonly RenderOp[]): boolean {
    const index = new Map<string, number>();
    // Per added node, by index: movable or not, and its outputs (one registry look-up each).
    const movableOf = new Uint8Array(batch.length);
    const outputsOf: PortSpecs[] = [];
    let links = 0;
    for (let i = 0; i < batch.length; i++) {
      const op = batch[i];
      if (op.op === 'add') {
        const definition = this.registry.get(op.type);
        if (index.has(op.name) || definition === VoicesNode) return false;
        movableOf[outputsOf.length] = movable(definition) ? 1 : 0;
        index.set(op.name, outputsOf.length);
        outputsOf.push(op.outputs ?? definition.outputs);
      } else if (op.op === 'link') links++;
      else if (!keepsOwners(op.op)) return false;
    }
    const count = outputsOf.length;
    const linkSource = new Int32Array(links);
    const linkSink = new Int32Array(links);
    const linkStream = new Uint8Array(links);
    let linkCount = 0;
    for (let i = 0; i < batch.length; i++) {
      const op = batch[i];
      if (op.op !== 'link') continue;
      const s = index.get(op.source.node);
      const k = index.get(op.sink.node);
      if (s === undefined || k === undefined) continue;
      linkSource[linkCount] = s;
      linkSink[linkCount] = k;
      linkStream[linkCount] = outputsOf[s][op.source.port]?.kind === 'stream' ? 1 : 0;
      linkCount++;
    }
    const load = this.placementLoad();
    const owners = placeGraph(
      {
        count,
        movable: movableOf,
        owner: new Int32Array(count).fill(UNPLACED),
        cost: null,
        linkCount,
        linkSource,
        linkSink,
        linkStream,
      },
      { threads: this.threads, load, minPartCost: this.minPartCost },
    );
    if (owners === null) return false;
    for (let i = 0; i < count; i++) if (owners[i] !== MAIN) return false;
    for (let t = 0; t < load.length; t++) if (Number.isFinite(load[t])) this.load[t] = load[t];
    return true;
  }

  /**
   * While unmodelled, each node's latest value and configuration since the first batch (by op and name:
   * bounded by the nodes, however many sets a live server gets): the model built later must hold them, as
   * a node rebuilt from it is made from them.
   */
  private readonly unmodelledLatest = new Map<string, RenderOp>();

  private keepLatest(batch: readonly RenderOp[]): void {
    for (const op of batch)
      if (op.op === 'set' || op.op === 'configure') this.unmodelledLatest.set(`${op.op} ${op.name}`, op);
  }

  /** The control model of the batch kept unmodelled, as enqueue would have made it; kept from now on. */
  private buildModel(): void {
    const batches = this.unmodelled ?? [];
    this.unmodelled = null;
    for (const batch of batches) {
      this.updateModel(batch);
      for (const op of batch) if (op.op === 'add') this.owners.set(op.name, MAIN);
    }
    this.updateModel([...this.unmodelledLatest.values()]);
    this.unmodelledLatest.clear();
  }

  /** Each thread's load for a placement: a worker still starting (eager) takes no part, as if full. */
  private placementLoad(): number[] {
    return this.load.map((cost, t) =>
      t >= 1 && this.eager && !this.workers[t]?.ready ? Number.POSITIVE_INFINITY : cost,
    );
  }

  private updateModel(ops: readonly RenderOp[]): void {
    for (const op of ops) {
      switch (op.op) {
        case 'add':
          this.model.set(op.name, {
            add: op,
            movable: movable(this.registry.get(op.type)),
            owner: MAIN,
            at: -1,
          });
          break;
        case 'remove':
          this.model.delete(op.name);
          for (const [key, link] of this.modelLinks)
            if (link.source.node === op.name || link.sink.node === op.name) this.modelLinks.delete(key);
          break;
        case 'ports': {
          const node = this.model.get(op.name);
          if (node)
            node.add = {
              ...node.add,
              inputs: op.inputs,
              outputs: op.outputs,
              args: op.args ?? node.add.args,
            };
          break;
        }
        case 'rename': {
          const node = this.model.get(op.from);
          if (!node) break;
          this.model.delete(op.from);
          node.add = { ...node.add, name: op.to };
          this.model.set(op.to, node);
          const renamed = [...this.modelLinks.values()].map((link) => ({
            source: link.source.node === op.from ? { ...link.source, node: op.to } : link.source,
            sink: link.sink.node === op.from ? { ...link.sink, node: op.to } : link.sink,
          }));
          this.modelLinks.clear();
          for (const link of renamed) this.modelLinks.set(`${link.sink.node}.${link.sink.port}`, link);
          break;
        }
        case 'link':
          this.modelLinks.set(`${op.sink.node}.${op.sink.port}`, { source: op.source, sink: op.sink });
          break;
        case 'unlink': {
          const key = `${op.sink.node}.${op.sink.port}`;
          const link = this.modelLinks.get(key);
          if (link && link.source.node === op.source.node && link.source.port === op.source.port)
            this.modelLinks.delete(key);
          break;
        }
        case 'set': {
          const node = this.model.get(op.name);
          if (node) node.add = { ...node.add, value: op.value };
          break;
        }
        case 'configure': {
          const node = this.model.get(op.name);
          if (node) node.configure = op;
          break;
        }
      }
    }
  }

  private outputsOf(node: ModelNode): PortSpecs {
    return node.add.outputs ?? this.registry.get(node.add.type).outputs;
  }

  /**
   * The model as placement reads it, by index: `placed` gets the model nodes in index order (each keeps its
   * index in `at`, so a link's ends are one look-up each). Typed arrays, no object per node or link, and the
   * Maps walked with forEach: this runs once per batch that adds or links, over the whole graph, and for a
   * `render` once in all, unoptimised; a for…of over Map entries runs an iterator and destructures each
   * entry there (docs/performance.md, branch startup2).
   */
  private placementGraph(placed: ModelNode[]): PlacementGraph {
    const count = this.model.size;
    const movable = new Uint8Array(count);
    const owner = new Int32Array(count);
    const routed = this.owners;
    this.model.forEach((node, name) => {
      const i = placed.length;
      node.at = i;
      placed.push(node);
      movable[i] = node.movable ? 1 : 0;
      owner[i] = routed.get(name) ?? UNPLACED;
    });
    const linkSource = new Int32Array(this.modelLinks.size);
    const linkSink = new Int32Array(linkSource.length);
    const linkStream = new Uint8Array(linkSource.length);
    let linkCount = 0;
    this.modelLinks.forEach(({ source, sink }) => {
      const from = this.model.get(source.node);
      const to = this.model.get(sink.node);
      if (from === undefined || to === undefined) return;
      linkSource[linkCount] = from.at;
      linkSink[linkCount] = to.at;
      linkStream[linkCount] = this.outputsOf(from)[source.port]?.kind === 'stream' ? 1 : 0;
      linkCount++;
    });
    return { count, movable, owner, cost: null, linkCount, linkSource, linkSink, linkStream };
  }

  // ------------------------------------------------------------------------------- routing edits

  /** The worker for part `owner` (≥ 1), started on first use. */
  private workerFor(owner: number): WorkerPart {
    let worker = this.workers[owner];
    if (!worker) {
      worker = new WorkerPart(this.blockSize, this.sampleRate, (event) => this.onEvent(event));
      if (this.isRunning) worker.post({ kind: 'transport', running: true });
      if (this.lastTempo) worker.post({ kind: 'ops', ops: [this.lastTempo] });
      this.workers[owner] = worker;
    }
    return worker;
  }

  private localPart(): Renderer {
    if (!this.local) {
      this.local = new Renderer({ ...this.options, onEvent: (event) => this.onEvent(event) });
      if (this.lastTempo) this.local.enqueue([this.lastTempo]);
      if (this.isRunning) this.local.start();
    }
    return this.local;
  }

  /** Some node renders in a part (on part 0's renderer or a worker), or has a stand-in here. */
  private hasParts(): boolean {
    return (
      this.local !== null || this.remoteNames.size > 0 || this.workers.some((w) => w !== null && w.nodes > 0)
    );
  }

  /**
   * `route` when every node renders on the main renderer and no part exists (a patch that cannot split):
   * the batch goes to it as it is, with no per-thread lists. Only the routed owners are kept.
   */
  private routeAllToMain(ops: readonly RenderOp[], keepOwners = true): void {
    const owners = this.owners;
    const tempo: RenderOp[] = [];
    for (const op of ops) {
      if (op.op === 'add') {
        if (keepOwners) owners.set(op.name, MAIN);
      } else if (op.op === 'remove') owners.delete(op.name);
      else if (op.op === 'rename') {
        owners.delete(op.from);
        owners.set(op.to, MAIN);
      } else if (op.op === 'tempo') {
        this.lastTempo = op;
        tempo.push(op);
      }
    }
    // Workers started early (eager) and idle keep the tempo, as `route` gives it them.
    if (tempo.length > 0)
      for (const worker of [...this.workers, ...this.voiceWorkers]) worker?.post({ kind: 'ops', ops: tempo });
    super.enqueue(ops);
  }

  /** Sends each op of a batch to the thread that renders its node, and keeps stand-ins in step. */
  private route(ops: readonly RenderOp[]): void {
    const batches = new Map<number, RenderOp[]>();
    const to = (owner: number, op: RenderOp) => {
      const list = batches.get(owner);
      if (list) list.push(op);
      else batches.set(owner, [op]);
    };
    const owners = this.owners;
    const ownerOf = (name: string) => owners.get(name) ?? MAIN;
    for (const op of ops) {
      switch (op.op) {
        case 'add': {
          // A node this batch also removes is not in the model: it lives and goes on the main renderer.
          const owner = this.model.get(op.name)?.owner ?? MAIN;
          owners.set(op.name, owner);
          to(owner, op);
          if (owner >= 1) this.workerFor(owner).nodes++;
          break;
        }
        case 'remove': {
          const owner = ownerOf(op.name);
          owners.delete(op.name);
          to(owner, op);
          if (owner >= 1) {
            const worker = this.workerFor(owner);
            worker.nodes--;
            worker.unexport(op.name);
          }
          if (this.remoteNames.delete(op.name)) to(MAIN, op);
          break;
        }
        case 'rename': {
          const owner = ownerOf(op.from);
          owners.delete(op.from);
          owners.set(op.to, owner);
          to(owner, op);
          if (this.remoteNames.delete(op.from)) {
            // The stand-in and the main renderer's links from it take the new name; its slots are made anew.
            this.remoteNames.add(op.to);
            if (owner >= 1) this.workerFor(owner).unexport(op.from);
            to(MAIN, op);
            this.refreshRemote(op.to, to);
          }
          break;
        }
        case 'link':
        case 'unlink': {
          const sinkOwner = ownerOf(op.sink.node);
          if (op.op === 'link' && ownerOf(op.source.node) >= 0 && sinkOwner === MAIN)
            this.ensureRemote(op.source.node, to);
          to(sinkOwner, op);
          break;
        }
        case 'ports': {
          const owner = ownerOf(op.name);
          to(owner, op);
          if (this.remoteNames.has(op.name)) this.refreshRemote(op.name, to);
          break;
        }
        case 'tempo':
          this.lastTempo = op;
          to(MAIN, op);
          if (this.local) to(0, op);
          for (let w = 1; w < this.workers.length; w++) if (this.workers[w]) to(w, op);
          for (const worker of this.voiceWorkers) worker?.post({ kind: 'ops', ops: [op] });
          break;
        default:
          to(ownerOf(op.name), op);
      }
    }
    // Parts first, so that what the stand-ins read exists when the main renderer applies its edits.
    for (const [owner, list] of [...batches].sort((a, b) => b[0] - a[0])) {
      if (owner === MAIN) super.enqueue(list);
      else if (owner === 0) this.localPart().enqueue(list);
      else this.workerFor(owner).post({ kind: 'ops', ops: list });
    }
  }

  /** Where each node renders, as routed (the model's owner once its add was routed). */
  private readonly owners = new Map<string, number>();
  private lastTempo: RenderOp | undefined;

  /** Names with a stand-in on the main renderer. */
  private readonly remoteNames = new Set<string>();

  /** Makes the stand-in for `name` (rendered by a part) on the main renderer, before a link from it. */
  private ensureRemote(name: string, to: (owner: number, op: RenderOp) => void): void {
    if (this.remoteNames.has(name)) return;
    this.remoteNames.add(name);
    const node = this.model.get(name)!;
    const outputs = this.streamOutputs(node);
    to(MAIN, { op: 'add', name, type: 'RemoteOutputsNode', value: null, inputs: {}, outputs });
    to(MAIN, { op: 'configure', name, prepared: this.remoteOf(name, node, Object.keys(outputs)) });
  }

  private refreshRemote(name: string, to: (owner: number, op: RenderOp) => void): void {
    const node = this.model.get(name)!;
    const outputs = this.streamOutputs(node);
    to(MAIN, { op: 'ports', name, inputs: {}, outputs });
    to(MAIN, { op: 'configure', name, prepared: this.remoteOf(name, node, Object.keys(outputs)) });
  }

  private streamOutputs(node: ModelNode): PortSpecs {
    const outputs: PortSpecs = {};
    for (const [port, spec] of Object.entries(this.outputsOf(node)))
      if (spec.kind === 'stream') outputs[port] = spec;
    return outputs;
  }

  /**
   * What the stand-in reads. Part 0's buffers are read where they are: resolved lazily, because the local
   * renderer makes them when it applies this batch, after this is built.
   */
  private remoteOf(name: string, node: ModelNode, ports: string[]): RemoteOutputs {
    node.remote = ports;
    if (node.owner === 0) {
      const local = this.localPart();
      const remote: RemoteOutputs = { wait: () => {}, sources: [], ports };
      let resolved = false;
      remote.wait = () => {
        if (resolved) return;
        resolved = true;
        for (const port of ports)
          remote.sources.push(local.streamOutput({ node: name, port }) ?? new Float32Array(this.blockSize));
      };
      return remote;
    }
    const worker = this.workerFor(node.owner);
    const sources = ports.map((port) => {
      const slot = worker.exportSlot(name, port);
      if (slot >= 0) return worker.slotView(slot);
      this.onEvent({ kind: 'warning', node: name, message: 'no shared block left for its output: silent' });
      return new Float32Array(this.blockSize);
    });
    return { wait: worker.wait, sources, ports };
  }

  // ------------------------------------------------------------------------------- voices on threads

  /** Workers that render voices of VoicesNodes, by thread (1 …); apart from the parts' workers. */
  private readonly voiceWorkers: Array<WorkerPart | null>;
  /** Each split VoicesNode's workers (by thread) and the shared memory its voices use now. */
  private readonly splits = new Map<string, { threads: number[]; split: VoiceSplit }>();
  /** VoicesNodes worth splitting whose workers are still starting (eager): split once they are ready. */
  private readonly waitingVoices = new Set<string>();
  private readonly voiceMode: boolean | 'auto';
  private readonly minVoicesCost: number;
  private readonly minVoicesWork: number;
  private readonly minAutoVoicesCost: number;
  private readonly coreLoad: () => CoreLoad;

  /**
   * VoicesNodes whose voices have not rendered a block yet (added, not yet configured with voices, or
   * configured since the last block): only these may move voices to or from workers, as moving a voice
   * that rendered would drop its state (phases, envelopes, filters) and change the sound.
   */
  private readonly unrenderedVoices = new Set<string>();
  /** Of those, the ones configured with voices: they render from the next block on. */
  private readonly voicesToRender = new Set<string>();

  /** The threads a VoicesNode's voices render on (1: all on the main thread), for tests and diagnostics. */
  voiceThreads(name: string): number {
    const split = this.splits.get(name);
    return split ? split.threads.length + 1 : 1;
  }

  /** VoicesNodes whose voices render on several threads now (for status and tests). */
  get splitVoicesNodes(): number {
    return this.splits.size;
  }

  /**
   * Whether the voice workers have started (true when voices never split: none is needed), so that a
   * VoicesNode posted now splits at its first block (status and tests wait for it rather than sleep).
   */
  voiceWorkersReady(): boolean {
    if (this.voiceMode !== true) return true;
    for (let t = 1; t < this.threads; t++) if (!this.voiceWorkerReady(t)) return false;
    return true;
  }

  /** Whether voice worker `thread` has started (it is started if need be). Tests delay it by overriding. */
  protected voiceWorkerReady(thread: number): boolean {
    return this.voiceWorkerFor(thread).ready;
  }

  private voiceWorkerFor(thread: number): WorkerPart {
    let worker = this.voiceWorkers[thread];
    if (!worker) {
      worker = new WorkerPart(
        this.blockSize,
        this.sampleRate,
        (event) => this.onEvent(event),
        VOICE_WORKER_SPIN,
      );
      if (this.isRunning) worker.post({ kind: 'transport', running: true });
      if (this.lastTempo) worker.post({ kind: 'ops', ops: [this.lastTempo] });
      this.voiceWorkers[thread] = worker;
    }
    return worker;
  }

  /**
   * A batch's edits of VoicesNodes, as they reach the main renderer: a VoicesNode whose voices are worth
   * splitting is configured with a VoiceSplit, and the workers get their replicas' plans in the same block.
   */
  private splitVoices(ops: readonly RenderOp[]): readonly RenderOp[] {
    let out: RenderOp[] | null = null;
    for (let i = 0; i < ops.length; i++) {
      const op = ops[i];
      let replaced: RenderOp | null = null;
      if (op.op === 'configure') {
        const node = this.model.get(op.name);
        if (node && this.registry.get(node.add.type) === VoicesNode) replaced = this.configureVoices(op);
      } else if (op.op === 'add') {
        if (this.registry.get(op.type) === VoicesNode) this.unrenderedVoices.add(op.name);
      } else if (op.op === 'remove') {
        this.waitingVoices.delete(op.name);
        this.unrenderedVoices.delete(op.name);
        this.voicesToRender.delete(op.name);
        if (this.splits.has(op.name)) this.unsplit(op.name);
      } else if (op.op === 'rename') {
        if (this.waitingVoices.delete(op.from)) this.waitingVoices.add(op.to);
        if (this.unrenderedVoices.delete(op.from)) this.unrenderedVoices.add(op.to);
        if (this.voicesToRender.delete(op.from)) this.voicesToRender.add(op.to);
        const split = this.splits.get(op.from);
        if (split) {
          this.splits.delete(op.from);
          this.splits.set(op.to, split);
          for (const t of split.threads) this.voiceWorkerFor(t).post({ kind: 'ops', ops: [op] });
        }
      }
      if (replaced !== null && out === null) out = ops.slice(0, i);
      if (out !== null) out.push(replaced ?? op);
    }
    return out ?? ops;
  }

  /**
   * The configure op the main renderer gets for a VoicesNode (with a VoiceSplit when its voices split).
   * Voices move between threads only before they first render: a replica starts afresh, so moving a voice
   * that rendered would change samples. Afterwards a configure (a reload, another voice count) keeps the
   * node's threads, whatever the cost says; it leaves them only when the workers cannot hold the new voice
   * patch (pinned nodes) or it has no voices, where nothing else is possible.
   */
  private configureVoices(op: Extract<RenderOp, { op: 'configure' }>): RenderOp | null {
    const plan = op.prepared as VoicesPlan | null;
    const splittable =
      plan !== null && plan.plans.length > 0 && voicesCanSplit(plan.plans[0].patch, this.registry, BUILTIN);
    const fresh = this.unrenderedVoices.has(op.name);
    if (fresh && plan !== null) this.voicesToRender.add(op.name);
    this.waitingVoices.delete(op.name);
    let threads: number[] = [];
    if (!fresh) {
      if (splittable) threads = [...(this.splits.get(op.name)?.threads ?? [])];
    } else if (splittable) {
      // Taken once, before the node's voices first render, so the output never depends on it (only speed).
      const workers = this.voiceWorkerCount(plan);
      for (let t = 1; t <= workers && t < plan.voices; t++) threads.push(t);
      // Eager (a real-time thread): only when every worker has started; if one has not, the node renders
      // here, and splits if its workers are ready before its first block (splitWaitingVoices), else never.
      if (this.eager && threads.some((t) => !this.voiceWorkerReady(t))) {
        this.waitingVoices.add(op.name);
        threads = [];
      }
    }
    if (threads.length === 0) {
      if (this.splits.has(op.name)) this.unsplit(op.name);
      return null;
    }
    const before = this.splits.get(op.name);
    for (const t of before?.threads ?? []) if (!threads.includes(t)) this.dropReplicas(t, op.name);
    const workers = threads.map((t) => this.voiceWorkerFor(t));
    const split = new VoiceSplit(plan!, this.blockSize, workers, kernelsFor(this.master.left));
    if (before) this.retire(before.split);
    threads.forEach((t, w) => {
      const ops: RenderOp[] = [];
      if (!before?.threads.includes(t))
        ops.push({
          op: 'add',
          name: op.name,
          type: VoiceShareNode.type,
          value: null,
          inputs: {},
          outputs: {},
        });
      ops.push({ op: 'configure', name: op.name, prepared: split.shares[w] });
      workers[w].post({ kind: 'ops', ops });
    });
    this.splits.set(op.name, { threads, split });
    return { op: 'configure', name: op.name, prepared: { ...plan!, remote: split } satisfies VoicesPlan };
  }

  /** A VoicesNode's voices no longer split: the workers drop their replicas. */
  private unsplit(name: string): void {
    const split = this.splits.get(name);
    if (!split) return;
    this.splits.delete(name);
    this.retire(split.split);
    for (const t of split.threads) this.dropReplicas(t, name);
  }

  /** Splits replaced or dropped, and the block after which nothing reads them (their memory goes back). */
  private readonly retired: Array<{ split: VoiceSplit; after: number }> = [];
  private blocksRendered = 0;

  /**
   * `split` is replaced: its VoicesNode takes the new one at the next block's start, and its workers their
   * new shares (or removals) before they render again, so after that block nothing uses its memory.
   */
  private retire(split: VoiceSplit): void {
    this.retired.push({ split, after: this.blocksRendered + 1 });
  }

  private releaseRetired(): void {
    let kept = 0;
    for (const entry of this.retired) {
      if (entry.after <= this.blocksRendered) entry.split.release();
      else this.retired[kept++] = entry;
    }
    this.retired.length = kept;
  }

  /** The worker threads a fresh VoicesNode's voices split over (0: none), by `splitVoices`. */
  private voiceWorkerCount(plan: VoicesPlan): number {
    if (this.voiceMode === 'auto')
      return autoVoiceWorkers(voicesWork(plan, this.blockSize), this.threads, plan.voices, {
        machine: this.coreLoad(),
        paced: this.eager,
        minWork: this.minVoicesWork,
        cost: voicesCost(plan),
        minCost: this.minAutoVoicesCost,
      });
    return this.voiceMode && voicesCost(plan) >= this.minVoicesCost ? this.threads - 1 : 0;
  }

  /** Voice worker `t` drops `name`'s replicas (sent by the next `begin` of a split using it, else flushed). */
  private dropReplicas(t: number, name: string): void {
    this.voiceWorkerFor(t).post({ kind: 'ops', ops: [{ op: 'remove', name }] });
    this.voiceWorkersToFlush.add(t);
  }

  /** Voice workers with edits that no VoicesNode's `begin` may send (none of their splits is left). */
  private readonly voiceWorkersToFlush = new Set<number>();

  /**
   * Wakes the voice workers that no split uses any more, so that they drop their replicas; only those:
   * a woken worker's share nodes read words the main thread writes without atomics during `begin`.
   */
  private flushVoiceWorkers(): number[] {
    const flushed: number[] = [];
    for (const t of this.voiceWorkersToFlush) {
      const worker = this.voiceWorkers[t];
      let used = false;
      for (const split of this.splits.values()) if (split.threads.includes(t)) used = true;
      if (worker === null || used) {
        this.voiceWorkersToFlush.delete(t);
        continue;
      }
      if (!worker.ready) continue;
      this.voiceWorkersToFlush.delete(t);
      worker.kick(this.clock.frames);
      flushed.push(t);
    }
    return flushed;
  }

  /**
   * Eager: VoicesNodes that waited for their workers to start, and have not rendered yet, are configured
   * again now that the workers have.
   */
  private splitWaitingVoices(): void {
    for (let t = 1; t < this.threads; t++)
      if (this.voiceWorkers[t] !== null && !this.voiceWorkerReady(t)) return;
    const ops: RenderOp[] = [];
    for (const name of this.waitingVoices) {
      const configure = this.model.get(name)?.configure;
      if (configure) ops.push(configure);
    }
    this.waitingVoices.clear();
    if (ops.length > 0) this.enqueue(ops);
  }

  // ------------------------------------------------------------------------------- collapse to one thread

  /**
   * An edit joined parts that render on different threads: from now on everything renders on this one.
   * The nodes parts rendered are made again here (their state starts afresh, once); the rest carry on.
   */
  private collapse(ops: readonly RenderOp[], before: ReadonlyMap<string, number>): void {
    const moved = new Set<string>();
    for (const [name, owner] of before) if (owner !== MAIN && this.model.has(name)) moved.add(name);
    const rebuild: RenderOp[] = [];
    // Remove stand-ins, and apply the batch's edits to what stays here (ops for moved nodes are in the model).
    for (const name of this.remoteNames) rebuild.push({ op: 'remove', name });
    this.remoteNames.clear();
    for (const worker of this.workers) worker?.dispose();
    this.workers.fill(null);
    // Split voices come home: their VoicesNodes are configured again without workers (those voices afresh).
    for (const worker of this.voiceWorkers) worker?.dispose();
    this.voiceWorkers.fill(null);
    for (const { split } of this.splits.values()) this.retire(split);
    for (const name of this.splits.keys()) {
      const configure = this.model.get(name)?.configure;
      if (configure && !ops.includes(configure)) rebuild.push(configure);
    }
    this.splits.clear();
    this.waitingVoices.clear();
    this.unrenderedVoices.clear();
    this.voicesToRender.clear();
    this.voiceWorkersToFlush.clear();
    this.local?.dispose();
    this.local = null;
    this.threads = 1;
    const involvesMoved = (op: RenderOp): boolean => {
      if (op.op === 'link' || op.op === 'unlink') return moved.has(op.sink.node);
      if (op.op === 'rename') return moved.has(op.to);
      if (op.op === 'tempo') return false;
      return moved.has(op.name) || (op.op === 'remove' && (before.get(op.name) ?? MAIN) !== MAIN);
    };
    for (const op of ops) if (!involvesMoved(op)) rebuild.push(op);
    for (const name of this.owners.keys()) this.owners.set(name, MAIN);
    for (const name of moved) {
      const node = this.model.get(name)!;
      node.owner = MAIN;
      node.remote = undefined;
      rebuild.push(node.add);
      if (node.configure) rebuild.push(node.configure);
    }
    for (const link of this.modelLinks.values())
      if (moved.has(link.sink.node)) rebuild.push({ op: 'link', source: link.source, sink: link.sink });
    this.onEvent({
      kind: 'warning',
      node: '',
      message: 'an edit joined parts rendered on different threads: rendering on one thread from now on',
    });
    super.enqueue(rebuild);
  }
}
