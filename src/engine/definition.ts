// How a node type is declared — once. The graph validates links from these declarations, the renderer
// binds buffers from them, and the API listing, UI palette, completion and docs/nodes.md derive from them.

import type { AudioFileFormat, DecodedAudio } from '../dsp/audio-files.js';
import type { LimitName } from './limits.js';
import { EMPTY_MIDI, MidiBuffer } from './midi.js';
import type { PatchDescription } from './patch.js';
import type { RenderOp } from './prepare.js';
import type { NodeRegistry } from './registry.js';
import type { DataSlotValue, DataValue, PortKind } from './types.js';
import type { OpWriter } from './wasm/ops.js';

// ---------------------------------------------------------------------------------------------------
// Port declarations (control side: plain data, JSON-friendly)

export interface PortSpec {
  kind: PortKind;
  /** One line for tooltips and docs. */
  description: string;
  /** Unit of the value: 'Hz', 's', 'semitones', '-1…1', 'trigger' … */
  unit?: string;
  /** Value read when the input is unconnected (stream inputs: a number). */
  default?: DataValue;
  /** Typical range, for UIs (not enforced). */
  min?: number;
  max?: number;
  /**
   * Data inputs only: the value sizes buffers or loads a file (SPEC §6, "structural inputs"). It takes a
   * DataNode or its default, nothing else (refused at link time), and reaches the node through its
   * definition's `prepare` (control side) and its instance's `configure` (render side), never per block.
   */
  structural?: boolean;
}

export type PortSpecs = Record<string, PortSpec>;

type PortOptions = Omit<PortSpec, 'kind' | 'description'>;

export const stream = (description: string, extra: PortOptions = {}): PortSpec & { kind: 'stream' } => ({
  kind: 'stream',
  description,
  ...extra,
});
export const data = (description: string, extra: PortOptions = {}): PortSpec & { kind: 'data' } => ({
  kind: 'data',
  description,
  ...extra,
});
export const midi = (description: string): PortSpec & { kind: 'midi' } => ({ kind: 'midi', description });

// ---------------------------------------------------------------------------------------------------
// Runtime ports (render side). Objects are stable for a node's lifetime; the renderer rebinds their
// sources when the graph changes, so a node reads `this.io.inputs.x.buf` inside process(), never caches
// the array across blocks.

export interface DataSlot {
  value: DataSlotValue;
  /** Incremented whenever value changes, so readers can cheaply notice. */
  version: number;
}

export class StreamInput {
  /** The samples of this block (blockSize long). */
  buf: Float32Array;
  /** True when every sample of `buf` equals buf[0] for this block: nodes may take a fast path. */
  constant = true;
  /**
   * True while a connection feeds this input (a stream, or a data value turned into one); false when it
   * reads its default. Set by the renderer when it binds the plan, so a node can give an unlinked input a
   * meaning of its own (CompressorNode: an unlinked `sidechain` listens to `input`).
   */
  linked = false;
  readonly defaultValue: number;
  constructor(defaultValue: number, defaultBuf: Float32Array) {
    this.defaultValue = defaultValue;
    this.buf = defaultBuf;
  }
}

export class StreamOutput {
  readonly buf: Float32Array;
  /** The same block seen by data inputs (stream → data delivers the block as an array of numbers). */
  readonly asData: DataSlot;
  constructor(buf: Float32Array) {
    this.buf = buf;
    this.asData = { value: buf, version: 0 };
  }
}

export class DataInput {
  source: DataSlot;
  readonly defaultSlot: DataSlot;
  constructor(defaultValue: DataValue) {
    this.defaultSlot = { value: defaultValue, version: 0 };
    this.source = this.defaultSlot;
  }
  get value(): DataSlotValue {
    return this.source.value;
  }
  get connected(): boolean {
    return this.source !== this.defaultSlot;
  }
}

/**
 * Counts every DataOutput.set in this JS realm (all renderers in it). A reader that finds the same count as
 * before knows that no data value anywhere changed: the op list skips its settled converters then.
 */
let dataChanges = 0;

export function dataChangeCount(): number {
  return dataChanges;
}

export class DataOutput {
  readonly slot: DataSlot = { value: null, version: 0 };
  set(value: DataSlotValue): void {
    this.slot.value = value;
    this.slot.version++;
    dataChanges++;
  }
}

