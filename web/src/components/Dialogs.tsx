// The one open question (see dialog.ts), as a modal: Enter confirms, Escape cancels, focus stays inside.

import { useEffect, useRef, useState } from 'react';
import { useQuestion } from '../dialog';

export function Dialogs() {
  const question = useQuestion();
  const [text, setText] = useState('');
  const [choice, setChoice] = useState<string | undefined>(undefined);
  const [error, setError] = useState<string | null>(null);
  const confirmRef = useRef<HTMLButtonElement>(null);
  const inputRef = useRef<HTMLInputElement>(null);

  useEffect(() => {
    if (!question) return;
    setText(question.text ?? '');
    setChoice(question.choice);
    setError(null);
    requestAnimationFrame(() => {
      if (question.text !== undefined) {
        inputRef.current?.focus();
        inputRef.current?.select();
      } else confirmRef.current?.focus();
    });
  }, [question]);

  if (!question) return null;
  const confirm = () => {
    if (question.text !== undefined && question.check) {
      const problem = question.check(text);
      if (problem) {
        setError(problem);
        return;
      }
    }
    question.answer({ ok: true, text, choice });
  };
  const cancel = () => question.answer({ ok: false });

  return (
    // biome-ignore lint/a11y/noStaticElementInteractions: the backdrop; Escape and the buttons carry the keyboard
    <div
      className="dialog-backdrop"
      onMouseDown={(e) => {
        if (e.target === e.currentTarget) cancel();
      }}
      onKeyDown={(e) => {
        e.stopPropagation();
        if (e.key === 'Escape') cancel();
        if (e.key === 'Enter' && (e.target as HTMLElement).tagName !== 'BUTTON') {
          e.preventDefault();
          confirm();
        }
      }}
    >
      <div
        className="dialog"
        role="alertdialog"
        aria-modal="true"
        aria-labelledby="dialog-title"
        aria-describedby="dialog-message"
        data-testid="dialog"
      >
        <h2 id="dialog-title">{question.title}</h2>
        <p id="dialog-message">{question.message}</p>
        {question.text !== undefined && (
          <input
            ref={inputRef}
            className="dialog-input"
            aria-label={question.title}
            data-testid="dialog-input"
            value={text}
            spellCheck={false}
            onChange={(e) => {
              setText(e.target.value);
              setError(null);
            }}
          />
        )}
        {question.choices && (
          <div className="dialog-choices" role="radiogroup" aria-label="format">
            {question.choices.map((c) => (
              <label key={c}>
                <input
                  type="radio"
                  name="dialog-choice"
                  checked={choice === c}
                  onChange={() => setChoice(c)}
                />
                {c}
              </label>
            ))}
          </div>
        )}
        {error && (
          <p className="dialog-error" role="alert">
            {error}
          </p>
        )}
        <div className="dialog-buttons">
          <button type="button" onClick={cancel} data-testid="dialog-cancel">
            {question.cancel}
          </button>
          <button
            type="button"
            className="primary"
            ref={confirmRef}
            onClick={confirm}
            data-testid="dialog-confirm"
          >
            {question.confirm}
          </button>
        </div>
      </div>
    </div>
  );
}
