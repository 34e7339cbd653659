// Readable forms of errors and results for consoles and the CLI.

import type { ExecuteResult, SynchrolangError } from './contract.js';

/** The message of a SynchrolangError without its `line L, column C: ` prefix. */
export function errorMessage(error: SynchrolangError): string {
  return error.message.replace(/^line \d+, column \d+: /, '');
}

/**
 * `file:line:column: message`, then the offending line with a caret under the offending text:
 *
 *     patch.syn:3:5: unknown node type `SineNod` — did you mean `SineNode`?
 *       new SineNod osc
 *           ^^^^^^^
 */
export function formatError(error: SynchrolangError, script?: string, file = 'script'): string {
  const head = `${file}:${error.line}:${error.column}: ${errorMessage(error)}`;
  if (script === undefined) return head;
  const line = script.split(/\r\n|\n|\r/)[error.line - 1];
  if (line === undefined) return head;
  const shown = line.replace(/\t/g, ' ');
  const width = Math.max(1, Math.min(error.length, shown.length - error.column + 1));
  return `${head}\n  ${shown}\n  ${' '.repeat(error.column - 1)}${'^'.repeat(width)}`;
}

/** The readable text of all results, one per line (what POST /execute answers). */
export function formatResults(result: ExecuteResult): string {
  return result.results.map((r) => r.text).join('\n');
}
