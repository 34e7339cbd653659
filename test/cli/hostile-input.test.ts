// The CLI commands against the mistakes a new user makes: wrong paths, folders, UTF-16 and binary files,
// impossible lengths, typo'd options. Each must exit non-zero with one clear line and touch no file.

import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkCommand } from '../../src/cli/check.js';
import { docsCommand, nodesCommand, nodesDocPath } from '../../src/cli/nodes.js';
import { renderCommand } from '../../src/cli/render.js';
import { readWav } from '../../src/io/wav-writer.js';
import { dominantFrequency, peak } from '../helpers/analysis.js';
import { captureOutput } from '../helpers/capture-output.js';

const SINE =
  'new 440 f\nnew SineNode osc\nnew PlaybackNode out\nlink f.out -> osc.frequency\nlink osc.out -> out.left\n';

describe('CLI: hostile input', () => {
  const dir = mkdtempSync(join(tmpdir(), 'synchrotron-cli-'));
  const patch = join(dir, 'sine.syn');
  writeFileSync(patch, SINE);
  const { out, err } = captureOutput();

  it('render refuses impossible lengths and output paths up front, naming what is wrong', async () => {
    const wav = join(dir, 'x.wav');
    const cases: [string[], RegExp][] = [
      [['--seconds', '-1'], /--seconds must be a positive number, got `-1`/],
      [['--seconds', '0'], /--seconds must be a positive number, got `0`/],
      [['--seconds', '1e309'], /positive number, got `1e309`/],
      [['--seconds', '1e-7'], /--seconds 1e-7 is less than one frame at 44100 Hz/],
      [['--seconds', '100000'], /too long: a WAV file holds at most 12173 s .* at 44100 Hz \(4 GiB\)/],
      [
        ['--seconds', '1', '--sample-rate', '-48000'],
        /--sample-rate must be a positive number, got `-48000`/,
      ],
    ];
    for (const [options, message] of cases) {
      err.length = 0;
      expect(await renderCommand([patch, ...options, '--out', wav])).toBe(1);
      expect(err.join('')).toMatch(message);
    }
    const badOut: [string, RegExp][] = [
      [join(dir, 'missing', 'x.wav'), /the folder .*missing does not exist/],
      [dir, /it is a folder; give a file name/],
      [patch, /would overwrite the patch itself/],
    ];
    for (const [target, message] of badOut) {
      err.length = 0;
      expect(await renderCommand([patch, '--seconds', '1', '--out', target])).toBe(1);
      expect(err.join('')).toMatch(message);
    }
    expect(existsSync(wav)).toBe(false);
    expect(readFileSync(patch, 'utf8')).toBe(SINE);
  });

  it('render and check: a folder or missing file is one clear line; a script error shows its line', async () => {
    expect(await renderCommand([dir, '--seconds', '1', '--out', join(dir, 'y.wav')])).toBe(1);
    expect(err.join('')).toMatch(/cannot read .*: EISDIR \(it is a folder, not a patch file\)/);
    expect(await checkCommand([dir, join(dir, 'nope.syn')])).toBe(1);
    expect(err.join('')).toMatch(/: cannot read: ENOENT \(no such file\)/);
    const bad = join(dir, 'bad.syn');
    writeFileSync(bad, 'new SineNode osc\nlink osc.out -> out.left\n');
    err.length = 0;
    expect(await renderCommand([bad, '--seconds', '1', '--out', join(dir, 'y.wav')])).toBe(1);
    expect(err.join('')).toBe(
      `${bad}:2:17: unknown node \`out\` — did you mean \`osc\`?\n  link osc.out -> out.left\n                  ^^^\n`,
    );
  });

  it('a UTF-16 patch (as some Windows editors save) renders; a binary file is named as such', async () => {
    const utf16 = join(dir, 'utf16.syn');
    writeFileSync(
      utf16,
      Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(SINE.replace(/\n/g, '\r\n'), 'utf16le')]),
    );
    expect(await checkCommand([utf16])).toBe(0);
    expect(out.join('')).toContain('utf16.syn: ok — 3 nodes, 2 connections');
    const wav = join(dir, 'utf16.wav');
    expect(await renderCommand([utf16, '--seconds', '0.5', '--out', wav])).toBe(0);
    const { channels, sampleRate } = readWav(wav);
    expect(Math.abs(dominantFrequency(channels[0], sampleRate) - 440)).toBeLessThan(5);

    const binary = join(dir, 'take.syn');
    writeFileSync(binary, readFileSync(wav));
    err.length = 0;
    expect(await checkCommand([binary])).toBe(1);
    const text = err.join('');
    expect(text).toMatch(
      /take\.syn:1:\d+: unexpected invisible character U\+(0000|FFFD) \(is this a UTF-8 text file\?\)/,
    );
    expect([...text].filter((c) => c < ' ' && c !== '\n')).toEqual([]);
  });

  it('render warns when the patch has no PlaybackNode (the WAV is silent)', async () => {
    const quiet = join(dir, 'quiet.syn');
    writeFileSync(quiet, 'new SineNode osc\n');
    const wav = join(dir, 'quiet.wav');
    expect(await renderCommand([quiet, '--seconds', '0.1', '--out', wav])).toBe(0);
    expect(err.join('')).toMatch(/warning: .*quiet\.syn has no PlaybackNode, so .*quiet\.wav will be silent/);
    expect(peak(readWav(wav).channels[0])).toBe(0);
  });

  it('check warns when a .sui header is not JSON (positions are lost) but still passes', async () => {
    const sui = join(dir, 'broken.sui');
    writeFileSync(sui, `/*** {"osc": {"x": 1, ***/\n${SINE}`);
    expect(await checkCommand([sui])).toBe(0);
    expect(err.join('')).toMatch(/broken\.sui: warning: the `\/\*\*\* … \*\*\*\/` header is not valid JSON/);
    expect(out.join('')).toContain('broken.sui: ok — 3 nodes, 2 connections');
  });

  it('unknown options are refused: `docs --chek` does not rewrite docs/nodes.md', async () => {
    const before = statSync(nodesDocPath()).mtimeMs;
    expect(await docsCommand(['--chek'])).toBe(2);
    expect(err.join('')).toMatch(/synchrotron docs: unknown option `--chek` \(options: --check\)/);
    expect(statSync(nodesDocPath()).mtimeMs).toBe(before);
    expect(await nodesCommand(['--jsn'])).toBe(2);
    expect(err.join('')).toMatch(/synchrotron nodes: unknown option `--jsn` \(options: --json\)/);
    expect(await checkCommand(['--json', patch])).toBe(2);
    expect(err.join('')).toMatch(/synchrotron check: unknown option `--json`/);
    expect(out.join('')).toBe('');
  });
});
