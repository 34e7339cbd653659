import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseMidiFile } from '../../src/nodes/midi/smf.js';
import { midiEngine, nonZeroFrames, record } from './harness.js';
import { note, tempo, writeSmf } from './smf-writer.js';

const dir = mkdtempSync(join(tmpdir(), 'synchrotron-smf-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Writes a fixture into the host's root directory; returns its path relative to that root. */
function fixture(name: string, bytes: Uint8Array): string {
  writeFileSync(join(dir, name), bytes);
  return name;
}

/** Format 1: a tempo track (120 bpm, then 240 bpm from beat 2) and a track of quarter notes. */
function tempoChangeFile(): Uint8Array {
  const division = 480;
  return writeSmf(
    1,
    division,
    [
      [tempo(0, 120), tempo(960, 240)],
      [...note(0, 240, 60), ...note(480, 240, 62), ...note(960, 240, 64), ...note(1440, 240, 65)],
    ],
    [0, 1920],
  );
}

/** Wires a player of `path` and waits until the file is read (off the render thread). */
async function playFile(path: string, loop: boolean, sampleRate = 48000, blockSize = 128) {
  const { engine, events } = midiEngine({ sampleRate, blockSize, root: dir });
  engine.addValue(path, 'file');
  engine.addValue(loop, 'looping');
  engine.add('MidiFileNode', 'player');
  engine.add('MidiTriggerNode', 'trig');
  engine.add('MonophonicRenderNode', 'mono');
  engine.link('file.out', 'player.path');
  engine.link('looping.out', 'player.loop');
  engine.link('player.out', 'trig.midi');
  engine.link('player.out', 'mono.midi');
  await engine.ready();
  return { engine, events };
}

describe('Standard MIDI File reader', () => {
  it('merges format 1 tracks through the tempo map', () => {
    const file = parseMidiFile(tempoChangeFile());
    expect(file.format).toBe(1);
    const onsets = [...file.seconds].filter((_, i) => (file.status[i] & 0xf0) === 0x90);
    expect(onsets).toEqual([0, 0.5, 1, 1.25]);
    expect(file.duration).toBeCloseTo(1.5, 9);
  });

  it('refuses broken files with what and where', () => {
    expect(() => parseMidiFile(Uint8Array.from([1, 2, 3, 4]))).toThrow(/does not start with "MThd"/);
    const truncated = tempoChangeFile().subarray(0, 40);
    expect(() => parseMidiFile(truncated)).toThrow(/not a valid MIDI file: .* \(at byte \d+\)/);
  });
});

describe('MidiFileNode', () => {
  it('plays a format 1 file with a tempo change at the exact frames', async () => {
    const { engine } = await playFile(fixture('tempo.mid', tempoChangeFile()), false);
    const trigger = record(engine, 'trig.trigger', Math.ceil((2 * 48000) / 128));
    expect(nonZeroFrames(trigger)).toEqual([0, 24000, 48000, 60000]);
  });

  it('plays format 0 with running status, ends its notes, and stops at the end without looping', async () => {
    // Format 0, 96 ticks per quarter, default tempo (120 bpm): 10 ms per 1.92 ticks… use whole ticks.
    const bytes = writeSmf(0, 96, [
      [...note(0, 48, 69), ...note(96, 96, 72), { tick: 48, bytes: [0xb0, 7, 100] }],
    ]);
    const { engine } = await playFile(fixture('format0.mid', bytes), false, 44100, 64);
    const frequency = record(engine, 'mono.frequency', Math.ceil(44100 / 64));
    // A4 from 0 for 0.25 s, silence, C5 from 0.5 s to 1.0 s.
    expect(frequency[0]).toBe(440);
    expect(frequency[11024]).toBe(440);
    expect(frequency[11025]).toBe(0);
    expect(frequency[22049]).toBe(0);
    expect(frequency[22050]).toBeCloseTo(523.25, 1);
    expect(frequency[44099]).toBeCloseTo(523.25, 1);
    expect(nonZeroFrames(record(engine, 'trig.trigger', 200))).toEqual([]);
  });

  it('loops at the end of the longest track, and releases a note held across the loop point', async () => {
    // One note that never ends within the 1 s file (no note-off): the loop must end it.
    const bytes = writeSmf(1, 480, [[tempo(0, 60)], [{ tick: 240, bytes: [0x90, 60, 100] }]], [480, 480]);
    const { engine } = await playFile(fixture('loop.mid', bytes), true);
    const blocks = Math.ceil((3.2 * 48000) / 128);
    const trigger = record(engine, 'trig.trigger', blocks);
    expect(nonZeroFrames(trigger)).toEqual([24000, 72000, 120000]);
    // Mid-way through the fourth pass, looping turns off: the pass finishes, ends its note, and stops.
    engine.setValue('looping', false);
    const gate = record(engine, 'mono.gate', blocks);
    const held = nonZeroFrames(gate);
    expect(held.length).toBeGreaterThan(0);
    // The recording starts at 153600 (9600 into the pass at 144000): on at 168000, off at 192000.
    expect([held[0], held[held.length - 1], held.length]).toEqual([14400, 38399, 24000]);
  });

  it('reports a missing file without stopping the graph', async () => {
    const { engine, events } = await playFile(join(dir, 'nothing-here.mid'), true);
    record(engine, 'trig.trigger', 2);
    const warning = events.find((e) => e.kind === 'warning');
    expect(warning?.kind === 'warning' && warning.message).toMatch(
      /could not play `.*nothing-here\.mid`: .*no such file/,
    );
    expect(engine.graph.node('player').exports.Error).toMatch(/no such file/);
    expect(engine.renderer.isFaulted('player')).toBe(false);
  });

  it('exports what it plays', async () => {
    const { engine } = await playFile(fixture('exports.mid', tempoChangeFile()), false);
    engine.renderBlock();
    expect(engine.graph.node('player').exports).toMatchObject({
      Duration: 1.5,
      Format: 1,
      Tracks: 2,
      Messages: 8,
    });
  });
});
