// The voices of a VoicesNode on several threads (issue 14 item 3). The VoicesNode stays on the main
// renderer with its voice bank (allocation, stealing, idleness: they need every voice's level); voices
// v with v mod T ≠ 0 (T threads) render on workers, each holding a replica of the voice patch for its voices
// in a VoiceShareNode of its own Renderer. Per block the main thread's bank writes every voice's inlets
// (frequency, gate …) — the workers' voices' into shared memory —, `begin` wakes the workers, the main
// thread renders its voices, `end` waits (Atomics), and the VoicesNode mixes every voice in voice order from
// where it lies: the output is one thread's, bit for bit. Thread mechanics (shared memory, waking) are here
// and in render-threads.ts; the nodes only see typed arrays and two calls.

import {
  type ChildPlan,
  defineNode,
  type NodeDefinition,
  type NodeInstance,
  StreamInput,
} from '../engine/definition.js';
import type { PatchDescription, PatchPlan } from '../engine/patch.js';
import type { NodeRegistry } from '../engine/registry.js';
import { type Kernels, kernelsFor } from '../engine/wasm/kernels.js';
import { isInlet } from '../nodes/instruments/inlet-node.js';
import { PatchRuntime } from '../nodes/instruments/patch-runtime.js';
import { MAX_VOICES, VOICE_INLETS, VoiceOutputOffsets } from '../nodes/instruments/voice-bank.js';
import type { RemoteVoices, VoicesPlan } from '../nodes/instruments/voices-node.js';

/**
 * Least cost (voices × nodes of the voice patch) of a VoicesNode whose voices are split among threads, when
 * splitting is on (ThreadedRendererOptions.splitVoices; off by default). Below it, waking a worker and
 * waiting for it twice a block (~40 µs wall, ~75–90 µs CPU on this 2-core machine under load) costs more
 * than its half of the voices can save: poly-32 of the 11-node subtractive voice (352) came out at
 * 0.55–1.0× one thread (measured: `npm run bench -- --only poly-32-threads`; docs/performance.md).
 */
export const MIN_VOICES_COST = 512;

/**
 * Least voice work a block (voices × nodes of the voice patch × frames) for which `splitVoices: 'auto'`
 * splits a VoicesNode's voices. A split block pays fixed hand-offs (waking the sleeping worker, its start,
 * seeing it done: ~30–80 µs here), so the voices' work must be large against them. Calibrated on the
 * bench's 11-node subtractive voice, ~60 voices sounding, back-to-back blocks on two idle cores
 * (`npx tsx bench/voice-split-blocks.ts VOICES THREADS FRAMES`, docs/performance.md, branch vauto): 32
 * voices lost at every block size (0.8–0.97×); 64 voices × 256 frames (this figure) and more gained
 * 1.1–1.2× (medians). A whole `render` also needs MIN_AUTO_VOICES_COST (branch vlive).
 */
export const MIN_VOICES_WORK = 64 * 11 * 256;

/**
 * Least cost (voices × voice nodes: voice work per frame, so per second of audio) for which `splitVoices:
 * 'auto'` splits, besides MIN_VOICES_WORK a block. A whole `render` pays the worker's start-up and a block's
 * hand-offs against its voices: on a quiet 2-core machine (5 alternating rounds, docs/performance.md, branch
 * vlive) splits at 704 and 928 (64 × 11 at 256 frames, 32 × 29 at 256) lost 0.98× and 0.91× by median
 * (0.80–1.01), those at 1,408–3,712 broke even or gained (medians 1.00–1.22×), even where a block's work
 * was the same as a losing one's (32 × 29 at 256 frames lost, 64 × 29 at 128 did not).
 */
export const MIN_AUTO_VOICES_COST = 1400;

/** What the machine offers a split when a VoicesNode is first configured. */
export interface CoreLoad {
  /** Cores this process may use (os.availableParallelism()). */
  cores: number;
  /**
   * The other work: threads running or ready besides the render thread (render-threads.ts `coreLoad`:
   * counted on Linux, `cores` when threads waited for a CPU lately; else the 1-minute load average).
   */
  load: number;
}

