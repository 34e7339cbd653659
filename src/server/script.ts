// Synchrolang as the server uses it: run a script against the live engine, export the graph.
// Looked up on the language module's public surface (src/lang/index.ts) so the server depends only on it.

import { SynchrotronError } from '../engine/errors.js';
import type { Graph } from '../engine/graph.js';
import type { ExecuteResult, ScriptHost } from '../lang/index.js';
import * as lang from '../lang/index.js';

type ExecuteFn = (host: ScriptHost, script: string) => ExecuteResult;
type ExportFn = (graph: Graph) => string;
type ParseSuiFn = (text: string) => {
  script: string;
  positions: Record<string, { x: number; y: number }> | null;
};

const surface = lang as unknown as { execute?: ExecuteFn; exportScript?: ExportFn; parseSui?: ParseSuiFn };

function missing(what: string): never {
  throw new SynchrotronError('invalid', `Synchrolang ${what} is not available in this build`);
}

/** Runs a script all-or-nothing; throws SynchrolangError (with line and column) on any failure. */
export function runScript(host: ScriptHost, script: string): ExecuteResult {
  return (surface.execute ?? missing('execute'))(host, script);
}

export function exportGraph(graph: Graph): string {
  return (surface.exportScript ?? missing('export'))(graph);
}

/** A patch file's script: `.sui` files carry a position block comment first, which we drop. */
export function patchScript(text: string): string {
  return surface.parseSui ? surface.parseSui(text).script : text;
}

/** A patch file's script and, for `.sui` files, its node positions. */
export function patchParts(text: string): {
  script: string;
  positions: Record<string, { x: number; y: number }> | null;
} {
  return surface.parseSui ? surface.parseSui(text) : { script: text, positions: null };
}