export class MidiInput {
  source: MidiBuffer = EMPTY_MIDI;
}

export class MidiOutput {
  readonly buf = new MidiBuffer();
}

type InputRuntime<S extends PortSpec> = S extends { kind: 'stream' }
  ? StreamInput
  : S extends { kind: 'data' }
    ? DataInput
    : S extends { kind: 'midi' }
      ? MidiInput
      : StreamInput | DataInput | MidiInput;
type OutputRuntime<S extends PortSpec> = S extends { kind: 'stream' }
  ? StreamOutput
  : S extends { kind: 'data' }
    ? DataOutput
    : S extends { kind: 'midi' }
      ? MidiOutput
      : StreamOutput | DataOutput | MidiOutput;

export interface NodeIO<I extends PortSpecs = PortSpecs, O extends PortSpecs = PortSpecs> {
  inputs: { [K in keyof I]: InputRuntime<I[K]> };
  outputs: { [K in keyof O]: OutputRuntime<O[K]> };
}

// ---------------------------------------------------------------------------------------------------
// Services a node may use. The host (offline renderer, server worker, browser) provides them; the core
// never touches files, devices or the clock of the machine itself.

export interface WavWriter {
  /** Where it records: the path asked for, or the name the host chose instead (see keptExisting). */
  readonly path: string;
  /**
   * Set when a file already existed at the path asked for and the host, which never overwrites a file it
   * did not write, records to `path` instead: the path asked for (the node tells the user).
   */
  readonly keptExisting?: string;
  /**
   * Set when the host continues a take this server was recording when its render worker was replaced
   * (the server's supervision): frames already in the file, after which this writer appends.
   */
  readonly resumedFrames?: number;
  /** Render side: append one block of samples. */
  write(samples: Float32Array, frames: number): void;
  /** Leaves a valid WAV file behind. Safe to call twice. */
  close(): void;
}

export interface MidiSource {
  /**
   * Render side: move messages that arrived since the last call into `into`, stamped with frames.
   * `blockStartFrame` is the engine frame (global clock) of the block's first frame, so messages scheduled
   * for an engine frame (an OSC bundle's /midi) land on it.
   */
  drain(into: MidiBuffer, frames: number, blockStartFrame?: number): void;
  close(): void;
}

export interface MidiSink {
  /**
   * Render side: one message for engine frame `frame` (global clock, absolute). Never blocks, throws or
   * allocates; a full queue drops the oldest and counts it. Real-time messages pass data1 = data2 = 0.
   */
  send(frame: number, status: number, data1: number, data2: number): void;
  close(): void;
}

/** Values one OSC address received in one block (render side; preallocated, written without allocating). */
export class OscValues {
  static readonly CAPACITY = 64;
  /** Values in this block; entries past `count` are stale. */
  count = 0;
  /** Frame offset within the block of each value. */
  readonly frame = new Int32Array(OscValues.CAPACITY);
  /** The first numeric argument of each message (NaN when it had none). */
  readonly number = new Float64Array(OscValues.CAPACITY);
  /** The arguments of the newest message as one value (one argument: itself; several: an array). */
  latest: DataValue = null;
  /** Bumped whenever `latest` changes. */
  version = 0;
}

export interface OscSource {
  /** Render side: moves the values received since the last call into `into`, at their frames. */
  drain(into: OscValues, frames: number, blockStartFrame: number): void;
  close(): void;
}

export interface OscSink {
  /**
   * Render side: queue `address value` for host:port (sent by the render loop after the block). Returns
   * null, or why the destination is refused (the server decides where OSC may go). Never blocks or throws.
   */
  send(host: string, port: number, address: string, value: DataValue): string | null;
  /** Control rate: why `host` is refused as a destination, or null (so a node can say so at once). */
  check(host: string): string | null;
  close(): void;
}

