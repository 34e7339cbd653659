// Security: the one place where the rules are written down — who may talk to Synchrotron, which files its
// nodes may touch, and how much anyone may ask for (DESIGN.md principles 10 and 11, SPEC §4). Every entry
// point goes through it: HTTP routes and both WebSockets (src/server/guard.ts calls `Access.check`), the
// render host's files (src/io/node-host.ts), and OSC over UDP (src/server/osc.ts asks an `OscGate` about
// every datagram; the render worker asks `oscDestinationProblem` where an OscSendNode may send).
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
// Which files (applied by src/io/secure-files.ts, which opens every file nodes touch): paths inside
// --root (`resolveInside`), opened first and then the open descriptor checked (`checkOpened`: a regular
// file, one link, no symbolic link at the last step, the very file resolved); readers check the size
// before reading and never block on a FIFO; writers never overwrite a file this server did not write
// (they record to the next free name, `take-1.wav`), never share a path with another writer, never write
// a reserved path (the --session file).
// OSC (UDP: no headers, and a sender address anyone can forge): the socket binds where HTTP does
// (loopback by default) and hears only this machine, unless a token is in force (--token, or --host
// beyond loopback) — then every message must carry the token as its first argument, and a datagram
// that does not is dropped without a reply (a forged sender cannot make us send anything anywhere).
// Datagrams are bounded (OSC_LIMITS) and messages and replies rate-limited per sender and in total
// (OSC_RATES); wrong tokens share the HTTP guessing budget of their address. OscSendNode sends to
// loopback only, unless the server was opened beyond it.
// How much: DEFAULT_LIMITS, each with a flag (--max-nodes …); passing one is a 4xx (413; 429 for
// clients) that names the flag. The Graph, the evaluator, the render host and the sockets enforce them.

import { randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, lstatSync, readlinkSync, realpathSync, type Stats } from 'node:fs';
import { isIP } from 'node:net';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { SynchrotronError } from '../engine/errors.js';
import type { Limits } from '../engine/limits.js';

// ------------------------------------------------------------------------------------------ limits

/** Every limit the server applies; the Graph, the evaluator, the host and the sockets enforce them. */
export interface ServerLimits extends Limits {
  /** WebSocket clients (/ws and /ws/audio) at once. */
  maxClients: number;
}

export const DEFAULT_LIMITS: Readonly<ServerLimits> = {
  maxNodes: 10_000,
  maxValueBytes: 4 * 1024 * 1024,
  maxResultBytes: 16 * 1024 * 1024,
  maxOpenFiles: 64,
  maxRecordBytes: 1024 * 1024 * 1024,
  maxSampleBytes: 64 * 1024 * 1024,
  maxClients: 32,
};

/** One line per limit for --help and the README. */
export const LIMIT_HELP: Readonly<Record<keyof ServerLimits, string>> = {
  maxNodes: 'nodes in the graph',
  maxValueBytes: 'bytes of all data values together',
  maxResultBytes: "bytes of one script's results ($nodes, arrays, export)",
  maxOpenFiles: 'files open at once (WavFileNodes recording)',
  maxRecordBytes: 'bytes one WavFileNode recording may hold',
  maxSampleBytes: 'bytes of one SamplerNode file (a larger one: a warning, silence)',
  maxClients: 'WebSocket clients at once',
};

/** Largest file a node reads when it names no size itself (MIDI files and samples name theirs). */
export const DEFAULT_READ_BYTES = 64 * 1024 * 1024;

// ------------------------------------------------------------------------------------------ who may talk

export interface AccessOptions {
  /** When set, the token decides every request. */
  token?: string;
  /** More origins allowed beyond our own and loopback ones; `'*'` allows every origin (the original's way). */
  cors?: readonly string[] | '*';
  /** More Host names allowed beyond IP literals and loopback names (e.g. `synth.local`). */
  allowHosts?: readonly string[];
  /** Clock of the rate limits, in seconds (tests freeze it; default: performance.now()). */
  now?: () => number;
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
  /** Failed token guesses (HTTP and OSC alike): 20 at once per peer, then one every two seconds. */
  private readonly guesses: RateLimiter;

