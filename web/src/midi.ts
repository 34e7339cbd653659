// Notes from this browser to the server's virtual MIDI source (ClientMessage 'midi'), which
// MidiInputNode can read: the on-screen keyboard, the computer keyboard and Web MIDI devices.

import { handleMidi } from './midimap';
import { MIDI_SOURCE, store } from './store';

/** To the server's virtual port, as this page (whose own controllers the server's echo then skips). */
export function sendMidi(data: number[]) {
  return store.send({ type: 'midi', source: MIDI_SOURCE, data, time: performance.now() });
}

export const noteOn = (note: number, velocity = 100) => sendMidi([0x90, note & 0x7f, velocity & 0x7f]);
export const noteOff = (note: number) => sendMidi([0x80, note & 0x7f, 0]);

/** Computer keys → semitones above the octave's C (a piano octave on the home row, black keys above). */
export const KEY_SEMITONES: Record<string, number> = {
  KeyA: 0,
  KeyW: 1,
  KeyS: 2,
  KeyE: 3,
  KeyD: 4,
  KeyF: 5,
  KeyT: 6,
  KeyG: 7,
  KeyY: 8,
  KeyH: 9,
  KeyU: 10,
  KeyJ: 11,
  KeyK: 12,
  KeyO: 13,
  KeyL: 14,
};

export const noteName = (note: number) =>
  `${['C', 'C♯', 'D', 'D♯', 'E', 'F', 'F♯', 'G', 'G♯', 'A', 'A♯', 'B'][note % 12]}${Math.floor(note / 12) - 1}`;

/** Forwards every Web MIDI input of the browser (where the browser allows it); answers the input names. */
export async function forwardWebMidi(onChange: (names: string[]) => void): Promise<() => void> {
  const nav = navigator as Navigator & { requestMIDIAccess?: () => Promise<MIDIAccess> };
  if (!nav.requestMIDIAccess) {
    onChange([]);
    return () => undefined;
  }
  const access = await nav.requestMIDIAccess();
  const attach = () => {
    const names: string[] = [];
    access.inputs.forEach((input) => {
      names.push(input.name ?? input.id);
      input.onmidimessage = (event) => {
        if (!event.data || event.data[0] >= 0xf8) return;
        // Controllers are mapped here (MIDI learn) and still reach the server's virtual port.
        handleMidi(event.data);
        sendMidi([...event.data]);
      };
    });
    onChange(names);
  };
  attach();
  access.onstatechange = attach;
  return () => {
    access.onstatechange = null;
    access.inputs.forEach((input) => {
      input.onmidimessage = null;
    });
  };
}
