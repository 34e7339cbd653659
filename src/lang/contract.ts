// The Synchrolang contract (moved here unchanged from index.ts so that the implementation files can
// import it without an import cycle through index.ts; index.ts re-exports it).

import { SynchrotronError } from '../engine/errors.js';
import type { Graph } from '../engine/graph.js';

/** What a script runs against: the graph to edit plus transport and globals. */
export interface ScriptHost {
  graph: Graph;
  sampleRate: number;
  blockSize: number;
  /** Frames rendered so far ($clock). */
  clock(): number;
  /** Transport; called only after the script's edits have all succeeded. */
  start(): void;
  stop(): void;
  /** Most bytes (as `valueBytes` counts them) one script may build and answer; unlimited when absent. */
  maxResultBytes?: number;
  /**
   * The folder of the patch file the script comes from, relative to the root (a server's start-up patch):
   * file paths written as literal values in it (`new patch "voice.syn"`, `new MidiFileNode(path: "a.mid")`)
   * are relative to that folder, and stored relative to the root. Absent: relative to the root already.
   */
  baseDir?: string;
}

/** One command's result. `value` is the JSON form for the API, `text` the readable form for consoles. */
export interface CommandResult {
  /** The command keyword as written canonically: 'new', 'link', 'unlink', 'remove', 'start', 'stop',
   * 'clear', 'export', 'eval', 'tempo'. */
  command: string;
  kind: 'node' | 'connection' | 'count' | 'value' | 'text' | 'none';
  value: unknown;
  text: string;
  line: number;
  column: number;
}

export interface ExecuteResult {
  results: CommandResult[];
  /** The readable text of all results, one per line (what POST /execute answers). */
  text: string;
}

/** A script error with its 1-based position. */
export class SynchrolangError extends SynchrotronError {
  readonly line: number;
  readonly column: number;
  /** Length of the offending text (for carets / underlines). */
  readonly length: number;
  constructor(
    message: string,
    line: number,
    column: number,
    length = 1,
    details: Record<string, unknown> = {},
  ) {
    super('syntax', `line ${line}, column ${column}: ${message}`, { line, column, length, ...details });
    this.line = line;
    this.column = column;
    this.length = length;
  }
}