/**
 * The worker threads (0: none) `splitVoices: 'auto'` gives a VoicesNode's voices: none for paced blocks
 * (a real-time render: there the worker sleeps between the render thread's wake-ups, and a split block
 * measured 0.5–0.8× one thread's), none when a block's voice work (`work`: voices × voice nodes × frames)
 * is below `minWork` or its cost (voices × voice nodes, when given) below `minCost` (MIN_AUTO_VOICES_COST),
 * else one per core the other load leaves free, at most `threads` − 1 and `voices` − 1.
 * The render thread takes a core of its own, and is mostly not in the load yet (a split is chosen before
 * the first block), so the free cores are cores − 1 − load, rounded: one other busy process on two cores
 * leaves none. A worker that shares a core with another process waits for the scheduler every block
 * (0.64–0.76× at load 6–7.5).
 */
export function autoVoiceWorkers(
  work: number,
  threads: number,
  voices: number,
  options: { machine: CoreLoad; paced?: boolean; minWork?: number; cost?: number; minCost?: number },
): number {
  if (options.paced === true || !(work >= (options.minWork ?? MIN_VOICES_WORK))) return 0;
  if (options.cost !== undefined && !(options.cost >= (options.minCost ?? MIN_AUTO_VOICES_COST))) return 0;
  const free = Math.round(options.machine.cores - 1 - options.machine.load);
  return Math.max(0, Math.min(threads - 1, voices - 1, free));
}

/** Categories of inner nodes that keep a voice patch on the main thread (files, devices, nested patches). */
const PINNED_CATEGORIES = new Set(['io', 'midi', 'osc', 'instruments', 'debug']);
const PATCH_PORTS = new Set(['InletNode', 'OutletNode']);

/**
 * A voice patch whose voices may render elsewhere: only built-in node types that touch nothing outside
 * the engine, and only stream inlets besides the voice inlets (their blocks are copied to the workers;
 * data and MIDI inlets are not carried yet).
 */
export function voicesCanSplit(
  patch: PatchDescription,
  registry: NodeRegistry,
  builtin: Set<NodeDefinition>,
) {
  for (const node of patch.nodes) {
    if (PATCH_PORTS.has(node.type)) continue;
    if (!registry.has(node.type)) return false;
    const definition = registry.get(node.type);
    if (!builtin.has(definition) || PINNED_CATEGORIES.has(definition.category) || definition.holdsFile)
      return false;
  }
  return patch.inlets.every(
    (inlet) => (VOICE_INLETS as readonly string[]).includes(inlet.name) || inlet.kind === 'stream',
  );
}

/** What the work of a VoicesNode's voices is estimated at (see MIN_VOICES_COST). */
export function voicesCost(plan: VoicesPlan): number {
  return plan.voices * (plan.plans[0]?.patch.weight ?? 0);
}

/** A block's voice work: the cost times the frames of a block (see MIN_VOICES_WORK). */
export function voicesWork(plan: VoicesPlan, blockSize: number): number {
  return voicesCost(plan) * blockSize;
}

/**
 * The thread (0: the main one) that renders voice `v` of a node split over `threads` threads. The main
 * thread keeps two voices in every threads + 1 (with two threads, two thirds): a worker's voices also pay
 * its wake-up and the copies of their blocks in and out, so with even halves the main thread waited for it
 * (docs/performance.md, branch vthread2). Voices are mixed in voice order wherever they render.
 */
export function threadOfVoice(v: number, threads: number): number {
  const r = v % (threads + 1);
  return r === threads ? 0 : r;
}

/** One worker as a split sees it (render-threads.ts's WorkerPart). */
export interface VoiceWorker {
  kick(frames: number): void;
  wait(): void;
  readonly hasPending: boolean;
}

/** What a worker's VoiceShareNode is configured with (crosses to the worker: plain data and shared memory). */
export interface VoiceShare {
  /** Its word in `control` (the workers of a split count from 0). */
  slot: number;
  workers: number;
  /** The voices it renders and their plans, aligned. */
  voices: number[];
  plans: PatchPlan[];
  /** The voice patch's other inlets (stream), whose blocks the main thread copies to `blocks`. */
  inputs: string[];
  layout: ShareLayout;
  control: SharedArrayBuffer;
  peak: SharedArrayBuffer;
  blocks: SharedArrayBuffer;
  /** Where the output blocks lie (layout.leftAt, rightAt): the main thread's kernels' memory, or `blocks`. */
  outputs: SharedArrayBuffer;
}

