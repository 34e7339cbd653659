import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Synchrotron } from '../../src/index.js';
import { type CommandResult, execute, type ScriptHost, SynchrolangError } from '../../src/lang/index.js';

function engine() {
  let seed = 1;
  return new Synchrotron({ random: () => (seed = (seed * 16807) % 2147483647) / 2147483647 });
}

/** The error a script raises (fails the test when there is none). */
function errorOf(s: Synchrotron, script: string): SynchrolangError {
  try {
    s.execute(script);
  } catch (error) {
    expect(error).toBeInstanceOf(SynchrolangError);
    return error as SynchrolangError;
  }
  throw new Error(`no error from ${JSON.stringify(script)}`);
}

const value = (s: Synchrotron, name: string) => s.graph.node(name).value;

describe('commands and aliases', () => {
  it('new / create make nodes of a type or DataNodes of a value, with invented names', () => {
    const s = engine();
    const { results } = s.execute('new SineNode osc\ncreate PlaybackNode out\nnew 440\nCREATE AddNode');
    expect(results.map((r) => r.kind)).toEqual(['node', 'node', 'node', 'node']);
    expect(results[0].value).toMatchObject({ name: 'osc', type: 'SineNode' });
    expect(results[0].text).toBe('created osc (SineNode)');
    const invented = (results[2].value as { name: string }).name;
    expect(invented).toMatch(/^_[a-z]{5}$/);
    expect(results[2].text).toBe(`created ${invented} (DataNode = 440)`);
    expect((results[3].value as { type: string }).type).toBe('AddNode');
    expect(s.graph.size).toBe(4);
  });

  it('every value form', () => {
    const s = engine();
    s.execute(`
      new 440 a; new -1 b; new .5 c; new 2.5e3 d; new -.25E-2 e; new +7 f
      new "say \\"hi\\"\\n\\tC:\\\\x \\u00e9\\u{1F600}" g
      new true h; new FALSE i; new True j
      new null k; new none l; new _ m; new NULL n; new None o
      new [1, 2 3 [4, [5 "six"]] true null] p
      new [] q
    `);
    expect([
      value(s, 'a'),
      value(s, 'b'),
      value(s, 'c'),
      value(s, 'd'),
      value(s, 'e'),
      value(s, 'f'),
    ]).toEqual([440, -1, 0.5, 2500, -0.0025, 7]);
    expect(value(s, 'g')).toBe('say "hi"\n\tC:\\x é😀');
    expect([value(s, 'h'), value(s, 'i'), value(s, 'j')]).toEqual([true, false, true]);
    for (const name of 'klmno') expect(value(s, name)).toBeNull();
    expect(value(s, 'p')).toEqual([1, 2, 3, [4, [5, 'six']], true, null]);
    expect(value(s, 'q')).toEqual([]);
  });

  it('a string keeps no quotes (fault of the original)', () => {
    const s = engine();
    s.execute('new "x" str');
    expect(value(s, 'str')).toBe('x');
    expect(s.graph.node('str').exports).toEqual({ Value: 'x' });
  });

  it('link / connect / attach, replacing an input’s old source', () => {
    const s = engine();
    s.execute('new 440 f; new 220 g; new SineNode osc; new PlaybackNode out');
    const { results } = s.execute(
      'link f.out -> osc.frequency; connect osc.out -> out.left\nattach osc.out -> out.right',
    );
    expect(results[0]).toMatchObject({
      command: 'link',
      kind: 'connection',
      value: {
        source: { node_name: 'f', port_name: 'out' },
        sink: { node_name: 'osc', port_name: 'frequency' },
      },
      text: 'linked f.out -> osc.frequency',
    });
    expect(s.graph.connections()).toHaveLength(3);
    const replaced = s.execute('link g.out -> osc.frequency').results[0];
    expect(replaced.text).toBe('linked g.out -> osc.frequency (replacing f.out -> osc.frequency)');
    expect(s.graph.sourceOf({ node: 'osc', port: 'frequency' })?.source.node).toBe('g');
    expect(s.graph.connections()).toHaveLength(3);
  });

  it('unlink / disconnect / detach a node, a port or one connection, answering how many', () => {
    const s = engine();
    const setup =
      'new 440 f; new SineNode osc; new PlaybackNode out\n' +
      'link f.out -> osc.frequency; link osc.out -> out.left; link osc.out -> out.right';
    s.execute(setup);
    expect(s.execute('unlink osc.out -> out.left').results[0]).toMatchObject({ kind: 'count', value: 1 });
    expect(s.execute('disconnect osc.out -> out.left').results[0].value).toBe(0);
    expect(s.execute('detach osc').results[0]).toMatchObject({ value: 2, text: 'removed 2 connections' });
    s.execute('clear');
    s.execute(setup);
    expect(s.execute('unlink osc.out').results[0].value).toBe(2);
    expect(s.execute('unlink osc.frequency').results[0].value).toBe(1);
    expect(s.graph.connections()).toHaveLength(0);
  });

  it('remove / delete disconnect and remove a node, answering the node', () => {
    const s = engine();
    s.execute('new 440 f; new SineNode osc; link f.out -> osc.frequency');
    const removed = s.execute('remove osc').results[0];
    expect(removed).toMatchObject({ kind: 'node', text: 'removed osc (SineNode)' });
    expect((removed.value as { inputs: unknown[] }).inputs).toEqual([
      {
        node_name: 'osc',
        port_name: 'frequency',
        type: 'StreamInput',
        source: { node_name: 'f', port_name: 'out' },
      },
    ]);
    s.execute('DELETE f');
    expect(s.graph.size).toBe(0);
  });

  it('clear removes every node (the original removed every other one)', () => {
    const s = engine();
    s.execute(Array.from({ length: 9 }, (_, i) => `new ${i} n${i}`).join('\n'));
    expect(s.execute('clear').results[0]).toMatchObject({ kind: 'count', value: 9 });
    expect(s.graph.size).toBe(0);
  });

  it('set changes a DataNode value', () => {
    const s = engine();
    s.execute('new 440 f; set f [1 2]');
    expect(value(s, 'f')).toEqual([1, 2]);
    expect(errorOf(s, 'new SineNode osc\nset osc 3').message).toMatch(/line 2, column 5: .*holds no value/);
  });

  it('export / save answer the script text', () => {
    const s = engine();
    s.execute('new 440 f; new SineNode osc; link f.out -> osc.frequency');
    const text = 'new 440 f;\nnew SineNode osc;\n\nlink f.out -> osc.frequency;\n';
    expect(s.execute('export').results[0]).toMatchObject({ kind: 'text', value: text, text });
    expect(s.execute('SAVE').results[0].value).toBe(text);
    expect(s.export()).toBe(text);
  });

  it('eval / get / query and bare expressions', () => {
    const s = engine();
    s.execute('new 440 f; new SineNode osc; link f.out -> osc.frequency');
    const r = (script: string) => s.execute(script).results[0];
    expect(r('eval 440')).toMatchObject({ kind: 'value', value: 440, text: '440' });
    expect(r('[1 "a" none]')).toMatchObject({ value: [1, 'a', null], text: '[1, "a", null]' });
    expect(r('get $rate').value).toBe(44100);
    expect(r('$buffer').value).toBe(128);
    expect(r('$clock').value).toBe(0);
    s.renderBlock();
    expect(r('$CLOCK').value).toBe(128);
    expect(r('query $nodes').value).toEqual(['f', 'osc']);
    expect(r('SineNode')).toMatchObject({
      kind: 'value',
      value: { type: 'SineNode', inputs: [{ name: 'frequency' }] },
    });
    expect(r('osc')).toMatchObject({ kind: 'node', value: { name: 'osc', type: 'SineNode' } });
    expect(r('osc').text).toContain('frequency <- f.out');
    expect(r('osc.frequency')).toMatchObject({
      value: {
        type: 'StreamInput',
        source: { node_name: 'f', port_name: 'out' },
        direction: 'input',
        kind: 'stream',
      },
    });
    expect(r('eval f.out').value).toMatchObject({
      type: 'DataOutput',
      sinks: [{ node_name: 'osc', port_name: 'frequency' }],
    });
    expect(r('f.out -> osc.frequency')).toMatchObject({ kind: 'connection' });
    expect(r('eval osc.out -> osc.frequency')).toMatchObject({ kind: 'value', value: null });
    expect(r('$types').value).toContain('SineNode');
  });

  it('keywords are case-insensitive; names, ports and types are not', () => {
    const s = engine();
    s.execute('NEW SineNode osc\nConnect osc.out -> osc.frequency\nLINK osc.out -> osc.frequency');
    expect(s.graph.node('osc').type).toBe('SineNode');
    expect(errorOf(s, 'new sineNode x').message).toContain('did you mean `SineNode`');
    expect(errorOf(s, 'link osc.Out -> osc.frequency').column).toBe(10);
    expect(errorOf(s, 'link oSc.out -> osc.frequency').message).toMatch(
      /unknown node `oSc` — did you mean `osc`/,
    );
    expect(errorOf(s, 'new SineNode Osc').message).toMatch(/invalid node name `Osc`/);
  });

  it('keywords may be node names where a name is expected', () => {
    const s = engine();
    s.execute('new SineNode start; new 5 link; link link.out -> start.frequency; remove start');
    expect(s.graph.nodes().map((n) => n.name)).toEqual(['link']);
  });

  it('separators: ; and newlines, blank lines, comments anywhere, a leading comment', () => {
    const s = engine();
    const { results } = s.execute(
      '// a patch\n\n/* block\ncomment */ new 1 a;;\n\n  new [1,\n 2] b // trailing\n;new /* inline */ 3 c;\n',
    );
    expect(results).toHaveLength(3);
    expect(value(s, 'b')).toEqual([1, 2]);
    expect(s.execute('').results).toEqual([]);
    expect(s.execute('  \n// only a comment\n').results).toEqual([]);
  });

  it('results carry positions and a joined readable text', () => {
    const s = engine();
    const r = s.execute('new 1 a\n  new 2 b; eval 3');
    expect(r.results.map((x: CommandResult) => [x.command, x.line, x.column])).toEqual([
      ['new', 1, 1],
      ['new', 2, 3],
      ['eval', 2, 12],
    ]);
    expect(r.text).toBe('created a (DataNode = 1)\ncreated b (DataNode = 2)\n3');
  });
});

