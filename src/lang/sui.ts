// Patch files: `.syn` is a plain script; `.sui` is a script preceded by `/*** {node positions JSON} ***/`
// (the original web editor's layout). The header is a block comment, so a .sui file also runs as is.

import type { ExecuteResult, ScriptHost } from './contract.js';
import { execute } from './evaluate.js';

export type Positions = Record<string, { x: number; y: number }>;

const HEADER = /^\uFEFF?\s*\/\*\*\*([\s\S]*?)\*\*\*\//;

function toPosition(value: unknown): { x: number; y: number } | null {
  if (
    Array.isArray(value) &&
    value.length >= 2 &&
    typeof value[0] === 'number' &&
    typeof value[1] === 'number'
  ) {
    return { x: value[0], y: value[1] };
  }
  if (value && typeof value === 'object') {
    const { x, y } = value as { x?: unknown; y?: unknown };
    if (typeof x === 'number' && typeof y === 'number') return { x, y };
    const nested = (value as { position?: unknown }).position;
    if (nested !== undefined) return toPosition(nested);
  }
  return null;
}

/**
 * Splits a .sui file into its script (the whole text: the header is a comment) and the node positions
 * (`{name: {x, y}}`; `[x, y]` pairs and a `{"positions": …}` wrapper are accepted too). Positions are
 * null when there is no header or it is not readable JSON — the script still loads.
 */
export function parseSui(text: string): { script: string; positions: Positions | null } {
  const match = HEADER.exec(text);
  if (!match) return { script: text, positions: null };
  let parsed: unknown;
  try {
    parsed = JSON.parse(match[1].trim());
  } catch {
    return { script: text, positions: null };
  }
  if (parsed && typeof parsed === 'object' && !Array.isArray(parsed) && 'positions' in parsed) {
    parsed = (parsed as { positions: unknown }).positions;
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed))
    return { script: text, positions: null };
  // No prototype: a node called `constructor` has no position unless the file gives it one, and a
  // `__proto__` key is just a name.
  const positions: Positions = Object.create(null);
  for (const [name, value] of Object.entries(parsed)) {
    const position = toPosition(value);
    if (position) positions[name] = position;
  }
  return { script: text, positions };
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
