// Security: the one place where the rules are written down — who may talk to Synchrotron, which files its
// nodes may touch, and how much anyone may ask for (DESIGN.md principles 10 and 11, SPEC §4). Every entry
// point goes through it: HTTP routes and both WebSockets (src/server/guard.ts calls `Access.check`), the
// render host's files (src/io/node-host.ts), and later OSC (`checkPeer`, `checkToken`, `RateLimiter`).
//
// Who may talk:
//  - With a token in force (`--token`; generated for any --host beyond loopback) the token decides: sent
//    as `Authorization: Bearer T`, `?token=T`, or the cookie `?token=` sets. Failed guesses are rate-limited
//    per peer. Nothing else is asked.
//  - Without a token: the Host header must be an IP literal, a loopback name (localhost, *.localhost) or a
//    name given with --allow-host — a DNS-rebinding page reaches us under its own name and is refused;
//    an Origin must be our own (the Host's), a loopback one (the original client on localhost:5173) or one
//    given with --cors; a request without Origin is refused when Sec-Fetch-Site says cross-site or
//    same-site (an <img src="…/clear"> on another page). Refusals are 403 with a `detail`.
//  - CORS headers are given to our own, loopback and --cors origins only, token or not.
// Which files: paths inside --root (`resolveInside`), opened first and then the open descriptor checked
// (regular file, one link, no symbolic link at the last step, still inside the root); readers check the
// size before reading and never block on a FIFO; writers never overwrite a file this server did not write
// (they record to the next free name), never share a path with another writer, never touch a reserved
// path (the --session file).
// How much: DEFAULT_LIMITS, each with a flag (--max-nodes …); passing one is a 413 that names the flag.