/** Where things lie in a split's shared memory (by voice index; Int32 words, Float32 blocks). */
interface ShareLayout {
  blockSize: number;
  voices: number;
  /**
   * control: [due flag per worker slot] [active per voice] [constant per input] [stale per inlet k, per
   * voice: the main thread wrote that drive block since the worker last copied it]
   */
  activeAt: number;
  constantAt: number;
  staleAt: number;
  /** blocks: drive blocks by inlet k (−1: the patch lacks it) at driveAt[k] + v·blockSize; inputs. */
  driveAt: number[];
  inputsAt: number;
  floats: number;
  /** outputs (VoiceShare.outputs), in floats: voice v's left block at leftAt + v·blockSize, right likewise. */
  leftAt: number;
  rightAt: number;
}

function layoutFor(
  blockSize: number,
  voices: number,
  workers: number,
  patch: PatchDescription,
  inputs: number,
) {
  let floats = 0;
  const driveAt = VOICE_INLETS.map((name) => {
    if (!patch.inlets.some((inlet) => inlet.name === name)) return -1;
    const at = floats;
    floats += voices * blockSize;
    return at;
  });
  const inputsAt = floats;
  floats += inputs * blockSize;
  // Outputs after the rest; moved into the main thread's kernels' memory when it has room (VoiceSplit).
  const leftAt = floats;
  floats += voices * blockSize;
  const rightAt = floats;
  floats += voices * blockSize;
  return {
    blockSize,
    voices,
    activeAt: workers,
    constantAt: workers + voices,
    staleAt: workers + voices + inputs,
    driveAt,
    leftAt,
    rightAt,
    inputsAt,
    floats,
  } satisfies ShareLayout;
}

/**
 * The main thread's side of a VoicesNode split among threads: the RemoteVoices its VoicesNode renders
 * with. Made again (new shared memory) at each configure of the node; the workers' replicas keep their state.
 */
export class VoiceSplit implements RemoteVoices {
  readonly remote = new Uint8Array(MAX_VOICES);
  readonly left: Array<Float32Array | null> = Array.from({ length: MAX_VOICES }, () => null);
  readonly right: Array<Float32Array | null> = Array.from({ length: MAX_VOICES }, () => null);
  readonly peak: Float64Array;
  readonly inputs: readonly string[];
  /** One VoiceShare per worker, in worker order, to post to them. */
  readonly shares: VoiceShare[];
  private readonly drives: Array<Array<Float32Array | null>>;
  private readonly control: Int32Array;
  private readonly blocks: Float32Array;
  private readonly layout: ShareLayout;
  private readonly inputBlocks: Float32Array[];
  private readonly kicked: Uint8Array;
  /** Each worker's voices, ascending. */
  private readonly owned: Int32Array[];
  /** The output blocks in `kernels`' memory at byte `outputsAt` (−1: in `blocks`); give back with release. */
  private readonly outputsAt: number = -1;
  private readonly outputBytes: number = 0;

  /**
   * `kernels`: the main thread's (the VoicesNode's), whose memory, when shared, holds the workers' output
   * blocks, so that the node mixes them with `mixVoices` as its own voices rather than in a JS loop.
   */
  constructor(
    plan: VoicesPlan,
    blockSize: number,
    private readonly workers: readonly VoiceWorker[],
    private readonly kernels: Kernels | null = null,
  ) {
    const patch = plan.plans[0].patch;
    const threads = workers.length + 1;
    const voices = plan.voices;
    this.inputs = patch.inlets
      .filter((inlet) => !(VOICE_INLETS as readonly string[]).includes(inlet.name))
      .map((inlet) => inlet.name);
    const layout = layoutFor(blockSize, voices, workers.length, patch, this.inputs.length);
    this.layout = layout;
    const control = new SharedArrayBuffer(4 * (layout.staleAt + VOICE_INLETS.length * voices));
    const peak = new SharedArrayBuffer(8 * voices);
    let outputs: SharedArrayBuffer | null = null;
    if (
      kernels !== null &&
      typeof SharedArrayBuffer === 'function' &&
      kernels.heap instanceof SharedArrayBuffer
    ) {
      this.outputBytes = 4 * 2 * voices * blockSize;
      this.outputsAt = kernels.allocState(this.outputBytes);
      if (this.outputsAt >= 0) {
        outputs = kernels.heap as unknown as SharedArrayBuffer; // grown, if need be, to hold the blocks
        layout.leftAt = this.outputsAt / 4;
        layout.rightAt = layout.leftAt + voices * blockSize;
        layout.floats -= 2 * voices * blockSize;
      }
    }
    const blocks = new SharedArrayBuffer(4 * layout.floats);
    outputs ??= blocks;
    const outputView = new Float32Array(outputs);
    this.control = new Int32Array(control);
    this.peak = new Float64Array(peak);
    this.blocks = new Float32Array(blocks);
    this.kicked = new Uint8Array(workers.length);
    const view = (at: number) => this.blocks.subarray(at, at + blockSize);
    this.drives = layout.driveAt.map((at) =>
      Array.from({ length: MAX_VOICES }, (_, v) => (at >= 0 && v < voices ? view(at + v * blockSize) : null)),
    );
    this.inputBlocks = this.inputs.map((_, i) => view(layout.inputsAt + i * blockSize));
    this.shares = workers.map((_, w) => ({
      slot: w,
      workers: workers.length,
      voices: [],
      plans: [],
      inputs: [...this.inputs],
      layout,
      control,
      peak,
      blocks,
      outputs: outputs as SharedArrayBuffer,
    }));
    for (let v = 0; v < voices; v++) {
      const thread = threadOfVoice(v, threads);
      if (thread === 0) continue;
      this.remote[v] = 1;
      const leftAt = layout.leftAt + v * blockSize;
      const rightAt = layout.rightAt + v * blockSize;
      this.left[v] = outputView.subarray(leftAt, leftAt + blockSize);
      this.right[v] = outputView.subarray(rightAt, rightAt + blockSize);
      this.shares[thread - 1].voices.push(v);
      this.shares[thread - 1].plans.push(plan.plans[v]);
    }
    this.owned = this.shares.map((share) => Int32Array.from(share.voices));
  }

