// How a number maps onto a knob or slider: its range and curve, from what a port declares (GET /types:
// unit, min, max) — never from a list of node types, so new types get sensible controls for free.
// Hz and seconds move on a logarithmic curve (an octave or a doubling is the same distance anywhere);
// everything else is linear.

import type { ApiConnection, ApiNode, NodeTypeInfo } from './api';

export type PortInfo = NodeTypeInfo['inputs'][number];

export interface ControlRange {
  min: number;
  max: number;
  /** 'log' maps position to value exponentially; for a range that starts at 0 the bottom tenth of the
   * travel is linear from 0 to `floor`, so 0 stays reachable. */
  curve: 'linear' | 'log';
  /** Smallest positive value on a log curve whose range includes 0. */
  floor: number;
  unit?: string;
  /** Whole numbers only (a MIDI note, a count). */
  integer: boolean;
}

const LOG_UNITS = new Set(['Hz', 's', 'seconds', 'ms']);

/** Ranges a unit implies when the port declares none (the limits of hearing, of useful times …). */
const UNIT_RANGES: Record<string, [number, number]> = {
  Hz: [0.1, 20000],
  s: [0.001, 10],
  seconds: [0.001, 10],
  ms: [0.1, 10000],
  dB: [-60, 12],
  semitones: [-24, 24],
  '0…1': [0, 1],
  '0/1': [0, 1],
  fraction: [0, 1],
  '-1…1': [-1, 1],
  '−1…1': [-1, 1],
};

/** Units of a parameter (a knob makes sense even without a declared range); others — a signal's
 * `-1…1`, a `trigger` — get a control only when the port declares its min and max. */
const PARAMETER_UNITS = new Set(['Hz', 's', 'seconds', 'ms', 'dB', 'semitones']);

/** The control range of an unlinked stream input, or null when it is a signal rather than a setting. */
export function inputRange(port: PortInfo): ControlRange | null {
  const declared = typeof port.min === 'number' && typeof port.max === 'number';
  if (!declared && !(port.unit && PARAMETER_UNITS.has(port.unit))) return null;
  return rangeOf(port);
}

/** A range written in the unit itself, like `0…2` or `-0.99…0.99`. */
function unitSpan(unit: string): [number, number] | null {
  const match = /^([−-]?\d*\.?\d+)\s*(?:…|\.\.\.?)\s*([−-]?\d*\.?\d+)$/.exec(unit.trim());
  if (!match) return null;
  const read = (s: string) => Number(s.replace('−', '-'));
  const [a, b] = [read(match[1]), read(match[2])];
  return Number.isFinite(a) && Number.isFinite(b) && b > a ? [a, b] : null;
}

/**
 * The range a control for this port uses, or null when the port says too little to draw one
 * (no min/max and no unit that implies a range).
 */
export function rangeOf(port: Pick<PortInfo, 'unit' | 'min' | 'max'>): ControlRange | null {
  const unit = port.unit;
  const implied = unit ? (UNIT_RANGES[unit] ?? unitSpan(unit)) : null;
  const min = typeof port.min === 'number' ? port.min : implied?.[0];
  const max = typeof port.max === 'number' ? port.max : implied?.[1];
  if (min === undefined || max === undefined || !(max > min)) return null;
  const curve = unit && LOG_UNITS.has(unit) && max > 0 ? 'log' : 'linear';
  const floor = min > 0 ? min : implied && implied[0] > 0 && implied[0] < max ? implied[0] : max / 1000;
  return { min, max, curve, floor, unit, integer: unit === 'MIDI note' || unit === 'count' };
}

/** A range for a number nobody declared a range for: around the value, so the first drag is useful. */
export function rangeAround(value: number): ControlRange {
  if (value >= 0 && value <= 1) return { min: 0, max: 1, curve: 'linear', floor: 0.001, integer: false };
  if (value >= -1 && value < 0) return { min: -1, max: 1, curve: 'linear', floor: 0.001, integer: false };
  const magnitude = 10 ** Math.ceil(Math.log10(Math.abs(value) * 1.0001));
  return value > 0
    ? { min: 0, max: magnitude * 2, curve: 'linear', floor: 0.001, integer: false }
    : { min: -magnitude * 2, max: magnitude * 2, curve: 'linear', floor: 0.001, integer: false };
}

