// Opening files by the rules of src/io/security.ts: a node's reads (control side, async) and recordings
// (render side, sync). Every descriptor is checked after it is opened (`checkOpened`); a FIFO never blocks;
// a writer never overwrites a file this server did not write, never shares a path, never writes a
// reserved one (the --session file), and never holds more than maxOpenFiles at once.

import {
  closeSync,
  constants,
  fstatSync,
  ftruncateSync,
  lstatSync,
  openSync,
  readSync,
  realpathSync,
  type Stats,
} from 'node:fs';
import { open } from 'node:fs/promises';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { SynchrotronError } from '../engine/errors.js';
import { formatBytes, type LimitName, limitError } from '../engine/limits.js';
import { checkOpened, DEFAULT_LIMITS, DEFAULT_READ_BYTES, openError, resolveInside } from './security.js';

/** Reads in flight at once per process: many file nodes in one batch must not exhaust descriptors. */
const MAX_CONCURRENT_READS = 4;

let readsInFlight = 0;
const waitingReads: Array<() => void> = [];

/**
 * Reads a whole file inside `root` (control side: a node's `prepare`). Opened without following a link
 * and without blocking (a FIFO cannot hang it), checked on the descriptor, its size checked before a
 * byte is read; at most MAX_CONCURRENT_READS at once. When `limit` names the limit `maxBytes` comes from,
 * a file over it is a `limit` error naming that limit's flag.
 */