  drive(k: number, v: number): Float32Array | null {
    return this.drives[k][v];
  }

  begin(
    frames: number,
    clock: number,
    active: Uint8Array,
    count: number,
    inputs: ReadonlyArray<StreamInput | null>,
    written: Uint8Array,
  ): void {
    const control = this.control;
    const { activeAt, staleAt, voices } = this.layout;
    let copied = false;
    for (let w = 0; w < this.workers.length; w++) {
      let any = 0;
      const owned = this.owned[w];
      for (let j = 0; j < owned.length; j++) {
        const v = owned[j];
        if (v >= count) break;
        control[activeAt + v] = active[v];
        any |= active[v];
        // A held note writes nothing block after block: the worker copies only the drive blocks written.
        for (let k = 0; k < VOICE_INLETS.length; k++) {
          const h = k * MAX_VOICES + v;
          if (written[h] === 0) continue;
          written[h] = 0;
          control[staleAt + k * voices + v] = 1;
        }
      }
      const worker = this.workers[w];
      // A worker with no voice sounding sleeps, unless edits wait for it (its replicas change at this block).
      if (any === 0 && !worker.hasPending) continue;
      if (!copied) {
        copied = true;
        this.copyInputs(frames, inputs);
      }
      control[w] = 1;
      this.kicked[w] = 1;
      worker.kick(clock);
    }
  }

  /**
   * Gives the output blocks back to the kernels' memory: control side, once neither the VoicesNode nor a
   * worker can use this split any more (ThreadedRenderer waits a block after replacing it).
   */
  release(): void {
    if (this.outputsAt >= 0) this.kernels?.releaseState(this.outputsAt, this.outputBytes);
  }

  end(): void {
    for (let w = 0; w < this.workers.length; w++) {
      if (this.kicked[w] === 0) continue;
      this.kicked[w] = 0;
      this.workers[w].wait();
    }
  }

  private copyInputs(frames: number, inputs: ReadonlyArray<StreamInput | null>): void {
    const control = this.control;
    const constantAt = this.layout.constantAt;
    for (let i = 0; i < this.inputBlocks.length; i++) {
      const to = this.inputBlocks[i];
      const input = i < inputs.length ? inputs[i] : null;
      if (input === null) {
        for (let f = 0; f < frames; f++) to[f] = 0;
        control[constantAt + i] = 1;
        continue;
      }
      const from = input.buf;
      for (let f = 0; f < frames; f++) to[f] = from[f];
      control[constantAt + i] = input.constant ? 1 : 0;
    }
  }
}

// --------------------------------------------------------------------------------------- worker side

interface ShareViews {
  share: VoiceShare;
  control: Int32Array;
  peak: Float64Array;
  /** By inlet k, by voice: the block the main thread wrote (null: the patch lacks it). */
  shared: Array<Array<Float32Array | null>>;
  left: Array<Float32Array | null>;
  right: Array<Float32Array | null>;
  inputs: StreamInput[];
}

