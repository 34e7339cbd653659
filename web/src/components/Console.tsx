// The Synchrolang console: highlighted input (src/lang/tokens.ts), history (↑/↓, kept across reloads),
// completion (Tab), and each command's result — or its error with the position marked.

import { Fragment, type KeyboardEvent, useEffect, useLayoutEffect, useRef, useState } from 'react';
import { tokenize } from '../../../src/lang/tokens.js';
import type { ApiError } from '../api';
import { DEMO_SUI } from '../demo';
import { executeScript } from '../edits';
import { type Completion, completeAt } from '../lang';
import { togglePanel } from '../panels';
import { autoLayout, confirmReplace, loadPatch } from '../patch';
import { store, useStore } from '../store';

const HISTORY_KEY = 'synchrotron.consoleHistory';

interface Entry {
  id: number;
  input: string;
  output?: string[];
  error?: { message: string; line?: number; column?: number; length?: number };
  info?: string;
}

export function Highlighted({ text }: { text: string }) {
  const tokens = tokenize(text);
  return (
    <>
      {tokens.map((t) => (
        <span key={t.start} className={`tok-${t.kind}`} title={t.message}>
          {t.text}
        </span>
      ))}
    </>
  );
}

function ErrorMark({ input, error }: { input: string; error: NonNullable<Entry['error']> }) {
  const { line, column } = error;
  if (!line || !column) return <div className="console-error">{error.message}</div>;
  const lines = input.split('\n');
  const text = lines[line - 1] ?? '';
  const length = Math.max(1, Math.min(error.length ?? 1, Math.max(1, text.length - column + 1)));
  return (
    <div className="console-error" data-testid="console-error">
      {lines.length > 1 && <div className="console-error-line">line {line}:</div>}
      <pre className="console-caret">
        <span>{text.slice(0, column - 1)}</span>
        <mark>{text.slice(column - 1, column - 1 + length) || ' '}</mark>
        <span>{text.slice(column - 1 + length)}</span>
      </pre>
      <div>{error.message}</div>
    </div>
  );
}

const HELP = [
  'new SineNode osc · new 440 freq · link freq.out -> osc.frequency · unlink osc · remove osc',
  'start · stop · clear · export · eval $rate · demo (load the demo patch) · layout (auto-arrange)',
  'On the canvas: double-click or N adds a node, right-click for menus, Ctrl+C/V/D copy, paste, duplicate, Space starts/stops.',
  'Enter runs, Shift+Enter adds a line, ↑/↓ history, Tab completes.',
];

