import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkCommand } from '../../src/cli/check.js';
import { Synchrotron } from '../../src/index.js';
import {
  complete,
  formatError,
  loadPatch,
  parse,
  parseSui,
  type SynchrolangError,
  tokenize,
} from '../../src/lang/index.js';
import { captureOutput } from '../helpers/capture-output.js';

const kinds = (script: string) =>
  tokenize(script)
    .filter((t) => t.kind !== 'whitespace')
    .map((t) => `${t.kind}:${t.text}`);

describe('tokenize (highlighting)', () => {
  it('classifies every kind of token, with offsets', () => {
    expect(kinds('NEW SineNode osc; link osc.out -> out.left // hi')).toEqual([
      'keyword:NEW',
      'type:SineNode',
      'name:osc',
      'punctuation:;',
      'keyword:link',
      'name:osc',
      'punctuation:.',
      'port:out',
      'operator:->',
      'name:out',
      'punctuation:.',
      'port:left',
      'comment:// hi',
    ]);
    expect(kinds('new [1, -2.5e3 "s\\n"] true None _ $rate /* c */')).toEqual([
      'keyword:new',
      'punctuation:[',
      'number:1',
      'punctuation:,',
      'number:-2.5e3',
      'string:"s\\n"',
      'punctuation:]',
      'boolean:true',
      'null:None',
      'null:_',
      'variable:$rate',
      'comment:/* c */',
    ]);
    const [first, space, second] = tokenize('new osc');
    expect([first.start, first.end, space.kind, second.start, second.end]).toEqual([
      0,
      3,
      'whitespace',
      4,
      7,
    ]);
  });

  it('a keyword is a keyword only where a command starts', () => {
    expect(kinds('new SineNode start\nstart')).toEqual(
      ['keyword:new', 'type:SineNode', 'name:start', 'whitespace:\n', 'keyword:start'].filter(
        (k) => !k.startsWith('whitespace'),
      ),
    );
    expect(kinds('start.out')).toEqual(['name:start', 'punctuation:.', 'port:out']);
  });

  it('tokens.ts stays small and self-contained for the browser (no imports, no Node APIs)', () => {
    const source = readFileSync(join(import.meta.dirname, '../../src/lang/tokens.ts'), 'utf8');
    expect(source).not.toMatch(/^\s*import\s/m);
    expect(source).not.toMatch(/\b(?:process|require|Buffer|node:)\b/);
    expect(source.length).toBeLessThan(16_000);
  });

  it('CRLF and CR line endings: positions count lines the same way', () => {
    for (const eol of ['\r\n', '\r', '\n']) {
      try {
        new Synchrotron().execute(`new 1 a${eol}${eol}new SineNod b`);
        expect.unreachable();
      } catch (error) {
        expect([(error as SynchrolangError).line, (error as SynchrolangError).column]).toEqual([3, 5]);
      }
    }
  });

  it('marks unreadable text as errors with a message', () => {
    const tokens = tokenize('new "open # x');
    const error = tokens.find((t) => t.kind === 'error')!;
    expect(error.text).toBe('"open # x');
    expect(error.message).toMatch(/unterminated string/);
    expect(tokenize('a # b').find((t) => t.kind === 'error')).toMatchObject({ text: '#', start: 2, end: 3 });
  });
});

describe('complete', () => {
  const s = new Synchrotron();
  s.execute(
    'new 440 freq; new SineNode osc; new PlaybackNode out; new MidiTriggerNode trig; link osc.out -> out.left',
  );
  const labels = (script: string, cursor = script.length) =>
    complete(script, cursor, s.graph).map((c) => c.label);

  it('commands at the start, filtered by prefix and case-insensitively', () => {
    expect(labels('')).toEqual(
      expect.arrayContaining(['new', 'link', 'unlink', 'remove', 'export', 'osc', 'SineNode']),
    );
    expect(labels('li')).toEqual(['link']);
    expect(labels('LI')).toEqual(['link']);
    expect(labels('new 1 a; rem')).toEqual(['remove']);
  });

  it('node types after new', () => {
    expect(labels('new Si').sort()).toEqual(['SilenceNode', 'SineNode']);
    expect(labels('new SineNode ')).toEqual([]);
  });

  it('outputs before ->, inputs after, with kind and detail', () => {
    expect(labels('link ')).toEqual(['freq.out', 'osc.out', 'trig.trigger']);
    expect(labels('link osc.')).toEqual(['osc.out']);
    expect(labels('link osc.out ')).toEqual(['->']);
    const inputs = complete('link osc.out -> o', 17, s.graph);
    expect(inputs.map((c) => c.label)).toEqual(['osc.frequency', 'out.left', 'out.right']);
    expect(inputs[0]).toMatchObject({ kind: 'port', from: 16, to: 17 });
    expect(inputs[0].detail).toMatch(/^StreamInput, Hz — /);
    expect(labels('link osc.out -> out.')).toEqual(['out.left', 'out.right']);
  });

  it('after -> only inputs the source can feed: MIDI to MIDI, nothing else to MIDI', () => {
    const t = new Synchrotron();
    t.execute('new MidiInputNode keys; new MidiTriggerNode trig; new SineNode osc');
    const inputsAfter = (script: string) => complete(script, script.length, t.graph).map((c) => c.label);
    expect(inputsAfter('link keys.out -> ')).toEqual(['trig.midi']);
    expect(inputsAfter('link osc.out -> ')).toEqual(['keys.port', 'osc.frequency']);
  });

  it('unlink offers nodes and ports, and after -> the inputs the source feeds first', () => {
    expect(labels('unlink o')).toEqual(['osc', 'out', 'osc.out', 'osc.frequency', 'out.left', 'out.right']);
    expect(labels('unlink osc.out -> ')[0]).toBe('out.left');
  });

  it('node names for remove, value nodes for set, everything for eval, variables after $', () => {
    expect(labels('remove ')).toEqual(['freq', 'osc', 'out', 'trig']);
    expect(labels('set ')).toEqual(['freq']);
    expect(labels('eval $r')).toEqual(['$rate']);
    expect(labels('$')).toContain('$nodes');
    expect(labels('get Sine')).toEqual(['SineNode']);
    const node = complete('remove os', 9, s.graph)[0];
    expect(node).toMatchObject({ label: 'osc', kind: 'node', detail: 'SineNode', from: 7, to: 9 });
  });

  it('offers nothing inside comments and strings, and completes mid-script', () => {
    expect(labels('// li')).toEqual([]);
    expect(labels('new "li')).toEqual([]);
    const script = 'new 1 a\nli\nnew 2 b';
    expect(labels(script, 10)).toEqual(['link']);
  });
});

