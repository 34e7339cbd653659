// TEMPORARY — the OSC server's security rules until the security module (src/io/security.ts, branch
// `safety`) lands on main. The names and signatures mirror that module (`Access.checkPeer`,
// `Access.checkToken`, `RateLimiter`), so switching is a change of import; the OSC-specific rules below
// (packet limits, where OscSendNode may send) then move into it. Do not grow this file.

import { timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';

/** A loopback address a server may bind without a token. */
export function isLoopbackAddress(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

export class Access {
  readonly token: string | undefined;
  constructor(options: { token?: string } = {}) {
    this.token = options.token || undefined;
  }

  /** Constant-time comparison, so timing does not reveal how much of a guess was right. */
  checkToken(given: string | undefined): boolean {
    if (this.token === undefined) return true;
    if (given === undefined) return false;
    const a = Buffer.from(given);
    const b = Buffer.from(this.token);
    return a.length === b.length && timingSafeEqual(a, b);
  }

  /** May a datagram from `address` be heard at all? Without a token only this machine. */
  checkPeer(address: string): boolean {
    return this.token !== undefined || isLoopbackAddress(address) || address === '::ffff:127.0.0.1';
  }
}

/** A token bucket per key (a peer address): `burst` at once, refilled at `perSecond`. */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  constructor(private readonly options: { burst: number; perSecond: number; now?: () => number }) {}

  allows(key: string): boolean {
    return this.level(key) >= 1;
  }

  take(key: string): boolean {
    const tokens = this.level(key);
    if (tokens < 1) return false;
    this.buckets.set(key, { tokens: tokens - 1, at: this.now() });
    if (this.buckets.size > 1000) {
      for (const [other] of this.buckets)
        if (this.level(other) >= this.options.burst) this.buckets.delete(other);
    }
    return true;
  }

  private now(): number {
    return this.options.now?.() ?? performance.now() / 1000;
  }

  private level(key: string): number {
    const bucket = this.buckets.get(key);
    if (!bucket) return this.options.burst;
    return Math.min(this.options.burst, bucket.tokens + (this.now() - bucket.at) * this.options.perSecond);
  }
}

// ------------------------------------------------------------------------------- OSC rules (to move)

/** What one OSC datagram may hold. */
export const OSC_LIMITS = {
  /** Bytes in one datagram (a long script goes over HTTP). */
  maxBytes: 16 * 1024,
  /** Bundles inside bundles. */
  maxDepth: 4,
  /** Messages in one datagram, bundles included. */
  maxMessages: 128,
} as const;

/** Messages a sender may send: a burst, then a steady rate (a controller's faders stay far below). */
export const OSC_MESSAGE_RATE = { burst: 2000, perSecond: 1000 } as const;
/** All senders together: spoofed source addresses cannot multiply the budget without bound. */
export const OSC_TOTAL_RATE = { burst: 10_000, perSecond: 5000 } as const;
/** Replies to one sender. */
export const OSC_REPLY_RATE = { burst: 200, perSecond: 100 } as const;
/** Failed tokens from one sender before it is ignored for a while (no reply either way). */
export const OSC_TOKEN_GUESSES = { burst: 20, perSecond: 0.5 } as const;

/**
 * Where OscSendNode may send: loopback only (IP literals or `localhost`), unless the server was opened
 * beyond loopback with --host, when any host may be named. Returns why not, or null when allowed.
 */
export function oscDestinationProblem(host: string, widened: boolean): string | null {
  if (typeof host !== 'string' || host === '' || host.length > 253)
    return 'the host must be a name or address';
  if (widened) return null;
  if (host === 'localhost' || (isIP(host) !== 0 && isLoopbackAddress(host))) return null;
  return `OSC goes to this machine only (127.0.0.1, ::1, localhost) unless the server is opened with --host; \`${host.slice(0, 100)}\` is refused`;
}
