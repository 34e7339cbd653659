import {
  type ChildPlan,
  data,
  defineNode,
  type MidiInput,
  midi,
  type NodeIO,
  type NodePorts,
  type PortSpecs,
  StreamInput,
  stream,
} from '../../engine/definition.js';
import { SynchrotronError } from '../../engine/errors.js';
import { type PatchDescription, type PatchPlan, preparePatch } from '../../engine/patch.js';
import { type DataValue, dataToNumber } from '../../engine/types.js';
import { type Kernels, kernelsFor } from '../../engine/wasm/kernels.js';
import { isInlet } from './inlet-node.js';
import { inletSpec, loadPatchFile } from './patch-node.js';
import { PatchRuntime } from './patch-runtime.js';
import {
  MAX_VOICES,
  STEAL_NONE,
  STEAL_OLDEST,
  STEAL_QUIETEST,
  VOICE_INLETS,
  VoiceBank,
  VoiceOutputOffsets,
} from './voice-bank.js';

const FIXED = {
  patch: data(
    'The voice patch (.syn) each voice plays: its inlets `frequency`, `gate`, `velocity`, `pressure`, `bend` are driven per voice, its other inlets become inputs of this node; its outlets `left`/`right` (or `out`) are summed. Structural.',
    { default: null, structural: true, unit: '.syn' },
  ),
  voices: data('How many voices (1…128). Structural: voices are built off the render thread.', {
    default: 8,
    min: 1,
    max: MAX_VOICES,
    structural: true,
  }),
  steal: data(
    'When every voice is held: "oldest" (the note struck first), "quietest" (the softest voice) or "none" (the new note is dropped). Released voices are always taken before held ones.',
    { default: 'oldest' },
  ),
  midi: midi(
    'Notes, pitch bend, channel and key pressure, sustain pedal (CC 64); bend and pressure per channel (MPE).',
  ),
  bendRange: data('Pitch bend range in semitones (2 is usual; 48 for MPE).', {
    default: 2,
    unit: 'semitones',
    min: 0,
    max: 96,
  }),
};

const OUTPUTS = {
  left: stream('The sum of the voices, left.', { unit: '-1…1' }),
  right: stream('The sum of the voices, right.', { unit: '-1…1' }),
};

/** `voices` checked (control side): a whole number from 1 to 128. */
function voiceCount(value: DataValue): number {
  if (value === null) return 8;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > MAX_VOICES)
    throw new SynchrotronError(
      'invalid',
      `a VoicesNode's \`voices\` is a whole number from 1 to ${MAX_VOICES}, not ${JSON.stringify(value)}`,
    );
  return value;
}

/** Refuses a voice patch a VoicesNode cannot play, saying why. */
function checkVoicePatch(patch: PatchDescription): void {
  const streams = patch.outlets.filter((o) => o.kind === 'stream').map((o) => o.name);
  if (!(streams.includes('left') && streams.includes('right')) && !streams.includes('out')) {
    throw new SynchrotronError(
      'invalid',
      `the voice patch ${patch.path} needs stream outlets \`left\` and \`right\`, or \`out\`` +
        (patch.outlets.length
          ? ` (it has ${patch.outlets.map((o) => `\`${o.name}\``).join(', ')})`
          : ' (it has none)'),
    );
  }
  for (const inlet of patch.inlets) {
    if ((VOICE_INLETS as readonly string[]).includes(inlet.name) && inlet.kind !== 'stream')
      throw new SynchrotronError(
        'invalid',
        `the inlet \`${inlet.name}\` of ${patch.path} is played per voice, so it must be a stream inlet (it is ${inlet.kind})`,
      );
  }
}

/**
 * Voices of a VoicesNode that other threads render (given by src/io/voice-threads.ts, so this file stays
 * free of threads). Per block the node writes every voice's inlets (the bank, into `drive`), `begin` wakes
 * the threads, the node renders its own voices, `end` waits; then it mixes every voice here in voice order,
 * so the sum is one thread's, bit for bit.
 */
