// In-page questions (a confirm before replacing unsaved work, a file name for Save as): a promise the
// caller awaits, answered by the Dialogs component. Not window.confirm, which blocks the page and its
// meters, and cannot be styled or tested like the rest of the editor.

import { useSyncExternalStore } from 'react';

export interface Question {
  id: number;
  title: string;
  message: string;
  confirm: string;
  cancel: string;
  /** When set, the dialog asks for a line of text, starting with this. */
  text?: string;
  /** Checks the text; an error message keeps the dialog open. */
  check?: (text: string) => string | null;
  /** Extra choices shown beside confirm (e.g. the file format). */
  choices?: string[];
  choice?: string;
  answer(result: { ok: boolean; text?: string; choice?: string }): void;
}

let current: Question | null = null;
let nextId = 0;
const listeners = new Set<() => void>();
const changed = () => {
  for (const listener of listeners) listener();
};

function open(
  question: Omit<Question, 'id' | 'answer'>,
): Promise<{ ok: boolean; text?: string; choice?: string }> {
  // A question already open is answered "no" first: one dialog at a time.
  current?.answer({ ok: false });
  return new Promise((resolve) => {
    const id = ++nextId;
    current = {
      ...question,
      id,
      answer: (result) => {
        if (current?.id === id) {
          current = null;
          changed();
        }
        resolve(result);
      },
    };
    changed();
  });
}

/** Asks a yes/no question; true when confirmed. */
export async function ask(title: string, message: string, confirm = 'Replace', cancel = 'Cancel') {
  return (await open({ title, message, confirm, cancel })).ok;
}

/** Asks for a line of text (and optionally one of `choices`); null when cancelled. */
export async function askText(
  title: string,
  message: string,
  text: string,
  options: {
    confirm?: string;
    check?: (text: string) => string | null;
    choices?: string[];
    choice?: string;
  } = {},
): Promise<{ text: string; choice?: string } | null> {
  const result = await open({
    title,
    message,
    confirm: options.confirm ?? 'OK',
    cancel: 'Cancel',
    text,
    check: options.check,
    choices: options.choices,
    choice: options.choice,
  });
  return result.ok ? { text: result.text ?? '', choice: result.choice } : null;
}

export function useQuestion(): Question | null {
  return useSyncExternalStore(
    (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    () => current,
  );
}
