// Scripts a new user (or a wrong file) can throw at Synchrolang: binary bytes, invisible characters,
// enormous lines, odd line endings. Every one must give a SynchrolangError whose text is readable.

import { describe, expect, it } from 'vitest';
import { Synchrotron } from '../../src/index.js';
import { formatError, SynchrolangError } from '../../src/lang/index.js';

function failure(script: string): SynchrolangError {
  try {
    new Synchrotron().execute(script);
  } catch (error) {
    expect(error).toBeInstanceOf(SynchrolangError);
    return error as SynchrolangError;
  }
  throw new Error('expected the script to fail');
}

/** Control characters other than the line breaks formatError itself writes. */
const controls = (text: string) => [...text].filter((c) => (c < ' ' && c !== '\n') || c === '\u007f');

describe('hostile input', () => {
  it('invisible characters are named by code point, and a NUL hints at a binary file', () => {
    const nul = failure('new SineNode osc\nnew PlaybackNode out\u0000\n');
    expect(nul.message).toMatch(
      /2, column 21: unexpected invisible character U\+0000 \(is this a UTF-8 text file\?\)/,
    );
    expect(failure('new SineNode o\u200bsc').message).toMatch(/invisible character U\+200B$/);
    expect(failure('new SineNode ósc').message).toMatch(/unexpected character `ó`/);
  });

  it('formatError never prints control characters, and its caret stays under the offending text', () => {
    const wav = `RIFF\u0032\u0000\u0000\u0000WAVEfmt \u0012\u0000\u0000\u0000\u0003\u0000`;
    const error = failure(wav);
    const text = formatError(error, wav, 'take.wav');
    expect(controls(text)).toEqual([]);
    const [, shown, caret] = text.split('\n');
    expect(caret.indexOf('^')).toBe(shown.indexOf('\ufffd'));
    expect(text.split('\n')[0]).toBe(
      'take.wav:1:6: unexpected invisible character U+0000 (is this a UTF-8 text file?)',
    );
  });

  it('a very long line is shown as a window around the error, caret included', () => {
    const script = `new [${'1 '.repeat(100_000)}x] big`;
    const error = failure(script);
    expect(error.column).toBe(6 + 200_000);
    const [head, shown, caret] = formatError(error, script, 'big.syn').split('\n');
    expect(head).toMatch(/^big\.syn:1:200006: expected a value or `\]` in the array, found `x`/);
    expect(shown.length).toBeLessThan(130);
    expect(shown.startsWith('  …')).toBe(true);
    expect(shown[caret.indexOf('^')]).toBe('x');
  });

  it('BOM, CRLF and lone CR files run; errors count their lines the same way', () => {
    const s = new Synchrotron();
    s.execute('\ufeffnew 440 f\r\nnew SineNode osc\rlink f.out -> osc.frequency\r\n');
    expect(s.graph.connections()).toHaveLength(1);
    const error = failure('\ufeffnew 440 f\r\nnew SineNode osc\rlink f.out -> osc.freqency\r\n');
    expect([error.line, error.column]).toEqual([3, 19]);
    expect(formatError(error, '\ufeffnew 440 f\r\nnew SineNode osc\rlink f.out -> osc.freqency')).toMatch(
      /\n {2}link f\.out -> osc\.freqency\n {20}\^{8}$/,
    );
  });

  it('numbers that are not numbers: 1e309, NaN, Infinity are errors; -0 survives', () => {
    expect(failure('new 1e309 x').message).toMatch(/number out of range: `1e309`/);
    expect(failure('new NaN x').message).toMatch(/unknown node type `NaN`/);
    expect(failure('new Infinity x').message).toMatch(/unknown node type `Infinity`/);
    const s = new Synchrotron();
    s.execute('new -0 z');
    expect(Object.is(s.graph.node('z').value, -0)).toBe(true);
  });
});

describe('suggestions fit the place of the mistake', () => {
  it('a misspelt command alone is suggested as a command; a missing node in a port is not', () => {
    const s = new Synchrotron();
    expect(() => s.execute('strat')).toThrow(/did you mean the command `start`/);
    expect(() => s.execute('link out.left -> osc.frequency')).toThrow(/unknown node `out`$/);
  });
});
