// `serve --session FILE`: the graph, its values, the node positions and the transport, kept in FILE and
// restored from it at the next start. FILE is a .sui patch (the script, with a header comment holding the
// positions and the session's state), so it also opens as a patch anywhere.
//
// - Saved within a second of every change (graph, values, positions, transport), atomically: written to a
//   temporary file beside it, flushed to the disk, then renamed over it. A kill -9 loses at most the edits
//   of the last moment; the file is always a whole session, old or new.
// - `open: true` in the header while a server runs with it; a clean shutdown saves `open: false`. Finding
//   `open: true` at start means the last server did not exit cleanly (a crash, kill -9, power loss): the
//   graph is restored *stopped*, and status says why — a patch that brought the server down must not do
//   it again as soon as it starts. While a server rebuilds the graph, a marker file (`FILE.restoring`)
//   says so; finding it at start means restoring killed the last server: the session is not restored a
//   second time but kept aside, and the server starts empty, saying where it is.
// - A PATCH given too wins: the server starts from PATCH, and the session it replaces is kept beside it
//   (`session.previous.sui`), as with `--fresh` (an empty graph).

import { constants, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { copyFile, open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, extname, join, resolve } from 'node:path';
import type { Position } from './positions.js';

export const SESSION_VERSION = 1;

/** The session's state, in the .sui header beside the positions. */
export interface SessionState {
  version: number;
  /** Rendering when saved. */
  running: boolean;
  /** A server runs with this file now (false once it shut down cleanly). */
  open: boolean;
  /** The process that saved it. */
  pid: number;
  /** When it was saved (ISO 8601). */
  savedAt: string;
}

/** What a server starts from when it has a session. */
export interface SessionStart {
  /** The script to run, or undefined to start empty (no session yet, --fresh, or a PATCH given instead). */
  script?: string;
  positions: Record<string, Position>;
  /** Rendering at start, as saved — false after an unclean exit. */
  running: boolean;
  /** Why the server starts stopped although the session was running (shown in status), if it does. */
  reason?: string;
  /** Lines for the log: what was restored, kept aside, or started afresh. */
  notes: string[];
}

const HEADER = /^\uFEFF?\s*\/\*\*\*([\s\S]*?)\*\*\*\/\r?\n?/;

/**
 * The parts of a session file: its header JSON (positions and state), and the script — the whole text,
 * whose header is a comment, so errors name the file's own lines.
 */
export function parseSessionText(text: string): {
  script: string;
  positions: Record<string, Position>;
  state?: Partial<SessionState>;
} {
  const match = HEADER.exec(text);
  const positions: Record<string, Position> = Object.create(null);
  if (!match) return { script: text, positions };
  let header: unknown;
  try {
    header = JSON.parse(match[1].trim());
  } catch {
    return { script: text, positions };
  }
  const h = (header ?? {}) as { positions?: unknown; session?: unknown };
  const rawPositions = h.positions && typeof h.positions === 'object' ? h.positions : header;
  for (const [name, value] of Object.entries((rawPositions ?? {}) as Record<string, unknown>)) {
    const p = value as { x?: unknown; y?: unknown };
    if (p && typeof p.x === 'number' && typeof p.y === 'number') positions[name] = { x: p.x, y: p.y };
  }
  const state = h.session && typeof h.session === 'object' ? (h.session as Partial<SessionState>) : undefined;
  return { script: text, positions, state };
}

/** A session file's text: the header (positions, state) as a block comment, then the script. */
export function sessionText(
  script: string,
  positions: Record<string, Position>,
  state: SessionState,
): string {
  // `*/` cannot occur in JSON of numbers and names? Names may hold anything: escape the slash.
  const header = JSON.stringify({ positions, session: state }).replace(/\*\//g, '*\\/');
  return `/*** ${header} ***/\n${script.endsWith('\n') || script === '' ? script : `${script}\n`}`;
}

/** `session.sui` → `session.previous.sui` (the session a --fresh start or a PATCH replaced). */
function besideName(path: string, tag: string): string {
  const ext = extname(path);
  return join(dirname(path), `${basename(path, ext)}.${tag}${ext}`);
}

function processAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) return false;
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  // A reused pid belongs to some other program: on Linux, look whether it is a Synchrotron server.
  try {
    const command = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return /synchrotron|serve/.test(command);
  } catch {
    return true;
  }
}

