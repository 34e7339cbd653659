// An on-screen piano and the computer keyboard as notes (A W S E D F T G Y H U J K = one octave from C;
// Z/X shift the octave), sent as MIDI to the server; Web MIDI devices are forwarded too.

import { useEffect, useRef, useState } from 'react';
import { forwardWebMidi, KEY_SEMITONES, noteName, noteOff, noteOn } from '../midi';
import { togglePanel } from '../panels';

const WHITE = [0, 2, 4, 5, 7, 9, 11];
const BLACK_AFTER: Record<number, number> = { 0: 1, 2: 3, 5: 6, 7: 8, 9: 10 };
const KEY_LABELS: Record<number, string> = Object.fromEntries(
  Object.entries(KEY_SEMITONES).map(([code, semi]) => [semi, code.slice(3)]),
);

function isTyping(target: EventTarget | null) {
  const el = target as HTMLElement | null;
  return !!el && (el.tagName === 'INPUT' || el.tagName === 'TEXTAREA' || el.isContentEditable);
}

export function Keyboard() {
  const [octave, setOctave] = useState(4);
  const [velocity, setVelocity] = useState(100);
  const [held, setHeld] = useState<Set<number>>(new Set());
  const [devices, setDevices] = useState<string[] | null>(null);
  const heldByKey = useRef(new Map<string, number>());
  const pointerNote = useRef<number | null>(null);
  const base = (octave + 1) * 12; // MIDI note of this octave's C (C4 = 60)

  const press = (note: number) => {
    noteOn(note, velocity);
    setHeld((h) => new Set(h).add(note));
  };
  const release = (note: number) => {
    noteOff(note);
    setHeld((h) => {
      const next = new Set(h);
      next.delete(note);
      return next;
    });
  };

  useEffect(() => {
    const down = (e: KeyboardEvent) => {
      if (isTyping(e.target) || e.ctrlKey || e.metaKey || e.altKey || e.repeat) return;
      if (e.code === 'KeyZ') return setOctave((o) => Math.max(0, o - 1));
      if (e.code === 'KeyX') return setOctave((o) => Math.min(8, o + 1));
      const semitone = KEY_SEMITONES[e.code];
      if (semitone === undefined || heldByKey.current.has(e.code)) return;
      const note = base + semitone;
      heldByKey.current.set(e.code, note);
      press(note);
    };
    const up = (e: KeyboardEvent) => {
      const note = heldByKey.current.get(e.code);
      if (note === undefined) return;
      heldByKey.current.delete(e.code);
      release(note);
    };
    const blur = () => {
      for (const note of heldByKey.current.values()) release(note);
      heldByKey.current.clear();
    };
    window.addEventListener('keydown', down);
    window.addEventListener('keyup', up);
    window.addEventListener('blur', blur);
    return () => {
      window.removeEventListener('keydown', down);
      window.removeEventListener('keyup', up);
      window.removeEventListener('blur', blur);
    };
  });

  const connectMidi = () => {
    forwardWebMidi(setDevices).catch(() => setDevices([]));
  };

  const keys: Array<{ note: number; black: boolean; left: number }> = [];
  for (let o = 0; o < 2; o++) {
    WHITE.forEach((semi, i) => {
      const white = o * 7 + i;
      keys.push({ note: base + o * 12 + semi, black: false, left: white });
      const black = BLACK_AFTER[semi];
      if (black !== undefined) keys.push({ note: base + o * 12 + black, black: true, left: white + 0.68 });
    });
  }
  keys.push({ note: base + 24, black: false, left: 14 });

  return (
    <section className="keyboard panel" aria-label="Keyboard">
      <div className="keyboard-bar">
        <span className="section-title">Keys</span>
        <button
          type="button"
          className="small"
          onClick={() => setOctave((o) => Math.max(0, o - 1))}
          title="Octave down (Z)"
        >
          −
        </button>
        <span className="octave" data-testid="octave">
          {noteName(base)}
        </span>
        <button
          type="button"
          className="small"
          onClick={() => setOctave((o) => Math.min(8, o + 1))}
          title="Octave up (X)"
        >
          +
        </button>
        <label className="velocity" title="Velocity">
          vel
          <input
            type="range"
            min={1}
            max={127}
            value={velocity}
            onChange={(e) => setVelocity(Number(e.target.value))}
          />
        </label>
        <button
          type="button"
          className="small"
          onClick={connectMidi}
          data-testid="web-midi"
          title={
            devices?.length ? `Forwarding: ${devices.join(', ')}` : 'Forward this browser’s MIDI devices'
          }
        >
          {devices === null ? 'Web MIDI' : devices.length ? `MIDI: ${devices.length}` : 'no MIDI'}
        </button>
        <button
          type="button"
          className="icon-button"
          title="Hide the keyboard"
          aria-label="hide the keyboard"
          data-testid="hide-keys"
          onClick={() => togglePanel('keys')}
        >
          ›
        </button>
      </div>
      <div
        className="piano"
        data-testid="piano"
        onPointerLeave={() => pointerNote.current !== null && release(pointerNote.current)}
      >
        {keys.map((k) => (
          <button
            type="button"
            key={k.note}
            tabIndex={-1}
            className={`piano-key ${k.black ? 'black' : 'white'}${held.has(k.note) ? ' down' : ''}`}
            style={{ left: `${(k.left / 15) * 100}%` }}
            data-note={k.note}
            title={noteName(k.note)}
            onPointerDown={(e) => {
              e.currentTarget.releasePointerCapture(e.pointerId);
              pointerNote.current = k.note;
              press(k.note);
            }}
            onPointerUp={() => {
              if (pointerNote.current !== null) release(pointerNote.current);
              pointerNote.current = null;
            }}
            onPointerEnter={(e) => {
              if (e.buttons !== 1 || pointerNote.current === k.note) return;
              if (pointerNote.current !== null) release(pointerNote.current);
              pointerNote.current = k.note;
              press(k.note);
            }}
          >
            <span className="key-label">{KEY_LABELS[k.note - base] ?? ''}</span>
          </button>
        ))}
      </div>
    </section>
  );
}
