// Persistent input history: $SYNCHROTRON_HISTORY, else $XDG_STATE_HOME/synchrotron/history when
// XDG_STATE_HOME is set, else ~/.synchrotron_history.

import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

export const HISTORY_SIZE = 1000;

export function historyPath(env: NodeJS.ProcessEnv = process.env): string {
  if (env.SYNCHROTRON_HISTORY) return env.SYNCHROTRON_HISTORY;
  if (env.XDG_STATE_HOME) return join(env.XDG_STATE_HOME, 'synchrotron', 'history');
  return join(homedir(), '.synchrotron_history');
}

/** Saved lines, newest first (as readline wants them). Missing or unreadable file: none. */
export function loadHistory(path: string): string[] {
  try {
    const lines = readFileSync(path, 'utf8')
      .split('\n')
      .filter((line) => line.trim() !== '');
    return lines.slice(-HISTORY_SIZE).reverse();
  } catch {
    return [];
  }
}

/** Appends one line; trims the file now and then so it never grows without bound. Failures are ignored. */
export function saveHistoryLine(path: string, line: string): void {
  if (line.trim() === '') return;
  try {
    mkdirSync(dirname(path), { recursive: true });
    appendFileSync(path, `${line.replace(/\n/g, ' ')}\n`, { mode: 0o600 });
    if (Math.random() < 0.05) {
      const lines = readFileSync(path, 'utf8').split('\n').filter(Boolean);
      if (lines.length > HISTORY_SIZE) writeFileSync(path, `${lines.slice(-HISTORY_SIZE).join('\n')}\n`);
    }
  } catch {
    // history is a convenience: a read-only home must not stop the console
  }
}
