// String literals: quoteString escapes what the lexer needs escaped, exactly as the character-by-character
// reference below (the old implementation, which took a minute for 100 MB, with JSON's \b and \f).

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Synchrotron } from '../../src/index.js';
import { quoteString } from '../../src/lang/index.js';

function reference(text: string): string {
  const hex = (code: number) => `\\u${code.toString(16).padStart(4, '0')}`;
  let out = '"';
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    const code = text.charCodeAt(i);
    if (c === '"') out += '\\"';
    else if (c === '\\') out += '\\\\';
    else if (c === '\n') out += '\\n';
    else if (c === '\r') out += '\\r';
    else if (c === '\t') out += '\\t';
    else if (c === '\b') out += '\\b';
    else if (c === '\f') out += '\\f';
    else if (code < 0x20 || code === 0x7f || code === 0x2028 || code === 0x2029) out += hex(code);
    else if (code >= 0xd800 && code <= 0xdbff) {
      const low = text.charCodeAt(i + 1);
      if (low >= 0xdc00 && low <= 0xdfff) {
        out += c + text[i + 1];
        i++;
      } else out += hex(code);
    } else if (code >= 0xdc00 && code <= 0xdfff) out += hex(code);
    else out += c;
  }
  return `${out}"`;
}

const unit = fc.oneof(
  fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)),
  fc.constantFrom('"', '\\', '\n', '\r', '\t', '\0', '\u007f', '\u2028', '\u2029', '\ud800', '\udc00', '😀'),
);

describe('quoteString', () => {
  it('escapes exactly as the reference, for any UTF-16 text (lone and paired surrogates included)', () => {
    fc.assert(
      fc.property(fc.array(unit, { maxLength: 40 }), (parts) => {
        const text = parts.join('');
        expect(quoteString(text)).toBe(reference(text));
      }),
      { numRuns: 2000 },
    );
  });

  it('a value of a million characters, most of them escaped, exports and reads back the same', () => {
    const s = new Synchrotron();
    const text = `${'a"b\\c\n\u0001😀\ud800'.repeat(120_000)}`;
    s.addValue(text, 'big');
    const copy = new Synchrotron();
    copy.execute(s.export());
    expect(copy.graph.node('big').value).toBe(text);
  });
});
