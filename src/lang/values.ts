// Data values written as Synchrolang literals — the inverse of the lexer: whatever formatValue writes,
// the parser reads back as the same value (the export round-trip depends on it).

import type { DataValue } from '../engine/types.js';

/** A string as a double-quoted literal: quotes, backslashes, control characters and lone surrogates
 * escaped, so the literal stays on one line and survives any text encoding. */
export function quoteString(text: string): string {
  let out = '"';
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    const code = text.charCodeAt(i);
    if (c === '"') out += '\\"';
    else if (c === '\\') out += '\\\\';
    else if (c === '\n') out += '\\n';
    else if (c === '\r') out += '\\r';
    else if (c === '\t') out += '\\t';
    else if (code < 0x20 || code === 0x7f || code === 0x2028 || code === 0x2029) out += unicodeEscape(code);
    else if (code >= 0xd800 && code <= 0xdbff) {
      const low = text.charCodeAt(i + 1);
      if (low >= 0xdc00 && low <= 0xdfff) {
        out += c + text[i + 1];
        i++;
      } else out += unicodeEscape(code);
    } else if (code >= 0xdc00 && code <= 0xdfff) out += unicodeEscape(code);
    else out += c;
  }
  return `${out}"`;
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