export interface RenderHost {
  /** Name of the audio device PlaybackNodes reach ('none' when there is none). */
  deviceName?: string;
  /** Opens a WAV writer; throws a SynchrotronError when the path is refused. */
  openWav?(path: string, sampleRate: number): WavWriter;
  /** MIDI input ports the machine has. */
  midiPorts?(): string[];
  /** Opens MIDI input `index`; null when there is no such port. `sampleRate` (Hz) lets the source turn
   * message times into frame offsets. */
  openMidiInput?(index: number, options?: { sampleRate: number }): MidiSource | null;
  /** MIDI output ports: 0 is the virtual port clients read (/ws `midiOut`, GET /midi/out), hardware follows. */
  midiOutputPorts?(): string[];
  /** Opens MIDI output `index`; null when there is no such port. */
  openMidiOutput?(index: number, options?: { sampleRate: number }): MidiSink | null;
  /** Listens to OSC messages sent to the server's --osc port at `address`; null without OSC input. */
  openOscInput?(address: string): OscSource | null;
  /** Sends OSC from the render thread (OscSendNode); null when this host sends none (offline renders). */
  openOscOutput?(): OscSink | null;
  /**
   * Control side only (a node's `prepare`, never the render thread): reads a whole file (a MIDI file, a
   * sample), confined like WAV paths; rejects with a SynchrotronError when the path is refused, unreadable
   * or larger than `maxBytes` (checked before reading; when `limit` names the limit that set `maxBytes`,
   * the error is a `limit` error naming its flag).
   */
  readFile?(path: string, options?: { maxBytes?: number; limit?: LimitName }): Promise<Uint8Array>;
  /** Largest sample file SamplerNode reads, bytes (`--max-sample-bytes`); absent: its own default. */
  maxSampleBytes?: number;
  /**
   * Control side only (a node's `prepare`): decodes a compressed audio file that `readFile` read (FLAC, MP3,
   * Ogg Vorbis; WAV needs no host: src/dsp/audio-files.ts reads it). Rejects with an Error saying why
   * (corrupt, longer than `maxSeconds`). Absent where no decoder is loaded (the AudioWorklet).
   */
  decodeAudio?(
    bytes: Uint8Array,
    format: Exclude<AudioFileFormat, 'wav'>,
    options?: { maxSeconds?: number },
  ): Promise<DecodedAudio>;
  /**
   * Render side: a live audio input (a capture device), read block by block without blocking; `device` is
   * the AudioInputNode's `device` value (null: the default input). Answers a string saying why when there
   * is none (no device on this machine, an offline render).
   */
  openAudioInput?(
    device: DataValue,
    options: { sampleRate: number; blockSize: number },
  ): AudioInputSource | string;
  /**
   * Control side only: reads a whole file at once, confined and size-checked like `readFile`. For patch
   * files, whose ports must be known while the script that names them runs (its links validate against them).
   */
  readFileSync?(path: string, options?: { maxBytes?: number; limit?: LimitName }): Uint8Array;
  /**
   * Control side only: a patch file (`.syn`) read, parsed and validated, with what its instances need
   * (inner nodes, links, inlets, outlets, expanded node count). Synchrolang lives above the engine, so the
   * host provides it (the library facade, the server and the CLI wire src/lang's PatchLoader in here).
   * Throws a SynchrotronError naming the file, line and column of a mistake, or the chain of a recursion.
   */
  loadPatch?(path: string): PatchDescription;
}

/** A live audio input as the render side sees it (AudioInputNode). */
export interface AudioInputSource {
  /**
   * Render side: the next `frames` frames of the input into `left` and `right`; where the device has not
   * delivered enough yet, silence (never blocks). Returns the frames that were real input.
   */
  read(left: Float32Array, right: Float32Array, frames: number): number;
  /** A problem to report once (the device failed to open after all), then cleared; null when none. */
  takeProblem(): string | null;
  close(): void;
}

/**
 * A nested plan of nodes, made by a node that holds a patch (PatchNode, each voice of a VoicesNode). It shares
 * its parent's buffer pool, clock, node types and host; faults inside mute only the inner node and are
 * reported as `outer/inner`. Render side: every method runs on the render thread.
 */
export interface ChildPlan {
  /** At a block boundary: apply these edits now (instances created, plan compiled). */
  apply(ops: readonly RenderOp[]): void;
  /** Render one block of the inner nodes (no master bus, no clock of its own). */
  render(frames: number): void;
  /** An inner node's instance and ports, once added. */
  instance(name: string): NodeInstance | undefined;
  io(name: string): NodeIO | undefined;
  /** An inner output went non-finite: mute the inner node that made it (the first in render order). */
  muteNonFinite(frames: number): void;
  start(): void;
  stop(): void;
  dispose(): void;
}