function viewsOf(share: VoiceShare): ShareViews {
  const { layout } = share;
  const blocks = new Float32Array(share.blocks);
  const outputs = new Float32Array(share.outputs);
  const size = layout.blockSize;
  const view = (at: number) => blocks.subarray(at, at + size);
  const left: Array<Float32Array | null> = Array.from({ length: MAX_VOICES }, () => null);
  const right: Array<Float32Array | null> = Array.from({ length: MAX_VOICES }, () => null);
  for (const v of share.voices) {
    const leftAt = layout.leftAt + v * size;
    const rightAt = layout.rightAt + v * size;
    left[v] = outputs.subarray(leftAt, leftAt + size);
    right[v] = outputs.subarray(rightAt, rightAt + size);
  }
  return {
    share,
    control: new Int32Array(share.control),
    peak: new Float64Array(share.peak),
    shared: layout.driveAt.map((at) =>
      Array.from({ length: MAX_VOICES }, (_, v) =>
        at >= 0 && v < layout.voices ? view(at + v * size) : null,
      ),
    ),
    left,
    right,
    inputs: share.inputs.map((_, i) => {
      const input = new StreamInput(0, view(layout.inputsAt + i * size));
      input.linked = true;
      return input;
    }),
  };
}

/**
 * A worker's replica of some voices of a VoicesNode (same name as it): renders its active voices when the
 * main thread asks (its due word), from the inlet blocks the main thread wrote, into shared output blocks,
 * with each voice's peak — NaN when it went non-finite, after muting the inner node as the VoicesNode would.
 */
