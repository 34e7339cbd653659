// A number as a slider bar (role="slider"): drag sideways, turn the wheel, or use the arrow keys; Shift
// moves ten times finer; double-click (or Enter) to type a value, applied on Enter or when the field
// loses focus. While MIDI learn is on, a click arms the control for the next controller that moves.

import { type KeyboardEvent, type PointerEvent, useEffect, useRef, useState } from 'react';
import { type ControlRange, formatControl, fromPosition, tidy, toPosition } from '../controls';
import { readValue } from '../lang';
import { learnTarget, setLearnTarget, useLearning } from '../midimap';

export interface ValueControlProps {
  /** What the control changes, for assistive technology and MIDI learn (e.g. `freq`, `sine.frequency`). */
  id: string;
  label: string;
  value: number;
  range: ControlRange;
  /**
   * Every change while dragging (`done` false) and the last one (`done` true: one undo step ends). The
   * control shows a committed value until the returned promise settles, by when `value` carries it.
   */
  onChange(value: number, done: boolean): Promise<unknown>;
  /** MIDI learn maps a controller to this control (the caller knows what to map). */
  onLearn?(range: ControlRange): void;
  /** Short text shown while no value has been set (an unlinked input at its default). */
  ghost?: boolean;
  testId?: string;
}

export function ValueControl({
  id,
  label,
  value,
  range,
  onChange,
  onLearn,
  ghost,
  testId,
}: ValueControlProps) {
  const [local, setLocal] = useState<number | null>(null);
  const [typing, setTyping] = useState<string | null>(null);
  const [typingError, setTypingError] = useState<string | null>(null);
  const drag = useRef<{ x: number; position: number; width: number; moved: boolean; fine: boolean } | null>(
    null,
  );
  const bar = useRef<HTMLDivElement>(null);
  // Counts changes, so a commit that settles late does not hide a newer gesture's value.
  const changes = useRef(0);
  const learning = useLearning();
  const armed = learning && learnTarget() === id;
  const shown = local ?? value;
  const position = toPosition(range, shown);

  // A finished gesture's value stays shown until the store has it: showing `value` at once would flick
  // back to the old one for a round trip, and a key pressed meanwhile would step from there.
  const commit = (next: number) => {
    const change = ++changes.current;
    setLocal(next);
    const release = () => {
      if (changes.current === change) setLocal(null);
    };
    onChange(next, true).then(release, release);
  };

  const set = (next: number, done: boolean) => {
    const clamped = tidy(range, Math.min(range.max, Math.max(range.min, next)));
    if (done) return commit(clamped);
    changes.current++;
    setLocal(clamped);
    void onChange(clamped, false);
  };

  // One wheel notch moves 1 % of the travel (0.1 % with Shift). A native listener: React's is passive,
  // and the page must not scroll or zoom while a control turns.
  const wheelState = useRef({ range, shown, set });
  wheelState.current = { range, shown, set };
  /** The wheel turn not yet committed: its timer and the value it commits. */
  const wheelTurn = useRef<{ timer: ReturnType<typeof setTimeout>; value: number } | null>(null);
  const showingBar = typing === null;
  // biome-ignore lint/correctness/useExhaustiveDependencies: the bar is a new element after typing in the field that replaced it; listen on that one
  useEffect(() => {
    const el = bar.current;
    if (!el) return;
    // A turn is committed 400 ms after its last notch, or at once when the pointer leaves the control, so
    // that an Undo clicked within those 400 ms undoes it instead of being overtaken by it.
    const endTurn = () => {
      const turn = wheelTurn.current;
      if (!turn) return;
      clearTimeout(turn.timer);
      wheelTurn.current = null;
      wheelState.current.set(turn.value, true);
    };
    const wheel = (e: WheelEvent) => {
      e.preventDefault();
      const { range: r, shown: v, set: change } = wheelState.current;
      const step = (e.shiftKey ? 0.001 : 0.01) * (e.deltaY < 0 || e.deltaX < 0 ? 1 : -1);
      const next = fromPosition(r, toPosition(r, v) + step);
      change(next, false);
      if (wheelTurn.current) clearTimeout(wheelTurn.current.timer);
      wheelTurn.current = { timer: setTimeout(endTurn, 400), value: next };
    };
    el.addEventListener('wheel', wheel, { passive: false });
    el.addEventListener('pointerleave', endTurn);
    return () => {
      el.removeEventListener('wheel', wheel);
      el.removeEventListener('pointerleave', endTurn);
    };
  }, [showingBar]);

  const onPointerDown = (e: PointerEvent<HTMLDivElement>) => {
    if (e.button !== 0) return;
    if (learning) {
      e.stopPropagation();
      setLearnTarget(armed ? null : id);
      onLearn?.(range);
      return;
    }
    e.currentTarget.setPointerCapture(e.pointerId);
    const width = e.currentTarget.getBoundingClientRect().width || 100;
    drag.current = { x: e.clientX, position, width, moved: false, fine: e.shiftKey };
  };
  const onPointerMove = (e: PointerEvent<HTMLDivElement>) => {
    const d = drag.current;
    if (!d) return;
    // Shift pressed or released mid-drag re-anchors, so the value does not jump.
    if (e.shiftKey !== d.fine) {
      d.position = toPosition(range, local ?? value);
      d.x = e.clientX;
      d.fine = e.shiftKey;
    }
    const dx = e.clientX - d.x;
    if (!d.moved && Math.abs(dx) < 2) return;
    d.moved = true;
    set(fromPosition(range, d.position + (dx / d.width) * (e.shiftKey ? 0.1 : 1)), false);
  };
  const onPointerUp = () => {
    const d = drag.current;
    drag.current = null;
    if (d?.moved && local !== null) set(local, true);
    else setLocal(null);
  };

  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    const fine = e.shiftKey ? 0.001 : 0.01;
    let next: number | null = null;
    if (e.key === 'ArrowUp' || e.key === 'ArrowRight') next = fromPosition(range, position + fine);
    else if (e.key === 'ArrowDown' || e.key === 'ArrowLeft') next = fromPosition(range, position - fine);
    else if (e.key === 'PageUp') next = fromPosition(range, position + 0.1);
    else if (e.key === 'PageDown') next = fromPosition(range, position - 0.1);
    else if (e.key === 'Home') next = range.min;
    else if (e.key === 'End') next = range.max;
    else if (e.key === 'Enter') {
      e.preventDefault();
      e.stopPropagation();
      startTyping();
      return;
    } else return;
    e.preventDefault();
    e.stopPropagation();
    // Each key press is its own small step, but held keys merge into one undo step until released.
    if (next !== null) set(next, false);
  };

  const startTyping = () => {
    setTyping(String(shown));
    setTypingError(null);
  };

  const applyTyped = (text: string) => {
    const read = readValue(text);
    if (!read.ok || typeof read.value !== 'number') {
      setTypingError(read.ok ? 'a number' : read.error);
      return false;
    }
    setTyping(null);
    setTypingError(null);
    // Typed values may leave the drawn range (the range only shapes the drag).
    commit(read.value);
    return true;
  };

  if (typing !== null) {
    return (
      <input
        className={`value-control-input nodrag nowheel${typingError ? ' invalid' : ''}`}
        // biome-ignore lint/a11y/noAutofocus: opened by a double-click or Enter to type right away
        autoFocus
        aria-label={`${label}: type a value`}
        data-testid={testId ? `${testId}-input` : undefined}
        value={typing}
        title={typingError ?? 'Enter applies, Escape cancels'}
        spellCheck={false}
        onFocus={(e) => e.currentTarget.select()}
        onChange={(e) => {
          setTyping(e.target.value);
          setTypingError(null);
        }}
        onBlur={(e) => {
          if (!applyTyped(e.currentTarget.value)) setTyping(null);
        }}
        onKeyDown={(e) => {
          e.stopPropagation();
          if (e.key === 'Enter') applyTyped(e.currentTarget.value);
          if (e.key === 'Escape') {
            setTyping(null);
            setTypingError(null);
          }
        }}
      />
    );
  }

  return (
    <div
      ref={bar}
      role="slider"
      tabIndex={0}
      aria-label={label}
      aria-valuemin={range.min}
      aria-valuemax={range.max}
      aria-valuenow={shown}
      aria-valuetext={formatControl(shown, range.unit)}
      data-testid={testId}
      data-control={id}
      title={`${label}: ${formatControl(shown, range.unit)} — drag or wheel (Shift: fine), double-click to type`}
      className={`value-control nodrag nowheel${ghost ? ' ghost' : ''}${armed ? ' armed' : ''}${learning ? ' learn' : ''}`}
      onPointerDown={onPointerDown}
      onPointerMove={onPointerMove}
      onPointerUp={onPointerUp}
      onPointerCancel={onPointerUp}
      onKeyDown={onKeyDown}
      onKeyUp={(e) => {
        if (local !== null && !drag.current && !['Shift', 'Enter'].includes(e.key)) set(local, true);
      }}
      onDoubleClick={(e) => {
        e.stopPropagation();
        if (!learning) startTyping();
      }}
    >
      <div className="value-control-fill" style={{ width: `${Math.max(0, Math.min(1, position)) * 100}%` }} />
      <span className="value-control-text">{formatControl(shown, range.unit)}</span>
    </div>
  );
}
