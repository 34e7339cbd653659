// The console's connection to a running server: HTTP for requests (SPEC §4 and the newer routes) and
// the /ws WebSocket for pushed events and for running scripts in order with them.

import { createRequire } from 'node:module';
import type { ApiNode, ClientMessage, ServerMessage } from '../api/protocol.js';
import type { CommandResult } from '../lang/index.js';

/** What a failed script or request answers: `{"detail": …, "line": …, "column": …, "length": …}`. */
export interface ErrorBody {
  detail: string;
  code?: string;
  line?: number;
  column?: number;
  length?: number;
  [key: string]: unknown;
}

export type ExecuteAnswer =
  | { ok: true; results: CommandResult[]; text: string }
  | { ok: false; error: ErrorBody };

/** Type info as GET /types answers it (NodeTypeInfo of the registry). */
export interface TypeInfo {
  type: string;
  category?: string;
  description?: string;
  inputs: Array<{ name: string; kind: string; description?: string; unit?: string; default?: unknown }>;
  outputs: Array<{ name: string; kind: string; description?: string; unit?: string }>;
}

/** The server could not be reached at all (not running, wrong URL). */
export class UnreachableError extends Error {}

// The slice of the `ws` package used here (it ships no types; it comes with @fastify/websocket).
interface Socket {
  readonly readyState: number;
  send(data: string): void;
  close(): void;
  terminate(): void;
  on(event: 'open', listener: () => void): void;
  on(event: 'message', listener: (data: Buffer) => void): void;
  on(event: 'close', listener: () => void): void;
  on(event: 'error', listener: (error: Error) => void): void;
}
type SocketClass = new (url: string, options?: { headers?: Record<string, string> }) => Socket;
const OPEN = 1;

function loadWebSocket(): SocketClass {
  const require = createRequire(import.meta.url);
  return require('ws') as SocketClass;
}

export interface ClientOptions {
  url: string;
  token?: string;
}

export class ServerClient {
  readonly url: string;
  private readonly token: string | undefined;
  private socket: Socket | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, (answer: ExecuteAnswer) => void>();
  private readonly listeners = new Set<(message: ServerMessage) => void>();
  private readonly stateListeners = new Set<(connected: boolean) => void>();
  private reconnectTimer: NodeJS.Timeout | null = null;
  private closed = false;
  /** True between sending a script over the socket and getting its result: the edits pushed meanwhile are ours. */
  ownEditsInFlight = 0;

  constructor(options: ClientOptions) {
    this.url = options.url.replace(/\/+$/, '');
    this.token = options.token;
  }

  private headers(extra: Record<string, string> = {}): Record<string, string> {
    return this.token ? { ...extra, authorization: `Bearer ${this.token}` } : extra;
  }

  private async request(
    method: string,
    path: string,
    body?: string,
    contentType = 'text/plain',
  ): Promise<Response> {
    try {
      return await fetch(`${this.url}${path}`, {
        method,
        body,
        headers: this.headers(body !== undefined ? { 'content-type': contentType } : {}),
        signal: AbortSignal.timeout(15_000),
      });
    } catch (error) {
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      const why = cause?.code ?? cause?.message ?? (error as Error).message;
      throw new UnreachableError(`cannot reach the Synchrotron server at ${this.url} (${why})`);
    }
  }

  private async json<T>(method: string, path: string, body?: string, contentType?: string): Promise<T> {
    const response = await this.request(method, path, body, contentType);
    const parsed = (await response.json().catch(() => null)) as unknown;
    if (!response.ok) {
      const detail = (parsed as ErrorBody | null)?.detail ?? `${response.status} ${response.statusText}`;
      throw new Error(`${method} ${path}: ${detail}`);
    }
    return parsed as T;
  }

  /** GET / — resolves when the server answers its health check. */
  async health(): Promise<string> {
    return this.json<string>('GET', '/');
  }

