import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SynchrotronError } from '../../src/engine/errors.js';
import { createNodeHost, resolveInside } from '../../src/io/node-host.js';
import { createWavWriter, readWav } from '../../src/io/wav-writer.js';

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'synchrotron-wav-'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

function ramp(n: number, scale = 1): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => Math.fround(((i % 200) / 100 - 1) * scale));
}

describe('createWavWriter', () => {
  it('writes a mono 32-bit float WAV that wavefile reads back sample for sample', () => {
    const path = join(root, 'mono.wav');
    const writer = createWavWriter(path, 48000);
    const block = ramp(1000);
    for (let b = 0; b < 100; b++) writer.write(block, 1000);
    expect(writer.frames).toBe(100000);
    writer.close();
    writer.close(); // safe twice
    const wav = readWav(path);
    expect(wav.sampleRate).toBe(48000);
    expect(wav.bitDepth).toBe('32f');
    expect(wav.channels).toHaveLength(1);
    expect(wav.channels[0]).toHaveLength(100000);
    for (let i = 0; i < 100000; i += 777) expect(wav.channels[0][i]).toBe(block[i % 1000]);
    expect(readFileSync(path).length).toBe(58 + 400000);
  });

  it('is a valid (empty) WAV as soon as it is opened, and readable mid-recording after each second', () => {
    const path = join(root, 'live.wav');
    const writer = createWavWriter(path, 44100);
    expect(readWav(path).channels[0]).toHaveLength(0);
    const block = ramp(128);
    for (let b = 0; b < 400; b++) writer.write(block, 128); // 51200 frames: one header update at ~44100
    // Not closed (as after a crash): everything up to the last update is readable.
    const partial = readWav(path).channels[0].length;
    expect(partial).toBeGreaterThanOrEqual(44100);
    expect(partial).toBeLessThanOrEqual(51200);
    writer.close();
    expect(readWav(path).channels[0]).toHaveLength(51200);
  });

  it('writes stereo from channels or interleaved samples, and NaN/Infinity as 0', () => {
    const path = join(root, 'stereo.wav');
    const writer = createWavWriter(path, 44100, 2);
    const left = Float32Array.from([0.5, Number.NaN, -0.25]);
    const right = Float32Array.from([-0.5, Number.POSITIVE_INFINITY, 0.25]);
    writer.writeChannels(left, right, 3);
    writer.writeInterleaved(Float32Array.from([0.1, 0.2, 0.3, 0.4]), 2);
    writer.close();
    const wav = readWav(path);
    expect(wav.channels).toHaveLength(2);
    expect([...wav.channels[0]]).toEqual([0.5, 0, -0.25, Math.fround(0.1), Math.fround(0.3)]);
    expect([...wav.channels[1]]).toEqual([-0.5, 0, 0.25, Math.fround(0.2), Math.fround(0.4)]);
  });

  it('refuses what it cannot write with a SynchrotronError', () => {
    expect(() => createWavWriter(join(root, 'missing', 'x.wav'), 44100)).toThrow(SynchrotronError);
    expect(() => createWavWriter(join(root, 'x.wav'), 44100, 0)).toThrow(/channels/);
  });
});

describe('createNodeHost', () => {
  it('resolves WAV paths against its root', () => {
    const host = createNodeHost({ root });
    mkdirSync(join(root, 'takes'));
    const writer = host.openWav!('takes/one.wav', 44100);
    writer.write(ramp(10), 10);
    writer.close();
    expect(writer.path).toBe('takes/one.wav'); // as the user names it, relative to the root
    expect(readWav(join(root, 'takes', 'one.wav')).channels[0]).toHaveLength(10);
    expect(host.deviceName).toBe('none');
  });

  it('refuses paths that leave the root: .., absolute elsewhere, links out', () => {
    const outside = mkdtempSync(join(tmpdir(), 'synchrotron-outside-'));
    try {
      symlinkSync(outside, join(root, 'escape'));
      symlinkSync(join(outside, 'target.wav'), join(root, 'dangling.wav'));
      writeFileSync(join(outside, 'existing.wav'), '');
      symlinkSync(join(outside, 'existing.wav'), join(root, 'link.wav'));
      const host = createNodeHost({ root });
      for (const path of [
        '../x.wav',
        'a/../../x.wav',
        join(outside, 'x.wav'),
        '/etc/x.wav',
        'escape/x.wav',
        'dangling.wav',
        'link.wav',
        '',
        '.',
        'a\0b.wav',
      ]) {
        let error: unknown;
        try {
          host.openWav!(path, 44100);
        } catch (e) {
          error = e;
        }
        expect(error, path).toBeInstanceOf(SynchrotronError);
        expect((error as SynchrotronError).code, path).toMatch(/invalid|io/);
      }
      expect(readFileSync(join(outside, 'existing.wav'), 'utf8')).toBe(''); // untouched
      // Inside the root, `..` that stays inside and absolute paths inside are fine.
      expect(resolveInside(root, `sub/../ok.wav`)).toBe(join(root, 'ok.wav'));
      expect(resolveInside(root, join(root, 'ok.wav'))).toBe(join(root, 'ok.wav'));
      expect(resolveInside(root, '..ok.wav')).toBe(join(root, '..ok.wav'));
    } finally {
      rmSync(outside, { recursive: true, force: true });
    }
  });

  it('reads files inside its root only, within a size limit', async () => {
    writeFileSync(join(root, 'song.mid'), 'MThd');
    const host = createNodeHost({ root });
    expect(Buffer.from(await host.readFile!('song.mid')).toString()).toBe('MThd');
    await expect(host.readFile!('../song.mid')).rejects.toThrow(SynchrotronError);
    await expect(host.readFile!('nothing.mid')).rejects.toThrow(SynchrotronError);
    await expect(host.readFile!('song.mid', { maxBytes: 3 })).rejects.toThrow(/larger than the limit/);
  });
});
