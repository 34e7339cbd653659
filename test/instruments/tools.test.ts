// Patches as nodes in the tools: completion offers each instance's own ports (locally and from a mirror of a
// server's graph, as the console keeps one), `synchrotron check` checks included files and says where they
// are wrong, `synchrotron render` plays an instrument example, and the library reloads by hand.

import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { toApiNodes } from '../../src/api/shapes.js';
import { RemoteGraph } from '../../src/console/remote-graph.js';
import { createNodeHost } from '../../src/io/node-host.js';
import { readWav } from '../../src/io/wav-writer.js';
import { complete } from '../../src/lang/index.js';
import { Synchrotron } from '../../src/synchrotron.js';
import { peak } from '../helpers/analysis.js';

const run = promisify(execFile);
const CLI = new URL('../../dist/cli/main.js', import.meta.url).pathname;
const EXAMPLES = new URL('../../examples/', import.meta.url).pathname;

async function cli(args: string[], cwd: string) {
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI, ...args], { cwd });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

const dir = mkdtempSync(join(tmpdir(), 'synchrotron-instrument-tools-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const VOICE = `new InletNode frequency
new InletNode(kind: "midi") keys
new SineNode osc
new OutletNode out
new OutletNode(kind: "data") info
link frequency.out -> osc.frequency
link osc.out -> out.input
`;

describe('completion of instance ports', () => {
  it('offers a PatchNode’s inlets after `->` and its outlets before it, with their kinds', () => {
    writeFileSync(join(dir, 'voice.syn'), VOICE);
    const s = new Synchrotron({ host: createNodeHost({ root: dir }) });
    s.execute('new patch "voice.syn" v\nnew MidiInputNode piano\nnew 220 f');
    const labels = (script: string) => complete(script, script.length, s.graph).map((c) => c.label);
    expect(labels('link v.')).toEqual(['v.out', 'v.info']);
    expect(labels('link f.out -> v.')).toEqual(['v.path', 'v.frequency']); // MIDI takes only MIDI
    expect(labels('link piano.out -> v.')).toEqual(['v.keys']);
    const detail = complete('link f.out -> v.fr', 18, s.graph)[0].detail;
    expect(detail).toBe('StreamInput — Inlet `frequency` of voice.syn.');
    // The console's mirror of a server's graph (from GET /nodes) completes the same ports.
    const mirror = new RemoteGraph();
    mirror.reset(toApiNodes(s.graph));
    expect(complete('link f.out -> v.', 16, mirror.graph()).map((c) => c.label)).toEqual([
      'v.path',
      'v.frequency',
    ]);
    s.dispose();
  });
});

describe('synchrotron check and render with patches', () => {
  it('check builds the patches a file includes; a mistake inside shows both places', async () => {
    writeFileSync(
      join(dir, 'good.syn'),
      'new patch "voice.syn" a\nnew VoicesNode(patch: "voice.syn", voices: 4) many\n',
    );
    writeFileSync(
      join(dir, 'inner.syn'),
      'new InletNode frequency\nnew SineNode osc\nlink frequency.out -> osc.frequncy\n',
    );
    writeFileSync(join(dir, 'bad.syn'), '// uses a broken voice\nnew patch "inner.syn" b\n');
    const good = await cli(['check', 'good.syn'], dir);
    expect(good.stdout).toBe(
      'good.syn: ok — 2 nodes, 0 connections (27 nodes with those inside patches and voices)\n',
    );
    const bad = await cli(['check', 'bad.syn'], dir);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toBe(
      [
        'bad.syn:2:11: in `inner.syn`, line 3, column 27: SineNode `osc` has no input `frequncy` — did you mean `frequency`? (its inputs: frequency)',
        '  new patch "inner.syn" b',
        '            ^^^^^^^^^^^',
        'inner.syn:3:27: (in the included patch)',
        '  link frequency.out -> osc.frequncy',
        `  ${' '.repeat(26)}^`,
        '',
      ].join('\n'),
    );
  });

  it('render plays an instrument example from any folder (its paths are relative to the patch)', async () => {
    const out = join(dir, 'fm.wav');
    const { code, stderr } = await cli(
      ['render', `${EXAMPLES}instruments/play-fm.syn`, '--seconds', '2', '--out', out],
      dir,
    );
    expect(stderr).not.toMatch(/warning|fault/);
    expect(code).toBe(0);
    const left = readWav(out).channels[0];
    expect(peak(left)).toBeGreaterThan(0.1);
    expect(peak(left)).toBeLessThan(1);
  });
});