  nodes(): Promise<ApiNode[]> {
    return this.json<ApiNode[]>('GET', '/nodes');
  }

  types(): Promise<TypeInfo[]> {
    return this.json<TypeInfo[]>('GET', '/types');
  }

  /**
   * Virtual MIDI in (POST /midi): raw bytes, delivered at the next block — or, with `time` (ms on this
   * process's performance.now()), at the frame that keeps their spacing to earlier timed messages, however
   * late each one arrives.
   */
  async midi(data: number[], time?: number): Promise<void> {
    await this.json(
      'POST',
      '/midi',
      JSON.stringify(time === undefined ? { data } : { data, time }),
      'application/json',
    );
  }

  /** Runs a script: over the socket when it is open (ordered with pushed events), else over HTTP. */
  async execute(script: string): Promise<ExecuteAnswer> {
    const socket = this.socket;
    if (socket && socket.readyState === OPEN) {
      const id = this.nextId++;
      this.ownEditsInFlight++;
      return new Promise<ExecuteAnswer>((resolve) => {
        this.pending.set(id, (answer) => {
          this.ownEditsInFlight--;
          resolve(answer);
        });
        const message: ClientMessage = { type: 'execute', id, script };
        socket.send(JSON.stringify(message));
      });
    }
    const response = await this.request('POST', '/api/execute', script);
    const body = (await response.json().catch(() => null)) as unknown;
    if (response.ok) return { ok: true, ...(body as { results: CommandResult[]; text: string }) };
    const error = (body ?? { detail: `${response.status} ${response.statusText}` }) as ErrorBody;
    return { ok: false, error };
  }

  onMessage(listener: (message: ServerMessage) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  onConnection(listener: (connected: boolean) => void): () => void {
    this.stateListeners.add(listener);
    return () => this.stateListeners.delete(listener);
  }

  get connected(): boolean {
    return this.socket?.readyState === OPEN;
  }

  /** Opens /ws and keeps it open: reconnects every `retryMs` after a drop, until close(). */
  connectEvents(retryMs = 1000): void {
    if (this.closed || this.socket) return;
    const WebSocket = loadWebSocket();
    const wsUrl = `${this.url.replace(/^http/, 'ws')}/ws`;
    const socket = new WebSocket(wsUrl, { headers: this.headers() });
    this.socket = socket;
    let opened = false;
    socket.on('open', () => {
      opened = true;
      for (const listener of this.stateListeners) listener(true);
    });
    socket.on('message', (data) => {
      let message: ServerMessage & {
        id?: number;
        ok?: boolean;
        results?: CommandResult[];
        text?: string;
        error?: ErrorBody;
      };
      try {
        message = JSON.parse(data.toString());
      } catch {
        return;
      }
      if (message.type === 'result' && typeof message.id === 'number' && this.pending.has(message.id)) {
        const resolve = this.pending.get(message.id)!;
        this.pending.delete(message.id);
        resolve(
          message.ok
            ? { ok: true, results: message.results ?? [], text: message.text ?? '' }
            : { ok: false, error: message.error ?? { detail: 'the script failed' } },
        );
        return;
      }
      for (const listener of this.listeners) listener(message);
    });
    socket.on('error', () => {
      // 'close' follows; reconnecting happens there.
    });
    socket.on('close', () => {
      this.socket = null;
      // Scripts sent on the lost socket will never be answered: say so rather than hang.
      for (const [id, resolve] of this.pending) {
        this.pending.delete(id);
        resolve({
          ok: false,
          error: { detail: 'the connection to the server was lost before the script answered' },
        });
      }
      if (this.closed) return;
      if (opened) for (const listener of this.stateListeners) listener(false);
      this.reconnectTimer = setTimeout(() => {
        this.reconnectTimer = null;
        this.connectEvents(retryMs);
      }, retryMs);
    });
  }

  close(): void {
    this.closed = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.socket?.terminate();
    this.socket = null;
  }
}
