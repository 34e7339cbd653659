// Web MIDI forwarding (src/browser/web-midi.ts) against a stand-in for the browser's MIDIAccess: headless
// Chromium has no MIDI devices, so the devices coming, sending and going are played here.

import { afterEach, describe, expect, it } from 'vitest';
import { WebMidiForwarder } from '../../src/browser/web-midi.js';

interface FakeInput {
  id: string;
  name: string;
  state: 'connected' | 'disconnected';
  onmidimessage: ((event: { data: Uint8Array; timeStamp: number }) => void) | null;
}

function fakeAccess(inputs: FakeInput[]) {
  const access = {
    inputs: new Map<string, FakeInput>(inputs.map((input) => [input.id, input])),
    onstatechange: null as null | (() => void),
  };
  return access;
}

function device(id: string, name: string): FakeInput {
  return { id, name, state: 'connected', onmidimessage: null };
}

const original = Object.getOwnPropertyDescriptor(globalThis, 'navigator');
afterEach(() => {
  if (original) Object.defineProperty(globalThis, 'navigator', original);
  else delete (globalThis as { navigator?: unknown }).navigator;
});

function withMidi(access: ReturnType<typeof fakeAccess> | Error) {
  Object.defineProperty(globalThis, 'navigator', {
    configurable: true,
    value: {
      requestMIDIAccess: async () => {
        if (access instanceof Error) throw access;
        return access;
      },
    },
  });
}

function sink() {
  const sent: Array<{ port: number; data: number[]; time: number; sender: string }> = [];
  const names: string[][] = [];
  return {
    sent,
    names,
    setMidiPorts: (list: string[]) => names.push(list),
    forwardMidi: (port: number, data: number[], time: number, sender: string) =>
      sent.push({ port, data, time, sender }),
  };
}

describe('Web MIDI forwarding', () => {
  it('gives each device a port of its own (1, 2 …) and also feeds the virtual port 0', async () => {
    const keys = device('a', 'Keys');
    const pads = device('b', 'Pads');
    withMidi(fakeAccess([keys, pads]));
    const target = sink();
    const forwarder = new WebMidiForwarder(target, 'Synchrotron virtual');
    expect(await forwarder.enable()).toEqual(['Synchrotron virtual', 'Keys', 'Pads']);
    pads.onmidimessage?.({ data: new Uint8Array([0x90, 60, 100]), timeStamp: 1234.5 });
    expect(target.sent).toEqual([
      { port: 2, data: [0x90, 60, 100], time: 1234.5, sender: 'webmidi:b' },
      { port: 0, data: [0x90, 60, 100], time: 1234.5, sender: 'webmidi:b' },
    ]);
  });

  it('with toVirtualPort false, only the device port; clock and malformed bytes are not forwarded', async () => {
    const keys = device('a', 'Keys');
    withMidi(fakeAccess([keys]));
    const target = sink();
    await new WebMidiForwarder(target, 'v').enable({ toVirtualPort: false });
    keys.onmidimessage?.({ data: new Uint8Array([0xb0, 7, 64]), timeStamp: 1 });
    keys.onmidimessage?.({ data: new Uint8Array([60, 100]), timeStamp: 2 }); // data without a status: dropped
    expect(target.sent).toEqual([{ port: 1, data: [0xb0, 7, 64], time: 1, sender: 'webmidi:a' }]);
  });

  it('keeps port numbers when a device goes and comes back, and numbers a new one after them', async () => {
    const keys = device('a', 'Keys');
    const pads = device('b', 'Pads');
    const access = fakeAccess([keys, pads]);
    withMidi(access);
    const target = sink();
    const forwarder = new WebMidiForwarder(target, 'v');
    await forwarder.enable();
    access.inputs.delete('a');
    access.onstatechange?.();
    expect(target.names.at(-1)).toEqual(['v', 'Keys (disconnected)', 'Pads']);
    const drums = device('c', 'Drums');
    access.inputs.set('c', drums);
    access.inputs.set('a', keys);
    access.onstatechange?.();
    expect(target.names.at(-1)).toEqual(['v', 'Keys', 'Pads', 'Drums']);
    keys.onmidimessage?.({ data: new Uint8Array([0x80, 60, 0]), timeStamp: 5 });
    drums.onmidimessage?.({ data: new Uint8Array([0x99, 36, 127]), timeStamp: 6 });
    expect(target.sent.filter((m) => m.port !== 0).map((m) => m.port)).toEqual([1, 3]);
    forwarder.disable();
    expect(keys.onmidimessage).toBeNull();
    expect(target.names.at(-1)).toEqual([
      'v',
      'Keys (disconnected)',
      'Pads (disconnected)',
      'Drums (disconnected)',
    ]);
  });

  it('says why when the browser has no Web MIDI or refuses it', async () => {
    delete (globalThis as { navigator?: unknown }).navigator;
    Object.defineProperty(globalThis, 'navigator', { configurable: true, value: {} });
    await expect(new WebMidiForwarder(sink(), 'v').enable()).rejects.toThrow(
      /no Web MIDI \(it needs a secure context/,
    );
    withMidi(new Error('Permission denied'));
    await expect(new WebMidiForwarder(sink(), 'v').enable()).rejects.toThrow(
      'Web MIDI was refused: Permission denied',
    );
  });
});
