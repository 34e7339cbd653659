// Value snapshots: the values of every value node, stored in numbered slots, recalled at once, or
// morphed between two (each number travels along its control's curve, so a frequency glides by octaves;
// anything that is not a number switches half-way). Saved with the patch (the .sui header's
// "snapshots"). Recalls and morphs are ordinary value edits: undoable, and heard by every client.

import { useSyncExternalStore } from 'react';
import type { DataValue } from '../../src/engine/types.js';
import { isDataValue } from '../../src/engine/types.js';
import { fedPort, fromPosition, toPosition, valueRange } from './controls';
import { setValues } from './edits';
import { store } from './store';

export const SLOTS = 8;

export interface Snapshot {
  /** Value node → value. */
  values: Record<string, DataValue>;
}

let slots: Array<Snapshot | null> = Array.from({ length: SLOTS }, () => null);
const listeners = new Set<() => void>();
const changed = () => {
  for (const listener of listeners) listener();
};

export function useSnapshots(): Array<Snapshot | null> {
  return useSyncExternalStore(
    (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    () => slots,
  );
}

/** The values of every value node now. */
function capture(): Snapshot {
  const values: Record<string, DataValue> = {};
  for (const node of store.state.nodes.values()) {
    const value = node.exports.Value;
    if (node.type === 'DataNode' && isDataValue(value)) values[node.name] = value;
  }
  return { values };
}

export function storeSnapshot(slot: number) {
  slots = slots.map((s, i) => (i === slot ? capture() : s));
  changed();
}

export function clearSnapshot(slot: number) {
  slots = slots.map((s, i) => (i === slot ? null : s));
  changed();
}

export async function recallSnapshot(slot: number) {
  const snapshot = slots[slot];
  if (snapshot) await setValues(snapshot.values, `recall snapshot ${slot + 1}`);
}

/** The values `t` (0…1) of the way from snapshot `a` to `b`. */
export function morphValues(a: Snapshot, b: Snapshot, t: number): Record<string, DataValue> {
  const { nodes, connections, types } = store.state;
  const typeInfo = new Map(types.map((x) => [x.type, x]));
  const out: Record<string, DataValue> = {};
  for (const [name, from] of Object.entries(a.values)) {
    if (!(name in b.values)) continue;
    const to = b.values[name];
    const node = nodes.get(name);
    if (typeof from === 'number' && typeof to === 'number' && node) {
      const port = fedPort(node, connections, nodes, typeInfo);
      // One range for both ends, so the path is the control's curve between them.
      const range = valueRange(port, from);
      const wide = valueRange(port, to);
      const r = { ...range, min: Math.min(range.min, wide.min), max: Math.max(range.max, wide.max) };
      const p = toPosition(r, from) + (toPosition(r, to) - toPosition(r, from)) * t;
      out[name] = t <= 0 ? from : t >= 1 ? to : fromPosition(r, p);
    } else out[name] = t < 0.5 ? from : to;
  }
  return out;
}

/** Morphing sends the newest position only, one request at a time; a whole drag is one undo step. */
let morphBusy = false;
let morphNext: { a: number; b: number; t: number } | null = null;
export async function morph(a: number, b: number, t: number) {
  morphNext = { a, b, t };
  if (morphBusy) return;
  morphBusy = true;
  try {
    while (morphNext) {
      const next = morphNext;
      morphNext = null;
      const from = slots[next.a];
      const to = slots[next.b];
      if (!from || !to) break;
      await setValues(morphValues(from, to, next.t), `morph ${next.a + 1} → ${next.b + 1}`, 'morph').catch(
        () => undefined,
      );
    }
  } finally {
    morphBusy = false;
  }
}

/** Slots as saved in a .sui header (filled ones, with their numbers). */
export function snapshotsForFile(): Array<{ slot: number; values: Record<string, DataValue> }> {
  return slots.flatMap((s, i) => (s ? [{ slot: i + 1, values: s.values }] : []));
}

/** Slots read from a .sui header (absent: all empty). */
export function snapshotsFromFile(raw: unknown) {
  slots = Array.from({ length: SLOTS }, () => null);
  if (Array.isArray(raw)) {
    for (const entry of raw) {
      const e = entry as { slot?: unknown; values?: unknown };
      if (!Number.isInteger(e?.slot) || (e.slot as number) < 1 || (e.slot as number) > SLOTS) continue;
      if (!e.values || typeof e.values !== 'object' || Array.isArray(e.values)) continue;
      const values: Record<string, DataValue> = {};
      for (const [name, value] of Object.entries(e.values)) if (isDataValue(value)) values[name] = value;
      slots[(e.slot as number) - 1] = { values };
    }
  }
  changed();
}
