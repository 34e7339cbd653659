import {
  DataInput,
  DataOutput,
  type DataSlot,
  data,
  defineNode,
  MidiInput,
  MidiOutput,
  midi,
  type NodeIO,
  type NodePorts,
  type PortSpec,
  type PortSpecs,
  type RenderHost,
  StreamInput,
  StreamOutput,
  stream,
} from '../../engine/definition.js';
import { SynchrotronError } from '../../engine/errors.js';
import { type PatchDescription, type PatchPlan, preparePatch } from '../../engine/patch.js';
import type { DataValue } from '../../engine/types.js';
import { isInlet } from './inlet-node.js';
import { PatchRuntime } from './patch-runtime.js';
import { copyMidi } from './ports.js';

const PATH = data(
  'The patch file (.syn) this node plays: its InletNodes become inputs, its OutletNodes outputs. Relative to the root (inside a patch: to that patch’s folder). Structural.',
  { default: null, structural: true, unit: '.syn' },
);

/** The patch a path names (control side), or null for none; a clear error when it cannot be used. */
export function loadPatchFile(host: RenderHost, path: DataValue, type: string): PatchDescription | null {
  if (path === null || path === '') return null;
  if (typeof path !== 'string')
    throw new SynchrotronError(
      'invalid',
      `a ${type}'s patch is a file path (a string), not ${JSON.stringify(path)}`,
    );
  if (!host.loadPatch)
    throw new SynchrotronError(
      'invalid',
      `patch files cannot be read here (\`${path}\`): this engine has no file host (give it one, e.g. createNodeHost({root}))`,
    );
  return host.loadPatch(path);
}

/** The port an inlet makes on the node holding its patch. */
export function inletSpec(
  patch: PatchDescription,
  name: string,
  kind: string,
  fallback: DataValue,
): PortSpec {
  const what = `Inlet \`${name}\` of ${patch.path}`;
  if (kind === 'midi') return midi(`${what} (MIDI).`);
  if (kind === 'data') return data(`${what}.`, { default: fallback });
  return stream(`${what}.`, { default: typeof fallback === 'number' ? fallback : 0 });
}

export function outletSpec(patch: PatchDescription, name: string, kind: string): PortSpec {
  const what = `Outlet \`${name}\` of ${patch.path}`;
  return kind === 'midi' ? midi(`${what} (MIDI).`) : kind === 'data' ? data(`${what}.`) : stream(`${what}.`);
}

/** Copies an inner plan's outlets to the outer node's outputs after each block (render side). */
class OutletCopies {
  private streamFrom: StreamInput[] = [];
  private streamTo: Float32Array[] = [];
  private dataFrom: DataInput[] = [];
  private dataTo: DataOutput[] = [];
  private dataSlot: Array<DataSlot | null> = [];
  private dataVersion: number[] = [];
  private midiFrom: MidiInput[] = [];
  private midiTo: MidiOutput[] = [];

  /** At a block boundary: pair each outlet's `input` with the outer output of its name. */
  bind(runtime: PatchRuntime, io: NodeIO): void {
    this.streamFrom = [];
    this.streamTo = [];
    this.dataFrom = [];
    this.dataTo = [];
    this.dataSlot = [];
    this.dataVersion = [];
    this.midiFrom = [];
    this.midiTo = [];
    const patch = runtime.patch;
    const plan = runtime.plan;
    if (!patch || !plan) return;
    const outputs = io.outputs as Record<string, StreamOutput | DataOutput | MidiOutput>;
    for (const outlet of patch.outlets) {
      const inner = plan.io(outlet.name)?.inputs as Record<string, unknown> | undefined;
      const from = inner && Object.hasOwn(inner, 'input') ? inner.input : undefined;
      const to = Object.hasOwn(outputs, outlet.name) ? outputs[outlet.name] : undefined;
      if (from instanceof StreamInput && to instanceof StreamOutput) {
        this.streamFrom.push(from);
        this.streamTo.push(to.buf);
      } else if (from instanceof DataInput && to instanceof DataOutput) {
        this.dataFrom.push(from);
        this.dataTo.push(to);
        this.dataSlot.push(null);
        this.dataVersion.push(-1);
      } else if (from instanceof MidiInput && to instanceof MidiOutput) {
        this.midiFrom.push(from);
        this.midiTo.push(to);
      }
    }
  }

