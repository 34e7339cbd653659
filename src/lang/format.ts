// Readable forms of errors and results for consoles and the CLI.

import type { ExecuteResult, SynchrolangError } from './contract.js';

/** The message of a SynchrolangError without its `line L, column C: ` prefix. */
export function errorMessage(error: SynchrolangError): string {
  return error.message.replace(/^line \d+, column \d+: /, '');
}

/** Tabs as spaces, other control characters as U+FFFD: one character each, so carets stay aligned. */
function visible(line: string): string {
  let out = '';
  for (let i = 0; i < line.length; i++) {
    const code = line.charCodeAt(i);
    out += code === 9 ? ' ' : code < 0x20 || (code >= 0x7f && code <= 0x9f) ? '\ufffd' : line[i];
  }
  return out;
}

/** Longest part of the offending line that formatError shows, in characters. */
const SHOWN_WIDTH = 120;

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
  // Control characters would garble the terminal: each becomes one visible character, so carets align.
  let shown = line;
  let caretAt = error.column - 1;
  // A very long line (minified data, a binary file) is shown as a window around the error.
  if (shown.length > SHOWN_WIDTH) {
    const from = Math.max(0, Math.min(caretAt - 40, shown.length - SHOWN_WIDTH));
    const to = Math.min(shown.length, from + SHOWN_WIDTH);
    shown = `${from > 0 ? '…' : ''}${shown.slice(from, to)}${to < shown.length ? '…' : ''}`;
    caretAt = caretAt - from + (from > 0 ? 1 : 0);
  }
  shown = visible(shown);
  const width = Math.max(1, Math.min(error.length, shown.length - caretAt));
  return `${head}\n  ${shown}\n  ${' '.repeat(caretAt)}${'^'.repeat(width)}`;
}

/** The readable text of all results, one per line (what POST /execute answers). */
export function formatResults(result: ExecuteResult): string {
  return result.results.map((r) => r.text).join('\n');
}
