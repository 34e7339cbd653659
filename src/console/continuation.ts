// When does a line not finish a command? Inside brackets, inside a block comment, after `->`.
import { tokenize } from '../lang/index.js';

export type Continuation = 'bracket' | 'comment' | 'arrow' | null;

/** Why `text` (everything typed so far) needs more lines before it can run, or null when it is complete. */
export function continuation(text: string): Continuation {
  let depth = 0;
  let last = '';
  for (const token of tokenize(text)) {
    if (token.kind === 'whitespace' || token.kind === 'comment') continue;
    if (token.kind === 'error' && token.text.startsWith('/*')) return 'comment'; // unterminated block comment
    if (token.text === '[') depth++;
    else if (token.text === ']') depth = Math.max(0, depth - 1);
    last = token.text;
  }
  if (depth > 0) return 'bracket';
  return last === '->' ? 'arrow' : null;
}

export function needsMoreInput(text: string): boolean {
  return continuation(text) !== null;
}

/**
 * Joins the next line to an unfinished command. Newlines are fine inside brackets and comments, but a
 * newline ends a command, so after `->` the lines are joined by a space (a trailing `//` comment dropped).
 */
export function joinContinuation(pending: string, line: string): string {
  if (continuation(pending) !== 'arrow') return `${pending}\n${line}`;
  let code = pending;
  const comment = tokenize(pending).find((t) => t.kind === 'comment' && t.text.startsWith('//'));
  if (comment) code = pending.slice(0, comment.start) + pending.slice(comment.end);
  return `${code.trimEnd()} ${line.trimStart()}`;
}
