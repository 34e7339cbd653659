// A DataNode's value, edited in place: every keystroke that makes a valid literal is sent at once
// (PUT /nodes/{name}/value), so the sound follows the typing. Arrow keys nudge the number at the caret
// (Shift ×10, Alt ×0.1). One focus = one undo step.

import { useEffect, useRef, useState } from 'react';
import { setValue } from '../edits';
import { history } from '../history';
import { formatLiteral, nudgeNumberAt, parseLiteral } from '../values';

export function ValueField({ name, value }: { name: string; value: unknown }) {
  const [text, setText] = useState(() => formatLiteral(value));
  const [error, setError] = useState<string | null>(null);
  const focused = useRef(false);
  const before = useRef<unknown>(value);
  // Sends are serialised and coalesced: only the newest text is sent after a slow answer.
  const inFlight = useRef(false);
  const pending = useRef<{ value: unknown } | null>(null);
  const lastSent = useRef<string>(formatLiteral(value));

  useEffect(() => {
    if (!focused.current) {
      setText(formatLiteral(value));
      lastSent.current = formatLiteral(value);
    }
  }, [value]);

  const flush = async () => {
    if (inFlight.current) return;
    while (pending.current) {
      const next = pending.current;
      pending.current = null;
      inFlight.current = true;
      try {
        await setValue(name, before.current, next.value);
      } catch {
        // reported by setValue
      } finally {
        inFlight.current = false;
      }
    }
  };

  const change = (next: string) => {
    setText(next);
    const parsed = parseLiteral(next);
    if (!parsed.ok) {
      setError(parsed.error);
      return;
    }
    setError(null);
    const literal = formatLiteral(parsed.value);
    if (literal === lastSent.current) return;
    lastSent.current = literal;
    pending.current = { value: parsed.value };
    void flush();
  };

  const lines = text.length > 28 || text.includes('\n');
  const Field = lines ? 'textarea' : 'input';
  return (
    <div className="value-field">
      <Field
        className={`value-input nodrag nowheel${error ? ' invalid' : ''}`}
        aria-label={`value of ${name}`}
        data-testid={`value-${name}`}
        spellCheck={false}
        value={text}
        rows={lines ? Math.min(3, Math.ceil(text.length / 28)) : undefined}
        title={error ?? 'A number, "string", true/false, null or [array]. ↑/↓ nudge numbers.'}
        onFocus={() => {
          focused.current = true;
          before.current = value;
          history.seal();
        }}
        onBlur={() => {
          focused.current = false;
          history.seal();
          if (error) {
            setText(formatLiteral(value));
            setError(null);
          }
        }}
        onChange={(e) => change(e.target.value)}
        onKeyDown={(e) => {
          e.stopPropagation();
          if (e.key === 'Enter' && !e.shiftKey) {
            e.preventDefault();
            (e.target as HTMLElement).blur();
          }
          if (e.key === 'Escape') {
            change(formatLiteral(before.current));
            (e.target as HTMLElement).blur();
          }
          if ((e.key === 'ArrowUp' || e.key === 'ArrowDown') && !lines) {
            const el = e.target as HTMLInputElement;
            const step = (e.shiftKey ? 10 : e.altKey ? 0.1 : 1) * (e.key === 'ArrowUp' ? 1 : -1);
            const nudged = nudgeNumberAt(text, el.selectionStart ?? text.length, step);
            if (nudged) {
              e.preventDefault();
              change(nudged.text);
              requestAnimationFrame(() => el.setSelectionRange(nudged.caret, nudged.caret));
            }
          }
        }}
      />
      {error && <div className="value-error">{error}</div>}
    </div>
  );
}
