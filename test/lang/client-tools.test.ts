// What the web editor takes from the language instead of keeping copies: reading one value as a field
// holds it, and a described copy of the server's graph that completion runs against.

import { describe, expect, it } from 'vitest';
import { Synchrotron } from '../../src/index.js';
import {
  complete,
  describedRegistry,
  formatValue,
  mirrorGraph,
  parseValue,
  type SynchrolangError,
  toApiNodes,
} from '../../src/lang/index.js';

describe('parseValue', () => {
  it('reads every kind of literal exactly as a script does', () => {
    expect(parseValue('440')).toBe(440);
    expect(parseValue(' -1.5e3 ')).toBe(-1500);
    expect(parseValue('.5')).toBe(0.5);
    expect(parseValue('"\\u0041\\n"')).toBe('A\n');
    expect(parseValue('"\\u{1F600}"')).toBe('😀');
    expect(parseValue('TRUE')).toBe(true);
    expect(parseValue('none')).toBe(null);
    expect(parseValue('_')).toBe(null);
    expect(parseValue('[1 2, [3 "x"]\n]')).toEqual([1, 2, [3, 'x']]);
  });

  it('round-trips whatever formatValue writes', () => {
    for (const value of [0, -0, 1e21, 'quote " and \\ and \u2028', [true, null, [1.25]], '']) {
      expect(parseValue(formatValue(value))).toEqual(value);
    }
  });

  it('says what is wrong and where', () => {
    const error = (text: string) => {
      try {
        parseValue(text);
      } catch (e) {
        const { message, line, column } = e as SynchrolangError;
        return { message, line, column };
      }
      throw new Error(`${text} was accepted`);
    };
    expect(error('')).toMatchObject({ column: 1, message: expect.stringMatching(/expected a value/) });
    expect(error('44 0')).toMatchObject({ column: 4, message: expect.stringMatching(/end of the value/) });
    expect(error('"\\q"')).toMatchObject({ message: expect.stringMatching(/invalid escape/) });
    expect(error('[1, 2')).toMatchObject({ message: expect.stringMatching(/unclosed `\[`/) });
    expect(error('$rate')).toMatchObject({ message: expect.stringMatching(/variable/) });
    expect(error('hello')).toMatchObject({ message: expect.stringMatching(/expected a value/) });
  });
});

describe('a described copy of a graph', () => {
  const engine = new Synchrotron({ sampleRate: 48000, blockSize: 128 });
  engine.execute('new 440 freq; new SineNode osc; new MidiInputNode keys; new PlaybackNode out');
  engine.execute('link freq.out -> osc.frequency; link osc.out -> out.left');
  const registry = engine.graph.registry;
  const types = registry.names().map((type) => registry.info(type));
  const graph = engine.graph;
  const copy = mirrorGraph(
    describedRegistry(types),
    toApiNodes(graph),
    graph.connections().map((c) => ({
      source: { node_name: c.source.node, port_name: c.source.port },
      sink: { node_name: c.sink.node, port_name: c.sink.port },
    })),
  );

  it('has the same nodes, values and connections', () => {
    expect(copy.nodes().map((n) => [n.name, n.type, n.value])).toEqual(
      graph.nodes().map((n) => [n.name, n.type, n.value]),
    );
    expect(copy.connections()).toEqual(graph.connections());
  });

  it('completes like the real graph', () => {
    for (const script of ['link osc.out -> ', 'set ', 'new Sin', 'link keys.out -> ', 'eval $', 'unlink ']) {
      expect(complete(script, script.length, copy)).toEqual(complete(script, script.length, graph));
    }
  });

  it('cannot render', () => {
    expect(() => copy.registry.get('SineNode').create({} as never, {} as never)).toThrow(/only described/);
  });
});