export interface RemoteVoices {
  /** By voice: 1 when another thread renders it. */
  readonly remote: Uint8Array;
  /** Voice v's buffer for VOICE_INLETS[k], which the bank writes (null: the patch has no such inlet). */
  drive(k: number, v: number): Float32Array | null;
  /** Voice v's left and right output as its thread left them (valid after `end`). */
  readonly left: ReadonlyArray<Float32Array | null>;
  readonly right: ReadonlyArray<Float32Array | null>;
  /** Voice v's peak this block (after `end`): NaN when it went non-finite (muted there), −1: no outlets. */
  readonly peak: Float64Array;
  /** The voice patch's other inlets (all stream inlets), whose inputs `begin` passes on. */
  readonly inputs: readonly string[];
  /**
   * Render side: wake the threads for this block (not when none of their voices is active). `written`: the
   * bank's flags of inlet blocks written (VoiceBank.written), which it clears for the voices it passes on.
   */
  begin(
    frames: number,
    clock: number,
    active: Uint8Array,
    count: number,
    inputs: ReadonlyArray<StreamInput | null>,
    written: Uint8Array,
  ): void;
  /** Render side: wait until the threads woken by `begin` have rendered. */
  end(): void;
}

/** A stream inlet of the voice patch other than VOICE_INLETS: every voice's copy, fed from one input. */
interface SharedInlet {
  readonly name: string;
  /** This node's input of that name (null: none bound yet). */
  input: StreamInput | null;
  /** By voice: the inlet's output buffer, which this node writes (null: not driven here). */
  readonly bufs: Array<Float32Array | null>;
  /**
   * [the value, the frames]: frames 0 … frames − 1 of every voice's buffer, sounding or idle, hold that
   * value (frames 0: not known to). A held value costs one comparison a block, not one per voice.
   */
  readonly held: Float64Array;
}

/**
 * Writes this block of `inlet`'s input into the voices' buffers (render side), as InletNode's `process`
 * did per voice: a constant input only when its value changed — then into every voice's buffer, idle ones
 * too, so that one check covers them all after —, another into each sounding voice's buffer, whole.
 */
function feedShared(inlet: SharedInlet, active: Uint8Array, count: number, frames: number): void {
  const input = inlet.input;
  if (input === null) return;
  const from = input.buf;
  const held = inlet.held;
  const value = from[0];
  const bufs = inlet.bufs;
  if (input.constant) {
    if (value === held[0] && held[1] >= frames) return;
    for (let v = 0; v < count; v++) {
      const to = bufs[v];
      if (to !== null) for (let i = 0; i < frames; i++) to[i] = from[i];
    }
    held[0] = value;
    // Only a finite value is held: a non-finite one is written again each block.
    held[1] = value - value === 0 ? frames : 0;
    return;
  }
  held[1] = 0;
  for (let v = 0; v < count; v++) {
    const to = bufs[v];
    if (active[v] === 0 || to === null) continue;
    for (let i = 0; i < frames; i++) to[i] = from[i];
  }
}

/** What `prepare` hands a VoicesNode: one plan per voice (inner delay lines and files are per voice). */
export interface VoicesPlan {
  voices: number;
  plans: PatchPlan[];
  /** Set by a threaded renderer when other threads render some voices. */
  remote?: RemoteVoices;
}

/**
 * Polyphony (SPEC §7): the voice patch instantiated `voices` times, each voice given a held note through its
 * inlets (frequency with pitch bend, held through the release; gate; velocity; pressure; bend), summed to
 * left and right. Idle voices — released and below −90 dB for 50 ms — are not rendered at all. See
 * voice-bank.ts for allocation and stealing.
 */
