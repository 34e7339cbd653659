// File names in the browser's store and the store's bounded reads (the MemoryFileStore here; the IndexedDB
// store is exercised in Chromium by live.test.ts and offline.test.ts).

import { describe, expect, it } from 'vitest';
import { normalizeFileName } from '../../src/browser/file-names.js';
import { MemoryFileStore } from '../../src/browser/file-store.js';
import { decodeWav, WavAssembler } from '../../src/browser/wav.js';

describe('file names in the browser store', () => {
  it('are the names patches use, in one canonical form', () => {
    expect(normalizeFileName('tune.mid')).toBe('tune.mid');
    expect(normalizeFileName('./songs//tune.mid')).toBe('songs/tune.mid');
    expect(normalizeFileName('songs\\tune.mid')).toBe('songs/tune.mid');
    expect(normalizeFileName('take 1.wav')).toBe('take 1.wav');
  });

  it('refuse what names no file in a store, saying why', () => {
    expect(() => normalizeFileName('')).toThrow('a file name must be a non-empty string');
    expect(() => normalizeFileName(42)).toThrow('a file name must be a non-empty string');
    expect(() => normalizeFileName('/etc/passwd')).toThrow(/`\/etc\/passwd` is absolute/);
    expect(() => normalizeFileName('C:\\x.wav')).toThrow(/is absolute/);
    expect(() => normalizeFileName('../up.wav')).toThrow(/uses `\.\.`/);
    expect(() => normalizeFileName('a/../../b')).toThrow(/uses `\.\.`/);
    expect(() => normalizeFileName('a\u0000b')).toThrow(/`a\\u0000b` contains control characters/);
    expect(() => normalizeFileName('./.')).toThrow(/names no file/);
    expect(() => normalizeFileName('x'.repeat(256))).toThrow(/longer than 255 characters/);
  });
});

describe('the memory file store', () => {
  it('keeps files by canonical name and reads them whole within a byte limit', async () => {
    const store = new MemoryFileStore();
    const info = await store.put('./songs/a.mid', new Uint8Array([1, 2, 3, 4]), 'audio/midi');
    expect(info).toMatchObject({ name: 'songs/a.mid', size: 4, type: 'audio/midi' });
    expect([...(await store.readFile('songs/a.mid'))]).toEqual([1, 2, 3, 4]);
    await expect(store.readFile('songs/a.mid', { maxBytes: 3 })).rejects.toThrow(
      'cannot read `songs/a.mid`: 4 bytes is larger than the limit of 3 bytes',
    );
    await expect(store.readFile('b.mid')).rejects.toThrow(/no such file in the browser's file store/);
    expect((await store.list()).map((f) => f.name)).toEqual(['songs/a.mid']);
    expect(await store.delete('songs/a.mid')).toBe(true);
    expect(await store.delete('songs/a.mid')).toBe(false);
    expect(await store.get('songs/a.mid')).toBeNull();
  });
});

describe('WAV Blobs', () => {
  it('hold float32 samples that read back exactly, stereo interleaved', async () => {
    const wav = new WavAssembler(48000, 2);
    wav.appendStereo(new Float32Array([0.5, -0.25, 1]), new Float32Array([-1, 0.125, 0]));
    wav.appendStereo(new Float32Array([0.75]), new Float32Array([0.5]));
    expect(wav.frames).toBe(4);
    const decoded = decodeWav(await wav.blob().arrayBuffer());
    expect(decoded.sampleRate).toBe(48000);
    expect([...decoded.channels[0]]).toEqual([0.5, -0.25, 1, 0.75]);
    expect([...decoded.channels[1]]).toEqual([-1, 0.125, 0, 0.5]);
    expect(() => decodeWav(new ArrayBuffer(8))).toThrow('not a WAV file');
  });
});
