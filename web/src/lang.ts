// The editor speaks Synchrolang through src/lang itself — one lexer, one value reader, one completion —
// never a copy (shared/DESIGN.md, "Layers"). This file only adapts it to what the editor has: the
// server's graph as API shapes and the node types from GET /types.

import type { Graph } from '../../src/engine/graph.js';
import type { DataValue } from '../../src/engine/types.js';
import { type Completion, complete } from '../../src/lang/complete.js';
import type { SynchrolangError } from '../../src/lang/contract.js';
import { describedRegistry, mirrorGraph } from '../../src/lang/mirror.js';
import { parseValue } from '../../src/lang/parser.js';
import { lex } from '../../src/lang/tokens.js';
import { formatValue } from '../../src/lang/values.js';
import type { ApiConnection, ApiNode, NodeTypeInfo } from './api';

export type { Completion, DataValue };

/** A value as Synchrolang writes it (`440`, `"text"`, `[1, 2]`), for fields and generated scripts. */
export function literal(value: unknown): string {
  if (value === undefined) return 'null';
  if (typeof value === 'number' && !Number.isFinite(value)) return '0';
  try {
    return formatValue(value as DataValue);
  } catch {
    return 'null';
  }
}

export type ReadValue = { ok: true; value: DataValue } | { ok: false; error: string; column: number };

/** A value field's text, read by the language's own parser. */
export function readValue(text: string): ReadValue {
  try {
    return { ok: true, value: parseValue(text) };
  } catch (error) {
    const e = error as SynchrolangError;
    // The message starts "line 1, column N: "; a field shows the column separately.
    return { ok: false, error: e.message.replace(/^line \d+, column \d+: /, ''), column: e.column ?? 1 };
  }
}

/** Adds `delta` to the number token under the caret (↑/↓ in value fields); null when there is none. */
export function nudgeNumberAt(
  text: string,
  caret: number,
  delta: number,
): { text: string; caret: number } | null {
  for (const token of lex(text)) {
    if (token.type !== 'number' || caret < token.start || caret > token.end) continue;
    const decimals = (/\.(\d*)/.exec(token.text)?.[1] ?? '').length;
    const deltaDecimals = delta % 1 === 0 ? 0 : (String(delta).split('.')[1]?.length ?? 0);
    const next = (Number(token.value) + delta).toFixed(Math.max(decimals, deltaDecimals));
    return {
      text: text.slice(0, token.start) + next + text.slice(token.end),
      caret: token.start + next.length,
    };
  }
  return null;
}

/** Console words the editor adds to the language (handled in the browser, not sent to the server). */
export const EDITOR_COMMANDS: Record<string, string> = {
  demo: 'load the demo patch',
  help: 'what the console understands',
  layout: 'arrange the graph by render order',
};

let cache: { key: unknown[]; graph: Graph } | null = null;

/** The server's graph as a Graph of described types, rebuilt only when one of its inputs changed. */
export function mirror(
  nodes: Map<string, ApiNode>,
  connections: ApiConnection[],
  types: NodeTypeInfo[],
): Graph {
  const key = [nodes, connections, types];
  if (cache?.key.every((part, i) => part === key[i])) return cache.graph;
  const graph = mirrorGraph(describedRegistry(types), nodes.values(), connections);
  cache = { key, graph };
  return graph;
}

/** Completion at the caret: the language's own, plus the editor's commands at the start of a line. */
export function completeAt(
  script: string,
  caret: number,
  nodes: Map<string, ApiNode>,
  connections: ApiConnection[],
  types: NodeTypeInfo[],
): Completion[] {
  const found = complete(script, caret, mirror(nodes, connections, types));
  const line = script.slice(0, caret).split(/[\n;]/).pop() ?? '';
  const word = /^\s*([a-z]*)$/.exec(line)?.[1];
  if (word === undefined) return found;
  const extra = Object.entries(EDITOR_COMMANDS)
    .filter(([name]) => name.startsWith(word) && name !== word)
    .map(
      ([name, detail]): Completion => ({
        label: name,
        kind: 'keyword',
        detail,
        from: caret - word.length,
        to: caret,
      }),
    );
  return [
    ...found.filter((c) => c.kind === 'keyword'),
    ...extra,
    ...found.filter((c) => c.kind !== 'keyword'),
  ];
}