export interface NodeContext {
  readonly name: string;
  readonly type: string;
  readonly sampleRate: number;
  readonly blockSize: number;
  readonly host: RenderHost;
  /** Frames rendered since the engine was created, at the start of the current block. */
  readonly clock: { frames: number };
  /**
   * The engine tempo and beat grid (render side; see tempo.ts): `[bpm, anchor beat, anchor frame]`, read with
   * `beatAt(tempo, frame, sampleRate)`. Changes only at block boundaries.
   */
  readonly tempo: Float64Array;
  /** The master bus that PlaybackNodes add into (render side). */
  readonly master: { left: Float32Array; right: Float32Array };
  /** Initial value for a DataNode-like node (its `new VALUE`). */
  readonly value: DataValue;
  /** Publish changed exports to clients (rarely: on change, never per block). */
  publish(exports: Record<string, unknown>): void;
  /** Report a value to debug listeners (DebugNode). */
  debug(value: unknown): void;
  /** Report a problem that does not stop the node (e.g. a file it could not open). */
  warn(message: string): void;
  /**
   * A nested plan sharing this renderer's pool and clock (nodes that hold patches). `host` replaces the
   * host for the inner nodes (paths inside an included patch resolve against its own folder); `label`
   * prefixes its reports (e.g. `voice 3`).
   */
  createChild?(options?: { host?: RenderHost; label?: string }): ChildPlan;
  /**
   * The node's `inert` changed (render side, at a block boundary): from the next block the plan calls its
   * `process` again, or no longer.
   */
  inertChanged?(): void;
  /** Renders several of this context's nested plans together (see ChildGroup); control side, once. */
  createChildGroup?(): ChildGroup;
}

/**
 * Nested plans of one node rendered as one (a VoicesNode's voices): each plan's nodes in its own order, the
 * plans side by side, so their WebAssembly ops run in one call per segment and like ops of different plans
 * sit next to each other (independent ladders then share SIMD lanes). The same sound as rendering each in
 * turn, bit for bit.
 */
export interface ChildGroup {
  /** Render side: one block of `children[0 … count − 1]` (none null), made by this context's `createChild`. */
  render(children: ReadonlyArray<ChildPlan | null>, count: number, frames: number): void;
  /** Gives its memory back (the node is disposed). */
  dispose(): void;
}

/** What a definition's `ports` may use (control side, synchronous). */
export interface PortsContext {
  /** Control-side services: `loadPatch`. */
  readonly host: RenderHost;
  readonly registry: NodeRegistry;
}

/** A node's own ports for its structural values (see NodeDefinition.ports). */
export interface NodePorts {
  inputs: PortSpecs;
  outputs: PortSpecs;
  /** Nodes it counts for against the node limit: itself and every node it holds (1 when absent). */
  weight?: number;
  /** Changes whenever what the ports were built from changes (a patch file's text): the node is then
   * prepared again, and reloads know which instances to update. */
  revision?: string;
}

/** What a definition's `prepare` may use (control side). */
export interface PrepareContext {
  readonly name: string;
  readonly type: string;
  readonly sampleRate: number;
  readonly blockSize: number;
  /** Control-side services: `readFile`. */
  readonly host: RenderHost;
  /** Publish changed exports to clients (e.g. a loaded file's duration). */
  publish(exports: Record<string, unknown>): void;
  /** Report a problem that does not stop the node (a missing file: the node renders silence). */
  warn(message: string): void;
  /** The node types, for nodes that prepare inner nodes (PatchNode). */
  readonly registry?: NodeRegistry;
}

