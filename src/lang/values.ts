// Data values written as Synchrolang literals — the inverse of the lexer: whatever formatValue writes,
// the parser reads back as the same value (the export round-trip depends on it).

import type { DataValue } from '../engine/types.js';

/**
 * Characters a literal escapes: quote, backslash, control characters, DEL, the two Unicode line
 * separators, and UTF-16 surrogates that are not part of a pair (lone surrogates).
 */
const ESCAPED =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it escapes.
  /["\\\u0000-\u001f\u007f\u2028\u2029]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

const SHORT_ESCAPES: Readonly<Record<string, string>> = {
  '"': '\\"',
  '\\': '\\\\',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
};

function escapeChar(c: string): string {
  return Object.hasOwn(SHORT_ESCAPES, c) ? SHORT_ESCAPES[c] : unicodeEscape(c.charCodeAt(0));
}

/** A string as a double-quoted literal: quotes, backslashes, control characters and lone surrogates
 * escaped, so the literal stays on one line and survives any text encoding. One regular-expression pass
 * (linear, in native code): building it character by character took a minute for 100 MB. */
export function quoteString(text: string): string {
  return `"${text.replace(ESCAPED, escapeChar)}"`;
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