describe('errors', () => {
  const cases: Array<[string, number, number, RegExp, Record<string, unknown>?]> = [
    [
      'new SineNod osc',
      1,
      5,
      /unknown node type `SineNod` — did you mean `SineNode`\?/,
      { suggestion: 'SineNode', found: 'SineNod' },
    ],
    [
      'new SineNode osc\nlink osc.out -> osc.freq',
      2,
      21,
      /SineNode `osc` has no input `freq` \(its inputs: frequency\)/,
    ],
    [
      'new SineNode osc\nnew PlaybackNode out\nlink out.left -> osc.frequency',
      3,
      10,
      /`out.left` is an input, not an output/,
    ],
    [
      'new SineNode osc\nnew PlaybackNode out\nlink osc.out -> osc.out',
      3,
      21,
      /`osc.out` is an output, not an input/,
    ],
    ['new SineNode osc\nlink osx.out -> osc.frequency', 2, 6, /unknown node `osx` — did you mean `osc`\?/],
    [
      'new SineNode osc\nlink osc -> osc.frequency',
      2,
      6,
      /expected an output of `osc` as `node.port` \(e.g. `osc.out`\); its outputs: out/,
    ],
    [
      'new SineNode osc osc2',
      1,
      18,
      /expected `;` or a line break after the command, found `osc2`/,
      { expected: ['`;`', 'line break'] },
    ],
    ['new 1 a\nlink a.out osc.in', 2, 12, /expected `->` between the output and the input, found `osc`/],
    ['new "abc', 1, 5, /unterminated string/],
    ['new "a\\qb" s', 1, 7, /invalid escape `\\q`/],
    ['new [1 2', 1, 5, /unclosed `\[`/],
    ['new [1 ; 2]', 1, 8, /expected a value or `\]` in the array, found `;`/],
    ['/* never closed\nnew 1 a', 1, 1, /unterminated comment/],
    ['new 1 a\nnew 2 a', 2, 7, /a node called `a` already exists/],
    [`new 1 ${'x'.repeat(65)}`, 1, 7, /node name too long: 65 characters \(at most 64\)/],
    ['new 1 _5', 1, 7, /invalid node name `_5`/],
    ['lnik a.out -> b.in', 1, 1, /unknown command `lnik` — did you mean `link`\?/],
    ['eval $rat', 1, 6, /unknown variable `\$rat` — did you mean `\$rate`\?/],
    ['new 1e999 big', 1, 5, /number out of range/],
    ['new 5abc', 1, 5, /invalid number `5abc`/],
    ['new', 1, 4, /expected a node type \(e.g. `SineNode`\) or a value/],
    ['-> x', 1, 1, /expected a command/],
    ['new 1 a\nnew 2 b\n  remove c', 3, 10, /unknown node `c`/],
    ['new 1 a # comment', 1, 9, /unexpected character `#`/],
    [`new ${'['.repeat(70)}${']'.repeat(70)} deep`, 1, 69, /arrays nest at most 64 deep/],
  ];
  for (const [script, line, column, message, details] of cases) {
    it(`${JSON.stringify(script.slice(0, 40))} → ${line}:${column}`, () => {
      const s = engine();
      const error = errorOf(s, script);
      expect(error.message).toMatch(message);
      expect([error.line, error.column]).toEqual([line, column]);
      expect(error.message.startsWith(`line ${line}, column ${column}: `)).toBe(true);
      expect(error.code).toBe('syntax');
      if (details) expect(error.details).toMatchObject(details);
      expect(s.graph.size).toBe(0);
    });
  }

  it('error length covers the offending text', () => {
    const error = errorOf(engine(), 'new SineNod osc');
    expect(error.length).toBe('SineNod'.length);
  });

  it('MIDI only links to MIDI, reported at the arrow', () => {
    const s = engine();
    const error = errorOf(s, 'new SineNode osc\nnew MidiTriggerNode trig\nlink osc.out -> trig.midi');
    expect([error.line, error.column]).toEqual([3, 14]);
    expect(error.message).toMatch(/MIDI ports link only to MIDI ports/);
  });
});