/** A node's render-side state. `process` is called once per block, after every node feeding it. */
export interface NodeInstance<P = unknown> {
  /** Render one block of `frames` frames. Allocate nothing here. */
  process(frames: number): void;
  /** Transport started (render side). */
  start?(): void;
  /** Transport stopped: flush and close files. */
  stop?(): void;
  /** The node is removed or the engine shuts down. */
  dispose?(): void;
  /** A DataNode-like node's value changed by an edit. */
  setValue?(value: DataValue): void;
  /**
   * Render side, at a block boundary before `process`: take what the definition's `prepare` built for the
   * current structural values (buffers, decoded files). Swap references; allocate nothing.
   */
  configure?(prepared: P): void;
  /** Render side, at a block boundary: the node's ports were changed (`ports`): look its io up again. */
  portsChanged?(): void;
  /**
   * Nodes that add to the master bus (PlaybackNode): what they added to its last frame in their last block,
   * [left, right]. When such a node stops (removed, muted) the renderer fades that out over the next block
   * instead of letting the sound stop dead, which clicks at the level it was playing.
   */
  readonly masterContribution?: Float64Array;
  /**
   * Nodes with a WebAssembly kernel: write this node's op (wasm/ops.ts) for the plan's op list and return
   * true; the renderer then runs the op instead of calling `process`, on state the node keeps in the
   * kernels' memory, so both read the same phase or filter state. Called at plan building, after the
   * inputs are bound (render thread, at a block boundary). False: render by `process` this plan.
   */
  encode?(writer: OpWriter): boolean;
  /**
   * Nodes with an op whose rendering depends on a data input (MathNode's `op`, BiquadFilterNode's `mode`):
   * read the data inputs exactly as `process` does first thing, and write what they decide (an op code, a
   * fade) into the state the op reads. `process` calls it itself; the op list calls it before the node's
   * op in a block where a data value may have changed (`dataChangeCount` moved, or the plan is new), never
   * while the node is muted. Render side: allocate nothing, never throw.
   */
  readData?(): void;
  /**
   * Nodes with an op that export what their block measured (CompressorNode's `Gain Reduction`): an op cannot
   * call `ctx.publish`, so the node's op leaves the value in its state and this publishes it, at the rate
   * `process` did. `process` calls it itself at its end; the op list calls it after the node's segment in
   * every block, never while the node is muted. Render side: allocate nothing (but what `ctx.publish` does),
   * never throw.
   */
  publishExports?(frames: number): void;
  /**
   * True when `process` does nothing (a DataNode: edits change its output): the plan need not call it, and it
   * does not cut a run of ops in two. Read when the node is made, and again after `ctx.inertChanged()`.
   */
  readonly inert?: boolean;
}

export interface NodeDefinition<
  I extends PortSpecs = PortSpecs,
  O extends PortSpecs = PortSpecs,
  P = unknown,
> {
  type: string;
  /** Family for palettes and docs: 'sources', 'oscillators', 'math', 'sequencing', 'midi', 'io', 'debug'. */
  category: string;
  description: string;
  inputs: I;
  outputs: O;
  /** Exports a node shows before it has rendered (control side), e.g. `{Value: 440}`. */
  initialExports?(value: DataValue, host: RenderHost): Record<string, unknown>;
  /** True for nodes made by `new VALUE` that hold a value (DataNode). */
  holdsValue?: boolean;
  /** True for nodes that keep a file open while they render (WavFileNode): the open-files limit counts them. */
  holdsFile?: boolean;
  /**
   * Control side, off the render thread: builds what the structural inputs' values call for (a delay line,
   * a decoded file). Called when the node is added and whenever one of those values changes, with every
   * structural input's value (the linked DataNode's, or the default). May be async (files); a result made
   * stale by a newer change is dropped. The result must be structured-cloneable (it may cross to a render
   * worker): typed arrays and plain objects. It reaches the instance through `configure`.
   */
  prepare?(values: Record<string, DataValue>, ctx: PrepareContext): P | Promise<P>;
  /**
   * Control side, synchronous: the ports of one node for its structural values, for types whose ports
   * depend on them (a patch's inlets and outlets, an inlet's kind). Called when the node is added and
   * whenever one of those values changes, inside the edit (links in the same script validate against the
   * result). Throws a SynchrotronError for values it cannot use; the edit is then refused whole. Without
   * it, a node's ports are `inputs` and `outputs`, which stay what UIs list for the type.
   */
  ports?(values: Record<string, DataValue>, ctx: PortsContext): NodePorts;
  create(ctx: NodeContext, io: NodeIO<I, O>): NodeInstance<P>;
}

/** Declares a node type with typed ports. */
export function defineNode<I extends PortSpecs, O extends PortSpecs, P = unknown>(
  definition: NodeDefinition<I, O, P>,
): NodeDefinition {
  return definition as unknown as NodeDefinition;
}

/** Default number for a stream input. */
export function streamDefault(spec: PortSpec): number {
  return typeof spec.default === 'number' ? spec.default : 0;
}