  /** After the inner plan rendered: true when every stream sample was finite. */
  copy(frames: number): boolean {
    let check = 0;
    for (let o = 0; o < this.streamFrom.length; o++) {
      const from = this.streamFrom[o].buf;
      const to = this.streamTo[o];
      for (let i = 0; i < frames; i++) {
        const x = from[i];
        to[i] = x;
        check += x * 0;
      }
    }
    for (let o = 0; o < this.dataFrom.length; o++) {
      const slot = this.dataFrom[o].source;
      if (slot !== this.dataSlot[o] || slot.version !== this.dataVersion[o]) {
        this.dataTo[o].set(slot.value);
        this.dataSlot[o] = slot;
        this.dataVersion[o] = slot.version;
      }
    }
    for (let o = 0; o < this.midiFrom.length; o++) copyMidi(this.midiFrom[o].source, this.midiTo[o].buf);
    return check === 0;
  }

  /** A non-finite sample reached an outlet: zero it (the inner node that made it is muted). */
  scrub(frames: number): void {
    for (const to of this.streamTo) {
      for (let i = 0; i < frames; i++) {
        const x = to[i];
        if (x - x !== 0) to[i] = 0;
      }
    }
  }

  silence(): void {
    for (const to of this.streamTo) to.fill(0);
    for (const to of this.midiTo) to.buf.clear();
  }
}

/** Points each inlet inside the plan at the outer node's input of its name. */
function followInputs(runtime: PatchRuntime, io: NodeIO): void {
  const patch = runtime.patch;
  const plan = runtime.plan;
  if (!patch || !plan) return;
  const inputs = io.inputs as Record<string, StreamInput | DataInput | MidiInput>;
  for (const inlet of patch.inlets) {
    const instance = plan.instance(inlet.name);
    if (isInlet(instance)) instance.follow(Object.hasOwn(inputs, inlet.name) ? inputs[inlet.name] : null);
  }
}

/** A patch file's ports, as a node of type `type` with its own `fixed` ports shows them. */
export function patchPorts(patch: PatchDescription, fixed: PortSpecs, type: string): NodePorts {
  const inputs: PortSpecs = { ...fixed };
  for (const inlet of patch.inlets) {
    if (Object.hasOwn(fixed, inlet.name))
      throw new SynchrotronError(
        'invalid',
        `the inlet \`${inlet.name}\` of ${patch.path} clashes with the ${type}'s own input \`${inlet.name}\`: rename the inlet`,
      );
    inputs[inlet.name] = inletSpec(patch, inlet.name, inlet.kind, inlet.default);
  }
  const outputs: PortSpecs = {};
  for (const outlet of patch.outlets) outputs[outlet.name] = outletSpec(patch, outlet.name, outlet.kind);
  return { inputs, outputs, weight: 1 + patch.weight, revision: patch.revision };
}

/**
 * A patch file as a node (SPEC §7). Its ports are the file's InletNodes and OutletNodes; inside, the file's
 * nodes render as a nested plan each block. Editing the file and reloading (`reload`, POST /patches/reload,
 * or the server's file watch) updates every instance at a block boundary; inner nodes that did not change
 * keep their state. PlaybackNodes inside are silent: a patch sounds through its outlets.
 */
export const PatchNode = defineNode({
  type: 'PatchNode',
  category: 'instruments',
  description:
    'A patch file (.syn) as one node: its InletNodes are the inputs, its OutletNodes the outputs. Synchrolang: `new patch "voice.syn" v`.',
  inputs: { path: PATH },
  outputs: {},
  ports(values, ctx) {
    const patch = loadPatchFile(ctx.host, values.path, 'PatchNode');
    if (!patch) return { inputs: { path: PATH }, outputs: {} };
    return patchPorts(patch, { path: PATH }, 'PatchNode');
  },
  prepare(values, ctx): PatchPlan | null | Promise<PatchPlan> {
    const patch = loadPatchFile(ctx.host, values.path, 'PatchNode');
    return patch ? preparePatch(patch, ctx) : null;
  },
  create(ctx, io) {
    const runtime = new PatchRuntime(ctx);
    const outlets = new OutletCopies();
    const bind = () => {
      followInputs(runtime, io);
      outlets.bind(runtime, io);
    };
    return {
      configure(plan: PatchPlan | null) {
        outlets.silence();
        if (plan) runtime.update(plan);
        else runtime.clear();
        bind();
      },
      portsChanged() {
        bind();
      },
      process(frames) {
        runtime.render(frames);
        if (!outlets.copy(frames)) {
          runtime.plan?.muteNonFinite(frames);
          outlets.scrub(frames);
        }
      },
      start() {
        runtime.start();
      },
      stop() {
        runtime.stop();
      },
      dispose() {
        runtime.dispose();
      },
    };
  },
});