import { randomBytes, timingSafeEqual } from 'node:crypto';
import {
  closeSync,
  constants,
  existsSync,
  fstatSync,
  ftruncateSync,
  lstatSync,
  openSync,
  readlinkSync,
  realpathSync,
  type Stats,
} from 'node:fs';
import { open } from 'node:fs/promises';
import { isIP } from 'node:net';
import { basename, dirname, extname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { SynchrotronError } from '../engine/errors.js';
import { formatBytes, type Limits, limitError } from '../engine/limits.js';

// ------------------------------------------------------------------------------------------ limits

/** Every limit the server applies; the Graph, the evaluator, the host and the sockets enforce them. */
export interface ServerLimits extends Limits {
  /** WebSocket clients (/ws and /ws/audio) at once; HTTP connections at once are four times as many. */
  maxClients: number;
}

export const DEFAULT_LIMITS: Readonly<ServerLimits> = {
  maxNodes: 10_000,
  maxValueBytes: 4 * 1024 * 1024,
  maxResultBytes: 16 * 1024 * 1024,
  maxOpenFiles: 64,
  maxRecordBytes: 1024 * 1024 * 1024,
  maxClients: 32,
};

/** One line per limit for --help and the README. */
export const LIMIT_HELP: Readonly<Record<keyof ServerLimits, string>> = {
  maxNodes: 'nodes in the graph',
  maxValueBytes: 'bytes of all data values together',
  maxResultBytes: "bytes of one script's results ($nodes, arrays, export)",
  maxOpenFiles: 'files open at once (WavFileNodes recording)',
  maxRecordBytes: 'bytes one WavFileNode recording may hold',
  maxClients: 'WebSocket clients at once',
};

/** Largest file a node reads when it names no size itself (MIDI files and samples name theirs). */
export const DEFAULT_READ_BYTES = 64 * 1024 * 1024;
/** Reads in flight at once per process: many file nodes in one batch must not exhaust descriptors. */
const MAX_CONCURRENT_READS = 4;

// ------------------------------------------------------------------------------------------ who may talk

export interface AccessOptions {
  /** When set, the token decides every request. */
  token?: string;
  /** More origins allowed beyond our own and loopback ones; `'*'` allows every origin (the original's way). */
  cors?: readonly string[] | '*';
  /** More Host names allowed beyond IP literals and loopback names (e.g. `synth.local`). */
  allowHosts?: readonly string[];
}

/** What a listener knows about one request (HTTP or a WebSocket upgrade). */
export interface RequestFacts {
  method: string;
  host?: string;
  origin?: string;
  secFetchSite?: string;
  /** The token as sent (see `tokenFrom`), if any. */
  token?: string;
  /** The peer's address, to rate-limit failed tokens. */
  peer?: string;
}

export type Verdict = { ok: true } | { ok: false; status: 401 | 403 | 429; detail: string };

/** Cookie that carries the token for a browser that opened the UI with `?token=`. */
export const TOKEN_COOKIE = 'synchrotron_token';

/** A fresh token for a server reachable beyond loopback. */
export function generateToken(): string {
  return randomBytes(18).toString('base64url');
}

/** The token a request carries: `Authorization: Bearer T`, else `?token=T`, else the cookie. */
export function tokenFrom(
  headers: { authorization?: string; cookie?: string },
  queryToken?: unknown,
): string | undefined {
  const bearer = /^bearer\s+(\S+)\s*$/i.exec(headers.authorization ?? '')?.[1];
  if (bearer !== undefined) return bearer;
  if (typeof queryToken === 'string') return queryToken;
  return headers.cookie
    ?.split(';')
    .map((part) => part.trim())
    .find((part) => part.startsWith(`${TOKEN_COOKIE}=`))
    ?.slice(TOKEN_COOKIE.length + 1);
}

/** A loopback address a server may bind without a token. */
export function isLoopbackAddress(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** `localhost` and `*.localhost` always mean this machine (RFC 6761); browsers resolve them so. */
function isLoopbackName(name: string): boolean {
  return name === 'localhost' || name.endsWith('.localhost');
}

/** The host name of a Host header without port or IPv6 brackets, lower-cased; undefined if malformed. */
function hostName(host: string): string | undefined {
  try {
    return new URL(`http://${host}`).hostname.toLowerCase().replace(/^\[(.*)\]$/, '$1');
  } catch {
    return undefined;
  }
}

export class Access {
  readonly token: string | undefined;
  private readonly cors: readonly string[] | '*';
  private readonly allowHosts: ReadonlySet<string>;
  /** Failed token guesses: 20 at once per peer, then one every two seconds. */
  private readonly guesses = new RateLimiter({ burst: 20, perSecond: 0.5 });

  constructor(options: AccessOptions = {}) {
    this.token = options.token || undefined;
    this.cors = options.cors ?? [];
    this.allowHosts = new Set((options.allowHosts ?? []).map((name) => name.toLowerCase()));
  }

  /** Decides one HTTP request or WebSocket upgrade. */
  check(request: RequestFacts): Verdict {
    if (this.token !== undefined) {
      // Preflights carry no credentials; what they allow is decided by `allowOrigin`, and the real
      // request that follows must still bring the token.
      if (request.method === 'OPTIONS') return { ok: true };
      const peer = request.peer ?? '';
      if (!this.guesses.allows(peer))
        return {
          ok: false,
          status: 429,
          detail: 'too many wrong tokens from this address: wait a few seconds',
        };
      if (this.checkToken(request.token)) return { ok: true };
      this.guesses.take(peer);
      const detail = 'missing or wrong token: send `Authorization: Bearer <token>` or `?token=<token>`';
      return { ok: false, status: 401, detail };
    }
    if (request.host !== undefined && !this.hostAllowed(request.host)) {
      const detail = `Host \`${request.host.slice(0, 100)}\` is not allowed: reach this server by IP address or localhost, or allow the name with --allow-host`;
      return { ok: false, status: 403, detail };
    }
    if (request.origin !== undefined) {
      if (this.originAllowed(request.origin, request.host)) return { ok: true };
      const more = this.cors === '*' ? '' : this.cors.length ? `, ${this.cors.join(', ')}` : '';
      const detail = `origin ${request.origin.slice(0, 200)} is not allowed (allowed: this server's own pages, loopback origins${more}; see --cors)`;
      return { ok: false, status: 403, detail };
    }
    if (request.secFetchSite === 'cross-site' || request.secFetchSite === 'same-site') {
      const detail =
        'a request from another site without an Origin (a link, an image) is refused: open the address yourself, or call the API with an Origin (see --cors)';
      return { ok: false, status: 403, detail };
    }
    return { ok: true };
  }

  /** The Access-Control-Allow-Origin answer for `origin`, or undefined to give none. */
  allowOrigin(origin: string | undefined, host: string | undefined): string | undefined {
    if (origin === undefined) return undefined;
    if (this.cors === '*') return '*';
    return this.originAllowed(origin, host) ? origin : undefined;
  }

  /** Constant-time comparison, so response timing does not reveal how much of a guess was right. */
  checkToken(given: string | undefined): boolean {
    if (this.token === undefined) return true;
    if (given === undefined) return false;
    const a = Buffer.from(given);
    const b = Buffer.from(this.token);
    return a.length === b.length && timingSafeEqual(a, b);
  }

  /**
   * For listeners without HTTP headers (OSC over UDP): may a datagram from `address` be heard at all?
   * Without a token only this machine; with one, anyone — each message must then carry the token.
   */
  checkPeer(address: string): boolean {
    return this.token !== undefined || isLoopbackAddress(address) || address === '::ffff:127.0.0.1';
  }

  private hostAllowed(host: string): boolean {
    const name = hostName(host);
    if (name === undefined) return false;
    return isIP(name) !== 0 || isLoopbackName(name) || this.allowHosts.has(name);
  }

  private originAllowed(origin: string, host: string | undefined): boolean {
    if (this.cors === '*' || this.cors.includes(origin)) return true;
    let url: URL;
    try {
      url = new URL(origin);
    } catch {
      return false; // `null` (a sandboxed frame, a file:// page) and garbage
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return false;
    if (host !== undefined && url.host === normalHost(host)) return true; // our own pages
    const name = url.hostname.replace(/^\[(.*)\]$/, '$1');
    return isLoopbackName(name) || isLoopbackAddress(name);
  }
}

/** A Host header as URL.host writes it (lower case, default port dropped), for comparing with an Origin. */
function normalHost(host: string): string | undefined {
  try {
    return new URL(`http://${host}`).host;
  } catch {
    return undefined;
  }
}

/** A token bucket per key (a peer address): `burst` at once, refilled at `perSecond`. */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private readonly burst: number;
  private readonly perSecond: number;
  private readonly now: () => number;

  constructor(options: { burst: number; perSecond: number; now?: () => number }) {
    this.burst = options.burst;
    this.perSecond = options.perSecond;
    this.now = options.now ?? (() => performance.now() / 1000);
  }

  /** True when `key` has budget left (takes none). */
  allows(key: string): boolean {
    return this.level(key) >= 1;
  }

  /** Takes one from `key`'s budget; false (and nothing taken) when it is spent. */
  take(key: string): boolean {
    const tokens = this.level(key);
    if (tokens < 1) return false;
    this.buckets.set(key, { tokens: tokens - 1, at: this.now() });
    // Full buckets are forgotten, so many peers cannot grow the map without bound.
    if (this.buckets.size > 1000) {
      for (const [other] of this.buckets) if (this.level(other) >= this.burst) this.buckets.delete(other);
    }
    return true;
  }

  private level(key: string): number {
    const bucket = this.buckets.get(key);
    if (!bucket) return this.burst;
    return Math.min(this.burst, bucket.tokens + (this.now() - bucket.at) * this.perSecond);
  }
}

// ------------------------------------------------------------------------------------------ which files

/**
 * `path` resolved against `root`; refused with a clear error when it would leave root — through `..`,
 * an absolute path elsewhere, or a symbolic link (in the directories or the file itself) pointing out.
 * What is returned is checked again on the open descriptor (`checkOpened`): the path may change meanwhile.
 */
export function resolveInside(root: string, path: string): string {
  if (typeof path !== 'string' || path.trim() === '') {
    throw new SynchrotronError('invalid', 'a file path must be a non-empty string');
  }
  if (path.includes('\0'))
    throw new SynchrotronError('invalid', 'a file path may not contain NUL characters');
  const target = resolve(root, path);
  if (!inside(root, target)) {
    throw new SynchrotronError('invalid', `file path \`${path}\` leaves the allowed directory ${root}`, {
      root,
    });
  }
  // Follow links: the real directory must still be inside the real root.
  const realRoot = existsSync(root) ? realpathSync(root) : root;
  const parent = dirname(target);
  if (!existsSync(parent)) {
    throw new SynchrotronError('io', `cannot use \`${path}\`: the directory ${parent} does not exist`);
  }
  const realParent = realpathSync(parent);
  if (realParent !== realRoot && !inside(realRoot, realParent)) {
    throw new SynchrotronError(
      'invalid',
      `file path \`${path}\` leaves the allowed directory ${root} through a link`,
      { root },
    );
  }
  const realTarget = join(realParent, basename(target));
  let stats: Stats | undefined;
  try {
    stats = lstatSync(realTarget);
  } catch {
    stats = undefined; // a new file
  }
  if (stats?.isSymbolicLink()) {
    throw new SynchrotronError('invalid', `file path \`${path}\` is a symbolic link: name the file itself`);
  }
  if (stats?.isDirectory()) throw new SynchrotronError('invalid', `file path \`${path}\` is a directory`);
  return realTarget;
}

function inside(root: string, target: string): boolean {
  const rel = relative(root, target);
  return rel !== '' && rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel);
}

/**
 * The checks made on an open descriptor, which no renaming or linking after `resolveInside` can dodge:
 * a regular file (not a FIFO, device or directory) with one link (a hard link could be a file outside the
 * root), and — where /proc tells — the very file that was resolved.
 */
function checkOpened(fd: number, stats: Stats, expected: string, path: string): void {
  if (!stats.isFile()) throw new SynchrotronError('invalid', `\`${path}\` is not a regular file`);
  if (stats.nlink !== 1) {
    throw new SynchrotronError(
      'invalid',
      `\`${path}\` has ${stats.nlink} hard links (it may be a file outside the root): refused`,
    );
  }
  let opened: string | undefined;
  try {
    opened = readlinkSync(`/proc/self/fd/${fd}`);
  } catch {
    opened = undefined; // no /proc here: the checks above stand
  }
  if (opened !== undefined && opened !== expected) {
    throw new SynchrotronError('invalid', `\`${path}\` moved while it was being opened: refused`);
  }
}

/** Turns what open(2) says into the user's terms. */
function openError(error: unknown, path: string, verb: 'read' | 'write'): SynchrotronError {
  if (error instanceof SynchrotronError) return error;
  const code = (error as NodeJS.ErrnoException).code;
  const reason: Record<string, string> = {
    ENOENT: 'no such file',
    ELOOP: 'it is a symbolic link: name the file itself',
    ENXIO: 'it is not a regular file (a FIFO nobody reads?)',
    EISDIR: 'it is a directory',
    EACCES: 'permission denied',
    EMFILE: 'too many files open in this process',
    ENFILE: 'too many files open on this machine',
  };
  const text = code && Object.hasOwn(reason, code) ? reason[code] : (error as Error).message;
  return new SynchrotronError('io', `cannot ${verb} \`${path}\`: ${text}`);
}

let readsInFlight = 0;
const waitingReads: Array<() => void> = [];

/**
 * Reads a whole file inside `root` (control side: a node's `prepare`). Opened without following a link
 * and without blocking (a FIFO cannot hang it), checked on the descriptor, its size checked before a
 * byte is read; at most MAX_CONCURRENT_READS at once.
 */
export async function readFileInside(
  root: string,
  path: string,
  options: { maxBytes?: number } = {},
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
      throw new SynchrotronError(
        'invalid',
        `cannot read \`${path}\`: it is ${formatBytes(stats.size)}, larger than the limit of ${formatBytes(maxBytes)}`,
      );
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

/** A file opened for recording: write to `fd`, then `close()` it (which frees its place). */
export interface OpenedFile {
  readonly fd: number;
  /** The path as the user names it (relative to the root); another name than asked when it was taken. */
  readonly path: string;
  close(): void;
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

  constructor(options: { root: string; maxOpenFiles?: number; reserved?: readonly string[] }) {
    this.root = resolve(options.root);
    this.maxOpenFiles = options.maxOpenFiles ?? DEFAULT_LIMITS.maxOpenFiles;
    for (const path of options.reserved ?? []) this.reserve(path);
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
      const fd = this.tryOpen(target, name);
      if (fd === undefined) continue; // someone else's file: try the next name
      this.writing.add(target);
      let open = true;
      return {
        fd,
        path: name,
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

  private remember(target: string, stats: Stats): void {
    this.ours.delete(target); // re-inserted last: the oldest entries are forgotten first
    this.ours.set(target, { dev: stats.dev, ino: stats.ino, size: stats.size, ctimeMs: stats.ctimeMs });
    if (this.ours.size > MAX_REMEMBERED) this.ours.delete(this.ours.keys().next().value as string);
  }

  /** The descriptor of `target` opened for writing, or undefined when it is an existing file not ours. */
  private tryOpen(target: string, path: string): number | undefined {
    const flags = constants.O_WRONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;
    let fd: number;
    try {
      fd = openSync(target, flags | constants.O_CREAT | constants.O_EXCL, 0o644);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw openError(error, path, 'write');
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
        return fd;
      } catch (checkError) {
        closeSync(fd);
        throw openError(checkError, path, 'write');
      }
    }
    try {
      const stats = fstatSync(fd);
      checkOpened(fd, stats, target, path);
      this.remember(target, stats);
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