const LINEAR_PART = 0.1;

/** Position along the control (0…1) of a value. */
export function toPosition(range: ControlRange, value: number): number {
  const v = Math.min(range.max, Math.max(range.min, value));
  if (range.curve === 'linear') return (v - range.min) / (range.max - range.min);
  const { min, max, floor } = range;
  if (min > 0) return Math.log(v / min) / Math.log(max / min);
  if (v <= floor) return (LINEAR_PART * (v - min)) / (floor - min || 1);
  return LINEAR_PART + ((1 - LINEAR_PART) * Math.log(v / floor)) / Math.log(max / floor);
}

/** The value at a position (0…1) along the control. */
export function fromPosition(range: ControlRange, position: number): number {
  const t = Math.min(1, Math.max(0, position));
  let value: number;
  if (range.curve === 'linear') value = range.min + t * (range.max - range.min);
  else if (range.min > 0) value = range.min * (range.max / range.min) ** t;
  else if (t <= LINEAR_PART) value = range.min + (t / LINEAR_PART) * (range.floor - range.min);
  else value = range.floor * (range.max / range.floor) ** ((t - LINEAR_PART) / (1 - LINEAR_PART));
  return tidy(range, value);
}

/** Rounds to what the eye can tell apart at that size (4 significant digits), whole for integers. */
export function tidy(range: ControlRange, value: number): number {
  if (range.integer) return Math.round(value);
  if (value === 0) return 0;
  const digits = Math.max(0, 3 - Math.floor(Math.log10(Math.abs(value))));
  return Number(value.toFixed(Math.min(6, digits)));
}

/** A value with its unit, short enough for a node: `440 Hz`, `1.2 kHz`, `25 ms`, `-6 dB`, `0.24`. */
export function formatControl(value: number, unit?: string): string {
  const short = (x: number) => {
    const a = Math.abs(x);
    if (a === 0) return '0';
    if (a >= 1000) return String(Math.round(x));
    if (a >= 100) return x.toFixed(a >= 999.95 ? 0 : 1).replace(/\.0$/, '');
    if (a >= 10) return x.toFixed(2).replace(/\.?0+$/, '');
    if (a >= 0.001) return x.toFixed(3).replace(/\.?0+$/, '');
    return x.toExponential(1);
  };
  if (unit === 'Hz' && Math.abs(value) >= 1000) return `${short(value / 1000)} kHz`;
  if ((unit === 's' || unit === 'seconds') && Math.abs(value) < 1 && value !== 0)
    return `${short(value * 1000)} ms`;
  const shown = unit === 'seconds' ? 's' : unit;
  if (!shown || /…|\.\.|\//.test(shown) || shown === 'fraction') return short(value);
  return `${short(value)} ${shown}`;
}

/** The input a node's output feeds that declares the most about its range (for a value node's control). */
export function fedPort(
  node: ApiNode,
  connections: ApiConnection[],
  nodes: Map<string, ApiNode>,
  types: Map<string, NodeTypeInfo>,
): PortInfo | null {
  let best: PortInfo | null = null;
  for (const c of connections) {
    if (c.source.node_name !== node.name) continue;
    const sink = nodes.get(c.sink.node_name);
    const spec = sink && types.get(sink.type)?.inputs.find((p) => p.name === c.sink.port_name);
    if (!spec) continue;
    const score = (p: PortInfo) => (rangeOf(p) ? 2 : 0) + (typeof p.min === 'number' ? 1 : 0);
    if (!best || score(spec) > score(best)) best = spec;
  }
  return best;
}

/** The control range of a value node: what it feeds declares, else a range around its value. */
export function valueRange(port: PortInfo | null, value: number): ControlRange {
  const declared = port ? rangeOf(port) : null;
  if (!declared) return rangeAround(value);
  // A value outside the declared range widens it rather than being clamped by merely looking at it.
  if (value < declared.min || value > declared.max) {
    const around = rangeAround(value);
    return { ...declared, min: Math.min(declared.min, around.min), max: Math.max(declared.max, around.max) };
  }
  return declared;
}