describe('all or nothing', () => {
  it('a failing script leaves the graph exactly as before and does not start rendering', () => {
    const s = engine();
    s.execute('new 440 f; new SineNode osc; new PlaybackNode out; link f.out -> osc.frequency');
    const before = s.export();
    const batches: unknown[] = [];
    s.onGraph({ batch: (ops) => batches.push(ops) });
    errorOf(
      s,
      'start\nremove f\nclear\nnew 3 g\nlink osc.out -> out.left\nset g 4\nlink g.out -> nowhere.in',
    );
    expect(s.export()).toBe(before);
    expect(batches).toEqual([]);
    expect(s.running).toBe(false);
    expect(value(s, 'f')).toBe(440);
  });

  it('a syntax error after edits that ran (commands are parsed as they run) changes nothing either', () => {
    const s = engine();
    s.execute('new 440 f; new SineNode osc; new PlaybackNode out; link f.out -> osc.frequency');
    const before = s.export();
    const batches: unknown[] = [];
    s.onGraph({ batch: (ops) => batches.push(ops) });
    const error = errorOf(
      s,
      'start\nremove f\nclear\nnew 3 g\nnew SineNode h\nlink g.out -> h.frequency\nset g 4 (',
    );
    expect(error.code).toBe('syntax');
    expect(error.line).toBe(7);
    expect(s.export()).toBe(before);
    expect(batches).toEqual([]);
    expect(s.running).toBe(false);
    // The first mistake in script order is the one reported, a syntax error or not.
    expect(errorOf(s, 'new 1 a\nremove nowhere\nnew 2 b (').message).toMatch(/^line 2, .*`nowhere`/);
    expect(s.export()).toBe(before);
  });

  it('start/stop take effect after all edits succeeded, in order', () => {
    const calls: string[] = [];
    const s = engine();
    const host: ScriptHost = {
      graph: s.graph,
      sampleRate: 44100,
      blockSize: 128,
      clock: () => 0,
      start: () => calls.push(`start with ${s.graph.size}`),
      stop: () => calls.push(`stop with ${s.graph.size}`),
    };
    execute(host, 'start; new 1 a; stop; new 2 b; start');
    expect(calls).toEqual(['start with 2', 'stop with 2', 'start with 2']);
    s.execute('start');
    expect(s.running).toBe(true);
    s.execute('STOP');
    expect(s.running).toBe(false);
  });

  it('a whole script is one batch of graph ops', () => {
    const s = engine();
    const batches: unknown[][] = [];
    s.onGraph({ batch: (ops) => batches.push([...ops]) });
    s.execute('new 440 f; new SineNode osc; link f.out -> osc.frequency');
    expect(batches).toHaveLength(1);
    expect(batches[0]).toHaveLength(3);
  });
});

