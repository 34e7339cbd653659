// MIDI learn and controller mappings: a controller (channel + CC number) moves a value node over the
// range its control had when it was learnt. Controllers reach the editor from Web MIDI devices in this
// browser and from the server's virtual port (hardware bridges, POST /midi, other clients), which the
// server echoes to every editor. Mappings are saved with the patch (the .sui header's "midi" entry).

import { useSyncExternalStore } from 'react';
import { type ControlRange, fromPosition } from './controls';

export interface Mapping {
  /** MIDI channel 1…16. */
  channel: number;
  /** Controller number 0…127. */
  cc: number;
  /** The value node the controller sets. */
  node: string;
  range: ControlRange;
}

interface State {
  learning: boolean;
  /** The control waiting for a controller to move (`node` or `node.port`). */
  target: string | null;
  mappings: Mapping[];
}

let state: State = { learning: false, target: null, mappings: [] };
const listeners = new Set<() => void>();
const set = (patch: Partial<State>) => {
  state = { ...state, ...patch };
  for (const listener of listeners) listener();
};
const subscribe = (listener: () => void) => {
  listeners.add(listener);
  return () => listeners.delete(listener);
};

/** What a learnt controller does once its target exists: set by the editor (edits are its business). */
let apply: (node: string, value: number, done: boolean) => void = () => undefined;
/** Resolves an armed control to the value node it stands for (an unlinked input gets one made). */
let resolve: (target: string, range: ControlRange) => Promise<string | null> = async (t) => t;

export function onControllerValue(handler: typeof apply) {
  apply = handler;
}
export function onResolveTarget(handler: typeof resolve) {
  resolve = handler;
}

export function useLearning(): boolean {
  return useSyncExternalStore(subscribe, () => state.learning);
}
export function useMappings(): Mapping[] {
  return useSyncExternalStore(subscribe, () => state.mappings);
}
export function learnTarget() {
  return state.target;
}
export function mappings() {
  return state.mappings;
}

export function setLearning(on: boolean) {
  set({ learning: on, target: null });
}

let armedRange: ControlRange | null = null;
export function setLearnTarget(target: string | null) {
  set({ target });
}
/** The armed control's range at the moment it was armed (what the mapping will use). */
export function armRange(range: ControlRange) {
  armedRange = range;
}

export function replaceMappings(next: Mapping[]) {
  set({ mappings: next });
}

export function removeMapping(mapping: Mapping) {
  set({ mappings: state.mappings.filter((m) => m !== mapping) });
}

/** Follows a renamed or removed node. */
export function followNode(from: string, to: string | null) {
  if (!state.mappings.some((m) => m.node === from)) return;
  set({
    mappings: state.mappings.flatMap((m) => (m.node !== from ? [m] : to ? [{ ...m, node: to }] : [])),
  });
}

const releaseTimers = new Map<string, ReturnType<typeof setTimeout>>();

/** Raw MIDI bytes from anywhere: control changes are learnt or applied; everything else is ignored. */
export function handleMidi(bytes: ArrayLike<number>) {
  let running = 0;
  let i = 0;
  while (i < bytes.length) {
    const byte = bytes[i];
    if (byte >= 0xf8) {
      i++; // real-time bytes may sit anywhere
      continue;
    }
    if (byte >= 0xf0) {
      running = 0; // system messages end running status; skip their data
      i++;
      while (i < bytes.length && bytes[i] < 0x80) i++;
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
    if (i + size > bytes.length) break;
    // Controllers above 119 are channel mode messages (all notes off …), not knobs.
    if (kind === 0xb0 && bytes[i] <= 119) controller((running & 0x0f) + 1, bytes[i], bytes[i + 1]);
    i += size;
  }
}

function controller(channel: number, cc: number, value: number) {
  if (state.learning && state.target) {
    const target = state.target;
    const range = armedRange;
    set({ target: null });
    if (!range) return;
    void resolve(target, range).then((node) => {
      if (!node) return;
      const others = state.mappings.filter((m) => !(m.channel === channel && m.cc === cc) && m.node !== node);
      set({ mappings: [...others, { channel, cc, node, range }] });
    });
    return;
  }
  for (const m of state.mappings) {
    if (m.channel !== channel || m.cc !== cc) continue;
    const next = fromPosition(m.range, value / 127);
    apply(m.node, next, false);
    // A controller has no "let go": a pause of 300 ms ends its undo step.
    const key = `${m.channel}:${m.cc}`;
    clearTimeout(releaseTimers.get(key));
    releaseTimers.set(
      key,
      setTimeout(() => apply(m.node, next, true), 300),
    );
  }
}

/** Mappings as saved in a .sui header. */
export function mappingsForFile(): Mapping[] {
  return state.mappings.map((m) => ({ ...m, range: { ...m.range } }));
}

/** Mappings read from a .sui header: only well-formed entries. */
export function mappingsFromFile(raw: unknown): Mapping[] {
  if (!Array.isArray(raw)) return [];
  const out: Mapping[] = [];
  for (const entry of raw) {
    const m = entry as Partial<Mapping>;
    const r = m?.range as Partial<ControlRange> | undefined;
    if (
      !m ||
      typeof m.node !== 'string' ||
      !Number.isInteger(m.channel) ||
      !Number.isInteger(m.cc) ||
      m.channel! < 1 ||
      m.channel! > 16 ||
      m.cc! < 0 ||
      m.cc! > 127 ||
      !r ||
      typeof r.min !== 'number' ||
      typeof r.max !== 'number' ||
      !(r.max > r.min)
    )
      continue;
    out.push({
      channel: m.channel!,
      cc: m.cc!,
      node: m.node,
      range: {
        min: r.min,
        max: r.max,
        curve: r.curve === 'log' ? 'log' : 'linear',
        floor: typeof r.floor === 'number' && r.floor > 0 ? r.floor : Math.max(r.max / 1000, 1e-6),
        unit: typeof r.unit === 'string' ? r.unit : undefined,
        integer: r.integer === true,
      },
    });
  }
  return out;
}
