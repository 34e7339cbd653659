// Helpers for server tests: a real server on loopback (port 0), fetch wrappers and a WebSocket client.

import { createRequire } from 'node:module';
import type { ServerMessage } from '../../src/api/protocol.js';
import { createServer, type ServerOptions, type SynchrotronServer } from '../../src/server/index.js';

export interface WsLike {
  readonly readyState: number;
  binaryType: string;
  send(data: string): void;
  close(): void;
  on(event: 'message', listener: (data: Buffer, isBinary: boolean) => void): void;
  on(event: 'open' | 'close', listener: () => void): void;
  on(event: 'error', listener: (error: Error) => void): void;
  on(
    event: 'unexpected-response',
    listener: (request: { destroy(): void }, response: { statusCode: number }) => void,
  ): void;
}

const require = createRequire(import.meta.url);
const { WebSocket } = require('ws') as {
  WebSocket: new (url: string, options?: { headers?: Record<string, string> }) => WsLike;
};

export async function startServer(options: ServerOptions = {}): Promise<SynchrotronServer> {
  return createServer({ port: 0, audio: 'none', log: () => {}, ...options });
}

export interface Answer {
  status: number;
  body: unknown;
  headers: Headers;
}

export async function request(
  server: { url: string },
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Answer> {
  const init: RequestInit = { method, headers: { ...headers } };
  if (body !== undefined) {
    if (typeof body === 'string') init.body = body;
    else {
      init.body = JSON.stringify(body);
      (init.headers as Record<string, string>)['content-type'] = 'application/json';
    }
  }
  const response = await fetch(server.url + path, init);
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // keep text
  }
  return { status: response.status, body: parsed, headers: response.headers };
}

/** A /ws client that records every message and can wait for one. */
export class EventClient {
  readonly messages: ServerMessage[] = [];
  private waiters: Array<{ match: (m: ServerMessage) => boolean; resolve: (m: ServerMessage) => void }> = [];
  private constructor(readonly socket: WsLike) {
    socket.on('message', (data, isBinary) => {
      if (isBinary) return;
      const message = JSON.parse(data.toString()) as ServerMessage;
      this.messages.push(message);
      this.waiters = this.waiters.filter((w) => {
        if (!w.match(message)) return true;
        w.resolve(message);
        return false;
      });
    });
  }

  static open(url: string, headers?: Record<string, string>): Promise<EventClient> {
    const socket = new WebSocket(url.replace(/^http/, 'ws'), { headers });
    return new Promise((resolve, reject) => {
      socket.on('open', () => resolve(new EventClient(socket)));
      socket.on('error', reject);
    });
  }

  send(message: unknown): void {
    this.socket.send(JSON.stringify(message));
  }

  /** The first message (already received or coming) that matches, within `ms`. */
  next<T extends ServerMessage['type']>(
    type: T,
    match: (m: Extract<ServerMessage, { type: T }>) => boolean = () => true,
    ms = PATIENCE_MS,
    since = 0,
  ): Promise<Extract<ServerMessage, { type: T }>> {
    const test = (m: ServerMessage) => m.type === type && match(m as Extract<ServerMessage, { type: T }>);
    const seen = this.messages.slice(since).find(test);
    if (seen) return Promise.resolve(seen as Extract<ServerMessage, { type: T }>);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${type} message within ${ms} ms`)), ms);
      this.waiters.push({
        match: test,
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m as Extract<ServerMessage, { type: T }>);
        },
      });
    });
  }

  close(): void {
    this.socket.close();
  }
}

/** Opens a raw socket (binary frames collected). */
export function openSocket(url: string, headers?: Record<string, string>): Promise<WsLike> {
  const socket = new WebSocket(url.replace(/^http/, 'ws'), { headers });
  return new Promise((resolve, reject) => {
    socket.on('open', () => resolve(socket));
    socket.on('error', reject);
  });
}

/** Tries to open a socket; resolves with the HTTP status of a refused upgrade, or 101. */
export function upgradeStatus(url: string, headers?: Record<string, string>): Promise<number> {
  const socket = new WebSocket(url.replace(/^http/, 'ws'), { headers });
  return new Promise((resolve) => {
    socket.on('open', () => {
      socket.close();
      resolve(101);
    });
    socket.on('unexpected-response', (request, response) => {
      request.destroy();
      resolve(response.statusCode);
    });
    socket.on('error', () => resolve(0));
  });
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * How long a test waits for something that must happen (a message, a file, a restart): long, because a
 * machine loaded by other work can be slow, and a wait for a condition costs nothing when it comes early.
 */
export const PATIENCE_MS = 30_000;

/** Polls `condition` until it holds; fails after `ms`, naming `what`. A wait for a state, not a timing. */
export async function waitUntil<T>(
  condition: () => T | Promise<T>,
  what: string,
  ms = PATIENCE_MS,
): Promise<NonNullable<T>> {
  const deadline = performance.now() + ms;
  for (;;) {
    const value = await condition();
    if (value) return value as NonNullable<T>;
    if (performance.now() > deadline) throw new Error(`waited ${ms / 1000} s for ${what}`);
    await sleep(20);
  }
}
