// Limits on what a graph, a script or a recording may hold (DESIGN.md principle 11). Their default values
// are policy and live with the other rules in src/io/security.ts; this file is what the engine needs to
// enforce them at its choke points (the Graph for nodes, values and files; the evaluator for results)
// without importing anything above it. An engine without limits (the library, unless configured) has none.

import { SynchrotronError } from './errors.js';
import type { DataValue } from './types.js';

export interface Limits {
  /** Nodes in one graph. */
  maxNodes: number;
  /** All data values of one graph together (DataNodes), in bytes as `valueBytes` counts them. */
  maxValueBytes: number;
  /** Everything one script builds and answers (arrays, `$nodes`, export texts), in bytes likewise. */
  maxResultBytes: number;
  /** Files held open at once: nodes that record (WavFileNode) in one graph, descriptors in one host. */
  maxOpenFiles: number;
  /** Bytes one recording (one WavFileNode take) may hold. */
  maxRecordBytes: number;
  /** Bytes of one sample file a SamplerNode reads (checked before a byte is read). */
  maxSampleBytes: number;
}

export type LimitName = keyof Limits;

/** The command-line flag that sets a limit: `maxNodes` → `--max-nodes`. */
export function limitFlag(name: string): string {
  return `--${name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

/** A byte count as people read it: 4 MiB, 1.5 GiB, 900 bytes. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} bytes`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${Math.round(value * 10) / 10} ${units[unit]}`;
}

/**
 * The error for a request that would pass a limit: code `limit` (HTTP 413), naming the limit, its value
 * and the flag that raises it, e.g. "too many nodes: a graph holds at most 10000 (--max-nodes)".
 */
export function limitError(
  name: string,
  what: string,
  details: Record<string, unknown> = {},
): SynchrotronError {
  return new SynchrotronError('limit', `${what} (${limitFlag(name)})`, { limit: name, ...details });
}

/** Size of a number as text at most ("-1.2345678901234567e-308"). */
const NUMBER_BYTES = 24;

/**
 * The size a data value counts for against the limits, about the bytes of its text: a string its length,
 * a number 24, true/false/null 5, an array 2 plus its items each with a separator. Stops counting once
 * past `stopAbove` (the answer is then > stopAbove). Recursion is as deep as the value, which data values
 * keep to 64 arrays (isDataValue, the parser).
 */
export function valueBytes(value: DataValue, stopAbove = Number.POSITIVE_INFINITY): number {
  if (typeof value === 'string') return value.length;
  if (typeof value === 'number') return NUMBER_BYTES;
  if (!Array.isArray(value)) return 5;
  let total = 2 + 2 * value.length;
  for (let i = 0; i < value.length && total <= stopAbove; i++) {
    const item = value[i];
    total +=
      typeof item === 'number'
        ? NUMBER_BYTES
        : typeof item === 'string'
          ? item.length
          : valueBytes(item, stopAbove - total);
  }
  return total;
}
