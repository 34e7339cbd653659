// A value node's value as text (strings, arrays, booleans, null — numbers get a slider), edited in place
// and applied on Enter or when the field loses focus, never per keystroke: deleting "440" to type "220"
// must not play 44 Hz, then 4 Hz, on the way. The language's own parser reads it. ↑/↓ nudge the number
// at the caret (Shift ×10, Alt ×0.1) and apply at once; Escape puts the value back.

import { useEffect, useRef, useState } from 'react';
import { setValue } from '../edits';
import { history } from '../history';
import { literal, nudgeNumberAt, readValue } from '../lang';

export function ValueField({ name, value }: { name: string; value: unknown }) {
  const [text, setText] = useState(() => literal(value));
  const [error, setError] = useState<string | null>(null);
  const focused = useRef(false);
  const before = useRef<unknown>(value);
  const cancelled = useRef(false);

  useEffect(() => {
    if (!focused.current) setText(literal(value));
  }, [value]);

  /** Sends the text if it reads as a value and differs from the node's; answers whether it was valid. */
  const apply = (next: string) => {
    const read = readValue(next);
    if (!read.ok) {
      setError(`column ${read.column}: ${read.error}`);
      return false;
    }
    setError(null);
    if (literal(read.value) !== literal(value))
      setValue(name, before.current, read.value).catch(() => undefined);
    return true;
  };

  const lines = text.length > 28 || text.includes('\n');
  const Field = lines ? 'textarea' : 'input';
  return (
    <div className="value-field">
      <Field
        className={`value-input nodrag nowheel${error ? ' invalid' : ''}`}
        aria-label={`value of ${name}`}
        aria-invalid={!!error}
        data-testid={`value-${name}`}
        spellCheck={false}
        value={text}
        rows={lines ? Math.min(3, Math.ceil(text.length / 16)) : undefined}
        // As wide as its text (within limits), so layouts can tell a node's size from its value.
        style={{ width: `${Math.min(16, Math.max(6, text.length + 1)) + 1.2}ch` }}
        title={error ?? 'A number, "string", true/false, null or [array]. Enter applies; ↑/↓ nudge numbers.'}
        onFocus={() => {
          focused.current = true;
          before.current = value;
          history.seal();
        }}
        onBlur={(e) => {
          focused.current = false;
          if (cancelled.current) {
            cancelled.current = false;
            return;
          }
          // A mistake left in the field is not applied: the node keeps its value and the field shows it.
          if (!apply(e.currentTarget.value)) {
            setText(literal(value));
            setError(null);
          }
          history.seal();
        }}
        onChange={(e) => {
          setText(e.target.value);
          if (error) setError(null);
        }}
        onKeyDown={(e) => {
          e.stopPropagation();
          if (e.key === 'Enter' && !e.shiftKey) {
            e.preventDefault();
            if (apply(text)) (e.target as HTMLElement).blur();
          }
          if (e.key === 'Escape') {
            setText(literal(before.current));
            setError(null);
            cancelled.current = true;
            (e.target as HTMLElement).blur();
          }
          if ((e.key === 'ArrowUp' || e.key === 'ArrowDown') && !lines) {
            const el = e.target as HTMLInputElement;
            const step = (e.shiftKey ? 10 : e.altKey ? 0.1 : 1) * (e.key === 'ArrowUp' ? 1 : -1);
            const nudged = nudgeNumberAt(text, el.selectionStart ?? text.length, step);
            if (nudged) {
              e.preventDefault();
              setText(nudged.text);
              apply(nudged.text);
              requestAnimationFrame(() => el.setSelectionRange(nudged.caret, nudged.caret));
            }
          }
        }}
      />
      {error && (
        <div className="value-error" role="alert">
          {error}
        </div>
      )}
    </div>
  );
}