const stamp = () => new Date().toISOString().replace(/[:.]/g, '-');

export class SessionFile {
  readonly path: string;
  /** Where a save is written before it is renamed over the session (unique to this process). */
  readonly tempPath: string;
  /** Where a replaced session is kept (--fresh, a PATCH). */
  readonly previousPath: string;
  /** Exists while a server rebuilds the session's graph (see the top of this file). */
  readonly markerPath: string;
  private saving: Promise<void> | undefined;

  constructor(path: string) {
    this.path = resolve(path);
    this.tempPath = `${this.path}.tmp-${process.pid}`;
    this.previousPath = besideName(this.path, 'previous');
    this.markerPath = `${this.path}.restoring`;
  }

  /** Paths nodes must never write (the FileGuard reserves them). */
  reservedPaths(): string[] {
    return [this.path, this.tempPath, this.previousPath, this.markerPath];
  }

  /** Runs `restore` (rebuilding the graph) with the marker file in place, removed once it returns or throws. */
  restoring<T>(restore: () => T): T {
    writeFileSync(this.markerPath, `${process.pid}\n`);
    try {
      return restore();
    } finally {
      rmSync(this.markerPath, { force: true });
    }
  }

  /**
   * Reads the session and decides what the server starts from. `replace` (--fresh, or a PATCH given)
   * keeps the old session aside and starts without it. Throws when another running server uses the file.
   */
  async start(options: { replace?: 'fresh' | 'patch'; stopped?: boolean }): Promise<SessionStart> {
    mkdirSync(dirname(this.path), { recursive: true });
    const notes: string[] = [];
    const running = !options.stopped;
    if (!existsSync(this.path)) {
      notes.push(`session: ${this.path} is new; every change is saved to it`);
      return { positions: Object.create(null), running, notes };
    }
    const text = readFileSync(this.path, 'utf8');
    const parsed = parseSessionText(text);
    const state = parsed.state;
    if (state?.open && typeof state.pid === 'number' && processAlive(state.pid)) {
      throw new Error(
        `the session ${this.path} is in use by another Synchrotron server (pid ${state.pid}): stop it, or choose another --session`,
      );
    }
    if (options.replace) {
      await copyFile(this.path, this.previousPath);
      notes.push(
        `session: starting ${options.replace === 'fresh' ? 'with an empty graph (--fresh)' : 'from the patch given'}; the previous session is kept as ${this.previousPath}`,
      );
      return { positions: Object.create(null), running, notes };
    }
    if (existsSync(this.markerPath)) {
      // The last start died while rebuilding this session: do not try it again.
      const aside = this.keepAside('crashed');
      rmSync(this.markerPath, { force: true });
      const reason = `the last server stopped while restoring its session, so it was not restored again: it is kept as ${aside}`;
      notes.push(`session: ${reason}`);
      return { positions: Object.create(null), running: false, reason, notes };
    }
    const saved = state?.savedAt ? ` (saved ${state.savedAt})` : '';
    if (state?.open) {
      const reason = `restored stopped: the last server (pid ${state.pid ?? '?'}) did not exit cleanly${saved}. Press Start to play.`;
      notes.push(`session: ${reason}`);
      return { script: parsed.script, positions: parsed.positions, running: false, reason, notes };
    }
    notes.push(`session: restored from ${this.path}${saved}`);
    const wasRunning = state?.running ?? true;
    return { script: parsed.script, positions: parsed.positions, running: wasRunning && running, notes };
  }