export async function readFileInside(
  root: string,
  path: string,
  options: { maxBytes?: number; limit?: LimitName } = {},
): Promise<Uint8Array> {
  const target = resolveInside(resolve(root), path);
  const maxBytes = options.maxBytes ?? DEFAULT_READ_BYTES;
  if (readsInFlight >= MAX_CONCURRENT_READS) await new Promise<void>((go) => waitingReads.push(go));
  readsInFlight++;
  let file: Awaited<ReturnType<typeof open>> | undefined;
  try {
    file = await open(target, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    const stats = await file.stat();
    checkOpened(file.fd, stats, target, path);
    if (stats.size > maxBytes) {
      const what = `cannot read \`${path}\`: it is ${formatBytes(stats.size)}, larger than the limit of ${formatBytes(maxBytes)}`;
      if (options.limit) throw limitError(options.limit, what, { bytes: stats.size });
      throw new SynchrotronError('invalid', what);
    }
    // Exactly the size seen: a file that grows meanwhile is read as it was.
    const bytes = new Uint8Array(stats.size);
    let offset = 0;
    while (offset < bytes.length) {
      const { bytesRead } = await file.read(bytes, offset, bytes.length - offset, offset);
      if (bytesRead === 0) break;
      offset += bytesRead;
    }
    return offset === bytes.length ? bytes : bytes.subarray(0, offset);
  } catch (error) {
    throw openError(error, path, 'read');
  } finally {
    await file?.close().catch(() => {});
    readsInFlight--;
    waitingReads.shift()?.();
  }
}

/**
 * `readFileInside`, synchronously (control side only: patch files, whose ports a script needs while it
 * runs). The same rules: confined to `root`, no link followed, no FIFO waited on, the descriptor checked,
 * the size checked before a byte is read.
 */
export function readFileInsideSync(
  root: string,
  path: string,
  options: { maxBytes?: number } = {},
): Uint8Array {
  const target = resolveInside(resolve(root), path);
  const maxBytes = options.maxBytes ?? DEFAULT_READ_BYTES;
  let fd: number | undefined;
  try {
    fd = openSync(target, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    const stats = fstatSync(fd);
    checkOpened(fd, stats, target, path);
    if (stats.size > maxBytes) {
      throw new SynchrotronError(
        'invalid',
        `cannot read \`${path}\`: it is ${formatBytes(stats.size)}, larger than the limit of ${formatBytes(maxBytes)}`,
      );
    }
    const bytes = new Uint8Array(stats.size);
    let offset = 0;
    while (offset < bytes.length) {
      const read = readSync(fd, bytes, offset, bytes.length - offset, offset);
      if (read === 0) break;
      offset += read;
    }
    return offset === bytes.length ? bytes : bytes.subarray(0, offset);
  } catch (error) {
    throw openError(error, path, 'read');
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** A file opened for recording: write to `fd`, then `close()` it (which frees its place). */
export interface OpenedFile {
  readonly fd: number;
  /** The path as the user names it (relative to the root); another name than asked when it was taken. */
  readonly path: string;
  /** The path asked for, when a file not written here was there and `path` is the next free name. */
  readonly keptExisting?: string;
  /**
   * Opened to continue (not truncated, opened for reading too): this server was writing it when its render
   * worker was replaced. The writer appends after the samples already there.
   */
  readonly resume?: boolean;
  close(): void;
}

/**
 * What a guard knows of a file it wrote, keyed by real path: its identity as it left it, or `open` while it
 * is being written (then size and change time are those at opening). The server keeps these across render
 * worker restarts so a new worker's guard goes on treating the files as this server's own.
 */
export interface FileRecord {
  dev: number;
  ino: number;
  size: number;
  ctimeMs: number;
  /** Being written when the record was made: a new guard continues it instead of starting over. */
  open?: boolean;
}

/** Alternative names tried for a file that exists: take-1.wav … take-999.wav. */
const MAX_ALTERNATIVES = 999;
/** Files remembered as written by this server (oldest forgotten first). */
const MAX_REMEMBERED = 10_000;

/**
 * Opens files for writing, for one render host: confined to `root`, one writer per path, never a
 * reserved path, at most `maxOpenFiles` at once, and never over a file this server did not write.
 */
export class FileGuard {
  private readonly root: string;
  private readonly maxOpenFiles: number;
  /** Real paths nodes may not write (the session file). */
  private readonly reserved = new Set<string>();
  /** Real paths being written now. */
  private readonly writing = new Set<string>();
  /**
   * Files this server wrote, as it left them: real path → device, inode, size and change time. Any of
   * them differing (the file replaced, even under a reused inode, or touched since) makes it not ours.
   */
  private readonly ours = new Map<string, FileIdentity>();
  /**
   * Files a previous render worker of this server was writing when it was replaced: the first node to
   * open one again continues it (same device and inode) instead of starting a new take beside it.
   */
  private readonly resumable = new Map<string, FileIdentity>();
  private readonly onRecord: ((target: string, record: FileRecord) => void) | undefined;

  constructor(options: {
    root: string;
    maxOpenFiles?: number;
    reserved?: readonly string[];
    /** Records of a previous guard of this server (see FileRecord). */
    known?: ReadonlyArray<readonly [string, FileRecord]>;
    /** Told of every change to the records (an open, a close), to hand them to a later guard. */
    onRecord?: (target: string, record: FileRecord) => void;
  }) {
    this.root = resolve(options.root);
    this.maxOpenFiles = options.maxOpenFiles ?? DEFAULT_LIMITS.maxOpenFiles;
    for (const path of options.reserved ?? []) this.reserve(path);
    for (const [target, record] of options.known ?? []) {
      const identity = { dev: record.dev, ino: record.ino, size: record.size, ctimeMs: record.ctimeMs };
      if (record.open) this.resumable.set(target, identity);
      else this.ours.set(target, identity);
    }
    this.onRecord = options.onRecord;
  }

  /**
   * Files a previous worker was writing that no node has continued: from now on they are ordinary files
   * of this server (a later take there starts afresh), if they are still the same file.
   */
  settleResumable(): void {
    for (const [target, known] of this.resumable) {
      this.resumable.delete(target);
      try {
        const stats = lstatSync(target);
        if (stats.isFile() && stats.dev === known.dev && stats.ino === known.ino)
          this.remember(target, stats);
      } catch {
        // gone: nothing to remember
      }
    }
  }

  /** Files being written now. */
  get openCount(): number {
    return this.writing.size;
  }

  /** Keeps nodes from ever writing `path` (absolute, or relative to the working directory). */
  reserve(path: string): void {
    this.reserved.add(realPathOf(resolve(path)));
  }

  /**
   * Opens `path` (relative to the root) for writing from its start. A file this server wrote before is
   * truncated; any other existing file is left alone and the next free name is used (`take-1.wav`) —
   * `OpenedFile.path` says which. Synchronous: WavFileNode opens on the render thread.
   */
  openForWriting(path: string): OpenedFile {
    const first = resolveInside(this.root, path);
    if (this.writing.size >= this.maxOpenFiles) {
      throw limitError(
        'maxOpenFiles',
        `cannot write \`${path}\`: ${this.maxOpenFiles} files are open already`,
      );
    }
    const ext = extname(path);
    for (let n = 0; n <= MAX_ALTERNATIVES; n++) {
      const name = n === 0 ? path : `${path.slice(0, path.length - ext.length)}-${n}${ext}`;
      const target = n === 0 ? first : join(dirname(first), basename(name));
      if (this.reserved.has(target)) {
        if (n > 0) continue;
        throw new SynchrotronError('invalid', `cannot write \`${path}\`: it is reserved (the session file)`);
      }
      if (this.writing.has(target)) {
        if (n === 0)
          throw new SynchrotronError('conflict', `cannot write \`${path}\`: another node is writing it`);
        continue;
      }
      const opened = this.tryOpen(target, name);
      if (opened === undefined) continue; // someone else's file: try the next name
      const { fd, resume } = opened;
      this.writing.add(target);
      let open = true;
      return {
        fd,
        path: name,
        ...(n > 0 ? { keptExisting: path } : {}),
        ...(resume ? { resume } : {}),
        close: () => {
          if (!open) return;
          open = false;
          this.writing.delete(target);
          try {
            this.remember(target, fstatSync(fd)); // as we leave it
          } finally {
            closeSync(fd);
          }
        },
      };
    }
    throw new SynchrotronError(
      'io',
      `cannot write \`${path}\`: it and ${MAX_ALTERNATIVES} numbered alternatives exist; choose another name`,
    );
  }

  private remember(target: string, stats: Stats, open = false): void {
    const identity = { dev: stats.dev, ino: stats.ino, size: stats.size, ctimeMs: stats.ctimeMs };
    this.ours.delete(target); // re-inserted last: the oldest entries are forgotten first
    this.ours.set(target, identity);
    if (this.ours.size > MAX_REMEMBERED) this.ours.delete(this.ours.keys().next().value as string);
    this.onRecord?.(target, open ? { ...identity, open } : identity);
  }

  /**
   * `target` opened for writing — `resume` when it continues a take a previous render worker was writing —
   * or undefined when it is an existing file not ours.
   */
  private tryOpen(target: string, path: string): { fd: number; resume?: boolean } | undefined {
    const flags = constants.O_WRONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;
    let fd: number;
    try {
      fd = openSync(target, flags | constants.O_CREAT | constants.O_EXCL, 0o644);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw openError(error, path, 'write');
      const unfinished = this.resumable.get(target);
      if (unfinished) {
        this.resumable.delete(target);
        const resumed = this.tryResume(target, path, unfinished);
        if (resumed !== undefined) return { fd: resumed, resume: true };
      }
      const known = this.ours.get(target);
      if (!known) return undefined;
      try {
        fd = openSync(target, flags);
      } catch (reopenError) {
        throw openError(reopenError, path, 'write');
      }
      try {
        const stats = fstatSync(fd);
        if (!sameIdentity(stats, known)) {
          closeSync(fd);
          this.ours.delete(target);
          return undefined; // replaced by someone else since we wrote it
        }
        checkOpened(fd, stats, target, path);
        ftruncateSync(fd, 0);
        this.remember(target, fstatSync(fd), true);
        return { fd };
      } catch (checkError) {
        closeSync(fd);
        throw openError(checkError, path, 'write');
      }
    }
    try {
      const stats = fstatSync(fd);
      checkOpened(fd, stats, target, path);
      this.remember(target, stats, true);
      return { fd };
    } catch (error) {
      closeSync(fd);
      throw openError(error, path, 'write');
    }
  }

  /**
   * Opens an unfinished take again, for reading (its header) and writing, if it is still the file that
   * was being written (same device and inode; its size and change time moved on while it was written).
   */
  private tryResume(target: string, path: string, known: FileIdentity): number | undefined {
    let fd: number;
    try {
      fd = openSync(target, constants.O_RDWR | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    } catch {
      return undefined; // gone or changed into something we cannot open: a new take, by the usual rules
    }
    try {
      const stats = fstatSync(fd);
      if (stats.dev !== known.dev || stats.ino !== known.ino) {
        closeSync(fd);
        return undefined; // replaced meanwhile: not ours
      }
      checkOpened(fd, stats, target, path);
      this.remember(target, stats, true);
      return fd;
    } catch (error) {
      closeSync(fd);
      throw openError(error, path, 'write');
    }
  }
}

interface FileIdentity {
  dev: number;
  ino: number;
  size: number;
  ctimeMs: number;
}

function sameIdentity(stats: Stats, known: FileIdentity): boolean {
  return (
    stats.dev === known.dev &&
    stats.ino === known.ino &&
    stats.size === known.size &&
    stats.ctimeMs === known.ctimeMs
  );
}

/** `path` with its directories' links resolved (the file itself need not exist). */
function realPathOf(path: string): string {
  try {
    return join(realpathSync(dirname(path)), basename(path));
  } catch {
    return path;
  }
}