export function Console() {
  const [text, setText] = useState('');
  const [entries, setEntries] = useState<Entry[]>([]);
  const [completions, setCompletions] = useState<Completion[]>([]);
  const [choice, setChoice] = useState(0);
  const [busy, setBusy] = useState(false);
  const historyRef = useRef<string[]>(JSON.parse(localStorage.getItem(HISTORY_KEY) ?? '[]'));
  const historyIndex = useRef<number>(-1);
  /** Caret to place once the accepted completion is rendered (in the same commit, not a frame later:
   * a caret set a frame later can land after the user has already selected or typed something else). */
  const pendingCaret = useRef<number | null>(null);
  useLayoutEffect(() => {
    if (pendingCaret.current === null) return;
    input.current?.setSelectionRange(pendingCaret.current, pendingCaret.current);
    pendingCaret.current = null;
  });
  const draft = useRef('');
  const input = useRef<HTMLTextAreaElement>(null);
  const overlay = useRef<HTMLPreElement>(null);
  const output = useRef<HTMLDivElement>(null);
  const nextId = useRef(0);
  const log = useStore((s) => s.log);
  const lastLog = useRef(0);

  // Debug output and faults reported by the server appear in the console too.
  useEffect(() => {
    const fresh = log.filter((l) => l.id > lastLog.current);
    if (!fresh.length) return;
    lastLog.current = fresh[fresh.length - 1].id;
    setEntries((e) => [
      ...e.slice(-300),
      ...fresh.map((l) => ({
        id: nextId.current++,
        input: '',
        info: `${l.kind}${l.node ? ` ${l.node}` : ''}: ${l.text}`,
      })),
    ]);
  }, [log]);

  // biome-ignore lint/correctness/useExhaustiveDependencies: scroll to the end whenever entries change
  useLayoutEffect(() => {
    output.current?.scrollTo({ top: output.current.scrollHeight });
  }, [entries]);

  const push = (entry: Omit<Entry, 'id'>) =>
    setEntries((e) => [...e.slice(-300), { ...entry, id: nextId.current++ }]);

  const refreshCompletions = (value: string, caret: number) => {
    const { nodes, connections, types } = store.state;
    setCompletions(completeAt(value, caret, nodes, connections, types));
    setChoice(0);
  };

  const run = async (script: string) => {
    if (!script.trim()) return;
    const history = historyRef.current;
    if (history[history.length - 1] !== script) history.push(script);
    if (history.length > 200) history.shift();
    localStorage.setItem(HISTORY_KEY, JSON.stringify(history));
    historyIndex.current = -1;
    setText('');
    setCompletions([]);
    const word = script.trim().toLowerCase();
    setBusy(true);
    try {
      if (word === 'help') {
        push({ input: script, output: HELP });
      } else if (word === 'demo') {
        if (!(await confirmReplace('The demo'))) {
          push({ input: script, output: ['Kept the current patch.'] });
          return;
        }
        await loadPatch(DEMO_SUI);
        push({ input: script, output: ['Demo patch loaded: press Start (or Space), then Listen.'] });
      } else if (word === 'layout') {
        autoLayout();
        push({ input: script, output: ['Arranged.'] });
      } else {
        const result = await executeScript(script);
        const lines = result.results.length
          ? result.results.map((r) => r.text).filter((t) => t !== '')
          : result.text
            ? result.text.split('\n')
            : [];
        push({ input: script, output: lines.length ? lines : ['ok'] });
      }
    } catch (error) {
      const e = error as ApiError;
      push({
        input: script,
        error: { message: e.message, line: e.line, column: e.column, length: e.length },
      });
    } finally {
      setBusy(false);
    }
  };

  const accept = (c: Completion) => {
    const next = text.slice(0, c.from) + c.label + text.slice(c.to);
    setText(next);
    setCompletions([]);
    pendingCaret.current = c.from + c.label.length;
  };

  const onKeyDown = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    const el = e.currentTarget;
    if (completions.length) {
      if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
        e.preventDefault();
        const step = e.key === 'ArrowDown' ? 1 : -1;
        setChoice((i) => (i + step + completions.length) % completions.length);
        return;
      }
      if (e.key === 'Tab' || (e.key === 'Enter' && !e.shiftKey)) {
        e.preventDefault();
        accept(completions[choice]);
        return;
      }
      if (e.key === 'Escape') {
        setCompletions([]);
        return;
      }
    }
    if (e.key === 'Tab' || (e.key === ' ' && e.ctrlKey)) {
      e.preventDefault();
      const caret = el.selectionStart ?? text.length;
      const { nodes, connections, types } = store.state;
      const found = completeAt(text, caret, nodes, connections, types);
      if (found.length === 1) accept(found[0]);
      else {
        setCompletions(found);
        setChoice(0);
      }
      return;
    }
    if (e.key === 'Enter' && !e.shiftKey) {
      e.preventDefault();
      void run(text);
      return;
    }
    const history = historyRef.current;
    const caret = el.selectionStart ?? 0;
    if (e.key === 'ArrowUp' && !text.slice(0, caret).includes('\n') && history.length) {
      e.preventDefault();
      if (historyIndex.current === -1) {
        draft.current = text;
        historyIndex.current = history.length;
      }
      historyIndex.current = Math.max(0, historyIndex.current - 1);
      setText(history[historyIndex.current]);
    } else if (e.key === 'ArrowDown' && !text.slice(caret).includes('\n') && historyIndex.current !== -1) {
      e.preventDefault();
      historyIndex.current++;
      if (historyIndex.current >= history.length) {
        historyIndex.current = -1;
        setText(draft.current);
      } else setText(history[historyIndex.current]);
    }
  };

  const lineCount = Math.min(6, text.split('\n').length);
  return (
    // data-busy: a command is still running (tools and tests wait for its answer by it).
    <section className="console panel" aria-label="Console" data-busy={busy || undefined}>
      <button
        type="button"
        className="icon-button dock-hide"
        title="Hide the console and keyboard"
        aria-label="hide the console and keyboard"
        data-testid="hide-dock"
        onClick={() => togglePanel('dock')}
      >
        ⌄
      </button>
      <div className="console-output" ref={output} data-testid="console-output">
        {entries.length === 0 && (
          <div className="console-hint">
            Synchrolang console — try <code>demo</code>, <code>new SineNode osc</code> or <code>help</code>.
          </div>
        )}
        {entries.map((entry) => (
          <div key={entry.id} className="console-entry">
            {entry.info ? (
              <div className="console-info">{entry.info}</div>
            ) : (
              <Fragment>
                <pre className="console-input-echo">
                  <span className="prompt">›</span> <Highlighted text={entry.input} />
                </pre>
                {entry.output?.map((line, i) => (
                  // biome-ignore lint/suspicious/noArrayIndexKey: output lines have no identity
                  <pre key={i} className="console-result">
                    {line}
                  </pre>
                ))}
                {entry.error && <ErrorMark input={entry.input} error={entry.error} />}
              </Fragment>
            )}
          </div>
        ))}
      </div>
      <div className="console-input-wrap">
        <span className="prompt">{busy ? '…' : '›'}</span>
        <div className="console-editor">
          <pre className="console-overlay" ref={overlay} aria-hidden="true">
            <Highlighted text={text} />
            {'\n'}
          </pre>
          <textarea
            ref={input}
            className="console-input"
            aria-label="Synchrolang command"
            data-testid="console-input"
            spellCheck={false}
            autoComplete="off"
            rows={lineCount}
            value={text}
            placeholder="new SineNode osc   (Tab completes, ↑ history)"
            onChange={(e) => {
              setText(e.target.value);
              historyIndex.current = -1;
              if (completions.length) refreshCompletions(e.target.value, e.target.selectionStart ?? 0);
            }}
            onScroll={(e) => {
              if (overlay.current) overlay.current.scrollTop = e.currentTarget.scrollTop;
            }}
            onKeyDown={onKeyDown}
            onBlur={() => setTimeout(() => setCompletions([]), 150)}
          />
          {completions.length > 0 && (
            <ul className="completions" data-testid="completions">
              {completions.slice(0, 12).map((c, i) => (
                <li key={`${c.kind}:${c.label}`} className={i === choice ? 'active' : ''}>
                  <button
                    type="button"
                    tabIndex={-1}
                    onMouseDown={(e) => {
                      e.preventDefault();
                      accept(c);
                    }}
                  >
                    <span className="completion-label">{c.label}</span>
                    {c.detail && <span className="completion-detail">{c.detail}</span>}
                  </button>
                </li>
              ))}
            </ul>
          )}
        </div>
      </div>
    </section>
  );
}
