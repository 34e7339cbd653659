// `synchrotron render --threads N`: the same WAV file, byte for byte, on one thread and on two (chains, and
// a VoicesNode's voices with --split-voices).

import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { MIN_AUTO_VOICES_COST, MIN_VOICES_WORK } from '../../src/io/voice-threads.js';
import { readWav } from '../../src/io/wav-writer.js';
import { chainsPatch } from '../helpers/chains.js';

const run = promisify(execFile);
const CLI = new URL('../../dist/cli/main.js', import.meta.url).pathname;

const VOICE = `new InletNode frequency
new InletNode gate
new InletNode velocity
new SawtoothNode osc
new LadderFilterNode(cutoff: 1500) filter
new ADSRNode(attack: 0.005, decay: 0.1, sustain: 0.6, release: 0.1) env
new MultiplyNode vca
new MultiplyNode amp
new OutletNode out
link frequency.out -> osc.frequency
link osc.out -> filter.input
link gate.out -> env.gate
link filter.out -> vca.a
link env.envelope -> vca.b
link vca.out -> amp.a
link velocity.out -> amp.b
link amp.out -> out.input
`;

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

  it('writes the same file with --threads 2 --split-voices (voices on a worker) as with one', async () => {
    // 64 voices of a saw → ladder → ADSR voice (576 nodes, above MIN_VOICES_COST), notes from a MIDI file.
    const voices = mkdtempSync(join(tmpdir(), 'synchrotron-threads-voices-'));
    writeFileSync(join(voices, 'voice.syn'), VOICE);
    copyFileSync(new URL('../../examples/instruments/tune.mid', import.meta.url), join(voices, 'tune.mid'));
    writeFileSync(
      join(voices, 'poly.syn'),
      `new MidiFileNode(path: "tune.mid", loop: true) tune
new VoicesNode(patch: "voice.syn", voices: 64) poly
new PlaybackNode play
link tune.out -> poly.midi
link poly.left -> play.left
link poly.right -> play.right`,
    );
    const files = [];
    for (const threads of [['1'], ['2', '--split-voices']]) {
      const out = join(voices, `out-${threads[0]}.wav`);
      await run(process.execPath, [
        CLI,
        'render',
        join(voices, 'poly.syn'),
        '--seconds',
        '1',
        '--out',
        out,
        '--threads',
        ...threads,
      ]);
      files.push(readFileSync(out));
    }
    expect(files[1].equals(files[0])).toBe(true);
    const wav = readWav(join(voices, 'out-2.wav'));
    expect(Math.max(...wav.channels[0].map(Math.abs))).toBeGreaterThan(0.05);
  });

  describe('the engine chooses the voices split itself (the default, =auto; the machine injected)', () => {
    const voices = mkdtempSync(join(tmpdir(), 'synchrotron-threads-auto-'));
    // Two layers of the voice (14 nodes): 128 voices cost 1,792, above MIN_AUTO_VOICES_COST.
    writeFileSync(
      join(voices, 'voice.syn'),
      `${VOICE}new SquareNode osc2
new StateVariableFilterNode(cutoff: 900) filter2
new MultiplyNode vca2
new AddNode sum
new MultiplyNode amp2
link frequency.out -> osc2.frequency
link osc2.out -> filter2.input
link filter2.lowpass -> vca2.a
link env.envelope -> vca2.b
link vca.out -> sum.a
link vca2.out -> sum.b
link sum.out -> amp2.a
link velocity.out -> amp2.b
link amp2.out -> out.input
`,
    );
    copyFileSync(new URL('../../examples/instruments/tune.mid', import.meta.url), join(voices, 'tune.mid'));
    /** A VoicesNode of `count` voices playing tune.mid. */
    const patch = (count: number) => {
      const path = join(voices, `poly-${count}.syn`);
      writeFileSync(
        path,
        `new MidiFileNode(path: "tune.mid", loop: true) tune
new VoicesNode(patch: "voice.syn", voices: ${count}) poly
new PlaybackNode play
link tune.out -> poly.midi
link poly.left -> play.left
link poly.right -> play.right`,
      );
      return path;
    };
    /** Renders 1 s with the machine as `machine` says. */
    const render = async (path: string, out: string, machine: string, ...extra: string[]) => {
      const { stderr } = await run(
        process.execPath,
        [CLI, 'render', path, '--seconds', '1', '--out', out, ...extra],
        { env: { ...process.env, SYNCHROTRON_CORE_LOAD: machine } },
      );
      return { split: /VoicesNode on worker threads/.test(stderr), wav: readFileSync(out) };
    };

    it('splits a heavy VoicesNode when a core is free, with the same file as one thread', async () => {
      const heavy = patch(128);
      expect(128 * 14).toBeGreaterThanOrEqual(MIN_AUTO_VOICES_COST);
      expect(128 * 14 * 128).toBeGreaterThanOrEqual(MIN_VOICES_WORK);
      const one = await render(heavy, join(voices, 'one.wav'), '2,0', '--threads', '1');
      const auto = await render(heavy, join(voices, 'auto.wav'), '2,0', '--threads', '2');
      expect(one.split).toBe(false);
      expect(auto.split).toBe(true);
      expect(auto.wav.equals(one.wav)).toBe(true);
      expect(Math.max(...readWav(join(voices, 'auto.wav')).channels[0].map(Math.abs))).toBeGreaterThan(0.05);
      const explicit = await render(heavy, join(voices, 'explicit.wav'), '2,0', '--split-voices=auto');
      expect(explicit.split).toBe(true);
    });

    it('keeps the voices on one thread when no core is free, for a light VoicesNode, or when told', async () => {
      const heavy = patch(128);
      expect((await render(heavy, join(voices, 'busy.wav'), '2,1', '--threads', '2')).split).toBe(false);
      expect(48 * 14).toBeLessThan(MIN_AUTO_VOICES_COST);
      expect((await render(patch(48), join(voices, 'light.wav'), '2,0', '--threads', '2')).split).toBe(false);
      const off = await render(
        heavy,
        join(voices, 'off.wav'),
        '2,0',
        '--threads',
        '2',
        '--split-voices',
        'off',
      );
      expect(off.split).toBe(false);
      // --split-voices forces it whatever the machine.
      expect(
        (await render(heavy, join(voices, 'forced.wav'), '2,9', '--threads', '2', '--split-voices')).split,
      ).toBe(true);
    });

    it('refuses a --split-voices that is not on, auto or off', async () => {
      const error = await run(process.execPath, [
        CLI,
        'render',
        patch(8),
        '--seconds',
        '0.1',
        '--out',
        join(voices, 'x.wav'),
        '--split-voices=maybe',
      ]).catch((e) => e);
      expect(error.code).toBe(1);
      expect(error.stderr).toMatch(/--split-voices must be on, auto or off/);
      // Spelt with a space, a word that is not a value is an argument of its own, and named as one.
      const spaced = await run(process.execPath, [
        CLI,
        'render',
        patch(8),
        '--split-voices',
        'maybe',
        '--seconds',
        '0.1',
        '--out',
        join(voices, 'y.wav'),
      ]).catch((e) => e);
      expect(spaced.code).toBe(1);
      expect(spaced.stderr).toMatch(/one PATCH only: unexpected `maybe`/);
      expect(existsSync(join(voices, 'y.wav'))).toBe(false);
    });
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