export const VoicesNode = defineNode({
  type: 'VoicesNode',
  category: 'instruments',
  description:
    'Plays a voice patch (.syn) polyphonically from MIDI: up to 128 voices, each note given a voice (frequency, gate, velocity, pressure, bend), voice stealing, sustain pedal, pitch bend, MPE.',
  inputs: FIXED,
  outputs: OUTPUTS,
  ports(values, ctx): NodePorts {
    const voices = voiceCount(values.voices);
    const patch = loadPatchFile(ctx.host, values.patch, 'VoicesNode');
    if (!patch) return { inputs: FIXED, outputs: OUTPUTS };
    checkVoicePatch(patch);
    const inputs: PortSpecs = { ...FIXED };
    for (const inlet of patch.inlets) {
      if ((VOICE_INLETS as readonly string[]).includes(inlet.name)) continue;
      if (Object.hasOwn(FIXED, inlet.name))
        throw new SynchrotronError(
          'invalid',
          `the inlet \`${inlet.name}\` of ${patch.path} clashes with the VoicesNode's own input \`${inlet.name}\`: rename the inlet`,
        );
      inputs[inlet.name] = inletSpec(patch, inlet.name, inlet.kind, inlet.default);
    }
    return { inputs, outputs: OUTPUTS, weight: 1 + voices * patch.weight, revision: patch.revision };
  },
  prepare(values, ctx): VoicesPlan | null | Promise<VoicesPlan> {
    const voices = voiceCount(values.voices);
    const patch = loadPatchFile(ctx.host, values.patch, 'VoicesNode');
    ctx.publish({ Patch: patch?.path ?? null });
    if (!patch) return null;
    // Each voice prepares its own inner nodes (a delay line per voice), here, off the render thread.
    const plans = Array.from({ length: voices }, () => preparePatch(patch, ctx));
    if (plans.every((plan) => !(plan instanceof Promise))) return { voices, plans: plans as PatchPlan[] };
    return Promise.all(plans).then((ready) => ({ voices, plans: ready }));
  },
  initialExports: () => ({ Patch: null, 'Voices Sounding': 0 }),
  create(ctx, io) {
    const bank = new VoiceBank(ctx.sampleRate);
    const runtimes: PatchRuntime[] = [];
    /** Each voice's outlets' inputs (left and right; both the same for a voice with `out`). */
    const voiceLeft: Array<StreamInput | null> = Array.from({ length: MAX_VOICES }, () => null);
    const voiceRight: Array<StreamInput | null> = Array.from({ length: MAX_VOICES }, () => null);
    const midiIn = io.inputs.midi as MidiInput;
    // The mix runs in the kernels when the outputs live in their memory (the voices' buffers do too).
    const kernels = kernelsFor(io.outputs.left.buf);
    const leftAt = kernels?.offsetOf(io.outputs.left.buf) ?? -1;
    const rightAt = kernels?.offsetOf(io.outputs.right.buf) ?? -1;
    const offsets = new VoiceOutputOffsets();
    // The voices mixed by one `mixVoices` call, in voice order: their buffer offsets (pairs) and peaks in
    // the kernels' memory, and which voice each is. A voice mixed in JS (a fade, a remote voice) first
    // mixes the ones queued before it, so every sum runs in voice order, bit for bit as one call per voice.
    const mixAt = kernels?.allocState(MAX_VOICES * 12) ?? -1;
    let mixPairs = new Int32Array(0);
    let mixPeaks = new Float32Array(0);
    const queuedVoice = new Int32Array(MAX_VOICES);
    let mixCount = 0;
    /**
     * Queues voice `v` (outputs `lb`, `rb`) for `mixQueued` when the kernels can mix it: no fade, and its
     * blocks and the mix in their memory. False: the caller mixes it in JS, after `mixQueued`.
     */
    const queueMix = (v: number, lb: Float32Array, rb: Float32Array): boolean => {
      if (kernels === null || mixAt < 0 || leftAt < 0 || rightAt < 0 || bank.fadeAt[v] >= 0) return false;
      if (!offsets.find(kernels, v, lb, rb)) return false;
      mixPairs[2 * mixCount] = offsets.left[v];
      mixPairs[2 * mixCount + 1] = offsets.right[v];
      queuedVoice[mixCount++] = v;
      return true;
    };
    /** Mixes the queued voices (one kernel call) and counts each one's peak, or mutes it. */
    const mixQueued = (frames: number) => {
      if (mixCount === 0) return;
      const k = kernels as Kernels;
      k.exports.mixVoices(leftAt, rightAt, mixAt, mixCount, frames, mixAt + 8 * MAX_VOICES);
      for (let i = 0; i < mixCount; i++) {
        const v = queuedVoice[i];
        const loudest = mixPeaks[i];
        if (loudest - loudest !== 0) runtimes[v].plan?.muteNonFinite(frames);
        else {
          bank.level[v] = loudest; // stored, not passed: see heardLevel
          bank.heardLevel(v, frames);
        }
      }
      mixCount = 0;
    };
    // The voices rendered here go through one group (ChildGroup): one kernel call per segment for all.
    const group = ctx.createChildGroup?.() ?? null;
    /** The sounding voices' plans this block (sized by configure, so a block never grows it). */
    const members: Array<ChildPlan | null> = [];
    let running = false;
    let lastSteal: unknown = null;
    // `Voices Sounding` for clients: published when it changed, at most every PUBLISH_FRAMES.
    const publishEvery = Math.round(0.1 * ctx.sampleRate);
    let published = -1;
    let sincePublished = publishEvery;
    let policy = STEAL_OLDEST;
    let remote: RemoteVoices | null = null;
    /** The node's inputs that `remote.inputs` name, in that order. */
    let remoteInputs: Array<StreamInput | null> = [];
    const bindRemoteInputs = () => {
      const inputs = io.inputs as NodeIO['inputs'];
      remoteInputs = (remote?.inputs ?? []).map((name) => {
        const input = Object.hasOwn(inputs, name) ? inputs[name] : null;
        return input instanceof StreamInput ? input : null;
      });
    };

    // The voice patch's other stream inlets, fed from this node's stream inputs: this node writes each
    // voice's inlet buffer itself (the inlet is driven, so inert) instead of each inlet copying as a JS node
    // — 64 calls a block in poly-32 (two shared inlets), ~7 % of its render time. A constant input is
    // written only when its value changed, as the inlet did.
    const shared: SharedInlet[] = [];
    const sharedNamed = (name: string): SharedInlet => {
      for (const inlet of shared) if (inlet.name === name) return inlet;
      const inlet: SharedInlet = {
        name,
        input: null,
        bufs: Array.from({ length: MAX_VOICES }, () => null),
        held: new Float64Array(2),
      };
      shared.push(inlet);
      return inlet;
    };

    /** Points voice `v`'s inlets at the bank's buffers (its own) or this node's inputs (shared). */
    const bind = (v: number) => {
      for (let k = 0; k < VOICE_INLETS.length; k++) bank.drive[k][v] = null;
      bank.driveChanged(v);
      for (const inlet of shared) {
        inlet.bufs[v] = null;
        inlet.held[1] = 0; // a buffer bound anew holds nothing yet
      }
      voiceLeft[v] = null;
      voiceRight[v] = null;
      if (remote?.remote[v]) {
        for (let k = 0; k < VOICE_INLETS.length; k++) bank.drive[k][v] = remote.drive(k, v);
        return;
      }
      const runtime = runtimes[v];
      const patch = runtime?.patch;
      const plan = runtime?.plan;
      if (!patch || !plan) return;
      const inputs = io.inputs as NodeIO['inputs'];
      for (const inlet of patch.inlets) {
        const instance = plan.instance(inlet.name);
        if (!isInlet(instance)) continue;
        const k = (VOICE_INLETS as readonly string[]).indexOf(inlet.name);
        if (k >= 0) {
          bank.drive[k][v] = instance.drive();
          continue;
        }
        const input = Object.hasOwn(inputs, inlet.name) ? inputs[inlet.name] : null;
        if (inlet.kind === 'stream' && input instanceof StreamInput) {
          const buf = instance.drive();
          if (buf !== null) {
            const entry = sharedNamed(inlet.name);
            entry.input = input;
            entry.bufs[v] = buf;
            continue;
          }
        }
        instance.follow(input);
      }
      const outlet = (name: string): StreamInput | null => {
        const inner = plan.io(name)?.inputs as Record<string, unknown> | undefined;
        const input = inner && Object.hasOwn(inner, 'input') ? inner.input : null;
        return input && typeof input === 'object' && 'buf' in input ? (input as StreamInput) : null;
      };
      const left = outlet('left');
      const right = outlet('right');
      const mono = outlet('out');
      voiceLeft[v] = left && right ? left : mono;
      voiceRight[v] = left && right ? right : mono;
    };

    /**
     * Adds voice `v`'s blocks into the mix in JS, a fading voice at its fade's gain (its fade ends once both
     * halves are done), and counts its peak. JS sums equal the kernel's f32 sums: a double sum of two floats
     * rounds to the same float.
     */
    const mixInJs = (
      v: number,
      lb: Float32Array,
      rb: Float32Array,
      left: Float32Array,
      right: Float32Array,
      frames: number,
      clock: number,
    ) => {
      const fadeAt = bank.fadeAt;
      if (fadeAt[v] < 0) {
        for (let i = 0; i < frames; i++) {
          left[i] += lb[i];
          right[i] += rb[i];
        }
      } else {
        for (let i = 0; i < frames; i++) {
          const g = bank.gainAt(v, clock + i);
          left[i] += g * lb[i];
          right[i] += g * rb[i];
        }
        if (clock + frames - fadeAt[v] >= 2 * bank.fadeFrames && bank.starting[v] === 0) fadeAt[v] = -1;
      }
      bank.heardLevel(v, frames); // the caller stored the peak in bank.level[v]
    };

    /** Mixes voice `v`, rendered by another thread: what the loop below does with a voice rendered here. */
    const mixRemote = (
      from: RemoteVoices,
      v: number,
      left: Float32Array,
      right: Float32Array,
      frames: number,
      clock: number,
    ) => {
      const peak = from.peak[v];
      if (Number.isNaN(peak)) return; // non-finite: its thread muted the inner node; it adds nothing
      if (peak < 0) {
        bank.heard(v, 0, frames); // no outlets
        return;
      }
      const lb = from.left[v]!;
      const rb = from.right[v]!;
      // The split keeps its output blocks in this memory where it can: queued with our voices, in order
      // (finite, checked above, so mixQueued only reports its peak).
      if (queueMix(v, lb, rb)) return;
      mixQueued(frames);
      bank.level[v] = peak;
      mixInJs(v, lb, rb, left, right, frames, clock);
    };

    return {
      configure(prepared: VoicesPlan | null) {
        const count = prepared ? prepared.voices : 0;
        for (let v = count; v < runtimes.length; v++) runtimes[v].clear();
        bank.resize(count);
        while (members.length < count) members.push(null);
        remote = prepared?.remote ?? null;
        bindRemoteInputs();
        if (!prepared) return;
        for (let v = 0; v < count; v++) {
          let runtime = runtimes[v];
          if (!runtime) {
            runtime = new PatchRuntime(ctx, `voice ${v + 1}`);
            if (running) runtime.start();
            runtimes[v] = runtime;
          }
          // A voice another thread holds has no inner nodes here.
          if (remote?.remote[v]) runtime.clear();
          else runtime.update(prepared.plans[v]);
          bind(v);
        }
      },
      portsChanged() {
        for (let v = 0; v < bank.count; v++) bind(v);
        bindRemoteInputs();
      },
      process(frames) {
        const left = io.outputs.left.buf;
        const right = io.outputs.right.buf;
        left.fill(0, 0, frames);
        right.fill(0, 0, frames);
        const steal = io.inputs.steal.value;
        if (steal !== lastSteal) {
          lastSteal = steal;
          policy = steal === 'quietest' ? STEAL_QUIETEST : steal === 'none' ? STEAL_NONE : STEAL_OLDEST;
        }
        const range = Math.min(96, Math.max(0, dataToNumber(io.inputs.bendRange.value as DataValue)));
        const clock = ctx.clock.frames;
        bank.run(midiIn.source, frames, clock, policy, range);
        const active = bank.active;
        if (mixAt >= 0 && mixPeaks.buffer !== (kernels as Kernels).heap) {
          // First block, or the memory grew since the views were made (only then: this allocates).
          mixPairs = new Int32Array((kernels as Kernels).heap, mixAt, 2 * MAX_VOICES);
          mixPeaks = new Float32Array((kernels as Kernels).heap, mixAt + 8 * MAX_VOICES, MAX_VOICES);
        }
        for (let s = 0; s < shared.length; s++) feedShared(shared[s], active, bank.count, frames);
        // Other threads render their voices meanwhile (`remote`); every voice is mixed below, in voice order.
        if (remote !== null) remote.begin(frames, clock, active, bank.count, remoteInputs, bank.written);
        if (group !== null) {
          let count = 0;
          for (let v = 0; v < bank.count; v++) {
            const plan =
              active[v] !== 0 && (remote === null || remote.remote[v] === 0) ? runtimes[v].plan : null;
            if (plan === null) continue;
            members[count++] = plan;
          }
          group.render(members, count, frames);
        } else if (remote !== null) {
          for (let v = 0; v < bank.count; v++)
            if (active[v] !== 0 && remote.remote[v] === 0) runtimes[v].render(frames);
        }
        if (remote !== null) remote.end();
        for (let v = 0; v < bank.count; v++) {
          if (active[v] === 0) continue;
          if (remote === null) {
            if (group === null) runtimes[v].render(frames);
          } else if (remote.remote[v] !== 0) {
            mixRemote(remote, v, left, right, frames, clock);
            continue;
          }
          const l = voiceLeft[v];
          const r = voiceRight[v];
          if (l === null || r === null) {
            bank.heard(v, 0, frames);
            continue;
          }
          const lb = l.buf;
          const rb = r.buf;
          // The usual case, in one SIMD call a block for all such voices: check, measure and mix.
          if (queueMix(v, lb, rb)) continue;
          mixQueued(frames);
          let peak = 0;
          let check = 0;
          for (let i = 0; i < frames; i++) {
            const a = lb[i];
            const b = rb[i];
            check += a * 0 + b * 0;
            peak = Math.max(peak, Math.abs(a), Math.abs(b));
          }
          if (check !== 0) {
            // A non-finite sample: mute the inner node that made it; this voice adds nothing this block.
            runtimes[v].plan?.muteNonFinite(frames);
            continue;
          }
          bank.level[v] = peak; // stored, not passed: see heardLevel
          mixInJs(v, lb, rb, left, right, frames, clock);
        }
        mixQueued(frames);
        sincePublished += frames;
        if (sincePublished >= publishEvery) {
          let sounding = 0;
          for (let v = 0; v < bank.count; v++) sounding += active[v];
          if (sounding !== published) {
            published = sounding;
            sincePublished = 0;
            ctx.publish({ 'Voices Sounding': sounding });
          }
        }
      },
      start() {
        running = true;
        for (const runtime of runtimes) runtime.start();
      },
      stop() {
        running = false;
        for (const runtime of runtimes) runtime.stop();
      },
      dispose() {
        for (const runtime of runtimes) runtime.dispose();
        runtimes.length = 0;
        members.length = 0;
        group?.dispose();
        kernels?.releaseState(mixAt, MAX_VOICES * 12);
      },
    };
  },
});
