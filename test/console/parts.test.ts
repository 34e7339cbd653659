// The console's pure parts: when a line continues, note names, error carets, highlighting.
import { describe, expect, it } from 'vitest';
import { continuation, joinContinuation } from '../../src/console/continuation.js';
import { formatError } from '../../src/console/format.js';
import { highlight } from '../../src/console/highlight.js';
import { parseNote, parseSteps } from '../../src/console/notes.js';
import { createStyle } from '../../src/console/style.js';

describe('continuation', () => {
  it('continues inside brackets, block comments and after ->, not otherwise', () => {
    expect(continuation('new [1, 2')).toBe('bracket');
    expect(continuation('new [1, [2]')).toBe('bracket');
    expect(continuation('/* a')).toBe('comment');
    expect(continuation('link a.out ->')).toBe('arrow');
    expect(continuation('link a.out -> // then the sink')).toBe('arrow');
    expect(continuation('new [1, 2] x')).toBe(null);
    expect(continuation('new "[" x')).toBe(null); // a bracket in a string is text
    expect(continuation('// just a comment [')).toBe(null);
  });

  it('joins after -> with a space (a newline would end the command), else with a newline', () => {
    expect(joinContinuation('link a.out -> // sink next', '  b.in')).toBe('link a.out -> b.in');
    expect(joinContinuation('new [1,', '2] x')).toBe('new [1,\n2] x');
  });
});

describe('notes for :play', () => {
  it('reads names and numbers, chords with +', () => {
    expect([
      parseNote('C4'),
      parseNote('A4'),
      parseNote('c#4'),
      parseNote('Bb3'),
      parseNote('C-1'),
      parseNote('127'),
    ]).toEqual([60, 69, 61, 58, 0, 127]);
    expect(parseSteps(['C4+E4+G4', '62'])).toEqual([[60, 64, 67], [62]]);
    expect(() => parseNote('H2')).toThrow(/`H2` is not a note/);
    expect(() => parseNote('G#9')).toThrow(/outside the MIDI notes/);
  });
});

describe('errors and highlighting', () => {
  const plain = createStyle(false);
  it('puts a caret under the offending text on its own line', () => {
    const text = formatError(
      { detail: 'line 2, column 6: unknown node `nope`', line: 2, column: 6, length: 4 },
      'new 1 a\nlink nope.out -> a.in',
      plain,
    );
    expect(text).toBe(
      '2 | link nope.out -> a.in\n  |      ^^^^\nerror (line 2, column 6): unknown node `nope`',
    );
    expect(formatError({ detail: 'the connection was lost' }, '', plain)).toBe(
      'error: the connection was lost',
    );
  });

  it('colours by token kind and keeps the text', () => {
    const coloured = highlight('new SineNode s // x', createStyle(true));
    expect(coloured).toBe(
      '\x1b[35mnew\x1b[39m \x1b[36mSineNode\x1b[39m \x1b[33ms\x1b[39m \x1b[90m// x\x1b[39m',
    );
    expect(highlight('new SineNode s', plain)).toBe('new SineNode s');
  });
});