describe('the original example patches run unchanged', () => {
  const dir = join(import.meta.dirname, '../../examples');
  const expected: Record<string, [number, number]> = {
    'megalovania.syn': [6, 6],
    'midi_in.syn': [5, 5],
    'pwm.syn': [9, 9],
    'pwm_plus.syn': [19, 20],
    'pwm_plus_notes.syn': [22, 23],
  };
  it('all five are here (beside the newer examples)', () => {
    expect(readdirSync(dir).filter((f) => f.endsWith('.syn'))).toEqual(
      expect.arrayContaining(Object.keys(expected)),
    );
  });
  for (const [file, [nodes, connections]] of Object.entries(expected)) {
    it(`${file}: ${nodes} nodes, ${connections} connections, and it exports back to the same graph`, () => {
      const s = engine();
      const script = readFileSync(join(dir, file), 'utf8');
      const { results } = s.execute(script);
      expect(results).toHaveLength(nodes + connections);
      expect(s.graph.size).toBe(nodes);
      expect(s.graph.connections()).toHaveLength(connections);
      const copy = engine();
      copy.execute(s.export());
      expect(copy.export()).toBe(s.export());
      s.dispose();
      copy.dispose();
    });
  }
  it('megalovania keeps its sequence and invented-style names', () => {
    const s = engine();
    s.execute(readFileSync(join(dir, 'megalovania.syn'), 'utf8'));
    expect(value(s, '_dijfv')).toHaveLength(16);
    expect(value(s, '_fwjwg')).toBe(2.5);
    expect(s.graph.node('_galcu').type).toBe('SequenceNode');
  });
});
