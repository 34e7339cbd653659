// Regressions found by exploratory testing: bursts larger than a block, broken files, bad bytes over HTTP.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MIDI_BUFFER_CAPACITY } from '../../src/engine/midi.js';
import { MAX_MIDI_FILE_BYTES, parseMidiFile } from '../../src/nodes/midi/smf.js';
import { request, startServer } from '../server/helpers.js';
import { midiEngine, record } from './harness.js';
import { writeSmf } from './smf-writer.js';

const dir = mkdtempSync(join(tmpdir(), 'synchrotron-midi-edge-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('bursts larger than one block', () => {
  it('keeps the overflow of the virtual port for the next blocks, so a note-off after 1000 CCs still ends the note', () => {
    const { engine, midi } = midiEngine({ sampleRate: 48000, blockSize: 128 });
    engine.add('MidiInputNode', 'keys');
    engine.add('MonophonicRenderNode', 'mono');
    engine.add('PolyphonicNode', 'poly');
    engine.link('keys.out', 'mono.midi');
    engine.link('keys.out', 'poly.midi');
    record(engine, 'mono.gate', 1); // opens the virtual port
    midi.virtualMidi.push([0x90, 60, 100]);
    const controls: number[] = [];
    for (let i = 0; i < 1000; i++) controls.push(0xb0, 1, i % 128);
    for (let at = 0; at < controls.length; at += 1020) midi.virtualMidi.push(controls.slice(at, at + 1020));
    midi.virtualMidi.push([0x80, 60, 0]);
    const gate = record(engine, 'mono.gate', 4);
    expect(gate[0]).toBe(1); // the note sounded
    expect(gate[gate.length - 1]).toBe(0); // and its note-off, 1001 messages later, arrived
    expect(record(engine, 'poly.gate1', 1)[0]).toBe(0);
  });

  it('plays a file with more messages at one moment than a block carries, without losing note-offs', async () => {
    // 300 notes (channels 0…15 × notes) struck and released at tick 0: 600 messages at frame 0.
    const notes: Array<{ tick: number; bytes: number[] }> = [];
    for (let i = 0; i < 300; i++) notes.push({ tick: 0, bytes: [0x90 | (i % 16), 30 + (i >> 4), 100] });
    for (let i = 0; i < 300; i++) notes.push({ tick: 0, bytes: [0x80 | (i % 16), 30 + (i >> 4), 0] });
    expect(notes.length).toBeGreaterThan(MIDI_BUFFER_CAPACITY);
    writeFileSync(join(dir, 'dense.mid'), writeSmf(0, 480, [notes], [4800]));
    const { engine } = midiEngine({ root: dir });
    engine.addValue('dense.mid', 'file');
    engine.add('MidiFileNode', 'player');
    engine.add('MonophonicRenderNode', 'mono');
    engine.link('file.out', 'player.path');
    engine.link('player.out', 'mono.midi');
    await engine.ready();
    const gate = record(engine, 'mono.gate', 3);
    expect(gate[gate.length - 1]).toBe(0);
  });
});

describe('broken MIDI files', () => {
  it('refuses an SMPTE division of 0 ticks per frame instead of timing every message at NaN', () => {
    const file = writeSmf(0, 480, [[{ tick: 0, bytes: [0x90, 60, 100] }]]);
    file[12] = 0xe8; // -24 frames per second
    file[13] = 0; // 0 ticks per frame
    expect(() => parseMidiFile(file)).toThrow(/SMPTE time division 0xe800 has 0 ticks per frame/);
  });

  it('refuses a file too large to parse between blocks, saying how large it is', () => {
    const huge = new Uint8Array(MAX_MIDI_FILE_BYTES + 1);
    huge.set([0x4d, 0x54, 0x68, 0x64]);
    expect(() => parseMidiFile(huge)).toThrow(/has 4194305 bytes; at most 4194304/);
  });

  it('reports a garbage file on the node and keeps rendering silence', async () => {
    writeFileSync(join(dir, 'garbage.mid'), 'this is not a MIDI file at all');
    const { engine, events } = midiEngine({ root: dir });
    engine.addValue('garbage.mid', 'file');
    engine.add('MidiFileNode', 'player');
    engine.add('MonophonicRenderNode', 'mono');
    engine.link('file.out', 'player.path');
    engine.link('player.out', 'mono.midi');
    await engine.ready();
    const frequency = record(engine, 'mono.frequency', 4);
    expect(frequency.every((x) => x === 0)).toBe(true);
    expect(JSON.stringify(events)).toContain('does not start with \\"MThd\\"');
  });
});

describe('POST /midi', () => {
  it('refuses bytes that are not MIDI with 422 and where, instead of answering 200 and dropping them', async () => {
    const server = await startServer();
    try {
      const dataFirst = await request(server, 'POST', '/midi', { data: [60, 100] });
      expect(dataFirst.status).toBe(422);
      expect(dataFirst.body).toMatchObject({
        code: 'invalid',
        detail: 'body/data: MIDI byte 0 (60) is data where a status byte was expected',
      });
      const cutOff = await request(server, 'POST', '/midi', [{ data: [0x90, 60, 1] }, { data: [0x90, 60] }]);
      expect(cutOff.status).toBe(422);
      expect((cutOff.body as { detail: string }).detail).toMatch(/^body\/1\/data: MIDI message 0x90/);
      const dataTooHigh = await request(server, 'POST', '/midi', { data: [0x90, 200, 1] });
      expect((dataTooHigh.body as { detail: string }).detail).toMatch(/data bytes must be 0…127/);
      // SysEx, running status, velocity-0 note-off and real-time bytes are all fine.
      const fine = await request(server, 'POST', '/midi', {
        data: [0xf0, 1, 2, 0xf7, 0x90, 60, 100, 62, 0, 0xf8, 0xe0, 0, 64, 0xb0, 123, 0],
      });
      expect(fine.status).toBe(200);
    } finally {
      await server.close();
    }
  });
});
