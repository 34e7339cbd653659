// Patch files: `.syn` is a plain script; `.sui` is a script preceded by `/*** {node positions JSON} ***/`
// (the original web editor's layout). The header is a block comment, so a .sui file also runs as is.

import type { ExecuteResult, ScriptHost } from './contract.js';
import { execute } from './evaluate.js';

export type Positions = Record<string, { x: number; y: number }>;

const HEADER = /^\uFEFF?\s*\/\*\*\*([\s\S]*?)\*\*\*\//;

/** A position of finite numbers: `[x, y]`, `{x, y}` or `{position: …}`; else null. */
function toPosition(value: unknown): { x: number; y: number } | null {
  const finite = (x: unknown, y: unknown) =>
    typeof x === 'number' && typeof y === 'number' && Number.isFinite(x) && Number.isFinite(y)
      ? { x, y }
      : null;
  if (Array.isArray(value)) return value.length >= 2 ? finite(value[0], value[1]) : null;
  if (value && typeof value === 'object') {
    const { x, y } = value as { x?: unknown; y?: unknown };
    if (x !== undefined || y !== undefined) return finite(x, y);
    const nested = (value as { position?: unknown }).position;
    if (nested !== undefined) return toPosition(nested);
  }
  return null;
}

export interface SuiFile {
  /** The whole text: the header is a block comment, so line numbers of errors are the file's own. */
  script: string;
  /** Node positions, or null when there is no header or it is not readable JSON. */
  positions: Positions | null;
  /**
   * The header's other entries when it is the `{"positions": …, …}` form (editor state saved with the
   * patch, such as MIDI mappings); empty otherwise.
   */
  extras: Record<string, unknown>;
  /** Why (some of) the header could not be used; the script loads regardless. */
  problem?: string;
}

/**
 * Splits a .sui file into its script (the whole text: the header is a comment) and the node positions
 * (`{name: {x, y}}`; `[x, y]` pairs and a `{"positions": …}` wrapper are accepted too). Positions are
 * null when there is no header or it is not readable JSON — the script still loads.
 */
export function parseSui(text: string): SuiFile {
  const match = HEADER.exec(text);
  if (!match) return { script: text, positions: null, extras: {} };
  let parsed: unknown;
  try {
    parsed = JSON.parse(match[1].trim());
  } catch (error) {
    return {
      script: text,
      positions: null,
      extras: {},
      problem: `its positions header is not JSON (${(error as Error).message})`,
    };
  }
  let extras: Record<string, unknown> = {};
  if (parsed && typeof parsed === 'object' && !Array.isArray(parsed) && 'positions' in parsed) {
    const { positions, ...rest } = parsed as { positions: unknown };
    parsed = positions;
    extras = rest;
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed))
    return {
      script: text,
      positions: null,
      extras,
      problem: 'its positions header is not a {name: [x, y]} object',
    };
  // No prototype: a node called `constructor` has no position unless the file gives it one, and a
  // `__proto__` key is just a name.
  const positions: Positions = Object.create(null);
  const bad: string[] = [];
  for (const [name, value] of Object.entries(parsed)) {
    const position = toPosition(value);
    if (position) positions[name] = position;
    else bad.push(name);
  }
  const problem = bad.length
    ? `it has no usable position (two finite numbers) for ${bad.slice(0, 5).join(', ')}${bad.length > 5 ? '…' : ''}`
    : undefined;
  return { script: text, positions, extras, ...(problem ? { problem } : {}) };
}

/** The header a .sui file starts with, or '' for none. Positions are rounded to whole pixels. */
export function suiHeader(positions: Positions, extras: Record<string, unknown> = {}): string {
  const rounded: Record<string, { x: number; y: number }> = {};
  for (const [name, p] of Object.entries(positions))
    rounded[name] = { x: Math.round(p.x), y: Math.round(p.y) };
  // The flat {name: position} form, which the original editor reads, unless there is more to keep.
  const body = Object.keys(extras).length ? { positions: rounded, ...extras } : rounded;
  return `/*** ${JSON.stringify(body).replaceAll('*/', '*\\/')} ***/`;
}

/** Replaces (or adds) the header of a .sui text, leaving the script after it byte for byte. */
export function withSuiHeader(text: string, header: string): string {
  const match = HEADER.exec(text);
  if (!match) return `${header}\n${text}`;
  const bom = text.startsWith('\uFEFF') ? '\uFEFF' : '';
  const leading = /^\uFEFF?(\s*)/.exec(text)![1];
  return `${bom}${leading}${header}${text.slice(match[0].length)}`;
}

/** Something that runs scripts: a ScriptHost, or an engine with `execute` (the Synchrotron facade). */
export type PatchTarget = ScriptHost | { execute(script: string): ExecuteResult };

/** Loads a .syn or .sui patch's text into an engine or host (all or nothing). */
export function loadPatch(
  target: PatchTarget,
  text: string,
): ExecuteResult & { positions: Positions | null } {
  const { script, positions } = parseSui(text);
  const result =
    'execute' in target && typeof target.execute === 'function'
      ? target.execute(script)
      : execute(target as ScriptHost, script);
  return { ...result, positions };
}
