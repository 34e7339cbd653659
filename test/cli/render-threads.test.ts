// `synchrotron render --threads N`: the same WAV file, byte for byte, on one thread and on two.

import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { readWav } from '../../src/io/wav-writer.js';
import { chainsPatch } from '../helpers/chains.js';

const run = promisify(execFile);
const CLI = new URL('../../dist/cli/main.js', import.meta.url).pathname;

describe('synchrotron render --threads', () => {
  const dir = mkdtempSync(join(tmpdir(), 'synchrotron-threads-'));
  const patch = join(dir, 'chains.syn');
  // Two chains of ~160 nodes: above MIN_PART_COST, so two threads really split them.
  writeFileSync(patch, chainsPatch(2, 40));

  it('writes the same file with --threads 1 and --threads 2', async () => {
    const files = [];
    for (const threads of ['1', '2']) {
      const out = join(dir, `out-${threads}.wav`);
      await run(process.execPath, [
        CLI,
        'render',
        patch,
        '--seconds',
        '0.5',
        '--out',
        out,
        '--threads',
        threads,
      ]);
      files.push(readFileSync(out));
    }
    expect(files[0].length).toBeGreaterThan(44100 * 8 * 0.5);
    expect(files[1].equals(files[0])).toBe(true);
    const wav = readWav(join(dir, 'out-2.wav'));
    expect(Math.max(...wav.channels[0].map(Math.abs))).toBeGreaterThan(0.05);
  });

  it('refuses a --threads that is not auto or a count', async () => {
    const error = await run(process.execPath, [
      CLI,
      'render',
      patch,
      '--seconds',
      '0.1',
      '--out',
      join(dir, 'x.wav'),
      '--threads',
      'many',
    ]).catch((e) => e);
    expect(error.code).toBe(1);
    expect(error.stderr).toMatch(/--threads must be auto or a whole number/);
  });
});