  /** Moves a session that could not be restored aside (it is never overwritten); returns where it went. */
  keepAside(tag: string): string {
    const aside = besideName(this.path, `${tag}-${stamp()}`);
    renameSync(this.path, aside);
    return aside;
  }

  /**
   * Writes `text` as the session, atomically: the temporary file is written and flushed to the disk, then
   * renamed over the session. Saves run one at a time, in order.
   */
  save(text: string): Promise<void> {
    const previous = this.saving ?? Promise.resolve();
    const next = previous.then(() => this.write(text));
    this.saving = next.catch(() => {});
    return next;
  }

  private async write(text: string): Promise<void> {
    const file = await open(
      this.tempPath,
      constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW,
      0o600,
    );
    try {
      await file.writeFile(text, 'utf8');
      await file.datasync();
    } catch (error) {
      await file.close().catch(() => {});
      await unlink(this.tempPath).catch(() => {});
      throw error;
    }
    await file.close();
    await rename(this.tempPath, this.path);
  }
}

/** First save this long after a change; later ones wait longer when a save takes long (a huge graph). */
const SAVE_DELAY_MS = 200;
const MAX_SAVE_DELAY_MS = 700;
/** A failed save is tried again after this long, even without another change. */
const RETRY_MS = 2000;

/**
 * Saves the session after changes: the first change schedules a save SAVE_DELAY_MS later (edits in a
 * burst share it), so every change is on disk within about a second. Main thread only.
 */
export class SessionKeeper {
  private readonly file: SessionFile;
  private readonly snapshot: () => { script: string; positions: Record<string, Position>; running: boolean };
  private readonly log: (line: string) => void;
  private timer: NodeJS.Timeout | undefined;
  private dirty = false;
  private busy: Promise<void> | undefined;
  private lastSaveMs = 0;
  private lastError = '';
  private closed = false;

  constructor(
    file: SessionFile,
    snapshot: () => { script: string; positions: Record<string, Position>; running: boolean },
    log: (line: string) => void,
  ) {
    this.file = file;
    this.snapshot = snapshot;
    this.log = log;
  }

  /** Something the session holds changed: it is saved soon. */
  changed(): void {
    if (this.closed) return;
    this.dirty = true;
    if (this.timer || this.busy) return;
    const delay = Math.min(MAX_SAVE_DELAY_MS, Math.max(SAVE_DELAY_MS, 2 * this.lastSaveMs));
    this.timer = setTimeout(() => void this.saveNow(), delay);
  }

  /** Saves now (and again if something changes meanwhile); resolves when the file is written. */
  async saveNow(open = true): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.busy) await this.busy;
    this.dirty = false;
    const began = performance.now();
    const { script, positions, running } = this.snapshot();
    const state: SessionState = {
      version: SESSION_VERSION,
      running,
      open,
      pid: process.pid,
      savedAt: new Date().toISOString(),
    };
    this.busy = this.file.save(sessionText(script, positions, state)).then(
      () => {
        if (this.lastError) this.log(`session: saved ${this.file.path} again`);
        this.lastError = '';
      },
      (error: Error) => {
        if (error.message !== this.lastError)
          this.log(`session: cannot save ${this.file.path}: ${error.message}`);
        this.lastError = error.message;
        this.dirty = true;
        if (!this.closed) this.timer ??= setTimeout(() => void this.saveNow(), RETRY_MS);
      },
    );
    await this.busy;
    this.busy = undefined;
    this.lastSaveMs = performance.now() - began;
    if (this.dirty && !this.closed) this.changed();
  }

  /** The last save, marking the session as closed cleanly (the next start restores it as it was). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.busy) await this.busy;
    this.closed = false; // let this one last save run
    try {
      await this.saveNow(false);
    } finally {
      this.closed = true;
      clearTimeout(this.timer);
    }
  }
}