export const VoiceShareNode = defineNode<Record<string, never>, Record<string, never>, VoiceShare | null>({
  type: 'VoiceShareNode',
  category: 'internal',
  description:
    'Some voices of a VoicesNode, rendered on a worker thread for it (see src/io/voice-threads.ts).',
  inputs: {},
  outputs: {},
  create(ctx) {
    const runtimes: Array<PatchRuntime | null> = Array.from({ length: MAX_VOICES }, () => null);
    /** Each own voice's inlet buffers (the inner InletNodes' outputs), by inlet. */
    const drive: Array<Array<Float32Array | null>> = VOICE_INLETS.map(() =>
      Array.from({ length: MAX_VOICES }, () => null),
    );
    const voiceLeft: Array<StreamInput | null> = Array.from({ length: MAX_VOICES }, () => null);
    const voiceRight: Array<StreamInput | null> = Array.from({ length: MAX_VOICES }, () => null);
    /**
     * The loudest |sample| of a voice's outputs, NaN when one is not finite (as VoicesNode's mix measures
     * it: |x| and max of float32 values are exact in doubles, so the figure is the same). For outputs
     * outside the kernels' memory (JS engine); else voicePeak measures them (below).
     */
    const peakOf = (lb: Float32Array, rb: Float32Array, frames: number): number => {
      let peak = 0;
      let check = 0;
      for (let f = 0; f < frames; f++) {
        const a = lb[f];
        const b = rb[f];
        check += a * 0 + b * 0;
        peak = Math.max(peak, Math.abs(a), Math.abs(b));
      }
      return check === 0 ? peak : Number.NaN;
    };
    let views: ShareViews | null = null;
    let voices = new Int32Array(0);
    let running = false;
    // Its sounding voices render as one group, as the main thread's do (one kernel call per segment, ladders
    // side by side in SIMD lanes): one plan at a time they took ~1.4× as long (docs/performance.md).
    const group = ctx.createChildGroup?.() ?? null;
    /** The sounding voices' plans this block (MAX_VOICES long, so a block never grows it). */
    const members: Array<ChildPlan | null> = Array.from({ length: MAX_VOICES }, () => null);
    // Peaks in SIMD where the voices' outputs lie in the kernels' memory: voicePeak's loudest |sample| (NaN
    // for a non-finite one) is peakOf's figure, ~10× faster.
    let kernels: Kernels | null = null;
    const offsets = new VoiceOutputOffsets();

    const bind = (v: number, plan: ChildPlan | null, patch: PatchDescription | null, current: ShareViews) => {
      for (let k = 0; k < VOICE_INLETS.length; k++) drive[k][v] = null;
      voiceLeft[v] = null;
      voiceRight[v] = null;
      if (!plan || !patch) return;
      for (const inlet of patch.inlets) {
        const instance = plan.instance(inlet.name);
        if (!isInlet(instance)) continue;
        const k = (VOICE_INLETS as readonly string[]).indexOf(inlet.name);
        if (k >= 0) drive[k][v] = instance.drive();
        else {
          const i = current.share.inputs.indexOf(inlet.name);
          instance.follow(i >= 0 ? current.inputs[i] : null);
        }
      }
      const outlet = (name: string): StreamInput | null => {
        const inner = plan.io(name)?.inputs as Record<string, unknown> | undefined;
        const input = inner && Object.hasOwn(inner, 'input') ? inner.input : null;
        return input instanceof StreamInput ? input : null;
      };
      const left = outlet('left');
      const right = outlet('right');
      const mono = outlet('out');
      voiceLeft[v] = left && right ? left : mono;
      voiceRight[v] = left && right ? right : mono;
      const found = voiceLeft[v] ? kernelsFor(voiceLeft[v]!.buf) : null;
      if (found !== null && kernels === null) kernels = found;
    };

    const instance: NodeInstance<VoiceShare | null> = {
      configure(share) {
        const owned = new Set(share?.voices ?? []);
        for (let v = 0; v < MAX_VOICES; v++) if (!owned.has(v)) runtimes[v]?.clear();
        if (!share) {
          views = null;
          voices = new Int32Array(0);
          return;
        }
        const current = viewsOf(share);
        share.voices.forEach((v, j) => {
          let runtime = runtimes[v];
          if (!runtime) {
            runtime = new PatchRuntime(ctx, `voice ${v + 1}`);
            if (running) runtime.start();
            runtimes[v] = runtime;
          }
          runtime.update(share.plans[j]);
          bind(v, runtime.plan, runtime.patch, current);
        });
        views = current;
        voices = Int32Array.from(share.voices);
      },
      process(frames) {
        const current = views;
        if (current === null) return;
        const control = current.control;
        const slot = current.share.slot;
        if (control[slot] === 0) return; // the main thread woke this worker for another VoicesNode
        control[slot] = 0;
        const { layout } = current.share;
        const inputs = current.inputs;
        for (let i = 0; i < inputs.length; i++) inputs[i].constant = control[layout.constantAt + i] !== 0;
        const peaks = current.peak;
        const { activeAt, staleAt } = layout;
        let count = 0;
        for (let j = 0; j < voices.length; j++) {
          const v = voices[j];
          if (control[activeAt + v] === 0) continue;
          for (let k = 0; k < VOICE_INLETS.length; k++) {
            const to = drive[k][v];
            const from = current.shared[k][v];
            const stale = staleAt + k * layout.voices + v;
            if (to === null || from === null || control[stale] === 0) continue;
            control[stale] = 0;
            if (frames === to.length) to.set(from);
            else for (let f = 0; f < frames; f++) to[f] = from[f];
          }
          const plan = runtimes[v]!.plan;
          if (group === null) runtimes[v]!.render(frames);
          else if (plan !== null) members[count++] = plan;
        }
        if (group !== null) group.render(members, count, frames);
        for (let j = 0; j < voices.length; j++) {
          const v = voices[j];
          if (control[activeAt + v] === 0) continue;
          const l = voiceLeft[v];
          const r = voiceRight[v];
          if (l === null || r === null) {
            peaks[v] = -1;
            continue;
          }
          const lb = l.buf;
          const rb = r.buf;
          const peak =
            kernels !== null && offsets.find(kernels, v, lb, rb)
              ? kernels.exports.voicePeak(offsets.left[v], offsets.right[v], frames)
              : peakOf(lb, rb, frames);
          if (Number.isNaN(peak)) {
            runtimes[v]!.plan?.muteNonFinite(frames);
            peaks[v] = Number.NaN;
            continue;
          }
          const toLeft = current.left[v]!;
          const toRight = current.right[v]!;
          if (frames === toLeft.length) {
            toLeft.set(lb); // a memcpy
            toRight.set(rb);
          } else {
            for (let f = 0; f < frames; f++) {
              toLeft[f] = lb[f];
              toRight[f] = rb[f];
            }
          }
          peaks[v] = peak;
        }
      },
      start() {
        running = true;
        for (const runtime of runtimes) runtime?.start();
      },
      stop() {
        running = false;
        for (const runtime of runtimes) runtime?.stop();
      },
      dispose() {
        for (const runtime of runtimes) runtime?.dispose();
        group?.dispose();
      },
    };
    return instance;
  },
});