  constructor(options: AccessOptions = {}) {
    this.token = options.token || undefined;
    this.guesses = new RateLimiter({ burst: 20, perSecond: 0.5, now: options.now });
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
      if (!this.mayGuess(peer))
        return {
          ok: false,
          status: 429,
          detail: 'too many wrong tokens from this address: wait a few seconds',
        };
      if (this.checkToken(request.token)) return { ok: true };
      this.wrongGuess(peer);
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

  /** False while `peer` has spent its budget of wrong tokens: it is not even asked for one then. */
  mayGuess(peer: string): boolean {
    return this.guesses.allows(peer);
  }

  /** Records a wrong or missing token from `peer`. */
  wrongGuess(peer: string): void {
    this.guesses.take(peer);
  }

  /**
   * For listeners without HTTP headers (OSC over UDP): may a datagram from `address` be heard at all?
   * Without a token only this machine; with one, anyone — each message must then carry the token.
   */
  checkPeer(address: string): boolean {
    return this.token !== undefined || isLoopbackAddress(address) || /^::ffff:127\./i.test(address);
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

// ------------------------------------------------------------------------------------------ OSC over UDP

/** What one OSC datagram may hold; anything more is refused whole and counted. */
export const OSC_LIMITS = {
  /** Bytes in one datagram (a long script goes over HTTP). */
  maxBytes: 16 * 1024,
  /** Bundles inside bundles. */
  maxDepth: 4,
  /** Messages in one datagram, bundles included. */
  maxMessages: 128,
  /** Bundles waiting for their time tag at once, from everyone (more are answered with /error). */
  maxScheduled: 1024,
  /** How far ahead a time tag may lie, in ms (further is refused: a sender's clock is wrong). */
  maxAheadMs: 60_000,
  /** Characters of text in one reply (an /execute result, an error); the rest is cut. */
  maxReplyChars: 8000,
} as const;

/** A token bucket: `burst` at once, then `perSecond`. */
export interface Rate {
  burst: number;
  perSecond: number;
}

/** The budgets of an OSC listener (`OSC_RATES` by default). */
export interface OscRates {
  message: Rate;
  total: Rate;
  reply: Rate;
  replyTotal: Rate;
}

/** Token buckets for what OSC senders may make us do. */
export const OSC_RATES: Readonly<OscRates> = {
  /** Messages from one sender address (a controller's faders stay far below). */
  message: { burst: 2000, perSecond: 1000 },
  /** Messages from everyone: forged source addresses cannot multiply the budget without bound. */
  total: { burst: 10_000, perSecond: 5000 },
  /** Replies to one sender address. */
  reply: { burst: 200, perSecond: 100 },
  /** Replies to everyone: what this server may send out in answers, whoever asks. */
  replyTotal: { burst: 1000, perSecond: 500 },
};

/** Why a datagram was dropped unheard (each is counted; none is answered). */
export type OscDropReason = 'peer' | 'unauthenticated' | 'rateLimited';

/**
 * The OSC listener's rules, one per listener. Call in this order for each datagram: `admit` (before
 * decoding), `takeMessages` (the rest of a bundle's messages), `authenticate` (every message's first
 * argument), and `mayReply` before each answer.
 */
export class OscGate {
  readonly access: Access;
  private readonly messages: RateLimiter;
  private readonly total: RateLimiter;
  private readonly replies: RateLimiter;
  private readonly repliesTotal: RateLimiter;

  constructor(access: Access, options: { rates?: Partial<OscRates>; now?: () => number } = {}) {
    this.access = access;
    const rates = { ...OSC_RATES, ...options.rates };
    const now = options.now;
    this.messages = new RateLimiter({ ...rates.message, now });
    this.total = new RateLimiter({ ...rates.total, now });
    this.replies = new RateLimiter({ ...rates.reply, now });
    this.repliesTotal = new RateLimiter({ ...rates.replyTotal, now });
  }

  /** Whether messages must carry the token first (it is stripped before they are acted on). */
  get tokenRequired(): boolean {
    return this.access.token !== undefined;
  }

  /** Before a datagram from `peer` (an IP address) is decoded: why it is dropped, or null. */
  admit(peer: string): OscDropReason | null {
    if (!this.access.checkPeer(peer)) return 'peer';
    // Too many wrong tokens from there lately: not even decoded, whatever it carries.
    if (this.tokenRequired && !this.access.mayGuess(peer)) return 'unauthenticated';
    return this.takeMessages(peer, 1) ? null : 'rateLimited';
  }

  /** Takes `count` messages from `peer`'s budget and everyone's; false when either is spent. */
  takeMessages(peer: string, count: number): boolean {
    for (let i = 0; i < count; i++) {
      // The sender's own budget first: one over it does not spend everyone's.
      if (!this.messages.take(peer) || !this.total.take('all')) return false;
    }
    return true;
  }

  /**
   * True when every message's first argument is the token (or none is required). A datagram failing
   * it is dropped whole and counts as a wrong guess from `peer`, shared with HTTP's budget.
   */
  authenticate(peer: string, firstArguments: ReadonlyArray<string | undefined>): boolean {
    if (!this.tokenRequired) return true;
    // Every one is compared (constant time each), so timing tells nothing about which failed.
    let ok = firstArguments.length > 0;
    for (const given of firstArguments) ok = this.access.checkToken(given) && ok;
    if (!ok) this.access.wrongGuess(peer);
    return ok;
  }

  /** Takes one reply to `peer` from its budget and everyone's; false: send nothing. */
  mayReply(peer: string): boolean {
    return this.repliesTotal.allows('all') && this.replies.take(peer) && this.repliesTotal.take('all');
  }
}

/**
 * Where an OscSendNode may send: loopback only (`localhost`, 127.x.x.x, ::1), unless the server was opened
 * beyond loopback with --host (`widened`), when any host may be named. Why not, or null when allowed.
 */
export function oscDestinationProblem(host: string, widened: boolean): string | null {
  if (typeof host !== 'string' || host === '' || host.length > 253)
    return 'the host must be a name or address';
  if (widened) return null;
  if (host === 'localhost' || (isIP(host) !== 0 && isLoopbackAddress(host))) return null;
  return `OSC goes to this machine only (127.0.0.1, ::1, localhost) unless the server is opened with --host; \`${host.slice(0, 100)}\` is refused`;
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
export function checkOpened(fd: number, stats: Stats, expected: string, path: string): void {
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
export function openError(error: unknown, path: string, verb: 'read' | 'write'): SynchrotronError {
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