describe('parse (syntax trees)', () => {
  it('new, link, unlink forms and bare expressions, with offsets', () => {
    const [n, l, u1, u2, u3, e] = parse(
      'new SineNode osc\nlink a.out -> b.in\nunlink a\nunlink a.out\nunlink a.out -> b.in\nosc.out',
    );
    expect(n).toMatchObject({
      command: 'new',
      type: { text: 'SineNode', start: 4, end: 12 },
      name: { text: 'osc' },
      value: null,
    });
    expect(l).toMatchObject({
      command: 'link',
      source: { node: { text: 'a' }, port: { text: 'out' } },
      sink: { node: { text: 'b' } },
    });
    expect(u1).toMatchObject({ command: 'unlink', target: { kind: 'node' } });
    expect(u2).toMatchObject({ command: 'unlink', target: { kind: 'port' } });
    expect(u3).toMatchObject({ command: 'unlink', target: { kind: 'connection' } });
    expect(e).toMatchObject({ command: 'eval', keyword: null, expr: { kind: 'port' } });
  });

  it('values: arrays over several lines, optional commas, variables inside', () => {
    const [c] = parse('new [1\n  2, [3]\n  $rate] seq');
    expect(c).toMatchObject({
      command: 'new',
      value: {
        kind: 'array',
        items: [
          { kind: 'literal', value: 1 },
          { kind: 'literal', value: 2 },
          { kind: 'array', items: [{ kind: 'literal', value: 3 }] },
          { kind: 'variable', name: 'rate' },
        ],
      },
      name: { text: 'seq' },
    });
  });
});

describe('.sui files and loadPatch', () => {
  const sui =
    '/*** {"osc": {"x": 10, "y": 20}, "out": [30, 40]} ***/\nnew SineNode osc\nnew PlaybackNode out\nlink osc.out -> out.left\n';

  it('parseSui returns the script and the positions', () => {
    const { script, positions } = parseSui(sui);
    expect(positions).toEqual({ osc: { x: 10, y: 20 }, out: { x: 30, y: 40 } });
    expect(script).toBe(sui);
    expect(parseSui('new 1 a').positions).toBeNull();
    expect(parseSui('/*** not json ***/ new 1 a').positions).toBeNull();
  });

  it('loadPatch loads .sui and .syn into an engine', () => {
    const s = new Synchrotron();
    const result = loadPatch(s, sui);
    expect(result.positions).toEqual({ osc: { x: 10, y: 20 }, out: { x: 30, y: 40 } });
    expect(s.graph.size).toBe(2);
    expect(s.graph.connections()).toHaveLength(1);
    const host = new Synchrotron();
    loadPatch(
      { graph: host.graph, sampleRate: 44100, blockSize: 128, clock: () => 0, start() {}, stop() {} },
      'new 1 a',
    );
    expect(host.graph.size).toBe(1);
  });
});

describe('formatError', () => {
  it('file:line:column, the line, a caret under the offending text', () => {
    const script = 'new 1 a\nnew SineNod osc';
    try {
      new Synchrotron().execute(script);
      expect.unreachable();
    } catch (error) {
      expect(formatError(error as SynchrolangError, script, 'p.syn')).toBe(
        'p.syn:2:5: unknown node type `SineNod` — did you mean `SineNode`?\n  new SineNod osc\n      ^^^^^^^',
      );
    }
  });
});

describe('synchrotron check', () => {
  const { out, err } = captureOutput();

  it('summarises a good patch (exit 0)', async () => {
    const file = join(import.meta.dirname, '../../examples/pwm_plus_notes.syn');
    expect(await checkCommand([file])).toBe(0);
    expect(out.join('')).toBe(`${file}: ok — 22 nodes, 23 connections\n`);
  });

  it('reports errors as file:line:column (exit 1), .sui too', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'synchrolang-'));
    const bad = join(dir, 'bad.sui');
    writeFileSync(bad, '/*** {} ***/\nnew SineNode osc\nlink osc.out -> osc.freqency\n');
    expect(await checkCommand([bad])).toBe(1);
    expect(err.join('')).toMatch(
      new RegExp(
        `^${bad.replace(/[.\\]/g, '\\$&')}:3:21: SineNode \`osc\` has no input \`freqency\` — did you mean \`frequency\`\\?`,
      ),
    );
    const good = join(dir, 'good.sui');
    writeFileSync(
      good,
      `/*** {"osc": {"x": 1, "y": 2}} ***/\n${readFileSync(join(import.meta.dirname, '../../examples/pwm.syn'), 'utf8')}`,
    );
    expect(await checkCommand([good])).toBe(0);
    expect(out.join('')).toContain('9 nodes, 9 connections');
    expect(await checkCommand([join(dir, 'missing.syn')])).toBe(1);
    expect(await checkCommand([])).toBe(2);
  });
});
