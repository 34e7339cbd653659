// Plain value types shared by the control side (graph, language, API) and the render side.
// No Node or DOM APIs here: this module also runs in workers and the browser's AudioWorklet.

/** A value carried by a data port, held by a DataNode, or written in Synchrolang. */
export type DataValue = number | string | boolean | null | DataValue[];

/** What a data port can hold at render time: a DataValue, or a live view of a stream block. */
export type DataSlotValue = DataValue | Float32Array;

export type PortKind = 'stream' | 'data' | 'midi';
export type PortDirection = 'input' | 'output';

/** A port named as in the API: `{"node_name": "sine", "port_name": "out"}`. */
export interface PortRef {
  node: string;
  port: string;
}

export interface ConnectionRef {
  source: PortRef;
  sink: PortRef;
}

/**
 * The empty record a node without literal values or exports shares (frozen: writing to it throws rather
 * than leaking into every other node). An object per node each was thousands of long-lived objects in a
 * large build, each copied by the scavenges that met it.
 */
export const EMPTY_RECORD: Readonly<Record<string, never>> = Object.freeze({});

/**
 * An empty array for objects, made in V8's storage for any element rather than the small-integer storage a
 * `[]` starts in (and leaves on its first object, for good). Code optimized while pushing objects into
 * arrays that had already left it is thrown away when a fresh `[]` arrives at the same push ("not a Smi"),
 * and compiled again: in bench build-3000 the next engine's or the next batch's array did that to the
 * graph's and the plan's build code, 20–40 ms of compiling in each of rounds 2–3. For arrays made afresh per
 * engine or per batch and filled on a hot path.
 */
export function objectArray<T>(): T[] {
  const array: T[] = [undefined as T];
  array.length = 0;
  return array;
}

export function portKey(ref: PortRef): string {
  return `${ref.node}.${ref.port}`;
}

export function isDataValue(value: unknown, depth = 0): value is DataValue {
  if (value === null) return true;
  switch (typeof value) {
    case 'number':
      return Number.isFinite(value);
    case 'string':
    case 'boolean':
      return true;
    case 'object':
      // At most 64 arrays deep, as Synchrolang reads them (so every value exports and reloads); an index
      // loop, not every(), so the holes of a sparse array are refused rather than skipped.
      if (!Array.isArray(value) || depth >= 64) return false;
      for (let i = 0; i < value.length; i++) if (!isDataValue(value[i], depth + 1)) return false;
      return true;
    default:
      return false;
  }
}

/** Largest finite stream sample (float32): a larger data value would become Infinity in a stream buffer. */
export const STREAM_MAX = 3.4028234663852886e38;

/**
 * The number a data value stands for when it feeds a stream: numbers as they are (clamped to ±STREAM_MAX,
 * non-finite → 0), booleans 1/0, else 0.
 */
export function dataToNumber(value: DataSlotValue): number {
  if (typeof value === 'number')
    return Number.isFinite(value) ? Math.min(STREAM_MAX, Math.max(-STREAM_MAX, value)) : 0;
  if (typeof value === 'boolean') return value ? 1 : 0;
  return 0;
}

/** Deep equality for data values (arrays compared element by element). */
export function dataEquals(a: DataValue, b: DataValue): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!dataEquals(a[i], b[i])) return false;
    return true;
  }
  return false;
}
