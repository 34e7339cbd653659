// Data values written as Synchrolang literals — the inverse of the lexer: whatever formatValue writes,
// the parser reads back as the same value (the export round-trip depends on it).

import type { DataValue } from '../engine/types.js';

/** Characters JSON leaves as they are but a literal escapes: DEL and the two Unicode line separators. */
const INVISIBLE = /[\u007f\u2028\u2029]/g;

/**
 * A string as a double-quoted literal: quotes, backslashes, control characters, DEL, U+2028/2029 and lone
 * surrogates escaped, so the literal stays on one line and survives any text encoding. JSON's escapes are
 * Synchrolang's (`\"` `\\` `\n` `\b` `\u001f` `\udc00`…), so the native JSON.stringify does the bulk in
 * linear time; building the literal character by character took a minute for 100 MB.
 */
export function quoteString(text: string): string {
  return JSON.stringify(text).replace(INVISIBLE, (c) => unicodeEscape(c.charCodeAt(0)));
}

function unicodeEscape(code: number): string {
  return `\\u${code.toString(16).padStart(4, '0')}`;
}

/** A number as a literal (keeps the sign of −0; exponents as JavaScript writes them, e.g. `1e+21`). */
export function formatNumber(n: number): string {
  return Object.is(n, -0) ? '-0' : String(n);
}

/** Any data value as a Synchrolang literal. */
export function formatValue(value: DataValue): string {
  if (value === null) return 'null';
  if (typeof value === 'number') return formatNumber(value);
  if (typeof value === 'string') return quoteString(value);
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  return `[${value.map(formatValue).join(', ')}]`;
}
