// A node as the render side holds it: its instance, its runtime ports and the buffers bound to them.
// Made and re-ported by edits (renderer.ts), bound and ordered by plan building (plan.ts).

import type { BufferPool } from './buffers.js';
import {
  DataInput,
  DataOutput,
  MidiInput,
  MidiOutput,
  type NodeContext,
  type NodeDefinition,
  type NodeInstance,
  type NodeIO,
  type PortSpec,
  type PortSpecs,
  StreamInput,
  StreamOutput,
} from './definition.js';
import type { DataToStream, InputStep, RelinkCrossfade } from './input-steps.js';
import type { RenderLink } from './plan.js';
import type { DataValue } from './types.js';

export interface RenderNode {
  name: string;
  readonly type: string;
  readonly definition: NodeDefinition;
  readonly context: MutableContext;
  instance: NodeInstance;
  readonly io: NodeIO;
  /** Its own ports (its type's, or what a `ports` op gave) and literal input values. */
  inputSpecs: PortSpecs;
  outputSpecs: PortSpecs;
  args: Record<string, DataValue>;
  streamOutputs: StreamOutput[];
  midiOutputs: MidiOutput[];
  // The three maps below are made on their first entry: most nodes need one or none, and three empty Maps
  // per node were ~9,000 long-lived objects in a 3,000-node build (each one copied by every scavenge).
  /** Default-value buffers of stream inputs, by port: made when the input is first bound unlinked. */
  defaultBuffers: Map<string, Float32Array> | undefined;
  /** Data→stream converters by input port; kept across compiles so ramps and values persist. */
  converters: Map<string, DataToStream> | undefined;
  /** Relink crossfades by input port, allocated on the first relink. */
  crossfades: Map<string, RelinkCrossfade> | undefined;
  /** Converters, then crossfades, bound in the current plan: run before the node renders. */
  inputSteps: InputStep[];
  /** Links into this node, in the order the order pass visits its feeders (PlanLinks keeps it). */
  inLinks: RenderLink[];
  /** When it was made (a count per renderer): the order pass takes roots in this order. */
  made: number;
  /** The order pass that last visited this node (plan.ts, orderNodes). */
  visited: number;
  /** Its index in the current render order (kept by the order pass and by edits that patch the order). */
  planAt: number;
  /**
   * The link through which the last order pass first reached this node (its sink's visit pushed it), null
   * when it was a root. An edit that removes such a link changes the order; one that removes any other
   * does not (renderer.ts keeps the order without a pass then).
   */
  discoveredVia: RenderLink | null;
  /** Its instance is `inert` (process does nothing), kept here so plan building reads one known shape. */
  inert: boolean;
  /**
   * Its instance has `readData` / `publishExports`, likewise kept here: read on thousands of instances of
   * dozens of shapes, the instance's own property was a slow (megamorphic) look-up each plan.
   */
  readsData: boolean;
  publishesExports: boolean;
  /** Byte offset of its op record in the kernels' memory (op-list.ts), or -1 before it has one. */
  opRecord: number;
  /** Bytes of that record (a node's encode asks for as many as its operands need; OP_BYTES by default). */
  opBytes: number;
  /** `opRecord` when the current binding renders as that op, -1 when it renders by `process`. */
  opAt: number;
  /**
   * How the op list (op-list.ts) last placed it: as an op or not, and its input steps then (null before it
   * was placed): what lets an edit patch the list instead of writing it again.
   */
  listedOp: boolean;
  listedSteps: InputStep[] | null;
  /** Has rendered at least one block (only then does a relink need a crossfade). */
  rendered: boolean;
  faulted: boolean;
}

export interface MutableContext extends NodeContext {
  name: string;
}

export const NOOP_INSTANCE: NodeInstance = { process() {} };

/**
 * Makes a node's runtime ports match `inputSpecs`/`outputSpecs`: ports that stay (same kind) keep their
 * objects, so what nodes hold stays valid; new ones are made; those gone give their buffers back after
 * the next compile. A stream input reads its literal (`args`) or default while unlinked. Called when an edit
 * is applied at a block boundary (it may allocate).
 */
