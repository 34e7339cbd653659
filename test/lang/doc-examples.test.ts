// docs/synchrolang.md promises what users will see: its complete examples must run, and its error
// examples must be the messages Synchrolang really gives (a doc that drifts teaches the wrong thing).

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadPatch, Synchrotron } from '../../src/index.js';
import { errorMessage, SynchrolangError } from '../../src/lang/index.js';

const doc = readFileSync(new URL('../../docs/synchrolang.md', import.meta.url), 'utf8');
const blocks = [...doc.matchAll(/```\n([\s\S]*?)```/g)].map((m) => m[1]);

function message(script: string): string {
  try {
    new Synchrotron().execute(script);
  } catch (error) {
    if (error instanceof SynchrolangError) return errorMessage(error);
    throw error;
  }
  throw new Error(`expected \`${script}\` to fail`);
}

describe('docs/synchrolang.md', () => {
  it('the opening example and the .sui example run as written', () => {
    const opening = blocks[0];
    const engine = new Synchrotron();
    expect(engine.execute(opening).text.split('\n')).toHaveLength(7);
    expect(engine.running).toBe(true);
    const sui = blocks.find((b) => b.startsWith('/***'))!;
    const { positions } = loadPatch(new Synchrotron(), sui);
    expect(positions).toEqual({ osc: { x: 120, y: 40 }, out: { x: 360, y: 40 } });
  });

  it('every error example is the message Synchrolang gives', () => {
    const errors = blocks.find((b) => b.startsWith('patch.syn:'))!;
    const documented = errors
      .split('\n')
      .filter((line) => line.startsWith('patch.syn:'))
      .map((line) => line.replace(/^patch\.syn:\d+:\d+: /, ''));
    const setup = 'new SineNode osc; new PlaybackNode out\n';
    const triggers = [
      'new SineNod osc',
      `${setup}link osc.out -> osc.freqency`,
      `${setup}link out.left -> osc.frequency`,
      `${setup}link osc -> out.left`,
      'lnik osc.out -> out.left',
      `new SineNode a${'b'.repeat(299)}`,
      'new "unterminated',
    ];
    const actual = triggers.map(message);
    // The doc abbreviates the command list with `…`.
    expect(
      actual.map((m) =>
        m.replace(/, remove, set, start, stop, clear, export, eval, tempo, reload\)/, ', …)'),
      ),
    ).toEqual(documented);
  });
});
