import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { readWav } from '../../src/io/wav-writer.js';
import { allFinite, dominantFrequency, peak } from '../helpers/analysis.js';

const run = promisify(execFile);
const CLI = new URL('../../dist/cli/main.js', import.meta.url).pathname;
/** package.json's bin: the same command as one CommonJS file (scripts/build-cli.mjs). */
const CLI_CJS = new URL('../../dist/cli/main.cjs', import.meta.url).pathname;
const EXAMPLES = new URL('../../examples/', import.meta.url).pathname;

async function cli(args: string[], cwd: string, entry = CLI) {
  try {
    const { stdout, stderr } = await run(process.execPath, [entry, ...args], { cwd });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('synchrotron render', () => {
  const dir = mkdtempSync(join(tmpdir(), 'synchrotron-render-'));

  it('plays FLAC, MP3 and Ogg samples from the built bundle (its decoders load from node_modules)', async () => {
    await drumsFromFixtures(CLI);
  });

  async function drumsFromFixtures(entry: string) {
    const fixtures = new URL('../fixtures/samples/', import.meta.url).pathname;
    for (const ext of ['flac', 'mp3', 'ogg'])
      copyFileSync(`${fixtures}tone.${ext}`, join(dir, `tone.${ext}`));
    // drums.syn with its four samples swapped for the three fixtures.
    const files = ['tone.mp3', 'tone.ogg', 'tone.flac', 'tone.flac'];
    const drums = readFileSync(`${EXAMPLES}drums.syn`, 'utf8').replace(
      /"[^"]*\.(?:wav|flac|mp3|ogg)"/g,
      () => `"${files.shift() ?? 'tone.flac'}"`,
    );
    writeFileSync(join(dir, 'drums.syn'), drums);
    const out = join(dir, 'drums.wav');
    const { code, stderr } = await cli(['render', 'drums.syn', '--seconds', '2', '--out', out], dir, entry);
    expect(code, stderr).toBe(0);
    expect(stderr).not.toMatch(/could not load/);
    expect(peak(readWav(out).channels[0])).toBeGreaterThan(0.1);
  }

  it('runs from its CommonJS entry (the bin) as from main.js: the same file, the decoders, the other commands', async () => {
    const outs = [join(dir, 'megalovania-esm.wav'), join(dir, 'megalovania-cjs.wav')];
    for (const [i, entry] of [CLI, CLI_CJS].entries()) {
      const args = ['render', `${EXAMPLES}megalovania.syn`, '--seconds', '1', '--out', outs[i]];
      const { code, stderr } = await cli(args, dir, entry);
      expect(code, stderr).toBe(0);
    }
    expect(readFileSync(outs[1]).equals(readFileSync(outs[0]))).toBe(true);
    await drumsFromFixtures(CLI_CJS);
    const nodes = await cli(['nodes'], dir, CLI_CJS);
    expect(nodes.code, nodes.stderr).toBe(0);
    expect(nodes.stdout).toMatch(/^SineNode /m);
  });

  it('renders megalovania.syn to a stereo float WAV whose notes change at the clock ticks', async () => {
    const out = join(dir, 'megalovania.wav');
    const { code, stderr } = await cli(
      ['render', `${EXAMPLES}megalovania.syn`, '--seconds', '3', '--out', out],
      dir,
    );
    expect(code).toBe(0);
    expect(stderr).toMatch(/^rendered 3\.00 s in \d+\.\d\d s \(\d+(\.\d)?x realtime\)$/m);
    const wav = readWav(out);
    expect(wav.sampleRate).toBe(44100);
    expect(wav.channels).toHaveLength(2);
    const left = wav.channels[0];
    expect(left.length).toBe(3 * 44100);
    expect(allFinite(left)).toBe(true);
    // 2.5 Hz clock: a new note every 17640 frames; notes 0, 1, 2 = 293.66, 293.66, 587.33 Hz.
    const note = (k: number) => left.subarray(k * 17640 + 500, (k + 1) * 17640 - 500);
    expect(dominantFrequency(note(0), 44100)).toBeCloseTo(293.66, 0);
    expect(dominantFrequency(note(2), 44100)).toBeCloseTo(587.33, 0);
    expect(dominantFrequency(note(4), 44100)).toBeCloseTo(440, 0);
    expect(wav.channels[1]).toEqual(left);
  });

  it('renders every original example patch', async () => {
    for (const name of ['pwm', 'pwm_plus', 'pwm_plus_notes', 'midi_in']) {
      const out = join(dir, `${name}.wav`);
      const { code, stderr } = await cli(
        ['render', `${EXAMPLES}${name}.syn`, '--seconds', '1', '--out', out],
        dir,
      );
      expect(code, stderr).toBe(0);
      const left = readWav(out).channels[0];
      expect(allFinite(left)).toBe(true);
      if (name === 'midi_in') {
        expect(stderr).toMatch(/no MIDI port 1 is open/);
        expect(peak(left)).toBeLessThan(1e-6);
      } else {
        expect(peak(left)).toBeGreaterThan(0.1);
      }
    }
  });

  it('honours --sample-rate and --block-size', async () => {
    const out = join(dir, 'pwm-48k.wav');
    const { code } = await cli(
      [
        'render',
        `${EXAMPLES}pwm.syn`,
        '--seconds',
        '0.5',
        '--out',
        out,
        '--sample-rate',
        '48000',
        '--block-size',
        '512',
      ],
      dir,
    );
    expect(code).toBe(0);
    const wav = readWav(out);
    expect(wav.sampleRate).toBe(48000);
    expect(wav.channels[0].length).toBe(24000);
    expect(dominantFrequency(wav.channels[0], 48000)).toBeCloseTo(440, -1);
  });

  it('fails clearly: missing file, script error with position, bad options', async () => {
    const missing = await cli(
      ['render', join(dir, 'nope.syn'), '--seconds', '1', '--out', join(dir, 'x.wav')],
      dir,
    );
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/cannot read .*nope\.syn: ENOENT/);

    const broken = join(dir, 'broken.syn');
    writeFileSync(broken, 'new SineNode osc;\nnew SineNod other;\n');
    const bad = await cli(['render', broken, '--seconds', '1', '--out', join(dir, 'x.wav')], dir);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/broken\.syn:2:5: .*SineNod.*did you mean `SineNode`/);

    const noSeconds = await cli(['render', broken, '--out', join(dir, 'x.wav')], dir);
    expect(noSeconds.code).toBe(1);
    expect(noSeconds.stderr).toMatch(/--seconds is required/);

    const badBlock = await cli(
      ['render', `${EXAMPLES}pwm.syn`, '--seconds', '1', '--out', join(dir, 'x.wav'), '--block-size', '100'],
      dir,
    );
    expect(badBlock.code).toBe(1);
    expect(badBlock.stderr).toMatch(/block size must be a power of two/);
  });
});
