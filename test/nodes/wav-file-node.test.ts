import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readWav } from '../../src/io/wav-writer.js';
import { Synchrotron } from '../../src/synchrotron.js';
import { zeroCrossingFrequency } from '../helpers/analysis.js';
import { node, RATE, rigsCleanedAfterEachTest } from './render.js';

const make = rigsCleanedAfterEachTest();

describe('WavFileNode', () => {
  it('records the signal to output.wav by default; the file matches the signal exactly and is closed on stop', () => {
    const r = make();
    node(r, 'SineNode', 'sine', { frequency: 440 });
    r.s.add('WavFileNode', 'wav');
    r.s.link('sine.out', 'wav.signal');
    expect(r.s.graph.node('wav').exports).toEqual({ 'File Path': 'output.wav' });
    r.s.start();
    const signal = r.capture(['sine.out'], 344 * 128)[0]; // whole blocks: the file holds whole blocks
    r.s.stop();
    const wav = readWav(join(r.root, 'output.wav'));
    expect(wav.sampleRate).toBe(RATE);
    expect(wav.bitDepth).toBe('32f');
    expect(wav.channels[0]).toEqual(Float64Array.from(signal));
    expect(zeroCrossingFrequency(Float32Array.from(wav.channels[0]), RATE)).toBeCloseTo(440, 1);
    // Rendering while stopped adds nothing.
    r.s.renderFrames(4096);
    expect(readWav(join(r.root, 'output.wav')).channels[0]).toHaveLength(signal.length);
  });

  it('honours its path input as it is when rendering starts, and a later change starts a new file', () => {
    const r = make();
    node(r, 'SineNode', 'sine', { frequency: 220 });
    node(r, 'WavFileNode', 'wav', { path: 'first.wav' });
    r.s.link('sine.out', 'wav.signal');
    r.s.setValue('wav_path', 'take.wav'); // changed before rendering: the first file is take.wav
    r.s.start();
    const first = r.capture(['sine.out'], 10 * 128)[0];
    expect(r.s.graph.node('wav').exports).toEqual({ 'File Path': 'take.wav' });
    r.s.setValue('wav_path', 'second.wav');
    const second = r.capture(['sine.out'], 20 * 128)[0];
    expect(existsSync(join(r.root, 'first.wav'))).toBe(false);
    // The first file is closed and complete as soon as the path changes.
    expect(readWav(join(r.root, 'take.wav')).channels[0]).toEqual(Float64Array.from(first));
    r.s.remove('wav'); // removal closes the file
    r.s.renderBlock();
    expect(readWav(join(r.root, 'second.wav')).channels[0]).toEqual(Float64Array.from(second));
    expect(r.s.graph.hasNode('wav')).toBe(false);
  });

  it('is closed and valid after shutdown (dispose) and writes NaN/Infinity as 0', () => {
    const r = make();
    r.s.addValue(Number.MAX_VALUE, 'huge');
    node(r, 'MultiplyNode', 'boom', { b: 10 }); // overflows to Infinity → the engine mutes it, the file gets 0
    r.s.link('huge.out', 'boom.a');
    node(r, 'WavFileNode', 'wav', { path: 'nan.wav' });
    r.s.link('boom.out', 'wav.signal');
    r.s.renderFrames(1024);
    r.s.dispose();
    const samples = readWav(join(r.root, 'nan.wav')).channels[0];
    expect(samples).toHaveLength(1024);
    expect(samples.every((x) => x === 0)).toBe(true);
  });

  it('warns and keeps rendering when the path is refused or the host has no files', () => {
    const r = make();
    node(r, 'SineNode', 'sine', { frequency: 440 });
    node(r, 'WavFileNode', 'wav', { path: '../escape.wav' });
    r.s.add('PlaybackNode', 'out');
    r.s.link('sine.out', 'wav.signal');
    r.s.link('sine.out', 'out.left');
    const { left } = r.s.renderFrames(4096);
    expect(zeroCrossingFrequency(left, RATE)).toBeCloseTo(440, 0);
    const warnings = r.events.filter((e) => e.kind === 'warning');
    expect(warnings).toHaveLength(1); // once, not every block
    expect(warnings[0]).toMatchObject({ node: 'wav', message: expect.stringMatching(/escape\.wav.*leaves/) });
    expect(r.events.filter((e) => e.kind === 'fault')).toEqual([]);

    const bare = new Synchrotron(); // no host: no files
    const events: unknown[] = [];
    bare.onEvent((e) => {
      if (e.kind === 'warning') events.push(e);
    });
    bare.add('WavFileNode', 'wav');
    bare.renderFrames(1024);
    expect(events).toEqual([expect.objectContaining({ message: expect.stringMatching(/no file output/) })]);
  });

  it('records afresh after stop and start', () => {
    const r = make();
    node(r, 'WavFileNode', 'wav', { path: 'again.wav', signal: 0.5 });
    r.s.start();
    r.s.renderFrames(1280);
    r.s.stop();
    expect(readWav(join(r.root, 'again.wav')).channels[0]).toHaveLength(1280);
    r.s.start();
    r.s.renderFrames(256);
    r.s.stop();
    const samples = readWav(join(r.root, 'again.wav')).channels[0];
    expect(samples).toHaveLength(256);
    expect(samples.every((x) => x === 0.5)).toBe(true);
  });
});