export function setPorts(
  node: RenderNode,
  inputSpecs: PortSpecs,
  outputSpecs: PortSpecs,
  args: Record<string, DataValue>,
  pool: BufferPool,
  releaseAfterCompile: Float32Array[],
): void {
  const inputs = node.io.inputs as Record<string, StreamInput | DataInput | MidiInput>;
  const outputs = node.io.outputs as Record<string, StreamOutput | DataOutput | MidiOutput>;
  for (const port of Object.keys(inputs)) {
    const spec = Object.hasOwn(inputSpecs, port) ? inputSpecs[port] : undefined;
    const old = node.inputSpecs[port];
    if (
      spec &&
      spec.kind === old.kind &&
      dataEqualsLoose(fallbackOf(args, port, spec), fallbackOf(args, port, old))
    )
      continue;
    const buf = node.defaultBuffers?.get(port);
    if (buf) releaseAfterCompile.push(buf);
    node.defaultBuffers?.delete(port);
    const converter = node.converters?.get(port);
    if (converter) releaseAfterCompile.push(converter.buf);
    node.converters?.delete(port);
    const fade = node.crossfades?.get(port);
    if (fade) releaseAfterCompile.push(fade.buf);
    node.crossfades?.delete(port);
    delete inputs[port];
  }
  // for…in over the specs, not Object.entries: no array of pairs per node (a build makes thousands).
  for (const port in inputSpecs) {
    if (Object.hasOwn(inputs, port)) continue;
    const spec = inputSpecs[port];
    const fallback = fallbackOf(args, port, spec);
    if (spec.kind === 'stream') {
      // Its default-value buffer is made when binding finds the input unlinked (plan.ts, bindInputs): most
      // inputs are linked, and a buffer each was a third of the buffers (and their views) a patch made.
      const number = typeof fallback === 'number' || typeof fallback === 'boolean' ? Number(fallback) : 0;
      inputs[port] = new StreamInput(number, pool.silence());
    } else if (spec.kind === 'data') {
      inputs[port] = new DataInput(fallback);
    } else {
      inputs[port] = new MidiInput();
    }
  }
  for (const port of Object.keys(outputs)) {
    const spec = Object.hasOwn(outputSpecs, port) ? outputSpecs[port] : undefined;
    if (spec && spec.kind === node.outputSpecs[port].kind) continue;
    const output = outputs[port];
    if (output instanceof StreamOutput) releaseAfterCompile.push(output.buf);
    delete outputs[port];
  }
  for (const port in outputSpecs) {
    if (Object.hasOwn(outputs, port)) continue;
    const spec = outputSpecs[port];
    outputs[port] =
      spec.kind === 'stream'
        ? new StreamOutput(pool.alloc())
        : spec.kind === 'data'
          ? new DataOutput()
          : new MidiOutput();
  }
  node.inputSpecs = inputSpecs;
  node.outputSpecs = outputSpecs;
  node.args = args;
  // One pass, and no arrays left behind when a node has no outputs of a kind (most have no MIDI).
  // The first stream output starts a one-element array: pushing to an empty one reserves 17 slots.
  let streamOutputs: StreamOutput[] = NO_STREAM_OUTPUTS;
  let midiOutputs: MidiOutput[] = NO_MIDI_OUTPUTS;
  for (const port in outputs) {
    const output = outputs[port];
    if (output instanceof StreamOutput) {
      if (streamOutputs === NO_STREAM_OUTPUTS) streamOutputs = [output];
      else streamOutputs.push(output);
    } else if (output instanceof MidiOutput) {
      if (midiOutputs === NO_MIDI_OUTPUTS) midiOutputs = [];
      midiOutputs.push(output);
    }
  }
  node.streamOutputs = streamOutputs;
  node.midiOutputs = midiOutputs;
}

/** Shared by every node without MIDI outputs; never pushed to (setPorts makes a new array for a node that has some). */
const NO_MIDI_OUTPUTS: MidiOutput[] = [];
/** Shared by every node without stream outputs, likewise never pushed to. */
export const NO_STREAM_OUTPUTS: StreamOutput[] = [];

/** What a stream input reads while unlinked: its literal value, else its default. */
function fallbackOf(args: Record<string, DataValue>, port: string, spec: PortSpec): DataValue {
  return Object.hasOwn(args, port) ? args[port] : (spec.default ?? null);
}

/** Every pool buffer a node holds (outputs, defaults, converters, crossfades). */
export function buffersOf(node: RenderNode): Float32Array[] {
  const bufs: Float32Array[] = [];
  for (const output of node.streamOutputs) bufs.push(output.buf);
  if (node.defaultBuffers) for (const buf of node.defaultBuffers.values()) bufs.push(buf);
  if (node.converters) for (const converter of node.converters.values()) bufs.push(converter.buf);
  if (node.crossfades) for (const fade of node.crossfades.values()) bufs.push(fade.buf);
  return bufs;
}

function dataEqualsLoose(a: DataValue, b: DataValue): boolean {
  return a === b || JSON.stringify(a) === JSON.stringify(b);
}
